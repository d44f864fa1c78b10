package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/smeserver/smeforge/internal/audit"
)

var (
	_ audit.Recorder = (*Store)(nil)
	_ audit.Reader   = (*Store)(nil)
)

// Record implements audit.Recorder: the event is chained to the newest one
// in its own transaction. Store methods that change something and must
// log it in the same transaction call appendAudit instead.
func (s *Store) Record(ctx context.Context, e audit.Event) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return appendAudit(ctx, tx, e) })
}

// appendAudit chains e to the newest event inside tx. The transaction
// holds SQLite's write lock from its start (_txlock=immediate), so two
// appends cannot read the same head.
func appendAudit(ctx context.Context, tx *sql.Tx, e audit.Event) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	var prev *audit.Event
	p, err := scanAudit(tx.QueryRowContext(ctx, `SELECT `+auditCols+` FROM audit_events ORDER BY seq DESC LIMIT 1`))
	switch {
	case err == nil:
		prev = p
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("reading the audit log's head: %w", err)
	}
	e = audit.Chain(prev, e)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_events (seq, at, actor, action, subject, before, after, public, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, ms(e.At), e.Actor, e.Action, e.Subject, string(e.Before), string(e.After), e.Public, e.Prev, e.Hash)
	if err != nil {
		return fmt.Errorf("appending to the audit log: %w", err)
	}
	return nil
}

const auditCols = `seq, at, actor, action, subject, before, after, public, prev, hash`

func scanAudit(r scanner) (*audit.Event, error) {
	var e audit.Event
	var at int64
	var before, after string
	if err := r.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &before, &after, &e.Public, &e.Prev, &e.Hash); err != nil {
		return nil, err
	}
	e.At = fromMS(at)
	if before != "" {
		e.Before = json.RawMessage(before)
	}
	if after != "" {
		e.After = json.RawMessage(after)
	}
	return &e, nil
}

// AuditEvents implements audit.Reader.
func (s *Store) AuditEvents(ctx context.Context, q audit.Query) ([]audit.Event, error) {
	query := `SELECT ` + auditCols + ` FROM audit_events WHERE seq > ?`
	args := []any{q.AfterSeq}
	if q.Subject != "" {
		query += ` AND subject = ?`
		args = append(args, q.Subject)
	}
	if q.PublicOnly {
		query += ` AND public = ?`
		args = append(args, true)
	}
	query += ` ORDER BY seq`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("reading the audit log: %w", err)
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}
