//go:build integration

package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/testutil"
)

// requireDNF skips (or, under CI, fails) a test that needs dnf and rpm.
func requireDNF(t *testing.T) {
	t.Helper()
	testutil.RequireTool(t, "dnf")
	testutil.RequireTool(t, "rpm")
}

// nevraQF is dnf's query format for name-epoch:version-release.arch.
const nevraQF = "%{name}-%{epoch}:%{version}-%{release}.%{arch}"

// repoFromPath returns the dnf options that make it use the one
// repository at url, named id, and nothing else.
func repoFromPath(id, url string) []string {
	return []string{
		"--setopt=reposdir=/dev/null", "--repofrompath=" + id + "," + url, "--repo=" + id,
		"--setopt=" + id + ".gpgcheck=0", "--setopt=" + id + ".skip_if_unavailable=0",
	}
}

// dnfBad are the complaints after which dnf may still exit 0.
var dnfBad = []string{"Failed to download", "Error", "Ignoring repositories", "Cannot download",
	"parser error", "Traceback", "Curl error", "does not match checksum", "Damaged"}

// runDNF runs dnf -q with a private cache folder, without plugins, and
// the given options and returns its stdout. Plugins are off so that the
// host's dnf setup cannot change what is listed (versionlock) or keep
// copies of what the tests install (Debian's dnf-plugin-local adds them
// to its own _dnf_local repository, which a later run would list). A
// non-zero exit, or a complaint in the output, is an error; it does not
// fail the test, so that callers can run it in a loop and say which run
// went wrong.
func runDNF(cache string, args ...string) (string, error) {
	// -y: the forge signs its repositories and dnf asks before importing
	// its key (with no answer it refuses, then calls the signature bad).
	all := []string{"-q", "-y", "--noplugins", "--setopt=cachedir=" + cache, "--releasever=1",
		"--setopt=skip_if_unavailable=0", "--setopt=install_weak_deps=0"}
	if !hasPrefix(args, "--installroot") {
		// Keep dnf's logs out of the host's /var/log; an installroot
		// run logs inside the root.
		logdir := filepath.Join(cache, "log")
		if err := os.MkdirAll(logdir, 0o755); err != nil {
			return "", err
		}
		all = append(all, "--setopt=logdir="+logdir)
	}
	all = append(all, args...)
	r, err := run("dnf", all...)
	if err != nil {
		return "", err
	}
	out := r.stdout + r.stderr
	for _, bad := range dnfBad {
		if strings.Contains(out, bad) {
			return r.stdout, fmt.Errorf("dnf %s: %q in the output (exit %d):\n%s", strings.Join(args, " "), bad, r.code, out)
		}
	}
	if r.code != 0 {
		return r.stdout, fmt.Errorf("dnf %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout, nil
}

// dnf is runDNF that fails the test on an error.
func dnf(t *testing.T, cache string, args ...string) string {
	t.Helper()
	out, err := runDNF(cache, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hasPrefix(args []string, prefix string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, prefix) {
			return true
		}
	}
	return false
}

// rpmNEVRAs asks rpm for the NEVRA of each file, in dnf's format; a source
// package gets "src" as its architecture, as repositories list it.
func rpmNEVRAs(t *testing.T, files []string) []string {
	t.Helper()
	out := mustRun(t, "rpm", append([]string{"-qp", "--nosignature", "--nodigest", "--qf",
		"%{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%|SOURCERPM?{%{ARCH}}:{src}|\\n"}, files...)...)
	return sortedLines(out)
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

// diffSets describes how got differs from want, or returns "".
func diffSets(got, want []string) string {
	g, w := map[string]bool{}, map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	for _, s := range want {
		w[s] = true
	}
	var onlyG, onlyW []string
	for s := range g {
		if !w[s] {
			onlyG = append(onlyG, s)
		}
	}
	for s := range w {
		if !g[s] {
			onlyW = append(onlyW, s)
		}
	}
	if len(onlyG) == 0 && len(onlyW) == 0 && len(got) == len(want) {
		return ""
	}
	sort.Strings(onlyG)
	sort.Strings(onlyW)
	return fmt.Sprintf("%d listed, %d expected; unexpected %q; missing %q", len(got), len(want), onlyG, onlyW)
}

// repomd is what the tests read of a repomd.xml.
type repomd struct {
	Revision string `xml:"revision"`
	Data     []struct {
		Type     string `xml:"type,attr"`
		Checksum struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"checksum"`
		Location struct {
			Href string `xml:"href,attr"`
		} `xml:"location"`
		Size int64 `xml:"size"`
	} `xml:"data"`
}

// checkRepoSnapshot fetches repomd.xml of the repository at base
// (/repo/R/C/ARCH/) and then every file it names, at once: each must be
// served (200) with the checksum and size repomd.xml gives. It returns
// the number of packages primary.xml lists.
func checkRepoSnapshot(s *server, base string) (int, error) {
	r, err := s.tryRequest(http.MethodGet, base+"repodata/repomd.xml", "", nil)
	if err != nil {
		return 0, err
	}
	if r.status != http.StatusOK {
		return 0, fmt.Errorf("GET %srepodata/repomd.xml: %d %s", base, r.status, firstLines(string(r.body), 2))
	}
	var md repomd
	if err := xml.Unmarshal(r.body, &md); err != nil {
		return 0, fmt.Errorf("%srepodata/repomd.xml: %v\n%s", base, err, r.body)
	}
	if len(md.Data) < 3 {
		return 0, fmt.Errorf("%srepodata/repomd.xml names %d files, want primary, filelists and other:\n%s", base, len(md.Data), r.body)
	}
	packages := -1
	for _, d := range md.Data {
		path := base + d.Location.Href
		f, err := s.tryRequest(http.MethodGet, path, "", nil)
		if err != nil {
			return 0, err
		}
		if f.status != http.StatusOK {
			return 0, fmt.Errorf("GET %s (named by repomd.xml revision %s): %d %s", path, md.Revision, f.status, firstLines(string(f.body), 2))
		}
		if d.Checksum.Type != "sha256" {
			return 0, fmt.Errorf("%s: checksum type %q, want sha256", path, d.Checksum.Type)
		}
		sum := sha256.Sum256(f.body)
		if got := hex.EncodeToString(sum[:]); got != strings.TrimSpace(d.Checksum.Value) {
			return 0, fmt.Errorf("GET %s: sha256 %s, but repomd.xml (revision %s) says %s", path, got, md.Revision, d.Checksum.Value)
		}
		if d.Size != 0 && d.Size != int64(len(f.body)) {
			return 0, fmt.Errorf("GET %s: %d bytes, but repomd.xml says %d", path, len(f.body), d.Size)
		}
		if d.Type == "primary" {
			if packages, err = primaryCount(f.body); err != nil {
				return 0, fmt.Errorf("%s: %v", path, err)
			}
		}
	}
	if packages < 0 {
		return 0, fmt.Errorf("%srepodata/repomd.xml names no primary", base)
	}
	return packages, nil
}

// primaryCount reads the packages="N" attribute of a gzip'd primary.xml
// and checks it against the <package> elements.
func primaryCount(gz []byte) (int, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return 0, fmt.Errorf("not gzip (this test reads gzip metadata only): %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return 0, err
	}
	var md struct {
		Packages int `xml:"packages,attr"`
		Package  []struct {
			Name string `xml:"name"`
		} `xml:"package"`
	}
	if err := xml.Unmarshal(raw, &md); err != nil {
		return 0, err
	}
	if md.Packages != len(md.Package) {
		return 0, fmt.Errorf("packages=%d but %d <package> elements", md.Packages, len(md.Package))
	}
	return md.Packages, nil
}

// writeRPM writes spec as an RPM file in dir and returns its path.
func writeRPM(t testing.TB, dir string, spec corpus.PackageSpec) string {
	t.Helper()
	if spec.Arch == "" {
		spec.Arch = "noarch"
	}
	if spec.Summary == "" {
		spec.Summary = "a package made by smeforge's server tests"
	}
	if spec.License == "" {
		spec.License = "MIT"
	}
	if spec.BuildTime.IsZero() {
		spec.BuildTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	arch := spec.Arch
	if spec.Source {
		arch = "src"
	}
	var buf bytes.Buffer
	if err := corpus.WriteRPM(&buf, spec); err != nil {
		t.Fatalf("writing %s: %v", spec.Name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.%s.rpm", spec.Name, spec.Version, spec.Release, arch))
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// simpleBuild writes a build of one source package named name and the
// given binaries (each installing one text file) and returns their paths,
// the source package first.
func simpleBuild(t testing.TB, dir, name, version, release string, binaries ...string) []string {
	t.Helper()
	paths := []string{writeRPM(t, dir, corpus.PackageSpec{
		Name: name, Version: version, Release: release, Source: true,
		Files: []corpus.File{{Path: name + ".spec", Content: []byte("Name: " + name + "\n")}},
	})}
	for _, b := range binaries {
		paths = append(paths, writeRPM(t, dir, corpus.PackageSpec{
			Name: b, Version: version, Release: release,
			SourceRPM: fmt.Sprintf("%s-%s-%s.src.rpm", name, version, release),
			Files:     []corpus.File{{Path: "/usr/share/" + b + "/README", Content: []byte(b + " " + version + "\n")}},
		}))
	}
	return paths
}
