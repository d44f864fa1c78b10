package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/testutil"
)

// queryFormat prints, for each package, its NEVRA and one prefixed line per
// dependency, changelog entry and file.
const queryFormat = `N %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n` +
	`[R %{REQUIRENEVRS}\n][P %{PROVIDENEVRS}\n][O %{OBSOLETENEVRS}\n][C %{CONFLICTNEVRS}\n]` +
	`[REC %{RECOMMENDNEVRS}\n][SUG %{SUGGESTNEVRS}\n][SUP %{SUPPLEMENTNEVRS}\n][ENH %{ENHANCENEVRS}\n]` +
	`[CL %{CHANGELOGTIME}\n][F %{FILEFLAGS} %{FILENAMES}\n]S %{SOURCERPM}\n`

// queried is what rpm reports about one package.
type queried struct {
	nevra, sourceRPM string
	deps             map[string][]string // by prefix: R, P, O ...
	changelog        int
	files            map[string]uint32 // path → flags
}

// rpmQuery runs rpm once over files and parses queryFormat's output.
func rpmQuery(t *testing.T, rpmBin string, files []string) []queried {
	t.Helper()
	args := append([]string{"-qp", "--nosignature", "--qf", queryFormat}, files...)
	out, err := exec.Command(rpmBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rpm %s: %v\n%s", strings.Join(args[:4], " "), err, out)
	}
	var res []queried
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		prefix, rest, _ := strings.Cut(line, " ")
		if prefix == "N" {
			res = append(res, queried{nevra: rest, deps: map[string][]string{}, files: map[string]uint32{}})
			continue
		}
		if len(res) == 0 {
			t.Fatalf("unexpected rpm output %q", line)
		}
		q := &res[len(res)-1]
		switch prefix {
		case "CL":
			q.changelog++
		case "F":
			flags, name, _ := strings.Cut(rest, " ")
			n, err := strconv.ParseUint(flags, 10, 32)
			if err != nil {
				t.Fatalf("bad file flags in %q", line)
			}
			q.files[name] = uint32(n)
		case "S":
			q.sourceRPM = rest
		default:
			q.deps[prefix] = append(q.deps[prefix], rest)
		}
	}
	if len(res) != len(files) {
		t.Fatalf("rpm reported %d packages for %d files:\n%s", len(res), len(files), out)
	}
	return res
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// checkAgainstSpecs compares what rpm reads from each file with the spec
// it was written from.
func checkAgainstSpecs(t *testing.T, rpmBin string, paths []string, specs []PackageSpec) {
	t.Helper()
	got := rpmQuery(t, rpmBin, paths)
	for i, q := range got {
		s := specs[i]
		name := filepath.Base(paths[i])
		if want := s.Name + "-" + s.Version + "-" + s.Release + "." + s.Arch; q.nevra != want || name != want+".rpm" {
			t.Errorf("%s: rpm reads %s, want %s", name, q.nevra, want)
		}
		if q.sourceRPM != s.SourceRPM {
			t.Errorf("%s: SOURCERPM %q, want %q", name, q.sourceRPM, s.SourceRPM)
		}
		wantReq := append(slices.Clone(s.Requires), RpmlibRequires(s.Compressor)...)
		wantProv := slices.Clone(s.Provides)
		self := s.Name + " = " + s.Version + "-" + s.Release
		if s.Epoch != 0 {
			self = fmt.Sprintf("%s = %d:%s-%s", s.Name, s.Epoch, s.Version, s.Release)
		}
		if !slices.Contains(wantProv, self) {
			wantProv = append(wantProv, self)
		}
		for _, c := range []struct {
			prefix string
			want   []string
		}{
			{"R", wantReq}, {"P", wantProv}, {"O", s.Obsoletes}, {"C", s.Conflicts},
			{"REC", s.Recommends}, {"SUG", s.Suggests}, {"SUP", s.Supplements}, {"ENH", s.Enhances},
		} {
			if g, w := sorted(q.deps[c.prefix]), sorted(c.want); !slices.Equal(g, w) {
				t.Errorf("%s: %s deps\n got %q\nwant %q", name, c.prefix, g, w)
			}
		}
		if q.changelog != len(s.Changelog) {
			t.Errorf("%s: %d changelog entries, want %d", name, q.changelog, len(s.Changelog))
		}
		if len(q.files) != len(s.Files) {
			t.Errorf("%s: %d files, want %d", name, len(q.files), len(s.Files))
		}
		for _, f := range s.Files {
			if flags, ok := q.files[f.Path]; !ok || flags != uint32(f.Flags) {
				t.Errorf("%s: file %s has flags %d (listed %v), want %d", name, f.Path, flags, ok, f.Flags)
			}
		}
	}
}

// generateAndCheck writes count packages and checks every one with rpm.
func generateAndCheck(t *testing.T, m *Model, count int, seed int64) {
	rpmBin := testutil.RequireTool(t, "rpm")
	dir := t.TempDir()
	paths, err := Generate(context.Background(), Options{Dir: dir, Count: count, Seed: seed, Model: m})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != count {
		t.Fatalf("Generate returned %d paths, want %d", len(paths), count)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != count {
		t.Fatalf("%s holds %d entries, want %d (temporary files left behind?)", dir, len(entries), count)
	}
	pkgs, err := plan(m, count, seed)
	if err != nil {
		t.Fatal(err)
	}
	specs := make([]PackageSpec, len(pkgs))
	for i := range pkgs {
		specs[i] = buildSpec(&pkgs[i], seed)
		if n := len(specs[i].Changelog); n < 3 || n > 20 {
			t.Errorf("%s: %d changelog entries, want 3 to 20", pkgs[i].name, n)
		}
		if n := len(specs[i].Files); n < 5 || n > 160 {
			t.Errorf("%s: %d files, want about 5 to 150", pkgs[i].name, n)
		}
	}
	checkAgainstSpecs(t, rpmBin, paths, specs)
}

func TestGenerateFromSharedModel(t *testing.T) {
	m, err := LoadModel(testutil.SharedTestdata(t, "rpmdb"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Packages) < 100 {
		t.Fatalf("model has %d packages, want the centos7-many set", len(m.Packages))
	}
	t.Run("subset", func(t *testing.T) { generateAndCheck(t, m, 30, 42) })
	// More packages than the model: updates, subpackages and compat ones.
	t.Run("variants", func(t *testing.T) { generateAndCheck(t, m, len(m.Packages)+40, 7) })
}

func TestGenerateSynthetic(t *testing.T) {
	generateAndCheck(t, SyntheticModel(), 30, 1)
}

func TestGenerateDeterministic(t *testing.T) {
	gen := func() map[string][]byte {
		dir := t.TempDir()
		paths, err := Generate(context.Background(), Options{Dir: dir, Count: 40, Seed: 3, Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files[filepath.Base(p)] = b
		}
		return files
	}
	a, b := gen(), gen()
	if len(a) != 40 || len(b) != 40 {
		t.Fatalf("got %d and %d files, want 40", len(a), len(b))
	}
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
}

// TestCorpusMostlyClosed checks that nearly every requirement of a corpus
// larger than its model is satisfied by another package of the corpus.
func TestCorpusMostlyClosed(t *testing.T) {
	m := SyntheticModel()
	const seed = 5
	pkgs, err := plan(m, 3*len(m.Packages), seed)
	if err != nil {
		t.Fatal(err)
	}
	type prov struct{ op, evr string }
	provides := map[string][]prov{}
	files := map[string]bool{}
	names := map[string]bool{}
	var specs []PackageSpec
	kinds := map[kind]int{}
	for i := range pkgs {
		s := buildSpec(&pkgs[i], seed)
		specs = append(specs, s)
		kinds[pkgs[i].kind]++
		key := s.Name + "-" + s.Version + "-" + s.Release + "." + s.Arch
		if names[key] {
			t.Errorf("duplicate package %s", key)
		}
		names[key] = true
		for _, p := range s.Provides {
			d := parseDep(p)
			provides[d.name] = append(provides[d.name], prov{d.op, d.evr})
		}
		for _, f := range s.Files {
			files[f.Path] = true
		}
	}
	total, dangling, versioned, fileReqs := 0, 0, 0, 0
	for _, s := range specs {
		for _, r := range s.Requires {
			d := parseDep(r)
			total++
			if d.op != "" {
				versioned++
			}
			if strings.HasPrefix(d.name, "/") {
				fileReqs++
				if files[d.name] || len(provides[d.name]) > 0 {
					continue
				}
			}
			ok := false
			for _, p := range provides[d.name] {
				ok = ok || satisfies(p.op, p.evr, d.op, d.evr)
			}
			if !ok {
				dangling++
			}
		}
	}
	t.Logf("%d packages, %d requirements: %d versioned, %d on files, %d dangling; kinds %v", len(pkgs), total, versioned, fileReqs, dangling, kinds)
	if dangling*100 > total {
		t.Errorf("%d of %d requirements dangle, want under 1%%", dangling, total)
	}
	if versioned == 0 || fileReqs == 0 {
		t.Errorf("want versioned and file requirements, got %d and %d", versioned, fileReqs)
	}
	for _, k := range []kind{kindUpdate, kindDevel, kindSub, kindCompat} {
		if kinds[k] == 0 {
			t.Errorf("no package of kind %d in a corpus three times the model", k)
		}
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := Generate(ctx, Options{Dir: dir, Count: 50, Seed: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate with a cancelled context: %v, want context.Canceled", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".corpus-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestLoadModel(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("x.nevra.txt", "acl-2.2.51-14.el7.x86_64\ndbus-1:1.10.24-7.el7.x86_64\ngpg-pubkey-f4a80eb5-53a7ff4b\n")
	write("x.provides.txt", "dbus.x86_64 P dbus = 1:1.10.24-7.el7\ngpg-pubkey.(none) P gpg(CentOS-7 Key (CentOS 7 Official Signing Key) <security@centos.org>) = 4:24c6a8a7f4a80eb5-53a7ff4b\n")
	write("x.requires.txt", "acl.x86_64 R libc.so.6(GLIBC_2.14)(64bit)\nacl.x86_64 R libacl = 2.2.51-14.el7\n")
	m, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []ModelPackage{
		{Name: "acl", Version: "2.2.51", Release: "14.el7", Arch: "x86_64", Requires: []string{"libc.so.6(GLIBC_2.14)(64bit)", "libacl = 2.2.51-14.el7"}},
		{Name: "dbus", Epoch: 1, Version: "1.10.24", Release: "7.el7", Arch: "x86_64", Provides: []string{"dbus = 1:1.10.24-7.el7"}},
	}
	if fmt.Sprint(m.Packages) != fmt.Sprint(want) {
		t.Errorf("LoadModel:\n got %+v\nwant %+v", m.Packages, want)
	}
	if _, err := LoadModel(t.TempDir()); err == nil {
		t.Error("LoadModel of an empty directory succeeded")
	}
}

func TestSyntheticModel(t *testing.T) {
	a, b := SyntheticModel(), SyntheticModel()
	if len(a.Packages) < 200 {
		t.Errorf("SyntheticModel has %d packages, want at least 200", len(a.Packages))
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("SyntheticModel differs between calls")
	}
}

func TestWriteRPMRejects(t *testing.T) {
	ok := PackageSpec{Name: "x", Version: "1", Release: "1"}
	for name, mutate := range map[string]func(*PackageSpec){
		"no version":           func(s *PackageSpec) { s.Version = "" },
		"dash in release":      func(s *PackageSpec) { s.Release = "1-2" },
		"relative path":        func(s *PackageSpec) { s.Files = []File{{Path: "usr/bin/x"}} },
		"duplicate file":       func(s *PackageSpec) { s.Files = []File{{Path: "/a"}, {Path: "/a"}} },
		"source with a dir":    func(s *PackageSpec) { s.Source = true; s.Files = []File{{Path: "/x.spec"}} },
		"malformed dependency": func(s *PackageSpec) { s.Requires = []string{"a >> 1"} },
		"unknown compressor":   func(s *PackageSpec) { s.Compressor = "brotli" },
	} {
		s := ok
		mutate(&s)
		if err := WriteRPM(io.Discard, s); err == nil {
			t.Errorf("%s: WriteRPM succeeded", name)
		}
	}
	if err := WriteRPM(io.Discard, ok); err != nil {
		t.Errorf("minimal package: %v", err)
	}
}

func TestWriteRPMCompressors(t *testing.T) {
	rpmBin := testutil.RequireTool(t, "rpm")
	dir := t.TempDir()
	var paths []string
	var specs []PackageSpec
	for i, c := range []string{"gzip", "zstd", "xz"} {
		s := PackageSpec{
			Name: "comp-" + c, Epoch: uint32(i), Version: "1.0", Release: "1", Arch: "x86_64", License: "MIT",
			Summary: "s", Description: "d", BuildTime: time.Unix(1600000000, 0), Compressor: c,
			Requires:    []string{"font(:lang=en)", "(a or b)"},
			Supplements: []string{"(comp and x)"},
			Files:       []File{{Path: "/usr/share/comp/" + c, Content: []byte(c)}, {Path: "/var/log/comp.log", Flags: FileGhost | FileConfig}},
		}
		s.SourceRPM = s.Name + "-1.0-1.src.rpm"
		if i > 0 {
			s.Provides = []string{fmt.Sprintf("%s = %d:1.0-1", s.Name, i)}
		}
		p := filepath.Join(dir, s.Name+"-1.0-1.x86_64.rpm")
		if err := writeFile(p, s); err != nil {
			t.Fatal(err)
		}
		paths, specs = append(paths, p), append(specs, s)
	}
	checkAgainstSpecs(t, rpmBin, paths, specs)
	out, err := exec.Command(rpmBin, append([]string{"-K"}, paths...)...).CombinedOutput()
	if err != nil || strings.Count(string(out), "digests OK") != len(paths) {
		t.Errorf("rpm -K: %v\n%s", err, out)
	}
}

func TestDemo(t *testing.T) {
	rpmBin := testutil.RequireTool(t, "rpm")
	dir := t.TempDir()
	paths, err := Demo(dir)
	if err != nil {
		t.Fatal(err)
	}
	var srpms, binaries []string
	for _, p := range paths {
		if strings.HasSuffix(p, ".src.rpm") {
			srpms = append(srpms, p)
		} else {
			binaries = append(binaries, p)
		}
	}
	if len(srpms) < 5 || len(binaries) < 6 {
		t.Fatalf("Demo wrote %d SRPMs and %d binaries, want about 6 of each", len(srpms), len(binaries))
	}
	query := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(rpmBin, append([]string{"-qp", "--nosignature"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("rpm -qp %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	for _, p := range srpms {
		if got := query("--qf", "%{SOURCEPACKAGE}", p); got != "1" {
			t.Errorf("%s: SOURCEPACKAGE %q, want 1", filepath.Base(p), got)
		}
		if info := query("-i", p); !regexp.MustCompile(`Source RPM\s*: \(none\)`).MatchString(info) {
			t.Errorf("%s: rpm -qpi does not show a source package:\n%s", filepath.Base(p), info)
		}
		if list := query("-l", p); !strings.Contains(list, ".spec\n") || !strings.Contains(list, ".tar.gz\n") {
			t.Errorf("%s: files %q, want a spec file and a tarball", filepath.Base(p), list)
		}
	}
	for _, p := range binaries {
		if got := query("--qf", "%{SOURCEPACKAGE} %{ARCH}", p); got != "(none) noarch" {
			t.Errorf("%s: SOURCEPACKAGE and ARCH %q, want (none) noarch", filepath.Base(p), got)
		}
	}
	file := func(name string) string {
		m, _ := filepath.Glob(filepath.Join(dir, name))
		if len(m) != 1 {
			t.Fatalf("want one %s, found %v", name, m)
		}
		return m[0]
	}
	if reqs := query("--requires", file("smeforge-demo-mailstats-*.noarch.rpm")); !strings.Contains(reqs, "smeforge-demo-lib >= 1.2\n") {
		t.Errorf("mailstats requires:\n%s\nwant smeforge-demo-lib >= 1.2", reqs)
	}
	hello := file("smeforge-demo-hello-*.noarch.rpm")
	for _, r := range strings.Fields(strings.ReplaceAll(query("--qf", "[%{REQUIRENAME}\n]", hello), "\n", " ")) {
		if !strings.HasPrefix(r, "rpmlib(") {
			t.Errorf("smeforge-demo-hello requires %s; it must only need rpmlib features", r)
		}
	}
	if s := query("--scripts", hello); strings.TrimSpace(s) != "" {
		t.Errorf("smeforge-demo-hello has scriptlets:\n%s", s)
	}
	if l := query("-l", hello); !strings.Contains(l, "/usr/share/smeforge-demo/hello.txt\n") {
		t.Errorf("smeforge-demo-hello files:\n%s", l)
	}
	if n := strings.Count(query("--changelog", file("smeforge-demo-mailstats-*.noarch.rpm")), "\n* "); n < 4 {
		t.Errorf("mailstats has %d more changelog entries, want several", n)
	}
}

// TestDemoInstall installs smeforge-demo-hello with dnf into an empty
// --installroot, which needs root.
func TestDemoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the dnf install in -short mode")
	}
	createrepo := testutil.RequireTool(t, "createrepo_c")
	dnf := testutil.RequireTool(t, "dnf")
	if os.Geteuid() != 0 {
		t.Skip("skipping: dnf --installroot needs root")
	}
	repo := t.TempDir()
	if _, err := Demo(repo); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(createrepo, "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
	root := t.TempDir()
	cmd := exec.Command(dnf, "-y", "-q", "--noplugins", "--installroot="+root, "--releasever=9", "--disablerepo=*",
		"--repofrompath=demo,file://"+repo, "--enablerepo=demo", "--setopt=demo.gpgcheck=0",
		"--setopt=cachedir="+filepath.Join(t.TempDir(), "cache"), "install", "smeforge-demo-hello")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dnf install: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(root, "usr/share/smeforge-demo/hello.txt"))
	if err != nil || !strings.HasPrefix(string(b), "Hello from smeforge!") {
		t.Errorf("hello.txt after install: %q, %v", b, err)
	}
}

func TestRpmvercmp(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "2.0", -1}, {"2.0.1", "2.0", 1}, {"1.0a", "1.0", 1},
		{"1.0~rc1", "1.0", -1}, {"1.0^git1", "1.0", 1}, {"1.0^git1", "1.0.1", -1},
		{"5.5p1", "5.5p10", -1}, {"1.010", "1.9", 1}, {"abc", "1", -1}, {"1.0.", "1.0", 0},
		{"7.4p1", "7.4p1", 0}, {"2.02", "2.2", 0},
	} {
		if got := rpmvercmp(c.a, c.b); got != c.want {
			t.Errorf("rpmvercmp(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := rpmvercmp(c.b, c.a); got != -c.want {
			t.Errorf("rpmvercmp(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	const count = 200
	m := SyntheticModel()
	tmp := b.TempDir()
	var bytesWritten int64
	runs := 0
	for b.Loop() {
		dir := filepath.Join(tmp, strconv.Itoa(runs))
		paths, err := Generate(context.Background(), Options{Dir: dir, Count: count, Seed: int64(runs), Model: m})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		for _, p := range paths {
			fi, err := os.Stat(p)
			if err != nil {
				b.Fatal(err)
			}
			bytesWritten += fi.Size()
		}
		os.RemoveAll(dir)
		b.StartTimer()
		runs++
	}
	b.ReportMetric(float64(count*runs)/b.Elapsed().Seconds(), "pkgs/s")
	b.ReportMetric(float64(bytesWritten)/float64(runs*count)*1000/1e6, "MB/1000pkgs")
}

// BenchmarkWriteRPM measures building and encoding one package in memory,
// without the file system.
func BenchmarkWriteRPM(b *testing.B) {
	m := SyntheticModel()
	pkgs, err := plan(m, 100, 1)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if err := WriteRPM(io.Discard, buildSpec(&pkgs[i%len(pkgs)], 1)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
