package check

import (
	"bytes"
	"cmp"
	"io/fs"
	"slices"
	"testing"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/rpm"
)

func providerSet(t *testing.T) []Package {
	return []Package{
		mk(t, "prov-a-1.0-1.noarch", provides(t, "cap-a = 2.0", "config(weird) = 1", "prov-a = 1.0-1"),
			files("/opt/a/file", "/opt/a/ghost", "/usr/bin/tool-a"), dirs("/opt/a/dir")),
		mk(t, "prov-b-1:2.0-1.noarch", provides(t, "cap-b", "prov-b = 1:2.0-1")),
		// No self-provide in the header: the index adds it.
		mk(t, "prov-c-1.0~rc1-1.x86_64", provides(t, "cap-tilde = 1.0~rc1", "cap-caret = 1.0^git1")),
		mk(t, "virt-1-1.noarch", provides(t, "/virtual/path")),
		mk(t, "shared-1-1.x86_64", dirs("/opt/a/dir"), files("/usr/bin/tool-a")),
		mk(t, "srcpkg-1-1.src", provides(t, "srcthing"), files("srcpkg.spec")),
	}
}

func TestProviders(t *testing.T) {
	ix := NewIndex(providerSet(t))
	for _, tc := range []struct {
		req  string
		want []string
	}{
		{"cap-a", []string{"prov-a-1.0-1.noarch"}},
		{"cap-a >= 2.0", []string{"prov-a-1.0-1.noarch"}},
		{"cap-a > 2.0", nil},
		{"cap-a = 2.0-5", []string{"prov-a-1.0-1.noarch"}}, // a provide without release matches every release
		{"cap-a < 2.0-1", []string{"prov-a-1.0-1.noarch"}},
		{"prov-a < 1.0-1", nil},
		{"prov-b >= 2.0", []string{"prov-b-1:2.0-1.noarch"}}, // a missing epoch is 0
		{"prov-b >= 1:2.0", []string{"prov-b-1:2.0-1.noarch"}},
		{"prov-b < 1:3", []string{"prov-b-1:2.0-1.noarch"}},
		{"prov-b >= 2:0", nil},
		{"prov-b >= 0:1", []string{"prov-b-1:2.0-1.noarch"}},
		{"cap-b >= 99", []string{"prov-b-1:2.0-1.noarch"}}, // unversioned provides satisfy any version
		{"cap-tilde >= 1.0", nil},
		{"cap-tilde >= 1.0~a", []string{"prov-c-1.0~rc1-1.x86_64"}},
		{"cap-caret > 1.0", []string{"prov-c-1.0~rc1-1.x86_64"}},
		{"cap-caret >= 1.0.1", nil},
		{"prov-c = 1.0~rc1-1", []string{"prov-c-1.0~rc1-1.x86_64"}}, // the added self-provide
		{"prov-c > 1.0~rc1", nil},
		{"config(weird)", []string{"prov-a-1.0-1.noarch"}},
		{"/opt/a/dir", []string{"prov-a-1.0-1.noarch", "shared-1-1.x86_64"}},
		{"/opt/a", nil}, // a parent nobody lists
		{"/opt/a/ghost", []string{"prov-a-1.0-1.noarch"}},
		{"/usr/bin/tool-a", []string{"prov-a-1.0-1.noarch", "shared-1-1.x86_64"}},
		{"/virtual/path", []string{"virt-1-1.noarch"}}, // a path can be provided, too
		{"srcthing", nil}, // source packages provide nothing
		{"srcpkg", nil},
		{"(prov-a and missing)", []string{"prov-a-1.0-1.noarch"}}, // libsolv's best case
		{"(missing and missing2)", nil},
		{"(missing or prov-b)", []string{"prov-b-1:2.0-1.noarch"}},
		{"(missing if prov-a)", nil},
		{"(prov-a if missing)", []string{"prov-a-1.0-1.noarch"}},
		{"(missing if prov-a else prov-b)", []string{"prov-b-1:2.0-1.noarch"}},
		{"(prov-a unless prov-b)", []string{"prov-a-1.0-1.noarch"}},
		{"(missing unless prov-a else virt)", []string{"virt-1-1.noarch"}},
		{"(prov-a with cap-a)", []string{"prov-a-1.0-1.noarch"}},
		{"(prov-a with prov-b)", nil},
		{"(prov-a without cap-a)", nil},
		{"(prov-a without prov-b)", []string{"prov-a-1.0-1.noarch"}},
		{"(/usr/bin/tool-a without /opt/a/file)", []string{"shared-1-1.x86_64"}},
		{"(cap-a >= 3 or cap-b > 0:1)", []string{"prov-b-1:2.0-1.noarch"}},
		{"((prov-a and prov-b) or (virt with /opt/a/file))", []string{"prov-a-1.0-1.noarch", "prov-b-1:2.0-1.noarch"}},
		{"(prov-a and prov-b or virt)", nil}, // libsolv cannot parse it: a name nobody provides
	} {
		got := nevrasOf(ix.Providers(deps(t, tc.req)[0]))
		sameStrings(t, "Providers("+tc.req+")", got, tc.want)
	}
}

func TestOwnersAndNamed(t *testing.T) {
	ix := NewIndex(providerSet(t))
	sameStrings(t, "Owners(/usr/bin/tool-a)", nevrasOf(ix.Owners("/usr/bin/tool-a")), []string{"prov-a-1.0-1.noarch", "shared-1-1.x86_64"})
	sameStrings(t, "Owners(/opt/a/file)", nevrasOf(ix.Owners("/opt/a/file")), []string{"prov-a-1.0-1.noarch"})
	sameStrings(t, "Owners(srcpkg.spec)", nevrasOf(ix.Owners("srcpkg.spec")), nil)
	sameStrings(t, "Named(srcpkg)", nevrasOf(ix.Named("srcpkg")), []string{"srcpkg-1-1.src"})
	sameStrings(t, "Named(nope)", nevrasOf(ix.Named("nope")), nil)
}

// The path index is built in parallel and sorted by hash: every path must
// be found, with its owners in package order.
func TestLargePathIndex(t *testing.T) {
	pkgs := syntheticSet(3000)
	for i := range pkgs {
		if i%100 == 0 { // a path many packages own
			pkgs[i].Dirs = append(pkgs[i].Dirs, "/usr/share/common")
		}
	}
	ix := NewIndex(pkgs)
	for i := 0; i < len(pkgs); i += 97 {
		for _, f := range []string{pkgs[i].Files[0], pkgs[i].Files[20], pkgs[i].Dirs[1]} {
			got := ix.Owners(f)
			if len(got) != 1 || got[0].Name != pkgs[i].Name {
				t.Fatalf("Owners(%s) = %v, want %s", f, nevrasOf(got), pkgs[i].NEVRA())
			}
		}
	}
	var want []string
	for i := 0; i < len(pkgs); i += 100 {
		want = append(want, pkgs[i].NEVRA())
	}
	sameStrings(t, "owners of a shared directory", nevrasOf(ix.Owners("/usr/share/common")), want)
	if !slices.IsSortedFunc(ix.pathIndex(), func(a, b pathEntry) int { return cmp.Compare(a.hash, b.hash) }) {
		t.Errorf("path index not sorted")
	}
}

func TestFromRPMAndNEVRA(t *testing.T) {
	var b bytes.Buffer
	spec := corpus.PackageSpec{
		Name: "demo", Version: "1.2", Release: "3", Epoch: 2, Arch: "x86_64",
		Requires: []string{"bash >= 4"},
		Files: []corpus.File{
			{Path: "/usr/share/demo", Mode: fs.ModeDir | 0o755},
			{Path: "/usr/share/demo/a.txt", Content: []byte("a")},
			{Path: "/usr/bin/demo", Content: []byte("#!/bin/sh\n"), Mode: 0o755},
		},
	}
	if err := corpus.WriteRPM(&b, spec); err != nil {
		t.Fatal(err)
	}
	rp, err := rpm.Read(bytes.NewReader(b.Bytes()), "demo.rpm")
	if err != nil {
		t.Fatal(err)
	}
	p := FromRPM(rp, "core", "demo.rpm")
	if p.Epoch != "2" || p.Category != "core" || p.ID != "demo.rpm" || p.Source {
		t.Errorf("FromRPM = %+v", p)
	}
	sameStrings(t, "Files", p.Files, []string{"/usr/bin/demo", "/usr/share/demo/a.txt"})
	sameStrings(t, "Dirs", p.Dirs, []string{"/usr/share/demo"})
	if got := p.NEVRA(); got != "demo-2:1.2-3.x86_64" {
		t.Errorf("NEVRA = %q", got)
	}
	if got := p.EVR(); got != "2:1.2-3" {
		t.Errorf("EVR = %q", got)
	}
	for _, tc := range []struct{ in, want string }{
		{"foo-1.0-1.noarch", "foo-1.0-1.noarch"},
		{"foo-0:1.0-1.noarch", "foo-1.0-1.noarch"}, // dnf leaves a zero epoch out
		{"foo-1:1.0-1.noarch", "foo-1:1.0-1.noarch"},
		{"foo-1.0-1.src", "foo-1.0-1.src"},
	} {
		p := mk(t, tc.in)
		if got := p.NEVRA(); got != tc.want {
			t.Errorf("NEVRA(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
