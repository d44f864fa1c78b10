package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/auth"
	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/publish"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
)

// testClock is an injected clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// forgeEnv is a real forge (SQLite, blob folder, publisher, web server
// over real HTTP) with an administrator.
type forgeEnv struct {
	dir    string
	store  *sqlstore.Store
	srv    *Server
	hs     *httptest.Server
	clock  *testClock
	admin  string // the admin's API token
	policy *policy.Policy
}

func newForgeEnv(t *testing.T) *forgeEnv {
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
	pol := policy.Default()
	clock := &testClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	pub := publish.New(st, filepath.Join(dir, "repos"), nil, nil)
	srv, err := New(Config{
		Catalog: &catalog.Service{Policy: pol, Store: st, Blobs: catalog.LocalBlobs(blobs), MaxUpload: 32 << 20}, Store: st, Blobs: blobs,
		Releases:  &release.Service{Store: st, Publisher: pub, Channels: release.TemplatesFromPolicy(pol)},
		Publisher: pub, Keys: auth.NewKeys(bytes.Repeat([]byte("k"), 32)), Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	e := &forgeEnv{dir: dir, store: st, srv: srv, hs: hs, clock: clock, policy: pol}
	var all []string
	for _, r := range pol.Roles {
		all = append(all, r.Name)
	}
	e.admin = e.account(t, "admin", all, nil)
	return e
}

// account makes an account with roles and returns a token scoped to scope
// (nil: every role).
func (e *forgeEnv) account(t *testing.T, name string, roles, scope []string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := e.store.EnsureAccount(ctx, name, false, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetRoles(ctx, name, roles); err != nil {
		t.Fatal(err)
	}
	return e.token(t, name, scope)
}

func (e *forgeEnv) token(t *testing.T, name string, scope []string) string {
	t.Helper()
	plain, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddToken(context.Background(), name, hash, "test", scope, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return plain
}

// do sends a request with a bearer token ("" for none) and returns the
// status and body.
func (e *forgeEnv) do(t *testing.T, token, method, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.hs.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// must sends a JSON request that must succeed and decodes the answer.
func (e *forgeEnv) must(t *testing.T, token, method, path string, in, out any) {
	t.Helper()
	var body []byte
	if raw, ok := in.([]byte); ok {
		body = raw
	} else if in != nil {
		body, _ = json.Marshal(in)
	}
	st, b := e.do(t, token, method, path, "application/json", body)
	if st >= 300 {
		t.Fatalf("%s %s: HTTP %d: %s", method, path, st, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// snapshot digests every table of the database (except the sign-in
// bookkeeping: failed sign-ins and last_login_at) and every file of the
// blob and repository folders, by name, so a comparison says what
// changed.
func (e *forgeEnv) snapshot(t *testing.T) map[string]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, "smeforge.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]string{}
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("snapshot found only tables %v", tables)
	}
	for _, tb := range tables {
		if tb == "login_failures" || strings.HasPrefix(tb, "sqlite_") {
			continue
		}
		rows, err := db.Query(`SELECT * FROM "` + tb + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, c := range cols {
				if tb == "accounts" && c == "last_login_at" {
					continue
				}
				fmt.Fprintf(&b, "%s=%v\x00", c, vals[i])
			}
			lines = append(lines, b.String())
		}
		rows.Close()
		// Ordered in Go: every row, whatever the table's key.
		slices.Sort(lines)
		h := sha256.New()
		for _, l := range lines {
			io.WriteString(h, l+"\n")
		}
		out["table "+tb] = fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(h.Sum(nil))[:16])
	}
	for _, d := range []string{"blobs", "repos"} {
		h := sha256.New()
		root := filepath.Join(e.dir, d)
		filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			io.WriteString(h, rel+"\x00")
			if de.Type().IsRegular() {
				b, _ := os.ReadFile(p)
				h.Write(b)
			} else if de.Type()&fs.ModeSymlink != 0 {
				l, _ := os.Readlink(p)
				io.WriteString(h, "->"+l)
			}
			return nil
		})
		out["folder "+d] = hex.EncodeToString(h.Sum(nil))[:16]
	}
	return out
}

func diffSnapshots(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// demoFiles writes the demo packages and returns the paths of the first
// source package and its binaries.
func demoFiles(t *testing.T) []string {
	t.Helper()
	paths, err := corpus.Demo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Demo lists each SRPM followed by its binaries.
	var out []string
	for i, p := range paths {
		if i > 0 && strings.HasSuffix(p, ".src.rpm") {
			break
		}
		out = append(out, p)
	}
	return out
}
