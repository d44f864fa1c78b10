//go:build integration

package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/client"
	"github.com/smeserver/smeforge/internal/corpus"
)

// maxUpload is the --max-upload of TestBadInput's server.
const maxUpload = 100000

// snapshot is what a refused request must leave as it was: the catalog,
// the releases and channels, the published repository and the blob folder.
type snapshot struct {
	Packages int
	Builds   []string
	Releases []string
	Channels []string // "name version published builds"
	Repomd   string
	Blobs    []string // files below DATA/blobs, tmp/ aside
	Tmp      []string // entries of DATA/blobs/tmp
	Files    []string // everything else in DATA but the database
}

func takeSnapshot(t *testing.T, s *server) snapshot {
	t.Helper()
	var sn snapshot
	var pl client.PackageList
	s.getJSON(t, "/api/v1/packages?limit=1000", &pl)
	sn.Packages = pl.Total
	var bl struct{ Builds []client.Build }
	s.getJSON(t, "/api/v1/builds?limit=1000", &bl)
	for _, b := range bl.Builds {
		sn.Builds = append(sn.Builds, b.ID)
	}
	var rl struct{ Releases []client.Release }
	s.getJSON(t, "/api/v1/releases", &rl)
	for _, r := range rl.Releases {
		sn.Releases = append(sn.Releases, r.Name)
		var cl struct{ Channels []client.Channel }
		s.getJSON(t, "/api/v1/releases/"+r.Name+"/channels", &cl)
		for _, c := range cl.Channels {
			sn.Channels = append(sn.Channels, fmt.Sprintf("%s/%s v%d p%d b%d", r.Name, c.Name, c.Version, c.PublishedVersion, c.Builds))
		}
	}
	sn.Repomd = string(s.get(t, "/repo/10/os/x86_64/repodata/repomd.xml"))
	root := filepath.Join(s.data, "blobs")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && rel == "tmp" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			sn.Blobs = append(sn.Blobs, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(s.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.data, p)
		switch {
		case rel == "blobs":
			return filepath.SkipDir
		case strings.HasPrefix(rel, "smeforge.db"):
			return nil
		}
		sn.Files = append(sn.Files, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := os.ReadDir(filepath.Join(root, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tmp {
		sn.Tmp = append(sn.Tmp, e.Name())
	}
	return sn
}

// unchanged fails the test when the server's state differs from before.
func unchanged(t *testing.T, s *server, before snapshot, what string) {
	t.Helper()
	after := takeSnapshot(t, s)
	if len(after.Tmp) > 0 {
		t.Errorf("after %s: DATA/blobs/tmp is not empty: %q", what, after.Tmp)
	}
	fields := func(sn snapshot) map[string]json.RawMessage {
		b, err := json.Marshal(sn)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	b, a := fields(before), fields(after)
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if string(a[k]) != string(b[k]) {
			t.Errorf("%s changed %s:\nbefore: %s\nafter:  %s", what, k, b[k], a[k])
		}
	}
}

// TestBadInput sends the server what it must refuse: files that are not
// RPMs or are damaged, too large, or clash with a stored package; paths
// that climb out of the repository; unknown channels; calls without a
// valid token. Each gets a 4xx with a message saying what is wrong, and
// leaves the catalog, the repository and the blob folder as they were.
func TestBadInput(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	s := startServer(t, filepath.Join(tmp, "data"), "--max-upload", fmt.Sprint(maxUpload))
	ctx := context.Background()
	admin := s.client(t, true)

	// The state the refusals must not change: one build in 10/os,
	// published, and one build outside any channel.
	var inChannel, outside string
	for i, name := range []string{"bi-base", "bi-extra"} {
		for _, p := range simpleBuild(t, filepath.Join(tmp, "rpms"), name, "1.0", "1", name) {
			res, err := admin.UploadFile(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				inChannel = res.Package.Build
			} else {
				outside = res.Package.Build
			}
		}
	}
	if _, err := admin.CreateRelease(ctx, "10", "Rocky Linux 8", nil); err != nil {
		t.Fatal(err)
	}
	// os takes base, infra and core builds: the administrator imports this
	// one as core.
	if _, err := admin.SetBuildCategory(ctx, inChannel, "core"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddBuilds(ctx, "10", "os", inChannel); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatal(err)
	}
	// Files next to the repositories that no URL may ever serve.
	if err := os.WriteFile(filepath.Join(s.data, "secret-marker"), []byte("TOP-SECRET-MARKER\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := os.ReadFile(filepath.Join(s.data, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, s)
	// 4 uploads, and the signed copies of the core build's RPM and SRPM.
	if len(before.Blobs) != 6 {
		t.Fatalf("DATA/blobs holds %q after uploading 4 files and signing 2 of them", before.Blobs)
	}

	upload := func(t *testing.T, name string, body []byte, headers ...string) response {
		t.Helper()
		return s.request(t, http.MethodPost, "/api/v1/packages?filename="+name, s.token, body,
			append([]string{"Content-Type", "application/x-rpm"}, headers...)...)
	}
	valid, err := os.ReadFile(filepath.Join(tmp, "rpms", "bi-extra-1.0-1.noarch.rpm"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("not an RPM", func(t *testing.T) {
		r := upload(t, "notes.txt", []byte("These are my notes, not a package.\n"))
		apiError(t, "uploading a text file", r, http.StatusBadRequest, "notes.txt", "not an RPM")
		r = upload(t, "zeros.rpm", make([]byte, 4096))
		apiError(t, "uploading 4096 zero bytes", r, http.StatusBadRequest, "zeros.rpm")
		r = upload(t, "empty.rpm", []byte{})
		apiError(t, "uploading nothing", r, http.StatusBadRequest, "empty.rpm")
		unchanged(t, s, before, "uploading files that are not RPMs")
	})

	t.Run("truncated RPM", func(t *testing.T) {
		// A new package, so that only the damage can refuse it.
		fresh, err := os.ReadFile(writeRPM(t, filepath.Join(tmp, "fresh"), corpus.PackageSpec{
			Name: "bi-fresh", Version: "1.0", Release: "1",
			Files: []corpus.File{{Path: "/usr/share/bi-fresh/data", Content: randomBytes(t, 20000)}},
		}))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{50, 96 + 8, 400, 3000, len(fresh) / 2, len(fresh) - 1} {
			r := upload(t, "cut.rpm", fresh[:n])
			msg := apiError(t, fmt.Sprintf("uploading the first %d of %d bytes of an RPM", n, len(fresh)), r, http.StatusBadRequest, "cut.rpm")
			if !strings.Contains(msg, "truncated") && !strings.Contains(msg, "not an RPM") {
				t.Errorf("uploading the first %d of %d bytes of an RPM: message %q says neither truncated nor not an RPM", n, len(fresh), msg)
			}
		}
		unchanged(t, s, before, "uploading truncated RPMs")

		// One byte of the main header changed: its digest in the
		// signature header no longer matches.
		bad := append([]byte(nil), fresh...)
		at := bytes.Index(bad, []byte("made by smeforge"))
		if at < headerOffset(t, bad) {
			t.Fatalf("the summary is not in the main header")
		}
		bad[at] = 'M'
		r := upload(t, "altered.rpm", bad)
		apiError(t, "uploading an RPM whose header was altered", r, http.StatusBadRequest, "altered.rpm", "digest")
		unchanged(t, s, before, "uploading an RPM whose header was altered")
	})

	t.Run("too large", func(t *testing.T) {
		big := writeRPM(t, filepath.Join(tmp, "big"), corpus.PackageSpec{
			Name: "bi-big", Version: "1.0", Release: "1",
			Files: []corpus.File{{Path: "/usr/share/bi-big/random", Content: randomBytes(t, 3*maxUpload/2)}},
		})
		b, err := os.ReadFile(big)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) <= maxUpload {
			t.Fatalf("the big package is only %d bytes", len(b))
		}
		r := upload(t, "big.rpm", b)
		apiError(t, "uploading an RPM over --max-upload (with Content-Length)", r, http.StatusRequestEntityTooLarge, "big.rpm", "limit")
		unchanged(t, s, before, "an upload over the limit (with Content-Length)")

		// Without a Content-Length the server finds out while reading.
		req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/packages?filename=big.rpm", io.MultiReader(bytes.NewReader(b)))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := s.hc.Do(req)
		if err != nil {
			t.Fatalf("chunked upload: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		apiError(t, "uploading an RPM over --max-upload (chunked)", response{resp.StatusCode, resp.Header, body}, http.StatusRequestEntityTooLarge, "limit")
		unchanged(t, s, before, "an upload over the limit (chunked)")

		// The command line says so and fails.
		c := s.cli(t, "upload", big)
		if c.code != 1 || !strings.Contains(c.stderr, "limit") {
			t.Errorf("smeforge upload of a file over the limit: exit %d, stderr %q; want exit 1 and the server's message", c.code, c.stderr)
		}
		unchanged(t, s, before, "smeforge upload of a file over the limit")
	})

	t.Run("same NEVRA, other content", func(t *testing.T) {
		other := writeRPM(t, filepath.Join(tmp, "other"), corpus.PackageSpec{
			Name: "bi-base", Version: "1.0", Release: "1", SourceRPM: "bi-base-1.0-1.src.rpm",
			Files: []corpus.File{{Path: "/usr/share/bi-base/README", Content: []byte("something else\n")}},
		})
		b, err := os.ReadFile(other)
		if err != nil {
			t.Fatal(err)
		}
		r := upload(t, "bi-base-1.0-1.noarch.rpm", b)
		apiError(t, "uploading another bi-base-1.0-1.noarch", r, http.StatusConflict, "bi-base-1.0-1")
		unchanged(t, s, before, "uploading a package that clashes with a stored one")
	})

	t.Run("paths out of the repository", func(t *testing.T) {
		secrets := []string{"TOP-SECRET-MARKER", "SQLite format 3", "root:x:0:0", s.token}
		if k := strings.TrimSpace(string(keys)); len(k) >= 8 {
			secrets = append(secrets, k)
		}
		for _, p := range []string{
			"/repo/10/os/x86_64/Packages/..%2F..%2Fsecret",
			"/repo/10/os/x86_64/Packages/..%2F..%2Fsecret-marker",
			"/repo/10/os/x86_64/Packages/..%2F..%2F..%2F..%2F..%2Fsecret-marker",
			"/repo/../../etc/passwd",
			"/repo/10/os/x86_64/repodata/..%2F..%2F..%2Fsmeforge.db",
			"/repo/10/os/x86_64/repodata/..%2F..%2F..%2F..%2F..%2Fsmeforge.db",
			"/repo/10/os/x86_64/repodata/..%2F..%2F..%2F..%2F..%2Fadmin-token",
			"/repo/10/os/x86_64/repodata/%2e%2e",
			"/repo/10/os/..%2F..%2F..%2F..%2F/repodata/smeforge.db",
			"/repo/10/..%2F..%2F..%2F/x86_64/repodata/smeforge.db",
			"/repo/..%2F..%2Fsmeforge.db",
			"/repo/10/os/x86_64/Packages/%2Fetc%2Fpasswd",
			"/repo/10/os/x86_64/repodata/%2Fetc%2Fpasswd",
		} {
			r := s.request(t, http.MethodGet, p, "", nil)
			if r.status < 400 || r.status > 499 {
				t.Errorf("GET %s: %d, want a 4xx", p, r.status)
			}
			for _, sec := range secrets {
				if strings.Contains(string(r.body), sec) {
					t.Errorf("GET %s: the answer holds %q:\n%s", p, sec, firstLines(string(r.body), 5))
				}
			}
			// The repository answers in text, not JSON (docs/api.md:
			// "errors as one line of text").
			if strings.HasPrefix(p, "/repo/10/") {
				if msg := strings.TrimSpace(string(r.body)); msg == "" || strings.Contains(msg, "\n") {
					t.Errorf("GET %s: answer %q, want one line saying what is wrong", p, msg)
				}
			}
		}
		unchanged(t, s, before, "requests for paths out of the repository")
	})

	t.Run("unknown channel", func(t *testing.T) {
		r := s.request(t, http.MethodPost, "/api/v1/releases/10/channels/nope/builds", s.token,
			[]byte(`{"builds":["`+outside+`"]}`), "Content-Type", "application/json")
		addMsg := apiError(t, "adding a build to 10/nope", r, http.StatusNotFound, "nope")
		r = s.request(t, http.MethodPost, "/api/v1/releases/10/channels/nope/publish", s.token, nil)
		pubMsg := apiError(t, "publishing 10/nope", r, http.StatusNotFound, "nope")
		r = s.request(t, http.MethodDelete, "/api/v1/releases/10/channels/nope/builds/"+inChannel, s.token, nil)
		apiError(t, "removing a build from 10/nope", r, http.StatusNotFound, "nope")
		r = s.request(t, http.MethodPost, "/api/v1/releases/99/channels/os/publish", s.token, nil)
		apiError(t, "publishing 99/os", r, http.StatusNotFound, "99")
		r = s.request(t, http.MethodPost, "/api/v1/releases/10/channels/os/builds", s.token,
			[]byte(`{"builds":["no-such-build-1-1"]}`), "Content-Type", "application/json")
		apiError(t, "adding an unknown build to 10/os", r, http.StatusNotFound, "no-such-build-1-1")

		// The command line prints the server's sentence and fails.
		c := s.cli(t, "channel", "add", "10", "nope", outside)
		cliSaysAPIError(t, "smeforge channel add 10 nope", c, addMsg, http.StatusNotFound)
		c = s.cli(t, "publish", "10", "nope")
		cliSaysAPIError(t, "smeforge publish 10 nope", c, pubMsg, http.StatusNotFound)
		unchanged(t, s, before, "requests naming an unknown channel")
	})

	t.Run("names that are paths", func(t *testing.T) {
		for _, c := range []struct {
			method, path, body string
		}{
			{http.MethodPost, "/api/v1/releases", `{"name":"../x","base_os":"Rocky Linux 8"}`},
			{http.MethodPost, "/api/v1/releases", `{"name":"..","base_os":"Rocky Linux 8"}`},
			{http.MethodPost, "/api/v1/releases", `{"name":"a/b","base_os":"Rocky Linux 8"}`},
			{http.MethodPost, "/api/v1/releases/10/channels", `{"name":".."}`},
			{http.MethodPost, "/api/v1/releases/10/channels", `{"name":"../../../x"}`},
			{http.MethodPost, "/api/v1/releases/10/channels", `{"name":"os","arches":["../x"]}`},
			{http.MethodPost, "/api/v1/releases/10/channels/..%2F..%2Fos/publish", ""},
			{http.MethodPost, "/api/v1/releases/..%2F10/channels/os/publish", ""},
			{http.MethodPost, "/api/v1/releases/10/channels/%2E%2E/publish", ""},
			{http.MethodPost, "/api/v1/releases/10/channels/os/builds", `{"builds":["../../x"]}`},
			{http.MethodDelete, "/api/v1/releases/10/channels/os/builds/..%2F..%2F" + inChannel, ""},
		} {
			var body []byte
			var hdr []string
			if c.body != "" {
				body = []byte(c.body)
				hdr = []string{"Content-Type", "application/json"}
			}
			r := s.request(t, c.method, c.path, s.token, body, hdr...)
			what := c.method + " " + c.path + " " + c.body
			if r.status < 400 || r.status > 499 {
				t.Errorf("%s: %d, want a 4xx", what, r.status)
				continue
			}
			apiError(t, what, r, r.status)
		}
		unchanged(t, s, before, "requests naming releases, channels and builds with paths")
	})

	t.Run("token", func(t *testing.T) {
		freshRPM, err := os.ReadFile(writeRPM(t, filepath.Join(tmp, "auth"), corpus.PackageSpec{
			Name: "bi-auth", Version: "1.0", Release: "1",
			Files: []corpus.File{{Path: "/usr/share/bi-auth/README", Content: []byte("auth\n")}},
		}))
		if err != nil {
			t.Fatal(err)
		}
		// Requests that would each change something with a valid token.
		routes := []struct {
			method, path string
			body         []byte
			ctype        string
		}{
			{http.MethodPost, "/api/v1/packages?filename=bi-auth.rpm", freshRPM, "application/x-rpm"},
			{http.MethodPost, "/api/v1/packages?filename=bi-extra.rpm", valid, "application/x-rpm"},
			{http.MethodPost, "/api/v1/releases", []byte(`{"name":"11","base_os":"Rocky Linux 9"}`), "application/json"},
			{http.MethodPost, "/api/v1/releases/10/channels", []byte(`{"name":"contribs"}`), "application/json"},
			{http.MethodPost, "/api/v1/releases/10/channels/os/builds", []byte(`{"builds":["` + outside + `"]}`), "application/json"},
			{http.MethodDelete, "/api/v1/releases/10/channels/os/builds/" + inChannel, nil, ""},
			{http.MethodPost, "/api/v1/releases/10/channels/os/publish", nil, ""},
			{http.MethodPost, "/api/v1/releases/10/channels/os/publish", []byte(`{"version":0}`), "application/json"},
		}
		auths := []struct{ what, header string }{
			{"no token", ""},
			{"a wrong token", "Bearer smf_" + strings.Repeat("0", 43)},
			{"a token that is not smeforge's", "Bearer nonsense"},
			{"an empty bearer token", "Bearer "},
			{"basic auth", "Basic YWRtaW46YWRtaW4="},
			{"the right token, not as a bearer token", s.token},
		}
		for _, rt := range routes {
			for _, a := range auths {
				var hdr []string
				if a.header != "" {
					hdr = append(hdr, "Authorization", a.header)
				}
				if rt.ctype != "" {
					hdr = append(hdr, "Content-Type", rt.ctype)
				}
				r := s.request(t, rt.method, rt.path, "", rt.body, hdr...)
				what := fmt.Sprintf("%s %s with %s", rt.method, rt.path, a.what)
				apiError(t, what, r, http.StatusUnauthorized)
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s: WWW-Authenticate %q, want Bearer ...", what, r.header.Get("WWW-Authenticate"))
				}
			}
		}
		r := s.request(t, http.MethodPost, "/api/v1/releases/10/channels/os/publish", "smf_wrong", nil)
		wrongMsg := apiError(t, "publishing with a wrong token", r, http.StatusUnauthorized, "token")
		r = s.request(t, http.MethodPost, "/api/v1/releases/10/channels/os/publish", "", nil)
		apiError(t, "publishing without a token", r, http.StatusUnauthorized, "token")

		// The command line prints the server's sentence and fails.
		wrong := []string{"--token", "smf_wrong"}
		c := s.cliAs(t, wrong, "publish", "10", "os")
		cliSaysAPIError(t, "smeforge publish 10 os with a wrong token", c, wrongMsg, http.StatusUnauthorized)
		c = s.cliAs(t, wrong, "channel", "add", "10", "os", outside)
		cliSaysAPIError(t, "smeforge channel add with a wrong token", c, wrongMsg, http.StatusUnauthorized)
		c = s.cliAs(t, wrong, "release", "create", "11", "--base-os", "Rocky Linux 9")
		cliSaysAPIError(t, "smeforge release create with a wrong token", c, wrongMsg, http.StatusUnauthorized)
		c = s.cliAs(t, wrong, "upload", filepath.Join(tmp, "auth", "bi-auth-1.0-1.noarch.rpm"))
		if c.code != 1 || !strings.Contains(c.stderr, wrongMsg) {
			t.Errorf("smeforge upload with a wrong token: exit %d, stderr %q; want exit 1 and %q", c.code, c.stderr, wrongMsg)
		}
		// Without any token the command line refuses before asking.
		c = s.cliAs(t, nil, "publish", "10", "os")
		if c.code == 0 || !strings.Contains(c.stderr, "token") {
			t.Errorf("smeforge publish without a token: exit %d, stderr %q", c.code, c.stderr)
		}
		unchanged(t, s, before, "mutating requests without a valid token")
	})

	// Last, as a failure here changes the state the cases above compare
	// with: one byte of the payload changed. The header is intact, but the
	// payload no longer matches the header's PAYLOADDIGEST (rpm -K says
	// "Payload SHA256 digest: BAD" and rpm refuses to install it).
	t.Run("damaged payload", func(t *testing.T) {
		good := writeRPM(t, filepath.Join(tmp, "damaged"), corpus.PackageSpec{
			Name: "bi-damaged", Version: "1.0", Release: "1",
			Files: []corpus.File{{Path: "/usr/share/bi-damaged/data", Content: randomBytes(t, 20000)}},
		})
		b, err := os.ReadFile(good)
		if err != nil {
			t.Fatal(err)
		}
		off := len(b) - 2000
		if off <= headerOffset(t, b)+16 {
			t.Fatalf("offset %d is not in the payload", off)
		}
		bad := append([]byte(nil), b...)
		bad[off] ^= 0x55
		// rpm, the oracle, calls it damaged.
		if _, err := exec.LookPath("rpm"); err == nil {
			p := filepath.Join(tmp, "damaged", "bad.rpm")
			if err := os.WriteFile(p, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			if r, err := run("rpm", "-K", "--nosignature", p); err != nil || r.code == 0 {
				t.Fatalf("rpm -K accepts the damaged file (%v): %s", err, r.stdout)
			}
		}
		r := upload(t, "bi-damaged-1.0-1.noarch.rpm", bad)
		if r.status < 400 {
			t.Errorf("uploading an RPM whose payload does not match its PAYLOADDIGEST: %d, want 400; the server stored it:\n%s",
				r.status, firstLines(string(r.body), 2))
			// The damaged file now takes the place of the real one.
			g := upload(t, "bi-damaged-1.0-1.noarch.rpm", b)
			t.Errorf("the undamaged file, uploaded next: %d %s", g.status, firstLines(string(g.body), 2))
			return
		}
		apiError(t, "uploading an RPM whose payload does not match its digest", r, http.StatusBadRequest, "bi-damaged", "digest")
		unchanged(t, s, before, "uploading an RPM whose payload does not match its digest")
	})
}

// cliSaysAPIError checks that the command line failed with exit status 1
// and printed the server's message as one sentence:
// "smeforge: MESSAGE (HTTP STATUS)".
func cliSaysAPIError(t *testing.T, what string, c result, msg string, status int) {
	t.Helper()
	want := fmt.Sprintf("smeforge: %s (HTTP %d)", msg, status)
	if c.code != 1 {
		t.Errorf("%s: exit %d, want 1", what, c.code)
	}
	if msg == "" || strings.TrimSpace(c.stderr) != want {
		t.Errorf("%s: stderr %q, want %q", what, c.stderr, want)
	}
	if strings.Contains(c.stderr, "{") || strings.Contains(c.stderr, "Usage:") {
		t.Errorf("%s: stderr shows JSON or the usage: %q", what, c.stderr)
	}
}

// headerOffset returns where the main header of an RPM file starts: after
// the 96-byte lead and the signature header, padded to 8 bytes.
func headerOffset(t testing.TB, b []byte) int {
	t.Helper()
	if len(b) < 96+16 {
		t.Fatalf("an RPM of %d bytes", len(b))
	}
	sig := b[96:]
	il := int(sig[8])<<24 | int(sig[9])<<16 | int(sig[10])<<8 | int(sig[11])
	dl := int(sig[12])<<24 | int(sig[13])<<16 | int(sig[14])<<8 | int(sig[15])
	n := 16 + 16*il + dl
	return 96 + (n+7)/8*8
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
