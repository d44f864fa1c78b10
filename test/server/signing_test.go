//go:build integration

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/client"
	"github.com/smeserver/smeforge/internal/sign"
	"github.com/smeserver/smeforge/internal/testutil"
)

// requireSigningTools skips (or, under CI, fails) a test that needs rpm's
// and gpg's tools, and root for dnf --installroot.
func requireSigningTools(t *testing.T) {
	t.Helper()
	requireDNF(t)
	testutil.RequireTool(t, "rpmkeys")
	testutil.RequireTool(t, "gpg")
	if os.Geteuid() != 0 {
		if testutil.InCI() {
			t.Fatal("dnf install into an installroot needs root under CI")
		}
		t.Skip("skipping: dnf install into an installroot needs root")
	}
}

// signedBuild is a core build uploaded to a server: one binary and its
// SRPM.
type signedBuild struct {
	id       string
	name     string // the binary's name
	filename string // the binary's file name
	sha256   string // the binary's identity
}

// uploadCore writes a small build (a binary with one text file and no
// dependencies, and its SRPM) and uploads it as category core.
func uploadCore(t *testing.T, s *server, dir, name string) signedBuild {
	t.Helper()
	ctx := context.Background()
	admin := s.client(t, true)
	files := simpleBuild(t, dir, name, "1.0", "1", name)
	var b signedBuild
	for i, f := range files {
		res, err := admin.UploadFileAs(ctx, f, "core")
		if err != nil {
			t.Fatalf("uploading %s as core: %v", filepath.Base(f), err)
		}
		if !res.Created || res.Package.Category != "core" {
			t.Errorf("uploading %s as core: created=%v category %q", filepath.Base(f), res.Created, res.Package.Category)
		}
		if i == 1 {
			b = signedBuild{id: res.Package.Build, name: name, filename: res.Package.Filename, sha256: res.Package.SHA256}
		}
	}
	return b
}

// fileSHA256 is the file a server serves for a package: its signed copy.
func fileSHA256(t *testing.T, s *server, sha string) (file, keyID string) {
	t.Helper()
	var out struct {
		Package struct {
			FileSHA256 string `json:"file_sha256"`
			SigKeyID   string `json:"signature_key_id"`
		} `json:"package"`
	}
	s.getJSON(t, "/api/v1/packages/"+sha, &out)
	return out.Package.FileSHA256, out.Package.SigKeyID
}

// keysOf is GET /api/v1/keys.
func keysOf(t *testing.T, s *server) (string, []client.SigningKey) {
	t.Helper()
	active, keys, err := s.client(t, false).Keys(context.Background())
	if err != nil {
		t.Fatalf("GET /api/v1/keys: %v", err)
	}
	return active, keys
}

// saveKey fetches /keys/<id>.asc into dir and returns the file.
func saveKey(t *testing.T, s *server, dir, id string) string {
	t.Helper()
	p := filepath.Join(dir, id+".asc")
	body := s.get(t, "/keys/"+id+".asc")
	if !bytes.Contains(body, []byte("BEGIN PGP PUBLIC KEY BLOCK")) {
		t.Fatalf("GET /keys/%s.asc: not an armored public key:\n%s", id, firstLines(string(body), 3))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// saveFile writes data to dir/name and returns the path.
func saveFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checksig runs `rpmkeys --checksig` on file against a new rpm database
// holding only keys, and reports whether rpm says "signatures OK" (a
// package that is not signed gets "digests OK", and exit status 0).
func checksig(t *testing.T, file string, keys ...string) (bool, string) {
	t.Helper()
	db := t.TempDir()
	for _, k := range keys {
		mustRun(t, "rpmkeys", "--dbpath", db, "--import", k)
	}
	r, err := run("rpmkeys", "--checksig", "--dbpath", db, file)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSpace(r.stdout + r.stderr)
	return r.code == 0 && strings.Contains(out, "signatures OK"), out
}

// repoSections reads a .repo file into its sections.
func repoSections(repo string) map[string]map[string]string {
	out := map[string]map[string]string{}
	var cur map[string]string
	for _, l := range strings.Split(repo, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			cur = map[string]string{}
			out[l[1:len(l)-1]] = cur
		case cur != nil:
			if k, v, ok := strings.Cut(l, "="); ok {
				cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	return out
}

// checkRepoFile checks the gpg settings of /repo/10.repo: os and updates
// check packages and metadata against exactly the keys served, contributed
// channels only the metadata. It saves the file in a new reposdir and
// returns that folder.
func checkRepoFile(t *testing.T, s *server, dir string, keyIDs ...string) string {
	t.Helper()
	body := s.get(t, "/repo/10.repo")
	secs := repoSections(string(body))
	var urls []string
	for _, id := range keyIDs {
		urls = append(urls, s.url+"/keys/"+id+".asc")
	}
	for _, tt := range []struct {
		section, gpgcheck string
	}{
		{"smeos", "1"}, {"smeos-source", "1"}, {"smeupdates", "1"},
		{"smeaddons", "0"}, {"smedev", "0"}, {"smetest", "0"},
	} {
		sec := secs[tt.section]
		if sec == nil {
			t.Errorf("/repo/10.repo has no [%s]:\n%s", tt.section, body)
			continue
		}
		if sec["gpgcheck"] != tt.gpgcheck || sec["repo_gpgcheck"] != "1" {
			t.Errorf("/repo/10.repo [%s]: gpgcheck=%q repo_gpgcheck=%q; want %s and 1", tt.section, sec["gpgcheck"], sec["repo_gpgcheck"], tt.gpgcheck)
		}
		got := strings.Fields(sec["gpgkey"])
		if strings.Join(sortedCopy(got), " ") != strings.Join(sortedCopy(urls), " ") {
			t.Errorf("/repo/10.repo [%s]: gpgkey=%q; want the keys served, %q", tt.section, got, urls)
		}
	}
	reposdir := filepath.Join(dir, "yum.repos.d")
	saveFile(t, reposdir, "smeforge-10.repo", body)
	return reposdir
}

func sortedCopy(s []string) []string {
	return sortedLines(strings.Join(s, "\n"))
}

// dnfInstall installs name from the smeos repository of the .repo files in
// reposdir into a new root, with a new cache, with the gpg checks the
// .repo file asks for; -y accepts the forge's keys. It returns dnf's
// output and whether rpm then finds the package in the root.
func dnfInstall(t *testing.T, dir, reposdir, repo, name string) (string, bool) {
	t.Helper()
	root, cache := filepath.Join(dir, "root"), filepath.Join(dir, "cache")
	r, err := run("dnf", "-y", "--noplugins", "--releasever=1", "--setopt=reposdir="+reposdir,
		"--setopt=cachedir="+cache, "--setopt=install_weak_deps=0", "--setopt=tsflags=nodocs",
		"--installroot="+root, "--repo="+repo, "install", name)
	if err != nil {
		t.Fatal(err)
	}
	out := r.stdout + r.stderr
	q, err := run("rpm", "--root", root, "-q", name)
	if err != nil {
		t.Fatal(err)
	}
	return out + "\n(dnf exit " + strconv.Itoa(r.code) + ")", q.code == 0 && strings.HasPrefix(q.stdout, name+"-1.0-1")
}

// verifyRepomd fetches repomd.xml and repomd.xml.asc of a repository and
// returns the key that signed it, checked against the keys.
func verifyRepomd(t *testing.T, s *server, base string, keys ...string) (string, error) {
	t.Helper()
	md := s.get(t, base+"repodata/repomd.xml")
	asc := s.get(t, base+"repodata/repomd.xml.asc")
	kr, err := sign.LoadKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return sign.VerifyDetached(md, asc, kr)
}

var dnfSigError = regexp.MustCompile(`(?i)GPG signature verification error|bad GPG signature|signature.*(bad|fail|invalid|not ok)|gpg check failed|public key .*not installed|does not match checksum|checksum doesn't match|damaged|Cannot download|Failed to download`)

// TestSignedRepositories runs the forge's signing end to end with an
// EdDSA project key: core builds are signed at upload, rpm verifies what
// os serves against the forge's key, dnf installs from the .repo file
// with gpgcheck and repo_gpgcheck and refuses altered metadata or an
// altered package; a rotation re-signs everything with a new key; a final
// release's frozen os keeps serving its files byte for byte.
func TestSignedRepositories(t *testing.T) {
	t.Parallel()
	requireSigningTools(t)
	ctx := context.Background()
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	s := startServer(t, data, "--key-type", "eddsa")
	admin := s.client(t, true)

	key1, keys := keysOf(t, s)
	if len(keys) != 1 || keys[0].KeyID != key1 || !keys[0].Active || !strings.HasPrefix(keys[0].Algorithm, "EdDSA") {
		t.Fatalf("GET /api/v1/keys on a new forge started with --key-type eddsa: active %s, keys %+v", key1, keys)
	}
	if fi, err := os.Stat(filepath.Join(data, "keys", key1, "private.asc")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("DATA/keys/%s/private.asc: %v, %v; want mode 600", key1, fi, err)
	}
	if b, err := os.ReadFile(filepath.Join(data, "keys", "active")); err != nil || strings.TrimSpace(string(b)) != key1 {
		t.Errorf("DATA/keys/active: %q, %v; want %s", b, err, key1)
	}
	if all := s.get(t, "/keys/RPM-GPG-KEY-smeforge"); !bytes.Equal(all, s.get(t, "/keys/"+key1+".asc")) {
		t.Errorf("/keys/RPM-GPG-KEY-smeforge is not the one key served")
	}

	hello := uploadCore(t, s, filepath.Join(tmp, "rpms"), "sig-hello")
	upd := uploadCore(t, s, filepath.Join(tmp, "rpms"), "sig-upd")
	for _, b := range []signedBuild{hello, upd} {
		build, err := admin.Build(ctx, b.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(build.Artifacts) != 2 {
			t.Fatalf("build %s has %d files, want the binary and the SRPM", b.id, len(build.Artifacts))
		}
		for _, a := range build.Artifacts {
			file, kid := fileSHA256(t, s, a.SHA256)
			if kid != key1 || file == a.SHA256 || len(file) != 64 {
				t.Errorf("%s uploaded as core: served file %s signed by %q; want a signed copy by %s", a.Filename, file, kid, key1)
			}
		}
	}

	if _, err := admin.CreateRelease(ctx, "10", "Rocky Linux 8", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddBuilds(ctx, "10", "os", hello.id); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatalf("publishing 10/os with a signed core build: %v", err)
	}
	if _, err := admin.AddBuilds(ctx, "10", "updates", upd.id); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Publish(ctx, "10", "updates", 0); err != nil {
		t.Fatalf("publishing 10/updates with a signed core build: %v", err)
	}
	keysDir := filepath.Join(tmp, "keys")
	key1File := saveKey(t, s, keysDir, key1)
	for _, base := range []string{"/repo/10/os/x86_64/", "/repo/10/os/source/", "/repo/10/updates/x86_64/", "/repo/10/addons/x86_64/"} {
		if id, err := verifyRepomd(t, s, base, key1File); err != nil || id != key1 {
			t.Errorf("%srepodata/repomd.xml.asc: %q, %v; want a good signature by %s", base, id, err, key1)
		}
	}

	osPkg := "/repo/10/os/x86_64/Packages/" + hello.filename
	updPkg := "/repo/10/updates/x86_64/Packages/" + upd.filename
	pkgs := filepath.Join(tmp, "served")

	t.Run("rpmkeys", func(t *testing.T) {
		f := saveFile(t, pkgs, "os-key1.rpm", s.get(t, osPkg))
		if ok, out := checksig(t, f, key1File); !ok {
			t.Errorf("rpmkeys --checksig %s with the forge's key: %s", osPkg, out)
		}
		if ok, out := checksig(t, f); ok {
			t.Errorf("rpmkeys --checksig %s with no key imported says %q; the check above proves nothing", osPkg, out)
		}
		src := saveFile(t, pkgs, "os-src-key1.rpm", s.get(t, "/repo/10/os/source/Packages/sig-hello-1.0-1.src.rpm"))
		if ok, out := checksig(t, src, key1File); !ok {
			t.Errorf("rpmkeys --checksig of the SRPM served by 10/os: %s", out)
		}
	})

	t.Run("dnf installs", func(t *testing.T) {
		reposdir := checkRepoFile(t, s, filepath.Join(tmp, "repofile1"), key1)
		out, ok := dnfInstall(t, filepath.Join(tmp, "install1"), reposdir, "smeos", hello.name)
		if !ok {
			t.Fatalf("dnf install %s from /repo/10.repo (gpgcheck=1, repo_gpgcheck=1) did not install it:\n%s", hello.name, out)
		}
		out, ok = dnfInstall(t, filepath.Join(tmp, "install1-upd"), reposdir, "smeupdates", upd.name)
		if !ok {
			t.Errorf("dnf install %s from smeupdates did not install it:\n%s", upd.name, out)
		}
	})

	t.Run("altered repomd.xml", func(t *testing.T) {
		path := filepath.Join(data, "repos", "10", "os", "x86_64", "repodata", "repomd.xml")
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(path, orig, 0o644)
		at := bytes.Index(orig, []byte("<revision>")) + len("<revision>")
		if at < len("<revision>") || orig[at] < '0' || orig[at] > '9' {
			t.Fatalf("repomd.xml has no <revision> digit to change:\n%s", orig)
		}
		altered := bytes.Clone(orig)
		altered[at] = '0' + (altered[at]-'0'+1)%10
		if err := os.WriteFile(path, altered, 0o644); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.get(t, "/repo/10/os/x86_64/repodata/repomd.xml"), altered) {
			t.Fatal("the server does not serve the altered repomd.xml; the test proves nothing")
		}
		reposdir := checkRepoFile(t, s, filepath.Join(tmp, "repofile-md"), key1)
		out, ok := dnfInstall(t, filepath.Join(tmp, "install-md"), reposdir, "smeos", hello.name)
		if ok {
			t.Errorf("dnf installed %s from a repository whose repomd.xml fails its signature:\n%s", hello.name, out)
		}
		if !regexp.MustCompile(`(?i)repomd\.xml GPG signature verification error|bad GPG signature`).MatchString(out) {
			t.Errorf("dnf's output does not say repomd.xml's signature is bad:\n%s", out)
		}
		t.Logf("dnf on the altered repomd.xml:\n%s", lastLines(out, 3))
	})

	t.Run("altered package", func(t *testing.T) {
		file, _ := fileSHA256(t, s, hello.sha256)
		path := filepath.Join(data, "blobs", file[:2], file[2:4], file)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("the blob of the signed package: %v", err)
		}
		if !bytes.Equal(orig, s.get(t, osPkg)) {
			t.Fatalf("%s is not what 10/os serves as %s", path, hello.filename)
		}
		fi, _ := os.Stat(path)
		defer func() {
			os.Chmod(path, 0o644)
			os.WriteFile(path, orig, 0o644)
			os.Chmod(path, fi.Mode().Perm())
		}()
		altered := bytes.Clone(orig)
		altered[len(altered)-100] ^= 0x01 // in the payload
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, altered, 0o644); err != nil {
			t.Fatal(err)
		}
		served := saveFile(t, pkgs, "os-altered.rpm", s.get(t, osPkg))
		if !bytes.Equal(altered, s.get(t, osPkg)) {
			t.Fatal("the server does not serve the altered package; the test proves nothing")
		}
		if ok, out := checksig(t, served, key1File); ok {
			t.Errorf("rpmkeys --checksig accepts the package altered in one byte:\n%s", out)
		}
		reposdir := checkRepoFile(t, s, filepath.Join(tmp, "repofile-pkg"), key1)
		out, ok := dnfInstall(t, filepath.Join(tmp, "install-pkg"), reposdir, "smeos", hello.name)
		if ok {
			t.Errorf("dnf installed %s altered in one byte:\n%s", hello.name, out)
		}
		if !dnfSigError.MatchString(out) {
			t.Errorf("dnf's output does not say the package is bad:\n%s", out)
		}
		t.Logf("dnf on the altered package:\n%s", lastLines(out, 4))
	})
	if t.Failed() {
		return
	}

	// (d) Rotation: a new key signs every signed build again, and the
	// published channels are republished with it.
	rot, err := admin.RotateKey(ctx, "eddsa")
	if err != nil {
		t.Fatalf("POST /api/v1/keys/rotate: %v", err)
	}
	key2 := rot.Rotation.NewKey
	if rot.Rotation.OldKey != key1 || key2 == "" || key2 == key1 {
		t.Fatalf("rotation: %+v; want old %s and a new key", rot.Rotation, key1)
	}
	if got := strings.Join(sortedCopy(rot.Rotation.Resigned), " "); got != strings.Join(sortedCopy([]string{hello.id, upd.id}), " ") {
		t.Errorf("rotation re-signed %q, want %s and %s", rot.Rotation.Resigned, hello.id, upd.id)
	}
	for _, c := range []string{"10/os", "10/updates"} {
		if !strings.Contains(" "+strings.Join(rot.Republished, " ")+" ", " "+c+" ") {
			t.Errorf("rotation republished %q, not %s", rot.Republished, c)
		}
	}
	active, keys := keysOf(t, s)
	if active != key2 || len(keys) != 2 {
		t.Errorf("GET /api/v1/keys after the rotation: active %s, %d keys; want %s and both keys", active, len(keys), key2)
	}
	key2File := saveKey(t, s, keysDir, key2)
	if all := s.get(t, "/keys/RPM-GPG-KEY-smeforge"); !bytes.Contains(all, s.get(t, "/keys/"+key1+".asc")) || !bytes.Contains(all, s.get(t, "/keys/"+key2+".asc")) {
		t.Errorf("/keys/RPM-GPG-KEY-smeforge after the rotation does not hold both keys")
	}
	osKey2 := s.get(t, osPkg)
	f := saveFile(t, pkgs, "os-key2.rpm", osKey2)
	if ok, out := checksig(t, f, key2File); !ok {
		t.Errorf("rpmkeys --checksig %s after the rotation, with only the new key: %s", osPkg, out)
	}
	if ok, out := checksig(t, f, key1File); ok {
		t.Errorf("rpmkeys --checksig %s after the rotation, with only the old key, says %q: not re-signed", osPkg, out)
	}
	if id, err := verifyRepomd(t, s, "/repo/10/os/x86_64/", key2File); err != nil || id != key2 {
		t.Errorf("10/os repomd.xml.asc after the rotation: %q, %v; want signed by %s", id, err, key2)
	}
	if _, err := checkRepoSnapshot(s, "/repo/10/os/x86_64/"); err != nil {
		t.Errorf("10/os after the rotation: %v", err)
	}
	reposdir := checkRepoFile(t, s, filepath.Join(tmp, "repofile2"), key1, key2)
	if out, ok := dnfInstall(t, filepath.Join(tmp, "install2"), reposdir, "smeos", hello.name); !ok {
		t.Errorf("dnf install from /repo/10.repo after the rotation (both keys listed):\n%s", out)
	}

	// Retiring: never the active key; the old one, which signs nothing
	// any more, is no longer served.
	apiError(t, "retiring the active key", s.request(t, http.MethodPost, "/api/v1/keys/"+key2+"/retire", s.token, nil), http.StatusConflict, key2, "active")
	if r := s.request(t, http.MethodPost, "/api/v1/keys/"+key1+"/retire", s.token, nil); r.status != http.StatusOK {
		t.Errorf("retiring the old key after the rotation: %d %s", r.status, r.body)
	}
	if _, keys := keysOf(t, s); len(keys) != 1 || keys[0].KeyID != key2 {
		t.Errorf("GET /api/v1/keys after retiring %s: %+v", key1, keys)
	}
	if r := s.request(t, http.MethodGet, "/keys/"+key1+".asc", "", nil); r.status != http.StatusNotFound {
		t.Errorf("GET /keys/%s.asc after retiring it: %d, want 404", key1, r.status)
	}
	checkRepoFile(t, s, filepath.Join(tmp, "repofile3"), key2)

	// (e) Final: os is frozen and keeps serving the same files.
	for _, p := range []string{"alpha", "beta", "rc", "final"} {
		if _, err := admin.SetPhase(ctx, "10", p); err != nil {
			t.Fatalf("release 10 to phase %s: %v", p, err)
		}
	}
	ch, err := admin.Channel(ctx, "10", "os")
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Channel.Frozen || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(ch.Channel.FrozenDigest) {
		t.Fatalf("10/os after final: frozen=%v frozen_digest=%q; want frozen with a 64-hex digest", ch.Channel.Frozen, ch.Channel.FrozenDigest)
	}
	digest := ch.Channel.FrozenDigest
	osMD := s.get(t, "/repo/10/os/x86_64/repodata/repomd.xml")
	osASC := s.get(t, "/repo/10/os/x86_64/repodata/repomd.xml.asc")
	osSrc := s.get(t, "/repo/10/os/source/Packages/sig-hello-1.0-1.src.rpm")
	if !bytes.Equal(s.get(t, osPkg), osKey2) {
		t.Errorf("freezing 10/os changed the package it serves")
	}
	updKey2 := s.get(t, updPkg)

	other := uploadCore(t, s, filepath.Join(tmp, "rpms"), "sig-late")
	body, _ := json.Marshal(map[string][]string{"builds": {other.id}})
	msg := apiError(t, "adding a build to the frozen 10/os", s.request(t, http.MethodPost, "/api/v1/releases/10/channels/os/builds", s.token, body), http.StatusConflict, "frozen")
	if len(strings.Fields(msg)) < 5 {
		t.Errorf("the refusal to add to a frozen channel is not a sentence: %q", msg)
	}
	apiError(t, "removing a build from the frozen 10/os", s.request(t, http.MethodDelete, "/api/v1/releases/10/channels/os/builds/"+hello.id, s.token, nil), http.StatusConflict, "frozen")
	apiError(t, "signing a build of the frozen 10/os", s.request(t, http.MethodPost, "/api/v1/builds/"+hello.id+"/sign", s.token, nil), http.StatusConflict, hello.id, "frozen")

	rot, err = admin.RotateKey(ctx, "eddsa")
	if err != nil {
		t.Fatalf("second rotation: %v", err)
	}
	key3 := rot.Rotation.NewKey
	key3File := saveKey(t, s, keysDir, key3)
	for _, r := range rot.Republished {
		if r == "10/os" {
			t.Errorf("the second rotation republished the frozen 10/os")
		}
	}
	if got := s.get(t, osPkg); !bytes.Equal(got, osKey2) {
		f := saveFile(t, pkgs, "os-after-freeze.rpm", got)
		_, out := checksig(t, f, key3File)
		t.Errorf("the frozen 10/os serves another %s after a rotation (%d bytes, was %d; rpmkeys with the newest key: %s)", hello.filename, len(got), len(osKey2), out)
	}
	if got := s.get(t, "/repo/10/os/source/Packages/sig-hello-1.0-1.src.rpm"); !bytes.Equal(got, osSrc) {
		t.Errorf("the frozen 10/os serves another SRPM after a rotation")
	}
	if !bytes.Equal(s.get(t, "/repo/10/os/x86_64/repodata/repomd.xml"), osMD) || !bytes.Equal(s.get(t, "/repo/10/os/x86_64/repodata/repomd.xml.asc"), osASC) {
		t.Errorf("the frozen 10/os serves another repomd.xml or repomd.xml.asc after a rotation")
	}
	if ch, err := admin.Channel(ctx, "10", "os"); err != nil || ch.Channel.FrozenDigest != digest || !ch.Channel.Frozen {
		t.Errorf("10/os after a rotation: %+v, %v; want still frozen with digest %s", ch, err, digest)
	}
	updKey3 := s.get(t, updPkg)
	if bytes.Equal(updKey3, updKey2) {
		t.Errorf("10/updates (not frozen) serves the same %s after the rotation: not re-signed", upd.filename)
	}
	fu := saveFile(t, pkgs, "upd-key3.rpm", updKey3)
	if ok, out := checksig(t, fu, key3File); !ok {
		t.Errorf("rpmkeys --checksig of 10/updates' %s with only the newest key: %s", upd.filename, out)
	}
	if id, err := verifyRepomd(t, s, "/repo/10/updates/x86_64/", key3File); err != nil || id != key3 {
		t.Errorf("10/updates repomd.xml.asc after the second rotation: %q, %v; want signed by %s", id, err, key3)
	}
	var apiErr *client.APIError
	if _, err := admin.SignBuild(ctx, hello.id); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		t.Errorf("client SignBuild of a build of the frozen 10/os: %v, want a 409", err)
	}

	// Servers keep installing from the frozen os: its packages and
	// metadata are signed by key2, which the .repo file still lists.
	reposdir = checkRepoFile(t, s, filepath.Join(tmp, "repofile4"), key2, key3)
	if out, ok := dnfInstall(t, filepath.Join(tmp, "install-frozen"), reposdir, "smeos", hello.name); !ok {
		t.Errorf("dnf install from the frozen 10/os with /repo/10.repo after the second rotation:\n%s", out)
	}

	// A base build keeps its vendor's signature.
	base := simpleBuild(t, filepath.Join(tmp, "base"), "sig-base", "1.0", "1", "sig-base")
	var baseID string
	for _, f := range base {
		res, err := admin.UploadFileAs(ctx, f, "base")
		if err != nil {
			t.Fatal(err)
		}
		baseID = res.Package.Build
		if res.Package.SignatureKeyID != "" {
			t.Errorf("%s uploaded as base was signed by %s", res.Package.Filename, res.Package.SignatureKeyID)
		}
	}
	apiError(t, "signing a base build", s.request(t, http.MethodPost, "/api/v1/builds/"+baseID+"/sign", s.token, nil), http.StatusConflict, baseID, "base")

	// The frozen os is signed by key2 (packages and metadata): servers
	// installed from it must keep trusting key2, so it may not be retired.
	r := s.request(t, http.MethodPost, "/api/v1/keys/"+key2+"/retire", s.token, nil)
	if r.status != http.StatusConflict {
		t.Errorf("POST /api/v1/keys/%s/retire while the frozen 10/os serves packages and repomd.xml.asc signed by it: %d %s; want 409", key2, r.status, strings.TrimSpace(string(r.body)))
		reposdir = filepath.Join(tmp, "repofile5", "yum.repos.d")
		saveFile(t, reposdir, "smeforge-10.repo", s.get(t, "/repo/10.repo"))
		if out, ok := dnfInstall(t, filepath.Join(tmp, "install-retired"), reposdir, "smeos", hello.name); !ok {
			t.Errorf("and with /repo/10.repo as it now is, dnf can no longer install from the frozen 10/os:\n%s", out)
		}
	}

	// A restart (with the default key type) keeps the keys.
	_, before := keysOf(t, s)
	s.stop(t)
	s = startServer(t, data)
	if active, after := keysOf(t, s); active != key3 || len(after) != len(before) {
		t.Errorf("after a restart: active key %s and %d keys; want %s and the %d keys served before", active, len(after), key3, len(before))
	}
}

// TestSignedRepositoriesRSA proves the default key, RSA 4096, end to end:
// rpm verifies a package served by os with it, gpg verifies repomd.xml.asc.
func TestSignedRepositoriesRSA(t *testing.T) {
	t.Parallel()
	requireSigningTools(t)
	ctx := context.Background()
	tmp := t.TempDir()
	s := startServer(t, filepath.Join(tmp, "data"))
	admin := s.client(t, true)
	key, keys := keysOf(t, s)
	if len(keys) != 1 || keys[0].Algorithm != "RSA/SHA256" {
		t.Fatalf("GET /api/v1/keys on a new forge with the default key type: %+v; want one RSA/SHA256 key", keys)
	}
	keyFile := saveKey(t, s, filepath.Join(tmp, "keys"), key)
	gnupg := filepath.Join(tmp, "gnupg")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	defer run("gpgconf", "--homedir", gnupg, "--kill", "all")
	colons := mustRun(t, "gpg", "--homedir", gnupg, "--batch", "--with-colons", "--show-keys", keyFile)
	bits := ""
	for _, l := range strings.Split(colons, "\n") {
		if f := strings.Split(l, ":"); len(f) > 4 && f[0] == "pub" {
			bits = f[2] + "/algo " + f[3]
			if !strings.HasSuffix(strings.ToLower(f[4]), key) {
				t.Errorf("gpg says the key's id is %s, the forge %s", f[4], key)
			}
		}
	}
	if bits != "4096/algo 1" {
		t.Errorf("gpg --show-keys: %q; want an RSA (algo 1) key of 4096 bits\n%s", bits, colons)
	}

	b := uploadCore(t, s, filepath.Join(tmp, "rpms"), "sig-rsa")
	if _, err := admin.CreateRelease(ctx, "10", "Rocky Linux 8", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddBuilds(ctx, "10", "os", b.id); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatal(err)
	}
	f := saveFile(t, filepath.Join(tmp, "served"), b.filename, s.get(t, "/repo/10/os/x86_64/Packages/"+b.filename))
	if ok, out := checksig(t, f, keyFile); !ok {
		t.Errorf("rpmkeys --checksig of the package os serves, with the forge's RSA key: %s", out)
	}
	if v := mustRun(t, "rpm", "-qp", "--nosignature", "--qf", "%{RSAHEADER:pgpsig}", f); !strings.Contains(v, "RSA/SHA256") || !strings.Contains(v, key) {
		t.Errorf("rpm says the package os serves is signed %q; want RSA/SHA256 by %s", v, key)
	}
	md := saveFile(t, filepath.Join(tmp, "md"), "repomd.xml", s.get(t, "/repo/10/os/x86_64/repodata/repomd.xml"))
	asc := saveFile(t, filepath.Join(tmp, "md"), "repomd.xml.asc", s.get(t, "/repo/10/os/x86_64/repodata/repomd.xml.asc"))
	mustRun(t, "gpg", "--homedir", gnupg, "--batch", "--import", keyFile)
	if r, err := run("gpg", "--homedir", gnupg, "--batch", "--verify", asc, md); err != nil || r.code != 0 || !strings.Contains(r.stderr, "Good signature") {
		t.Errorf("gpg --verify repomd.xml.asc of 10/os: %v, exit %d\n%s", err, r.code, r.stderr)
	}
	reposdir := checkRepoFile(t, s, tmp, key)
	if out, ok := dnfInstall(t, filepath.Join(tmp, "install"), reposdir, "smeos", b.name); !ok {
		t.Errorf("dnf install from /repo/10.repo signed with RSA 4096:\n%s", out)
	}
}
