package main

import (
	"fmt"
	"os"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/spf13/cobra"
)

// newDevCmd groups tools for developers of smeforge itself: benchmark
// corpora, demo packages and the publish benchmark.
func newDevCmd() *cobra.Command {
	c := &cobra.Command{Use: "dev", Short: "Tools for smeforge's own developers", Hidden: true}
	c.AddCommand(newDevCorpusCmd(), newDevDemoCmd(), newDevBenchPublishCmd(), newDevBenchSecurityCmd())
	return c
}

func newDevCorpusCmd() *cobra.Command {
	var (
		count   int
		seed    int64
		model   string
		workers int
	)
	c := &cobra.Command{
		Use:   "corpus [--count N] [--seed S] [--model RPMDB_DIR] DIR",
		Short: "Write N realistic RPMs (modelled on a real system's rpmdb) into DIR",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m := corpus.SyntheticModel()
			if model != "" {
				var err error
				if m, err = corpus.LoadModel(model); err != nil {
					return err
				}
			}
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return err
			}
			files, err := corpus.Generate(cmd.Context(), corpus.Options{Dir: args[0], Count: count, Seed: seed, Model: m, Workers: workers})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d packages to %s\n", len(files), args[0])
			return nil
		},
	}
	c.Flags().IntVar(&count, "count", 1000, "how many packages")
	c.Flags().Int64Var(&seed, "seed", 1, "random seed (same seed, same corpus)")
	c.Flags().StringVar(&model, "model", "", "folder with centos7-many.{nevra,provides,requires}.txt (default: a built-in synthetic model)")
	c.Flags().IntVar(&workers, "workers", 0, "packages written in parallel (default: one per CPU)")
	return c
}

func newDevDemoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo-packages DIR",
		Short: "Write the demo packages (RPMs and SRPMs) into DIR",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return err
			}
			files, err := corpus.Demo(args[0])
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(cmd.OutOrStdout(), f)
			}
			return nil
		},
	}
}
