package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/people"
)

// anyAccount lets every signed-in account send a form about itself.
func anyAccount(*catalog.Account) error { return nil }

type teamsPage struct {
	Teams []people.Team
}

// uiTeams is the public list of teams: what each does, who leads, who is
// in it and how to reach it.
func (s *Server) uiTeams(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	ts, err := s.people.Store.Teams(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "teams", "Teams", teamsPage{Teams: ts})
}

type accountPage struct {
	A         *catalog.Account
	Tokens    []people.Token
	NewToken  string // shown once, right after it was made
	Message   string
	CanManage bool
}

// signInFirst sends an anonymous visitor to the sign-in page and back.
func signInFirst(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
	return nil
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, a *catalog.Account, newToken, msg string) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	ts, err := s.people.Store.Tokens(r.Context(), a.Name)
	if err != nil {
		return err
	}
	p := accountPage{A: a, Tokens: ts, NewToken: newToken, Message: msg, CanManage: s.may(a, "manage-accounts") == nil}
	return s.render(w, r, http.StatusOK, "account", "Your account", p)
}

func (s *Server) uiAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.viewer(r)
	if err != nil {
		return err
	}
	if a == nil {
		return signInFirst(w, r)
	}
	return s.renderAccount(w, r, a, "", "")
}

func (s *Server) uiAccountPassword(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	f := r.PostForm
	if f.Get("password") != f.Get("confirm") {
		return catalog.Errorf(catalog.ErrInvalid, "the new password and its confirmation differ; type them again")
	}
	if err := s.people.SetPassword(r.Context(), a.Name, a.Name, f.Get("current"), f.Get("password"), true); err != nil {
		return err
	}
	return s.renderAccount(w, r, a, "", "Your password is changed.")
}

func (s *Server) uiAccountToken(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	plain, _, err := s.people.CreateToken(r.Context(), a, a.Name, r.PostForm.Get("label"), r.PostForm["roles"])
	if err != nil {
		return err
	}
	return s.renderAccount(w, r, a, plain, "")
}

func (s *Server) uiAccountRevoke(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	t, err := s.people.Store.Token(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if t.Account != a.Name {
		return catalog.Errorf(catalog.ErrNotFound, "you have no token %s", r.PathValue("id"))
	}
	if err := s.people.Store.RevokeToken(r.Context(), t.ID, a.Name, s.now()); err != nil {
		return err
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

type accountsPage struct {
	Accounts []catalog.Account
	Roles    []string
}

func (s *Server) uiAccounts(w http.ResponseWriter, r *http.Request) error {
	a, err := s.viewer(r)
	if err != nil {
		return err
	}
	if a == nil {
		return signInFirst(w, r)
	}
	if err := s.may(a, "manage-accounts"); err != nil {
		return err
	}
	if err := s.needPeople(); err != nil {
		return err
	}
	as, err := s.people.Store.Accounts(r.Context())
	if err != nil {
		return err
	}
	p := accountsPage{Accounts: as}
	for _, role := range s.policy.Roles {
		p.Roles = append(p.Roles, role.Name)
	}
	return s.render(w, r, http.StatusOK, "accounts", "Accounts", p)
}

func (s *Server) uiCreateAccount(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	if _, err := s.people.CreateAccount(r.Context(), actor(r).Name, strings.TrimSpace(f.Get("name")), f.Get("password"), f["roles"]); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/accounts", http.StatusSeeOther)
	return nil
}

func (s *Server) uiAccountRoles(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.people.SetRoles(r.Context(), actor(r).Name, r.PathValue("name"), r.PostForm["roles"]); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/accounts", http.StatusSeeOther)
	return nil
}

func (s *Server) uiAccountDisabled(disabled bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := s.people.SetDisabled(r.Context(), actor(r).Name, r.PathValue("name"), disabled); err != nil {
			return err
		}
		http.Redirect(w, r, "/admin/accounts", http.StatusSeeOther)
		return nil
	}
}
