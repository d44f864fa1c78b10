package check

import (
	"slices"
	"strings"

	"github.com/smeserver/smeforge/internal/rpm"
)

// senseMissingOK is rpm's RPMSENSE_MISSINGOK: a requirement that is only a
// wish (the legacy form of Recommends). rpm does not enforce it and
// createrepo_c lists it among the recommends.
const senseMissingOK = 1 << 19

// ClosureOptions choose what Closure checks and what may satisfy it. The
// zero value checks every binary package against every binary package.
type ClosureOptions struct {
	// Sources also checks source packages, whose requirements are build
	// requirements; `dnf repoclosure` does so when a repository holds
	// SRPMs.
	Sources bool
	// Arches, when set, limits the packages checked to these
	// architectures ("src" for source packages), like repoclosure's
	// --arch; providers of every architecture still count.
	Arches []string
	// Newest checks only the newest version of each name and
	// architecture ("src" being one), and resolves only against those,
	// as repoclosure --newest does (hawkey's latest()).
	Newest bool
	// Best resolves only against the newest version of each name and
	// architecture, which is what repoclosure does under dnf's best=1
	// (the default of Fedora's and EL's dnf.conf; Debian's sets best=0).
	Best bool
	// Strict reads rich dependencies as rpm does instead of as
	// repoclosure does: (a and b) needs both, (a with b) one package with
	// both, and a conditional needs every branch that can be taken —
	// (a if b) needs a when b can be installed, (a unless b) needs a. By
	// default, like repoclosure (libsolv's whatprovides), a rich
	// dependency counts as resolved when any package could play a part
	// in it, so (a and b) with only a in the set is resolved.
	Strict bool
}

// Closure reports every requirement of the checked packages that nothing
// in the set satisfies, one Finding of KindUnresolved per package and
// requirement, sorted by package then requirement.
//
// With the default options the list is what `dnf repoclosure` prints for a
// repository of the same packages made by createrepo_c: requirements are
// those createrepo_c writes (see metadataRequires), rpmlib() ones are
// skipped, several spellings libsolv unifies ("foo >= 0:1" and
// "foo >= 1") count once, and each is looked up as Index.Providers does.
func (ix *Index) Closure(opt ClosureOptions) []Finding {
	avail, checked := ix.selection(opt)
	r := resolver{ix: ix, avail: avail}
	var c collector
	var reqs []rpm.Dependency
	var seen []string
	for _, i := range checked {
		p := &ix.pkgs[i]
		reqs = metadataRequires(p, reqs[:0])
		seen = seen[:0]
		for _, d := range reqs {
			if r.satisfied(d, opt.Strict) {
				continue
			}
			key := DnfString(d)
			if slices.Contains(seen, key) {
				continue
			}
			seen = append(seen, key)
			detail, other := r.explain(d, opt.Strict)
			c.add(p, Finding{Kind: KindUnresolved, Requirement: d.String(), Detail: detail, Other: other})
		}
	}
	return c.sorted()
}

// Unbuildable reports, for each source package of srpms, the build
// requirements that no binary package of the index satisfies (one Finding
// of KindUnbuildable each), as Closure with default options would. Binary
// packages in srpms are ignored.
func (ix *Index) Unbuildable(srpms []Package) []Finding {
	r := resolver{ix: ix}
	var c collector
	var reqs []rpm.Dependency
	var seen []string
	for i := range srpms {
		p := &srpms[i]
		if !p.Source {
			continue
		}
		reqs = metadataRequires(p, reqs[:0])
		seen = seen[:0]
		for _, d := range reqs {
			if r.resolvable(d) {
				continue
			}
			key := DnfString(d)
			if slices.Contains(seen, key) {
				continue
			}
			seen = append(seen, key)
			detail, other := r.explain(d, false)
			c.add(p, Finding{Kind: KindUnbuildable, Requirement: d.String(), Detail: "cannot build: " + detail, Other: other})
		}
	}
	return c.sorted()
}

// selection returns the packages that may satisfy requirements (nil for
// all) and the packages to check, in dnf's order.
func (ix *Index) selection(opt ClosureOptions) (avail []bool, checked []int32) {
	if opt.Newest {
		avail = ix.latest(nil)
	}
	for i := range ix.pkgs {
		p := &ix.pkgs[i]
		switch {
		case p.Source && !opt.Sources:
		case len(opt.Arches) > 0 && !slices.Contains(opt.Arches, p.RepoArch()):
		case avail != nil && !avail[i]:
		default:
			checked = append(checked, int32(i))
		}
	}
	if opt.Best {
		avail = ix.latest(avail)
	}
	slices.SortFunc(checked, func(a, b int32) int { return compareNEVRA(&ix.pkgs[a], &ix.pkgs[b]) })
	return avail, checked
}

// latest marks, among the packages in among (all when nil), those of the
// highest EVR for their name and architecture, as libdnf's
// latest_per_arch filter does.
func (ix *Index) latest(among []bool) []bool {
	keep := make([]bool, len(ix.pkgs))
	var group []int32
	for g := range len(ix.nameOff) - 1 {
		group = group[:0]
		for _, i := range ix.namePkgs[ix.nameOff[g]:ix.nameOff[g+1]] {
			if among == nil || among[i] {
				group = append(group, i)
			}
		}
		slices.SortStableFunc(group, func(a, b int32) int {
			return strings.Compare(ix.pkgs[a].RepoArch(), ix.pkgs[b].RepoArch())
		})
		for len(group) > 0 {
			n := 1
			for n < len(group) && ix.pkgs[group[n]].RepoArch() == ix.pkgs[group[0]].RepoArch() {
				n++
			}
			best := ix.pkgs[group[0]].evr()
			for _, i := range group[1:n] {
				if e := ix.pkgs[i].evr(); rpm.CompareEVR(e, best) > 0 {
					best = e
				}
			}
			for _, i := range group[:n] {
				if rpm.CompareEVR(ix.pkgs[i].evr(), best) == 0 {
					keep[i] = true
				}
			}
			group = group[n:]
		}
	}
	return keep
}

// metadataRequires appends to buf the requirements of p as createrepo_c
// writes them into primary.xml, which is all dnf ever sees of them:
//
//   - rpmlib() requirements, wishes (RPMSENSE_MISSINGOK) and dependencies
//     whose epoch is not a number are left out;
//   - so are requirements on the package's own "primary" files (under
//     /etc/, in a bin/ directory, /usr/lib/sendmail) and requirements
//     identical to one of its own provides;
//   - of the requirements on libc.so.6 only the one of the highest
//     version is kept (createrepo_c's cr_compare_dependency).
//
// The second rule changes nothing when the package itself may satisfy its
// requirements; the others are as dnf sees the package, for better or
// worse. internal/repodata.primaryRequires applies the same rules.
func metadataRequires(p *Package, buf []rpm.Dependency) []rpm.Dependency {
	libc := -1
	var own map[string]struct{}
	ownChecks := 0
	for _, d := range p.Requires {
		if d.Flags&senseMissingOK != 0 || strings.HasPrefix(d.Name, "rpmlib(") || badEpoch(d.Version) {
			continue
		}
		if strings.HasPrefix(d.Name, "/") && isPrimaryFile(d.Name) {
			ownChecks++
			if own == nil && ownChecks > 4 {
				own = make(map[string]struct{}, len(p.Files)+len(p.Dirs))
				for _, f := range p.Files {
					own[f] = struct{}{}
				}
				for _, f := range p.Dirs {
					own[f] = struct{}{}
				}
			}
			if own != nil {
				if _, ok := own[d.Name]; ok {
					continue
				}
			} else if slices.Contains(p.Files, d.Name) || slices.Contains(p.Dirs, d.Name) {
				continue
			}
		}
		if providesExactly(p, d) {
			continue
		}
		if strings.HasPrefix(d.Name, "libc.so.6") {
			if libc < 0 {
				libc = len(buf)
				buf = append(buf, d)
			} else if compareLibc(buf[libc].Name, d.Name) == 2 {
				buf[libc] = d
			}
			continue
		}
		buf = append(buf, d)
	}
	return buf
}

func providesExactly(p *Package, d rpm.Dependency) bool {
	for _, pv := range p.Provides {
		if pv.Name == d.Name && pv.Version == d.Version &&
			pv.Flags&rpm.SenseCompareMask == d.Flags&rpm.SenseCompareMask {
			return true
		}
	}
	return false
}

// isPrimaryFile is createrepo_c's cr_is_primary: the paths primary.xml
// lists, and requirements on which a package may satisfy itself silently.
func isPrimaryFile(path string) bool {
	return strings.HasPrefix(path, "/etc/") || path == "/usr/lib/sendmail" || strings.Contains(path, "bin/")
}

// compareLibc is createrepo_c's cr_compare_dependency on two libc.so.6
// capabilities: 0 same, 1 the first is higher, 2 the second is, -1 when
// neither has a closing parenthesis. It compares, with rpm's vercmp, what
// lies between the first '(' and the next ')' from its first digit on:
// libc.so.6 < libc.so.6() < libc.so.6(GLIBC_2.3.4)(64bit) < libc.so.6(GLIBC_2.4).
func compareLibc(a, b string) int {
	if a == b {
		return 0
	}
	ia, ib := strings.IndexByte(a, '('), strings.IndexByte(b, '(')
	switch {
	case ia < 0 && ib < 0:
		return 0
	case ia < 0:
		return 2
	case ib < 0:
		return 1
	}
	a, b = a[ia+1:], b[ib+1:]
	ea, eb := strings.IndexByte(a, ')'), strings.IndexByte(b, ')')
	switch {
	case ea < 0 && eb < 0:
		return -1
	case ea < 0:
		return 2
	case eb < 0:
		return 1
	case ea == 0 && eb == 0:
		return 0
	case ea == 0:
		return 2
	case eb == 0:
		return 1
	}
	// The C code looks for the first digit past the ')' too; a digit
	// found only there means "no version".
	da := strings.IndexFunc(a, isDigit)
	db := strings.IndexFunc(b, isDigit)
	noA, noB := da < 0 || da > ea, db < 0 || db > eb
	switch {
	case noA && noB:
		return 0
	case noA:
		return 2
	case noB:
		return 1
	}
	switch rpm.Vercmp(a[da:ea], b[db:eb]) {
	case -1:
		return 2
	case 1:
		return 1
	}
	return 0
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func (ix *Index) nevras(nums []int32) []string {
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = ix.pkgs[n].NEVRA()
	}
	return out
}

// leaves calls f for each simple dependency of e, left to right.
func (e *Expr) leaves(f func(*Expr)) {
	if e.Op == OpLeaf {
		f(e)
		return
	}
	e.Left.leaves(f)
	e.Right.leaves(f)
}
