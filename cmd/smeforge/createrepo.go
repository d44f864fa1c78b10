package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/smeserver/smeforge/internal/repodata"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newCreaterepoCmd() *cobra.Command {
	var (
		update   bool
		compress string
		workers  int
		clLimit  int
		quiet    bool
		timings  bool
	)
	c := &cobra.Command{
		Use:   "createrepo [--update] [--compress gz|zstd] [--workers N] DIR",
		Short: "Write DIR/repodata for the RPMs below DIR, like createrepo_c",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("createrepo takes one folder, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			comp, err := repodata.ParseCompression(compress)
			if err != nil {
				return usageErr("--compress: %v", err)
			}
			opt := repodata.Options{
				Dir: args[0], Update: update, Compression: comp, Workers: workers,
				ChangelogLimit: clLimit, Logger: logger(),
			}
			var bar *progressbar.ProgressBar
			if !quiet && term.IsTerminal(int(os.Stderr.Fd())) {
				opt.Progress = func(done, total int) {
					if bar == nil && total >= 100 {
						bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(os.Stderr),
							progressbar.OptionSetDescription("reading packages"), progressbar.OptionThrottle(100*time.Millisecond))
					}
					if bar != nil {
						bar.Set(done)
					}
				}
			}
			// A run allocates many short-lived buffers and keeps little:
			// trading memory for fewer collections is worth it here.
			debug.SetGCPercent(400)
			start := time.Now()
			res, err := repodata.Build(cmd.Context(), opt)
			if bar != nil {
				bar.Finish()
				fmt.Fprintln(os.Stderr)
			}
			if err != nil {
				return err
			}
			if !quiet {
				fmt.Fprintf(cmd.OutOrStdout(), "%d packages (%d read, %d unchanged) in %s: %s/repodata\n",
					res.Packages, res.Read, res.Reused, time.Since(start).Round(time.Millisecond), args[0])
			}
			if timings {
				t := res.Timings
				fmt.Fprintf(os.Stderr, "timings: scan=%s read+render+compress=%s write=%s cache=%s\n",
					t.Scan.Round(100*time.Microsecond), (t.Read + t.Compress).Round(100*time.Microsecond),
					t.Write.Round(100*time.Microsecond), t.Cache.Round(100*time.Microsecond))
			}
			return nil
		},
	}
	f := c.Flags()
	f.BoolVar(&update, "update", false, "reuse what is known of files whose path, size and mtime did not change")
	f.StringVar(&compress, "compress", "gz", "metadata compression: gz or zstd")
	f.IntVar(&workers, "workers", 0, "packages read in parallel (default: one per CPU)")
	f.IntVar(&clLimit, "changelog-limit", 0, "newest changelog entries per package in other.xml (default 10, -1 for none)")
	f.BoolVarP(&quiet, "quiet", "q", false, "print nothing on success")
	f.BoolVar(&timings, "timings", false, "print the time of each stage to stderr")
	return c
}
