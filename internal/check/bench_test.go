package check

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/smeserver/smeforge/internal/rpm"
)

// syntheticSet returns n packages shaped like a distribution's: about 50
// paths each (a million for 20,000), a few provides, a dozen requirements
// on other packages' names, libraries, versions and files, one in a
// hundred of them dangling, and a few rich dependencies.
func syntheticSet(n int) []Package {
	rng := rand.New(rand.NewPCG(1, 2))
	ge := rpm.SenseGreater | rpm.SenseEqual
	pkgs := make([]Package, n)
	for i := range pkgs {
		name := fmt.Sprintf("pkg%05d", i)
		p := Package{
			Name: name, Version: fmt.Sprintf("1.%d", i%7), Release: "1.el7", Arch: "x86_64",
			Category: []string{"base", "infra", "core", "addons"}[i%4],
			Provides: []rpm.Dependency{
				{Name: name, Flags: rpm.SenseEqual, Version: fmt.Sprintf("1.%d-1.el7", i%7)},
				{Name: name + "(x86-64)", Flags: rpm.SenseEqual, Version: fmt.Sprintf("1.%d-1.el7", i%7)},
				{Name: "lib" + name + ".so.1()(64bit)"},
			},
			Dirs: []string{"/usr/lib64/" + name, "/usr/share/doc/" + name},
		}
		if i%3 == 0 {
			p.Arch = "noarch"
		}
		p.Files = append(p.Files, "/usr/bin/"+name)
		for f := range 47 {
			p.Files = append(p.Files, fmt.Sprintf("/usr/lib64/%s/module%02d.so", name, f))
		}
		for range 12 {
			j := rng.IntN(n)
			other := fmt.Sprintf("pkg%05d", j)
			var d rpm.Dependency
			switch rng.IntN(5) {
			case 0:
				d = rpm.Dependency{Name: other}
			case 1:
				d = rpm.Dependency{Name: other, Flags: ge, Version: "1.0"}
			case 2:
				d = rpm.Dependency{Name: "lib" + other + ".so.1()(64bit)"}
			case 3:
				d = rpm.Dependency{Name: "/usr/bin/" + other}
			default:
				d = rpm.Dependency{Name: other + "(x86-64)", Flags: ge, Version: "1.0-1.el7"}
			}
			if rng.IntN(400) == 0 {
				d.Name += "-gone"
			}
			p.Requires = append(p.Requires, d)
		}
		if i%50 == 0 {
			p.Requires = append(p.Requires, rpm.Dependency{Name: fmt.Sprintf("(pkg%05d or /usr/bin/pkg%05d-gone)", rng.IntN(n), rng.IntN(n))})
		}
		p.Requires = append(p.Requires, rpm.Dependency{Name: "rpmlib(CompressedFileNames)", Flags: rpm.SenseLess | rpm.SenseEqual, Version: "3.0.4-1"})
		pkgs[i] = p
	}
	return pkgs
}

func BenchmarkNewIndex(b *testing.B) {
	pkgs := syntheticSet(20000)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(pkgs)
	}
}

func BenchmarkClosure(b *testing.B) {
	pkgs := syntheticSet(20000)
	ix := NewIndex(pkgs)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(ix.Closure(ClosureOptions{}))
	}
	b.ReportMetric(float64(n), "findings")
}

// BenchmarkIndexAndClosure is what `smeforge dev closure` spends after
// reading the headers: index 20,000 packages and a million paths, and
// check every requirement.
func BenchmarkIndexAndClosure(b *testing.B) {
	pkgs := syntheticSet(20000)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(pkgs).Closure(ClosureOptions{})
	}
}

func BenchmarkFullPathIndex(b *testing.B) {
	pkgs := syntheticSet(20000)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(pkgs).Owners("/usr/bin/pkg00001")
	}
}

func BenchmarkLayering(b *testing.B) {
	pkgs := syntheticSet(20000)
	ix := NewIndex(pkgs)
	order := []string{"base", "infra", "core", "addons"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ix.Layering(order); err != nil {
			b.Fatal(err)
		}
	}
}
