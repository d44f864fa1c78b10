package promote

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/repodata"
)

// Blobs opens stored package files.
type Blobs interface {
	Open(ctx context.Context, sum string) (io.ReadSeekCloser, blob.Info, error)
}

// ErrNoInstaller: the forge has no dnf to run install tests with.
var ErrNoInstaller = errors.New("no installer")

// Installer installs packages into a throwaway root from the repositories
// a reposdir describes. ok is dnf's verdict; err is for not being able to
// run it at all (ErrNoInstaller when dnf is missing).
type Installer interface {
	Install(ctx context.Context, root, reposdir string, packages []string) (transcript string, ok bool, err error)
}

// DNF runs Debian's (or any) dnf.
type DNF struct {
	// Path is the dnf program; "" looks "dnf" up in PATH.
	Path string
}

// Install implements Installer.
func (d DNF) Install(ctx context.Context, root, reposdir string, packages []string) (string, bool, error) {
	path := d.Path
	if path == "" {
		p, err := exec.LookPath("dnf")
		if err != nil {
			return "", false, fmt.Errorf("%w: dnf is not installed on the forge", ErrNoInstaller)
		}
		path = p
	}
	args := append([]string{"-y", "--noplugins", "--installroot=" + root, "--setopt=reposdir=" + reposdir,
		"--setopt=cachedir=" + filepath.Join(root, "..", "cache"), "--setopt=skip_if_unavailable=0",
		"--setopt=install_weak_deps=0", "--setopt=tsflags=nodocs", "--releasever=1", "install"}, packages...)
	cmd := exec.CommandContext(ctx, path, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	transcript := "$ dnf " + strings.Join(args, " ") + "\n" + out.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return transcript, true, nil
	case ctx.Err() != nil:
		return transcript + "\n(stopped: " + ctx.Err().Error() + ")", false, nil
	case errors.As(err, &exit):
		return transcript + fmt.Sprintf("\n(dnf exit %d)", exit.ExitCode()), false, nil
	}
	return transcript, false, fmt.Errorf("running dnf: %w", err)
}

// InstallTest installs a build with dnf into a throwaway root, from a
// repository made of the would-be content of the channel it is to enter
// in release (and of the channels that channel may depend on), and
// records the transcript and verdict.
func (s *Service) InstallTest(ctx context.Context, acc *catalog.Account, build, release, channel string) (*InstallTest, error) {
	b, err := s.Store.Build(ctx, build)
	if err != nil {
		return nil, err
	}
	rel, err := s.Store.Release(ctx, release)
	if err != nil {
		return nil, err
	}
	if channel == "" {
		return nil, catalog.Errorf(catalog.ErrInvalid, "channel: name the channel the build is to enter")
	}
	ch, err := s.Store.Channel(ctx, rel.Name, channel)
	if err != nil {
		return nil, err
	}
	start := s.now()
	t := &InstallTest{Build: b.ID, Release: rel.Name, Channel: ch.Name, StartedAt: start, RequestedBy: acc.Name}
	t.Transcript, t.OK, t.Summary, err = s.runInstall(ctx, b, rel, ch)
	if err != nil {
		return nil, err
	}
	t.FinishedAt = s.now()
	id, err := s.Store.AddInstallTest(ctx, t)
	if err != nil {
		return nil, err
	}
	t.ID = id
	return t, nil
}

func (s *Service) runInstall(ctx context.Context, b *catalog.Build, rel *catalog.Release, ch *catalog.Channel) (transcript string, ok bool, summary string, err error) {
	var names []string
	for _, a := range b.Artifacts {
		if !a.Source && !slices.Contains(names, a.Name) {
			names = append(names, a.Name)
		}
	}
	if len(names) == 0 {
		return "", false, "the build has no binary package to install", nil
	}
	if s.Installer == nil {
		return "", false, "the forge has no installer (dnf) configured: install tests cannot run", nil
	}
	// The would-be content: the channel's current builds, the channels
	// it may depend on, and the build at the channel's category.
	cat := b.Category
	if !ch.AcceptsCategory(cat) && len(ch.Accepts) > 0 {
		cat = ch.Accepts[len(ch.Accepts)-1]
	}
	sub := &subject{req: &Request{Release: rel.Name, ToChannel: ch.Name, Category: cat}, build: b}
	if sub.facts, err = s.Store.BuildFacts(ctx, b.ID); err != nil {
		return "", false, "", err
	}
	chans, err := s.dependable(ctx, rel.Name, ch.Name, cat)
	if err != nil {
		return "", false, "", err
	}
	facts, err := s.Store.PackagesIn(ctx, rel.Name, chans)
	if err != nil {
		return "", false, "", err
	}
	seen := map[string]bool{}
	var arts []catalog.Artifact
	for _, f := range append(sub.facts, facts...) {
		if f.Source || seen[f.SHA256] || !archFits(f.Arch, rel.Arches) {
			continue
		}
		seen[f.SHA256] = true
		arts = append(arts, f.Artifact)
	}
	dir, err := os.MkdirTemp(s.TempDir, "smeforge-install-")
	if err != nil {
		return "", false, "", fmt.Errorf("making a throwaway folder: %w", err)
	}
	defer os.RemoveAll(dir)
	repo := filepath.Join(dir, "repo")
	if err := s.writeRepo(ctx, repo, arts); err != nil {
		return "", false, "", err
	}
	reposdir := filepath.Join(dir, "repos")
	if err := os.MkdirAll(reposdir, 0o755); err != nil {
		return "", false, "", err
	}
	conf := fmt.Sprintf("[smeforge-install-test]\nname=would-be %s/%s\nbaseurl=file://%s\nenabled=1\ngpgcheck=0\nrepo_gpgcheck=0\n", rel.Name, ch.Name, repo)
	if err := os.WriteFile(filepath.Join(reposdir, "install-test.repo"), []byte(conf), 0o644); err != nil {
		return "", false, "", err
	}
	limit := s.InstallTimeout
	if limit == 0 {
		limit = 5 * time.Minute
	}
	ictx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	transcript, ok, err = s.Installer.Install(ictx, filepath.Join(dir, "root"), reposdir, names)
	if errors.Is(err, ErrNoInstaller) {
		return err.Error(), false, "the install test could not run: " + err.Error(), nil
	}
	if err != nil {
		return "", false, "", err
	}
	if ok {
		return transcript, true, fmt.Sprintf("dnf installed %s from the would-be content of %s/%s", strings.Join(names, ", "), rel.Name, ch.Name), nil
	}
	return transcript, false, fmt.Sprintf("dnf could not install %s from the would-be content of %s/%s (see the transcript)", strings.Join(names, ", "), rel.Name, ch.Name), nil
}

func archFits(arch string, arches []string) bool {
	return arch == "noarch" || len(arches) == 0 || slices.Contains(arches, arch)
}

// dependable lists channel and the channels of release a build of
// category in it may depend on.
func (s *Service) dependable(ctx context.Context, release, channel, category string) ([]string, error) {
	level := map[string]int{}
	for _, c := range s.policy().Categories {
		level[c.Name] = c.Level
	}
	chans, err := s.Store.Channels(ctx, release)
	if err != nil {
		return nil, err
	}
	out := []string{channel}
	for _, c := range chans {
		if c.Name == channel || len(c.Accepts) == 0 {
			continue
		}
		ok := true
		for _, a := range c.Accepts {
			ok = ok && level[a] <= level[category]
		}
		if ok {
			out = append(out, c.Name)
		}
	}
	return out, nil
}

// writeRepo writes a repository of arts (their served files and kept
// fragments) into dir.
func (s *Service) writeRepo(ctx context.Context, dir string, arts []catalog.Artifact) error {
	if s.Blobs == nil {
		return fmt.Errorf("install test: no blob store")
	}
	pk := filepath.Join(dir, catalog.PackagesDir)
	if err := os.MkdirAll(pk, 0o755); err != nil {
		return err
	}
	sums := make([]string, len(arts))
	for i, a := range arts {
		sums[i] = a.SHA256
	}
	frags, err := s.Store.Fragments(ctx, sums)
	if err != nil {
		return err
	}
	entries := make([]repodata.Entry, 0, len(arts))
	for _, a := range arts {
		f := frags[a.SHA256]
		if f == nil {
			return fmt.Errorf("the fragments of %s are missing from the catalog", a.Filename)
		}
		if err := s.copyBlob(ctx, a.FileSHA256, filepath.Join(pk, filepath.Base(a.Filename))); err != nil {
			return fmt.Errorf("copying %s: %w", a.Filename, err)
		}
		e := repodata.Entry{Key: catalog.PackagesDir + a.Filename, ID: a.FileSHA256,
			Frag: repodata.Fragments{Primary: f.Primary, Filelists: f.Filelists, Other: f.Other}}
		if d, err := hex.DecodeString(f.Digest); err == nil && len(d) == 32 {
			copy(e.Digest[:], d)
		}
		entries = append(entries, e)
	}
	_, err = repodata.Write(ctx, dir, entries, nil, repodata.WriteOptions{Now: time.Now})
	return err
}

func (s *Service) copyBlob(ctx context.Context, sum, dst string) error {
	r, _, err := s.Blobs.Open(ctx, sum)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
