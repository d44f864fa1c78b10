// Package auth owns credentials: API tokens (random, shown once, stored
// only as a SHA-256 hash), signed session cookies for the web UI, and CSRF
// tokens bound to the session. It holds no state but its secret.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// TokenPrefix marks smeforge API tokens, so that a leaked one is easy to
// recognise in logs and by secret scanners.
const TokenPrefix = "smf_"

// NewToken returns a new random token and the hash to store.
func NewToken() (plain, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("making token: %w", err)
	}
	plain = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain), nil
}

// HashToken is how a token is stored and looked up. Tokens carry 256 bits
// of randomness, so a plain SHA-256 is enough (no salt or stretching).
func HashToken(plain string) string {
	s := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(s[:])
}

// Keys signs session cookies and CSRF tokens.
type Keys struct {
	secret []byte
}

// LoadOrCreateKeys reads the secret at path, creating it (mode 0600) on
// first use.
func LoadOrCreateKeys(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) >= 32 {
		return &Keys{secret: b}, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading secret %s: %w", path, err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("making secret: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("writing secret %s: %w", path, err)
	}
	return &Keys{secret: b}, nil
}

// NewKeys makes keys from a secret (tests).
func NewKeys(secret []byte) *Keys { return &Keys{secret: secret} }

func (k *Keys) mac(parts ...string) string {
	m := hmac.New(sha256.New, k.secret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Session is a signed-in web session.
type Session struct {
	Account string
	ID      string
	Expires time.Time
}

// SignSession returns the cookie value for a new session.
func (k *Keys) SignSession(account string, expires time.Time) (string, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	sid := base64.RawURLEncoding.EncodeToString(id)
	exp := strconv.FormatInt(expires.Unix(), 10)
	acc := base64.RawURLEncoding.EncodeToString([]byte(account))
	return acc + "." + sid + "." + exp + "." + k.mac("session", acc, sid, exp), nil
}

// VerifySession checks a session cookie.
func (k *Keys) VerifySession(v string, now time.Time) (*Session, bool) {
	p := strings.Split(v, ".")
	if len(p) != 4 {
		return nil, false
	}
	if subtle.ConstantTimeCompare([]byte(k.mac("session", p[0], p[1], p[2])), []byte(p[3])) != 1 {
		return nil, false
	}
	exp, err := strconv.ParseInt(p[2], 10, 64)
	if err != nil || now.Unix() > exp {
		return nil, false
	}
	acc, err := base64.RawURLEncoding.DecodeString(p[0])
	if err != nil {
		return nil, false
	}
	return &Session{Account: string(acc), ID: p[1], Expires: time.Unix(exp, 0)}, true
}

// CSRFToken is the token a form must carry for the given session (or
// anonymous visitor) id.
func (k *Keys) CSRFToken(sessionID string) string { return k.mac("csrf", sessionID) }

// CheckCSRF compares a submitted token with the expected one.
func (k *Keys) CheckCSRF(sessionID, token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(k.CSRFToken(sessionID)), []byte(token)) == 1
}

// RandomID returns a random URL-safe identifier.
func RandomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
