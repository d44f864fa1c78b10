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

	var cache *cacheData
	if opt.Update {
		cache, err = loadCache(cachePath(opt.Dir), opt)
		if err != nil {
			log.Warn("createrepo cache not used; reading every package", "err", err)
			cache = nil
		}
	}

	entries := make([]Entry, len(files))
	var todo []int
	for i, f := range files {
		if cache != nil {
			if c, ok := cache.pkgs[f.rel]; ok && c.Size == f.size && c.MTime == f.mtime {
				entries[i] = Entry{Key: f.rel, ID: c.ID, Digest: c.Digest, Frag: cache.fragments(c)}
				continue
			}
		}
		todo = append(todo, i)
	}
	var done atomic.Int64
	ropt := RenderOptions{ChangelogLimit: opt.ChangelogLimit}
	err = parallel(ctx, opt.Workers, len(todo), func(j int) error {
		f := files[todo[j]]
		p, err := rpm.ReadFile(f.abs)
		if err != nil {
			return fmt.Errorf("createrepo: %w", err)
		}
		fr := Render(p, Location{Href: f.rel, MTime: f.mtime / int64(time.Second)}, ropt)
		entries[todo[j]] = Entry{Key: f.rel, ID: p.SHA256, Frag: fr, Digest: FragmentDigest(fr)}
		if opt.Progress != nil {
			opt.Progress(int(done.Add(1)), len(todo))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	tm.Read = time.Since(t0)
	var prev ChunkSet
	if cache != nil {
		prev = cache.chunks
	}
	wr, err := Write(ctx, opt.Dir, entries, prev, WriteOptions{Compression: opt.Compression, Workers: opt.Workers, Now: opt.Now})
	if err != nil {
		return nil, err
	}
	tm.Compress, tm.Write = wr.CompressTime, wr.WriteTime
	t0 = time.Now()
	if err := saveCache(cachePath(opt.Dir), opt, files, entries, wr.Chunks); err != nil {
		// The repository is already correct; only the next update is slower.
		log.Warn("could not save the createrepo cache", "err", err)
	}
	tm.Cache = time.Since(t0)
	return &Result{
		Timings: tm, Packages: len(entries), Read: len(todo), Reused: len(entries) - len(todo),
		ChunksReused: wr.ChunksReused, ChunksWritten: wr.ChunksWritten, Files: wr.Files,
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
