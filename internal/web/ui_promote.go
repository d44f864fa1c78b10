package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/promote"
)

// promoteUIRoutes are the pages and forms of the promotion workflow; they
// are registered only when the server has a promote.Service, so their
// handlers need not check for one.
func (s *Server) promoteUIRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /reviews", s.ui(s.uiReviews))
	mux.HandleFunc("GET /promotions/{id}", s.ui(s.uiPromotion))
	mux.HandleFunc("POST /promotions/{id}/vote", s.ui(s.uiAuthorized("review-promotion", s.uiVote)))
	mux.HandleFunc("POST /promotions/{id}/execute", s.ui(s.uiAuthorized("request-promotion", s.uiPromotionStep)))
	mux.HandleFunc("POST /promotions/{id}/withdraw", s.ui(s.uiAuthorized("request-promotion", s.uiPromotionStep)))
	mux.HandleFunc("POST /promotions/{id}/reopen", s.ui(s.uiAuthorized("request-promotion", s.uiPromotionStep)))
	mux.HandleFunc("POST /builds/{id}/promote", s.ui(s.uiAuthorized("request-promotion", s.uiOpenPromotion)))
	mux.HandleFunc("POST /builds/{id}/test-report", s.ui(s.uiAuthorized("file-test-report", s.uiTestReport)))
	mux.HandleFunc("GET /forks", s.ui(s.uiForks))
	mux.HandleFunc("POST /forks", s.ui(s.uiAuthorized("request-promotion", s.uiRequestFork)))
	mux.HandleFunc("POST /forks/{id}/vote", s.ui(s.uiAuthorized("approve-fork", s.uiVoteFork)))
}

// can reports whether a signed-in account (nil: nobody) may take action.
func (s *Server) can(a *catalog.Account, action string) bool {
	return a != nil && s.may(a, action) == nil
}

type queueRow struct {
	R       promote.Request
	Waiting string
	Mine    bool // one of the viewer's roles is awaited
}

type reviewsPage struct {
	Roles    []string
	Requests []queueRow
	Forks    []promote.ForkAgreement
}

// uiReviews is the review queue: open and approved requests, those that
// wait for one of the viewer's roles first.
func (s *Server) uiReviews(w http.ResponseWriter, r *http.Request) error {
	v, err := s.viewer(r)
	if err != nil {
		return err
	}
	p := reviewsPage{}
	if v != nil {
		p.Roles = v.Roles
	}
	for _, state := range []string{promote.StateOpen, promote.StateApproved} {
		rs, err := s.promote.List(r.Context(), promote.RequestQuery{State: state, Limit: 200}, "")
		if err != nil {
			return err
		}
		for _, req := range rs {
			row := queueRow{R: req}
			var wait []string
			for _, g := range req.LatestGates() {
				if !g.OK {
					wait = append(wait, "check "+g.Gate)
				}
			}
			for _, rv := range req.Reviews {
				if rv.Have < rv.Need {
					wait = append(wait, fmt.Sprintf("%d more %s approval(s)", rv.Need-rv.Have, rv.Role))
					if v != nil && slices.Contains(v.Roles, rv.Role) && !slices.Contains(rv.By, v.Name) {
						row.Mine = true
					}
				}
			}
			if req.State == promote.StateApproved {
				wait = append(wait, "someone to carry it out")
				row.Mine = row.Mine || v != nil && v.Name == req.RequestedBy
			}
			row.Waiting = strings.Join(wait, ", ")
			p.Requests = append(p.Requests, row)
		}
	}
	slices.SortStableFunc(p.Requests, func(a, b queueRow) int {
		switch {
		case a.Mine && !b.Mine:
			return -1
		case b.Mine && !a.Mine:
			return 1
		}
		return 0
	})
	forks, err := s.promote.Forks(r.Context(), promote.ForkRequested)
	if err != nil {
		return err
	}
	p.Forks = forks
	return s.render(w, r, http.StatusOK, "reviews", "Review queue", p)
}

type promotionPage struct {
	R                                           *promote.Request
	CanVote, CanExecute, CanWithdraw, CanReopen bool
}

func (s *Server) promotionID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, catalog.Errorf(catalog.ErrNotFound, "there is no request %q", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) uiPromotion(w http.ResponseWriter, r *http.Request) error {
	id, err := s.promotionID(r)
	if err != nil {
		return err
	}
	req, err := s.promote.Get(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := s.viewer(r)
	if err != nil {
		return err
	}
	live := req.State == promote.StateOpen || req.State == promote.StateApproved
	p := promotionPage{R: req,
		CanVote:     live && s.can(v, "review-promotion"),
		CanExecute:  req.State == promote.StateApproved && s.can(v, "request-promotion"),
		CanWithdraw: live && v != nil && v.Name == req.RequestedBy,
		CanReopen:   (req.State == promote.StateRejected || req.State == promote.StateWithdrawn) && s.can(v, "request-promotion"),
	}
	return s.render(w, r, http.StatusOK, "promotion", fmt.Sprintf("Request %d", req.ID), p)
}

func (s *Server) uiVote(w http.ResponseWriter, r *http.Request) error {
	id, err := s.promotionID(r)
	if err != nil {
		return err
	}
	if _, err := s.promote.Vote(r.Context(), actor(r), id, r.PostForm.Get("vote"), r.PostForm.Get("comment")); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/promotions/%d", id), http.StatusSeeOther)
	return nil
}

// uiPromotionStep carries out, withdraws or re-opens a request, after the
// last part of the path.
func (s *Server) uiPromotionStep(w http.ResponseWriter, r *http.Request) error {
	id, err := s.promotionID(r)
	if err != nil {
		return err
	}
	a := actor(r)
	switch r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:] {
	case "execute":
		_, err = s.promote.Execute(r.Context(), a, id)
	case "withdraw":
		_, err = s.promote.Withdraw(r.Context(), a, id, r.PostForm.Get("reason"))
	case "reopen":
		_, err = s.promote.Reopen(r.Context(), a, id)
	default:
		err = catalog.Errorf(catalog.ErrNotFound, "no such step")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/promotions/%d", id), http.StatusSeeOther)
	return nil
}

func (s *Server) uiOpenPromotion(w http.ResponseWriter, r *http.Request) error {
	b, err := s.store.Build(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := r.PostForm
	// The form offers the policy's steps as "from>to".
	from, to, ok := strings.Cut(f.Get("step"), ">")
	if !ok {
		from, to = b.Category, f.Get("step")
	}
	req, err := s.promote.Open(r.Context(), actor(r), promote.OpenInput{Build: b.ID, Release: f.Get("release"),
		From: from, To: to, Comment: f.Get("comment")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/promotions/%d", req.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) uiTestReport(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	f := r.PostForm
	if _, err := s.promote.Report(r.Context(), actor(r), id, promote.ReportInput{Release: f.Get("release"),
		Verdict: f.Get("verdict"), Environment: f.Get("environment"), Text: f.Get("text")}); err != nil {
		return err
	}
	http.Redirect(w, r, "/builds/"+id+"#reports", http.StatusSeeOther)
	return nil
}

type forksPage struct {
	Forks               []promote.ForkAgreement
	CanVote, CanRequest bool
}

func (s *Server) uiForks(w http.ResponseWriter, r *http.Request) error {
	forks, err := s.promote.Forks(r.Context(), "")
	if err != nil {
		return err
	}
	v, err := s.viewer(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "forks", "Fork agreements", forksPage{Forks: forks,
		CanVote: s.can(v, "approve-fork"), CanRequest: s.can(v, "request-promotion")})
}

func (s *Server) uiRequestFork(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	fa, err := s.promote.RequestFork(r.Context(), actor(r), promote.ForkInput{Package: strings.TrimSpace(f.Get("package")),
		Replaces: strings.Fields(f.Get("replaces")), Rationale: f.Get("rationale"), UpstreamContact: f.Get("upstream_contact")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/forks#fork-%d", fa.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) uiVoteFork(w http.ResponseWriter, r *http.Request) error {
	id, err := s.promotionID(r)
	if err != nil {
		return err
	}
	if _, err := s.promote.VoteFork(r.Context(), actor(r), id, r.PostForm.Get("vote"), r.PostForm.Get("comment")); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/forks#fork-%d", id), http.StatusSeeOther)
	return nil
}
