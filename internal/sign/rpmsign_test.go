package sign

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/testutil"
)

// plainReader hides io.Seeker, so SignRPM takes its in-memory path.
type plainReader struct{ r io.Reader }

func (p plainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

// signBytes signs an in-memory package; seekable picks SignRPM's path.
func signBytes(t testing.TB, in []byte, s Signer, seekable bool) []byte {
	t.Helper()
	var r io.Reader = bytes.NewReader(in)
	if !seekable {
		r = plainReader{r}
	}
	var out bytes.Buffer
	if err := SignRPM(r, &out, s); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// packagesToSign is corpus packages with each payload compressor, and the
// SME packages of ../shared when present (rpmbuild's, with RESERVEDSPACE,
// SHA1HEADER and MD5).
func packagesToSign(t *testing.T) map[string][]byte {
	t.Helper()
	pkgs := map[string][]byte{
		"corpus-gzip": corpusRPM(t, "sign-gzip", "gzip"),
		"corpus-zstd": corpusRPM(t, "sign-zstd", "zstd"),
		"corpus-xz":   corpusRPM(t, "sign-xz", "xz"),
	}
	m, _ := filepath.Glob(filepath.Join(sharedDir(t), "sme", "rpms", "*.rpm"))
	for _, p := range m {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		pkgs[filepath.Base(p)] = b
	}
	return pkgs
}

// sharedDir is ../shared/testdata, whether or not it exists.
func sharedDir(t testing.TB) string {
	if d := os.Getenv("SMEFORGE_SHARED_TESTDATA"); d != "" {
		return d
	}
	return filepath.Join(testutil.RepoRoot(t), "..", "shared", "testdata")
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for name, in := range packagesToSign(t) {
		for _, typ := range []KeyType{KeyRSA, KeyEdDSA} {
			for _, seekable := range []bool{true, false} {
				label := name + "/" + string(typ) + "/reader"
				if seekable {
					label = name + "/" + string(typ) + "/seeker"
				}
				t.Run(label, func(t *testing.T) {
					k := testKey(t, typ, 0)
					out := signBytes(t, in, k, seekable)
					checkSigned(t, in, out, k)
					res, err := VerifyRPM(bytes.NewReader(out), keyringOf(t, k))
					if err != nil {
						t.Fatal(err)
					}
					if !res.OK() || !res.HeaderPayloadSigned || res.KeyID != k.KeyID() || res.Algorithm != k.Algorithm() {
						t.Errorf("VerifyRPM = %+v, want OK by %s %s", res, k.KeyID(), k.Algorithm())
					}
					if p, err := rpm.Read(bytes.NewReader(out), name); err != nil {
						t.Errorf("internal/rpm cannot read the signed package: %v", err)
					} else if p.Signature == nil || p.Signature.KeyID != k.KeyID() {
						t.Errorf("internal/rpm reads signature %+v, want key %s", p.Signature, k.KeyID())
					}
				})
			}
		}
	}
}

// checkSigned compares a signed package with the original: same lead,
// header and payload, the old digests kept, the signature tags rpmsign
// uses for the key's algorithm, and the size kept when RESERVEDSPACE
// allows.
func checkSigned(t *testing.T, in, out []byte, k *Key) {
	t.Helper()
	rin, err := rpm.ReadRaw(bytes.NewReader(in), "in")
	if err != nil {
		t.Fatal(err)
	}
	rout, err := rpm.ReadRaw(bytes.NewReader(out), "out")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in[:96], out[:96]) {
		t.Error("lead changed")
	}
	if !bytes.Equal(in[rin.HeaderStart():], out[rout.HeaderStart():]) {
		t.Error("header or payload changed")
	}
	hdrTag, hpTag, otherHdr, otherHP := rpm.SigTagRSAHeader, rpm.SigTagPGP, rpm.SigTagDSAHeader, rpm.SigTagGPG
	if strings.HasPrefix(k.Algorithm(), "EdDSA") {
		hdrTag, hpTag, otherHdr, otherHP = otherHdr, otherHP, hdrTag, hpTag
	}
	for _, tag := range []uint32{hdrTag, hpTag} {
		if _, ok := rout.Entry(tag); !ok {
			t.Errorf("no %s entry", sigTagName(tag))
		}
	}
	for _, tag := range []uint32{otherHdr, otherHP} {
		if _, ok := rout.Entry(tag); ok {
			t.Errorf("stray %s entry", sigTagName(tag))
		}
	}
	for _, e := range rin.Signature {
		if replacedTags[e.Tag] || e.Tag == rpm.SigTagReservedSpace {
			continue
		}
		got, ok := rout.Entry(e.Tag)
		if !ok || got.Type != e.Type || got.Count != e.Count || !bytes.Equal(got.Data, e.Data) {
			t.Errorf("signature header entry %d not kept", e.Tag)
		}
	}
	if _, ok := rin.Entry(rpm.SigTagReservedSpace); ok && rout.SignatureSize != rin.SignatureSize {
		t.Errorf("signature header %d bytes, was %d: RESERVEDSPACE should absorb the signatures", rout.SignatureSize, rin.SignatureSize)
	}
}

// TestResign is a key rotation: a package signed with one key and then
// another carries only the second signature.
func TestResign(t *testing.T) {
	for _, types := range [][2]KeyType{{KeyRSA, KeyRSA}, {KeyRSA, KeyEdDSA}, {KeyEdDSA, KeyRSA}} {
		t.Run(string(types[0])+"-then-"+string(types[1]), func(t *testing.T) {
			old, cur := testKey(t, types[0], 1), testKey(t, types[1], 2)
			in := corpusRPM(t, "rotate", "")
			once := signBytes(t, in, old, true)
			twice := signBytes(t, once, cur, true)
			checkSigned(t, in, twice, cur)

			res, err := VerifyRPM(bytes.NewReader(twice), keyringOf(t, old, cur))
			if err != nil || res.KeyID != cur.KeyID() {
				t.Errorf("both keys: %+v, %v; want signed by %s", res, err, cur.KeyID())
			}
			if _, err := VerifyRPM(bytes.NewReader(twice), keyringOf(t, cur)); err != nil {
				t.Errorf("new key alone: %v", err)
			}
			_, err = VerifyRPM(bytes.NewReader(twice), keyringOf(t, old))
			var nf *KeyNotFoundError
			if !errors.As(err, &nf) || !errors.Is(err, ErrKeyNotInKeyring) || nf.KeyID != cur.KeyID() {
				t.Fatalf("old key alone: %v, want the new key reported missing", err)
			}
			if want := "signed with key " + cur.KeyID() + " which is not in the keyring"; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			// Signing again with the same key gives the same layout.
			again := signBytes(t, twice, cur, true)
			if len(again) != len(twice) {
				t.Errorf("re-signing with the same key changed the size from %d to %d", len(twice), len(again))
			}
		})
	}
}

// TestTamper alters a signed package in one byte (or its length) and
// expects VerifyRPM to refuse it.
func TestTamper(t *testing.T) {
	k := testKey(t, KeyRSA, 0)
	signed := signBytes(t, corpusRPM(t, "tamper", ""), k, true)
	raw, err := rpm.ReadRaw(bytes.NewReader(signed), "x")
	if err != nil {
		t.Fatal(err)
	}
	hdrSig, _ := raw.Entry(rpm.SigTagRSAHeader)
	sigAt := int64(bytes.Index(signed, hdrSig.Data))
	hs := raw.HeaderStart()
	payloadAt := hs + int64(len(raw.Header))
	flip := func(off int64) []byte {
		b := bytes.Clone(signed)
		b[off] ^= 0x01
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want error // nil: any error
		msg  string
	}{
		{"header index", flip(hs + 20), nil, "header"},
		{"header data", flip(payloadAt - 3), nil, "header digest mismatch"},
		{"first payload byte", flip(payloadAt), ErrBadSignature, ""},
		{"middle payload byte", flip(payloadAt + (int64(len(signed))-payloadAt)/2), ErrBadSignature, ""},
		{"last payload byte", flip(int64(len(signed)) - 1), ErrBadSignature, ""},
		{"header signature value", flip(sigAt + int64(len(hdrSig.Data)) - 10), ErrBadSignature, "header signature (RSAHEADER)"},
		{"truncated", signed[:len(signed)-1], nil, "truncated"},
		{"trailing byte", append(bytes.Clone(signed), 0), nil, "trailing data"},
	}
	kr := keyringOf(t, k)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := VerifyRPM(bytes.NewReader(tt.in), kr)
			if err == nil {
				t.Fatalf("altered package verified: %+v", res)
			}
			if res.OK() {
				t.Errorf("Result says OK despite %v", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
	// A damaged payload is not signed.
	var out bytes.Buffer
	damaged := flip(int64(len(signed)) - 1)
	if err := SignRPM(bytes.NewReader(damaged), &out, k); err == nil || !strings.Contains(err.Error(), "digest mismatch") {
		t.Errorf("signing a damaged package: %v, want a payload digest mismatch", err)
	}
}

func TestVerifyErrors(t *testing.T) {
	k, other := testKey(t, KeyRSA, 0), testKey(t, KeyEdDSA, 0)
	unsigned := corpusRPM(t, "unsigned", "")
	signed := signBytes(t, unsigned, k, true)
	tests := []struct {
		name string
		in   []byte
		kr   *Keyring
		want error
		msg  string
	}{
		{"unsigned", unsigned, keyringOf(t, k), ErrUnsigned, "no OpenPGP signature"},
		{"key missing", signed, keyringOf(t, other), ErrKeyNotInKeyring, "signed with key " + k.KeyID() + " which is not in the keyring"},
		{"empty keyring", signed, NewKeyring(), ErrKeyNotInKeyring, "not in the keyring"},
		{"not an rpm", []byte("hello"), keyringOf(t, k), rpm.ErrNotRPM, "not an RPM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyRPM(bytes.NewReader(tt.in), tt.kr)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want %v mentioning %q", err, tt.want, tt.msg)
			}
		})
	}
}

// TestVendorPackages checks real vendor signatures (v3 RSA signatures of
// CentOS 6 and 7, EPEL) against their keys, and CentOS 5's DSA key as an
// unsupported key.
func TestVendorPackages(t *testing.T) {
	dir := sharedFile(t, "signed")
	key := func(n string) *Keyring {
		kr, err := LoadKeyring(filepath.Join(dir, "RPM-GPG-KEY-CentOS-"+n))
		if err != nil {
			t.Fatal(err)
		}
		return kr
	}
	tests := []struct {
		file  string
		kr    *Keyring
		keyID string
		want  error
	}{
		{"centos-release-6-0.el6.centos.5.x86_64.rpm", key("6"), "0946fca2c105b9de", nil},
		{"centos-release-7-2.1511.el7.centos.2.10.x86_64.rpm", key("7"), "24c6a8a7f4a80eb5", nil},
		// EPEL 7's epel-release as CentOS extras ships it: signed by the CentOS 7 key.
		{"epel-release-7-5.noarch.rpm", key("7"), "24c6a8a7f4a80eb5", nil},
		{"centos-release-7-2.1511.el7.centos.2.10.x86_64.rpm", key("6"), "24c6a8a7f4a80eb5", ErrKeyNotInKeyring},
		{"centos-release-5-0.0.el5.centos.2.x86_64.rpm", key("5"), "a8a447dce8562897", ErrUnsupportedKey},
		{"centos-release-5-0.0.el5.centos.2.x86_64.rpm", key("7"), "a8a447dce8562897", ErrKeyNotInKeyring},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res, err := VerifyFile(context.Background(), filepath.Join(dir, tt.file), tt.kr)
			if res.KeyID != tt.keyID {
				t.Errorf("KeyID %q, want %q", res.KeyID, tt.keyID)
			}
			if tt.want == nil {
				if err != nil || !res.OK() || res.Algorithm != "RSA/SHA256" {
					t.Errorf("VerifyFile = %+v, %v; want OK", res, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if tt.want == ErrUnsupportedKey && !strings.Contains(err.Error(), "unsupported key") {
				t.Errorf("error %q does not say unsupported key", err)
			}
		})
	}
	// Re-signing a vendor package replaces its v3 signatures.
	k := testKey(t, KeyRSA, 0)
	in, err := os.ReadFile(filepath.Join(dir, "centos-release-7-2.1511.el7.centos.2.10.x86_64.rpm"))
	if err != nil {
		t.Fatal(err)
	}
	out := signBytes(t, in, k, true)
	checkSigned(t, in, out, k)
	if _, err := VerifyRPM(bytes.NewReader(out), keyringOf(t, k)); err != nil {
		t.Errorf("re-signed CentOS package: %v", err)
	}
}

func TestSignFile(t *testing.T) {
	k := testKey(t, KeyEdDSA, 0)
	dir := t.TempDir()
	path := filepath.Join(dir, "p.rpm")
	if err := os.WriteFile(path, corpusRPM(t, "p", ""), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := SignFile(context.Background(), path, k); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %04o after signing, want 0640 kept", fi.Mode().Perm())
	}
	if res, err := VerifyFile(context.Background(), path, keyringOf(t, k)); err != nil || !res.OK() {
		t.Errorf("VerifyFile = %+v, %v", res, err)
	}

	link := filepath.Join(t.TempDir(), "link.rpm")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if err := SignFile(context.Background(), link, testKey(t, KeyRSA, 0)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("signing through a symbolic link replaced the link: %v", err)
	}
	if res, err := VerifyFile(context.Background(), path, keyringOf(t, testKey(t, KeyRSA, 0))); err != nil || !res.OK() {
		t.Errorf("the link's target is not signed by the new key: %+v, %v", res, err)
	}

	bad := filepath.Join(dir, "bad.rpm")
	if err := os.WriteFile(bad, []byte("not an rpm at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SignFile(context.Background(), bad, k); !errors.Is(err, rpm.ErrNotRPM) {
		t.Errorf("signing a non-RPM: %v", err)
	}
	if b, _ := os.ReadFile(bad); string(b) != "not an rpm at all" {
		t.Error("a failed signing changed the file")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := SignFile(ctx, path, k); !errors.Is(err, context.Canceled) {
		t.Errorf("signing with a cancelled context: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only p.rpm and bad.rpm (no temporary files)", names)
	}
	if err := SignFile(context.Background(), dir, k); err == nil {
		t.Error("signing a folder succeeded")
	}
}

func TestKeyring(t *testing.T) {
	k1, k2 := testKey(t, KeyRSA, 1), testKey(t, KeyEdDSA, 2)
	dir := t.TempDir()
	both := filepath.Join(dir, "both.asc")
	if err := os.WriteFile(both, append(k1.PublicKey(), k2.PublicKey()...), 0o644); err != nil {
		t.Fatal(err)
	}
	kr, err := LoadKeyring(both)
	if err != nil {
		t.Fatal(err)
	}
	if kr.Len() != 2 {
		t.Fatalf("keyring of two concatenated keys holds %d", kr.Len())
	}
	info := kr.Keys()
	if info[0].KeyID != k1.KeyID() || info[1].KeyID != k2.KeyID() || info[1].Algorithm != "EdDSA" {
		t.Errorf("Keys() = %+v", info)
	}
	private := NewKeyring()
	if err := private.Add(testKeyArmored(t, k1)); err != nil || private.Len() != 1 {
		t.Errorf("a private key block in a keyring: %v", err)
	}
	for name, data := range map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("hello"),
		"signature": mustDetached(t, k1),
	} {
		if err := NewKeyring().Add(data); err == nil {
			t.Errorf("%s accepted as a key", name)
		}
	}
	if _, err := LoadKeyring(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing keyring file loaded")
	}
	if dir := sharedDir(t); dirExists(dir) {
		kr5, err := LoadKeyring(filepath.Join(dir, "signed", "RPM-GPG-KEY-CentOS-5"))
		if err != nil {
			t.Fatal(err)
		}
		if ks := kr5.Keys(); len(ks) != 1 || ks[0].Algorithm != "DSA" || ks[0].Bits != 1024 || ks[0].Unsupported == "" {
			t.Errorf("CentOS 5 key: %+v, want one unsupported DSA 1024 key", ks)
		}
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func mustDetached(t *testing.T, s Signer) []byte {
	t.Helper()
	b, err := SignDetached([]byte("data"), s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDetached(t *testing.T) {
	k, other := testKey(t, KeyRSA, 0), testKey(t, KeyEdDSA, 0)
	data := []byte("<?xml version=\"1.0\"?>\n<repomd/>\n")
	armored, err := SignDetached(data, k)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(armored, []byte("-----BEGIN PGP SIGNATURE-----")) {
		t.Errorf("not armored:\n%s", armored)
	}
	binary, err := k.Sign(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Clone(data)
	altered[3] ^= 1
	tests := []struct {
		name string
		data []byte
		sig  []byte
		kr   *Keyring
		want error
	}{
		{"armored", data, armored, keyringOf(t, k), nil},
		{"binary", data, binary, keyringOf(t, k), nil},
		{"rotation keyring", data, armored, keyringOf(t, other, k), nil},
		{"altered data", altered, armored, keyringOf(t, k), ErrBadSignature},
		{"other key", data, armored, keyringOf(t, other), ErrKeyNotInKeyring},
		{"empty signature", data, nil, keyringOf(t, k), ErrUnsigned},
		{"garbage signature", data, []byte("-----BEGIN PGP SIGNATURE-----\n\nxx\n-----END PGP SIGNATURE-----\n"), keyringOf(t, k), ErrBadSignature},
		{"key as signature", data, k.PublicKey(), keyringOf(t, k), ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := VerifyDetached(tt.data, tt.sig, tt.kr)
			if tt.want == nil {
				if err != nil || id != k.KeyID() {
					t.Errorf("VerifyDetached = %q, %v", id, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignFilesParallel(t *testing.T) {
	k := testKey(t, KeyRSA, 0)
	dir := t.TempDir()
	var paths []string
	for i, name := range []string{"a", "b", "c", "d", "e"} {
		p := filepath.Join(dir, name+".rpm")
		data := corpusRPM(t, "par-"+name, "")
		if i == 2 {
			data = []byte("broken")
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, workers := range []int{0, 1, 3, 10} {
		errs := SignFiles(context.Background(), paths, k, workers)
		for i, err := range errs {
			if (err != nil) != (i == 2) {
				t.Errorf("workers %d: %s: %v", workers, paths[i], err)
			}
		}
		res, errs := VerifyFiles(context.Background(), paths, keyringOf(t, k), workers)
		for i, err := range errs {
			if (err != nil) != (i == 2) || (i != 2 && res[i].KeyID != k.KeyID()) {
				t.Errorf("workers %d: verify %s: %+v, %v", workers, paths[i], res[i], err)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i, err := range SignFiles(ctx, paths, k, 2) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %s: %v", paths[i], err)
		}
	}
}

// scriptedSigner returns its signatures in turn, whatever it is given.
type scriptedSigner struct {
	Signer
	sigs [][]byte
	n    int
}

func (s *scriptedSigner) Sign(r io.Reader) ([]byte, error) {
	io.Copy(io.Discard, r)
	s.n++
	return s.sigs[s.n-1], nil
}

// TestSignRPMBadSigner: what a signer returns is checked before it is
// written into a package.
func TestSignRPMBadSigner(t *testing.T) {
	k1, k2 := testKey(t, KeyRSA, 1), testKey(t, KeyRSA, 2)
	sig := func(k *Key) []byte {
		b, err := k.Sign(bytes.NewReader(nil))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	in := corpusRPM(t, "badsigner", "")
	tests := []struct {
		name string
		sigs [][]byte
		want string
	}{
		{"garbage header signature", [][]byte{[]byte("garbage"), sig(k1)}, "the signer's header signature"},
		{"garbage header+payload signature", [][]byte{sig(k1), {0x88, 0x01, 0x09}}, "the signer's header+payload signature"},
		{"two keys", [][]byte{sig(k1), sig(k2)}, "different keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := SignRPM(bytes.NewReader(in), io.Discard, &scriptedSigner{Signer: k1, sigs: tt.sigs})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
