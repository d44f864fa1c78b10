package publish_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/publish"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
)

func setup(t *testing.T, n int) (*catalog.Service, *sqlstore.Store, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, _ := blob.NewDir(filepath.Join(dir, "blobs"))
	svc := &catalog.Service{Store: st, Blobs: catalog.LocalBlobs(bl)}
	var ids []string
	for i := 0; i < n; i++ {
		for _, src := range []bool{false, true} {
			var b bytes.Buffer
			name := fmt.Sprintf("pkg%03d", i)
			path := "/usr/share/" + name + "/f"
			if src {
				path = name + ".spec"
			}
			err := corpus.WriteRPM(&b, corpus.PackageSpec{Name: name, Version: "1.0", Release: "1", Arch: "noarch", Source: src,
				Summary: "s", License: "MIT", BuildTime: time.Unix(1700000000, 0),
				Files: []corpus.File{{Path: path, Content: []byte(name)}}})
			if err != nil {
				t.Fatal(err)
			}
			a, _, err := svc.IngestAs(ctx, &b, name, "t", "core")
			if err != nil {
				t.Fatal(err)
			}
			if !src {
				ids = append(ids, a.BuildID)
			}
		}
	}
	if _, err := (&release.Service{Store: st}).Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ChangeChannel(ctx, "10", "os", ids, nil, "t"); err != nil {
		t.Fatal(err)
	}
	return svc, st, filepath.Join(dir, "repos")
}

var primaryRe = regexp.MustCompile(`href="(repodata/[0-9a-f]{64}-primary\.xml\.gz)"`)

// names reads the package names in a published primary.xml.
func names(t *testing.T, repo string) []string {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(repo, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	m := primaryRe.FindSubmatch(md)
	if m == nil {
		t.Fatalf("no primary in %s", md)
	}
	z, err := os.ReadFile(filepath.Join(repo, string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	var doc struct {
		Packages []struct {
			Name string `xml:"name"`
			Arch string `xml:"arch"`
		} `xml:"package"`
	}
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range doc.Packages {
		out = append(out, p.Name+"."+p.Arch)
	}
	return out
}

func TestPublishVersionsAndMemo(t *testing.T) {
	ctx := context.Background()
	svc, st, root := setup(t, 150)
	pub := publish.New(st, root, nil, nil)
	res, err := pub.Publish(ctx, "10", "os", 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 1 || res.Repos["x86_64"].Packages != 150 || res.Repos["source"].Packages != 150 {
		t.Fatalf("publish = %+v", res)
	}
	if _, err := svc.ChangeChannel(ctx, "10", "os", nil, []string{"pkg007-1.0-1"}, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatal(err)
	}
	// What the memo-backed publisher wrote equals what a fresh one writes.
	withMemo := names(t, pub.Dir("10", "os", "x86_64"))
	fresh := publish.New(st, t.TempDir(), nil, nil)
	if _, err := fresh.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprint(withMemo), fmt.Sprint(names(t, fresh.Dir("10", "os", "x86_64"))); a != b {
		t.Errorf("memo publish differs from fresh publish:\n%s\n%s", a, b)
	}
	if len(withMemo) != 149 {
		t.Errorf("%d packages after removing one of 150", len(withMemo))
	}
	// Rolling back publishes version 1 again, with the package back.
	if _, err := pub.Publish(ctx, "10", "os", 1); err != nil {
		t.Fatal(err)
	}
	if got := len(names(t, pub.Dir("10", "os", "x86_64"))); got != 150 {
		t.Errorf("version 1 republished with %d packages", got)
	}
	ch, _ := st.Channel(ctx, "10", "os")
	if ch.PublishedVersion != 1 || ch.Version != 2 {
		t.Errorf("channel pointers = %d/%d", ch.PublishedVersion, ch.Version)
	}
	for _, tc := range []struct {
		channel string
		version int64
		kind    error
	}{{"nope", 0, catalog.ErrNotFound}, {"os", 9, catalog.ErrNotFound}} {
		if _, err := pub.Publish(ctx, "10", tc.channel, tc.version); !errors.Is(err, tc.kind) {
			t.Errorf("Publish(%s, %d) = %v, want %v", tc.channel, tc.version, err, tc.kind)
		}
	}
}

func TestPublishConcurrentIsBusyNotBroken(t *testing.T) {
	ctx := context.Background()
	_, st, root := setup(t, 40)
	pub := publish.New(st, root, nil, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := pub.Publish(ctx, "10", "os", 0)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, catalog.ErrBusy):
			t.Errorf("concurrent publish failed: %v", err)
		}
	}
	if ok == 0 {
		t.Error("no publish succeeded")
	}
	if got := len(names(t, pub.Dir("10", "os", "x86_64"))); got != 40 {
		t.Errorf("%d packages published", got)
	}
}
