//go:build integration

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/client"
	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
	"github.com/smeserver/smeforge/internal/testutil"
)

// TestSecurityTracker: real records imported with the CLI open exactly the
// entries of the older packages of a Rocky Linux 8 release; triage through
// the API is refused without the role, shown on the public page without
// the private notes, stated in OpenVEX, and in the audit log.
func TestSecurityTracker(t *testing.T) {
	adv := testutil.SharedTestdata(t, "advisories")
	ctx := context.Background()
	tmp := t.TempDir()
	s := startServer(t, filepath.Join(tmp, "data"), "--key-type", "eddsa")

	s.mustCLI(t, "release", "create", "10.0", "--base-os", "Rocky Linux 8")
	pkgs := filepath.Join(tmp, "pkgs")
	os.MkdirAll(pkgs, 0o755)
	for _, p := range []corpus.PackageSpec{
		{Name: "lz4", Version: "1.8.3", Release: "2.el8"},                               // before the fix 1.8.3-3.el8_4
		{Name: "java-11-openjdk", Epoch: 1, Version: "11.0.13.0.8", Release: "1.el8_4"}, // the fixed version
	} {
		p.Arch, p.Summary, p.License, p.BuildTime = "x86_64", "s", "MIT", time.Unix(1700000000, 0)
		p.Files = []corpus.File{{Path: "/usr/share/" + p.Name + "/f", Content: []byte(p.Version)}}
		var b bytes.Buffer
		if err := corpus.WriteRPM(&b, p); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkgs, p.Name+".rpm"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.mustCLI(t, "upload", "--category", "core", pkgs)
	s.mustCLI(t, "channel", "add", "10.0", "os", "lz4-1.8.3-2.el8", "java-11-openjdk-11.0.13.0.8-1.el8_4")

	// The records: real ones, the CSAF fixture and a bad one. Red Hat's VEX
	// (read first) opens the lz4 entry; Rocky's updateinfo adds itself to it.
	recs := filepath.Join(tmp, "records")
	os.MkdirAll(recs, 0o755)
	for _, f := range []string{"ALSA-2023_4520.osv.json", "RLSA-2021_3891.osv.json", "RLSA-2024_3671.osv.json", "rocky8-updateinfo.xml"} {
		b, err := os.ReadFile(filepath.Join(adv, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(recs, f), b, 0o644)
	}
	csaf, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "internal", "security", "testdata", "cve-2021-3520.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(recs, "cve-2021-3520.json"), csaf, 0o644)
	os.WriteFile(filepath.Join(recs, "bad.json"), []byte(`{"id":"BAD-1","affected":[{"package":{"ecosystem":"Rocky Linux:8","name":"lz4"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1.0-1"}]}]}]}`), 0o644)

	r := s.cli(t, "security", "import", recs)
	if r.code != 0 || !strings.Contains(r.stdout, "7 records imported, 0 unchanged, 1 not about security; 1 tracker entry opened") ||
		!strings.Contains(r.stderr, `skipped bad.json: BAD-1: affected[0].ranges[0]: events[0]: fixed "1.0-1" comes before any "introduced"`) {
		t.Fatalf("security import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if out := s.mustCLI(t, "security", "import", filepath.Join(recs, "rocky8-updateinfo.xml")); !strings.Contains(out, "0 records imported, 3 unchanged") {
		t.Errorf("second import: %s", out)
	}

	anon := s.client(t, false)
	es, err := anon.VulnEntries(ctx, client.VulnFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es.Entries) != 1 {
		t.Fatalf("entries %+v, want one: lz4 in 10.0", es.Entries)
	}
	e := es.Entries[0]
	if e.Package != "lz4" || e.Vulnerability != "CVE-2021-3520" || e.Release != "10.0" || e.State != "new" ||
		strings.Join(e.Sources, " ") != "csaf:CVE-2021-3520 updateinfo:RLSA-2021:2575" || strings.Join(e.EVRs, " ") != "1.8.3-2.el8" {
		t.Errorf("entry %+v", e)
	}
	entryPath := "/api/v1/security/entries/" + itoa(e.ID)

	// Triage needs the role.
	apiError(t, "anonymous triage", s.request(t, http.MethodPost, entryPath, "", []byte(`{"state":"looking-into-it"}`)), http.StatusUnauthorized, "sign in")
	apiError(t, "bad transition", s.request(t, http.MethodPost, entryPath, s.token, []byte(`{"state":"fixed"}`)), http.StatusBadRequest, "cannot become fixed")
	apiError(t, "unknown field", s.request(t, http.MethodPost, entryPath, s.token, []byte(`{"stat":"fixed"}`)), http.StatusBadRequest, "stat")
	apiError(t, "unknown entry", s.request(t, http.MethodGet, "/api/v1/security/entries/999", "", nil), http.StatusNotFound, "999")
	s.mustCLI(t, "security", "triage", itoa(e.ID), "--state", "looking-into-it", "--notes", "secret lead from the reporter", "--owner", "admin")
	admin := s.client(t, true)
	nv, st := "not-vulnerable", "SME Server never decompresses untrusted lz4 data."
	if _, err := admin.TriageEntry(ctx, e.ID, client.Triage{State: &nv, PublicStatement: &st}); err != nil {
		t.Fatal(err)
	}
	pub, err := anon.VulnEntry(ctx, e.ID)
	if err != nil || pub.State != "not-vulnerable" || pub.PrivateNotes != "" || pub.FirstResponseAt.IsZero() {
		t.Errorf("public entry %+v %v", pub, err)
	}
	if priv, _ := admin.VulnEntry(ctx, e.ID); priv == nil || priv.PrivateNotes != "secret lead from the reporter" {
		t.Errorf("the security team does not see its notes: %+v", priv)
	}

	page := string(s.get(t, "/security"))
	for _, want := range []string{"CVE-2021-3520", "lz4", "does not affect SME Server", "never decompresses untrusted lz4 data", "half of the reports were answered within", "are not monitored"} {
		if !strings.Contains(page, want) {
			t.Errorf("/security lacks %q", want)
		}
	}
	entryPage := string(s.get(t, "/security/"+itoa(e.ID)))
	if strings.Contains(entryPage, "secret lead") || strings.Contains(page, "secret lead") || !strings.Contains(entryPage, "does not affect SME Server") {
		t.Errorf("public entry page shows the private notes or not the answer")
	}
	var pk struct {
		Packages []struct {
			Name   string `json:"name"`
			SHA256 string `json:"sha256"`
		} `json:"packages"`
	}
	s.getJSON(t, "/api/v1/packages?q=lz4", &pk)
	if len(pk.Packages) == 0 {
		t.Fatal("lz4 not found")
	}
	if pp := string(s.get(t, "/packages/"+pk.Packages[0].SHA256)); !strings.Contains(pp, "CVE-2021-3520</a> in 10.0: does not affect SME Server") {
		t.Errorf("the package page does not show the entry")
	}

	var vex map[string]any
	s.getJSON(t, "/api/v1/security/openvex.json", &vex)
	b, _ := json.Marshal(vex)
	for _, want := range []string{`"@context":"https://openvex.dev/ns/v0.2.0"`, `"status":"not_affected"`, `"name":"CVE-2021-3520"`, `pkg:rpm/smeserver/lz4@1.8.3-2.el8?arch=x86_64`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("OpenVEX lacks %s: %s", want, b)
		}
	}

	// The triage form on the entry page: signed in, with the page's CSRF
	// token; without the token nothing changes.
	web := signIn(t, s)
	form := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "state": {"looking-into-it"}, "severity": {"low"}, "owner": {"admin"},
			"justification": {""}, "public_statement": {"Reopened: a new way to reach lz4 was reported."}, "private_notes": {"secret lead from the reporter"}}
	}
	if resp := web.postForm(t, "/security/"+itoa(e.ID), form("forged")); resp.StatusCode != http.StatusForbidden {
		t.Errorf("triage form without the page's CSRF token: %d, want 403", resp.StatusCode)
	}
	csrf := web.csrf(t, "/security/"+itoa(e.ID))
	if resp := web.postForm(t, "/security/"+itoa(e.ID), form(csrf)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("triage form: %d, want 303", resp.StatusCode)
	}
	if got, _ := anon.VulnEntry(ctx, e.ID); got == nil || got.State != "looking-into-it" || got.Severity != "low" {
		t.Errorf("after the triage form: %+v", got)
	}

	s.stop(t)
	st2, err := sqlstore.OpenSQLite(ctx, filepath.Join(s.data, "smeforge.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	evs, err := st2.AuditEvents(ctx, audit.Query{Subject: "vulnerability:" + itoa(e.ID)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Actor+" "+ev.Action)
	}
	if strings.Join(got, ", ") != "admin vulnerability.open, admin vulnerability.match, admin vulnerability.triage, admin vulnerability.notes, admin vulnerability.triage, admin vulnerability.triage" {
		t.Errorf("audit of the entry: %v", got)
	}
	all, _ := st2.AuditEvents(ctx, audit.Query{})
	if probs := audit.Verify(all, ""); len(probs) != 0 {
		t.Errorf("audit chain broken: %v", probs)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// browserish is a cookie-keeping HTTP client signed in to the web UI.
type browserish struct {
	hc   *http.Client
	base string
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn gives the admin account a password with its token and signs in
// through the login form.
func signIn(t *testing.T, s *server) *browserish {
	t.Helper()
	const password = "a server test password"
	if r := s.request(t, http.MethodPost, "/api/v1/accounts/admin/password", s.token, []byte(`{"password":"`+password+`"}`)); r.status != http.StatusOK {
		t.Fatalf("setting the admin password: %d %s", r.status, r.body)
	}
	jar, _ := cookiejar.New(nil)
	b := &browserish{hc: &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: s.url}
	resp := b.postForm(t, "/login", url.Values{"csrf": {b.csrf(t, "/login")}, "account": {"admin"}, "password": {password}, "next": {"/security"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in: %d", resp.StatusCode)
	}
	return b
}

func (b *browserish) csrf(t *testing.T, path string) string {
	t.Helper()
	resp, err := b.hc.Get(b.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := csrfRe.FindSubmatch(body)
	if m == nil {
		t.Fatalf("GET %s: no CSRF token in the page (%d)", path, resp.StatusCode)
	}
	return html.UnescapeString(string(m[1]))
}

func (b *browserish) postForm(t *testing.T, path string, v url.Values) *http.Response {
	t.Helper()
	resp, err := b.hc.PostForm(b.base+path, v)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}
