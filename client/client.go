// Package client is the Go client of smeforge's JSON API, used by the
// smeforge command line and by the integration tests.
//
// Every method takes a context and makes one HTTP request. A refusal of the
// server comes back as an *APIError holding the server's message and the
// HTTP status; anything else (the server cannot be reached, a file cannot
// be read, the answer is not the JSON expected) is an ordinary error that
// says what was being done.
//
//	c, err := client.New("http://127.0.0.1:8080", token)
//	if err != nil { ... }
//	res, err := c.UploadFile(ctx, "e-smith-lib-1.16.0-10.noarch.rpm")
//	var apiErr *client.APIError
//	if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized { ... }
//
// The response types mirror the JSON described in docs/api.md; see
// types.go for why they are not the server's own types.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "smeforge-client/1"

// Client talks to one smeforge server. It is safe for concurrent use.
type Client struct {
	base  string // scheme://host[/prefix], no trailing slash
	token string
	hc    *http.Client
	ua    string
}

// An Option changes how a Client is made.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc (for
// timeouts, proxies or TLS settings). The default is an http.Client with
// no overall timeout, since uploads and publications may take long; give
// the methods a context with a deadline instead.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.ua = ua }
}

// New returns a client of the server at baseURL (for example
// "http://127.0.0.1:8080", or "https://forge.example.org/prefix" behind a
// proxy) that authenticates with the API token token. An empty token makes
// anonymous requests, which the server answers for reading only.
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the server address %q is not an http:// or https:// URL such as http://127.0.0.1:8080", baseURL)
	}
	c := &Client{
		base:  strings.TrimRight(u.String(), "/"),
		token: strings.TrimSpace(token),
		hc:    &http.Client{},
		ua:    DefaultUserAgent,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL is the server's address as given to New, without a trailing
// slash.
func (c *Client) BaseURL() string { return c.base }

// APIError is a request the server refused or failed: Status is the HTTP
// status and Message the server's explanation, written for people.
type APIError struct {
	Status  int
	Message string
}

// Error returns the server's message followed by the status, for example
// "there is no channel 10/nope (HTTP 404)".
func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
}

// ErrUnreachable is matched (errors.Is) by the errors of requests that got
// no answer from the server: connection refused, name not found, TLS
// failure, connection reset.
var ErrUnreachable = errors.New("cannot reach the server")

type unreachableError struct {
	base string
	err  error
}

func (e *unreachableError) Error() string {
	return "cannot reach smeforge at " + e.base + ": " + e.err.Error()
}
func (e *unreachableError) Unwrap() []error { return []error{ErrUnreachable, e.err} }

// Upload sends one RPM or SRPM file read from r; name is the file's name,
// used by the server in its messages only. The body is streamed: when size
// is known (>= 0) it is sent as the Content-Length, otherwise the body is
// chunked. The request asks the server to agree before the body is sent
// ("Expect: 100-continue"), so that a refusal (bad token, file too large)
// comes back at once instead of after the whole file.
func (c *Client) Upload(ctx context.Context, name string, r io.Reader, size int64) (*UploadResult, error) {
	return c.UploadAs(ctx, name, r, size, "")
}

// UploadAs is Upload with the category a new build starts in (an
// administrator importing an existing distribution); "" lets the server
// decide (dev for a package it has never seen).
func (c *Client) UploadAs(ctx context.Context, name string, r io.Reader, size int64, category string) (*UploadResult, error) {
	body := &countingReader{r: r}
	q := url.Values{"filename": {name}}
	if category != "" {
		q.Set("category", category)
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/api/v1/packages", q, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-rpm")
	switch {
	case size == 0:
		req.Body, req.ContentLength = http.NoBody, 0
	case size > 0:
		req.ContentLength = size
		req.Header.Set("Expect", "100-continue")
	default:
		req.ContentLength = -1
		req.Header.Set("Expect", "100-continue")
	}
	var res UploadResult
	err = c.send(req, &res)
	// A failure to read the file is the real cause of whatever the
	// transport made of it.
	if body.err != nil && body.err != io.EOF {
		return nil, fmt.Errorf("reading %s: %w", name, body.err)
	}
	if size > 0 && body.err == io.EOF && body.n != size {
		return nil, fmt.Errorf("uploading %s: the file has %d bytes, not the %d announced (did it change meanwhile?)", name, body.n, size)
	}
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// countingReader remembers how much was read and why reading stopped.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	if err != nil && cr.err == nil {
		cr.err = err
	}
	return n, err
}

// UploadFile uploads the file at path, named by its base name.
func (c *Client) UploadFile(ctx context.Context, path string) (*UploadResult, error) {
	return c.UploadFileAs(ctx, path, "")
}

// UploadFileAs is UploadFile with a category for a new build.
func (c *Client) UploadFileAs(ctx context.Context, path, category string) (*UploadResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError: "open PATH: no such file or directory"
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return c.UploadAs(ctx, filepath.Base(path), f, st.Size(), category)
}

// SearchPackages lists the packages matching q, in name order.
func (c *Client) SearchPackages(ctx context.Context, q Query) (*PackageList, error) {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("q", q.Text)
	set("release", q.Release)
	set("channel", q.Channel)
	set("arch", q.Arch)
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	var out PackageList
	if err := c.call(ctx, http.MethodGet, "/api/v1/packages", v, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Package returns the package whose file has the SHA-256 sum sha (in hex).
func (c *Client) Package(ctx context.Context, sha string) (*PackageInfo, error) {
	var out PackageInfo
	if err := c.call(ctx, http.MethodGet, apiPath("packages", sha), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Builds lists builds in id order, without their artifacts.
func (c *Client) Builds(ctx context.Context, q BuildQuery) ([]Build, error) {
	v := url.Values{}
	if q.Text != "" {
		v.Set("q", q.Text)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	var out struct {
		Builds []Build `json:"builds"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/v1/builds", v, nil, &out); err != nil {
		return nil, err
	}
	return out.Builds, nil
}

// Build returns a build with its artifacts (the SRPM first).
func (c *Client) Build(ctx context.Context, id string) (*Build, error) {
	var out Build
	if err := c.call(ctx, http.MethodGet, apiPath("builds", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Releases lists the releases.
func (c *Client) Releases(ctx context.Context) ([]Release, error) {
	var out struct {
		Releases []Release `json:"releases"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/v1/releases", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Releases, nil
}

// Release returns a release and its channels.
func (c *Client) Release(ctx context.Context, name string) (*ReleaseInfo, error) {
	var out ReleaseInfo
	if err := c.call(ctx, http.MethodGet, apiPath("releases", name), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateRelease creates a release on the base OS baseOS (for example
// "Rocky Linux 8") with its default channels; no arches means x86_64.
func (c *Client) CreateRelease(ctx context.Context, name, baseOS string, arches []string) (*ReleaseInfo, error) {
	in := struct {
		Name   string   `json:"name"`
		BaseOS string   `json:"base_os"`
		Arches []string `json:"arches,omitempty"`
	}{name, baseOS, arches}
	var out ReleaseInfo
	if err := c.call(ctx, http.MethodPost, "/api/v1/releases", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateReleaseSpec creates a release with a version, base OS and end of
// life; its channels come from the server's policy.
func (c *Client) CreateReleaseSpec(ctx context.Context, spec ReleaseSpec) (*ReleaseInfo, error) {
	var out ReleaseInfo
	if err := c.call(ctx, http.MethodPost, "/api/v1/releases", nil, spec, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetPhase moves a release to a phase (alpha, beta, rc, final,
// maintenance, eol).
func (c *Client) SetPhase(ctx context.Context, release, phase string) (*Release, error) {
	var out struct {
		Release Release `json:"release"`
	}
	in := struct {
		Phase string `json:"phase"`
	}{phase}
	if err := c.call(ctx, http.MethodPost, apiPath("releases", release, "phase"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out.Release, nil
}

// Rollback publishes an earlier version of a channel again.
func (c *Client) Rollback(ctx context.Context, release, channel string, version int64) (*PublishResult, error) {
	in := struct {
		Version int64 `json:"version"`
	}{version}
	var out PublishResult
	if err := c.call(ctx, http.MethodPost, apiPath("releases", release, "channels", channel, "rollback"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetBuildCategory moves a build to a category.
func (c *Client) SetBuildCategory(ctx context.Context, id, category string) (*Build, error) {
	in := struct {
		Category string `json:"category"`
	}{category}
	var out Build
	if err := c.call(ctx, http.MethodPost, apiPath("builds", id, "category"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SigningKey is one of the project's public keys.
type SigningKey struct {
	KeyID     string    `json:"key_id"`
	Algorithm string    `json:"algorithm"`
	PublicKey string    `json:"public_key"`
	CreatedAt time.Time `json:"created_at"`
	Active    bool      `json:"active"`
}

// Keys lists the public keys the forge serves, and which one signs now.
func (c *Client) Keys(ctx context.Context) (active string, keys []SigningKey, err error) {
	var out struct {
		Active string       `json:"active"`
		Keys   []SigningKey `json:"keys"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/v1/keys", nil, nil, &out); err != nil {
		return "", nil, err
	}
	return out.Active, out.Keys, nil
}

// RotationResult is what a key rotation did.
type RotationResult struct {
	Rotation struct {
		OldKey   string   `json:"old_key"`
		NewKey   string   `json:"new_key"`
		Resigned []string `json:"resigned_builds"`
	} `json:"rotation"`
	Republished []string `json:"republished"`
}

// RotateKey makes a new signing key (keyType "rsa" or "eddsa"), re-signs
// every signed build and republishes the channels.
func (c *Client) RotateKey(ctx context.Context, keyType string) (*RotationResult, error) {
	in := struct {
		Type string `json:"type,omitempty"`
	}{keyType}
	var out RotationResult
	if err := c.call(ctx, http.MethodPost, "/api/v1/keys/rotate", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RetireKey stops serving a key that signs nothing any more.
func (c *Client) RetireKey(ctx context.Context, keyID string) error {
	return c.call(ctx, http.MethodPost, apiPath("keys", keyID, "retire"), nil, struct{}{}, nil)
}

// SignBuild signs a build with the active key.
func (c *Client) SignBuild(ctx context.Context, id string) (*Build, error) {
	var out Build
	if err := c.call(ctx, http.MethodPost, apiPath("builds", id, "sign"), nil, struct{}{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Channels lists the channels of a release.
func (c *Client) Channels(ctx context.Context, release string) ([]Channel, error) {
	var out struct {
		Channels []Channel `json:"channels"`
	}
	if err := c.call(ctx, http.MethodGet, apiPath("releases", release, "channels"), nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Channels, nil
}

// Channel returns a channel with its builds, versions and repository
// address.
func (c *Client) Channel(ctx context.Context, release, channel string) (*ChannelInfo, error) {
	var out ChannelInfo
	if err := c.call(ctx, http.MethodGet, apiPath("releases", release, "channels", channel), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateChannel adds a channel to a release.
func (c *Client) CreateChannel(ctx context.Context, release, name string, opts ChannelOptions) (*Channel, error) {
	enabled := !opts.Disabled
	in := struct {
		Name        string   `json:"name"`
		Description string   `json:"description,omitempty"`
		Enabled     *bool    `json:"enabled"`
		Arches      []string `json:"arches,omitempty"`
	}{name, opts.Description, &enabled, opts.Arches}
	var out Channel
	if err := c.call(ctx, http.MethodPost, apiPath("releases", release, "channels"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddBuilds adds builds to a channel in one new channel version, which it
// returns. Nothing is added if any build is unknown or already there.
func (c *Client) AddBuilds(ctx context.Context, release, channel string, builds ...string) (*ChannelVersion, error) {
	in := struct {
		Builds []string `json:"builds"`
	}{builds}
	if in.Builds == nil {
		in.Builds = []string{}
	}
	var out ChannelVersion
	if err := c.call(ctx, http.MethodPost, apiPath("releases", release, "channels", channel, "builds"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveBuild removes one build from a channel, making a new channel
// version, which it returns.
func (c *Client) RemoveBuild(ctx context.Context, release, channel, build string) (*ChannelVersion, error) {
	var out ChannelVersion
	if err := c.call(ctx, http.MethodDelete, apiPath("releases", release, "channels", channel, "builds", build), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Publish writes the repositories of a channel version and makes them the
// ones served; version 0 means the channel's latest version. Publishing a
// channel that is being published already is refused (HTTP 409).
func (c *Client) Publish(ctx context.Context, release, channel string, version int64) (*PublishResult, error) {
	in := struct {
		Version int64 `json:"version"`
	}{version}
	var out PublishResult
	if err := c.call(ctx, http.MethodPost, apiPath("releases", release, "channels", channel, "publish"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Healthz returns nil when the server answers its health check.
func (c *Client) Healthz(ctx context.Context) error {
	req, err := c.newRequest(ctx, http.MethodGet, "/healthz", nil, nil)
	if err != nil {
		return err
	}
	return c.send(req, nil)
}

// apiPath makes /api/v1/seg/seg/... with each segment escaped, so that a
// name never adds or removes a level of the path. "." and ".." are
// escaped too: they would otherwise be cleaned away.
func apiPath(segs ...string) string {
	var b strings.Builder
	b.WriteString("/api/v1")
	for _, s := range segs {
		b.WriteByte('/')
		switch s {
		case ".", "..":
			b.WriteString(strings.Repeat("%2E", len(s)))
		default:
			b.WriteString(url.PathEscape(s))
		}
	}
	return b.String()
}

func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body io.Reader) (*http.Request, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("making the request %s %s: %w", method, path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Accept", "application/json")
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	return req, nil
}

// call sends in (if not nil) as JSON and decodes the answer into out.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding the request %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := c.newRequest(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, out)
}

// maxErrorBody bounds what is read of an error answer.
const maxErrorBody = 64 << 10

// send does the request; a 2xx answer is decoded into out (if not nil),
// anything else becomes an *APIError.
func (c *Client) send(req *http.Request, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		if cerr := req.Context().Err(); cerr != nil {
			return fmt.Errorf("%s %s was interrupted: %w", req.Method, req.URL.Path, cerr)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the method and URL
		}
		return &unreachableError{base: c.base, err: err}
	}
	defer func() {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readAPIError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if cerr := req.Context().Err(); cerr != nil {
			return fmt.Errorf("%s %s was interrupted: %w", req.Method, req.URL.Path, cerr)
		}
		return fmt.Errorf("the answer of %s to %s %s is not the JSON expected (is it a smeforge server?): %w",
			c.base, req.Method, req.URL.Path, err)
	}
	return nil
}

// readAPIError turns an error answer into an *APIError: the "error" of a
// JSON body, else the first line of a text body (a proxy's page, or a
// repository's plain-text error), else the status's name.
func readAPIError(resp *http.Response) *APIError {
	e := &APIError{Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &body) == nil && strings.TrimSpace(body.Error) != "" {
		e.Message = strings.TrimSpace(body.Error)
		return e
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/plain" && utf8.Valid(b) {
		line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		line = strings.TrimSpace(line)
		if len(line) > 300 {
			line = strings.ToValidUTF8(line[:300], "") + "..."
		}
		e.Message = line
	}
	if e.Message == "" {
		text := http.StatusText(resp.StatusCode)
		if text == "" {
			text = "status " + strconv.Itoa(resp.StatusCode)
		}
		e.Message = "the server answered " + text + " without saying why"
	}
	return e
}

// Upstream is a base OS repository the forge syncs.
type Upstream struct {
	Name     string    `json:"name"`
	URL      string    `json:"url"`
	Release  string    `json:"release,omitempty"`
	SyncedAt time.Time `json:"synced_at,omitzero"`
	Revision string    `json:"revision,omitempty"`
	SignedBy string    `json:"signed_by,omitempty"`
	Packages int       `json:"packages"`
}

// Upstreams lists the upstreams.
func (c *Client) Upstreams(ctx context.Context) ([]Upstream, error) {
	var out struct {
		Upstreams []Upstream `json:"upstreams"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/v1/upstreams", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Upstreams, nil
}

// AddUpstream records a base OS repository; key is the vendor's armored
// public key ("" for none).
func (c *Client) AddUpstream(ctx context.Context, name, url, key, release string) (*Upstream, error) {
	in := map[string]string{"name": name, "url": url, "key": key, "release": release}
	var out Upstream
	if err := c.call(ctx, http.MethodPost, "/api/v1/upstreams", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SyncResult is what an upstream sync did.
type SyncResult struct {
	Upstream   Upstream `json:"upstream"`
	Downloaded []string `json:"downloaded"`
	Refused    []string `json:"refused"`
	// Advisories is how many security updates of the upstream's
	// updateinfo.xml were new or changed for the vulnerability tracker.
	Advisories int `json:"advisories"`
}

// SyncUpstream fetches an upstream's metadata, and with packages its
// packages, verified against its key.
func (c *Client) SyncUpstream(ctx context.Context, name string, packages bool) (*SyncResult, error) {
	in := struct {
		Packages bool `json:"packages"`
	}{packages}
	var out SyncResult
	if err := c.call(ctx, http.MethodPost, apiPath("upstreams", name, "sync"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
