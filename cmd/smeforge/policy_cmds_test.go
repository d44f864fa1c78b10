package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs smeforge with args and returns stdout, stderr and the exit
// status main would use.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		code = 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errOut.WriteString("smeforge: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), code
}

// lineOf returns the 1-based line of text that starts with prefix.
func lineOf(text, prefix string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	return 0
}

func TestPolicyShowAndCheck(t *testing.T) {
	out, errOut, code := runCLI(t, "policy", "show")
	if code != 0 || !strings.Contains(out, `name = "SME Server"`) || !strings.Contains(out, `"ASL 2.0" = "Apache-2.0"`) {
		t.Fatalf("policy show: code %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "sme.toml")
	if err := os.WriteFile(good, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = runCLI(t, "policy", "check", good)
	if code != 0 || !strings.Contains(out, `policy "SME Server" is valid`) {
		t.Errorf("policy check of what show printed: code %d, %q", code, out)
	}
	out2, _, code := runCLI(t, "policy", "show", "--file", good)
	if code != 0 {
		t.Fatalf("policy show --file: code %d", code)
	}
	if want, _ := os.ReadFile(good); out2 != string(want) {
		t.Error("policy show --file of the shown policy prints something else")
	}

	bad := filepath.Join(dir, "bad.toml")
	text := strings.Replace(string(out2), `accepts = ["addons"]`, `accepts = ["addon"]`, 1)
	text = strings.Replace(text, `min_days_in_testing = 7`, "min_days_in_testing = 7\nmin_days = 3", 1)
	if err := os.WriteFile(bad, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = runCLI(t, "policy", "check", bad)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 1 || len(lines) != 3 {
		t.Fatalf("policy check of a bad file: code %d, stderr:\n%s", code, errOut)
	}
	for i, want := range []string{
		fmt.Sprintf("%s:%d:12: channel \"addons\" accepts \"addon\", which is not a category", bad, lineOf(text, `accepts = ["addon"]`)),
		fmt.Sprintf("%s:%d:1: unknown key \"min_days\"", bad, lineOf(text, "min_days = 3")),
		"smeforge: " + bad + ": 2 problems",
	} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d:\n got %s\nwant %s...", i+1, lines[i], want)
		}
	}
	if _, errOut, code = runCLI(t, "policy", "show", "--file", bad); code != 1 || !strings.Contains(errOut, "accepts \"addon\"") {
		t.Errorf("policy show of a bad file: code %d, %q", code, errOut)
	}
	if _, _, code = runCLI(t, "policy", "check"); code != 2 {
		t.Errorf("policy check without a file: code %d, want 2", code)
	}
	if _, errOut, code = runCLI(t, "policy", "check", filepath.Join(dir, "missing.toml")); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("policy check of a missing file: code %d, %q", code, errOut)
	}
}

func TestPolicyLicence(t *testing.T) {
	out, errOut, code := runCLI(t, "policy", "licence", "GPLv2+", "(GPL+ or Artistic) and MIT")
	if code != 0 || out != "\"GPLv2+\": allowed: GPL-2.0-or-later\n\"(GPL+ or Artistic) and MIT\": allowed: (GPL-1.0-or-later OR Artistic-1.0-Perl) AND MIT\n" {
		t.Errorf("code %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	out, errOut, code = runCLI(t, "policy", "licence", "MIT", "GPL-2.0-only AND JSON", "Foo License")
	want := `"MIT": allowed: MIT
"GPL-2.0-only AND JSON": not allowed: GPL-2.0-only AND JSON
    "GPL-2.0-only" is allowed but "JSON" is not
"Foo License": not understood
    "Foo License" is not a known licence name
`
	if code != 1 || out != want || !strings.Contains(errOut, "2 of 3 licence tags are not allowed") {
		t.Errorf("code %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	if _, _, code = runCLI(t, "policy", "licence"); code != 2 {
		t.Errorf("no tags: code %d, want 2", code)
	}
	// A policy file decides what is allowed.
	dir := t.TempDir()
	shown, _, _ := runCLI(t, "policy", "show")
	strict := strings.Replace(shown, `"Artistic-1.0-Perl", `, "", 1)
	f := filepath.Join(dir, "strict.toml")
	if err := os.WriteFile(f, []byte(strict), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = runCLI(t, "policy", "licence", "--file", f, "Artistic", "GPL+ or Artistic")
	if code != 1 || !strings.Contains(out, `"Artistic": not allowed: Artistic-1.0-Perl`) || !strings.Contains(out, `"GPL+ or Artistic": allowed`) {
		t.Errorf("with a stricter policy: code %d\n%s", code, out)
	}
}
