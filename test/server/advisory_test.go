//go:build integration

package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/client"
	"github.com/smeserver/smeforge/internal/testutil"
)

func ptr[T any](v T) *T { return &v }

// TestSecurityAdvisoryWithDNF is the fix path seen from a client server:
// an older version installed in an installroot; the fixed build uploaded
// to dev and released through the promotion workflow (dev ->
// updates-testing with a maintenance approval, a tester's report,
// updates-testing -> updates refused for its days in testing until the
// security team waives them and a second maintenance account approves);
// a security advisory published for it. Debian's dnf must then list the
// advisory with updateinfo --security and upgrade with upgrade
// --security. An embargoed advisory stays out of everything public.
func TestSecurityAdvisoryWithDNF(t *testing.T) {
	requireDNF(t)
	if os.Geteuid() != 0 {
		if testutil.InCI() {
			t.Fatal("dnf install into an installroot needs root under CI")
		}
		t.Skip("skipping: dnf install into an installroot needs root")
	}
	ctx := context.Background()
	tmp := t.TempDir()
	s := startServer(t, filepath.Join(tmp, "data"))
	admin, anon := s.client(t, true), s.client(t, false)
	if _, err := admin.CreateRelease(ctx, "10", "Rocky Linux 8", nil); err != nil {
		t.Fatal(err)
	}
	// The people of the fix path, made as an admin makes them: the
	// package's maintainer, a tester, two of the maintenance team and one
	// of the security team.
	mia := newPerson(t, s, admin, "mia", "contributor", "maintainer")
	ted := newPerson(t, s, admin, "ted", "tester")
	mt1 := newPerson(t, s, admin, "mt1", "maintenance")
	mt2 := newPerson(t, s, admin, "mt2", "maintenance")
	sec := newPerson(t, s, admin, "sec", "security")
	upload := func(version, category string) string {
		var id string
		for _, f := range simpleBuild(t, filepath.Join(tmp, "rpms"), "vuln", version, "1", "vuln") {
			res, err := mia.c.UploadFileAs(ctx, f, category)
			if err != nil {
				t.Fatalf("uploading %s: %v", filepath.Base(f), err)
			}
			id = res.Package.Build
		}
		return id
	}
	// The vulnerable version is what servers run: it is in updates. A
	// maintainer cannot choose core for an upload (that would skip the
	// gates); the release managers can.
	_, err := mia.c.UploadFileAs(ctx, simpleBuild(t, filepath.Join(tmp, "rpms-core"), "vuln", "1.0", "1", "vuln")[0], "core")
	wantAPIError(t, "a maintainer's upload into core", err, http.StatusForbidden, "may not choose the category")
	v1 := upload("1.0", "")
	if b, err := admin.SetBuildCategory(ctx, v1, "core"); err != nil || b.Category != "core" {
		t.Fatalf("setting %s's category to core: %+v, %v", v1, b, err)
	}
	if _, err := admin.AddBuilds(ctx, "10", "updates", v1); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Publish(ctx, "10", "updates", 0); err != nil {
		t.Fatal(err)
	}
	repoURL := s.url + "/repo/10/updates/x86_64/"
	root := filepath.Join(tmp, "root")
	dnfRoot := func(cache string, args ...string) string {
		t.Helper()
		return dnf(t, filepath.Join(tmp, cache), append(append(repoFromPath("smeupdates", repoURL),
			"--installroot="+root, "--setopt=tsflags=nodocs"), args...)...)
	}
	dnfRoot("cache1", "install", "vuln")
	if got := mustRun(t, "rpm", "--root", root, "-q", "vuln"); !strings.HasPrefix(got, "vuln-1.0-1") {
		t.Fatalf("rpm -q vuln after installing: %q", got)
	}

	// The fixed build is uploaded to dev and reaches updates the way the
	// policy says: dev -> updates-testing as a core build with one
	// maintenance approval, then updates-testing -> updates with every
	// gate, the days in testing waived by the security team.
	v2 := upload("1.1", "") // a maintainer's new version starts in dev
	if _, err := admin.AddBuilds(ctx, "10", "dev", v2); err != nil {
		t.Fatal(err)
	}
	if proj, err := admin.Project(ctx, "vuln"); err != nil || !slices.Equal(proj.Maintainers, []string{"mia"}) {
		t.Fatalf("project vuln = %+v, %v; want maintainer mia", proj, err)
	}
	req, err := mia.c.RequestPromotion(ctx, client.PromotionRequest{Build: v2, Release: "10", From: "dev", To: "updates-testing", Category: "core"})
	if err != nil {
		t.Fatal(err)
	}
	if req.Category != "core" || req.ToChannel != "updates-testing" || req.State != "open" {
		t.Errorf("dev -> updates-testing: category %s, channel %s, state %s; want core, updates-testing, open", req.Category, req.ToChannel, req.State)
	}
	if req, err = mt1.c.VotePromotion(ctx, req.ID, "approve", "fixes the parser"); err != nil {
		t.Fatal(err)
	}
	if req, err = mia.c.ExecutePromotion(ctx, req.ID); err != nil {
		t.Fatal(err)
	}
	if req.State != "done" {
		t.Fatalf("dev -> updates-testing executed: state %s", req.State)
	}
	if got := dnfSees(t, s, filepath.Join(tmp, "cache-ut"), "10", "updates-testing"); !slices.Contains(got, "vuln") {
		t.Errorf("dnf repoquery 10/updates-testing after dev -> updates-testing: %v, want vuln", got)
	}
	if _, err := ted.c.FileTestReport(ctx, v2, client.TestReport{Release: "10", Verdict: "works", Environment: "SME 10 in a VM",
		Text: "installed from updates-testing, the parser takes the bad input"}); err != nil {
		t.Fatal(err)
	}

	// The release of the fix: asked by one of the maintenance team, whose
	// own vote does not count.
	req, err = mt1.c.RequestPromotion(ctx, client.PromotionRequest{Build: v2, Release: "10", From: "updates-testing", To: "updates"})
	if err != nil {
		t.Fatal(err)
	}
	days := func(p *client.Promotion) *client.GateResult {
		for _, g := range p.LatestGates() {
			if g.Gate == "days-in-testing" {
				return &g
			}
		}
		return nil
	}
	for _, g := range req.LatestGates() {
		if !g.OK && g.Gate != "days-in-testing" {
			t.Errorf("updates-testing -> updates: gate %s failed: %s", g.Gate, g.Summary)
		}
	}
	if g := days(req); g == nil || g.OK || !strings.Contains(g.Summary, "of 7 days") {
		t.Errorf("updates-testing -> updates: days-in-testing gate %+v; want failing, 7 days needed", g)
	}
	_, err = mt1.c.VotePromotion(ctx, req.ID, "approve", "my own")
	wantAPIError(t, "the requester reviews his own request", err, http.StatusForbidden)
	before := advisoryBuildState(t, s, v2)
	_, err = mt1.c.ExecutePromotion(ctx, req.ID)
	wantAPIError(t, "executing updates-testing -> updates a day early", err, http.StatusConflict, "days-in-testing", "of 7 days")
	if after := advisoryBuildState(t, s, v2); after != before {
		t.Errorf("a refused execution changed the build: %s -> %s", before, after)
	}
	// Only the security team waives the days in testing, and says why.
	_, err = mt2.c.WaivePromotion(ctx, req.ID, "urgent")
	wantAPIError(t, "maintenance waives the days in testing", err, http.StatusForbidden, "triage-vulnerability")
	_, err = sec.c.WaivePromotion(ctx, req.ID, "")
	wantAPIError(t, "a waiver without a reason", err, http.StatusBadRequest, "reason")
	if req, err = sec.c.WaivePromotion(ctx, req.ID, "CVE-2026-4242 is exploited; the fix cannot wait 7 days"); err != nil {
		t.Fatal(err)
	}
	if req.WaivedBy != "sec" {
		t.Errorf("waived by %q, want sec", req.WaivedBy)
	}
	// The waiver lifts the days, not the review.
	_, err = mt1.c.ExecutePromotion(ctx, req.ID)
	wantAPIError(t, "executing with the waiver but no review", err, http.StatusConflict, "approvals missing", "maintenance 0 of 1")
	if after := advisoryBuildState(t, s, v2); after != before {
		t.Errorf("a refused execution changed the build: %s -> %s", before, after)
	}
	if req, err = mt2.c.VotePromotion(ctx, req.ID, "approve", "tested, and the security team says it cannot wait"); err != nil {
		t.Fatal(err)
	}
	if req.State != "approved" {
		t.Fatalf("updates-testing -> updates after the waiver and mt2's approval: state %s", req.State)
	}
	if req, err = mt1.c.ExecutePromotion(ctx, req.ID); err != nil {
		t.Fatal(err)
	}
	if req.State != "done" {
		t.Fatalf("updates-testing -> updates executed: state %s", req.State)
	}
	if g := days(req); g == nil || !g.OK || !strings.Contains(g.Summary, "waived by sec") {
		t.Errorf("days-in-testing gate at execution: %+v; want passed, waived by sec", g)
	}
	if got := dnfSees(t, s, filepath.Join(tmp, "cache-ut2"), "10", "updates-testing"); slices.Contains(got, "vuln") {
		t.Errorf("dnf repoquery 10/updates-testing after the release: %v, want no vuln", got)
	}
	if got := mustRun(t, "rpm", "--root", root, "-q", "vuln"); !strings.HasPrefix(got, "vuln-1.0-1") {
		t.Fatalf("rpm -q vuln before the upgrade: %q", got)
	}

	content := func(title string) client.AdvisoryChange {
		return client.AdvisoryChange{
			Type: ptr("security"), Severity: ptr("important"), Title: ptr(title),
			Releases: ptr([]string{"10"}), Builds: ptr([]string{v2}), CVEs: ptr([]string{"CVE-2026-4242"}),
			References: ptr([]string{"https://example.org/vuln"}),
			Technical:  ptr("A buffer overflow in vuln's parser."),
			Guidance:   ptr("Every server running vuln is affected. Run: yum update vuln."),
		}
	}
	embargoed := content("vuln: the embargoed one")
	embargoed.EmbargoUntil = ptr("2099-01-01T00:00:00Z")
	emb, err := admin.CreateAdvisory(ctx, embargoed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PublishAdvisory(ctx, emb.ID); err != nil {
		t.Fatal(err)
	}
	noGuidance := content("vuln: buffer overflow in the parser")
	noGuidance.Guidance = nil
	adv, err := admin.CreateAdvisory(ctx, noGuidance)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^SME-SA-\d{4}:\d{4}$`).MatchString(adv.ID) || adv.State != "draft" {
		t.Fatalf("created advisory %q in state %q", adv.ID, adv.State)
	}
	var apiErr *client.APIError
	if _, err := admin.PublishAdvisory(ctx, adv.ID); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || !strings.Contains(apiErr.Message, "guidance") {
		t.Errorf("publishing without guidance: %v; want 400 naming the guidance", err)
	}
	if _, err := anon.Advisory(ctx, adv.ID); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("a draft read anonymously: %v; want 404", err)
	}
	if _, err := anon.CreateAdvisory(ctx, content("x")); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Errorf("creating anonymously: %v; want 401", err)
	}
	if _, err := admin.EditAdvisory(ctx, adv.ID, client.AdvisoryChange{Guidance: content("").Guidance}); err != nil {
		t.Fatal(err)
	}
	res, err := admin.PublishAdvisory(ctx, adv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Republished, "10/updates") || len(res.Problems) > 0 {
		t.Errorf("publishing the advisory republished %v (problems %v); want 10/updates", res.Republished, res.Problems)
	}

	// What everyone sees.
	list, err := anon.Advisories(ctx)
	if err != nil || len(list) != 1 || list[0].ID != adv.ID {
		t.Errorf("anonymous list = %+v, %v; want only %s", list, err, adv.ID)
	}
	if _, err := anon.Advisory(ctx, emb.ID); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("the embargoed advisory read anonymously: %v; want 404", err)
	}
	if got, err := admin.Advisory(ctx, emb.ID); err != nil || got.State != "published" {
		t.Errorf("the embargoed advisory read by the security team: %+v, %v", got, err)
	}
	osvAll, err := anon.AdvisoriesOSV(ctx)
	if err != nil || !bytes.Contains(osvAll, []byte(adv.ID)) || bytes.Contains(osvAll, []byte(emb.ID)) {
		t.Errorf("OSV export = %s, %v; want the public advisory only", osvAll, err)
	}
	var osv struct {
		Affected []struct {
			Package struct{ Ecosystem, Name string }
			Ranges  []struct {
				Type   string
				Events []map[string]string
			}
		}
	}
	one, err := anon.AdvisoryOSV(ctx, adv.ID)
	if err != nil || json.Unmarshal(one, &osv) != nil || len(osv.Affected) != 1 || osv.Affected[0].Package.Ecosystem != "SME Server:10" ||
		osv.Affected[0].Package.Name != "vuln" || osv.Affected[0].Ranges[0].Events[1]["fixed"] != "1.1-1" {
		t.Errorf("OSV of %s = %s, %v", adv.ID, one, err)
	}

	// The public pages and the feed.
	page := string(s.get(t, "/advisories"))
	if !strings.Contains(page, adv.ID) || strings.Contains(page, emb.ID) {
		t.Errorf("/advisories: want %s listed and not the embargoed %s", adv.ID, emb.ID)
	}
	page = string(s.get(t, "/advisories/"+adv.ID))
	g, tech := strings.Index(page, "Why am I affected, and what should I do?"), strings.Index(page, "Technical details")
	if g < 0 || tech < g || !strings.Contains(page, "Every server running vuln is affected.") {
		t.Errorf("/advisories/%s: want the guidance above the technical text", adv.ID)
	}
	if r := s.request(t, http.MethodGet, "/advisories/"+emb.ID, "", nil); r.status != http.StatusNotFound {
		t.Errorf("the embargoed advisory's page, anonymously: %d, want 404", r.status)
	}
	var atom struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(s.get(t, "/advisories.atom"), &atom); err != nil || atom.ID == "" || atom.Updated == "" ||
		len(atom.Entries) != 1 || !strings.HasSuffix(atom.Entries[0].ID, "/advisories/"+adv.ID) {
		t.Errorf("/advisories.atom = %+v, %v; want one entry, %s", atom, err, adv.ID)
	}

	// updateinfo.xml as served.
	ui := updateinfoOf(t, s, "/repo/10/updates/x86_64/")
	if !strings.Contains(ui, "<id>"+adv.ID+"</id>") || strings.Contains(ui, emb.ID) || !strings.Contains(ui, `type="cve"`) {
		t.Errorf("updateinfo.xml: want %s with its CVE and not the embargoed %s:\n%s", adv.ID, emb.ID, ui)
	}

	// Debian's dnf, as a client server would run it.
	out := dnfRoot("cache2", "updateinfo", "list", "--security")
	if !strings.Contains(out, adv.ID) || !strings.Contains(out, "vuln-1.1-1") || strings.Contains(out, emb.ID) {
		t.Errorf("dnf updateinfo list --security:\n%s\nwant %s for vuln-1.1-1, and not %s", out, adv.ID, emb.ID)
	}
	out = dnfRoot("cache2", "updateinfo", "info", adv.ID)
	if !strings.Contains(out, "CVE-2026-4242") || !strings.Contains(out, "Important") {
		t.Errorf("dnf updateinfo info %s:\n%s\nwant the CVE and the severity", adv.ID, out)
	}
	dnfRoot("cache2", "upgrade", "--security")
	if got := mustRun(t, "rpm", "--root", root, "-q", "vuln"); !strings.HasPrefix(got, "vuln-1.1-1") {
		t.Errorf("rpm -q vuln after dnf upgrade --security: %q, want vuln-1.1-1", got)
	}
	if out := dnfRoot("cache2", "updateinfo", "list", "--security"); strings.Contains(out, adv.ID) {
		t.Errorf("after the upgrade dnf still lists %s as needed:\n%s", adv.ID, out)
	}

	// A revision after publication needs a reason and shows in updateinfo.
	if _, err := admin.EditAdvisory(ctx, adv.ID, client.AdvisoryChange{Severity: ptr("critical")}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Errorf("a revision without a reason: %v; want 400", err)
	}
	if _, err := admin.EditAdvisory(ctx, adv.ID, client.AdvisoryChange{Severity: ptr("critical"), Reason: "exploited in the wild"}); err != nil {
		t.Fatal(err)
	}
	revs, err := anon.AdvisoryRevisions(ctx, adv.ID)
	if err != nil || len(revs) != 2 || revs[1].Reason != "exploited in the wild" || revs[0].Content.Severity != "important" {
		t.Errorf("revisions = %+v, %v", revs, err)
	}
	if ui := updateinfoOf(t, s, "/repo/10/updates/x86_64/"); !strings.Contains(ui, "<severity>Critical</severity>") || !strings.Contains(ui, `version="2"`) {
		t.Errorf("updateinfo.xml after revision 2:\n%s", ui)
	}

	// The command line: a known issue drafted from files, then the list,
	// a revision and closing.
	work := filepath.Join(tmp, "workaround.txt")
	guide := filepath.Join(tmp, "guidance.txt")
	os.WriteFile(work, []byte("Turn the parser off: config setp vuln parser off\n"), 0o644)
	os.WriteFile(guide, []byte("Servers that parse untrusted input are affected.\n"), 0o644)
	out = s.mustCLI(t, "advisory", "create", "--type", "known-issue", "--title", "vuln: slow parser", "--release", "10",
		"--package", "vuln", "--workaround-file", work, "--guidance-file", guide)
	known := regexp.MustCompile(`drafted (SME-SA-\d{4}:\d{4})`).FindStringSubmatch(out)
	if known == nil {
		t.Fatalf("smeforge advisory create: %q", out)
	}
	if out := s.mustCLI(t, "advisory", "publish", known[1]); !strings.Contains(out, "published "+known[1]) {
		t.Errorf("smeforge advisory publish: %q", out)
	}
	if out := s.mustCLI(t, "advisory", "list"); !strings.Contains(out, known[1]) || !strings.Contains(out, emb.ID) {
		t.Errorf("smeforge advisory list (security team): %q; want the known issue and the embargoed one", out)
	}
	if out := s.mustCLI(t, "advisory", "show", adv.ID, "--revision", "1"); !strings.Contains(out, "severity important") {
		t.Errorf("smeforge advisory show --revision 1: %q", out)
	}
	if r := s.cli(t, "advisory", "close", adv.ID); r.code != 2 {
		t.Errorf("smeforge advisory close without --reason: exit %d, want 2", r.code)
	}
	if out := s.mustCLI(t, "advisory", "close", adv.ID, "--reason", "fixed everywhere"); !strings.Contains(out, "closed "+adv.ID) {
		t.Errorf("smeforge advisory close: %q", out)
	}
	// A known issue has no fix: it is not in updateinfo.
	if ui := updateinfoOf(t, s, "/repo/10/updates/x86_64/"); strings.Contains(ui, known[1]) || !strings.Contains(ui, adv.ID) {
		t.Errorf("updateinfo.xml after closing: want the closed fix kept and no known issue:\n%s", ui)
	}
}

// newPerson creates an account with roles through the API, as an admin
// does, and a token for it.
func newPerson(t *testing.T, s *server, admin *client.Client, name string, roles ...string) *person {
	t.Helper()
	ctx := context.Background()
	if _, err := admin.CreateAccount(ctx, name, "", roles); err != nil {
		t.Fatalf("creating account %s: %v", name, err)
	}
	tok, err := admin.CreateToken(ctx, name, "test", nil)
	if err != nil {
		t.Fatalf("making a token for %s: %v", name, err)
	}
	p := &person{name: name, token: tok.Token}
	p.connect(t, s)
	return p
}

// advisoryBuildState is a build's category and the channel versions of
// release 10, to show that a refused execution changed nothing.
func advisoryBuildState(t *testing.T, s *server, build string) string {
	t.Helper()
	ctx := context.Background()
	admin := s.client(t, true)
	b, err := admin.Build(ctx, build)
	if err != nil {
		t.Fatal(err)
	}
	state := "category " + b.Category
	chans, err := admin.Channels(ctx, "10")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chans {
		state += fmt.Sprintf(" %s@%d", c.Name, c.Version)
	}
	return state
}

// updateinfoOf fetches the updateinfo.xml a repository's repomd.xml names
// and checks it parses.
func updateinfoOf(t *testing.T, s *server, base string) string {
	t.Helper()
	var md repomd
	if err := xml.Unmarshal(s.get(t, base+"repodata/repomd.xml"), &md); err != nil {
		t.Fatal(err)
	}
	for _, d := range md.Data {
		if d.Type != "updateinfo" {
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(s.get(t, base+d.Location.Href)))
		if err != nil {
			t.Fatalf("%s: %v", d.Location.Href, err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			XMLName xml.Name `xml:"updates"`
		}
		if err := xml.Unmarshal(raw, &v); err != nil {
			t.Fatalf("updateinfo.xml does not parse: %v\n%s", err, raw)
		}
		return string(raw)
	}
	t.Fatalf("%srepodata/repomd.xml names no updateinfo", base)
	return ""
}
