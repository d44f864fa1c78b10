package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Project is a contributed-package space.
type Project struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	UpstreamURL string    `json:"upstream_url,omitempty"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	Maintainers []string  `json:"maintainers"`
}

// Promotion is a promotion request with its gates, votes and reviews.
type Promotion struct {
	ID          int64          `json:"id"`
	Build       string         `json:"build"`
	Release     string         `json:"release"`
	From        string         `json:"from"`
	To          string         `json:"to"`
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
func (p *Promotion) LatestGates() []GateResult {
	var out []GateResult
	for _, g := range p.Gates {
		if len(out) > 0 && g.Eval != out[0].Eval {
			out = out[:0]
		}
		out = append(out, g)
	}
	return out
}

// GateResult is one gate's verdict and evidence.
type GateResult struct {
	Gate     string          `json:"gate"`
	Round    string          `json:"round"`
	Eval     int64           `json:"eval"`
	OK       bool            `json:"ok"`
	Summary  string          `json:"summary"`
	Evidence json.RawMessage `json:"evidence"`
	At       time.Time       `json:"at"`
}

// Vote is a reviewer's vote.
type Vote struct {
	Account string    `json:"account"`
	Roles   []string  `json:"roles"`
	Vote    string    `json:"vote"`
	Comment string    `json:"comment,omitempty"`
	Round   int64     `json:"round"`
	At      time.Time `json:"at"`
}

// ReviewStatus says how far one review is.
type ReviewStatus struct {
	Role string   `json:"role"`
	Need int      `json:"need"`
	Have int      `json:"have"`
	By   []string `json:"by"`
}

// PromotionRequest opens a promotion.
type PromotionRequest struct {
	Build    string `json:"build"`
	Release  string `json:"release"`
	From     string `json:"from"`
	To       string `json:"to"`
	Category string `json:"category,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// PromotionQuery filters the list of promotions.
type PromotionQuery struct {
	State, Build, ReviewerRole string
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

// InstallTest is one automatic install test.
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

// ForkAgreement is the advance decision that a package may replace
// protected ones.
type ForkAgreement struct {
	ID              int64          `json:"id"`
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

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	Seq     int64           `json:"seq"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
	Public  bool            `json:"public"`
	Prev    string          `json:"prev"`
	Hash    string          `json:"hash"`
}

// Projects lists the projects.
func (c *Client) Projects(ctx context.Context) ([]Project, error) {
	var out struct {
		Projects []Project `json:"projects"`
	}
	return out.Projects, c.call(ctx, http.MethodGet, apiPath("projects"), nil, nil, &out)
}

// Project returns one project.
func (c *Client) Project(ctx context.Context, name string) (*Project, error) {
	var out Project
	if err := c.call(ctx, http.MethodGet, apiPath("projects", name), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddMaintainer makes account a maintainer of project.
func (c *Client) AddMaintainer(ctx context.Context, project, account string) (*Project, error) {
	var out Project
	if err := c.call(ctx, http.MethodPost, apiPath("projects", project, "maintainers"), nil, map[string]string{"account": account}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveMaintainer removes a maintainer from project.
func (c *Client) RemoveMaintainer(ctx context.Context, project, account string) (*Project, error) {
	var out Project
	if err := c.call(ctx, http.MethodDelete, apiPath("projects", project, "maintainers", account), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RequestPromotion opens a promotion request.
func (c *Client) RequestPromotion(ctx context.Context, req PromotionRequest) (*Promotion, error) {
	var out Promotion
	if err := c.call(ctx, http.MethodPost, apiPath("promotions"), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Promotions lists promotion requests, newest first.
func (c *Client) Promotions(ctx context.Context, q PromotionQuery) ([]Promotion, error) {
	v := url.Values{}
	for k, s := range map[string]string{"state": q.State, "build": q.Build, "reviewer_role": q.ReviewerRole} {
		if s != "" {
			v.Set(k, s)
		}
	}
	var out struct {
		Promotions []Promotion `json:"promotions"`
	}
	return out.Promotions, c.call(ctx, http.MethodGet, apiPath("promotions"), v, nil, &out)
}

// Promotion returns one request.
func (c *Client) Promotion(ctx context.Context, id int64) (*Promotion, error) {
	return c.promotionCall(ctx, http.MethodGet, id, "", nil)
}

func (c *Client) promotionCall(ctx context.Context, method string, id int64, step string, in any) (*Promotion, error) {
	parts := []string{"promotions", strconv.FormatInt(id, 10)}
	if step != "" {
		parts = append(parts, step)
	}
	var out Promotion
	if err := c.call(ctx, method, apiPath(parts...), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VotePromotion approves or rejects a request.
func (c *Client) VotePromotion(ctx context.Context, id int64, vote, comment string) (*Promotion, error) {
	return c.promotionCall(ctx, http.MethodPost, id, "votes", map[string]string{"vote": vote, "comment": comment})
}

// WithdrawPromotion withdraws one's own request.
func (c *Client) WithdrawPromotion(ctx context.Context, id int64, reason string) (*Promotion, error) {
	return c.promotionCall(ctx, http.MethodPost, id, "withdraw", map[string]string{"reason": reason})
}

// ReopenPromotion opens a rejected or withdrawn request again.
func (c *Client) ReopenPromotion(ctx context.Context, id int64) (*Promotion, error) {
	return c.promotionCall(ctx, http.MethodPost, id, "reopen", struct{}{})
}

// ExecutePromotion carries out an approved request.
func (c *Client) ExecutePromotion(ctx context.Context, id int64) (*Promotion, error) {
	return c.promotionCall(ctx, http.MethodPost, id, "execute", struct{}{})
}

// WaivePromotion lifts the days-in-testing requirement, with a reason.
func (c *Client) WaivePromotion(ctx context.Context, id int64, reason string) (*Promotion, error) {
	return c.promotionCall(ctx, http.MethodPost, id, "waiver", map[string]string{"reason": reason})
}

// FileTestReport files a test report on a build.
func (c *Client) FileTestReport(ctx context.Context, build string, r TestReport) (*TestReport, error) {
	in := map[string]string{"release": r.Release, "verdict": r.Verdict, "environment": r.Environment, "text": r.Text}
	var out TestReport
	if err := c.call(ctx, http.MethodPost, apiPath("builds", build, "test-reports"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TestReports lists a build's test reports and install tests.
func (c *Client) TestReports(ctx context.Context, build string) ([]TestReport, []InstallTest, error) {
	var out struct {
		Reports      []TestReport  `json:"reports"`
		InstallTests []InstallTest `json:"install_tests"`
	}
	err := c.call(ctx, http.MethodGet, apiPath("builds", build, "test-reports"), nil, nil, &out)
	return out.Reports, out.InstallTests, err
}

// RunInstallTest installs a build with the forge's dnf from the would-be
// content of a channel.
func (c *Client) RunInstallTest(ctx context.Context, build, release, channel string) (*InstallTest, error) {
	var out InstallTest
	if err := c.call(ctx, http.MethodPost, apiPath("builds", build, "install-tests"), nil, map[string]string{"release": release, "channel": channel}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BuildHistory lists the public audit entries of a build.
func (c *Client) BuildHistory(ctx context.Context, build string) ([]AuditEvent, error) {
	var out struct {
		Events []AuditEvent `json:"events"`
	}
	return out.Events, c.call(ctx, http.MethodGet, apiPath("builds", build, "history"), nil, nil, &out)
}

// Audit lists the audit log after entry after (0 from the start).
func (c *Client) Audit(ctx context.Context, after int64, limit int) ([]AuditEvent, error) {
	v := url.Values{"after": {strconv.FormatInt(after, 10)}}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Events []AuditEvent `json:"events"`
	}
	return out.Events, c.call(ctx, http.MethodGet, apiPath("audit"), v, nil, &out)
}

// RequestFork asks for a fork agreement.
func (c *Client) RequestFork(ctx context.Context, pkg string, replaces []string, rationale, upstreamContact string) (*ForkAgreement, error) {
	in := map[string]any{"package": pkg, "replaces": replaces, "rationale": rationale, "upstream_contact": upstreamContact}
	var out ForkAgreement
	if err := c.call(ctx, http.MethodPost, apiPath("forks"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Forks lists fork agreements (of one state, or all with "").
func (c *Client) Forks(ctx context.Context, state string) ([]ForkAgreement, error) {
	v := url.Values{}
	if state != "" {
		v.Set("state", state)
	}
	var out struct {
		Forks []ForkAgreement `json:"forks"`
	}
	return out.Forks, c.call(ctx, http.MethodGet, apiPath("forks"), v, nil, &out)
}

// VoteFork approves or rejects a fork agreement.
func (c *Client) VoteFork(ctx context.Context, id int64, vote, comment string) (*ForkAgreement, error) {
	var out ForkAgreement
	if err := c.call(ctx, http.MethodPost, apiPath("forks", strconv.FormatInt(id, 10), "votes"), nil, map[string]string{"vote": vote, "comment": comment}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
