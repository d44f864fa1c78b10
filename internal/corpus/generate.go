package corpus

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Options configures Generate.
type Options struct {
	// Dir receives the packages; it is created if missing.
	Dir string
	// Count is the number of binary packages to write.
	Count int
	// Seed makes the corpus reproducible: the same seed, count and model
	// give byte-identical files.
	Seed int64
	// Model is the population to draw from; nil means SyntheticModel().
	Model *Model
	// Workers is the number of packages written in parallel; zero or less
	// means runtime.GOMAXPROCS(0).
	Workers int
}

// Generate writes opt.Count binary RPMs into opt.Dir and returns their
// paths in a stable order. Names, versions and the dependency graph come
// from the model. When Count exceeds the model's size it adds updates, which
// rebuild every package of an SRPM at a newer version, subpackages (-devel,
// -libs, -doc, -tools, pythonN-, perl-, name-WORD) and name-compatN
// packages. A requirement is kept only when another generated package
// satisfies it, so the corpus is closed (also among the newest packages)
// but for about one package in 200 that requires something from "another
// repository" (epel-release, perl(JSON::XS) ...). Payloads are
// zstd-compressed (see corpusCompressor). Each file is named
// name-version-release.arch.rpm and written atomically (temporary file,
// then rename). The context is checked between packages; on an error or
// cancellation Generate stops and returns the error without the paths.
func Generate(ctx context.Context, opt Options) ([]string, error) {
	if opt.Count < 0 {
		return nil, fmt.Errorf("corpus: negative count %d", opt.Count)
	}
	if opt.Count == 0 {
		return nil, nil
	}
	model := opt.Model
	if model == nil {
		model = SyntheticModel()
	}
	pkgs, err := plan(model, opt.Count, opt.Seed)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("corpus: creating %s: %w", opt.Dir, err)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(pkgs))

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	paths := make([]string, len(pkgs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				p := filepath.Join(opt.Dir, pkgs[i].fileName())
				if err := writeFile(p, buildSpec(&pkgs[i], opt.Seed)); err != nil {
					cancel(err)
					continue
				}
				paths[i] = p
			}
		})
	}
feed:
	for i := range pkgs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("corpus: generating %d packages in %s: %w", opt.Count, opt.Dir, err)
		}
		return nil, err
	}
	return paths, nil
}

// corpusCompressor is the payload compressor of generated packages.
// rpmpack's gzip writer (pgzip) keeps megabyte buffers in a sync.Pool of
// its own that outlives the writer by two collections; over thousands of
// packages the heap goal climbs with them (3 GB RSS for 20,000 packages).
// The zstd writer stays near 60 MB at the same speed. rpm reads zstd
// payloads since 4.14; Demo keeps gzip for older ones.
const corpusCompressor = "zstd:fastest"

// writeFile writes one package to a temporary file and renames it into
// place, so an interrupted run leaves no half-written package behind.
func writeFile(path string, spec PackageSpec) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".corpus-*.tmp")
	if err != nil {
		return fmt.Errorf("corpus: writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err := WriteRPM(bw, spec); err != nil {
		return fmt.Errorf("corpus: writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("corpus: writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("corpus: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("corpus: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("corpus: writing %s: %w", path, err)
	}
	return nil
}
