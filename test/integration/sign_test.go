//go:build integration

package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/sign"
	"github.com/smeserver/smeforge/internal/testutil"
)

// signKey is a key made by `smeforge key generate`.
type signKey struct {
	typ, priv, pub, id string
}

var keyIDRe = regexp.MustCompile(`key ([0-9a-f]{16}) `)

// generateKey runs `smeforge key generate` into a new folder.
func generateKey(t *testing.T, typ string) signKey {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "key-"+typ)
	r := smeforge(t, "key", "generate", "--out", dir, "--type", typ, "--name", "SME Server Project <security@example.org>")
	assertNoPanic(t, r)
	if r.code != 0 {
		t.Fatalf("smeforge key generate --type %s: exit %d\n%s%s", typ, r.code, r.stdout, r.stderr)
	}
	m := keyIDRe.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no key ID in %q", r.stdout)
	}
	k := signKey{typ: typ, priv: filepath.Join(dir, sign.PrivateKeyFile), pub: filepath.Join(dir, sign.PublicKeyFile), id: m[1]}
	fi, err := os.Stat(k.priv)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key %s: %v, mode %v; want 0600", k.priv, err, fi.Mode())
	}
	return k
}

// rpmdb is an rpm database holding only the given public keys.
func rpmdb(t *testing.T, pubs ...string) string {
	t.Helper()
	db := t.TempDir()
	for _, p := range pubs {
		mustRun(t, "rpmkeys", "--dbpath", db, "--import", p)
	}
	return db
}

// checksig runs `rpmkeys --checksig` and reports whether rpm says the
// signatures are OK: an unsigned package says "digests OK" and exits 0,
// so the word "signatures" is what counts.
func checksig(t *testing.T, db, file string) (bool, string) {
	t.Helper()
	r := run(t, nil, "rpmkeys", "--checksig", "--dbpath", db, file)
	out := r.stdout + r.stderr
	return r.code == 0 && strings.Contains(out, "signatures OK"), out
}

// sigKey is what `rpm -qp --qf %{RSAHEADER:pgpsig}` (or DSAHEADER for
// EdDSA, where rpm puts those) says of a package's header signature.
func sigKey(t *testing.T, db, file, typ string) string {
	t.Helper()
	tag := "RSAHEADER"
	if typ == "eddsa" {
		tag = "DSAHEADER"
	}
	return mustRun(t, "rpm", "--dbpath", db, "-qp", "--qf", "%{"+tag+":pgpsig}|%{SIGPGP:pgpsig}%{SIGGPG:pgpsig}", file)
}

// packagesForSigning writes corpus packages (gzip, zstd and xz payloads)
// and copies the SME packages of ../shared into dir.
func packagesForSigning(t *testing.T, dir string) []string {
	t.Helper()
	var specs []corpus.PackageSpec
	for _, c := range []string{"gzip", "zstd", "xz"} {
		specs = append(specs, corpus.PackageSpec{
			Name: "it-sign-" + c, Version: "1.0", Release: "1", Summary: "signed", License: "MIT", BuildTime: base, Compressor: c,
			Files: []corpus.File{{Path: "/usr/share/it-sign/" + c, Content: bytes.Repeat([]byte(c), 5000)}},
		})
	}
	files := writeSpecs(t, dir, specs)
	sme := testutil.Glob(t, filepath.Join(testutil.SharedTestdata(t, "sme", "rpms"), "*.rpm"))
	copyInto(t, dir, sme...)
	for _, f := range sme {
		files = append(files, filepath.Join(dir, filepath.Base(f)))
	}
	return files
}

// TestSignRpmkeys signs corpus and SME packages with RSA and EdDSA keys
// from `smeforge key generate` and has rpm 4.18 check them.
func TestSignRpmkeys(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "rpmkeys")
	testutil.RequireTool(t, "rpm")
	for _, typ := range []string{"rsa", "eddsa"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			k := generateKey(t, typ)
			db := rpmdb(t, k.pub)
			files := packagesForSigning(t, t.TempDir())
			// Unsigned, rpm checks digests only: the test must tell the two apart.
			if ok, out := checksig(t, db, files[0]); ok || !strings.Contains(out, "digests OK") {
				t.Fatalf("unsigned package: %q", out)
			}
			r := smeforge(t, append([]string{"rpm", "sign", "--key", k.priv}, files...)...)
			assertNoPanic(t, r)
			if r.code != 0 {
				t.Fatalf("smeforge rpm sign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, f := range files {
				if ok, out := checksig(t, db, f); !ok {
					t.Errorf("rpmkeys --checksig %s: %s", filepath.Base(f), out)
				}
				v := mustRun(t, "rpmkeys", "-Kv", "--dbpath", db, f)
				for _, want := range []string{"Header V4 ", "Signature, key ID " + k.id[8:] + ": OK", "\n    V4 "} {
					if !strings.Contains(v, want) {
						t.Errorf("rpmkeys -Kv %s lacks %q (header and header+payload signatures):\n%s", filepath.Base(f), want, v)
					}
				}
				if got := sigKey(t, db, f, typ); strings.Count(got, "Key ID "+k.id) != 2 {
					t.Errorf("rpm -qp --qf pgpsig %s = %q, want key %s in the header and header+payload signatures", filepath.Base(f), got, k.id)
				}
			}
			r = smeforge(t, append([]string{"rpm", "verify", "--keyring", k.pub}, files...)...)
			if r.code != 0 || strings.Count(r.stdout, "signatures OK (key ID "+k.id) != len(files) {
				t.Errorf("smeforge rpm verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestSignRotation re-signs packages with a second key: rpm then knows
// only the new signature.
func TestSignRotation(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "rpmkeys")
	testutil.RequireTool(t, "rpm")
	oldKey, newKey := generateKey(t, "rsa"), generateKey(t, "eddsa")
	files := packagesForSigning(t, t.TempDir())
	oldDB, newDB := rpmdb(t, oldKey.pub), rpmdb(t, newKey.pub)
	for _, k := range []signKey{oldKey, newKey} {
		if r := smeforge(t, append([]string{"rpm", "sign", "--key", k.priv}, files...)...); r.code != 0 {
			t.Fatalf("smeforge rpm sign with %s: exit %d\n%s", k.id, r.code, r.stderr)
		}
	}
	for _, f := range files {
		if ok, out := checksig(t, newDB, f); !ok {
			t.Errorf("%s with the new key: %s", filepath.Base(f), out)
		}
		if ok, out := checksig(t, oldDB, f); ok {
			t.Errorf("%s with only the old key: %s", filepath.Base(f), out)
		}
		if r := run(t, nil, "rpmkeys", "-Kv", "--dbpath", oldDB, f); r.code == 0 || !strings.Contains(r.stdout, "key ID "+newKey.id[8:]+": NOKEY") {
			t.Errorf("rpmkeys -Kv %s with only the old key: exit %d\n%s; want NOKEY for %s", filepath.Base(f), r.code, r.stdout, newKey.id)
		}
		if got := mustRun(t, "rpm", "--dbpath", newDB, "-qp", "--qf", "%{RSAHEADER:pgpsig}|%{DSAHEADER:pgpsig}|%{SIGPGP:pgpsig}|%{SIGGPG:pgpsig}", f); strings.Contains(got, oldKey.id) || strings.Count(got, newKey.id) != 2 {
			t.Errorf("%s signatures after rotation: %q", filepath.Base(f), got)
		}
	}
	r := smeforge(t, "rpm", "verify", "--keyring", oldKey.pub, files[0])
	if want := "signed with key " + newKey.id + " which is not in the keyring"; r.code != 1 || !strings.Contains(r.stdout, want) {
		t.Errorf("verify with the old key only: exit %d, %q; want %q", r.code, r.stdout, want)
	}
	if r := smeforge(t, append([]string{"rpm", "verify", "--keyring", oldKey.pub, "--keyring", newKey.pub}, files...)...); r.code != 0 {
		t.Errorf("verify with both keys: exit %d\n%s", r.code, r.stdout)
	}
}

// TestSignTamper alters signed packages in one byte: rpmkeys and
// smeforge both refuse them.
func TestSignTamper(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "rpmkeys")
	k := generateKey(t, "rsa")
	db := rpmdb(t, k.pub)
	dir := t.TempDir()
	files := packagesForSigning(t, dir)
	if r := smeforge(t, append([]string{"rpm", "sign", "--key", k.priv}, files...)...); r.code != 0 {
		t.Fatalf("smeforge rpm sign: exit %d\n%s", r.code, r.stderr)
	}
	for _, f := range []string{files[0], files[len(files)-1]} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := rpm.ReadRaw(bytes.NewReader(b), f)
		if err != nil {
			t.Fatal(err)
		}
		payload := raw.HeaderStart() + int64(len(raw.Header))
		for name, off := range map[string]int64{
			"header data":    payload - 5,
			"payload middle": payload + (int64(len(b))-payload)/2,
			"last byte":      int64(len(b)) - 1,
		} {
			altered := filepath.Join(dir, "altered-"+strings.ReplaceAll(name, " ", "-")+"-"+filepath.Base(f))
			c := bytes.Clone(b)
			c[off] ^= 0x20
			if err := os.WriteFile(altered, c, 0o644); err != nil {
				t.Fatal(err)
			}
			if ok, out := checksig(t, db, altered); ok {
				t.Errorf("rpmkeys accepts %s altered in the %s:\n%s", filepath.Base(f), name, out)
			}
			r := smeforge(t, "rpm", "verify", "--keyring", k.pub, altered)
			if r.code != 1 || strings.Contains(r.stdout, "signatures OK") {
				t.Errorf("smeforge rpm verify accepts %s altered in the %s: exit %d\n%s", filepath.Base(f), name, r.code, r.stdout)
			}
		}
	}
}

// TestSignRepomdDnf signs a repository made by `smeforge createrepo`:
// gpg verifies repomd.xml.asc, and dnf with gpgcheck and repo_gpgcheck
// installs a signed package from it, but refuses the repository once
// repomd.xml is altered by one byte.
func TestSignRepomdDnf(t *testing.T) {
	t.Parallel()
	requireDNFTools(t)
	testutil.RequireTool(t, "gpg")
	if os.Geteuid() != 0 {
		if testutil.InCI() {
			t.Fatal("dnf install into an installroot needs root under CI")
		}
		t.Skip("skipping: dnf install into an installroot needs root")
	}
	tmp := t.TempDir()
	k := generateKey(t, "rsa")
	repo := filepath.Join(tmp, "repo")
	files := writeSpecs(t, repo, installSpecs()[:1])
	if r := smeforge(t, "rpm", "sign", "--key", k.priv, files[0]); r.code != 0 {
		t.Fatalf("smeforge rpm sign: exit %d\n%s", r.code, r.stderr)
	}
	createrepo(t, repo)
	repomd := filepath.Join(repo, "repodata", "repomd.xml")
	signer, err := sign.OpenKeyFile(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(repomd)
	if err != nil {
		t.Fatal(err)
	}
	asc, err := sign.SignDetached(md, signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(repomd+".asc", asc, 0o644); err != nil {
		t.Fatal(err)
	}
	kr, err := sign.LoadKeyring(k.pub)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := sign.VerifyDetached(md, asc, kr); err != nil || id != k.id {
		t.Errorf("VerifyDetached = %q, %v", id, err)
	}

	gnupg := filepath.Join(tmp, "gnupg")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	defer run(t, nil, "gpgconf", "--homedir", gnupg, "--kill", "all")
	mustRun(t, "gpg", "--homedir", gnupg, "--batch", "--import", k.pub)
	if r := run(t, nil, "gpg", "--homedir", gnupg, "--batch", "--verify", repomd+".asc", repomd); r.code != 0 || !strings.Contains(r.stderr, "Good signature") {
		t.Fatalf("gpg --verify repomd.xml.asc: exit %d\n%s", r.code, r.stderr)
	}

	install := func(name string) result {
		t.Helper()
		root, cache := filepath.Join(tmp, "root-"+name), filepath.Join(tmp, "cache-"+name)
		return run(t, nil, "dnf", "--noplugins", "--setopt=reposdir=/dev/null", "--setopt=cachedir="+cache, "--releasever=1",
			"--repofrompath=t,file://"+repo, "--repo=t", "--setopt=t.gpgcheck=1", "--setopt=t.repo_gpgcheck=1",
			"--setopt=t.gpgkey=file://"+k.pub, "--setopt=skip_if_unavailable=0", "--setopt=t.skip_if_unavailable=0",
			"-y", "--installroot="+root, "install", "it-hello")
	}
	installed := func(name string) bool {
		return run(t, nil, "rpm", "--root", filepath.Join(tmp, "root-"+name), "-q", "it-hello").code == 0
	}
	r := install("signed")
	if r.code != 0 || !installed("signed") {
		t.Fatalf("dnf install from the signed repository: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if want := "Importing GPG key 0x" + strings.ToUpper(k.id[8:]); !strings.Contains(r.stdout+r.stderr, want) {
		t.Errorf("dnf did not import the key to check signatures (no %q):\n%s%s", want, r.stdout, r.stderr)
	}

	// One byte of repomd.xml changed: a digit of the revision, so that the
	// XML stays valid and only the signature can tell.
	at := bytes.Index(md, []byte("<revision>")) + len("<revision>")
	altered := bytes.Clone(md)
	altered[at] = '0' + (altered[at]-'0'+1)%10
	if err := os.WriteFile(repomd, altered, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "gpg", "--homedir", gnupg, "--batch", "--verify", repomd+".asc", repomd); r.code == 0 || !strings.Contains(r.stderr, "BAD signature") {
		t.Errorf("gpg --verify accepts the altered repomd.xml: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := sign.VerifyDetached(altered, asc, kr); err == nil {
		t.Error("VerifyDetached accepts the altered repomd.xml")
	}
	// dnf may exit 0 after refusing a repository: read what it says, and
	// check nothing got installed.
	r = install("altered")
	out := r.stdout + r.stderr
	if installed("altered") {
		t.Fatalf("dnf installed from a repository whose repomd.xml fails its signature: exit %d\n%s", r.code, out)
	}
	if !regexp.MustCompile(`(?i)repomd\.xml GPG signature verification error|bad GPG signature`).MatchString(out) {
		t.Errorf("dnf's output does not say repomd.xml's signature is bad (exit %d):\n%s", r.code, out)
	}
}

// TestSignVendorPackages checks the vendor packages of ../shared against
// their keys with rpm and with smeforge: CentOS 6 and 7 and EPEL 7 (whose
// epel-release, as CentOS extras ships it, is signed by the CentOS 7 key)
// verify; CentOS 5's DSA key is refused by both.
func TestSignVendorPackages(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "rpmkeys")
	dir := testutil.SharedTestdata(t, "signed")
	key := func(n string) string { return filepath.Join(dir, "RPM-GPG-KEY-CentOS-"+n) }
	tests := []struct {
		file, key, keyID string
		ok               bool
		msg              string
	}{
		{"centos-release-6-0.el6.centos.5.x86_64.rpm", key("6"), "0946fca2c105b9de", true, ""},
		{"centos-release-7-2.1511.el7.centos.2.10.x86_64.rpm", key("7"), "24c6a8a7f4a80eb5", true, ""},
		{"epel-release-7-5.noarch.rpm", key("7"), "24c6a8a7f4a80eb5", true, ""},
		{"centos-release-5-0.0.el5.centos.2.x86_64.rpm", key("5"), "a8a447dce8562897", false, "unsupported key a8a447dce8562897"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := filepath.Join(dir, tt.file)
			if got := mustRun(t, "rpm", "-qp", "--nosignature", "--qf", "%{RSAHEADER:pgpsig}%{DSAHEADER:pgpsig}", f); !strings.Contains(got, "Key ID "+tt.keyID) {
				t.Fatalf("rpm says %s is signed by %q, not %s", tt.file, got, tt.keyID)
			}
			r := smeforge(t, "rpm", "verify", "--keyring", tt.key, f)
			db := t.TempDir()
			imp := run(t, nil, "rpmkeys", "--dbpath", db, "--import", tt.key)
			if tt.ok {
				if r.code != 0 || !strings.Contains(r.stdout, "signatures OK (key ID "+tt.keyID) {
					t.Errorf("smeforge rpm verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				if ok, out := checksig(t, db, f); imp.code != 0 || !ok {
					t.Errorf("rpmkeys: %s", out)
				}
				return
			}
			if r.code != 1 || !strings.Contains(r.stdout, tt.msg) {
				t.Errorf("smeforge rpm verify: exit %d, %q; want %q", r.code, r.stdout, tt.msg)
			}
			if imp.code == 0 {
				t.Errorf("rpmkeys imported %s, which rpm 4.18 is expected to refuse", filepath.Base(tt.key))
			}
		})
	}
}

// TestSignImportGPGKey imports keys exported by gpg, with and without a
// passphrase, and signs with them: rpm accepts the result against gpg's
// export of the public key.
func TestSignImportGPGKey(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "gpg")
	testutil.RequireTool(t, "rpmkeys")
	tmp := t.TempDir()
	gnupg := filepath.Join(tmp, "gnupg")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	defer run(t, nil, "gpgconf", "--homedir", gnupg, "--kill", "all")
	gpg := func(args ...string) string {
		t.Helper()
		return mustRun(t, "gpg", append([]string{"--homedir", gnupg, "--batch", "--pinentry-mode", "loopback"}, args...)...)
	}
	for _, tt := range []struct{ name, algo, pass string }{
		{"rsa-no-passphrase", "rsa3072", ""},
		{"ed25519-passphrase", "ed25519", "correct horse"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			uid := "Import " + tt.name + " <" + tt.name + "@example.org>"
			gpg("--passphrase", tt.pass, "--quick-gen-key", uid, tt.algo, "sign", "never")
			fpr := ""
			for _, l := range strings.Split(gpg("--with-colons", "--list-secret-keys", uid), "\n") {
				if strings.HasPrefix(l, "fpr:") && fpr == "" {
					fpr = strings.Split(l, ":")[9]
				}
			}
			id := strings.ToLower(fpr[len(fpr)-16:])
			secret := filepath.Join(tmp, tt.name+".sec.asc")
			pub := filepath.Join(tmp, tt.name+".pub.asc")
			if err := os.WriteFile(secret, []byte(gpg("--passphrase", tt.pass, "--armor", "--export-secret-keys", fpr)), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(pub, []byte(gpg("--armor", "--export", fpr)), 0o644); err != nil {
				t.Fatal(err)
			}
			keyDir := filepath.Join(tmp, "keys-"+tt.name)
			args := []string{"key", "import", "--out", keyDir}
			if tt.pass != "" {
				if r := smeforge(t, append(args, secret)...); r.code == 0 || !strings.Contains(r.stderr, "passphrase") {
					t.Errorf("import without the passphrase: exit %d, %q", r.code, r.stderr)
				}
				pf := filepath.Join(tmp, tt.name+".pass")
				if err := os.WriteFile(pf, []byte(tt.pass+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--passphrase-file", pf)
			}
			r := smeforge(t, append(args, secret)...)
			if r.code != 0 || !strings.Contains(r.stdout, id) {
				t.Fatalf("smeforge key import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			files := writeSpecs(t, filepath.Join(tmp, "pkgs-"+tt.name), installSpecs()[:1])
			if r := smeforge(t, "rpm", "sign", "--key", filepath.Join(keyDir, sign.PrivateKeyFile), files[0]); r.code != 0 {
				t.Fatalf("smeforge rpm sign: exit %d\n%s", r.code, r.stderr)
			}
			if ok, out := checksig(t, rpmdb(t, pub), files[0]); !ok {
				t.Errorf("rpmkeys with gpg's public key: %s", out)
			}
		})
	}
}
