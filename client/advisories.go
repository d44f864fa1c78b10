package client

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Advisory is one of the project's advisories (SME-SA-2026:0001).
type Advisory struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`     // security, bugfix, enhancement, known-issue
	Severity     string    `json:"severity"` // none, low, moderate, important, critical
	Title        string    `json:"title"`
	Releases     []string  `json:"releases"`
	Packages     []string  `json:"packages"`
	Builds       []string  `json:"builds"`
	CVEs         []string  `json:"cves"`
	References   []string  `json:"references"`
	Technical    string    `json:"technical"`
	Guidance     string    `json:"guidance"`
	Workaround   string    `json:"workaround,omitempty"`
	EmbargoUntil time.Time `json:"embargo_until,omitzero"`
	State        string    `json:"state"` // draft, published, closed
	Revision     int       `json:"revision"`
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
	UpdatedAt    time.Time `json:"updated_at"`
	PublishedAt  time.Time `json:"published_at,omitzero"`
	ClosedAt     time.Time `json:"closed_at,omitzero"`
	CloseReason  string    `json:"close_reason,omitempty"`
}

// AdvisoryChange is the content of a new advisory, or a change of one: nil
// fields stay as they are. Guidance is the communications team's field,
// every other one the security team's. After publication, Reason is
// required: every change is a new revision that says why.
type AdvisoryChange struct {
	Type       *string   `json:"type,omitempty"`
	Severity   *string   `json:"severity,omitempty"`
	Title      *string   `json:"title,omitempty"`
	Releases   *[]string `json:"releases,omitempty"`
	Packages   *[]string `json:"packages,omitempty"`
	Builds     *[]string `json:"builds,omitempty"`
	CVEs       *[]string `json:"cves,omitempty"`
	References *[]string `json:"references,omitempty"`
	Technical  *string   `json:"technical,omitempty"`
	Workaround *string   `json:"workaround,omitempty"`
	// EmbargoUntil is an RFC 3339 time, or "" to lift the embargo.
	EmbargoUntil *string `json:"embargo_until,omitempty"`
	Guidance     *string `json:"guidance,omitempty"`
	Reason       string  `json:"reason,omitempty"`
}

// AdvisoryResult is an advisory after a change, with the channels that
// were republished so that their updateinfo.xml follows it.
type AdvisoryResult struct {
	Advisory    Advisory `json:"advisory"`
	Republished []string `json:"republished,omitempty"`
	Problems    []string `json:"problems,omitempty"`
}

// AdvisoryRevision is an advisory as a publication or a later change left
// it.
type AdvisoryRevision struct {
	Advisory string    `json:"advisory"`
	N        int       `json:"n"`
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Reason   string    `json:"reason"`
	Content  Advisory  `json:"content"`
}

// Advisories lists the advisories the caller may see, newest first: the
// public ones, and for the security and communications teams also drafts
// and embargoed ones.
func (c *Client) Advisories(ctx context.Context) ([]Advisory, error) {
	var out struct {
		Advisories []Advisory `json:"advisories"`
	}
	if err := c.call(ctx, http.MethodGet, apiPath("advisories"), nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Advisories, nil
}

// Advisory returns one advisory; one the caller may not see is HTTP 404.
func (c *Client) Advisory(ctx context.Context, id string) (*Advisory, error) {
	var out Advisory
	if err := c.call(ctx, http.MethodGet, apiPath("advisories", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateAdvisory drafts an advisory; the server gives it its id.
func (c *Client) CreateAdvisory(ctx context.Context, in AdvisoryChange) (*Advisory, error) {
	var out Advisory
	if err := c.call(ctx, http.MethodPost, apiPath("advisories"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EditAdvisory changes an advisory.
func (c *Client) EditAdvisory(ctx context.Context, id string, in AdvisoryChange) (*AdvisoryResult, error) {
	var out AdvisoryResult
	if err := c.call(ctx, http.MethodPost, apiPath("advisories", id), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PublishAdvisory publishes a draft as revision 1; with an embargo date
// it becomes public at that date.
func (c *Client) PublishAdvisory(ctx context.Context, id string) (*AdvisoryResult, error) {
	var out AdvisoryResult
	if err := c.call(ctx, http.MethodPost, apiPath("advisories", id, "publish"), nil, struct{}{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CloseAdvisory closes a published advisory, saying why.
func (c *Client) CloseAdvisory(ctx context.Context, id, reason string) (*AdvisoryResult, error) {
	in := struct {
		Reason string `json:"reason"`
	}{reason}
	var out AdvisoryResult
	if err := c.call(ctx, http.MethodPost, apiPath("advisories", id, "close"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AdvisoryRevisions lists every revision of an advisory, oldest first.
func (c *Client) AdvisoryRevisions(ctx context.Context, id string) ([]AdvisoryRevision, error) {
	var out struct {
		Revisions []AdvisoryRevision `json:"revisions"`
	}
	if err := c.call(ctx, http.MethodGet, apiPath("advisories", id, "revisions"), nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Revisions, nil
}

// AdvisoryRevision returns revision n of an advisory.
func (c *Client) AdvisoryRevision(ctx context.Context, id string, n int) (*AdvisoryRevision, error) {
	var out AdvisoryRevision
	if err := c.call(ctx, http.MethodGet, apiPath("advisories", id, "revisions", strconv.Itoa(n)), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AdvisoryOSV returns an advisory as an OSV record (raw JSON).
func (c *Client) AdvisoryOSV(ctx context.Context, id string) (json.RawMessage, error) {
	var out json.RawMessage
	if err := c.call(ctx, http.MethodGet, apiPath("advisories", id, "osv"), nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// AdvisoriesOSV returns every public advisory as OSV records (a JSON array).
func (c *Client) AdvisoriesOSV(ctx context.Context) (json.RawMessage, error) {
	var out json.RawMessage
	if err := c.call(ctx, http.MethodGet, apiPath("advisories", "osv"), nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
