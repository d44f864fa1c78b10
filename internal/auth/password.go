package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of new password hashes: the "m=19 MiB, t=2, p=1"
// choice of OWASP's password storage cheat sheet, light enough for a
// two-core server that also builds repositories. Stored hashes carry their
// own parameters, so these can be raised later without breaking sign-in.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MinPasswordLen is the shortest password accepted (NIST SP 800-63B).
const MinPasswordLen = 8

// MaxPasswordLen bounds the work a sign-in attempt can cause.
const MaxPasswordLen = 1024

// ErrMalformedHash is returned for a stored hash that is not an argon2id
// PHC string this package can check.
var ErrMalformedHash = errors.New("malformed password hash")

// HashPassword returns the PHC string of a password:
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" (unpadded base64).
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("making salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC string hash, in
// time that does not depend on where they differ. An empty hash (an
// account without a password) never matches.
func CheckPassword(hash, password string) (bool, error) {
	if hash == "" {
		return false, nil
	}
	p := strings.Split(hash, "$")
	if len(p) != 6 || p[0] != "" || p[1] != "argon2id" {
		return false, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(p[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformedHash
	}
	var m, t uint32
	var threads uint8
	if _, err := fmt.Sscanf(p[3], "m=%d,t=%d,p=%d", &m, &t, &threads); err != nil || m == 0 || t == 0 || threads == 0 || m > 1<<21 || t > 64 {
		return false, ErrMalformedHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(p[4])
	if err != nil || len(salt) < 8 {
		return false, ErrMalformedHash
	}
	want, err := b64.DecodeString(p[5])
	if err != nil || len(want) < 16 || len(want) > 128 {
		return false, ErrMalformedHash
	}
	got := argon2.IDKey([]byte(password), salt, t, m, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
