package check

import (
	"fmt"
	"slices"

	"github.com/smeserver/smeforge/internal/rpm"
)

// ForkPolicy says which packages may not be forked.
type ForkPolicy struct {
	// Order lists the categories lowest first.
	Order []string
	// Protected are the categories whose packages only their own level
	// (or one below) may replace: for SME Server base, infra and core.
	Protected []string
}

// Forks reports every package of the index that forks a package of a
// protected category below its own (see ForksOf).
func (ix *Index) Forks(policy ForkPolicy) ([]Finding, error) {
	level := levels(policy.Order)
	var c collector
	for i := range ix.pkgs {
		p := &ix.pkgs[i]
		l, ok := level[p.Category]
		if !ok {
			return nil, fmt.Errorf("checking forks: package %s: %w: %q (order %v)", p.NEVRA(), ErrUnknownCategory, p.Category, policy.Order)
		}
		ix.forksOf(&c, p, l, level, policy.Protected)
	}
	return c.sorted(), nil
}

// ForksOf reports how the packages of build, of the given category, fork
// packages of the index that belong to a protected category below it. A
// package X forks a protected package Q when
//
//   - X has Q's name (a binary and a binary, or a source and a source);
//   - X obsoletes Q: an obsoletes entry names Q and its range holds Q's
//     EVR ("perl-RPM" obsoletes every perl-RPM, "foo < 2" only older ones);
//   - X provides Q's name, at any version;
//   - X owns files Q owns: paths that are not directories in both, since
//     directories such as /usr/bin are shared by design.
//
// Each reason is one Finding of KindFork naming Q in Other, with the shared
// files in Files. Packages of the same category, or of a lower one, never
// fork each other. An unknown category is an error wrapping
// ErrUnknownCategory.
func (ix *Index) ForksOf(build []Package, category string, policy ForkPolicy) ([]Finding, error) {
	level := levels(policy.Order)
	l, ok := level[category]
	if !ok {
		return nil, fmt.Errorf("checking forks of a %q build: %w (order %v)", category, ErrUnknownCategory, policy.Order)
	}
	var c collector
	for i := range build {
		ix.forksOf(&c, &build[i], l, level, policy.Protected)
	}
	return c.sorted(), nil
}

// forksOf adds the forks x, of level l, makes.
func (ix *Index) forksOf(c *collector, x *Package, l int, level map[string]int, protected []string) {
	// victim reports whether q is a protected package below x.
	victim := func(q *Package) bool {
		if q == x || !slices.Contains(protected, q.Category) {
			return false
		}
		lq, ok := level[q.Category]
		return ok && lq < l
	}
	fork := func(q *Package, reason, req, detail string, files []string) {
		c.add(x, Finding{
			Kind: KindFork, Reason: reason, Requirement: req, Files: files,
			Other:  []string{describe(q)},
			Detail: fmt.Sprintf("forks %s package %s: %s", q.Category, q.NEVRA(), detail),
		})
	}
	for _, n := range ix.named(x.Name) {
		if q := &ix.pkgs[n]; q.Source == x.Source && victim(q) {
			fork(q, ForkName, "", "same name", nil)
		}
	}
	if x.Source {
		return
	}
	for _, o := range x.Obsoletes {
		for _, n := range ix.named(o.Name) {
			q := &ix.pkgs[n]
			if q.Source || !victim(q) {
				continue
			}
			if rpm.RangesOverlap(rpm.Dependency{Name: q.Name, Flags: rpm.SenseEqual, Version: q.EVR()}, o) {
				fork(q, ForkObsoletes, o.String(), "obsoletes it", nil)
			}
		}
	}
	for _, pv := range x.Provides {
		if pv.Name == x.Name {
			continue // its own name: reported as a name fork if at all
		}
		for _, n := range ix.named(pv.Name) {
			if q := &ix.pkgs[n]; !q.Source && victim(q) {
				fork(q, ForkProvides, pv.String(), "provides its name", nil)
			}
		}
	}
	shared := map[int32][]string{}
	var buf []int32
	for _, f := range x.Files {
		buf = ix.owners(f, buf[:0])
		for _, e := range buf {
			if e&1 == 0 && victim(&ix.pkgs[e>>1]) {
				shared[e>>1] = append(shared[e>>1], f)
			}
		}
	}
	for q, files := range shared {
		slices.Sort(files)
		fork(&ix.pkgs[q], ForkFile, "", fmt.Sprintf("owns %d of its files", len(files)), files)
	}
}
