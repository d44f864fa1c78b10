//go:build integration

package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPeopleCLI runs the real binary: an administrator makes an account
// with roles and a password from a file, the account makes its own token
// (printed once), lists it without the secret, changes its password, is
// disabled and can no longer act.
func TestPeopleCLI(t *testing.T) {
	s := startServer(t, t.TempDir())
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := s.mustCLI(t, "account", "create", "jane", "--role", "tester", "--role", "contributor", "--password-file", pwFile)
	if !strings.Contains(out, "contributor, tester") {
		t.Errorf("account create printed:\n%s", out)
	}
	if r := s.cli(t, "account", "create", "Jane"); r.code == 0 || !strings.Contains(r.stderr, "account name") {
		t.Errorf("bad name: exit %d, stderr %s", r.code, r.stderr)
	}
	if r := s.cli(t, "account", "create", "bob", "--role", "wizard"); r.code == 0 || !strings.Contains(r.stderr, "wizard") {
		t.Errorf("bad role: exit %d, stderr %s", r.code, r.stderr)
	}
	tok := strings.TrimSpace(s.mustCLI(t, "token", "create", "--account", "jane", "--label", "laptop", "--role", "tester"))
	if !strings.HasPrefix(tok, "smf_") || strings.Contains(tok, "\n") {
		t.Fatalf("token create printed %q, want the token alone", tok)
	}
	as := func(args ...string) result { return s.cliAs(t, []string{"--token", tok}, args...) }
	if r := as("account", "show"); r.code != 0 || !strings.Contains(r.stdout, "jane") {
		t.Errorf("account show as jane: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := as("token", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "laptop") || strings.Contains(r.stdout, tok) {
		t.Errorf("token list as jane: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := as("account", "list"); r.code == 0 || !strings.Contains(r.stderr, "403") {
		t.Errorf("account list as a tester: exit %d, stderr %s", r.code, r.stderr)
	}
	newFile := filepath.Join(dir, "new")
	os.WriteFile(newFile, []byte("a new long password\n"), 0o600)
	if r := as("account", "password", "--password-file", newFile, "--current-password-file", newFile); r.code == 0 {
		t.Errorf("password change with a wrong current password succeeded")
	}
	if r := as("account", "password", "--password-file", newFile, "--current-password-file", pwFile); r.code != 0 {
		t.Errorf("password change: exit %d %s", r.code, r.stderr)
	}
	if r := s.cli(t, "account", "password", "jane", "--password", "x"); r.code != 2 {
		t.Errorf("a password as a flag value: exit %d, want 2 (usage)", r.code)
	}
	s.mustCLI(t, "account", "disable", "jane")
	if r := as("account", "show"); r.code == 0 || !strings.Contains(r.stderr, "401") {
		t.Errorf("a disabled account's token still works: exit %d %s", r.code, r.stderr)
	}
	s.mustCLI(t, "account", "enable", "jane")
	list := s.mustCLI(t, "token", "list", "--account", "jane")
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	s.mustCLI(t, "token", "revoke", id, "--account", "jane")
	if r := as("account", "show"); r.code == 0 {
		t.Errorf("a revoked token still works")
	}
	s.mustCLI(t, "team", "set", "development", "--lead", "jane", "--member", "jane", "--contact", "dev@example.org")
	if out := s.mustCLI(t, "team", "list"); !strings.Contains(out, "jane") || !strings.Contains(out, "Bugs & maintenance") {
		t.Errorf("team list:\n%s", out)
	}
}
