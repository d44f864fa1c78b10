package repodata

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression names a metadata compression.
type Compression string

// The compressions smeforge writes; dnf and yum read gzip, dnf also zstd.
const (
	Gzip Compression = "gz"
	Zstd Compression = "zstd"
)

// ParseCompression checks a --compress value.
func ParseCompression(s string) (Compression, error) {
	switch s {
	case "", "gz", "gzip":
		return Gzip, nil
	case "zstd", "zst":
		return Zstd, nil
	}
	return "", fmt.Errorf("unknown compression %q (want gz or zstd)", s)
}

func (c Compression) ext() string {
	if c == Zstd {
		return ".zst"
	}
	return ".gz"
}

// Entry is one package as the writer sees it: a stable key (its location
// in the repository), its pkgid and its fragments.
type Entry struct {
	Key  string
	ID   string
	Frag Fragments
	// Digest identifies the fragments' content; Write computes it when it
	// is zero. Callers that keep fragments can keep their digest too.
	Digest [32]byte
}

// FragmentDigest is the Digest of a set of fragments.
func FragmentDigest(f Fragments) [32]byte {
	h := sha256.New()
	for _, b := range [3][]byte{f.Primary, f.Filelists, f.Other} {
		var n [8]byte
		h.Write(strconv.AppendInt(n[:0], int64(len(b)), 10))
		h.Write(b)
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// Chunks of consecutive packages are compressed as independent gzip members
// (or zstd frames); concatenated members are one valid stream for zlib,
// libsolv and every other reader. A chunk whose packages did not change is
// copied, not compressed again, which is what makes an update fast.
// Boundaries depend only on the package keys (content-defined), so adding
// one package disturbs one chunk.
const (
	chunkMask = 63  // a boundary after ~1 package in 64
	chunkMax  = 512 // hard upper bound on packages per chunk
)

// kinds of metadata file, in repomd order.
var kinds = [3]string{"primary", "filelists", "other"}

// Chunk is the compressed form of a run of entries, per metadata kind.
type Chunk struct {
	Key  [32]byte
	N    int
	Data [3][]byte
}

// ChunkSet maps chunk keys to compressed chunks from a previous write.
type ChunkSet map[[32]byte]*Chunk

// DataFile describes one metadata file as repomd.xml lists it.
type DataFile struct {
	Type         string
	Href         string
	Checksum     string
	OpenChecksum string
	Size         int64
	OpenSize     int64
	Timestamp    int64
}

// WriteOptions control how repodata is written.
type WriteOptions struct {
	Compression Compression
	Workers     int
	Now         func() time.Time
	// Extra files (updateinfo, comps ...) to list in repomd.xml; they must
	// already be in the repodata folder.
	Extra []DataFile
	// KeepFor keeps metadata files that no current or previous repomd.xml
	// names for this long, for clients that are slow to fetch them while
	// publications follow each other quickly.
	KeepFor time.Duration
	// SignRepomd, when set, makes repomd.xml.asc, the detached signature
	// of repomd.xml, written just before repomd.xml itself.
	SignRepomd func(repomd []byte) ([]byte, error)
}

// WriteResult is what Write did.
type WriteResult struct {
	Revision      int64
	Files         []DataFile
	Chunks        ChunkSet
	ChunksReused  int
	ChunksWritten int
	// Time spent compressing chunks and writing files (hashing included).
	CompressTime, WriteTime time.Duration
}

func splitChunks(entries []Entry) [][]Entry {
	var out [][]Entry
	start := 0
	for i := range entries {
		h := fnv.New32a()
		io.WriteString(h, entries[i].Key)
		if h.Sum32()&chunkMask == 0 || i-start+1 >= chunkMax || i == len(entries)-1 {
			out = append(out, entries[start:i+1])
			start = i + 1
		}
	}
	return out
}

func chunkKey(c Compression, es []Entry) [32]byte {
	h := sha256.New()
	io.WriteString(h, string(c))
	for _, e := range es {
		io.WriteString(h, e.Key)
		h.Write([]byte{0})
		h.Write(e.Digest[:])
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func frag(e *Entry, kind int) []byte {
	switch kind {
	case 0:
		return e.Frag.Primary
	case 1:
		return e.Frag.Filelists
	}
	return e.Frag.Other
}

type compressor struct {
	c    Compression
	gz   sync.Pool
	zenc *zstd.Encoder
}

func newCompressor(c Compression) (*compressor, error) {
	cp := &compressor{c: c}
	if c == Zstd {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("creating zstd encoder: %w", err)
		}
		cp.zenc = enc
	}
	return cp, nil
}

// compress returns one complete gzip member or zstd frame holding parts.
func (cp *compressor) compress(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if cp.c == Zstd {
		src := make([]byte, 0, n)
		for _, p := range parts {
			src = append(src, p...)
		}
		return cp.zenc.EncodeAll(src, make([]byte, 0, n/4+64))
	}
	var buf bytes.Buffer
	buf.Grow(n/4 + 64)
	w, _ := cp.gz.Get().(*gzip.Writer)
	if w == nil {
		w, _ = gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	} else {
		w.Reset(&buf)
	}
	for _, p := range parts {
		w.Write(p)
	}
	w.Close()
	cp.gz.Put(w)
	return buf.Bytes()
}

// compressKind compresses one kind of fragment of a run of entries.
func (cp *compressor) compressKind(g []Entry, kind int) []byte {
	parts := make([][]byte, len(g))
	for x := range g {
		parts[x] = frag(&g[x], kind)
	}
	return cp.compress(parts...)
}

// compressChunk makes the compressed chunk of a run of entries whose
// digests are set.
func (cp *compressor) compressChunk(g []Entry) *Chunk {
	c := &Chunk{Key: chunkKey(cp.c, g), N: len(g)}
	for kind := range kinds {
		c.Data[kind] = cp.compressKind(g, kind)
	}
	return c
}

func preamble(kind int, n int) []byte {
	var b []byte
	b = append(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"...)
	switch kind {
	case 0:
		b = append(b, `<metadata xmlns="`+NSCommon+`" xmlns:rpm="`+NSRPM+`" packages="`...)
	case 1:
		b = append(b, `<filelists xmlns="`+NSFilelists+`" packages="`...)
	default:
		b = append(b, `<otherdata xmlns="`+NSOther+`" packages="`...)
	}
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, "\">\n"...)
}

var footers = [3][]byte{[]byte("</metadata>\n"), []byte("</filelists>\n"), []byte("</otherdata>\n")}

// Write writes primary, filelists and other for entries (in that order)
// into dir/repodata, then repomd.xml in one atomic rename: a reader sees
// the old metadata or the new, never a mix. The previous generation's
// files are kept so that a client that just read the old repomd.xml can
// still fetch them; older ones are removed. prev, when not nil, supplies
// compressed chunks that need not be compressed again.
func Write(ctx context.Context, dir string, entries []Entry, prev ChunkSet, opt WriteOptions) (*WriteResult, error) {
	if opt.Compression == "" {
		opt.Compression = Gzip
	}
	if opt.Workers <= 0 {
		opt.Workers = defaultWorkers()
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	rd := filepath.Join(dir, "repodata")
	if err := os.MkdirAll(rd, 0o755); err != nil {
		return nil, fmt.Errorf("creating repodata folder: %w", err)
	}
	cp, err := newCompressor(opt.Compression)
	if err != nil {
		return nil, err
	}
	if cp.zenc != nil {
		defer cp.zenc.Close()
	}

	var zero [32]byte
	for i := range entries {
		if entries[i].Digest == zero {
			entries[i].Digest = FragmentDigest(entries[i].Frag)
		}
	}
	groups := splitChunks(entries)
	chunks := make([]*Chunk, len(groups))
	res := &WriteResult{Chunks: make(ChunkSet, len(groups))}
	type job struct{ i, kind int }
	var jobs []job
	for i, g := range groups {
		k := chunkKey(opt.Compression, g)
		if c, ok := prev[k]; ok && c.N == len(g) {
			chunks[i] = c
			res.ChunksReused++
		} else {
			chunks[i] = &Chunk{Key: k, N: len(g)}
			jobs = append(jobs, job{i, 0}, job{i, 1}, job{i, 2})
			res.ChunksWritten++
		}
		res.Chunks[k] = chunks[i]
	}
	t0 := time.Now()
	if err := parallel(ctx, opt.Workers, len(jobs), func(j int) error {
		jb := jobs[j]
		chunks[jb.i].Data[jb.kind] = cp.compressKind(groups[jb.i], jb.kind)
		return nil
	}); err != nil {
		return nil, err
	}

	res.CompressTime = time.Since(t0)
	t0 = time.Now()
	ts := now().Unix()
	res.Revision = ts
	files := make([]DataFile, 3)
	var tmpPaths [3]string
	defer func() {
		for _, p := range tmpPaths {
			if p != "" {
				os.Remove(p)
			}
		}
	}()
	if err := parallel(ctx, 3, 3, func(kind int) error {
		f, err := os.CreateTemp(rd, ".tmp-"+kinds[kind]+"-*")
		if err != nil {
			return fmt.Errorf("writing %s: %w", kinds[kind], err)
		}
		tmpPaths[kind] = f.Name()
		if err := f.Chmod(0o644); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", kinds[kind], err)
		}
		zsum, osum := sha256.New(), sha256.New()
		cw := &countWriter{w: io.MultiWriter(f, zsum)}
		pre, foot := preamble(kind, len(entries)), footers[kind]
		openSize := int64(len(pre) + len(foot))
		osum.Write(pre)
		if _, err := cw.Write(cp.compress(pre)); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", kinds[kind], err)
		}
		for i, g := range groups {
			for x := range g {
				b := frag(&g[x], kind)
				osum.Write(b)
				openSize += int64(len(b))
			}
			if _, err := cw.Write(chunks[i].Data[kind]); err != nil {
				f.Close()
				return fmt.Errorf("writing %s: %w", kinds[kind], err)
			}
		}
		osum.Write(foot)
		if _, err := cw.Write(cp.compress(foot)); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", kinds[kind], err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("syncing %s: %w", kinds[kind], err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("closing %s: %w", kinds[kind], err)
		}
		sum := hex.EncodeToString(zsum.Sum(nil))
		name := sum + "-" + kinds[kind] + ".xml" + opt.Compression.ext()
		if err := os.Rename(f.Name(), filepath.Join(rd, name)); err != nil {
			return fmt.Errorf("renaming %s: %w", kinds[kind], err)
		}
		tmpPaths[kind] = ""
		files[kind] = DataFile{
			Type: kinds[kind], Href: "repodata/" + name, Checksum: sum,
			OpenChecksum: hex.EncodeToString(osum.Sum(nil)), Size: cw.n, OpenSize: openSize, Timestamp: ts,
		}
		return nil
	}); err != nil {
		return nil, err
	}
	files = append(files, opt.Extra...)
	res.Files = files

	previous := referencedFiles(filepath.Join(rd, "repomd.xml"))
	repomd := renderRepomd(ts, files)
	if opt.SignRepomd != nil {
		asc, err := opt.SignRepomd(repomd)
		if err != nil {
			return nil, fmt.Errorf("signing repomd.xml: %w", err)
		}
		// The signature goes first: the window in which a client could read
		// the new signature with the old repomd.xml is as short as the two
		// renames.
		if err := writeFileAtomic(filepath.Join(rd, "repomd.xml.asc"), asc); err != nil {
			return nil, err
		}
	}
	if err := writeFileAtomic(filepath.Join(rd, "repomd.xml"), repomd); err != nil {
		return nil, err
	}
	removeOldGenerations(rd, files, previous, now().Add(-opt.KeepFor))
	res.WriteTime = time.Since(t0)
	return res, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// RenderRepomd is exported for callers that assemble repodata themselves.
func RenderRepomd(revision int64, files []DataFile) []byte { return renderRepomd(revision, files) }

func renderRepomd(revision int64, files []DataFile) []byte {
	b := []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"" + NSRepo + "\" xmlns:rpm=\"" + NSRPM + "\">\n  <revision>")
	b = strconv.AppendInt(b, revision, 10)
	b = append(b, "</revision>\n"...)
	for _, f := range files {
		b = append(b, `  <data type="`...)
		b = escAttr(b, f.Type)
		b = append(b, "\">\n    <checksum type=\"sha256\">"...)
		b = append(b, f.Checksum...)
		b = append(b, "</checksum>\n"...)
		if f.OpenChecksum != "" {
			b = append(b, "    <open-checksum type=\"sha256\">"...)
			b = append(b, f.OpenChecksum...)
			b = append(b, "</open-checksum>\n"...)
		}
		b = append(b, `    <location href="`...)
		b = escAttr(b, f.Href)
		b = append(b, "\"/>\n    <timestamp>"...)
		b = strconv.AppendInt(b, f.Timestamp, 10)
		b = append(b, "</timestamp>\n    <size>"...)
		b = strconv.AppendInt(b, f.Size, 10)
		b = append(b, "</size>\n"...)
		if f.OpenChecksum != "" {
			b = append(b, "    <open-size>"...)
			b = strconv.AppendInt(b, f.OpenSize, 10)
			b = append(b, "</open-size>\n"...)
		}
		b = append(b, "  </data>\n"...)
	}
	return append(b, "</repomd>\n"...)
}

// writeFileAtomic writes data to a temp file, fsyncs it, renames it over
// path and fsyncs the folder.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("closing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

var hrefRe = regexp.MustCompile(`<location href="repodata/([^"]+)"`)

// referencedFiles lists the repodata files a repomd.xml names.
func referencedFiles(repomd string) map[string]bool {
	out := map[string]bool{}
	b, err := os.ReadFile(repomd)
	if err != nil {
		return out
	}
	for _, m := range hrefRe.FindAllSubmatch(b, -1) {
		out[string(m[1])] = true
	}
	return out
}

var generatedRe = regexp.MustCompile(`^[0-9a-f]{64}-(primary|filelists|other|updateinfo)\.xml\.(gz|zst)$`)

// removeOldGenerations deletes metadata files this writer made that neither
// the new nor the previous repomd.xml names and that are older than before.
func removeOldGenerations(rd string, files []DataFile, previous map[string]bool, before time.Time) {
	keep := map[string]bool{}
	for k := range previous {
		keep[k] = true
	}
	for _, f := range files {
		keep[filepath.Base(f.Href)] = true
	}
	des, err := os.ReadDir(rd)
	if err != nil {
		return
	}
	for _, de := range des {
		if !generatedRe.MatchString(de.Name()) || keep[de.Name()] {
			continue
		}
		if info, err := de.Info(); err == nil && info.ModTime().After(before) {
			continue
		}
		os.Remove(filepath.Join(rd, de.Name()))
	}
}
