package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// VulnProblem is one bad record of an import, skipped.
type VulnProblem struct {
	File   string `json:"file,omitempty"`
	Record string `json:"record,omitempty"`
	Error  string `json:"error"`
}

// ImportResult is what an import of vulnerability records did.
type ImportResult struct {
	Imported  int           `json:"imported"`
	Unchanged int           `json:"unchanged"`
	Ignored   int           `json:"ignored"`
	Skipped   []VulnProblem `json:"skipped"`
	Opened    int           `json:"entries_opened"`
	Updated   int           `json:"entries_updated"`
}

// VulnEntry is a tracker entry: one vulnerability of one package of one
// release and the project's answer.
type VulnEntry struct {
	ID              int64     `json:"id"`
	Release         string    `json:"release"`
	Package         string    `json:"package"`
	Vulnerability   string    `json:"vulnerability"`
	Summary         string    `json:"summary,omitempty"`
	Sources         []string  `json:"sources"`
	EVRs            []string  `json:"evrs"`
	Fixed           string    `json:"fixed,omitempty"`
	Arches          []string  `json:"arches,omitempty"`
	State           string    `json:"state"`
	Severity        string    `json:"severity,omitempty"`
	Owner           string    `json:"owner,omitempty"`
	PrivateNotes    string    `json:"private_notes,omitempty"`
	PublicStatement string    `json:"public_statement,omitempty"`
	Justification   string    `json:"justification,omitempty"`
	Monitoring      string    `json:"monitoring"`
	CreatedAt       time.Time `json:"created_at"`
	FirstResponseAt time.Time `json:"first_response_at,omitzero"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// VulnSummary are the tracker's figures.
type VulnSummary struct {
	Entries             int   `json:"entries"`
	Open                int   `json:"open"`
	Answered            int   `json:"answered"`
	MedianFirstResponse int64 `json:"median_first_response_ns"`
}

// VulnEntries is a list of entries with the figures of that list.
type VulnEntries struct {
	Entries []VulnEntry `json:"entries"`
	Summary VulnSummary `json:"summary"`
}

// VulnFilter selects entries; empty fields select all.
type VulnFilter struct {
	Release, Package, State, Vulnerability string
}

// Triage is a change of an entry; nil fields stay as they are.
type Triage struct {
	State           *string `json:"state,omitempty"`
	Severity        *string `json:"severity,omitempty"`
	Owner           *string `json:"owner,omitempty"`
	PrivateNotes    *string `json:"private_notes,omitempty"`
	PublicStatement *string `json:"public_statement,omitempty"`
	Justification   *string `json:"justification,omitempty"`
}

// ImportRecords sends one file of vulnerability records. format is osv,
// updateinfo, csaf or "" (the server looks at the content); ecosystem
// ("Rocky Linux:8") is for an updateinfo.xml whose updates do not name
// their release.
func (c *Client) ImportRecords(ctx context.Context, name string, r io.Reader, size int64, format, ecosystem string) (*ImportResult, error) {
	q := url.Values{"filename": {name}}
	if format != "" {
		q.Set("format", format)
	}
	if ecosystem != "" {
		q.Set("ecosystem", ecosystem)
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/api/v1/security/records", q, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if size >= 0 {
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
	}
	var res ImportResult
	if err := c.send(req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// VulnEntries lists tracker entries.
func (c *Client) VulnEntries(ctx context.Context, f VulnFilter) (*VulnEntries, error) {
	q := url.Values{}
	for k, v := range map[string]string{"release": f.Release, "package": f.Package, "state": f.State, "vulnerability": f.Vulnerability} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out VulnEntries
	if err := c.call(ctx, http.MethodGet, "/api/v1/security/entries", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VulnEntry returns one entry.
func (c *Client) VulnEntry(ctx context.Context, id int64) (*VulnEntry, error) {
	var out VulnEntry
	if err := c.call(ctx, http.MethodGet, apiPath("security", "entries", strconv.FormatInt(id, 10)), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TriageEntry changes an entry.
func (c *Client) TriageEntry(ctx context.Context, id int64, t Triage) (*VulnEntry, error) {
	var out VulnEntry
	if err := c.call(ctx, http.MethodPost, apiPath("security", "entries", strconv.FormatInt(id, 10)), nil, t, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OpenVEX returns the OpenVEX document of the tracker's answers, as sent.
func (c *Client) OpenVEX(ctx context.Context) (json.RawMessage, error) {
	var out json.RawMessage
	if err := c.call(ctx, http.MethodGet, "/api/v1/security/openvex.json", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
