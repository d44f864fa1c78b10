//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/testutil"
	"github.com/smeserver/smeforge/internal/upstream"
)

// gpgRepoKey makes an Ed25519 key with gpg and returns a function that
// signs a file with it (file.asc, armored and detached, as a repository
// publisher signs repomd.xml), the armored public key's path and the key
// ID.
func gpgRepoKey(t *testing.T) (signFile func(string), pub, id string) {
	t.Helper()
	testutil.RequireTool(t, "gpg")
	tmp := t.TempDir()
	gnupg := filepath.Join(tmp, "gnupg")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run(t, nil, "gpgconf", "--homedir", gnupg, "--kill", "all") })
	gpg := func(args ...string) string {
		t.Helper()
		return mustRun(t, "gpg", append([]string{"--homedir", gnupg, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
	}
	uid := "Upstream Repository <repo@example.org>"
	gpg("--quick-gen-key", uid, "ed25519", "sign", "never")
	fpr := ""
	for l := range strings.SplitSeq(gpg("--with-colons", "--list-secret-keys", uid), "\n") {
		if strings.HasPrefix(l, "fpr:") && fpr == "" {
			fpr = strings.Split(l, ":")[9]
		}
	}
	if len(fpr) < 16 {
		t.Fatalf("no fingerprint for %s", uid)
	}
	pub = filepath.Join(tmp, "repo.asc")
	if err := os.WriteFile(pub, []byte(gpg("--armor", "--export", fpr)), 0o644); err != nil {
		t.Fatal(err)
	}
	return func(file string) {
		t.Helper()
		gpg("--yes", "--local-user", fpr, "--armor", "--detach-sign", "--output", file+".asc", file)
	}, pub, strings.ToLower(fpr[len(fpr)-16:])
}

// createrepoC makes a repository of the vendor-signed packages with
// createrepo_c (compression comp, checksum sum), adds rocky8-updateinfo.xml
// with modifyrepo_c, and signs repomd.xml with signFile. It returns the
// folder.
func createrepoC(t *testing.T, comp, sum string, signFile func(string)) string {
	t.Helper()
	testutil.RequireTool(t, "createrepo_c")
	testutil.RequireTool(t, "modifyrepo_c")
	dir := t.TempDir()
	copyInto(t, filepath.Join(dir, "Packages"), testutil.Glob(t, filepath.Join(testutil.SharedTestdata(t, "signed"), "*.rpm"))...)
	mustRun(t, "createrepo_c", "--quiet", "--no-database", "--general-compress-type="+comp, "--checksum="+sum, dir)
	ui := filepath.Join(t.TempDir(), "updateinfo.xml")
	copyFile(t, testutil.SharedTestdata(t, "advisories", "rocky8-updateinfo.xml"), ui)
	mustRun(t, "modifyrepo_c", "--mdtype=updateinfo", "--compress-type="+comp, "--checksum="+sum, ui, filepath.Join(dir, "repodata"))
	if signFile != nil {
		signFile(filepath.Join(dir, "repodata", "repomd.xml"))
	}
	return dir
}

func serveDir(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv
}

// TestUpstreamFetchCreaterepoC fetches repositories made by createrepo_c in
// the compressions (Debian's build has no zstd; the unit tests cover it)
// and checksum types it writes, with updateinfo added by modifyrepo_c and
// repomd.xml signed by gpg: every package is what rpm -qp says of its file.
func TestUpstreamFetchCreaterepoC(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "rpm")
	signFile, pub, keyID := gpgRepoKey(t)
	key, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	ui, err := os.ReadFile(testutil.SharedTestdata(t, "advisories", "rocky8-updateinfo.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ comp, sum string }{{"gz", "sha256"}, {"gz", "sha512"}, {"xz", "sha1"}, {"bz2", "sha256"}} {
		t.Run(tc.comp+"-"+tc.sum, func(t *testing.T) {
			dir := createrepoC(t, tc.comp, tc.sum, signFile)
			srv := serveDir(t, dir)
			snap, err := upstream.Fetch(context.Background(), srv.Client(), upstream.Source{Name: "c", URL: srv.URL, Key: key})
			if err != nil {
				t.Fatal(err)
			}
			if snap.SignedBy != keyID {
				t.Errorf("signed by %q, want gpg's key %s", snap.SignedBy, keyID)
			}
			if !bytes.Equal(snap.Updateinfo, ui) {
				t.Errorf("updateinfo: %d bytes, want the %d of rocky8-updateinfo.xml", len(snap.Updateinfo), len(ui))
			}
			files := testutil.Glob(t, filepath.Join(dir, "Packages", "*.rpm"))
			if len(snap.Packages) != len(files) {
				t.Fatalf("%d packages, want %d", len(snap.Packages), len(files))
			}
			for _, f := range files {
				checkAgainstRPM(t, snap, f, tc.sum)
			}
		})
	}
}

// checkAgainstRPM compares the snapshot's entry for the file with what
// rpm -qp says of it.
func checkAgainstRPM(t *testing.T, snap *upstream.Snapshot, file, sumType string) {
	t.Helper()
	href := "Packages/" + filepath.Base(file)
	i := slices.IndexFunc(snap.Packages, func(p upstream.Package) bool { return p.Location == href })
	if i < 0 {
		t.Errorf("%s is not in the snapshot", href)
		return
	}
	p := snap.Packages[i]
	q := strings.Split(mustRun(t, "rpm", "-qp", "--nosignature", "--qf", "%{NAME}|%{EPOCHNUM}|%{VERSION}|%{RELEASE}|%{ARCH}|%{LICENSE}|%{SOURCERPM}|%{SUMMARY}", file), "|")
	got := []string{p.Name, strconv.Itoa(p.Epoch), p.Version, p.Release, p.Arch, p.License, p.SourceRPM, p.Summary}
	if !slices.Equal(got, q) {
		t.Errorf("%s: snapshot says %q, rpm -qp %q", href, got, q)
	}
	var rpmFiles []string
	for l := range strings.SplitSeq(strings.TrimSpace(mustRun(t, "rpm", "-qp", "--nosignature", "-l", file)), "\n") {
		if l != "(contains no files)" {
			rpmFiles = append(rpmFiles, l)
		}
	}
	if !slices.Equal(p.Files, rpmFiles) {
		t.Errorf("%s: files %q, rpm -qpl %q", href, p.Files, rpmFiles)
	}
	// createrepo_c leaves some requires out of primary.xml; each one it
	// keeps is one rpm lists.
	rpmReqs := strings.Split(strings.TrimSpace(mustRun(t, "rpm", "-qp", "--nosignature", "--requires", file)), "\n")
	for _, d := range p.Requires {
		want := d
		want.Flags &= rpm.SenseCompareMask
		found := slices.ContainsFunc(rpmReqs, func(s string) bool {
			r, err := rpm.ParseDependency(s)
			if err != nil || r.Name != want.Name || r.Flags != want.Flags {
				return false
			}
			return rpm.CompareEVR(rpm.ParseEVR(r.Version), rpm.ParseEVR(want.Version)) == 0
		})
		if !found {
			t.Errorf("%s: require %s is not one rpm -qpR lists (%q)", href, d, rpmReqs)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var h hash.Hash
	switch sumType {
	case "sha1":
		h = sha1.New()
	case "sha512":
		h = sha512.New()
	default:
		h = sha256.New()
	}
	h.Write(b)
	if p.ChecksumType != sumType || p.Checksum != hex.EncodeToString(h.Sum(nil)) || p.Size != int64(len(b)) {
		t.Errorf("%s: %s %s, %d bytes; want the file's %s and %d bytes", href, p.ChecksumType, p.Checksum, p.Size, sumType, len(b))
	}
}

// TestUpstreamFetchCommand runs `smeforge upstream fetch` on a repository
// made by createrepo_c and signed by gpg: the summary, the packages
// verified (as rpmkeys agrees) and refused, and the refusals of an
// altered repomd.xml and of bad arguments.
func TestUpstreamFetchCommand(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "rpmkeys")
	signFile, pub, keyID := gpgRepoKey(t)
	dir := createrepoC(t, "gz", "sha256", signFile)
	srv := serveDir(t, dir)
	signed := testutil.SharedTestdata(t, "signed")
	keys := []string{"--key", pub}
	for _, v := range []string{"5", "6", "7"} {
		keys = append(keys, "--key", filepath.Join(signed, "RPM-GPG-KEY-CentOS-"+v))
	}
	out := filepath.Join(t.TempDir(), "base")
	ui, _ := os.Stat(testutil.SharedTestdata(t, "advisories", "rocky8-updateinfo.xml"))

	r := smeforge(t, append([]string{"upstream", "fetch", "--name", "vendor", "--url", srv.URL, "--packages", out}, keys...)...)
	assertNoPanic(t, r)
	if r.code != 1 {
		t.Errorf("exit %d with a refused package, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"vendor: 4 packages", "repomd.xml verified by key " + keyID + " (Upstream Repository <repo@example.org>)",
		"updateinfo.xml: " + strconv.FormatInt(ui.Size(), 10) + " bytes",
		"ok       centos-release-7-2.1511.el7.centos.2.10.x86_64  key 24c6a8a7f4a80eb5, downloaded",
		"ok       epel-release-7-5.noarch  key 24c6a8a7f4a80eb5, downloaded",
		"ok       centos-release-6-0.el6.centos.5.x86_64  key 0946fca2c105b9de, downloaded",
		"refused  centos-release-10:5-0.0.el5.centos.2.x86_64: unsupported key a8a447dce8562897",
		"packages: 3 ok, 1 refused, 0 failed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "1 of 4 packages refused or not fetched") {
		t.Errorf("stderr: %s", r.stderr)
	}
	// rpm agrees with what was accepted.
	db := rpmdb(t, filepath.Join(signed, "RPM-GPG-KEY-CentOS-7"))
	for _, f := range []string{"centos-release-7-2.1511.el7.centos.2.10.x86_64.rpm", "epel-release-7-5.noarch.rpm"} {
		if ok, msg := checksig(t, db, filepath.Join(out, "Packages", f)); !ok {
			t.Errorf("rpmkeys --checksig %s: %s", f, msg)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "Packages", "centos-release-5-0.0.el5.centos.2.x86_64.rpm")); err == nil {
		t.Error("the refused CentOS 5 package was written")
	}

	// Without --packages, the metadata alone: exit 0.
	r = smeforge(t, append([]string{"upstream", "fetch", "--url", srv.URL}, keys...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "repomd.xml verified by key "+keyID) {
		t.Errorf("metadata only: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Another repository key: refused, and said so.
	r = smeforge(t, "upstream", "fetch", "--name", "vendor", "--url", srv.URL, "--key", filepath.Join(signed, "RPM-GPG-KEY-CentOS-7"))
	if r.code != 1 || !strings.Contains(r.stderr, "repomd.xml of vendor is not signed by the given key: ") || !strings.Contains(r.stderr, "signed with key "+keyID+" which is not in the keyring") {
		t.Errorf("another key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A repository that does not sign repomd.xml, as CentOS 7 mirrors.
	if err := os.Remove(filepath.Join(dir, "repodata", "repomd.xml.asc")); err != nil {
		t.Fatal(err)
	}
	r = smeforge(t, "upstream", "fetch", "--url", srv.URL, "--key", filepath.Join(signed, "RPM-GPG-KEY-CentOS-7"), "--unsigned-repomd")
	if r.code != 0 || !strings.Contains(r.stdout, "repomd.xml NOT VERIFIED") {
		t.Errorf("--unsigned-repomd: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = smeforge(t, append([]string{"upstream", "fetch", "--name", "vendor", "--url", srv.URL}, keys...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "repomd.xml of vendor is not signed by the given key: there is no repomd.xml.asc") {
		t.Errorf("missing repomd.xml.asc: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// repomd.xml altered by one byte after gpg signed it.
	repomd := filepath.Join(dir, "repodata", "repomd.xml")
	signFile(repomd)
	b, err := os.ReadFile(repomd)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("<revision>")) + len("<revision>")
	b[i] ^= 0x01
	if err := os.WriteFile(repomd, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r = smeforge(t, append([]string{"upstream", "fetch", "--name", "vendor", "--url", srv.URL}, keys...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "repomd.xml of vendor is not signed by the given key: ") || !strings.Contains(r.stderr, "bad signature") {
		t.Errorf("altered repomd.xml: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	for _, args := range [][]string{
		{"upstream", "fetch"},
		{"upstream", "fetch", "--url", srv.URL, "--packages", out},
		{"upstream", "fetch", "--url", srv.URL, "--unsigned-repomd"},
	} {
		if r := smeforge(t, args...); r.code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
}
