package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/catalog"
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
	return s.render(w, r, http.StatusOK, "build", b.ID, p)
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
