// Command smeforge is the package, release and security platform of the SME
// Server distribution: the server and its command line in one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a specific exit status (2 for bad arguments).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "smeforge:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(1)
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "smeforge",
		Short:         "Package, release and security platform of an RPM distribution",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: 2, err: err}
	})
	root.AddCommand(newRPMCmd(), newCreaterepoCmd(), newServeCmd(), newDevCmd())
	root.AddCommand(newClientCmds()...)
	root.AddCommand(newPromoteCmds()...)
	root.AddCommand(newPeopleCmds()...)
	root.AddCommand(newPolicyCmd())
	addSignCmds(root)
	addCheckCmds(root)
	root.AddCommand(newUpstreamCmd())
	return root
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
