package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/promote"
)

// historyLine is one public audit entry in plain words.
type historyLine struct {
	At    time.Time
	Actor string
	What  string
}

type buildPage struct {
	Build    *catalog.Build
	Category string // in words
	History  []historyLine
	Project  *promote.Project
	Requests []promote.Request
	Reports  []promote.TestReport
	Installs []promote.InstallTest
	// Steps are the policy's promotions this build may ask for
	// ("from>to"), Releases where.
	Steps                 []string
	Releases              []catalog.Release
	CanReport, CanRequest bool
}

// uiBuild shows a build: its files, where it is, and its path so far (its
// public audit entries).
func (s *Server) uiBuild(w http.ResponseWriter, r *http.Request) error {
	b, err := s.store.Build(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := buildPage{Build: b, Category: b.Category}
	if c, ok := s.policy.Category(b.Category); ok {
		p.Category = c.Name + ": " + c.Description
	}
	hist, err := s.history(r, b.ID)
	if err != nil {
		return err
	}
	p.History = hist
	if s.promote != nil {
		if err := s.buildWorkflow(r, &p); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "build", b.ID, p)
}

// buildWorkflow adds a build's project, requests, test reports and the
// forms the viewer may use.
func (s *Server) buildWorkflow(r *http.Request, p *buildPage) error {
	ctx := r.Context()
	id := p.Build.ID
	var err error
	if p.Requests, err = s.promote.List(ctx, promote.RequestQuery{Build: id}, ""); err != nil {
		return err
	}
	if p.Reports, p.Installs, err = s.promote.Reports(ctx, id); err != nil {
		return err
	}
	if name, err := s.promote.Store.BuildProject(ctx, id); err == nil && name != "" {
		p.Project, _ = s.promote.Project(ctx, name)
	}
	v, err := s.viewer(r)
	if err != nil {
		return err
	}
	p.CanReport, p.CanRequest = s.can(v, "file-test-report"), s.can(v, "request-promotion")
	if p.CanRequest || p.CanReport {
		if p.Releases, err = s.store.Releases(ctx); err != nil {
			return err
		}
	}
	for _, pr := range s.policy.Promotions {
		if pr.From == p.Build.Category || s.policy.Accepts(pr.From, p.Build.Category) {
			p.Steps = append(p.Steps, pr.From+">"+pr.To)
		}
	}
	return nil
}

// history is a build's public audit entries, oldest first, in words.
func (s *Server) history(r *http.Request, build string) ([]historyLine, error) {
	if s.audit == nil {
		return nil, nil
	}
	events, err := s.audit.AuditEvents(r.Context(), audit.Query{Subject: "build:" + build, PublicOnly: true})
	if err != nil {
		return nil, err
	}
	out := make([]historyLine, 0, len(events))
	for _, e := range events {
		out = append(out, historyLine{At: e.At, Actor: e.Actor, What: describe(e)})
	}
	return out, nil
}

// describe says in words what an audit entry of a build records.
func describe(e audit.Event) string {
	var before, after struct {
		Category string `json:"category"`
		State    string `json:"state"`
		Channel  string `json:"channel"`
	}
	json.Unmarshal(e.Before, &before)
	json.Unmarshal(e.After, &after)
	a := e.Action
	switch {
	case a == "POST /api/v1/packages":
		return "uploaded (category " + after.Category + ")"
	case strings.HasSuffix(a, "/category"):
		return "moved from category " + before.Category + " to " + after.Category
	case strings.HasSuffix(a, "/sign"):
		return "signed with the project key"
	case strings.HasPrefix(a, "POST /api/v1/releases/") && strings.HasSuffix(a, "/builds"):
		return "added to channel " + after.Channel + " by hand"
	case strings.HasPrefix(a, "DELETE /api/v1/releases/"):
		return "removed from channel " + after.Channel + " by hand"
	}
	// Domain code writes its own actions ("promotion.execute" ...).
	w := strings.NewReplacer(".", " ", "-", " ", "_", " ").Replace(a)
	if after.State != "" {
		w += ": " + after.State
	}
	return w
}
