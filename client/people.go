package client

import (
	"context"
	"net/http"
	"time"
)

// Account is a person or robot that can sign in.
type Account struct {
	Name        string    `json:"name"`
	Admin       bool      `json:"admin"`
	CreatedAt   time.Time `json:"created_at"`
	Roles       []string  `json:"roles"`
	Disabled    bool      `json:"disabled"`
	LastLoginAt time.Time `json:"last_login_at,omitzero"`
}

// Token is an API token as listed: never its secret.
type Token struct {
	ID        string    `json:"id"`
	Account   string    `json:"account"`
	Label     string    `json:"label"`
	Roles     []string  `json:"roles"` // empty: every role of the account
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked"`
}

// NewToken is a token just made: Token is the secret, shown this once.
type NewToken struct {
	Token string `json:"token"`
	Info  Token  `json:"info"`
}

// Team is a team of the community structure.
type Team struct {
	Slug        string   `json:"slug"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Contact     string   `json:"contact"`
	Lead        string   `json:"lead"`
	Members     []string `json:"members"`
}

// TeamChange is what UpdateTeam sets; nil fields stay as they are.
type TeamChange struct {
	Description *string   `json:"description,omitempty"`
	Contact     *string   `json:"contact,omitempty"`
	Lead        *string   `json:"lead,omitempty"`
	Members     *[]string `json:"members,omitempty"`
}

// Me is the account the client's token acts for, with the roles the token
// may use.
func (c *Client) Me(ctx context.Context) (*Account, error) {
	var a Account
	return &a, c.call(ctx, http.MethodGet, apiPath("me"), nil, nil, &a)
}

// Accounts lists every account (needs manage-accounts).
func (c *Client) Accounts(ctx context.Context) ([]Account, error) {
	var out struct {
		Accounts []Account `json:"accounts"`
	}
	return out.Accounts, c.call(ctx, http.MethodGet, apiPath("accounts"), nil, nil, &out)
}

// Account shows one account (one's own, or any with manage-accounts).
func (c *Client) Account(ctx context.Context, name string) (*Account, error) {
	var a Account
	return &a, c.call(ctx, http.MethodGet, apiPath("accounts", name), nil, nil, &a)
}

// CreateAccount makes an account with roles; password may be "".
func (c *Client) CreateAccount(ctx context.Context, name, password string, roles []string) (*Account, error) {
	in := map[string]any{"name": name, "roles": nonNil(roles)}
	if password != "" {
		in["password"] = password
	}
	var a Account
	return &a, c.call(ctx, http.MethodPost, apiPath("accounts"), nil, in, &a)
}

// SetRoles replaces the roles of an account.
func (c *Client) SetRoles(ctx context.Context, name string, roles []string) (*Account, error) {
	var a Account
	return &a, c.call(ctx, http.MethodPost, apiPath("accounts", name, "roles"), nil, map[string]any{"roles": nonNil(roles)}, &a)
}

// SetDisabled disables (true) or enables (false) an account.
func (c *Client) SetDisabled(ctx context.Context, name string, disabled bool) (*Account, error) {
	verb := "enable"
	if disabled {
		verb = "disable"
	}
	var a Account
	return &a, c.call(ctx, http.MethodPost, apiPath("accounts", name, verb), nil, nil, &a)
}

// SetPassword sets the password of an account. Changing one's own
// without manage-accounts needs the current password.
func (c *Client) SetPassword(ctx context.Context, name, current, password string) error {
	return c.call(ctx, http.MethodPost, apiPath("accounts", name, "password"), nil, map[string]string{"current": current, "password": password}, nil)
}

// Tokens lists the tokens of an account, without secrets.
func (c *Client) Tokens(ctx context.Context, account string) ([]Token, error) {
	var out struct {
		Tokens []Token `json:"tokens"`
	}
	return out.Tokens, c.call(ctx, http.MethodGet, apiPath("accounts", account, "tokens"), nil, nil, &out)
}

// CreateToken makes a token for account, scoped to roles (none: every
// role of the account, or of the caller's own scoped token).
func (c *Client) CreateToken(ctx context.Context, account, label string, roles []string) (*NewToken, error) {
	var t NewToken
	return &t, c.call(ctx, http.MethodPost, apiPath("accounts", account, "tokens"), nil, map[string]any{"label": label, "roles": nonNil(roles)}, &t)
}

// RevokeToken revokes a token of account by its id.
func (c *Client) RevokeToken(ctx context.Context, account, id string) (*Token, error) {
	var t Token
	return &t, c.call(ctx, http.MethodPost, apiPath("accounts", account, "tokens", id, "revoke"), nil, nil, &t)
}

// Teams lists the teams (public).
func (c *Client) Teams(ctx context.Context) ([]Team, error) {
	var out struct {
		Teams []Team `json:"teams"`
	}
	return out.Teams, c.call(ctx, http.MethodGet, apiPath("teams"), nil, nil, &out)
}

// UpdateTeam changes a team's description, contact, lead or members.
func (c *Client) UpdateTeam(ctx context.Context, slug string, ch TeamChange) (*Team, error) {
	var t Team
	return &t, c.call(ctx, http.MethodPost, apiPath("teams", slug), nil, ch, &t)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
