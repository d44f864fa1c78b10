package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/smeserver/smeforge/internal/sign"
	"github.com/smeserver/smeforge/internal/upstream"
	"github.com/spf13/cobra"
)

// newUpstreamCmd is `smeforge upstream`: base OS repositories.
func newUpstreamCmd() *cobra.Command {
	c := &cobra.Command{Use: "upstream", Short: "Base OS repositories: fetch and verify upstream metadata and packages"}
	c.AddCommand(newUpstreamFetchCmd())
	r := &remote{}
	for _, sc := range []*cobra.Command{newUpstreamAddCmd(r), newUpstreamSyncCmd(r), newUpstreamListCmd(r)} {
		r.addFlags(sc)
		c.AddCommand(sc)
	}
	return c
}

func newUpstreamFetchCmd() *cobra.Command {
	var (
		repoURL, name, pkgDir string
		keys                  []string
		unsignedRepomd        bool
		workers               int
	)
	c := &cobra.Command{
		Use:   "fetch --url URL [--key KEYFILE]... [--packages DIR]",
		Short: "Fetch a repository's metadata, verify it against the upstream key and summarise it; with --packages, download and verify every package",
		Long: `Fetch URL/repodata/repomd.xml, check repomd.xml.asc against the --key files,
then primary, filelists and updateinfo against the checksums repomd.xml gives,
and print what the repository holds. Without --key nothing says who made the
metadata, and the summary says so.

With --packages DIR every package is downloaded into DIR (at its location in
the repository; files already there and verified are kept), its checksum
checked and its OpenPGP signature verified against the --key files. One line
per package says ok or refused and why; the exit status is 1 when any
package was refused or could not be fetched.

Repositories whose repomd.xml is not signed (CentOS 7 mirrors) take
--unsigned-repomd: the keys then check the packages only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if repoURL == "" {
				return usageErr("upstream fetch: --url URL is required")
			}
			if pkgDir != "" && len(keys) == 0 {
				return usageErr("upstream fetch: --packages needs --key: packages are verified against the upstream key")
			}
			if unsignedRepomd && len(keys) == 0 {
				return usageErr("upstream fetch: --unsigned-repomd needs --key for the packages")
			}
			var armored bytes.Buffer
			var kr *sign.Keyring
			for _, k := range keys {
				b, err := os.ReadFile(k)
				if err != nil {
					return fmt.Errorf("upstream fetch: %w", err)
				}
				if kr == nil {
					kr = sign.NewKeyring()
				}
				if err := kr.Add(b); err != nil {
					return fmt.Errorf("upstream fetch: reading key %s: %w", k, err)
				}
				armored.Write(b)
				armored.WriteByte('\n')
			}
			src := upstream.Source{Name: name, URL: repoURL}
			if name == "" {
				src.Name = repoURL
			}
			if !unsignedRepomd {
				src.Key = armored.Bytes()
			}
			f := &upstream.Fetcher{Client: upstreamClient(), Workers: workers}
			snap, err := f.Fetch(cmd.Context(), src)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			printSnapshot(out, snap, kr)
			if pkgDir == "" {
				return nil
			}
			results, err := f.SyncPackages(cmd.Context(), src, snap.Packages, kr, pkgDir)
			if err != nil && results == nil {
				return err
			}
			bad := printPackageResults(out, results)
			if err != nil {
				return err
			}
			if bad > 0 {
				return &exitError{code: 1, err: fmt.Errorf("upstream fetch: %d of %d packages refused or not fetched", bad, len(results))}
			}
			return nil
		},
	}
	c.Flags().StringVar(&repoURL, "url", "", "repository URL: the folder that holds repodata/")
	c.Flags().StringArrayVar(&keys, "key", nil, "armored public key file of the upstream signing key (repeat for several)")
	c.Flags().StringVar(&pkgDir, "packages", "", "download and verify every package into this folder")
	c.Flags().StringVar(&name, "name", "", "name of the repository in messages (default: the URL)")
	c.Flags().BoolVar(&unsignedRepomd, "unsigned-repomd", false, "the repository does not sign repomd.xml: use --key for the packages only")
	c.Flags().IntVar(&workers, "workers", upstream.DefaultWorkers, "packages downloaded at once")
	return c
}

// upstreamClient bounds how long a server may take to answer, not how long
// a large download may take.
func upstreamClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 30 * time.Second
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: t}
}

func printSnapshot(w io.Writer, s *upstream.Snapshot, kr *sign.Keyring) {
	files := 0
	for _, p := range s.Packages {
		files += len(p.Files)
	}
	fmt.Fprintf(w, "%s: %d packages (%d files), revision %s\n", s.Source, len(s.Packages), files, s.Revision)
	fmt.Fprintf(w, "repomd.xml sha256 %s\n", s.RepomdSHA256)
	if s.SignedBy == "" {
		fmt.Fprintln(w, "repomd.xml NOT VERIFIED: no key checked it (checksums only)")
	} else {
		fmt.Fprintf(w, "repomd.xml verified by key %s%s\n", s.SignedBy, keyName(kr, s.SignedBy))
	}
	if s.Updateinfo != nil {
		fmt.Fprintf(w, "updateinfo.xml: %d bytes\n", len(s.Updateinfo))
	} else {
		fmt.Fprintln(w, "updateinfo.xml: none")
	}
}

func keyName(kr *sign.Keyring, id string) string {
	if kr == nil {
		return ""
	}
	for _, k := range kr.Keys() {
		if k.KeyID == id && k.UserID != "" {
			return " (" + k.UserID + ")"
		}
	}
	return ""
}

// printPackageResults prints one line per package and a total, and returns
// how many were not ok.
func printPackageResults(w io.Writer, results []upstream.PackageResult) int {
	var ok, refused, failed int
	for _, r := range results {
		switch {
		case r.OK():
			ok++
			how := "downloaded"
			if r.Reused {
				how = "already there"
			}
			fmt.Fprintf(w, "ok       %s  key %s, %s\n", r.Package.NEVRA(), r.Signature.KeyID, how)
		case r.Refused():
			refused++
			fmt.Fprintf(w, "refused  %s\n", r.Err)
		default:
			failed++
			fmt.Fprintf(w, "failed   %s\n", r.Err) // a *PackageError: "NEVRA: why"
		}
	}
	fmt.Fprintf(w, "packages: %d ok, %d refused, %d failed\n", ok, refused, failed)
	return refused + failed
}

func newUpstreamAddCmd(r *remote) *cobra.Command {
	var url, keyFile, release string
	c := &cobra.Command{
		Use:   "add NAME --url URL [--key KEYFILE] [--release R]",
		Short: "Tell the forge about a base OS repository (its packages become the base category)",
		Args:  nArgs(1, 1, "the upstream's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if url == "" {
				return usageErr("--url is required: the repository's address (the folder that holds repodata/)")
			}
			key := ""
			if keyFile != "" {
				b, err := os.ReadFile(keyFile)
				if err != nil {
					return err
				}
				key = string(b)
			}
			c, err := r.client(true)
			if err != nil {
				return err
			}
			u, err := c.AddUpstream(cmd.Context(), args[0], url, key, release)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "upstream %s added (%s); fetch it with: smeforge upstream sync %s\n", u.Name, u.URL, u.Name)
			return nil
		},
	}
	c.Flags().StringVar(&url, "url", "", "repository address")
	c.Flags().StringVar(&keyFile, "key", "", "the vendor's public key (armored): repomd.xml and packages must carry its signature")
	c.Flags().StringVar(&release, "release", "", "the release this base belongs to")
	return c
}

func newUpstreamSyncCmd(r *remote) *cobra.Command {
	var packages bool
	c := &cobra.Command{
		Use:   "sync NAME [--packages]",
		Short: "Fetch an upstream's metadata (and with --packages its packages), verified against its key",
		Args:  nArgs(1, 1, "the upstream's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(true)
			if err != nil {
				return err
			}
			res, err := c.SyncUpstream(cmd.Context(), args[0], packages)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			signed := "NOT verified (no key)"
			if res.Upstream.SignedBy != "" {
				signed = "verified by key " + res.Upstream.SignedBy
			}
			fmt.Fprintf(w, "%s: %d packages recorded as base, revision %s, repomd.xml %s\n", res.Upstream.Name, res.Upstream.Packages, res.Upstream.Revision, signed)
			if res.Advisories > 0 {
				fmt.Fprintf(w, "%d security updates of its updateinfo.xml imported into the vulnerability tracker\n", res.Advisories)
			}
			if packages {
				fmt.Fprintf(w, "%d packages downloaded and verified, %d refused\n", len(res.Downloaded), len(res.Refused))
				for _, m := range res.Refused {
					fmt.Fprintln(w, "refused:", m)
				}
				if len(res.Refused) > 0 {
					return &exitError{code: 1, err: fmt.Errorf("%d packages were refused", len(res.Refused))}
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&packages, "packages", false, "also download every package and verify it against the key")
	return c
}

func newUpstreamListCmd(r *remote) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the upstreams the forge syncs",
		Args:  nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(false)
			if err != nil {
				return err
			}
			us, err := c.Upstreams(cmd.Context())
			if err != nil {
				return err
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "UPSTREAM\tURL\tPACKAGES\tSYNCED\tSIGNED BY")
			for _, u := range us {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", u.Name, u.URL, u.Packages, when(u.SyncedAt), u.SignedBy)
			}
			return tw.Flush()
		},
	}
}
