package check

import (
	"fmt"
	"slices"

	"github.com/smeserver/smeforge/internal/rpm"
)

// Layering reports each requirement of a binary package that is satisfied
// only from a category above the package's own: order lists the
// categories lowest first (for SME Server: base, infra, core, addons,
// test, dev), and a package may need what its own category or those below
// provide, or what it provides itself.
//
// A rich dependency is read as rpm reads it (see ClosureOptions.Strict):
// (a or b) is fine when either is available at the package's level, a
// conditional when every branch that can be taken at that level can be
// satisfied there. Requirements nothing satisfies are left to Closure.
// Source packages are not checked. A binary package whose category is not
// in order is an error wrapping ErrUnknownCategory.
func (ix *Index) Layering(order []string) ([]Finding, error) {
	level := levels(order)
	rank := make([]int, len(ix.pkgs))
	for i := range ix.pkgs {
		p := &ix.pkgs[i]
		if p.Source {
			continue
		}
		l, ok := level[p.Category]
		if !ok {
			return nil, fmt.Errorf("checking layering: package %s: %w: %q (order %v)", p.NEVRA(), ErrUnknownCategory, p.Category, order)
		}
		rank[i] = l
	}
	var bins []int32
	for i := range ix.pkgs {
		if !ix.pkgs[i].Source {
			bins = append(bins, int32(i))
		}
	}
	r := resolver{ix: ix}
	var c collector
	var reqs []rpm.Dependency
	var seen []string
	for _, i := range bins {
		p := &ix.pkgs[i]
		self, l := i, rank[i]
		below := func(q int32) bool { return q == self || rank[q] <= l }
		reqs = metadataRequires(p, reqs[:0])
		seen = seen[:0]
		for _, d := range reqs {
			above, ok := r.layered(d, below)
			if ok {
				continue
			}
			if key := DnfString(d); slices.Contains(seen, key) {
				continue
			} else {
				seen = append(seen, key)
			}
			other := make([]string, len(above))
			for k, q := range above {
				other[k] = describe(&ix.pkgs[q])
			}
			c.add(p, Finding{
				Kind: KindLayering, Requirement: d.String(), Other: other,
				Detail: fmt.Sprintf("a %s package needs what only a higher category provides", p.Category),
			})
		}
	}
	return c.sorted(), nil
}

// layered reports whether d can be satisfied by packages accepted by
// below; when it cannot but the whole set satisfies it, it also returns
// the providers involved that below refuses.
func (r *resolver) layered(d rpm.Dependency, below func(int32) bool) ([]int32, bool) {
	all := func(int32) bool { return true }
	var above []int32
	if IsRich(d.Name) {
		e, err := ParseRich(d.Name)
		if err == nil {
			if r.satisfiable(e, below) || !r.satisfiable(e, all) {
				return nil, true
			}
			e.leaves(func(l *Expr) {
				for _, q := range r.leafProviders(l.Dep, nil) {
					if !below(q) {
						above = append(above, q)
					}
				}
			})
			slices.Sort(above)
			return slices.Compact(above), false
		}
	}
	if r.providedBy(d, below) {
		return nil, true
	}
	provs := r.providers(d)
	return provs, len(provs) == 0
}
