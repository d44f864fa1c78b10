//go:build integration

// Package server tests smeforge as its users run it: the real binary,
// started with `smeforge serve` on a free port and a temporary data
// folder, driven by the command line, the public client package and plain
// HTTP, and read by Debian's dnf and rpm. Each test starts its own server
// and stops it with SIGINT, which must end it with exit status 0.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smeserver/smeforge/client"
	"github.com/smeserver/smeforge/internal/testutil"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// smeforgeBin builds cmd/smeforge once per test run, into a temp folder,
// and returns its path.
func smeforgeBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "smeforge-server-test-")
		if binErr != nil {
			return
		}
		binPath, binErr = testutil.BuildSmeforge(t, binDir)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// commandTimeout bounds every command a test runs (dnf, rpm, the CLI), so
// that a hang fails the test instead of stalling the run.
const commandTimeout = 60 * time.Second

// result is what a finished command left behind.
type result struct {
	stdout, stderr string
	code           int
}

// run runs a command and returns its output and exit status; a command
// that cannot start, or outlives commandTimeout, is an error.
func run(name string, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	// The tests say which server and token the command line uses.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SMEFORGE_TOKEN=") && !strings.HasPrefix(kv, "SMEFORGE_SERVER=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ctx.Err() != nil {
		return r, fmt.Errorf("%s %s: still running after %s\nstderr:\n%s", name, strings.Join(args, " "), commandTimeout, r.stderr)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		return r, fmt.Errorf("running %s %s: %v", name, strings.Join(args, " "), err)
	}
	return r, nil
}

// mustRun runs a command that must exit 0 and returns its stdout.
func mustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	r, err := run(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// lockedBuffer collects a server's output while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is one running `smeforge serve`.
type server struct {
	data  string // its --data folder
	url   string // http://127.0.0.1:PORT, no trailing slash
	token string // DATA/admin-token
	hc    *http.Client

	cmd     *exec.Cmd
	log     *lockedBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error
	stopped bool
}

var servingRe = regexp.MustCompile(`smeforge: serving (http://\S+) `)

// startServer runs `smeforge serve --data data --addr 127.0.0.1:0 extra...`,
// learns its port from the line it prints, and waits for /healthz. The
// server is stopped at the end of the test if the test did not stop it;
// when the test failed, the server's log is shown.
func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, extra...)
	s := &server{
		data: data, log: &lockedBuffer{}, done: make(chan struct{}),
		hc: &http.Client{Timeout: 30 * time.Second},
	}
	s.cmd = exec.Command(smeforgeBin(t), args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting smeforge serve: %v", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		if !s.stopped {
			s.stop(t)
		}
		if t.Failed() {
			t.Logf("log of smeforge %s (last 60 lines):\n%s", strings.Join(args, " "), lastLines(s.log.String(), 60))
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for s.url == "" {
		select {
		case <-s.done:
			s.stopped = true
			t.Fatalf("smeforge serve exited before serving (%v):\n%s", s.waitErr, s.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := servingRe.FindStringSubmatch(s.log.String()); m != nil {
			s.url = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("smeforge serve did not say where it serves within 30 s:\n%s", s.log.String())
		}
	}
	for {
		resp, err := s.hc.Get(s.url + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if strings.TrimSpace(string(body)) != "ok" {
					t.Errorf("GET /healthz: body %q, want ok", body)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s/healthz did not answer 200 within 30 s (last error %v)", s.url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tok, err := os.ReadFile(filepath.Join(data, "admin-token"))
	if err != nil {
		t.Fatalf("the server wrote no admin token: %v", err)
	}
	s.token = strings.TrimSpace(string(tok))
	return s
}

// stop sends SIGINT and waits for the server to finish its requests and
// exit; anything but exit status 0 within 35 s fails the test.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if s.stopped {
		return
	}
	s.interrupt(t)
	s.wait(t)
}

// interrupt sends SIGINT, as Ctrl-C does.
func (s *server) interrupt(t *testing.T) {
	t.Helper()
	s.stopped = true
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Errorf("sending SIGINT to smeforge serve: %v", err)
	}
}

// wait waits for the interrupted server to exit, which it must do with
// status 0 within 35 s.
func (s *server) wait(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(35 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		t.Errorf("smeforge serve did not exit within 35 s of SIGINT")
		return
	}
	if s.waitErr != nil {
		t.Errorf("smeforge serve did not shut down cleanly after SIGINT: %v", s.waitErr)
	}
	if !strings.Contains(s.log.String(), "msg=stopped") {
		t.Errorf("smeforge serve did not log that it stopped")
	}
}

// client returns an API client of the server: with the admin token when
// admin is true, anonymous otherwise.
func (s *server) client(t testing.TB, admin bool) *client.Client {
	t.Helper()
	tok := ""
	if admin {
		tok = s.token
	}
	c, err := client.New(s.url, tok)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cli runs the smeforge command line against the server with the admin
// token file.
func (s *server) cli(t testing.TB, args ...string) result {
	t.Helper()
	return s.cliAs(t, []string{"--token-file", filepath.Join(s.data, "admin-token")}, args...)
}

// cliAs runs the command line with tokenArgs instead of the token file:
// {"--token", "x"}, or nil for no token.
func (s *server) cliAs(t testing.TB, tokenArgs []string, args ...string) result {
	t.Helper()
	all := append(append(args, "--server", s.url), tokenArgs...)
	r, err := run(smeforgeBin(t), all...)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") {
			t.Errorf("smeforge %s: Go panic in the output:\n%s", strings.Join(args, " "), out)
		}
	}
	return r
}

// mustCLI runs the command line and fails the test unless it exits 0.
func (s *server) mustCLI(t testing.TB, args ...string) string {
	t.Helper()
	r := s.cli(t, args...)
	if r.code != 0 {
		t.Fatalf("smeforge %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// response is an HTTP answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request does one HTTP request against the server. path is sent as
// written (percent-escapes and dot segments included). headers are
// name, value pairs.
func (s *server) request(t testing.TB, method, path, token string, body []byte, headers ...string) response {
	t.Helper()
	r, err := s.tryRequest(method, path, token, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *server) tryRequest(method, path, token string, body []byte, headers ...string) (response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		return response{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// get fetches path and fails the test unless the answer is 200.
func (s *server) get(t testing.TB, path string) []byte {
	t.Helper()
	r := s.request(t, http.MethodGet, path, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, firstLines(string(r.body), 3))
	}
	return r.body
}

// getJSON fetches an API path into v.
func (s *server) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(s.get(t, path), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// apiError checks that r is a refusal with the given status, as JSON
// {"error": "..."} whose message contains each of words (case-insensitive),
// and returns the message.
func apiError(t testing.TB, what string, r response, status int, words ...string) string {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, r.status, status, firstLines(string(r.body), 3))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var e map[string]any
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Errorf("%s: the body is not JSON: %v\n%s", what, err, firstLines(string(r.body), 3))
		return ""
	}
	msg, _ := e["error"].(string)
	if len(e) != 1 || strings.TrimSpace(msg) == "" {
		t.Errorf(`%s: body %s, want {"error": "a message"}`, what, r.body)
		return msg
	}
	for _, w := range words {
		if !strings.Contains(strings.ToLower(msg), strings.ToLower(w)) {
			t.Errorf("%s: message %q does not mention %q", what, msg, w)
		}
	}
	return msg
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
