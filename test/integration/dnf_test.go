//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/testutil"
)

// dnfArgs are the options that make dnf use only the repository in dir,
// with a private cache, and fail rather than skip when the metadata
// cannot be read.
func dnfArgs(cache, dir string) []string {
	return []string{
		// --noplugins: the host's "local" plugin would copy what the tests
		// install into /var/lib/dnf/plugins/local.
		"--noplugins", "--setopt=reposdir=/dev/null", "--setopt=cachedir=" + cache, "--releasever=1",
		"--repofrompath=t,file://" + dir, "--repo=t",
		"--setopt=t.gpgcheck=0", "--setopt=skip_if_unavailable=0", "--setopt=t.skip_if_unavailable=0",
		"--setopt=install_weak_deps=0",
	}
}

// dnf runs dnf and fails the test on a non-zero exit or on a metadata
// complaint (dnf exits 0 after some of them).
func dnf(t *testing.T, cache, dir string, args ...string) string {
	t.Helper()
	all := append([]string{"-q"}, dnfArgs(cache, dir)...)
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--installroot") }) {
		// Keep dnf's logs out of the host's /var/log (an installroot
		// run logs inside the root, where logdir would be relative to).
		logdir := filepath.Join(cache, "log")
		if err := os.MkdirAll(logdir, 0o755); err != nil {
			t.Fatal(err)
		}
		all = append(all, "--setopt=logdir="+logdir)
	}
	all = append(all, args...)
	r := run(t, nil, "dnf", all...)
	out := r.stdout + r.stderr
	for _, bad := range []string{"Failed to download metadata", "Error:", "Errors during downloading metadata",
		"Ignoring repositories", "Cannot download repomd.xml", "repomd.xml parser error", "Traceback"} {
		if strings.Contains(out, bad) {
			t.Fatalf("dnf %s: %q in the output:\n%s", strings.Join(args, " "), bad, out)
		}
	}
	if r.code != 0 {
		t.Fatalf("dnf %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

const nevraQF = "%{name}-%{epoch}:%{version}-%{release}.%{arch}"

// rpmNEVRAs asks rpm for the NEVRA of each file, in dnf's format; src
// packages get "src" as their architecture, as repositories list them.
func rpmNEVRAs(t *testing.T, files []string) []string {
	t.Helper()
	out := mustRun(t, "rpm", append([]string{"-qp", "--nosignature", "--nodigest", "--qf",
		"%{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%|SOURCERPM?{%{ARCH}}:{src}|\\n"}, files...)...)
	return sortedLines(out)
}

// nevraName returns the name part of "name-epoch:version-release.arch".
func nevraName(nevra string) string {
	s := nevra[:strings.LastIndexByte(nevra, '.')]
	s = s[:strings.LastIndexByte(s, '-')]
	return s[:strings.LastIndexByte(s, '-')]
}

func sortedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func requireDNFTools(t *testing.T) {
	t.Helper()
	testutil.RequireTool(t, "dnf")
	testutil.RequireTool(t, "rpm")
}

// createrepo runs `smeforge createrepo` and fails the test on an error.
func createrepo(t *testing.T, args ...string) {
	t.Helper()
	r := smeforge(t, append([]string{"createrepo", "-q"}, args...)...)
	assertNoPanic(t, r)
	if r.code != 0 {
		t.Fatalf("smeforge createrepo %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
}

// dnfDepKinds are the dependency kinds dnf's repoquery --qf can print,
// paired with the rpm tag that lists them.
var dnfDepKinds = []struct{ kind, rpmTag string }{
	{"requires", "REQUIRENEVRS"}, {"provides", "PROVIDENEVRS"}, {"conflicts", "CONFLICTNEVRS"},
	{"obsoletes", "OBSOLETENEVRS"}, {"recommends", "RECOMMENDNEVRS"}, {"suggests", "SUGGESTNEVRS"},
	{"supplements", "SUPPLEMENTNEVRS"}, {"enhances", "ENHANCENEVRS"},
}

// depsQF prints each package's NEVRA after "@@", then each dependency
// kind after "##kind", one dependency per line.
func depsQF() string {
	qf := "@@" + nevraQF + "\n"
	for _, d := range dnfDepKinds {
		qf += "##" + d.kind + "\n%{" + d.kind + "}\n"
	}
	return qf
}

// pkgDeps is NEVRA → kind → sorted set of dependencies.
type pkgDeps map[string]map[string][]string

// parseDeps reads repoquery's depsQF output.
func parseDeps(out string) pkgDeps {
	m := pkgDeps{}
	var cur map[string][]string
	kind := ""
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "@@"):
			cur = map[string][]string{}
			for _, d := range dnfDepKinds {
				cur[d.kind] = []string{}
			}
			m[strings.TrimPrefix(l, "@@")] = cur
		case strings.HasPrefix(l, "##"):
			kind = strings.TrimPrefix(l, "##")
		case l != "" && cur != nil:
			cur[kind] = append(cur[kind], l)
		}
	}
	for _, p := range m {
		for k, v := range p {
			p[k] = dedupe(v)
		}
	}
	return m
}

// rpmDeps asks rpm for every dependency kind of file.
func rpmDeps(t *testing.T, file string) map[string][]string {
	t.Helper()
	qf := ""
	for _, d := range dnfDepKinds {
		qf += "[" + d.kind + "\t%{" + d.rpmTag + "}\n]"
	}
	out := mustRun(t, "rpm", "-qp", "--nosignature", "--nodigest", "--qf", qf, file)
	m := map[string][]string{}
	for _, d := range dnfDepKinds {
		m[d.kind] = []string{}
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(l, "\t"); ok {
			m[k] = append(m[k], v)
		}
	}
	for k, v := range m {
		m[k] = dedupe(v)
	}
	return m
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// TestDNFReadsSmeforgeRepo has Debian's dnf read smeforge's metadata
// (gzip and zstd): it must list every binary package with rpm's NEVRA,
// and see for each the requires rpm lists (rpmlib() and what createrepo
// leaves out aside) exactly as it sees them in createrepo_c's metadata
// of the same folder.
func TestDNFReadsSmeforgeRepo(t *testing.T) {
	t.Parallel()
	requireDNFTools(t)
	testutil.RequireTool(t, "createrepo_c")
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	var files []string
	for _, f := range sharedRPMs(t) {
		if !strings.HasSuffix(f, ".src.rpm") {
			files = append(files, f)
		}
	}
	copyInto(t, filepath.Join(src, "shared"), files...)
	var specs []corpus.PackageSpec
	for _, s := range generatedSpecs() {
		if !s.Source {
			specs = append(specs, s)
		}
	}
	files = append(files, writeSpecs(t, filepath.Join(src, "generated"), specs)...)
	wantNEVRA := rpmNEVRAs(t, files)

	// What rpm itself says of each package's dependencies.
	rpmSays := map[string]map[string][]string{}
	for _, f := range files {
		rpmSays[rpmNEVRAs(t, []string{f})[0]] = rpmDeps(t, f)
	}

	// The reference: dnf reading createrepo_c's metadata.
	ref := filepath.Join(tmp, "createrepo_c")
	copyTree(t, src, ref)
	mustRun(t, "createrepo_c", "--no-database", "--quiet", ref)
	refDeps := parseDeps(dnf(t, filepath.Join(tmp, "cache-ref"), ref, "repoquery", "--available", "--qf", depsQF()))

	for _, comp := range []string{"gz", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(tmp, "smeforge-"+comp)
			copyTree(t, src, dir)
			createrepo(t, "--compress", comp, dir)
			cache := filepath.Join(tmp, "cache-"+comp)

			got := sortedLines(dnf(t, cache, dir, "repoquery", "--available", "--qf", nevraQF))
			if diff := diffStrings(got, wantNEVRA); diff != "" {
				t.Errorf("dnf repoquery lists other packages than rpm -qp: %s", diff)
			}

			deps := parseDeps(dnf(t, cache, dir, "repoquery", "--available", "--qf", depsQF()))
			for _, nevra := range wantNEVRA {
				got, ok := deps[nevra]
				if !ok {
					t.Errorf("%s: missing from dnf's repoquery", nevra)
					continue
				}
				for _, d := range dnfDepKinds {
					g, fromRPM, fromRef := got[d.kind], rpmSays[nevra][d.kind], refDeps[nevra][d.kind]
					if d.kind == "requires" {
						// createrepo leaves out rpmlib() and some
						// self-evident requires: dnf must see a subset
						// of rpm's list, and the same as with createrepo_c.
						if extra := setDiff(g, fromRPM); len(extra) > 0 {
							t.Errorf("%s: dnf sees requires rpm -qp does not list: %q", nevra, extra)
						}
					} else if diff := diffLabeled(g, fromRPM, "dnf", "rpm -qp"); diff != "" {
						t.Errorf("%s: %s: %s", nevra, d.kind, diff)
					}
					if diff := diffLabeled(g, fromRef, "smeforge's repo", "createrepo_c's repo"); diff != "" {
						t.Errorf("%s: dnf sees other %s in smeforge's metadata than in createrepo_c's: %s", nevra, d.kind, diff)
					}
				}
			}

			// `repoquery --requires NAME` as a user types it, for two
			// packages: the same answer.
			for _, name := range []string{"it-weak", "e-smith-lib"} {
				var nevra string
				for _, n := range wantNEVRA {
					if nevraName(n) == name {
						nevra = n
					}
				}
				if nevra == "" {
					t.Errorf("no package %s in the test data", name)
					continue
				}
				g := dedupe(sortedLines(dnf(t, cache, dir, "repoquery", "--requires", name)))
				if diff := diffLabeled(g, deps[nevra]["requires"], "--requires", "--qf %{requires}"); diff != "" {
					t.Errorf("repoquery --requires %s disagrees with repoquery --qf %%{requires}: %s", name, diff)
				}
			}
		})
	}
}

// installSpecs are packages that need nothing outside themselves: it-hello
// is needed by it-hello-app through a versioned, a file and a rich
// dependency.
func installSpecs() []corpus.PackageSpec {
	return []corpus.PackageSpec{
		{
			Name: "it-hello", Version: "1.0", Release: "1", Summary: "hello", License: "MIT", BuildTime: base,
			Files: []corpus.File{
				{Path: "/usr/share/it-hello", Mode: os.ModeDir},
				{Path: "/usr/share/it-hello/hello.txt", Content: []byte("hello from smeforge\n")},
				{Path: "/etc/it-hello.conf", Content: []byte("greeting=hello\n"), Flags: corpus.FileConfig | corpus.FileNoReplace},
			},
		},
		{
			Name: "it-hello-app", Epoch: 3, Version: "2.0~rc1", Release: "1", Summary: "app", License: "MIT", BuildTime: base,
			Requires:   []string{"it-hello >= 1.0", "/etc/it-hello.conf", "(it-hello or it-missing)"},
			Recommends: []string{"it-missing-weak"},
			Files:      []corpus.File{{Path: "/usr/share/it-hello-app/app.txt", Content: []byte("app\n")}},
		},
		{
			Name: "it-hello-rival", Version: "1.0", Release: "1", Summary: "conflicts with it-hello", License: "MIT", BuildTime: base,
			Conflicts: []string{"it-hello"},
			Files:     []corpus.File{{Path: "/usr/share/it-hello-rival/x", Content: []byte("x\n")}},
		},
	}
}

// TestDNFInstallFromSmeforgeRepo installs a package and its dependency
// from smeforge's metadata (gzip and zstd) into an empty root with dnf,
// and checks with rpm that they are installed.
func TestDNFInstallFromSmeforgeRepo(t *testing.T) {
	t.Parallel()
	requireDNFTools(t)
	if os.Geteuid() != 0 {
		if testutil.InCI() {
			t.Fatal("dnf install into an installroot needs root under CI")
		}
		t.Skip("skipping: dnf install into an installroot needs root")
	}
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	specs := installSpecs()
	writeSpecs(t, src, specs[:1])
	writeSpecs(t, filepath.Join(src, "Packages", "i"), specs[1:])

	for _, comp := range []string{"gz", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(tmp, "repo-"+comp)
			copyTree(t, src, dir)
			createrepo(t, "--compress", comp, dir)
			root := filepath.Join(tmp, "root-"+comp)
			cache := filepath.Join(tmp, "cache-"+comp)
			dnf(t, cache, dir, "-y", "--nogpgcheck", "--installroot="+root, "--setopt=tsflags=nodocs", "install", "it-hello-app")

			out := mustRun(t, "rpm", "--root", root, "-q", "--qf", "%{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH}\\n", "it-hello", "it-hello-app")
			if want := "it-hello-0:1.0-1.noarch\nit-hello-app-3:2.0~rc1-1.noarch\n"; out != want {
				t.Errorf("rpm --root -q: got\n%swant\n%s", out, want)
			}
			if r := run(t, nil, "rpm", "--root", root, "-q", "it-hello-rival"); r.code == 0 {
				t.Errorf("it-hello-rival got installed too")
			}
			for path, want := range map[string]string{
				"usr/share/it-hello/hello.txt":   "hello from smeforge\n",
				"etc/it-hello.conf":              "greeting=hello\n",
				"usr/share/it-hello-app/app.txt": "app\n",
			} {
				b, err := os.ReadFile(filepath.Join(root, path))
				if err != nil || string(b) != want {
					t.Errorf("/%s in the root: %q, %v; want %q", path, b, err, want)
				}
			}
			if r := run(t, nil, "rpm", "--root", root, "-V", "it-hello", "it-hello-app"); r.code != 0 {
				t.Errorf("rpm -V in the root: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestDNFSourceRepo checks that dnf lists the SRPMs of a source-only
// repository written by smeforge.
func TestDNFSourceRepo(t *testing.T) {
	t.Parallel()
	requireDNFTools(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "SRPMS")
	var files []string
	for _, f := range sharedRPMs(t) {
		if strings.HasSuffix(f, ".src.rpm") {
			files = append(files, f)
		}
	}
	copyInto(t, dir, files...)
	for _, f := range writeGenerated(t, filepath.Join(tmp, "gen")) {
		if strings.HasSuffix(f, ".src.rpm") {
			copyInto(t, dir, f)
			files = append(files, f)
		}
	}
	want := rpmNEVRAs(t, files)
	for _, w := range want {
		if !strings.HasSuffix(w, ".src") {
			t.Fatalf("rpm says %s is not a source package", w)
		}
	}
	createrepo(t, dir)
	got := sortedLines(dnf(t, filepath.Join(tmp, "cache"), dir, "repoquery", "--arch", "src", "--qf", nevraQF))
	if diff := diffStrings(got, want); diff != "" {
		t.Errorf("dnf repoquery --arch src lists other packages than rpm -qp: %s", diff)
	}
	// BuildRequires are what a source package's requires are.
	out := dnf(t, filepath.Join(tmp, "cache"), dir, "repoquery", "--arch", "src", "--requires", "it-weak")
	if diff := diffStrings(sortedLines(out), []string{"gcc", "make >= 4.0", "perl(ExtUtils::MakeMaker)"}); diff != "" {
		t.Errorf("repoquery --arch src --requires it-weak: %s", diff)
	}
}
