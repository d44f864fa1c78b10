package sign

import (
	"bytes"
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func TestGenerateKeyDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("generating a 4096-bit key takes seconds")
	}
	k, err := GenerateKey(KeyOptions{UserID: "SME Server Project <security@example.org>"})
	if err != nil {
		t.Fatal(err)
	}
	kr := keyringOf(t, k)
	info := kr.Keys()
	if len(info) != 1 {
		t.Fatalf("keyring of a generated key has %d keys, want 1 (no subkey)", len(info))
	}
	if got := info[0]; got.Algorithm != "RSA" || got.Bits != 4096 || got.UserID != "SME Server Project <security@example.org>" || got.KeyID != k.KeyID() || got.Unsupported != "" {
		t.Errorf("generated key = %+v, want RSA 4096 with the user ID", got)
	}
	if k.Algorithm() != "RSA/SHA256" {
		t.Errorf("Algorithm() = %q", k.Algorithm())
	}
}

func TestGenerateKeyTypes(t *testing.T) {
	tests := []struct {
		typ      KeyType
		algo     string
		wantAlgo packet.PublicKeyAlgorithm
	}{
		{KeyRSA, "RSA/SHA256", packet.PubKeyAlgoRSA},
		{KeyEdDSA, "EdDSA/SHA256", packet.PubKeyAlgoEdDSA},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			k := testKey(t, tt.typ, 0)
			if k.Algorithm() != tt.algo {
				t.Errorf("Algorithm() = %q, want %q", k.Algorithm(), tt.algo)
			}
			if len(k.KeyID()) != 16 || strings.ToLower(k.KeyID()) != k.KeyID() || !strings.HasSuffix(k.Fingerprint(), k.KeyID()) {
				t.Errorf("KeyID %q / fingerprint %q", k.KeyID(), k.Fingerprint())
			}
			el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(k.PublicKey()))
			if err != nil {
				t.Fatal(err)
			}
			if len(el) != 1 || el[0].PrivateKey != nil || len(el[0].Subkeys) != 0 || el[0].PrimaryKey.PubKeyAlgo != tt.wantAlgo || el[0].PrimaryKey.Version != 4 {
				t.Errorf("public key: %d entities, private %v, %d subkeys, algo %d", len(el), el[0].PrivateKey != nil, len(el[0].Subkeys), el[0].PrimaryKey.PubKeyAlgo)
			}
			self, _ := el[0].PrimarySelfSignature()
			if self == nil || !self.FlagSign || !self.FlagCertify {
				t.Error("primary key may not sign")
			}
		})
	}
}

// TestSignaturePacket checks what rpm requires of a signature: a v4
// binary signature over SHA-256, issuer key ID, issuer fingerprint and
// creation time hashed, in an old-format packet as gpg writes.
func TestSignaturePacket(t *testing.T) {
	for _, typ := range []KeyType{KeyRSA, KeyEdDSA} {
		t.Run(string(typ), func(t *testing.T) {
			k := testKey(t, typ, 0)
			data := []byte("repomd.xml contents")
			b, err := k.Sign(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if b[0]&0xc0 != 0x80 || (b[0]>>2)&0x0f != 2 {
				t.Errorf("packet header %#02x is not an old-format signature packet", b[0])
			}
			p, err := packet.Read(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			sig := p.(*packet.Signature)
			if sig.Version != 4 || sig.SigType != packet.SigTypeBinary || sig.Hash != crypto.SHA256 {
				t.Errorf("v%d type %#x hash %v, want v4 binary SHA-256", sig.Version, sig.SigType, sig.Hash)
			}
			if sig.IssuerKeyId == nil || keyID(*sig.IssuerKeyId) != k.KeyID() {
				t.Error("issuer key ID missing or wrong")
			}
			if !bytes.Equal(sig.IssuerFingerprint, k.priv.Fingerprint) {
				t.Error("issuer fingerprint missing or wrong")
			}
			if !sig.CreationTime.Equal(clock()) {
				t.Errorf("creation time %v, want %v", sig.CreationTime, clock())
			}
			for _, n := range sig.Notations {
				t.Errorf("unexpected notation %q (go-crypto's salt makes signatures non-deterministic)", n.Name)
			}
			kr := keyringOf(t, k)
			if id, err := VerifyDetached(data, b, kr); err != nil || id != k.KeyID() {
				t.Errorf("VerifyDetached = %q, %v", id, err)
			}
		})
	}
}

func TestParseUserID(t *testing.T) {
	tests := []struct {
		in                   string
		name, comment, email string
		wantErr              bool
	}{
		{"SME Server Project <security@example.org>", "SME Server Project", "", "security@example.org", false},
		{"Packager (test key) <p@example.org>", "Packager", "test key", "p@example.org", false},
		{"Just A Name", "Just A Name", "", "", false},
		{"<only@example.org>", "", "", "only@example.org", false},
		{"", "", "", "", true},
		{"Bad <a@b> <c@d>", "", "", "", true},
		{"Nul\x00 <a@b>", "", "", "", true},
	}
	for _, tt := range tests {
		name, comment, email, err := parseUserID(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseUserID(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && (name != tt.name || comment != tt.comment || email != tt.email) {
			t.Errorf("parseUserID(%q) = %q, %q, %q", tt.in, name, comment, email)
		}
	}
}

func TestParseKeyType(t *testing.T) {
	for in, want := range map[string]KeyType{"": KeyRSA, "rsa": KeyRSA, "RSA": KeyRSA, "eddsa": KeyEdDSA, "ed25519": KeyEdDSA} {
		if got, err := ParseKeyType(in); err != nil || got != want {
			t.Errorf("ParseKeyType(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseKeyType("dsa"); err == nil {
		t.Error("ParseKeyType(dsa) accepted")
	}
	if _, err := GenerateKey(KeyOptions{Bits: 1024, UserID: "x <x@example.org>"}); err == nil {
		t.Error("a 1024-bit RSA key was generated")
	}
}

func TestKeyFiles(t *testing.T) {
	k := testKey(t, KeyEdDSA, 0)
	dir := filepath.Join(t.TempDir(), "keys")
	priv, pub, err := WriteKeyFiles(dir, k)
	if err != nil {
		t.Fatal(err)
	}
	for path, mode := range map[string]os.FileMode{dir: 0o700, priv: 0o600, pub: 0o644} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %04o, want %04o", path, fi.Mode().Perm(), mode)
		}
	}
	if _, _, err := WriteKeyFiles(dir, k); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second WriteKeyFiles: %v, want a refusal to overwrite", err)
	}
	loaded, err := OpenKeyFile(priv)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.KeyID() != k.KeyID() || !bytes.Equal(loaded.PublicKey(), k.PublicKey()) {
		t.Error("the key read back differs")
	}
	kr, err := LoadKeyring(pub)
	if err != nil {
		t.Fatal(err)
	}
	loaded.Now = clock
	sig, err := SignDetached([]byte("x"), loaded)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyDetached([]byte("x"), sig, kr); err != nil {
		t.Errorf("signature by the loaded key: %v", err)
	}

	tests := []struct {
		mode    os.FileMode
		wantErr error
	}{
		{0o600, nil},
		{0o400, nil},
		{0o640, ErrKeyFileMode},
		{0o604, ErrKeyFileMode},
		{0o644, ErrKeyFileMode},
	}
	for _, tt := range tests {
		if err := os.Chmod(priv, tt.mode); err != nil {
			t.Fatal(err)
		}
		_, err := OpenKeyFile(priv)
		if !errors.Is(err, tt.wantErr) && !(tt.wantErr == nil && err == nil) {
			t.Errorf("mode %04o: %v, want %v", tt.mode, err, tt.wantErr)
		}
		if tt.wantErr != nil && (err == nil || !strings.Contains(err.Error(), "chmod 600")) {
			t.Errorf("mode %04o: error %q does not say how to fix it", tt.mode, err)
		}
	}
	if _, err := OpenKeyFile(pub); err == nil {
		t.Error("a public key file opened as a private key")
	}
	if _, err := OpenKeyFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing key file opened")
	}
}

func TestImportKey(t *testing.T) {
	k := testKey(t, KeyRSA, 0)
	armored, err := k.MarshalPrivate()
	if err != nil {
		t.Fatal(err)
	}
	// The same key protected by a passphrase, as gpg exports it.
	el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armored))
	if err != nil {
		t.Fatal(err)
	}
	if err := el[0].EncryptPrivateKeys([]byte("s3cret"), nil); err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	w, _ := armor.Encode(&enc, openpgp.PrivateKeyType, nil)
	if err := el[0].SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()

	tests := []struct {
		name       string
		data       []byte
		passphrase []byte
		want       string // error substring; "" for success
	}{
		{"armored", armored, nil, ""},
		{"encrypted with passphrase", enc.Bytes(), []byte("s3cret"), ""},
		{"encrypted without passphrase", enc.Bytes(), nil, "protected by a passphrase"},
		{"encrypted wrong passphrase", enc.Bytes(), []byte("nope"), "decrypting"},
		{"public key only", k.PublicKey(), nil, "no private key"},
		{"two private keys", append(bytes.Clone(armored), testKeyArmored(t, testKey(t, KeyEdDSA, 0))...), nil, "2 private keys"},
		{"garbage", []byte("not a key"), nil, "reading OpenPGP key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ImportKey(tt.data, tt.passphrase)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got.KeyID() != k.KeyID() {
					t.Errorf("imported key %s, want %s", got.KeyID(), k.KeyID())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func testKeyArmored(t *testing.T, k *Key) []byte {
	t.Helper()
	b, err := k.MarshalPrivate()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKeyValidity: an expired key verifies what it signed while valid and
// nothing after; a revoked key verifies nothing; SHA-1 signatures are
// refused.
func TestKeyValidity(t *testing.T) {
	cfg := keyConfig(clock)
	cfg.Algorithm, cfg.Curve = packet.PubKeyAlgoEdDSA, packet.Curve25519
	cfg.KeyLifetimeSecs = 3600
	e, err := openpgp.NewEntity("Short Lived", "", "short@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Subkeys = nil
	k, err := newKey(e, e.PrivateKey, clock)
	if err != nil {
		t.Fatal(err)
	}
	kr := keyringOf(t, k)
	data := []byte("data")
	sign := func(at time.Time, hash crypto.Hash) []byte {
		t.Helper()
		k.Now = func() time.Time { return at }
		if hash == crypto.SHA256 {
			b, err := k.Sign(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		sig := &packet.Signature{Version: 4, SigType: packet.SigTypeBinary, PubKeyAlgo: k.priv.PubKeyAlgo, Hash: hash, CreationTime: at, IssuerKeyId: &k.priv.KeyId}
		c := keyConfig(func() time.Time { return at })
		h, _ := sig.PrepareSign(c)
		h.Write(data)
		if err := sig.Sign(h, k.priv, c); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		sig.Serialize(&buf)
		return buf.Bytes()
	}
	if _, err := VerifyDetached(data, sign(clock().Add(30*time.Minute), crypto.SHA256), kr); err != nil {
		t.Errorf("signature made while the key was valid: %v", err)
	}
	if _, err := VerifyDetached(data, sign(clock().Add(2*time.Hour), crypto.SHA256), kr); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("signature made after expiry: %v", err)
	}
	if _, err := VerifyDetached(data, sign(clock(), crypto.SHA1), kr); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "SHA1") {
		t.Errorf("SHA-1 signature: %v", err)
	}
	if err := e.RevokeKey(packet.KeyCompromised, "test", cfg); err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	revoked := NewKeyring()
	if err := revoked.Add(pub.Bytes()); err != nil {
		t.Fatal(err)
	}
	if ks := revoked.Keys(); len(ks) != 1 || !ks[0].Revoked {
		t.Errorf("revoked key read as %+v", ks)
	}
	if _, err := VerifyDetached(data, sign(clock(), crypto.SHA256), revoked); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("signature by a revoked key: %v", err)
	}
}
