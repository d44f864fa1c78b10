package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/sign"
	"github.com/spf13/cobra"
)

// addSignCmds adds `smeforge key` and `smeforge rpm sign|verify`; it is
// called once newRootCmd has added the rpm command.
func addSignCmds(root *cobra.Command) {
	root.AddCommand(newKeyCmd())
	for _, c := range root.Commands() {
		if c.Name() == "rpm" {
			c.AddCommand(newRPMSignCmd(), newRPMVerifyCmd())
			return
		}
	}
	panic("smeforge: addSignCmds called before the rpm command was added")
}

func newKeyCmd() *cobra.Command {
	c := &cobra.Command{Use: "key", Short: "OpenPGP signing keys for packages and repositories"}
	c.AddCommand(newKeyGenerateCmd(), newKeyImportCmd())
	return c
}

func newKeyGenerateCmd() *cobra.Command {
	var out, typ, name string
	var bits int
	c := &cobra.Command{
		Use:   `generate --out DIR [--type rsa|eddsa] [--name "SME Server Project <security@example.org>"]`,
		Short: "Generate a signing key: DIR/private.asc (mode 0600) and DIR/public.asc",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("key generate: --out DIR is required")
			}
			kt, err := sign.ParseKeyType(typ)
			if err != nil {
				return usageErr("key generate: %v", err)
			}
			if kt != sign.KeyRSA && cmd.Flags().Changed("bits") {
				return usageErr("key generate: --bits applies to RSA keys only")
			}
			k, err := sign.GenerateKey(sign.KeyOptions{Type: kt, Bits: bits, UserID: name})
			if err != nil {
				return err
			}
			return writeKeys(cmd.OutOrStdout(), out, k, "generated")
		},
	}
	c.Flags().StringVar(&out, "out", "", "folder for private.asc and public.asc (created with mode 0700)")
	c.Flags().StringVar(&typ, "type", "rsa", "key type: rsa or eddsa (Ed25519)")
	c.Flags().StringVar(&name, "name", "smeforge signing key", `user ID: "Name <email>"`)
	c.Flags().IntVar(&bits, "bits", 4096, "RSA modulus size (2048 or more)")
	return c
}

func newKeyImportCmd() *cobra.Command {
	var out, passFile string
	c := &cobra.Command{
		Use:   "import --out DIR [--passphrase-file FILE] PRIVATE_KEY",
		Short: "Import an armored OpenPGP private key (gpg --export-secret-keys --armor) into DIR",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("key import: --out DIR is required")
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("key import: %w", err)
			}
			var pass []byte
			if passFile != "" {
				p, err := os.ReadFile(passFile)
				if err != nil {
					return fmt.Errorf("key import: reading passphrase: %w", err)
				}
				pass = []byte(strings.TrimRight(string(p), "\r\n"))
			}
			k, err := sign.ImportKey(data, pass)
			if err != nil {
				return err
			}
			return writeKeys(cmd.OutOrStdout(), out, k, "imported")
		},
	}
	c.Flags().StringVar(&out, "out", "", "folder for private.asc and public.asc (created with mode 0700)")
	c.Flags().StringVar(&passFile, "passphrase-file", "", "file holding the key's passphrase, if it has one")
	return c
}

func writeKeys(w io.Writer, dir string, k *sign.Key, verb string) error {
	priv, pub, err := sign.WriteKeyFiles(dir, k)
	if err != nil {
		return err
	}
	algo, _, _ := strings.Cut(k.Algorithm(), "/")
	fmt.Fprintf(w, "%s %s key %s %q\n  private key: %s (mode 0600: keep it secret; smeforge rpm sign --key)\n  public key:  %s (rpmkeys --import, dnf gpgkey=, gpg --import)\n",
		verb, algo, k.KeyID(), k.UserID(), priv, pub)
	return nil
}

func newRPMSignCmd() *cobra.Command {
	var keyFile string
	var jobs int
	c := &cobra.Command{
		Use:   "sign --key KEYFILE FILE...",
		Short: "Sign RPMs in place (header and header+payload signatures), in parallel",
		Long: "Sign RPMs in place: each file gets a new signature header with a header-only and a\n" +
			"header+payload OpenPGP signature by the key, replacing any signature it had. Each file\n" +
			"is rewritten atomically (temporary file, fsync, rename).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" {
				return usageErr("rpm sign: --key KEYFILE is required")
			}
			k, err := sign.OpenKeyFile(keyFile)
			if err != nil {
				return err
			}
			start := time.Now()
			failed := 0
			for i, err := range sign.SignFiles(cmd.Context(), args, k, jobs) {
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "smeforge: %s\n", fileErr(args[i], err))
					failed++
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "signed %d of %d packages with key %s (%s) in %.2fs\n",
				len(args)-failed, len(args), k.KeyID(), k.Algorithm(), time.Since(start).Seconds())
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d packages could not be signed", failed, len(args))}
			}
			return nil
		},
	}
	c.Flags().StringVar(&keyFile, "key", "", "private key file (mode 0600), from smeforge key generate or import")
	c.Flags().IntVar(&jobs, "jobs", 0, "packages signed at once (default: one per core)")
	return c
}

func newRPMVerifyCmd() *cobra.Command {
	var keyrings []string
	var jobs int
	c := &cobra.Command{
		Use:   "verify --keyring PUBKEY... FILE...",
		Short: "Check the signatures of RPMs against public keys; exit 1 if any fails",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(keyrings) == 0 {
				return usageErr("rpm verify: --keyring PUBKEY is required")
			}
			kr, err := sign.LoadKeyring(keyrings...)
			if err != nil {
				return err
			}
			for _, k := range kr.Keys() {
				if k.Unsupported != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "smeforge: warning: keyring: key %s (%s) is not used: %s\n", k.KeyID, k.UserID, k.Unsupported)
				}
			}
			out := cmd.OutOrStdout()
			results, errs := sign.VerifyFiles(cmd.Context(), args, kr, jobs)
			failed := 0
			for i, err := range errs {
				if err != nil {
					fmt.Fprintf(out, "%s\n", fileErr(args[i], err))
					failed++
					continue
				}
				fmt.Fprintf(out, "%s: signatures OK (key ID %s, %s)\n", args[i], results[i].KeyID, results[i].Algorithm)
			}
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d packages failed verification", failed, len(args))}
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&keyrings, "keyring", nil, "public key file (armored or binary); repeat for several keys")
	c.Flags().IntVar(&jobs, "jobs", 0, "packages checked at once (default: one per core)")
	return c
}

// fileErr is "FILE: problem", without the file's name twice when the error
// already names it (rpm.FormatError and os.PathError do).
func fileErr(file string, err error) string {
	if msg := err.Error(); strings.Contains(msg, file) {
		return msg
	}
	return file + ": " + err.Error()
}
