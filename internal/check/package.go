package check

import (
	"strconv"
	"strings"

	"github.com/smeserver/smeforge/internal/rpm"
)

// Package is what the checks need to know of one RPM or SRPM.
type Package struct {
	Name string
	// Epoch is "" when the header has none; Arch is the header's ARCH
	// (an SRPM's is the build host's, see Source).
	Epoch, Version, Release, Arch string
	// Category is the package's place in the distribution ("base",
	// "infra", "core", "addons", "test", "dev"); the order between
	// categories is given to the checks that need it.
	Category string

	// Requires of a source package are its BuildRequires.
	Requires, Provides, Conflicts, Obsoletes []rpm.Dependency
	// Files are the paths the package owns that are not directories
	// (regular files, symbolic links, %ghost entries ...); Dirs are the
	// directories it owns. A source package's files (spec, tarballs) are
	// not paths of the installed system and are ignored.
	Files, Dirs []string

	// Source marks an SRPM. It provides nothing: only binary packages
	// can satisfy a requirement.
	Source bool
	// ID identifies the package to the caller (a file path, a catalog
	// id); the checks never look at it.
	ID string
}

// FromRPM returns the Package for an RPM header, with the file list split
// into Files and Dirs. It copies the strings it keeps into one block per
// package: those of p point into the whole header (changelog, file
// digests ...), which would otherwise stay in memory for as long as the
// Package does.
func FromRPM(p *rpm.Package, category, id string) Package {
	var a arena
	a.reserve(p.Name, p.Version, p.Release, p.Arch)
	for _, ds := range [][]rpm.Dependency{p.Requires, p.Provides, p.Conflicts, p.Obsoletes} {
		for _, d := range ds {
			a.reserve(d.Name, d.Version)
		}
	}
	a.alloc()
	c := Package{
		Name:     a.copy(p.Name),
		Version:  a.copy(p.Version),
		Release:  a.copy(p.Release),
		Arch:     a.copy(p.Arch),
		Category: category,
		Requires: a.deps(p.Requires), Provides: a.deps(p.Provides),
		Conflicts: a.deps(p.Conflicts), Obsoletes: a.deps(p.Obsoletes),
		Source: p.SourcePackage,
		ID:     id,
	}
	if p.HasEpoch {
		c.Epoch = strconv.FormatUint(uint64(p.Epoch), 10)
	}
	if p.SourcePackage {
		return c
	}
	dirs := 0
	for i := range p.Files {
		if p.Files[i].IsDir() {
			dirs++
		}
	}
	c.Files = make([]string, 0, len(p.Files)-dirs)
	if dirs > 0 {
		c.Dirs = make([]string, 0, dirs)
	}
	for i := range p.Files {
		if p.Files[i].IsDir() {
			c.Dirs = append(c.Dirs, p.Files[i].Path)
		} else {
			c.Files = append(c.Files, p.Files[i].Path)
		}
	}
	return c
}

// EVR returns "[epoch:]version-release", with the epoch when there is one.
func (p *Package) EVR() string {
	s := p.Version + "-" + p.Release
	if p.Epoch != "" {
		s = p.Epoch + ":" + s
	}
	return s
}

// RepoArch is the architecture repositories use: "src" for a source
// package, the header's otherwise.
func (p *Package) RepoArch() string {
	if p.Source {
		return "src"
	}
	return p.Arch
}

// NEVRA names the package as dnf does: name-[epoch:]version-release.arch,
// without a zero epoch, and with "src" as a source package's architecture.
func (p *Package) NEVRA() string {
	var b strings.Builder
	b.Grow(len(p.Name) + len(p.Epoch) + len(p.Version) + len(p.Release) + len(p.Arch) + 5)
	b.WriteString(p.Name)
	b.WriteByte('-')
	if p.Epoch != "" && strings.Trim(p.Epoch, "0") != "" {
		b.WriteString(p.Epoch)
		b.WriteByte(':')
	}
	b.WriteString(p.Version)
	b.WriteByte('-')
	b.WriteString(p.Release)
	b.WriteByte('.')
	b.WriteString(p.RepoArch())
	return b.String()
}

// evr returns the package's EVR for comparisons.
func (p *Package) evr() rpm.EVR {
	return rpm.EVR{Epoch: p.Epoch, Version: p.Version, Release: p.Release}
}

// compareNEVRA orders packages as dnf lists them: by name, then EVR in
// rpm's order, then architecture.
func compareNEVRA(a, b *Package) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := rpm.CompareEVR(a.evr(), b.evr()); c != 0 {
		return c
	}
	return strings.Compare(a.RepoArch(), b.RepoArch())
}

// arena copies strings into one allocation: reserve them all, alloc,
// then take them back in the same order.
type arena struct {
	n     int
	order []string
	big   string
}

func (a *arena) reserve(ss ...string) {
	for _, s := range ss {
		a.n += len(s)
	}
	a.order = append(a.order, ss...)
}

func (a *arena) alloc() {
	var b strings.Builder
	b.Grow(a.n)
	for _, s := range a.order {
		b.WriteString(s)
	}
	a.big, a.order = b.String(), nil
}

// copy returns the next string, which must be s.
func (a *arena) copy(s string) string {
	out := a.big[:len(s)]
	a.big = a.big[len(s):]
	return out
}

func (a *arena) deps(ds []rpm.Dependency) []rpm.Dependency {
	if len(ds) == 0 {
		return nil
	}
	out := make([]rpm.Dependency, len(ds))
	for i, d := range ds {
		out[i] = rpm.Dependency{Name: a.copy(d.Name), Flags: d.Flags, Version: a.copy(d.Version)}
	}
	return out
}
