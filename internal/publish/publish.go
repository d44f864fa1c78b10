// Package publish writes the repositories of a channel version (one per
// base architecture, and one of sources) from the fragments kept at ingest,
// and switches what is served in one step per repository. It keeps the
// previous publication's fragments and compressed chunks in memory, so that
// publishing a large channel after a small change costs little more than
// hashing its metadata.
package publish

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/repodata"
)

// Store is what publishing needs of the catalog.
type Store interface {
	Channel(ctx context.Context, release, name string) (*catalog.Channel, error)
	RepoEntries(ctx context.Context, release, name string, version int64, arch string) ([]catalog.RepoEntry, error)
	Fragments(ctx context.Context, sha256s []string) (map[string]*catalog.Fragments, error)
	SetPublished(ctx context.Context, release, name string, version int64, at time.Time) error
}

// KeepFor is how long metadata that no longer is current stays
// downloadable, for clients in the middle of a refresh.
const KeepFor = 10 * time.Minute

// SourceArch names the repository of SRPMs in a channel.
const SourceArch = "source"

// Signing is what publishing needs of the project's keys.
type Signing interface {
	SignRepomd(repomd []byte) ([]byte, error)
	// ProjectKeyIDs are the keys whose signatures count as the project's.
	ProjectKeyIDs(ctx context.Context) (map[string]bool, error)
}

// Publisher publishes channels under Root/<release>/<channel>/<arch>/.
type Publisher struct {
	store Store
	root  string
	log   *slog.Logger
	now   func() time.Time

	// signing and signedCategory are set by UseSigning.
	signing        Signing
	signedCategory func(string) bool
	// updateInfo is set by UseUpdateInfo.
	updateInfo UpdateInfo

	mu    sync.Mutex
	locks map[string]*sync.Mutex
	memo  map[string]*repoMemo // per repository folder
}

// repoMemo is what the last publication of a repository left behind.
type repoMemo struct {
	frags  map[string]repodata.Fragments // by package SHA-256
	chunks repodata.ChunkSet
}

// New returns a Publisher writing below root.
func New(store Store, root string, log *slog.Logger, now func() time.Time) *Publisher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Publisher{store: store, root: root, log: log, now: now, locks: map[string]*sync.Mutex{}, memo: map[string]*repoMemo{}}
}

// UseSigning makes every publication sign its repomd.xml, and channels
// that require signatures refuse packages of a signed category (per
// signedCategory) that the project did not sign.
func (p *Publisher) UseSigning(s Signing, signedCategory func(string) bool) {
	p.signing, p.signedCategory = s, signedCategory
}

// UpdateInfo supplies the updateinfo.xml of one repository of a channel
// version (the advisories whose fixed builds it holds); nil means none.
type UpdateInfo interface {
	UpdateInfo(ctx context.Context, release, channel string, version int64, arch string) ([]byte, error)
}

// UseUpdateInfo makes every publication list the advisories u gives in an
// updateinfo.xml, so that dnf updateinfo and dnf upgrade --security work.
func (p *Publisher) UseUpdateInfo(u UpdateInfo) { p.updateInfo = u }

// Dir is the folder of one repository of a channel.
func (p *Publisher) Dir(release, channel, arch string) string {
	return filepath.Join(p.root, release, channel, arch)
}

// Result describes a publication.
type Result struct {
	Release  string          `json:"release"`
	Channel  string          `json:"channel"`
	Version  int64           `json:"version"`
	Repos    map[string]Repo `json:"repos"`
	Duration time.Duration   `json:"-"`
	Seconds  float64         `json:"seconds"`
}

// Repo describes one written repository.
type Repo struct {
	Packages int    `json:"packages"`
	Revision int64  `json:"revision"`
	Primary  string `json:"primary_checksum"`
	// UpdateInfo is the checksum of updateinfo.xml.gz, when there is one.
	UpdateInfo string `json:"updateinfo_checksum,omitempty"`
}

// Publish writes the repositories of a channel version (0: the current
// one) and records it as published. Publishing the same channel twice at
// once is ErrBusy: the second caller gets a conflict, not a queue.
func (p *Publisher) Publish(ctx context.Context, release, channel string, version int64) (*Result, error) {
	key := release + "/" + channel
	p.mu.Lock()
	l := p.locks[key]
	if l == nil {
		l = &sync.Mutex{}
		p.locks[key] = l
	}
	p.mu.Unlock()
	if !l.TryLock() {
		return nil, catalog.Errorf(catalog.ErrBusy, "channel %s is being published right now; try again in a moment", key)
	}
	defer l.Unlock()

	start := time.Now()
	ch, err := p.store.Channel(ctx, release, channel)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		version = ch.Version
	}
	if ch.Frozen && version != ch.PublishedVersion {
		return nil, catalog.Errorf(catalog.ErrConflict, "channel %s is frozen (its release is final): it keeps serving version %d exactly as published", key, ch.PublishedVersion)
	}
	if ch.Frozen {
		// Already served byte for byte; writing it again would change
		// repomd.xml's timestamps.
		return &Result{Release: release, Channel: channel, Version: version, Repos: map[string]Repo{}}, nil
	}
	if version < 0 || version > ch.Version {
		return nil, catalog.Errorf(catalog.ErrNotFound, "channel %s has no version %d (its latest is %d)", key, version, ch.Version)
	}
	res := &Result{Release: release, Channel: channel, Version: version, Repos: map[string]Repo{}}
	arches := append(append([]string{}, ch.Arches...), SourceArch)
	// Each repository's packages are read once: for the signature check
	// and for writing.
	rows := make([][]catalog.RepoEntry, len(arches))
	for i, arch := range arches {
		if rows[i], err = p.store.RepoEntries(ctx, release, channel, version, arch); err != nil {
			return nil, err
		}
	}
	if ch.RequireSigned {
		if err := p.checkSigned(ctx, ch, rows); err != nil {
			return nil, err
		}
	}
	for i, arch := range arches {
		r, err := p.publishRepo(ctx, release, channel, version, arch, rows[i])
		if err != nil {
			return nil, fmt.Errorf("publishing %s/%s: %w", key, arch, err)
		}
		res.Repos[arch] = *r
	}
	if err := p.store.SetPublished(ctx, release, channel, version, p.now()); err != nil {
		return nil, err
	}
	res.Duration = time.Since(start)
	res.Seconds = res.Duration.Seconds()
	p.log.Info("published", "channel", key, "version", version, "seconds", res.Seconds)
	return res, nil
}

// checkSigned refuses to publish a channel that requires signatures when a
// package of a signed category (infra, core) is not signed by the project.
// Base packages keep their vendor's signatures.
func (p *Publisher) checkSigned(ctx context.Context, ch *catalog.Channel, repos [][]catalog.RepoEntry) error {
	if p.signedCategory == nil {
		return nil
	}
	keys := map[string]bool{}
	if p.signing != nil {
		var err error
		if keys, err = p.signing.ProjectKeyIDs(ctx); err != nil {
			return err
		}
	}
	var bad []string
	seen := map[string]bool{}
	for _, rows := range repos {
		for _, r := range rows {
			if p.signedCategory(r.Category) && !keys[r.SigKeyID] && !seen[r.Filename] {
				seen[r.Filename] = true
				bad = append(bad, r.Filename)
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	more := ""
	if len(bad) > 5 {
		more = fmt.Sprintf(" and %d more", len(bad)-5)
		bad = bad[:5]
	}
	return catalog.Errorf(catalog.ErrConflict, "%s takes only packages signed by the project, and %s%s %s not; sign the builds first",
		ch.ID(), strings.Join(bad, ", "), more, map[bool]string{true: "is", false: "are"}[len(bad) == 1 && more == ""])
}

// PublishChannel is Publish for callers that need only the error.
func (p *Publisher) PublishChannel(ctx context.Context, release, channel string, version int64) error {
	_, err := p.Publish(ctx, release, channel, version)
	return err
}

func (p *Publisher) publishRepo(ctx context.Context, release, channel string, version int64, arch string, rows []catalog.RepoEntry) (*Repo, error) {
	dir := p.Dir(release, channel, arch)
	p.mu.Lock()
	memo := p.memo[dir]
	p.mu.Unlock()
	if memo == nil {
		memo = &repoMemo{frags: map[string]repodata.Fragments{}}
	}
	// The memo is keyed by the file served: a re-signed package has new
	// fragments.
	var missing []string
	for _, r := range rows {
		if _, ok := memo.frags[r.FileSHA256]; !ok {
			missing = append(missing, r.SHA256)
		}
	}
	fetched, err := p.store.Fragments(ctx, missing)
	if err != nil {
		return nil, err
	}
	next := &repoMemo{frags: make(map[string]repodata.Fragments, len(rows))}
	entries := make([]repodata.Entry, len(rows))
	for i, r := range rows {
		fr, ok := memo.frags[r.FileSHA256]
		if !ok {
			f := fetched[r.SHA256]
			if f == nil {
				return nil, fmt.Errorf("the fragments of %s are missing from the catalog (run fsck)", r.Filename)
			}
			fr = repodata.Fragments{Primary: f.Primary, Filelists: f.Filelists, Other: f.Other}
		}
		next.frags[r.FileSHA256] = fr
		e := repodata.Entry{Key: catalog.PackagesDir + r.Filename, ID: r.FileSHA256, Frag: fr}
		if d, err := hex.DecodeString(r.FragDigest); err == nil && len(d) == 32 {
			copy(e.Digest[:], d)
		}
		entries[i] = e
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	wopt := repodata.WriteOptions{Now: p.now, KeepFor: KeepFor}
	if p.signing != nil {
		wopt.SignRepomd = p.signing.SignRepomd
	}
	// updateinfo is asked for at every publication, not kept in the memo:
	// an advisory becomes public at its embargo date without any change to
	// the channel, and must then appear at the next publication. The file
	// is named by its checksum, so an unchanged one is not written again.
	var uiSum string
	if p.updateInfo != nil {
		ui, err := p.updateInfo.UpdateInfo(ctx, release, channel, version, arch)
		if err != nil {
			return nil, fmt.Errorf("making updateinfo: %w", err)
		}
		if ui != nil {
			df, err := repodata.WriteExtra(dir, "updateinfo", ui, p.now().Unix())
			if err != nil {
				return nil, err
			}
			wopt.Extra = append(wopt.Extra, df)
			uiSum = df.Checksum
		}
	}
	wr, err := repodata.Write(ctx, dir, entries, memo.chunks, wopt)
	if err != nil {
		return nil, err
	}
	next.chunks = wr.Chunks
	p.mu.Lock()
	p.memo[dir] = next
	p.mu.Unlock()
	return &Repo{Packages: len(entries), Revision: wr.Revision, Primary: wr.Files[0].Checksum, UpdateInfo: uiSum}, nil
}
