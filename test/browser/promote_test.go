//go:build integration

package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/testutil"
)

// TestPromotionInBrowser runs the seed's promotion path through the web
// UI: a contributor uploads a build (with her own token: the UI has no
// upload form), it lands in dev; a tester reports on the build page that
// it works; the contributor asks on the build page for dev -> test,
// test -> addons and addons -> core; core developers and the DM approve on
// the request page; the contributor carries each step out. After each step
// the build is in the new channel and not in the old one, and it is signed
// on entering core. Each person has a browser context of their own and
// signs in with a password, as people do.
func TestPromotionInBrowser(t *testing.T) {
	chromium := testutil.RequireTool(t, "chromium")
	start := time.Now()
	tmp := t.TempDir()
	bin := buildSmeforge(t, tmp)
	srv := startServer(t, bin, filepath.Join(tmp, "data"))

	const password = "a promotion test password"
	for name, roles := range map[string][]string{
		"carol": {"contributor", "maintainer"},
		"ted":   {"tester"},
		"cd1":   {"core-developer"},
		"cd2":   {"core-developer"},
		"dm":    {"dm"},
	} {
		b, _ := json.Marshal(map[string]any{"name": name, "password": password, "roles": roles})
		srv.post(t, "/api/v1/accounts", string(b), http.StatusCreated)
	}
	srv.post(t, "/api/v1/releases", `{"name":"11","base_os":"Rocky Linux 9","arches":["x86_64"]}`, http.StatusCreated)

	// carol uploads the build with a token of hers: she becomes the
	// maintainer of its new project.
	var tok struct{ Token string }
	must(t, json.Unmarshal(srv.post(t, "/api/v1/accounts/carol/tokens", `{"label":"upload"}`, http.StatusCreated), &tok))
	carolAPI := &server{base: srv.base, token: tok.Token}
	const build = "smeforge-browser-promo-1.0-1"
	for _, f := range promoBuild(t, filepath.Join(tmp, "rpms"), "smeforge-browser-promo", "1.0", "1") {
		carolAPI.upload(t, f)
	}
	srv.post(t, "/api/v1/releases/11/channels/dev/builds", `{"builds":["`+build+`"]}`, http.StatusOK)
	srv.post(t, "/api/v1/releases/11/channels/dev/publish", "", http.StatusOK)
	where := func(step string, in, notIn string) {
		t.Helper()
		if got := channelBuilds(t, srv, "11", in); !slices.Contains(got, build) {
			t.Errorf("%s: channel 11/%s has %v, want %s in it", step, in, got, build)
		}
		if notIn != "" {
			if got := channelBuilds(t, srv, "11", notIn); slices.Contains(got, build) {
				t.Errorf("%s: channel 11/%s still has %s", step, notIn, build)
			}
		}
	}
	where("upload", "dev", "")

	shots := os.Getenv("SMEFORGE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bctx := newBrowser(t, ctx, chromium, filepath.Join(tmp, "chromium-profile"))
	// One browser context (own cookies) per person, all signed in.
	people := map[string]context.Context{}
	var watches []func() []string
	for _, name := range []string{"carol", "ted", "cd1", "cd2", "dm"} {
		pctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		must(t, chromedp.Do(pctx, chromedp.Navigate("about:blank")))
		watches = append(watches, watchConsole(pctx))
		signIn(t, pctx, srv, name, password)
		people[name] = pctx
	}
	carol, ted, dm := people["carol"], people["ted"], people["dm"]
	buildPage := srv.base + "/builds/" + build

	// ted says it works, on the build page.
	must(t, chromedp.Do(ted,
		chromedp.Navigate(buildPage),
		chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.Click(chromedp.CSS(`#report-form input[name=verdict][value=works]`)),
		chromedp.SendKeys(chromedp.ID("environment"), "SME 11 beta in a VM"),
		chromedp.SendKeys(chromedp.ID("report-text"), "installed, the README is there"),
		chromedp.SetValue(chromedp.ID("report-release"), "11"),
	))
	navigate(t, ted, chromedp.Click(chromedp.CSS(`#report-form button[type=submit]`)))
	if reports := run(t, ted, chromedp.Text(chromedp.ID("report-list"))); !strings.Contains(reports, "Works") || !strings.Contains(reports, "ted") || !strings.Contains(reports, "SME 11 beta in a VM") {
		t.Errorf("the build's test reports after ted's: %q", reports)
	}
	shoot(t, ted, shots, "promote-report.png")

	// dev -> test: no review; every check passes, carol carries it out.
	id := requestPromotion(t, carol, buildPage, "dev>test", "first step")
	checkRequest(t, carol, "dev -> test", "Approved:", nil)
	carryOut(t, carol, id)
	where("dev -> test", "test", "dev")

	// test -> addons: one core developer. Before that it cannot be carried
	// out and carol, who asked, has no vote.
	id = requestPromotion(t, carol, buildPage, "test>addons", "")
	checkRequest(t, carol, "test -> addons", "Open:", []string{"core-developer: 0 of 1"})
	if n := count(t, carol, "#execute-form, #vote-form"); n != 0 {
		t.Errorf("test -> addons before review: carol sees %d vote or execute forms, want none", n)
	}
	vote(t, people["cd1"], id, "looks fine")
	navigate(t, carol, chromedp.Navigate(fmt.Sprintf("%s/promotions/%d", srv.base, id)))
	checkRequest(t, carol, "test -> addons reviewed", "Approved:", []string{"core-developer: 1 of 1", "cd1"})
	carryOut(t, carol, id)
	where("test -> addons", "addons", "test")

	// addons -> core: two core developers and the DM; signed on entering.
	id = requestPromotion(t, carol, buildPage, "addons>core", "ready for core")
	checkRequest(t, carol, "addons -> core", "Open:", []string{"core-developer: 0 of 2", "dm: 0 of 1"})
	vote(t, people["cd1"], id, "")
	vote(t, people["cd2"], id, "")
	checkRequest(t, people["cd2"], "addons -> core without the DM", "Open:", []string{"core-developer: 2 of 2", "dm: 0 of 1"})
	vote(t, dm, id, "agreed")
	checkRequest(t, dm, "addons -> core reviewed", "Approved:", []string{"dm: 1 of 1"})
	if votes := run(t, dm, chromedp.Text(chromedp.ID("votes"))); strings.Count(votes, "approved") != 3 || !strings.Contains(votes, "agreed") {
		t.Errorf("the votes on addons -> core: %q", votes)
	}
	shoot(t, dm, shots, "promote-approved.png")
	navigate(t, carol, chromedp.Navigate(fmt.Sprintf("%s/promotions/%d", srv.base, id)))
	carryOut(t, carol, id)
	shoot(t, carol, shots, "promote-done.png")
	where("addons -> core", "os", "addons")

	// Signed on entering core: the API and the build page say so.
	var b struct {
		Category  string
		Artifacts []struct {
			Filename string
			Source   bool
			SigKeyID string `json:"signature_key_id"`
		}
	}
	must(t, json.Unmarshal(srv.do(t, http.MethodGet, "/api/v1/builds/"+build, "", nil, http.StatusOK), &b))
	if b.Category != "core" {
		t.Errorf("build category %q after addons -> core, want core", b.Category)
	}
	for _, a := range b.Artifacts {
		if !a.Source && a.SigKeyID == "" {
			t.Errorf("%s has no signature after entering core", a.Filename)
		}
	}
	navigate(t, carol, chromedp.Navigate(buildPage))
	if files := run(t, carol, chromedp.Text(chromedp.ID("build-files"))); strings.Contains(files, "not signed") || !strings.Contains(files, "key ") {
		t.Errorf("the build page's files after entering core: %q", files)
	}
	if reqs := run(t, carol, chromedp.Text(chromedp.ID("requests"))); strings.Count(reqs, "Done:") != 3 {
		t.Errorf("the build page's requests: %q, want three done", reqs)
	}
	hist := run(t, carol, chromedp.Text(chromedp.ID("history")))
	for _, w := range []string{"test report works by ted",
		"promoted from dev to test: out of 11/dev, into 11/test by carol",
		"promoted from test to addons: out of 11/test, into 11/addons by carol",
		"promoted from addons to core: out of 11/addons, into 11/os by carol"} {
		if !strings.Contains(hist, w) {
			t.Errorf("the build's path lacks %q:\n%s", w, hist)
		}
	}

	for _, problems := range watches {
		if p := problems(); len(p) > 0 {
			t.Errorf("the browser console reported problems:\n%s", strings.Join(p, "\n"))
		}
	}
	t.Logf("screenshots in %s; whole test took %s", shots, time.Since(start).Round(time.Millisecond))
}

// signIn signs name in with a password on the login page.
func signIn(t *testing.T, ctx context.Context, srv *server, name, password string) {
	t.Helper()
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.base+"/login"),
		chromedp.WaitVisible(chromedp.ID("account")),
		chromedp.SendKeys(chromedp.ID("account"), name),
		chromedp.SendKeys(chromedp.ID("password"), password),
	))
	navigate(t, ctx, chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)))
	if who := run(t, ctx, chromedp.Text(chromedp.CSS(".who"))); !strings.Contains(who, "Signed in as "+name) {
		t.Fatalf("after %s signs in the header says %q", name, who)
	}
}

// requestPromotion asks on the build page for a step in release 11 and
// returns the id of the request page it lands on.
func requestPromotion(t *testing.T, ctx context.Context, buildPage, step, comment string) int64 {
	t.Helper()
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(buildPage),
		chromedp.WaitVisible(chromedp.ID("promote-form")),
		chromedp.SetValue(chromedp.ID("step"), step),
		chromedp.SetValue(chromedp.ID("promote-release"), "11"),
		chromedp.SendKeys(chromedp.ID("promote-comment"), comment),
	))
	navigate(t, ctx, chromedp.Click(chromedp.CSS(`#promote-form button[type=submit]`)))
	loc := run(t, ctx, chromedp.Location())
	var id int64
	if _, err := fmt.Sscanf(loc[strings.LastIndex(loc, "/promotions/")+len("/promotions/"):], "%d", &id); err != nil || !strings.Contains(loc, "/promotions/") {
		t.Fatalf("asking for %s went to %s, want a request page", step, loc)
	}
	from, to, _ := strings.Cut(step, ">")
	if h1 := run(t, ctx, chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "from "+from+" to "+to) {
		t.Errorf("request %d heading %q, want from %s to %s", id, h1, from, to)
	}
	return id
}

// checkRequest checks the request page open in ctx: its state, that every
// check passed, and what its reviews say.
func checkRequest(t *testing.T, ctx context.Context, what, state string, reviews []string) {
	t.Helper()
	if got := run(t, ctx, chromedp.Text(chromedp.ID("state"))); !strings.HasPrefix(got, state) {
		t.Errorf("%s: state %q, want %q...", what, got, state)
	}
	if n := count(t, ctx, "#gates tr[data-gate]"); n == 0 {
		t.Errorf("%s: the request page lists no checks", what)
	}
	if fails := run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#gates tr.fail")).map(r => r.innerText)`)); len(fails) > 0 {
		t.Errorf("%s: checks not met: %q", what, fails)
	}
	if len(reviews) == 0 {
		return
	}
	got := run(t, ctx, chromedp.Text(chromedp.ID("reviews")))
	for _, w := range reviews {
		if !strings.Contains(got, w) {
			t.Errorf("%s: reviews %q lack %q", what, got, w)
		}
	}
}

// vote approves request id as the person of ctx.
func vote(t *testing.T, ctx context.Context, id int64, comment string) {
	t.Helper()
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/promotions/%d", baseOf(t, ctx), id)),
		chromedp.WaitVisible(chromedp.ID("vote-form")),
		chromedp.SendKeys(chromedp.ID("comment"), comment),
	))
	navigate(t, ctx, chromedp.Click(chromedp.CSS(`#vote-form button[value=approve]`)))
}

// carryOut presses "Carry it out now" on the request page open in ctx.
func carryOut(t *testing.T, ctx context.Context, id int64) {
	t.Helper()
	navigate(t, ctx, chromedp.Click(chromedp.CSS(`#execute-form button[type=submit]`)))
	if got := run(t, ctx, chromedp.Text(chromedp.ID("state"))); !strings.HasPrefix(got, "Done:") {
		t.Fatalf("request %d carried out: state %q, want Done", id, got)
	}
}

// baseOf is the scheme and host of the page open in ctx.
func baseOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[string](`location.origin`))
}

func count(t *testing.T, ctx context.Context, css string) int {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, css)))
}

// channelBuilds is the builds of a channel's latest version, from the API.
func channelBuilds(t *testing.T, srv *server, release, channel string) []string {
	t.Helper()
	var c struct{ Builds []string }
	must(t, json.Unmarshal(srv.do(t, http.MethodGet, "/api/v1/releases/"+release+"/channels/"+channel, "", nil, http.StatusOK), &c))
	return c.Builds
}

// promoBuild writes a source package and its one binary package.
func promoBuild(t *testing.T, dir, name, version, release string) []string {
	t.Helper()
	must(t, os.MkdirAll(dir, 0o755))
	var paths []string
	for _, spec := range []corpus.PackageSpec{
		{Name: name, Version: version, Release: release, Source: true,
			Files: []corpus.File{{Path: name + ".spec", Content: []byte("Name: " + name + "\n")}}},
		{Name: name, Version: version, Release: release, Arch: "noarch",
			SourceRPM: fmt.Sprintf("%s-%s-%s.src.rpm", name, version, release),
			Files:     []corpus.File{{Path: "/usr/share/" + name + "/README", Content: []byte(name + " " + version + "\n")}}},
	} {
		spec.Summary, spec.License = "a package the browser promotes", "MIT"
		spec.BuildTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		arch := "noarch"
		if spec.Source {
			spec.Arch, arch = "noarch", "src"
		}
		var buf bytes.Buffer
		must(t, corpus.WriteRPM(&buf, spec))
		p := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.%s.rpm", name, version, release, arch))
		must(t, os.WriteFile(p, buf.Bytes(), 0o644))
		paths = append(paths, p)
	}
	return paths
}
