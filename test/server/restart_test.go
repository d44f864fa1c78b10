//go:build integration

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/client"
	"github.com/smeserver/smeforge/internal/corpus"
)

// TestRestartKeepsData stops a server that holds a published channel and
// starts another on the same data folder: the packages, the builds and the
// published repositories are still served, byte for byte, and the first
// admin token still works: no new one was written.
func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	requireDNF(t)
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	s := startServer(t, data)
	ctx := context.Background()
	admin := s.client(t, true)

	demo, err := corpus.Demo(filepath.Join(tmp, "demo"))
	if err != nil {
		t.Fatal(err)
	}
	builds := map[string]bool{}
	var binaries []string
	for _, p := range demo {
		res, err := admin.UploadFile(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		builds[res.Package.Build] = true
		if !res.Package.Source {
			binaries = append(binaries, p)
		}
	}
	if _, err := admin.CreateRelease(ctx, "10", "Rocky Linux 8", nil); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for b := range builds {
		ids = append(ids, b)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if _, err := admin.SetBuildCategory(ctx, id, "core"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.AddBuilds(ctx, "10", "os", ids...); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatal(err)
	}
	// A later version that is not published: the restart must not
	// publish it either.
	if _, err := admin.RemoveBuild(ctx, "10", "os", ids[0]); err != nil {
		t.Fatal(err)
	}

	tokenPath := filepath.Join(data, "admin-token")
	tokenBefore, err := os.ReadFile(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	stBefore, err := os.Stat(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		packages, builds, channel, repomdBin, repomdSrc, repoFile string
	}
	capture := func(s *server) state {
		t.Helper()
		// Drop what depends on the server's address.
		repoFile := strings.ReplaceAll(string(s.get(t, "/repo/10.repo")), s.url, "BASE")
		ch := string(s.get(t, "/api/v1/releases/10/channels/os"))
		return state{
			packages:  string(s.get(t, "/api/v1/packages?limit=1000")),
			builds:    string(s.get(t, "/api/v1/builds?limit=1000")),
			channel:   strings.ReplaceAll(ch, s.url, "BASE"),
			repomdBin: string(s.get(t, "/repo/10/os/x86_64/repodata/repomd.xml")),
			repomdSrc: string(s.get(t, "/repo/10/os/source/repodata/repomd.xml")),
			repoFile:  repoFile,
		}
	}
	before := capture(s)
	pkgPath := "/repo/10/os/x86_64/Packages/" + filepath.Base(binaries[len(binaries)-1])
	pkgBefore := s.get(t, pkgPath)

	// Stop the server while an upload is half sent: it must stop taking
	// new requests, finish that one, and then exit 0.
	inflight := simpleBuild(t, filepath.Join(tmp, "inflight"), "rs-inflight", "1.0", "1", "rs-inflight")[1]
	inflightSHA := gracefulUpload(t, s, inflight)
	if t.Failed() {
		t.FailNow()
	}
	if r, err := s.tryRequest(http.MethodGet, "/healthz", "", nil); err == nil {
		t.Fatalf("the stopped server still answers: %d", r.status)
	}

	s2 := startServer(t, data)
	tokenAfter, err := os.ReadFile(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	stAfter, err := os.Stat(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tokenAfter, tokenBefore) || !stAfter.ModTime().Equal(stBefore.ModTime()) {
		t.Errorf("the restart wrote a new admin-token (before %s, %v; after %s, %v)",
			stBefore.ModTime(), len(tokenBefore), stAfter.ModTime(), len(tokenAfter))
	}
	if m, err := filepath.Glob(filepath.Join(data, "admin-token*")); err != nil || len(m) != 1 {
		t.Errorf("token files in the data folder: %q", m)
	}

	after := capture(s2)
	// What the catalog held, and the package uploaded during shutdown.
	var pb, pa client.PackageList
	if err := json.Unmarshal([]byte(before.packages), &pb); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(after.packages), &pa); err != nil {
		t.Fatal(err)
	}
	var shaBefore, shaAfter []string
	for _, p := range pb.Packages {
		shaBefore = append(shaBefore, p.SHA256+" "+p.NEVRA()+" "+p.Build)
	}
	for _, p := range pa.Packages {
		shaAfter = append(shaAfter, p.SHA256+" "+p.NEVRA()+" "+p.Build)
	}
	want := append(shaBefore, inflightSHA+" rs-inflight-1.0-1.noarch rs-inflight-1.0-1")
	if d := diffSets(shaAfter, want); d != "" || pa.Total != pb.Total+1 {
		t.Errorf("packages after the restart (total %d, before %d): %s", pa.Total, pb.Total, d)
	}
	if got := s2.get(t, "/api/v1/packages/"+inflightSHA); !bytes.Contains(got, []byte("rs-inflight")) {
		t.Errorf("GET /api/v1/packages/%s after the restart: %s", inflightSHA, got)
	}
	for _, c := range []struct{ what, before, after string }{
		{"GET /api/v1/releases/10/channels/os", before.channel, after.channel},
		{"x86_64 repomd.xml", before.repomdBin, after.repomdBin},
		{"source repomd.xml", before.repomdSrc, after.repomdSrc},
		{"/repo/10.repo", before.repoFile, after.repoFile},
	} {
		if c.before != c.after {
			t.Errorf("%s differs after the restart:\nbefore: %s\nafter:  %s", c.what, firstLines(c.before, 20), firstLines(c.after, 20))
		}
	}
	if got := s2.get(t, pkgPath); !bytes.Equal(got, pkgBefore) {
		t.Errorf("GET %s: other bytes after the restart", pkgPath)
	}
	for _, base := range []string{"/repo/10/os/x86_64/", "/repo/10/os/source/"} {
		if _, err := checkRepoSnapshot(s2, base); err != nil {
			t.Errorf("after the restart: %v", err)
		}
	}
	got := sortedLines(dnf(t, filepath.Join(tmp, "cache"), append(repoFromPath("sme10os", s2.url+"/repo/10/os/x86_64/"),
		"repoquery", "--available", "--qf", nevraQF+"\n")...))
	if d := diffSets(got, rpmNEVRAs(t, binaries)); d != "" {
		t.Errorf("dnf repoquery after the restart: %s", d)
	}

	// The first token still works, for a change too; a wrong one does not.
	a2, err := client.New(s2.url, strings.TrimSpace(string(tokenBefore)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a2.Publish(ctx, "10", "os", 0); err != nil {
		t.Errorf("publishing with the first admin token after the restart: %v", err)
	}
	if r := s2.request(t, http.MethodPost, "/api/v1/releases/10/channels/os/publish", "smf_wrong", nil); r.status != http.StatusUnauthorized {
		t.Errorf("publishing with a wrong token after the restart: %d, want 401", r.status)
	}
	ci, err := a2.Channel(ctx, "10", "os")
	if err != nil {
		t.Fatal(err)
	}
	if ci.Channel.PublishedVersion != ci.Channel.Version || slices.Contains(ci.Builds, ids[0]) {
		t.Errorf("after publishing the latest version: published %d of %d, builds %q", ci.Channel.PublishedVersion, ci.Channel.Version, ci.Builds)
	}
	s2.stop(t)
}

// gracefulUpload starts uploading file, sends the server SIGINT when half
// of it is sent, waits until the server takes no new requests, sends the
// rest and checks that the upload succeeded (201) and the server then
// exited 0. It returns the package's sha256.
func gracefulUpload(t *testing.T, s *server, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/packages?filename="+filepath.Base(file), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(b))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/x-rpm")
	// The client sends the body only once the server's handler has begun
	// reading it ("100 Continue"): the first half has then reached the
	// handler, not only the listen queue of a server yet to accept it.
	req.Header.Set("Expect", "100-continue")
	type answer struct {
		r   response
		err error
	}
	answers := make(chan answer, 1)
	go func() {
		// Its own connection: the server closes idle ones as it stops.
		hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			DisableKeepAlives: true, ExpectContinueTimeout: 30 * time.Second,
		}}
		resp, err := hc.Do(req)
		if err != nil {
			answers <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		answers <- answer{response{resp.StatusCode, resp.Header, body}, err}
	}()
	if _, err := pw.Write(b[:len(b)/2]); err != nil {
		t.Fatal(err)
	}
	s.interrupt(t)
	// Shutdown has begun once new connections are refused.
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := probe.Get(s.url + "/healthz")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the server still takes new requests 10 s after SIGINT")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-s.done:
		t.Fatalf("the server exited with an upload in flight (%v)", s.waitErr)
	default:
	}
	if _, err := pw.Write(b[len(b)/2:]); err != nil {
		t.Fatalf("sending the rest of the upload after SIGINT: %v", err)
	}
	pw.Close()
	a := <-answers
	if a.err != nil {
		t.Fatalf("the upload in flight at SIGINT failed: %v", a.err)
	}
	if a.r.status != http.StatusCreated {
		t.Fatalf("the upload in flight at SIGINT: %d %s, want 201", a.r.status, a.r.body)
	}
	var res client.UploadResult
	if err := json.Unmarshal(a.r.body, &res); err != nil {
		t.Fatal(err)
	}
	s.wait(t)
	return res.Package.SHA256
}
