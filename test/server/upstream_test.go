//go:build integration

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/repodata"
	"github.com/smeserver/smeforge/internal/sign"
	"github.com/smeserver/smeforge/internal/testutil"
)

// TestUpstreamSync syncs a base OS repository made of the vendor-signed
// packages of the test data: metadata verified against the repository's
// key, packages against the vendors' keys; an unsupported (CentOS 5) or
// foreign signature is refused, and the base packages feed the checks.
func TestUpstreamSync(t *testing.T) {
	signed := testutil.SharedTestdata(t, "signed")
	ctx := context.Background()
	tmp := t.TempDir()
	repo := filepath.Join(tmp, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range testutil.Glob(t, filepath.Join(signed, "*.rpm")) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := repodata.Build(ctx, repodata.Options{Dir: repo}); err != nil {
		t.Fatal(err)
	}
	// The mirror signs its repomd.xml with its own key; packages carry
	// the vendors' signatures.
	k, err := sign.GenerateKey(sign.KeyOptions{Type: sign.KeyEdDSA, UserID: "mirror"})
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(repo, "repodata", "repomd.xml"))
	asc, err := sign.SignDetached(md, k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "repodata", "repomd.xml.asc"), asc, 0o644); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.FileServer(http.Dir(repo)))
	defer hs.Close()
	c7, err := os.ReadFile(filepath.Join(signed, "RPM-GPG-KEY-CentOS-7"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(tmp, "keys.asc")
	if err := os.WriteFile(keyFile, append(append(k.PublicKey(), '\n'), c7...), 0o644); err != nil {
		t.Fatal(err)
	}

	s := startServer(t, filepath.Join(tmp, "data"), "--key-type", "eddsa")
	defer s.stop(t)
	s.mustCLI(t, "upstream", "add", "centos7", "--url", hs.URL, "--key", keyFile)
	out := s.mustCLI(t, "upstream", "sync", "centos7")
	if !strings.Contains(out, "4 packages recorded as base") || !strings.Contains(out, "verified by key "+k.KeyID()) {
		t.Errorf("upstream sync said:\n%s", out)
	}
	// Packages: CentOS 7 and EPEL 7 verify with the CentOS 7 key; CentOS 6
	// is signed by a key not given, CentOS 5's key is unsupported.
	r := s.cli(t, "upstream", "sync", "centos7", "--packages")
	if r.code != 1 || !strings.Contains(r.stdout, "2 packages downloaded and verified, 2 refused") {
		t.Fatalf("upstream sync --packages: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"centos-release-6", "centos-release-10:5"} {
		if !strings.Contains(r.stdout, "refused: "+want) && !strings.Contains(r.stdout, want) {
			t.Errorf("no refusal of %s in:\n%s", want, r.stdout)
		}
	}
	var pk struct {
		Total    int `json:"total"`
		Packages []struct {
			Name     string `json:"name"`
			Category string `json:"category"`
		} `json:"packages"`
	}
	s.getJSON(t, "/api/v1/packages?q=release", &pk)
	got := map[string]string{}
	for _, p := range pk.Packages {
		got[p.Name] = p.Category
	}
	if got["centos-release"] != "base" || got["epel-release"] != "base" {
		t.Errorf("stored packages = %v, want the verified ones in base", got)
	}

	// A repomd.xml altered by one byte is refused at the next sync.
	md[len(md)/2] ^= 1
	if err := os.WriteFile(filepath.Join(repo, "repodata", "repomd.xml"), md, 0o644); err != nil {
		t.Fatal(err)
	}
	r = s.cli(t, "upstream", "sync", "centos7")
	if r.code == 0 || !strings.Contains(r.stderr, "not signed by the given key") && !strings.Contains(r.stderr, "signature") {
		t.Errorf("sync of an altered repomd.xml: exit %d, %s", r.code, r.stderr)
	}
}

// TestSourceArchive: the archive is browsable and downloadable by anyone,
// says what cannot be rebuilt, and runs rpmbuild --rebuild jobs.
func TestSourceArchive(t *testing.T) {
	tmp := t.TempDir()
	demo := filepath.Join(tmp, "demo")
	files, err := corpus.Demo(demo)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, filepath.Join(tmp, "data"), "--key-type", "eddsa")
	defer s.stop(t)
	s.mustCLI(t, append([]string{"upload", "--category", "core"}, files...)...)
	s.mustCLI(t, "release", "create", "10", "--base-os", "Rocky Linux 8")
	s.mustCLI(t, "channel", "add", "10", "os", "smeforge-demo-hello-1.0-1.el7.sme", "smeforge-demo-lib-1.2.3-1.el7.sme")

	page := string(s.get(t, "/sources?q=hello"))
	if !strings.Contains(page, "smeforge-demo-hello-1.0-1.el7.sme.src.rpm") {
		t.Errorf("/sources does not list the hello SRPM")
	}
	var orig []byte
	for _, f := range files {
		if strings.HasSuffix(f, "smeforge-demo-hello-1.0-1.el7.sme.src.rpm") {
			orig, _ = os.ReadFile(f)
		}
	}
	got := s.get(t, "/sources/smeforge-demo-hello-1.0-1.el7.sme.src.rpm")
	if !bytes.Equal(got, orig) {
		t.Errorf("/sources download: %d bytes, want the %d bytes uploaded", len(got), len(orig))
	}
	if r := s.request(t, http.MethodGet, "/sources/..%2F..%2Fsmeforge.db", "", nil); r.status < 400 || r.status >= 500 {
		t.Errorf("/sources with a .. path: %d", r.status)
	}
	var rep struct {
		SRPMs       int `json:"srpms"`
		Rebuildable int `json:"rebuildable"`
		NoSource    []struct {
			Build string `json:"build"`
		} `json:"no_source"`
		Unbuildable []struct {
			Package string   `json:"package"`
			Needs   []string `json:"needs"`
		} `json:"unbuildable"`
	}
	s.getJSON(t, "/api/v1/releases/10/archive", &rep)
	// hello needs nothing to build; lib needs what no package here provides.
	if rep.SRPMs != 2 || len(rep.NoSource) != 0 || rep.Rebuildable+len(rep.Unbuildable) != 2 {
		t.Errorf("archive report = %+v", rep)
	}
	for _, u := range rep.Unbuildable {
		if strings.Contains(u.Package, "hello") || len(u.Needs) == 0 {
			t.Errorf("unbuildable: %+v", u)
		}
	}
	testutil.RequireTool(t, "rpmbuild")
	var rb struct {
		OK       bool     `json:"ok"`
		Produced []string `json:"produced"`
		Log      string   `json:"log"`
	}
	r := s.request(t, http.MethodPost, "/api/v1/builds/smeforge-demo-hello-1.0-1.el7.sme/rebuild", s.token, nil)
	if r.status != http.StatusOK {
		t.Fatalf("rebuild: %d %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &rb); err != nil || !rb.OK || len(rb.Produced) != 1 {
		t.Errorf("rebuild = %+v (%v)\n%s", rb, err, rb.Log)
	}
}
