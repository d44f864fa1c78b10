// Package repodata turns RPM packages into the repository metadata that
// dnf, yum and zypper read (repomd.xml, primary, filelists, other), the way
// createrepo_c does, and writes it so that a reader never sees a mix of two
// generations. It owns the XML fragments kept per package and the
// createrepo command's cache.
package repodata

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smeserver/smeforge/internal/rpm"
)

// Options of Build, the createrepo command.
type Options struct {
	Dir            string
	Update         bool // reuse what the cache knows of unchanged files
	Compression    Compression
	Workers        int
	ChangelogLimit int
	// Progress, when set, is called as packages are read.
	Progress func(done, total int)
	Logger   *slog.Logger
	Now      func() time.Time
}

// Result says what Build did.
type Result struct {
	Packages      int
	Read          int // packages whose file was read
	Reused        int // packages taken from the cache
	ChunksReused  int
	ChunksWritten int
	Files         []DataFile
	Timings       Timings
}

// Timings break a run down by stage, to see what bounds it.
type Timings struct {
	Scan, Read, Compress, Write, Cache time.Duration
}

type found struct {
	rel   string
	abs   string
	size  int64
	mtime int64 // nanoseconds
}

// Build scans opt.Dir for *.rpm files and writes opt.Dir/repodata.
func Build(ctx context.Context, opt Options) (*Result, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.Compression == "" {
		opt.Compression = Gzip
	}
	if opt.Workers <= 0 {
		opt.Workers = defaultWorkers()
	}
	st, err := os.Stat(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("createrepo: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("createrepo: %s is not a folder", opt.Dir)
	}
	var tm Timings
	t0 := time.Now()
	files, err := scan(ctx, opt.Dir)
	if err != nil {
		return nil, err
	}
	tm.Scan = time.Since(t0)
	t0 = time.Now()

	// A full run starts a new cache; an update reuses the old one.
	cache, err := openCache(opt.Dir, opt, opt.Update)
	if err != nil && opt.Update {
		log.Warn("createrepo cache not used; reading every package", "err", err)
	}
	if cache != nil {
		defer cache.close()
	} else {
		log.Warn("createrepo cache unavailable", "err", err)
	}

	// Chunk boundaries depend only on the file names, so each worker can
	// take a whole chunk: read its packages, render them and compress the
	// chunk, with no barrier between reading and compressing. What a worker
	// renders goes to the cache's data file at once and is read back from
	// the mapping later, which keeps the heap small.
	entries := make([]Entry, len(files))
	for i, f := range files {
		entries[i].Key = f.rel
	}
	groups := splitChunks(entries)
	starts := make([]int, len(groups))
	for i, n := 1, 0; i < len(groups); i++ {
		n += len(groups[i-1])
		starts[i] = n
	}
	cp, err := newCompressor(opt.Compression)
	if err != nil {
		return nil, err
	}
	if cp.zenc != nil {
		defer cp.zenc.Close()
	}
	recs := make([]record, len(files))
	remap := make([]bool, len(files))
	var (
		done, read atomic.Int64
		cmu        sync.Mutex
		chunkRecs  = map[[32]byte]record{}
		chunkN     = map[[32]byte]int{}
		chunks     = make(ChunkSet, len(groups))
		compressed int
		dropped    atomic.Bool
	)
	ropt := RenderOptions{ChangelogLimit: opt.ChangelogLimit}
	err = parallel(ctx, opt.Workers, len(groups), func(gi int) error {
		g := groups[gi]
		var fresh []int
		for x := range g {
			i := starts[gi] + x
			f := files[i]
			if cache != nil && cache.old != nil {
				if e, ok := cache.lookup(f); ok {
					g[x] = e
					p := cache.pkgs[f.rel]
					recs[i] = record{off: p.Off, lens: p.Lens, crc: p.CRC}
					continue
				}
			}
			p, err := rpm.ReadFileWith(f.abs, rpm.ReadOptions{SkipPayloadDigest: true})
			if err != nil {
				return fmt.Errorf("createrepo: %w", err)
			}
			fr := Render(p, Location{Href: f.rel, MTime: f.mtime / int64(time.Second)}, ropt)
			g[x] = Entry{Key: f.rel, ID: p.SHA256, Frag: fr, Digest: FragmentDigest(fr)}
			fresh = append(fresh, x)
			read.Add(1)
			if opt.Progress != nil {
				opt.Progress(int(done.Add(1)), len(files))
			}
		}
		key := chunkKey(opt.Compression, g)
		var ch *Chunk
		var chRec record
		cached := false
		if cache != nil && cache.old != nil {
			if c, ok := cache.chunk(key, len(g)); ok {
				ch, cached = c, true
				old := cache.chunks[key]
				chRec = record{off: old.Off, lens: old.Lens, crc: old.CRC}
			}
		}
		if ch == nil {
			ch = cp.compressChunk(g)
		}
		if cache != nil && !dropped.Load() {
			items := make([][3][]byte, 0, len(fresh)+1)
			for _, x := range fresh {
				e := &g[x]
				items = append(items, [3][]byte{e.Frag.Primary, e.Frag.Filelists, e.Frag.Other})
			}
			if !cached {
				items = append(items, ch.Data)
			}
			rs, err := cache.add(items...)
			if err != nil {
				log.Warn("createrepo cache not written", "err", err)
				dropped.Store(true)
			} else {
				// The bytes now live in the data file; drop the heap copies
				// and read them back through the mapping (remapped below).
				for j, x := range fresh {
					recs[starts[gi]+x] = rs[j]
					g[x].Frag = Fragments{}
					remap[starts[gi]+x] = true
				}
				if !cached {
					chRec = rs[len(rs)-1]
					ch = &Chunk{Key: ch.Key, N: ch.N}
				}
			}
		}
		cmu.Lock()
		chunks[key] = ch
		chunkRecs[key] = chRec
		chunkN[key] = len(g)
		if !cached {
			compressed++
		}
		cmu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cache != nil && !dropped.Load() {
		m, err := cache.mapAll()
		if err != nil {
			return nil, err
		}
		for i, r := range recs {
			if remap[i] {
				f := split3(m[r.off:], r.lens)
				entries[i].Frag = Fragments{Primary: f[0], Filelists: f[1], Other: f[2]}
			}
		}
		for k, ch := range chunks {
			if ch.Data[0] == nil && ch.Data[1] == nil {
				r := chunkRecs[k]
				ch.Data = split3(m[r.off:], r.lens)
			}
		}
	}
	tm.Read = time.Since(t0)
	wr, err := Write(ctx, opt.Dir, entries, chunks, WriteOptions{Compression: opt.Compression, Workers: opt.Workers, Now: opt.Now})
	if err != nil {
		return nil, err
	}
	tm.Compress, tm.Write = wr.CompressTime, wr.WriteTime
	t0 = time.Now()
	if cache != nil && !dropped.Load() {
		if err := cache.save(files, entries, recs, chunkRecs, chunkN); err != nil {
			// The repository is already correct; only the next update is slower.
			log.Warn("could not save the createrepo cache", "err", err)
		}
	}
	tm.Cache = time.Since(t0)
	return &Result{
		Timings: tm, Packages: len(entries), Read: int(read.Load()), Reused: len(entries) - int(read.Load()),
		ChunksReused: len(groups) - compressed, ChunksWritten: compressed, Files: wr.Files,
	}, nil
}

// scan lists the *.rpm files below dir, sorted by relative path; hidden
// folders and the top-level repodata folder are skipped.
func scan(ctx context.Context, dir string) ([]found, error) {
	var out []found
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("createrepo: scanning %s: %w", path, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if path != dir && (strings.HasPrefix(d.Name(), ".") || rel == "repodata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".rpm") || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		var info fs.FileInfo
		if d.Type()&fs.ModeSymlink != 0 {
			info, err = os.Stat(path)
		} else {
			info, err = d.Info()
		}
		if err != nil {
			return fmt.Errorf("createrepo: %s: %w", path, err)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		out = append(out, found{rel: filepath.ToSlash(rel), abs: path, size: info.Size(), mtime: info.ModTime().UnixNano()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out, nil
}
