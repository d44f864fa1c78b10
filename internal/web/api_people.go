package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/people"
)

// selfRoutes are the guarded API routes an account may also use on itself
// without the route's action: pattern -> the path parameter naming the
// account. Everything else of those routes is as the route table says.
func selfRoutes() map[string]string {
	return map[string]string{
		"GET /api/v1/accounts/{name}":                     "name",
		"POST /api/v1/accounts/{name}/password":           "name",
		"GET /api/v1/accounts/{name}/tokens":              "name",
		"POST /api/v1/accounts/{name}/tokens":             "name",
		"POST /api/v1/accounts/{name}/tokens/{id}/revoke": "name",
	}
}

// authorizedOrSelf is authorized, except that an account acting on itself
// (the path parameter param is its name) needs no action.
func (s *Server) authorizedOrSelf(action, param string, h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.apiAccount(r)
		if err != nil {
			return err
		}
		if a == nil {
			return catalog.Errorf(errUnauthorized, "sign in first: this action needs an API token (Authorization: Bearer ...)")
		}
		if a.Name != r.PathValue(param) {
			if err := s.may(a, action); err != nil {
				return err
			}
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), keyAccount, a)))
	}
}

// touchLogin stamps an account's last sign-in, at most once a minute, so
// that API use does not write on every request.
func (s *Server) touchLogin(ctx context.Context, a *catalog.Account) {
	now := s.now()
	if s.people == nil || now.Sub(a.LastLoginAt) < time.Minute {
		return
	}
	if err := s.people.Store.TouchLogin(ctx, a.Name, now); err != nil {
		s.log.Warn("recording last sign-in", "account", a.Name, "err", err)
	}
}

func (s *Server) needPeople() error {
	if s.people == nil {
		return errors.New("this server has no account store")
	}
	return nil
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	a, err := s.apiAccount(r)
	if err != nil {
		return err
	}
	if a == nil {
		return catalog.Errorf(errUnauthorized, "sign in first: this needs an API token (Authorization: Bearer ...)")
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiAccounts(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	as, err := s.people.Store.Accounts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": as})
	return nil
}

func (s *Server) apiCreateAccount(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	var in struct {
		Name     string   `json:"name"`
		Password string   `json:"password"`
		Roles    []string `json:"roles"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.people.CreateAccount(r.Context(), actor(r).Name, in.Name, in.Password, in.Roles)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiShowAccount(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	a, err := s.people.Store.Account(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiSetRoles(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	var in struct {
		Roles []string `json:"roles"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.people.SetRoles(r.Context(), actor(r).Name, r.PathValue("name"), in.Roles)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiSetDisabled(disabled bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.needPeople(); err != nil {
			return err
		}
		a, err := s.people.SetDisabled(r.Context(), actor(r).Name, r.PathValue("name"), disabled)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, a)
		return nil
	}
}

func (s *Server) apiSetPassword(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	var in struct {
		Current  string `json:"current"`
		Password string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	// Someone changing their own password proves they know it, unless
	// they may manage accounts anyway.
	needCurrent := s.may(actor(r), "manage-accounts") != nil
	if err := s.people.SetPassword(r.Context(), actor(r).Name, r.PathValue("name"), in.Current, in.Password, needCurrent); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"account": r.PathValue("name"), "password_set": true})
	return nil
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	ts, err := s.people.Store.Tokens(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
	return nil
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	var in struct {
		Label string   `json:"label"`
		Roles []string `json:"roles"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	plain, t, err := s.people.CreateToken(r.Context(), actor(r), r.PathValue("name"), in.Label, in.Roles)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": plain, "info": t})
	return nil
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	t, err := s.people.Store.Token(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	// The account in the path is what authorized the call: the token
	// must be that account's.
	if t.Account != r.PathValue("name") {
		return catalog.Errorf(catalog.ErrNotFound, "account %s has no token %s", r.PathValue("name"), t.ID)
	}
	if err := s.people.Store.RevokeToken(r.Context(), t.ID, actor(r).Name, s.now()); err != nil {
		return err
	}
	t.Revoked = true
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) apiTeams(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	ts, err := s.people.Store.Teams(r.Context())
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []people.Team{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": ts})
	return nil
}

func (s *Server) apiTeam(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	t, err := s.people.Store.Team(r.Context(), r.PathValue("team"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) apiUpdateTeam(w http.ResponseWriter, r *http.Request) error {
	if err := s.needPeople(); err != nil {
		return err
	}
	var in people.TeamChange
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.people.UpdateTeam(r.Context(), actor(r).Name, r.PathValue("team"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
