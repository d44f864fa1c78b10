// Package sqlstore implements catalog.Store on database/sql: SQLite (the
// embedded default, WAL mode, pure Go driver) now, PostgreSQL through the
// same portable SQL later. Migrations are embedded and each runs in its own
// transaction.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a catalog.Store on a SQL database.
type Store struct {
	db *sql.DB
}

var _ catalog.Store = (*Store)(nil)

// OpenSQLite opens (creating and migrating) the SQLite database at path.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("creating migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := name[len("migrations/"):]
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", base)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
			return fmt.Errorf("reading migrations: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			for _, stmt := range splitSQL(string(body)) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %s: %w", base, err)
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, time.Now().Unix())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// splitSQL splits a migration into statements at semicolons that end a
// line, dropping comment lines.
func splitSQL(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, cur.String())
	}
	return out
}

func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("starting transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

const artifactCols = `a.sha256, a.filename, a.name, a.epoch, a.version, a.release, a.arch, a.is_source, a.summary, a.description,
 a.license, a.url, a.vendor, a.packager, a.pkg_group, a.build_host, a.build_time, a.source_rpm, a.size, a.installed_size,
 a.sig_key_id, a.sig_algorithm, a.build_id, a.uploaded_at, a.uploaded_by, a.frag_digest,
 (SELECT b.category FROM builds b WHERE b.id = a.build_id), a.file_sha256, a.file_size`

type scanner interface{ Scan(dest ...any) error }

// artifactDests are the Scan destinations of artifactCols, then extra.
func artifactDests(a *catalog.Artifact, up *int64, extra ...any) []any {
	return append([]any{&a.SHA256, &a.Filename, &a.Name, &a.Epoch, &a.Version, &a.Release, &a.Arch, &a.Source, &a.Summary, &a.Description,
		&a.License, &a.URL, &a.Vendor, &a.Packager, &a.Group, &a.BuildHost, &a.BuildTime, &a.SourceRPM, &a.Size, &a.InstalledSize,
		&a.SigKeyID, &a.SigAlgorithm, &a.BuildID, up, &a.UploadedBy, &a.FragDigest, &a.Category, &a.FileSHA256, &a.FileSize}, extra...)
}

func scanArtifact(r scanner) (*catalog.Artifact, error) {
	var a catalog.Artifact
	var up int64
	if err := r.Scan(artifactDests(&a, &up)...); err != nil {
		return nil, err
	}
	a.UploadedAt = fromMS(up)
	return &a, nil
}

// InsertArtifact implements catalog.Store.
func (s *Store) InsertArtifact(ctx context.Context, a *catalog.Artifact, d *catalog.Details, f *catalog.Fragments) (bool, error) {
	details, err := json.Marshal(d)
	if err != nil {
		return false, fmt.Errorf("encoding details: %w", err)
	}
	created := false
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var existing string
		err := tx.QueryRowContext(ctx, `SELECT sha256 FROM artifacts WHERE (name = ? AND epoch = ? AND version = ? AND release = ? AND arch = ?) OR filename = ? OR sha256 = ?`,
			a.Name, a.Epoch, a.Version, a.Release, a.Arch, a.Filename, a.SHA256).Scan(&existing)
		switch {
		case err == nil && existing == a.SHA256:
			return nil
		case err == nil:
			return catalog.Errorf(catalog.ErrConflict, "%s is already stored with different content (sha256 %s); a changed package needs a new release number", a.NEVRA(), existing)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("checking for %s: %w", a.NEVRA(), err)
		}
		cat := a.Category
		if cat == "" {
			cat = "dev"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO builds (id, name, version, release, has_source, created_at, category) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			a.BuildID, buildName(a), a.Version, a.Release, false, ms(a.UploadedAt), cat); err != nil {
			return fmt.Errorf("creating build %s: %w", a.BuildID, err)
		}
		if a.Source {
			if _, err := tx.ExecContext(ctx, `UPDATE builds SET has_source = ?, name = ?, version = ?, release = ? WHERE id = ?`, true, a.Name, a.Version, a.Release, a.BuildID); err != nil {
				return fmt.Errorf("updating build %s: %w", a.BuildID, err)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO artifacts (sha256, filename, name, epoch, version, release, arch, is_source, summary, description,
 license, url, vendor, packager, pkg_group, build_host, build_time, source_rpm, size, installed_size,
 sig_key_id, sig_algorithm, build_id, uploaded_at, uploaded_by, frag_digest, file_sha256, file_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.SHA256, a.Filename, a.Name, a.Epoch, a.Version, a.Release, a.Arch, a.Source, a.Summary, a.Description,
			a.License, a.URL, a.Vendor, a.Packager, a.Group, a.BuildHost, a.BuildTime, a.SourceRPM, a.Size, a.InstalledSize,
			a.SigKeyID, a.SigAlgorithm, a.BuildID, ms(a.UploadedAt), a.UploadedBy, f.Digest, fileSHA(a), fileSize(a))
		if err != nil {
			return fmt.Errorf("storing %s: %w", a.NEVRA(), err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO artifact_details (sha256, details, frag_primary, frag_filelists, frag_other) VALUES (?, ?, ?, ?, ?)`,
			a.SHA256, string(details), string(f.Primary), string(f.Filelists), string(f.Other))
		if err != nil {
			return fmt.Errorf("storing details of %s: %w", a.NEVRA(), err)
		}
		created = true
		return nil
	})
	return created, err
}

func fileSHA(a *catalog.Artifact) string {
	if a.FileSHA256 != "" {
		return a.FileSHA256
	}
	return a.SHA256
}

func fileSize(a *catalog.Artifact) int64 {
	if a.FileSHA256 != "" {
		return a.FileSize
	}
	return a.Size
}

// buildName guesses a build's name from a binary's source RPM name until
// the SRPM arrives and says it exactly.
func buildName(a *catalog.Artifact) string {
	if a.Source {
		return a.Name
	}
	return catalog.NameOf(a.BuildID)
}

// Artifact implements catalog.Store.
func (s *Store) Artifact(ctx context.Context, sum string) (*catalog.Artifact, *catalog.Details, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+artifactCols+`, d.details FROM artifacts a JOIN artifact_details d ON d.sha256 = a.sha256 WHERE a.sha256 = ?`, sum)
	var a catalog.Artifact
	var up int64
	var details string
	err := row.Scan(artifactDests(&a, &up, &details)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, catalog.Errorf(catalog.ErrNotFound, "there is no package %s", sum)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading package %s: %w", sum, err)
	}
	a.UploadedAt = fromMS(up)
	var d catalog.Details
	if err := json.Unmarshal([]byte(details), &d); err != nil {
		return nil, nil, fmt.Errorf("decoding details of %s: %w", sum, err)
	}
	return &a, &d, nil
}

func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// membership is the SQL condition "build cb is in channel c's current version".
const membership = `cb.added_in <= c.version AND (cb.removed_in IS NULL OR cb.removed_in > c.version)`

// SearchPackages implements catalog.Store.
func (s *Store) SearchPackages(ctx context.Context, q catalog.Query) ([]catalog.PackageRow, int, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	where := []string{"1=1"}
	var args []any
	if q.Text != "" {
		where = append(where, `LOWER(a.name) LIKE ? ESCAPE '\'`)
		args = append(args, likePattern(q.Text))
	}
	if q.Arch != "" {
		where = append(where, `a.arch = ?`)
		args = append(args, q.Arch)
	}
	if q.BinaryOnly {
		where = append(where, `a.is_source = ?`)
		args = append(args, false)
	}
	if q.SourceOnly {
		where = append(where, `a.is_source = ?`)
		args = append(args, true)
	}
	if q.Release != "" || q.Channel != "" {
		cond := `EXISTS (SELECT 1 FROM channel_builds cb JOIN channels c ON c.release = cb.release AND c.name = cb.channel
 WHERE cb.build_id = a.build_id AND ` + membership
		if q.Release != "" {
			cond += ` AND c.release = ?`
			args = append(args, q.Release)
		}
		if q.Channel != "" {
			cond += ` AND c.name = ?`
			args = append(args, q.Channel)
		}
		where = append(where, cond+")")
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM artifacts a WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("counting packages: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+artifactCols+` FROM artifacts a WHERE `+w+` ORDER BY a.name, a.arch, a.epoch, a.version, a.release LIMIT ? OFFSET ?`,
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("searching packages: %w", err)
	}
	defer rows.Close()
	var out []catalog.PackageRow
	idx := map[string][]int{}
	for rows.Next() {
		a, err := scanArtifact(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("searching packages: %w", err)
		}
		idx[a.BuildID] = append(idx[a.BuildID], len(out))
		out = append(out, catalog.PackageRow{Artifact: *a, Channels: []catalog.ChannelRef{}})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("searching packages: %w", err)
	}
	if len(idx) == 0 {
		return out, total, nil
	}
	ids := make([]any, 0, len(idx))
	for id := range idx {
		ids = append(ids, id)
	}
	crow, err := s.db.QueryContext(ctx, `SELECT cb.build_id, c.release, c.name FROM channel_builds cb JOIN channels c ON c.release = cb.release AND c.name = cb.channel
 WHERE `+membership+` AND cb.build_id IN (`+placeholders(len(ids))+`) ORDER BY c.release, c.name`, ids...)
	if err != nil {
		return nil, 0, fmt.Errorf("listing channels of packages: %w", err)
	}
	defer crow.Close()
	for crow.Next() {
		var id string
		var ref catalog.ChannelRef
		if err := crow.Scan(&id, &ref.Release, &ref.Channel); err != nil {
			return nil, 0, err
		}
		for _, i := range idx[id] {
			out[i].Channels = append(out[i].Channels, ref)
		}
	}
	return out, total, crow.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Build implements catalog.Store.
func (s *Store) Build(ctx context.Context, id string) (*catalog.Build, error) {
	var b catalog.Build
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, name, version, release, has_source, created_at, category FROM builds WHERE id = ?`, id).
		Scan(&b.ID, &b.Name, &b.Version, &b.Release, &b.HasSource, &created, &b.Category)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.Errorf(catalog.ErrNotFound, "there is no build %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading build %s: %w", id, err)
	}
	b.CreatedAt = fromMS(created)
	rows, err := s.db.QueryContext(ctx, `SELECT `+artifactCols+` FROM artifacts a WHERE a.build_id = ? ORDER BY a.is_source DESC, a.name, a.arch`, id)
	if err != nil {
		return nil, fmt.Errorf("reading build %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanArtifact(rows)
		if err != nil {
			return nil, err
		}
		b.Artifacts = append(b.Artifacts, *a)
	}
	return &b, rows.Err()
}

// Builds implements catalog.Store.
func (s *Store) Builds(ctx context.Context, text string, limit, offset int) ([]catalog.Build, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, version, release, has_source, created_at, category FROM builds
 WHERE LOWER(id) LIKE ? ESCAPE '\' ORDER BY id LIMIT ? OFFSET ?`, likePattern(text), limit, offset)
	if err != nil {
		return nil, fmt.Errorf("listing builds: %w", err)
	}
	defer rows.Close()
	var out []catalog.Build
	for rows.Next() {
		var b catalog.Build
		var created int64
		if err := rows.Scan(&b.ID, &b.Name, &b.Version, &b.Release, &b.HasSource, &created, &b.Category); err != nil {
			return nil, err
		}
		b.CreatedAt = fromMS(created)
		out = append(out, b)
	}
	return out, rows.Err()
}

// Fragments implements catalog.Store.
func (s *Store) Fragments(ctx context.Context, sums []string) (map[string]*catalog.Fragments, error) {
	out := make(map[string]*catalog.Fragments, len(sums))
	for start := 0; start < len(sums); start += 500 {
		end := min(start+500, len(sums))
		args := make([]any, end-start)
		for i, v := range sums[start:end] {
			args[i] = v
		}
		rows, err := s.db.QueryContext(ctx, `SELECT d.sha256, a.frag_digest, d.frag_primary, d.frag_filelists, d.frag_other
 FROM artifact_details d JOIN artifacts a ON a.sha256 = d.sha256 WHERE d.sha256 IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("reading fragments: %w", err)
		}
		for rows.Next() {
			var sum, p, fl, o string
			f := &catalog.Fragments{}
			if err := rows.Scan(&sum, &f.Digest, &p, &fl, &o); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading fragments: %w", err)
			}
			f.Primary, f.Filelists, f.Other = []byte(p), []byte(fl), []byte(o)
			out[sum] = f
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("reading fragments: %w", err)
		}
	}
	return out, nil
}

// PackagesIn implements catalog.Store.
func (s *Store) PackagesIn(ctx context.Context, release string, channels []string) ([]catalog.PackageFacts, error) {
	sub := `SELECT cb.build_id FROM channel_builds cb JOIN channels c ON c.release = cb.release AND c.name = cb.channel WHERE ` + membership
	var args []any
	if release != "" {
		sub += ` AND c.release = ?`
		args = append(args, release)
	}
	if len(channels) > 0 {
		sub += ` AND c.name IN (` + placeholders(len(channels)) + `)`
		for _, c := range channels {
			args = append(args, c)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+artifactCols+`, d.details FROM artifacts a JOIN artifact_details d ON d.sha256 = a.sha256
 WHERE a.build_id IN (`+sub+`) ORDER BY a.name, a.arch`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing packages of %s: %w", release, err)
	}
	defer rows.Close()
	var out []catalog.PackageFacts
	for rows.Next() {
		var f catalog.PackageFacts
		a := &f.Artifact
		var up int64
		var details string
		if err := rows.Scan(artifactDests(a, &up, &details)...); err != nil {
			return nil, err
		}
		a.UploadedAt = fromMS(up)
		if err := json.Unmarshal([]byte(details), &f.Details); err != nil {
			return nil, fmt.Errorf("decoding details of %s: %w", a.SHA256, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// AddRebuild implements catalog.Store.
func (s *Store) AddRebuild(ctx context.Context, r catalog.Rebuild) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO rebuilds (id, build_id, started_at, finished_at, ok, log, produced, requested_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Build, ms(r.StartedAt), ms(r.FinishedAt), r.OK, r.Log, strings.Join(r.Produced, ","), r.RequestedBy)
	if err != nil {
		return fmt.Errorf("recording the rebuild of %s: %w", r.Build, err)
	}
	return nil
}

// Rebuilds implements catalog.Store.
func (s *Store) Rebuilds(ctx context.Context, build string) ([]catalog.Rebuild, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, build_id, started_at, finished_at, ok, log, produced, requested_by FROM rebuilds WHERE build_id = ? ORDER BY started_at DESC`, build)
	if err != nil {
		return nil, fmt.Errorf("listing rebuilds of %s: %w", build, err)
	}
	defer rows.Close()
	var out []catalog.Rebuild
	for rows.Next() {
		var r catalog.Rebuild
		var st, fin int64
		var produced string
		if err := rows.Scan(&r.ID, &r.Build, &st, &fin, &r.OK, &r.Log, &produced, &r.RequestedBy); err != nil {
			return nil, err
		}
		r.StartedAt, r.FinishedAt = fromMS(st), fromMS(fin)
		r.Produced = splitList(produced)
		out = append(out, r)
	}
	return out, rows.Err()
}
