//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/testutil"
)

// fixedMTime is given to every package file of a compared folder, so that
// primary's time/@file is the same in both repositories.
var fixedMTime = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

// buildRepoFolder fills dir with the shared test data's RPMs and SRPMs and
// the generated packages, some of them in sub-folders (location href with
// a path), all with the same mtime.
func buildRepoFolder(t *testing.T, dir string) {
	t.Helper()
	copyInto(t, filepath.Join(dir, "shared"), sharedRPMs(t)...)
	gen := writeGenerated(t, filepath.Join(dir, "generated"))
	// A few at the top level too.
	for _, f := range gen[:3] {
		if err := os.Rename(f, filepath.Join(dir, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	setMTimes(t, dir, fixedMTime)
}

// setMTimes gives every file below dir the modification time m.
func setMTimes(t *testing.T, dir string, m time.Time) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chtimes(p, m, m)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCreaterepoMatchesCreaterepoC writes metadata for the same folder with
// smeforge (gzip and zstd) and createrepo_c, and compares them package by
// package.
func TestCreaterepoMatchesCreaterepoC(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "createrepo_c")
	src := filepath.Join(t.TempDir(), "src")
	buildRepoFolder(t, src)

	tmp := t.TempDir()
	ref := filepath.Join(tmp, "createrepo_c")
	copyTree(t, src, ref)
	setMTimes(t, ref, fixedMTime)
	mustRun(t, "createrepo_c", "--no-database", "--quiet", ref)
	want := readRepo(t, "createrepo_c", ref)
	if n := len(want.Packages); n < 30 {
		t.Fatalf("createrepo_c found only %d packages", n)
	}
	checkParsedEverything(t, want)

	for _, comp := range []string{"gz", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(tmp, "smeforge-"+comp)
			copyTree(t, src, dir)
			setMTimes(t, dir, fixedMTime)
			r := smeforge(t, "createrepo", "--compress", comp, "--workers", "2", dir)
			assertNoPanic(t, r)
			if r.code != 0 {
				t.Fatalf("smeforge createrepo: exit %d\n%s", r.code, r.stderr)
			}
			got := readRepo(t, "smeforge", dir)
			ext := map[string]string{"gz": ".xml.gz", "zstd": ".xml.zst"}[comp]
			for _, d := range got.Repomd.Data {
				if !strings.HasSuffix(d.Location.Href, ext) {
					t.Errorf("--compress %s wrote %s", comp, d.Location.Href)
				}
			}
			compareRepos(t, got, want)
		})
	}
}

// diffReport collects differences by kind, so that one systematic
// difference across hundreds of packages reads as one finding.
type diffReport struct {
	order []string
	byKey map[string][]string
}

func (d *diffReport) add(kind, label, format string, a ...any) {
	if d.byKey == nil {
		d.byKey = map[string][]string{}
	}
	if _, ok := d.byKey[kind]; !ok {
		d.order = append(d.order, kind)
	}
	d.byKey[kind] = append(d.byKey[kind], label+": "+fmt.Sprintf(format, a...))
}

// report fails t once per kind of difference, with up to five examples.
func (d *diffReport) report(t *testing.T) {
	t.Helper()
	for _, k := range d.order {
		msgs := d.byKey[k]
		shown := msgs[:min(len(msgs), 5)]
		more := ""
		if len(msgs) > len(shown) {
			more = fmt.Sprintf("\n    ... and %d more", len(msgs)-len(shown))
		}
		t.Errorf("%s: %d package(s) differ from createrepo_c:\n    %s%s", k, len(msgs), strings.Join(shown, "\n    "), more)
	}
}

// compareRepos reports every difference between smeforge's repository
// and the reference one, package by package, grouped by kind.
func compareRepos(t *testing.T, got, want *repo) {
	t.Helper()
	var d diffReport
	var ids []string
	for id := range want.Packages {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for id := range got.Packages {
		if want.Packages[id] == nil {
			d.add("extra package", got.Packages[id].Primary.Location.Href, "pkgid %s only in smeforge's metadata", id)
		}
	}
	for _, id := range ids {
		w := want.Packages[id]
		g := got.Packages[id]
		if g == nil {
			d.add("missing package", w.Primary.Location.Href, "pkgid %s missing from smeforge's metadata", id)
			continue
		}
		comparePackage(&d, w.Primary.Location.Href, g, w)
	}
	d.report(t)
}

func comparePackage(d *diffReport, label string, g, w *repoPkg) {
	gp, wp := g.Primary, w.Primary
	for _, c := range []struct {
		field    string
		got, ref any
	}{
		{"type", gp.Type, wp.Type},
		{"name", gp.Name, wp.Name},
		{"arch", gp.Arch, wp.Arch},
		{"version", gp.Version, wp.Version},
		{"checksum", gp.Checksum, wp.Checksum},
		{"location", gp.Location, wp.Location},
		{"size", gp.Size, wp.Size},
		{"time", gp.Time, wp.Time},
		{"summary", gp.Summary, wp.Summary},
		{"description", gp.Description, wp.Description},
		{"packager", gp.Packager, wp.Packager},
		{"url", gp.URL, wp.URL},
		{"license", gp.Format.License, wp.Format.License},
		{"vendor", gp.Format.Vendor, wp.Format.Vendor},
		{"group", gp.Format.Group, wp.Format.Group},
		{"buildhost", gp.Format.BuildHost, wp.Format.BuildHost},
		{"sourcerpm", gp.Format.SourceRPM, wp.Format.SourceRPM},
		{"header-range", gp.Format.HeaderRange, wp.Format.HeaderRange},
	} {
		if !reflect.DeepEqual(c.got, c.ref) {
			d.add(c.field, label, "smeforge %+v, createrepo_c %+v", c.got, c.ref)
		}
	}
	for _, dep := range []struct {
		kind     string
		got, ref xDeps
	}{
		{"provides", gp.Format.Provides, wp.Format.Provides},
		{"requires", gp.Format.Requires, wp.Format.Requires},
		{"conflicts", gp.Format.Conflicts, wp.Format.Conflicts},
		{"obsoletes", gp.Format.Obsoletes, wp.Format.Obsoletes},
		{"suggests", gp.Format.Suggests, wp.Format.Suggests},
		{"enhances", gp.Format.Enhances, wp.Format.Enhances},
		{"recommends", gp.Format.Recommends, wp.Format.Recommends},
		{"supplements", gp.Format.Supplements, wp.Format.Supplements},
	} {
		gs, ws := depSet(dep.got), depSet(dep.ref)
		if equalStrings(gs, ws) {
			continue
		}
		onlyG, onlyW := setDiff(gs, ws), setDiff(ws, gs)
		kind := dep.kind
		if allLibc(onlyG) && allLibc(onlyW) {
			kind += " (only libc.so.6 entries: createrepo_c collapses all libc.so.6* requires into the single highest one)"
		}
		d.add(kind, label, "only in smeforge %q, only in createrepo_c %q", onlyG, onlyW)
	}
	if gf, wf := primaryFiles(gp), primaryFiles(wp); !equalStrings(gf, wf) {
		d.add("primary files", label, "only in smeforge %q, only in createrepo_c %q", setDiff(gf, wf), setDiff(wf, gf))
	}
	if !equalStrings(g.Filelists, w.Filelists) {
		d.add("filelists", label, "only in smeforge %q, only in createrepo_c %q", setDiff(g.Filelists, w.Filelists), setDiff(w.Filelists, g.Filelists))
	}
	if !equalStrings(g.Changelog, w.Changelog) {
		d.add("changelogs", label, "%d vs %d entries: only in smeforge %q, only in createrepo_c %q",
			len(g.Changelog), len(w.Changelog), setDiff(g.Changelog, w.Changelog), setDiff(w.Changelog, g.Changelog))
	}
}

func allLibc(s []string) bool {
	for _, e := range s {
		if !strings.HasPrefix(e, "libc.so.6") {
			return false
		}
	}
	return true
}

// TestCreaterepoUpdate checks `smeforge createrepo --update` against a
// full run on the same folder after adding, removing, touching and
// replacing packages.
func TestCreaterepoUpdate(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "repo")
	all := writeGenerated(t, filepath.Join(tmp, "pool"))
	copyInto(t, dir, all[:10]...)
	copyInto(t, filepath.Join(dir, "shared"), sharedRPMs(t)[:4]...)
	setMTimes(t, dir, fixedMTime)

	createrepo := func(args ...string) string {
		t.Helper()
		r := smeforge(t, append([]string{"createrepo", "--workers", "2"}, args...)...)
		assertNoPanic(t, r)
		if r.code != 0 {
			t.Fatalf("smeforge createrepo %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		return r.stdout
	}
	// check runs --update on dir and a full run on a fresh copy of it, and
	// compares the two.
	step := 0
	check := func(what string, wantPkgs, wantRead int) {
		t.Helper()
		step++
		previous := readRepo(t, "smeforge before --update ("+what+")", dir)
		out := createrepo("--update", dir)
		// The summary line says how much the cache saved: only new or
		// changed files may be read again.
		if m := readRe.FindStringSubmatch(out); m == nil {
			t.Errorf("after %s: no \"(N read, M unchanged)\" in createrepo's output %q", what, out)
		} else if m[1] != fmt.Sprint(wantRead) || m[2] != fmt.Sprint(wantPkgs-wantRead) {
			t.Errorf("after %s: --update read %s and reused %s packages, want %d and %d", what, m[1], m[2], wantRead, wantPkgs-wantRead)
		}
		fresh := filepath.Join(tmp, fmt.Sprintf("fresh%d", step))
		copyTree(t, dir, fresh)
		copyMTimes(t, dir, fresh)
		os.RemoveAll(filepath.Join(fresh, ".smeforge"))
		createrepo(fresh)
		got := readRepo(t, "smeforge --update ("+what+")", dir)
		want := readRepo(t, "smeforge full ("+what+")", fresh)
		if len(got.Packages) != wantPkgs {
			t.Errorf("after %s: --update lists %d packages, want %d", what, len(got.Packages), wantPkgs)
		}
		if !reflect.DeepEqual(got.Packages, want.Packages) {
			for id, w := range want.Packages {
				g := got.Packages[id]
				switch {
				case g == nil:
					t.Errorf("after %s: --update lacks %s", what, w.Primary.Location.Href)
				case !reflect.DeepEqual(g, w):
					t.Errorf("after %s: --update and a full run differ for %s:\n--update: %+v\nfull:     %+v", what, w.Primary.Location.Href, g.Primary, w.Primary)
				}
			}
			for id, g := range got.Packages {
				if want.Packages[id] == nil {
					t.Errorf("after %s: --update still lists %s (pkgid %s)", what, g.Primary.Location.Href, id)
				}
			}
		}
		for _, typ := range []string{"primary", "filelists", "other"} {
			if string(got.Raw[typ]) != string(want.Raw[typ]) {
				t.Errorf("after %s: %s of --update is not byte-identical to a full run's", what, typ)
			}
		}
		checkOnlyReferenced(t, what, dir, got, previous)
	}

	createrepo(dir)
	first := readRepo(t, "smeforge first run", dir)
	if len(first.Packages) != 14 {
		t.Fatalf("first run lists %d packages, want 14", len(first.Packages))
	}
	check("no change", 14, 0)

	// Add one package.
	copyInto(t, dir, all[10])
	check("adding "+filepath.Base(all[10]), 15, 1)

	// Remove one, touch another (same content, new mtime).
	if err := os.Remove(filepath.Join(dir, filepath.Base(all[0]))); err != nil {
		t.Fatal(err)
	}
	touched := filepath.Join(dir, filepath.Base(all[1]))
	later := fixedMTime.Add(36 * time.Hour)
	if err := os.Chtimes(touched, later, later); err != nil {
		t.Fatal(err)
	}
	check("removing one package and touching another", 14, 1)
	r := readRepo(t, "after touch", dir)
	for _, p := range r.Packages {
		if p.Primary.Location.Href == filepath.Base(touched) && p.Primary.Time.File != fmt.Sprint(later.Unix()) {
			t.Errorf("touched %s: time/@file %s, want the new mtime %d", p.Primary.Location.Href, p.Primary.Time.File, later.Unix())
		}
	}

	// Replace a package file by another package under the same name.
	victim := filepath.Join(dir, filepath.Base(all[2]))
	copyFile(t, all[11], victim)
	if err := os.Chtimes(victim, fixedMTime, fixedMTime); err != nil {
		t.Fatal(err)
	}
	check("replacing a file's content", 14, 1)

	// Remove a whole sub-folder.
	if err := os.RemoveAll(filepath.Join(dir, "shared")); err != nil {
		t.Fatal(err)
	}
	check("removing a folder", 10, 0)

	// Switching compression on --update: the cached fragments are reused,
	// the files are zstd, the content is the same.
	before := readRepo(t, "smeforge gzip", dir)
	createrepo("--update", "--compress", "zstd", dir)
	after := readRepo(t, "smeforge --update --compress zstd", dir)
	for _, d := range after.Repomd.Data {
		if !strings.HasSuffix(d.Location.Href, ".xml.zst") {
			t.Errorf("--update --compress zstd wrote %s", d.Location.Href)
		}
	}
	if !reflect.DeepEqual(before.Packages, after.Packages) {
		t.Errorf("--update --compress zstd changed the packages' metadata")
	}
}

var readRe = regexp.MustCompile(`\((\d+) read, (\d+) unchanged\)`)

// copyMTimes gives the files of dst the modification times of the same
// files in src.
func copyMTimes(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		st, err := os.Stat(filepath.Join(src, rel))
		if err != nil {
			return err
		}
		return os.Chtimes(p, st.ModTime(), st.ModTime())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkOnlyReferenced fails when repodata/ keeps metadata files that
// neither the current repomd.xml nor the previous one lists (the previous
// generation is kept on purpose, for clients that just read the old
// repomd.xml).
func checkOnlyReferenced(t *testing.T, what, dir string, r, previous *repo) {
	t.Helper()
	ref := map[string]bool{"repomd.xml": true}
	for _, d := range append(r.Repomd.Data, previous.Repomd.Data...) {
		ref[filepath.Base(d.Location.Href)] = true
	}
	ents, err := os.ReadDir(filepath.Join(dir, "repodata"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !ref[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			t.Errorf("after %s: repodata/%s is left over (not in repomd.xml)", what, e.Name())
		}
	}
}

// checkParsedEverything guards the comparison against a parser that reads
// nothing: the reference repository must show at least one of each thing
// compared (a namespace slip in a struct tag would leave it empty on both
// sides and let every comparison pass).
func checkParsedEverything(t *testing.T, r *repo) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range r.Packages {
		f := p.Primary.Format
		for kind, d := range map[string]xDeps{
			"provides": f.Provides, "requires": f.Requires, "conflicts": f.Conflicts, "obsoletes": f.Obsoletes,
			"suggests": f.Suggests, "enhances": f.Enhances, "recommends": f.Recommends, "supplements": f.Supplements,
		} {
			for _, e := range d.Entries {
				seen[kind] = true
				if e.Flags != "" {
					seen["versioned dependency"] = true
				}
				if e.Pre == "1" {
					seen["pre requires"] = true
				}
			}
		}
		if len(f.Files) > 0 {
			seen["primary files"] = true
		}
		for _, fl := range p.Filelists {
			switch {
			case strings.HasSuffix(fl, " (ghost)"):
				seen["ghost"] = true
			case strings.HasSuffix(fl, " (dir)"):
				seen["dir"] = true
			}
		}
		if len(p.Changelog) > 0 {
			seen["changelog"] = true
		}
		if f.License != "" && f.HeaderRange.End != "" && p.Primary.Size.Package != "" && p.Primary.Time.Build != "" {
			seen["format"] = true
		}
		if p.Primary.Arch == "src" {
			seen["source package"] = true
		}
		if p.Primary.Version.Epoch != "0" {
			seen["epoch"] = true
		}
		if strings.Contains(p.Primary.Location.Href, "/") {
			seen["href in a folder"] = true
		}
	}
	for _, k := range []string{"provides", "requires", "conflicts", "obsoletes", "suggests", "enhances", "recommends",
		"supplements", "versioned dependency", "pre requires", "primary files", "ghost", "dir", "changelog", "format",
		"source package", "epoch", "href in a folder"} {
		if !seen[k] {
			t.Errorf("%s: no package shows %s; the test data or the parser is wrong", r.Dir, k)
		}
	}
}

// TestCreaterepoEdgeCases covers an empty folder, usage errors and a
// broken package, which must fail the run and leave the metadata already
// published untouched.
func TestCreaterepoEdgeCases(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()

	t.Run("empty-folder", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(tmp, "empty")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, comp := range []string{"gz", "zstd"} {
			r := smeforge(t, "createrepo", "--compress", comp, dir)
			assertNoPanic(t, r)
			if r.code != 0 {
				t.Fatalf("createrepo --compress %s of an empty folder: exit %d\n%s", comp, r.code, r.stderr)
			}
			if got := readRepo(t, "smeforge empty "+comp, dir); len(got.Packages) != 0 {
				t.Errorf("empty folder: %d packages", len(got.Packages))
			}
		}
	})

	t.Run("usage", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			args []string
			code int
		}{
			{[]string{"createrepo"}, 2},
			{[]string{"createrepo", tmp, tmp}, 2},
			{[]string{"createrepo", "--compress", "xz", tmp}, 2},
			{[]string{"createrepo", "--no-such-flag", tmp}, 2},
			{[]string{"createrepo", filepath.Join(tmp, "does-not-exist")}, 1},
		} {
			r := smeforge(t, c.args...)
			assertNoPanic(t, r)
			if r.code != c.code {
				t.Errorf("smeforge %s: exit %d, want %d; stderr %q", strings.Join(c.args, " "), r.code, c.code, r.stderr)
			}
			if r.stderr == "" {
				t.Errorf("smeforge %s: nothing on stderr", strings.Join(c.args, " "))
			}
		}
	})

	t.Run("broken-package", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(tmp, "broken")
		files := writeGenerated(t, dir)
		r := smeforge(t, "createrepo", dir)
		if r.code != 0 {
			t.Fatalf("createrepo: exit %d\n%s", r.code, r.stderr)
		}
		before, err := os.ReadFile(filepath.Join(dir, "repodata", "repomd.xml"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		broken := filepath.Join(dir, "zz-broken.rpm")
		if err := os.WriteFile(broken, b[:len(b)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"createrepo", dir}, {"createrepo", "--update", dir}} {
			r = smeforge(t, args...)
			assertNoPanic(t, r)
			if r.code == 0 {
				t.Errorf("smeforge %s: exit 0 with a truncated package in the folder", strings.Join(args, " "))
			}
			if !strings.Contains(r.stderr, "zz-broken.rpm") {
				t.Errorf("smeforge %s: stderr does not name the broken file:\n%s", strings.Join(args, " "), r.stderr)
			}
			after, err := os.ReadFile(filepath.Join(dir, "repodata", "repomd.xml"))
			if err != nil || string(after) != string(before) {
				t.Errorf("smeforge %s: a failed run changed repomd.xml (err %v)", strings.Join(args, " "), err)
			}
		}
		if got := readRepo(t, "smeforge after a failed run", dir); len(got.Packages) != len(files) {
			t.Errorf("after a failed run the repository lists %d packages, want %d", len(got.Packages), len(files))
		}
	})
}
