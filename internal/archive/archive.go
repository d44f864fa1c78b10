// Package archive owns the source archive's promises: every binary of the
// project's own categories has its SRPM kept (for ever: nothing deletes a
// source), the whole distribution can be rebuilt from the archive and the
// base (every BuildRequires resolvable), and a rebuild job that runs
// rpmbuild --rebuild on an SRPM and records what happened.
package archive

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/check"
)

// Store is what the archive needs of the catalog.
type Store interface {
	PackagesIn(ctx context.Context, release string, channels []string) ([]catalog.PackageFacts, error)
	UpstreamPackages(ctx context.Context, upstream, text string, limit int) ([]catalog.PackageFacts, error)
	Build(ctx context.Context, id string) (*catalog.Build, error)
	AddRebuild(ctx context.Context, r catalog.Rebuild) error
}

// Blobs gives a local path for a stored file (rpmbuild reads files).
type Blobs interface {
	Path(sum string) (string, error)
}

// Service runs the archive's checks and jobs.
type Service struct {
	Store Store
	Blobs Blobs
	// RPMBuild is the rpmbuild program; "" looks it up on PATH.
	RPMBuild string
	// SignedCategory says which categories must keep their sources
	// (infra and core for SME).
	SignedCategory func(string) bool
	Now            func() time.Time
}

// Missing is a problem with a build's sources.
type Missing struct {
	Build   string   `json:"build"`
	Package string   `json:"package"`
	Needs   []string `json:"needs,omitempty"` // unresolved BuildRequires
	Detail  string   `json:"detail"`
}

// Report says whether a release can be rebuilt from the archive.
type Report struct {
	Release     string    `json:"release"`
	SRPMs       int       `json:"srpms"`
	Rebuildable int       `json:"rebuildable"`
	NoSource    []Missing `json:"no_source"`   // binaries of the core distribution without their SRPM
	Unbuildable []Missing `json:"unbuildable"` // SRPMs whose BuildRequires the archive and base cannot meet
}

// Report checks a release: each build of a signed category has its SRPM,
// and each SRPM's BuildRequires are met by the binaries of the archive
// (every channel of every release) and the base.
func (s *Service) Report(ctx context.Context, release string) (*Report, error) {
	mine, err := s.Store.PackagesIn(ctx, release, nil)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.PackagesIn(ctx, "", nil)
	if err != nil {
		return nil, err
	}
	base, err := s.Store.UpstreamPackages(ctx, "", "", 0)
	if err != nil {
		return nil, err
	}
	all = append(all, base...)
	rep := &Report{Release: release, NoSource: []Missing{}, Unbuildable: []Missing{}}
	hasSource := map[string]bool{}
	var srpms []check.Package
	for i := range mine {
		if mine[i].Source {
			hasSource[mine[i].BuildID] = true
			srpms = append(srpms, catalog.CheckPackage(&mine[i]))
		}
	}
	seen := map[string]bool{}
	for i := range mine {
		a := &mine[i].Artifact
		if a.Source || seen[a.BuildID] || hasSource[a.BuildID] {
			continue
		}
		if s.SignedCategory != nil && s.SignedCategory(a.Category) {
			seen[a.BuildID] = true
			rep.NoSource = append(rep.NoSource, Missing{Build: a.BuildID, Package: a.NEVRA(),
				Detail: fmt.Sprintf("%s is %s but its source package %s is not in the archive", a.NEVRA(), a.Category, a.SourceRPM)})
		}
	}
	var bins []check.Package
	for i := range all {
		if !all[i].Source {
			bins = append(bins, catalog.CheckPackage(&all[i]))
		}
	}
	ix := check.NewIndex(bins)
	per := map[string]*Missing{}
	for _, f := range ix.Unbuildable(srpms) {
		m := per[f.Package]
		if m == nil {
			m = &Missing{Package: f.Package, Detail: "build requirements the archive and the base do not provide"}
			for _, p := range srpms {
				if p.NEVRA() == f.Package {
					m.Build = p.Name + "-" + p.Version + "-" + p.Release
				}
			}
			per[f.Package] = m
		}
		m.Needs = append(m.Needs, f.Requirement)
	}
	for _, m := range per {
		rep.Unbuildable = append(rep.Unbuildable, *m)
	}
	sort.Slice(rep.Unbuildable, func(i, j int) bool { return rep.Unbuildable[i].Package < rep.Unbuildable[j].Package })
	rep.SRPMs = len(srpms)
	rep.Rebuildable = len(srpms) - len(per)
	return rep, nil
}

// logLimit bounds the log kept of a rebuild (its end matters most).
const logLimit = 64 << 10

// Rebuild runs rpmbuild --rebuild on a build's SRPM in a throwaway folder
// and records the result. Build requirements are not installed on the
// forge (--nodeps): Report is what checks them.
func (s *Service) Rebuild(ctx context.Context, build, by string) (*catalog.Rebuild, error) {
	b, err := s.Store.Build(ctx, build)
	if err != nil {
		return nil, err
	}
	var srpm *catalog.Artifact
	for i := range b.Artifacts {
		if b.Artifacts[i].Source {
			srpm = &b.Artifacts[i]
		}
	}
	if srpm == nil {
		return nil, catalog.Errorf(catalog.ErrConflict, "build %s has no source package in the archive: there is nothing to rebuild", build)
	}
	tool := s.RPMBuild
	if tool == "" {
		if tool, err = exec.LookPath("rpmbuild"); err != nil {
			return nil, catalog.Errorf(catalog.ErrConflict, "rpmbuild is not installed on this server")
		}
	}
	src, err := s.Blobs.Path(srpm.SHA256)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "smeforge-rebuild-*")
	if err != nil {
		return nil, fmt.Errorf("making a rebuild folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	id := make([]byte, 8)
	rand.Read(id)
	rec := catalog.Rebuild{ID: hex.EncodeToString(id), Build: build, StartedAt: now().UTC(), RequestedBy: by, Produced: []string{}}
	// A copy with the SRPM's own name: rpmbuild prints it.
	srcCopy := filepath.Join(tmp, srpm.Filename)
	if err := os.Symlink(src, srcCopy); err != nil {
		return nil, fmt.Errorf("preparing the rebuild: %w", err)
	}
	cmd := exec.CommandContext(ctx, tool, "--rebuild", "--nodeps", "--define", "_topdir "+filepath.Join(tmp, "top"), srcCopy)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "HOME="+tmp)
	runErr := cmd.Run()
	rec.FinishedAt = now().UTC()
	rec.OK = runErr == nil
	log := out.String()
	if runErr != nil {
		log += "\n" + runErr.Error()
	}
	if len(log) > logLimit {
		log = "...\n" + log[len(log)-logLimit:]
	}
	rec.Log = log
	filepath.WalkDir(filepath.Join(tmp, "top", "RPMS"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rpm") {
			rec.Produced = append(rec.Produced, filepath.Base(p))
		}
		return nil
	})
	sort.Strings(rec.Produced)
	if err := s.Store.AddRebuild(ctx, rec); err != nil {
		return nil, err
	}
	return &rec, nil
}
