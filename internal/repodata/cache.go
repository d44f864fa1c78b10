package repodata

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// The createrepo cache lives beside the packages in a hidden folder (the
// scan skips hidden folders). An append-only data file holds every
// package's rendered fragments and the compressed chunks; a small index
// names, per file, what identifies it (path, size, mtime) and where its
// records are. An update appends only what changed and rewrites only the
// index; the data file is mapped into memory, not read. The cache is
// advisory: a record whose CRC does not match, or a cache that is missing,
// from another version or inconsistent, only means reading files again.
const (
	cacheDir   = ".smeforge"
	indexFile  = "createrepo.index"
	cacheMagic = "SMEFORGE-CREATEREPO-CACHE 3\n"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type cachedPkg struct {
	Href   string
	Size   int64
	MTime  int64
	ID     string
	Digest [32]byte
	Off    int64
	Lens   [3]int
	CRC    uint32
}

type cachedChunk struct {
	Key  [32]byte
	N    int
	Off  int64
	Lens [3]int
	CRC  uint32
}

type cacheIndex struct {
	Compression    Compression
	ChangelogLimit int
	DataFile       string
	DataSize       int64
	Packages       []cachedPkg
	Chunks         []cachedChunk
}

// record locates bytes in the data file.
type record struct {
	off  int64
	lens [3]int
	crc  uint32
}

func (r record) size() int64 { return int64(r.lens[0] + r.lens[1] + r.lens[2]) }

// cache is an open createrepo cache for one run.
type cache struct {
	dir     string
	opt     Options
	old     *cacheIndex // nil when starting afresh
	pkgs    map[string]*cachedPkg
	chunks  map[[32]byte]cachedChunk
	mapping []byte // the data file as it was when opened (read-only)

	full []byte // the whole data file after this run's appends

	mu       sync.Mutex
	f        *os.File
	dataName string
	size     int64
}

func (c *cache) path(name string) string { return filepath.Join(c.dir, cacheDir, name) }

// openCache opens the cache of dir. With reuse false (a full run) the old
// cache is ignored and replaced when the run saves.
func openCache(dir string, opt Options, reuse bool) (*cache, error) {
	c := &cache{dir: dir, opt: opt, pkgs: map[string]*cachedPkg{}, chunks: map[[32]byte]cachedChunk{}}
	if err := os.MkdirAll(filepath.Join(dir, cacheDir), 0o755); err != nil {
		return nil, fmt.Errorf("creating cache folder: %w", err)
	}
	var loadErr error
	if reuse {
		loadErr = c.load()
		if loadErr != nil {
			c.old, c.mapping = nil, nil
			c.pkgs, c.chunks = map[string]*cachedPkg{}, map[[32]byte]cachedChunk{}
		}
	}
	if c.old == nil {
		c.dataName = "createrepo-" + strconv.FormatInt(int64(os.Getpid()), 36) + "-" + randomSuffix() + ".data"
		f, err := os.OpenFile(c.path(c.dataName), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("creating cache data: %w", err)
		}
		c.f = f
	}
	return c, loadErr
}

func randomSuffix() string {
	var b [6]byte
	f, err := os.Open("/dev/urandom")
	if err == nil {
		f.Read(b[:])
		f.Close()
	}
	return fmt.Sprintf("%x", b)
}

func (c *cache) load() error {
	raw, err := os.ReadFile(c.path(indexFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no cache yet in %s", c.path(""))
		}
		return fmt.Errorf("reading cache index: %w", err)
	}
	if !bytes.HasPrefix(raw, []byte(cacheMagic)) {
		return fmt.Errorf("cache in %s is from another version", c.path(""))
	}
	var idx cacheIndex
	if err := gob.NewDecoder(bytes.NewReader(raw[len(cacheMagic):])).Decode(&idx); err != nil {
		return fmt.Errorf("decoding cache index: %w", err)
	}
	if idx.Compression != c.opt.Compression || idx.ChangelogLimit != c.opt.ChangelogLimit {
		return fmt.Errorf("cache was made with other options")
	}
	if idx.DataFile == "" || strings.ContainsAny(idx.DataFile, `/\`) {
		return fmt.Errorf("cache index names no valid data file")
	}
	f, err := os.OpenFile(c.path(idx.DataFile), os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("opening cache data: %w", err)
	}
	st, err := f.Stat()
	if err != nil || st.Size() < idx.DataSize {
		f.Close()
		return fmt.Errorf("cache data is shorter than its index says")
	}
	// Bytes past DataSize belong to a run that did not finish saving.
	if err := f.Truncate(idx.DataSize); err != nil {
		f.Close()
		return fmt.Errorf("trimming cache data: %w", err)
	}
	m, err := mapFile(f, idx.DataSize)
	if err != nil {
		f.Close()
		return err
	}
	within := func(r record) bool {
		return r.off >= 0 && r.lens[0] >= 0 && r.lens[1] >= 0 && r.lens[2] >= 0 && r.off+r.size() <= idx.DataSize
	}
	for i := range idx.Packages {
		p := &idx.Packages[i]
		if !within(record{p.Off, p.Lens, p.CRC}) {
			unmapFile(m)
			f.Close()
			return fmt.Errorf("cache index is inconsistent")
		}
		c.pkgs[p.Href] = p
	}
	for _, ch := range idx.Chunks {
		if within(record{ch.Off, ch.Lens, ch.CRC}) {
			c.chunks[ch.Key] = ch
		}
	}
	c.old, c.mapping, c.f, c.dataName, c.size = &idx, m, f, idx.DataFile, idx.DataSize
	return nil
}

func split3(b []byte, lens [3]int) [3][]byte {
	a, f, o := lens[0], lens[1], lens[2]
	return [3][]byte{b[:a:a], b[a : a+f : a+f], b[a+f : a+f+o : a+f+o]}
}

// lookup returns the cached fragments of an unchanged file.
func (c *cache) lookup(f found) (Entry, bool) {
	p, ok := c.pkgs[f.rel]
	if !ok || p.Size != f.size || p.MTime != f.mtime {
		return Entry{}, false
	}
	b := c.mapping[p.Off : p.Off+int64(p.Lens[0]+p.Lens[1]+p.Lens[2])]
	if crc32.Checksum(b, castagnoli) != p.CRC {
		return Entry{}, false
	}
	s := split3(b, p.Lens)
	return Entry{Key: f.rel, ID: p.ID, Digest: p.Digest, Frag: Fragments{Primary: s[0], Filelists: s[1], Other: s[2]}}, true
}

// chunk returns a cached compressed chunk.
func (c *cache) chunk(key [32]byte, n int) (*Chunk, bool) {
	ch, ok := c.chunks[key]
	if !ok || ch.N != n {
		return nil, false
	}
	b := c.mapping[ch.Off : ch.Off+int64(ch.Lens[0]+ch.Lens[1]+ch.Lens[2])]
	if crc32.Checksum(b, castagnoli) != ch.CRC {
		return nil, false
	}
	return &Chunk{Key: key, N: n, Data: split3(b, ch.Lens)}, true
}

// add appends records, each of three byte slices, to the data file in one
// write; only the reservation of the space is serialised.
func (c *cache) add(items ...[3][]byte) ([]record, error) {
	n := 0
	for _, it := range items {
		n += len(it[0]) + len(it[1]) + len(it[2])
	}
	c.mu.Lock()
	base := c.size
	c.size += int64(n)
	c.mu.Unlock()
	buf := make([]byte, 0, n)
	recs := make([]record, len(items))
	for i, it := range items {
		r := record{off: base + int64(len(buf))}
		for k, p := range it {
			r.lens[k] = len(p)
			r.crc = crc32.Update(r.crc, castagnoli, p)
			buf = append(buf, p...)
		}
		recs[i] = r
	}
	if _, err := c.f.WriteAt(buf, base); err != nil {
		return nil, fmt.Errorf("writing cache data: %w", err)
	}
	return recs, nil
}

// mapAll maps the data file with everything appended so far.
func (c *cache) mapAll() ([]byte, error) {
	m, err := mapFile(c.f, c.size)
	if err != nil {
		return nil, err
	}
	c.full = m
	return m, nil
}

// close releases the mappings and the data file.
func (c *cache) close() {
	if c.full != nil {
		unmapFile(c.full)
		c.full = nil
	}
	if c.mapping != nil {
		unmapFile(c.mapping)
		c.mapping = nil
	}
	if c.f != nil {
		c.f.Close()
		c.f = nil
	}
}

// save writes the index for this run's entries and chunks. Records of
// packages and chunks that are gone stay in the data file until it holds
// more dead than live bytes; then the live ones are copied to a new file.
func (c *cache) save(files []found, entries []Entry, recs []record, chunks map[[32]byte]record, chunkN map[[32]byte]int) error {
	idx := cacheIndex{Compression: c.opt.Compression, ChangelogLimit: c.opt.ChangelogLimit, DataFile: c.dataName}
	var live int64
	idx.Packages = make([]cachedPkg, len(entries))
	for i, e := range entries {
		r := recs[i]
		idx.Packages[i] = cachedPkg{Href: e.Key, Size: files[i].size, MTime: files[i].mtime, ID: e.ID, Digest: e.Digest, Off: r.off, Lens: r.lens, CRC: r.crc}
		live += r.size()
	}
	for k, r := range chunks {
		idx.Chunks = append(idx.Chunks, cachedChunk{Key: k, N: chunkN[k], Off: r.off, Lens: r.lens, CRC: r.crc})
		live += r.size()
	}
	if c.size > 2*live+(16<<20) {
		if err := c.compact(&idx); err != nil {
			return err
		}
	} else {
		idx.DataSize = c.size
	}
	var buf bytes.Buffer
	buf.WriteString(cacheMagic)
	if err := gob.NewEncoder(&buf).Encode(&idx); err != nil {
		return fmt.Errorf("encoding cache index: %w", err)
	}
	if err := writeFileAtomic(c.path(indexFile), buf.Bytes()); err != nil {
		return err
	}
	// Data files of earlier generations are no longer named by the index.
	des, _ := os.ReadDir(c.path(""))
	for _, de := range des {
		n := de.Name()
		if strings.HasSuffix(n, ".data") && n != idx.DataFile {
			os.Remove(c.path(n))
		}
	}
	return nil
}

// compact copies the live records into a new data file.
func (c *cache) compact(idx *cacheIndex) error {
	name := "createrepo-" + randomSuffix() + ".data"
	nf, err := os.OpenFile(c.path(name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("compacting cache: %w", err)
	}
	defer nf.Close()
	var off int64
	buf := make([]byte, 0, 1<<20)
	move := func(o int64, lens [3]int) (int64, error) {
		n := lens[0] + lens[1] + lens[2]
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		b := buf[:n]
		if _, err := c.f.ReadAt(b, o); err != nil {
			return 0, err
		}
		if _, err := nf.WriteAt(b, off); err != nil {
			return 0, err
		}
		at := off
		off += int64(n)
		return at, nil
	}
	for i := range idx.Packages {
		p := &idx.Packages[i]
		if p.Off, err = move(p.Off, p.Lens); err != nil {
			return fmt.Errorf("compacting cache: %w", err)
		}
	}
	for i := range idx.Chunks {
		ch := &idx.Chunks[i]
		if ch.Off, err = move(ch.Off, ch.Lens); err != nil {
			return fmt.Errorf("compacting cache: %w", err)
		}
	}
	idx.DataFile, idx.DataSize = name, off
	return nil
}
