package promote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
)

// Signer signs a build with the project key.
type Signer interface {
	SignBuild(ctx context.Context, id, by string) (*catalog.Build, error)
}

// Publisher publishes a channel's current version.
type Publisher interface {
	PublishChannel(ctx context.Context, release, channel string, version int64) error
}

// Retention says which builds a channel's retention pushes out when
// builds come in (catalog.Service).
type Retention interface {
	Retiring(ctx context.Context, release, name string, add, remove []string) ([]string, error)
}

// Service applies the promotion rules. Policy nil means the built-in SME
// policy; Signer, Installer may be nil (no signing, no install tests).
type Service struct {
	Policy    *policy.Policy
	Store     Store
	Retention Retention
	Signer    Signer
	Publisher Publisher
	Installer Installer
	Blobs     Blobs
	// TempDir holds throwaway install roots ("" for the system's).
	TempDir string
	// InstallTimeout caps one install test (default 5 minutes).
	InstallTimeout time.Duration
	Now            func() time.Time
	Log            *slog.Logger

	// mu serialises executions, so that two cannot sign and publish the
	// same request at once.
	mu sync.Mutex
}

func (s *Service) policy() *policy.Policy {
	if s.Policy != nil {
		return s.Policy
	}
	return policy.Default()
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func isNotFound(err error) bool { return errors.Is(err, catalog.ErrNotFound) }

func forbidden(format string, args ...any) error {
	return catalog.Errorf(ErrForbidden, format, args...)
}

// privileged reports whether an account reviews promotions (core
// developers, the DM, maintenance): they act on any build.
func (s *Service) privileged(acc *catalog.Account) bool {
	for _, r := range acc.Roles {
		if s.policy().Allows(r, "review-promotion") {
			return true
		}
	}
	return false
}

// maintains reports whether acc is a maintainer of build's project.
func (s *Service) maintains(ctx context.Context, acc *catalog.Account, build string) (bool, error) {
	proj, err := s.Store.BuildProject(ctx, build)
	if err != nil || proj == "" {
		return false, err
	}
	p, err := s.Store.Project(ctx, proj)
	if err != nil {
		return false, err
	}
	return slices.Contains(p.Maintainers, acc.Name), nil
}

// OpenInput is a new promotion request.
type OpenInput struct {
	Build    string `json:"build"`
	Release  string `json:"release"`
	From     string `json:"from"`
	To       string `json:"to"`
	Category string `json:"category,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// Open opens a promotion request and evaluates its gates. A maintainer
// may ask only for builds of his projects; reviewers for any.
func (s *Service) Open(ctx context.Context, acc *catalog.Account, in OpenInput) (*Request, error) {
	for _, f := range []struct{ name, v string }{{"build", in.Build}, {"release", in.Release}, {"from", in.From}, {"to", in.To}} {
		if strings.TrimSpace(f.v) == "" {
			return nil, catalog.Errorf(catalog.ErrInvalid, "%s: say which %s", f.name, f.name)
		}
	}
	pol := s.policy()
	if _, ok := pol.Promotion(in.From, in.To); !ok {
		var moves []string
		for _, p := range pol.Promotions {
			moves = append(moves, p.From+" -> "+p.To)
		}
		return nil, catalog.Errorf(catalog.ErrInvalid, "from/to: the policy has no promotion %s -> %s (it has %s)", in.From, in.To, strings.Join(moves, ", "))
	}
	b, err := s.Store.Build(ctx, in.Build)
	if err != nil {
		return nil, err
	}
	rel, err := s.Store.Release(ctx, in.Release)
	if err != nil {
		return nil, err
	}
	if !s.privileged(acc) {
		ok, err := s.maintains(ctx, acc, b.ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, forbidden("%s is not a maintainer of the project of build %s: only its maintainers and reviewers may ask for its promotion", acc.Name, b.ID)
		}
	}
	m, err := Target(pol, rel, in.From, in.To, b.Category, in.Category)
	if err != nil {
		return nil, err
	}
	if _, ok := pol.Category(in.From); ok {
		if b.Category != in.From {
			return nil, catalog.Errorf(catalog.ErrConflict, "from: build %s is in category %s, not %s", b.ID, b.Category, in.From)
		}
	} else {
		if _, err := s.Store.ChannelEntered(ctx, rel.Name, in.From, b.ID); err != nil {
			if isNotFound(err) {
				return nil, catalog.Errorf(catalog.ErrConflict, "from: build %s is not in %s/%s", b.ID, rel.Name, in.From)
			}
			return nil, err
		}
	}
	if _, err := s.Store.Channel(ctx, rel.Name, m.ToChannel); err != nil {
		return nil, err
	}
	pending, err := s.Store.Promotions(ctx, RequestQuery{Build: b.ID})
	if err != nil {
		return nil, err
	}
	for _, p := range pending {
		if p.State == StateOpen || p.State == StateApproved {
			return nil, catalog.Errorf(catalog.ErrConflict, "build %s already has promotion request %d (%s -> %s, %s): withdraw it first", b.ID, p.ID, p.From, p.To, p.State)
		}
	}
	now := s.now()
	r := &Request{Build: b.ID, Release: rel.Name, From: in.From, To: in.To, Category: m.Category, FromChannel: m.FromChannel,
		ToChannel: m.ToChannel, State: StateOpen, Round: 1, RequestedBy: acc.Name, Comment: in.Comment, CreatedAt: now, UpdatedAt: now}
	gates, err := s.Evaluate(ctx, r, RoundOpen)
	if err != nil {
		return nil, err
	}
	r.Gates = gates
	r.Reviews = s.reviews(r)
	if allOK(gates) && Met(r.Reviews) {
		r.State = StateApproved
	}
	id, err := s.Store.CreatePromotion(ctx, r)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

func allOK(gs []GateResult) bool {
	for _, g := range gs {
		if !g.OK {
			return false
		}
	}
	return true
}

func failing(gs []GateResult) []string {
	var out []string
	for _, g := range gs {
		if !g.OK {
			out = append(out, g.Gate+" ("+g.Summary+")")
		}
	}
	return out
}

// Get returns a request with its gates, votes and review status.
func (s *Service) Get(ctx context.Context, id int64) (*Request, error) {
	r, err := s.Store.Promotion(ctx, id)
	if err != nil {
		return nil, err
	}
	r.Reviews = s.reviews(r)
	return r, nil
}

// List lists requests; reviewerRole keeps those still waiting for
// approvals by that role.
func (s *Service) List(ctx context.Context, q RequestQuery, reviewerRole string) ([]Request, error) {
	rs, err := s.Store.Promotions(ctx, q)
	if err != nil {
		return nil, err
	}
	out := []Request{}
	for _, r := range rs {
		r.Reviews = s.reviews(&r)
		if reviewerRole != "" {
			wait := false
			for _, rv := range r.Reviews {
				wait = wait || (rv.Role == reviewerRole && rv.Have < rv.Need)
			}
			if !wait || (r.State != StateOpen && r.State != StateApproved) {
				continue
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// reviews counts the approvals of the request's current round per review
// of its promotion: one per account and role, never the requester's.
func (s *Service) reviews(r *Request) []ReviewStatus {
	rule, _ := s.policy().Promotion(r.From, r.To)
	var votes []Vote
	for _, v := range r.Votes {
		if v.Round == r.Round {
			votes = append(votes, v)
		}
	}
	return CountReviews(rule.Reviews, votes, r.RequestedBy)
}

// CountReviews counts, for each review, the accounts whose newest vote
// approves and who held the role when voting; exclude's votes never
// count.
func CountReviews(reviews []policy.Review, votes []Vote, exclude string) []ReviewStatus {
	last := map[string]Vote{}
	var order []string
	for _, v := range votes {
		if _, seen := last[v.Account]; !seen {
			order = append(order, v.Account)
		}
		last[v.Account] = v
	}
	out := []ReviewStatus{}
	for _, rv := range reviews {
		st := ReviewStatus{Role: rv.Role, Need: rv.Count, By: []string{}}
		for _, acc := range order {
			v := last[acc]
			if acc == exclude || v.Vote != VoteApprove || !slices.Contains(v.Roles, rv.Role) {
				continue
			}
			st.Have++
			st.By = append(st.By, acc)
		}
		out = append(out, st)
	}
	return out
}

func reviewWords(rs []ReviewStatus) string {
	var w []string
	for _, r := range rs {
		if r.Have < r.Need {
			w = append(w, fmt.Sprintf("%s %d of %d", r.Role, r.Have, r.Need))
		}
	}
	return strings.Join(w, ", ")
}

// Vote records a reviewer's vote: approve (the request is approved once
// its gates pass and every review is met) or reject (the request is
// rejected).
func (s *Service) Vote(ctx context.Context, acc *catalog.Account, id int64, vote, comment string) (*Request, error) {
	if vote != VoteApprove && vote != VoteReject {
		return nil, catalog.Errorf(catalog.ErrInvalid, "vote: %q is neither %q nor %q", vote, VoteApprove, VoteReject)
	}
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != StateOpen && r.State != StateApproved {
		return nil, catalog.Errorf(catalog.ErrConflict, "request %d is %s: only an open or approved request takes votes", id, r.State)
	}
	if acc.Name == r.RequestedBy {
		return nil, forbidden("%s opened request %d and may not review it", acc.Name, id)
	}
	rule, _ := s.policy().Promotion(r.From, r.To)
	var roles, want []string
	for _, rv := range rule.Reviews {
		want = append(want, rv.Role)
		if slices.Contains(acc.Roles, rv.Role) {
			roles = append(roles, rv.Role)
		}
	}
	if len(roles) == 0 {
		if len(want) == 0 {
			return nil, catalog.Errorf(catalog.ErrConflict, "promotion %s -> %s needs no review", r.From, r.To)
		}
		return nil, forbidden("%s holds none of the roles that review %s -> %s (%s)", acc.Name, r.From, r.To, strings.Join(want, ", "))
	}
	now := s.now()
	v := Vote{Account: acc.Name, Roles: roles, Vote: vote, Comment: comment, Round: r.Round, At: now}
	state := StateOpen
	if vote == VoteReject {
		state = StateRejected
	} else {
		r.Votes = append(r.Votes, v)
		if allOK(r.LatestGates()) && Met(s.reviews(r)) {
			state = StateApproved
		}
	}
	if err := s.Store.UpdatePromotion(ctx, Update{ID: id, FromStates: []string{StateOpen, StateApproved}, State: state, Vote: &v,
		Actor: acc.Name, Action: "promotion." + vote, At: now}); err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Withdraw withdraws a request; only its requester may.
func (s *Service) Withdraw(ctx context.Context, acc *catalog.Account, id int64, reason string) (*Request, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if acc.Name != r.RequestedBy {
		return nil, forbidden("request %d was opened by %s: only they may withdraw it", id, r.RequestedBy)
	}
	if err := s.Store.UpdatePromotion(ctx, Update{ID: id, FromStates: []string{StateOpen, StateApproved}, State: StateWithdrawn,
		Actor: acc.Name, Action: "promotion.withdraw", At: s.now()}); err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Reopen opens a rejected or withdrawn request again, for a new round of
// gates and votes; its requester or a reviewer may.
func (s *Service) Reopen(ctx context.Context, acc *catalog.Account, id int64) (*Request, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if acc.Name != r.RequestedBy && !s.privileged(acc) {
		return nil, forbidden("only the requester (%s) or a reviewer may re-open request %d", r.RequestedBy, id)
	}
	if r.State != StateRejected && r.State != StateWithdrawn {
		return nil, catalog.Errorf(catalog.ErrConflict, "request %d is %s: only a rejected or withdrawn request can be re-opened", id, r.State)
	}
	pending, err := s.Store.Promotions(ctx, RequestQuery{Build: r.Build})
	if err != nil {
		return nil, err
	}
	for _, p := range pending {
		if p.ID != id && (p.State == StateOpen || p.State == StateApproved) {
			return nil, catalog.Errorf(catalog.ErrConflict, "build %s already has promotion request %d open", r.Build, p.ID)
		}
	}
	r.Round++
	gates, err := s.Evaluate(ctx, r, RoundOpen)
	if err != nil {
		return nil, err
	}
	r.Gates = gates
	state := StateOpen
	if allOK(gates) && Met(s.reviews(r)) {
		state = StateApproved
	}
	if err := s.Store.UpdatePromotion(ctx, Update{ID: id, FromStates: []string{StateRejected, StateWithdrawn}, State: state, Round: r.Round,
		Gates: gates, Actor: acc.Name, Action: "promotion.reopen", At: s.now()}); err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Waive lifts the days-in-testing requirement of a request, with a
// reason (the security team shortening the testing of a fix).
func (s *Service) Waive(ctx context.Context, acc *catalog.Account, id int64, reason string) (*Request, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, catalog.Errorf(catalog.ErrInvalid, "reason: say why the days in testing are waived")
	}
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != StateOpen && r.State != StateApproved {
		return nil, catalog.Errorf(catalog.ErrConflict, "request %d is %s", id, r.State)
	}
	r.Waiver, r.WaivedBy = reason, acc.Name
	gates, err := s.Evaluate(ctx, r, RoundOpen)
	if err != nil {
		return nil, err
	}
	state := StateOpen
	if allOK(gates) && Met(r.Reviews) {
		state = StateApproved
	}
	if err := s.Store.UpdatePromotion(ctx, Update{ID: id, FromStates: []string{StateOpen, StateApproved}, State: state, Gates: gates,
		Waiver: &Waiver{Reason: reason, By: acc.Name}, Actor: acc.Name, Action: "promotion.waive", At: s.now()}); err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Execute carries out a request: gates again, approvals, then signing
// (when the target category is signed), the category and channel changes
// in one transaction, and publication of the changed channels. If
// publishing fails, the change is undone and the error says so.
func (s *Service) Execute(ctx context.Context, acc *catalog.Account, id int64) (*Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if acc.Name != r.RequestedBy && !s.privileged(acc) {
		ok, err := s.maintains(ctx, acc, r.Build)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, forbidden("%s may not execute request %d: the requester, the project's maintainers and reviewers may", acc.Name, id)
		}
	}
	if r.State != StateOpen && r.State != StateApproved {
		return nil, catalog.Errorf(catalog.ErrConflict, "request %d is %s: only an approved request can be executed", id, r.State)
	}
	sub, err := s.subject(ctx, r)
	if err != nil {
		return nil, err
	}
	gates, err := s.evaluate(ctx, sub, RoundExecute)
	if err != nil {
		return nil, err
	}
	reviews := s.reviews(r)
	state := StateOpen
	if allOK(gates) && Met(reviews) {
		state = StateApproved
	}
	if err := s.Store.UpdatePromotion(ctx, Update{ID: id, FromStates: []string{StateOpen, StateApproved}, State: state, Gates: gates,
		Actor: acc.Name, Action: "promotion.gates", At: s.now()}); err != nil {
		return nil, err
	}
	if f := failing(gates); len(f) > 0 {
		return nil, catalog.Errorf(catalog.ErrConflict, "request %d cannot be executed: failing gate(s): %s", id, strings.Join(f, "; "))
	}
	if !Met(reviews) {
		return nil, catalog.Errorf(catalog.ErrConflict, "request %d cannot be executed: approvals missing: %s", id, reviewWords(reviews))
	}
	if _, ok := s.policy().Category(r.From); ok && sub.build.Category != r.From {
		return nil, catalog.Errorf(catalog.ErrConflict, "build %s is now in category %s, not %s", r.Build, sub.build.Category, r.From)
	}
	changes, err := s.changes(ctx, r)
	if err != nil {
		return nil, err
	}
	if cat, ok := s.policy().Category(r.Category); ok && cat.Signed && s.Signer != nil {
		// Signed before the database changes: a signed file is served
		// only once a channel that requires it carries the build.
		if _, err := s.Signer.SignBuild(ctx, r.Build, acc.Name); err != nil {
			return nil, fmt.Errorf("signing build %s: %w", r.Build, err)
		}
	}
	ex := Execution{Request: id, Build: r.Build, FromStates: []string{StateApproved}, State: StateDone, OldCategory: sub.build.Category,
		Category: r.Category, Changes: changes, Actor: acc.Name, Action: "promotion.execute", At: s.now()}
	if err := s.Store.ExecutePromotion(ctx, ex); err != nil {
		return nil, err
	}
	if perr := s.publish(ctx, changes); perr != nil {
		undo := Execution{Request: id, Build: r.Build, FromStates: []string{StateDone}, State: StateApproved, OldCategory: r.Category,
			Category: sub.build.Category, Changes: invert(changes), Actor: acc.Name, Action: "promotion.undo", At: s.now()}
		if err := s.Store.ExecutePromotion(ctx, undo); err != nil {
			s.log().Error("undoing a promotion whose publication failed", "request", id, "err", err)
			return nil, fmt.Errorf("publishing after request %d failed (%w), and undoing it failed too: %v", id, perr, err)
		}
		if err := s.publish(ctx, changes); err != nil {
			s.log().Error("publishing the undone channels", "request", id, "err", err)
		}
		return nil, fmt.Errorf("request %d was undone, the build is where it was: publishing failed: %w", id, perr)
	}
	return s.Get(ctx, id)
}

// changes lists the channel changes of executing r: the build enters the
// target channel (pushing out what its retention no longer keeps) and
// leaves the channel it came from when it is there.
func (s *Service) changes(ctx context.Context, r *Request) ([]ChannelChange, error) {
	var out []ChannelChange
	if r.FromChannel != "" {
		if _, err := s.Store.ChannelEntered(ctx, r.Release, r.FromChannel, r.Build); err == nil {
			out = append(out, ChannelChange{Release: r.Release, Channel: r.FromChannel, Remove: []string{r.Build}})
		} else if !isNotFound(err) {
			return nil, err
		}
	}
	to := ChannelChange{Release: r.Release, Channel: r.ToChannel}
	if _, err := s.Store.ChannelEntered(ctx, r.Release, r.ToChannel, r.Build); isNotFound(err) {
		to.Add = []string{r.Build}
	} else if err != nil {
		return nil, err
	}
	if len(to.Add) > 0 && s.Retention != nil {
		extra, err := s.Retention.Retiring(ctx, r.Release, r.ToChannel, to.Add, nil)
		if err != nil {
			return nil, err
		}
		to.Remove = extra
	}
	if len(to.Add)+len(to.Remove) > 0 {
		out = append(out, to)
	}
	return out, nil
}

func invert(cs []ChannelChange) []ChannelChange {
	out := make([]ChannelChange, 0, len(cs))
	for i := len(cs) - 1; i >= 0; i-- {
		c := cs[i]
		out = append(out, ChannelChange{Release: c.Release, Channel: c.Channel, Add: c.Remove, Remove: c.Add})
	}
	return out
}

func (s *Service) publish(ctx context.Context, cs []ChannelChange) error {
	if s.Publisher == nil {
		return nil
	}
	for _, c := range cs {
		if err := s.Publisher.PublishChannel(ctx, c.Release, c.Channel, 0); err != nil {
			return fmt.Errorf("publishing %s/%s: %w", c.Release, c.Channel, err)
		}
	}
	return nil
}
