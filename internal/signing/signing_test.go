package signing_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/publish"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/sign"
	"github.com/smeserver/smeforge/internal/signing"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
)

// forge is the part of a running forge the signing service works with:
// the real SQLite store, blob folder, catalog and publisher.
type forge struct {
	dir   string
	keys  string // the key folder (DATA/keys)
	store *sqlstore.Store
	blobs *blob.Dir
	cat   *catalog.Service
	pub   *publish.Publisher
	rel   *release.Service
}

func newForge(t *testing.T) *forge {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dir, "smeforge.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, err := blob.NewDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	cat := &catalog.Service{Store: st, Blobs: catalog.LocalBlobs(bl), MaxUpload: 1 << 24}
	pub := publish.New(st, filepath.Join(dir, "repos"), nil, nil)
	return &forge{dir: dir, keys: filepath.Join(dir, "keys"), store: st, blobs: bl, cat: cat, pub: pub,
		rel: &release.Service{Store: st, Publisher: pub}}
}

// open opens the signing service (EdDSA: quick to make) and has the
// publisher use it, as `smeforge serve` does.
func (f *forge) open(t *testing.T) *signing.Service {
	t.Helper()
	s, err := signing.Open(context.Background(), f.keys, f.store, f.cat, signing.Options{KeyType: sign.KeyEdDSA})
	if err != nil {
		t.Fatalf("signing.Open: %v", err)
	}
	f.pub.UseSigning(s, f.cat.IsSignedCategory)
	return s
}

// rpmFile writes a one-file package in memory.
func rpmFile(t *testing.T, spec corpus.PackageSpec) []byte {
	t.Helper()
	if spec.Arch == "" {
		spec.Arch = "noarch"
	}
	spec.Summary, spec.License = "a package of the signing tests", "MIT"
	spec.BuildTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var b bytes.Buffer
	if err := corpus.WriteRPM(&b, spec); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ingestBuild stores a build of one SRPM and one binary (name) in
// category, unsigned, and returns its artifacts, the binary first.
func (f *forge) ingestBuild(t *testing.T, name, version, category string) []*catalog.Artifact {
	t.Helper()
	bin := rpmFile(t, corpus.PackageSpec{Name: name, Version: version, Release: "1",
		Files: []corpus.File{{Path: "/usr/share/" + name + "/README", Content: []byte(name + " " + version + "\n")}}})
	src := rpmFile(t, corpus.PackageSpec{Name: name, Version: version, Release: "1", Source: true,
		Files: []corpus.File{{Path: name + ".spec", Content: []byte("Name: " + name + "\n")}}})
	var out []*catalog.Artifact
	for _, file := range []struct {
		name string
		data []byte
	}{{name + "-" + version + "-1.noarch.rpm", bin}, {name + "-" + version + "-1.src.rpm", src}} {
		a, created, err := f.cat.IngestAs(context.Background(), bytes.NewReader(file.data), file.name, "tester", category)
		if err != nil || !created {
			t.Fatalf("IngestAs %s as %s: created=%v err=%v", file.name, category, created, err)
		}
		out = append(out, a)
	}
	return out
}

// signatureOf reads the file served for an artifact and returns the key
// id of its signature ("" when unsigned).
func (f *forge) signatureOf(t *testing.T, fileSHA256 string) string {
	t.Helper()
	p, err := f.blobs.Path(fileSHA256)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := rpm.ReadFile(p)
	if err != nil {
		t.Fatalf("reading the served file %s: %v", fileSHA256, err)
	}
	if pkg.Signature == nil {
		return ""
	}
	return pkg.Signature.KeyID
}

func (f *forge) artifact(t *testing.T, sha string) *catalog.Artifact {
	t.Helper()
	a, _, err := f.store.Artifact(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// verifyRepomd checks repodata/repomd.xml.asc of a published repository
// against the armored public key and returns the key id that signed it.
func (f *forge) verifyRepomd(t *testing.T, release, channel, arch string, pubKey []byte) (string, error) {
	t.Helper()
	dir := filepath.Join(f.pub.Dir(release, channel, arch), "repodata")
	md, err := os.ReadFile(filepath.Join(dir, "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	asc, err := os.ReadFile(filepath.Join(dir, "repomd.xml.asc"))
	if err != nil {
		t.Fatalf("%s/%s/%s has no repomd.xml.asc: %v", release, channel, arch, err)
	}
	kr := sign.NewKeyring()
	if err := kr.Add(pubKey); err != nil {
		t.Fatal(err)
	}
	return sign.VerifyDetached(md, asc, kr)
}

// TestOpenMakesKeyOnce: the first Open makes the project key (private
// part 0600), later Opens load the same one.
func TestOpenMakesKeyOnce(t *testing.T) {
	ctx := context.Background()
	f := newForge(t)
	s := f.open(t)
	id := s.Active().KeyID()
	if len(id) != 16 {
		t.Fatalf("active key id %q, want 16 hex digits", id)
	}
	priv := filepath.Join(f.keys, id, sign.PrivateKeyFile)
	fi, err := os.Stat(priv)
	if err != nil {
		t.Fatalf("the private key file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %o, want 600", priv, fi.Mode().Perm())
	}
	pubAsc, err := os.ReadFile(filepath.Join(f.keys, id, sign.PublicKeyFile))
	if err != nil {
		t.Fatalf("the public key file: %v", err)
	}
	if !bytes.Equal(pubAsc, s.Active().PublicKey()) {
		t.Errorf("%s is not the active key's public key", sign.PublicKeyFile)
	}
	if active, err := os.ReadFile(filepath.Join(f.keys, "active")); err != nil || strings.TrimSpace(string(active)) != id {
		t.Errorf("keys/active: %q, %v; want %s", active, err, id)
	}
	if a := s.Active().Algorithm(); !strings.HasPrefix(a, "EdDSA") {
		t.Errorf("algorithm %q, want EdDSA (asked for an EdDSA key)", a)
	}
	ks, err := s.PublicKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 1 || ks[0].KeyID != id || !ks[0].Active || !strings.Contains(ks[0].PublicKey, "BEGIN PGP PUBLIC KEY BLOCK") {
		t.Errorf("PublicKeys after the first Open: %+v; want the one active key %s", ks, id)
	}

	// A restart: same folder, same store.
	s2 := f.open(t)
	if got := s2.Active().KeyID(); got != id {
		t.Errorf("second Open: active key %s, want %s (the key made at first start)", got, id)
	}
	if ks, err := s2.PublicKeys(ctx); err != nil || len(ks) != 1 {
		t.Errorf("PublicKeys after the second Open: %d keys, %v; want 1 (no new key)", len(ks), err)
	}
	dirs, err := os.ReadDir(f.keys)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if d.IsDir() {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d key folders after two Opens, want 1", n)
	}
	if fi, err := os.Stat(priv); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after the second Open the private key is %v, %v; want mode 600", fi.Mode(), err)
	}
}

// TestOpenRefusesReadableKey: a private key others may read is not used.
func TestOpenRefusesReadableKey(t *testing.T) {
	f := newForge(t)
	s := f.open(t)
	priv := filepath.Join(f.keys, s.Active().KeyID(), sign.PrivateKeyFile)
	if err := os.Chmod(priv, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := signing.Open(context.Background(), f.keys, f.store, f.cat, signing.Options{KeyType: sign.KeyEdDSA})
	if !errors.Is(err, sign.ErrKeyFileMode) {
		t.Errorf("Open with a private key of mode 644: %v, want ErrKeyFileMode", err)
	}
}

// TestSignBuildAndPublish: a core build not signed is refused by os;
// signed, its files carry the active key and os publishes with a signed
// repomd.xml.
func TestSignBuildAndPublish(t *testing.T) {
	ctx := context.Background()
	f := newForge(t)
	s := f.open(t)
	key := s.Active()
	arts := f.ingestBuild(t, "sig-hello", "1.0", "core")
	build := arts[0].BuildID
	for _, a := range arts {
		a = f.artifact(t, a.SHA256)
		if a.FileSHA256 != a.SHA256 || a.SigKeyID != "" {
			t.Errorf("%s ingested as core: file %s signed by %q; want the upload itself, unsigned (only SignBuild signs)", a.Filename, a.FileSHA256, a.SigKeyID)
		}
	}
	if _, err := f.rel.Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cat.ChangeChannel(ctx, "10", "os", []string{build}, nil, "tester"); err != nil {
		t.Fatal(err)
	}

	// os requires the project's signature on core packages.
	_, err := f.pub.Publish(ctx, "10", "os", 0)
	if !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("publishing os with an unsigned core build: %v, want ErrConflict", err)
	}
	for _, a := range arts {
		if !strings.Contains(err.Error(), a.Filename) {
			t.Errorf("the refusal %q does not name %s", err, a.Filename)
		}
	}
	if c, _ := f.store.Channel(ctx, "10", "os"); c != nil && c.PublishedVersion != 0 {
		t.Errorf("the refused publication was recorded: published version %d", c.PublishedVersion)
	}

	// A build of a category the project does not sign is left alone.
	dev := f.ingestBuild(t, "sig-dev", "1.0", "dev")
	if err := s.SignIfRequired(ctx, dev[0].BuildID, "tester"); err != nil {
		t.Fatal(err)
	}
	if a := f.artifact(t, dev[0].SHA256); a.FileSHA256 != a.SHA256 || a.SigKeyID != "" {
		t.Errorf("SignIfRequired signed a dev build: file %s, key %q", a.FileSHA256, a.SigKeyID)
	}

	b, err := s.SignBuild(ctx, build, "tester")
	if err != nil {
		t.Fatalf("SignBuild: %v", err)
	}
	if len(b.Artifacts) != 2 {
		t.Fatalf("signed build has %d artifacts, want 2", len(b.Artifacts))
	}
	for _, orig := range arts {
		a := f.artifact(t, orig.SHA256)
		if a.SHA256 != orig.SHA256 {
			t.Errorf("%s: identity changed from %s to %s by signing", a.Filename, orig.SHA256, a.SHA256)
		}
		if a.FileSHA256 == a.SHA256 || a.FileSHA256 == "" {
			t.Errorf("%s: file_sha256 %q after signing, want the signed copy (not the upload %s)", a.Filename, a.FileSHA256, a.SHA256)
		}
		if a.SigKeyID != key.KeyID() {
			t.Errorf("%s: recorded signature key %q, want %s", a.Filename, a.SigKeyID, key.KeyID())
		}
		if got := f.signatureOf(t, a.FileSHA256); got != key.KeyID() {
			t.Errorf("%s: the served file is signed by %q, want the active key %s", a.Filename, got, key.KeyID())
		}
		if got := f.signatureOf(t, a.SHA256); got != "" {
			t.Errorf("%s: the upload itself now carries a signature by %s; the archive must keep it as uploaded", a.Filename, got)
		}
		// The signed copy is the same package.
		sp, _ := f.blobs.Path(a.FileSHA256)
		up, _ := f.blobs.Path(a.SHA256)
		ps, err1 := rpm.ReadFile(sp)
		pu, err2 := rpm.ReadFile(up)
		if err1 != nil || err2 != nil || ps.NEVRA() != pu.NEVRA() {
			t.Errorf("%s: the signed copy is %v (%v), the upload %v (%v)", a.Filename, ps, err1, pu, err2)
		}
	}
	// Signing again with the same key changes nothing.
	before := f.artifact(t, arts[0].SHA256).FileSHA256
	if _, err := s.SignBuild(ctx, build, "tester"); err != nil {
		t.Fatal(err)
	}
	if after := f.artifact(t, arts[0].SHA256).FileSHA256; after != before {
		t.Errorf("signing a signed build again with the same key made a new file %s (was %s)", after, before)
	}

	if _, err := f.pub.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatalf("publishing os after SignBuild: %v", err)
	}
	for _, arch := range []string{"x86_64", publish.SourceArch} {
		id, err := f.verifyRepomd(t, "10", "os", arch, key.PublicKey())
		if err != nil || id != key.KeyID() {
			t.Errorf("10/os/%s repomd.xml.asc: VerifyDetached = %q, %v; want good, by %s", arch, id, err, key.KeyID())
		}
	}
	// The published metadata names the signed file.
	primary := readPrimary(t, f.pub.Dir("10", "os", "x86_64"))
	if want := f.artifact(t, arts[0].SHA256).FileSHA256; !strings.Contains(primary, want) {
		t.Errorf("primary.xml of 10/os does not name the signed file %s", want)
	}
	if strings.Contains(primary, arts[0].SHA256) {
		t.Errorf("primary.xml of 10/os names the unsigned upload %s", arts[0].SHA256)
	}

	// An altered repomd.xml fails its signature.
	md, err := os.ReadFile(filepath.Join(f.pub.Dir("10", "os", "x86_64"), "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	asc, _ := os.ReadFile(filepath.Join(f.pub.Dir("10", "os", "x86_64"), "repodata", "repomd.xml.asc"))
	kr := sign.NewKeyring()
	if err := kr.Add(key.PublicKey()); err != nil {
		t.Fatal(err)
	}
	altered := bytes.Clone(md)
	altered[len(altered)/2] ^= 1
	if _, err := sign.VerifyDetached(altered, asc, kr); err == nil {
		t.Error("VerifyDetached accepts repomd.xml altered in one bit")
	}
}

// readPrimary returns the uncompressed primary.xml of a published
// repository.
func readPrimary(t *testing.T, dir string) string {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(dir, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	i := strings.Index(s, `<data type="primary">`)
	if i < 0 {
		t.Fatalf("repomd.xml has no primary:\n%s", s)
	}
	j := strings.Index(s[i:], `href="`)
	k := strings.Index(s[i+j+6:], `"`)
	href := s[i+j+6 : i+j+6+k]
	raw, err := os.ReadFile(filepath.Join(dir, href))
	if err != nil {
		t.Fatal(err)
	}
	return decompress(t, href, raw)
}

// TestRotateAndRetire: a rotation makes a new active key and re-signs
// every signed build with it; the old key is served until retired, which
// is refused for the active key and for a key that still signs a build.
func TestRotateAndRetire(t *testing.T) {
	ctx := context.Background()
	f := newForge(t)
	s := f.open(t)
	old := s.Active()
	arts := f.ingestBuild(t, "rot-hello", "1.0", "core")
	build := arts[0].BuildID
	if err := s.SignIfRequired(ctx, build, "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rel.Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cat.ChangeChannel(ctx, "10", "os", []string{build}, nil, "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pub.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatal(err)
	}
	firstFiles := map[string]string{}
	for _, a := range arts {
		a = f.artifact(t, a.SHA256)
		if a.SigKeyID != old.KeyID() {
			t.Fatalf("%s signed by %q before the rotation, want %s", a.Filename, a.SigKeyID, old.KeyID())
		}
		firstFiles[a.SHA256] = a.FileSHA256
	}

	if err := s.Retire(ctx, old.KeyID()); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("Retire(the active key) before any rotation: %v, want ErrConflict", err)
	}

	res, err := s.Rotate(ctx, sign.KeyEdDSA, "", "tester")
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	nk := s.Active()
	if nk.KeyID() == old.KeyID() {
		t.Fatalf("the active key after Rotate is still %s", old.KeyID())
	}
	if res.OldKey != old.KeyID() || res.NewKey != nk.KeyID() {
		t.Errorf("Rotate result %+v; want old %s, new %s", res, old.KeyID(), nk.KeyID())
	}
	if len(res.Resigned) != 1 || res.Resigned[0] != build {
		t.Errorf("Rotate re-signed %q, want [%s]", res.Resigned, build)
	}
	if fi, err := os.Stat(filepath.Join(f.keys, nk.KeyID(), sign.PrivateKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the new private key file: %v, %v; want mode 600", fi, err)
	}
	for _, orig := range arts {
		a := f.artifact(t, orig.SHA256)
		if a.SigKeyID != nk.KeyID() || a.FileSHA256 == firstFiles[a.SHA256] || a.FileSHA256 == a.SHA256 {
			t.Errorf("%s after Rotate: file %s signed by %q; want a new file signed by %s", a.Filename, a.FileSHA256, a.SigKeyID, nk.KeyID())
		}
		if got := f.signatureOf(t, a.FileSHA256); got != nk.KeyID() {
			t.Errorf("%s after Rotate: the served file is signed by %q, want %s", a.Filename, got, nk.KeyID())
		}
		// The file signed by the old key is still there (a frozen channel
		// may serve it).
		if got := f.signatureOf(t, firstFiles[a.SHA256]); got != old.KeyID() {
			t.Errorf("%s: the copy signed before the rotation is signed by %q, want %s", a.Filename, got, old.KeyID())
		}
		sigs, err := f.store.Signatures(ctx, a.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]string{}
		for _, r := range sigs {
			keys[r.KeyID] = r.FileSHA256
			if r.SignedBy != "tester" || r.SignedAt.IsZero() || r.Algorithm == "" {
				t.Errorf("%s: signature record %+v lacks who, when or how", a.Filename, r)
			}
		}
		if len(sigs) != 2 || keys[old.KeyID()] != firstFiles[a.SHA256] || keys[nk.KeyID()] != a.FileSHA256 {
			t.Errorf("%s: signature history %+v; want the old key's file %s and the new key's %s", a.Filename, sigs, firstFiles[a.SHA256], a.FileSHA256)
		}
	}
	ks, err := s.PublicKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 2 || ks[0].KeyID != nk.KeyID() || ks[1].KeyID != old.KeyID() {
		t.Fatalf("PublicKeys after Rotate: %v; want the new key then the old one", keyIDs(ks))
	}
	if !ks[0].Active || ks[1].Active {
		t.Errorf("PublicKeys after Rotate: active flags new=%v old=%v; want true, false", ks[0].Active, ks[1].Active)
	}
	pk, err := s.ProjectKeyIDs(ctx)
	if err != nil || !pk[old.KeyID()] || !pk[nk.KeyID()] {
		t.Errorf("ProjectKeyIDs after Rotate: %v, %v; want both keys", pk, err)
	}

	// Republished, the channel's metadata is signed by the new key.
	if _, err := f.pub.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatalf("publishing os after the rotation: %v", err)
	}
	if id, err := f.verifyRepomd(t, "10", "os", "x86_64", nk.PublicKey()); err != nil || id != nk.KeyID() {
		t.Errorf("repomd.xml.asc after the rotation: %q, %v; want signed by %s", id, err, nk.KeyID())
	}
	if primary := readPrimary(t, f.pub.Dir("10", "os", "x86_64")); !strings.Contains(primary, f.artifact(t, arts[0].SHA256).FileSHA256) {
		t.Errorf("primary.xml after the rotation does not name the file signed by the new key")
	}

	// A restart keeps the new key.
	if got := f.open(t).Active().KeyID(); got != nk.KeyID() {
		t.Errorf("Open after Rotate: active key %s, want %s", got, nk.KeyID())
	}

	if err := s.Retire(ctx, nk.KeyID()); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("Retire(the active key): %v, want ErrConflict", err)
	}
	if err := s.Retire(ctx, "0123456789abcdef"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Retire(a key the project never had): %v, want ErrNotFound", err)
	}
	if err := s.Retire(ctx, old.KeyID()); err != nil {
		t.Fatalf("Retire(the old key) after the rotation: %v", err)
	}
	ks, err = s.PublicKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 1 || ks[0].KeyID != nk.KeyID() {
		t.Errorf("PublicKeys after retiring the old key: %v, want only %s", keyIDs(ks), nk.KeyID())
	}
	if pk, _ := s.ProjectKeyIDs(ctx); pk[old.KeyID()] {
		t.Errorf("ProjectKeyIDs still counts the retired key %s", old.KeyID())
	}
	if got := s.Active().KeyID(); got != nk.KeyID() {
		t.Errorf("retiring the old key changed the active key to %s", got)
	}
}

// TestRetireRefusesKeyInUse: a key that is not active but still signs a
// build cannot be retired.
func TestRetireRefusesKeyInUse(t *testing.T) {
	ctx := context.Background()
	f := newForge(t)
	s := f.open(t)
	old := s.Active()
	if _, err := s.Rotate(ctx, sign.KeyEdDSA, "", "tester"); err != nil {
		t.Fatal(err)
	}
	// A build signed by the old key after the rotation (as a build signed
	// elsewhere with it would be).
	arts := f.ingestBuild(t, "old-signed", "1.0", "core")
	if _, err := f.cat.SignBuild(ctx, arts[0].BuildID, keySigner{old}, "tester"); err != nil {
		t.Fatal(err)
	}
	err := s.Retire(ctx, old.KeyID())
	if !errors.Is(err, catalog.ErrConflict) || !strings.Contains(err.Error(), arts[0].BuildID) {
		t.Errorf("Retire(a key that still signs %s): %v; want ErrConflict naming the build", arts[0].BuildID, err)
	}
	if ks, _ := s.PublicKeys(ctx); len(ks) != 2 {
		t.Errorf("a refused Retire changed the keys served: %v", keyIDs(ks))
	}
}

// keySigner is a catalog.RPMSigner with any key.
type keySigner struct{ k *sign.Key }

func (s keySigner) SignRPM(in io.Reader, out io.Writer) error { return sign.SignRPM(in, out, s.k) }
func (s keySigner) KeyID() string                             { return s.k.KeyID() }
func (s keySigner) Algorithm() string                         { return s.k.Algorithm() }

func keyIDs(ks []catalog.SigningKey) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.KeyID)
	}
	return out
}

// decompress reads gzip (several members) or zstd metadata.
func decompress(t *testing.T, name string, raw []byte) string {
	t.Helper()
	var r io.Reader
	switch {
	case strings.HasSuffix(name, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case strings.HasSuffix(name, ".zst"):
		zr, err := zstd.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	default:
		return string(raw)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(b)
}

// TestOpenImportsKey: on first use an existing private key can be the
// project key instead of a new one; it is then kept like a made one.
func TestOpenImportsKey(t *testing.T) {
	ctx := context.Background()
	f := newForge(t)
	k, err := sign.GenerateKey(sign.KeyOptions{Type: sign.KeyEdDSA, UserID: "Imported <imported@example.org>"})
	if err != nil {
		t.Fatal(err)
	}
	priv, err := k.MarshalPrivate()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "project.asc")
	if err := os.WriteFile(file, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := signing.Open(ctx, f.keys, f.store, f.cat, signing.Options{KeyType: sign.KeyEdDSA, Import: file})
	if err != nil {
		t.Fatalf("Open with Import: %v", err)
	}
	if got := s.Active().KeyID(); got != k.KeyID() {
		t.Fatalf("Open with Import: active key %s, want the imported %s", got, k.KeyID())
	}
	if fi, err := os.Stat(filepath.Join(f.keys, k.KeyID(), sign.PrivateKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the imported key's private file: %v, %v; want mode 600", fi, err)
	}
	if ks, err := s.PublicKeys(ctx); err != nil || len(ks) != 1 || ks[0].KeyID != k.KeyID() {
		t.Errorf("PublicKeys after importing: %v, %v", keyIDs(ks), err)
	}
	// Later starts load it; Import no longer matters.
	other := filepath.Join(t.TempDir(), "missing.asc")
	s2, err := signing.Open(ctx, f.keys, f.store, f.cat, signing.Options{Import: other})
	if err != nil || s2.Active().KeyID() != k.KeyID() {
		t.Errorf("second Open: %v, %v; want the imported key %s", s2, err, k.KeyID())
	}
}

// TestRetireRefusesKeyOfFrozenChannel: after a release is final its os
// keeps serving the files (and the repomd.xml.asc) signed by the key of
// that day, whatever later rotations re-sign: that key still signs what
// is served, and retiring it would stop servers from trusting the frozen
// channel.
func TestRetireRefusesKeyOfFrozenChannel(t *testing.T) {
	ctx := context.Background()
	f := newForge(t)
	s := f.open(t)
	old := s.Active()
	arts := f.ingestBuild(t, "frozen-hello", "1.0", "core")
	build := arts[0].BuildID
	if err := s.SignIfRequired(ctx, build, "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rel.Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cat.ChangeChannel(ctx, "10", "os", []string{build}, nil, "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pub.Publish(ctx, "10", "os", 0); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"alpha", "beta", "rc", "final"} {
		if _, err := f.rel.SetPhase(ctx, "10", p); err != nil {
			t.Fatalf("phase %s: %v", p, err)
		}
	}
	frozenFile := f.artifact(t, arts[0].SHA256).FileSHA256
	if _, err := s.Rotate(ctx, sign.KeyEdDSA, "", "tester"); err != nil {
		t.Fatal(err)
	}
	served, err := f.store.FrozenFile(ctx, "10", "os", arts[0].Filename)
	if err != nil || served != frozenFile {
		t.Fatalf("the frozen os serves %s, %v; want the file it was frozen with, %s", served, err, frozenFile)
	}
	if got := f.signatureOf(t, served); got != old.KeyID() {
		t.Fatalf("the frozen os's file is signed by %q, want %s", got, old.KeyID())
	}
	if id, err := f.verifyRepomd(t, "10", "os", "x86_64", old.PublicKey()); err != nil || id != old.KeyID() {
		t.Fatalf("the frozen os's repomd.xml.asc: %q, %v; want signed by %s", id, err, old.KeyID())
	}
	err = s.Retire(ctx, old.KeyID())
	if !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("Retire(%s) while the frozen 10/os serves %s and repomd.xml.asc signed by it: %v; want ErrConflict", old.KeyID(), arts[0].Filename, err)
	}
	if ks, _ := s.PublicKeys(ctx); len(ks) != 2 {
		t.Errorf("keys served: %v; the frozen os needs %s", keyIDs(ks), old.KeyID())
	}
}
