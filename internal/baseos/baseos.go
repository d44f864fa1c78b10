// Package baseos keeps the forge's base OS upstreams: repositories whose
// metadata (and, on request, packages) are fetched, verified against the
// vendor's key and recorded as the base category, which the package table
// and the policy checks then know.
package baseos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/sign"
	"github.com/smeserver/smeforge/internal/upstream"
)

// Store is what the upstreams need of the catalog.
type Store interface {
	Release(ctx context.Context, name string) (*catalog.Release, error)
	AddUpstream(ctx context.Context, u catalog.Upstream) error
	Upstream(ctx context.Context, name string) (*catalog.Upstream, error)
	SetUpstreamPackages(ctx context.Context, u catalog.Upstream, pkgs []catalog.PackageFacts) error
}

// Ingester stores verified packages (catalog.Service).
type Ingester interface {
	IngestAs(ctx context.Context, r io.Reader, name, by, category string) (*catalog.Artifact, bool, error)
}

// Advisories takes an upstream's updateinfo.xml at each sync (the
// vulnerability tracker); the upstream says which release, hence which
// ecosystem, its updates concern.
type Advisories interface {
	ImportUpstream(ctx context.Context, u catalog.Upstream, updateinfo []byte, by string) (imported int, err error)
}

// Service syncs upstreams.
type Service struct {
	Store  Store
	Ingest Ingester
	// Advisories, when set, receives the updateinfo.xml of each sync.
	Advisories Advisories
	Client     *http.Client
	Now        func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// AddUpstream records a base OS repository to sync. key, when given, is
// the vendor's armored public key: repomd.xml and packages must carry its
// signature.
func (s *Service) AddUpstream(ctx context.Context, name, rawURL, key, release string) (*catalog.Upstream, error) {
	if err := catalog.ValidName("upstream", name); err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, catalog.Errorf(catalog.ErrInvalid, "url: %q is not an http or https address", rawURL)
	}
	if key != "" {
		if err := sign.NewKeyring().Add([]byte(key)); err != nil {
			return nil, catalog.Errorf(catalog.ErrInvalid, "key: not an armored OpenPGP public key: %v", err)
		}
	}
	if release != "" {
		if _, err := s.Store.Release(ctx, release); err != nil {
			return nil, err
		}
	}
	up := catalog.Upstream{Name: name, URL: strings.TrimRight(rawURL, "/"), Key: key, Release: release, CreatedAt: s.now().UTC()}
	if err := s.Store.AddUpstream(ctx, up); err != nil {
		return nil, err
	}
	return s.Store.Upstream(ctx, name)
}

// SyncResult says what a sync did.
type SyncResult struct {
	Upstream   catalog.Upstream `json:"upstream"`
	Downloaded []string         `json:"downloaded,omitempty"`
	Refused    []string         `json:"refused,omitempty"`
	// Advisories is how many security updates of its updateinfo.xml were
	// new or changed for the vulnerability tracker.
	Advisories int `json:"advisories,omitempty"`
}

// SyncUpstream fetches an upstream's metadata (verifying repomd.xml
// against its key), records its packages as the base category, and with
// packages also downloads every package, verifies each against the key
// and stores those that pass (a refused one is named, never stored).
func (s *Service) SyncUpstream(ctx context.Context, name string, packages bool, by string) (*SyncResult, error) {
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Minute}
	}
	up, err := s.Store.Upstream(ctx, name)
	if err != nil {
		return nil, err
	}
	src := upstream.Source{Name: up.Name, URL: up.URL, Key: []byte(up.Key)}
	snap, err := upstream.Fetch(ctx, client, src)
	if err != nil {
		return nil, catalog.Errorf(catalog.ErrConflict, "%w", err)
	}
	facts := make([]catalog.PackageFacts, 0, len(snap.Packages))
	for _, p := range snap.Packages {
		var f catalog.PackageFacts
		f.Name, f.Epoch, f.Version, f.Release, f.Arch = p.Name, int64(p.Epoch), p.Version, p.Release, p.Arch
		f.Summary, f.License, f.Category, f.Source = p.Summary, p.License, "base", p.Arch == "src"
		f.Details = catalog.Details{Requires: rpm.DepStrings(p.Requires), Provides: rpm.DepStrings(p.Provides),
			Conflicts: rpm.DepStrings(p.Conflicts), Obsoletes: rpm.DepStrings(p.Obsoletes), Files: p.Files}
		facts = append(facts, f)
	}
	up.SyncedAt, up.Revision, up.SignedBy = s.now().UTC(), snap.Revision, snap.SignedBy
	if err := s.Store.SetUpstreamPackages(ctx, *up, facts); err != nil {
		return nil, err
	}
	res := &SyncResult{}
	if s.Advisories != nil && len(snap.Updateinfo) > 0 {
		n, err := s.Advisories.ImportUpstream(ctx, *up, snap.Updateinfo, by)
		if err != nil {
			return nil, fmt.Errorf("importing the updateinfo.xml of %s: %w", up.Name, err)
		}
		res.Advisories = n
	}
	if packages {
		if up.Key == "" {
			return nil, catalog.Errorf(catalog.ErrInvalid, "upstream %s has no key: its packages cannot be verified, so they are not downloaded", name)
		}
		kr := sign.NewKeyring()
		if err := kr.Add([]byte(up.Key)); err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "smeforge-upstream-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		results, err := upstream.SyncPackages(ctx, client, src, snap.Packages, kr, dir)
		if err != nil {
			return nil, err
		}
		for _, r := range results {
			if r.Err != nil {
				res.Refused = append(res.Refused, r.Err.Error())
				continue
			}
			f, err := os.Open(r.Path)
			if err != nil {
				return nil, err
			}
			a, _, err := s.Ingest.IngestAs(ctx, f, r.Package.NEVRA(), by, "base")
			f.Close()
			if err != nil {
				res.Refused = append(res.Refused, fmt.Sprintf("%s: %v", r.Package.NEVRA(), err))
				continue
			}
			res.Downloaded = append(res.Downloaded, a.NEVRA())
		}
	}
	u2, err := s.Store.Upstream(ctx, name)
	if err != nil {
		return nil, err
	}
	res.Upstream = *u2
	return res, nil
}
