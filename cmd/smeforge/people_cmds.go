package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/smeserver/smeforge/client"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// newPeopleCmds returns the account, token and team commands.
func newPeopleCmds() []*cobra.Command {
	r := &remote{}
	cmds := []*cobra.Command{newAccountCmd(r), newTokenCmd(r), newTeamCmd(r)}
	for _, c := range cmds {
		r.addFlags(c)
	}
	return cmds
}

// passwordSource says where a password comes from: a file, or standard
// input (a prompt on a terminal). Never a flag's value: that would show in
// the process list and the shell history.
type passwordSource struct {
	file  string
	stdin bool
}

func (p *passwordSource) addFlags(c *cobra.Command, what string) {
	c.Flags().StringVar(&p.file, "password-file", "", "read the "+what+" from the first line of this file")
	c.Flags().BoolVar(&p.stdin, "password-stdin", false, "read the "+what+" from the first line of standard input (a prompt on a terminal)")
}

func (p *passwordSource) given() bool { return p.file != "" || p.stdin }

// read returns the password, or "" when no source was given.
func (p *passwordSource) read(cmd *cobra.Command, prompt string) (string, error) {
	switch {
	case p.file != "" && p.stdin:
		return "", usageErr("give --password-file or --password-stdin, not both")
	case p.file != "":
		b, err := os.ReadFile(p.file)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	case p.stdin:
		return readSecretLine(cmd, prompt, true)
	}
	return "", nil
}

// readSecretLine reads one line of standard input; on a terminal it
// prompts without echo, twice when confirm.
func readSecretLine(cmd *cobra.Command, prompt string, confirm bool) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt+": ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if confirm {
			fmt.Fprint(cmd.ErrOrStderr(), "again: ")
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(cmd.ErrOrStderr())
			if err != nil {
				return "", fmt.Errorf("reading the password: %w", err)
			}
			if string(a) != string(b) {
				return "", usageErr("the two passwords differ")
			}
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func printAccount(w io.Writer, a *client.Account) {
	roles := strings.Join(a.Roles, ", ")
	if roles == "" {
		roles = "(none)"
	}
	state := "enabled"
	if a.Disabled {
		state = "disabled"
	}
	fmt.Fprintf(w, "account:     %s\nroles:       %s\nstate:       %s\ncreated:     %s\nlast login:  %s\n",
		a.Name, roles, state, when(a.CreatedAt), when(a.LastLoginAt))
}

func newAccountCmd(r *remote) *cobra.Command {
	c := groupCmd("account", "Accounts: create, list, show, roles, disable, enable, password")
	var roles []string
	var pw passwordSource
	create := &cobra.Command{
		Use:   "create NAME [--role ROLE]... [--password-file FILE | --password-stdin]",
		Short: "Create an account (needs manage-accounts)",
		Args:  nArgs(1, 1, "the account name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			p, err := pw.read(cmd, "password for "+args[0])
			if err != nil {
				return err
			}
			a, err := cl.CreateAccount(cmd.Context(), args[0], p, roles)
			if err != nil {
				return err
			}
			printAccount(cmd.OutOrStdout(), a)
			return nil
		},
	}
	create.Flags().StringArrayVar(&roles, "role", nil, "a policy role to give (repeat for more)")
	pw.addFlags(create, "password")
	list := &cobra.Command{
		Use: "list", Short: "List the accounts (needs manage-accounts)", Args: nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			as, err := cl.Accounts(cmd.Context())
			if err != nil {
				return err
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ACCOUNT\tROLES\tDISABLED\tLAST LOGIN")
			for _, a := range as {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, strings.Join(a.Roles, ","), yesNo(a.Disabled), when(a.LastLoginAt))
			}
			return tw.Flush()
		},
	}
	show := &cobra.Command{
		Use: "show [NAME]", Short: "Show an account (yours without NAME)", Args: nArgs(0, 1, "an optional account name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			var a *client.Account
			if len(args) == 0 {
				a, err = cl.Me(cmd.Context())
			} else {
				a, err = cl.Account(cmd.Context(), args[0])
			}
			if err != nil {
				return err
			}
			printAccount(cmd.OutOrStdout(), a)
			return nil
		},
	}
	setRoles := &cobra.Command{
		Use: "roles NAME [ROLE]...", Short: "Replace the roles of an account (none: take every role away)", Args: nArgs(1, -1, "the account name and its roles"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			a, err := cl.SetRoles(cmd.Context(), args[0], args[1:])
			if err != nil {
				return err
			}
			printAccount(cmd.OutOrStdout(), a)
			return nil
		},
	}
	toggle := func(use, short string, disabled bool) *cobra.Command {
		return &cobra.Command{
			Use: use + " NAME", Short: short, Args: nArgs(1, 1, "the account name"),
			RunE: func(cmd *cobra.Command, args []string) error {
				cl, err := r.client(true)
				if err != nil {
					return err
				}
				if _, err := cl.SetDisabled(cmd.Context(), args[0], disabled); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "account %s is %sd\n", args[0], use)
				return nil
			},
		}
	}
	var newPw passwordSource
	var currentFile string
	password := &cobra.Command{
		Use:   "password [NAME] [--password-file FILE | --password-stdin] [--current-password-file FILE]",
		Short: "Set a password (yours without NAME: give the current one unless you manage accounts)",
		Args:  nArgs(0, 1, "an optional account name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			if !newPw.given() {
				return usageErr("give the new password with --password-file FILE or --password-stdin")
			}
			name := ""
			if len(args) == 1 {
				name = args[0]
			} else {
				me, err := cl.Me(cmd.Context())
				if err != nil {
					return err
				}
				name = me.Name
			}
			current := ""
			if currentFile != "" {
				cur := passwordSource{file: currentFile}
				if current, err = cur.read(cmd, ""); err != nil {
					return err
				}
			}
			p, err := newPw.read(cmd, "new password for "+name)
			if err != nil {
				return err
			}
			if err := cl.SetPassword(cmd.Context(), name, current, p); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "the password of %s is set\n", name)
			return nil
		},
	}
	newPw.addFlags(password, "new password")
	password.Flags().StringVar(&currentFile, "current-password-file", "", "read your current password from this file (changing your own)")
	c.AddCommand(create, list, show, setRoles, toggle("disable", "Disable an account: its sign-in and tokens stop working", true),
		toggle("enable", "Enable a disabled account", false), password)
	return c
}

func newTokenCmd(r *remote) *cobra.Command {
	c := groupCmd("token", "API tokens: create, list, revoke")
	var account, label string
	var roles []string
	// who is the account a token command is about: --account, else the
	// caller's own.
	who := func(cmd *cobra.Command, cl *client.Client) (string, error) {
		if account != "" {
			return account, nil
		}
		me, err := cl.Me(cmd.Context())
		if err != nil {
			return "", err
		}
		return me.Name, nil
	}
	create := &cobra.Command{
		Use:   "create --label LABEL [--role ROLE]... [--account NAME]",
		Short: "Make an API token; it is printed this once",
		Args:  nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if label == "" {
				return usageErr("--label is required: say what the token is for")
			}
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			name, err := who(cmd, cl)
			if err != nil {
				return err
			}
			t, err := cl.CreateToken(cmd.Context(), name, label, roles)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "token %s for %s (store it now: it is not shown again):\n", t.Info.ID, name)
			fmt.Fprintln(cmd.OutOrStdout(), t.Token)
			return nil
		},
	}
	create.Flags().StringVar(&label, "label", "", "what the token is for")
	create.Flags().StringArrayVar(&roles, "role", nil, "limit the token to a role (repeat for more; none: every role)")
	list := &cobra.Command{
		Use: "list [--account NAME]", Short: "List tokens (no secrets)", Args: nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			name, err := who(cmd, cl)
			if err != nil {
				return err
			}
			ts, err := cl.Tokens(cmd.Context(), name)
			if err != nil {
				return err
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ID\tLABEL\tROLES\tCREATED\tREVOKED")
			for _, t := range ts {
				rs := strings.Join(t.Roles, ",")
				if rs == "" {
					rs = "(all)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Label, rs, when(t.CreatedAt), yesNo(t.Revoked))
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use: "revoke ID [--account NAME]", Short: "Revoke a token", Args: nArgs(1, 1, "the token's id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			name, err := who(cmd, cl)
			if err != nil {
				return err
			}
			if _, err := cl.RevokeToken(cmd.Context(), name, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s of %s is revoked\n", args[0], name)
			return nil
		},
	}
	for _, sc := range []*cobra.Command{create, list, revoke} {
		sc.Flags().StringVar(&account, "account", "", "the account (default: yours)")
	}
	c.AddCommand(create, list, revoke)
	return c
}

func newTeamCmd(r *remote) *cobra.Command {
	c := groupCmd("team", "Teams: list, set lead, members and contact")
	list := &cobra.Command{
		Use: "list", Short: "List the teams", Args: nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(false)
			if err != nil {
				return err
			}
			ts, err := cl.Teams(cmd.Context())
			if err != nil {
				return err
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "TEAM\tNAME\tLEAD\tMEMBERS\tCONTACT")
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, t.Lead, strings.Join(t.Members, ","), t.Contact)
			}
			return tw.Flush()
		},
	}
	var lead, contact, desc string
	var members []string
	set := &cobra.Command{
		Use: "set TEAM [--lead NAME] [--member NAME]... [--contact TEXT] [--description TEXT]", Short: "Change a team (needs manage-accounts)",
		Args: nArgs(1, 1, "the team (as team list shows it)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			var ch client.TeamChange
			fl := cmd.Flags()
			if fl.Changed("lead") {
				ch.Lead = &lead
			}
			if fl.Changed("contact") {
				ch.Contact = &contact
			}
			if fl.Changed("description") {
				ch.Description = &desc
			}
			if fl.Changed("member") {
				ch.Members = &members
			}
			t, err := cl.UpdateTeam(cmd.Context(), args[0], ch)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: lead %s, members %s, contact %s\n", t.Name, t.Lead, strings.Join(t.Members, ","), t.Contact)
			return nil
		},
	}
	set.Flags().StringVar(&lead, "lead", "", "the account that leads the team (\"\" for nobody)")
	set.Flags().StringArrayVar(&members, "member", nil, "a member (repeat; replaces the members)")
	set.Flags().StringVar(&contact, "contact", "", "how to reach the team")
	set.Flags().StringVar(&desc, "description", "", "what the team does, in plain words")
	c.AddCommand(list, set)
	return c
}
