package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/smeserver/smeforge/client"
	"github.com/spf13/cobra"
)

func newSecurityCmd(r *remote) *cobra.Command {
	c := groupCmd("security", "Vulnerability reports: import records, list and triage tracker entries, OpenVEX")
	c.AddCommand(newSecurityImportCmd(r), newSecurityEntriesCmd(r), newSecurityTriageCmd(r), newSecurityOpenVEXCmd(r))
	return c
}

// maxFetch bounds a record file fetched from a URL.
const maxFetch = 256 << 20

func newSecurityImportCmd(r *remote) *cobra.Command {
	var format, ecosystem string
	var asJSON bool
	c := &cobra.Command{
		Use:   "import FILE|DIR|URL... [--format osv|updateinfo|csaf] [--ecosystem \"Rocky Linux:8\"]",
		Short: "Import vulnerability records (OSV JSON, updateinfo.xml, Red Hat CSAF VEX); a folder imports its *.json and *.xml files",
		Args:  nArgs(1, -1, "at least one file, folder or URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "", "auto", "osv", "updateinfo", "csaf":
			default:
				return usageErr("--format %q: use osv, updateinfo or csaf (or leave it out)", format)
			}
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			inputs, err := recordInputs(args)
			if err != nil {
				return err
			}
			var total client.ImportResult
			total.Skipped = []client.VulnProblem{}
			for _, in := range inputs {
				res, err := importOne(cmd.Context(), cl, in, format, ecosystem)
				if err != nil {
					return fmt.Errorf("importing %s: %w", in, err)
				}
				total.Imported += res.Imported
				total.Unchanged += res.Unchanged
				total.Ignored += res.Ignored
				total.Opened += res.Opened
				total.Updated += res.Updated
				total.Skipped = append(total.Skipped, res.Skipped...)
			}
			if asJSON {
				return writeJSONTo(cmd.OutOrStdout(), total)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s imported, %d unchanged, %d not about security; %s opened, %d updated; %d skipped\n",
				plural(total.Imported, "record", "records"), total.Unchanged, total.Ignored, plural(total.Opened, "tracker entry", "tracker entries"),
				total.Updated, len(total.Skipped))
			for _, p := range total.Skipped {
				where := p.File
				if p.Record != "" {
					where += ": " + p.Record
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "skipped %s: %s\n", where, p.Error)
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "", "osv, updateinfo or csaf (default: from each file's content)")
	c.Flags().StringVar(&ecosystem, "ecosystem", "", "ecosystem of an updateinfo.xml whose updates do not name their release")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

// recordInputs expands folders into their record files.
func recordInputs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if isURL(a) {
			out = append(out, a)
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		var files []string
		err = filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".xml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		if len(files) == 0 {
			return nil, usageErr("%s holds no *.json or *.xml file", a)
		}
		out = append(out, files...)
	}
	return out, nil
}

func isURL(s string) bool { return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") }

func importOne(ctx context.Context, cl *client.Client, in, format, ecosystem string) (*client.ImportResult, error) {
	if isURL(in) {
		u, err := url.Parse(in)
		if err != nil || u.Host == "" {
			return nil, usageErr("%q is not a URL", in)
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, in, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("the server answered %s", resp.Status)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch+1))
		if err != nil {
			return nil, err
		}
		if len(data) > maxFetch {
			return nil, fmt.Errorf("more than %d bytes", maxFetch)
		}
		return cl.ImportRecords(ctx, urlFileName(u), bytes.NewReader(data), int64(len(data)), format, ecosystem)
	}
	f, err := os.Open(in)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return cl.ImportRecords(ctx, filepath.Base(in), f, st.Size(), format, ecosystem)
}

func urlFileName(u *url.URL) string {
	if b := filepath.Base(u.Path); b != "." && b != "/" {
		return b
	}
	return u.Host
}

func newSecurityEntriesCmd(r *remote) *cobra.Command {
	var f client.VulnFilter
	var asJSON bool
	c := &cobra.Command{
		Use:   "entries [--release R] [--package P] [--state S]",
		Short: "List tracker entries with their answers",
		Args:  nArgs(0, 0, "no argument"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(false)
			if err != nil {
				return err
			}
			es, err := cl.VulnEntries(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONTo(cmd.OutOrStdout(), es)
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ID\tVULNERABILITY\tPACKAGE\tRELEASE\tSTATE\tSEVERITY\tVERSIONS")
			for _, e := range es.Entries {
				sev := e.Severity
				if sev == "" {
					sev = "-"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Vulnerability, e.Package, e.Release, e.State, sev, strings.Join(e.EVRs, " "))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if es.Summary.Answered > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "median time to first response: %s over %d answered\n",
					time.Duration(es.Summary.MedianFirstResponse).Round(time.Minute), es.Summary.Answered)
			}
			return nil
		},
	}
	c.Flags().StringVar(&f.Release, "release", "", "only this release")
	c.Flags().StringVar(&f.Package, "package", "", "only this package")
	c.Flags().StringVar(&f.State, "state", "", "only this state")
	c.Flags().StringVar(&f.Vulnerability, "vulnerability", "", "only this CVE or record id")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newSecurityTriageCmd(r *remote) *cobra.Command {
	var state, severity, owner, notes, statement, justification string
	c := &cobra.Command{
		Use:   "triage ID [--state S] [--severity S] [--owner A] [--notes TEXT] [--statement TEXT] [--justification J]",
		Short: "Answer a tracker entry: state (looking-into-it, not-vulnerable, not-relevant, affected, fixed, known-issue), severity, owner, notes",
		Args:  nArgs(1, 1, "one entry id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageErr("%q is not an entry id (a number; see smeforge security entries)", args[0])
			}
			var t client.Triage
			fl := cmd.Flags()
			for name, dst := range map[string]**string{"state": &t.State, "severity": &t.Severity, "owner": &t.Owner,
				"notes": &t.PrivateNotes, "statement": &t.PublicStatement, "justification": &t.Justification} {
				if fl.Changed(name) {
					v, _ := fl.GetString(name)
					*dst = &v
				}
			}
			if t == (client.Triage{}) {
				return usageErr("say what changes: --state, --severity, --owner, --notes, --statement or --justification")
			}
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			e, err := cl.TriageEntry(cmd.Context(), id, t)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s in %s (%s): %s\n", e.Vulnerability, e.Package, e.Release, e.State)
			return nil
		},
	}
	c.Flags().StringVar(&state, "state", "", "new state")
	c.Flags().StringVar(&severity, "severity", "", "low, moderate, important, critical")
	c.Flags().StringVar(&owner, "owner", "", "account handling it")
	c.Flags().StringVar(&notes, "notes", "", "private notes (security team only)")
	c.Flags().StringVar(&statement, "statement", "", "public statement")
	c.Flags().StringVar(&justification, "justification", "", "why it does not apply (OpenVEX justification)")
	return c
}

func newSecurityOpenVEXCmd(r *remote) *cobra.Command {
	return &cobra.Command{
		Use:   "openvex",
		Short: "Print the OpenVEX document of the tracker's answers",
		Args:  nArgs(0, 0, "no argument"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(false)
			if err != nil {
				return err
			}
			doc, err := cl.OpenVEX(cmd.Context())
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			buf.Write(doc)
			buf.WriteByte('\n')
			_, err = cmd.OutOrStdout().Write(buf.Bytes())
			return err
		},
	}
}
