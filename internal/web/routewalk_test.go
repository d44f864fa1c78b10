package web

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryMutatingRouteIsGuarded checks the route table itself: a route
// that changes something (any method but GET) must name a policy action,
// the action must be one the policy knows, and GuardedRoutes must list it.
// Removing a route's action makes this test fail.
func TestEveryMutatingRouteIsGuarded(t *testing.T) {
	e := newForgeEnv(t)
	guarded := map[string]string{}
	for _, rt := range e.srv.GuardedRoutes() {
		guarded[rt.Pattern] = rt.Action
	}
	self := selfRoutes()
	n := 0
	for _, rt := range e.srv.apiTable() {
		method, _, _ := strings.Cut(rt.pattern, " ")
		if method == http.MethodGet || method == http.MethodHead {
			continue
		}
		n++
		if rt.action == "" {
			t.Errorf("%s changes something but names no policy action", rt.pattern)
			continue
		}
		if guarded[rt.pattern] != rt.action {
			t.Errorf("%s: GuardedRoutes says %q, the table %q", rt.pattern, guarded[rt.pattern], rt.action)
		}
		// "a|b" is taken by anyone who may a or b.
		for _, act := range strings.Split(rt.action, "|") {
			if !slices.Contains(e.policy.Actions, act) {
				t.Errorf("%s: action %q is not an action of the policy", rt.pattern, act)
			}
		}
	}
	for p := range self {
		if _, ok := guarded[p]; !ok {
			t.Errorf("self route %s is not a guarded route of the table", p)
		}
	}
	if n < 20 {
		t.Errorf("only %d mutating routes found: the walk is not reading the table", n)
	}
}

// principal is who sends a request in the walk.
type principal struct {
	name  string
	token string
	roles []string // the roles it acts with; nil for no valid sign-in
	authn bool     // the token is valid: refusals are 403, not 401
}

// TestRouteWalk walks every guarded API route with an account of every
// policy role, with no token, a bad token, a revoked token, a disabled
// account's token and tokens scoped away from roles. Where the policy
// does not allow the action, the answer must be 403 (401 without a valid
// token) and nothing may change: no row of any table, no file of the blob
// or repository folders. Where it allows it, the answer must not be 401 or
// 403.
func TestRouteWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("walks every route with every role")
	}
	e := newForgeEnv(t)
	ctx := context.Background()

	// Things that exist, to fill the path parameters with.
	files := demoFiles(t)
	var build, sha, rpmFile string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Package struct {
				SHA256  string `json:"sha256"`
				BuildID string `json:"build"`
			} `json:"package"`
		}
		e.must(t, e.admin, "POST", "/api/v1/packages?filename="+filepath.Base(f), b, &res)
		build, sha = res.Package.BuildID, res.Package.SHA256
		if !strings.HasSuffix(f, ".src.rpm") {
			rpmFile = f
		}
	}
	if build == "" || sha == "" {
		t.Fatal("the uploads returned no build")
	}
	e.must(t, e.admin, "POST", "/api/v1/releases", map[string]any{"name": "10", "base_os": "Rocky Linux 8", "arches": []string{"x86_64"}}, nil)
	e.must(t, e.admin, "POST", "/api/v1/releases/10/channels/dev/builds", map[string]any{"builds": []string{build}}, nil)
	e.must(t, e.admin, "POST", "/api/v1/releases/10/channels/dev/publish", nil, nil)

	// The account the account routes act on (never one that sends), and
	// a token of it to revoke.
	e.account(t, "walk-target", []string{"tester"}, nil)
	var tok struct {
		Info struct {
			ID string `json:"id"`
		} `json:"info"`
	}
	e.must(t, e.admin, "POST", "/api/v1/accounts/walk-target/tokens", map[string]any{"label": "to revoke"}, &tok)

	// Who sends.
	var ps []principal
	for _, r := range e.policy.Roles {
		ps = append(ps, principal{name: "role " + r.Name, token: e.account(t, "walk-"+r.Name, []string{r.Name}, nil), roles: []string{r.Name}, authn: true})
	}
	var all []string
	for _, r := range e.policy.Roles {
		all = append(all, r.Name)
	}
	ps = append(ps,
		principal{name: "all roles, token scoped to tester", token: e.account(t, "walk-scoped", all, []string{"tester"}), roles: []string{"tester"}, authn: true},
		principal{name: "all roles, token scoped to mirror-operator", token: e.token(t, "walk-scoped", []string{"mirror-operator"}), roles: []string{"mirror-operator"}, authn: true},
		principal{name: "no role at all", token: e.account(t, "walk-nobody", nil, nil), roles: []string{}, authn: true},
		principal{name: "no token"},
		principal{name: "unknown token", token: "smf_" + strings.Repeat("A", 43)},
	)
	revoked := e.account(t, "walk-revoked", all, nil)
	var mine struct {
		Tokens []struct {
			ID string `json:"id"`
		} `json:"tokens"`
	}
	e.must(t, e.admin, "GET", "/api/v1/accounts/walk-revoked/tokens", nil, &mine)
	e.must(t, e.admin, "POST", "/api/v1/accounts/walk-revoked/tokens/"+mine.Tokens[0].ID+"/revoke", nil, nil)
	ps = append(ps, principal{name: "revoked token", token: revoked})
	disabled := e.account(t, "walk-disabled", all, nil)
	e.must(t, e.admin, "POST", "/api/v1/accounts/walk-disabled/disable", nil, nil)
	ps = append(ps, principal{name: "disabled account", token: disabled})

	rpmBody, err := os.ReadFile(rpmFile)
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{([a-z0-9_]+)(\.\.\.)?\}`)
	fill := func(pattern string) string {
		return param.ReplaceAllStringFunc(pattern, func(m string) string {
			switch name := strings.Trim(param.FindStringSubmatch(m)[1], "{}"); name {
			case "release":
				return "10"
			case "channel":
				return "dev"
			case "build":
				return build
			case "sha256":
				return sha
			case "team":
				return "development"
			case "name":
				if strings.Contains(pattern, "/accounts/") {
					return "walk-target"
				}
				return "rocky-baseos"
			case "id":
				switch {
				case strings.Contains(pattern, "/tokens/"):
					return tok.Info.ID
				case strings.Contains(pattern, "/keys/"):
					return "0123456789abcdef"
				}
				return build
			default:
				t.Logf("%s: no value for {%s}; using \"walk\"", pattern, name)
				return "walk"
			}
		})
	}
	// Plausible bodies, so that an allowed call does real work.
	bodies := map[string]string{
		"POST /api/v1/releases":                                     `{"name":"11","base_os":"Rocky Linux 9"}`,
		"POST /api/v1/releases/{release}/phase":                     `{"phase":"alpha"}`,
		"POST /api/v1/releases/{release}/channels":                  `{"name":"walkchan","description":"walk"}`,
		"POST /api/v1/releases/{release}/channels/{channel}/builds": `{"builds":["` + build + `"]}`,
		"POST /api/v1/builds/{id}/category":                         `{"category":"addons"}`,
		"POST /api/v1/upstreams":                                    `{"name":"rocky-baseos","url":"http://127.0.0.1:1/","release":"10"}`,
		"POST /api/v1/accounts":                                     `{"name":"walk-new","password":"a long password","roles":["tester"]}`,
		"POST /api/v1/accounts/{name}/roles":                        `{"roles":["tester","contributor"]}`,
		"POST /api/v1/accounts/{name}/password":                     `{"password":"another long password"}`,
		"POST /api/v1/accounts/{name}/tokens":                       `{"label":"walk","roles":["tester"]}`,
		"POST /api/v1/teams/{team}":                                 `{"contact":"dev@example.org","lead":"walk-target","members":["walk-target"]}`,
	}

	routes := e.srv.GuardedRoutes()
	if len(routes) < 25 {
		t.Fatalf("only %d guarded routes", len(routes))
	}
	for _, rt := range routes {
		method, pat, _ := strings.Cut(rt.Pattern, " ")
		path := fill(pat)
		body, ctype := []byte(bodies[rt.Pattern]), "application/json"
		if rt.Pattern == "POST /api/v1/packages" {
			path += "?filename=" + filepath.Base(rpmFile)
			body, ctype = rpmBody, "application/x-rpm"
		} else if len(body) == 0 && method != http.MethodGet {
			body = []byte("{}")
		}
		allowed := func(p principal) bool {
			if !p.authn {
				return false
			}
			return slices.ContainsFunc(p.roles, func(r string) bool {
				return slices.ContainsFunc(strings.Split(rt.Action, "|"), func(act string) bool { return e.policy.Allows(r, act) })
			})
		}
		before := e.snapshot(t)
		for _, p := range ps {
			if allowed(p) {
				continue
			}
			want := http.StatusForbidden
			if !p.authn {
				want = http.StatusUnauthorized
			}
			if st, b := e.do(t, p.token, method, path, ctype, body); st != want {
				t.Errorf("%s %s as %s (needs %s): HTTP %d, want %d: %s", method, path, p.name, rt.Action, st, want, b)
			}
		}
		if changed := diffSnapshots(before, e.snapshot(t)); len(changed) > 0 {
			t.Errorf("%s: refused calls changed %v", rt.Pattern, changed)
		}
		nAllowed := 0
		for _, p := range ps {
			if !allowed(p) {
				continue
			}
			nAllowed++
			if st, b := e.do(t, p.token, method, path, ctype, body); st == http.StatusUnauthorized || st == http.StatusForbidden {
				t.Errorf("%s %s as %s (has %s): HTTP %d: %s", method, path, p.name, rt.Action, st, b)
			}
		}
		if nAllowed == 0 {
			t.Errorf("%s: no role of the policy may %s, so the walk proves nothing of it", rt.Pattern, rt.Action)
		}
	}
	_ = ctx
}
