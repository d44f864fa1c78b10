package catalog_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/rpmpack"
	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
	"github.com/smeserver/smeforge/internal/testutil"
)

type pkg struct {
	name, version, release, arch string
	source                       bool
	body                         string
}

func makeRPM(t *testing.T, p pkg) []byte {
	t.Helper()
	r, err := rpmpack.NewRPM(rpmpack.RPMMetaData{Name: p.name, Version: p.version, Release: p.release, Arch: p.arch,
		Summary: "summary of " + p.name, Licence: "MIT", BuildTime: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if p.source {
		r.AddCustomTag(1106, rpmpack.EntryUint32([]uint32{1}))
	} else {
		r.AddCustomTag(1044, rpmpack.EntryString(p.name+"-"+p.version+"-"+p.release+".src.rpm"))
	}
	r.AddFile(rpmpack.RPMFile{Name: "/usr/share/" + p.name + "/data", Body: []byte(p.body), Mode: 0o100644})
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func newService(t *testing.T) (*catalog.Service, *sqlstore.Store, *blob.Dir) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dir, "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, err := blob.NewDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return &catalog.Service{Store: st, Blobs: catalog.LocalBlobs(bl), MaxUpload: 1 << 20}, st, bl
}

func countBlobs(t *testing.T, bl *blob.Dir) int {
	n := 0
	if err := bl.List(context.Background(), func(string) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	tmp, _ := os.ReadDir(filepath.Join(bl.Root(), "tmp"))
	return n + len(tmp)
}

func TestIngest(t *testing.T) {
	ctx := context.Background()
	svc, st, bl := newService(t)
	bin := makeRPM(t, pkg{name: "hello", version: "1.0", release: "1", arch: "noarch", body: "a"})
	src := makeRPM(t, pkg{name: "hello", version: "1.0", release: "1", arch: "noarch", source: true, body: "s"})

	a, created, err := svc.Ingest(ctx, bytes.NewReader(bin), "hello.rpm", "tester")
	if err != nil || !created {
		t.Fatalf("first ingest: created=%v err=%v", created, err)
	}
	if a.BuildID != "hello-1.0-1" || a.Filename != "hello-1.0-1.noarch.rpm" {
		t.Errorf("artifact = %+v", a)
	}
	if _, created, err = svc.Ingest(ctx, bytes.NewReader(bin), "again.rpm", "tester"); err != nil || created {
		t.Errorf("same file again: created=%v err=%v, want a no-op", created, err)
	}
	s, created, err := svc.Ingest(ctx, bytes.NewReader(src), "hello.src.rpm", "tester")
	if err != nil || !created || !s.Source || s.Arch != "src" {
		t.Fatalf("srpm: %+v created=%v err=%v", s, created, err)
	}
	b, err := st.Build(ctx, "hello-1.0-1")
	if err != nil || !b.HasSource || len(b.Artifacts) != 2 {
		t.Fatalf("build = %+v, %v", b, err)
	}
	if got := countBlobs(t, bl); got != 2 {
		t.Errorf("%d blobs stored, want 2", got)
	}

	// Bad inputs change nothing.
	other := makeRPM(t, pkg{name: "hello", version: "1.0", release: "1", arch: "noarch", body: "different"})
	noise := make([]byte, 2<<20)
	rand.Read(noise) // incompressible, so that the file really is large
	big := makeRPM(t, pkg{name: "big", version: "1", release: "1", arch: "noarch", body: string(noise)})
	for _, tc := range []struct {
		name string
		data []byte
		kind error
		want string
	}{
		{"not-an-rpm.rpm", []byte("hello world, not a package"), catalog.ErrInvalid, "not an RPM"},
		{"truncated.rpm", bin[:len(bin)/2], catalog.ErrInvalid, "truncated"},
		{"conflict.rpm", other, catalog.ErrConflict, "different content"},
		{"big.rpm", big, catalog.ErrTooLarge, "upload limit"},
	} {
		_, _, err := svc.Ingest(ctx, bytes.NewReader(tc.data), tc.name, "tester")
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %v saying %q", tc.name, err, tc.kind, tc.want)
		}
		if tc.kind == catalog.ErrInvalid && !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s: error %q does not name the file", tc.name, err)
		}
	}
	if got := countBlobs(t, bl); got != 2 {
		t.Errorf("after bad uploads %d blobs/temp files, want 2", got)
	}
	rows, total, err := st.SearchPackages(ctx, catalog.Query{})
	if err != nil || total != 2 || len(rows) != 2 {
		t.Errorf("catalog after bad uploads: %d rows, total %d, %v", len(rows), total, err)
	}
}

func TestReleasesAndChannels(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	for _, p := range []pkg{
		{name: "a", version: "1", release: "1", arch: "noarch"},
		{name: "b", version: "1", release: "1", arch: "x86_64"},
		{name: "c", version: "1", release: "1", arch: "aarch64"},
		{name: "a", version: "1", release: "1", arch: "noarch", source: true},
	} {
		if _, _, err := svc.IngestAs(ctx, bytes.NewReader(makeRPM(t, p)), p.name, "t", "core"); err != nil {
			t.Fatal(err)
		}
	}
	rel := &release.Service{Store: st}
	if _, err := rel.Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	chans, err := st.Channels(ctx, "10")
	if err != nil || len(chans) != len(release.SMEChannels()) || chans[0].Name != "os" {
		t.Fatalf("channels = %+v, %v", chans, err)
	}
	v, err := svc.ChangeChannel(ctx, "10", "os", []string{"a-1-1", "b-1-1", "c-1-1"}, nil, "t")
	if err != nil || v.Version != 1 {
		t.Fatalf("add: %+v %v", v, err)
	}
	if _, err := svc.ChangeChannel(ctx, "10", "os", []string{"a-1-1"}, nil, "t"); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("adding twice: %v", err)
	}
	if _, err := svc.ChangeChannel(ctx, "10", "os", []string{"nope-1-1"}, nil, "t"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("adding unknown build: %v", err)
	}
	if _, err := svc.ChangeChannel(ctx, "10", "nochannel", []string{"a-1-1"}, nil, "t"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("unknown channel: %v", err)
	}
	if _, err := svc.ChangeChannel(ctx, "10", "os", nil, []string{"b-1-1"}, "t"); err != nil {
		t.Fatal(err)
	}
	// Versions are immutable: version 1 still has b, version 2 does not.
	for _, tc := range []struct {
		version int64
		arch    string
		want    string
	}{
		{1, "x86_64", "a-1-1.noarch.rpm b-1-1.x86_64.rpm"},
		{2, "x86_64", "a-1-1.noarch.rpm"},
		{2, "aarch64", "a-1-1.noarch.rpm c-1-1.aarch64.rpm"},
		{2, "source", "a-1-1.src.rpm"},
		{0, "x86_64", ""},
	} {
		es, err := st.RepoEntries(ctx, "10", "os", tc.version, tc.arch)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range es {
			names = append(names, e.Filename)
		}
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("version %d %s = %q, want %q", tc.version, tc.arch, got, tc.want)
		}
	}
	hist, err := st.ChannelVersions(ctx, "10", "os")
	if err != nil || len(hist) != 3 || hist[0].Change != "removed b-1-1" {
		t.Errorf("history = %+v, %v", hist, err)
	}
	rows, _, err := st.SearchPackages(ctx, catalog.Query{Text: "A", Release: "10", Channel: "os"})
	if err != nil || len(rows) != 2 || len(rows[0].Channels) != 1 {
		t.Errorf("search a in 10/os = %+v, %v", rows, err)
	}
}

func TestCategories(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	ingest := func(p pkg, cat string) *catalog.Artifact {
		a, _, err := svc.IngestAs(ctx, bytes.NewReader(makeRPM(t, p)), p.name, "t", cat)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// Never seen before: dev. A new build of a known package keeps its
	// package's category; the SRPM joins its build's.
	a := ingest(pkg{name: "newpkg", version: "1", release: "1", arch: "noarch"}, "")
	if a.Category != "dev" {
		t.Errorf("new package in %q, want dev", a.Category)
	}
	if _, err := svc.SetCategory(ctx, a.BuildID, "core"); err != nil {
		t.Fatal(err)
	}
	b := ingest(pkg{name: "newpkg", version: "2", release: "1", arch: "noarch"}, "")
	if b.Category != "core" {
		t.Errorf("new build of a core package in %q, want core", b.Category)
	}
	s := ingest(pkg{name: "newpkg", version: "2", release: "1", arch: "noarch", source: true}, "")
	if s.Category != "core" {
		t.Errorf("SRPM of a core build in %q", s.Category)
	}
	if _, err := svc.SetCategory(ctx, a.BuildID, "nonsense"); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("unknown category: %v", err)
	}
	if _, _, err := svc.IngestAs(ctx, bytes.NewReader(makeRPM(t, pkg{name: "x", version: "1", release: "1", arch: "noarch"})), "x", "t", "bogus"); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("upload with an unknown category: %v", err)
	}
	// A channel refuses a build of a category it does not accept, and says why.
	if _, err := (&release.Service{Store: st}).Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	d := ingest(pkg{name: "devpkg", version: "1", release: "1", arch: "noarch"}, "")
	_, err := svc.ChangeChannel(ctx, "10", "addons", []string{d.BuildID}, nil, "t")
	if !errors.Is(err, catalog.ErrConflict) || !strings.Contains(err.Error(), "category dev") || !strings.Contains(err.Error(), "only accepts addons") {
		t.Errorf("dev build into addons: %v", err)
	}
	if _, err := svc.ChangeChannel(ctx, "10", "dev", []string{d.BuildID}, nil, "t"); err != nil {
		t.Errorf("dev build into dev: %v", err)
	}
}

func TestCheckReport(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	testdata := testutil.SharedTestdata(t, "sme", "rpms")
	// The real smeserver-release obsoletes perl-RPM and pident: with those
	// in base it is a fork of both; its licence "GPL" is allowed.
	for _, p := range []pkg{{name: "perl-RPM", version: "1", release: "1", arch: "noarch"}, {name: "pident", version: "1", release: "1", arch: "noarch"}} {
		if _, _, err := svc.IngestAs(ctx, bytes.NewReader(makeRPM(t, p)), p.name, "t", "base"); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(filepath.Join(testdata, "smeserver-release-8.0-0.beta6.noarch.rpm"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, _, err := svc.IngestAs(ctx, f, "smeserver-release", "t", "core")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&release.Service{Store: st}).Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ChangeChannel(ctx, "10", "os", []string{a.BuildID, "perl-RPM-1-1", "pident-1-1"}, nil, "t"); err != nil {
		t.Fatal(err)
	}
	rep, err := svc.Check(ctx, "10", nil)
	if err != nil {
		t.Fatal(err)
	}
	joined := fmt.Sprint(rep.Forks)
	if !strings.Contains(joined, "perl-RPM") || !strings.Contains(joined, "pident") {
		t.Errorf("forks = %+v, want smeserver-release reported as a fork of perl-RPM and pident", rep.Forks)
	}
	if len(rep.Unresolved) == 0 {
		t.Error("smeserver-release's requirements cannot all be met by three packages, yet closure found nothing")
	}
	if rep.Packages != 3 {
		t.Errorf("checked %d packages", rep.Packages)
	}
	// The seed's question, answered in words.
	ans, err := svc.Where(ctx, "10", "sendmail")
	if err != nil || ans.Found || ans.Sentence != "sendmail is not part of SME Server 10: no channel of the release carries it and its base OS does not provide it." {
		t.Errorf("Where(sendmail) = %+v, %v", ans, err)
	}
	ans, err = svc.Where(ctx, "10", "smeserver-release")
	if err != nil || !ans.Found || len(ans.Places) != 1 || ans.Places[0].Channel != "os" || !strings.Contains(ans.Sentence, "26:8.0-0.beta6 noarch in channel os (core)") {
		t.Errorf("Where(smeserver-release) = %+v, %v", ans, err)
	}
}
