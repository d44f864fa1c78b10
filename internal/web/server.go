// Package web is smeforge's HTTP surface: the JSON API under /api/v1, the
// yum/dnf repositories under /repo, and the server-rendered web UI. Each
// surface has one route table in its own file; handlers return errors and
// one function turns them into status codes, so that a client never sees
// an internal error's text.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/smeserver/smeforge/internal/advisory"
	"github.com/smeserver/smeforge/internal/archive"
	"github.com/smeserver/smeforge/internal/auth"
	"github.com/smeserver/smeforge/internal/baseos"
	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/people"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/promote"
	"github.com/smeserver/smeforge/internal/publish"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/security"
	"github.com/smeserver/smeforge/internal/signing"
)

// Config is what a Server is made of.
type Config struct {
	Catalog   *catalog.Service
	Releases  *release.Service
	Store     catalog.Store
	Blobs     Blobs
	Publisher *publish.Publisher
	// Signing, when set, signs builds of the signed categories and serves
	// the project's public keys.
	Signing *signing.Service
	// Archive, when set, reports on and rebuilds the source archive.
	Archive *archive.Service
	// BaseOS, when set, syncs base OS upstreams.
	BaseOS *baseos.Service
	// Security, when set, runs the vulnerability tracker.
	Security *security.Service
	// Advisories, when set, serves the project's advisories.
	Advisories *advisory.Service
	Keys       *auth.Keys
	// Audit, when set, receives the changes made through the API.
	Audit Auditor
	// Promote, when set, runs projects, promotion requests, test reports
	// and fork agreements.
	Promote *promote.Service
	Log     *slog.Logger
	Now     func() time.Time
	// People, when set, manages accounts, tokens and teams; without it,
	// a Store that is also a people.Store is used.
	People *people.Service
	// PublicURL, when set, is the address clients use (for .repo files);
	// otherwise it is taken from each request.
	PublicURL string
}

// Blobs is what the web layer needs of the blob store: open a package file
// for reading, with seeking for Range requests.
type Blobs interface {
	Open(ctx context.Context, sum string) (io.ReadSeekCloser, blob.Info, error)
}

// Server serves the API, the repositories and the web UI.
type Server struct {
	cat       *catalog.Service
	rel       *release.Service
	store     catalog.Store
	blobs     Blobs
	pub       *publish.Publisher
	signing   *signing.Service
	archive   *archive.Service
	keys      *auth.Keys
	log       *slog.Logger
	now       func() time.Time
	publicURL string
	pages     map[string]*template.Template
	baseos    *baseos.Service
	sec       *security.Service
	adv       *advisory.Service
	policy    *policy.Policy
	audit     Auditor
	promote   *promote.Service
	people    *people.Service
	reqID     atomic.Uint64
}

// New checks the configuration and parses the UI's templates.
func New(cfg Config) (*Server, error) {
	if cfg.Catalog == nil || cfg.Releases == nil || cfg.Store == nil || cfg.Blobs == nil || cfg.Publisher == nil || cfg.Keys == nil {
		return nil, errors.New("web: incomplete configuration")
	}
	s := &Server{
		cat: cfg.Catalog, rel: cfg.Releases, store: cfg.Store, signing: cfg.Signing, archive: cfg.Archive, baseos: cfg.BaseOS, adv: cfg.Advisories, sec: cfg.Security, blobs: cfg.Blobs, pub: cfg.Publisher, keys: cfg.Keys,
		log: cfg.Log, now: cfg.Now, publicURL: strings.TrimRight(cfg.PublicURL, "/"),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.audit = cfg.Audit
	s.promote = cfg.Promote
	s.policy = cfg.Catalog.Policy
	if s.policy == nil {
		s.policy = policy.Default()
	}
	s.people = cfg.People
	if ps, ok := cfg.Store.(people.Store); ok && s.people == nil {
		s.people = &people.Service{Store: ps, Policy: s.policy, Now: s.now}
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	return s, nil
}

// Handler returns the whole HTTP surface.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.apiRoutes(mux)
	s.repoRoutes(mux)
	s.uiRoutes(mux)
	return s.logRequests(securityHeaders(mux))
}

type ctxKey int

const (
	keyReqID ctxKey = iota
	keyAccount
)

type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := fmt.Sprintf("%x", s.reqID.Add(1))
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		w.Header().Set("X-Request-Id", id)
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), keyReqID, id)))
		s.log.Info("request", "id", id, "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"bytes", sw.n, "ms", time.Since(start).Milliseconds())
	})
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/repo/") {
			hd.Set("X-Frame-Options", "DENY")
			hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
		}
		h.ServeHTTP(w, r)
	})
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(keyReqID).(string)
	return id
}

// Errors of the web layer itself.
var (
	errUnauthorized = errors.New("unauthorized")
	errForbidden    = errors.New("forbidden")
	errMethod       = errors.New("method not allowed")
)

// statusOf is the one place where errors become HTTP status codes.
func statusOf(err error) int {
	switch {
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, blob.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, catalog.ErrConflict), errors.Is(err, catalog.ErrBusy):
		return http.StatusConflict
	case errors.Is(err, catalog.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, catalog.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, errForbidden), errors.Is(err, promote.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, people.ErrThrottled):
		return http.StatusTooManyRequests
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// publicMessage is what a client may read of an error: the message of a
// 4xx, and only a reference for a 5xx (the detail goes to the log).
func (s *Server) publicMessage(r *http.Request, err error, status int) string {
	if status >= 500 {
		s.log.Error("request failed", "id", requestID(r), "path", r.URL.Path, "err", err)
		return "internal error; the server log has the details under request id " + requestID(r)
	}
	return err.Error()
}

type apiHandler func(w http.ResponseWriter, r *http.Request) error

// api adapts a handler that returns an error to http.Handler, writing
// errors as {"error": "..."}.
func (s *Server) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			st := statusOf(err)
			if st == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="smeforge"`)
			}
			writeJSON(w, st, map[string]string{"error": s.publicMessage(r, err, st)})
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// apiAccount returns who made an API request, from its bearer token; nil
// means anonymous. The API never looks at cookies, so a page elsewhere
// cannot make a browser act through it (no CSRF surface).
func (s *Server) apiAccount(r *http.Request) (*catalog.Account, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			return nil, catalog.Errorf(errUnauthorized, "the Authorization header must be \"Bearer <token>\"")
		}
		a, err := s.store.TokenAccount(r.Context(), auth.HashToken(strings.TrimSpace(tok)))
		if errors.Is(err, catalog.ErrNotFound) {
			return nil, catalog.Errorf(errUnauthorized, "the API token is unknown or revoked")
		}
		if err != nil {
			return nil, err
		}
		s.touchLogin(r.Context(), a)
		return a, nil
	}
	return nil, nil
}

// route is one entry of a route table: a ServeMux pattern, the policy
// action a caller needs ("" for a public read) and the handler.
type route struct {
	pattern string
	action  string
	h       apiHandler
}

// Route is a guarded route as seen from outside (tests walk them all).
type Route struct {
	Pattern string // "POST /api/v1/packages"
	Action  string // the policy action it needs
	// Self, when set, is the path parameter naming an account that may
	// use the route on itself without Action.
	Self string
}

// GuardedRoutes lists every API route that needs an action, with that
// action.
func (s *Server) GuardedRoutes() []Route {
	var out []Route
	self := selfRoutes()
	for _, rt := range s.apiTable() {
		if rt.action != "" {
			out = append(out, Route{rt.pattern, rt.action, self[rt.pattern]})
		}
	}
	return out
}

// authorized wraps a handler that changes something: the caller must be
// signed in with a role the policy grants action, or nothing runs.
func (s *Server) authorized(action string, h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.apiAccount(r)
		if err != nil {
			return err
		}
		if a == nil {
			return catalog.Errorf(errUnauthorized, "sign in first: this action needs an API token (Authorization: Bearer ...)")
		}
		if err := s.may(a, action); err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), keyAccount, a)))
	}
}

// may is the one authorization rule: an account may take an action when
// one of its roles is granted it by the policy. An action "a|b" is taken
// with either grant (the handler then checks which part needs which).
func (s *Server) may(a *catalog.Account, action string) error {
	alts := strings.Split(action, "|")
	allows := func(role string) bool {
		for _, act := range alts {
			if s.policy.Allows(role, act) {
				return true
			}
		}
		return false
	}
	for _, role := range a.Roles {
		if allows(role) {
			return nil
		}
	}
	var need []string
	for _, role := range s.policy.Roles {
		if allows(role.Name) {
			need = append(need, role.Name)
		}
	}
	has := "no role"
	if len(a.Roles) > 0 {
		has = "roles " + strings.Join(a.Roles, ", ")
	}
	return catalog.Errorf(errForbidden, "account %s (%s) may not %s; that needs one of the roles: %s", a.Name, has, strings.Join(alts, " or "), strings.Join(need, ", "))
}

// actor is the account an authorized handler runs for.
func actor(r *http.Request) *catalog.Account {
	a, _ := r.Context().Value(keyAccount).(*catalog.Account)
	return a
}

// baseURL is the address clients reach this server at.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
