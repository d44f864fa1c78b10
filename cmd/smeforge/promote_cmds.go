package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/smeserver/smeforge/client"
	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
	"github.com/spf13/cobra"
)

// newPromoteCmds returns the promotion, test report, fork agreement,
// project and audit commands.
func newPromoteCmds() []*cobra.Command {
	r := &remote{}
	cmds := []*cobra.Command{newPromoteCmd(r), newTestReportCmd(r), newForkCmd(r), newProjectCmd(r)}
	for _, c := range cmds {
		r.addFlags(c)
	}
	return append(cmds, newAuditCmd())
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, usageErr("%q is not a request or agreement number", s)
	}
	return id, nil
}

func printPromotion(w io.Writer, p *client.Promotion) {
	fmt.Fprintf(w, "request %d: %s %s -> %s in %s (category %s, channel %s): %s\n", p.ID, p.Build, p.From, p.To, p.Release, p.Category, p.ToChannel, p.State)
	for _, g := range p.LatestGates() {
		mark := "ok  "
		if !g.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %-16s %s\n", mark, g.Gate, g.Summary)
	}
	for _, r := range p.Reviews {
		fmt.Fprintf(w, "  review %s: %d of %d %s\n", r.Role, r.Have, r.Need, strings.Join(r.By, ", "))
	}
}

func newPromoteCmd(r *remote) *cobra.Command {
	c := groupCmd("promote", "Promotion requests: request, list, show, vote, withdraw, reopen, execute")
	var category, comment string
	req := &cobra.Command{
		Use: "request BUILD RELEASE FROM TO", Short: "Ask for a build's promotion (from/to: a category or a channel)", Args: nArgs(4, 4, "a build, a release, from and to"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			p, err := cl.RequestPromotion(cmd.Context(), client.PromotionRequest{Build: args[0], Release: args[1], From: args[2], To: args[3], Category: category, Comment: comment})
			if err != nil {
				return err
			}
			printPromotion(cmd.OutOrStdout(), p)
			return nil
		},
	}
	req.Flags().StringVar(&category, "category", "", "category for a channel target that does not take the build's own (default core)")
	req.Flags().StringVar(&comment, "comment", "", "why")
	var state, build, role string
	list := &cobra.Command{
		Use: "list", Short: "List promotion requests", Args: nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(false)
			if err != nil {
				return err
			}
			ps, err := cl.Promotions(cmd.Context(), client.PromotionQuery{State: state, Build: build, ReviewerRole: role})
			if err != nil {
				return err
			}
			for _, p := range ps {
				fmt.Fprintf(cmd.OutOrStdout(), "%d\t%s\t%s -> %s\t%s\t%s\n", p.ID, p.Build, p.From, p.To, p.Release, p.State)
			}
			return nil
		},
	}
	list.Flags().StringVar(&state, "state", "", "only requests in this state")
	list.Flags().StringVar(&build, "build", "", "only requests for this build")
	list.Flags().StringVar(&role, "reviewer-role", "", "only requests waiting for this role's approval")
	one := func(use, short string, needToken bool, do func(cmd *cobra.Command, cl *client.Client, id int64, args []string) (*client.Promotion, error), n int, what string) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: nArgs(1, n, what),
			RunE: func(cmd *cobra.Command, args []string) error {
				id, err := parseID(args[0])
				if err != nil {
					return err
				}
				cl, err := r.client(needToken)
				if err != nil {
					return err
				}
				p, err := do(cmd, cl, id, args[1:])
				if err != nil {
					return err
				}
				printPromotion(cmd.OutOrStdout(), p)
				return nil
			},
		}
	}
	show := one("show ID", "Show a request with its gates and reviews", false, func(cmd *cobra.Command, cl *client.Client, id int64, _ []string) (*client.Promotion, error) {
		return cl.Promotion(cmd.Context(), id)
	}, 1, "a request number")
	vote := one("vote ID approve|reject [COMMENT]", "Approve or reject a request", true, func(cmd *cobra.Command, cl *client.Client, id int64, a []string) (*client.Promotion, error) {
		if len(a) == 0 {
			return nil, usageErr("say approve or reject")
		}
		return cl.VotePromotion(cmd.Context(), id, a[0], strings.Join(a[1:], " "))
	}, 3, "a request number, approve or reject, and a comment")
	withdraw := one("withdraw ID [REASON]", "Withdraw your request", true, func(cmd *cobra.Command, cl *client.Client, id int64, a []string) (*client.Promotion, error) {
		return cl.WithdrawPromotion(cmd.Context(), id, strings.Join(a, " "))
	}, 2, "a request number and a reason")
	reopen := one("reopen ID", "Open a rejected or withdrawn request again", true, func(cmd *cobra.Command, cl *client.Client, id int64, _ []string) (*client.Promotion, error) {
		return cl.ReopenPromotion(cmd.Context(), id)
	}, 1, "a request number")
	execute := one("execute ID", "Carry out an approved request", true, func(cmd *cobra.Command, cl *client.Client, id int64, _ []string) (*client.Promotion, error) {
		return cl.ExecutePromotion(cmd.Context(), id)
	}, 1, "a request number")
	c.AddCommand(req, list, show, vote, withdraw, reopen, execute)
	return c
}

func newTestReportCmd(r *remote) *cobra.Command {
	var release, env, text string
	c := &cobra.Command{
		Use: "test-report BUILD works|fails", Short: "File a test report on a build", Args: nArgs(2, 2, "a build and works or fails"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			rep, err := cl.FileTestReport(cmd.Context(), args[0], client.TestReport{Release: release, Verdict: args[1], Environment: env, Text: text})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "report %d: %s %s\n", rep.ID, rep.Build, rep.Verdict)
			return nil
		},
	}
	c.Flags().StringVar(&release, "release", "", "the release tested")
	c.Flags().StringVar(&env, "environment", "", "what you tested on")
	c.Flags().StringVar(&text, "text", "", "what you did and what happened")
	return c
}

func printFork(w io.Writer, f *client.ForkAgreement) {
	fmt.Fprintf(w, "fork agreement %d: %s replaces %s: %s\n", f.ID, f.Package, strings.Join(f.Replaces, ", "), f.State)
	for _, r := range f.Reviews {
		fmt.Fprintf(w, "  %s: %d of %d\n", r.Role, r.Have, r.Need)
	}
}

func newForkCmd(r *remote) *cobra.Command {
	c := groupCmd("fork", "Fork agreements: request, vote, list")
	var rationale, contact string
	req := &cobra.Command{
		Use: "request PACKAGE REPLACED...", Short: "Ask for a fork agreement", Args: nArgs(2, -1, "a package and the packages it replaces"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			f, err := cl.RequestFork(cmd.Context(), args[0], args[1:], rationale, contact)
			if err != nil {
				return err
			}
			printFork(cmd.OutOrStdout(), f)
			return nil
		},
	}
	req.Flags().StringVar(&rationale, "rationale", "", "why the fork is needed")
	req.Flags().StringVar(&contact, "upstream-contact", "", "who upstream was contacted")
	vote := &cobra.Command{
		Use: "vote ID approve|reject [COMMENT]", Short: "Approve or reject a fork agreement", Args: nArgs(2, 3, "an agreement number, approve or reject, and a comment"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			f, err := cl.VoteFork(cmd.Context(), id, args[1], strings.Join(args[2:], " "))
			if err != nil {
				return err
			}
			printFork(cmd.OutOrStdout(), f)
			return nil
		},
	}
	var state string
	list := &cobra.Command{
		Use: "list", Short: "List fork agreements", Args: nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(false)
			if err != nil {
				return err
			}
			fs, err := cl.Forks(cmd.Context(), state)
			if err != nil {
				return err
			}
			for i := range fs {
				printFork(cmd.OutOrStdout(), &fs[i])
			}
			return nil
		},
	}
	list.Flags().StringVar(&state, "state", "", "only agreements in this state")
	c.AddCommand(req, vote, list)
	return c
}

func newProjectCmd(r *remote) *cobra.Command {
	c := groupCmd("project", "Projects and maintainers: list, show, add-maintainer, remove-maintainer")
	print := func(w io.Writer, p *client.Project) {
		fmt.Fprintf(w, "%s\t%s\tmaintainers: %s\n", p.Name, p.Status, strings.Join(p.Maintainers, ", "))
	}
	list := &cobra.Command{
		Use: "list", Short: "List projects", Args: nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(false)
			if err != nil {
				return err
			}
			ps, err := cl.Projects(cmd.Context())
			if err != nil {
				return err
			}
			for i := range ps {
				print(cmd.OutOrStdout(), &ps[i])
			}
			return nil
		},
	}
	show := &cobra.Command{
		Use: "show NAME", Short: "Show a project", Args: nArgs(1, 1, "a project name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(false)
			if err != nil {
				return err
			}
			p, err := cl.Project(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			print(cmd.OutOrStdout(), p)
			return nil
		},
	}
	setM := func(use string, add bool) *cobra.Command {
		return &cobra.Command{
			Use: use + " PROJECT ACCOUNT", Short: use + " of a project", Args: nArgs(2, 2, "a project and an account"),
			RunE: func(cmd *cobra.Command, args []string) error {
				cl, err := r.client(true)
				if err != nil {
					return err
				}
				var p *client.Project
				if add {
					p, err = cl.AddMaintainer(cmd.Context(), args[0], args[1])
				} else {
					p, err = cl.RemoveMaintainer(cmd.Context(), args[0], args[1])
				}
				if err != nil {
					return err
				}
				print(cmd.OutOrStdout(), p)
				return nil
			},
		}
	}
	c.AddCommand(list, show, setM("add-maintainer", true), setM("remove-maintainer", false))
	return c
}

func newAuditCmd() *cobra.Command {
	c := groupCmd("audit", "The audit log: verify (local), list (remote)")
	var data string
	verify := &cobra.Command{
		Use: "verify --data DIR", Short: "Check the audit log's hash chain in a data folder (no server needed)", Args: nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := sqlstore.OpenSQLite(cmd.Context(), filepath.Join(data, "smeforge.db"))
			if err != nil {
				return err
			}
			defer st.Close()
			events, err := st.AuditEvents(cmd.Context(), audit.Query{})
			if err != nil {
				return err
			}
			probs := audit.Verify(events, "")
			for _, p := range probs {
				fmt.Fprintln(cmd.OutOrStdout(), p.String())
			}
			if len(probs) > 0 {
				return &exitError{code: 1, err: fmt.Errorf("the audit log of %s has %d problem(s)", data, len(probs))}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d entries, the chain is whole\n", len(events))
			return nil
		},
	}
	verify.Flags().StringVar(&data, "data", "./smeforge-data", "data folder")
	r := &remote{}
	var after int64
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List the audit log (needs the view-audit action)", Args: nArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client(true)
			if err != nil {
				return err
			}
			ev, err := cl.Audit(cmd.Context(), after, limit)
			if err != nil {
				return err
			}
			for _, e := range ev {
				fmt.Fprintf(cmd.OutOrStdout(), "%d\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Format("2006-01-02 15:04:05"), e.Actor, e.Action, e.Subject)
			}
			return nil
		},
	}
	list.Flags().Int64Var(&after, "after", 0, "only entries after this number")
	list.Flags().IntVar(&limit, "limit", 1000, "at most this many entries")
	r.addFlags(list)
	c.AddCommand(verify, list)
	return c
}
