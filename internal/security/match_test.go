package security_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/security"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
	"github.com/smeserver/smeforge/internal/testutil"
)

type env struct {
	st  *sqlstore.Store
	cat *catalog.Service
	rel *release.Service
	sec *security.Service
	now time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, err := blob.NewDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, cat: &catalog.Service{Store: st, Blobs: catalog.LocalBlobs(bl)}, rel: &release.Service{Store: st},
		now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	e.sec = &security.Service{Store: st, Catalog: st, Policy: policy.Default(), Now: func() time.Time { return e.now }}
	return e
}

// rpmBuild ingests a binary RPM (and its SRPM) of a category and puts the
// build in a channel of a release.
func (e *env) rpmBuild(t *testing.T, rel, channel, category, name, src string, epoch uint32, version, release string) {
	t.Helper()
	ctx := context.Background()
	var b bytes.Buffer
	spec := corpus.PackageSpec{Name: name, Epoch: epoch, Version: version, Release: release, Arch: "x86_64", Summary: "s", License: "MIT",
		BuildTime: time.Unix(1700000000, 0), SourceRPM: src + "-" + version + "-" + release + ".src.rpm",
		Files: []corpus.File{{Path: "/usr/share/" + name + "/f", Content: []byte(version)}}}
	if err := corpus.WriteRPM(&b, spec); err != nil {
		t.Fatal(err)
	}
	a, _, err := e.cat.IngestAs(ctx, &b, name, "t", category)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ChangeChannel(ctx, rel, channel, []string{a.BuildID}, nil, "t", e.now); err != nil {
		t.Fatal(err)
	}
}

// upstream records base packages of a release as an upstream sync does.
func (e *env) upstream(t *testing.T, rel string, nevras ...string) {
	t.Helper()
	ctx := context.Background()
	u := catalog.Upstream{Name: "base-" + strings.ReplaceAll(rel, ".", "-"), URL: "https://example.org/", Release: rel, CreatedAt: e.now}
	if err := e.st.AddUpstream(ctx, u); err != nil {
		t.Fatal(err)
	}
	var pkgs []catalog.PackageFacts
	for _, s := range nevras {
		// "name epoch version release"
		f := strings.Fields(s)
		var ep int64
		if f[1] != "0" {
			ep = 1
		}
		pkgs = append(pkgs, catalog.PackageFacts{Artifact: catalog.Artifact{Name: f[0], Epoch: ep, Version: f[2], Release: f[3], Arch: "x86_64"}})
	}
	u.SyncedAt = e.now
	if err := e.st.SetUpstreamPackages(ctx, u, pkgs); err != nil {
		t.Fatal(err)
	}
}

func (e *env) importFile(t *testing.T, format, path string) *security.ImportResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := e.sec.Import(context.Background(), format, f, filepath.Base(path), "", "security-team")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 0 {
		t.Fatalf("%s: skipped %v", path, res.Skipped)
	}
	return res
}

type got struct{ release, pkg, key, evrs, monitoring string }

func entries(t *testing.T, e *env) []got {
	t.Helper()
	es, err := e.st.Entries(context.Background(), security.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []got
	for _, x := range es {
		out = append(out, got{x.Release, x.Package, x.Key, strings.Join(x.EVRs, " "), x.Monitoring})
	}
	slices.SortFunc(out, func(a, b got) int { return strings.Compare(a.release+a.pkg+a.key, b.release+b.pkg+b.key) })
	return out
}

// The real Rocky and AlmaLinux records against a release on Rocky Linux 8
// and one on AlmaLinux 8, each with packages before and after the fixed
// versions: exactly the older ones are reported, each once however many
// sources report it, by the release's own ecosystem only.
func TestMatchRealRecords(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	dir := testutil.SharedTestdata(t, "advisories")
	for _, spec := range []release.Spec{{Name: "10.0", BaseOS: "Rocky Linux 8"}, {Name: "alma", Version: "11.0", BaseOS: "AlmaLinux 8"}} {
		if _, err := e.rel.Create(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	e.upstream(t, "10.0",
		"java-11-openjdk 1 11.0.12.0.7 0.el8_4",              // before 1:11.0.13.0.8-1.el8_4: affected
		"lz4 0 1.8.3 2.el8",                                  // before 1.8.3-3.el8_4: affected
		"kernel 0 4.18.0 305.12.1.el8_4",                     // the fixed version: not affected
		"rubygem-abrt 0 0.3.0 4.module+el8.5.0+738+032c9c02", // fixed: not affected
		"python3-requests 0 2.20.0 2.1.el8_1",                // older, but AlmaLinux's record
		"ruby 0 3.2.0 1.el8",                                 // older, but Rocky 9's record
		"firewalld 0 0.8.2 6.el8",                            // older, but a bug fix update
	)
	e.upstream(t, "alma",
		"python3-requests 0 2.20.0 2.1.el8_1", // before 2.20.0-3.el8_8: affected
		"lz4 0 1.8.3 3.el8_4",                 // fixed (by Red Hat's VEX): not affected
		"java-11-openjdk 1 11.0.12.0.7 0.el8_4",
	)
	// Channel packages: a binary matched through its source package name,
	// an addon (best effort) and a test package (not monitored).
	e.rpmBuild(t, "10.0", "os", "core", "java-11-openjdk-headless", "java-11-openjdk", 1, "11.0.13.0.8", "1.el8_4") // fixed
	e.rpmBuild(t, "10.0", "addons", "addons", "rubygem-bson", "rubygem-bson", 0, "4.3.0", "1.module+el8.4.0+592+03ff458a")
	e.rpmBuild(t, "10.0", "test", "test", "lz4-devel", "lz4", 0, "1.8.3", "1.el8")

	for _, f := range []string{"RLSA-2021_3891.osv.json", "ALSA-2023_4520.osv.json", "RLSA-2024_3671.osv.json"} {
		e.importFile(t, security.FormatOSV, filepath.Join(dir, f))
	}
	res := e.importFile(t, security.FormatUpdateinfo, filepath.Join(dir, "rocky8-updateinfo.xml"))
	if res.Imported != 3 || res.Ignored != 1 {
		t.Errorf("updateinfo import: %+v, want 3 imported, 1 ignored", res)
	}
	e.importFile(t, security.FormatCSAF, "testdata/cve-2021-3520.json")

	want := []got{
		{"10.0", "java-11-openjdk", "RLSA-2021:3891", "1:11.0.12.0.7-0.el8_4", "full"},
		{"10.0", "lz4", "CVE-2021-3520", "1.8.3-2.el8", "full"},
		{"10.0", "rubygem-bson", "CVE-2019-8324", "4.3.0-1.module+el8.4.0+592+03ff458a", "best-effort"},
		{"alma", "python3-requests", "CVE-2023-32681", "2.20.0-2.1.el8_1", "full"},
	}
	if g := entries(t, e); !slices.Equal(g, want) {
		t.Errorf("entries:\n got  %v\n want %v", g, want)
	}
	// lz4 is reported by Rocky's updateinfo and Red Hat's VEX: one entry,
	// two sources.
	lz4, _ := e.st.Entries(ctx, security.Filter{Release: "10.0", Package: "lz4"})
	if len(lz4) != 1 || !slices.Equal(lz4[0].Sources, []string{"csaf:CVE-2021-3520", "updateinfo:RLSA-2021:2575"}) || lz4[0].Fixed != "1.8.3-3.el8_4" {
		t.Errorf("lz4 entry: %+v", lz4)
	}

	// The same records again change nothing.
	for _, f := range []string{"RLSA-2021_3891.osv.json", "ALSA-2023_4520.osv.json"} {
		if r := e.importFile(t, security.FormatOSV, filepath.Join(dir, f)); r.Imported != 0 || r.Unchanged != 1 || r.Opened != 0 {
			t.Errorf("re-import of %s: %+v", f, r)
		}
	}
	// A modified record replaces its ranges: fixed earlier, no match.
	raw, _ := os.ReadFile(filepath.Join(dir, "ALSA-2023_4520.osv.json"))
	var m map[string]any
	json.Unmarshal(raw, &m)
	m["modified"] = "2024-01-01T00:00:00Z"
	m["affected"].([]any)[0].(map[string]any)["ranges"].([]any)[0].(map[string]any)["events"] = []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": "2.20.0-1"}}
	changed, _ := json.Marshal(m)
	r, err := e.sec.Import(ctx, security.FormatOSV, bytes.NewReader(changed), "changed.json", "", "security-team")
	if err != nil || r.Imported != 1 {
		t.Fatalf("modified record: %+v %v", r, err)
	}
	rec, err := e.st.VulnRecord(ctx, "osv", "ALSA-2023:4520")
	if err != nil || len(rec.Ranges) != 1 || rec.Ranges[0].Fixed != "2.20.0-1" || !bytes.Equal(rec.Raw, bytes.TrimSpace(changed)) {
		t.Errorf("stored record after modification: %+v %v", rec, err)
	}

	// A test package is not monitored: its release has no entry for it
	// even though its version is affected.
	for _, x := range entries(t, e) {
		if strings.Contains(x.evrs, "1.8.3-1.el8") {
			t.Errorf("the test package lz4-devel was tracked: %v", x)
		}
	}

	// Imports are audited.
	evs, err := e.st.AuditEvents(ctx, audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var imports, opens int
	for _, ev := range evs {
		switch ev.Action {
		case "vulnerability.import":
			imports++
		case "vulnerability.open":
			opens++
		}
	}
	if imports != 6 || opens != 4 {
		t.Errorf("audit: %d imports and %d opened entries, want 6 and 4", imports, opens)
	}
}

func TestTriage(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.rel.Create(ctx, release.Spec{Name: "10.0", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	e.upstream(t, "10.0", "lz4 0 1.8.3 2.el8", "kernel 0 4.18.0 1.el8", "java-11-openjdk 1 11.0.1 1.el8")
	e.importFile(t, security.FormatUpdateinfo, filepath.Join(testutil.SharedTestdata(t, "advisories"), "rocky8-updateinfo.xml"))
	es, _ := e.st.Entries(ctx, security.Filter{})
	if len(es) != 2 {
		t.Fatalf("%d entries, want lz4 and kernel", len(es))
	}
	id := es[0].ID
	s := func(v string) *string { return &v }

	e.now = e.now.Add(2 * time.Hour)
	got, err := e.sec.Triage(ctx, id, security.Change{State: s("looking-into-it"), Owner: s("alice"), PrivateNotes: s("embargoed details")}, "alice")
	if err != nil || got.State != "looking-into-it" || !got.FirstResponseAt.Equal(e.now) {
		t.Fatalf("first answer: %+v %v", got, err)
	}
	e.now = e.now.Add(time.Hour)
	if _, err := e.sec.Triage(ctx, id, security.Change{State: s("not-vulnerable"), Statement: s("SME Server does not use lz4 on untrusted input."),
		Justification: s("vulnerable_code_not_in_execute_path")}, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    security.Change
		want string
	}{
		{security.Change{State: s("fixed")}, "an entry that is not-vulnerable cannot become fixed"},
		{security.Change{State: s("bogus")}, `state "bogus"`},
		{security.Change{Severity: s("huge")}, `severity "huge"`},
		{security.Change{Justification: s("because")}, `justification "because"`},
		{security.Change{Owner: s("a b")}, `owner "a b"`},
		{security.Change{}, "the change is empty"},
		{security.Change{State: s("not-vulnerable")}, "changes nothing"},
	} {
		_, err := e.sec.Triage(ctx, id, tc.c, "alice")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errorsIsInvalid(err) {
			t.Errorf("%+v: err %v, want invalid containing %q", tc.c, err, tc.want)
		}
	}
	if _, err := e.sec.Triage(ctx, 999, security.Change{State: s("fixed")}, "alice"); err == nil || !strings.Contains(err.Error(), "no tracker entry 999") {
		t.Errorf("unknown entry: %v", err)
	}
	got, _ = e.st.Entry(ctx, id)
	if got.State != "not-vulnerable" || got.PrivateNotes != "embargoed details" || got.FirstResponseAt.Sub(got.CreatedAt) != 2*time.Hour {
		t.Errorf("entry after triage: %+v", got)
	}
	sum := security.Summarize([]security.Entry{*got, es[1]})
	if sum.MedianFirstResponse != 2*time.Hour || sum.Answered != 1 || sum.Open != 1 {
		t.Errorf("summary %+v", sum)
	}

	// Audit: public events for the state and statement, a private one for
	// the notes, whose text is in no public event.
	evs, _ := e.st.AuditEvents(ctx, audit.Query{Subject: "vulnerability:" + itoa(id)})
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
		if ev.Public && (strings.Contains(string(ev.After), "embargoed") || strings.Contains(string(ev.Before), "embargoed")) {
			t.Errorf("public event %s shows the private notes", ev.Action)
		}
	}
	if !slices.Equal(actions, []string{"vulnerability.open", "vulnerability.triage", "vulnerability.notes", "vulnerability.triage"}) {
		t.Errorf("audit actions %v", actions)
	}
	pub, _ := e.st.AuditEvents(ctx, audit.Query{Subject: "vulnerability:" + itoa(id), PublicOnly: true})
	if len(pub) != 3 || !strings.Contains(string(pub[2].After), "not-vulnerable") || !strings.Contains(string(pub[2].Before), "looking-into-it") {
		t.Errorf("public audit %+v", pub)
	}

	// OpenVEX states the answer.
	doc, err := e.sec.OpenVEX(ctx, "https://forge.example")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	for _, want := range []string{`"@context":"https://openvex.dev/ns/v0.2.0"`, `"status":"not_affected"`, `"justification":"vulnerable_code_not_in_execute_path"`,
		`"name":"CVE-2021-3520"`, `pkg:rpm/smeserver/lz4@1.8.3-2.el8?arch=x86_64\u0026distro=smeserver-10.0`, `"status":"under_investigation"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("OpenVEX lacks %s:\n%s", want, b)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func errorsIsInvalid(err error) bool { return errors.Is(err, catalog.ErrInvalid) }

// An upstream's updateinfo.xml, as a sync hands it over, is read with the
// ecosystem of the upstream's release.
func TestImportUpstream(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.rel.Create(ctx, release.Spec{Name: "10.0", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	e.upstream(t, "10.0", "kernel 0 4.18.0 305.3.1.el8", "lz4 0 1.8.3 3.el8_4")
	ui, err := os.ReadFile(filepath.Join(testutil.SharedTestdata(t, "advisories"), "rocky8-updateinfo.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// Without <release>, only the upstream says which ecosystem it is.
	ui = bytes.ReplaceAll(ui, []byte("<release>Rocky Linux 8</release>"), nil)
	n, err := e.sec.ImportUpstream(ctx, catalog.Upstream{Name: "base-10-0", Release: "10.0"}, ui, "sync")
	if err != nil || n != 3 {
		t.Fatalf("ImportUpstream: %d, %v; want 3 security updates", n, err)
	}
	want := []got{{"10.0", "kernel", "RLSA-2021:3057", "4.18.0-305.3.1.el8", "full"}}
	if g := entries(t, e); !slices.Equal(g, want) {
		t.Errorf("entries %v, want %v", g, want)
	}
}
