//go:build integration

// Package integration checks smeforge against the real peers that are the
// oracles of the specification: rpm, createrepo_c and dnf, all from
// Debian's packages. Each test builds nothing but the smeforge binary (once
// per run) and generates its own packages with internal/corpus.
package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/testutil"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// smeforgeBin builds cmd/smeforge once per test run and returns its path.
func smeforgeBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "smeforge-it-")
		if binErr != nil {
			return
		}
		binPath, binErr = testutil.BuildSmeforge(t, binDir)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// result is what a finished command left behind.
type result struct {
	stdout, stderr string
	code           int
}

// commandTimeout bounds every command a test runs, so that a hang (or a
// reader allocating what a corrupt header claims) fails instead of
// stalling the whole run.
const commandTimeout = 90 * time.Second

// run runs a command and returns its output and exit status; a command that
// cannot start at all, or outlives commandTimeout, fails the test.
func run(t testing.TB, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: still running after %s\nstderr:\n%s", name, strings.Join(args, " "), commandTimeout, errb.String())
	}
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running %s %s: %v", name, strings.Join(args, " "), err)
	}
	return r
}

// mustRun runs a command that must exit 0 and returns its stdout.
func mustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	r := run(t, nil, name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// smeforge runs the smeforge binary.
func smeforge(t testing.TB, args ...string) result {
	t.Helper()
	return run(t, nil, smeforgeBin(t), args...)
}

// assertNoPanic fails when a Go runtime panic reached the output.
func assertNoPanic(t testing.TB, r result) {
	t.Helper()
	for _, s := range []string{r.stdout, r.stderr} {
		if strings.Contains(s, "panic:") || strings.Contains(s, "goroutine ") {
			t.Errorf("Go panic in output:\n%s", s)
		}
	}
}

// sharedRPMs returns every *.rpm below ../shared/testdata, sorted.
func sharedRPMs(t testing.TB) []string {
	t.Helper()
	dir := testutil.SharedTestdata(t)
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".rpm") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no *.rpm below %s", dir)
	}
	sort.Strings(out)
	return out
}

// copyFile copies src to dst (dst's folder must exist).
func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyInto copies files into dir, keeping their base names.
func copyInto(t testing.TB, dir string, files ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		copyFile(t, f, filepath.Join(dir, filepath.Base(f)))
	}
}

// copyTree copies the regular files of src (recursively, repodata
// excluded) into dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if rel == "repodata" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// diffStrings describes how smeforge's list differs from an oracle's.
func diffStrings(got, want []string) string { return diffLabeled(got, want, "smeforge", "the oracle") }

// diffLabeled describes how two string lists differ: their first differing
// position and the elements only one side has.
func diffLabeled(got, want []string, gotLabel, wantLabel string) string {
	if equalStrings(got, want) {
		return ""
	}
	var b strings.Builder
	n := min(len(got), len(want))
	for i := 0; i < n; i++ {
		if got[i] != want[i] {
			fmt.Fprintf(&b, "first difference at #%d: %s %q, %s %q; ", i, gotLabel, got[i], wantLabel, want[i])
			break
		}
	}
	if len(got) != len(want) {
		fmt.Fprintf(&b, "length %d vs %d; ", len(got), len(want))
	}
	onlyG, onlyW := setDiff(got, want), setDiff(want, got)
	if len(onlyG) > 0 {
		fmt.Fprintf(&b, "only in %s: %q; ", gotLabel, onlyG)
	}
	if len(onlyW) > 0 {
		fmt.Fprintf(&b, "only in %s: %q; ", wantLabel, onlyW)
	}
	return strings.TrimSuffix(b.String(), "; ")
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// setDiff returns the elements of a (with multiplicity) that b lacks.
func setDiff(a, b []string) []string {
	count := map[string]int{}
	for _, s := range b {
		count[s]++
	}
	var out []string
	for _, s := range a {
		if count[s] > 0 {
			count[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

// firstLines returns the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
