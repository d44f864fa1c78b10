package check

import (
	"slices"
	"strings"

	"github.com/smeserver/smeforge/internal/rpm"
)

// resolver looks requirements up in an index for one check, among the
// packages avail allows (all binary packages when nil).
type resolver struct {
	ix    *Index
	avail []bool
}

// owners appends the owner entries of path to buf.
func (r *resolver) owners(path string, buf []int32) []int32 { return r.ix.owners(path, buf) }

func (r *resolver) ok(p int32) bool { return r.avail == nil || r.avail[p] }

// providers returns, sorted, the numbers of the available packages that
// satisfy d as libsolv's whatprovides does (see Index.Providers), which is
// what dnf repoclosure asks. A rich dependency libsolv cannot parse is
// looked up as a plain name (but see satisfied).
func (r *resolver) providers(d rpm.Dependency) []int32 {
	if IsRich(d.Name) {
		if e, err := ParseRich(d.Name); err == nil {
			return r.exprProviders(e)
		}
	}
	out := r.leafProviders(d, nil)
	slices.Sort(out)
	return slices.Compact(out)
}

func (r *resolver) leafProviders(d rpm.Dependency, buf []int32) []int32 {
	for _, pv := range r.ix.provided(d.Name) {
		if r.ok(pv.pkg) && rpm.RangesOverlap(rpm.Dependency{Name: d.Name, Flags: pv.flags, Version: pv.version}, d) {
			buf = append(buf, pv.pkg)
		}
	}
	if strings.HasPrefix(d.Name, "/") {
		n := len(buf)
		buf = r.owners(d.Name, buf)
		for k := n; k < len(buf); k++ {
			buf[k] >>= 1
		}
		if r.avail != nil {
			buf = slices.DeleteFunc(buf, func(p int32) bool { return !r.avail[p] })
		}
	}
	return buf
}

func (r *resolver) exprProviders(e *Expr) []int32 {
	switch e.Op {
	case OpLeaf:
		out := r.leafProviders(e.Dep, nil)
		slices.Sort(out)
		return slices.Compact(out)
	case OpAnd, OpOr:
		return union(r.exprProviders(e.Left), r.exprProviders(e.Right))
	case OpIf, OpUnless:
		a := r.exprProviders(e.Left)
		if e.Right.Op == OpElse {
			return union(a, r.exprProviders(e.Right.Right))
		}
		return a
	case OpWith:
		b := r.exprProviders(e.Right)
		return slices.DeleteFunc(r.exprProviders(e.Left), func(p int32) bool {
			_, found := slices.BinarySearch(b, p)
			return !found
		})
	case OpWithout:
		b := r.exprProviders(e.Right)
		return slices.DeleteFunc(r.exprProviders(e.Left), func(p int32) bool {
			_, found := slices.BinarySearch(b, p)
			return found
		})
	}
	return nil // a bare "else" provides nothing, as in libsolv
}

// union merges two sorted sets.
func union(a, b []int32) []int32 {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// resolvable reports whether providers(d) is not empty, without building
// the list for a simple requirement.
func (r *resolver) resolvable(d rpm.Dependency) bool {
	if IsRich(d.Name) {
		return len(r.providers(d)) > 0
	}
	return r.providedBy(d, r.ok)
}

// providedBy reports whether a package accepted by ok satisfies the simple
// requirement d.
func (r *resolver) providedBy(d rpm.Dependency, ok func(int32) bool) bool {
	for _, pv := range r.ix.provided(d.Name) {
		if ok(pv.pkg) && rpm.RangesOverlap(rpm.Dependency{Name: d.Name, Flags: pv.flags, Version: pv.version}, d) {
			return true
		}
	}
	if !strings.HasPrefix(d.Name, "/") {
		return false
	}
	var buf [8]int32
	for _, e := range r.owners(d.Name, buf[:0]) {
		if ok(e >> 1) {
			return true
		}
	}
	return false
}

// satisfied reports whether d is resolved: as repoclosure does, or as rpm
// reads rich dependencies when strict. A rich dependency libsolv cannot
// parse never reaches dnf (repoclosure does not report it); strict
// reports it.
func (r *resolver) satisfied(d rpm.Dependency, strict bool) bool {
	if IsRich(d.Name) {
		e, err := ParseRich(d.Name)
		switch {
		case err != nil:
			return !strict
		case strict:
			return r.satisfiable(e, r.ok)
		}
	}
	return r.resolvable(d)
}

// satisfiable reports whether packages accepted by ok can satisfy e as rpm
// reads it, every branch that can be taken included: (A and B) needs both,
// (A or B) either, (A with B) one package satisfying both, (A without B)
// one satisfying A and not B; (A if B) needs A when B can be satisfied,
// (A if B else C) also needs C; (A unless B) needs A, and with "else C"
// also C when B can be satisfied. Providers are looked for among all
// binary packages, whatever r.avail says; ok decides.
func (r *resolver) satisfiable(e *Expr, ok func(int32) bool) bool {
	sat := func(x *Expr) bool { return r.satisfiable(x, ok) }
	all := resolver{ix: r.ix}
	switch e.Op {
	case OpLeaf:
		return slices.ContainsFunc(all.leafProviders(e.Dep, nil), ok)
	case OpAnd:
		return sat(e.Left) && sat(e.Right)
	case OpOr:
		return sat(e.Left) || sat(e.Right)
	case OpIf:
		if e.Right.Op == OpElse {
			return (!sat(e.Right.Left) || sat(e.Left)) && sat(e.Right.Right)
		}
		return !sat(e.Right) || sat(e.Left)
	case OpUnless:
		if e.Right.Op == OpElse {
			return sat(e.Left) && (!sat(e.Right.Left) || sat(e.Right.Right))
		}
		return sat(e.Left)
	case OpWith, OpWithout:
		return slices.ContainsFunc(all.exprProviders(e), ok)
	}
	return false
}

// explain says why d is unresolved and which packages come close.
func (r *resolver) explain(d rpm.Dependency, strict bool) (string, []string) {
	ix := r.ix
	if IsRich(d.Name) {
		e, err := ParseRich(d.Name)
		if err != nil {
			return "malformed rich dependency, which dnf ignores: " + err.Error(), nil
		}
		var missing []string
		e.leaves(func(l *Expr) {
			if !r.resolvable(l.Dep) {
				missing = append(missing, l.String())
			}
		})
		switch {
		case len(missing) > 0:
			return "nothing provides " + strings.Join(missing, ", "), nil
		case strict:
			return "no combination of packages satisfies it", nil
		}
		return "no package satisfies it as a whole", nil
	}
	if r.avail != nil {
		all := resolver{ix: ix}
		if ps := all.providers(d); len(ps) > 0 {
			return "provided only by packages that are not the newest", ix.nevras(ps)
		}
	}
	var out []string
	for _, pv := range ix.provided(d.Name) {
		if r.ok(pv.pkg) {
			dep := rpm.Dependency{Name: d.Name, Flags: pv.flags, Version: pv.version}
			out = append(out, ix.pkgs[pv.pkg].NEVRA()+" provides "+dep.String())
		}
	}
	if len(out) > 0 {
		slices.Sort(out)
		return "no provided version matches", slices.Compact(out)
	}
	if strings.HasPrefix(d.Name, "/") {
		return "no package owns or provides " + d.Name, nil
	}
	return "nothing provides " + d.Name, nil
}
