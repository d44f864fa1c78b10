package security

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/rpm"
)

// Index holds the affected ranges of many records by package name, so
// that matching a package table costs one map look-up per package name.
type Index struct {
	byName map[string][]indexed
}

type indexed struct {
	rec          *Record
	introduced   rpm.EVR
	fixed, last  *rpm.EVR
	fixedText    string
	introducedAt bool // introduced "0": every version
}

// NewIndex indexes the ranges of records that are not withdrawn.
func NewIndex(recs []*Record) *Index {
	ix := &Index{byName: make(map[string][]indexed)}
	for _, r := range recs {
		if r.Withdrawn {
			continue
		}
		for _, rg := range r.Ranges {
			in := indexed{rec: r, introducedAt: rg.Introduced == "0" || rg.Introduced == "", fixedText: rg.Fixed}
			in.introduced = rpm.ParseEVR(rg.Introduced)
			if rg.Fixed != "" {
				e := rpm.ParseEVR(rg.Fixed)
				in.fixed = &e
			}
			if rg.LastAffected != "" {
				e := rpm.ParseEVR(rg.LastAffected)
				in.last = &e
			}
			ix.byName[rg.Package] = append(ix.byName[rg.Package], in)
		}
	}
	return ix
}

// affects reports whether evr falls in the range: at or after introduced,
// before fixed, at or before last_affected; rpm's order, a missing epoch
// counting as 0.
func (in *indexed) affects(evr rpm.EVR) bool {
	if !in.introducedAt && rpm.CompareEVR(evr, in.introduced) < 0 {
		return false
	}
	if in.fixed != nil && rpm.CompareEVR(evr, *in.fixed) >= 0 {
		return false
	}
	if in.last != nil && rpm.CompareEVR(evr, *in.last) > 0 {
		return false
	}
	return true
}

// SourceName is the package name of a source RPM file name
// ("openssl-1.1.1k-12.el8.src.rpm" -> "openssl"), "" if it is not one.
func SourceName(srpm string) string {
	s, ok := strings.CutSuffix(srpm, ".src.rpm")
	if !ok {
		s, ok = strings.CutSuffix(srpm, ".nosrc.rpm")
	}
	if !ok {
		return ""
	}
	r := strings.LastIndexByte(s, '-')
	if r <= 0 {
		return ""
	}
	v := strings.LastIndexByte(s[:r], '-')
	if v <= 0 {
		return ""
	}
	return s[:v]
}

// Match finds, for one release, the packages that fall in an affected
// range, by binary name and by source package name, and returns one entry
// per (package, vulnerability) with every source and version. The entry's
// package is the source package when known. Packages of a category the
// policy does not monitor get no entry.
func (ix *Index) Match(release string, pkgs []catalog.PackageFacts, pol *policy.Policy) []Entry {
	type key struct{ pkg, vuln string }
	found := map[key]*Entry{}
	var order []key
	for i := range pkgs {
		a := &pkgs[i].Artifact
		mon := monitoring(pol, a.Category)
		if mon == policy.MonitorNone {
			continue
		}
		src := SourceName(a.SourceRPM)
		if a.Source {
			src = a.Name
		}
		evr := rpm.EVR{Version: a.Version, Release: a.Release}
		if a.Epoch > 0 {
			evr.Epoch = itoa(a.Epoch)
		}
		names := []string{a.Name}
		if src != "" && src != a.Name {
			names = append(names, src)
		}
		for _, name := range names {
			for j := range ix.byName[name] {
				in := &ix.byName[name][j]
				if !in.affects(evr) {
					continue
				}
				entryPkg := src
				if entryPkg == "" {
					entryPkg = name
				}
				k := key{entryPkg, in.rec.Key()}
				e := found[k]
				if e == nil {
					e = &Entry{Release: release, Package: entryPkg, Key: k.vuln, Summary: in.rec.Summary,
						Severity: in.rec.Severity, Monitoring: mon, State: StateNew}
					found[k] = e
					order = append(order, k)
				}
				if mon == policy.MonitorFull {
					e.Monitoring = mon
				}
				e.Sources = appendNew(e.Sources, in.rec.Source+":"+in.rec.ID)
				e.EVRs = appendNew(e.EVRs, a.EVR())
				if !a.Source {
					e.Arches = appendNew(e.Arches, a.Arch)
				}
				if in.fixedText != "" && (e.Fixed == "" || rpm.CompareEVR(rpm.ParseEVR(in.fixedText), rpm.ParseEVR(e.Fixed)) > 0) {
					e.Fixed = in.fixedText
				}
				if severityRank(in.rec.Severity) > severityRank(e.Severity) {
					e.Severity = in.rec.Severity
				}
			}
		}
	}
	out := make([]Entry, 0, len(order))
	for _, k := range order {
		e := found[k]
		sort.Strings(e.Sources)
		sort.Strings(e.EVRs)
		sort.Strings(e.Arches)
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := strings.Compare(a.Package, b.Package); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// monitoring is the policy's level for a category; a category the policy
// does not know is watched fully (better one report too many).
func monitoring(pol *policy.Policy, category string) string {
	if pol == nil {
		return policy.MonitorFull
	}
	c, ok := pol.Category(category)
	if !ok || c.Monitoring == "" {
		return policy.MonitorFull
	}
	return c.Monitoring
}

func severityRank(s string) int { return slices.Index(Severities, s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
