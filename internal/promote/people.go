package promote

import (
	"context"
	"slices"
	"strings"

	"github.com/smeserver/smeforge/internal/catalog"
)

// JoinProject puts a newly uploaded build in the project named after its
// source package, creating the project, with the uploader as maintainer,
// on its first upload. The web upload handler calls it after ingest.
func (s *Service) JoinProject(ctx context.Context, build, uploader string) error {
	b, err := s.Store.Build(ctx, build)
	if err != nil {
		return err
	}
	if p, err := s.Store.BuildProject(ctx, build); err != nil || p != "" {
		return err
	}
	name := b.Name
	if name == "" {
		name = catalog.NameOf(build)
	}
	_, err = s.Store.JoinProject(ctx, build, name, uploader, s.now())
	return err
}

// Project returns a project with its maintainers.
func (s *Service) Project(ctx context.Context, name string) (*Project, error) {
	return s.Store.Project(ctx, name)
}

// Projects lists the projects.
func (s *Service) Projects(ctx context.Context) ([]Project, error) {
	ps, err := s.Store.Projects(ctx)
	if ps == nil {
		ps = []Project{}
	}
	return ps, err
}

// SetMaintainer adds or removes a maintainer; accounts that may
// approve-project, and the project's maintainers, may.
func (s *Service) SetMaintainer(ctx context.Context, acc *catalog.Account, project, account string, add bool) (*Project, error) {
	p, err := s.Store.Project(ctx, project)
	if err != nil {
		return nil, err
	}
	approver := false
	for _, r := range acc.Roles {
		approver = approver || s.policy().Allows(r, "approve-project")
	}
	if !approver && !slices.Contains(p.Maintainers, acc.Name) {
		return nil, forbidden("%s is not a maintainer of project %s and may not change its maintainers", acc.Name, project)
	}
	if _, err := s.Store.Account(ctx, account); err != nil {
		return nil, err
	}
	if add && slices.Contains(p.Maintainers, account) {
		return nil, catalog.Errorf(catalog.ErrConflict, "%s already maintains %s", account, project)
	}
	if !add && !slices.Contains(p.Maintainers, account) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "%s does not maintain %s", account, project)
	}
	if err := s.Store.SetMaintainer(ctx, project, account, add, acc.Name, s.now()); err != nil {
		return nil, err
	}
	return s.Store.Project(ctx, project)
}

// ReportInput is a new test report.
type ReportInput struct {
	Release     string `json:"release,omitempty"`
	Verdict     string `json:"verdict"`
	Environment string `json:"environment"`
	Text        string `json:"text"`
}

// Report files a tester's verification of a build.
func (s *Service) Report(ctx context.Context, acc *catalog.Account, build string, in ReportInput) (*TestReport, error) {
	if in.Verdict != VerdictWorks && in.Verdict != VerdictFails {
		return nil, catalog.Errorf(catalog.ErrInvalid, "verdict: %q is neither %q nor %q", in.Verdict, VerdictWorks, VerdictFails)
	}
	if strings.TrimSpace(in.Environment) == "" {
		return nil, catalog.Errorf(catalog.ErrInvalid, "environment: say what you tested on (release, updates applied, hardware or virtual machine)")
	}
	if strings.TrimSpace(in.Text) == "" {
		return nil, catalog.Errorf(catalog.ErrInvalid, "text: say what you did and what happened")
	}
	if len(in.Text) > 64<<10 || len(in.Environment) > 4<<10 {
		return nil, catalog.Errorf(catalog.ErrInvalid, "text: a report holds at most 64 KiB of text and 4 KiB of environment")
	}
	if _, err := s.Store.Build(ctx, build); err != nil {
		return nil, err
	}
	if in.Release != "" {
		if _, err := s.Store.Release(ctx, in.Release); err != nil {
			return nil, err
		}
	}
	r := &TestReport{Build: build, Release: in.Release, Account: acc.Name, Verdict: in.Verdict, Environment: in.Environment, Text: in.Text, At: s.now()}
	id, err := s.Store.AddTestReport(ctx, r)
	if err != nil {
		return nil, err
	}
	r.ID = id
	return r, nil
}

// Reports lists a build's test reports and install tests.
func (s *Service) Reports(ctx context.Context, build string) ([]TestReport, []InstallTest, error) {
	if _, err := s.Store.Build(ctx, build); err != nil {
		return nil, nil, err
	}
	rs, err := s.Store.TestReports(ctx, build)
	if err != nil {
		return nil, nil, err
	}
	ts, err := s.Store.InstallTests(ctx, build)
	if rs == nil {
		rs = []TestReport{}
	}
	if ts == nil {
		ts = []InstallTest{}
	}
	return rs, ts, err
}

// ForkInput is a new fork agreement request.
type ForkInput struct {
	Package         string   `json:"package"`
	Replaces        []string `json:"replaces"`
	Rationale       string   `json:"rationale"`
	UpstreamContact string   `json:"upstream_contact"`
}

// RequestFork asks for a fork agreement.
func (s *Service) RequestFork(ctx context.Context, acc *catalog.Account, in ForkInput) (*ForkAgreement, error) {
	if err := catalog.ValidName("package", in.Package); err != nil {
		return nil, err
	}
	if len(in.Replaces) == 0 {
		return nil, catalog.Errorf(catalog.ErrInvalid, "replaces: name the protected package(s) the fork replaces")
	}
	for _, r := range in.Replaces {
		if err := catalog.ValidName("replaced package", r); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(in.Rationale) == "" {
		return nil, catalog.Errorf(catalog.ErrInvalid, "rationale: say why the fork is needed")
	}
	if strings.TrimSpace(in.UpstreamContact) == "" {
		return nil, catalog.Errorf(catalog.ErrInvalid, "upstream_contact: say who upstream was contacted (name, address or bug link)")
	}
	f := &ForkAgreement{Package: in.Package, Replaces: in.Replaces, Rationale: in.Rationale, UpstreamContact: in.UpstreamContact,
		RequestedBy: acc.Name, State: ForkRequested, CreatedAt: s.now()}
	id, err := s.Store.CreateFork(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.Fork(ctx, id)
}

// Fork returns an agreement with its votes and review status.
func (s *Service) Fork(ctx context.Context, id int64) (*ForkAgreement, error) {
	f, err := s.Store.Fork(ctx, id)
	if err != nil {
		return nil, err
	}
	f.Reviews = CountReviews(s.policy().ForkReviews, f.Votes, f.RequestedBy)
	return f, nil
}

// Forks lists agreements, of one state or all ("").
func (s *Service) Forks(ctx context.Context, state string) ([]ForkAgreement, error) {
	fs, err := s.Store.Forks(ctx, state)
	if err != nil {
		return nil, err
	}
	for i := range fs {
		fs[i].Reviews = CountReviews(s.policy().ForkReviews, fs[i].Votes, fs[i].RequestedBy)
	}
	if fs == nil {
		fs = []ForkAgreement{}
	}
	return fs, nil
}

// VoteFork records a vote on a fork agreement: it is approved once the
// policy's fork reviews are met, rejected by any reject vote.
func (s *Service) VoteFork(ctx context.Context, acc *catalog.Account, id int64, vote, comment string) (*ForkAgreement, error) {
	if vote != VoteApprove && vote != VoteReject {
		return nil, catalog.Errorf(catalog.ErrInvalid, "vote: %q is neither %q nor %q", vote, VoteApprove, VoteReject)
	}
	f, err := s.Fork(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.State != ForkRequested {
		return nil, catalog.Errorf(catalog.ErrConflict, "fork agreement %d is already %s", id, f.State)
	}
	if acc.Name == f.RequestedBy {
		return nil, forbidden("%s asked for fork agreement %d and may not vote on it", acc.Name, id)
	}
	var roles, want []string
	for _, rv := range s.policy().ForkReviews {
		want = append(want, rv.Role)
		if slices.Contains(acc.Roles, rv.Role) {
			roles = append(roles, rv.Role)
		}
	}
	if len(roles) == 0 {
		return nil, forbidden("%s holds none of the roles that agree forks (%s)", acc.Name, strings.Join(want, ", "))
	}
	v := Vote{Account: acc.Name, Roles: roles, Vote: vote, Comment: comment, At: s.now()}
	state := ForkRequested
	if vote == VoteReject {
		state = ForkRejected
	} else if Met(CountReviews(s.policy().ForkReviews, append(f.Votes, v), f.RequestedBy)) {
		state = ForkApproved
	}
	if err := s.Store.VoteFork(ctx, id, v, state, v.At); err != nil {
		return nil, err
	}
	return s.Fork(ctx, id)
}
