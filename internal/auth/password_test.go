package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Count(h, "$") != 5 {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	tests := []struct {
		name, hash, password string
		ok                   bool
		err                  error
	}{
		{"right", h, "correct horse", true, nil},
		{"right, other salt", h2, "correct horse", true, nil},
		{"wrong", h, "correct horsE", false, nil},
		{"empty password", h, "", false, nil},
		{"no hash", "", "correct horse", false, nil},
		// A vector of the reference implementation's test suite
		// (phc-winner-argon2 test.c: t=2, m=2^16, p=1, "password", "somesalt").
		{"reference vector", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "password", true, nil},
		{"reference vector, wrong", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "passwore", false, nil},
		{"argon2i", strings.Replace(h, "argon2id", "argon2i", 1), "correct horse", false, ErrMalformedHash},
		{"bad version", strings.Replace(h, "v=19", "v=16", 1), "correct horse", false, ErrMalformedHash},
		{"bad params", strings.Replace(h, "t=2", "t=0", 1), "correct horse", false, ErrMalformedHash},
		{"huge memory", strings.Replace(h, "m=19456", "m=99999999", 1), "correct horse", false, ErrMalformedHash},
		{"truncated", h[:20], "correct horse", false, ErrMalformedHash},
		{"sha256 hex", HashToken("x"), "x", false, ErrMalformedHash},
	}
	for _, tt := range tests {
		ok, err := CheckPassword(tt.hash, tt.password)
		if ok != tt.ok || !errors.Is(err, tt.err) {
			t.Errorf("%s: CheckPassword = %v, %v; want %v, %v", tt.name, ok, err, tt.ok, tt.err)
		}
	}
}
