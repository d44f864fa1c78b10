//go:build integration

package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/client"
	"github.com/smeserver/smeforge/internal/auth"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
	"github.com/smeserver/smeforge/internal/testutil"
)

// person is an account made for a test, with its API client.
type person struct {
	name  string
	token string
	c     *client.Client
}

// makePeople creates accounts with roles and tokens in the database of
// data before the server starts, each having signed in just now.
func makePeople(t *testing.T, data string, roles map[string][]string) map[string]*person {
	t.Helper()
	ctx := context.Background()
	if err := os.MkdirAll(data, 0o750); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(data, "smeforge.db")
	st, err := sqlstore.OpenSQLite(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*person{}
	for name, rs := range roles {
		if _, err := st.EnsureAccount(ctx, name, false, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.SetRoles(ctx, name, rs); err != nil {
			t.Fatal(err)
		}
		plain, hash, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddToken(ctx, name, hash, "test", nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		out[name] = &person{name: name, token: plain}
	}
	st.Close()
	// The people API stamps last_login_at on sign-in; here the accounts
	// "signed in" just now, for the maintainer gate.
	raw, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE accounts SET last_login_at = ?`, time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	return out
}

func (p *person) connect(t *testing.T, s *server) {
	t.Helper()
	c, err := client.New(s.url, p.token)
	if err != nil {
		t.Fatal(err)
	}
	p.c = c
}

// dnfSees lists the NEVRAs dnf finds in one published repository.
func dnfSees(t *testing.T, s *server, cache, release, channel string) []string {
	t.Helper()
	url := s.url + "/repo/" + release + "/" + channel + "/x86_64/"
	return sortedLines(dnf(t, cache, append(repoFromPath("sme"+channel, url), "repoquery", "--available", "--qf", "%{name}\n")...))
}

func wantAPIError(t *testing.T, what string, err error, status int, words ...string) {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: error %v, want an API error %d", what, err, status)
	}
	if ae.Status != status {
		t.Errorf("%s: status %d (%s), want %d", what, ae.Status, ae.Message, status)
	}
	for _, w := range words {
		if !strings.Contains(ae.Message, w) {
			t.Errorf("%s: message %q does not say %q", what, ae.Message, w)
		}
	}
}

// buildState is what must not change when a request is refused.
func buildState(t *testing.T, s *server, build string) string {
	t.Helper()
	ctx := context.Background()
	admin := s.client(t, true)
	b, err := admin.Build(ctx, build)
	if err != nil {
		t.Fatal(err)
	}
	state := "category " + b.Category
	chans, err := admin.Channels(ctx, "11")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chans {
		state += fmt.Sprintf(" %s@%d", c.Name, c.Version)
	}
	return state
}

// TestPromotionEndToEnd runs the seed's path through the API with the real
// binary and Debian's dnf: a contributor uploads a build, a tester says
// it works, it is promoted dev -> test -> addons -> core with the reviews
// the policy asks for, it is signed on entering core, and after each step
// dnf finds it in the new channel and not in the old one. A second build
// that obsoletes a base package is stopped at the fork gate until a fork
// agreement is approved by the DM and two core developers.
func TestPromotionEndToEnd(t *testing.T) {
	t.Parallel()
	requireDNF(t)
	testutilRequireRPMKeys(t)
	ctx := context.Background()
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	people := makePeople(t, data, map[string][]string{
		"carol":   {"contributor", "maintainer"},
		"ted":     {"tester"},
		"cd1":     {"core-developer"},
		"cd2":     {"core-developer"},
		"dm":      {"dm"},
		"mt":      {"maintenance"},
		"mallory": {"maintainer"},
	})
	s := startServer(t, data)
	for _, p := range people {
		p.connect(t, s)
	}
	carol, ted, cd1, cd2, dm, mt, mallory := people["carol"], people["ted"], people["cd1"], people["cd2"], people["dm"], people["mt"], people["mallory"]
	admin := s.client(t, true)
	if _, err := admin.CreateRelease(ctx, "11", "Rocky Linux 9", []string{"x86_64"}); err != nil {
		t.Fatal(err)
	}

	// The contributor uploads a build; it joins a new project of which
	// she is the maintainer, and lands in dev.
	const build = "smeforge-promo-1.0-1"
	for _, f := range simpleBuild(t, filepath.Join(tmp, "rpms"), "smeforge-promo", "1.0", "1", "smeforge-promo") {
		if _, err := carol.c.UploadFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	proj, err := admin.Project(ctx, "smeforge-promo")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(proj.Maintainers, []string{"carol"}) {
		t.Errorf("project smeforge-promo: maintainers %v, want [carol]", proj.Maintainers)
	}
	if _, err := admin.AddBuilds(ctx, "11", "dev", build); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{"dev", "test", "addons", "os", "updates-testing"} {
		if _, err := admin.Publish(ctx, "11", ch, 0); err != nil {
			t.Fatal(err)
		}
	}
	cache := filepath.Join(tmp, "cache")
	step := 0
	seen := func(channel string, want bool) {
		t.Helper()
		step++
		got := slices.Contains(dnfSees(t, s, filepath.Join(cache, fmt.Sprint(step)), "11", channel), "smeforge-promo")
		if got != want {
			t.Errorf("dnf repoquery 11/%s: smeforge-promo there = %v, want %v", channel, got, want)
		}
	}
	seen("dev", true)

	// Another maintainer may not ask for the promotion of carol's build.
	_, err = mallory.c.RequestPromotion(ctx, client.PromotionRequest{Build: build, Release: "11", From: "dev", To: "test"})
	wantAPIError(t, "mallory asks for carol's build", err, http.StatusForbidden, "not a maintainer")

	// The forge's own install test: dnf installs the build from the
	// would-be content of test; a build needing what nobody provides fails.
	it, err := ted.c.RunInstallTest(ctx, build, "11", "test")
	if err != nil {
		t.Fatal(err)
	}
	if !it.OK || !strings.Contains(it.Transcript, "--installroot=") || !strings.Contains(it.Transcript, "smeforge-promo") {
		t.Errorf("install test of %s: ok=%v %s\n%s", build, it.OK, it.Summary, lastLines(it.Transcript, 15))
	}
	brokenFiles := []string{writeRPM(t, filepath.Join(tmp, "broken"), corpus.PackageSpec{Name: "smeforge-broken", Version: "1.0", Release: "1", Source: true,
		Files: []corpus.File{{Path: "smeforge-broken.spec", Content: []byte("Name: smeforge-broken\n")}}}),
		writeRPM(t, filepath.Join(tmp, "broken"), corpus.PackageSpec{Name: "smeforge-broken", Version: "1.0", Release: "1",
			SourceRPM: "smeforge-broken-1.0-1.src.rpm", Requires: []string{"smeforge-nothere >= 2"},
			Files: []corpus.File{{Path: "/usr/share/broken/README", Content: []byte("broken\n")}}})}
	for _, f := range brokenFiles {
		if _, err := carol.c.UploadFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if it, err = ted.c.RunInstallTest(ctx, "smeforge-broken-1.0-1", "11", "test"); err != nil {
		t.Fatal(err)
	}
	if it.OK || !strings.Contains(it.Transcript, "smeforge-nothere") {
		t.Errorf("install test of a build that needs a missing package: ok=%v\n%s", it.OK, lastLines(it.Transcript, 15))
	}
	// Its dev -> test request stops at the closure gate.
	breq, err := carol.c.RequestPromotion(ctx, client.PromotionRequest{Build: "smeforge-broken-1.0-1", Release: "11", From: "dev", To: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range breq.LatestGates() {
		if g.Gate == "closure" && (g.OK || !strings.Contains(g.Summary, "smeforge-nothere")) {
			t.Errorf("closure gate of smeforge-broken: ok=%v %s", g.OK, g.Summary)
		}
	}
	if breq.State != "open" {
		t.Errorf("request of smeforge-broken: state %s, want open", breq.State)
	}
	if _, err := carol.c.WithdrawPromotion(ctx, breq.ID, "fix first"); err != nil {
		t.Fatal(err)
	}

	// A tester reports it works.
	if _, err := ted.c.FileTestReport(ctx, build, client.TestReport{Verdict: "works", Environment: "SME 11 beta in a VM", Text: "installed, /usr/share/smeforge-promo/README is there"}); err != nil {
		t.Fatal(err)
	}

	// dev -> test: no review needed, every gate passes.
	req, err := carol.c.RequestPromotion(ctx, client.PromotionRequest{Build: build, Release: "11", From: "dev", To: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range req.LatestGates() {
		if !g.OK {
			t.Errorf("dev -> test: gate %s failed: %s", g.Gate, g.Summary)
		}
	}
	if req.State != "approved" || req.ToChannel != "test" || req.FromChannel != "dev" {
		t.Fatalf("dev -> test: state %s, %s -> %s; want approved, dev -> test", req.State, req.FromChannel, req.ToChannel)
	}
	if req, err = carol.c.ExecutePromotion(ctx, req.ID); err != nil {
		t.Fatal(err)
	}
	if req.State != "done" {
		t.Errorf("dev -> test executed: state %s", req.State)
	}
	seen("test", true)
	seen("dev", false)

	// test -> addons: one core developer must approve.
	req, err = carol.c.RequestPromotion(ctx, client.PromotionRequest{Build: build, Release: "11", From: "test", To: "addons"})
	if err != nil {
		t.Fatal(err)
	}
	if req.State != "open" {
		t.Errorf("test -> addons: state %s before any review", req.State)
	}
	before := buildState(t, s, build)
	_, err = carol.c.ExecutePromotion(ctx, req.ID)
	wantAPIError(t, "executing test -> addons unreviewed", err, http.StatusConflict, "approvals missing", "core-developer 0 of 1")
	if after := buildState(t, s, build); after != before {
		t.Errorf("a refused execution changed the build: %s -> %s", before, after)
	}
	_, err = carol.c.VotePromotion(ctx, req.ID, "approve", "my own")
	wantAPIError(t, "carol reviews her own request", err, http.StatusForbidden)
	_, err = ted.c.VotePromotion(ctx, req.ID, "approve", "")
	wantAPIError(t, "a tester reviews", err, http.StatusForbidden, "review-promotion")
	if req, err = cd1.c.VotePromotion(ctx, req.ID, "approve", "looks fine"); err != nil {
		t.Fatal(err)
	}
	if req.State != "approved" {
		t.Fatalf("test -> addons after a core developer's approval: state %s", req.State)
	}
	if req, err = carol.c.ExecutePromotion(ctx, req.ID); err != nil || req.State != "done" {
		t.Fatalf("executing test -> addons: %+v, %v", req, err)
	}
	seen("addons", true)
	seen("test", false)

	// addons -> core: the DM and two core developers; signed on entering.
	req, err = carol.c.RequestPromotion(ctx, client.PromotionRequest{Build: build, Release: "11", From: "addons", To: "core"})
	if err != nil {
		t.Fatal(err)
	}
	if req.ToChannel != "os" {
		t.Errorf("addons -> core before final goes to %s, want os", req.ToChannel)
	}
	for _, p := range []*person{cd1, cd2} {
		if req, err = p.c.VotePromotion(ctx, req.ID, "approve", ""); err != nil {
			t.Fatal(err)
		}
	}
	before = buildState(t, s, build)
	_, err = carol.c.ExecutePromotion(ctx, req.ID)
	wantAPIError(t, "addons -> core without the DM", err, http.StatusConflict, "dm 0 of 1")
	if after := buildState(t, s, build); after != before {
		t.Errorf("a refused execution changed the build: %s -> %s", before, after)
	}
	if req, err = dm.c.VotePromotion(ctx, req.ID, "approve", "agreed"); err != nil {
		t.Fatal(err)
	}
	if req, err = carol.c.ExecutePromotion(ctx, req.ID); err != nil || req.State != "done" {
		t.Fatalf("executing addons -> core: %+v, %v", req, err)
	}
	seen("os", true)
	seen("addons", false)
	b, err := admin.Build(ctx, build)
	if err != nil {
		t.Fatal(err)
	}
	active, _ := keysOf(t, s)
	key := saveKey(t, s, filepath.Join(tmp, "keys"), active)
	for _, a := range b.Artifacts {
		if a.Source {
			continue
		}
		f := saveFile(t, filepath.Join(tmp, "dl"), a.Filename, s.get(t, "/repo/11/os/x86_64/Packages/"+a.Filename))
		if ok, out := checksig(t, f, key); !ok {
			t.Errorf("rpmkeys --checksig %s after entering core: %s", a.Filename, out)
		}
	}
	if b.Category != "core" {
		t.Errorf("build category %s after addons -> core", b.Category)
	}

	// The public history of the build tells the whole path.
	hist, err := s.client(t, false).BuildHistory(ctx, build)
	if err != nil {
		t.Fatal(err)
	}
	var executed int
	for _, e := range hist {
		if e.Action == "promotion.execute" {
			executed++
		}
	}
	if executed != 3 {
		t.Errorf("history of %s: %d promotion.execute entries, want 3 (%d entries)", build, executed, len(hist))
	}
	if _, err := ted.c.Audit(ctx, 0, 10); err == nil {
		t.Errorf("a tester read the whole audit log")
	}
	if ev, err := cd1.c.Audit(ctx, 0, 0); err != nil || len(ev) < len(hist) {
		t.Errorf("a core developer reads the audit log: %d entries, %v", len(ev), err)
	}

	// A build that obsoletes a base package is a fork.
	basePath := writeRPM(t, filepath.Join(tmp, "base"), corpus.PackageSpec{Name: "smeforge-basepkg", Version: "2.0", Release: "1.el9",
		SourceRPM: "smeforge-basepkg-2.0-1.el9.src.rpm", Files: []corpus.File{{Path: "/usr/share/basepkg/README", Content: []byte("base\n")}}})
	if _, err := admin.UploadFileAs(ctx, basePath, "base"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddBuilds(ctx, "11", "os", "smeforge-basepkg-2.0-1.el9"); err != nil {
		t.Fatal(err)
	}
	const fork = "smeforge-myfork-1.0-1"
	forkFiles := []string{writeRPM(t, filepath.Join(tmp, "fork"), corpus.PackageSpec{Name: "smeforge-myfork", Version: "1.0", Release: "1", Source: true,
		Files: []corpus.File{{Path: "smeforge-myfork.spec", Content: []byte("Name: smeforge-myfork\n")}}}),
		writeRPM(t, filepath.Join(tmp, "fork"), corpus.PackageSpec{Name: "smeforge-myfork", Version: "1.0", Release: "1",
			SourceRPM: "smeforge-myfork-1.0-1.src.rpm", Obsoletes: []string{"smeforge-basepkg"},
			Files: []corpus.File{{Path: "/usr/share/myfork/README", Content: []byte("fork\n")}}})}
	for _, f := range forkFiles {
		if _, err := carol.c.UploadFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.AddBuilds(ctx, "11", "dev", fork); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Publish(ctx, "11", "dev", 0); err != nil {
		t.Fatal(err)
	}
	freq, err := carol.c.RequestPromotion(ctx, client.PromotionRequest{Build: fork, Release: "11", From: "dev", To: "updates-testing"})
	if err != nil {
		t.Fatal(err)
	}
	if freq.Category != "core" || freq.ToChannel != "updates-testing" {
		t.Errorf("dev -> updates-testing: category %s channel %s, want core, updates-testing", freq.Category, freq.ToChannel)
	}
	if freq, err = mt.c.VotePromotion(ctx, freq.ID, "approve", ""); err != nil {
		t.Fatal(err)
	}
	before = buildState(t, s, fork)
	_, err = carol.c.ExecutePromotion(ctx, freq.ID)
	wantAPIError(t, "executing a fork without agreement", err, http.StatusConflict, "fork", "smeforge-basepkg")
	if after := buildState(t, s, fork); after != before {
		t.Errorf("a refused fork changed the build: %s -> %s", before, after)
	}
	ag, err := carol.c.RequestFork(ctx, "smeforge-myfork", []string{"smeforge-basepkg"}, "the base package is unmaintained", "bug 1234 at the base OS")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ted.c.VoteFork(ctx, ag.ID, "approve", "")
	wantAPIError(t, "a tester agrees a fork", err, http.StatusForbidden)
	for i, p := range []*person{dm, cd1, cd2} {
		if ag, err = p.c.VoteFork(ctx, ag.ID, "approve", ""); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{true: "approved", false: "requested"}[i == 2]; ag.State != want {
			t.Errorf("fork agreement after %d approvals: %s, want %s", i+1, ag.State, want)
		}
		if i == 1 {
			// Two of three approvals: still stopped.
			_, err = carol.c.ExecutePromotion(ctx, freq.ID)
			wantAPIError(t, "executing a fork half agreed", err, http.StatusConflict, "fork")
		}
	}
	if freq, err = carol.c.ExecutePromotion(ctx, freq.ID); err != nil {
		t.Fatal(err)
	}
	var forkGate *client.GateResult
	for _, g := range freq.LatestGates() {
		if g.Gate == "fork" {
			forkGate = &g
		}
	}
	if forkGate == nil || !forkGate.OK || !strings.Contains(string(forkGate.Evidence), fmt.Sprintf(`"agreements":[%d]`, ag.ID)) {
		t.Errorf("fork gate after the agreement: %+v", forkGate)
	}
	step++
	if got := dnfSees(t, s, filepath.Join(cache, fmt.Sprint(step)), "11", "updates-testing"); !slices.Contains(got, "smeforge-myfork") {
		t.Errorf("dnf repoquery 11/updates-testing: %v, want smeforge-myfork", got)
	}

	// The command line lists what the API holds.
	if out := s.mustCLI(t, "promote", "list", "--build", build); strings.Count(out, build) != 3 || !strings.Contains(out, "done") {
		t.Errorf("smeforge promote list --build %s:\n%s", build, out)
	}

	// The audit log's chain is whole; altering or deleting an entry breaks
	// it, and smeforge audit verify says where.
	s.stop(t)
	verify := func() result {
		t.Helper()
		r, err := run(smeforgeBin(t), "audit", "verify", "--data", data)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := verify(); r.code != 0 || !strings.Contains(r.stdout, "the chain is whole") {
		t.Fatalf("smeforge audit verify on an untouched log: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(data, "smeforge.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE audit_events SET actor = 'mallory' WHERE seq = 5`); err != nil {
		t.Fatal(err)
	}
	if r := verify(); r.code != 1 || !strings.Contains(r.stdout, "entry 5: altered") {
		t.Errorf("smeforge audit verify after altering entry 5: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := raw.Exec(`DELETE FROM audit_events WHERE seq = 5`); err != nil {
		t.Fatal(err)
	}
	if r := verify(); r.code != 1 || !strings.Contains(r.stdout, "missing") || strings.Contains(r.stdout, "entry 5: altered") {
		t.Errorf("smeforge audit verify after deleting entry 5: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func testutilRequireRPMKeys(t *testing.T) {
	t.Helper()
	testutil.RequireTool(t, "rpmkeys")
}
