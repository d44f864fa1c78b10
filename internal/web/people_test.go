package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/audit"
)

// browser is a cookie-keeping HTTP client that does not follow redirects.
func (e *forgeEnv) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf loads a page and returns the CSRF token of its forms.
func (e *forgeEnv) csrf(t *testing.T, c *http.Client, page string) string {
	t.Helper()
	resp, err := c.Get(e.hs.URL + page)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	m := csrfRe.FindStringSubmatch(b.String())
	if m == nil {
		t.Fatalf("%s has no CSRF field (HTTP %d)", page, resp.StatusCode)
	}
	return m[1]
}

func (e *forgeEnv) login(t *testing.T, c *http.Client, name, password string) *http.Response {
	t.Helper()
	tok := e.csrf(t, c, "/login")
	resp, err := c.PostForm(e.hs.URL+"/login", url.Values{"csrf": {tok}, "account": {name}, "password": {password}, "next": {"/account"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestLoginWithPassword(t *testing.T) {
	e := newForgeEnv(t)
	e.must(t, e.admin, "POST", "/api/v1/accounts", map[string]any{"name": "jane", "password": "correct horse battery", "roles": []string{"tester"}}, nil)
	c := e.browser(t)
	if resp := e.login(t, c, "jane", "wrong horse battery"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: HTTP %d, want 401", resp.StatusCode)
	}
	if resp := e.login(t, c, "jane", "correct horse battery"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
		t.Fatalf("right password: HTTP %d to %q, want 303 to /account", resp.StatusCode, resp.Header.Get("Location"))
	}
	a, err := e.store.Account(context.Background(), "jane")
	if err != nil {
		t.Fatal(err)
	}
	if !a.LastLoginAt.Equal(e.clock.Now()) {
		t.Errorf("last_login_at = %v, want %v", a.LastLoginAt, e.clock.Now())
	}
	resp, err := c.Get(e.hs.URL + "/account")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/account signed in: HTTP %d", resp.StatusCode)
	}
	// Disabling the account ends its session at once.
	e.must(t, e.admin, "POST", "/api/v1/accounts/jane/disable", nil, nil)
	resp, err = c.Get(e.hs.URL + "/account")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("/account after disabling: HTTP %d, want a redirect to sign in", resp.StatusCode)
	}
	if resp := e.login(t, e.browser(t), "jane", "correct horse battery"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("disabled account signs in: HTTP %d", resp.StatusCode)
	}
}

func TestLoginThrottle(t *testing.T) {
	e := newForgeEnv(t)
	for _, n := range []string{"jane", "john"} {
		e.must(t, e.admin, "POST", "/api/v1/accounts", map[string]any{"name": n, "password": "correct horse battery"}, nil)
	}
	c := e.browser(t)
	for i := range 5 {
		if resp := e.login(t, c, "jane", "guess "+strconv.Itoa(i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: HTTP %d", i+1, resp.StatusCode)
		}
		e.clock.Add(time.Minute)
	}
	// The sixth attempt is refused even with the right password, and so is
	// another account from the same address.
	for _, n := range []string{"jane", "john"} {
		tok := e.csrf(t, c, "/login")
		resp, err := c.PostForm(e.hs.URL+"/login", url.Values{"csrf": {tok}, "account": {n}, "password": {"correct horse battery"}})
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		b := make([]byte, 64<<10)
		k, _ := resp.Body.Read(b)
		body.Write(b[:k])
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s after 5 failures: HTTP %d, want 429", n, resp.StatusCode)
		}
		// The first failure leaves the 15-minute window 10 minutes from now.
		if ra := resp.Header.Get("Retry-After"); ra != "600" {
			t.Errorf("Retry-After = %q, want 600", ra)
		}
		if !strings.Contains(body.String(), "Too many failed sign-ins") {
			t.Errorf("the 429 page does not say why")
		}
	}
	var n int
	// Stored in the database, so that replicas share it.
	if fails, _, err := e.store.LoginFailures(context.Background(), []string{"account:jane", "ip:127.0.0.1"}, e.clock.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	} else {
		n = fails["account:jane"]
	}
	if n != 5 {
		t.Errorf("%d failures stored for jane, want 5", n)
	}
	e.clock.Add(10 * time.Minute)
	if resp := e.login(t, c, "jane", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: HTTP %d, want 303", resp.StatusCode)
	}
	if fails, _, _ := e.store.LoginFailures(context.Background(), []string{"account:jane"}, e.clock.Now().Add(-time.Hour)); fails["account:jane"] != 0 {
		t.Errorf("a successful sign-in left %d failures", fails["account:jane"])
	}
}

func TestAccountsAPI(t *testing.T) {
	e := newForgeEnv(t)
	tests := []struct {
		body string
		want int
		msg  string
	}{
		{`{"name":"Jane"}`, 400, "account name"},
		{`{"name":"1jane"}`, 400, "account name"},
		{`{"name":"` + strings.Repeat("a", 65) + `"}`, 400, "account name"},
		{`{"name":"jane","roles":["tester","wizard"]}`, 400, `wizard\" is not a role of the policy`},
		{`{"name":"jane","password":"short"}`, 400, "password"},
		{`{"name":"jane","nickname":"j"}`, 400, "nickname"},
		{`{"name":"jane.doe-2_x","password":"long enough!","roles":["tester","maintainer"]}`, 201, ""},
		{`{"name":"jane.doe-2_x"}`, 409, "already"},
	}
	for _, tt := range tests {
		st, b := e.do(t, e.admin, "POST", "/api/v1/accounts", "application/json", []byte(tt.body))
		if st != tt.want || !strings.Contains(string(b), tt.msg) {
			t.Errorf("create %s: HTTP %d %s, want %d mentioning %q", tt.body, st, b, tt.want, tt.msg)
		}
	}
	if _, err := e.store.Account(context.Background(), "jane"); err == nil {
		t.Error("a refused account was stored")
	}
	var a struct {
		Roles    []string `json:"roles"`
		Disabled bool     `json:"disabled"`
	}
	e.must(t, e.admin, "POST", "/api/v1/accounts/jane.doe-2_x/roles", map[string]any{"roles": []string{"security", "tester"}}, &a)
	if strings.Join(a.Roles, ",") != "security,tester" {
		t.Errorf("roles = %v", a.Roles)
	}
	if st, _ := e.do(t, e.admin, "POST", "/api/v1/accounts/nobody/roles", "application/json", []byte(`{"roles":[]}`)); st != 404 {
		t.Errorf("roles of a missing account: HTTP %d", st)
	}
	if st, b := e.do(t, e.admin, "POST", "/api/v1/accounts/admin/disable", "", nil); st != 400 {
		t.Errorf("disabling oneself: HTTP %d %s", st, b)
	}
	// Tokens: shown once, listed without secrets, scoped within the
	// account's roles.
	if st, b := e.do(t, e.admin, "POST", "/api/v1/accounts/jane.doe-2_x/tokens", "application/json", []byte(`{"label":"ci","roles":["dm"]}`)); st != 400 || !strings.Contains(string(b), "dm") {
		t.Errorf("token with a role the account lacks: HTTP %d %s", st, b)
	}
	var made struct {
		Token string `json:"token"`
		Info  struct {
			ID string `json:"id"`
		} `json:"info"`
	}
	e.must(t, e.admin, "POST", "/api/v1/accounts/jane.doe-2_x/tokens", map[string]any{"label": "ci", "roles": []string{"tester"}}, &made)
	if !strings.HasPrefix(made.Token, "smf_") || made.Info.ID == "" {
		t.Fatalf("token answer %+v", made)
	}
	var me struct {
		Name  string   `json:"name"`
		Roles []string `json:"roles"`
	}
	e.must(t, made.Token, "GET", "/api/v1/me", nil, &me)
	if me.Name != "jane.doe-2_x" || strings.Join(me.Roles, ",") != "tester" {
		t.Errorf("me = %+v, want jane.doe-2_x scoped to tester", me)
	}
	_, list := e.do(t, e.admin, "GET", "/api/v1/accounts/jane.doe-2_x/tokens", "", nil)
	if strings.Contains(string(list), made.Token) || strings.Contains(string(list), "hash") || !strings.Contains(string(list), made.Info.ID) {
		t.Errorf("token list shows a secret or misses the token: %s", list)
	}
	e.must(t, e.admin, "POST", "/api/v1/accounts/jane.doe-2_x/tokens/"+made.Info.ID+"/revoke", nil, nil)
	if st, _ := e.do(t, made.Token, "GET", "/api/v1/me", "", nil); st != 401 {
		t.Errorf("revoked token: HTTP %d, want 401", st)
	}
	// The audit log has every change, never a secret.
	evs, err := e.store.AuditEvents(context.Background(), audit.Query{Subject: "account/jane.doe-2_x"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
		raw := string(ev.Before) + string(ev.After)
		if strings.Contains(raw, "argon2") || strings.Contains(raw, made.Token) || strings.Contains(raw, "smf_") {
			t.Errorf("audit event %s holds a secret: %s", ev.Action, raw)
		}
		if ev.Actor != "admin" {
			t.Errorf("audit event %s by %q", ev.Action, ev.Actor)
		}
	}
	if got := strings.Join(actions, " "); got != "account.create account.roles token.create token.revoke" {
		t.Errorf("audit actions = %q", got)
	}
}

// TestSelfRoutes: an account without manage-accounts may see itself, set
// its own password (knowing the current one) and make and revoke its own
// tokens, never within another account.
func TestSelfRoutes(t *testing.T) {
	e := newForgeEnv(t)
	e.must(t, e.admin, "POST", "/api/v1/accounts", map[string]any{"name": "jane", "password": "correct horse battery", "roles": []string{"tester", "contributor"}}, nil)
	e.must(t, e.admin, "POST", "/api/v1/accounts", map[string]any{"name": "john", "roles": []string{"tester"}}, nil)
	var made struct {
		Token string `json:"token"`
	}
	e.must(t, e.admin, "POST", "/api/v1/accounts/jane/tokens", map[string]any{"label": "scoped", "roles": []string{"tester"}}, &made)
	jane := made.Token
	tests := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/api/v1/accounts/jane", "", 200},
		{"GET", "/api/v1/accounts/john", "", 403},
		{"GET", "/api/v1/accounts", "", 403},
		{"GET", "/api/v1/accounts/jane/tokens", "", 200},
		{"GET", "/api/v1/accounts/john/tokens", "", 403},
		{"POST", "/api/v1/accounts/john/tokens", `{"label":"x"}`, 403},
		// The token is scoped to tester: it cannot give contributor.
		{"POST", "/api/v1/accounts/jane/tokens", `{"label":"x","roles":["contributor"]}`, 400},
		{"POST", "/api/v1/accounts/jane/tokens", `{"label":"x","roles":["tester"]}`, 201},
		{"POST", "/api/v1/accounts/jane/password", `{"current":"wrong","password":"a new long password"}`, 400},
		{"POST", "/api/v1/accounts/jane/password", `{"current":"correct horse battery","password":"a new long password"}`, 200},
		{"POST", "/api/v1/accounts/john/password", `{"password":"a new long password"}`, 403},
		{"POST", "/api/v1/accounts/jane/roles", `{"roles":["admin"]}`, 403},
	}
	for _, tt := range tests {
		if st, b := e.do(t, jane, tt.method, tt.path, "application/json", []byte(tt.body)); st != tt.want {
			t.Errorf("%s %s %s: HTTP %d, want %d: %s", tt.method, tt.path, tt.body, st, tt.want, b)
		}
	}
	// A token made without roles through a scoped token keeps the scope.
	var wide struct {
		Token string `json:"token"`
	}
	st, b := e.do(t, jane, "POST", "/api/v1/accounts/jane/tokens", "application/json", []byte(`{"label":"no scope asked"}`))
	if st != 201 {
		t.Fatalf("HTTP %d %s", st, b)
	}
	json.Unmarshal(b, &wide)
	var me struct{ Roles []string }
	e.must(t, wide.Token, "GET", "/api/v1/me", nil, &me)
	if strings.Join(me.Roles, ",") != "tester" {
		t.Errorf("token made through a tester-scoped token has roles %v", me.Roles)
	}
	if resp := e.login(t, e.browser(t), "jane", "a new long password"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-in with the new password: HTTP %d", resp.StatusCode)
	}
}

func TestTeams(t *testing.T) {
	e := newForgeEnv(t)
	e.must(t, e.admin, "POST", "/api/v1/accounts", map[string]any{"name": "ian", "roles": []string{"core-developer"}}, nil)
	var list struct {
		Teams []struct {
			Slug, Name, Lead string
			Members          []string
		}
	}
	e.must(t, "", "GET", "/api/v1/teams", nil, &list)
	var names []string
	for _, tm := range list.Teams {
		names = append(names, tm.Name)
	}
	want := "Development, Bugs & maintenance, Contributed packages, Wiki & docs, Forums, Media/marketing, Finance & legal, Security, Communications, Maintenance, Core developers"
	if got := strings.Join(names, ", "); got != want {
		t.Errorf("teams = %s", got)
	}
	if st, b := e.do(t, e.admin, "POST", "/api/v1/teams/development", "application/json", []byte(`{"lead":"nobody"}`)); st != 400 || !strings.Contains(string(b), "lead") {
		t.Errorf("unknown lead: HTTP %d %s", st, b)
	}
	e.must(t, e.admin, "POST", "/api/v1/teams/development", map[string]any{"lead": "ian", "members": []string{"ian", "admin", "ian"}, "contact": "dev@lists.example.org"}, nil)
	resp, err := http.Get(e.hs.URL + "/teams")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := make([]byte, 256<<10)
	n, _ := resp.Body.Read(b)
	for resp.StatusCode == 200 {
		k, err := resp.Body.Read(b[n:])
		n += k
		if err != nil {
			break
		}
	}
	page := string(b[:n])
	if resp.StatusCode != 200 {
		t.Fatalf("/teams: HTTP %d", resp.StatusCode)
	}
	for _, s := range []string{"Bugs &amp; maintenance", "dev@lists.example.org", "ian", "Finance &amp; legal"} {
		if !strings.Contains(page, s) {
			t.Errorf("/teams does not show %q", s)
		}
	}
}

// TestAdminAccountsForms: the accounts page and its forms need
// manage-accounts and this site's CSRF token.
func TestAdminAccountsForms(t *testing.T) {
	e := newForgeEnv(t)
	for _, n := range []string{"boss", "jane"} {
		roles := []string{"tester"}
		if n == "boss" {
			roles = []string{"admin"}
		}
		e.must(t, e.admin, "POST", "/api/v1/accounts", map[string]any{"name": n, "password": "correct horse battery", "roles": roles}, nil)
	}
	jane := e.browser(t)
	e.login(t, jane, "jane", "correct horse battery")
	if resp, err := jane.Get(e.hs.URL + "/admin/accounts"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("/admin/accounts as a tester: %v %v, want 403", resp.StatusCode, err)
	}
	tok := e.csrf(t, jane, "/account")
	resp, err := jane.PostForm(e.hs.URL+"/admin/accounts", url.Values{"csrf": {tok}, "name": {"mallory"}, "roles": {"admin"}})
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("create as a tester: HTTP %d, want 403", resp.StatusCode)
	}
	boss := e.browser(t)
	e.login(t, boss, "boss", "correct horse battery")
	resp, _ = boss.PostForm(e.hs.URL+"/admin/accounts", url.Values{"csrf": {"forged"}, "name": {"mallory"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("create with a forged CSRF token: HTTP %d, want 403", resp.StatusCode)
	}
	tok = e.csrf(t, boss, "/admin/accounts")
	resp, _ = boss.PostForm(e.hs.URL+"/admin/accounts", url.Values{"csrf": {tok}, "name": {"ann"}, "roles": {"tester", "security"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: HTTP %d", resp.StatusCode)
	}
	resp, _ = boss.PostForm(e.hs.URL+"/admin/accounts/jane/disable", url.Values{"csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: HTTP %d", resp.StatusCode)
	}
	ctx := context.Background()
	if a, err := e.store.Account(ctx, "ann"); err != nil || strings.Join(a.Roles, ",") != "security,tester" {
		t.Errorf("ann = %+v, %v", a, err)
	}
	if _, err := e.store.Account(ctx, "mallory"); err == nil {
		t.Error("a refused form created mallory")
	}
	if a, _ := e.store.Account(ctx, "jane"); !a.Disabled {
		t.Error("jane is not disabled")
	}
}
