package check

import (
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/rpm"
)

func closureSet(t *testing.T) []Package {
	return append(providerSet(t),
		mk(t, "app-1.0-1.x86_64",
			requires(t, "cap-a >= 2.0", "cap-a > 2.0", "prov-b >= 1:3", "/opt/a", "/usr/bin/tool-a", "missing",
				"missing >= 0:1", "missing >= 1", // one requirement to dnf
				"rpmlib(PayloadIsZstd) <= 5.4.18-1", // rpm-internal: never reported
				"(prov-a and gone)", "(gone if prov-a)", "(prov-a if gone)", "(prov-a with prov-b)",
				"(prov-a and prov-b or virt)")),
		mk(t, "old-1-1.noarch", provides(t, "cap-old = 1"), requires(t, "gone-in-old")),
		mk(t, "old-2-1.noarch", provides(t, "cap-old = 2")),
		mk(t, "needold-1-1.noarch", requires(t, "cap-old = 1", "old < 2")),
		mk(t, "build-1-1.src", requires(t, "prov-a", "missing-buildreq >= 2", "srcthing")),
	)
}

func TestClosure(t *testing.T) {
	ix := NewIndex(closureSet(t))
	appMissing := []string{
		"app-1.0-1.x86_64 | (gone if prov-a)",
		"app-1.0-1.x86_64 | (prov-a with prov-b)",
		"app-1.0-1.x86_64 | /opt/a",
		"app-1.0-1.x86_64 | cap-a > 2.0",
		"app-1.0-1.x86_64 | missing",
		"app-1.0-1.x86_64 | missing >= 0:1",
		"app-1.0-1.x86_64 | prov-b >= 1:3",
	}
	for _, tc := range []struct {
		name string
		opt  ClosureOptions
		want []string
	}{
		{"default", ClosureOptions{}, append(appMissing[:len(appMissing):len(appMissing)], "old-1-1.noarch | gone-in-old")},
		{"sources", ClosureOptions{Sources: true}, append(appMissing[:len(appMissing):len(appMissing)],
			"build-1-1.src | missing-buildreq >= 2", "build-1-1.src | srcthing", "old-1-1.noarch | gone-in-old")},
		{"arches", ClosureOptions{Sources: true, Arches: []string{"x86_64"}}, appMissing},
		// Only the newest old is checked, and needold then lacks old 1.
		{"newest", ClosureOptions{Newest: true}, append(appMissing[:len(appMissing):len(appMissing)],
			"needold-1-1.noarch | cap-old = 1", "needold-1-1.noarch | old < 2")},
		// Everything is checked, against the newest of each name and arch.
		{"best", ClosureOptions{Best: true}, append(appMissing[:len(appMissing):len(appMissing)],
			"needold-1-1.noarch | cap-old = 1", "needold-1-1.noarch | old < 2", "old-1-1.noarch | gone-in-old")},
		// Strict also needs both sides of "and", and reports the rich
		// dependency libsolv cannot parse (dnf ignores it).
		{"strict", ClosureOptions{Strict: true}, append(appMissing[:len(appMissing):len(appMissing)],
			"app-1.0-1.x86_64 | (prov-a and gone)", "app-1.0-1.x86_64 | (prov-a and prov-b or virt)", "old-1-1.noarch | gone-in-old")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := ix.Closure(tc.opt)
			sameStrings(t, "findings", summary(fs), sortedCopy(tc.want))
			for _, f := range fs {
				if f.Kind != KindUnresolved || f.Detail == "" {
					t.Errorf("finding %+v: want kind %q and a detail", f, KindUnresolved)
				}
			}
		})
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestClosureDetails(t *testing.T) {
	ix := NewIndex(closureSet(t))
	byReq := map[string]Finding{}
	for _, f := range ix.Closure(ClosureOptions{Best: true}) {
		byReq[f.Package+" "+f.Requirement] = f
	}
	for _, tc := range []struct {
		key, detail string
		other       []string
	}{
		{"app-1.0-1.x86_64 cap-a > 2.0", "no provided version matches", []string{"prov-a-1.0-1.noarch provides cap-a = 2.0"}},
		{"app-1.0-1.x86_64 /opt/a", "no package owns or provides /opt/a", nil},
		{"app-1.0-1.x86_64 missing", "nothing provides missing", nil},
		{"app-1.0-1.x86_64 (gone if prov-a)", "nothing provides gone", nil},
		{"app-1.0-1.x86_64 (prov-a with prov-b)", "no package satisfies it as a whole", nil},
		{"needold-1-1.noarch cap-old = 1", "provided only by packages that are not the newest", []string{"old-1-1.noarch"}},
	} {
		f, ok := byReq[tc.key]
		if !ok {
			t.Errorf("no finding for %s", tc.key)
			continue
		}
		if f.Detail != tc.detail {
			t.Errorf("%s: detail %q, want %q", tc.key, f.Detail, tc.detail)
		}
		sameStrings(t, tc.key+": other", f.Other, tc.other)
	}
	for _, f := range ix.Closure(ClosureOptions{Strict: true}) {
		if f.Requirement == "(prov-a and prov-b or virt)" && !strings.HasPrefix(f.Detail, "malformed rich dependency, which dnf ignores: ") {
			t.Errorf("unparsable rich dependency: %+v", f)
		}
	}
}

func TestClosureOrder(t *testing.T) {
	ix := NewIndex([]Package{
		mk(t, "b-1-1.noarch", requires(t, "z", "a")),
		mk(t, "a-1:1-1.noarch", requires(t, "q")),
		mk(t, "a-2-1.noarch", requires(t, "q")),
		mk(t, "a-2-1.x86_64", requires(t, "q")),
	})
	var got []string
	for _, f := range ix.Closure(ClosureOptions{}) {
		got = append(got, f.Package+" "+f.Requirement)
	}
	sameStrings(t, "order", got, []string{"a-2-1.noarch q", "a-2-1.x86_64 q", "a-1:1-1.noarch q", "b-1-1.noarch z"})
}

func TestMetadataRequires(t *testing.T) {
	ge := rpm.SenseGreater | rpm.SenseEqual
	p := Package{
		Name: "p", Version: "1", Release: "1", Arch: "x86_64",
		Provides: []rpm.Dependency{{Name: "p", Flags: rpm.SenseEqual, Version: "1-1"}, {Name: "cap", Flags: ge, Version: "2"}},
		Files:    []string{"/etc/p.conf", "/usr/share/p/data", "/usr/sbin/pd"},
		Dirs:     []string{"/etc/p.d"},
		Requires: []rpm.Dependency{
			{Name: "rpmlib(CompressedFileNames)", Flags: rpm.SenseLess | rpm.SenseEqual | rpm.SenseRpmlib, Version: "3.0.4-1"},
			{Name: "/etc/p.conf"},       // own primary file: left out
			{Name: "/etc/p.d"},          // own primary directory: left out
			{Name: "/usr/sbin/pd"},      // own primary file: left out
			{Name: "/usr/share/p/data"}, // own file, not primary: kept
			{Name: "/etc/other.conf"},   // someone else's: kept
			{Name: "cap", Flags: ge | rpm.SensePrereq, Version: "2"}, // same as a provide: left out
			{Name: "cap", Flags: ge, Version: "3"},                   // kept
			{Name: "wish", Flags: senseMissingOK},                    // legacy weak dependency: left out
			{Name: "badepoch", Flags: ge, Version: "x:1.0"},          // createrepo_c refuses it
			{Name: "libc.so.6()(64bit)"},
			{Name: "libc.so.6(GLIBC_2.14)(64bit)"},
			{Name: "libc.so.6(GLIBC_2.2.5)(64bit)"},
			{Name: "libc.so.6(GLIBC_2.3.4)(64bit)"},
			{Name: "bash"},
		},
	}
	got := rpm.DepStrings(metadataRequires(&p, nil))
	sameStrings(t, "metadataRequires", got, []string{
		"/usr/share/p/data", "/etc/other.conf", "cap >= 3", "libc.so.6(GLIBC_2.14)(64bit)", "bash",
	})
}

func TestCompareLibc(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"libc.so.6", "libc.so.6", 0},
		{"libc.so.6", "libc.so.6()(64bit)", 2},
		{"libc.so.6()(64bit)", "libc.so.6", 1},
		{"libc.so.6()(64bit)", "libc.so.6()", 0},
		{"libc.so.6()(64bit)", "libc.so.6(GLIBC_2.3)(64bit)", 2},
		{"libc.so.6(GLIBC_2.3.4)(64bit)", "libc.so.6(GLIBC_2.4)", 2},
		{"libc.so.6(GLIBC_2.14)(64bit)", "libc.so.6(GLIBC_2.2.5)(64bit)", 1},
		{"libc.so.6(GLIBC_2.2.5)(64bit)", "libc.so.6(GLIBC_2.2.5)", 0},
		{"libc.so.6(GLIBC_PRIVATE)(64bit)", "libc.so.6(GLIBC_2.2.5)(64bit)", 2}, // the digit found is in "64bit"
		{"libc.so.6(GLIBC_PRIVATE)", "libc.so.6(GLIBC_2.2.5)", 2},
		{"libc.so.6(x", "libc.so.6(y", -1},
	} {
		if got := compareLibc(tc.a, tc.b); got != tc.want {
			t.Errorf("compareLibc(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestBadEpoch(t *testing.T) {
	for v, want := range map[string]bool{
		"": false, "1.0": false, "1:1.0": false, "00:1": false, ":1.0": false, " 1:2": false, "+1:2": false,
		"x:1.0": true, "1.2:3": true, "1a:2": true, "-:2": true,
	} {
		if got := badEpoch(v); got != want {
			t.Errorf("badEpoch(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestUnbuildable(t *testing.T) {
	ix := NewIndex(providerSet(t))
	srpms := []Package{
		mk(t, "foo-1-1.src", requires(t, "prov-a", "cap-b >= 1", "gcc", "/usr/bin/tool-a", "rpmlib(X) <= 1")),
		mk(t, "bar-1-1.src", requires(t, "(prov-a or gcc)")),
		mk(t, "notsource-1-1.noarch", requires(t, "gcc")),
	}
	fs := ix.Unbuildable(srpms)
	sameStrings(t, "findings", summary(fs), []string{"foo-1-1.src | gcc"})
	if len(fs) == 1 && (fs[0].Kind != KindUnbuildable || fs[0].Detail != "cannot build: nothing provides gcc") {
		t.Errorf("finding %+v", fs[0])
	}
}
