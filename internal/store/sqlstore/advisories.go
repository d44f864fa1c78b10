package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/smeserver/smeforge/internal/advisory"
	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/catalog"
)

var _ advisory.Store = (*Store)(nil)

// CreateAdvisory implements advisory.Store. The sequence number is taken
// inside the transaction, which holds SQLite's write lock from its start,
// so two advisories of a year never get the same number.
func (s *Store) CreateAdvisory(ctx context.Context, a *advisory.Advisory, year int, id func(seq int) (string, error), ev audit.Event) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var seq int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM advisories WHERE year = ?`, year).Scan(&seq); err != nil {
			return fmt.Errorf("numbering the advisory: %w", err)
		}
		name, err := id(seq)
		if err != nil {
			return err
		}
		a.ID = name
		a.Changes = 1
		doc, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO advisories (id, year, seq, state, changes, created_at, updated_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, year, seq, a.State, a.Changes, ms(a.CreatedAt), ms(a.UpdatedAt), string(doc)); err != nil {
			return fmt.Errorf("storing advisory %s: %w", a.ID, err)
		}
		ev.Subject = "advisory:" + a.ID
		ev.After = doc
		return appendAudit(ctx, tx, ev)
	})
}

// Advisory implements advisory.Store.
func (s *Store) Advisory(ctx context.Context, id string) (*advisory.Advisory, error) {
	a, err := scanAdvisory(s.db.QueryRowContext(ctx, `SELECT doc, changes FROM advisories WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no advisory %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading advisory %s: %w", id, err)
	}
	return a, nil
}

func scanAdvisory(r scanner) (*advisory.Advisory, error) {
	var doc string
	var a advisory.Advisory
	if err := r.Scan(&doc, &a.Changes); err != nil {
		return nil, err
	}
	changes := a.Changes
	if err := json.Unmarshal([]byte(doc), &a); err != nil {
		return nil, fmt.Errorf("decoding an advisory: %w", err)
	}
	a.Changes = changes
	return &a, nil
}

// Advisories implements advisory.Store.
func (s *Store) Advisories(ctx context.Context) ([]advisory.Advisory, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT doc, changes FROM advisories ORDER BY year DESC, seq DESC`)
	if err != nil {
		return nil, fmt.Errorf("listing advisories: %w", err)
	}
	defer rows.Close()
	var out []advisory.Advisory
	for rows.Next() {
		a, err := scanAdvisory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// SaveAdvisory implements advisory.Store.
func (s *Store) SaveAdvisory(ctx context.Context, a *advisory.Advisory, prevChanges int64, rev *advisory.Revision, ev audit.Event) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		a.Changes = prevChanges + 1
		doc, err := json.Marshal(a)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE advisories SET state = ?, changes = ?, updated_at = ?, doc = ? WHERE id = ? AND changes = ?`,
			a.State, a.Changes, ms(a.UpdatedAt), string(doc), a.ID, prevChanges)
		if err != nil {
			return fmt.Errorf("saving advisory %s: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			a.Changes = prevChanges
			return catalog.Errorf(catalog.ErrConflict, "advisory %s was changed by someone else meanwhile; reload it and make the change again", a.ID)
		}
		if rev != nil {
			rdoc, err := json.Marshal(rev.Content)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO advisory_revisions (advisory, n, at, by_account, reason, doc) VALUES (?, ?, ?, ?, ?, ?)`,
				rev.Advisory, rev.N, ms(rev.At), rev.By, rev.Reason, string(rdoc)); err != nil {
				return fmt.Errorf("storing revision %d of %s: %w", rev.N, a.ID, err)
			}
		}
		return appendAudit(ctx, tx, ev)
	})
}

// AdvisoryRevisions implements advisory.Store.
func (s *Store) AdvisoryRevisions(ctx context.Context, id string) ([]advisory.Revision, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT n, at, by_account, reason, doc FROM advisory_revisions WHERE advisory = ? ORDER BY n`, id)
	if err != nil {
		return nil, fmt.Errorf("listing revisions of %s: %w", id, err)
	}
	defer rows.Close()
	var out []advisory.Revision
	for rows.Next() {
		r := advisory.Revision{Advisory: id}
		var at int64
		var doc string
		if err := rows.Scan(&r.N, &at, &r.By, &r.Reason, &doc); err != nil {
			return nil, err
		}
		r.At = fromMS(at)
		if err := json.Unmarshal([]byte(doc), &r.Content); err != nil {
			return nil, fmt.Errorf("decoding revision %d of %s: %w", r.N, id, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// BuildChannels implements advisory.Store.
func (s *Store) BuildChannels(ctx context.Context, build string) ([]catalog.ChannelRef, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.release, c.name FROM channel_builds cb JOIN channels c ON c.release = cb.release AND c.name = cb.channel
 WHERE cb.build_id = ? AND `+membership+` ORDER BY c.release, c.name`, build)
	if err != nil {
		return nil, fmt.Errorf("listing the channels of %s: %w", build, err)
	}
	defer rows.Close()
	var out []catalog.ChannelRef
	for rows.Next() {
		var ref catalog.ChannelRef
		if err := rows.Scan(&ref.Release, &ref.Channel); err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, rows.Err()
}
