// Package people is who works on the forge: accounts with their roles and
// passwords, API tokens, and the teams of the community structure. It
// validates every change in one place (the API and the web UI both come
// through the Service) and leaves storage and the audit log to its Store.
package people

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/auth"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
)

// Token is an API token as anyone may see it: never its secret or hash.
type Token struct {
	ID      string `json:"id"`
	Account string `json:"account"`
	Label   string `json:"label"`
	// Roles is the scope; empty means every role of the account.
	Roles     []string  `json:"roles"`
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked"`
}

// Team is a group of the community structure.
type Team struct {
	Slug        string   `json:"slug"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Contact     string   `json:"contact"`
	Lead        string   `json:"lead"`
	Members     []string `json:"members"`
}

// TeamChange is what an update of a team sets; nil fields stay.
type TeamChange struct {
	Description *string   `json:"description,omitempty"`
	Contact     *string   `json:"contact,omitempty"`
	Lead        *string   `json:"lead,omitempty"`
	Members     *[]string `json:"members,omitempty"`
}

// Store is what people needs of a database. Every changing method is one
// transaction that also appends its audit event (actor by, time at), so a
// change and its record commit together; the audit never holds a password
// hash or a token. Not found is catalog.ErrNotFound, a duplicate
// catalog.ErrConflict. Safe for concurrent use.
type Store interface {
	// CreateAccount makes an account (hash may be "") with its roles.
	CreateAccount(ctx context.Context, name, hash string, roles []string, by string, at time.Time) error
	Account(ctx context.Context, name string) (*catalog.Account, error)
	Accounts(ctx context.Context) ([]catalog.Account, error)
	ChangeRoles(ctx context.Context, name string, roles []string, by string, at time.Time) error
	SetDisabled(ctx context.Context, name string, disabled bool, by string, at time.Time) error
	ChangePassword(ctx context.Context, name, hash, by string, at time.Time) error
	// PasswordHash is the stored hash of an enabled account ("" when it
	// has no password); a disabled account is ErrNotFound.
	PasswordHash(ctx context.Context, name string) (string, error)
	// TouchLogin sets last_login_at, unless it is newer than at - 1 minute.
	TouchLogin(ctx context.Context, name string, at time.Time) error

	CreateToken(ctx context.Context, t Token, hash, by string) error
	Tokens(ctx context.Context, account string) ([]Token, error)
	Token(ctx context.Context, id string) (*Token, error)
	RevokeToken(ctx context.Context, id, by string, at time.Time) error

	// LoginFailures counts the failures of each key since a time and
	// returns the oldest of them across keys.
	LoginFailures(ctx context.Context, keys []string, since time.Time) (n map[string]int, oldest time.Time, err error)
	// AddLoginFailure records a failure for each key, pruning those older
	// than prune.
	AddLoginFailure(ctx context.Context, keys []string, at, prune time.Time) error
	ClearLoginFailures(ctx context.Context, keys []string) error

	Teams(ctx context.Context) ([]Team, error)
	Team(ctx context.Context, slug string) (*Team, error)
	UpdateTeam(ctx context.Context, slug string, c TeamChange, by string, at time.Time) (*Team, error)
}

// Throttling of sign-in: after MaxFailures failures for one account or
// from one address within Window, sign-in is refused until the oldest
// failure leaves the window.
const (
	MaxFailures = 5
	Window      = 15 * time.Minute
)

// ErrThrottled is returned (wrapped in a *ThrottledError) when sign-in is
// refused for too many failures.
var ErrThrottled = errors.New("too many failed sign-ins")

// ThrottledError says how long to wait.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	mins := int(e.RetryAfter.Round(time.Minute) / time.Minute)
	if mins < 1 {
		mins = 1
	}
	return "too many failed sign-ins for this account or from this address; wait " + plural(mins, "minute") + " and try again"
}

// Unwrap lets errors.Is find ErrThrottled.
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// ErrBadLogin is a name and password that do not match (or an account
// that is disabled or has no password: the caller cannot tell which).
var ErrBadLogin = errors.New("the account name and password do not match")

// Service applies the rules of accounts, tokens and teams.
type Service struct {
	Store  Store
	Policy *policy.Policy
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

var nameRe = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,63}$`)

// CheckName validates an account name: 1-64 characters of a-z, 0-9, '.',
// '_' and '-', starting with a letter.
func CheckName(name string) error {
	if !nameRe.MatchString(name) {
		return catalog.Errorf(catalog.ErrInvalid, "account name %q: use 1 to 64 characters a-z, 0-9, '.', '_' or '-', starting with a letter", name)
	}
	return nil
}

// CheckRoles validates role names against the policy and returns them
// sorted without duplicates.
func (s *Service) CheckRoles(roles []string) ([]string, error) {
	out := []string{}
	for _, r := range roles {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !slices.ContainsFunc(s.Policy.Roles, func(p policy.Role) bool { return p.Name == r }) {
			var names []string
			for _, p := range s.Policy.Roles {
				names = append(names, p.Name)
			}
			return nil, catalog.Errorf(catalog.ErrInvalid, "roles: %q is not a role of the policy (roles are: %s)", r, strings.Join(names, ", "))
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func checkPassword(p string) error {
	if len(p) < auth.MinPasswordLen {
		return catalog.Errorf(catalog.ErrInvalid, "password: use at least %d characters", auth.MinPasswordLen)
	}
	if len(p) > auth.MaxPasswordLen {
		return catalog.Errorf(catalog.ErrInvalid, "password: use at most %d characters", auth.MaxPasswordLen)
	}
	return nil
}

// CreateAccount makes an account; password may be "" (the account then
// signs in only once a password is set, and uses API tokens meanwhile).
func (s *Service) CreateAccount(ctx context.Context, by, name, password string, roles []string) (*catalog.Account, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	roles, err := s.CheckRoles(roles)
	if err != nil {
		return nil, err
	}
	hash := ""
	if password != "" {
		if err := checkPassword(password); err != nil {
			return nil, err
		}
		if hash, err = auth.HashPassword(password); err != nil {
			return nil, err
		}
	}
	if err := s.Store.CreateAccount(ctx, name, hash, roles, by, s.now()); err != nil {
		return nil, err
	}
	return s.Store.Account(ctx, name)
}

// SetRoles replaces the roles of an account.
func (s *Service) SetRoles(ctx context.Context, by, name string, roles []string) (*catalog.Account, error) {
	roles, err := s.CheckRoles(roles)
	if err != nil {
		return nil, err
	}
	if err := s.Store.ChangeRoles(ctx, name, roles, by, s.now()); err != nil {
		return nil, err
	}
	return s.Store.Account(ctx, name)
}

// SetDisabled disables or enables an account. A disabled account's tokens
// and sessions stop working at once; nobody may disable themselves (a
// forge could lose its last administrator that way).
func (s *Service) SetDisabled(ctx context.Context, by, name string, disabled bool) (*catalog.Account, error) {
	if disabled && by == name {
		return nil, catalog.Errorf(catalog.ErrInvalid, "you cannot disable your own account; ask another administrator")
	}
	if err := s.Store.SetDisabled(ctx, name, disabled, by, s.now()); err != nil {
		return nil, err
	}
	return s.Store.Account(ctx, name)
}

// SetPassword sets the password of name. When needCurrent (someone
// changing their own without the right to manage accounts), current must
// be the password in place.
func (s *Service) SetPassword(ctx context.Context, by, name, current, password string, needCurrent bool) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	if needCurrent {
		h, err := s.Store.PasswordHash(ctx, name)
		if err != nil {
			return err
		}
		ok, err := auth.CheckPassword(h, current)
		if err != nil {
			return err
		}
		if !ok && h != "" {
			return catalog.Errorf(catalog.ErrInvalid, "current password: it is not the password of %s", name)
		}
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return s.Store.ChangePassword(ctx, name, hash, by, s.now())
}

// Login checks a name and password from a client address. It refuses with
// a *ThrottledError after too many failures (of the account or the
// address), records failures, and clears them and stamps last_login_at on
// success.
func (s *Service) Login(ctx context.Context, name, password, addr string) (*catalog.Account, error) {
	now := s.now()
	keys := []string{"account:" + name, "ip:" + addr}
	n, oldest, err := s.Store.LoginFailures(ctx, keys, now.Add(-Window))
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if n[k] >= MaxFailures {
			return nil, &ThrottledError{RetryAfter: max(oldest.Add(Window).Sub(now), time.Second)}
		}
	}
	ok := false
	if name != "" && password != "" && len(password) <= auth.MaxPasswordLen {
		h, err := s.Store.PasswordHash(ctx, name)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			if ok, err = auth.CheckPassword(h, password); err != nil {
				return nil, err
			}
		}
	}
	if !ok {
		if err := s.Store.AddLoginFailure(ctx, keys, now, now.Add(-Window)); err != nil {
			return nil, err
		}
		return nil, ErrBadLogin
	}
	if err := s.Store.ClearLoginFailures(ctx, keys); err != nil {
		return nil, err
	}
	if err := s.Store.TouchLogin(ctx, name, now); err != nil {
		return nil, err
	}
	return s.Store.Account(ctx, name)
}

// CreateToken makes an API token for account, scoped to roles (nil or
// empty: every role of the account). caller is who asks, with the roles
// they act with now: a token never has more than the token that made it.
// It returns the plain token, to be shown once.
func (s *Service) CreateToken(ctx context.Context, caller *catalog.Account, account, label string, roles []string) (string, *Token, error) {
	label = strings.TrimSpace(label)
	if label == "" {
		return "", nil, catalog.Errorf(catalog.ErrInvalid, "label: say what the token is for (for example \"laptop\" or \"build robot\")")
	}
	if len(label) > 200 {
		return "", nil, catalog.Errorf(catalog.ErrInvalid, "label: use at most 200 characters")
	}
	a, err := s.Store.Account(ctx, account)
	if err != nil {
		return "", nil, err
	}
	if a.Disabled {
		return "", nil, catalog.Errorf(catalog.ErrInvalid, "account %s is disabled", account)
	}
	roles, err = s.CheckRoles(roles)
	if err != nil {
		return "", nil, err
	}
	for _, r := range roles {
		if !slices.Contains(a.Roles, r) {
			return "", nil, catalog.Errorf(catalog.ErrInvalid, "roles: account %s does not hold the role %s", account, r)
		}
	}
	if caller.Name == account {
		// Through a scoped token, the caller holds fewer roles than the
		// account: the new token may not widen that.
		for _, r := range roles {
			if !slices.Contains(caller.Roles, r) {
				return "", nil, catalog.Errorf(catalog.ErrInvalid, "roles: the token you use is not scoped to %s, so it cannot give it", r)
			}
		}
		if len(roles) == 0 && !slices.Equal(caller.Roles, a.Roles) {
			if len(caller.Roles) == 0 {
				return "", nil, catalog.Errorf(catalog.ErrInvalid, "roles: the token you use holds no role, so it cannot make another")
			}
			roles = slices.Clone(caller.Roles)
		}
	}
	plain, hash, err := auth.NewToken()
	if err != nil {
		return "", nil, err
	}
	t := Token{ID: auth.RandomID()[:16], Account: account, Label: label, Roles: roles, CreatedAt: s.now()}
	if err := s.Store.CreateToken(ctx, t, hash, caller.Name); err != nil {
		return "", nil, err
	}
	return plain, &t, nil
}

// UpdateTeam changes a team; lead and members must be accounts.
func (s *Service) UpdateTeam(ctx context.Context, by, slug string, c TeamChange) (*Team, error) {
	check := func(field, name string) error {
		if _, err := s.Store.Account(ctx, name); errors.Is(err, catalog.ErrNotFound) {
			return catalog.Errorf(catalog.ErrInvalid, "%s: there is no account %q", field, name)
		} else if err != nil {
			return err
		}
		return nil
	}
	if c.Lead != nil && *c.Lead != "" {
		if err := check("lead", *c.Lead); err != nil {
			return nil, err
		}
	}
	if c.Members != nil {
		ms := slices.Compact(slices.Sorted(slices.Values(*c.Members)))
		for _, m := range ms {
			if err := check("members", m); err != nil {
				return nil, err
			}
		}
		c.Members = &ms
	}
	if c.Contact != nil && len(*c.Contact) > 500 {
		return nil, catalog.Errorf(catalog.ErrInvalid, "contact: use at most 500 characters")
	}
	if c.Description != nil && (strings.TrimSpace(*c.Description) == "" || len(*c.Description) > 2000) {
		return nil, catalog.Errorf(catalog.ErrInvalid, "description: say in 1 to 2000 characters what the team does")
	}
	return s.Store.UpdateTeam(ctx, slug, c, by, s.now())
}
