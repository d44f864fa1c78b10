package promote_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/promote"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
)

// fakeDNF records what it was asked to install and checks the repository
// it was given is a real one (repomd.xml and the package files).
type fakeDNF struct {
	ok       bool
	packages []string
	repoOK   bool
}

func (f *fakeDNF) Install(ctx context.Context, root, reposdir string, pkgs []string) (string, bool, error) {
	f.packages = pkgs
	conf, _ := os.ReadFile(filepath.Join(reposdir, "install-test.repo"))
	for _, l := range strings.Split(string(conf), "\n") {
		if dir, ok := strings.CutPrefix(l, "baseurl=file://"); ok {
			_, err1 := os.Stat(filepath.Join(dir, "repodata", "repomd.xml"))
			m, _ := filepath.Glob(filepath.Join(dir, "Packages", "*.rpm"))
			f.repoOK = err1 == nil && len(m) > 0
		}
	}
	return "fake dnf transcript", f.ok, nil
}

func writeRPM(t *testing.T, spec corpus.PackageSpec) []byte {
	t.Helper()
	if spec.License == "" {
		spec.License = "MIT"
	}
	spec.Summary, spec.BuildTime = "test package", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if spec.Arch == "" {
		spec.Arch = "noarch"
	}
	var b bytes.Buffer
	if err := corpus.WriteRPM(&b, spec); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestEvaluateAndInstallTest evaluates the gates of real requests on a
// real database: an idle maintainer, an unallowed licence and a missing
// test fail with words naming the cause; an install test (fake dnf, real
// repository) meets the tested gate.
func TestEvaluateAndInstallTest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bd, err := blob.NewDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	pol := policy.Default()
	cat := &catalog.Service{Policy: pol, Store: st, Blobs: catalog.LocalBlobs(bd)}
	rel := &release.Service{Store: st, Channels: release.TemplatesFromPolicy(pol)}
	if _, err := rel.Create(ctx, release.Spec{Name: "11", BaseOS: "Rocky Linux 9", Arches: []string{"x86_64"}}); err != nil {
		t.Fatal(err)
	}
	dnf := &fakeDNF{ok: true}
	svc := &promote.Service{Policy: pol, Store: st, Retention: cat, Installer: dnf, Blobs: bd, TempDir: dir}
	if _, err := st.EnsureAccount(ctx, "carol", false, time.Now()); err != nil {
		t.Fatal(err)
	}
	carol := &catalog.Account{Name: "carol", Roles: []string{"maintainer"}}
	for _, spec := range []corpus.PackageSpec{
		{Name: "gt", Version: "1", Release: "1", Source: true, License: "Beerware-ish", Files: []corpus.File{{Path: "gt.spec", Content: []byte("x")}}},
		{Name: "gt", Version: "1", Release: "1", SourceRPM: "gt-1-1.src.rpm", Files: []corpus.File{{Path: "/usr/share/gt/a", Content: []byte("a")}}},
	} {
		a, _, err := cat.Ingest(ctx, bytes.NewReader(writeRPM(t, spec)), spec.Name, "carol")
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.JoinProject(ctx, a.BuildID, "carol"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cat.SetCategory(ctx, "gt-1-1", "test"); err != nil {
		t.Fatal(err)
	}
	r, err := svc.Open(ctx, carol, promote.OpenInput{Build: "gt-1-1", Release: "11", From: "test", To: "addons"})
	if err != nil {
		t.Fatal(err)
	}
	gates := map[string]promote.GateResult{}
	for _, g := range r.LatestGates() {
		gates[g.Gate] = g
	}
	for gate, want := range map[string]string{
		"maintainer": "project gt has no maintainer who signed in within the last 365 days (disabled or idle: carol)",
		"licence":    `gt-1-1.src (License "Beerware-ish"`,
		"tested":     `0 "works" report(s)`,
	} {
		if g := gates[gate]; g.OK || !strings.Contains(g.Summary, want) {
			t.Errorf("gate %s: ok=%v %q, want a failure saying %q", gate, g.OK, g.Summary, want)
		}
	}
	for _, gate := range []string{"rpm-and-srpm", "fork", "layering", "closure"} {
		if g := gates[gate]; !g.OK {
			t.Errorf("gate %s failed: %s", gate, g.Summary)
		}
	}
	if r.State != promote.StateOpen {
		t.Errorf("state %s with failing gates", r.State)
	}

	// An install test from the would-be content of addons meets "tested".
	it, err := svc.InstallTest(ctx, carol, "gt-1-1", "11", "addons")
	if err != nil {
		t.Fatal(err)
	}
	if !it.OK || !slices.Equal(dnf.packages, []string{"gt"}) || !dnf.repoOK {
		t.Errorf("install test: ok=%v, dnf asked for %v, repository written %v", it.OK, dnf.packages, dnf.repoOK)
	}
	gs, err := svc.Evaluate(ctx, r, promote.RoundOpen)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Gate == "tested" && (!g.OK || g.Evidence.InstallTest != it.ID) {
			t.Errorf("tested gate after a passed install test: %v %q (evidence %+v)", g.OK, g.Summary, g.Evidence)
		}
	}
	// A failed install test does not.
	dnf.ok = false
	if it, err = svc.InstallTest(ctx, carol, "gt-1-1", "11", "addons"); err != nil || it.OK {
		t.Fatalf("failed install test: %+v %v", it, err)
	}
	gs, _ = svc.Evaluate(ctx, r, promote.RoundOpen)
	for _, g := range gs {
		if g.Gate == "tested" && (g.OK || !strings.Contains(g.Summary, "failed")) {
			t.Errorf("tested gate after a failed install test: %v %q", g.OK, g.Summary)
		}
	}
	// Executing is refused, naming the failing gates, and changes nothing.
	_, err = svc.Execute(ctx, &catalog.Account{Name: "carol", Roles: []string{"maintainer"}}, r.ID)
	if err == nil || !strings.Contains(err.Error(), "maintainer (") || !strings.Contains(err.Error(), "licence (") {
		t.Errorf("execute with failing gates: %v", err)
	}
	if b, _ := st.Build(ctx, "gt-1-1"); b.Category != "test" {
		t.Errorf("a refused execution moved the build to %s", b.Category)
	}
}
