// Package structure checks the shape of the code base: every package says
// what it owns, and dependencies point one way (domain packages never
// import the web layer; the RPM format code is pure).
package structure

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/testutil"
)

type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Deps       []string
	Name       string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "integration", "-json", "-deps=false", "./...")
	cmd.Dir = testutil.RepoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func TestEveryPackageHasADocComment(t *testing.T) {
	for _, p := range listPackages(t) {
		if len(p.GoFiles) == 0 {
			continue
		}
		found := false
		fset := token.NewFileSet()
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if af.Doc != nil && strings.TrimSpace(af.Doc.Text()) != "" {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("package %s has no doc comment saying what it owns", p.ImportPath)
		}
	}
}

func deps(t *testing.T, path string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", path)
	cmd.Dir = testutil.RepoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", path, err)
	}
	return strings.Fields(string(out))
}

func TestDependenciesPointOneWay(t *testing.T) {
	const mod = "github.com/smeserver/smeforge/"
	forbidden := map[string][]string{
		// The RPM format code is pure: readers in, values out.
		mod + "internal/rpm":      {"net/http", "database/sql", mod + "internal/web", mod + "internal/catalog"},
		mod + "internal/repodata": {"net/http", "database/sql", mod + "internal/web", mod + "internal/catalog"},
		// Domain packages never import the web layer or the command line.
		mod + "internal/catalog":        {"net/http", mod + "internal/web", mod + "cmd/smeforge"},
		mod + "internal/publish":        {"net/http", mod + "internal/web"},
		mod + "internal/blob":           {"net/http", mod + "internal/web", mod + "internal/catalog"},
		mod + "internal/store/sqlstore": {"net/http", mod + "internal/web"},
		mod + "internal/auth":           {"net/http", mod + "internal/web"},
		mod + "internal/corpus":         {"net/http", mod + "internal/web"},
		// The policy is data and rules: no I/O layer, no storage.
		mod + "internal/policy": {"net/http", "database/sql", mod + "internal/web", mod + "internal/catalog"},
		mod + "internal/sign":   {"net/http", "database/sql", mod + "internal/web", mod + "internal/catalog"},
		// The policy checks are pure: packages in, findings out.
		mod + "internal/check": {"net/http", "database/sql", mod + "internal/web", mod + "internal/catalog",
			mod + "internal/repodata", mod + "internal/store/sqlstore", mod + "internal/blob"},
		// Advisories are rules over a store; publishing calls them through
		// an interface, never the other way.
		mod + "internal/advisory": {"net/http", "database/sql", mod + "internal/web", mod + "internal/store/sqlstore", mod + "internal/publish"},
		// Fetching upstream returns data; recording it is the caller's job.
		mod + "internal/upstream": {"database/sql", mod + "internal/web", mod + "internal/catalog", mod + "internal/store/sqlstore"},
	}
	for p, bad := range forbidden {
		have := map[string]bool{}
		for _, d := range deps(t, p) {
			have[d] = true
		}
		for _, b := range bad {
			if have[b] {
				t.Errorf("%s depends on %s", p, b)
			}
		}
	}
}
