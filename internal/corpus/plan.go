package corpus

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kind says how a planned package relates to the model package it came
// from; it steers its name, dependencies and file list.
type kind int

const (
	kindBase   kind = iota // a model package as it is
	kindUpdate             // the same name, a newer version
	kindCompat             // name-compatN: an older version kept alongside
	kindDevel              // name-devel
	kindLibs               // name-libs
	kindCommon             // name-common (noarch data)
	kindDoc                // name-doc (noarch)
	kindTools              // name-tools
	kindPython             // python3-name
	kindPerl               // perl-Name
	kindSub                // name-WORD: server, client, plugins ...
)

// subWords name the name-WORD subpackages of kindSub.
var subWords = []string{
	"server", "client", "plugins", "gui", "utils", "ldap", "mysql", "pgsql", "sqlite",
	"selinux", "fonts", "bash-completion", "examples", "tests", "contrib", "extras",
	"langpack-de", "langpack-fr", "langpack-ja", "static", "data", "devel-docs", "lua",
	"ruby", "tcl", "java", "javadoc", "qt", "gtk3", "cli", "daemon", "firewalld",
	"systemd", "zsh-completion", "emacs", "vim", "minimal", "headless", "filesystem",
	"plugin-ssl", "plugin-auth", "plugin-cache", "plugin-ldap", "backend-sql",
}

// dep is one parsed dependency: name, operator and [epoch:]version-release.
type dep struct{ name, op, evr string }

func parseDep(s string) dep {
	f := strings.Fields(s)
	if len(f) == 3 && !strings.HasPrefix(s, "(") {
		return dep{f[0], f[1], f[2]}
	}
	return dep{name: strings.TrimSpace(s)}
}

func (d dep) String() string {
	if d.op == "" {
		return d.name
	}
	return d.name + " " + d.op + " " + d.evr
}

// planned is one package of the corpus before its files and texts exist.
type planned struct {
	name, version, release, arch string
	epoch                        uint32
	kind                         kind
	base                         int    // index of the model package it derives from
	stem                         string // what its paths are named after
	srcName                      string // SRPM name, without -version-release.src.rpm
	gen                          int    // how many updates of its SRPM came before it
	pyVer                        string // Python ABI of a kindPython package
	buildTime                    time.Time

	provides, cands []dep // cands: candidate requires, filtered by close
	requires        []dep
	conflicts       []dep
	obsoletes       []dep
	recommends      []dep
	suggests        []dep
	supplements     []dep
	enhances        []dep
	ownFiles        []string // files other packages require by path
}

func (p *planned) evr() string {
	s := p.version + "-" + p.release
	if p.epoch != 0 {
		s = fmt.Sprintf("%d:%s", p.epoch, s)
	}
	return s
}

func (p *planned) fileName() string {
	return p.name + "-" + p.version + "-" + p.release + "." + p.arch + ".rpm"
}

func (p *planned) sourceRPM() string {
	return p.srcName + "-" + p.version + "-" + p.release + ".src.rpm"
}

// seedFor mixes the corpus seed with strings into an independent stream.
func seedFor(seed int64, parts ...string) (uint64, uint64) {
	h := fnv.New64a()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return uint64(seed), h.Sum64()
}

// plan chooses count packages from the model and their dependencies.
// It is sequential and deterministic for a seed.
func plan(m *Model, count int, seed int64) ([]planned, error) {
	if len(m.Packages) == 0 {
		return nil, fmt.Errorf("corpus: the model has no packages")
	}
	rng := rand.New(rand.NewPCG(seedFor(seed, "plan")))
	base := slices.Clone(m.Packages)
	slices.SortStableFunc(base, func(a, b ModelPackage) int {
		return strings.Compare(a.Name+"."+a.Arch, b.Name+"."+b.Arch)
	})

	pl := &planner{base: base, src: sourceNames(base)}
	for _, b := range base {
		for _, pr := range b.Provides {
			if d := parseDep(pr); d.name == "python(abi)" && d.op == "=" && rpmvercmp(d.evr, pl.pyVer) > 0 {
				pl.pyVer = d.evr
			}
		}
	}
	if pl.pyVer == "" {
		pl.pyVer = "3.6"
	}
	var out []planned
	if count <= len(base) {
		out = pl.pickSubset(count, rng)
	} else {
		out = make([]planned, 0, count)
		for i := range base {
			out = append(out, pl.fromModel(i))
		}
		out = pl.addVariants(out, count, rng)
	}
	if len(out) < count {
		return nil, fmt.Errorf("corpus: the model yields only %d of %d packages", len(out), count)
	}
	for i := range out {
		b := base[out[i].base]
		out[i].buildTime = buildTimeFor(seed, out[i].srcName, b.Version, b.Release, out[i].gen)
	}
	closeDeps(out, base, rng)
	return out, nil
}

// planner holds what planning needs about the model.
type planner struct {
	base  []ModelPackage // sorted by name and arch
	src   []string       // SRPM name of each base package
	pyVer string         // the model's Python ABI, "2.7" or "3.6"
}

// fromModel plans model package i unchanged.
func (pl *planner) fromModel(i int) planned {
	base, src := pl.base, pl.src
	b := base[i]
	p := planned{
		name: b.Name, version: b.Version, release: b.Release, arch: b.Arch, epoch: b.Epoch,
		kind: kindBase, base: i, stem: b.Name, srcName: src[i],
	}
	for _, s := range b.Provides {
		p.provides = append(p.provides, parseDep(s))
	}
	for _, s := range b.Requires {
		p.cands = append(p.cands, parseDep(s))
	}
	return p
}

// sourceNames guesses the SRPM each model package was built from. Packages
// with the same version and release are one SRPM when one's name extends
// the other's (glibc, glibc-common) or when one requires the other at
// exactly that version (curl requires libcurl = 7.29.0-51.el7). The SRPM
// is named after the member most others extend, else the shortest.
func sourceNames(base []ModelPackage) []string {
	parent := make([]int, len(base))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	union := func(a, b int) { parent[find(a)] = find(b) }
	byName := map[string]int{}
	for i, b := range base {
		byName[b.Name] = i
	}
	sameBuild := func(i, j int) bool {
		return base[i].Version == base[j].Version && base[i].Release == base[j].Release
	}
	for i, b := range base {
		for name := b.Name; ; {
			cut := strings.LastIndexByte(name, '-')
			if cut <= 0 {
				break
			}
			name = name[:cut]
			if j, ok := byName[name]; ok && sameBuild(i, j) {
				union(i, j)
			}
		}
		for _, r := range b.Requires {
			d := parseDep(r)
			if d.op != "=" {
				continue
			}
			name := d.name
			if k := strings.IndexByte(name, '('); k > 0 {
				name = name[:k]
			}
			if j, ok := byName[name]; ok && sameBuild(i, j) {
				union(i, j)
			}
		}
	}
	groups := map[int][]int{}
	for i := range base {
		groups[find(i)] = append(groups[find(i)], i)
	}
	out := make([]string, len(base))
	for _, g := range groups {
		best, bestScore := "", -1
		for _, i := range g {
			n := base[i].Name
			score := 0
			for _, j := range g {
				if strings.HasPrefix(base[j].Name, n+"-") {
					score++
				}
			}
			if score > bestScore || score == bestScore && (len(n) < len(best) || len(n) == len(best) && n < best) {
				best, bestScore = n, score
			}
		}
		for _, i := range g {
			out[i] = best
		}
	}
	return out
}

// pickSubset takes count model packages, each drawn with the providers of
// its requirements so that the subset stays as closed as it can.
func (pl *planner) pickSubset(count int, rng *rand.Rand) []planned {
	base := pl.base
	providers := map[string][]int{}
	for i, b := range base {
		providers[b.Name] = append(providers[b.Name], i)
		for _, s := range b.Provides {
			n := parseDep(s).name
			providers[n] = append(providers[n], i)
		}
	}
	for path, owners := range wellKnownFiles {
		for i, b := range base {
			if slices.Contains(owners, b.Name) {
				providers[path] = append(providers[path], i)
			}
		}
	}
	chosen := make([]bool, len(base))
	var order []int
	for _, start := range rng.Perm(len(base)) {
		queue := []int{start}
		for len(queue) > 0 && len(order) < count {
			i := queue[0]
			queue = queue[1:]
			if chosen[i] {
				continue
			}
			chosen[i] = true
			order = append(order, i)
			for _, s := range base[i].Requires {
				if ps := providers[parseDep(s).name]; len(ps) > 0 {
					queue = append(queue, ps[0])
				}
			}
		}
		if len(order) >= count {
			break
		}
	}
	slices.Sort(order)
	out := make([]planned, 0, count)
	for _, i := range order {
		out = append(out, pl.fromModel(i))
	}
	return out
}

// member is one binary package of an SRPM family: a model package (kind
// kindBase) or one derived from the family's main package.
type member struct {
	bi   int    // model package it is, or derives from
	k    kind   // kindBase for a model package
	name string // derived packages: the name derive gave it
}

// family is the set of binary packages built from one SRPM. An update
// rebuilds every member at the new version, as a real SRPM update does,
// so the newest packages of a corpus stay closed among themselves.
type family struct {
	src              string
	main             int // model index of the package the others derive from
	members          []member
	version, release string // newest
	modelEVRs        map[string]string
	updates          int
}

// addVariants derives packages from the model ones until there are count.
func (pl *planner) addVariants(out []planned, count int, rng *rand.Rand) []planned {
	base, src := pl.base, pl.src
	taken := map[string]bool{} // name-version-release.arch
	names := map[string]bool{} // names in use
	for i := range out {
		taken[out[i].fileName()] = true
		names[out[i].name] = true
	}
	add := func(p planned) bool {
		if len(out) >= count || taken[p.fileName()] {
			return false
		}
		taken[p.fileName()] = true
		names[p.name] = true
		out = append(out, p)
		return true
	}

	var fams []*family
	bySrc := map[string]*family{}
	for i, b := range base {
		f := bySrc[src[i]]
		if f == nil {
			f = &family{src: src[i], main: i, version: b.Version, release: b.Release, modelEVRs: map[string]string{}}
			bySrc[src[i]] = f
			fams = append(fams, f)
		}
		if b.Name == src[i] {
			f.main = i
		}
		f.members = append(f.members, member{bi: i, k: kindBase, name: b.Name})
		f.modelEVRs[b.Name] = b.Version + "-" + b.Release
	}

	weights := []struct {
		k kind
		w int
	}{
		{kindUpdate, 14}, {kindDevel, 12}, {kindSub, 22}, {kindPython, 8}, {kindPerl, 5},
		{kindDoc, 8}, {kindTools, 6}, {kindCompat, 7}, {kindLibs, 5}, {kindCommon, 5},
	}
	total := 0
	for _, w := range weights {
		total += w.w
	}
	for round := 1; len(out) < count; round++ {
		before := len(out)
		for _, fi := range rng.Perm(len(fams)) {
			if len(out) >= count {
				break
			}
			f := fams[fi]
			n := rng.IntN(total)
			k := weights[0].k
			for _, w := range weights {
				if n < w.w {
					k = w.k
					break
				}
				n -= w.w
			}
			switch {
			case k == kindUpdate && f.updates < 6 && len(out)+len(f.members) <= count:
				// Only whole updates: a half-updated SRPM would leave its
				// newest packages pinned to an older build.
				ver := bumpVersion(f.version, 1+rng.IntN(2))
				rel := fmt.Sprintf("%d%s", 1+rng.IntN(3), distTag(f.release))
				f.updates++
				for _, m := range f.members {
					p := pl.emit(f, m, ver, rel)
					p.gen = f.updates
					add(p)
				}
				f.version, f.release = ver, rel
			case k == kindCompat:
				if p := pl.derive(f.main, kindCompat, strconv.Itoa(round), "", ""); !names[p.name] {
					add(p)
				}
			default:
				if k == kindUpdate {
					k = kindSub
				}
				// Try the chosen kind, then name-WORD ones.
				for _, try := range []kind{k, kindSub, kindSub, kindSub} {
					tag := ""
					if try == kindSub {
						tag = subWords[rng.IntN(len(subWords))]
					}
					p := pl.derive(f.main, try, tag, f.version, f.release)
					p.gen = f.updates
					if p.name == "" || names[p.name] {
						continue
					}
					if add(p) {
						f.members = append(f.members, member{bi: f.main, k: try, name: p.name})
					}
					break
				}
			}
		}
		if len(out) == before {
			break // nothing left to derive from; plan reports the shortfall
		}
	}
	return out
}

// emit plans member m of family f at version ver-rel.
func (pl *planner) emit(f *family, m member, ver, rel string) planned {
	base := pl.base
	if m.k != kindBase {
		tag := strings.TrimPrefix(m.name, base[m.bi].Name+"-")
		return pl.derive(m.bi, m.k, tag, ver, rel)
	}
	p := pl.fromModel(m.bi)
	p.kind = kindUpdate
	p.version, p.release = ver, rel
	// Re-version what pointed at the family's old build: the package's
	// own provides and its exact requirements on its siblings.
	reversion := func(list []dep, exactOnly bool) {
		for i, d := range list {
			if d.op == "" || exactOnly && d.op != "=" {
				continue
			}
			e := parseEVR(d.evr)
			for _, old := range f.modelEVRs {
				oldVer, _, _ := strings.Cut(old, "-")
				switch {
				case e.version+"-"+e.release == old:
					e.version, e.release = ver, rel
				case e.release == "" && e.version == oldVer:
					e.version = ver // "gcc = 4.8.5": version only
				default:
					continue
				}
				list[i].evr = formatEVR(e)
				break
			}
		}
	}
	reversion(p.provides, false)
	reversion(p.cands, true)
	return p
}

func formatEVR(e evr) string {
	s := e.version
	if e.release != "" {
		s += "-" + e.release
	}
	if e.epoch != 0 {
		s = strconv.Itoa(e.epoch) + ":" + s
	}
	return s
}

// stableInt is a number in [0, n) fixed by s, for choices that must come
// out the same whenever a package is planned again (as in an update).
func stableInt(s string, n int) int {
	_, h := seedFor(0, s)
	return int(h % uint64(n))
}

// derive plans a package of kind k from model package bi, at version
// ver-rel ("" keeps the model's). tag is the WORD of a name-WORD package
// or the number of a name-compatN one.
func (pl *planner) derive(bi int, k kind, tag, ver, rel string) planned {
	b := pl.base[bi]
	if k != kindCompat {
		for _, leaf := range []string{"-devel", "-doc", "-docs", "-javadoc", "-static", "-headers"} {
			if strings.HasSuffix(b.Name, leaf) {
				return planned{} // no foo-devel-devel
			}
		}
	}
	p := pl.fromModel(bi)
	p.kind = k
	if ver != "" {
		p.version, p.release = ver, rel
	}
	parentEVR := p.evr()
	stem := strings.TrimPrefix(strings.TrimPrefix(b.Name, "python-"), "perl-")
	p.provides = nil
	switch k {
	case kindCompat:
		round, _ := strconv.Atoi(tag)
		p.name = b.Name + "-compat" + tag
		p.version = olderVersion(b.Version, round)
		p.release = fmt.Sprintf("%d%s", 1+stableInt(p.name, 4), distTag(b.Release))
		p.epoch = 0
		p.srcName = p.name
		p.cands = onlyLibraryDeps(p.cands)
		if so, ok := firstSoname(b.Provides); ok {
			p.provides = append(p.provides, dep{name: compatSoname(so, round) + sonameSuffix(b.Arch)})
		}
	case kindDevel:
		p.name = b.Name + "-devel"
		p.provides = append(p.provides, dep{"pkgconfig(" + stem + ")", "=", p.version})
		p.cands = []dep{{b.Name + isaSuffix(b.Arch), "=", parentEVR}, {name: "/usr/bin/pkg-config"}}
		for _, s := range b.Provides {
			if _, ok := soname(s); ok {
				p.cands = append(p.cands, parseDep(s))
			}
		}
	case kindLibs:
		p.name = b.Name + "-libs"
		p.cands = onlyLibraryDeps(p.cands)
		if b.Arch != "noarch" {
			p.provides = append(p.provides, dep{name: fmt.Sprintf("lib%s-extra.so.%d%s", stem, stableInt(p.name, 3), sonameSuffix(b.Arch))})
		}
	case kindCommon:
		p.name = b.Name + "-common"
		p.arch = "noarch"
		p.cands = nil
	case kindDoc:
		p.name = b.Name + "-doc"
		p.arch = "noarch"
		p.cands = nil
	case kindTools:
		p.name = b.Name + "-tools"
		p.cands = append(onlyLibraryDeps(p.cands), dep{b.Name + isaSuffix(b.Arch), "=", parentEVR})
	case kindPython:
		if strings.HasPrefix(b.Name, "perl") || strings.HasPrefix(b.Name, "python") && stem == b.Name {
			return planned{} // no python3-perl-Foo nor python3-python
		}
		major := pl.pyVer[:1]
		p.name = "python" + major + "-" + stem
		p.pyVer = pl.pyVer
		if stableInt(p.name, 2) == 0 {
			p.arch = "noarch"
		}
		p.provides = append(p.provides, dep{"python" + major + "dist(" + stem + ")", "=", p.version}, dep{"python" + pl.pyVer + "dist(" + stem + ")", "=", p.version})
		p.cands = []dep{{"python(abi)", "=", pl.pyVer}, {b.Name, ">=", p.version}}
	case kindPerl:
		if strings.HasPrefix(b.Name, "python") || strings.HasPrefix(b.Name, "perl") && stem == b.Name {
			return planned{}
		}
		mod := perlModule(stem)
		p.name = "perl-" + strings.ReplaceAll(mod, "::", "-")
		p.arch = "noarch"
		p.provides = append(p.provides, dep{"perl(" + mod + ")", "=", perlVersion(p.version)}, dep{name: "perl(" + mod + "::Util)"})
		p.cands = []dep{{name: "perl(:MODULE_COMPAT_5.16.3)"}, {name: "perl(strict)"}, {name: "perl(warnings)"}, {name: "perl(Carp)"}, {name: "perl(Exporter)"}}
	case kindSub:
		p.name = b.Name + "-" + tag
		p.cands = append(onlyLibraryDeps(p.cands), dep{b.Name + isaSuffix(b.Arch), "=", parentEVR})
	}
	if b.Arch == "noarch" {
		p.arch = "noarch"
	}
	p.stem = p.name
	p.provides = append([]dep{{p.name, "=", p.evr()}}, p.provides...)
	if isa := isaSuffix(p.arch); isa != "" {
		p.provides = slices.Insert(p.provides, 1, dep{p.name + isa, "=", p.evr()})
	}
	if p.arch == "noarch" {
		// A noarch package has no ISA-specific requirements of its own.
		p.cands = slices.DeleteFunc(p.cands, func(d dep) bool { return strings.HasSuffix(d.name, "(64bit)") || d.name == "rtld(GNU_HASH)" })
	}
	return p
}

func sonameSuffix(arch string) string {
	switch arch {
	case "x86_64", "aarch64", "ppc64le", "ppc64", "s390x":
		return "()(64bit)"
	}
	return "()"
}

func firstSoname(provides []string) (string, bool) {
	for _, s := range provides {
		if so, ok := soname(s); ok {
			return so, true
		}
	}
	return "", false
}

// compatSoname turns libfoo.so.3 into libfoo.so.3.compat2-like names
// that no other package provides.
func compatSoname(so string, round int) string {
	return strings.Replace(so, ".so", fmt.Sprintf("-compat%d.so", round), 1)
}

// onlyLibraryDeps keeps the requirements a subpackage plausibly shares
// with its parent: shared libraries, the dynamic linker and /sbin/ldconfig.
func onlyLibraryDeps(in []dep) []dep {
	var out []dep
	for _, d := range in {
		if strings.Contains(d.name, ".so") || d.name == "rtld(GNU_HASH)" {
			out = append(out, d)
		}
	}
	return out
}

// bumpVersion adds n to the last number of a version: 2.2.51 → 2.2.53.
func bumpVersion(v string, n int) string {
	end := len(v)
	for end > 0 && (v[end-1] < '0' || v[end-1] > '9') {
		end--
	}
	start := end
	for start > 0 && v[start-1] >= '0' && v[start-1] <= '9' {
		start--
	}
	if start == end {
		return v + "." + strconv.Itoa(n)
	}
	x, err := strconv.Atoi(v[start:end])
	if err != nil || len(v[start:end]) > 9 {
		return v + "." + strconv.Itoa(n)
	}
	return v[:start] + strconv.Itoa(x+n) + v[end:]
}

// olderVersion lowers the first number of a version: 2.2.51 → 1.2.51;
// 0.9.2 becomes 0.9.1, and 0.0 becomes 0.0.round.
func olderVersion(v string, round int) string {
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	x, err := strconv.Atoi(v[:end])
	if err != nil || end == 0 || len(v[:end]) > 9 {
		return "0." + strconv.Itoa(round)
	}
	if x > 0 {
		return strconv.Itoa(x-1) + v[end:]
	}
	if lower := lowerVersion(v); lower != v {
		return lower
	}
	return "0.0." + strconv.Itoa(round)
}

// distTag returns the ".el7_6"-like tail of a release, or "".
func distTag(release string) string {
	for _, mark := range []string{".el", ".fc", ".centos", ".sme"} {
		if i := strings.Index(release, mark); i >= 0 {
			return release[i:]
		}
	}
	return ""
}

func perlModule(stem string) string {
	var parts []string
	for _, w := range strings.FieldsFunc(stem, func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == '+' }) {
		parts = append(parts, strings.ToUpper(w[:1])+w[1:])
	}
	if len(parts) == 0 {
		return "X"
	}
	return strings.Join(parts, "::")
}

// perlVersion keeps the first two numbers of a version, as perl modules do.
func perlVersion(v string) string {
	f := strings.FieldsFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	switch len(f) {
	case 0:
		return "0.01"
	case 1:
		return f[0]
	}
	return f[0] + "." + f[1]
}

// buildTimeFor is a deterministic build time: the model build of an SRPM
// falls between mid-2014 and mid-2019, and each update comes one to four
// months after the one before, so packages of one build share it.
func buildTimeFor(seed int64, srcName, version, release string, gen int) time.Time {
	r := rand.New(rand.NewPCG(seedFor(seed, "time", srcName, version, release)))
	t := time.Date(2014, 6, 10, 0, 0, 0, 0, time.UTC)
	t = t.Add(time.Duration(r.Int64N(int64(5 * 365 * 24 * time.Hour)))).Truncate(time.Second)
	for range gen {
		t = t.Add(time.Duration(30+r.IntN(90)) * 24 * time.Hour)
	}
	return t
}

// wellKnownFiles maps paths that packages require to the packages that
// ship them, in order of preference.
var wellKnownFiles = map[string][]string{
	"/bin/sh":                             {"bash"},
	"/bin/bash":                           {"bash"},
	"/usr/bin/bash":                       {"bash"},
	"/usr/bin/sh":                         {"bash"},
	"/sbin/ldconfig":                      {"glibc"},
	"/usr/sbin/ldconfig":                  {"glibc"},
	"/usr/sbin/glibc_post_upgrade.x86_64": {"glibc"},
	"/sbin/install-info":                  {"info"},
	"/usr/bin/perl":                       {"perl"},
	"/usr/bin/pkg-config":                 {"pkgconfig", "pkgconf-pkg-config", "pkgconf"},
	"/usr/bin/python":                     {"python", "python2", "python3"},
	"/usr/bin/python2":                    {"python", "python2"},
	"/usr/bin/python2.7":                  {"python", "python2"},
	"/usr/bin/python3":                    {"python3"},
	"/usr/sbin/alternatives":              {"chkconfig", "alternatives"},
	"/usr/sbin/update-alternatives":       {"chkconfig", "alternatives"},
	"/sbin/chkconfig":                     {"chkconfig"},
	"/usr/bin/env":                        {"coreutils"},
	"/usr/bin/xmlcatalog":                 {"libxml2"},
	"/etc/pam.d/system-auth":              {"pam"},
	"/usr/sbin/useradd":                   {"shadow-utils"},
	"/usr/sbin/groupadd":                  {"shadow-utils"},
	"/usr/bin/xz":                         {"xz"},
	"/etc/mime.types":                     {"mailcap"},
	"/usr/bin/fipscheck":                  {"fipscheck"},
	"/usr/bin/systemctl":                  {"systemd"},
}

// externalDeps are requirements left dangling on purpose.
var externalDeps = []string{
	"epel-release", "perl(JSON::XS)", "python36-requests >= 2.6", "libsodium.so.23()(64bit)",
	"nodejs >= 1:6.0", "php-common >= 5.4", "rubygem(rack)", "golang >= 1.11",
}

// closeDeps turns candidate requirements into requirements the corpus
// can satisfy (keeping about one in a hundred dangling ones, as real
// repositories do), then adds versioned, file and weak dependencies.
func closeDeps(pkgs []planned, base []ModelPackage, rng *rand.Rand) {
	byName := map[string][]int{}
	for i := range pkgs {
		byName[pkgs[i].name] = append(byName[pkgs[i].name], i)
	}

	// Who ships which required path.
	owned := map[string]bool{}
	wantPath := func(file string) bool {
		if done, ok := owned[file]; ok {
			return done
		}
		owners := wellKnownFiles[file]
		if owners == nil {
			owners = []string{strings.TrimRight(path.Base(file), "0123456789.")}
		}
		for _, o := range owners {
			if idx := byName[o]; len(idx) > 0 {
				for _, i := range idx {
					pkgs[i].ownFiles = append(pkgs[i].ownFiles, file)
				}
				owned[file] = true
				return true
			}
		}
		owned[file] = false
		return false
	}

	type provider struct {
		pkg     int
		op, evr string
	}
	provs := map[string][]provider{}
	for i := range pkgs {
		for _, d := range pkgs[i].provides {
			provs[d.name] = append(provs[d.name], provider{i, d.op, d.evr})
		}
	}
	satisfiable := func(d dep) bool {
		if strings.HasPrefix(d.name, "/") {
			if len(provs[d.name]) > 0 {
				return true
			}
			return wantPath(d.name)
		}
		for _, p := range provs[d.name] {
			if satisfies(p.op, p.evr, d.op, d.evr) {
				return true
			}
		}
		return false
	}
	pick := func(names []string) string { return names[rng.IntN(len(names))] }
	allNames := make([]string, 0, len(byName))
	for i := range pkgs {
		if byName[pkgs[i].name][0] == i {
			allNames = append(allNames, pkgs[i].name)
		}
	}

	for i := range pkgs {
		p := &pkgs[i]
		seen := map[string]bool{}
		add := func(list *[]dep, d dep) {
			key := d.String()
			if d.name == "" || seen[key] {
				return
			}
			seen[key] = true
			*list = append(*list, d)
		}
		for _, d := range p.cands {
			switch {
			case strings.HasPrefix(d.name, "rpmlib("):
				continue // WriteRPM adds the ones that fit the file
			case satisfiable(d):
				add(&p.requires, d)
			case d.op != "" && satisfiable(dep{name: d.name}):
				// The corpus has the capability in another version.
				for _, pr := range provs[d.name] {
					if pr.op == "=" {
						d.op, d.evr = ">=", parseEVR(pr.evr).version
						break
					}
				}
				add(&p.requires, d)
			case rng.IntN(100) == 0:
				add(&p.requires, d) // dangling, as in real repositories
			}
		}
		// Turn a plain package requirement into a versioned one.
		if rng.IntN(4) == 0 {
			for j, d := range p.requires {
				if d.op != "" || strings.HasPrefix(d.name, "/") || strings.Contains(d.name, "(") {
					continue
				}
				if idx := byName[d.name]; len(idx) > 0 {
					v := pkgs[idx[0]].version
					if k := strings.LastIndexByte(v, '.'); k > 0 && rng.IntN(2) == 0 {
						v = v[:k]
					}
					p.requires[j] = dep{d.name, ">=", v}
					break
				}
			}
		}
		// File requirements, as scriptlets and scripts bring them.
		for _, f := range []struct {
			path string
			pct  int
		}{{"/bin/sh", 12}, {"/usr/bin/perl", 4}, {"/usr/bin/python", 2}} {
			if rng.IntN(100) < f.pct && p.kind != kindDoc && satisfiable(dep{name: f.path}) {
				add(&p.requires, dep{name: f.path})
			}
		}

		// A few requirements that only another repository satisfies.
		if rng.IntN(200) == 0 {
			add(&p.requires, parseDep(oneOf(rng, externalDeps)))
		}

		// Weak dependencies.
		if rng.IntN(100) < 10 {
			target := ""
			for _, suffix := range []string{"-doc", "-tools", "-plugins", "-common"} {
				if len(byName[p.name+suffix]) > 0 {
					target = p.name + suffix
					break
				}
			}
			if target == "" {
				target = pick(allNames)
			}
			if target != p.name {
				add(&p.recommends, dep{name: target})
			}
		}
		if rng.IntN(100) < 6 {
			if t := pick(allNames); t != p.name {
				add(&p.suggests, dep{name: t})
			}
		}
		if (p.kind == kindSub || p.kind == kindPython || p.kind == kindPerl) && rng.IntN(100) < 8 {
			b := base[p.base].Name
			if rng.IntN(2) == 0 {
				add(&p.supplements, dep{name: b})
			} else {
				add(&p.supplements, dep{name: "(" + b + " and " + pick(allNames) + ")"})
			}
		}
		if rng.IntN(100) < 2 {
			if t := pick(allNames); t != p.name {
				add(&p.enhances, dep{name: t})
			}
		}

		// Conflicts and obsoletes.
		if rng.IntN(100) < 3 {
			t := pick(allNames)
			if t != p.name {
				v := pkgs[byName[t][0]].version
				add(&p.conflicts, dep{t, "<", v})
			}
		}
		if rng.IntN(100) < 5 || p.kind == kindCompat && rng.IntN(3) == 0 {
			for _, w := range []string{"-legacy", "-libs-compat", "-gui", "-plugins-old"} {
				if old := p.name + w; len(byName[old]) == 0 {
					add(&p.obsoletes, dep{old, "<", p.evr()})
					break
				}
			}
		}
	}
}
