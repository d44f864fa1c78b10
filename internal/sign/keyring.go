package sign

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Keyring is the set of public keys signatures are checked against: one
// key, or several while packages signed by the old key and the new one
// coexist during a key rotation. Build it with Add or LoadKeyring, then
// share it: verifying only reads it and is safe for concurrent use, adding
// is not.
//
// Keys smeforge does not verify with (DSA, RSA under 2048 bits) are kept
// as unsupported, so that a signature by one is reported as an unsupported
// key rather than as a missing one.
type Keyring struct {
	keys  map[uint64]*publicKey
	order []uint64
}

// publicKey is one key that may sign: a primary key or a signing subkey.
type publicKey struct {
	pk          *packet.PublicKey
	name        string    // primary user ID of its certificate
	expires     time.Time // zero: never
	revoked     bool
	unsupported string // why smeforge will not verify with it; "" when it will
}

// KeyInfo describes a key of a Keyring.
type KeyInfo struct {
	KeyID       string // 16 lower-case hex digits
	Fingerprint string // lower-case hex
	UserID      string
	Algorithm   string // "RSA", "EdDSA", "DSA" ...
	Bits        int
	Created     time.Time
	Expires     time.Time // zero: never
	Revoked     bool
	Subkey      bool
	// Unsupported says why signatures by this key are refused; empty when
	// they are checked.
	Unsupported string
}

// NewKeyring returns an empty keyring.
func NewKeyring() *Keyring { return &Keyring{keys: map[uint64]*publicKey{}} }

// LoadKeyring reads the public key files at paths (armored or binary, one
// or more keys each) into a new keyring.
func LoadKeyring(paths ...string) (*Keyring, error) {
	kr := NewKeyring()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading keyring: %w", err)
		}
		if err := kr.Add(b); err != nil {
			return nil, fmt.Errorf("reading keyring %s: %w", p, err)
		}
	}
	return kr, nil
}

// Add reads one or more public keys (armored blocks, or binary) and adds
// every key that may sign: each certificate's primary key and its signing
// subkeys. Private key blocks are read for their public part.
func (kr *Keyring) Add(data []byte) error {
	el, err := readEntities(data)
	if err != nil {
		return err
	}
	if len(el) == 0 {
		return errors.New("no OpenPGP key found")
	}
	for _, e := range el {
		name := primaryName(e)
		self, _ := e.PrimarySelfSignature()
		pk := &publicKey{pk: e.PrimaryKey, name: name, revoked: len(e.Revocations) > 0}
		if self != nil {
			pk.expires = expiry(e.PrimaryKey, self)
		}
		pk.unsupported = keySupport(e.PrimaryKey)
		kr.put(pk)
		for _, s := range e.Subkeys {
			if s.Sig == nil || (s.Sig.FlagsValid && !s.Sig.FlagSign) || !s.PublicKey.CanSign() {
				continue
			}
			sk := &publicKey{pk: s.PublicKey, name: name, revoked: pk.revoked || len(s.Revocations) > 0, expires: expiry(s.PublicKey, s.Sig)}
			sk.unsupported = keySupport(s.PublicKey)
			kr.put(sk)
		}
	}
	return nil
}

func (kr *Keyring) put(k *publicKey) {
	if _, ok := kr.keys[k.pk.KeyId]; !ok {
		kr.order = append(kr.order, k.pk.KeyId)
	}
	kr.keys[k.pk.KeyId] = k
}

func expiry(pk *packet.PublicKey, sig *packet.Signature) time.Time {
	if sig.KeyLifetimeSecs == nil || *sig.KeyLifetimeSecs == 0 {
		return time.Time{}
	}
	return pk.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second)
}

// Len is the number of keys (primary keys and signing subkeys).
func (kr *Keyring) Len() int { return len(kr.order) }

// Keys describes the keys in the order they were added.
func (kr *Keyring) Keys() []KeyInfo {
	out := make([]KeyInfo, 0, len(kr.order))
	for _, id := range kr.order {
		k := kr.keys[id]
		bits, _ := k.pk.BitLength()
		out = append(out, KeyInfo{
			KeyID: keyID(id), Fingerprint: fmt.Sprintf("%x", k.pk.Fingerprint), UserID: k.name,
			Algorithm: algoName(k.pk.PubKeyAlgo), Bits: int(bits), Created: k.pk.CreationTime,
			Expires: k.expires, Revoked: k.revoked, Subkey: k.pk.IsSubkey, Unsupported: k.unsupported,
		})
	}
	return out
}

// lookup finds the key a signature names: a *KeyNotFoundError when the
// keyring lacks it, an *UnsupportedKeyError when smeforge will not use it.
func (kr *Keyring) lookup(id uint64) (*publicKey, error) {
	k, ok := kr.keys[id]
	if !ok {
		return nil, &KeyNotFoundError{KeyID: keyID(id)}
	}
	if k.unsupported != "" {
		return nil, &UnsupportedKeyError{KeyID: keyID(id), Name: k.name, Reason: k.unsupported}
	}
	return k, nil
}

// validAt checks that the key could sign at t: not revoked, not expired.
// An expired key still verifies what it signed while it was valid, as
// rpm does for CentOS 6's packages signed before 2021.
func (k *publicKey) validAt(t time.Time) error {
	if k.revoked {
		return fmt.Errorf("%w: key %s (%s) is revoked", ErrBadSignature, keyID(k.pk.KeyId), k.name)
	}
	if !k.expires.IsZero() && t.After(k.expires) {
		return fmt.Errorf("%w: key %s (%s) expired on %s, before the signature was made on %s", ErrBadSignature,
			keyID(k.pk.KeyId), k.name, k.expires.UTC().Format(time.DateOnly), t.UTC().Format(time.DateOnly))
	}
	return nil
}

// keySupport says why smeforge will not verify or sign with a key, or ""
// when it will: RSA of 2048 bits or more and EdDSA/Ed25519, what rpm 4.18
// and rpm-sequoia's default policy both accept.
func keySupport(pk *packet.PublicKey) string {
	bits, _ := pk.BitLength()
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		if bits < 2048 {
			return fmt.Sprintf("RSA key of %d bits; smeforge accepts RSA keys of 2048 bits or more", bits)
		}
		return ""
	case packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoEd25519:
		return ""
	case packet.PubKeyAlgoDSA:
		return fmt.Sprintf("DSA key of %d bits; smeforge verifies RSA keys of 2048 bits or more and EdDSA keys", bits)
	}
	return fmt.Sprintf("%s key; smeforge verifies RSA keys of 2048 bits or more and EdDSA keys", algoName(pk.PubKeyAlgo))
}

// readEntities reads every certificate in data: armored blocks (several
// may follow each other) or binary packets.
func readEntities(data []byte) (openpgp.EntityList, error) {
	begin := []byte("-----BEGIN PGP ")
	if !bytes.Contains(data, begin) {
		el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, keyReadError(err)
		}
		return el, nil
	}
	var all openpgp.EntityList
	for rest := data; ; {
		i := bytes.Index(rest, begin)
		if i < 0 {
			break
		}
		rest = rest[i:]
		block := rest
		if j := bytes.Index(rest[len(begin):], begin); j >= 0 {
			block, rest = rest[:len(begin)+j], rest[len(begin)+j:]
		} else {
			rest = nil
		}
		if !bytes.HasPrefix(block, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) && !bytes.HasPrefix(block, []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----")) {
			end := bytes.IndexByte(block, '\n')
			if end < 0 {
				end = len(block)
			}
			return nil, fmt.Errorf("%q is not a key block", bytes.TrimSpace(block[:end]))
		}
		el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(block))
		if err != nil {
			return nil, keyReadError(err)
		}
		all = append(all, el...)
	}
	if all == nil {
		return nil, errors.New("no OpenPGP key found")
	}
	return slices.Clip(all), nil
}

func keyReadError(err error) error {
	var ue pgperrors.UnsupportedError
	if errors.As(err, &ue) {
		return &UnsupportedKeyError{Reason: "cannot be read: " + err.Error()}
	}
	return fmt.Errorf("reading OpenPGP key: %w", err)
}
