package catalog

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/smeserver/smeforge/internal/check"
	"github.com/smeserver/smeforge/internal/rpm"
)

// CheckPackage turns what the catalog knows of an artifact into the
// checks' view of it.
func CheckPackage(f *PackageFacts) check.Package {
	a := &f.Artifact
	p := check.Package{Name: a.Name, Version: a.Version, Release: a.Release, Arch: a.Arch, Category: a.Category,
		Source: a.Source, ID: a.SHA256}
	if a.Epoch > 0 {
		p.Epoch = strconv.FormatInt(a.Epoch, 10)
	}
	if a.Source {
		p.Arch = "src"
	}
	deps := func(ss []string) []rpm.Dependency {
		out := make([]rpm.Dependency, 0, len(ss))
		for _, s := range ss {
			if d, err := rpm.ParseDependency(s); err == nil {
				out = append(out, d)
			} else {
				out = append(out, rpm.Dependency{Name: s})
			}
		}
		return out
	}
	d := &f.Details
	p.Requires, p.Provides, p.Conflicts, p.Obsoletes = deps(d.Requires), deps(d.Provides), deps(d.Conflicts), deps(d.Obsoletes)
	dirs := make(map[string]bool, len(d.Dirs))
	for _, x := range d.Dirs {
		dirs[x] = true
	}
	p.Dirs = d.Dirs
	for _, x := range d.Files {
		if !dirs[x] {
			p.Files = append(p.Files, x)
		}
	}
	return p
}

// LicenceFinding is a package whose licence the policy does not allow or
// cannot read.
type LicenceFinding struct {
	Package  string   `json:"package"`
	License  string   `json:"license"`
	SPDX     string   `json:"spdx,omitempty"`
	Problems []string `json:"problems"`
}

// Report is what the policy's checks say of a set of packages.
type Report struct {
	Packages   int              `json:"packages"`
	Unresolved []check.Finding  `json:"unresolved"`
	Layering   []check.Finding  `json:"layering"`
	Forks      []check.Finding  `json:"forks"`
	Licences   []LicenceFinding `json:"licences"`
}

// Check runs the closure, layering, fork and licence checks over the
// current content of a release's channels (every release when release is
// ""; the named channels only when channels is set).
func (s *Service) Check(ctx context.Context, release string, channels []string) (*Report, error) {
	facts, err := s.Store.PackagesIn(ctx, release, channels)
	if err != nil {
		return nil, err
	}
	// The base OS's packages, as synced from its upstreams, count too.
	base, err := s.Store.UpstreamPackages(ctx, "", "", 0)
	if err != nil {
		return nil, err
	}
	own := len(facts)
	facts = append(facts, base...)
	pol := s.policy()
	pkgs := make([]check.Package, len(facts))
	for i := range facts {
		pkgs[i] = CheckPackage(&facts[i])
	}
	ix := check.NewIndex(pkgs)
	var order, protected []string
	for _, c := range pol.Categories {
		order = append(order, c.Name)
		if c.Protected {
			protected = append(protected, c.Name)
		}
	}
	r := &Report{Packages: len(pkgs), Unresolved: ix.Closure(check.ClosureOptions{}), Licences: []LicenceFinding{}}
	if r.Layering, err = ix.Layering(order); err != nil {
		return nil, err
	}
	if r.Forks, err = ix.Forks(check.ForkPolicy{Order: order, Protected: protected}); err != nil {
		return nil, err
	}
	lc := pol.LicenceChecker()
	seen := map[string]bool{}
	// Licences are the project's business for what it ships, not for the
	// vendor's base packages.
	for i := range facts[:own] {
		a := &facts[i].Artifact
		if seen[a.NEVRA()] {
			continue
		}
		seen[a.NEVRA()] = true
		if v := lc.Check(a.License); !v.OK {
			r.Licences = append(r.Licences, LicenceFinding{Package: a.NEVRA(), License: a.License, SPDX: v.SPDX, Problems: v.Problems})
		}
	}
	sort.Slice(r.Licences, func(i, j int) bool { return r.Licences[i].Package < r.Licences[j].Package })
	for _, f := range []*[]check.Finding{&r.Unresolved, &r.Layering, &r.Forks} {
		if *f == nil {
			*f = []check.Finding{}
		}
	}
	return r, nil
}

// Place is where a release has a package.
type Place struct {
	Channel  string `json:"channel,omitempty"`
	Upstream string `json:"upstream,omitempty"`
	EVR      string `json:"evr"`
	Arch     string `json:"arch"`
	Category string `json:"category"`
}

// Answer says whether a release has a package, in plain words.
type Answer struct {
	Name     string  `json:"name"`
	Release  string  `json:"release"`
	Found    bool    `json:"found"`
	Sentence string  `json:"answer"`
	Places   []Place `json:"places"`
}

// Where answers the seed's question: is package name in release, and in
// which channel and version? Every category counts, the base OS included.
func (s *Service) Where(ctx context.Context, release, name string) (*Answer, error) {
	rel, err := s.Store.Release(ctx, release)
	if err != nil {
		return nil, err
	}
	ans := &Answer{Name: name, Release: rel.Name, Places: []Place{}}
	rows, _, err := s.Store.SearchPackages(ctx, Query{Text: name, Release: rel.Name, BinaryOnly: true, Limit: 1000})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Name != name {
			continue
		}
		for _, c := range r.Channels {
			if c.Release == rel.Name {
				ans.Places = append(ans.Places, Place{Channel: c.Channel, EVR: r.EVR(), Arch: r.Arch, Category: r.Category})
			}
		}
	}
	base, err := s.Store.UpstreamPackages(ctx, "", name, 1000)
	if err != nil {
		return nil, err
	}
	for i := range base {
		b := &base[i]
		if b.Name == name && !b.Source {
			ans.Places = append(ans.Places, Place{Upstream: strings.TrimPrefix(b.BuildID, "upstream:"), EVR: b.EVR(), Arch: b.Arch, Category: "base"})
		}
	}
	product := s.policy().Name
	if product == "" {
		product = "the distribution"
	}
	if len(ans.Places) == 0 {
		ans.Sentence = fmt.Sprintf("%s is not part of %s %s: no channel of the release carries it and its base OS does not provide it.", name, product, rel.Name)
		return ans, nil
	}
	ans.Found = true
	var where []string
	for _, p := range ans.Places {
		if p.Channel != "" {
			where = append(where, fmt.Sprintf("%s %s in channel %s (%s)", p.EVR, p.Arch, p.Channel, p.Category))
		} else {
			where = append(where, fmt.Sprintf("%s %s from the base OS (%s)", p.EVR, p.Arch, p.Upstream))
		}
	}
	ans.Sentence = fmt.Sprintf("%s is part of %s %s: %s.", name, product, rel.Name, strings.Join(where, "; "))
	return ans, nil
}
