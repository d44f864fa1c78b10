package web

import (
	"net/http"
	"strconv"

	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/promote"
)

func (s *Server) needPromote() error {
	if s.promote == nil {
		return catalog.Errorf(catalog.ErrNotFound, "this forge does not run promotions")
	}
	return nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		return 0, catalog.Errorf(catalog.ErrNotFound, "%q is not a number: %s ids are whole numbers from 1", r.PathValue(name), name)
	}
	return id, nil
}

// apiBuildHistory lists the public audit entries of a build, oldest first.
func (s *Server) apiBuildHistory(w http.ResponseWriter, r *http.Request) error {
	if s.audit == nil {
		return catalog.Errorf(catalog.ErrNotFound, "this forge keeps no audit log")
	}
	id := r.PathValue("id")
	if _, err := s.store.Build(r.Context(), id); err != nil {
		return err
	}
	events, err := s.audit.AuditEvents(r.Context(), audit.Query{Subject: "build:" + id, PublicOnly: true})
	if err != nil {
		return err
	}
	if events == nil {
		events = []audit.Event{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"build": id, "events": events})
	return nil
}

// apiAudit lists the audit log (?after=SEQ&limit=N&subject=S).
func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	if s.audit == nil {
		return catalog.Errorf(catalog.ErrNotFound, "this forge keeps no audit log")
	}
	q := r.URL.Query()
	events, err := s.audit.AuditEvents(r.Context(), audit.Query{Subject: q.Get("subject"), AfterSeq: int64(atoiDefault(q.Get("after"), 0)),
		Limit: min(atoiDefault(q.Get("limit"), 1000), 10000)})
	if err != nil {
		return err
	}
	if events == nil {
		events = []audit.Event{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events})
	return nil
}

func (s *Server) apiProjects(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	ps, err := s.promote.Projects(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": ps})
	return nil
}

func (s *Server) apiProject(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	p, err := s.promote.Project(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

type maintainerReq struct {
	Account string `json:"account"`
}

func (s *Server) apiAddMaintainer(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	var req maintainerReq
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Account == "" {
		return catalog.Errorf(catalog.ErrInvalid, "account: name the account to add as maintainer")
	}
	p, err := s.promote.SetMaintainer(r.Context(), actor(r), r.PathValue("name"), req.Account, true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiRemoveMaintainer(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	p, err := s.promote.SetMaintainer(r.Context(), actor(r), r.PathValue("name"), r.PathValue("account"), false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiOpenPromotion(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	var in promote.OpenInput
	if err := decode(r, &in); err != nil {
		return err
	}
	req, err := s.promote.Open(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, req)
	return nil
}

func (s *Server) apiPromotions(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	q := r.URL.Query()
	rs, err := s.promote.List(r.Context(), promote.RequestQuery{State: q.Get("state"), Build: q.Get("build"), Limit: atoiDefault(q.Get("limit"), 0)}, q.Get("reviewer_role"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"promotions": rs})
	return nil
}

func (s *Server) apiPromotion(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	req, err := s.promote.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}

type voteReq struct {
	Vote    string `json:"vote"`
	Comment string `json:"comment"`
}

type reasonReq struct {
	Reason string `json:"reason"`
}

// promotionStep runs one change of a request and answers with the
// request.
func (s *Server) promotionStep(w http.ResponseWriter, r *http.Request, body any, step func(id int64) (*promote.Request, error)) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if body != nil && r.ContentLength != 0 {
		if err := decode(r, body); err != nil {
			return err
		}
	}
	req, err := step(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}

func (s *Server) apiVotePromotion(w http.ResponseWriter, r *http.Request) error {
	var v voteReq
	return s.promotionStep(w, r, &v, func(id int64) (*promote.Request, error) {
		return s.promote.Vote(r.Context(), actor(r), id, v.Vote, v.Comment)
	})
}

func (s *Server) apiWithdrawPromotion(w http.ResponseWriter, r *http.Request) error {
	var v reasonReq
	return s.promotionStep(w, r, &v, func(id int64) (*promote.Request, error) {
		return s.promote.Withdraw(r.Context(), actor(r), id, v.Reason)
	})
}

func (s *Server) apiReopenPromotion(w http.ResponseWriter, r *http.Request) error {
	return s.promotionStep(w, r, nil, func(id int64) (*promote.Request, error) {
		return s.promote.Reopen(r.Context(), actor(r), id)
	})
}

func (s *Server) apiExecutePromotion(w http.ResponseWriter, r *http.Request) error {
	return s.promotionStep(w, r, nil, func(id int64) (*promote.Request, error) {
		return s.promote.Execute(r.Context(), actor(r), id)
	})
}

func (s *Server) apiWaivePromotion(w http.ResponseWriter, r *http.Request) error {
	var v reasonReq
	return s.promotionStep(w, r, &v, func(id int64) (*promote.Request, error) {
		return s.promote.Waive(r.Context(), actor(r), id, v.Reason)
	})
}

func (s *Server) apiTestReports(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	rs, ts, err := s.promote.Reports(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": rs, "install_tests": ts})
	return nil
}

func (s *Server) apiFileTestReport(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	var in promote.ReportInput
	if err := decode(r, &in); err != nil {
		return err
	}
	rep, err := s.promote.Report(r.Context(), actor(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rep)
	return nil
}

type installTestReq struct {
	Release string `json:"release"`
	Channel string `json:"channel"`
}

func (s *Server) apiInstallTest(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	var in installTestReq
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Release == "" {
		return catalog.Errorf(catalog.ErrInvalid, "release: name the release to test the build in")
	}
	t, err := s.promote.InstallTest(r.Context(), actor(r), r.PathValue("id"), in.Release, in.Channel)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) apiForks(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	fs, err := s.promote.Forks(r.Context(), r.URL.Query().Get("state"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"forks": fs})
	return nil
}

func (s *Server) apiFork(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := s.promote.Fork(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) apiRequestFork(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	var in promote.ForkInput
	if err := decode(r, &in); err != nil {
		return err
	}
	f, err := s.promote.RequestFork(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

func (s *Server) apiVoteFork(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPromote(); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var v voteReq
	if err := decode(r, &v); err != nil {
		return err
	}
	f, err := s.promote.VoteFork(r.Context(), actor(r), id, v.Vote, v.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}
