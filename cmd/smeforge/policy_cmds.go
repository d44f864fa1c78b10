package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/smeserver/smeforge/internal/policy"
	"github.com/spf13/cobra"
)

// newPolicyCmd groups the local tools of the distribution policy: they
// need no server.
func newPolicyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "policy",
		Short: "Show and check the distribution policy: categories, channels, gates, licences",
		Long: "The policy holds the distribution's rules as data. The SME Server policy is built in;\n" +
			"a TOML file can replace it (docs/policy.md describes the format).",
	}
	c.AddCommand(newPolicyShowCmd(), newPolicyCheckCmd(), newPolicyLicenceCmd())
	return c
}

// loadPolicy returns the built-in policy, or the one in file.
func loadPolicy(file string) (*policy.Policy, error) {
	if file == "" {
		return policy.Default(), nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return policy.Load(f, file)
}

// policyErr prints a policy's problems one per line ("FILE:LINE:COL:
// message") and returns the error that ends the command with status 1.
func policyErr(w io.Writer, file string, err error) error {
	var ve *policy.ValidationError
	if !errors.As(err, &ve) {
		return &exitError{code: 1, err: err}
	}
	for _, p := range ve.Problems {
		fmt.Fprintln(w, p.String())
	}
	n := len(ve.Problems)
	plural := "s"
	if n == 1 {
		plural = ""
	}
	return &exitError{code: 1, err: fmt.Errorf("%s: %d problem%s", file, n, plural)}
}

func newPolicyShowCmd() *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "show [--file FILE]",
		Short: "Print the effective policy as TOML (the built-in one unless --file is given)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadPolicy(file)
			if err != nil {
				return policyErr(cmd.ErrOrStderr(), file, err)
			}
			return p.Encode(cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&file, "file", "", "a policy file (TOML) to read instead of the built-in SME Server policy")
	return c
}

func newPolicyCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Check a policy file; each problem is printed as FILE:LINE:COL: message",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("policy check takes one policy file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadPolicy(args[0])
			if err != nil {
				return policyErr(cmd.ErrOrStderr(), args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: policy %q is valid: %d categories, %d channels, %d promotions, %d allowed licences\n",
				args[0], p.Name, len(p.Categories), len(p.Channels), len(p.Promotions), len(p.Licences.Allowed))
			return nil
		},
	}
}

func newPolicyLicenceCmd() *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:     "licence [--file FILE] TAG...",
		Aliases: []string{"license"},
		Short:   "Judge RPM License tags (SPDX or old Fedora names) against the policy",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("policy licence takes one or more License tags (quote each: \"GPLv2+ or Artistic\")")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadPolicy(file)
			if err != nil {
				return policyErr(cmd.ErrOrStderr(), file, err)
			}
			checker := p.LicenceChecker()
			out := cmd.OutOrStdout()
			bad := 0
			for _, tag := range args {
				v := checker.Check(tag)
				switch {
				case v.OK:
					fmt.Fprintf(out, "%q: allowed: %s\n", tag, v.SPDX)
				case v.SPDX != "":
					fmt.Fprintf(out, "%q: not allowed: %s\n", tag, v.SPDX)
				default:
					fmt.Fprintf(out, "%q: not understood\n", tag)
				}
				for _, pr := range v.Problems {
					fmt.Fprintf(out, "    %s\n", pr)
				}
				if !v.OK {
					bad++
				}
			}
			if bad > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d licence tags are not allowed", bad, len(args))}
			}
			return nil
		},
	}
	c.Flags().StringVar(&file, "file", "", "a policy file (TOML) to read instead of the built-in SME Server policy")
	return c
}
