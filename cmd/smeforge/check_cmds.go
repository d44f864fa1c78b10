package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/smeserver/smeforge/internal/check"
	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/spf13/cobra"
)

// The SME Server categories, lowest first, and those whose packages may not
// be forked: the defaults of the check commands, which pass them to
// internal/check as data.
const (
	defaultOrder     = "base,infra,core,addons,test,dev"
	defaultProtected = "base,infra,core"
)

// addCheckCmds adds `smeforge check` and the hidden `smeforge dev closure`.
func addCheckCmds(root *cobra.Command) {
	root.AddCommand(newCheckCmd())
	for _, c := range root.Commands() {
		if c.Name() == "dev" {
			c.AddCommand(newDevClosureCmd())
		}
	}
}

func newCheckCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "check",
		Short: "Check packages against the distribution policy: closure, layering, forks, rebuildability",
		Long: `Local policy checks on RPM files; no server needed.

Packages are given as [CATEGORY=]PATH arguments: a PATH is an RPM file or a
folder searched for *.rpm (hidden folders and repodata skipped), and
CATEGORY places its packages in the distribution (base, infra, core,
addons, test, dev). Each command prints one finding per line (or one JSON
object per line with --json) and exits 1 when it found something.`,
	}
	c.AddCommand(newCheckClosureCmd(), newCheckLayeringCmd(), newCheckForksCmd(), newCheckBuildsCmd())
	return c
}

// findingsOut prints findings and turns their presence into exit status 1.
func findingsOut(w io.Writer, fs []check.Finding, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, f := range fs {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
	} else {
		bw := bufio.NewWriter(w)
		for _, f := range fs {
			fmt.Fprintf(bw, "%s %s", f.Kind, f.Package)
			if f.Requirement != "" {
				fmt.Fprintf(bw, ": %s", f.Requirement)
			}
			fmt.Fprintf(bw, ": %s\n", f.Detail)
			for _, o := range f.Other {
				fmt.Fprintf(bw, "    %s\n", o)
			}
			for _, p := range f.Files {
				fmt.Fprintf(bw, "    %s\n", p)
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if len(fs) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d findings", len(fs))}
	}
	return nil
}

func newCheckClosureCmd() *cobra.Command {
	var opt check.ClosureOptions
	var asJSON bool
	c := &cobra.Command{
		Use:   "closure [--sources] [--strict] [--best] [--newest] [--json] [CATEGORY=]PATH...",
		Short: "Report requirements that no package of the set satisfies",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pkgs, err := loadArgs(cmd.Context(), args)
			if err != nil {
				return err
			}
			return findingsOut(cmd.OutOrStdout(), check.NewIndex(pkgs).Closure(opt), asJSON)
		},
	}
	f := c.Flags()
	f.BoolVar(&opt.Sources, "sources", false, "also check the build requirements of source packages")
	f.BoolVar(&opt.Strict, "strict", false, "read rich dependencies as rpm does: (a and b) needs both")
	f.BoolVar(&opt.Best, "best", false, "resolve only against the newest version of each name and architecture")
	f.BoolVar(&opt.Newest, "newest", false, "check, and resolve against, only the newest version of each name")
	f.BoolVar(&asJSON, "json", false, "print one JSON object per finding")
	return c
}

func newCheckLayeringCmd() *cobra.Command {
	var order string
	var asJSON bool
	c := &cobra.Command{
		Use:   "layering [--order base,infra,...] [--json] CATEGORY=PATH...",
		Short: "Report requirements satisfied only from a higher category",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pkgs, err := loadArgs(cmd.Context(), args)
			if err != nil {
				return err
			}
			fs, err := check.NewIndex(pkgs).Layering(splitList(order))
			if err != nil {
				return usageErr("%v", err)
			}
			return findingsOut(cmd.OutOrStdout(), fs, asJSON)
		},
	}
	c.Flags().StringVar(&order, "order", defaultOrder, "categories, lowest first")
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per finding")
	return c
}

func newCheckForksCmd() *cobra.Command {
	var order, protected string
	var asJSON bool
	c := &cobra.Command{
		Use:   "forks [--order base,infra,...] [--protected base,infra,core] [--json] CATEGORY=PATH...",
		Short: "Report packages that replace or overwrite protected packages of a lower category",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pkgs, err := loadArgs(cmd.Context(), args)
			if err != nil {
				return err
			}
			fs, err := check.NewIndex(pkgs).Forks(check.ForkPolicy{Order: splitList(order), Protected: splitList(protected)})
			if err != nil {
				return usageErr("%v", err)
			}
			return findingsOut(cmd.OutOrStdout(), fs, asJSON)
		},
	}
	c.Flags().StringVar(&order, "order", defaultOrder, "categories, lowest first")
	c.Flags().StringVar(&protected, "protected", defaultProtected, "categories that may not be forked")
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per finding")
	return c
}

func newCheckBuildsCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "builds [--json] SRPM_PATH BINARY_PATH...",
		Short: "Report the build requirements of the SRPMs below SRPM_PATH that the binary packages do not satisfy",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			srpms, err := loadArgs(cmd.Context(), args[:1])
			if err != nil {
				return err
			}
			bins, err := loadArgs(cmd.Context(), args[1:])
			if err != nil {
				return err
			}
			return findingsOut(cmd.OutOrStdout(), check.NewIndex(bins).Unbuildable(srpms), asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per finding")
	return c
}

// newDevClosureCmd is `dnf repoclosure` on a folder of RPMs, with the same
// output, for comparing and benchmarking the two.
func newDevClosureCmd() *cobra.Command {
	var opt check.ClosureOptions
	var arches []string
	c := &cobra.Command{
		Use:   "closure [--newest] [--best] [--arch ARCH]... DIR",
		Short: "Print what `dnf repoclosure` would for the RPMs below DIR, in its format",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Reading allocates much that dies young and little that
			// lives (35 KB read per package, 4 KB kept).
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(200)
			}
			pkgs, err := loadArgs(cmd.Context(), args)
			if err != nil {
				return err
			}
			opt.Sources, opt.Arches = true, arches
			fs := check.NewIndex(pkgs).Closure(opt)
			return printRepoclosure(cmd.OutOrStdout(), fs, filepath.Base(filepath.Clean(args[0])))
		},
	}
	c.Flags().BoolVar(&opt.Newest, "newest", false, "check only the newest packages (repoclosure --newest)")
	c.Flags().BoolVar(&opt.Best, "best", false, "resolve only against the newest package of each name and arch (dnf's best=1)")
	c.Flags().StringArrayVar(&arches, "arch", nil, "check only packages of this architecture (repeatable)")
	return c
}

// printRepoclosure writes findings as dnf repoclosure does: per package a
// "package: NEVRA from REPO" line, a count and the requirements as libsolv
// spells them; then an error when there were any.
func printRepoclosure(w io.Writer, fs []check.Finding, repo string) error {
	bw := bufio.NewWriter(w)
	pkgs := 0
	for i := 0; i < len(fs); {
		j := i
		for j < len(fs) && fs[j].Package == fs[i].Package {
			j++
		}
		fmt.Fprintf(bw, "package: %s from %s\n  unresolved deps (%d):\n", fs[i].Package, repo, j-i)
		for _, f := range fs[i:j] {
			fmt.Fprintf(bw, "    %s\n", dnfRequirement(f.Requirement))
		}
		pkgs++
		i = j
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if len(fs) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("unresolved dependencies (%d) across %d packages", len(fs), pkgs)}
	}
	return nil
}

// dnfRequirement re-spells a requirement printed as rpm does into dnf's
// spelling.
func dnfRequirement(req string) string {
	if check.IsRich(req) {
		return check.DnfString(rpm.Dependency{Name: req})
	}
	d, err := rpm.ParseDependency(req)
	if err != nil {
		return req
	}
	return check.DnfString(d)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// loadArgs reads the packages named by [CATEGORY=]PATH arguments.
func loadArgs(ctx context.Context, args []string) ([]check.Package, error) {
	var files, cats []string
	for _, a := range args {
		cat, path := "", a
		if k := strings.IndexByte(a, '='); k >= 0 && !strings.ContainsRune(a[:k], os.PathSeparator) {
			cat, path = a[:k], a[k+1:]
		}
		found, err := repoFiles(path)
		if err != nil {
			return nil, err
		}
		files = append(files, found...)
		for range found {
			cats = append(cats, cat)
		}
	}
	return readPackages(ctx, files, cats)
}

// repoFiles lists path itself if it is a file, or the *.rpm files below it,
// skipping hidden folders and repodata, sorted.
func repoFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading packages: %w", err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading packages: %w", err)
		}
		if d.IsDir() {
			if p != path && (strings.HasPrefix(d.Name(), ".") || d.Name() == "repodata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".rpm") && !strings.HasPrefix(d.Name(), ".") {
			out = append(out, p)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// readPackages reads the headers of files in parallel, only what the
// checks need (rpm.ReadDeps). Reading waits for the file system in part,
// so it runs more readers than CPUs.
func readPackages(ctx context.Context, files, cats []string) ([]check.Package, error) {
	pkgs := make([]check.Package, len(files))
	workers := min(4*runtime.GOMAXPROCS(0), len(files))
	next := make(chan int)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			br := bufio.NewReaderSize(nil, 32<<10)
			for i := range next {
				if errs[w] != nil {
					continue
				}
				p, err := readHeader(br, files[i])
				if err != nil {
					errs[w] = err
					continue
				}
				pkgs[i] = check.FromRPM(p, cats[i], files[i])
			}
		})
	}
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return nil, err
	}
	return pkgs, nil
}

func readHeader(br *bufio.Reader, path string) (*rpm.Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading package: %w", err)
	}
	defer f.Close()
	br.Reset(f)
	p, err := rpm.ReadDeps(br, path)
	if err != nil {
		return nil, fmt.Errorf("reading package: %w", err)
	}
	return p, nil
}
