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

	"github.com/smeserver/smeforge/internal/audit"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/promote"
)

var _ promote.Store = (*Store)(nil)

// nextID is the next number of a table's id column; the transaction holds
// SQLite's write lock from its start, so two cannot take the same.
func nextID(ctx context.Context, tx *sql.Tx, table, col string, where string, args ...any) (int64, error) {
	var n int64
	q := `SELECT COALESCE(MAX(` + col + `), 0) + 1 FROM ` + table
	if where != "" {
		q += ` WHERE ` + where
	}
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("numbering %s: %w", table, err)
	}
	return n, nil
}

// BuildFacts implements promote.Store.
func (s *Store) BuildFacts(ctx context.Context, id string) ([]catalog.PackageFacts, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+artifactCols+`, d.details FROM artifacts a JOIN artifact_details d ON d.sha256 = a.sha256
 WHERE a.build_id = ? ORDER BY a.name, a.arch`, id)
	if err != nil {
		return nil, fmt.Errorf("reading build %s: %w", id, err)
	}
	defer rows.Close()
	var out []catalog.PackageFacts
	for rows.Next() {
		var f catalog.PackageFacts
		var up int64
		var details string
		if err := rows.Scan(artifactDests(&f.Artifact, &up, &details)...); err != nil {
			return nil, err
		}
		f.UploadedAt = fromMS(up)
		if err := json.Unmarshal([]byte(details), &f.Details); err != nil {
			return nil, fmt.Errorf("decoding details of %s: %w", f.SHA256, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ChannelEntered implements promote.Store.
func (s *Store) ChannelEntered(ctx context.Context, release, channel, build string) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT v.created_at FROM channel_builds cb
 JOIN channels c ON c.release = cb.release AND c.name = cb.channel
 JOIN channel_versions v ON v.release = cb.release AND v.channel = cb.channel AND v.version = cb.added_in
 WHERE cb.release = ? AND cb.channel = ? AND cb.build_id = ? AND `+membership+` ORDER BY cb.added_in DESC LIMIT 1`,
		release, channel, build).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, catalog.Errorf(catalog.ErrNotFound, "build %s is not in %s/%s", build, release, channel)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("reading when %s entered %s/%s: %w", build, release, channel, err)
	}
	return fromMS(at), nil
}

// JoinProject implements promote.Store.
func (s *Store) JoinProject(ctx context.Context, build, project, account string, at time.Time) (bool, error) {
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM projects WHERE name = ?`, project).Scan(&n); err != nil {
			return fmt.Errorf("reading project %s: %w", project, err)
		}
		if n == 0 {
			p := promote.Project{Name: project, Status: "active", CreatedAt: at, Maintainers: []string{account}}
			if _, err := tx.ExecContext(ctx, `INSERT INTO projects (name, description, upstream_url, status, created_at) VALUES (?, '', '', 'active', ?)`, project, ms(at)); err != nil {
				return fmt.Errorf("creating project %s: %w", project, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO project_maintainers (project, account, added_at) VALUES (?, ?, ?)`, project, account, ms(at)); err != nil {
				return fmt.Errorf("adding maintainer %s to %s: %w", account, project, err)
			}
			if err := appendAudit(ctx, tx, audit.Event{At: at, Actor: account, Action: "project.create", Subject: "project:" + project, After: audit.JSON(p), Public: true}); err != nil {
				return err
			}
			created = true
		}
		res, err := tx.ExecContext(ctx, `UPDATE builds SET project = ? WHERE id = ? AND project = ''`, project, build)
		if err != nil {
			return fmt.Errorf("putting build %s in project %s: %w", build, project, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return appendAudit(ctx, tx, audit.Event{At: at, Actor: account, Action: "project.join", Subject: "build:" + build,
				Before: audit.JSON(map[string]string{"project": ""}), After: audit.JSON(map[string]string{"project": project}), Public: true})
		}
		return nil
	})
	return created, err
}

func scanProject(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, p *promote.Project) error {
	rows, err := q.QueryContext(ctx, `SELECT account FROM project_maintainers WHERE project = ? ORDER BY added_at, account`, p.Name)
	if err != nil {
		return fmt.Errorf("reading maintainers of %s: %w", p.Name, err)
	}
	defer rows.Close()
	p.Maintainers = []string{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return err
		}
		p.Maintainers = append(p.Maintainers, a)
	}
	return rows.Err()
}

// Project implements promote.Store.
func (s *Store) Project(ctx context.Context, name string) (*promote.Project, error) {
	var p promote.Project
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT name, description, upstream_url, status, created_at FROM projects WHERE name = ?`, name).
		Scan(&p.Name, &p.Description, &p.UpstreamURL, &p.Status, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no project %s", name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading project %s: %w", name, err)
	}
	p.CreatedAt = fromMS(at)
	return &p, scanProject(ctx, s.db, &p)
}

// Projects implements promote.Store.
func (s *Store) Projects(ctx context.Context) ([]promote.Project, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, description, upstream_url, status, created_at FROM projects ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing projects: %w", err)
	}
	var out []promote.Project
	for rows.Next() {
		var p promote.Project
		var at int64
		if err := rows.Scan(&p.Name, &p.Description, &p.UpstreamURL, &p.Status, &at); err != nil {
			rows.Close()
			return nil, err
		}
		p.CreatedAt = fromMS(at)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := scanProject(ctx, s.db, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BuildProject implements promote.Store.
func (s *Store) BuildProject(ctx context.Context, build string) (string, error) {
	var p string
	err := s.db.QueryRowContext(ctx, `SELECT project FROM builds WHERE id = ?`, build).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", catalog.Errorf(catalog.ErrNotFound, "there is no build %s", build)
	}
	return p, err
}

// SetMaintainer implements promote.Store.
func (s *Store) SetMaintainer(ctx context.Context, project, account string, add bool, by string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		before := promote.Project{Name: project}
		if err := scanProject(ctx, tx, &before); err != nil {
			return err
		}
		var err error
		if add {
			_, err = tx.ExecContext(ctx, `INSERT INTO project_maintainers (project, account, added_at) VALUES (?, ?, ?)`, project, account, ms(at))
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM project_maintainers WHERE project = ? AND account = ?`, project, account)
		}
		if err != nil {
			return fmt.Errorf("changing the maintainers of %s: %w", project, err)
		}
		after := promote.Project{Name: project}
		if err := scanProject(ctx, tx, &after); err != nil {
			return err
		}
		action := "project.maintainer.add"
		if !add {
			action = "project.maintainer.remove"
		}
		return appendAudit(ctx, tx, audit.Event{At: at, Actor: by, Action: action, Subject: "project:" + project,
			Before: audit.JSON(map[string]any{"maintainers": before.Maintainers}), After: audit.JSON(map[string]any{"maintainers": after.Maintainers}), Public: true})
	})
}

const promotionCols = `id, build_id, release, from_level, to_level, category, from_channel, to_channel, state, round, requested_by, comment, waiver, waived_by, created_at, updated_at`

func scanPromotion(r scanner) (*promote.Request, error) {
	var p promote.Request
	var c, u int64
	if err := r.Scan(&p.ID, &p.Build, &p.Release, &p.From, &p.To, &p.Category, &p.FromChannel, &p.ToChannel, &p.State, &p.Round,
		&p.RequestedBy, &p.Comment, &p.Waiver, &p.WaivedBy, &c, &u); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = fromMS(c), fromMS(u)
	p.Gates, p.Votes = []promote.GateResult{}, []promote.Vote{}
	return &p, nil
}

// summary is what the audit log keeps of a request.
func summary(r *promote.Request) map[string]any {
	return map[string]any{"request": r.ID, "from": r.From, "to": r.To, "release": r.Release, "state": r.State, "round": r.Round,
		"category": r.Category, "to_channel": r.ToChannel}
}

func insertGates(ctx context.Context, tx *sql.Tx, id int64, gates []promote.GateResult) error {
	if len(gates) == 0 {
		return nil
	}
	seq, err := nextID(ctx, tx, "promotion_gates", "seq", "promotion = ?", id)
	if err != nil {
		return err
	}
	for _, g := range gates {
		ev, err := json.Marshal(g.Evidence)
		if err != nil {
			return fmt.Errorf("encoding the evidence of gate %s: %w", g.Gate, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO promotion_gates (promotion, seq, gate, round, ok, summary, evidence, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, seq, g.Gate, g.Round, g.OK, g.Summary, string(ev), ms(g.At)); err != nil {
			return fmt.Errorf("storing gate %s: %w", g.Gate, err)
		}
		seq++
	}
	return nil
}

func gateWords(gates []promote.GateResult) map[string]any {
	m := map[string]any{}
	for _, g := range gates {
		m[g.Gate] = map[string]any{"ok": g.OK, "summary": g.Summary}
	}
	return m
}

// CreatePromotion implements promote.Store.
func (s *Store) CreatePromotion(ctx context.Context, r *promote.Request) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = nextID(ctx, tx, "promotions", "id", ""); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO promotions (`+promotionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, r.Build, r.Release, r.From, r.To, r.Category, r.FromChannel, r.ToChannel, r.State, r.Round, r.RequestedBy, r.Comment,
			r.Waiver, r.WaivedBy, ms(r.CreatedAt), ms(r.UpdatedAt))
		if err != nil {
			return fmt.Errorf("storing the promotion request: %w", err)
		}
		if err := insertGates(ctx, tx, id, r.Gates); err != nil {
			return err
		}
		r.ID = id
		after := summary(r)
		after["gates"] = gateWords(r.Gates)
		if r.Comment != "" {
			after["comment"] = r.Comment
		}
		return appendAudit(ctx, tx, audit.Event{At: r.CreatedAt, Actor: r.RequestedBy, Action: "promotion.open", Subject: "build:" + r.Build,
			After: audit.JSON(after), Public: true})
	})
	return id, err
}

// Promotion implements promote.Store.
func (s *Store) Promotion(ctx context.Context, id int64) (*promote.Request, error) {
	r, err := scanPromotion(s.db.QueryRowContext(ctx, `SELECT `+promotionCols+` FROM promotions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no promotion request %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading promotion request %d: %w", id, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT gate, round, ok, summary, evidence, at FROM promotion_gates WHERE promotion = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("reading the gates of request %d: %w", id, err)
	}
	defer rows.Close()
	var eval, lastAt int64 = 0, -1
	for rows.Next() {
		var g promote.GateResult
		var ev string
		var at int64
		if err := rows.Scan(&g.Gate, &g.Round, &g.OK, &g.Summary, &ev, &at); err != nil {
			return nil, err
		}
		if at != lastAt {
			eval++
			lastAt = at
		}
		g.Eval, g.At = eval, fromMS(at)
		if err := json.Unmarshal([]byte(ev), &g.Evidence); err != nil {
			return nil, fmt.Errorf("decoding the evidence of gate %s: %w", g.Gate, err)
		}
		r.Gates = append(r.Gates, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	vrows, err := s.db.QueryContext(ctx, `SELECT account, roles, vote, comment, round, at FROM promotion_votes WHERE promotion = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("reading the votes of request %d: %w", id, err)
	}
	defer vrows.Close()
	for vrows.Next() {
		var v promote.Vote
		var roles string
		var at int64
		if err := vrows.Scan(&v.Account, &roles, &v.Vote, &v.Comment, &v.Round, &at); err != nil {
			return nil, err
		}
		v.Roles, v.At = strings.Fields(roles), fromMS(at)
		r.Votes = append(r.Votes, v)
	}
	return r, vrows.Err()
}

// Promotions implements promote.Store.
func (s *Store) Promotions(ctx context.Context, q promote.RequestQuery) ([]promote.Request, error) {
	query := `SELECT id FROM promotions WHERE 1=1`
	var args []any
	if q.State != "" {
		query += ` AND state = ?`
		args = append(args, q.State)
	}
	if q.Build != "" {
		query += ` AND build_id = ?`
		args = append(args, q.Build)
	}
	query += ` ORDER BY id DESC`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing promotion requests: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []promote.Request{}
	for _, id := range ids {
		r, err := s.Promotion(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}

func lockPromotion(ctx context.Context, tx *sql.Tx, id int64, from []string) (*promote.Request, error) {
	r, err := scanPromotion(tx.QueryRowContext(ctx, `SELECT `+promotionCols+` FROM promotions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no promotion request %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading promotion request %d: %w", id, err)
	}
	if len(from) > 0 && !slices.Contains(from, r.State) {
		return nil, catalog.Errorf(catalog.ErrConflict, "promotion request %d is %s (it changed meanwhile)", id, r.State)
	}
	return r, nil
}

// UpdatePromotion implements promote.Store.
func (s *Store) UpdatePromotion(ctx context.Context, u promote.Update) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := lockPromotion(ctx, tx, u.ID, u.FromStates)
		if err != nil {
			return err
		}
		before := summary(r)
		if u.State != "" {
			r.State = u.State
		}
		if u.Round != 0 {
			r.Round = u.Round
		}
		if u.Waiver != nil {
			r.Waiver, r.WaivedBy = u.Waiver.Reason, u.Waiver.By
		}
		if _, err := tx.ExecContext(ctx, `UPDATE promotions SET state = ?, round = ?, waiver = ?, waived_by = ?, updated_at = ? WHERE id = ?`,
			r.State, r.Round, r.Waiver, r.WaivedBy, ms(u.At), u.ID); err != nil {
			return fmt.Errorf("updating promotion request %d: %w", u.ID, err)
		}
		if err := insertGates(ctx, tx, u.ID, u.Gates); err != nil {
			return err
		}
		after := summary(r)
		if len(u.Gates) > 0 {
			after["gates"] = gateWords(u.Gates)
		}
		if u.Vote != nil {
			seq, err := nextID(ctx, tx, "promotion_votes", "seq", "promotion = ?", u.ID)
			if err != nil {
				return err
			}
			v := u.Vote
			if _, err := tx.ExecContext(ctx, `INSERT INTO promotion_votes (promotion, seq, account, roles, vote, comment, round, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				u.ID, seq, v.Account, strings.Join(v.Roles, " "), v.Vote, v.Comment, v.Round, ms(v.At)); err != nil {
				return fmt.Errorf("storing the vote: %w", err)
			}
			after["vote"] = map[string]any{"vote": v.Vote, "roles": v.Roles, "comment": v.Comment}
		}
		if u.Waiver != nil {
			after["waiver"] = u.Waiver
		}
		return appendAudit(ctx, tx, audit.Event{At: u.At, Actor: u.Actor, Action: u.Action, Subject: "build:" + r.Build,
			Before: audit.JSON(before), After: audit.JSON(after), Public: true})
	})
}

// ExecutePromotion implements promote.Store: the category, the channel
// versions, the request's state and the audit entry commit together.
func (s *Store) ExecutePromotion(ctx context.Context, e promote.Execution) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := lockPromotion(ctx, tx, e.Request, e.FromStates)
		if err != nil {
			return err
		}
		var cat string
		if err := tx.QueryRowContext(ctx, `SELECT category FROM builds WHERE id = ?`, e.Build).Scan(&cat); err != nil {
			return fmt.Errorf("reading build %s: %w", e.Build, err)
		}
		if cat != e.OldCategory {
			return catalog.Errorf(catalog.ErrConflict, "build %s is in category %s now, not %s (it changed meanwhile)", e.Build, cat, e.OldCategory)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE builds SET category = ? WHERE id = ?`, e.Category, e.Build); err != nil {
			return fmt.Errorf("moving build %s to %s: %w", e.Build, e.Category, err)
		}
		versions := map[string]int64{}
		for _, c := range e.Changes {
			cv, err := changeChannel(ctx, tx, c.Release, c.Channel, c.Add, c.Remove, e.Actor, e.At)
			if err != nil {
				return err
			}
			versions[c.Release+"/"+c.Channel] = cv.Version
		}
		before := summary(r)
		before["category"] = e.OldCategory
		if _, err := tx.ExecContext(ctx, `UPDATE promotions SET state = ?, updated_at = ? WHERE id = ?`, e.State, ms(e.At), e.Request); err != nil {
			return fmt.Errorf("updating promotion request %d: %w", e.Request, err)
		}
		r.State = e.State
		after := summary(r)
		after["category"] = e.Category
		after["changes"] = e.Changes
		after["versions"] = versions
		return appendAudit(ctx, tx, audit.Event{At: e.At, Actor: e.Actor, Action: e.Action, Subject: "build:" + e.Build,
			Before: audit.JSON(before), After: audit.JSON(after), Public: true})
	})
}

// AddTestReport implements promote.Store.
func (s *Store) AddTestReport(ctx context.Context, r *promote.TestReport) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = nextID(ctx, tx, "test_reports", "id", ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO test_reports (id, build_id, release, account, verdict, environment, body, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, r.Build, r.Release, r.Account, r.Verdict, r.Environment, r.Text, ms(r.At)); err != nil {
			return fmt.Errorf("storing the test report: %w", err)
		}
		return appendAudit(ctx, tx, audit.Event{At: r.At, Actor: r.Account, Action: "test-report." + r.Verdict, Subject: "build:" + r.Build,
			After: audit.JSON(map[string]any{"report": id, "verdict": r.Verdict, "release": r.Release, "environment": r.Environment}), Public: true})
	})
	return id, err
}

// TestReports implements promote.Store.
func (s *Store) TestReports(ctx context.Context, build string) ([]promote.TestReport, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, build_id, release, account, verdict, environment, body, at FROM test_reports WHERE build_id = ? ORDER BY id`, build)
	if err != nil {
		return nil, fmt.Errorf("listing test reports of %s: %w", build, err)
	}
	defer rows.Close()
	var out []promote.TestReport
	for rows.Next() {
		var r promote.TestReport
		var at int64
		if err := rows.Scan(&r.ID, &r.Build, &r.Release, &r.Account, &r.Verdict, &r.Environment, &r.Text, &at); err != nil {
			return nil, err
		}
		r.At = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddInstallTest implements promote.Store.
func (s *Store) AddInstallTest(ctx context.Context, t *promote.InstallTest) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = nextID(ctx, tx, "install_tests", "id", ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO install_tests (id, build_id, release, channel, ok, summary, transcript, started_at, finished_at, requested_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, t.Build, t.Release, t.Channel, t.OK, t.Summary, t.Transcript, ms(t.StartedAt), ms(t.FinishedAt), t.RequestedBy); err != nil {
			return fmt.Errorf("storing the install test: %w", err)
		}
		return appendAudit(ctx, tx, audit.Event{At: t.FinishedAt, Actor: t.RequestedBy, Action: "install-test", Subject: "build:" + t.Build,
			After: audit.JSON(map[string]any{"install_test": id, "ok": t.OK, "release": t.Release, "channel": t.Channel, "summary": t.Summary}), Public: true})
	})
	return id, err
}

// InstallTests implements promote.Store.
func (s *Store) InstallTests(ctx context.Context, build string) ([]promote.InstallTest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, build_id, release, channel, ok, summary, transcript, started_at, finished_at, requested_by FROM install_tests WHERE build_id = ? ORDER BY id`, build)
	if err != nil {
		return nil, fmt.Errorf("listing install tests of %s: %w", build, err)
	}
	defer rows.Close()
	var out []promote.InstallTest
	for rows.Next() {
		var t promote.InstallTest
		var st, fin int64
		if err := rows.Scan(&t.ID, &t.Build, &t.Release, &t.Channel, &t.OK, &t.Summary, &t.Transcript, &st, &fin, &t.RequestedBy); err != nil {
			return nil, err
		}
		t.StartedAt, t.FinishedAt = fromMS(st), fromMS(fin)
		out = append(out, t)
	}
	return out, rows.Err()
}

// CreateFork implements promote.Store.
func (s *Store) CreateFork(ctx context.Context, f *promote.ForkAgreement) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = nextID(ctx, tx, "fork_agreements", "id", ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fork_agreements (id, package, replaces, rationale, upstream_contact, requested_by, state, created_at, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			id, f.Package, strings.Join(f.Replaces, " "), f.Rationale, f.UpstreamContact, f.RequestedBy, f.State, ms(f.CreatedAt)); err != nil {
			return fmt.Errorf("storing the fork agreement: %w", err)
		}
		f.ID = id
		return appendAudit(ctx, tx, audit.Event{At: f.CreatedAt, Actor: f.RequestedBy, Action: "fork.request", Subject: fmt.Sprintf("fork:%d", id),
			After: audit.JSON(f), Public: true})
	})
	return id, err
}

const forkCols = `id, package, replaces, rationale, upstream_contact, requested_by, state, created_at, decided_at`

func scanFork(r scanner) (*promote.ForkAgreement, error) {
	var f promote.ForkAgreement
	var rep string
	var c, d int64
	if err := r.Scan(&f.ID, &f.Package, &rep, &f.Rationale, &f.UpstreamContact, &f.RequestedBy, &f.State, &c, &d); err != nil {
		return nil, err
	}
	f.Replaces, f.CreatedAt, f.DecidedAt = strings.Fields(rep), fromMS(c), fromMS(d)
	f.Votes = []promote.Vote{}
	return &f, nil
}

func (s *Store) forkVotes(ctx context.Context, f *promote.ForkAgreement) error {
	rows, err := s.db.QueryContext(ctx, `SELECT account, roles, vote, comment, at FROM fork_votes WHERE agreement = ? ORDER BY seq`, f.ID)
	if err != nil {
		return fmt.Errorf("reading the votes of fork agreement %d: %w", f.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v promote.Vote
		var roles string
		var at int64
		if err := rows.Scan(&v.Account, &roles, &v.Vote, &v.Comment, &at); err != nil {
			return err
		}
		v.Roles, v.At = strings.Fields(roles), fromMS(at)
		f.Votes = append(f.Votes, v)
	}
	return rows.Err()
}

// Fork implements promote.Store.
func (s *Store) Fork(ctx context.Context, id int64) (*promote.ForkAgreement, error) {
	f, err := scanFork(s.db.QueryRowContext(ctx, `SELECT `+forkCols+` FROM fork_agreements WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no fork agreement %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading fork agreement %d: %w", id, err)
	}
	return f, s.forkVotes(ctx, f)
}

// Forks implements promote.Store.
func (s *Store) Forks(ctx context.Context, state string) ([]promote.ForkAgreement, error) {
	q := `SELECT ` + forkCols + ` FROM fork_agreements`
	var args []any
	if state != "" {
		q += ` WHERE state = ?`
		args = append(args, state)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing fork agreements: %w", err)
	}
	var out []promote.ForkAgreement
	for rows.Next() {
		f, err := scanFork(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.forkVotes(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// VoteFork implements promote.Store.
func (s *Store) VoteFork(ctx context.Context, id int64, v promote.Vote, state string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT state FROM fork_agreements WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return catalog.Errorf(catalog.ErrNotFound, "there is no fork agreement %d", id)
		}
		if err != nil {
			return err
		}
		if cur != promote.ForkRequested {
			return catalog.Errorf(catalog.ErrConflict, "fork agreement %d is already %s", id, cur)
		}
		seq, err := nextID(ctx, tx, "fork_votes", "seq", "agreement = ?", id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fork_votes (agreement, seq, account, roles, vote, comment, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, seq, v.Account, strings.Join(v.Roles, " "), v.Vote, v.Comment, ms(v.At)); err != nil {
			return fmt.Errorf("storing the vote: %w", err)
		}
		decided := int64(0)
		if state != promote.ForkRequested {
			decided = ms(at)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fork_agreements SET state = ?, decided_at = ? WHERE id = ?`, state, decided, id); err != nil {
			return err
		}
		return appendAudit(ctx, tx, audit.Event{At: at, Actor: v.Account, Action: "fork." + v.Vote, Subject: fmt.Sprintf("fork:%d", id),
			Before: audit.JSON(map[string]string{"state": cur}), After: audit.JSON(map[string]any{"state": state, "roles": v.Roles, "comment": v.Comment}), Public: true})
	})
}
