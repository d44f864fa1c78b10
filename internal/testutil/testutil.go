// Package testutil holds what the tests of several packages share: finding
// ../shared/testdata and deciding whether a missing peer tool (rpm, dnf,
// createrepo_c, chromium ...) is a skip or, under CI, a failure.
package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// InCI reports whether the tests run under CI, where nothing may be skipped
// for want of a peer tool or of the shared test data.
func InCI() bool { return os.Getenv("CI") == "true" }

// RepoRoot returns the directory that holds go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testutil: cannot locate source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedTestdata returns the path of ../shared/testdata/<elem...>. Outside CI
// a clone without ../shared skips the test with a message; under CI the
// missing folder fails it.
func SharedTestdata(t testing.TB, elem ...string) string {
	t.Helper()
	dir := os.Getenv("SMEFORGE_SHARED_TESTDATA")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "..", "shared", "testdata")
	}
	p := filepath.Join(append([]string{dir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		if InCI() {
			t.Fatalf("shared test data %s is missing under CI: %v", p, err)
		}
		t.Skipf("skipping: shared test data %s not found (a clone without ../shared)", p)
	}
	return p
}

// RequireTool returns the path of a peer tool. Outside CI a missing tool
// skips the test and says so; under CI it fails the test.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if InCI() {
			t.Fatalf("peer tool %q is required under CI but not installed (run scripts/install-deps.sh)", name)
		}
		t.Skipf("skipping: peer tool %q not installed (scripts/install-deps.sh installs it)", name)
	}
	return p
}

// Glob returns the files matching pattern and fails the test when none do.
func Glob(t testing.TB, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("no files match %s (err=%v)", pattern, err)
	}
	return m
}

// BuildSmeforge builds cmd/smeforge into dir and returns the binary's
// path, for tests that run the real command.
func BuildSmeforge(t testing.TB, dir string) (string, error) {
	t.Helper()
	bin := filepath.Join(dir, "smeforge")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/smeforge")
	cmd.Dir = RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/smeforge: %v\n%s", err, out)
	}
	return bin, nil
}
