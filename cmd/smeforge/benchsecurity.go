package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/security"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
	"github.com/spf13/cobra"
)

func newDevBenchSecurityCmd() *cobra.Command {
	var (
		records, packages int
		model             string
		seed              uint64
		profile           string
	)
	c := &cobra.Command{
		Use:   "bench-security [--records N] [--packages N] [--model RPMDB_DIR]",
		Short: "Measure importing N generated OSV records and matching them against a package table",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m := corpus.SyntheticModel()
			if model != "" {
				var err error
				if m, err = corpus.LoadModel(model); err != nil {
					return err
				}
			}
			if profile != "" {
				f, err := os.Create(profile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			res, err := benchSecurity(cmd.Context(), m, records, packages, seed)
			if err != nil {
				return err
			}
			return writeJSONTo(cmd.OutOrStdout(), res)
		},
	}
	c.Flags().IntVar(&records, "records", 50000, "OSV records to import")
	c.Flags().IntVar(&packages, "packages", 20000, "packages in the release's table")
	c.Flags().StringVar(&model, "model", "", "rpmdb model folder for package names (default: the built-in synthetic model)")
	c.Flags().Uint64Var(&seed, "seed", 1, "random seed")
	c.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile here")
	return c
}

type benchSecurityResult struct {
	Records       int     `json:"records"`
	Ranges        int     `json:"ranges"`
	Packages      int     `json:"packages"`
	InputMB       float64 `json:"input_mb"`
	ParseSeconds  float64 `json:"parse_seconds"`
	StoreSeconds  float64 `json:"store_seconds"`
	MatchSeconds  float64 `json:"match_seconds"`
	TotalSeconds  float64 `json:"total_seconds"`
	CPUSeconds    float64 `json:"cpu_seconds"` // user+system of the process over the timed part
	Entries       int     `json:"entries_opened"`
	ReimportNoop  float64 `json:"reimport_seconds"`
	PeakHeapMB    float64 `json:"heap_mb"`
	Skipped       int     `json:"skipped"`
	WantAffected  int     `json:"generated_affected_pairs"`
	MatchedEqual  bool    `json:"entries_equal_generated"`
	PackageSource string  `json:"names_from"`
}

// benchNames spreads a model's names to n distinct package names the way
// a distribution does: subpackages and language bindings of each.
func benchNames(m *corpus.Model, n int) []string {
	prefixes := []string{"", "python3-", "perl-", "rubygem-", "golang-", "nodejs-", "php-", "lua-"}
	suffixes := []string{"", "-libs", "-devel", "-doc", "-common", "-tools", "-utils", "-server", "-client", "-data", "-static", "-debuginfo"}
	seen := map[string]bool{}
	var out []string
	for _, s := range suffixes {
		for _, p := range prefixes {
			for _, mp := range m.Packages {
				name := p + mp.Name + s
				if !seen[name] {
					seen[name] = true
					out = append(out, name)
					if len(out) == n {
						return out
					}
				}
			}
		}
	}
	for i := 0; len(out) < n; i++ {
		out = append(out, fmt.Sprintf("pkg%d", i))
	}
	return out
}

func benchSecurity(ctx context.Context, m *corpus.Model, nrec, npkg int, seed uint64) (*benchSecurityResult, error) {
	rng := rand.New(rand.NewPCG(seed, 7))
	res := &benchSecurityResult{Records: nrec, Packages: npkg, PackageSource: fmt.Sprintf("%d model packages", len(m.Packages))}
	names := benchNames(m, npkg*5/4)
	type pkg struct {
		name          string
		epoch         int64
		version, rel  string
		inTable       bool
		major, relnum int
	}
	pkgs := make([]pkg, len(names))
	var table []catalog.PackageFacts
	for i, n := range names {
		mp := m.Packages[i%len(m.Packages)]
		p := pkg{name: n, version: mp.Version, major: 1 + rng.IntN(30), relnum: 1 + rng.IntN(40), inTable: i < npkg}
		if mp.Version == "" {
			p.version = "1.0"
		}
		if rng.IntN(10) == 0 {
			p.epoch = int64(1 + rng.IntN(3))
		}
		p.rel = fmt.Sprintf("%d.el8_%d", p.relnum, rng.IntN(10))
		pkgs[i] = p
		if p.inTable {
			table = append(table, catalog.PackageFacts{Artifact: catalog.Artifact{Name: n, Epoch: p.epoch, Version: p.version, Release: p.rel, Arch: "x86_64"}})
		}
	}

	// Records: 1 to 4 packages each, in Rocky Linux 8 (most) or 9; the
	// fixed version is after the table's (affected) or before it.
	type osvEvent map[string]string
	type osvAffected struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
			Purl      string `json:"purl"`
		} `json:"package"`
		Ranges []struct {
			Type   string     `json:"type"`
			Events []osvEvent `json:"events"`
		} `json:"ranges"`
	}
	type osvRec struct {
		SchemaVersion string              `json:"schema_version"`
		ID            string              `json:"id"`
		Modified      string              `json:"modified"`
		Published     string              `json:"published"`
		Related       []string            `json:"related"`
		Summary       string              `json:"summary"`
		Details       string              `json:"details"`
		Affected      []osvAffected       `json:"affected"`
		References    []map[string]string `json:"references"`
	}
	affected := map[[2]string]bool{} // package, key
	recs := make([]osvRec, nrec)
	for i := range recs {
		r := osvRec{SchemaVersion: "1.3.1", ID: fmt.Sprintf("RLSA-%d:%05d", 2019+i%6, i), Modified: "2024-06-14T14:02:44.124064Z", Published: "2024-06-13T00:00:00Z"}
		ncve := 1 + rng.IntN(3)
		for c := 0; c < ncve; c++ {
			r.Related = append(r.Related, fmt.Sprintf("CVE-%d-%d", 2019+i%6, 10000+3*i+c))
		}
		// One CVE in several advisories, as when a fix is backported.
		if ncve == 1 && i > 0 && rng.IntN(10) == 0 && len(recs[i-1].Related) == 1 {
			r.Related[0] = recs[i-1].Related[0]
		}
		key := r.ID
		if ncve == 1 {
			key = r.Related[0]
		}
		eco, major := "Rocky Linux:8", 8
		if rng.IntN(5) == 0 {
			eco, major = "Rocky Linux:9", 9
		}
		n := 1
		if rng.IntN(5) == 0 {
			n = 2 + rng.IntN(3)
		}
		for k := 0; k < n; k++ {
			p := pkgs[rng.IntN(len(pkgs))]
			var fixed string
			after := rng.IntN(2) == 0
			relnum := p.relnum + 1
			if !after {
				relnum = max(0, p.relnum-1)
			}
			fixed = fmt.Sprintf("%s-%d.el%d_%d", p.version, relnum, major, rng.IntN(10))
			if p.epoch > 0 || rng.IntN(4) == 0 {
				fixed = fmt.Sprintf("%d:%s", p.epoch, fixed)
			}
			var a osvAffected
			a.Package.Ecosystem, a.Package.Name = eco, p.name
			a.Package.Purl = fmt.Sprintf("pkg:rpm/rocky-linux/%s?distro=rocky-linux-%d&epoch=%d", p.name, major, p.epoch)
			a.Ranges = append(a.Ranges, struct {
				Type   string     `json:"type"`
				Events []osvEvent `json:"events"`
			}{"ECOSYSTEM", []osvEvent{{"introduced": "0"}, {"fixed": fixed}}})
			r.Affected = append(r.Affected, a)
			if after && p.inTable && major == 8 {
				affected[[2]string{p.name, key}] = true
			}
		}
		r.Summary = "Important: " + r.Affected[0].Package.Name + " security update"
		r.Details = "An update for " + r.Affected[0].Package.Name + " is now available for Rocky Linux. Security Fix(es): a flaw was found that could let a remote attacker cause a denial of service or execute code. For more details about the security issue(s), including the impact, a CVSS score, acknowledgments, and other related information, refer to the CVE page(s) listed in the References section."
		r.References = []map[string]string{{"type": "ADVISORY", "url": "https://errata.rockylinux.org/" + r.ID}}
		recs[i] = r
	}
	res.WantAffected = len(affected)
	input, err := json.Marshal(recs)
	if err != nil {
		return nil, err
	}
	recs = nil
	res.InputMB = float64(len(input)) / (1 << 20)

	dir, err := os.MkdirTemp("", "smeforge-bench-security-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	rs := &release.Service{Store: st}
	rel, err := rs.Create(ctx, release.Spec{Name: "10.0", BaseOS: "Rocky Linux 8"})
	if err != nil {
		return nil, err
	}
	up := catalog.Upstream{Name: "rocky8-baseos", URL: "https://example.org/", Release: rel.Name, CreatedAt: time.Now(), SyncedAt: time.Now()}
	if err := st.AddUpstream(ctx, up); err != nil {
		return nil, err
	}
	if err := st.SetUpstreamPackages(ctx, up, table); err != nil {
		return nil, err
	}
	table = nil
	sec := &security.Service{Store: st, Catalog: st, Policy: policy.Default()}

	runtime.GC()
	cpu0 := cpuTime()
	t0 := time.Now()
	parsed, problems := security.ParseOSV(bytesReader(input), "bench.json")
	t1 := time.Now()
	ir, err := sec.StoreRecords(ctx, parsed, "bench")
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	opened, _, err := sec.MatchAll(ctx, "bench")
	if err != nil {
		return nil, err
	}
	t3 := time.Now()
	res.CPUSeconds = (cpuTime() - cpu0).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.PeakHeapMB = float64(ms.HeapSys) / (1 << 20)
	for _, r := range parsed {
		res.Ranges += len(r.Ranges)
	}
	res.Skipped = len(problems)
	res.ParseSeconds, res.StoreSeconds, res.MatchSeconds = t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), t3.Sub(t2).Seconds()
	res.TotalSeconds = t3.Sub(t0).Seconds()
	res.Entries = opened
	if ir.Imported != nrec {
		return nil, fmt.Errorf("bench: %d of %d records imported", ir.Imported, nrec)
	}

	// The generated truth: every (package, vulnerability) pair whose fixed
	// version is after the table's, in Rocky Linux 8.
	es, err := st.Entries(ctx, security.Filter{})
	if err != nil {
		return nil, err
	}
	got := map[[2]string]bool{}
	for _, e := range es {
		got[[2]string{e.Package, e.Key}] = true
	}
	res.MatchedEqual = len(got) == len(affected)
	for k := range affected {
		if !got[k] {
			res.MatchedEqual = false
			break
		}
	}

	// The same input again is a no-op.
	t4 := time.Now()
	parsed, _ = security.ParseOSV(bytesReader(input), "bench.json")
	if ir, err = sec.StoreRecords(ctx, parsed, "bench"); err != nil {
		return nil, err
	}
	res.ReimportNoop = time.Since(t4).Seconds()
	if ir.Imported != 0 {
		return nil, fmt.Errorf("bench: re-import wrote %d records", ir.Imported)
	}
	return res, nil
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
