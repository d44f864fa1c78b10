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

// bulk gathers rows for one table and inserts them many to a statement:
// the per-statement cost of the driver, not SQLite, bounds imports of
// tens of thousands of records.
type bulk struct {
	tx    *sql.Tx
	head  string // INSERT INTO t (a, b, c) VALUES
	one   string // (?, ?, ?)
	args  []any
	rows  int
	chunk int
	// first is flushed before this one: the rows it holds are referred to.
	first *bulk
}

func newBulk(tx *sql.Tx, table, cols string) *bulk {
	n := len(strings.Split(cols, ","))
	return &bulk{tx: tx, head: `INSERT INTO ` + table + ` (` + cols + `) VALUES `,
		one: "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")", chunk: max(1, 900/n)}
}

func (b *bulk) add(ctx context.Context, vals ...any) error {
	b.args = append(b.args, vals...)
	b.rows++
	if b.rows >= b.chunk {
		return b.flush(ctx)
	}
	return nil
}

func (b *bulk) flush(ctx context.Context) error {
	if b.rows == 0 {
		return nil
	}
	if b.first != nil {
		if err := b.first.flush(ctx); err != nil {
			return err
		}
	}
	q := b.head + strings.TrimSuffix(strings.Repeat(b.one+", ", b.rows), ", ")
	_, err := b.tx.ExecContext(ctx, q, b.args...)
	b.args, b.rows = b.args[:0], 0
	return err
}

// SaveRecords implements security.Store.
func (s *Store) SaveRecords(ctx context.Context, rs []*security.Record, actor string) (int, error) {
	changed := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		changed = 0
		var ids []string
		type stamp struct{ modified, digest string }
		existing := map[[2]string]stamp{}
		// What is stored of these records, in one query per source.
		bySource := map[string][]any{}
		for _, r := range rs {
			bySource[r.Source] = append(bySource[r.Source], r.ID)
		}
		for src, list := range bySource {
			rows, err := tx.QueryContext(ctx, `SELECT record_id, modified, digest FROM vuln_records WHERE source = ? AND record_id IN (`+placeholders(len(list))+`)`,
				append([]any{src}, list...)...)
			if err != nil {
				return fmt.Errorf("reading stored records: %w", err)
			}
			for rows.Next() {
				var id string
				var st stamp
				if err := rows.Scan(&id, &st.modified, &st.digest); err != nil {
					rows.Close()
					return err
				}
				existing[[2]string{src, id}] = st
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		recRows := newBulk(tx, "vuln_records", "source, record_id, origin, aliases, summary, severity, modified, digest, withdrawn, raw, imported_at")
		rangeRows := newBulk(tx, "vuln_ranges", "source, record_id, ecosystem, package, introduced, fixed, last_affected")
		rangeRows.first = recRows
		for _, r := range rs {
			sum := sha256.Sum256(r.Raw)
			digest := hex.EncodeToString(sum[:])
			old, exists := existing[[2]string{r.Source, r.ID}]
			if exists && (old.digest == digest || (r.Modified != "" && old.modified == r.Modified)) {
				continue
			}
			if exists {
				// Rows of this record may still wait in the bulk inserts.
				if err := recRows.flush(ctx); err != nil {
					return err
				}
				if err := rangeRows.flush(ctx); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_ranges WHERE source = ? AND record_id = ?`, r.Source, r.ID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_records WHERE source = ? AND record_id = ?`, r.Source, r.ID); err != nil {
					return err
				}
			}
			// The same record twice in one input: the later one wins.
			existing[[2]string{r.Source, r.ID}] = stamp{r.Modified, digest}
			err := recRows.add(ctx, r.Source, r.ID, r.Origin, strings.Join(r.Aliases, " "), r.Summary, r.Severity, r.Modified, digest, r.Withdrawn, string(r.Raw), ms(r.ImportedAt))
			if err != nil {
				return fmt.Errorf("storing records: %w", err)
			}
			for _, rg := range r.Ranges {
				if err := rangeRows.add(ctx, r.Source, r.ID, rg.Ecosystem, rg.Package, rg.Introduced, rg.Fixed, rg.LastAffected); err != nil {
					return fmt.Errorf("storing ranges: %w", err)
				}
			}
			changed++
			ids = append(ids, r.Source+":"+r.ID)
		}
		if err := recRows.flush(ctx); err != nil {
			return fmt.Errorf("storing records: %w", err)
		}
		if err := rangeRows.flush(ctx); err != nil {
			return fmt.Errorf("storing ranges: %w", err)
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

// auditBatch appends many events in one transaction: the log's head is
// read once and each event chained to the one before in memory, which is
// what appendAudit does for one event.
type auditBatch struct {
	rows *bulk
	prev *audit.Event
}

func newAuditBatch(ctx context.Context, tx *sql.Tx) (*auditBatch, error) {
	b := &auditBatch{rows: newBulk(tx, "audit_events", auditCols)}
	p, err := scanAudit(tx.QueryRowContext(ctx, `SELECT `+auditCols+` FROM audit_events ORDER BY seq DESC LIMIT 1`))
	switch {
	case err == nil:
		b.prev = p
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("reading the audit log's head: %w", err)
	}
	return b, nil
}

func (b *auditBatch) add(ctx context.Context, e audit.Event) error {
	e = audit.Chain(b.prev, e)
	if err := b.rows.add(ctx, e.Seq, ms(e.At), e.Actor, e.Action, e.Subject, string(e.Before), string(e.After), e.Public, e.Prev, e.Hash); err != nil {
		return fmt.Errorf("appending to the audit log: %w", err)
	}
	b.prev = &e
	return nil
}

// UpsertEntries implements security.Store.
func (s *Store) UpsertEntries(ctx context.Context, es []security.Entry, actor string, at time.Time) (opened, updated int, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		opened, updated = 0, 0
		var next int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM vuln_entries`).Scan(&next); err != nil {
			return err
		}
		// The entries of the releases concerned, read once.
		type ukey struct{ release, pkg, key string }
		stored := map[ukey]*security.Entry{}
		releases := map[string]bool{}
		for i := range es {
			if releases[es[i].Release] {
				continue
			}
			releases[es[i].Release] = true
			rows, err := tx.QueryContext(ctx, `SELECT `+entryCols+` FROM vuln_entries WHERE release = ?`, es[i].Release)
			if err != nil {
				return err
			}
			for rows.Next() {
				e, err := scanEntry(rows)
				if err != nil {
					rows.Close()
					return err
				}
				stored[ukey{e.Release, e.Package, e.Key}] = e
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		ins := newBulk(tx, "vuln_entries", entryCols)
		ab, err := newAuditBatch(ctx, tx)
		if err != nil {
			return err
		}
		for i := range es {
			e := es[i]
			old := stored[ukey{e.Release, e.Package, e.Key}]
			if old == nil {
				e.ID, e.CreatedAt, e.UpdatedAt = next, at, at
				next++
				if e.State == "" {
					e.State = security.StateNew
				}
				err = ins.add(ctx, e.ID, e.Release, e.Package, e.Key, e.Summary, jsonList(e.Sources), jsonList(e.EVRs), e.Fixed, jsonList(e.Arches), e.State,
					e.Severity, e.Owner, e.PrivateNotes, e.Statement, e.Justification, e.Monitoring, ms(e.CreatedAt), 0, ms(e.UpdatedAt))
				if err != nil {
					return fmt.Errorf("opening the entry of %s %s in %s: %w", e.Key, e.Package, e.Release, err)
				}
				stored[ukey{e.Release, e.Package, e.Key}] = &e
				opened++
				if err := ab.add(ctx, audit.Event{At: at, Actor: actor, Action: "vulnerability.open", Subject: entrySubject(e.ID),
					After: audit.JSON(e.Public()), Public: true}); err != nil {
					return err
				}
				continue
			}
			merged := *old
			merged.Sources = mergeList(old.Sources, e.Sources)
			merged.EVRs = mergeList(old.EVRs, e.EVRs)
			merged.Arches = mergeList(old.Arches, e.Arches)
			if merged.Fixed == "" {
				merged.Fixed = e.Fixed
			}
			if slices.Equal(merged.Sources, old.Sources) && slices.Equal(merged.EVRs, old.EVRs) && slices.Equal(merged.Arches, old.Arches) && merged.Fixed == old.Fixed {
				continue
			}
			merged.UpdatedAt = at
			_, err = tx.ExecContext(ctx, `UPDATE vuln_entries SET sources = ?, evrs = ?, arches = ?, fixed = ?, updated_at = ? WHERE id = ?`,
				jsonList(merged.Sources), jsonList(merged.EVRs), jsonList(merged.Arches), merged.Fixed, ms(at), old.ID)
			if err != nil {
				return err
			}
			stored[ukey{e.Release, e.Package, e.Key}] = &merged
			updated++
			if err := ab.add(ctx, audit.Event{At: at, Actor: actor, Action: "vulnerability.match", Subject: entrySubject(old.ID),
				Before: audit.JSON(map[string]any{"sources": old.Sources, "evrs": old.EVRs}),
				After:  audit.JSON(map[string]any{"sources": merged.Sources, "evrs": merged.EVRs}), Public: true}); err != nil {
				return err
			}
		}
		if err := ins.flush(ctx); err != nil {
			return fmt.Errorf("opening tracker entries: %w", err)
		}
		if err := ab.rows.flush(ctx); err != nil {
			return fmt.Errorf("appending to the audit log: %w", err)
		}
		return nil
	})
	return opened, updated, err
}

// mergeList is a's items and those of b not in a, sorted.
func mergeList(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
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
