package check

import (
	"errors"
	"slices"
	"strings"
)

// Kinds of findings.
const (
	// KindUnresolved: a requirement nothing in the set satisfies.
	KindUnresolved = "unresolved"
	// KindUnbuildable: a build requirement of a source package that no
	// binary package satisfies.
	KindUnbuildable = "unbuildable"
	// KindLayering: a requirement satisfied only from a higher category.
	KindLayering = "layering"
	// KindFork: a package that replaces or overwrites a package of a
	// protected category below its own.
	KindFork = "fork"
)

// Reasons a package is a fork (Finding.Reason).
const (
	ForkName      = "name"      // it has the protected package's name
	ForkObsoletes = "obsoletes" // it obsoletes the protected package
	ForkProvides  = "provides"  // it provides the protected package's name
	ForkFile      = "file"      // it owns files the protected package owns
)

// Finding is one answer of a check, naming exactly the packages,
// capability and files involved.
type Finding struct {
	Kind string `json:"kind"`
	// Package is the package the finding is about, as dnf names it
	// (Package.NEVRA), with its Category and ID.
	Package  string `json:"package"`
	Category string `json:"category,omitempty"`
	ID       string `json:"id,omitempty"`
	// Requirement is the dependency involved as `rpm -q --requires`
	// prints it: the requirement for unresolved, unbuildable and layering
	// findings, the obsoletes or provides entry for a fork.
	Requirement string `json:"requirement,omitempty"`
	// Reason says why a fork is one (ForkName, ForkObsoletes ...).
	Reason string `json:"reason,omitempty"`
	// Detail says what is wrong in words.
	Detail string `json:"detail"`
	// Files are the paths involved (a fork's shared files).
	Files []string `json:"files,omitempty"`
	// Other are the other packages involved, as "NEVRA (category)" when
	// the category matters: the providers from above for layering, the
	// protected package for a fork, the providers of other versions for
	// an unresolved versioned requirement.
	Other []string `json:"other,omitempty"`
}

// ErrUnknownCategory is wrapped by the checks that need every package's
// category to be in the given order.
var ErrUnknownCategory = errors.New("category not in the order")

// levels maps each category of order to its rank, lowest first.
func levels(order []string) map[string]int {
	m := make(map[string]int, len(order))
	for i, c := range order {
		if _, dup := m[c]; !dup {
			m[c] = i
		}
	}
	return m
}

// sortFindings orders findings for reading: by kind, then in the order of
// the packages they are about (pkgs[i] for findings[i]), then by
// requirement and reason.
func sortFindings(fs []Finding, pkgs []*Package) {
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := strings.Compare(fs[a].Kind, fs[b].Kind); c != 0 {
			return c
		}
		if c := compareNEVRA(pkgs[a], pkgs[b]); c != 0 {
			return c
		}
		if c := strings.Compare(fs[a].Requirement, fs[b].Requirement); c != 0 {
			return c
		}
		if c := strings.Compare(fs[a].Reason, fs[b].Reason); c != 0 {
			return c
		}
		return strings.Compare(strings.Join(fs[a].Other, ","), strings.Join(fs[b].Other, ","))
	})
	sorted := make([]Finding, len(fs))
	for i, k := range idx {
		sorted[i] = fs[k]
	}
	copy(fs, sorted)
}

// collector gathers findings with the package each is about, for sorting.
type collector struct {
	fs   []Finding
	pkgs []*Package
}

func (c *collector) add(p *Package, f Finding) {
	f.Package, f.Category, f.ID = p.NEVRA(), p.Category, p.ID
	c.fs = append(c.fs, f)
	c.pkgs = append(c.pkgs, p)
}

func (c *collector) sorted() []Finding {
	sortFindings(c.fs, c.pkgs)
	return c.fs
}

// describe names a package with its category: "foo-1.0-1.noarch (addons)".
func describe(p *Package) string {
	if p.Category == "" {
		return p.NEVRA()
	}
	return p.NEVRA() + " (" + p.Category + ")"
}
