package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
)

// CreateRelease implements catalog.Store.
func (s *Store) CreateRelease(ctx context.Context, r *catalog.Release, channels []catalog.Channel, from string) error {
	dates, err := encodeDates(r.PhaseDates)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO releases (name, base_os, arches, created_at, major, minor, base_name, base_version, phase, development, phase_dates, eol, from_release)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			r.Name, r.BaseOS, strings.Join(r.Arches, ","), ms(r.CreatedAt), r.Major, r.Minor, r.BaseName, r.BaseVersion, r.Phase, r.Development, dates, ms(r.EOL), from)
		if err != nil {
			return fmt.Errorf("creating release %s: %w", r.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return catalog.Errorf(catalog.ErrConflict, "release %s already exists", r.Name)
		}
		if r.Development {
			if _, err := tx.ExecContext(ctx, `UPDATE releases SET development = ? WHERE name <> ?`, false, r.Name); err != nil {
				return err
			}
		}
		for i := range channels {
			if err := insertChannel(ctx, tx, &channels[i]); err != nil {
				return err
			}
			if from == "" {
				continue
			}
			// A minor release starts from the previous one's content.
			var cur int64
			err := tx.QueryRowContext(ctx, `SELECT version FROM channels WHERE release = ? AND name = ?`, from, channels[i].Name).Scan(&cur)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO channel_builds (release, channel, build_id, added_in)
 SELECT ?, ?, build_id, 1 FROM channel_builds WHERE release = ? AND channel = ? AND added_in <= ? AND (removed_in IS NULL OR removed_in > ?)`,
				r.Name, channels[i].Name, from, channels[i].Name, cur, cur)
			if err != nil {
				return fmt.Errorf("copying %s/%s: %w", from, channels[i].Name, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO channel_versions (release, channel, version, created_at, created_by, change) VALUES (?, ?, 1, ?, '', ?)`,
				r.Name, channels[i].Name, ms(r.CreatedAt), "copied from release "+from); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE channels SET version = 1 WHERE release = ? AND name = ?`, r.Name, channels[i].Name); err != nil {
				return err
			}
		}
		return nil
	})
}

func encodeDates(m map[string]time.Time) (string, error) {
	out := map[string]int64{}
	for k, v := range m {
		out[k] = ms(v)
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func decodeDates(s string) map[string]time.Time {
	var in map[string]int64
	json.Unmarshal([]byte(s), &in)
	out := map[string]time.Time{}
	for k, v := range in {
		out[k] = fromMS(v)
	}
	return out
}

// UpdateReleases implements catalog.Store.
func (s *Store) UpdateReleases(ctx context.Context, rs []catalog.Release, freeze map[string]string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range rs {
			dates, err := encodeDates(r.PhaseDates)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE releases SET phase = ?, development = ?, phase_dates = ?, eol = ? WHERE name = ?`,
				r.Phase, r.Development, dates, ms(r.EOL), r.Name)
			if err != nil {
				return fmt.Errorf("updating release %s: %w", r.Name, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return catalog.Errorf(catalog.ErrNotFound, "there is no release %s", r.Name)
			}
		}
		for id, digest := range freeze {
			rel, ch, _ := strings.Cut(id, "/")
			if _, err := tx.ExecContext(ctx, `UPDATE channels SET frozen = ?, frozen_digest = ? WHERE release = ? AND name = ?`, true, digest, rel, ch); err != nil {
				return fmt.Errorf("freezing %s: %w", id, err)
			}
			// Fix the files it serves: later re-signing must not change them.
			if _, err := tx.ExecContext(ctx, `INSERT INTO frozen_files (release, channel, filename, file_sha256)
 SELECT DISTINCT c.release, c.name, a.filename, a.file_sha256 FROM channels c
 JOIN channel_builds cb ON cb.release = c.release AND cb.channel = c.name
 JOIN artifacts a ON a.build_id = cb.build_id
 WHERE c.release = ? AND c.name = ? AND cb.added_in <= c.published_version AND (cb.removed_in IS NULL OR cb.removed_in > c.published_version)
 ON CONFLICT (release, channel, filename) DO NOTHING`, rel, ch); err != nil {
				return fmt.Errorf("freezing %s: %w", id, err)
			}
		}
		return nil
	})
}

// SetBuildCategory implements catalog.Store.
func (s *Store) SetBuildCategory(ctx context.Context, id, category string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE builds SET category = ? WHERE id = ?`, category, id)
	if err != nil {
		return fmt.Errorf("setting the category of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return catalog.Errorf(catalog.ErrNotFound, "there is no build %s", id)
	}
	return nil
}

// LatestCategory implements catalog.Store.
func (s *Store) LatestCategory(ctx context.Context, name string) (string, error) {
	var c string
	err := s.db.QueryRowContext(ctx, `SELECT category FROM builds WHERE name = ? ORDER BY created_at DESC LIMIT 1`, name).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", catalog.Errorf(catalog.ErrNotFound, "no build of %s yet", name)
	}
	if err != nil {
		return "", fmt.Errorf("finding the category of %s: %w", name, err)
	}
	return c, nil
}

func insertChannel(ctx context.Context, tx *sql.Tx, c *catalog.Channel) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO channels (release, name, description, arches, enabled, version, published_version, published_at, created_at,
 client_name, accepts, visible, frozen_at_final, require_signed, retention)
 VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (release, name) DO NOTHING`,
		c.Release, c.Name, c.Description, strings.Join(c.Arches, ","), c.Enabled, ms(c.CreatedAt),
		c.ClientName, strings.Join(c.Accepts, ","), c.Visible, c.FrozenAtFinal, c.RequireSigned, c.Retention)
	if err != nil {
		return fmt.Errorf("creating channel %s: %w", c.ID(), err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return catalog.Errorf(catalog.ErrConflict, "channel %s already exists", c.ID())
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO channel_versions (release, channel, version, created_at, created_by, change) VALUES (?, ?, 0, ?, '', 'created')`,
		c.Release, c.Name, ms(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("creating channel %s: %w", c.ID(), err)
	}
	return nil
}

const releaseCols = `name, base_os, arches, created_at, major, minor, base_name, base_version, phase, development, phase_dates, eol, from_release`

func scanRelease(r scanner) (*catalog.Release, error) {
	var rel catalog.Release
	var arches, dates string
	var created, eol int64
	if err := r.Scan(&rel.Name, &rel.BaseOS, &arches, &created, &rel.Major, &rel.Minor, &rel.BaseName, &rel.BaseVersion,
		&rel.Phase, &rel.Development, &dates, &eol, &rel.FromRelease); err != nil {
		return nil, err
	}
	rel.Arches = splitList(arches)
	rel.CreatedAt = fromMS(created)
	rel.PhaseDates = decodeDates(dates)
	rel.EOL = fromMS(eol)
	return &rel, nil
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// Release implements catalog.Store.
func (s *Store) Release(ctx context.Context, name string) (*catalog.Release, error) {
	r, err := scanRelease(s.db.QueryRowContext(ctx, `SELECT `+releaseCols+` FROM releases WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no release %s", name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading release %s: %w", name, err)
	}
	return r, nil
}

// Releases implements catalog.Store.
func (s *Store) Releases(ctx context.Context) ([]catalog.Release, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+releaseCols+` FROM releases ORDER BY major, minor, name`)
	if err != nil {
		return nil, fmt.Errorf("listing releases: %w", err)
	}
	defer rows.Close()
	var out []catalog.Release
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// CreateChannel implements catalog.Store.
func (s *Store) CreateChannel(ctx context.Context, c *catalog.Channel) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM releases WHERE name = ?`, c.Release).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return catalog.Errorf(catalog.ErrNotFound, "there is no release %s", c.Release)
		}
		return insertChannel(ctx, tx, c)
	})
}

const channelCols = `c.release, c.name, c.description, c.arches, c.enabled, c.version, c.published_version, c.published_at, c.created_at,
 c.client_name, c.accepts, c.visible, c.frozen_at_final, c.require_signed, c.retention, c.frozen, c.frozen_digest,
 (SELECT COUNT(*) FROM channel_builds cb WHERE cb.release = c.release AND cb.channel = c.name AND ` + membership + `)`

func scanChannel(r scanner) (*catalog.Channel, error) {
	var c catalog.Channel
	var arches, accepts string
	var pub, created int64
	if err := r.Scan(&c.Release, &c.Name, &c.Description, &arches, &c.Enabled, &c.Version, &c.PublishedVersion, &pub, &created,
		&c.ClientName, &accepts, &c.Visible, &c.FrozenAtFinal, &c.RequireSigned, &c.Retention, &c.Frozen, &c.FrozenDigest, &c.Builds); err != nil {
		return nil, err
	}
	c.Arches = splitList(arches)
	c.Accepts = splitList(accepts)
	c.PublishedAt = fromMS(pub)
	c.CreatedAt = fromMS(created)
	return &c, nil
}

// Channel implements catalog.Store.
func (s *Store) Channel(ctx context.Context, release, name string) (*catalog.Channel, error) {
	c, err := scanChannel(s.db.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels c WHERE c.release = ? AND c.name = ?`, release, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no channel %s/%s", release, name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading channel %s/%s: %w", release, name, err)
	}
	return c, nil
}

// Channels implements catalog.Store.
func (s *Store) Channels(ctx context.Context, release string) ([]catalog.Channel, error) {
	q := `SELECT ` + channelCols + ` FROM channels c`
	var args []any
	if release != "" {
		q += ` WHERE c.release = ?`
		args = append(args, release)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY c.release, c.created_at, c.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing channels: %w", err)
	}
	defer rows.Close()
	var out []catalog.Channel
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// ChangeChannel implements catalog.Store.
func (s *Store) ChangeChannel(ctx context.Context, release, name string, add, remove []string, by string, at time.Time) (*catalog.ChannelVersion, error) {
	var cv *catalog.ChannelVersion
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		cv, err = changeChannel(ctx, tx, release, name, add, remove, by, at)
		return err
	})
	return cv, err
}

// changeChannel is ChangeChannel inside a transaction, for changes that
// commit together with others (a promotion).
func changeChannel(ctx context.Context, tx *sql.Tx, release, name string, add, remove []string, by string, at time.Time) (*catalog.ChannelVersion, error) {
	var cv *catalog.ChannelVersion
	err := func() error {
		var cur int64
		var frozen bool
		var accepts string
		err := tx.QueryRowContext(ctx, `SELECT version, frozen, accepts FROM channels WHERE release = ? AND name = ?`, release, name).Scan(&cur, &frozen, &accepts)
		if errors.Is(err, sql.ErrNoRows) {
			return catalog.Errorf(catalog.ErrNotFound, "there is no channel %s/%s", release, name)
		}
		if err != nil {
			return fmt.Errorf("reading channel %s/%s: %w", release, name, err)
		}
		if frozen {
			return catalog.Errorf(catalog.ErrConflict, "%s/%s is frozen: release %s is final, and the packages of its install image never change after that", release, name, release)
		}
		acc := splitList(accepts)
		next := cur + 1
		inChannel := func(id string) (bool, error) {
			var n int
			err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM channel_builds WHERE release = ? AND channel = ? AND build_id = ? AND removed_in IS NULL`, release, name, id).Scan(&n)
			return n > 0, err
		}
		var words []string
		for _, id := range add {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM artifacts WHERE build_id = ?`, id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return catalog.Errorf(catalog.ErrNotFound, "there is no build %s", id)
			}
			if len(acc) > 0 {
				var cat string
				if err := tx.QueryRowContext(ctx, `SELECT category FROM builds WHERE id = ?`, id).Scan(&cat); err != nil {
					return err
				}
				ok := false
				for _, a := range acc {
					ok = ok || a == cat
				}
				if !ok {
					return catalog.Errorf(catalog.ErrConflict, "build %s is in category %s, and %s/%s only accepts %s", id, cat, release, name, strings.Join(acc, ", "))
				}
			}
			in, err := inChannel(id)
			if err != nil {
				return err
			}
			if in {
				return catalog.Errorf(catalog.ErrInvalid, "build %s is already in %s/%s", id, release, name)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO channel_builds (release, channel, build_id, added_in) VALUES (?, ?, ?, ?)`, release, name, id, next); err != nil {
				return fmt.Errorf("adding %s: %w", id, err)
			}
			words = append(words, "added "+id)
		}
		for _, id := range remove {
			res, err := tx.ExecContext(ctx, `UPDATE channel_builds SET removed_in = ? WHERE release = ? AND channel = ? AND build_id = ? AND removed_in IS NULL`, next, release, name, id)
			if err != nil {
				return fmt.Errorf("removing %s: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return catalog.Errorf(catalog.ErrInvalid, "build %s is not in %s/%s", id, release, name)
			}
			words = append(words, "removed "+id)
		}
		if len(words) == 0 {
			return catalog.Errorf(catalog.ErrInvalid, "nothing to change in %s/%s", release, name)
		}
		change := strings.Join(words, ", ")
		if len(change) > 2000 {
			change = fmt.Sprintf("added %d and removed %d builds", len(add), len(remove))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO channel_versions (release, channel, version, created_at, created_by, change) VALUES (?, ?, ?, ?, ?, ?)`,
			release, name, next, ms(at), by, change); err != nil {
			return fmt.Errorf("recording version %d of %s/%s: %w", next, release, name, err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE channels SET version = ? WHERE release = ? AND name = ? AND version = ?`, next, release, name, cur)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return catalog.Errorf(catalog.ErrConflict, "channel %s/%s changed meanwhile", release, name)
		}
		cv = &catalog.ChannelVersion{Version: next, CreatedAt: at, CreatedBy: by, Change: change}
		return nil
	}()
	return cv, err
}

// ChannelVersions implements catalog.Store.
func (s *Store) ChannelVersions(ctx context.Context, release, name string) ([]catalog.ChannelVersion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version, created_at, created_by, change FROM channel_versions WHERE release = ? AND channel = ? ORDER BY version DESC`, release, name)
	if err != nil {
		return nil, fmt.Errorf("listing versions of %s/%s: %w", release, name, err)
	}
	defer rows.Close()
	var out []catalog.ChannelVersion
	for rows.Next() {
		var v catalog.ChannelVersion
		var at int64
		if err := rows.Scan(&v.Version, &at, &v.CreatedBy, &v.Change); err != nil {
			return nil, err
		}
		v.CreatedAt = fromMS(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// ChannelBuilds implements catalog.Store.
func (s *Store) ChannelBuilds(ctx context.Context, release, name string, version int64) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT build_id FROM channel_builds WHERE release = ? AND channel = ? AND added_in <= ? AND (removed_in IS NULL OR removed_in > ?) ORDER BY build_id`,
		release, name, version, version)
	if err != nil {
		return nil, fmt.Errorf("listing builds of %s/%s: %w", release, name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// RepoEntries implements catalog.Store.
func (s *Store) RepoEntries(ctx context.Context, release, name string, version int64, arch string) ([]catalog.RepoEntry, error) {
	q := `SELECT a.sha256, a.file_sha256, a.filename, a.frag_digest, b.category, a.sig_key_id FROM channel_builds cb
 JOIN artifacts a ON a.build_id = cb.build_id JOIN builds b ON b.id = a.build_id
 WHERE cb.release = ? AND cb.channel = ? AND cb.added_in <= ? AND (cb.removed_in IS NULL OR cb.removed_in > ?) AND `
	args := []any{release, name, version, version}
	if arch == "source" {
		q += `a.is_source = ?`
		args = append(args, true)
	} else {
		q += `a.is_source = ? AND (a.arch = ? OR a.arch = 'noarch')`
		args = append(args, false, arch)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY a.filename`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing packages of %s/%s: %w", release, name, err)
	}
	defer rows.Close()
	var out []catalog.RepoEntry
	for rows.Next() {
		var e catalog.RepoEntry
		if err := rows.Scan(&e.SHA256, &e.FileSHA256, &e.Filename, &e.FragDigest, &e.Category, &e.SigKeyID); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ChannelFile implements catalog.Store.
func (s *Store) ChannelFile(ctx context.Context, release, name, filename string) (*catalog.Artifact, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM artifacts a
 JOIN channel_builds cb ON cb.build_id = a.build_id JOIN channels c ON c.release = cb.release AND c.name = cb.channel
 WHERE a.filename = ? AND c.release = ? AND c.name = ? AND cb.added_in <= c.published_version LIMIT 1`, filename, release, name)
	a, err := scanArtifact(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "%s is not in %s/%s", filename, release, name)
	}
	if err != nil {
		return nil, fmt.Errorf("finding %s in %s/%s: %w", filename, release, name, err)
	}
	return a, nil
}

// SetPublished implements catalog.Store.
func (s *Store) SetPublished(ctx context.Context, release, name string, version int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE channels SET published_version = ?, published_at = ? WHERE release = ? AND name = ? AND version >= ?`,
		version, ms(at), release, name, version)
	if err != nil {
		return fmt.Errorf("recording publication of %s/%s: %w", release, name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return catalog.Errorf(catalog.ErrNotFound, "there is no version %[3]d of channel %[1]s/%[2]s", release, name, version)
	}
	return nil
}

// EnsureAccount implements catalog.Store.
func (s *Store) EnsureAccount(ctx context.Context, name string, admin bool, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO accounts (name, admin, password_hash, created_at) VALUES (?, ?, '', ?) ON CONFLICT (name) DO NOTHING`, name, admin, ms(at))
	if err != nil {
		return false, fmt.Errorf("creating account %s: %w", name, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SetPassword implements catalog.Store.
func (s *Store) SetPassword(ctx context.Context, name, hash string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET password_hash = ? WHERE name = ?`, hash, name)
	if err != nil {
		return fmt.Errorf("setting password of %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return catalog.Errorf(catalog.ErrNotFound, "there is no account %s", name)
	}
	return nil
}

// PasswordHash implements catalog.Store.
func (s *Store) PasswordHash(ctx context.Context, name string) (string, error) {
	var h string
	var disabled bool
	err := s.db.QueryRowContext(ctx, `SELECT password_hash, disabled FROM accounts WHERE name = ?`, name).Scan(&h, &disabled)
	if errors.Is(err, sql.ErrNoRows) || disabled {
		return "", catalog.Errorf(catalog.ErrNotFound, "there is no account %s", name)
	}
	if err != nil {
		return "", fmt.Errorf("reading account %s: %w", name, err)
	}
	return h, nil
}

// AddToken implements catalog.Store.
func (s *Store) AddToken(ctx context.Context, account, hash, label string, roles []string, at time.Time) error {
	// The public id is the start of the hash, as the migration gave
	// the tokens made before ids existed.
	_, err := s.db.ExecContext(ctx, `INSERT INTO tokens (hash, id, account, label, created_at, roles) VALUES (?, ?, ?, ?, ?, ?)`,
		hash, hash[:min(16, len(hash))], account, label, ms(at), strings.Join(roles, " "))
	if err != nil {
		return fmt.Errorf("storing token for %s: %w", account, err)
	}
	return nil
}

// TokenAccount implements catalog.Store.
func (s *Store) TokenAccount(ctx context.Context, hash string) (*catalog.Account, error) {
	var name, scope string
	err := s.db.QueryRowContext(ctx, `SELECT a.name, t.roles FROM tokens t JOIN accounts a ON a.name = t.account
 WHERE t.hash = ? AND t.revoked = ? AND a.disabled = ?`, hash, false, false).Scan(&name, &scope)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "unknown or revoked token")
	}
	if err != nil {
		return nil, fmt.Errorf("checking token: %w", err)
	}
	a, err := s.Account(ctx, name)
	if err != nil {
		return nil, err
	}
	if scope != "" {
		allowed := strings.Fields(scope)
		a.Roles = slices.DeleteFunc(a.Roles, func(r string) bool { return !slices.Contains(allowed, r) })
	}
	return a, nil
}

// Account implements catalog.Store.
func (s *Store) Account(ctx context.Context, name string) (*catalog.Account, error) {
	a := catalog.Account{Name: name}
	var created, login int64
	err := s.db.QueryRowContext(ctx, `SELECT admin, created_at, disabled, last_login_at FROM accounts WHERE name = ?`, name).
		Scan(&a.Admin, &created, &a.Disabled, &login)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no account %s", name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading account %s: %w", name, err)
	}
	a.CreatedAt, a.LastLoginAt = fromMS(created), fromMS(login)
	rows, err := s.db.QueryContext(ctx, `SELECT role FROM account_roles WHERE account = ? ORDER BY role`, name)
	if err != nil {
		return nil, fmt.Errorf("reading roles of %s: %w", name, err)
	}
	defer rows.Close()
	a.Roles = []string{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("reading roles of %s: %w", name, err)
		}
		a.Roles = append(a.Roles, r)
	}
	return &a, rows.Err()
}

// SetRoles implements catalog.Store.
func (s *Store) SetRoles(ctx context.Context, name string, roles []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE name = ?`, name).Scan(&n); err != nil {
			return fmt.Errorf("reading account %s: %w", name, err)
		}
		if n == 0 {
			return catalog.Errorf(catalog.ErrNotFound, "there is no account %s", name)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM account_roles WHERE account = ?`, name); err != nil {
			return fmt.Errorf("setting roles of %s: %w", name, err)
		}
		for _, r := range roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_roles (account, role) VALUES (?, ?) ON CONFLICT DO NOTHING`, name, r); err != nil {
				return fmt.Errorf("setting roles of %s: %w", name, err)
			}
		}
		return nil
	})
}

// SignedBuilds implements catalog.Store.
func (s *Store) SignedBuilds(ctx context.Context, key string) ([]string, error) {
	q := `SELECT DISTINCT a.build_id FROM artifacts a WHERE a.file_sha256 <> a.sha256`
	var args []any
	if key != "" {
		q += ` AND a.sig_key_id = ?`
		args = append(args, key)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY a.build_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing signed builds: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetArtifactFile implements catalog.Store.
func (s *Store) SetArtifactFile(ctx context.Context, a *catalog.Artifact, f *catalog.Fragments, rec catalog.SignatureRecord) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE artifacts SET file_sha256 = ?, file_size = ?, sig_key_id = ?, sig_algorithm = ?, frag_digest = ? WHERE sha256 = ?`,
			a.FileSHA256, a.FileSize, a.SigKeyID, a.SigAlgorithm, f.Digest, a.SHA256)
		if err != nil {
			return fmt.Errorf("recording the signed file of %s: %w", a.NEVRA(), err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return catalog.Errorf(catalog.ErrNotFound, "there is no package %s", a.SHA256)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE artifact_details SET frag_primary = ?, frag_filelists = ?, frag_other = ? WHERE sha256 = ?`,
			string(f.Primary), string(f.Filelists), string(f.Other), a.SHA256); err != nil {
			return fmt.Errorf("recording the fragments of %s: %w", a.NEVRA(), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO signatures (artifact, file_sha256, key_id, algorithm, signed_at, signed_by) VALUES (?, ?, ?, ?, ?, ?)
 ON CONFLICT (artifact, file_sha256) DO NOTHING`, rec.Artifact, rec.FileSHA256, rec.KeyID, rec.Algorithm, ms(rec.SignedAt), rec.SignedBy); err != nil {
			return fmt.Errorf("recording the signature of %s: %w", a.NEVRA(), err)
		}
		return nil
	})
}

// Signatures implements catalog.Store.
func (s *Store) Signatures(ctx context.Context, artifact string) ([]catalog.SignatureRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT artifact, file_sha256, key_id, algorithm, signed_at, signed_by FROM signatures WHERE artifact = ? ORDER BY signed_at`, artifact)
	if err != nil {
		return nil, fmt.Errorf("listing signatures: %w", err)
	}
	defer rows.Close()
	var out []catalog.SignatureRecord
	for rows.Next() {
		var r catalog.SignatureRecord
		var at int64
		if err := rows.Scan(&r.Artifact, &r.FileSHA256, &r.KeyID, &r.Algorithm, &at, &r.SignedBy); err != nil {
			return nil, err
		}
		r.SignedAt = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// FrozenFile implements catalog.Store.
func (s *Store) FrozenFile(ctx context.Context, release, channel, filename string) (string, error) {
	var sum string
	err := s.db.QueryRowContext(ctx, `SELECT file_sha256 FROM frozen_files WHERE release = ? AND channel = ? AND filename = ?`, release, channel, filename).Scan(&sum)
	if errors.Is(err, sql.ErrNoRows) {
		return "", catalog.Errorf(catalog.ErrNotFound, "%s is not in %s/%s", filename, release, channel)
	}
	return sum, err
}

// AddSigningKey implements catalog.Store: the new key becomes the active
// one when k.Active is set.
func (s *Store) AddSigningKey(ctx context.Context, k catalog.SigningKey) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if k.Active {
			if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET active = ?`, false); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (key_id, algorithm, public_key, created_at, active, retired_at) VALUES (?, ?, ?, ?, ?, ?)
 ON CONFLICT (key_id) DO UPDATE SET active = excluded.active, retired_at = excluded.retired_at`,
			k.KeyID, k.Algorithm, k.PublicKey, ms(k.CreatedAt), k.Active, ms(k.RetiredAt))
		if err != nil {
			return fmt.Errorf("recording key %s: %w", k.KeyID, err)
		}
		return nil
	})
}

// SigningKeys implements catalog.Store.
func (s *Store) SigningKeys(ctx context.Context) ([]catalog.SigningKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key_id, algorithm, public_key, created_at, active, retired_at FROM signing_keys ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("listing keys: %w", err)
	}
	defer rows.Close()
	var out []catalog.SigningKey
	for rows.Next() {
		var k catalog.SigningKey
		var c, r int64
		if err := rows.Scan(&k.KeyID, &k.Algorithm, &k.PublicKey, &c, &k.Active, &r); err != nil {
			return nil, err
		}
		k.CreatedAt, k.RetiredAt = fromMS(c), fromMS(r)
		out = append(out, k)
	}
	return out, rows.Err()
}

// FrozenChannelsOf implements catalog.Store.
func (s *Store) FrozenChannelsOf(ctx context.Context, build string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.release, c.name FROM channels c JOIN channel_builds cb ON cb.release = c.release AND cb.channel = c.name
 WHERE c.frozen = ? AND cb.build_id = ? AND cb.added_in <= c.published_version AND (cb.removed_in IS NULL OR cb.removed_in > c.published_version)
 ORDER BY c.release, c.name`, true, build)
	if err != nil {
		return nil, fmt.Errorf("finding frozen channels of %s: %w", build, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r, c string
		if err := rows.Scan(&r, &c); err != nil {
			return nil, err
		}
		out = append(out, r+"/"+c)
	}
	return out, rows.Err()
}

// FrozenFilesSignedBy implements catalog.Store.
func (s *Store) FrozenFilesSignedBy(ctx context.Context, key string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.release, f.channel, f.filename FROM frozen_files f
 JOIN signatures g ON g.file_sha256 = f.file_sha256 WHERE g.key_id = ? ORDER BY f.release, f.channel, f.filename`, key)
	if err != nil {
		return nil, fmt.Errorf("finding files signed by %s: %w", key, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r, c, f string
		if err := rows.Scan(&r, &c, &f); err != nil {
			return nil, err
		}
		out = append(out, r+"/"+c+" "+f)
	}
	return out, rows.Err()
}

// AddUpstream implements catalog.Store.
func (s *Store) AddUpstream(ctx context.Context, u catalog.Upstream) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO upstreams (name, url, key, release, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		u.Name, u.URL, u.Key, u.Release, ms(u.CreatedAt))
	if err != nil {
		return fmt.Errorf("adding upstream %s: %w", u.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return catalog.Errorf(catalog.ErrConflict, "upstream %s already exists", u.Name)
	}
	return nil
}

const upstreamCols = `name, url, key, release, created_at, synced_at, revision, signed_by, packages`

func scanUpstream(r scanner) (*catalog.Upstream, error) {
	var u catalog.Upstream
	var c, sy int64
	if err := r.Scan(&u.Name, &u.URL, &u.Key, &u.Release, &c, &sy, &u.Revision, &u.SignedBy, &u.Packages); err != nil {
		return nil, err
	}
	u.CreatedAt, u.SyncedAt = fromMS(c), fromMS(sy)
	return &u, nil
}

// Upstream implements catalog.Store.
func (s *Store) Upstream(ctx context.Context, name string) (*catalog.Upstream, error) {
	u, err := scanUpstream(s.db.QueryRowContext(ctx, `SELECT `+upstreamCols+` FROM upstreams WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no upstream %s", name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading upstream %s: %w", name, err)
	}
	return u, nil
}

// Upstreams implements catalog.Store.
func (s *Store) Upstreams(ctx context.Context) ([]catalog.Upstream, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+upstreamCols+` FROM upstreams ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing upstreams: %w", err)
	}
	defer rows.Close()
	var out []catalog.Upstream
	for rows.Next() {
		u, err := scanUpstream(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// SetUpstreamPackages implements catalog.Store.
func (s *Store) SetUpstreamPackages(ctx context.Context, u catalog.Upstream, pkgs []catalog.PackageFacts) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM upstream_packages WHERE upstream = ?`, u.Name); err != nil {
			return fmt.Errorf("replacing the packages of %s: %w", u.Name, err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO upstream_packages (upstream, nevra, name, epoch, version, release, arch, summary, license, details)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upstream, nevra) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range pkgs {
			a := &pkgs[i].Artifact
			d, err := json.Marshal(&pkgs[i].Details)
			if err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, u.Name, a.NEVRA(), a.Name, a.Epoch, a.Version, a.Release, a.Arch, a.Summary, a.License, string(d)); err != nil {
				return fmt.Errorf("recording %s of %s: %w", a.NEVRA(), u.Name, err)
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE upstreams SET synced_at = ?, revision = ?, signed_by = ?, packages = ? WHERE name = ?`,
			ms(u.SyncedAt), u.Revision, u.SignedBy, len(pkgs), u.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return catalog.Errorf(catalog.ErrNotFound, "there is no upstream %s", u.Name)
		}
		return nil
	})
}

// UpstreamPackages implements catalog.Store.
func (s *Store) UpstreamPackages(ctx context.Context, upstream, text string, limit int) ([]catalog.PackageFacts, error) {
	q := `SELECT upstream, name, epoch, version, release, arch, summary, license, details FROM upstream_packages WHERE LOWER(name) LIKE ? ESCAPE '\'`
	args := []any{likePattern(text)}
	if upstream != "" {
		q += ` AND upstream = ?`
		args = append(args, upstream)
	}
	q += ` ORDER BY name, arch`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing upstream packages: %w", err)
	}
	defer rows.Close()
	var out []catalog.PackageFacts
	for rows.Next() {
		var f catalog.PackageFacts
		var up, details string
		a := &f.Artifact
		if err := rows.Scan(&up, &a.Name, &a.Epoch, &a.Version, &a.Release, &a.Arch, &a.Summary, &a.License, &details); err != nil {
			return nil, err
		}
		a.Category, a.Source, a.BuildID, a.SHA256 = "base", a.Arch == "src", "upstream:"+up, "upstream:"+up+":"+a.NEVRA()
		if err := json.Unmarshal([]byte(details), &f.Details); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
