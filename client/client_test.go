package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// recorded is what the fake server saw of one request.
type recorded struct {
	method, path, rawQuery, auth, contentType, expect string
	contentLength                                     int64
	chunked                                           bool
	body                                              string
}

// fakeServer answers every request with status and body (JSON unless body
// starts with '<' or contentType says otherwise) and records the request.
func fakeServer(t *testing.T, status int, contentType, body string) (*httptest.Server, *recorded) {
	t.Helper()
	var rec recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A read error is the client aborting a body, which some tests do.
		b, _ := io.ReadAll(r.Body)
		rec = recorded{
			method: r.Method, path: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery, auth: r.Header.Get("Authorization"),
			contentType: r.Header.Get("Content-Type"), expect: r.Header.Get("Expect"),
			contentLength: r.ContentLength, chunked: len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked",
			body: string(b),
		}
		if contentType == "" {
			contentType = "application/json"
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &rec
}

func newClient(t *testing.T, url, token string) *Client {
	t.Helper()
	c, err := New(url, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRequests checks that each method sends the request the API expects
// and decodes the answer into the client's types.
func TestRequests(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		answer   string
		call     func(c *Client) (any, error)
		method   string
		path     string
		query    string
		body     string // JSON compared as values; "" means no body
		want     any
		wantAuth bool
	}{
		{
			name:   "search",
			answer: `{"total":7,"packages":[{"sha256":"ab","name":"e-smith-lib","version":"1.16.0","release":"10","arch":"noarch","build":"e-smith-lib-1.16.0-10","channels":[{"release":"10","channel":"os"}]}]}`,
			call: func(c *Client) (any, error) {
				return c.SearchPackages(ctx, Query{Text: "e-smith", Release: "10", Channel: "os", Arch: "noarch", Limit: 5, Offset: 2})
			},
			method: "GET", path: "/api/v1/packages", query: "arch=noarch&channel=os&limit=5&offset=2&q=e-smith&release=10",
			want: &PackageList{Total: 7, Packages: []PackageRow{{
				Package:  Package{SHA256: "ab", Name: "e-smith-lib", Version: "1.16.0", Release: "10", Arch: "noarch", Build: "e-smith-lib-1.16.0-10"},
				Channels: []ChannelRef{{Release: "10", Channel: "os"}},
			}}},
		},
		{
			name:   "package",
			answer: `{"package":{"sha256":"ab","name":"x","epoch":2},"details":{"requires":["perl"],"changelog":[{"time":5,"author":"A","text":"- t"}]}}`,
			call:   func(c *Client) (any, error) { return c.Package(ctx, "ab") },
			method: "GET", path: "/api/v1/packages/ab",
			want: &PackageInfo{Package: Package{SHA256: "ab", Name: "x", Epoch: 2},
				Details: Details{Requires: []string{"perl"}, Changelog: []Changelog{{Time: 5, Author: "A", Text: "- t"}}}},
		},
		{
			name:   "builds",
			answer: `{"builds":[{"id":"a-1-1","name":"a","version":"1","release":"1","has_source":true}]}`,
			call:   func(c *Client) (any, error) { return c.Builds(ctx, BuildQuery{Text: "a", Limit: 3}) },
			method: "GET", path: "/api/v1/builds", query: "limit=3&q=a",
			want: []Build{{ID: "a-1-1", Name: "a", Version: "1", Release: "1", HasSource: true}},
		},
		{
			name:   "build with an escaped id",
			answer: `{"id":"a+b-1-1","artifacts":[{"sha256":"cd","arch":"src","source":true}]}`,
			call:   func(c *Client) (any, error) { return c.Build(ctx, "a+b-1-1/x") },
			method: "GET", path: "/api/v1/builds/a+b-1-1%2Fx",
			want: &Build{ID: "a+b-1-1", Artifacts: []Package{{SHA256: "cd", Arch: "src", Source: true}}},
		},
		{
			name:   "releases",
			answer: `{"releases":[{"name":"10","base_os":"Rocky Linux 8","arches":["x86_64"]}]}`,
			call:   func(c *Client) (any, error) { return c.Releases(ctx) },
			method: "GET", path: "/api/v1/releases",
			want: []Release{{Name: "10", BaseOS: "Rocky Linux 8", Arches: []string{"x86_64"}}},
		},
		{
			name:   "release",
			answer: `{"release":{"name":"10"},"channels":[{"release":"10","name":"os","enabled":true}]}`,
			call:   func(c *Client) (any, error) { return c.Release(ctx, "10") },
			method: "GET", path: "/api/v1/releases/10",
			want: &ReleaseInfo{Release: Release{Name: "10"}, Channels: []Channel{{Release: "10", Name: "os", Enabled: true}}},
		},
		{
			name:   "release named dot-dot stays one segment",
			answer: `{"release":{"name":".."},"channels":[]}`,
			call:   func(c *Client) (any, error) { return c.Release(ctx, "..") },
			method: "GET", path: "/api/v1/releases/%2E%2E",
			want: &ReleaseInfo{Release: Release{Name: ".."}, Channels: []Channel{}},
		},
		{
			name:   "create release",
			answer: `{"release":{"name":"10","base_os":"Rocky Linux 8","arches":["x86_64","aarch64"]},"channels":[]}`,
			call: func(c *Client) (any, error) {
				return c.CreateRelease(ctx, "10", "Rocky Linux 8", []string{"x86_64", "aarch64"})
			},
			method: "POST", path: "/api/v1/releases", body: `{"name":"10","base_os":"Rocky Linux 8","arches":["x86_64","aarch64"]}`,
			want:     &ReleaseInfo{Release: Release{Name: "10", BaseOS: "Rocky Linux 8", Arches: []string{"x86_64", "aarch64"}}, Channels: []Channel{}},
			wantAuth: true,
		},
		{
			name:   "create release without arches",
			answer: `{"release":{"name":"11"},"channels":[]}`,
			call:   func(c *Client) (any, error) { return c.CreateRelease(ctx, "11", "Rocky Linux 9", nil) },
			method: "POST", path: "/api/v1/releases", body: `{"name":"11","base_os":"Rocky Linux 9"}`,
			want:     &ReleaseInfo{Release: Release{Name: "11"}, Channels: []Channel{}},
			wantAuth: true,
		},
		{
			name:   "channels",
			answer: `{"channels":[{"release":"10","name":"os","version":3,"published_version":2,"builds":4}]}`,
			call:   func(c *Client) (any, error) { return c.Channels(ctx, "10") },
			method: "GET", path: "/api/v1/releases/10/channels",
			want: []Channel{{Release: "10", Name: "os", Version: 3, PublishedVersion: 2, Builds: 4}},
		},
		{
			name:   "channel",
			answer: `{"channel":{"release":"10","name":"os"},"builds":["a-1-1"],"versions":[{"version":1,"created_by":"admin","change":"added a-1-1"}],"repo_url":"http://x/repo/10/os/"}`,
			call:   func(c *Client) (any, error) { return c.Channel(ctx, "10", "os") },
			method: "GET", path: "/api/v1/releases/10/channels/os",
			want: &ChannelInfo{Channel: Channel{Release: "10", Name: "os"}, Builds: []string{"a-1-1"},
				Versions: []ChannelVersion{{Version: 1, CreatedBy: "admin", Change: "added a-1-1"}}, RepoURL: "http://x/repo/10/os/"},
		},
		{
			name:   "create channel",
			answer: `{"release":"10","name":"extras","description":"More","arches":["x86_64"],"enabled":false}`,
			call: func(c *Client) (any, error) {
				return c.CreateChannel(ctx, "10", "extras", ChannelOptions{Description: "More", Disabled: true, Arches: []string{"x86_64"}})
			},
			method: "POST", path: "/api/v1/releases/10/channels", body: `{"name":"extras","description":"More","enabled":false,"arches":["x86_64"]}`,
			want:     &Channel{Release: "10", Name: "extras", Description: "More", Arches: []string{"x86_64"}},
			wantAuth: true,
		},
		{
			name:   "create channel with defaults",
			answer: `{"release":"10","name":"extras","enabled":true}`,
			call:   func(c *Client) (any, error) { return c.CreateChannel(ctx, "10", "extras", ChannelOptions{}) },
			method: "POST", path: "/api/v1/releases/10/channels", body: `{"name":"extras","enabled":true}`,
			want:     &Channel{Release: "10", Name: "extras", Enabled: true},
			wantAuth: true,
		},
		{
			name:   "add builds",
			answer: `{"version":2,"created_by":"admin","change":"added a-1-1, added b-2-1"}`,
			call:   func(c *Client) (any, error) { return c.AddBuilds(ctx, "10", "os", "a-1-1", "b-2-1") },
			method: "POST", path: "/api/v1/releases/10/channels/os/builds", body: `{"builds":["a-1-1","b-2-1"]}`,
			want:     &ChannelVersion{Version: 2, CreatedBy: "admin", Change: "added a-1-1, added b-2-1"},
			wantAuth: true,
		},
		{
			name:   "remove build",
			answer: `{"version":3,"change":"removed a-1-1"}`,
			call:   func(c *Client) (any, error) { return c.RemoveBuild(ctx, "10", "os", "a-1-1") },
			method: "DELETE", path: "/api/v1/releases/10/channels/os/builds/a-1-1",
			want:     &ChannelVersion{Version: 3, Change: "removed a-1-1"},
			wantAuth: true,
		},
		{
			name:   "publish",
			answer: `{"release":"10","channel":"os","version":2,"repos":{"source":{"packages":1,"revision":9,"primary_checksum":"ff"},"x86_64":{"packages":3}},"seconds":0.25}`,
			call:   func(c *Client) (any, error) { return c.Publish(ctx, "10", "os", 2) },
			method: "POST", path: "/api/v1/releases/10/channels/os/publish", body: `{"version":2}`,
			want: &PublishResult{Release: "10", Channel: "os", Version: 2, Seconds: 0.25, Repos: map[string]Repo{
				"source": {Packages: 1, Revision: 9, PrimaryChecksum: "ff"}, "x86_64": {Packages: 3}}},
			wantAuth: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := fakeServer(t, http.StatusOK, "", tt.answer)
			got, err := tt.call(newClient(t, srv.URL+"/", "tok-1"))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("answer decoded as\n%#v\nwant\n%#v", got, tt.want)
			}
			if rec.method != tt.method || rec.path != tt.path || rec.rawQuery != tt.query {
				t.Errorf("request %s %s?%s, want %s %s?%s", rec.method, rec.path, rec.rawQuery, tt.method, tt.path, tt.query)
			}
			if rec.auth != "Bearer tok-1" {
				t.Errorf("Authorization %q, want the token", rec.auth)
			}
			if tt.body == "" {
				if rec.body != "" {
					t.Errorf("request body %q, want none", rec.body)
				}
				return
			}
			if rec.contentType != "application/json" {
				t.Errorf("Content-Type %q, want application/json", rec.contentType)
			}
			var gotBody, wantBody any
			if err := json.Unmarshal([]byte(rec.body), &gotBody); err != nil {
				t.Fatalf("request body %q: %v", rec.body, err)
			}
			json.Unmarshal([]byte(tt.body), &wantBody)
			if !reflect.DeepEqual(gotBody, wantBody) {
				t.Errorf("request body %s, want %s", rec.body, tt.body)
			}
		})
	}
}

func TestNoTokenNoAuthorization(t *testing.T) {
	srv, rec := fakeServer(t, http.StatusOK, "", `{"releases":[]}`)
	if _, err := newClient(t, srv.URL, "").Releases(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec.auth != "" {
		t.Errorf("Authorization %q sent without a token", rec.auth)
	}
}

func TestUpload(t *testing.T) {
	const answer = `{"created":true,"package":{"sha256":"ab","name":"x","version":"1","release":"2","arch":"noarch","build":"x-1-2"}}`
	tests := []struct {
		name        string
		size        int64
		body        string
		wantLength  int64
		wantChunked bool
		wantExpect  string
	}{
		{name: "known size", size: 11, body: "hello world", wantLength: 11, wantExpect: "100-continue"},
		{name: "unknown size is chunked", size: -1, body: "hello world", wantLength: -1, wantChunked: true, wantExpect: "100-continue"},
		{name: "empty", size: 0, body: "", wantLength: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := fakeServer(t, http.StatusCreated, "", answer)
			// A plain io.Reader, so that net/http cannot learn the size by itself.
			r := struct{ io.Reader }{strings.NewReader(tt.body)}
			res, err := newClient(t, srv.URL, "tok").Upload(context.Background(), "x 1.rpm", r, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Created || res.Package.NEVRA() != "x-1-2.noarch" || res.Package.Build != "x-1-2" {
				t.Errorf("result %+v", res)
			}
			if rec.method != "POST" || rec.path != "/api/v1/packages" || rec.rawQuery != "filename=x+1.rpm" {
				t.Errorf("request %s %s?%s", rec.method, rec.path, rec.rawQuery)
			}
			if rec.contentType != "application/x-rpm" || rec.auth != "Bearer tok" {
				t.Errorf("Content-Type %q, Authorization %q", rec.contentType, rec.auth)
			}
			if rec.contentLength != tt.wantLength || rec.chunked != tt.wantChunked || rec.expect != tt.wantExpect {
				t.Errorf("Content-Length %d chunked %v Expect %q, want %d %v %q",
					rec.contentLength, rec.chunked, rec.expect, tt.wantLength, tt.wantChunked, tt.wantExpect)
			}
			if rec.body != tt.body {
				t.Errorf("server received %q, want %q", rec.body, tt.body)
			}
		})
	}
}

func TestUploadReadErrors(t *testing.T) {
	srv, _ := fakeServer(t, http.StatusCreated, "", `{"created":true,"package":{}}`)
	c := newClient(t, srv.URL, "tok")
	boom := errors.New("disk on fire")
	_, err := c.Upload(context.Background(), "a.rpm", iotest.ErrReader(boom), 100)
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "reading a.rpm: ") {
		t.Errorf("read failure gave %v, want reading a.rpm: disk on fire", err)
	}
	_, err = c.Upload(context.Background(), "b.rpm", struct{ io.Reader }{strings.NewReader("short")}, 100)
	if err == nil || !strings.Contains(err.Error(), "the file has 5 bytes, not the 100 announced") {
		t.Errorf("short file gave %v", err)
	}
	_, err = c.UploadFile(context.Background(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Errorf("uploading a folder gave %v", err)
	}
}

// TestAPIErrors checks that refusals come back as *APIError with the
// server's words, whatever the body looks like.
func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantMessage string
	}{
		{"json error", 401, "", `{"error":"the API token is unknown or revoked"}` + "\n",
			"the API token is unknown or revoked"},
		{"not found", 404, "", `{"error":"there is no channel 10/nope"}`, "there is no channel 10/nope"},
		{"conflict", 409, "", `{"error":"channel 10/os is being published right now; try again in a moment"}`,
			"channel 10/os is being published right now; try again in a moment"},
		{"plain text", 404, "text/plain; charset=utf-8", "10/os/x86_64 has no repodata/repomd.xml\nmore\n",
			"10/os/x86_64 has no repodata/repomd.xml"},
		{"html page of a proxy", 502, "text/html", "<html><body>Bad Gateway</body></html>",
			"the server answered Bad Gateway without saying why"},
		{"empty body", 500, "", "", "the server answered Internal Server Error without saying why"},
		{"json without error", 400, "", `{"detail":"x"}`, "the server answered Bad Request without saying why"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakeServer(t, tt.status, tt.contentType, tt.body)
			err := newClient(t, srv.URL, "t").Healthz(context.Background())
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T), want *APIError", err, err)
			}
			if ae.Status != tt.status || ae.Message != tt.wantMessage {
				t.Errorf("APIError{%d, %q}, want {%d, %q}", ae.Status, ae.Message, tt.status, tt.wantMessage)
			}
			if want := tt.wantMessage + " (HTTP " + strconv.Itoa(tt.status) + ")"; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestNotJSON(t *testing.T) {
	srv, _ := fakeServer(t, http.StatusOK, "text/html", "<html>hello</html>")
	_, err := newClient(t, srv.URL, "").Releases(context.Background())
	if err == nil || !strings.Contains(err.Error(), "is not the JSON expected (is it a smeforge server?)") {
		t.Errorf("HTML answer gave %v", err)
	}
}

func TestCannotReach(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := newClient(t, url, "").Releases(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "cannot reach smeforge at "+url+": ") {
		t.Errorf("closed server gave %v", err)
	}
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("closed server gave %v, which is not ErrUnreachable", err)
	}
	var ae *APIError
	if errors.As(err, &ae) {
		t.Errorf("a connection failure is not an APIError: %v", err)
	}
}

func TestInterrupted(t *testing.T) {
	srv, _ := fakeServer(t, http.StatusOK, "", `{"releases":[]}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newClient(t, srv.URL, "").Releases(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "GET /api/v1/releases was interrupted") {
		t.Errorf("cancelled call gave %v", err)
	}
}

func TestNewRefusesBadAddresses(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://x", "http://", "http://x/?a=b", "http://u:p@x", "http://x/#f"} {
		if _, err := New(u, ""); err == nil {
			t.Errorf("New(%q) accepted the address", u)
		}
	}
	c, err := New(" https://forge.example.org/sub/ ", "")
	if err != nil || c.BaseURL() != "https://forge.example.org/sub" {
		t.Errorf("New kept %q, %v", c.BaseURL(), err)
	}
}
