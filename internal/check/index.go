package check

import (
	"fmt"
	"hash/maphash"
	"runtime"
	"strings"
	"sync"

	"github.com/smeserver/smeforge/internal/rpm"
)

// Index answers "who provides this" and "who owns this path" over a fixed
// set of packages. It is built once by NewIndex and is safe for concurrent
// use; the packages must not change while it is in use.
//
// Only binary packages provide capabilities and own paths, as in libsolv
// (a source package is not installable). Every binary package provides
// its own "name = [epoch:]version-release", as rpmbuild writes and libsolv
// assumes. Architectures are not compared: a requirement may be satisfied
// by a package of any architecture in the set.
//
// Names and provides are indexed at once; paths, many more (a million for
// 20,000 packages), when first asked about.
type Index struct {
	pkgs []Package

	// names groups package numbers (binary and source) by name.
	names    map[string]int32
	nameOff  []int32
	namePkgs []int32

	// provides groups the provides of binary packages by name.
	provNames map[string]int32
	provOff   []int32
	provs     []provide

	// paths lists the paths owned by binary packages by hash; it is
	// built on first use (see indexPaths).
	pathsOnce sync.Once
	seed      maphash.Seed
	paths     []pathEntry
	buckets   []int32
}

type provide struct {
	pkg     int32
	flags   uint32
	version string
}

// maxPackages bounds the package numbers the owner entries (pkg<<1 |
// isDir) can hold.
const maxPackages = 1 << 30

// NewIndex indexes pkgs, which the Index keeps (it does not copy them).
// It panics beyond 2^30 packages.
func NewIndex(pkgs []Package) *Index {
	if len(pkgs) >= maxPackages {
		panic(fmt.Sprintf("check: %d packages are more than an Index holds", len(pkgs)))
	}
	ix := &Index{pkgs: pkgs}
	var wg sync.WaitGroup
	wg.Go(ix.indexNames)
	ix.indexProvides()
	wg.Wait()
	return ix
}

func (ix *Index) indexNames() {
	ix.names = make(map[string]int32, len(ix.pkgs))
	group := make([]int32, len(ix.pkgs))
	var count []int32
	for i := range ix.pkgs {
		g, ok := ix.names[ix.pkgs[i].Name]
		if !ok {
			g = int32(len(count))
			ix.names[ix.pkgs[i].Name] = g
			count = append(count, 0)
		}
		group[i] = g
		count[g]++
	}
	ix.nameOff = offsets(count)
	ix.namePkgs = make([]int32, len(ix.pkgs))
	for i, g := range group {
		ix.namePkgs[count[g]] = int32(i)
		count[g]++
	}
}

// offsets turns per-group counts into the start of each group in a flat
// array (with the total at the end), and leaves count holding each group's
// start as a cursor for filling it.
func offsets(count []int32) []int32 {
	off := make([]int32, len(count)+1)
	for g, c := range count {
		off[g+1] = off[g] + c
		count[g] = off[g]
	}
	return off
}

func (ix *Index) indexProvides() {
	n := 0
	for i := range ix.pkgs {
		if !ix.pkgs[i].Source {
			n += len(ix.pkgs[i].Provides) + 1
		}
	}
	ix.provNames = make(map[string]int32, n/2)
	group := make([]int32, 0, n)
	provs := make([]provide, 0, n)
	var count []int32
	add := func(name string, pv provide) {
		g, ok := ix.provNames[name]
		if !ok {
			g = int32(len(count))
			ix.provNames[name] = g
			count = append(count, 0)
		}
		group = append(group, g)
		provs = append(provs, pv)
		count[g]++
	}
	for i := range ix.pkgs {
		p := &ix.pkgs[i]
		if p.Source {
			continue
		}
		self := false
		for _, d := range p.Provides {
			if badEpoch(d.Version) {
				continue // createrepo_c leaves it out of the metadata
			}
			add(d.Name, provide{pkg: int32(i), flags: d.Flags & rpm.SenseCompareMask, version: d.Version})
			if !self && d.Name == p.Name && d.Flags&rpm.SenseCompareMask == rpm.SenseEqual && isEVROf(d.Version, p) {
				self = true
			}
		}
		if !self {
			add(p.Name, provide{pkg: int32(i), flags: rpm.SenseEqual, version: p.EVR()})
		}
	}
	ix.provOff = offsets(count)
	ix.provs = make([]provide, len(provs))
	for k, g := range group {
		ix.provs[count[g]] = provs[k]
		count[g]++
	}
}

// isEVROf reports whether v is exactly p's "[epoch:]version-release".
func isEVROf(v string, p *Package) bool {
	if p.Epoch != "" {
		if len(v) <= len(p.Epoch) || v[len(p.Epoch)] != ':' || !strings.HasPrefix(v, p.Epoch) {
			return false
		}
		v = v[len(p.Epoch)+1:]
	}
	return len(v) == len(p.Version)+1+len(p.Release) &&
		strings.HasPrefix(v, p.Version) && v[len(p.Version)] == '-' && strings.HasSuffix(v, p.Release)
}

// badEpoch reports whether createrepo_c would refuse the EVR of a
// dependency: text before the first ':' that strtol does not read whole as
// a number. It leaves such dependencies out of the metadata with a warning.
func badEpoch(v string) bool {
	i := strings.IndexByte(v, ':')
	if i <= 0 {
		return false
	}
	e := strings.TrimLeft(v[:i], " \t\n\v\f\r")
	if e != "" && (e[0] == '+' || e[0] == '-') {
		e = e[1:]
	}
	if e == "" {
		return true
	}
	for j := 0; j < len(e); j++ {
		if e[j] < '0' || e[j] > '9' {
			return true
		}
	}
	return false
}

// pathIndex returns the path index, building it on first use.
func (ix *Index) pathIndex() []pathEntry {
	ix.pathsOnce.Do(ix.indexPaths)
	return ix.paths
}

// A pathEntry is one path of one package's file list, under 32 bits of the
// path's hash: Files[file] of package pkg, or Dirs[^file] when file is
// negative.
type pathEntry struct {
	hash uint32
	pkg  int32
	file int32
}

// indexPaths lists every path of every binary package under its hash,
// sorted by hash (stably, so a path's owners stay in package order), with
// where each value of the hash's top 16 bits starts. It hashes each path
// once and allocates a few arrays, where a map would allocate and hash
// each path several times: 50 ms for a million paths.
func (ix *Index) indexPaths() {
	ix.seed = maphash.MakeSeed()
	start := make([]int, len(ix.pkgs)+1)
	for i := range ix.pkgs {
		n := 0
		if p := &ix.pkgs[i]; !p.Source {
			n = len(p.Files) + len(p.Dirs)
		}
		start[i+1] = start[i] + n
	}
	entries := make([]pathEntry, start[len(ix.pkgs)])
	// Hashing is most of the work: split it between the CPUs.
	workers := min(runtime.GOMAXPROCS(0), 8, len(ix.pkgs)/1024+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(ix.pkgs); i += workers {
				p := &ix.pkgs[i]
				if p.Source {
					continue
				}
				e := entries[start[i]:start[i+1]]
				for k, f := range p.Files {
					e[k] = pathEntry{hash: ix.hash(f), pkg: int32(i), file: int32(k)}
				}
				for k, d := range p.Dirs {
					e[len(p.Files)+k] = pathEntry{hash: ix.hash(d), pkg: int32(i), file: ^int32(k)}
				}
			}
		})
	}
	wg.Wait()
	ix.paths, ix.buckets = radixSort(entries)
}

func (ix *Index) hash(path string) uint32 { return uint32(maphash.String(ix.seed, path)) }

// radixSort sorts entries by hash, stably, 16 bits at a time, and returns
// where each value of the top 16 bits starts (with the total at the end).
func radixSort(a []pathEntry) ([]pathEntry, []int32) {
	b := make([]pathEntry, len(a))
	buckets := make([]int32, 1<<16+1)
	for _, shift := range []uint{0, 16} {
		var count [1 << 16]int32
		for i := range a {
			count[a[i].hash>>shift&0xffff]++
		}
		var sum int32
		for k, c := range count {
			count[k] = sum
			buckets[k] = sum
			sum += c
		}
		buckets[1<<16] = sum
		for i := range a {
			k := a[i].hash >> shift & 0xffff
			b[count[k]] = a[i]
			count[k]++
		}
		a, b = b, a
	}
	return a, buckets
}

// path returns the path an entry stands for, and whether it is a
// directory.
func (ix *Index) path(e pathEntry) (string, bool) {
	p := &ix.pkgs[e.pkg]
	if e.file < 0 {
		return p.Dirs[^e.file], true
	}
	return p.Files[e.file], false
}

// owners appends the owner entries of path (pkg<<1 | isDir) to buf.
func (ix *Index) owners(path string, buf []int32) []int32 {
	paths := ix.pathIndex()
	h := ix.hash(path)
	for i := ix.buckets[h>>16]; i < ix.buckets[h>>16+1]; i++ {
		if paths[i].hash != h {
			continue
		}
		if p, dir := ix.path(paths[i]); p == path {
			e := paths[i].pkg << 1
			if dir {
				e |= 1
			}
			buf = append(buf, e)
		}
	}
	return buf
}

// named returns the numbers of the packages called name.
func (ix *Index) named(name string) []int32 {
	g, ok := ix.names[name]
	if !ok {
		return nil
	}
	return ix.namePkgs[ix.nameOff[g]:ix.nameOff[g+1]]
}

// provided returns the provides of binary packages called name.
func (ix *Index) provided(name string) []provide {
	g, ok := ix.provNames[name]
	if !ok {
		return nil
	}
	return ix.provs[ix.provOff[g]:ix.provOff[g+1]]
}

// Packages returns the indexed packages.
func (ix *Index) Packages() []Package { return ix.pkgs }

// Named returns the packages (binary and source) called name.
func (ix *Index) Named(name string) []*Package { return ix.refs(ix.named(name)) }

// Owners returns the binary packages that own path, as a file or a
// directory.
func (ix *Index) Owners(path string) []*Package {
	var out []*Package
	for _, e := range ix.owners(path, nil) {
		out = append(out, &ix.pkgs[e>>1])
	}
	return out
}

// Providers returns, in index order, the binary packages that satisfy
// requirement d as dnf (libsolv's whatprovides) looks it up:
//
//   - a simple requirement: the packages with a provide of that name whose
//     range overlaps (rpm.RangesOverlap; the package's own name-EVR
//     counts), and for a path also the owners of the path, as a file or a
//     directory;
//   - (A and B), (A or B): the providers of A and those of B — libsolv's
//     "best case", so (A and B) counts as provided when A alone is;
//   - (A if B), (A unless B): the providers of A; with "else C", those of
//     A and those of C;
//   - (A with B): the packages that satisfy both; (A without B): those
//     that satisfy A but not B.
func (ix *Index) Providers(d rpm.Dependency) []*Package {
	r := resolver{ix: ix}
	return ix.refs(r.providers(d))
}

func (ix *Index) refs(nums []int32) []*Package {
	if len(nums) == 0 {
		return nil
	}
	out := make([]*Package, len(nums))
	for i, n := range nums {
		out[i] = &ix.pkgs[n]
	}
	return out
}
