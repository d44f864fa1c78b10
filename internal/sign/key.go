package sign

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Signer makes the OpenPGP signatures SignRPM and SignDetached store.
// Implementations must be safe for concurrent use: `smeforge rpm sign`
// signs several packages at once with one Signer.
type Signer interface {
	// Sign reads r to its end and returns one binary OpenPGP v4 signature
	// packet over what it read: signature type 0x00 (binary), SHA-256,
	// with creation time, issuer key ID and issuer fingerprint subpackets.
	// It takes a reader, not a slice, so that a header+payload signature
	// hashes the payload as it streams by instead of holding it in memory.
	Sign(r io.Reader) (sig []byte, err error)
	// KeyID is the signing key's ID: 16 lower-case hex digits, as rpm
	// prints it.
	KeyID() string
	// PublicKey is the armored public key, what rpmkeys --import, dnf's
	// gpgkey= and gpg --import read.
	PublicKey() []byte
	// Algorithm is the signature algorithm as rpm prints it:
	// "RSA/SHA256" or "EdDSA/SHA256".
	Algorithm() string
}

// KeyType is the kind of key GenerateKey makes.
type KeyType string

// The key types GenerateKey makes. rpm 4.14 and later verify both; RSA is
// the default because every rpm and every yum does.
const (
	KeyRSA   KeyType = "rsa"
	KeyEdDSA KeyType = "eddsa"
)

// ParseKeyType checks a --type value ("" means RSA).
func ParseKeyType(s string) (KeyType, error) {
	switch strings.ToLower(s) {
	case "", "rsa":
		return KeyRSA, nil
	case "eddsa", "ed25519":
		return KeyEdDSA, nil
	}
	return "", fmt.Errorf("unknown key type %q (want rsa or eddsa)", s)
}

// KeyOptions configure GenerateKey.
type KeyOptions struct {
	Type KeyType // KeyRSA when empty
	// Bits is the RSA modulus size: 4096 when zero, at least 2048.
	Bits int
	// UserID names the key: "SME Server Project <security@example.org>".
	UserID string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand is the source of randomness; crypto/rand when nil.
	Rand io.Reader
}

// Key is a private OpenPGP signing key held in memory. It implements
// Signer and is safe for concurrent use.
type Key struct {
	entity *openpgp.Entity
	priv   *packet.PrivateKey // the key that signs: the primary key, or a signing subkey
	pub    []byte             // armored public key
	// Now is the clock for signature creation times; time.Now when nil.
	Now func() time.Time
}

var _ Signer = (*Key)(nil)

// GenerateKey makes a new signing key: a v4 primary key that certifies and
// signs, with one user ID and no subkey (rpm uses the primary key). EdDSA
// keys use the Ed25519 curve in the "EdDSA legacy" form (algorithm 22) that
// gpg 2.2 and rpm 4.14 and later read.
func GenerateKey(opt KeyOptions) (*Key, error) {
	name, comment, email, err := parseUserID(opt.UserID)
	if err != nil {
		return nil, err
	}
	cfg := keyConfig(opt.Now)
	cfg.Rand = opt.Rand
	switch opt.Type {
	case "", KeyRSA:
		bits := opt.Bits
		if bits == 0 {
			bits = 4096
		}
		if bits < 2048 {
			return nil, fmt.Errorf("generating key: RSA keys need at least 2048 bits, not %d", bits)
		}
		cfg.Algorithm, cfg.RSABits = packet.PubKeyAlgoRSA, bits
	case KeyEdDSA:
		cfg.Algorithm, cfg.Curve = packet.PubKeyAlgoEdDSA, packet.Curve25519
	default:
		return nil, fmt.Errorf("generating key: unknown key type %q", opt.Type)
	}
	e, err := openpgp.NewEntity(name, comment, email, cfg)
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", opt.Type, err)
	}
	// NewEntity adds an encryption subkey; a signing key has no use for it
	// and older rpm releases stumble over subkeys.
	e.Subkeys = nil
	return newKey(e, e.PrivateKey, opt.Now)
}

// keyConfig is the go-crypto configuration for key generation and
// signatures. The subpackets are marked as gpg marks them: rpm up to 4.16
// does not understand a critical creation time, key flags or issuer.
func keyConfig(now func() time.Time) *packet.Config {
	deterministic := false
	return &packet.Config{
		DefaultHash:                           crypto.SHA256,
		Time:                                  now,
		NonDeterministicSignaturesViaNotation: &deterministic,
		InsecureGenerateNonCriticalSignatureCreationTime: true,
		InsecureGenerateNonCriticalKeyFlags:              true,
	}
}

var userIDRe = regexp.MustCompile(`^\s*([^()<>]*?)\s*(?:\(([^()<>]*)\))?\s*(?:<([^()<>\s]+)>)?\s*$`)

// parseUserID splits "Name (comment) <email>" as go-crypto wants it.
func parseUserID(s string) (name, comment, email string, err error) {
	m := userIDRe.FindStringSubmatch(s)
	if m == nil || strings.ContainsRune(s, 0) || (m[1] == "" && m[3] == "") {
		return "", "", "", fmt.Errorf("user ID %q is not of the form \"Name <email>\"", s)
	}
	return m[1], m[2], m[3], nil
}

func newKey(e *openpgp.Entity, priv *packet.PrivateKey, now func() time.Time) (*Key, error) {
	if priv.Version != 4 {
		return nil, &UnsupportedKeyError{KeyID: keyID(priv.KeyId), Name: primaryName(e), Reason: fmt.Sprintf("a v%d key makes v%d signatures, which rpm 4.18 rejects; smeforge signs with v4 keys", priv.Version, priv.Version)}
	}
	if reason := keySupport(&priv.PublicKey); reason != "" {
		return nil, &UnsupportedKeyError{KeyID: keyID(priv.KeyId), Name: primaryName(e), Reason: reason}
	}
	if k, ok := priv.PrivateKey.(*rsa.PrivateKey); ok {
		k.Precompute()
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, fmt.Errorf("exporting public key: %w", err)
	}
	if err := e.Serialize(w); err != nil {
		return nil, fmt.Errorf("exporting public key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("exporting public key: %w", err)
	}
	buf.WriteByte('\n')
	return &Key{entity: e, priv: priv, pub: buf.Bytes(), Now: now}, nil
}

// ImportKey reads an armored (or binary) OpenPGP private key, such as
// `gpg --export-secret-keys --armor` writes or Key.MarshalPrivate returns.
// A key protected by a passphrase needs it; nil means none. The primary key
// signs when it may; otherwise the newest signing subkey does.
func ImportKey(data, passphrase []byte) (*Key, error) {
	el, err := readEntities(data)
	if err != nil {
		return nil, fmt.Errorf("importing private key: %w", err)
	}
	var withPriv []*openpgp.Entity
	for _, e := range el {
		if e.PrivateKey != nil {
			withPriv = append(withPriv, e)
		}
	}
	switch {
	case len(withPriv) == 0:
		return nil, errors.New("importing private key: the data holds no private key (a public key file?)")
	case len(withPriv) > 1:
		return nil, fmt.Errorf("importing private key: the data holds %d private keys; give one", len(withPriv))
	}
	e := withPriv[0]
	if err := decrypt(e, passphrase); err != nil {
		return nil, err
	}
	priv := e.PrivateKey
	if self, _ := e.PrimarySelfSignature(); self == nil || (self.FlagsValid && !self.FlagSign) || !e.PrimaryKey.CanSign() || e.PrivateKey.Dummy() {
		k, ok := e.SigningKey(time.Now())
		if !ok || k.PrivateKey == nil || k.PrivateKey.Dummy() {
			return nil, fmt.Errorf("importing private key %s: it has no key that may sign", keyID(e.PrimaryKey.KeyId))
		}
		priv = k.PrivateKey
	}
	return newKey(e, priv, nil)
}

func decrypt(e *openpgp.Entity, passphrase []byte) error {
	encrypted := e.PrivateKey.Encrypted
	for _, s := range e.Subkeys {
		encrypted = encrypted || (s.PrivateKey != nil && s.PrivateKey.Encrypted)
	}
	if !encrypted {
		return nil
	}
	if passphrase == nil {
		return fmt.Errorf("importing private key %s: it is protected by a passphrase; give it, or export the key without one", keyID(e.PrimaryKey.KeyId))
	}
	if err := e.DecryptPrivateKeys(passphrase); err != nil {
		return fmt.Errorf("importing private key %s: decrypting with the passphrase: %w", keyID(e.PrimaryKey.KeyId), err)
	}
	return nil
}

// MarshalPrivate returns the key as an armored, unencrypted private key
// block; keep it in a file of mode 0600 (WriteKeyFiles does).
func (k *Key) MarshalPrivate() ([]byte, error) {
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		return nil, fmt.Errorf("exporting private key: %w", err)
	}
	if err := k.entity.SerializePrivateWithoutSigning(w, nil); err != nil {
		return nil, fmt.Errorf("exporting private key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("exporting private key: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// KeyID implements Signer.
func (k *Key) KeyID() string { return keyID(k.priv.KeyId) }

// Fingerprint is the signing key's fingerprint in lower-case hex.
func (k *Key) Fingerprint() string { return hex.EncodeToString(k.priv.Fingerprint) }

// UserID is the key's primary user ID.
func (k *Key) UserID() string { return primaryName(k.entity) }

// PublicKey implements Signer.
func (k *Key) PublicKey() []byte { return bytes.Clone(k.pub) }

// Algorithm implements Signer.
func (k *Key) Algorithm() string { return algoName(k.priv.PubKeyAlgo) + "/SHA256" }

// Sign implements Signer.
func (k *Key) Sign(r io.Reader) ([]byte, error) {
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	created := now()
	cfg := keyConfig(func() time.Time { return created })
	id := k.priv.KeyId
	sig := &packet.Signature{
		Version:      k.priv.Version,
		SigType:      packet.SigTypeBinary,
		PubKeyAlgo:   k.priv.PubKeyAlgo,
		Hash:         crypto.SHA256,
		CreationTime: created,
		IssuerKeyId:  &id,
	}
	h, err := sig.PrepareSign(cfg)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if _, err := io.CopyBuffer(h, r, make([]byte, 64<<10)); err != nil {
		return nil, fmt.Errorf("signing: reading the data: %w", err)
	}
	if err := sig.Sign(h, k.priv, cfg); err != nil {
		return nil, fmt.Errorf("signing with key %s: %w", k.KeyID(), err)
	}
	var buf bytes.Buffer
	if err := sig.Serialize(&buf); err != nil {
		return nil, fmt.Errorf("signing: encoding the signature: %w", err)
	}
	return oldFormatPacket(buf.Bytes())
}

// Files GenerateKey's command writes into its folder.
const (
	PrivateKeyFile = "private.asc"
	PublicKeyFile  = "public.asc"
)

// WriteKeyFiles writes the private key to dir/private.asc (mode 0600) and
// the public key to dir/public.asc (mode 0644), creating dir (mode 0700)
// if needed. It never overwrites a key: an existing file is an error.
func WriteKeyFiles(dir string, k *Key) (privPath, pubPath string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("creating key folder: %w", err)
	}
	priv, err := k.MarshalPrivate()
	if err != nil {
		return "", "", err
	}
	privPath, pubPath = filepath.Join(dir, PrivateKeyFile), filepath.Join(dir, PublicKeyFile)
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("writing key files: %s already exists; not overwriting a key", p)
		}
	}
	if err := writeNew(privPath, priv, 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(pubPath, k.PublicKey(), 0o644); err != nil {
		return "", "", err
	}
	return privPath, pubPath, nil
}

// writeNew creates path with mode perm (never wider, whatever the umask
// allows), writes data and syncs it.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// OpenKeyFile loads the private key at path, a file-backed Signer. It
// refuses a file that group or others may read (a *KeyFileModeError).
func OpenKeyFile(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening private key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("opening private key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("opening private key: %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, &KeyFileModeError{Path: path, Mode: fi.Mode()}
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading private key %s: %w", path, err)
	}
	k, err := ImportKey(data, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func keyID(id uint64) string { return fmt.Sprintf("%016x", id) }

func primaryName(e *openpgp.Entity) string {
	if e == nil {
		return ""
	}
	if id := e.PrimaryIdentity(); id != nil {
		return id.Name
	}
	return ""
}

func algoName(a packet.PublicKeyAlgorithm) string {
	switch a {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		return "RSA"
	case packet.PubKeyAlgoDSA:
		return "DSA"
	case packet.PubKeyAlgoEdDSA:
		return "EdDSA"
	case packet.PubKeyAlgoEd25519:
		return "Ed25519"
	case packet.PubKeyAlgoECDSA:
		return "ECDSA"
	case packet.PubKeyAlgoElGamal:
		return "ElGamal"
	}
	return fmt.Sprintf("algorithm %d", a)
}
