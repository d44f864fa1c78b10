package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/security"
)

// entryView is an entry with its state in plain words.
type entryView struct {
	security.Entry
	Plain string
	Open  bool
}

func viewEntries(es []security.Entry) []entryView {
	out := make([]entryView, len(es))
	for i, e := range es {
		out[i] = entryView{Entry: e, Plain: security.PlainState(e.State), Open: security.Open(e.State)}
	}
	return out
}

// plainDuration writes a delay as a person would say it.
func plainDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "no answer yet"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", max(1, int(d.Minutes())))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f hours", d.Hours())
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

type securityPage struct {
	Entries  []entryView
	Summary  security.Summary
	Median   string
	Release  string
	State    string
	Releases []catalog.Release
	States   []stateOption
	// NotMonitored lists the categories the policy does not watch.
	NotMonitored []string
	BestEffort   []string
}

type stateOption struct{ Value, Plain string }

func (s *Server) uiSecurity(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSecurity(); err != nil {
		return err
	}
	q := r.URL.Query()
	all, err := s.sec.Store.Entries(r.Context(), security.Filter{})
	if err != nil {
		return err
	}
	es, err := s.sec.Store.Entries(r.Context(), security.Filter{Release: q.Get("release"), State: q.Get("state"), Package: q.Get("package")})
	if err != nil {
		return err
	}
	for i := range es {
		es[i] = es[i].Public()
	}
	rels, err := s.store.Releases(r.Context())
	if err != nil {
		return err
	}
	sum := security.Summarize(all)
	p := securityPage{Entries: viewEntries(es), Summary: sum, Median: plainDuration(sum.MedianFirstResponse),
		Release: q.Get("release"), State: q.Get("state"), Releases: rels}
	for _, st := range security.States {
		p.States = append(p.States, stateOption{st, security.PlainState(st)})
	}
	for _, c := range s.policy.Categories {
		switch c.Monitoring {
		case policy.MonitorNone:
			p.NotMonitored = append(p.NotMonitored, c.Name)
		case policy.MonitorBestEffort:
			p.BestEffort = append(p.BestEffort, c.Name)
		}
	}
	return s.render(w, r, http.StatusOK, "security", "Security", p)
}

type securityEntryPage struct {
	E         entryView
	CanTriage bool
	Next      []stateOption
	Severity  []string
	Justify   []string
	Done      bool
}

func (s *Server) uiSecurityEntry(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSecurity(); err != nil {
		return err
	}
	id, err := entryID(r)
	if err != nil {
		return err
	}
	e, err := s.sec.Store.Entry(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := s.viewer(r)
	if err != nil {
		return err
	}
	p := securityEntryPage{CanTriage: v != nil && s.may(v, "triage-vulnerability") == nil, Severity: security.Severities,
		Justify: security.Justifications, Done: r.URL.Query().Get("saved") == "1"}
	if !p.CanTriage {
		*e = e.Public()
	}
	p.E = viewEntries([]security.Entry{*e})[0]
	for _, st := range security.States {
		if st == e.State || security.CanMove(e.State, st) {
			p.Next = append(p.Next, stateOption{st, security.PlainState(st)})
		}
	}
	return s.render(w, r, http.StatusOK, "security_entry", e.Key+" in "+e.Package, p)
}

// uiTriagePost is the triage form: every field is sent, so each is a
// change only where it differs.
func (s *Server) uiTriagePost(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSecurity(); err != nil {
		return err
	}
	id, err := entryID(r)
	if err != nil {
		return err
	}
	e, err := s.sec.Store.Entry(r.Context(), id)
	if err != nil {
		return err
	}
	f := r.PostForm
	var c security.Change
	set := func(dst **string, field, cur string) {
		if v, ok := f[field]; ok && v[0] != cur {
			val := v[0]
			*dst = &val
		}
	}
	set(&c.State, "state", e.State)
	set(&c.Severity, "severity", e.Severity)
	set(&c.Owner, "owner", e.Owner)
	set(&c.PrivateNotes, "private_notes", e.PrivateNotes)
	set(&c.Statement, "public_statement", e.Statement)
	set(&c.Justification, "justification", e.Justification)
	if _, err := s.sec.Triage(r.Context(), id, c, actor(r).Name); err != nil {
		return err
	}
	http.Redirect(w, r, "/security/"+strconv.FormatInt(id, 10)+"?saved=1", http.StatusSeeOther)
	return nil
}

// packageSecurity is what a package page says of vulnerabilities: the
// open entries of the package (or its source package), or that its
// category is not monitored.
type packageSecurity struct {
	Monitoring string
	Entries    []entryView
}

func (s *Server) packageSecurity(r *http.Request, a *catalog.Artifact) *packageSecurity {
	if s.sec == nil {
		return nil
	}
	ps := &packageSecurity{Monitoring: policy.MonitorFull}
	if c, ok := s.policy.Category(a.Category); ok && c.Monitoring != "" {
		ps.Monitoring = c.Monitoring
	}
	if ps.Monitoring == policy.MonitorNone {
		return ps
	}
	names := []string{a.Name}
	if src := security.SourceName(a.SourceRPM); src != "" && src != a.Name {
		names = append(names, src)
	}
	for _, n := range names {
		es, err := s.sec.Store.Entries(r.Context(), security.Filter{Package: n})
		if err != nil {
			s.log.Warn("security entries for a package page", "err", err)
			return ps
		}
		for _, e := range es {
			if security.Open(e.State) || e.State == security.StateNotVulnerable || e.State == security.StateNotRelevant {
				ps.Entries = append(ps.Entries, viewEntries([]security.Entry{e.Public()})...)
			}
		}
	}
	return ps
}
