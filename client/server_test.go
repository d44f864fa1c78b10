package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/client"
	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/auth"
	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/publish"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
	"github.com/smeserver/smeforge/internal/testutil"
	"github.com/smeserver/smeforge/internal/web"
)

// startForgeStore runs the real server (SQLite, blobs, publisher, web) over
// real HTTP and returns its URL, an administrator's token and its database
// (to look at what the API did). It keeps the
// client honest: the answers decoded below are the server's, not copies.
func startForgeStore(t *testing.T) (string, string, *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "smeforge.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := blob.NewDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := st.EnsureAccount(ctx, "admin", true, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnsureAccount(ctx, "someone", false, now); err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, r := range policy.Default().Roles {
		roles = append(roles, r.Name)
	}
	if err := st.SetRoles(ctx, "admin", roles); err != nil {
		t.Fatal(err)
	}
	token, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddToken(ctx, "admin", hash, "test", nil, now); err != nil {
		t.Fatal(err)
	}
	pub := publish.New(st, filepath.Join(dir, "repos"), nil, nil)
	srv, err := web.New(web.Config{
		Catalog: &catalog.Service{Store: st, Blobs: catalog.LocalBlobs(blobs), MaxUpload: 32 << 20}, Store: st, Blobs: blobs,
		Releases: &release.Service{Store: st, Publisher: pub}, Publisher: pub, Keys: auth.NewKeys(bytes.Repeat([]byte("k"), 32)),
		Audit: st,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL, token, st
}

func status(err error) int {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// TestAgainstServer walks the whole API with the real SME packages:
// upload, release, channel, builds, publish, search, and the refusals.
func TestAgainstServer(t *testing.T) {
	sme := testutil.SharedTestdata(t, "sme")
	files := append(testutil.Glob(t, filepath.Join(sme, "rpms", "*.rpm")), testutil.Glob(t, filepath.Join(sme, "srpms", "*.rpm"))...)
	base, token, st := startForgeStore(t)
	ctx := context.Background()
	c, err := client.New(base, token)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Healthz(ctx); err != nil {
		t.Fatal(err)
	}

	builds := map[string]bool{}
	for _, f := range files {
		res, err := c.UploadFile(ctx, f)
		if err != nil {
			t.Fatalf("uploading %s: %v", f, err)
		}
		if !res.Created || res.Package.Filename != filepath.Base(f) || res.Package.Build == "" || len(res.Package.SHA256) != 64 {
			t.Errorf("upload of %s answered %+v", f, res)
		}
		builds[res.Package.Build] = true
	}
	again, err := c.UploadFile(ctx, files[0])
	if err != nil || again.Created {
		t.Errorf("second upload of %s: %+v, %v; want created=false", files[0], again, err)
	}

	bs, err := c.Builds(ctx, client.BuildQuery{})
	if err != nil || len(bs) != len(builds) {
		t.Fatalf("Builds: %d builds, %v; want %d", len(bs), err, len(builds))
	}
	b, err := c.Build(ctx, "e-smith-lib-1.16.0-10")
	if err != nil || !b.HasSource || len(b.Artifacts) != 2 || !b.Artifacts[0].Source {
		t.Fatalf("Build(e-smith-lib-1.16.0-10) = %+v, %v", b, err)
	}
	info, err := c.Package(ctx, b.Artifacts[1].SHA256)
	if err != nil || info.Package.NEVRA() != "e-smith-lib-1.16.0-10.noarch" || len(info.Details.Files) == 0 {
		t.Fatalf("Package: %+v, %v", info, err)
	}

	rel, err := c.CreateRelease(ctx, "10", "Rocky Linux 8", nil)
	if err != nil || rel.Release.BaseOS != "Rocky Linux 8" || !slices.Equal(rel.Release.Arches, []string{"x86_64"}) || len(rel.Channels) == 0 {
		t.Fatalf("CreateRelease: %+v, %v", rel, err)
	}
	if _, err := c.CreateRelease(ctx, "10", "Rocky Linux 8", nil); status(err) != http.StatusConflict {
		t.Errorf("creating release 10 twice: %v, want HTTP 409", err)
	}
	ch, err := c.CreateChannel(ctx, "10", "extras", client.ChannelOptions{Description: "More", Disabled: true})
	if err != nil || ch.Enabled || ch.Description != "More" || !slices.Equal(ch.Arches, []string{"x86_64"}) {
		t.Fatalf("CreateChannel: %+v, %v", ch, err)
	}
	chans, err := c.Channels(ctx, "10")
	if err != nil || !slices.ContainsFunc(chans, func(c client.Channel) bool { return c.Name == "extras" }) {
		t.Fatalf("Channels: %+v, %v", chans, err)
	}

	// The real SME packages are core (new builds start in dev): os refuses
	// them until an administrator says so.
	if _, err := c.AddBuilds(ctx, "10", "os", "e-smith-lib-1.16.0-10"); status(err) != http.StatusConflict {
		t.Fatalf("a dev build into os: %v, want 409", err)
	}
	for _, id := range []string{"e-smith-lib-1.16.0-10", "smeserver-yum-1.2.0-56"} {
		if b, err := c.SetBuildCategory(ctx, id, "core"); err != nil || b.Category != "core" {
			t.Fatalf("SetBuildCategory(%s): %+v, %v", id, b, err)
		}
	}
	v, err := c.AddBuilds(ctx, "10", "os", "e-smith-lib-1.16.0-10", "smeserver-yum-1.2.0-56")
	if err != nil || v.Version != 1 || !strings.Contains(v.Change, "added e-smith-lib-1.16.0-10") {
		t.Fatalf("AddBuilds: %+v, %v", v, err)
	}
	v, err = c.RemoveBuild(ctx, "10", "os", "smeserver-yum-1.2.0-56")
	if err != nil || v.Version != 2 {
		t.Fatalf("RemoveBuild: %+v, %v", v, err)
	}
	pub, err := c.Publish(ctx, "10", "os", 0)
	if err != nil || pub.Version != 2 || pub.Repos["x86_64"].Packages != 1 || pub.Repos["source"].Packages != 1 {
		t.Fatalf("Publish: %+v, %v", pub, err)
	}
	ci, err := c.Channel(ctx, "10", "os")
	if err != nil || ci.Channel.PublishedVersion != 2 || !slices.Equal(ci.Builds, []string{"e-smith-lib-1.16.0-10"}) ||
		len(ci.Versions) != 3 || ci.RepoURL != base+"/repo/10/os/" {
		t.Fatalf("Channel: %+v, %v", ci, err)
	}
	ri, err := c.Release(ctx, "10")
	if err != nil || ri.Release.Name != "10" {
		t.Fatalf("Release: %+v, %v", ri, err)
	}
	rs, err := c.Releases(ctx)
	if err != nil || len(rs) != 1 {
		t.Fatalf("Releases: %+v, %v", rs, err)
	}

	found, err := c.SearchPackages(ctx, client.Query{Text: "e-smith", Release: "10", Channel: "os"})
	if err != nil || found.Total != 2 || len(found.Packages) != 2 ||
		!slices.Equal(found.Packages[0].Channels, []client.ChannelRef{{Release: "10", Channel: "os"}}) {
		t.Fatalf("SearchPackages: %+v, %v", found, err)
	}

	// Refusals, each with the server's status.
	anon, _ := client.New(base, "")
	bad, _ := client.New(base, "smf_not-a-token")
	notRPM := bytes.Repeat([]byte("not an rpm "), 1<<20/11)
	refusals := []struct {
		name string
		err  func() error
		want int
	}{
		{"no token", func() error { _, err := anon.CreateRelease(ctx, "11", "Rocky Linux 9", nil); return err }, 401},
		{"bad token", func() error { _, err := bad.Publish(ctx, "10", "os", 0); return err }, 401},
		{"bad token on a large upload", func() error {
			_, err := bad.Upload(ctx, "big.rpm", bytes.NewReader(notRPM), int64(len(notRPM)))
			return err
		}, 401},
		{"not an RPM", func() error {
			_, err := c.Upload(ctx, "notes.txt", strings.NewReader("hello"), 5)
			return err
		}, 400},
		{"too large", func() error {
			_, err := c.Upload(ctx, "huge.rpm", bytes.NewReader(nil), 64<<20)
			return err
		}, 413},
		{"unknown channel", func() error { _, err := c.AddBuilds(ctx, "10", "nope", "e-smith-lib-1.16.0-10"); return err }, 404},
		{"unknown build", func() error { _, err := c.AddBuilds(ctx, "10", "os", "nope-1-1"); return err }, 404},
		{"no builds", func() error { _, err := c.AddBuilds(ctx, "10", "os"); return err }, 400},
		{"unknown version", func() error { _, err := c.Publish(ctx, "10", "os", 99); return err }, 404},
		{"unknown package", func() error { _, err := c.Package(ctx, strings.Repeat("0", 64)); return err }, 404},
		{"bad release name", func() error { _, err := c.CreateRelease(ctx, "a/b", "Rocky Linux 8", nil); return err }, 400},
	}
	for _, r := range refusals {
		err := r.err()
		if got := status(err); got != r.want {
			t.Errorf("%s: %v; want HTTP %d", r.name, err, r.want)
			continue
		}
		if msg := err.(*client.APIError).Message; msg == "" || strings.Contains(msg, "internal error") {
			t.Errorf("%s: message %q", r.name, msg)
		}
	}

	// Every change above is in the audit log, chained, and a build's
	// entries (its public history) show its state before and after.
	events, err := st.AuditEvents(ctx, audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if probs := audit.Verify(events, ""); len(probs) > 0 {
		t.Fatalf("audit log: %v", probs)
	}
	hist, err := st.AuditEvents(ctx, audit.Query{Subject: "build:e-smith-lib-1.16.0-10", PublicOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var sawCategory, sawAdd bool
	for _, e := range hist {
		if e.Actor != "admin" {
			t.Errorf("history entry %d by %q, want admin", e.Seq, e.Actor)
		}
		if strings.HasSuffix(e.Action, "/category") && strings.Contains(string(e.Before), `"category":"dev"`) && strings.Contains(string(e.After), `"category":"core"`) {
			sawCategory = true
		}
		if strings.HasSuffix(e.Action, "/builds") {
			sawAdd = true
		}
	}
	if len(hist) < 3 || !sawCategory || !sawAdd {
		t.Errorf("history of e-smith-lib-1.16.0-10 (upload, dev -> core, into os) is %d entries, category %v, channel %v", len(hist), sawCategory, sawAdd)
	}
	page, err := http.Get(base + "/builds/e-smith-lib-1.16.0-10")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	for _, want := range []string{"moved from category dev to core", "uploaded (category dev)", "added to channel 10/os by hand"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the build page does not say %q", want)
		}
	}
	var refusedLogged bool
	for _, e := range events {
		refusedLogged = refusedLogged || strings.Contains(e.Subject, "/11") || e.Subject == "channel:10/nope"
	}
	if refusedLogged {
		t.Error("a refused change is in the audit log")
	}
}
