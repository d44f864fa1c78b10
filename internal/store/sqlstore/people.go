package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/people"
)

var _ people.Store = (*Store)(nil)

// accountState is what the audit log shows of an account: never its
// password hash.
type accountState struct {
	Roles       []string `json:"roles"`
	Disabled    bool     `json:"disabled"`
	HasPassword bool     `json:"has_password"`
}

func (s *Store) accountStateTx(ctx context.Context, tx *sql.Tx, name string) (*accountState, error) {
	var st accountState
	var hash string
	err := tx.QueryRowContext(ctx, `SELECT disabled, password_hash FROM accounts WHERE name = ?`, name).Scan(&st.Disabled, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no account %s", name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading account %s: %w", name, err)
	}
	st.HasPassword = hash != ""
	st.Roles, err = queryStrings(ctx, tx, `SELECT role FROM account_roles WHERE account = ? ORDER BY role`, name)
	if err != nil {
		return nil, fmt.Errorf("reading roles of %s: %w", name, err)
	}
	return &st, nil
}

func queryStrings(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// changeAccount runs change on an existing account and audits the state
// before and after, in one transaction.
func (s *Store) changeAccount(ctx context.Context, name, action, by string, at time.Time, change func(tx *sql.Tx) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		before, err := s.accountStateTx(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := change(tx); err != nil {
			return err
		}
		after, err := s.accountStateTx(ctx, tx, name)
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, audit.Event{At: at, Actor: by, Action: action, Subject: "account/" + name,
			Before: audit.JSON(before), After: audit.JSON(after)})
	})
}

// CreateAccount implements people.Store.
func (s *Store) CreateAccount(ctx context.Context, name, hash string, roles []string, by string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO accounts (name, admin, password_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			name, false, hash, ms(at))
		if err != nil {
			return fmt.Errorf("creating account %s: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return catalog.Errorf(catalog.ErrConflict, "there is already an account %s", name)
		}
		if err := insertRoles(ctx, tx, name, roles); err != nil {
			return err
		}
		after, err := s.accountStateTx(ctx, tx, name)
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, audit.Event{At: at, Actor: by, Action: "account.create", Subject: "account/" + name, After: audit.JSON(after)})
	})
}

func insertRoles(ctx context.Context, tx *sql.Tx, name string, roles []string) error {
	for _, r := range roles {
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_roles (account, role) VALUES (?, ?) ON CONFLICT DO NOTHING`, name, r); err != nil {
			return fmt.Errorf("setting roles of %s: %w", name, err)
		}
	}
	return nil
}

// Accounts implements people.Store.
func (s *Store) Accounts(ctx context.Context) ([]catalog.Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM accounts ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing accounts: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	out := []catalog.Account{}
	for _, n := range names {
		a, err := s.Account(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, nil
}

// ChangeRoles implements people.Store.
func (s *Store) ChangeRoles(ctx context.Context, name string, roles []string, by string, at time.Time) error {
	return s.changeAccount(ctx, name, "account.roles", by, at, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM account_roles WHERE account = ?`, name); err != nil {
			return fmt.Errorf("setting roles of %s: %w", name, err)
		}
		return insertRoles(ctx, tx, name, roles)
	})
}

// SetDisabled implements people.Store.
func (s *Store) SetDisabled(ctx context.Context, name string, disabled bool, by string, at time.Time) error {
	action := "account.enable"
	if disabled {
		action = "account.disable"
	}
	return s.changeAccount(ctx, name, action, by, at, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET disabled = ? WHERE name = ?`, disabled, name)
		if err != nil {
			return fmt.Errorf("disabling %s: %w", name, err)
		}
		return nil
	})
}

// ChangePassword implements people.Store.
func (s *Store) ChangePassword(ctx context.Context, name, hash, by string, at time.Time) error {
	return s.changeAccount(ctx, name, "account.password", by, at, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = ? WHERE name = ?`, hash, name)
		if err != nil {
			return fmt.Errorf("setting the password of %s: %w", name, err)
		}
		return nil
	})
}

// TouchLogin implements people.Store.
func (s *Store) TouchLogin(ctx context.Context, name string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE accounts SET last_login_at = ? WHERE name = ? AND last_login_at < ?`, ms(at), name, ms(at.Add(-time.Minute)))
	if err != nil {
		return fmt.Errorf("recording sign-in of %s: %w", name, err)
	}
	return nil
}

type tokenState struct {
	ID      string   `json:"id"`
	Label   string   `json:"label"`
	Roles   []string `json:"roles"`
	Revoked bool     `json:"revoked"`
}

// CreateToken implements people.Store.
func (s *Store) CreateToken(ctx context.Context, t people.Token, hash, by string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (hash, id, account, label, created_at, roles) VALUES (?, ?, ?, ?, ?, ?)`,
			hash, t.ID, t.Account, t.Label, ms(t.CreatedAt), strings.Join(t.Roles, " "))
		if err != nil {
			return fmt.Errorf("storing token for %s: %w", t.Account, err)
		}
		return appendAudit(ctx, tx, audit.Event{At: t.CreatedAt, Actor: by, Action: "token.create", Subject: "account/" + t.Account,
			After: audit.JSON(tokenState{ID: t.ID, Label: t.Label, Roles: t.Roles})})
	})
}

const tokenCols = `id, account, label, roles, created_at, revoked`

func scanToken(r scanner) (*people.Token, error) {
	var t people.Token
	var roles string
	var created int64
	if err := r.Scan(&t.ID, &t.Account, &t.Label, &roles, &created, &t.Revoked); err != nil {
		return nil, err
	}
	t.Roles = strings.Fields(roles)
	if t.Roles == nil {
		t.Roles = []string{}
	}
	t.CreatedAt = fromMS(created)
	return &t, nil
}

// Tokens implements people.Store.
func (s *Store) Tokens(ctx context.Context, account string) ([]people.Token, error) {
	if _, err := s.Account(ctx, account); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE account = ? ORDER BY created_at, id`, account)
	if err != nil {
		return nil, fmt.Errorf("listing tokens of %s: %w", account, err)
	}
	defer rows.Close()
	out := []people.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("listing tokens of %s: %w", account, err)
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// Token implements people.Store.
func (s *Store) Token(ctx context.Context, id string) (*people.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE id = ? AND id <> ''`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no token %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading token %s: %w", id, err)
	}
	return t, nil
}

// RevokeToken implements people.Store.
func (s *Store) RevokeToken(ctx context.Context, id, by string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		t, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE id = ? AND id <> ''`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return catalog.Errorf(catalog.ErrNotFound, "there is no token %s", id)
		}
		if err != nil {
			return fmt.Errorf("reading token %s: %w", id, err)
		}
		if t.Revoked {
			return catalog.Errorf(catalog.ErrConflict, "token %s is already revoked", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked = ? WHERE id = ?`, true, id); err != nil {
			return fmt.Errorf("revoking token %s: %w", id, err)
		}
		before := tokenState{ID: t.ID, Label: t.Label, Roles: t.Roles}
		after := before
		after.Revoked = true
		return appendAudit(ctx, tx, audit.Event{At: at, Actor: by, Action: "token.revoke", Subject: "account/" + t.Account,
			Before: audit.JSON(before), After: audit.JSON(after)})
	})
}

// LoginFailures implements people.Store.
func (s *Store) LoginFailures(ctx context.Context, keys []string, since time.Time) (map[string]int, time.Time, error) {
	n := map[string]int{}
	var oldest time.Time
	for _, k := range keys {
		var c int
		var first sql.NullInt64
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(at) FROM login_failures WHERE key = ? AND at > ?`, k, ms(since)).Scan(&c, &first)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("reading failed sign-ins: %w", err)
		}
		n[k] = c
		if first.Valid && (oldest.IsZero() || fromMS(first.Int64).Before(oldest)) {
			oldest = fromMS(first.Int64)
		}
	}
	return n, oldest, nil
}

// AddLoginFailure implements people.Store.
func (s *Store) AddLoginFailure(ctx context.Context, keys []string, at, prune time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at < ?`, ms(prune)); err != nil {
			return fmt.Errorf("pruning failed sign-ins: %w", err)
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, at) VALUES (?, ?)`, k, ms(at)); err != nil {
				return fmt.Errorf("recording a failed sign-in: %w", err)
			}
		}
		return nil
	})
}

// ClearLoginFailures implements people.Store.
func (s *Store) ClearLoginFailures(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, k); err != nil {
			return fmt.Errorf("clearing failed sign-ins: %w", err)
		}
	}
	return nil
}

func teamTx(ctx context.Context, tx *sql.Tx, slug string) (*people.Team, error) {
	var t people.Team
	err := tx.QueryRowContext(ctx, `SELECT slug, name, description, contact, lead FROM teams WHERE slug = ?`, slug).
		Scan(&t.Slug, &t.Name, &t.Description, &t.Contact, &t.Lead)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no team %s", slug)
	}
	if err != nil {
		return nil, fmt.Errorf("reading team %s: %w", slug, err)
	}
	if t.Members, err = queryStrings(ctx, tx, `SELECT account FROM team_members WHERE team = ? ORDER BY account`, slug); err != nil {
		return nil, fmt.Errorf("reading members of team %s: %w", slug, err)
	}
	return &t, nil
}

// Teams implements people.Store.
func (s *Store) Teams(ctx context.Context) ([]people.Team, error) {
	var out []people.Team
	err := s.tx(ctx, func(tx *sql.Tx) error {
		slugs, err := queryStrings(ctx, tx, `SELECT slug FROM teams ORDER BY position, slug`)
		if err != nil {
			return fmt.Errorf("listing teams: %w", err)
		}
		for _, sl := range slugs {
			t, err := teamTx(ctx, tx, sl)
			if err != nil {
				return err
			}
			out = append(out, *t)
		}
		return nil
	})
	return out, err
}

// Team implements people.Store.
func (s *Store) Team(ctx context.Context, slug string) (*people.Team, error) {
	var t *people.Team
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = teamTx(ctx, tx, slug)
		return err
	})
	return t, err
}

// UpdateTeam implements people.Store.
func (s *Store) UpdateTeam(ctx context.Context, slug string, c people.TeamChange, by string, at time.Time) (*people.Team, error) {
	var after *people.Team
	err := s.tx(ctx, func(tx *sql.Tx) error {
		before, err := teamTx(ctx, tx, slug)
		if err != nil {
			return err
		}
		t := *before
		if c.Description != nil {
			t.Description = *c.Description
		}
		if c.Contact != nil {
			t.Contact = *c.Contact
		}
		if c.Lead != nil {
			t.Lead = *c.Lead
		}
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET description = ?, contact = ?, lead = ? WHERE slug = ?`, t.Description, t.Contact, t.Lead, slug); err != nil {
			return fmt.Errorf("updating team %s: %w", slug, err)
		}
		if c.Members != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team = ?`, slug); err != nil {
				return fmt.Errorf("updating members of team %s: %w", slug, err)
			}
			for _, m := range *c.Members {
				if _, err := tx.ExecContext(ctx, `INSERT INTO team_members (team, account) VALUES (?, ?)`, slug, m); err != nil {
					return fmt.Errorf("updating members of team %s: %w", slug, err)
				}
			}
		}
		if after, err = teamTx(ctx, tx, slug); err != nil {
			return err
		}
		return appendAudit(ctx, tx, audit.Event{At: at, Actor: by, Action: "team.update", Subject: "team/" + slug,
			Before: audit.JSON(before), After: audit.JSON(after), Public: true})
	})
	return after, err
}
