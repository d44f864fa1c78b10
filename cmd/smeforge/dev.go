package main

import (
	"github.com/spf13/cobra"
)

// newDevCmd groups tools for developers of smeforge itself: benchmark
// corpora and demo packages.
func newDevCmd() *cobra.Command {
	c := &cobra.Command{Use: "dev", Short: "Tools for smeforge's own developers", Hidden: true}
	return c
}
