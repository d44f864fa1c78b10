//go:build integration

// Package browser checks the web UI in a real browser: Debian's Chromium,
// driven with chromedp, against a smeforge server started from the freshly
// built binary, as a server owner with little technical background would
// use it: search the package table, open a package, copy the dnf snippet
// of a channel, sign in and out.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/rpmpack"

	"github.com/smeserver/smeforge/internal/testutil"
)

// subject is a package the browser looks up, with what its page must show.
type subject struct {
	name, evr, summary, license string
	description                 string // a line of its description
	require                     string // one of its requirements
	file                        string // one of its files
	changelog                   int    // number of changelog entries
	sha256                      string
}

func TestBrowser(t *testing.T) {
	chromium := testutil.RequireTool(t, "chromium")
	start := time.Now()

	tmp := t.TempDir()
	bin := buildSmeforge(t, tmp)
	srv := startServer(t, bin, filepath.Join(tmp, "data"))

	// Packages: one generated here (so the test runs in a clone without
	// ../shared), plus the real SME Server packages when they are there.
	gen := generatedPackage(t, filepath.Join(tmp, "gen"))
	files := []string{gen.path}
	var shared []string
	t.Run("shared-testdata", func(t *testing.T) {
		// A skip here (no ../shared outside CI) leaves the generated
		// package alone; under CI the missing folder fails the test.
		rpms := testutil.SharedTestdata(t, "sme", "rpms")
		srpms := testutil.SharedTestdata(t, "sme", "srpms")
		shared = append(testutil.Glob(t, filepath.Join(rpms, "*.rpm")), testutil.Glob(t, filepath.Join(srpms, "*.rpm"))...)
	})
	files = append(files, shared...)

	var builds []string
	uploaded := map[string]string{} // file base name -> sha256
	for _, f := range files {
		a := srv.upload(t, f)
		uploaded[filepath.Base(f)] = a.SHA256
		if !a.Source && !slices.Contains(builds, a.Build) {
			builds = append(builds, a.Build)
		}
	}
	srv.post(t, "/api/v1/releases", `{"name":"10","base_os":"Rocky Linux 8"}`, http.StatusCreated)
	for _, id := range builds {
		srv.post(t, "/api/v1/builds/"+id+"/category", `{"category":"core"}`, http.StatusOK)
	}
	b, _ := json.Marshal(map[string][]string{"builds": builds})
	srv.post(t, "/api/v1/releases/10/channels/os/builds", string(b), http.StatusOK)
	srv.post(t, "/api/v1/releases/10/channels/os/publish", "", http.StatusOK)

	gen.sha256 = uploaded[filepath.Base(gen.path)]
	subjects := []subject{gen.subject}
	if sha, ok := uploaded["e-smith-lib-1.16.0-10.noarch.rpm"]; ok {
		subjects = append(subjects, srv.subjectFromAPI(t, sha))
	}
	t.Logf("server ready with %d package files in %s", len(files), time.Since(start).Round(time.Millisecond))

	t.Run("login-needs-csrf", func(t *testing.T) { checkLoginCSRF(t, srv) })

	shots := os.Getenv("SMEFORGE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	ctx = newBrowser(t, ctx, chromium, filepath.Join(tmp, "chromium-profile"))
	problems := watchConsole(ctx)

	for i, s := range subjects {
		t.Run("package-"+s.name, func(t *testing.T) {
			checkPackageFlow(t, ctx, srv, s, shots, i == len(subjects)-1)
		})
	}
	t.Run("mobile", func(t *testing.T) { checkMobile(t, ctx, srv, subjects[len(subjects)-1], shots) })
	t.Run("sign-in-out", func(t *testing.T) { checkSignInOut(t, ctx, srv, shots) })

	if p := problems(); len(p) > 0 {
		t.Errorf("the browser console reported problems (CSP violations, failed loads, script errors):\n%s", strings.Join(p, "\n"))
	}
	t.Logf("screenshots in %s; whole test took %s", shots, time.Since(start).Round(time.Millisecond))
}

// checkPackageFlow searches for s from the home page, checks its row in
// the results, opens its page and checks what it shows, then follows the
// channel link to the dnf snippet.
func checkPackageFlow(t *testing.T, ctx context.Context, srv *server, s subject, shots string, screenshot bool) {
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.base+"/"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), s.name),
	))
	navigate(t, ctx, chromedp.Click(chromedp.CSS(`form.search button[type=submit]`)))
	loc := run(t, ctx, chromedp.Location())
	if u, err := url.Parse(loc); err != nil || u.Path != "/packages" || u.Query().Get("q") != s.name {
		t.Errorf("search went to %s, want /packages?q=%s", loc, s.name)
	}

	// The row of the package: cells are tab-separated in innerText.
	table := run(t, ctx, chromedp.Text(chromedp.ID("packages")))
	var row string
	for line := range strings.SplitSeq(table, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), s.name+"\t") {
			row = line
			break
		}
	}
	if row == "" {
		t.Fatalf("the results table has no row for %s:\n%s", s.name, table)
	}
	for _, want := range []string{s.evr, "10 os", s.summary} {
		if !strings.Contains(row, want) {
			t.Errorf("the row of %s lacks %q: %q", s.name, want, row)
		}
	}
	if screenshot {
		shoot(t, ctx, shots, "packages-search.png")
	}

	// Click through to the package page.
	navigate(t, ctx, chromedp.Click(chromedp.Search(fmt.Sprintf(`//table[@id="packages"]//a[text()=%q]`, s.name))))
	loc = run(t, ctx, chromedp.Location())
	if s.sha256 != "" && !strings.HasSuffix(loc, "/packages/"+s.sha256) {
		t.Errorf("the package link went to %s, want /packages/%s", loc, s.sha256)
	}
	h1 := run(t, ctx, chromedp.Text(chromedp.CSS("h1")))
	if !strings.Contains(h1, s.name) || !strings.Contains(h1, s.evr) {
		t.Errorf("package page heading = %q, want name %s and version %s", h1, s.name, s.evr)
	}
	if screenshot {
		shoot(t, ctx, shots, "package-page.png")
	}
	main := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	for what, want := range map[string]string{"summary": s.summary, "licence": s.license} {
		if !strings.Contains(main, want) {
			t.Errorf("package page lacks the %s %q", what, want)
		}
	}
	if s.description != "" && !strings.Contains(main, s.description) {
		t.Errorf("package page lacks the description line %q", s.description)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("main b, main script").length`)); n != 0 {
		t.Errorf("the package page has %d <b> or <script> elements: header text was not escaped", n)
	}
	if s.require != "" {
		if req := openList(t, ctx, "requires"); !strings.Contains(req, s.require) {
			t.Errorf("the dependency list lacks %q:\n%s", s.require, req)
		}
	}
	if s.file != "" {
		if fl := openList(t, ctx, "files"); !strings.Contains(fl, s.file) {
			t.Errorf("the file list lacks %q", s.file)
		}
	}
	if s.changelog > 0 {
		// The newest five entries show; older ones are folded away.
		shown := run(t, ctx, chromedp.Nodes(chromedp.CSSAll("#changelog > li")))
		all := run(t, ctx, chromedp.Nodes(chromedp.CSSAll("ol.changelog > li")))
		if len(all) != s.changelog || len(shown) != min(s.changelog, 5) {
			t.Errorf("the changelog has %d entries (%d shown at once), want %d (%d)", len(all), len(shown), s.changelog, min(s.changelog, 5))
		}
		if h := run(t, ctx, chromedp.Text(chromedp.Search(`//h2[starts-with(., "Changes")]`))); !strings.Contains(h, fmt.Sprintf("(%d)", s.changelog)) {
			t.Errorf("the changelog heading %q does not give the number of entries", h)
		}
	}
	if !strings.Contains(main, "dnf install "+s.name) {
		t.Errorf("the package page does not say how to install %s", s.name)
	}
	link := run(t, ctx, chromedp.AttributeValue(chromedp.CSS(`#channels a`), "href"))
	if link.Value != "/releases/10/channels/os" {
		t.Errorf("channel link = %q, want /releases/10/channels/os", link.Value)
	}
	if txt := run(t, ctx, chromedp.Text(chromedp.CSS(`#channels a`))); strings.TrimSpace(txt) != "10 os" {
		t.Errorf("channel link text = %q, want %q", txt, "10 os")
	}
	if screenshot {
		shoot(t, ctx, shots, "package-page-lists-open.png")
	}

	// The channel page: the dnf snippet a server owner copies.
	navigate(t, ctx, chromedp.Click(chromedp.CSS(`#channels a`)))
	snippet := run(t, ctx, chromedp.TextContent(chromedp.ID("snippet")))
	want := "baseurl=" + srv.base + "/repo/10/os/$basearch/"
	if !strings.Contains(snippet, want) {
		t.Errorf("the dnf snippet lacks %q:\n%s", want, snippet)
	}
	if screenshot {
		shoot(t, ctx, shots, "channel-page.png")
	}
}

// openList opens the folded list (a <details>) that holds the element
// with the given id, as a visitor would by clicking its heading, and
// returns the list's text.
func openList(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	open := run(t, ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.getElementById(%q).closest("details").open`, id)))
	if !open {
		must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`details:has(#%s) > summary`, id)))))
	}
	must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID(id))))
	return run(t, ctx, chromedp.Text(chromedp.ID(id)))
}

// checkMobile opens the package table and a package page at a phone's
// width: nothing may stick out sideways so that the page has to scroll.
func checkMobile(t *testing.T, ctx context.Context, srv *server, s subject, shots string) {
	navigate(t, ctx, chromedp.Navigate(srv.base+"/packages"))
	shoot(t, ctx, shots, "packages-all.png")
	navigate(t, ctx, chromedp.Navigate(srv.base+"/releases"))
	shoot(t, ctx, shots, "releases.png")

	must(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))))
	defer func() { must(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900))) }()
	for _, p := range []struct{ path, shot string }{
		{"/packages", "mobile-packages.png"},
		{"/packages/" + s.sha256, "mobile-package-page.png"},
		{"/releases/10/channels/os", "mobile-channel-page.png"},
	} {
		navigate(t, ctx, chromedp.Navigate(srv.base+p.path))
		if w := run(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); w > 0 {
			t.Errorf("%s is %d pixels wider than a 390-pixel phone screen", p.path, w)
		}
		shoot(t, ctx, shots, p.shot)
	}
}

// checkSignInOut gives the admin account a password (through the API, with
// its first token), signs in with it, makes an API token on the account
// page (shown once), looks at the teams, and signs out.
func checkSignInOut(t *testing.T, ctx context.Context, srv *server, shots string) {
	const password = "a browser test password"
	srv.post(t, "/api/v1/accounts/admin/password", `{"password":"`+password+`"}`, http.StatusOK)
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.base+"/login"),
		chromedp.WaitVisible(chromedp.ID("account")),
		chromedp.SendKeys(chromedp.ID("account"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), password),
	))
	shoot(t, ctx, shots, "login.png")
	navigate(t, ctx, chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)))
	shoot(t, ctx, shots, "signed-in.png")
	who := run(t, ctx, chromedp.Text(chromedp.CSS(".who")))
	if !strings.Contains(who, "Signed in as admin") {
		t.Fatalf("after signing in the header says %q, want %q", who, "Signed in as admin")
	}
	// The account page makes a token and shows it once.
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.base+"/account"),
		chromedp.WaitVisible(chromedp.ID("label")),
		chromedp.SendKeys(chromedp.ID("label"), "browser test"),
	))
	navigate(t, ctx, chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)))
	shoot(t, ctx, shots, "account-token.png")
	if tok := run(t, ctx, chromedp.Text(chromedp.ID("new-token"))); !strings.HasPrefix(tok, "smf_") {
		t.Errorf("the new token shown is %q", tok)
	}
	if rows := run(t, ctx, chromedp.Text(chromedp.ID("tokens"))); !strings.Contains(rows, "browser test") {
		t.Errorf("the token list does not show the new token: %q", rows)
	}
	navigate(t, ctx, chromedp.Navigate(srv.base+"/teams"))
	shoot(t, ctx, shots, "teams.png")
	if teams := run(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(teams, "Bugs & maintenance") || !strings.Contains(teams, "Finance & legal") {
		t.Errorf("the teams page shows %q", teams)
	}
	navigate(t, ctx, chromedp.Click(chromedp.CSS(`.who form button[type=submit]`)))
	who = run(t, ctx, chromedp.Text(chromedp.CSS(".who")))
	if strings.Contains(who, "Signed in") || !strings.Contains(who, "Sign in") {
		t.Errorf("after signing out the header says %q, want a %q link", who, "Sign in")
	}
}

// checkLoginCSRF posts the login form without, and with a forged, CSRF
// field: both must be refused before the token is even looked at.
func checkLoginCSRF(t *testing.T, srv *server) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	// Visit the form first, so that the visitor cookie is there.
	resp, err := c.Get(srv.base + "/login")
	must(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`<input type="hidden" name="csrf" value="[^"]+">`).Match(page) {
		t.Errorf("the login form has no CSRF field")
	}
	for name, form := range map[string]url.Values{
		"no csrf field": {"account": {"admin"}, "password": {srv.token}},
		"forged csrf":   {"account": {"admin"}, "password": {srv.token}, "csrf": {"forged"}},
	} {
		resp, err := c.PostForm(srv.base+"/login", form)
		must(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("login POST with %s: status %d, want 403", name, resp.StatusCode)
		}
		for _, ck := range resp.Cookies() {
			if ck.Name == "smeforge_session" && ck.Value != "" {
				t.Errorf("login POST with %s set a session cookie", name)
			}
		}
	}
}

// --- browser helpers ---

func newBrowser(t *testing.T, ctx context.Context, execPath, profile string) context.Context {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	return bctx
}

// watchConsole collects the errors the browser logs (a CSP violation, a
// missing stylesheet, a script error) until the test ends.
func watchConsole(ctx context.Context) func() []string {
	msgs := chromedp.Console(ctx)
	var mu sync.Mutex
	var got []string
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == "error" || m.IsException() {
				mu.Lock()
				got = append(got, fmt.Sprintf("%s: %s", m.URL, m.Text))
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// navigate runs an action that loads a page and waits for it; the page
// must answer 200.
func navigate(t *testing.T, ctx context.Context, a chromedp.Action[chromedp.Void]) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if resp != nil && resp.Status != http.StatusOK {
		t.Fatalf("%s answered %d", resp.URL, resp.Status)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png := run(t, ctx, chromedp.FullScreenshot(100))
	must(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// --- server helpers ---

func buildSmeforge(t *testing.T, dir string) string {
	t.Helper()
	bin, err := testutil.BuildSmeforge(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

type server struct {
	base, token string
}

func startServer(t *testing.T, bin, data string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	l.Close()

	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	must(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})

	s := &server{base: "http://" + addr}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("smeforge serve exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("smeforge serve did not answer /healthz within 15s\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok, err := os.ReadFile(filepath.Join(data, "admin-token"))
	must(t, err)
	s.token = strings.TrimSpace(string(tok))
	return s
}

func (s *server) do(t *testing.T, method, path, ctype string, body io.Reader, want int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+s.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return b
}

func (s *server) post(t *testing.T, path, body string, want int) []byte {
	t.Helper()
	return s.do(t, http.MethodPost, path, "application/json", strings.NewReader(body), want)
}

type artifact struct {
	SHA256  string `json:"sha256"`
	Name    string `json:"name"`
	Epoch   int64  `json:"epoch"`
	Version string `json:"version"`
	Release string `json:"release"`
	Source  bool   `json:"source"`
	Summary string `json:"summary"`
	License string `json:"license"`
	Build   string `json:"build"`
}

func (s *server) upload(t *testing.T, file string) artifact {
	t.Helper()
	f, err := os.Open(file)
	must(t, err)
	defer f.Close()
	b := s.do(t, http.MethodPost, "/api/v1/packages?filename="+url.QueryEscape(filepath.Base(file)), "application/x-rpm", f, http.StatusCreated)
	var res struct{ Package artifact }
	must(t, json.Unmarshal(b, &res))
	return res.Package
}

// subjectFromAPI takes what a package page must show from the API's view
// of the same package.
func (s *server) subjectFromAPI(t *testing.T, sha string) subject {
	t.Helper()
	b := s.do(t, http.MethodGet, "/api/v1/packages/"+sha, "", nil, http.StatusOK)
	var res struct {
		Package artifact
		Details struct {
			Requires  []string
			Files     []string
			Changelog []json.RawMessage
		}
	}
	must(t, json.Unmarshal(b, &res))
	a := res.Package
	evr := a.Version + "-" + a.Release
	if a.Epoch > 0 {
		evr = fmt.Sprint(a.Epoch) + ":" + evr
	}
	sub := subject{name: a.Name, evr: evr, summary: a.Summary, license: a.License, changelog: len(res.Details.Changelog), sha256: sha}
	for _, r := range res.Details.Requires {
		if !strings.HasPrefix(r, "rpmlib(") {
			sub.require = r
			break
		}
	}
	if n := len(res.Details.Files); n > 0 {
		sub.file = res.Details.Files[n/2]
	}
	return sub
}

// --- a package made here ---

type generated struct {
	subject
	path string
}

// generatedPackage writes a binary RPM with rpmpack: a summary and a
// description with characters HTML must escape, enough requirements and
// files to make the lists long, and a changelog.
func generatedPackage(t *testing.T, dir string) generated {
	t.Helper()
	must(t, os.MkdirAll(dir, 0o755))
	g := generated{subject: subject{
		name:    "smeserver-hello-forge",
		evr:     "1.2.0-3.el8.sme",
		summary: `Says <hello> & "welcome" on the server's home page`,
		license: "GPL-2.0-or-later",
		// Markup in a header must show as text, never become an element.
		description: "It shows <b>no</b> markup: the web UI must escape it.",
	}}
	r, err := rpmpack.NewRPM(rpmpack.RPMMetaData{
		Name:    g.name,
		Version: "1.2.0",
		Release: "3.el8.sme",
		Arch:    "noarch",
		OS:      "linux",
		Summary: g.summary,
		Description: "A small page that greets visitors of an SME Server.\n" +
			g.description + "\n\n" +
			"Made by smeforge's browser test.",
		Licence:   g.license,
		URL:       "https://wiki.koozali.org/",
		Vendor:    "Koozali SME Server",
		Packager:  "smeforge test <test@example.org>",
		Group:     "Networking/Daemons",
		BuildHost: "build.example.org",
		BuildTime: time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC),
	})
	must(t, err)
	reqs := []string{"e-smith-lib >= 1.16.0", "perl(esmith::DB)", "httpd", "smeserver-release >= 10.0"}
	for i := range 20 {
		reqs = append(reqs, fmt.Sprintf("perl(Hello::Part%02d)", i))
	}
	for _, s := range reqs {
		must(t, r.Requires.Set(s))
	}
	g.require = "perl(esmith::DB)"
	for i := range 120 {
		name := fmt.Sprintf("/usr/share/smeserver-hello-forge/templates/page-%03d/with-a-rather-long-folder-name/index.html", i)
		r.AddFile(rpmpack.RPMFile{Name: name, Body: fmt.Appendf(nil, "<p>page %d</p>\n", i), Mode: 0o100644, Owner: "root", Group: "root"})
	}
	g.file = "/usr/share/smeserver-hello-forge/templates/page-042/with-a-rather-long-folder-name/index.html"
	r.AddFile(rpmpack.RPMFile{Name: "/etc/e-smith/events/actions/hello-forge", Body: []byte("#!/bin/sh\nexit 0\n"), Mode: 0o100755, Owner: "root", Group: "root"})

	const tagChangelogTime, tagChangelogName, tagChangelogText = 1080, 1081, 1082
	r.AddCustomTag(tagChangelogTime, rpmpack.EntryInt32([]int32{
		int32(time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC).Unix()),
		int32(time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC).Unix()),
		int32(time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC).Unix()),
	}))
	r.AddCustomTag(tagChangelogName, rpmpack.EntryStringSlice([]string{
		"Ada Tester <ada@example.org> - 1.2.0-3",
		"Ada Tester <ada@example.org> - 1.2.0-1",
		"Bob Builder <bob@example.org> - 1.1.0-1",
	}))
	r.AddCustomTag(tagChangelogText, rpmpack.EntryStringSlice([]string{
		"- Escape the <greeting> [SME: 12345]",
		"- New upstream release\n- Long line: " + strings.Repeat("lorem ipsum ", 20),
		"- First build",
	}))
	g.changelog = 3

	g.path = filepath.Join(dir, g.name+"-1.2.0-3.el8.sme.noarch.rpm")
	var buf bytes.Buffer
	must(t, r.Write(&buf))
	must(t, os.WriteFile(g.path, buf.Bytes(), 0o644))
	return g
}
