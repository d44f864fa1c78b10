package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/advisory"
	"github.com/smeserver/smeforge/internal/auth"
	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/publish"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
)

// TestAdvisoryTeams checks who may write which part of an advisory
// through the API: the security team the technical fields, the
// communications team the guidance only, and that for anyone else a draft
// does not exist.
func TestAdvisoryTeams(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bl, _ := blob.NewDir(filepath.Join(dir, "blobs"))
	keys, err := auth.LoadOrCreateKeys(filepath.Join(dir, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	pol := policy.Default()
	cat := &catalog.Service{Store: st, Blobs: catalog.LocalBlobs(bl), Policy: pol}
	pub := publish.New(st, filepath.Join(dir, "repos"), nil, nil)
	rel := &release.Service{Store: st, Publisher: pub, Channels: release.TemplatesFromPolicy(pol)}
	if _, err := rel.Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	adv := &advisory.Service{Store: st, Policy: pol, Publisher: pub}
	srv, err := New(Config{Catalog: cat, Releases: rel, Store: st, Blobs: bl, Publisher: pub, Keys: keys, Advisories: adv})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	token := func(name string, roles ...string) string {
		if _, err := st.EnsureAccount(ctx, name, false, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.SetRoles(ctx, name, roles); err != nil {
			t.Fatal(err)
		}
		plain, hash, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddToken(ctx, name, hash, "test", nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		return plain
	}
	sec, comms, dm, tester := token("sec", "security"), token("comms", "communications"), token("dm", "dm"), token("tess", "tester")

	call := func(method, path, tok, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, bytes.NewBufferString(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	code, out := call("POST", "/api/v1/advisories", sec, `{"type": "known-issue", "title": "slow parser", "releases": ["10"], "workaround": "turn it off"}`)
	if code != http.StatusCreated {
		t.Fatalf("security team drafts: %d %v", code, out)
	}
	id, _ := out["id"].(string)
	path := "/api/v1/advisories/" + id
	tests := []struct {
		who, tok, method, path, body string
		want                         int
		word                         string
	}{
		{"security creating with guidance", sec, "POST", "/api/v1/advisories", `{"type": "bugfix", "title": "x", "guidance": "g"}`, http.StatusForbidden, "write-advisory-guidance"},
		{"communications creating", comms, "POST", "/api/v1/advisories", `{"type": "bugfix", "title": "x"}`, http.StatusForbidden, "write-advisory"},
		{"security writing the guidance", sec, "POST", path, `{"guidance": "g"}`, http.StatusForbidden, "write-advisory-guidance"},
		{"communications writing the technical text", comms, "POST", path, `{"technical": "t"}`, http.StatusForbidden, "write-advisory"},
		{"communications writing guidance and title", comms, "POST", path, `{"guidance": "g", "title": "t"}`, http.StatusForbidden, "write-advisory"},
		{"a tester editing", tester, "POST", path, `{"title": "t"}`, http.StatusForbidden, "write-advisory"},
		{"anonymous editing", "", "POST", path, `{"title": "t"}`, http.StatusUnauthorized, "sign in"},
		{"anonymous reading a draft", "", "GET", path, "", http.StatusNotFound, "no advisory"},
		{"a tester reading a draft", tester, "GET", path, "", http.StatusNotFound, "no advisory"},
		{"a tester reading a draft's revisions", tester, "GET", path + "/revisions", "", http.StatusNotFound, "no advisory"},
		{"a tester reading a draft's OSV", tester, "GET", path + "/osv", "", http.StatusNotFound, "no advisory"},
		{"security publishing", sec, "POST", path + "/publish", "", http.StatusForbidden, "publish-advisory"},
		{"dm publishing without guidance", dm, "POST", path + "/publish", "", http.StatusBadRequest, "guidance"},
		{"communications writing the guidance", comms, "POST", path, `{"guidance": "Servers with the parser on are affected."}`, http.StatusOK, ""},
		{"security writing the technical text", sec, "POST", path, `{"technical": "The parser is quadratic."}`, http.StatusOK, ""},
		{"an unknown field", sec, "POST", path, `{"titel": "x"}`, http.StatusBadRequest, "titel"},
		{"dm publishing", dm, "POST", path + "/publish", "", http.StatusOK, ""},
		{"anonymous reading it now", "", "GET", path, "", http.StatusOK, ""},
		{"a revision without reason", sec, "POST", path, `{"title": "slower parser"}`, http.StatusBadRequest, "reason"},
		{"revision 9", "", "GET", path + "/revisions/9", "", http.StatusNotFound, "revision 9"},
		{"revision x", "", "GET", path + "/revisions/x", "", http.StatusBadRequest, "revision"},
	}
	for _, tt := range tests {
		code, out := call(tt.method, tt.path, tt.tok, tt.body)
		msg, _ := out["error"].(string)
		if code != tt.want || !strings.Contains(msg, tt.word) {
			t.Errorf("%s: %d %q; want %d naming %q", tt.who, code, msg, tt.want, tt.word)
		}
	}
	a, err := st.Advisory(ctx, id)
	if err != nil || a.Guidance != "Servers with the parser on are affected." || a.Technical != "The parser is quadratic." || a.Title != "slow parser" {
		t.Errorf("after the refusals the advisory is %+v, %v: a refused change must leave nothing", a, err)
	}
}
