// Package promote owns how a build earns its way up: projects and their
// maintainers, promotion requests from one category or channel to another
// with the result and evidence of every policy gate, reviews and votes,
// test reports and automatic install tests, fork agreements, and the
// execution of an approved request (category, channels, signature and
// publication, all or nothing). Every change it makes is audited in the
// same transaction by its Store.
package promote

import (
	"context"
	"errors"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/check"
)

// ErrForbidden is an object-level refusal: the caller holds the action's
// role but may not act on this object (another maintainer's build, another
// person's request). The web layer answers 403.
var ErrForbidden = errors.New("forbidden")

// Request states.
const (
	StateOpen      = "open"
	StateApproved  = "approved"
	StateDone      = "done"
	StateRejected  = "rejected"
	StateWithdrawn = "withdrawn"
)

// Gate rounds: when a gate result was computed.
const (
	RoundOpen    = "open"
	RoundExecute = "execute"
)

// GateDaysInTesting is the gate the forge adds to a promotion whose policy
// asks for a minimum number of days in testing.
const GateDaysInTesting = "days-in-testing"

// Votes.
const (
	VoteApprove = "approve"
	VoteReject  = "reject"
)

// Test report verdicts.
const (
	VerdictWorks = "works"
	VerdictFails = "fails"
)

// Project statuses.
var ProjectStatuses = []string{"active", "maintained", "posted", "orphaned", "retired"}

// Project is a contributed-package space: its builds and maintainers.
type Project struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	UpstreamURL string    `json:"upstream_url,omitempty"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	Maintainers []string  `json:"maintainers"`
}

// Request is a promotion request: a build from -> to in one release.
type Request struct {
	ID      int64  `json:"id"`
	Build   string `json:"build"`
	Release string `json:"release"`
	From    string `json:"from"`
	To      string `json:"to"`
	// Category, FromChannel and ToChannel are where the build goes (see
	// Target).
	Category    string         `json:"category"`
	FromChannel string         `json:"from_channel,omitempty"`
	ToChannel   string         `json:"to_channel"`
	State       string         `json:"state"`
	Round       int64          `json:"round"`
	RequestedBy string         `json:"requested_by"`
	Comment     string         `json:"comment,omitempty"`
	Waiver      string         `json:"waiver,omitempty"`
	WaivedBy    string         `json:"waived_by,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	Gates       []GateResult   `json:"gates"`
	Votes       []Vote         `json:"votes"`
	Reviews     []ReviewStatus `json:"reviews"`
}

// LatestGates are the gate results of the newest evaluation.
func (r *Request) LatestGates() []GateResult {
	if len(r.Gates) == 0 {
		return nil
	}
	last := r.Gates[len(r.Gates)-1].Eval
	var out []GateResult
	for _, g := range r.Gates {
		if g.Eval == last {
			out = append(out, g)
		}
	}
	return out
}

// GateResult is one gate's verdict with its evidence.
type GateResult struct {
	Gate string `json:"gate"`
	// Round is RoundOpen or RoundExecute; Eval numbers the evaluations
	// of a request.
	Round    string    `json:"round"`
	Eval     int64     `json:"eval"`
	OK       bool      `json:"ok"`
	Summary  string    `json:"summary"`
	Evidence Evidence  `json:"evidence"`
	At       time.Time `json:"at"`
}

// Evidence is what a gate's verdict rests on.
type Evidence struct {
	Files       []string                 `json:"files,omitempty"`
	Findings    []check.Finding          `json:"findings,omitempty"`
	Licences    []catalog.LicenceFinding `json:"licences,omitempty"`
	Maintainers []string                 `json:"maintainers,omitempty"`
	Reports     []int64                  `json:"reports,omitempty"`
	InstallTest int64                    `json:"install_test,omitempty"`
	Agreements  []int64                  `json:"agreements,omitempty"`
	Since       time.Time                `json:"since,omitzero"`
}

// Vote is one reviewer's approve or reject, with the review roles the
// voter held.
type Vote struct {
	Account string    `json:"account"`
	Roles   []string  `json:"roles"`
	Vote    string    `json:"vote"`
	Comment string    `json:"comment,omitempty"`
	Round   int64     `json:"round"`
	At      time.Time `json:"at"`
}

// ReviewStatus says how far one review of the policy is.
type ReviewStatus struct {
	Role string   `json:"role"`
	Need int      `json:"need"`
	Have int      `json:"have"`
	By   []string `json:"by"`
}

// Met reports whether every review has its approvals.
func Met(rs []ReviewStatus) bool {
	for _, r := range rs {
		if r.Have < r.Need {
			return false
		}
	}
	return true
}

// TestReport is a tester's verification of a build.
type TestReport struct {
	ID          int64     `json:"id"`
	Build       string    `json:"build"`
	Release     string    `json:"release,omitempty"`
	Account     string    `json:"account"`
	Verdict     string    `json:"verdict"`
	Environment string    `json:"environment"`
	Text        string    `json:"text"`
	At          time.Time `json:"at"`
}

// InstallTest is the record of one automatic install of a build with dnf.
type InstallTest struct {
	ID          int64     `json:"id"`
	Build       string    `json:"build"`
	Release     string    `json:"release"`
	Channel     string    `json:"channel"`
	OK          bool      `json:"ok"`
	Summary     string    `json:"summary"`
	Transcript  string    `json:"transcript"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	RequestedBy string    `json:"requested_by"`
}

// Fork agreement states.
const (
	ForkRequested = "requested"
	ForkApproved  = "approved"
	ForkRejected  = "rejected"
)

// ForkAgreement is the advance decision that a package may replace
// protected ones.
type ForkAgreement struct {
	ID int64 `json:"id"`
	// Package is the forking package: a build's source name or a binary
	// package's name.
	Package         string         `json:"package"`
	Replaces        []string       `json:"replaces"`
	Rationale       string         `json:"rationale"`
	UpstreamContact string         `json:"upstream_contact"`
	RequestedBy     string         `json:"requested_by"`
	State           string         `json:"state"`
	CreatedAt       time.Time      `json:"created_at"`
	DecidedAt       time.Time      `json:"decided_at,omitzero"`
	Votes           []Vote         `json:"votes"`
	Reviews         []ReviewStatus `json:"reviews"`
}

// RequestQuery filters promotion requests.
type RequestQuery struct {
	State string
	Build string
	Limit int
}

// Update is one change of a request, applied by the Store in one
// transaction with its audit event.
type Update struct {
	ID int64
	// FromStates: the request must be in one of these, else ErrConflict.
	FromStates []string
	State      string // new state; "" keeps it
	Round      int64  // new round; 0 keeps it
	Gates      []GateResult
	Vote       *Vote
	Waiver     *Waiver
	Actor      string
	Action     string // audit action: "promotion.vote" ...
	At         time.Time
}

// Waiver lifts the days-in-testing gate, with a reason.
type Waiver struct {
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// ChannelChange adds builds to and removes builds from one channel.
type ChannelChange struct {
	Release string   `json:"release"`
	Channel string   `json:"channel"`
	Add     []string `json:"add,omitempty"`
	Remove  []string `json:"remove,omitempty"`
}

// Execution is what executing a request changes, in one transaction: the
// build's category, channel versions, the request's state, the audit.
type Execution struct {
	Request     int64
	Build       string
	FromStates  []string
	State       string
	OldCategory string
	Category    string
	Changes     []ChannelChange
	Actor       string
	Action      string
	At          time.Time
}

// Store is what promotion needs of the database. Every method is one
// transaction that also appends its audit event; ids are made by the
// store. Missing things are catalog.ErrNotFound, a request or agreement
// not in an expected state catalog.ErrConflict. Safe for concurrent use.
type Store interface {
	Build(ctx context.Context, id string) (*catalog.Build, error)
	Release(ctx context.Context, name string) (*catalog.Release, error)
	Channel(ctx context.Context, release, name string) (*catalog.Channel, error)
	Channels(ctx context.Context, release string) ([]catalog.Channel, error)
	ChannelBuilds(ctx context.Context, release, name string, version int64) ([]string, error)
	PackagesIn(ctx context.Context, release string, channels []string) ([]catalog.PackageFacts, error)
	UpstreamPackages(ctx context.Context, upstream, text string, limit int) ([]catalog.PackageFacts, error)
	Fragments(ctx context.Context, sha256s []string) (map[string]*catalog.Fragments, error)
	Account(ctx context.Context, name string) (*catalog.Account, error)
	// BuildFacts lists the artifacts of a build with their details.
	BuildFacts(ctx context.Context, id string) ([]catalog.PackageFacts, error)
	// ChannelEntered is when a build last entered a channel it is in now
	// (ErrNotFound when it is not in it).
	ChannelEntered(ctx context.Context, release, channel, build string) (time.Time, error)

	// JoinProject puts a build in a project, creating the project with
	// account as its maintainer if it does not exist.
	JoinProject(ctx context.Context, build, project, account string, at time.Time) (created bool, err error)
	Project(ctx context.Context, name string) (*Project, error)
	Projects(ctx context.Context) ([]Project, error)
	// BuildProject names a build's project ("" when it has none).
	BuildProject(ctx context.Context, build string) (string, error)
	SetMaintainer(ctx context.Context, project, account string, add bool, by string, at time.Time) error

	CreatePromotion(ctx context.Context, r *Request) (int64, error)
	Promotion(ctx context.Context, id int64) (*Request, error)
	Promotions(ctx context.Context, q RequestQuery) ([]Request, error)
	UpdatePromotion(ctx context.Context, u Update) error
	ExecutePromotion(ctx context.Context, e Execution) error

	AddTestReport(ctx context.Context, r *TestReport) (int64, error)
	TestReports(ctx context.Context, build string) ([]TestReport, error)
	AddInstallTest(ctx context.Context, t *InstallTest) (int64, error)
	InstallTests(ctx context.Context, build string) ([]InstallTest, error)

	CreateFork(ctx context.Context, f *ForkAgreement) (int64, error)
	Fork(ctx context.Context, id int64) (*ForkAgreement, error)
	Forks(ctx context.Context, state string) ([]ForkAgreement, error)
	// VoteFork records a vote and sets the agreement's state.
	VoteFork(ctx context.Context, id int64, v Vote, state string, at time.Time) error
}
