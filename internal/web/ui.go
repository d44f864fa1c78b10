package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/auth"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/check"
	"github.com/smeserver/smeforge/internal/people"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/security"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames lists every page; startup fails if one is missing or broken.
var pageNames = []string{"packages", "package", "channel", "releases", "release", "sources", "login", "error", "build", "reviews", "promotion", "forks", "advisories", "advisory", "teams", "account", "accounts", "security", "security_entry"}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"unixdate": func(s int64) string { return time.Unix(s, 0).UTC().Format("2 Jan 2006") },
	"day":      func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"bytes": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
		}
		return fmt.Sprintf("%d bytes", n)
	},
	"add":        func(a, b int) int { return a + b },
	"has":        func(list []string, v string) bool { return slices.Contains(list, v) },
	"lines":      func(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") },
	"plainstate": security.PlainState,
}

func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// uiRoutes is the web UI's route table.
func (s *Server) uiRoutes(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	mux.Handle("GET /favicon.ico", http.RedirectHandler("/static/favicon.svg", http.StatusMovedPermanently))
	mux.HandleFunc("GET /{$}", s.ui(s.uiPackages))
	mux.HandleFunc("GET /packages", s.ui(s.uiPackages))
	mux.HandleFunc("GET /packages/{sha256}", s.ui(s.uiPackage))
	mux.HandleFunc("GET /releases", s.ui(s.uiReleases))
	mux.HandleFunc("GET /builds/{id}", s.ui(s.uiBuild))
	if s.promote != nil {
		s.promoteUIRoutes(mux)
	}
	mux.HandleFunc("GET /sources", s.ui(s.uiSources))
	mux.HandleFunc("GET /sources/{file}", s.repo(s.sourceFile))
	mux.HandleFunc("GET /releases/{release}", s.ui(s.uiRelease))
	mux.HandleFunc("GET /releases/{release}/channels/{channel}", s.ui(s.uiChannel))
	mux.HandleFunc("GET /security", s.ui(s.uiSecurity))
	mux.HandleFunc("GET /security/{id}", s.ui(s.uiSecurityEntry))
	mux.HandleFunc("POST /security/{id}", s.ui(s.uiAuthorized("triage-vulnerability", s.uiTriagePost)))
	mux.HandleFunc("GET /advisories", s.ui(s.uiAdvisories))
	mux.HandleFunc("GET /advisories.atom", s.ui(s.uiAdvisoriesAtom))
	mux.HandleFunc("GET /advisories/{id}", s.ui(s.uiAdvisory))
	mux.HandleFunc("GET /login", s.ui(s.uiLogin))
	mux.HandleFunc("POST /login", s.ui(s.uiLoginPost))
	mux.HandleFunc("POST /logout", s.ui(s.uiLogout))
	mux.HandleFunc("GET /teams", s.ui(s.uiTeams))
	mux.HandleFunc("GET /account", s.ui(s.uiAccount))
	mux.HandleFunc("POST /account/password", s.ui(s.uiForm(anyAccount, s.uiAccountPassword)))
	mux.HandleFunc("POST /account/tokens", s.ui(s.uiForm(anyAccount, s.uiAccountToken)))
	mux.HandleFunc("POST /account/tokens/{id}/revoke", s.ui(s.uiForm(anyAccount, s.uiAccountRevoke)))
	mux.HandleFunc("GET /admin/accounts", s.ui(s.uiAccounts))
	mux.HandleFunc("POST /admin/accounts", s.ui(s.uiAuthorized("manage-accounts", s.uiCreateAccount)))
	mux.HandleFunc("POST /admin/accounts/{name}/roles", s.ui(s.uiAuthorized("manage-accounts", s.uiAccountRoles)))
	mux.HandleFunc("POST /admin/accounts/{name}/disable", s.ui(s.uiAuthorized("manage-accounts", s.uiAccountDisabled(true))))
	mux.HandleFunc("POST /admin/accounts/{name}/enable", s.ui(s.uiAuthorized("manage-accounts", s.uiAccountDisabled(false))))
	mux.HandleFunc("/", s.ui(func(w http.ResponseWriter, r *http.Request) error {
		return catalog.Errorf(catalog.ErrNotFound, "there is no page at %s", r.URL.Path)
	}))
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

const (
	sessionCookie = "smeforge_session"
	visitorCookie = "smeforge_visitor"
)

// session returns the signed-in session, if any.
func (s *Server) session(r *http.Request) *auth.Session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	sess, ok := s.keys.VerifySession(c.Value, s.now())
	if !ok {
		return nil
	}
	return sess
}

// csrfID is what a page's CSRF token is bound to: the session, or for an
// anonymous visitor (the login form) a random cookie.
func (s *Server) csrfID(w http.ResponseWriter, r *http.Request) string {
	if sess := s.session(r); sess != nil {
		return "s:" + sess.ID
	}
	if c, err := r.Cookie(visitorCookie); err == nil && c.Value != "" {
		return "v:" + c.Value
	}
	id := auth.RandomID()
	if w != nil {
		http.SetCookie(w, &http.Cookie{Name: visitorCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	return "v:" + id
}

// viewer is the signed-in account of a page request (nil when anonymous,
// or when the account has since been disabled), with all its roles.
func (s *Server) viewer(r *http.Request) (*catalog.Account, error) {
	sess := s.session(r)
	if sess == nil {
		return nil, nil
	}
	a, err := s.store.Account(r.Context(), sess.Account)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if a.Disabled {
		return nil, nil
	}
	return a, nil
}

// uiAuthorized wraps a form handler that changes something: the visitor
// must be signed in, the form must carry this site's CSRF token, and one
// of the account's roles must be granted action. The handler finds the
// account with actor(r) and the parsed form in r.PostForm.
func (s *Server) uiAuthorized(action string, h apiHandler) apiHandler {
	return s.uiForm(func(a *catalog.Account) error { return s.may(a, action) }, h)
}

// uiForm is uiAuthorized with the role check given as allow.
func (s *Server) uiForm(allow func(*catalog.Account) error, h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.viewer(r)
		if err != nil {
			return err
		}
		if a == nil {
			return catalog.Errorf(errUnauthorized, "sign in first")
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if err := r.ParseForm(); err != nil {
			return catalog.Errorf(catalog.ErrInvalid, "the form could not be read")
		}
		if !s.keys.CheckCSRF(s.csrfID(nil, r), r.PostForm.Get("csrf")) {
			return catalog.Errorf(errForbidden, "the form has expired or did not come from this site; reload the page and try again")
		}
		if err := allow(a); err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), keyAccount, a)))
	}
}

// pageData is what every page gets.
type pageData struct {
	Title   string
	Account string
	CSRF    string
	Query   string
	Data    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("no page template %q", page)
	}
	pd := pageData{Title: title, CSRF: s.keys.CSRFToken(s.csrfID(w, r)), Data: data, Query: r.URL.Query().Get("q")}
	if sess := s.session(r); sess != nil {
		pd.Account = sess.Account
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, pd); err != nil {
		return fmt.Errorf("rendering %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// ui adapts page handlers: an error becomes an error page in plain words.
func (s *Server) ui(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			st := statusOf(err)
			msg := s.publicMessage(r, err, st)
			if rerr := s.render(w, r, st, "error", http.StatusText(st), msg); rerr != nil {
				s.log.Error("rendering error page", "err", rerr)
				http.Error(w, msg, st)
			}
		}
	}
}

type packagesPage struct {
	Rows     []catalog.PackageRow
	Total    int
	Offset   int
	Next     string
	Prev     string
	Release  string
	Channel  string
	Releases []catalog.Release
	Sources  bool // source packages are listed too
	// Answer is the plain-words answer when a name and a release are given.
	Answer *catalog.Answer
}

func (s *Server) uiPackages(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	const pageSize = 50
	off := atoiDefault(q.Get("offset"), 0)
	query := catalog.Query{Text: strings.TrimSpace(q.Get("q")), Release: q.Get("release"), Channel: q.Get("channel"),
		BinaryOnly: q.Get("sources") != "1", Limit: pageSize, Offset: off}
	rows, total, err := s.store.SearchPackages(r.Context(), query)
	if err != nil {
		return err
	}
	rels, err := s.store.Releases(r.Context())
	if err != nil {
		return err
	}
	p := packagesPage{Rows: rows, Total: total, Offset: off, Release: query.Release, Channel: query.Channel, Releases: rels, Sources: !query.BinaryOnly}
	link := func(o int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("offset", fmt.Sprint(o))
		return "/packages?" + v.Encode()
	}
	if off+pageSize < total {
		p.Next = link(off + pageSize)
	}
	if off > 0 {
		p.Prev = link(max(0, off-pageSize))
	}
	if query.Text != "" && query.Release != "" {
		if ans, err := s.cat.Where(r.Context(), query.Release, query.Text); err == nil {
			p.Answer = ans
		}
	}
	return s.render(w, r, http.StatusOK, "packages", "Packages", p)
}

type packagePage struct {
	A        *catalog.Artifact
	D        *catalog.Details
	Channels []catalog.ChannelRef
	Build    *catalog.Build
	Licence  policy.LicenceVerdict
	Findings []check.Finding
	Security *packageSecurity
}

func (s *Server) uiPackage(w http.ResponseWriter, r *http.Request) error {
	a, d, err := s.store.Artifact(r.Context(), r.PathValue("sha256"))
	if err != nil {
		return err
	}
	// rpm lists a requirement once per reason (scriptlet, file ...); a
	// reader needs it once.
	d.Requires = slices.Compact(slices.Sorted(slices.Values(d.Requires)))
	b, err := s.store.Build(r.Context(), a.BuildID)
	if err != nil {
		return err
	}
	rows, _, err := s.store.SearchPackages(r.Context(), catalog.Query{Text: a.Name, Limit: 1000})
	if err != nil {
		return err
	}
	var chans []catalog.ChannelRef
	for _, row := range rows {
		if row.SHA256 == a.SHA256 {
			chans = row.Channels
		}
	}
	p := packagePage{A: a, D: d, Channels: chans, Build: b, Licence: s.cat.Licence(a.License), Security: s.packageSecurity(r, a)}
	// What the policy's checks say of this package, over everything the
	// channels hold and the base OS.
	if rep, err := s.cat.Check(r.Context(), "", nil); err == nil {
		for _, fs := range [][]check.Finding{rep.Forks, rep.Layering, rep.Unresolved} {
			for _, f := range fs {
				if f.ID == a.SHA256 {
					p.Findings = append(p.Findings, f)
				}
			}
		}
	} else {
		s.log.Warn("checks for a package page", "err", err)
	}
	return s.render(w, r, http.StatusOK, "package", a.Name+" "+a.EVR(), p)
}

type releasesPage struct {
	Releases []catalog.Release
	Channels map[string][]catalog.Channel
}

func (s *Server) uiReleases(w http.ResponseWriter, r *http.Request) error {
	rels, err := s.store.Releases(r.Context())
	if err != nil {
		return err
	}
	p := releasesPage{Releases: rels, Channels: map[string][]catalog.Channel{}}
	for _, rel := range rels {
		cs, err := s.store.Channels(r.Context(), rel.Name)
		if err != nil {
			return err
		}
		p.Channels[rel.Name] = cs
	}
	return s.render(w, r, http.StatusOK, "releases", "Releases and channels", p)
}

type releasePage struct {
	R        *catalog.Release
	Channels []catalog.Channel
	Previous *catalog.Release
	Changes  []release.Change
	Phases   []phaseStep
	RepoURL  string
}

type phaseStep struct {
	Name    string
	When    time.Time
	Current bool
	Done    bool
}

func (s *Server) uiRelease(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.store.Release(r.Context(), r.PathValue("release"))
	if err != nil {
		return err
	}
	chans, err := s.store.Channels(r.Context(), rel.Name)
	if err != nil {
		return err
	}
	prev, changes, err := s.rel.Changes(r.Context(), rel.Name)
	if err != nil {
		return err
	}
	p := releasePage{R: rel, Channels: chans, Previous: prev, Changes: changes, RepoURL: s.baseURL(r) + "/repo/" + rel.Name + ".repo"}
	cur := catalog.PhaseIndex(rel.Phase)
	for i, ph := range catalog.Phases {
		p.Phases = append(p.Phases, phaseStep{Name: ph, When: rel.PhaseDates[ph], Current: i == cur, Done: i < cur})
	}
	return s.render(w, r, http.StatusOK, "release", "Release "+rel.Name, p)
}

type channelPage struct {
	C        *catalog.Channel
	Release  *catalog.Release
	Snippet  string
	RepoURL  string
	Rows     []catalog.PackageRow
	Total    int
	Versions []catalog.ChannelVersion
}

func (s *Server) uiChannel(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.store.Release(r.Context(), r.PathValue("release"))
	if err != nil {
		return err
	}
	c, err := s.store.Channel(r.Context(), rel.Name, r.PathValue("channel"))
	if err != nil {
		return err
	}
	rows, total, err := s.store.SearchPackages(r.Context(), catalog.Query{Release: c.Release, Channel: c.Name, Limit: 200})
	if err != nil {
		return err
	}
	versions, err := s.store.ChannelVersions(r.Context(), c.Release, c.Name)
	if err != nil {
		return err
	}
	if len(versions) > 20 {
		versions = versions[:20]
	}
	base := s.baseURL(r)
	keys, err := s.keyURLs(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "channel", c.Release+" "+c.Name, channelPage{
		C: c, Release: rel, Snippet: strings.TrimLeft(RepoSection(base, c, keys), "\n"), RepoURL: base + "/repo/" + c.Release + ".repo",
		Rows: rows, Total: total, Versions: versions,
	})
}

type loginPage struct {
	Account string
	Error   string
	Next    string
}

func safeNext(next string) string {
	// Only local paths: never an open redirect.
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/"
	}
	return next
}

func (s *Server) uiLogin(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "login", "Sign in", loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) uiLoginPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return catalog.Errorf(catalog.ErrInvalid, "the form could not be read")
	}
	if !s.keys.CheckCSRF(s.csrfID(nil, r), r.PostForm.Get("csrf")) {
		return catalog.Errorf(errForbidden, "the form has expired or did not come from this site; reload the page and try again")
	}
	if err := s.needPeople(); err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostForm.Get("account"))
	next := safeNext(r.PostForm.Get("next"))
	acc, err := s.people.Login(r.Context(), name, r.PostForm.Get("password"), clientAddr(r))
	var te *people.ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(int(te.RetryAfter.Seconds()+0.999)))
		return s.render(w, r, http.StatusTooManyRequests, "login", "Sign in", loginPage{Account: name, Error: "Too many failed sign-ins. " + te.Error() + ".", Next: next})
	case errors.Is(err, people.ErrBadLogin):
		return s.render(w, r, http.StatusUnauthorized, "login", "Sign in", loginPage{Account: name, Error: "That account name and password do not match. Check for typing mistakes and try again.", Next: next})
	case err != nil:
		return err
	}
	val, err := s.keys.SignSession(acc.Name, s.now().Add(12*time.Hour))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: val, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil, MaxAge: 12 * 3600})
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// clientAddr is the address a request came from, for throttling. It is
// the TCP peer: behind a reverse proxy that is the proxy, which then
// shares one budget of failures (safe, if strict).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) uiLogout(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return catalog.Errorf(catalog.ErrInvalid, "the form could not be read")
	}
	if !s.keys.CheckCSRF(s.csrfID(nil, r), r.PostForm.Get("csrf")) {
		return catalog.Errorf(errForbidden, "the form has expired; reload the page and try again")
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

type sourcesPage struct {
	Rows  []catalog.PackageRow
	Total int
	Next  string
	Prev  string
}

// uiSources lists the source archive: every SRPM the forge keeps, which
// anyone may download (the licences require it).
func (s *Server) uiSources(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	const pageSize = 100
	off := atoiDefault(q.Get("offset"), 0)
	rows, total, err := s.store.SearchPackages(r.Context(), catalog.Query{Text: strings.TrimSpace(q.Get("q")), SourceOnly: true, Limit: pageSize, Offset: off})
	if err != nil {
		return err
	}
	p := sourcesPage{Rows: rows, Total: total}
	link := func(o int) string {
		v := url.Values{}
		if t := q.Get("q"); t != "" {
			v.Set("q", t)
		}
		v.Set("offset", fmt.Sprint(o))
		return "/sources?" + v.Encode()
	}
	if off+pageSize < total {
		p.Next = link(off + pageSize)
	}
	if off > 0 {
		p.Prev = link(max(0, off-pageSize))
	}
	return s.render(w, r, http.StatusOK, "sources", "Source archive", p)
}

// sourceFile serves an SRPM of the archive as it was uploaded.
func (s *Server) sourceFile(w http.ResponseWriter, r *http.Request) error {
	file := r.PathValue("file")
	if !fileRe.MatchString(file) || strings.Contains(file, "..") || !strings.HasSuffix(file, ".src.rpm") {
		return catalog.Errorf(catalog.ErrNotFound, "no source package %q", file)
	}
	// The package name is the file name without version, release and suffix.
	name := catalog.NameOf(strings.TrimSuffix(file, ".src.rpm"))
	rows, _, err := s.store.SearchPackages(r.Context(), catalog.Query{Text: name, SourceOnly: true, Limit: 1000})
	if err != nil {
		return err
	}
	for _, row := range rows {
		if row.Filename != file {
			continue
		}
		f, _, err := s.blobs.Open(r.Context(), row.SHA256)
		if err != nil {
			return err
		}
		defer f.Close()
		w.Header().Set("Content-Type", "application/x-rpm")
		w.Header().Set("ETag", `"`+row.SHA256+`"`)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeContent(w, r, file, row.UploadedAt, f)
		return nil
	}
	return catalog.Errorf(catalog.ErrNotFound, "the archive has no %s", file)
}
