package release_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/publish"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
)

type env struct {
	cat *catalog.Service
	st  *sqlstore.Store
	pub *publish.Publisher
	rel *release.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, _ := blob.NewDir(filepath.Join(dir, "blobs"))
	pub := publish.New(st, filepath.Join(dir, "repos"), nil, nil)
	return &env{cat: &catalog.Service{Store: st, Blobs: catalog.LocalBlobs(bl)}, st: st, pub: pub,
		rel: &release.Service{Store: st, Publisher: pub}}
}

func (e *env) build(t *testing.T, name, version, category string) string {
	t.Helper()
	var b bytes.Buffer
	if err := corpus.WriteRPM(&b, corpus.PackageSpec{Name: name, Version: version, Release: "1", Summary: "s", License: "MIT",
		BuildTime: time.Unix(1700000000, 0), Files: []corpus.File{{Path: "/usr/share/" + name + "/f", Content: []byte(version)}}}); err != nil {
		t.Fatal(err)
	}
	a, _, err := e.cat.IngestAs(context.Background(), &b, name, "t", category)
	if err != nil {
		t.Fatal(err)
	}
	return a.BuildID
}

func TestLifeCycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r10, err := e.rel.Create(ctx, release.Spec{Name: "10.0", BaseOS: "Rocky Linux 8"})
	if err != nil {
		t.Fatal(err)
	}
	if !r10.Development || r10.Phase != "planning" || r10.Major != 10 || r10.BaseName != "Rocky Linux" || r10.BaseVersion != "8" {
		t.Errorf("first release = %+v", r10)
	}
	if got := r10.EOL.Format("2006-01-02"); got != "2029-05-31" {
		t.Errorf("EOL defaults to %s, want Rocky Linux 8's 2029-05-31", got)
	}
	chans, _ := e.st.Channels(ctx, "10.0")
	var names []string
	for _, c := range chans {
		names = append(names, c.ClientName)
		if c.PublishedAt.IsZero() {
			t.Errorf("channel %s not published at creation", c.Name)
		}
	}
	if strings.Join(names, " ") != "smeos smeupdates smeupdates-testing smeaddons smetest smedev" {
		t.Errorf("channels = %v", names)
	}
	lib := e.build(t, "e-smith-lib", "1", "core")
	if _, err := e.cat.ChangeChannel(ctx, "10.0", "os", []string{lib}, nil, "t"); err != nil {
		t.Fatal(err)
	}
	// A minor release of the same base starts with the previous one's content.
	r101, err := e.rel.Create(ctx, release.Spec{Name: "10.1", BaseOS: "Rocky Linux 8.9"})
	if err != nil {
		t.Fatal(err)
	}
	if r101.Development || r101.FromRelease != "10.0" {
		t.Errorf("10.1 = %+v", r101)
	}
	if bs, _ := e.st.ChannelBuilds(ctx, "10.1", "os", 1); fmt.Sprint(bs) != "[e-smith-lib-1-1]" {
		t.Errorf("10.1 os starts with %v", bs)
	}
	lib2 := e.build(t, "e-smith-lib", "2", "core")
	if _, err := e.cat.ChangeChannel(ctx, "10.1", "os", []string{lib2}, []string{lib}, "t"); err != nil {
		t.Fatal(err)
	}
	prev, changes, err := e.rel.Changes(ctx, "10.1")
	if err != nil || prev == nil || prev.Name != "10.0" || len(changes) != 1 || changes[0].Before != lib || changes[0].After != lib2 {
		t.Errorf("changes since 10.0 = %v %+v %v", prev, changes, err)
	}
	if _, err := e.rel.Create(ctx, release.Spec{Name: "ten", Version: "10.1", BaseOS: "Rocky Linux 8"}); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("a second 10.1: %v", err)
	}

	r11, err := e.rel.Create(ctx, release.Spec{Name: "11.0", BaseOS: "Rocky Linux 9"})
	if err != nil {
		t.Fatal(err)
	}
	if r11.FromRelease != "" {
		t.Errorf("a new major release copied from %s", r11.FromRelease)
	}
	refuse := func(name, phase, want string) {
		t.Helper()
		_, err := e.rel.SetPhase(ctx, name, phase)
		if !errors.Is(err, catalog.ErrConflict) && !errors.Is(err, catalog.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("SetPhase(%s, %s) = %v, want a refusal saying %q", name, phase, err, want)
		}
	}
	refuse("11.0", "alpha", "must be final before release 11.0 starts its alpha")
	refuse("10.0", "maintenance", "maintained only after it is final")
	refuse("10.0", "bogus", "the phases are")
	refuse("10.0", "eol", "development branch")
	for _, p := range []string{"alpha", "beta", "rc", "final"} {
		if _, err := e.rel.SetPhase(ctx, "10.0", p); err != nil {
			t.Fatalf("10.0 -> %s: %v", p, err)
		}
	}
	refuse("10.0", "beta", "never goes back")
	// Final froze the install channel: recorded digest, no more changes,
	// no more publishing.
	os10, _ := e.st.Channel(ctx, "10.0", "os")
	want, _ := e.rel.Digest(ctx, "10.0", "os", os10.Version)
	if !os10.Frozen || os10.FrozenDigest != want || len(want) != 64 {
		t.Errorf("os of a final release: frozen=%v digest=%q (want %q)", os10.Frozen, os10.FrozenDigest, want)
	}
	if _, err := e.cat.ChangeChannel(ctx, "10.0", "os", nil, []string{lib}, "t"); !errors.Is(err, catalog.ErrConflict) || !strings.Contains(err.Error(), "frozen") {
		t.Errorf("changing a frozen os: %v", err)
	}
	if _, err := e.pub.Publish(ctx, "10.0", "os", 0); err != nil {
		t.Errorf("publishing a frozen channel's own version should be a no-op: %v", err)
	}
	if _, err := e.cat.ChangeChannel(ctx, "10.0", "updates", []string{lib2}, nil, "t"); err != nil {
		t.Errorf("updates of a final release must stay open: %v", err)
	}
	// The next release's first alpha moves the development branch.
	if _, err := e.rel.SetPhase(ctx, "11.0", "alpha"); err != nil {
		t.Fatal(err)
	}
	r10, _ = e.st.Release(ctx, "10.0")
	r11, _ = e.st.Release(ctx, "11.0")
	if r10.Development || r10.Phase != "maintenance" || !r11.Development || r11.PhaseDates["alpha"].IsZero() {
		t.Errorf("after 11.0 alpha: 10.0=%s dev=%v, 11.0 dev=%v", r10.Phase, r10.Development, r11.Development)
	}
	all, _ := e.st.Releases(ctx)
	dev := 0
	for _, r := range all {
		if r.Development {
			dev++
		}
	}
	if dev != 1 {
		t.Errorf("%d development branches", dev)
	}
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.rel.Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	// test keeps the two newest builds of a package (SME policy).
	c, _ := e.st.Channel(ctx, "10", "test")
	if c.Retention != 2 {
		t.Fatalf("test channel retention %d, want the policy's 2", c.Retention)
	}
	var ids []string
	for _, v := range []string{"1.0", "1.10", "1.2"} {
		ids = append(ids, e.build(t, "mailstats", v, "test"))
	}
	for _, id := range ids {
		if _, err := e.cat.ChangeChannel(ctx, "10", "test", []string{id}, nil, "t"); err != nil {
			t.Fatal(err)
		}
	}
	c, _ = e.st.Channel(ctx, "10", "test")
	got, _ := e.st.ChannelBuilds(ctx, "10", "test", c.Version)
	if fmt.Sprint(got) != "[mailstats-1.10-1 mailstats-1.2-1]" {
		t.Errorf("test keeps %v, want the two newest by rpm's ordering (1.10 and 1.2)", got)
	}
}
