//go:build integration

package integration

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/testutil"
)

// The closure peer test: on the same repository, `smeforge dev closure`
// must list exactly the unresolved requirements `dnf repoclosure` lists,
// package by package, in each of repoclosure's modes.

// closureModes pairs repoclosure's options with smeforge's.
var closureModes = []struct {
	name           string
	dnf, smeforge  []string
	notOnGenerated bool
}{
	{name: "default", dnf: []string{"--setopt=best=0"}},
	{name: "best", dnf: []string{"--setopt=best=1"}, smeforge: []string{"--best"}},
	{name: "newest", dnf: []string{"--setopt=best=0", "--newest"}, smeforge: []string{"--newest"}},
	{name: "arch", dnf: []string{"--setopt=best=0", "--arch", "x86_64", "--arch", "noarch"}, smeforge: []string{"--arch", "x86_64", "--arch", "noarch"}},
}

// repoclosure runs dnf repoclosure on the repository in dir with a fresh
// cache and returns its findings as "NEVRA | requirement" lines, sorted.
func repoclosure(t *testing.T, dir string, opts ...string) []string {
	t.Helper()
	cache := t.TempDir()
	args := []string{
		"-q", "--setopt=reposdir=/dev/null", "--setopt=cachedir=" + cache, "--setopt=logdir=" + cache,
		"--releasever=1", "--repofrompath=t,file://" + dir, "--repo=t", "--setopt=t.gpgcheck=0",
		"--setopt=skip_if_unavailable=0",
		// repoclosure is a plugin: plugins stay on (no --noplugins).
		"repoclosure", "--check", "t",
	}
	r := run(t, nil, "dnf", append(args, opts...)...)
	if strings.Contains(r.stderr, "Traceback") || strings.Contains(r.stderr, "No such command") ||
		strings.Contains(r.stderr, "Failed to download metadata") {
		t.Fatalf("dnf repoclosure on %s:\n%s", dir, r.stderr)
	}
	lines := parseRepoclosure(t, r.stdout)
	if (r.code != 0) != (len(lines) > 0) {
		t.Fatalf("dnf repoclosure exit %d with %d findings:\n%s\n%s", r.code, len(lines), r.stdout, r.stderr)
	}
	return lines
}

// smeforgeClosure runs `smeforge dev closure` and parses it the same way.
func smeforgeClosure(t *testing.T, dir string, opts ...string) []string {
	t.Helper()
	r := smeforge(t, append(append([]string{"dev", "closure"}, opts...), dir)...)
	assertNoPanic(t, r)
	lines := parseRepoclosure(t, r.stdout)
	if want := map[bool]int{false: 0, true: 1}[len(lines) > 0]; r.code != want {
		t.Fatalf("smeforge dev closure exit %d with %d findings:\n%s\n%s", r.code, len(lines), r.stdout, r.stderr)
	}
	return lines
}

// parseRepoclosure reads repoclosure's report: "package: NEVRA from REPO",
// "  unresolved deps (N):", then N lines "    REQUIREMENT".
func parseRepoclosure(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	pkg, left := "", 0
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "package: "):
			if left != 0 {
				t.Fatalf("package %s: %d requirements missing in\n%s", pkg, left, out)
			}
			f := strings.Fields(l)
			if len(f) != 4 || f[2] != "from" {
				t.Fatalf("unexpected line %q", l)
			}
			pkg = f[1]
		case strings.HasPrefix(l, "  unresolved deps ("):
			n := strings.TrimSuffix(strings.TrimPrefix(l, "  unresolved deps ("), "):")
			if _, err := fmt.Sscan(n, &left); err != nil {
				t.Fatalf("unexpected line %q", l)
			}
		case strings.HasPrefix(l, "    "):
			if pkg == "" || left == 0 {
				t.Fatalf("requirement line %q outside a package", l)
			}
			lines = append(lines, pkg+" | "+strings.TrimPrefix(l, "    "))
			left--
		case strings.TrimSpace(l) == "":
		default:
			t.Fatalf("unexpected line %q in\n%s", l, out)
		}
	}
	slices.Sort(lines)
	return lines
}

// compareClosures runs both in every mode on dir and fails on any
// difference; it returns repoclosure's default findings.
func compareClosures(t *testing.T, dir string) []string {
	t.Helper()
	var first []string
	for _, m := range closureModes {
		want := repoclosure(t, dir, m.dnf...)
		got := smeforgeClosure(t, dir, m.smeforge...)
		if d := diffLabeled(got, want, "smeforge dev closure", "dnf repoclosure"); d != "" {
			t.Errorf("%s: %s mode: %s", filepath.Base(dir), m.name, d)
		}
		if first == nil {
			first = want
		}
	}
	return first
}

// closureSpecs exercise what closure has to get right, each against what
// dnf does: versions (epochs, releases, ~ and ^), files, directories and
// ghosts, provided paths, config(), rich dependencies of every kind (also
// unparsable ones), self-requirements createrepo_c drops, libc.so.6,
// rpmlib(), duplicates that libsolv unifies, bad epochs, several
// architectures, several versions of a name and source packages.
func closureSpecs() []corpus.PackageSpec {
	f := func(path string) corpus.File { return corpus.File{Path: path, Content: []byte(path)} }
	return []corpus.PackageSpec{
		{Name: "prov-a", Version: "1.0", Release: "1",
			Provides: []string{"cap-a = 2.0", "config(weird) = 1"},
			Files: []corpus.File{f("/opt/a/file"), {Path: "/opt/a/ghost", Flags: corpus.FileGhost}, f("/usr/bin/tool-a"),
				{Path: "/opt/a/dir", Mode: fs.ModeDir}}},
		{Name: "prov-b", Epoch: 1, Version: "2.0", Release: "1", Provides: []string{"cap-b"}},
		{Name: "prov-c", Version: "1.0~rc1", Release: "1", Arch: "x86_64",
			Provides: []string{"cap-tilde = 1.0~rc1", "cap-caret = 1.0^git1"}},
		{Name: "virt", Version: "1", Release: "1", Provides: []string{"/virtual/path"}},
		{Name: "shared", Version: "1", Release: "1", Arch: "i686", Provides: []string{"libshared.so.1"},
			Files: []corpus.File{{Path: "/opt/a/dir", Mode: fs.ModeDir}, f("/usr/bin/tool-a"), f("/usr/lib/shared/only")}},
		{Name: "rich", Version: "1.0", Release: "1", Arch: "x86_64", Requires: []string{
			"(prov-a and missing-and)", "(missing-and2 and prov-a)", "(prov-a or missing-or)", "(missing-or1 or missing-or2)",
			"(missing-if1 if prov-a)", "(prov-a if missing-cond)", "(missing-if2 if missing-cond2)",
			"(missing-ite if prov-a else prov-b)", "(missing-ite2 if prov-a else missing-else)",
			"(missing-unl unless prov-a)", "(prov-a unless missing-x)", "(missing-ue unless prov-a else missing-ue2)",
			"(missing-ue3 unless prov-a else virt)",
			"(prov-a with cap-a)", "(prov-a with prov-b)", "(prov-a without cap-a)", "(prov-a without prov-b)",
			"(cap-a >= 3 or cap-b > 0:1)", "(cap-a >= 3 or cap-b < 0:1)", "((missing-n1 and missing-n2) or (prov-a and prov-b))",
			"(prov-b >= 1:2 and (cap-a < 3 or missing-n3))", "(missing-n4 and (missing-n5 or missing-n6))",
			"(/opt/a/file or missing-f)", "(/opt/missing/f1 or /opt/missing/f2)", "(/usr/bin/tool-a without /opt/a/file)",
			"(/usr/lib/shared/only with libshared.so.1)",
			"(a and b and (c or d))", "(gone1 and (gone2 and gone3))",
			"(missing-x >= 0:1.0 or missing-y <= 2:3-4)", "(prov-a >= 0:1.0 and missing-z = 1:0-0)",
			"(prov-a and prov-b or virt)", "(prov-a if prov-b unless virt)", "(prov-a or)",
		}},
		{Name: "files", Version: "1.0", Release: "1", Requires: []string{
			"/opt/a/dir", "/opt/a/file", "/opt/a/ghost", "/opt/a", "/opt/missing/file", "/usr/bin/missing-bin",
			"/usr/bin/tool-a", "/virtual/path", "/etc/files.conf", "/usr/share/files/data", "/usr/sbin/files-own",
			"config(weird)", "config(weird) >= 2", "config(missing)",
		}, Files: []corpus.File{f("/etc/files.conf"), f("/usr/share/files/data"), f("/usr/sbin/files-own")}},
		{Name: "vers", Version: "1.0", Release: "1", Requires: []string{
			"cap-a >= 2.0", "cap-a > 2.0", "cap-a = 2.0-5", "cap-a < 2.0-1", "prov-b >= 2.0", "prov-b >= 1:2.0",
			"prov-b = 1:2.0-1", "prov-b = 1:2.0-2", "prov-b < 1:3", "prov-b >= 0:1", "prov-b >= 2:0", "cap-b >= 99",
			"cap-tilde >= 1.0", "cap-tilde >= 1.0~a", "cap-caret > 1.0", "cap-caret >= 1.0.1",
			"prov-c = 1.0~rc1-1", "prov-c(x86-64) = 1.0~rc1-1",
			"vers >= 2", "vers = 1.0-1", "vers < 1.0",
			"missing-plain >= 0:1.2", "missing-epoch >= 3:1.2-4",
			"dup >= 0:1", "dup >= 1", "dup >= 1", "badepoch >= x:1.0", "weird-ver >= 1.2:3",
		}},
		{Name: "libc-user", Version: "1", Release: "1", Arch: "x86_64", Requires: []string{
			"libc.so.6()(64bit)", "libc.so.6(GLIBC_2.14)(64bit)", "libc.so.6(GLIBC_2.2.5)(64bit)", "libc.so.6(GLIBC_2.3.4)(64bit)",
		}},
		{Name: "selfreq", Version: "1", Release: "1", Provides: []string{"selfcap = 1"},
			Requires: []string{"selfcap = 1", "selfcap > 1", "/etc/selfreq.conf", "/usr/share/selfreq/data"},
			Files:    []corpus.File{f("/etc/selfreq.conf"), f("/usr/share/selfreq/data")}},
		{Name: "old", Version: "1", Release: "1", Provides: []string{"cap-old = 1"}, Requires: []string{"gone-in-old", "/etc/old.conf"},
			Files: []corpus.File{f("/etc/old.conf")}},
		{Name: "old", Version: "2", Release: "1", Provides: []string{"cap-old = 2"}},
		{Name: "needold", Version: "1", Release: "1", Requires: []string{"cap-old = 1", "old < 2", "old", "twin(x86-64) = 1-1"}},
		{Name: "twin", Version: "1", Release: "1", Arch: "x86_64", Provides: []string{"twin(x86-64) = 1-1"}, Requires: []string{"twin-gone"}},
		{Name: "twin", Version: "1", Release: "1", Arch: "i686", Requires: []string{"twin-gone"}},
		{Name: "twin", Version: "0.9", Release: "1", Arch: "x86_64", Requires: []string{"twin-old-gone"}},
		// Newest and best compare versions per architecture: archy 1 is
		// the newest x86_64 one although archy 2 exists for i686.
		{Name: "archy", Version: "2", Release: "1", Arch: "i686", Requires: []string{"archy-gone-2"}},
		{Name: "archy", Version: "1", Release: "1", Arch: "x86_64", Requires: []string{"archy-gone-1"}},
		{Name: "archy", Version: "0.5", Release: "1", Arch: "x86_64", Provides: []string{"archy-old-cap"}},
		{Name: "needarchy", Version: "1", Release: "1", Requires: []string{"archy-old-cap", "archy = 1-1", "archy > 1"}},
		{Name: "srcpkg", Version: "1.0", Release: "1", Source: true,
			Requires: []string{"prov-a", "missing-buildreq >= 2", "(prov-a or missing-x)", "srcthing", "rpmlib(RichDependencies) <= 4.12.0-1"},
			Files:    []corpus.File{{Path: "srcpkg.spec", Content: []byte("Name: srcpkg\n"), Flags: corpus.FileSpec}}},
		{Name: "srcthing", Version: "1", Release: "1", Source: true},
		// A source package newer than the binaries of its name.
		{Name: "old", Version: "3", Release: "1", Source: true, Requires: []string{"old-builddep"}},
	}
}

func TestClosureMatchesRepoclosure(t *testing.T) {
	testutil.RequireTool(t, "createrepo_c")
	testutil.RequireTool(t, "dnf")
	t.Run("edge-cases", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "edge")
		writeSpecs(t, dir, closureSpecs())
		mustRun(t, "createrepo_c", "--no-database", "--quiet", dir)
		want := compareClosures(t, dir)
		// The cases are worth having only if dnf finds things in them.
		for _, s := range []string{
			"rich-1.0-1.x86_64 | (prov-a with prov-b)", "files-1.0-1.noarch | /opt/a", "vers-1.0-1.noarch | vers >= 2",
			"libc-user-1-1.x86_64 | libc.so.6(GLIBC_2.14)(64bit)", "srcpkg-1.0-1.src | missing-buildreq >= 2",
		} {
			if !slices.Contains(want, s) {
				t.Errorf("dnf repoclosure does not report %q; the test data lost a case:\n%s", s, strings.Join(want, "\n"))
			}
		}
		for _, s := range []string{"archy-1-1.x86_64 | archy-gone-1", "archy-2-1.i686 | archy-gone-2"} {
			if !slices.Contains(repoclosure(t, dir, "--newest"), s) {
				t.Errorf("dnf repoclosure --newest does not report %q", s)
			}
		}
		// smeforge's own metadata must give dnf the same view, but for
		// dependencies whose epoch is not a number: createrepo_c leaves
		// them out, smeforge createrepo (internal/repodata) keeps them.
		own := filepath.Join(t.TempDir(), "own")
		copyTree(t, dir, own)
		createrepo(t, own)
		onOwn := slices.DeleteFunc(repoclosure(t, own, "--setopt=best=0"), func(s string) bool {
			return strings.HasSuffix(s, " | badepoch >= x:1.0") || strings.HasSuffix(s, " | weird-ver >= 1.2:3")
		})
		if d := diffLabeled(onOwn, want, "on smeforge's metadata", "on createrepo_c's"); d != "" {
			t.Errorf("dnf repoclosure differs with smeforge createrepo: %s", d)
		}
	})
	t.Run("generated-specs", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "generated")
		writeGenerated(t, dir)
		mustRun(t, "createrepo_c", "--no-database", "--quiet", dir)
		compareClosures(t, dir)
	})
	t.Run("sme-rpms", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "sme")
		copyInto(t, dir, sharedRPMs(t)...)
		mustRun(t, "createrepo_c", "--no-database", "--quiet", dir)
		if want := compareClosures(t, dir); len(want) == 0 {
			t.Errorf("the real SME packages have requirements outside the set; repoclosure found none")
		}
	})
	for _, c := range []struct {
		name  string
		count int
		seed  int64
		model func(t *testing.T) *corpus.Model
	}{
		{"corpus-synthetic", 500, 3, func(*testing.T) *corpus.Model { return corpus.SyntheticModel() }},
		{"corpus-rpmdb", 400, 11, func(t *testing.T) *corpus.Model {
			m, err := corpus.LoadModel(testutil.SharedTestdata(t, "rpmdb"))
			if err != nil {
				t.Fatal(err)
			}
			return m
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), c.name)
			if _, err := corpus.Generate(context.Background(), corpus.Options{Dir: dir, Count: c.count, Seed: c.seed, Model: c.model(t), Workers: 2}); err != nil {
				t.Fatal(err)
			}
			mustRun(t, "createrepo_c", "--no-database", "--quiet", dir)
			if want := compareClosures(t, dir); len(want) == 0 {
				t.Errorf("the corpus should leave some requirements dangling; repoclosure found none")
			}
		})
	}
}

// TestCheckCommands runs the policy commands on real and generated
// packages: exit status, text and JSON output.
func TestCheckCommands(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	writeSpecs(t, base, []corpus.PackageSpec{
		{Name: "perl-RPM", Version: "1.51", Release: "1", Arch: "x86_64", Files: []corpus.File{{Path: "/usr/lib64/perl5/RPM.pm", Content: []byte("1;")}}},
		{Name: "pident", Version: "3.0.19", Release: "7", Arch: "x86_64"},
		{Name: "centos-release", Version: "5", Release: "4", Arch: "x86_64"},
	})
	core := filepath.Join(dir, "core")
	copyInto(t, core, testutil.SharedTestdata(t, "sme", "rpms", "smeserver-release-8.0-0.beta6.noarch.rpm"))

	r := smeforge(t, "check", "forks", "base="+base, "core="+core)
	assertNoPanic(t, r)
	if r.code != 1 || !strings.Contains(r.stdout, "fork smeserver-release-26:8.0-0.beta6.noarch: perl-RPM: forks base package perl-RPM-1.51-1.x86_64: obsoletes it") ||
		!strings.Contains(r.stdout, "pident-3.0.19-7.x86_64") {
		t.Errorf("check forks: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = smeforge(t, "check", "forks", "--json", "base="+base, "core="+core)
	if n := strings.Count(r.stdout, `"kind":"fork"`); r.code != 1 || n != 2 {
		t.Errorf("check forks --json: exit %d, %d findings\n%s", r.code, n, r.stdout)
	}
	r = smeforge(t, "check", "layering", "base="+base, "core="+core)
	if r.code != 0 || r.stdout != "" {
		t.Errorf("check layering: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = smeforge(t, "check", "layering", "core="+base, "base="+core)
	if r.code != 1 || !strings.Contains(r.stdout, "layering smeserver-release-26:8.0-0.beta6.noarch: centos-release:") {
		t.Errorf("check layering (inverted): exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = smeforge(t, "check", "layering", "extras="+base)
	if r.code != 2 || !strings.Contains(r.stderr, "category not in the order") {
		t.Errorf("check layering with an unknown category: exit %d\n%s", r.code, r.stderr)
	}
	r = smeforge(t, "check", "closure", core)
	if r.code != 1 || !strings.Contains(r.stdout, "unresolved smeserver-release-26:8.0-0.beta6.noarch: centos-release: nothing provides centos-release") {
		t.Errorf("check closure: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = smeforge(t, "check", "closure", base, core)
	if r.code != 0 {
		t.Errorf("check closure of both: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	srpms := filepath.Join(dir, "srpms")
	writeSpecs(t, srpms, []corpus.PackageSpec{{Name: "foo", Version: "1", Release: "1", Source: true, Requires: []string{"perl-RPM", "gcc >= 4"}}})
	r = smeforge(t, "check", "builds", srpms, base)
	if r.code != 1 || strings.TrimSpace(r.stdout) != "unbuildable foo-1-1.src: gcc >= 4: cannot build: nothing provides gcc" {
		t.Errorf("check builds: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(core, "repodata")); err == nil {
		t.Errorf("check wrote into the package folder")
	}
}
