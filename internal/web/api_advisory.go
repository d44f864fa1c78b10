package web

import (
	"net/http"
	"strconv"

	"github.com/smeserver/smeforge/internal/advisory"
	"github.com/smeserver/smeforge/internal/catalog"
)

// advisoryActions are the actions whose holders also see drafts and
// embargoed advisories.
var advisoryActions = []string{"write-advisory", "write-advisory-guidance", "publish-advisory"}

// advisoryViewer says what a (possibly anonymous) account may see of
// advisories.
func (s *Server) advisoryViewer(a *catalog.Account) advisory.Viewer {
	if a == nil || a.Disabled {
		return advisory.Viewer{}
	}
	for _, act := range advisoryActions {
		if s.may(a, act) == nil {
			return advisory.Viewer{Privileged: true}
		}
	}
	return advisory.Viewer{}
}

// apiAdvisoryViewer is advisoryViewer for the API caller (a token is
// optional on reads; a bad one is still an error).
func (s *Server) apiAdvisoryViewer(r *http.Request) (advisory.Viewer, error) {
	a, err := s.apiAccount(r)
	if err != nil {
		return advisory.Viewer{}, err
	}
	return s.advisoryViewer(a), nil
}

func (s *Server) advisories() (*advisory.Service, error) {
	if s.adv == nil {
		return nil, catalog.Errorf(catalog.ErrNotFound, "this forge does not keep advisories")
	}
	return s.adv, nil
}

// mayPatch checks that the caller may change what p touches: the
// security team's fields need write-advisory, the guidance needs
// write-advisory-guidance; a change of both needs both.
func (s *Server) mayPatch(a *catalog.Account, p *advisory.Patch) error {
	if p.TouchesTechnical() {
		if err := s.may(a, "write-advisory"); err != nil {
			return err
		}
	}
	if p.TouchesGuidance() {
		if err := s.may(a, "write-advisory-guidance"); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) apiAdvisories(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	v, err := s.apiAdvisoryViewer(r)
	if err != nil {
		return err
	}
	as, err := adv.List(r.Context(), v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"advisories": as})
	return nil
}

func (s *Server) apiAdvisory(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	v, err := s.apiAdvisoryViewer(r)
	if err != nil {
		return err
	}
	a, err := adv.Get(r.Context(), v, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiCreateAdvisory(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	var p advisory.Patch
	if err := decode(r, &p); err != nil {
		return err
	}
	if err := s.mayPatch(actor(r), &p); err != nil {
		return err
	}
	a, err := adv.Create(r.Context(), actor(r).Name, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiEditAdvisory(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	// Someone who may not see the advisory learns nothing of it, not even
	// that it exists.
	if _, err := adv.Get(r.Context(), s.advisoryViewer(actor(r)), r.PathValue("id")); err != nil {
		return err
	}
	var p advisory.Patch
	if err := decode(r, &p); err != nil {
		return err
	}
	if err := s.mayPatch(actor(r), &p); err != nil {
		return err
	}
	res, err := adv.Edit(r.Context(), actor(r).Name, r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiPublishAdvisory(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	res, err := adv.Publish(r.Context(), actor(r).Name, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiCloseAdvisory(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	res, err := adv.Close(r.Context(), actor(r).Name, r.PathValue("id"), body.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiAdvisoryRevisions(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	v, err := s.apiAdvisoryViewer(r)
	if err != nil {
		return err
	}
	rs, err := adv.Revisions(r.Context(), v, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"revisions": rs})
	return nil
}

func (s *Server) apiAdvisoryRevision(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	v, err := s.apiAdvisoryViewer(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return catalog.Errorf(catalog.ErrInvalid, "revision %q is not a number from 1", r.PathValue("n"))
	}
	rev, err := adv.Revision(r.Context(), v, r.PathValue("id"), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rev)
	return nil
}

func (s *Server) apiAdvisoryOSV(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	v, err := s.apiAdvisoryViewer(r)
	if err != nil {
		return err
	}
	o, err := adv.OSV(r.Context(), v, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) apiAdvisoriesOSV(w http.ResponseWriter, r *http.Request) error {
	adv, err := s.advisories()
	if err != nil {
		return err
	}
	os, err := adv.OSVAll(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, os)
	return nil
}
