package advisory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
)

// Store keeps advisories and their revisions. Every write appends its
// audit event in the same transaction. Not-found is catalog.ErrNotFound;
// a save over a change made meanwhile is catalog.ErrConflict.
type Store interface {
	// CreateAdvisory allocates the next sequence number of a's year in the
	// same transaction as the insert, names a with id(seq), and fills the
	// event's subject and after-state.
	CreateAdvisory(ctx context.Context, a *Advisory, year int, id func(seq int) (string, error), ev audit.Event) error
	Advisory(ctx context.Context, id string) (*Advisory, error)
	Advisories(ctx context.Context) ([]Advisory, error)
	// SaveAdvisory replaces the stored advisory, as long as nobody saved it
	// since it was read with prevChanges saves; rev, when not nil, is
	// recorded with it.
	SaveAdvisory(ctx context.Context, a *Advisory, prevChanges int64, rev *Revision, ev audit.Event) error
	AdvisoryRevisions(ctx context.Context, id string) ([]Revision, error)

	Build(ctx context.Context, id string) (*catalog.Build, error)
	Release(ctx context.Context, name string) (*catalog.Release, error)
	Channel(ctx context.Context, release, name string) (*catalog.Channel, error)
	ChannelBuilds(ctx context.Context, release, name string, version int64) ([]string, error)
	// BuildChannels lists the channels whose latest version holds build.
	BuildChannels(ctx context.Context, build string) ([]catalog.ChannelRef, error)
}

// Publisher republishes a channel version (publish.Publisher).
type Publisher interface {
	PublishChannel(ctx context.Context, release, channel string, version int64) error
}

// Service holds the rules of advisories.
type Service struct {
	Store  Store
	Policy *policy.Policy
	// Publisher, when set, republishes the channels holding an advisory's
	// fixed builds when it becomes public or changes, so their
	// updateinfo.xml follows.
	Publisher Publisher
	Now       func() time.Time
	Log       *slog.Logger
	// From is the from= of updateinfo entries (a contact address).
	From string
	// BaseURL, when set, is where the advisory pages are (for the "self"
	// references of updateinfo and OSV).
	BaseURL string
}

// Clock is the service's time, in UTC: what decides whether an embargo
// has ended.
func (s *Service) Clock() time.Time { return s.now() }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Viewer is who reads: Privileged readers (the security and communications
// teams, whoever publishes) also see drafts and embargoed advisories.
type Viewer struct {
	Privileged bool
}

// Get returns an advisory the viewer may see. For anyone else a draft or
// embargoed advisory is ErrNotFound, not a refusal, so that its existence
// does not leak.
func (s *Service) Get(ctx context.Context, v Viewer, id string) (*Advisory, error) {
	a, err := s.Store.Advisory(ctx, id)
	if err != nil {
		return nil, err
	}
	if !v.Privileged && !a.Public(s.now()) {
		return nil, notFound(id)
	}
	return a, nil
}

func notFound(id string) error {
	return catalog.Errorf(catalog.ErrNotFound, "there is no advisory %s", id)
}

// List returns the advisories the viewer may see, newest first.
func (s *Service) List(ctx context.Context, v Viewer) ([]Advisory, error) {
	all, err := s.Store.Advisories(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []Advisory{}
	for _, a := range all {
		if v.Privileged || a.Public(now) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b Advisory) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// Revisions lists the revisions of an advisory the viewer may see.
func (s *Service) Revisions(ctx context.Context, v Viewer, id string) ([]Revision, error) {
	if _, err := s.Get(ctx, v, id); err != nil {
		return nil, err
	}
	rs, err := s.Store.AdvisoryRevisions(ctx, id)
	if rs == nil {
		rs = []Revision{}
	}
	return rs, err
}

// Revision returns revision n of an advisory.
func (s *Service) Revision(ctx context.Context, v Viewer, id string, n int) (*Revision, error) {
	rs, err := s.Revisions(ctx, v, id)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i].N == n {
			return &rs[i], nil
		}
	}
	return nil, catalog.Errorf(catalog.ErrNotFound, "advisory %s has no revision %d (it has %d)", id, n, len(rs))
}

// Create drafts a new advisory. The caller has checked that by may write
// the parts p touches.
func (s *Service) Create(ctx context.Context, by string, p Patch) (*Advisory, error) {
	now := s.now()
	a := &Advisory{State: Draft, CreatedAt: now, CreatedBy: by, UpdatedAt: now,
		Releases: []string{}, Packages: []string{}, Builds: []string{}, CVEs: []string{}, References: []string{}}
	if p.Type == nil {
		return nil, catalog.Errorf(catalog.ErrInvalid, "type is missing: one of %s", strings.Join(Types, ", "))
	}
	if err := p.apply(a); err != nil {
		return nil, err
	}
	if err := s.checkCatalog(ctx, a); err != nil {
		return nil, err
	}
	ev := audit.Event{At: now, Actor: by, Action: "advisory.create"}
	err := s.Store.CreateAdvisory(ctx, a, now.Year(), func(seq int) (string, error) { return s.Policy.AdvisoryID(now.Year(), seq) }, ev)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// checkCatalog checks what an advisory names exists.
func (s *Service) checkCatalog(ctx context.Context, a *Advisory) error {
	for _, r := range a.Releases {
		if _, err := s.Store.Release(ctx, r); err != nil {
			if errors.Is(err, catalog.ErrNotFound) {
				return catalog.Errorf(catalog.ErrInvalid, "releases: there is no release %q", r)
			}
			return err
		}
	}
	for _, b := range a.Builds {
		if _, err := s.Store.Build(ctx, b); err != nil {
			if errors.Is(err, catalog.ErrNotFound) {
				return catalog.Errorf(catalog.ErrInvalid, "builds: there is no build %q (builds are named like name-version-release of their source package)", b)
			}
			return err
		}
	}
	return nil
}

// Result is what a change did beyond the advisory itself.
type Result struct {
	Advisory *Advisory `json:"advisory"`
	// Republished are the channels whose repositories were written again
	// so that their updateinfo.xml follows; Problems are the ones that
	// failed (the change itself stands).
	Republished []string `json:"republished,omitempty"`
	Problems    []string `json:"problems,omitempty"`
}

// Edit changes an advisory. A draft changes in place; a published one
// gets a new revision, which needs a reason. A closed one is final.
func (s *Service) Edit(ctx context.Context, by, id string, p Patch) (*Result, error) {
	a, err := s.Store.Advisory(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.State == Closed {
		return nil, catalog.Errorf(catalog.ErrConflict, "advisory %s is closed; it can no longer change", id)
	}
	if !p.TouchesTechnical() && !p.TouchesGuidance() {
		return nil, catalog.Errorf(catalog.ErrInvalid, "the change changes nothing: give at least one field")
	}
	now := s.now()
	before := *a
	wasPublic := a.Public(now)
	if err := p.apply(a); err != nil {
		return nil, err
	}
	if wasPublic && !a.EmbargoUntil.Equal(before.EmbargoUntil) && a.EmbargoUntil.After(now) {
		return nil, catalog.Errorf(catalog.ErrConflict, "embargo_until: advisory %s is already public; it cannot be embargoed again", id)
	}
	if err := s.checkCatalog(ctx, a); err != nil {
		return nil, err
	}
	a.UpdatedAt = now
	var rev *Revision
	action := "advisory.edit"
	if a.State == Published {
		reason := strings.TrimSpace(p.Reason)
		if reason == "" {
			return nil, catalog.Errorf(catalog.ErrInvalid, "reason is empty: advisory %s is published, and every change of it is a new revision that says why", id)
		}
		if err := a.readyToPublish(); err != nil {
			return nil, err
		}
		a.Revision++
		rev = &Revision{Advisory: id, N: a.Revision, At: now, By: by, Reason: reason, Content: *a}
		action = "advisory.revise"
	}
	ev := audit.Event{At: now, Actor: by, Action: action, Subject: "advisory:" + id,
		Before: audit.JSON(before), After: audit.JSON(a), Public: wasPublic && a.Public(now)}
	if err := s.Store.SaveAdvisory(ctx, a, before.Changes, rev, ev); err != nil {
		return nil, err
	}
	res := &Result{Advisory: a}
	if a.Public(now) {
		s.republish(ctx, append(slices.Clone(a.Builds), before.Builds...), res)
	}
	return res, nil
}

// Publish makes a draft the advisory's first revision. With an embargo
// date in the future it stays private until then, and becomes public at
// that date without anyone acting.
func (s *Service) Publish(ctx context.Context, by, id string) (*Result, error) {
	a, err := s.Store.Advisory(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.State != Draft {
		return nil, catalog.Errorf(catalog.ErrConflict, "advisory %s is already %s", id, a.State)
	}
	if err := a.readyToPublish(); err != nil {
		return nil, err
	}
	if err := s.checkCatalog(ctx, a); err != nil {
		return nil, err
	}
	now := s.now()
	before := *a
	a.State, a.PublishedAt, a.UpdatedAt, a.Revision = Published, now, now, 1
	reason := "first publication"
	if a.Embargoed(now) {
		reason = "first publication, under embargo until " + a.EmbargoUntil.Format(time.RFC3339)
	}
	rev := &Revision{Advisory: id, N: 1, At: now, By: by, Reason: reason, Content: *a}
	ev := audit.Event{At: now, Actor: by, Action: "advisory.publish", Subject: "advisory:" + id,
		Before: audit.JSON(before), After: audit.JSON(a), Public: a.Public(now)}
	if err := s.Store.SaveAdvisory(ctx, a, before.Changes, rev, ev); err != nil {
		return nil, err
	}
	res := &Result{Advisory: a}
	if a.Public(now) {
		s.republish(ctx, a.Builds, res)
	}
	return res, nil
}

// Close ends a published advisory, with a reason, as its last revision.
func (s *Service) Close(ctx context.Context, by, id, reason string) (*Result, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, catalog.Errorf(catalog.ErrInvalid, "reason is empty: say why advisory %s is closed", id)
	}
	a, err := s.Store.Advisory(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.State != Published {
		return nil, catalog.Errorf(catalog.ErrConflict, "advisory %s is %s; only a published advisory can be closed", id, a.State)
	}
	now := s.now()
	before := *a
	a.State, a.ClosedAt, a.CloseReason, a.UpdatedAt = Closed, now, reason, now
	a.Revision++
	rev := &Revision{Advisory: id, N: a.Revision, At: now, By: by, Reason: "closed: " + reason, Content: *a}
	ev := audit.Event{At: now, Actor: by, Action: "advisory.close", Subject: "advisory:" + id,
		Before: audit.JSON(before), After: audit.JSON(a), Public: a.Public(now)}
	if err := s.Store.SaveAdvisory(ctx, a, before.Changes, rev, ev); err != nil {
		return nil, err
	}
	res := &Result{Advisory: a}
	if a.Public(now) {
		s.republish(ctx, a.Builds, res)
	}
	return res, nil
}

// republish writes again, at their published version, the channels that
// hold builds, so that their updateinfo.xml follows a change. It is best
// effort: the advisory's change stands, and problems are reported.
func (s *Service) republish(ctx context.Context, builds []string, res *Result) {
	if s.Publisher == nil {
		return
	}
	seen := map[string]bool{}
	for _, b := range builds {
		refs, err := s.Store.BuildChannels(ctx, b)
		if err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("finding the channels of %s: %v", b, err))
			continue
		}
		for _, ref := range refs {
			key := ref.Release + "/" + ref.Channel
			if seen[key] {
				continue
			}
			seen[key] = true
			ch, err := s.Store.Channel(ctx, ref.Release, ref.Channel)
			if err != nil {
				res.Problems = append(res.Problems, fmt.Sprintf("%s: %v", key, err))
				continue
			}
			if ch.PublishedVersion == 0 || ch.Frozen {
				continue
			}
			if err := s.Publisher.PublishChannel(ctx, ref.Release, ref.Channel, ch.PublishedVersion); err != nil {
				s.log().Warn("republishing for an advisory", "channel", key, "err", err)
				res.Problems = append(res.Problems, fmt.Sprintf("%s: %v", key, err))
				continue
			}
			res.Republished = append(res.Republished, key)
		}
	}
}
