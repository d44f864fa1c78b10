package main

// The commands in this file are clients of a running smeforge server: they
// do everything through the public client package, as any other program
// would, so the CLI exercises the API the way users call it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/smeserver/smeforge/client"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// defaultServer is the address of `smeforge serve` with its defaults.
const defaultServer = "http://127.0.0.1:8080"

// remote is the flags that say which server to talk to and as whom; every
// client command has them.
type remote struct {
	server    string
	token     string
	tokenFile string
}

func (r *remote) addFlags(c *cobra.Command) {
	f := c.PersistentFlags()
	server := os.Getenv("SMEFORGE_SERVER")
	if server == "" {
		server = defaultServer
	}
	f.StringVar(&r.server, "server", server, "address of the smeforge server (environment: SMEFORGE_SERVER)")
	// The token's default is not shown in --help: it is a secret.
	f.StringVar(&r.token, "token", "", "API token (environment: SMEFORGE_TOKEN)")
	f.StringVar(&r.tokenFile, "token-file", "", "read the API token from this file, such as smeforge-data/admin-token")
}

// client makes the API client; mutating commands need a token.
func (r *remote) client(needToken bool) (*client.Client, error) {
	token, err := r.resolveToken()
	if err != nil {
		return nil, err
	}
	if needToken && token == "" {
		return nil, usageErr("this command needs an API token: give --token or --token-file, or set SMEFORGE_TOKEN " +
			"(the server writes its first administrator token to DATA/admin-token)")
	}
	c, err := client.New(r.server, token, client.WithUserAgent("smeforge-cli"))
	if err != nil {
		return nil, usageErr("--server: %v", err)
	}
	return c, nil
}

func (r *remote) resolveToken() (string, error) {
	switch {
	case r.token != "" && r.tokenFile != "":
		return "", usageErr("give --token or --token-file, not both")
	case r.token != "":
		return strings.TrimSpace(r.token), nil
	case r.tokenFile != "":
		b, err := os.ReadFile(r.tokenFile)
		if err != nil {
			return "", fmt.Errorf("reading the API token: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
			return "", fmt.Errorf("%s does not hold an API token (one line, such as smf_...)", r.tokenFile)
		}
		return tok, nil
	}
	return strings.TrimSpace(os.Getenv("SMEFORGE_TOKEN")), nil
}

// newClientCmds returns the commands that work through a server's API.
func newClientCmds() []*cobra.Command {
	r := &remote{}
	cmds := []*cobra.Command{
		newUploadCmd(r), newReleaseCmd(r), newChannelCmd(r), newPublishCmd(r), newPackagesCmd(r), newBuildCmd(r), newSigningCmd(r), newAdvisoryCmd(r), newSecurityCmd(r),
	}
	for _, c := range cmds {
		r.addFlags(c)
	}
	return cmds
}

// nArgs accepts between min and max arguments (max < 0: no limit), and
// says what is expected otherwise, as a usage error (exit status 2).
func nArgs(min, max int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || (max >= 0 && len(args) > max) {
			return usageErr("%s takes %s, got %d argument(s); see %s --help", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// groupCmd is a command that only holds subcommands: alone it prints its
// help; with an unknown subcommand it is a usage error (cobra would print
// the help and exit 0).
func groupCmd(use, short string) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErr("%s has no command %q; see %s --help", cmd.CommandPath(), args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + []string{"KiB", "MiB", "GiB", "TiB"}[i]
}

// ---- upload ----

func newUploadCmd(r *remote) *cobra.Command {
	var (
		parallel int
		category string
	)
	c := &cobra.Command{
		Use:   "upload FILE|DIR...",
		Short: "Upload RPM and SRPM files to the forge (folders: every *.rpm below them)",
		Long: `Upload RPM and SRPM files. A folder is searched for *.rpm files, which are
sent in name order. Each file gets a line: "uploaded ..." or "already there: ..."
(the same file was uploaded before). A file the server refuses is reported and
the others are still sent; the exit status is then 1.`,
		Args: nArgs(1, -1, "at least one file or folder"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if parallel < 1 {
				return usageErr("--parallel must be at least 1")
			}
			c, err := r.client(true)
			if err != nil {
				return err
			}
			files, err := rpmFiles(args, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return uploadAll(cmd.Context(), c, files, parallel, category, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	c.Flags().IntVar(&parallel, "parallel", 4, "files sent at once")
	c.Flags().StringVar(&category, "category", "", "category of new builds (administrators importing a distribution: base, infra, core ...; default: dev for packages the forge has never seen)")
	return c
}

// rpmFiles expands the arguments: files as given, folders walked for
// *.rpm in name order, each file once.
func rpmFiles(args []string, stderr io.Writer) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[filepath.Clean(p)] {
			seen[filepath.Clean(p)] = true
			files = append(files, p)
		}
	}
	var empty []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, usageErr("%s: no such file or folder", a)
			}
			return nil, err
		}
		if !st.IsDir() {
			add(a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".rpm") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("looking for RPMs in %s: %w", a, err)
		}
		if len(found) == 0 {
			empty = append(empty, a)
		}
		sort.Strings(found)
		for _, p := range found {
			add(p)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("nothing to upload: no .rpm files in %s", strings.Join(empty, ", "))
	}
	for _, d := range empty {
		fmt.Fprintf(stderr, "note: no .rpm files in %s\n", d)
	}
	return files, nil
}

// uploadAll sends files with up to parallel uploads at once and reports
// them in the order given, each as soon as it and those before it are done.
// A refusal of one file (not an RPM, a conflict) is reported and the others
// are still sent; an error that every file would meet (no server, a bad
// token) stops the run at once.
func uploadAll(parent context.Context, c *client.Client, files []string, parallel int, category string, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	type result struct {
		res  *client.UploadResult
		err  error
		done chan struct{}
	}
	results := make([]result, len(files))
	for i := range results {
		results[i].done = make(chan struct{})
	}
	var (
		fatalOnce sync.Once
		fatal     error
	)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(parallel, len(files)) {
		wg.Go(func() {
			for i := range jobs {
				if err := ctx.Err(); err != nil {
					results[i].err = err
				} else {
					results[i].res, results[i].err = c.UploadFileAs(ctx, files[i], category)
					if stopsAll(results[i].err) {
						fatalOnce.Do(func() { fatal = results[i].err; cancel() })
					}
				}
				close(results[i].done)
			}
		})
	}
	go func() {
		for i := range files {
			jobs <- i
		}
		close(jobs)
	}()

	var bar *progressbar.ProgressBar
	if len(files) > 5 && stderr == os.Stderr && term.IsTerminal(int(os.Stderr.Fd())) {
		bar = progressbar.NewOptions(len(files), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("uploading"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		bar.RenderBlank()
	}
	var created, existed, failed, unsent int
	for i, f := range files {
		<-results[i].done
		res, err := results[i].res, results[i].err
		if bar != nil {
			bar.Clear()
		}
		switch {
		case err != nil && (ctx.Err() != nil || stopsAll(err)):
			unsent++ // said once, below
		case err != nil && len(files) == 1:
			return fmt.Errorf("%s: %s", f, uploadErrText(f, err))
		case err != nil:
			failed++
			fmt.Fprintf(stderr, "failed: %s: %s\n", f, uploadErrText(f, err))
		case res.Created:
			created++
			fmt.Fprintf(stdout, "uploaded %s (build %s)\n", res.Package.NEVRA(), res.Package.Build)
		default:
			existed++
			fmt.Fprintf(stdout, "already there: %s (build %s)\n", res.Package.NEVRA(), res.Package.Build)
		}
		if bar != nil {
			bar.Add(1)
		}
	}
	wg.Wait()
	if bar != nil {
		bar.Finish()
	}
	sent := created + existed + failed
	if len(files) > 1 && sent > 0 {
		fmt.Fprintf(stdout, "%s: %d uploaded, %d already there, %d failed", plural(len(files), "file", "files"), created, existed, failed)
		if unsent > 0 {
			fmt.Fprintf(stdout, ", %d not sent", unsent)
		}
		fmt.Fprintln(stdout)
	}
	switch {
	case fatal != nil && sent == 0:
		return fatal
	case fatal != nil:
		return fmt.Errorf("stopped after %d of %d files: %w", sent, len(files), fatal)
	case unsent > 0:
		return fmt.Errorf("interrupted: %d of %d files were not sent: %w", unsent, len(files), parent.Err())
	case failed > 0:
		return fmt.Errorf("%d of %d files could not be uploaded (see above)", failed, len(files))
	}
	return nil
}

// stopsAll tells the errors that the next files would meet too.
func stopsAll(err error) bool {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden
	}
	return errors.Is(err, client.ErrUnreachable)
}

// uploadErrText is the reason a file failed, without the file's name when
// the server's message starts with it (the line names it already).
func uploadErrText(path string, err error) string {
	var ae *client.APIError
	if errors.As(err, &ae) {
		if rest, ok := strings.CutPrefix(ae.Message, filepath.Base(path)+": "); ok && rest != "" {
			return (&client.APIError{Status: ae.Status, Message: rest}).Error()
		}
	}
	return err.Error()
}

// ---- release ----

func newReleaseCmd(r *remote) *cobra.Command {
	c := groupCmd("release", "Create and list releases (versions of the distribution)")
	c.AddCommand(newReleaseCreateCmd(r), newReleaseListCmd(r), newReleaseShowCmd(r), newReleasePhaseCmd(r))
	return c
}

func newReleaseCreateCmd(r *remote) *cobra.Command {
	var (
		baseOS  string
		version string
		eol     string
		arches  []string
		asJSON  bool
	)
	c := &cobra.Command{
		Use:   `create NAME --base-os "Rocky Linux 8" [--version 10.1] [--eol 2029-05-31] [--arch x86_64 ...]`,
		Short: "Create a release with SME Server's channels (os, updates, addons ...)",
		Args:  nArgs(1, 1, "the release's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(baseOS) == "" {
				return usageErr(`--base-os is required: say which OS the release is built on, for example --base-os "Rocky Linux 8"`)
			}
			c, err := r.client(true)
			if err != nil {
				return err
			}
			ri, err := c.CreateReleaseSpec(cmd.Context(), client.ReleaseSpec{Name: args[0], Version: version, BaseOS: baseOS, Arches: arches, EOL: eol})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONTo(w, ri)
			}
			var names []string
			for _, ch := range ri.Channels {
				names = append(names, ch.Name)
			}
			fmt.Fprintf(w, "created release %s (version %d.%d) on %s for %s, in phase %s, with channels %s\n", ri.Release.Name,
				ri.Release.Major, ri.Release.Minor, ri.Release.BaseOS, strings.Join(ri.Release.Arches, ", "), ri.Release.Phase, strings.Join(names, ", "))
			if ri.Release.Development {
				fmt.Fprintln(w, "it is the development branch")
			}
			if ri.Release.FromRelease != "" {
				fmt.Fprintf(w, "its channels start with the content of release %s\n", ri.Release.FromRelease)
			}
			fmt.Fprintf(w, "servers get its channels from %s/repo/%s.repo\n", c.BaseURL(), ri.Release.Name)
			return nil
		},
	}
	c.Flags().StringVar(&baseOS, "base-os", "", `the OS the release is built on, for example "Rocky Linux 8" (required)`)
	c.Flags().StringVar(&version, "version", "", "MAJOR.MINOR (default: the name)")
	c.Flags().StringVar(&eol, "eol", "", "end of life, YYYY-MM-DD (default: the base OS's)")
	c.Flags().StringSliceVar(&arches, "arch", nil, "base architecture, repeatable (default x86_64)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the server's answer as JSON")
	return c
}

func newReleaseListCmd(r *remote) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the releases",
		Args:  nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(false)
			if err != nil {
				return err
			}
			rs, err := c.Releases(cmd.Context())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONTo(w, rs)
			}
			if len(rs) == 0 {
				fmt.Fprintln(w, `no releases yet; create one with: smeforge release create NAME --base-os "Rocky Linux 8"`)
				return nil
			}
			tw := newTable(w)
			fmt.Fprintln(tw, "RELEASE\tVERSION\tBASE OS\tPHASE\tEND OF LIFE\tARCHITECTURES")
			for _, rel := range rs {
				phase := rel.Phase
				if rel.Development {
					phase += " (development branch)"
				}
				fmt.Fprintf(tw, "%s\t%d.%d\t%s\t%s\t%s\t%s\n", rel.Name, rel.Major, rel.Minor, rel.BaseOS, phase, day(rel.EOL), strings.Join(rel.Arches, ","))
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newReleaseShowCmd(r *remote) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a release and its channels",
		Args:  nArgs(1, 1, "the release's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(false)
			if err != nil {
				return err
			}
			ri, err := c.Release(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONTo(w, ri)
			}
			rel := ri.Release
			fmt.Fprintf(w, "release %s (version %d.%d), on %s, for %s\n", rel.Name, rel.Major, rel.Minor, rel.BaseOS, strings.Join(rel.Arches, ", "))
			dev := ""
			if rel.Development {
				dev = " — the development branch"
			}
			fmt.Fprintf(w, "phase: %s%s; end of life: %s\n", rel.Phase, dev, day(rel.EOL))
			for _, p := range []string{"planning", "alpha", "beta", "rc", "final", "maintenance", "eol"} {
				if t, ok := rel.PhaseDates[p]; ok {
					fmt.Fprintf(w, "  %-12s %s\n", p, when(t))
				}
			}
			fmt.Fprintf(w, "servers get its channels from %s/repo/%s.repo\n\n", c.BaseURL(), rel.Name)
			if err := channelTable(w, ri.Channels); err != nil {
				return err
			}
			if ri.PreviousRelease != "" {
				fmt.Fprintf(w, "\nchanges since release %s: %d\n", ri.PreviousRelease, len(ri.Changes))
				for _, ch := range ri.Changes {
					switch {
					case ch.Before == "":
						fmt.Fprintf(w, "  %s: added %s\n", ch.Channel, ch.After)
					case ch.After == "":
						fmt.Fprintf(w, "  %s: removed %s\n", ch.Channel, ch.Before)
					default:
						fmt.Fprintf(w, "  %s: %s -> %s\n", ch.Channel, ch.Before, ch.After)
					}
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func day(t time.Time) string {
	if t.IsZero() {
		return "not known"
	}
	return t.UTC().Format("2006-01-02")
}

func newReleasePhaseCmd(r *remote) *cobra.Command {
	return &cobra.Command{
		Use:   "phase NAME PHASE",
		Short: "Move a release to a phase: alpha, beta, rc, final, maintenance or eol",
		Args:  nArgs(2, 2, "the release's name and the phase"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(true)
			if err != nil {
				return err
			}
			rel, err := c.SetPhase(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "release %s is now in phase %s\n", rel.Name, rel.Phase)
			return nil
		},
	}
}

func channelTable(w io.Writer, chans []client.Channel) error {
	if len(chans) == 0 {
		fmt.Fprintln(w, "no channels")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "CHANNEL\tON SERVERS AS\tENABLED\tACCEPTS\tBUILDS\tVERSION\tPUBLISHED\tDESCRIPTION")
	for _, ch := range chans {
		pub := "never"
		if ch.PublishedVersion > 0 || !ch.PublishedAt.IsZero() {
			pub = "version " + strconv.FormatInt(ch.PublishedVersion, 10)
		}
		if ch.Frozen {
			pub += " (frozen)"
		}
		acc := strings.Join(ch.Accepts, ",")
		if acc == "" {
			acc = "any"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", ch.Name, ch.ClientName, yesNo(ch.Enabled), acc, ch.Builds, ch.Version, pub, ch.Description)
	}
	return tw.Flush()
}

// ---- channel ----

func newChannelCmd(r *remote) *cobra.Command {
	c := groupCmd("channel", "Create channels and move builds in and out of them")
	c.AddCommand(newChannelCreateCmd(r), newChannelAddCmd(r), newChannelRemoveCmd(r), newChannelListCmd(r), newChannelShowCmd(r), newChannelRollbackCmd(r))
	return c
}

func newChannelCreateCmd(r *remote) *cobra.Command {
	var (
		opts   client.ChannelOptions
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "create RELEASE NAME [--description TEXT] [--disabled] [--arch ARCH ...]",
		Short: "Add a channel to a release",
		Args:  nArgs(2, 2, "a release and the new channel's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(true)
			if err != nil {
				return err
			}
			ch, err := c.CreateChannel(cmd.Context(), args[0], args[1], opts)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONTo(w, ch)
			}
			state := "enabled"
			if !ch.Enabled {
				state = "disabled"
			}
			fmt.Fprintf(w, "created channel %s/%s for %s (%s by default on servers)\n", ch.Release, ch.Name, strings.Join(ch.Arches, ", "), state)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Description, "description", "", "what the channel is for, in a sentence")
	f.BoolVar(&opts.Disabled, "disabled", false, "servers get the channel disabled (enable it with --enablerepo)")
	f.StringSliceVar(&opts.Arches, "arch", nil, "base architecture, repeatable (default: the release's)")
	f.BoolVar(&asJSON, "json", false, "print the server's answer as JSON")
	return c
}

func newChannelAddCmd(r *remote) *cobra.Command {
	c := &cobra.Command{
		Use:   "add RELEASE CHANNEL BUILD...",
		Short: "Add builds to a channel (one new channel version; publish to serve it)",
		Long: `Add builds to a channel. A build is named by its source package's
name-version-release, as printed by "smeforge upload" and "smeforge build list".
All builds are added in one new version of the channel, or none if one is
unknown or already there. Run "smeforge publish" to serve the new version.`,
		Args: nArgs(3, -1, "a release, a channel and at least one build"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(true)
			if err != nil {
				return err
			}
			v, err := c.AddBuilds(cmd.Context(), args[0], args[1], args[2:]...)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s/%s is now at version %d: %s\n", args[0], args[1], v.Version, v.Change)
			fmt.Fprintf(w, "serve it with: smeforge publish %s %s\n", args[0], args[1])
			return nil
		},
	}
	return c
}

func newChannelRemoveCmd(r *remote) *cobra.Command {
	c := &cobra.Command{
		Use:   "remove RELEASE CHANNEL BUILD...",
		Short: "Remove builds from a channel (one channel version each)",
		Args:  nArgs(3, -1, "a release, a channel and at least one build"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(true)
			if err != nil {
				return err
			}
			release, channel, builds := args[0], args[1], args[2:]
			w := cmd.OutOrStdout()
			var failed int
			var last error
			for _, b := range builds {
				v, err := c.RemoveBuild(cmd.Context(), release, channel, b)
				if err != nil {
					if cmd.Context().Err() != nil {
						return err
					}
					failed++
					last = err
					if len(builds) > 1 {
						fmt.Fprintf(cmd.ErrOrStderr(), "failed: %s: %v\n", b, err)
					}
					continue
				}
				fmt.Fprintf(w, "removed %s from %s/%s (now at version %d)\n", b, release, channel, v.Version)
			}
			switch {
			case failed == 1 && len(builds) == 1:
				return last
			case failed > 0:
				return fmt.Errorf("%d of %d builds could not be removed (see above)", failed, len(builds))
			}
			fmt.Fprintf(w, "serve it with: smeforge publish %s %s\n", release, channel)
			return nil
		},
	}
	return c
}

func newChannelListCmd(r *remote) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list RELEASE",
		Short: "List the channels of a release",
		Args:  nArgs(1, 1, "a release"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(false)
			if err != nil {
				return err
			}
			chans, err := c.Channels(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONTo(cmd.OutOrStdout(), chans)
			}
			return channelTable(cmd.OutOrStdout(), chans)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newChannelShowCmd(r *remote) *cobra.Command {
	var (
		asJSON  bool
		history int
	)
	c := &cobra.Command{
		Use:   "show RELEASE CHANNEL",
		Short: "Show a channel: its builds, its versions and where it is served",
		Args:  nArgs(2, 2, "a release and a channel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(false)
			if err != nil {
				return err
			}
			ci, err := c.Channel(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONTo(w, ci)
			}
			ch := ci.Channel
			fmt.Fprintf(w, "channel %s/%s", ch.Release, ch.Name)
			if ch.Description != "" {
				fmt.Fprintf(w, ": %s", ch.Description)
			}
			fmt.Fprintf(w, "\nenabled on servers: %s; architectures: %s (and sources)\n", yesNo(ch.Enabled), strings.Join(ch.Arches, ", "))
			if ch.PublishedAt.IsZero() {
				fmt.Fprintf(w, "latest version %d; never published\n", ch.Version)
			} else {
				fmt.Fprintf(w, "latest version %d; published: version %d, at %s\n", ch.Version, ch.PublishedVersion, when(ch.PublishedAt))
			}
			fmt.Fprintf(w, "repository: %s\n", ci.RepoURL)
			fmt.Fprintf(w, "\n%s:\n", plural(len(ci.Builds), "build", "builds"))
			for _, b := range ci.Builds {
				fmt.Fprintf(w, "  %s\n", b)
			}
			if len(ci.Versions) > 0 {
				fmt.Fprintln(w, "\nhistory:")
				tw := newTable(w)
				for i, v := range ci.Versions {
					if history > 0 && i == history {
						fmt.Fprintf(tw, "  ...\t%d older versions (--history 0 shows all)\n", len(ci.Versions)-i)
						break
					}
					by := v.CreatedBy
					if by == "" {
						by = "-"
					}
					fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", v.Version, when(v.CreatedAt), by, v.Change)
				}
				tw.Flush()
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().IntVar(&history, "history", 10, "versions listed, newest first (0: all)")
	return c
}

// ---- publish ----

func newPublishCmd(r *remote) *cobra.Command {
	var (
		version int64
		asJSON  bool
	)
	c := &cobra.Command{
		Use:   "publish RELEASE CHANNEL [--version N]",
		Short: "Write a channel's repositories and serve them",
		Long: `Publish a channel: write the repositories of one of its versions (the latest
unless --version says otherwise), one per architecture and one of sources, and
make them the ones servers download.`,
		Args: nArgs(2, 2, "a release and a channel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if version < 0 {
				return usageErr("--version must be a channel version (1, 2 ...) or 0 for the latest")
			}
			c, err := r.client(true)
			if err != nil {
				return err
			}
			res, err := c.Publish(cmd.Context(), args[0], args[1], version)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONTo(w, res)
			}
			fmt.Fprintf(w, "published %s/%s version %d in %.2f s:\n", res.Release, res.Channel, res.Version, res.Seconds)
			repos := make([]string, 0, len(res.Repos))
			for name := range res.Repos {
				repos = append(repos, name)
			}
			slices.Sort(repos)
			tw := newTable(w)
			for _, name := range repos {
				fmt.Fprintf(tw, "  %s\t%s\n", name, plural(res.Repos[name].Packages, "package", "packages"))
			}
			tw.Flush()
			fmt.Fprintf(w, "repository: %s/repo/%s/%s/ (servers: %s/repo/%s.repo)\n", c.BaseURL(), res.Release, res.Channel, c.BaseURL(), res.Release)
			return nil
		},
	}
	c.Flags().Int64Var(&version, "version", 0, "channel version to publish (default: the latest)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the server's answer as JSON")
	return c
}

// ---- packages ----

func newPackagesCmd(r *remote) *cobra.Command {
	c := groupCmd("packages", "Search the packages the forge holds")
	c.AddCommand(newPackagesSearchCmd(r), newPackagesShowCmd(r))
	return c
}

func newPackagesSearchCmd(r *remote) *cobra.Command {
	var (
		q      client.Query
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "search [TEXT] [--release R] [--channel C] [--arch A]",
		Short: "List packages whose name contains TEXT",
		Args:  nArgs(0, 1, "at most one text to search for"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if q.Limit < 0 || q.Offset < 0 {
				return usageErr("--limit and --offset cannot be negative")
			}
			if len(args) == 1 {
				q.Text = args[0]
			}
			c, err := r.client(false)
			if err != nil {
				return err
			}
			res, err := c.SearchPackages(cmd.Context(), q)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONTo(w, res)
			}
			if len(res.Packages) == 0 {
				if res.Total > 0 {
					fmt.Fprintf(w, "no packages past the first %d of %d\n", q.Offset, res.Total)
				} else {
					fmt.Fprintln(w, "no packages match")
				}
				return nil
			}
			tw := newTable(w)
			fmt.Fprintln(tw, "NAME\tVERSION\tARCH\tBUILD\tCHANNELS")
			for _, p := range res.Packages {
				var chans []string
				for _, ch := range p.Channels {
					chans = append(chans, ch.Release+"/"+ch.Channel)
				}
				in := strings.Join(chans, ",")
				if in == "" {
					in = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.EVR(), p.Arch, p.Build, in)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if shown := q.Offset + len(res.Packages); shown < res.Total || q.Offset > 0 {
				fmt.Fprintf(w, "packages %d to %d of %d (--limit, --offset)\n", q.Offset+1, shown, res.Total)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&q.Release, "release", "", "only packages in a channel of this release")
	f.StringVar(&q.Channel, "channel", "", "only packages in a channel of this name")
	f.StringVar(&q.Arch, "arch", "", "only packages of this architecture (noarch, x86_64, src ...)")
	f.IntVar(&q.Limit, "limit", 100, "packages listed at most (the server allows up to 1000)")
	f.IntVar(&q.Offset, "offset", 0, "packages skipped first")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newPackagesShowCmd(r *remote) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show SHA256",
		Short: "Show one package file, named by its SHA-256 sum",
		Args:  nArgs(1, 1, "a package's SHA-256 sum"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(false)
			if err != nil {
				return err
			}
			pi, err := c.Package(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONTo(w, pi)
			}
			p, d := pi.Package, pi.Details
			fmt.Fprintf(w, "%s: %s\n", p.NEVRA(), p.Summary)
			tw := newTable(w)
			fmt.Fprintf(tw, "file\t%s (%s)\n", p.Filename, byteSize(p.Size))
			fmt.Fprintf(tw, "build\t%s\n", p.Build)
			fmt.Fprintf(tw, "license\t%s\n", p.License)
			if p.URL != "" {
				fmt.Fprintf(tw, "url\t%s\n", p.URL)
			}
			if p.SignatureKeyID != "" {
				fmt.Fprintf(tw, "signed\tby key %s (%s)\n", p.SignatureKeyID, p.SignatureAlgorithm)
			} else {
				fmt.Fprintf(tw, "signed\tno\n")
			}
			fmt.Fprintf(tw, "uploaded\t%s by %s\n", when(p.UploadedAt), p.UploadedBy)
			fmt.Fprintf(tw, "sha256\t%s\n", p.SHA256)
			fmt.Fprintf(tw, "contents\t%s, %s, %s, %s\n", plural(len(d.Files), "file", "files"),
				plural(len(d.Requires), "requirement", "requirements"), plural(len(d.Provides), "provide", "provides"),
				plural(len(d.Changelog), "changelog entry", "changelog entries"))
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON, with requires, provides, files and changelog")
	return c
}

// ---- build ----

func newBuildCmd(r *remote) *cobra.Command {
	c := groupCmd("build", "List builds (a source package and the binaries made from it)")
	c.AddCommand(newBuildListCmd(r), newBuildShowCmd(r), newBuildCategoryCmd(r), newBuildSignCmd(r))
	return c
}

func newBuildListCmd(r *remote) *cobra.Command {
	var (
		q      client.BuildQuery
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "list [TEXT]",
		Short: "List builds whose id contains TEXT",
		Args:  nArgs(0, 1, "at most one text to search for"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if q.Limit < 0 || q.Offset < 0 {
				return usageErr("--limit and --offset cannot be negative")
			}
			if len(args) == 1 {
				q.Text = args[0]
			}
			c, err := r.client(false)
			if err != nil {
				return err
			}
			bs, err := c.Builds(cmd.Context(), q)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONTo(w, bs)
			}
			if len(bs) == 0 {
				fmt.Fprintln(w, "no builds match")
				return nil
			}
			tw := newTable(w)
			fmt.Fprintln(tw, "BUILD\tSOURCE PACKAGE\tCREATED")
			for _, b := range bs {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", b.ID, yesNo(b.HasSource), when(b.CreatedAt))
			}
			return tw.Flush()
		},
	}
	f := c.Flags()
	f.IntVar(&q.Limit, "limit", 100, "builds listed at most (the server allows up to 1000)")
	f.IntVar(&q.Offset, "offset", 0, "builds skipped first")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newBuildShowCmd(r *remote) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show a build and its package files",
		Args:  nArgs(1, 1, "a build id (name-version-release of its source package)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(false)
			if err != nil {
				return err
			}
			b, err := c.Build(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSONTo(w, b)
			}
			fmt.Fprintf(w, "build %s: %s version %s-%s, created %s\n", b.ID, b.Name, b.Version, b.Release, when(b.CreatedAt))
			if !b.HasSource {
				fmt.Fprintln(w, "its source package (SRPM) has not been uploaded yet")
			}
			tw := newTable(w)
			fmt.Fprintln(tw, "FILE\tARCH\tSIZE\tSHA256")
			for _, a := range b.Artifacts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Filename, a.Arch, byteSize(a.Size), a.SHA256)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newChannelRollbackCmd(r *remote) *cobra.Command {
	return &cobra.Command{
		Use:   "rollback RELEASE CHANNEL VERSION",
		Short: "Publish an earlier version of a channel again",
		Args:  nArgs(3, 3, "the release, the channel and the version to publish again"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := strconv.ParseInt(args[2], 10, 64)
			if err != nil || v < 1 {
				return usageErr("VERSION must be a version number (1 or more), not %q", args[2])
			}
			c, err := r.client(true)
			if err != nil {
				return err
			}
			res, err := c.Rollback(cmd.Context(), args[0], args[1], v)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s/%s now serves version %d again\n", args[0], args[1], res.Version)
			return nil
		},
	}
}

func newBuildCategoryCmd(r *remote) *cobra.Command {
	return &cobra.Command{
		Use:   "category ID CATEGORY",
		Short: "Move a build to a category (base, infra, core, addons, test, dev)",
		Args:  nArgs(2, 2, "the build's id and the category"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(true)
			if err != nil {
				return err
			}
			b, err := c.SetBuildCategory(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "build %s is now in category %s\n", b.ID, b.Category)
			return nil
		},
	}
}

func newBuildSignCmd(r *remote) *cobra.Command {
	return &cobra.Command{
		Use:   "sign ID",
		Short: "Sign a build with the project's active key",
		Args:  nArgs(1, 1, "the build's id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(true)
			if err != nil {
				return err
			}
			b, err := c.SignBuild(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "build %s is signed\n", b.ID)
			return nil
		},
	}
}

// newSigningCmd groups the server's key management.
func newSigningCmd(r *remote) *cobra.Command {
	c := &cobra.Command{Use: "signing", Short: "The forge's signing keys: list, rotate, retire"}
	var keyType string
	rotate := &cobra.Command{
		Use:   "rotate [--type rsa|eddsa]",
		Short: "Make a new signing key, sign every signed build again and republish",
		Args:  nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(true)
			if err != nil {
				return err
			}
			res, err := c.RotateKey(cmd.Context(), keyType)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "key %s now signs (was %s); %d builds signed again, %d channels republished\n",
				res.Rotation.NewKey, res.Rotation.OldKey, len(res.Rotation.Resigned), len(res.Republished))
			fmt.Fprintf(cmd.OutOrStdout(), "the old key is still served; retire it later with: smeforge signing retire %s\n", res.Rotation.OldKey)
			return nil
		},
	}
	rotate.Flags().StringVar(&keyType, "type", "rsa", "rsa (4096 bits) or eddsa")
	list := &cobra.Command{
		Use:   "keys",
		Short: "List the public keys the forge serves",
		Args:  nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(false)
			if err != nil {
				return err
			}
			active, keys, err := c.Keys(cmd.Context())
			if err != nil {
				return err
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "KEY ID\tALGORITHM\tCREATED\tSIGNS NOW")
			for _, k := range keys {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.KeyID, k.Algorithm, when(k.CreatedAt), yesNo(k.KeyID == active))
			}
			return tw.Flush()
		},
	}
	retire := &cobra.Command{
		Use:   "retire KEYID",
		Short: "Stop serving a key that no longer signs anything",
		Args:  nArgs(1, 1, "the key id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client(true)
			if err != nil {
				return err
			}
			if err := c.RetireKey(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "key %s is retired\n", args[0])
			return nil
		},
	}
	c.AddCommand(rotate, list, retire)
	return c
}
