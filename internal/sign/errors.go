package sign

import (
	"errors"
	"fmt"
	"io/fs"
)

// Sentinel errors; check them with errors.Is. The typed errors below say
// which key, which file and why.
var (
	// ErrUnsigned: the package or data carries no OpenPGP signature.
	ErrUnsigned = errors.New("not signed")
	// ErrKeyNotInKeyring: the signature names a key the keyring lacks.
	ErrKeyNotInKeyring = errors.New("signing key not in the keyring")
	// ErrUnsupportedKey: the key is one smeforge does not verify or sign
	// with (DSA, RSA under 2048 bits, a format it cannot read).
	ErrUnsupportedKey = errors.New("unsupported key")
	// ErrBadSignature: the signature does not match the data or the key.
	ErrBadSignature = errors.New("bad signature")
	// ErrKeyFileMode: a private key file that group or others can read.
	ErrKeyFileMode = errors.New("private key file readable by group or others")
)

// KeyNotFoundError is a signature by a key the keyring does not hold.
type KeyNotFoundError struct {
	KeyID string // 16 lower-case hex digits
}

func (e *KeyNotFoundError) Error() string {
	return "signed with key " + e.KeyID + " which is not in the keyring"
}

// Is makes errors.Is(err, ErrKeyNotInKeyring) true.
func (e *KeyNotFoundError) Is(target error) bool { return target == ErrKeyNotInKeyring }

// UnsupportedKeyError is a key smeforge does not use, and why.
type UnsupportedKeyError struct {
	KeyID  string // empty when the key could not be read at all
	Name   string // the key's primary user ID, if known
	Reason string
}

func (e *UnsupportedKeyError) Error() string {
	who := "key"
	if e.KeyID != "" {
		who = "key " + e.KeyID
	}
	if e.Name != "" {
		who += " (" + e.Name + ")"
	}
	return "unsupported " + who + ": " + e.Reason
}

// Is makes errors.Is(err, ErrUnsupportedKey) true.
func (e *UnsupportedKeyError) Is(target error) bool { return target == ErrUnsupportedKey }

// KeyFileModeError is a private key file that group or others can read.
type KeyFileModeError struct {
	Path string
	Mode fs.FileMode
}

func (e *KeyFileModeError) Error() string {
	return fmt.Sprintf("refusing to use private key %s: its mode %04o lets group or others read it (run: chmod 600 %s)", e.Path, e.Mode.Perm(), e.Path)
}

// Is makes errors.Is(err, ErrKeyFileMode) true.
func (e *KeyFileModeError) Is(target error) bool { return target == ErrKeyFileMode }
