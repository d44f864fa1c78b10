//go:build integration

package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/smeserver/smeforge/client"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/testutil"
)

// TestEndToEnd runs the forge as a packager does: the real SME packages
// are uploaded with the command line, release 10 gets every build that
// has binaries in its os channel, the channel is published, and Debian's
// dnf reads the result: the binary and source repositories, the .repo
// file, and an install of a package into an empty root. It also checks
// how the repository answers HTTP: HEAD, Range, ETag and caching.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	requireDNF(t)
	rpmsDir := testutil.SharedTestdata(t, "sme", "rpms")
	srpmsDir := testutil.SharedTestdata(t, "sme", "srpms")
	rpms := testutil.Glob(t, filepath.Join(rpmsDir, "*.rpm"))
	srpms := testutil.Glob(t, filepath.Join(srpmsDir, "*.rpm"))
	tmp := t.TempDir()
	s := startServer(t, filepath.Join(tmp, "data"))
	ctx := context.Background()

	// Upload both folders with the command line.
	out := s.mustCLI(t, "upload", rpmsDir, srpmsDir)
	n := len(rpms) + len(srpms)
	if want := fmt.Sprintf("%d files: %d uploaded, 0 already there, 0 failed", n, n); !strings.Contains(out, want) {
		t.Errorf("smeforge upload: no %q in its output:\n%s", want, out)
	}
	var list client.PackageList
	s.getJSON(t, "/api/v1/packages?limit=1000", &list)
	if list.Total != n {
		t.Errorf("GET /api/v1/packages: total %d after uploading %d files", list.Total, n)
	}
	// Uploading again changes nothing.
	out = s.mustCLI(t, "upload", rpmsDir, srpmsDir)
	if want := fmt.Sprintf("%d files: 0 uploaded, %d already there, 0 failed", n, n); !strings.Contains(out, want) {
		t.Errorf("second smeforge upload: no %q in its output:\n%s", want, out)
	}

	out = s.mustCLI(t, "release", "create", "10", "--base-os", "Rocky Linux 8")
	if !strings.Contains(out, "created release 10") {
		t.Errorf("smeforge release create: unexpected output:\n%s", out)
	}

	// The builds that have binaries, as the server sees them, must be
	// those the binaries' SOURCERPM tags name.
	wantBuilds := map[string]bool{}
	for _, l := range sortedLines(mustRun(t, "rpm", append([]string{"-qp", "--nosignature", "--nodigest", "--qf", "%{SOURCERPM}\\n"}, rpms...)...)) {
		wantBuilds[strings.TrimSuffix(l, ".src.rpm")] = true
	}
	anon := s.client(t, false)
	all, err := anon.Builds(ctx, client.BuildQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var withBinaries []string
	for _, b := range all {
		full, err := anon.Build(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range full.Artifacts {
			if !a.Source {
				withBinaries = append(withBinaries, b.ID)
				break
			}
		}
	}
	sort.Strings(withBinaries)
	if len(withBinaries) != len(wantBuilds) {
		t.Errorf("builds with binaries: server says %q, the binaries' SOURCERPM tags say %v", withBinaries, wantBuilds)
	}
	for _, b := range withBinaries {
		if !wantBuilds[b] {
			t.Errorf("build %s has binaries on the server, but no binary names it as its SOURCERPM", b)
		}
	}

	// The real SME packages are core: the administrator says so (new
	// builds start in dev), then os takes them.
	for _, b := range withBinaries {
		s.mustCLI(t, "build", "category", b, "core")
	}
	s.mustCLI(t, append([]string{"channel", "add", "10", "os"}, withBinaries...)...)
	out = s.mustCLI(t, "publish", "10", "os")
	if !regexp.MustCompile(`x86_64\s+` + strconv.Itoa(len(rpms)) + ` packages`).MatchString(out) {
		t.Errorf("smeforge publish: want %d x86_64 packages in its output:\n%s", len(rpms), out)
	}

	binURL := s.url + "/repo/10/os/x86_64/"
	srcURL := s.url + "/repo/10/os/source/"
	t.Run("dnf lists the binaries", func(t *testing.T) {
		got := sortedLines(dnf(t, filepath.Join(tmp, "cache-bin"), append(repoFromPath("sme10os", binURL),
			"repoquery", "--available", "--qf", nevraQF+"\n")...))
		if d := diffSets(got, rpmNEVRAs(t, rpms)); d != "" {
			t.Errorf("dnf repoquery %s against rpm -qp: %s", binURL, d)
		}
	})
	t.Run("dnf lists the sources", func(t *testing.T) {
		var inChannel []string
		for _, f := range srpms {
			if wantBuilds[strings.TrimSuffix(filepath.Base(f), ".src.rpm")] {
				inChannel = append(inChannel, f)
			}
		}
		got := sortedLines(dnf(t, filepath.Join(tmp, "cache-src"), append(repoFromPath("sme10os-source", srcURL),
			"repoquery", "--available", "--arch", "src", "--qf", nevraQF+"\n")...))
		if d := diffSets(got, rpmNEVRAs(t, inChannel)); d != "" {
			t.Errorf("dnf repoquery --arch src %s against rpm -qp: %s", srcURL, d)
		}
	})
	t.Run(".repo file", func(t *testing.T) {
		reposdir := filepath.Join(tmp, "yum.repos.d")
		if err := os.MkdirAll(reposdir, 0o755); err != nil {
			t.Fatal(err)
		}
		r := s.request(t, http.MethodGet, "/repo/10.repo", "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET /repo/10.repo: %d %s", r.status, r.body)
		}
		if err := os.WriteFile(filepath.Join(reposdir, "smeforge-10.repo"), r.body, 0o644); err != nil {
			t.Fatal(err)
		}
		got := sortedLines(dnf(t, filepath.Join(tmp, "cache-repofile"), "--setopt=reposdir="+reposdir, "--repo=smeos",
			"repoquery", "--available", "--qf", nevraQF+"\n"))
		if d := diffSets(got, rpmNEVRAs(t, rpms)); d != "" {
			t.Errorf("dnf repoquery with /repo/10.repo, --repo=smeos: %s", d)
		}
	})

	t.Run(".repo file, every enabled channel", func(t *testing.T) {
		// Saved as /etc/yum.repos.d/smeforge-10.repo (docs/api.md), the
		// file must work as it is: dnf reads every channel it enables.
		// os is published; updates and addons are enabled but were never
		// published.
		reposdir := filepath.Join(tmp, "yum.repos.d-all")
		if err := os.MkdirAll(reposdir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(reposdir, "smeforge-10.repo"), s.get(t, "/repo/10.repo"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := runDNF(filepath.Join(tmp, "cache-repofile-all"), "--setopt=reposdir="+reposdir,
			"repoquery", "--available", "--qf", nevraQF+"\n")
		if err != nil {
			t.Fatalf("dnf with /repo/10.repo as its only configuration, after publishing 10/os only: %v", err)
		}
		if d := diffSets(sortedLines(out), rpmNEVRAs(t, rpms)); d != "" {
			t.Errorf("dnf repoquery with /repo/10.repo: %s", d)
		}
	})

	t.Run("HTTP", func(t *testing.T) { checkRepoHTTP(t, s, rpms[0]) })

	t.Run("uploads at once", func(t *testing.T) { concurrentUploads(t, s, filepath.Join(tmp, "concurrent")) })

	t.Run("install", func(t *testing.T) {
		if os.Geteuid() != 0 {
			if testutil.InCI() {
				t.Fatal("dnf install into an installroot needs root under CI")
			}
			t.Skip("skipping: dnf install into an installroot needs root")
		}
		demo, err := corpus.Demo(filepath.Join(tmp, "demo"))
		if err != nil {
			t.Fatal(err)
		}
		var hello []string
		for _, p := range demo {
			if strings.HasPrefix(filepath.Base(p), "smeforge-demo-hello-") {
				hello = append(hello, p)
			}
		}
		if len(hello) != 2 {
			t.Fatalf("corpus.Demo wrote %q for smeforge-demo-hello, want its SRPM and its RPM", hello)
		}
		// An administrator importing into os says which category at upload.
		out := s.mustCLI(t, append([]string{"upload", "--category", "core"}, hello...)...)
		m := regexp.MustCompile(`\(build (\S+)\)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("smeforge upload: no build in its output:\n%s", out)
		}
		s.mustCLI(t, "channel", "add", "10", "os", m[1])
		s.mustCLI(t, "publish", "10", "os")

		root := filepath.Join(tmp, "root")
		dnf(t, filepath.Join(tmp, "cache-install"), append(repoFromPath("sme10os", binURL),
			"-y", "--nogpgcheck", "--installroot="+root, "--setopt=tsflags=nodocs", "install", "smeforge-demo-hello")...)
		got := mustRun(t, "rpm", "--root", root, "-q", "--qf", "%{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH}\\n", "smeforge-demo-hello")
		want := rpmNEVRAs(t, hello[1:])
		if strings.TrimSpace(got) != want[0] {
			t.Errorf("rpm --root -q smeforge-demo-hello: %q, want %q", got, want[0])
		}
		if _, err := os.Stat(filepath.Join(root, "usr/share/smeforge-demo/hello.txt")); err != nil {
			t.Errorf("the installed package's file is missing: %v", err)
		}
	})
}

// checkRepoHTTP checks the HTTP side of a published repository: HEAD,
// Range and conditional requests on a package, and the caching headers
// of repomd.xml.
func checkRepoHTTP(t *testing.T, s *server, file string) {
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	path := "/repo/10/os/x86_64/Packages/" + filepath.Base(file)

	// os serves the project's signed copy of a core package: the same
	// package (same header, same payload) with the forge's signature.
	full := s.request(t, http.MethodGet, path, "", nil)
	if full.status != http.StatusOK {
		t.Fatalf("GET %s: %d", path, full.status)
	}
	want := full.body
	sum := sha256.Sum256(want)
	po, err := rpm.Read(bytes.NewReader(orig), file)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := rpm.Read(bytes.NewReader(want), path)
	if err != nil {
		t.Fatalf("GET %s: not a valid RPM: %v", path, err)
	}
	if ps.NEVRA() != po.NEVRA() || ps.Signature == nil || !bytes.Equal(orig[po.HeaderStart:], want[ps.HeaderStart:]) {
		t.Fatalf("GET %s: %s signed %v, want the signed copy of %s (same header and payload)", path, ps.NEVRA(), ps.Signature, file)
	}
	if got := hex.EncodeToString(sum[:]); !strings.Contains(full.header.Get("ETag"), got) {
		t.Errorf("GET %s: ETag %q, want the file's sha256 %s", path, full.header.Get("ETag"), got)
	}

	head := s.request(t, http.MethodHead, path, "", nil)
	if head.status != http.StatusOK {
		t.Errorf("HEAD %s: %d", path, head.status)
	}
	if cl := head.header.Get("Content-Length"); cl != strconv.Itoa(len(want)) {
		t.Errorf("HEAD %s: Content-Length %q, want %d", path, cl, len(want))
	}
	if len(head.body) != 0 {
		t.Errorf("HEAD %s: %d bytes of body", path, len(head.body))
	}

	rng := s.request(t, http.MethodGet, path, "", nil, "Range", "bytes=100-1123")
	if rng.status != http.StatusPartialContent {
		t.Errorf("GET %s with Range bytes=100-1123: %d, want 206", path, rng.status)
	}
	if !bytes.Equal(rng.body, want[100:1124]) {
		t.Errorf("GET %s with Range bytes=100-1123: %d bytes, not bytes 100 to 1123 of the file", path, len(rng.body))
	}
	if cr, w := rng.header.Get("Content-Range"), fmt.Sprintf("bytes 100-1123/%d", len(want)); cr != w {
		t.Errorf("GET %s with Range: Content-Range %q, want %q", path, cr, w)
	}
	tail := s.request(t, http.MethodGet, path, "", nil, "Range", "bytes=-10")
	if tail.status != http.StatusPartialContent || !bytes.Equal(tail.body, want[len(want)-10:]) {
		t.Errorf("GET %s with Range bytes=-10: %d, %q; want 206 and the last 10 bytes", path, tail.status, tail.body)
	}

	etag := full.header.Get("ETag")
	if etag == "" {
		t.Errorf("GET %s: no ETag", path)
	} else {
		nm := s.request(t, http.MethodGet, path, "", nil, "If-None-Match", etag)
		if nm.status != http.StatusNotModified || len(nm.body) != 0 {
			t.Errorf("GET %s with If-None-Match %s: %d with %d bytes, want 304 and no body", path, etag, nm.status, len(nm.body))
		}
		other := s.request(t, http.MethodGet, path, "", nil, "If-None-Match", `"0000"`)
		if other.status != http.StatusOK {
			t.Errorf("GET %s with another If-None-Match: %d, want 200", path, other.status)
		}
	}

	md := "/repo/10/os/x86_64/repodata/repomd.xml"
	r := s.request(t, http.MethodGet, md, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d", md, r.status)
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("GET %s: Cache-Control %q, want no-cache", md, cc)
	}
	if et := r.header.Get("ETag"); et == "" {
		t.Errorf("GET %s: no ETag", md)
	} else if nm := s.request(t, http.MethodGet, md, "", nil, "If-None-Match", et); nm.status != http.StatusNotModified {
		t.Errorf("GET %s with If-None-Match %s: %d, want 304", md, et, nm.status)
	}
	if h := s.request(t, http.MethodHead, md, "", nil); h.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
		t.Errorf("HEAD %s: Content-Length %q, want %d", md, h.header.Get("Content-Length"), len(r.body))
	}
	if _, err := checkRepoSnapshot(s, "/repo/10/os/x86_64/"); err != nil {
		t.Error(err)
	}

	// A package is served only in the repository of its architecture.
	if r := s.request(t, http.MethodGet, "/repo/10/os/source/Packages/"+filepath.Base(file), "", nil); r.status != http.StatusNotFound {
		t.Errorf("a binary package from the source repository: %d, want 404", r.status)
	}
	if r := s.request(t, http.MethodGet, "/repo/10/updates/x86_64/Packages/"+filepath.Base(file), "", nil); r.status != http.StatusNotFound {
		t.Errorf("a package of 10/os from 10/updates: %d, want 404", r.status)
	}
}

// concurrentUploads sends the same new file from 8 clients at once (one
// is created, the others find it there), then two files with the same
// NEVRA and different content at once (one is stored, the other refused
// with 409).
func concurrentUploads(t *testing.T, s *server, dir string) {
	ctx := context.Background()
	admin := s.client(t, true)
	same := simpleBuild(t, dir, "cu-same", "1.0", "1", "cu-same")[1]
	var wg sync.WaitGroup
	var created, existed atomic.Int64
	for range 8 {
		wg.Go(func() {
			res, err := admin.UploadFile(ctx, same)
			switch {
			case err != nil:
				t.Errorf("uploading one file from 8 clients at once: %v", err)
			case res.Created:
				created.Add(1)
			default:
				existed.Add(1)
			}
		})
	}
	wg.Wait()
	if created.Load() != 1 || existed.Load() != 7 {
		t.Errorf("one file uploaded 8 times at once: %d created, %d found there; want 1 and 7", created.Load(), existed.Load())
	}

	var files []string
	for i := range 2 {
		files = append(files, writeRPM(t, filepath.Join(dir, fmt.Sprint(i)), corpus.PackageSpec{
			Name: "cu-clash", Version: "1.0", Release: "1",
			Files: []corpus.File{{Path: "/usr/share/cu-clash/README", Content: []byte(fmt.Sprintf("variant %d\n", i))}},
		}))
	}
	var stored, conflicts atomic.Int64
	for _, f := range files {
		wg.Go(func() {
			_, err := admin.UploadFile(ctx, f)
			var ae *client.APIError
			switch {
			case err == nil:
				stored.Add(1)
			case errors.As(err, &ae) && ae.Status == http.StatusConflict:
				conflicts.Add(1)
			default:
				t.Errorf("uploading two variants of cu-clash-1.0-1 at once: %v", err)
			}
		})
	}
	wg.Wait()
	if stored.Load() != 1 || conflicts.Load() != 1 {
		t.Errorf("two variants of one NEVRA uploaded at once: %d stored, %d refused with 409; want 1 and 1", stored.Load(), conflicts.Load())
	}
	for _, name := range []string{"cu-same", "cu-clash"} {
		var pl client.PackageList
		s.getJSON(t, "/api/v1/packages?q="+name, &pl)
		if pl.Total != 1 {
			t.Errorf("%s: %d packages in the catalog, want 1", name, pl.Total)
		}
	}
}
