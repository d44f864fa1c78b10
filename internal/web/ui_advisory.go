package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/smeserver/smeforge/internal/advisory"
	"github.com/smeserver/smeforge/internal/catalog"
)

type advisoriesPage struct {
	Advisories []advisory.Advisory
	Now        time.Time
	// Team is true when the visitor also sees drafts and embargoed ones.
	Team bool
}

// uiViewerOfAdvisories is what the signed-in visitor may see of advisories.
func (s *Server) uiViewerOfAdvisories(r *http.Request) (advisory.Viewer, error) {
	a, err := s.viewer(r)
	if err != nil {
		return advisory.Viewer{}, err
	}
	return s.advisoryViewer(a), nil
}

func (s *Server) uiAdvisories(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	v, err := s.uiViewerOfAdvisories(r)
	if err != nil {
		return err
	}
	as, err := adv.List(r.Context(), v)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "advisories", "Advisories", advisoriesPage{Advisories: as, Now: s.adv.Clock(), Team: v.Privileged})
}

type advisoryPage struct {
	A         *advisory.Advisory
	Revisions []advisory.Revision
	// Shown is the revision shown when it is not the latest.
	Shown   int
	Embargo bool
	Public  bool
	Builds  []catalog.Build
}

func (s *Server) uiAdvisory(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	v, err := s.uiViewerOfAdvisories(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	a, err := adv.Get(r.Context(), v, id)
	if err != nil {
		return err
	}
	revs, err := adv.Revisions(r.Context(), v, id)
	if err != nil {
		return err
	}
	now := adv.Clock()
	p := advisoryPage{A: a, Revisions: revs, Embargo: a.Embargoed(now), Public: a.Public(now)}
	if q := r.URL.Query().Get("revision"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil {
			return catalog.Errorf(catalog.ErrInvalid, "revision %q is not a number", q)
		}
		rev, err := adv.Revision(r.Context(), v, id, n)
		if err != nil {
			return err
		}
		if n != a.Revision {
			c := rev.Content
			p.A, p.Shown = &c, n
		}
	}
	for _, b := range p.A.Builds {
		if bd, err := s.store.Build(r.Context(), b); err == nil {
			p.Builds = append(p.Builds, *bd)
		}
	}
	return s.render(w, r, http.StatusOK, "advisory", a.ID+": "+a.Title, p)
}

func (s *Server) uiAdvisoriesAtom(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	feed, err := adv.Atom(r.Context(), s.baseURL(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(feed)
	return nil
}
