package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/spf13/cobra"
)

func newRPMCmd() *cobra.Command {
	c := &cobra.Command{Use: "rpm", Short: "Local RPM tools that need no server"}
	c.AddCommand(newRPMInfoCmd(), newRPMVercmpCmd())
	return c
}

// rpmInfo is the stable JSON shape of `smeforge rpm info --json`.
type rpmInfo struct {
	File           string         `json:"file"`
	Name           string         `json:"name"`
	Epoch          uint32         `json:"epoch"`
	Version        string         `json:"version"`
	Release        string         `json:"release"`
	Arch           string         `json:"arch"`
	Source         bool           `json:"source"`
	License        string         `json:"license"`
	Summary        string         `json:"summary"`
	Description    string         `json:"description"`
	URL            string         `json:"url"`
	Vendor         string         `json:"vendor"`
	Packager       string         `json:"packager"`
	Group          string         `json:"group"`
	BuildHost      string         `json:"build_host"`
	BuildTime      int64          `json:"build_time"`
	SourceRPM      string         `json:"source_rpm"`
	InstalledSize  int64          `json:"installed_size"`
	ArchiveSize    int64          `json:"archive_size"`
	FileSize       int64          `json:"file_size"`
	Requires       []string       `json:"requires"`
	Provides       []string       `json:"provides"`
	Conflicts      []string       `json:"conflicts"`
	Obsoletes      []string       `json:"obsoletes"`
	Recommends     []string       `json:"recommends"`
	Suggests       []string       `json:"suggests"`
	Supplements    []string       `json:"supplements"`
	Enhances       []string       `json:"enhances"`
	Files          []string       `json:"files"`
	ChangelogCount int            `json:"changelog_count"`
	Signature      *rpm.Signature `json:"signature"`
	HeaderStart    int64          `json:"header_start"`
	HeaderEnd      int64          `json:"header_end"`
	SHA256         string         `json:"sha256"`
}

func toInfo(file string, p *rpm.Package) rpmInfo {
	files := make([]string, len(p.Files))
	for i, f := range p.Files {
		files[i] = f.Path
	}
	return rpmInfo{
		File: file, Name: p.Name, Epoch: p.Epoch, Version: p.Version, Release: p.Release,
		Arch: p.Arch, Source: p.SourcePackage, License: p.License, Summary: p.Summary,
		Description: p.Description, URL: p.URL, Vendor: p.Vendor, Packager: p.Packager,
		Group: p.Group, BuildHost: p.BuildHost, BuildTime: p.BuildTime, SourceRPM: p.SourceRPM,
		InstalledSize: p.InstalledSize, ArchiveSize: p.ArchiveSize, FileSize: p.FileSize,
		Requires: rpm.DepStrings(p.Requires), Provides: rpm.DepStrings(p.Provides),
		Conflicts: rpm.DepStrings(p.Conflicts), Obsoletes: rpm.DepStrings(p.Obsoletes),
		Recommends: rpm.DepStrings(p.Recommends), Suggests: rpm.DepStrings(p.Suggests),
		Supplements: rpm.DepStrings(p.Supplements), Enhances: rpm.DepStrings(p.Enhances),
		Files: files, ChangelogCount: len(p.Changelog), Signature: p.Signature,
		HeaderStart: p.HeaderStart, HeaderEnd: p.HeaderEnd, SHA256: p.SHA256,
	}
}

func newRPMInfoCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "info [--json] FILE...",
		Short: "Show what an RPM or SRPM header says",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			failed := 0
			for _, f := range args {
				p, err := rpm.ReadFile(f)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "smeforge:", err)
					failed++
					continue
				}
				if asJSON {
					if err := writeJSONLine(out, toInfo(f, p)); err != nil {
						return err
					}
					continue
				}
				printInfo(out, f, p)
			}
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d files could not be read", failed, len(args))}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "one JSON object per file per line")
	return c
}

func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func printInfo(w io.Writer, file string, p *rpm.Package) {
	sig := "unsigned"
	if p.Signature != nil {
		sig = p.Signature.Algorithm + ", key ID " + p.Signature.KeyID
	}
	kind := "binary package"
	if p.SourcePackage {
		kind = "source package"
	}
	fmt.Fprintf(w, "%s\n  %s (%s)\n  Summary:   %s\n  License:   %s\n  Source:    %s\n  Size:      %d bytes installed, %d bytes file\n  Signature: %s\n  Requires:  %d, Provides: %d, Files: %d, Changelog entries: %d\n  SHA-256:   %s\n",
		file, p.NEVRA(), kind, p.Summary, p.License, p.SourceRPM, p.InstalledSize, p.FileSize, sig,
		len(p.Requires), len(p.Provides), len(p.Files), len(p.Changelog), p.SHA256)
}

func newRPMVercmpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "vercmp A B",
		Short: "Compare two versions as rpm does: prints -1, 0 or 1",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErr("vercmp takes exactly two versions, got %d", len(args))
			}
			for _, a := range args {
				if a == "" || strings.ContainsFunc(a, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
					return usageErr("vercmp: %q is not a version (empty, or contains spaces or control characters)", a)
				}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), rpm.Vercmp(args[0], args[1]))
			return nil
		},
	}
}
