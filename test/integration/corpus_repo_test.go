//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/testutil"
)

// TestCorpusRepo runs the comparisons on a realistic generated corpus of
// 600 packages (several metadata chunks, updates, subpackages, dangling
// requires): smeforge's metadata against createrepo_c's, and dnf
// repoclosure, which resolves every dependency of the repository, must
// report the same unresolved dependencies from both.
func TestCorpusRepo(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "createrepo_c")
	testutil.RequireTool(t, "dnf")
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	files, err := corpus.Generate(context.Background(), corpus.Options{Dir: src, Count: 600, Seed: 42, Model: corpus.SyntheticModel(), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 600 {
		t.Fatalf("corpus.Generate wrote %d packages, want 600", len(files))
	}
	setMTimes(t, src, fixedMTime)

	ref := filepath.Join(tmp, "createrepo_c")
	copyTree(t, src, ref)
	setMTimes(t, ref, fixedMTime)
	mustRun(t, "createrepo_c", "--no-database", "--quiet", ref)
	want := readRepo(t, "createrepo_c", ref)

	dir := filepath.Join(tmp, "smeforge")
	copyTree(t, src, dir)
	setMTimes(t, dir, fixedMTime)
	createrepo(t, "--workers", "2", dir)
	got := readRepo(t, "smeforge", dir)
	if len(got.Packages) != 600 {
		t.Errorf("smeforge lists %d packages, want 600", len(got.Packages))
	}
	compareRepos(t, got, want)

	// repoclosure (closure_test.go) keeps dnf's plugins on: repoclosure is
	// one, which dnfArgs's --noplugins would leave out.
	gotClosure := repoclosure(t, dir, "--setopt=best=0")
	wantClosure := repoclosure(t, ref, "--setopt=best=0")
	if diff := diffLabeled(gotClosure, wantClosure, "smeforge's repo", "createrepo_c's repo"); diff != "" {
		t.Errorf("dnf repoclosure differs: %s", diff)
	}
	if len(wantClosure) == 0 {
		t.Errorf("dnf repoclosure printed nothing for createrepo_c's repo; the corpus should leave some requires dangling")
	}
}
