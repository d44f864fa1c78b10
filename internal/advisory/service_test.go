package advisory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/advisory"
	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// publisher records republications.
type publisher struct{ got []string }

func (p *publisher) PublishChannel(ctx context.Context, release, channel string, version int64) error {
	p.got = append(p.got, fmt.Sprintf("%s/%s@%d", release, channel, version))
	return nil
}

type fixture struct {
	svc   *advisory.Service
	st    *sqlstore.Store
	cat   *catalog.Service
	clock *clock
	pub   *publisher
}

// setup makes a real catalog with release 10 and two builds of
// openssh (8.0-1 in os, 8.0-2 in updates).
func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, _ := blob.NewDir(filepath.Join(dir, "blobs"))
	pol := policy.Default()
	cat := &catalog.Service{Store: st, Blobs: catalog.LocalBlobs(bl), Policy: pol}
	rel := &release.Service{Store: st, Channels: release.TemplatesFromPolicy(pol)}
	if _, err := rel.Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"1", "2"} {
		for _, spec := range []corpus.PackageSpec{
			{Name: "openssh", Version: "8.0", Release: r, Source: true, Files: []corpus.File{{Path: "openssh.spec", Content: []byte("x")}}},
			{Name: "openssh-server", Version: "8.0", Release: r, Arch: "x86_64", SourceRPM: "openssh-8.0-" + r + ".src.rpm",
				Files: []corpus.File{{Path: "/usr/sbin/sshd", Content: []byte(r)}}},
		} {
			spec.Summary, spec.License, spec.BuildTime = "s", "MIT", time.Unix(1700000000, 0)
			if spec.Arch == "" {
				spec.Arch = "noarch"
			}
			var b bytes.Buffer
			if err := corpus.WriteRPM(&b, spec); err != nil {
				t.Fatal(err)
			}
			if _, _, err := cat.IngestAs(ctx, &b, spec.Name, "t", "core"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := cat.ChangeChannel(ctx, "10", "os", []string{"openssh-8.0-1"}, nil, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.ChangeChannel(ctx, "10", "updates", []string{"openssh-8.0-2"}, nil, "t"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetPublished(ctx, "10", "updates", 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	p := &publisher{}
	return &fixture{st: st, cat: cat, clock: c, pub: p,
		svc: &advisory.Service{Store: st, Policy: pol, Now: c.Now, Publisher: p, BaseURL: "https://forge.example"}}
}

func ptr[T any](v T) *T { return &v }

func draft(t *testing.T, f *fixture, p advisory.Patch) *advisory.Advisory {
	t.Helper()
	a, err := f.svc.Create(context.Background(), "sec", p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func fullDraft() advisory.Patch {
	return advisory.Patch{
		Type: ptr("security"), Severity: ptr("important"), Title: ptr("openssh: remote code execution"),
		Releases: ptr([]string{"10"}), Builds: ptr([]string{"openssh-8.0-2"}), CVEs: ptr([]string{"cve-2026-1234"}),
		References: ptr([]string{"https://www.openssh.com/security.html"}),
		Technical:  ptr("A race in sshd's signal handler <allows> & more."),
		Guidance:   ptr("Every server with ssh open is affected. Install the update: yum update."),
	}
}

func TestCreateNumbersPerYear(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a1 := draft(t, f, fullDraft())
	a2 := draft(t, f, fullDraft())
	f.clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	a3 := draft(t, f, fullDraft())
	got := []string{a1.ID, a2.ID, a3.ID}
	want := []string{"SME-SA-2026:0001", "SME-SA-2026:0002", "SME-SA-2027:0001"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ids = %v, want %v", got, want)
	}
	if a1.CVEs[0] != "CVE-2026-1234" || a1.State != advisory.Draft {
		t.Errorf("created %+v: want the CVE upper-cased and a draft", a1)
	}
	evs, err := f.st.AuditEvents(ctx, audit.Query{Subject: "advisory:" + a1.ID})
	if err != nil || len(evs) != 1 || evs[0].Action != "advisory.create" || evs[0].Public || evs[0].Actor != "sec" {
		t.Errorf("audit of the creation = %+v, %v; want one private advisory.create by sec", evs, err)
	}
}

func TestBadInputNamesTheField(t *testing.T) {
	f := setup(t)
	tests := []struct {
		name string
		edit func(p *advisory.Patch)
		word string
	}{
		{"no type", func(p *advisory.Patch) { p.Type = nil }, "type"},
		{"bad type", func(p *advisory.Patch) { p.Type = ptr("oops") }, "type"},
		{"bad severity", func(p *advisory.Patch) { p.Severity = ptr("huge") }, "severity"},
		{"security without severity", func(p *advisory.Patch) { p.Severity = ptr("none") }, "severity"},
		{"empty title", func(p *advisory.Patch) { p.Title = ptr(" ") }, "title"},
		{"bad cve", func(p *advisory.Patch) { p.CVEs = ptr([]string{"CVE-26-1"}) }, "cves"},
		{"bad reference", func(p *advisory.Patch) { p.References = ptr([]string{"javascript:alert(1)"}) }, "references"},
		{"unknown release", func(p *advisory.Patch) { p.Releases = ptr([]string{"99"}) }, "releases"},
		{"unknown build", func(p *advisory.Patch) { p.Builds = ptr([]string{"nope-1-1"}) }, "builds"},
		{"bad embargo", func(p *advisory.Patch) { p.EmbargoUntil = ptr("tomorrow") }, "embargo_until"},
	}
	for _, tt := range tests {
		p := fullDraft()
		tt.edit(&p)
		_, err := f.svc.Create(context.Background(), "sec", p)
		if !errors.Is(err, catalog.ErrInvalid) || !strings.Contains(err.Error(), tt.word) {
			t.Errorf("%s: err = %v, want ErrInvalid naming %q", tt.name, err, tt.word)
		}
	}
	if as, _ := f.st.Advisories(context.Background()); len(as) != 0 {
		t.Errorf("bad input stored %d advisories", len(as))
	}
}

func TestPublishNeedsGuidanceAndBuilds(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := fullDraft()
	p.Guidance = nil
	a := draft(t, f, p)
	if _, err := f.svc.Publish(ctx, "dm", a.ID); !errors.Is(err, catalog.ErrInvalid) || !strings.Contains(err.Error(), "guidance") {
		t.Errorf("publish without guidance: %v", err)
	}
	p = fullDraft()
	p.Builds = nil
	b := draft(t, f, p)
	if _, err := f.svc.Publish(ctx, "dm", b.ID); !errors.Is(err, catalog.ErrInvalid) || !strings.Contains(err.Error(), "builds") {
		t.Errorf("publish without builds: %v", err)
	}
	// A known issue has no fix, but a workaround.
	p = fullDraft()
	p.Type, p.Builds = ptr("known-issue"), nil
	k := draft(t, f, p)
	if _, err := f.svc.Publish(ctx, "dm", k.ID); !errors.Is(err, catalog.ErrInvalid) || !strings.Contains(err.Error(), "workaround") {
		t.Errorf("known issue without workaround: %v", err)
	}
	if _, err := f.svc.Edit(ctx, "sec", k.ID, advisory.Patch{Workaround: ptr("Close port 22.")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Publish(ctx, "dm", k.ID); err != nil {
		t.Errorf("known issue with workaround: %v", err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if got, _ := f.st.Advisory(ctx, id); got.State != advisory.Draft {
			t.Errorf("%s: a refused publication changed the state to %s", id, got.State)
		}
	}
}

func TestEmbargoEndsWithoutAnyoneActing(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := fullDraft()
	p.EmbargoUntil = ptr("2026-03-10T12:00:00Z")
	a := draft(t, f, p)
	anon, team := advisory.Viewer{}, advisory.Viewer{Privileged: true}

	if _, err := f.svc.Get(ctx, anon, a.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("a draft, read by anyone: %v, want not found", err)
	}
	res, err := f.svc.Publish(ctx, "dm", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.pub.got) != 0 {
		t.Errorf("an embargoed publication republished %v: the fix must not be announced early", f.pub.got)
	}
	if res.Advisory.Public(f.clock.Now()) {
		t.Error("published under embargo, yet public")
	}
	for _, v := range []advisory.Viewer{anon} {
		if _, err := f.svc.Get(ctx, v, a.ID); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("embargoed, read by anyone: %v, want not found", err)
		}
		if l, _ := f.svc.List(ctx, v); len(l) != 0 {
			t.Errorf("embargoed, listed for anyone: %d", len(l))
		}
		if _, err := f.svc.Revisions(ctx, v, a.ID); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("embargoed revisions, read by anyone: %v", err)
		}
		if o, _ := f.svc.OSVAll(ctx); len(o) != 0 {
			t.Errorf("embargoed advisory in the OSV export")
		}
	}
	if _, err := f.svc.Get(ctx, team, a.ID); err != nil {
		t.Errorf("the security team cannot read its embargoed advisory: %v", err)
	}
	ui, err := f.svc.UpdateInfo(ctx, "10", "updates", 1, "x86_64")
	if err != nil || ui != nil {
		t.Errorf("updateinfo before the disclosure date = %q, %v; want none", ui, err)
	}
	evs, _ := f.st.AuditEvents(ctx, audit.Query{Subject: "advisory:" + a.ID, PublicOnly: true})
	if len(evs) != 0 {
		t.Errorf("public audit events of an embargoed advisory: %+v", evs)
	}

	f.clock.Set(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	got, err := f.svc.Get(ctx, anon, a.ID)
	if err != nil {
		t.Fatalf("at the disclosure date, read by anyone: %v", err)
	}
	if !got.Issued().Equal(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("issued = %v, want the disclosure date", got.Issued())
	}
	ui, err = f.svc.UpdateInfo(ctx, "10", "updates", 1, "x86_64")
	if err != nil || !bytes.Contains(ui, []byte(a.ID)) {
		t.Errorf("updateinfo at the disclosure date = %q, %v; want the advisory", ui, err)
	}
}

func TestRevisionsAfterPublication(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a := draft(t, f, fullDraft())
	// Before publication, edits change the draft in place.
	if _, err := f.svc.Edit(ctx, "sec", a.ID, advisory.Patch{Title: ptr("openssh: RCE in sshd")}); err != nil {
		t.Fatal(err)
	}
	if rs, _ := f.svc.Revisions(ctx, advisory.Viewer{Privileged: true}, a.ID); len(rs) != 0 {
		t.Errorf("a draft has %d revisions, want 0", len(rs))
	}
	if _, err := f.svc.Publish(ctx, "dm", a.ID); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.pub.got) != "[10/updates@1]" {
		t.Errorf("publication republished %v, want the published version of 10/updates (which holds the fix)", f.pub.got)
	}
	if _, err := f.svc.Publish(ctx, "dm", a.ID); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("publishing twice: %v", err)
	}
	f.clock.Set(f.clock.Now().Add(time.Hour))
	if _, err := f.svc.Edit(ctx, "sec", a.ID, advisory.Patch{Severity: ptr("critical")}); !errors.Is(err, catalog.ErrInvalid) || !strings.Contains(err.Error(), "reason") {
		t.Errorf("edit after publication without a reason: %v", err)
	}
	if _, err := f.svc.Edit(ctx, "sec", a.ID, advisory.Patch{Severity: ptr("critical"), Reason: "exploited in the wild"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Edit(ctx, "sec", a.ID, advisory.Patch{EmbargoUntil: ptr("2030-01-01T00:00:00Z"), Reason: "oops"}); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("embargoing a public advisory again: %v", err)
	}
	if _, err := f.svc.Close(ctx, "dm", a.ID, ""); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("close without a reason: %v", err)
	}
	if _, err := f.svc.Close(ctx, "dm", a.ID, "fixed in every release"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Edit(ctx, "sec", a.ID, advisory.Patch{Title: ptr("x"), Reason: "r"}); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("editing a closed advisory: %v", err)
	}
	rs, err := f.svc.Revisions(ctx, advisory.Viewer{}, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%d %s %s %s", r.N, r.Content.Severity, r.Content.State, r.Reason))
	}
	want := []string{"1 important published first publication", "2 critical published exploited in the wild",
		"3 critical closed closed: fixed in every release"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("revisions:\n got %q\nwant %q", got, want)
	}
	if r, err := f.svc.Revision(ctx, advisory.Viewer{}, a.ID, 1); err != nil || r.Content.Title != "openssh: RCE in sshd" {
		t.Errorf("revision 1 = %+v, %v", r, err)
	}
	if _, err := f.svc.Revision(ctx, advisory.Viewer{}, a.ID, 9); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("revision 9: %v", err)
	}
	evs, _ := f.st.AuditEvents(ctx, audit.Query{Subject: "advisory:" + a.ID})
	var actions []string
	for _, e := range evs {
		actions = append(actions, fmt.Sprintf("%s:%v", e.Action, e.Public))
	}
	if fmt.Sprint(actions) != "[advisory.create:false advisory.edit:false advisory.publish:true advisory.revise:true advisory.close:true]" {
		t.Errorf("audit = %v", actions)
	}
}

func TestConcurrentEditIsConflict(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a := draft(t, f, fullDraft())
	stale, _ := f.st.Advisory(ctx, a.ID)
	if _, err := f.svc.Edit(ctx, "sec", a.ID, advisory.Patch{Title: ptr("first")}); err != nil {
		t.Fatal(err)
	}
	stale.Title = "second"
	err := f.st.SaveAdvisory(ctx, stale, stale.Changes, nil, audit.Event{Actor: "x", Action: "advisory.edit", Subject: "advisory:" + a.ID})
	if !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("saving over a change made meanwhile: %v, want a conflict", err)
	}
	if got, _ := f.st.Advisory(ctx, a.ID); got.Title != "first" {
		t.Errorf("title = %q, want the first edit kept", got.Title)
	}
}

// updateinfo is what the tests read of updateinfo.xml.
type updateinfo struct {
	XMLName xml.Name `xml:"updates"`
	Updates []struct {
		From     string `xml:"from,attr"`
		Status   string `xml:"status,attr"`
		Type     string `xml:"type,attr"`
		Version  string `xml:"version,attr"`
		ID       string `xml:"id"`
		Title    string `xml:"title"`
		Severity string `xml:"severity"`
		Issued   struct {
			Date string `xml:"date,attr"`
		} `xml:"issued"`
		Description string `xml:"description"`
		Refs        []struct {
			Href string `xml:"href,attr"`
			ID   string `xml:"id,attr"`
			Type string `xml:"type,attr"`
		} `xml:"references>reference"`
		Packages []struct {
			Name     string `xml:"name,attr"`
			Epoch    string `xml:"epoch,attr"`
			Version  string `xml:"version,attr"`
			Release  string `xml:"release,attr"`
			Arch     string `xml:"arch,attr"`
			Src      string `xml:"src,attr"`
			Filename string `xml:"filename"`
		} `xml:"pkglist>collection>package"`
	} `xml:"update"`
}

func TestUpdateInfo(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a := draft(t, f, fullDraft())
	if _, err := f.svc.Publish(ctx, "dm", a.ID); err != nil {
		t.Fatal(err)
	}
	// A public bugfix whose build is not in updates is not listed there.
	p := fullDraft()
	p.Type, p.Severity, p.Builds = ptr("bugfix"), ptr("low"), ptr([]string{"openssh-8.0-1"})
	other := draft(t, f, p)
	if _, err := f.svc.Publish(ctx, "dm", other.ID); err != nil {
		t.Fatal(err)
	}
	raw, err := f.svc.UpdateInfo(ctx, "10", "updates", 1, "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	var ui updateinfo
	if err := xml.Unmarshal(raw, &ui); err != nil {
		t.Fatalf("updateinfo does not parse: %v\n%s", err, raw)
	}
	if len(ui.Updates) != 1 {
		t.Fatalf("%d updates, want the one whose fix is in updates:\n%s", len(ui.Updates), raw)
	}
	u := ui.Updates[0]
	if u.ID != a.ID || u.Type != "security" || u.Status != "final" || u.Version != "1" || u.Severity != "Important" || u.Title != "openssh: remote code execution" {
		t.Errorf("update = %+v", u)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(u.Issued.Date) {
		t.Errorf("issued date %q is not as createrepo_c writes it", u.Issued.Date)
	}
	if !strings.Contains(u.Description, "<allows> &") || strings.Index(u.Description, "Why am I affected") > strings.Index(u.Description, "Technical") {
		t.Errorf("description = %q: want the guidance first and the text unescaped after parsing", u.Description)
	}
	if len(u.Refs) < 2 || u.Refs[0].Type != "cve" || u.Refs[0].ID != "CVE-2026-1234" || u.Refs[len(u.Refs)-1].Type != "self" {
		t.Errorf("references = %+v", u.Refs)
	}
	if len(u.Packages) != 1 || u.Packages[0].Name != "openssh-server" || u.Packages[0].Epoch != "0" || u.Packages[0].Version != "8.0" ||
		u.Packages[0].Release != "2" || u.Packages[0].Arch != "x86_64" || u.Packages[0].Src != "openssh-8.0-2.src.rpm" ||
		u.Packages[0].Filename != "openssh-server-8.0-2.x86_64.rpm" {
		t.Errorf("packages = %+v", u.Packages)
	}
	for _, arch := range []string{"aarch64", advisory.SourceArch} {
		if raw, err := f.svc.UpdateInfo(ctx, "10", "updates", 1, arch); err != nil || raw != nil {
			t.Errorf("updateinfo for %s = %q, %v; want none (no package of it)", arch, raw, err)
		}
	}
}

func TestOSVExport(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := fullDraft()
	p.Packages = ptr([]string{"openssh-clients"})
	a := draft(t, f, p)
	if _, err := f.svc.Publish(ctx, "dm", a.ID); err != nil {
		t.Fatal(err)
	}
	all, err := f.svc.OSVAll(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("OSVAll = %d records, %v", len(all), err)
	}
	raw, _ := json.Marshal(all[0])
	var o map[string]any
	json.Unmarshal(raw, &o)
	for _, field := range []string{"schema_version", "id", "modified", "published", "summary", "details", "affected", "aliases", "references"} {
		if _, ok := o[field]; !ok {
			t.Errorf("OSV record lacks %q: %s", field, raw)
		}
	}
	rfc := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	if !rfc.MatchString(all[0].Modified) || !rfc.MatchString(all[0].Published) {
		t.Errorf("times %q, %q are not RFC 3339 UTC", all[0].Modified, all[0].Published)
	}
	if fmt.Sprint(all[0].Aliases) != "[CVE-2026-1234]" {
		t.Errorf("aliases = %v", all[0].Aliases)
	}
	got := map[string]string{}
	for _, af := range all[0].Affected {
		if af.Package.Ecosystem != "SME Server:10" {
			t.Errorf("ecosystem %q, want \"SME Server:10\"", af.Package.Ecosystem)
		}
		if len(af.Ranges) != 1 || af.Ranges[0].Type != "ECOSYSTEM" || af.Ranges[0].Events[0]["introduced"] != "0" {
			t.Errorf("ranges of %s = %+v", af.Package.Name, af.Ranges)
		}
		fixed := ""
		if len(af.Ranges[0].Events) > 1 {
			fixed = af.Ranges[0].Events[1]["fixed"]
			// The fixed version must be later than what it fixes, by rpm's rules.
			if rpm.Vercmp(strings.SplitN(fixed, "-", 2)[1], "1") <= 0 {
				t.Errorf("fixed %q is not after release 1", fixed)
			}
		}
		got[af.Package.Name] = fixed
	}
	if fmt.Sprint(got) != "map[openssh-clients: openssh-server:8.0-2]" {
		t.Errorf("affected = %v; want the fixed binary at its EVR and the named package without a fix", got)
	}
	feed, err := f.svc.Atom(ctx, "https://forge.example")
	if err != nil {
		t.Fatal(err)
	}
	var atom struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Entries []struct {
			ID, Title, Updated string
			Link               struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(feed, &atom); err != nil {
		t.Fatalf("feed: %v\n%s", err, feed)
	}
	if atom.ID == "" || !rfc.MatchString(atom.Updated) || len(atom.Entries) != 1 || atom.Entries[0].Link.Href != "https://forge.example/advisories/"+a.ID ||
		!strings.Contains(atom.Entries[0].Content, "<allows>") {
		t.Errorf("feed = %+v", atom)
	}
}
