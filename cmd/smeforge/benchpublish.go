package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/sign"
	"github.com/smeserver/smeforge/internal/signing"
	"github.com/spf13/cobra"
)

// newDevBenchPublishCmd measures publishing: a channel holding a whole
// corpus is published once (cold), then a build is added and the channel
// published again, several times; the median of those is the figure the
// server issue names (a 20,000-package channel after one change).
func newDevBenchPublishCmd() *cobra.Command {
	var (
		dataDir string
		runs    int
	)
	c := &cobra.Command{
		Use:   "bench-publish [--runs N] CORPUS_DIR",
		Short: "Measure publishing a large channel after one change",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return benchPublish(cmd.Context(), args[0], dataDir, runs)
		},
	}
	c.Flags().StringVar(&dataDir, "data", "", "data folder to use (default: a new temporary one, removed afterwards)")
	c.Flags().IntVar(&runs, "runs", 5, "publishes after one change to measure")
	return c
}

func benchPublish(ctx context.Context, corpusDir, dataDir string, runs int) error {
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "smeforge-bench-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	}
	f, err := openForge(ctx, dataDir, nil, nil, signing.Options{KeyType: sign.KeyEdDSA})
	if err != nil {
		return err
	}
	defer f.store.Close()
	var files []string
	filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if p != corpusDir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "repodata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".rpm") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	if len(files) == 0 {
		return fmt.Errorf("no RPMs in %s", corpusDir)
	}
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	builds := map[string]bool{}
	var firstErr error
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				fh, err := os.Open(files[i])
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				a, _, err := f.cat.Ingest(ctx, fh, files[i], "bench")
				fh.Close()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil {
					builds[a.BuildID] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	ingest := time.Since(start)
	if _, err := f.rel.Create(ctx, release.Spec{Name: "bench", Version: "1.0", BaseOS: "Bench OS 1"}); err != nil {
		return err
	}
	ids := make([]string, 0, len(builds))
	for id := range builds {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if _, err := f.cat.ChangeChannel(ctx, "bench", "dev", ids, nil, "bench"); err != nil {
		return err
	}
	cold, err := f.pub.Publish(ctx, "bench", "dev", 0)
	if err != nil {
		return err
	}
	var times []float64
	for r := 0; r < runs; r++ {
		var buf bytes.Buffer
		name := fmt.Sprintf("bench-extra-%d", r)
		err := corpus.WriteRPM(&buf, corpus.PackageSpec{Name: name, Version: "1.0", Release: "1", Arch: "noarch",
			Summary: "one more package", License: "MIT", BuildTime: time.Unix(1700000000, 0),
			Files: []corpus.File{{Path: "/usr/share/" + name + "/README", Content: []byte("hello\n")}}})
		if err != nil {
			return err
		}
		a, _, err := f.cat.Ingest(ctx, &buf, name+".rpm", "bench")
		if err != nil {
			return err
		}
		if _, err := f.cat.ChangeChannel(ctx, "bench", "dev", []string{a.BuildID}, nil, "bench"); err != nil {
			return err
		}
		res, err := f.pub.Publish(ctx, "bench", "dev", 0)
		if err != nil {
			return err
		}
		times = append(times, res.Seconds)
	}
	sorted := append([]float64(nil), times...)
	sort.Float64s(sorted)
	out := map[string]any{
		"packages": len(files), "builds": len(ids), "ingest_seconds": ingest.Seconds(),
		"cold_publish_seconds": cold.Seconds, "publish_after_one_change_seconds": times,
		"median_seconds": sorted[len(sorted)/2],
	}
	enc := json.NewEncoder(os.Stdout)
	return enc.Encode(out)
}
