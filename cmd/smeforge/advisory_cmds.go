package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/smeserver/smeforge/client"
	"github.com/spf13/cobra"
)

func newAdvisoryCmd(r *remote) *cobra.Command {
	c := groupCmd("advisory", "Write, publish, revise and close the project's advisories")
	c.AddCommand(newAdvisoryCreateCmd(r), newAdvisoryEditCmd(r), newAdvisoryPublishCmd(r), newAdvisoryCloseCmd(r),
		newAdvisoryListCmd(r), newAdvisoryShowCmd(r))
	return c
}

// advisoryFlags are the fields of an advisory as flags; texts come from
// files, since they are paragraphs.
type advisoryFlags struct {
	typ, severity, title, embargo               string
	releases, packages, builds, cves, refs      []string
	technicalFile, guidanceFile, workaroundFile string
	reason                                      string
}

func (a *advisoryFlags) add(c *cobra.Command, edit bool) {
	f := c.Flags()
	f.StringVar(&a.typ, "type", "", "security, bugfix, enhancement or known-issue")
	f.StringVar(&a.severity, "severity", "", "none, low, moderate, important or critical")
	f.StringVar(&a.title, "title", "", "what the advisory is about, in one line")
	f.StringSliceVar(&a.releases, "release", nil, "release concerned, repeatable")
	f.StringSliceVar(&a.packages, "package", nil, "affected package name, repeatable")
	f.StringSliceVar(&a.builds, "build", nil, "build that fixes it (name-version-release), repeatable")
	f.StringSliceVar(&a.cves, "cve", nil, "CVE id, repeatable")
	f.StringSliceVar(&a.refs, "ref", nil, "reference URL, repeatable")
	f.StringVar(&a.technicalFile, "technical-file", "", "file with the technical text (security team)")
	f.StringVar(&a.guidanceFile, "guidance-file", "", `file with "why am I affected, and what should I do?" (communications team)`)
	f.StringVar(&a.workaroundFile, "workaround-file", "", "file with what to do while a known issue has no fix")
	f.StringVar(&a.embargo, "embargo-until", "", `disclosure date, like 2026-03-01T12:00:00Z ("" on edit lifts it)`)
	if edit {
		f.StringVar(&a.reason, "reason", "", "why a published advisory changes (required after publication)")
	}
}

// change turns the flags that were given into a change.
func (a *advisoryFlags) change(c *cobra.Command) (client.AdvisoryChange, error) {
	var ch client.AdvisoryChange
	f := c.Flags()
	str := func(name string, v string) *string {
		if f.Changed(name) {
			return &v
		}
		return nil
	}
	list := func(name string, v []string) *[]string {
		if f.Changed(name) {
			return &v
		}
		return nil
	}
	file := func(name, path string) (*string, error) {
		if !f.Changed(name) {
			return nil, nil
		}
		var b []byte
		var err error
		if path == "-" {
			b, err = io.ReadAll(os.Stdin)
		} else {
			b, err = os.ReadFile(path)
		}
		if err != nil {
			return nil, usageErr("--%s: %v", name, err)
		}
		s := string(b)
		return &s, nil
	}
	ch.Type, ch.Severity, ch.Title = str("type", a.typ), str("severity", a.severity), str("title", a.title)
	ch.EmbargoUntil = str("embargo-until", a.embargo)
	ch.Releases, ch.Packages, ch.Builds = list("release", a.releases), list("package", a.packages), list("build", a.builds)
	ch.CVEs, ch.References = list("cve", a.cves), list("ref", a.refs)
	var err error
	if ch.Technical, err = file("technical-file", a.technicalFile); err != nil {
		return ch, err
	}
	if ch.Guidance, err = file("guidance-file", a.guidanceFile); err != nil {
		return ch, err
	}
	if ch.Workaround, err = file("workaround-file", a.workaroundFile); err != nil {
		return ch, err
	}
	ch.Reason = a.reason
	return ch, nil
}

func newAdvisoryCreateCmd(r *remote) *cobra.Command {
	var a advisoryFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "create --type TYPE --title TEXT [--severity S] [--release R ...] [--build B ...] [--cve CVE ...] [--technical-file F] [--guidance-file F]",
		Short: "Draft an advisory (only the security and communications teams see it until it is published)",
		Args:  nArgs(0, 0, "no arguments (the fields are flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := a.change(cmd)
			if err != nil {
				return err
			}
			c, err := r.client(true)
			if err != nil {
				return err
			}
			adv, err := c.CreateAdvisory(cmd.Context(), ch)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONTo(cmd.OutOrStdout(), adv)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "drafted %s: %s\npublish it with: smeforge advisory publish %s\n", adv.ID, adv.Title, adv.ID)
			return nil
		},
	}
	a.add(c, false)
	c.Flags().BoolVar(&asJSON, "json", false, "print the server's answer as JSON")
	return c
}

func newAdvisoryEditCmd(r *remote) *cobra.Command {
	var a advisoryFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "edit ID [--FIELD VALUE ...] [--reason TEXT]",
		Short: "Change an advisory; after publication every change is a new revision with its reason",
		Args:  nArgs(1, 1, "an advisory id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := a.change(cmd)
			if err != nil {
				return err
			}
			c, err := r.client(true)
			if err != nil {
				return err
			}
			res, err := c.EditAdvisory(cmd.Context(), args[0], ch)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONTo(cmd.OutOrStdout(), res)
			}
			printAdvisoryResult(cmd.OutOrStdout(), "changed", res)
			return nil
		},
	}
	a.add(c, true)
	c.Flags().BoolVar(&asJSON, "json", false, "print the server's answer as JSON")
	return c
}

func printAdvisoryResult(w io.Writer, what string, res *client.AdvisoryResult) {
	a := res.Advisory
	fmt.Fprintf(w, "%s %s (%s, revision %d)\n", what, a.ID, a.State, a.Revision)
	if !a.EmbargoUntil.IsZero() && a.State != "draft" {
		fmt.Fprintf(w, "under embargo until %s: it becomes public then by itself\n", a.EmbargoUntil.Format("2006-01-02 15:04 MST"))
	}
	for _, ch := range res.Republished {
		fmt.Fprintf(w, "republished %s (its updateinfo.xml follows)\n", ch)
	}
	for _, p := range res.Problems {
		fmt.Fprintf(w, "warning: %s\n", p)
	}
}

func newAdvisoryPublishCmd(r *remote) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "publish ID",
		Short: "Publish a draft advisory (public now, or at its embargo date)",
		Args:  nArgs(1, 1, "an advisory id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(true)
			if err != nil {
				return err
			}
			res, err := c.PublishAdvisory(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONTo(cmd.OutOrStdout(), res)
			}
			printAdvisoryResult(cmd.OutOrStdout(), "published", res)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the server's answer as JSON")
	return c
}

func newAdvisoryCloseCmd(r *remote) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "close ID --reason TEXT",
		Short: "Close a published advisory, saying why",
		Args:  nArgs(1, 1, "an advisory id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usageErr("--reason is required: say why the advisory is closed")
			}
			c, err := r.client(true)
			if err != nil {
				return err
			}
			res, err := c.CloseAdvisory(cmd.Context(), args[0], reason)
			if err != nil {
				return err
			}
			printAdvisoryResult(cmd.OutOrStdout(), "closed", res)
			return nil
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why the advisory is closed")
	return c
}

func newAdvisoryListCmd(r *remote) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the advisories you may see, newest first",
		Args:  nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(false)
			if err != nil {
				return err
			}
			as, err := c.Advisories(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONTo(cmd.OutOrStdout(), as)
			}
			if len(as) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no advisories")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tSEVERITY\tSTATE\tREVISION\tTITLE")
			for _, a := range as {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", a.ID, a.Type, a.Severity, a.State, a.Revision, a.Title)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the server's answer as JSON")
	return c
}

func newAdvisoryShowCmd(r *remote) *cobra.Command {
	var (
		asJSON, osv bool
		revision    int
	)
	c := &cobra.Command{
		Use:   "show ID [--revision N] [--json | --osv]",
		Short: "Show an advisory, one of its revisions, or its OSV record",
		Args:  nArgs(1, 1, "an advisory id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON && osv {
				return usageErr("give --json or --osv, not both")
			}
			c, err := r.client(false)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if osv {
				raw, err := c.AdvisoryOSV(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(w, "%s\n", raw)
				return err
			}
			var a *client.Advisory
			var revs []client.AdvisoryRevision
			if revision > 0 {
				rev, err := c.AdvisoryRevision(cmd.Context(), args[0], revision)
				if err != nil {
					return err
				}
				a = &rev.Content
			} else {
				if a, err = c.Advisory(cmd.Context(), args[0]); err != nil {
					return err
				}
				if revs, err = c.AdvisoryRevisions(cmd.Context(), args[0]); err != nil {
					return err
				}
			}
			if asJSON {
				return writeJSONTo(w, a)
			}
			fmt.Fprintf(w, "%s: %s\n", a.ID, a.Title)
			fmt.Fprintf(w, "type %s, severity %s, %s, revision %d\n", a.Type, a.Severity, a.State, a.Revision)
			if !a.EmbargoUntil.IsZero() {
				fmt.Fprintf(w, "embargo until %s\n", a.EmbargoUntil.Format("2006-01-02 15:04 MST"))
			}
			for _, l := range []struct {
				name string
				v    []string
			}{{"releases", a.Releases}, {"builds", a.Builds}, {"packages", a.Packages}, {"CVEs", a.CVEs}, {"references", a.References}} {
				if len(l.v) > 0 {
					fmt.Fprintf(w, "%s: %s\n", l.name, strings.Join(l.v, ", "))
				}
			}
			fmt.Fprintf(w, "\nWhy am I affected, and what should I do?\n%s\n", orNone(a.Guidance))
			if a.Workaround != "" {
				fmt.Fprintf(w, "\nWorkaround:\n%s\n", a.Workaround)
			}
			fmt.Fprintf(w, "\nTechnical details:\n%s\n", orNone(a.Technical))
			if len(revs) > 0 {
				fmt.Fprintln(w, "\nRevisions:")
				for _, rv := range revs {
					fmt.Fprintf(w, "  %d  %s  %s: %s\n", rv.N, rv.At.Format("2006-01-02 15:04"), rv.By, rv.Reason)
				}
			}
			return nil
		},
	}
	f := c.Flags()
	f.BoolVar(&asJSON, "json", false, "print the advisory as JSON")
	f.BoolVar(&osv, "osv", false, "print the advisory's OSV record")
	f.IntVar(&revision, "revision", 0, "show this revision instead of the current state")
	return c
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(not written yet)"
	}
	return s
}
