//go:build integration

package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smeserver/smeforge/client"
)

// TestPublishWhileReading publishes a channel over and over, one build
// going in and out, while dnf (each run with an empty cache) and a Go
// reader fetch the repository. Publishing switches repositories in one
// step, so every read must succeed and see the channel before a change or
// after it, never a mix, and every file repomd.xml names must be there
// with the checksum it gives.
func TestPublishWhileReading(t *testing.T) {
	t.Parallel()
	requireDNF(t)
	tmp := t.TempDir()
	s := startServer(t, filepath.Join(tmp, "data"))
	ctx := context.Background()
	admin := s.client(t, true)

	// Four builds stay in 10/os; pw-flip (two binaries) comes and goes.
	var baseFiles, flipFiles []string
	var baseBuilds []string
	upload := func(paths []string) string {
		build := ""
		for _, p := range paths {
			res, err := admin.UploadFile(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			build = res.Package.Build
		}
		return build
	}
	for _, name := range []string{"pw-a", "pw-b", "pw-c", "pw-d"} {
		paths := simpleBuild(t, filepath.Join(tmp, "rpms"), name, "1.0", "1", name)
		baseFiles = append(baseFiles, paths[1:]...)
		baseBuilds = append(baseBuilds, upload(paths))
	}
	flipPaths := simpleBuild(t, filepath.Join(tmp, "rpms"), "pw-flip", "2.0", "3", "pw-flip", "pw-flip-extra")
	flipFiles = flipPaths[1:]
	flip := upload(flipPaths)

	if _, err := admin.CreateRelease(ctx, "10", "Rocky Linux 8", nil); err != nil {
		t.Fatal(err)
	}
	for _, b := range append(append([]string{}, baseBuilds...), flip) {
		if _, err := admin.SetBuildCategory(ctx, b, "core"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.AddBuilds(ctx, "10", "os", baseBuilds...); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatal(err)
	}
	without := rpmNEVRAs(t, baseFiles)
	with := rpmNEVRAs(t, append(slices.Clone(baseFiles), flipFiles...))

	// The writer: add pw-flip, publish, remove it, publish ... until the
	// readers are done (at least minPublishes times), for at most a minute.
	const minPublishes = 30
	var publishes atomic.Int64
	readersDone := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		deadline := time.Now().Add(time.Minute)
		in := false
		for {
			select {
			case <-readersDone:
				if publishes.Load() >= minPublishes {
					return
				}
			default:
			}
			if time.Now().After(deadline) {
				t.Errorf("the writer stopped at its deadline after %d publishes", publishes.Load())
				return
			}
			var err error
			if in {
				_, err = admin.RemoveBuild(ctx, "10", "os", flip)
			} else {
				_, err = admin.AddBuilds(ctx, "10", "os", flip)
			}
			if err != nil {
				t.Errorf("changing 10/os (pw-flip in: %v) after %d publishes: %v", in, publishes.Load(), err)
				return
			}
			in = !in
			if _, err := admin.Publish(ctx, "10", "os", 0); err != nil {
				t.Errorf("publish #%d of 10/os: %v", publishes.Load()+1, err)
				return
			}
			publishes.Add(1)
		}
	}()

	// The Go reader: repomd.xml, then at once every file it names.
	var wg sync.WaitGroup
	wg.Go(func() {
		const iterations = 200
		repos := []struct {
			base string
			ok   []int // the package counts of the two states
		}{
			{"/repo/10/os/x86_64/", []int{len(without), len(with)}},
			{"/repo/10/os/source/", []int{len(baseBuilds), len(baseBuilds) + 1}},
		}
		seen := map[string]map[int]int{}
		failures := 0
		for i := range iterations {
			r := repos[i%len(repos)]
			n, err := checkRepoSnapshot(s, r.base)
			if err == nil && !slices.Contains(r.ok, n) {
				err = fmt.Errorf("%s: primary.xml lists %d packages, want %v", r.base, n, r.ok)
			}
			if err != nil {
				t.Errorf("Go reader, iteration %d (after %d publishes): %v", i, publishes.Load(), err)
				if failures++; failures == 5 {
					return
				}
				continue
			}
			if seen[r.base] == nil {
				seen[r.base] = map[int]int{}
			}
			seen[r.base][n]++
		}
		t.Logf("Go reader: %d snapshots checked; package counts seen: %v", iterations, seen)
	})

	// dnf: makecache with an empty cache, then repoquery from that cache.
	const dnfRuns = 10
	url := s.url + "/repo/10/os/x86_64/"
	overlapped := 0
	states := map[string]int{}
	for i := range dnfRuns {
		cache := filepath.Join(tmp, fmt.Sprintf("cache-%d", i))
		before := publishes.Load()
		_, err := runDNF(cache, append(repoFromPath("sme10os", url), "makecache")...)
		var out string
		if err == nil {
			out, err = runDNF(cache, append(repoFromPath("sme10os", url), "-C", "repoquery", "--available", "--qf", nevraQF+"\n")...)
		}
		if publishes.Load() != before {
			overlapped++
		}
		if err != nil {
			t.Errorf("dnf run %d (publishes %d to %d): %v", i, before, publishes.Load(), err)
			continue
		}
		got := sortedLines(out)
		switch {
		case slices.Equal(got, without):
			states["without pw-flip"]++
		case slices.Equal(got, with):
			states["with pw-flip"]++
		default:
			t.Errorf("dnf run %d (publishes %d to %d) lists a mix of two states: %q\nwithout pw-flip: %s\nwith pw-flip: %s",
				i, before, publishes.Load(), got, diffSets(got, without), diffSets(got, with))
		}
	}
	wg.Wait()
	close(readersDone)
	<-writerDone
	t.Logf("%d publishes; %d of %d dnf runs overlapped a publish; states dnf saw: %v", publishes.Load(), overlapped, dnfRuns, states)
	if overlapped == 0 {
		t.Errorf("no dnf run overlapped a publish: the test checked nothing")
	}

	// Publishing at once from several clients: each call publishes or is
	// refused with 409 while another one runs; none fails otherwise.
	var pubWG sync.WaitGroup
	var published, refused atomic.Int64
	for range 6 {
		pubWG.Go(func() {
			_, err := admin.Publish(ctx, "10", "os", 0)
			var ae *client.APIError
			switch {
			case err == nil:
				published.Add(1)
			case errors.As(err, &ae) && ae.Status == http.StatusConflict && strings.Contains(ae.Message, "being published"):
				refused.Add(1)
			default:
				t.Errorf("publishing 10/os from 6 clients at once: %v", err)
			}
		})
	}
	pubWG.Wait()
	t.Logf("6 publishes at once: %d done, %d refused with 409", published.Load(), refused.Load())
	if published.Load() == 0 {
		t.Errorf("of 6 publishes at once, none was done")
	}

	// At rest, the repository is the channel's latest version.
	ci, err := admin.Channel(ctx, "10", "os")
	if err != nil {
		t.Fatal(err)
	}
	if ci.Channel.PublishedVersion != ci.Channel.Version {
		t.Errorf("10/os: published version %d, latest %d", ci.Channel.PublishedVersion, ci.Channel.Version)
	}
	want := without
	if slices.Contains(ci.Builds, flip) {
		want = with
	}
	got := sortedLines(dnf(t, filepath.Join(tmp, "cache-final"), append(repoFromPath("sme10os", url), "repoquery", "--available", "--qf", nevraQF+"\n")...))
	if d := diffSets(got, want); d != "" {
		t.Errorf("after publishing, dnf lists: %s", d)
	}
	for _, b := range baseBuilds {
		if !slices.Contains(ci.Builds, b) {
			t.Errorf("10/os lost build %s: it holds %q", b, ci.Builds)
		}
	}
}
