package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/rpm"
)

// mk builds a package from "name-[epoch:]version-release.arch" ("src" as
// the architecture makes a source package) and options.
func mk(t testing.TB, nevra string, opts ...func(*Package)) Package {
	t.Helper()
	dot := strings.LastIndexByte(nevra, '.')
	rel := strings.LastIndexByte(nevra[:dot], '-')
	ver := strings.LastIndexByte(nevra[:rel], '-')
	if dot < 0 || rel < 0 || ver < 0 {
		t.Fatalf("bad NEVRA %q", nevra)
	}
	p := Package{Name: nevra[:ver], Version: nevra[ver+1 : rel], Release: nevra[rel+1 : dot], Arch: nevra[dot+1:]}
	if e, v, ok := strings.Cut(p.Version, ":"); ok {
		p.Epoch, p.Version = e, v
	}
	if p.Arch == "src" {
		p.Source, p.Arch = true, "x86_64"
	}
	for _, o := range opts {
		o(&p)
	}
	return p
}

// deps parses dependencies as rpm prints them; rich ones stay whole.
func deps(t testing.TB, ss ...string) []rpm.Dependency {
	t.Helper()
	out := make([]rpm.Dependency, len(ss))
	for i, s := range ss {
		if IsRich(s) {
			out[i] = rpm.Dependency{Name: s}
			continue
		}
		d, err := rpm.ParseDependency(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d
	}
	return out
}

func requires(t testing.TB, ss ...string) func(*Package) {
	return func(p *Package) { p.Requires = append(p.Requires, deps(t, ss...)...) }
}

func provides(t testing.TB, ss ...string) func(*Package) {
	return func(p *Package) { p.Provides = append(p.Provides, deps(t, ss...)...) }
}

func obsoletes(t testing.TB, ss ...string) func(*Package) {
	return func(p *Package) { p.Obsoletes = append(p.Obsoletes, deps(t, ss...)...) }
}

func files(paths ...string) func(*Package) {
	return func(p *Package) { p.Files = append(p.Files, paths...) }
}

func dirs(paths ...string) func(*Package) {
	return func(p *Package) { p.Dirs = append(p.Dirs, paths...) }
}

func category(c string) func(*Package) { return func(p *Package) { p.Category = c } }

// summary writes findings as "package | requirement" lines (plus the
// reason for forks), sorted, for comparing with a want list.
func summary(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		s := f.Package + " | " + f.Requirement
		if f.Reason != "" {
			s += " | " + f.Reason + " " + strings.Join(f.Other, ",")
		}
		out[i] = s
	}
	slices.Sort(out)
	return out
}

func nevrasOf(ps []*Package) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.NEVRA()
	}
	return out
}

func sameStrings(t testing.TB, what string, got, want []string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}
