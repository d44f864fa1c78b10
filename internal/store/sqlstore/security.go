package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/security"
)

var _ security.Store = (*Store)(nil)

// SaveRecords implements security.Store.
func (s *Store) SaveRecords(ctx context.Context, rs []*security.Record, actor string) (int, error) {
	changed := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		changed = 0
		var ids []string
		getStmt, err := tx.PrepareContext(ctx, `SELECT modified, digest FROM vuln_records WHERE source = ? AND record_id = ?`)
		if err != nil {
			return err
		}
		defer getStmt.Close()
		rangeStmt, err := tx.PrepareContext(ctx, `INSERT INTO vuln_ranges (source, record_id, ecosystem, package, introduced, fixed, last_affected) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer rangeStmt.Close()
		for _, r := range rs {
			sum := sha256.Sum256(r.Raw)
			digest := hex.EncodeToString(sum[:])
			var modified, old string
			err := getStmt.QueryRowContext(ctx, r.Source, r.ID).Scan(&modified, &old)
			exists := err == nil
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("reading record %s:%s: %w", r.Source, r.ID, err)
			}
			if exists && (old == digest || (r.Modified != "" && modified == r.Modified)) {
				continue
			}
			if exists {
				if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_ranges WHERE source = ? AND record_id = ?`, r.Source, r.ID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_records WHERE source = ? AND record_id = ?`, r.Source, r.ID); err != nil {
					return err
				}
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO vuln_records (source, record_id, origin, aliases, summary, severity, modified, digest, withdrawn, raw, imported_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Source, r.ID, r.Origin, strings.Join(r.Aliases, " "), r.Summary, r.Severity, r.Modified, digest, r.Withdrawn, string(r.Raw), ms(r.ImportedAt))
			if err != nil {
				return fmt.Errorf("storing record %s:%s: %w", r.Source, r.ID, err)
			}
			for _, rg := range r.Ranges {
				if _, err := rangeStmt.ExecContext(ctx, r.Source, r.ID, rg.Ecosystem, rg.Package, rg.Introduced, rg.Fixed, rg.LastAffected); err != nil {
					return fmt.Errorf("storing a range of %s:%s: %w", r.Source, r.ID, err)
				}
			}
			changed++
			ids = append(ids, r.Source+":"+r.ID)
		}
		if changed == 0 {
			return nil
		}
		return appendAudit(ctx, tx, audit.Event{At: time.Now(), Actor: actor, Action: "vulnerability.import", Subject: "vulnerability-records",
			After: audit.JSON(map[string]any{"records": ids}), Public: true})
	})
	return changed, err
}

// VulnRanges implements security.Store.
func (s *Store) VulnRanges(ctx context.Context, ecosystems []string) ([]*security.Record, error) {
	if len(ecosystems) == 0 {
		return nil, nil
	}
	args := make([]any, len(ecosystems))
	for i, e := range ecosystems {
		args[i] = e
	}
	rows, err := s.db.QueryContext(ctx, `SELECT r.source, r.record_id, r.aliases, r.summary, r.severity, r.withdrawn,
 g.ecosystem, g.package, g.introduced, g.fixed, g.last_affected
 FROM vuln_ranges g JOIN vuln_records r ON r.source = g.source AND r.record_id = g.record_id
 WHERE g.ecosystem IN (`+placeholders(len(ecosystems))+`) ORDER BY r.source, r.record_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing vulnerability ranges: %w", err)
	}
	defer rows.Close()
	var out []*security.Record
	var cur *security.Record
	for rows.Next() {
		var source, id, aliases, summary, severity string
		var withdrawn bool
		var rg security.Range
		if err := rows.Scan(&source, &id, &aliases, &summary, &severity, &withdrawn, &rg.Ecosystem, &rg.Package, &rg.Introduced, &rg.Fixed, &rg.LastAffected); err != nil {
			return nil, err
		}
		if cur == nil || cur.Source != source || cur.ID != id {
			cur = &security.Record{Source: source, ID: id, Aliases: strings.Fields(aliases), Summary: summary, Severity: severity, Withdrawn: withdrawn}
			out = append(out, cur)
		}
		cur.Ranges = append(cur.Ranges, rg)
	}
	return out, rows.Err()
}

// VulnRecord implements security.Store.
func (s *Store) VulnRecord(ctx context.Context, source, id string) (*security.Record, error) {
	r := &security.Record{Source: source, ID: id}
	var aliases, raw string
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT origin, aliases, summary, severity, modified, withdrawn, raw, imported_at FROM vuln_records WHERE source = ? AND record_id = ?`,
		source, id).Scan(&r.Origin, &aliases, &r.Summary, &r.Severity, &r.Modified, &r.Withdrawn, &raw, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no vulnerability record %s:%s", source, id)
	}
	if err != nil {
		return nil, err
	}
	r.Aliases, r.Raw, r.ImportedAt = strings.Fields(aliases), []byte(raw), fromMS(at)
	rows, err := s.db.QueryContext(ctx, `SELECT ecosystem, package, introduced, fixed, last_affected FROM vuln_ranges WHERE source = ? AND record_id = ?`, source, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var rg security.Range
		if err := rows.Scan(&rg.Ecosystem, &rg.Package, &rg.Introduced, &rg.Fixed, &rg.LastAffected); err != nil {
			return nil, err
		}
		r.Ranges = append(r.Ranges, rg)
	}
	return r, rows.Err()
}

const entryCols = `id, release, package, vuln_key, summary, sources, evrs, fixed, arches, state, severity, owner, private_notes,
 statement, justification, monitoring, created_at, first_response_at, updated_at`

func scanEntry(sc scanner) (*security.Entry, error) {
	var e security.Entry
	var sources, evrs, arches string
	var created, first, updated int64
	if err := sc.Scan(&e.ID, &e.Release, &e.Package, &e.Key, &e.Summary, &sources, &evrs, &e.Fixed, &arches, &e.State, &e.Severity,
		&e.Owner, &e.PrivateNotes, &e.Statement, &e.Justification, &e.Monitoring, &created, &first, &updated); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		s   string
		dst *[]string
	}{{sources, &e.Sources}, {evrs, &e.EVRs}, {arches, &e.Arches}} {
		if err := json.Unmarshal([]byte(f.s), f.dst); err != nil {
			return nil, fmt.Errorf("decoding entry %d: %w", e.ID, err)
		}
	}
	e.CreatedAt, e.FirstResponseAt, e.UpdatedAt = fromMS(created), fromMS(first), fromMS(updated)
	return &e, nil
}

func jsonList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// msOrZero stores a zero time as 0, which fromMS reads back as zero.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

func entrySubject(id int64) string { return "vulnerability:" + strconv.FormatInt(id, 10) }

// UpsertEntries implements security.Store.
func (s *Store) UpsertEntries(ctx context.Context, es []security.Entry, actor string, at time.Time) (opened, updated int, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		opened, updated = 0, 0
		var next int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM vuln_entries`).Scan(&next); err != nil {
			return err
		}
		get, err := tx.PrepareContext(ctx, `SELECT `+entryCols+` FROM vuln_entries WHERE release = ? AND package = ? AND vuln_key = ?`)
		if err != nil {
			return err
		}
		defer get.Close()
		for i := range es {
			e := es[i]
			old, err := scanEntry(get.QueryRowContext(ctx, e.Release, e.Package, e.Key))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				e.ID, e.CreatedAt, e.UpdatedAt = next, at, at
				next++
				if e.State == "" {
					e.State = security.StateNew
				}
				_, err = tx.ExecContext(ctx, `INSERT INTO vuln_entries (`+entryCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					e.ID, e.Release, e.Package, e.Key, e.Summary, jsonList(e.Sources), jsonList(e.EVRs), e.Fixed, jsonList(e.Arches), e.State,
					e.Severity, e.Owner, e.PrivateNotes, e.Statement, e.Justification, e.Monitoring, ms(e.CreatedAt), 0, ms(e.UpdatedAt))
				if err != nil {
					return fmt.Errorf("opening the entry of %s %s in %s: %w", e.Key, e.Package, e.Release, err)
				}
				opened++
				if err := appendAudit(ctx, tx, audit.Event{At: at, Actor: actor, Action: "vulnerability.open", Subject: entrySubject(e.ID),
					After: audit.JSON(e.Public()), Public: true}); err != nil {
					return err
				}
			case err != nil:
				return err
			default:
				merged := *old
				for _, src := range e.Sources {
					if !slices.Contains(merged.Sources, src) {
						merged.Sources = append(merged.Sources, src)
					}
				}
				for _, v := range e.EVRs {
					if !slices.Contains(merged.EVRs, v) {
						merged.EVRs = append(merged.EVRs, v)
					}
				}
				for _, a := range e.Arches {
					if !slices.Contains(merged.Arches, a) {
						merged.Arches = append(merged.Arches, a)
					}
				}
				if merged.Fixed == "" {
					merged.Fixed = e.Fixed
				}
				if slices.Equal(merged.Sources, old.Sources) && slices.Equal(merged.EVRs, old.EVRs) && slices.Equal(merged.Arches, old.Arches) && merged.Fixed == old.Fixed {
					continue
				}
				slices.Sort(merged.Sources)
				slices.Sort(merged.EVRs)
				slices.Sort(merged.Arches)
				merged.UpdatedAt = at
				_, err = tx.ExecContext(ctx, `UPDATE vuln_entries SET sources = ?, evrs = ?, arches = ?, fixed = ?, updated_at = ? WHERE id = ?`,
					jsonList(merged.Sources), jsonList(merged.EVRs), jsonList(merged.Arches), merged.Fixed, ms(at), old.ID)
				if err != nil {
					return err
				}
				updated++
				if err := appendAudit(ctx, tx, audit.Event{At: at, Actor: actor, Action: "vulnerability.match", Subject: entrySubject(old.ID),
					Before: audit.JSON(map[string]any{"sources": old.Sources, "evrs": old.EVRs}),
					After:  audit.JSON(map[string]any{"sources": merged.Sources, "evrs": merged.EVRs}), Public: true}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return opened, updated, err
}

// Entries implements security.Store.
func (s *Store) Entries(ctx context.Context, f security.Filter) ([]security.Entry, error) {
	q := `SELECT ` + entryCols + ` FROM vuln_entries WHERE 1 = 1`
	var args []any
	for _, c := range []struct{ col, v string }{{"release", f.Release}, {"package", f.Package}, {"state", f.State}, {"vuln_key", f.Key}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing tracker entries: %w", err)
	}
	defer rows.Close()
	var out []security.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

// Entry implements security.Store.
func (s *Store) Entry(ctx context.Context, id int64) (*security.Entry, error) {
	e, err := scanEntry(s.db.QueryRowContext(ctx, `SELECT `+entryCols+` FROM vuln_entries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no tracker entry %d", id)
	}
	return e, err
}

// UpdateEntry implements security.Store.
func (s *Store) UpdateEntry(ctx context.Context, id int64, change func(e *security.Entry) ([]security.AuditNote, error)) (*security.Entry, error) {
	var out *security.Entry
	err := s.tx(ctx, func(tx *sql.Tx) error {
		e, err := scanEntry(tx.QueryRowContext(ctx, `SELECT `+entryCols+` FROM vuln_entries WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return catalog.Errorf(catalog.ErrNotFound, "there is no tracker entry %d", id)
		}
		if err != nil {
			return err
		}
		notes, err := change(e)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE vuln_entries SET state = ?, severity = ?, owner = ?, private_notes = ?, statement = ?, justification = ?,
 first_response_at = ?, updated_at = ? WHERE id = ?`, e.State, e.Severity, e.Owner, e.PrivateNotes, e.Statement, e.Justification,
			msOrZero(e.FirstResponseAt), ms(e.UpdatedAt), id)
		if err != nil {
			return fmt.Errorf("updating tracker entry %d: %w", id, err)
		}
		for _, n := range notes {
			if err := appendAudit(ctx, tx, audit.Event{At: n.At, Actor: n.Actor, Action: n.Action, Subject: entrySubject(id),
				Before: audit.JSON(n.Before), After: audit.JSON(n.After), Public: n.Public}); err != nil {
				return err
			}
		}
		out = e
		return nil
	})
	return out, err
}
