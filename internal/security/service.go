package security

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
)

// Service imports records, matches them and triages tracker entries.
type Service struct {
	Store   Store
	Catalog Catalog
	Policy  *policy.Policy
	Now     func() time.Time
	// Batch is how many records one transaction stores (default 500);
	// a batch is all or nothing, so no record is ever half stored.
	Batch int
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Parse reads records of a format. ecosystem is needed only for
// updateinfo.xml whose updates do not say their release.
func Parse(format string, r io.Reader, file, ecosystem string) (recs []Record, problems []Problem, ignored int, err error) {
	switch format {
	case FormatOSV:
		recs, problems = ParseOSV(r, file)
	case FormatUpdateinfo:
		recs, problems, ignored = ParseUpdateinfo(r, file, ecosystem)
	case FormatCSAF:
		recs, problems = ParseCSAF(r, file)
	default:
		return nil, nil, 0, catalog.Errorf(catalog.ErrInvalid, "format %q: use osv, updateinfo or csaf", format)
	}
	return recs, problems, ignored, nil
}

// DetectFormat guesses a file's format from its name and first bytes:
// XML is updateinfo, JSON with a "document" is CSAF, other JSON is OSV.
func DetectFormat(name string, head []byte) string {
	t := strings.TrimLeftFunc(string(head), unicode.IsSpace)
	switch {
	case strings.HasPrefix(t, "<"):
		return FormatUpdateinfo
	case strings.Contains(t, `"document"`) && strings.Contains(t, `"csaf_version"`):
		return FormatCSAF
	case strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".xml.gz"):
		return FormatUpdateinfo
	}
	return FormatOSV
}

// Import parses one input, stores its good records (each bad one is a
// problem, skipped) and matches every release again.
func (s *Service) Import(ctx context.Context, format string, r io.Reader, file, ecosystem, actor string) (*ImportResult, error) {
	recs, problems, ignored, err := Parse(format, r, file, ecosystem)
	if err != nil {
		return nil, err
	}
	res, err := s.StoreRecords(ctx, recs, actor)
	if err != nil {
		return nil, err
	}
	res.Skipped = append(res.Skipped, problems...)
	res.Ignored = ignored
	if res.Imported > 0 {
		opened, updated, err := s.MatchAll(ctx, actor)
		if err != nil {
			return res, err
		}
		res.Opened, res.Updated = opened, updated
	}
	return res, nil
}

// StoreRecords stores parsed records in batches and counts what changed; it
// does not match.
func (s *Service) StoreRecords(ctx context.Context, recs []Record, actor string) (*ImportResult, error) {
	res := &ImportResult{Skipped: []Problem{}}
	batch := s.Batch
	if batch <= 0 {
		batch = 500
	}
	now := s.now().UTC()
	for start := 0; start < len(recs); start += batch {
		end := min(start+batch, len(recs))
		part := make([]*Record, 0, end-start)
		for i := start; i < end; i++ {
			recs[i].ImportedAt = now
			part = append(part, &recs[i])
		}
		changed, err := s.Store.SaveRecords(ctx, part, actor)
		if err != nil {
			return nil, fmt.Errorf("storing vulnerability records: %w", err)
		}
		res.Imported += changed
		res.Unchanged += len(part) - changed
	}
	return res, nil
}

// PackageTable is every package of a release the tracker watches: the
// packages of its channels and those of the base upstreams synced for it.
func (s *Service) PackageTable(ctx context.Context, rel *catalog.Release) ([]catalog.PackageFacts, error) {
	pkgs, err := s.Catalog.PackagesIn(ctx, rel.Name, nil)
	if err != nil {
		return nil, err
	}
	ups, err := s.Catalog.Upstreams(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range ups {
		if u.Release != rel.Name {
			continue
		}
		up, err := s.Catalog.UpstreamPackages(ctx, u.Name, "", 0)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, up...)
	}
	return pkgs, nil
}

// MatchAll matches the stored records against every release and opens or
// updates tracker entries.
func (s *Service) MatchAll(ctx context.Context, actor string) (opened, updated int, err error) {
	rels, err := s.Catalog.Releases(ctx)
	if err != nil {
		return 0, 0, err
	}
	for i := range rels {
		o, u, err := s.MatchRelease(ctx, &rels[i], actor)
		if err != nil {
			return opened, updated, err
		}
		opened, updated = opened+o, updated+u
	}
	return opened, updated, nil
}

// MatchRelease matches one release's package table against the records
// of its ecosystems.
func (s *Service) MatchRelease(ctx context.Context, rel *catalog.Release, actor string) (opened, updated int, err error) {
	ecos := Ecosystems(rel)
	if len(ecos) == 0 {
		return 0, 0, nil
	}
	recs, err := s.Store.VulnRanges(ctx, ecos)
	if err != nil {
		return 0, 0, fmt.Errorf("reading vulnerability ranges of %s: %w", strings.Join(ecos, ", "), err)
	}
	if len(recs) == 0 {
		return 0, 0, nil
	}
	pkgs, err := s.PackageTable(ctx, rel)
	if err != nil {
		return 0, 0, fmt.Errorf("reading the packages of %s: %w", rel.Name, err)
	}
	es := NewIndex(recs).Match(rel.Name, pkgs, s.Policy)
	if len(es) == 0 {
		return 0, 0, nil
	}
	return s.Store.UpsertEntries(ctx, es, actor, s.now().UTC())
}

// Change is a triage of an entry; nil fields stay as they are.
type Change struct {
	State         *string `json:"state,omitempty"`
	Severity      *string `json:"severity,omitempty"`
	Owner         *string `json:"owner,omitempty"`
	PrivateNotes  *string `json:"private_notes,omitempty"`
	Statement     *string `json:"public_statement,omitempty"`
	Justification *string `json:"justification,omitempty"`
}

// publicView is what the public audit events show of an entry.
type publicView struct {
	State         string `json:"state"`
	Severity      string `json:"severity,omitempty"`
	Owner         string `json:"owner,omitempty"`
	Statement     string `json:"public_statement,omitempty"`
	Justification string `json:"justification,omitempty"`
}

func viewOf(e *Entry) publicView {
	return publicView{e.State, e.Severity, e.Owner, e.Statement, e.Justification}
}

const maxText = 64 << 10

// Triage applies a change to an entry: the state moves only along the
// workflow, the first move out of "new" is the first response. A public
// audit event records the public fields; the private notes have their own
// event, not public.
func (s *Service) Triage(ctx context.Context, id int64, c Change, actor string) (*Entry, error) {
	if c == (Change{}) {
		return nil, catalog.Errorf(catalog.ErrInvalid, "the change is empty: give state, severity, owner, private_notes, public_statement or justification")
	}
	if c.Severity != nil && !slices.Contains(Severities, *c.Severity) {
		return nil, catalog.Errorf(catalog.ErrInvalid, "severity %q: use low, moderate, important, critical or \"\"", *c.Severity)
	}
	if c.Justification != nil && !slices.Contains(Justifications, *c.Justification) {
		return nil, catalog.Errorf(catalog.ErrInvalid, "justification %q: use one of %s", *c.Justification, strings.Join(Justifications[1:], ", "))
	}
	if c.Owner != nil {
		if o := *c.Owner; len(o) > 100 || strings.IndexFunc(o, unicode.IsControl) >= 0 || strings.ContainsAny(o, " <>") {
			return nil, catalog.Errorf(catalog.ErrInvalid, "owner %q: an account name, at most 100 characters without spaces", o)
		}
	}
	for name, p := range map[string]*string{"private_notes": c.PrivateNotes, "public_statement": c.Statement} {
		if p != nil && len(*p) > maxText {
			return nil, catalog.Errorf(catalog.ErrInvalid, "%s is %d bytes, more than %d", name, len(*p), maxText)
		}
	}
	at := s.now().UTC()
	return s.Store.UpdateEntry(ctx, id, func(e *Entry) ([]AuditNote, error) {
		before := *e
		if c.State != nil && *c.State != e.State {
			if !slices.Contains(States, *c.State) {
				return nil, catalog.Errorf(catalog.ErrInvalid, "state %q: use one of %s", *c.State, strings.Join(States, ", "))
			}
			if !CanMove(e.State, *c.State) {
				return nil, catalog.Errorf(catalog.ErrInvalid, "state: an entry that is %s cannot become %s (it can become %s)",
					e.State, *c.State, strings.Join(transitions[e.State], ", "))
			}
			if e.State == StateNew && e.FirstResponseAt.IsZero() {
				e.FirstResponseAt = at
			}
			e.State = *c.State
		}
		if c.Severity != nil {
			e.Severity = *c.Severity
		}
		if c.Owner != nil {
			e.Owner = *c.Owner
		}
		if c.Statement != nil {
			e.Statement = strings.TrimSpace(*c.Statement)
		}
		if c.Justification != nil {
			e.Justification = *c.Justification
		}
		if c.PrivateNotes != nil {
			e.PrivateNotes = *c.PrivateNotes
		}
		var notes []AuditNote
		if viewOf(&before) != viewOf(e) {
			notes = append(notes, AuditNote{Actor: actor, Action: "vulnerability.triage", At: at,
				Before: viewOf(&before), After: viewOf(e), Public: true})
		}
		if before.PrivateNotes != e.PrivateNotes {
			notes = append(notes, AuditNote{Actor: actor, Action: "vulnerability.notes", At: at,
				Before: map[string]string{"private_notes": before.PrivateNotes},
				After:  map[string]string{"private_notes": e.PrivateNotes}})
		}
		if len(notes) == 0 {
			return nil, catalog.Errorf(catalog.ErrInvalid, "the change changes nothing")
		}
		e.UpdatedAt = at
		return notes, nil
	})
}

// Summary is the figures the public page shows above the entries.
type Summary struct {
	Entries  int `json:"entries"`
	Open     int `json:"open"`
	Answered int `json:"answered"`
	// MedianFirstResponse is the median delay between an entry's opening
	// and its first answer, over answered entries (0 when none).
	MedianFirstResponse time.Duration `json:"median_first_response_ns"`
}

// Summarize computes the figures of a list of entries.
func Summarize(es []Entry) Summary {
	var sum Summary
	var delays []time.Duration
	for i := range es {
		sum.Entries++
		if Open(es[i].State) {
			sum.Open++
		}
		if !es[i].FirstResponseAt.IsZero() {
			delays = append(delays, es[i].FirstResponseAt.Sub(es[i].CreatedAt))
		}
	}
	sum.Answered = len(delays)
	if len(delays) > 0 {
		sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
		n := len(delays)
		if n%2 == 1 {
			sum.MedianFirstResponse = delays[n/2]
		} else {
			sum.MedianFirstResponse = (delays[n/2-1] + delays[n/2]) / 2
		}
	}
	return sum
}

// ImportUpstream imports the updateinfo.xml of a base OS upstream: its
// ecosystem is that of the release the upstream belongs to, or, for an
// upstream of no release, what each update's <release> says. Bad updates
// are skipped (the sync goes on); it returns how many records changed.
func (s *Service) ImportUpstream(ctx context.Context, u catalog.Upstream, updateinfo []byte, by string) (int, error) {
	eco := ""
	if u.Release != "" {
		rel, err := s.Catalog.Release(ctx, u.Release)
		if err != nil {
			return 0, err
		}
		if ecos := Ecosystems(rel); len(ecos) > 0 {
			eco = ecos[0]
		}
	}
	res, err := s.Import(ctx, FormatUpdateinfo, bytes.NewReader(updateinfo), "updateinfo.xml of "+u.Name, eco, by)
	if err != nil {
		return 0, err
	}
	return res.Imported, nil
}
