package auth

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	a, ha, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, hb, _ := NewToken()
	if a == b || ha == hb {
		t.Fatal("two tokens are equal")
	}
	if !strings.HasPrefix(a, TokenPrefix) || len(a) < 40 {
		t.Errorf("token %q too short or unmarked", a)
	}
	if HashToken(a) != ha || strings.Contains(ha, a) {
		t.Error("hash is not a one-way function of the token")
	}
}

func TestSessions(t *testing.T) {
	k := NewKeys([]byte(strings.Repeat("k", 32)))
	other := NewKeys([]byte(strings.Repeat("o", 32)))
	now := time.Unix(1700000000, 0)
	v, err := k.SignSession("admin", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		keys  *Keys
		value string
		at    time.Time
		ok    bool
	}{
		{"valid", k, v, now, true},
		{"expired", k, v, now.Add(2 * time.Hour), false},
		{"other key", other, v, now, false},
		{"tampered account", k, "Ym9i" + v[strings.IndexByte(v, '.'):], now, false},
		{"truncated", k, v[:len(v)-3], now, false},
		{"garbage", k, "a.b.c", now, false},
		{"empty", k, "", now, false},
	}
	for _, tt := range tests {
		s, ok := tt.keys.VerifySession(tt.value, tt.at)
		if ok != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.name, ok, tt.ok)
		}
		if ok && s.Account != "admin" {
			t.Errorf("%s: account = %q", tt.name, s.Account)
		}
	}
}

func TestCSRF(t *testing.T) {
	k := NewKeys([]byte(strings.Repeat("k", 32)))
	tok := k.CSRFToken("s:abc")
	if !k.CheckCSRF("s:abc", tok) {
		t.Error("own token refused")
	}
	for _, bad := range []struct{ id, tok string }{{"s:abd", tok}, {"s:abc", ""}, {"s:abc", tok + "x"}, {"v:abc", tok}} {
		if k.CheckCSRF(bad.id, bad.tok) {
			t.Errorf("CheckCSRF(%q, %q) accepted", bad.id, bad.tok)
		}
	}
}

func TestLoadOrCreateKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret")
	a, err := LoadOrCreateKeys(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateKeys(p)
	if err != nil {
		t.Fatal(err)
	}
	if a.CSRFToken("x") != b.CSRFToken("x") {
		t.Error("the secret changed between loads")
	}
}
