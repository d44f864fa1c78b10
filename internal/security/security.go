// Package security owns the forge's vulnerability tracking: records
// received from outside (OSV, upstream updateinfo.xml, Red Hat CSAF VEX),
// kept as received with their affected version ranges; matching them to
// the package table of each release by rpm's version order; the tracker
// entries that matching opens (one per release, package and
// vulnerability, however many sources report it), their triage (state,
// severity, owner, notes, public statement, every change audited); and the
// public answers built from them (the security page, OpenVEX).
package security

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
)

// Formats of vulnerability data the forge reads.
const (
	FormatOSV        = "osv"
	FormatUpdateinfo = "updateinfo"
	FormatCSAF       = "csaf"
)

// Record is one vulnerability report as received: an OSV record, one
// <update> of an updateinfo.xml, or one CSAF VEX document.
type Record struct {
	// Source is the format it came in (FormatOSV ...); with ID it names
	// the record: the same source and ID again replaces it.
	Source string `json:"source"`
	ID     string `json:"id"`
	// Origin says where it was read from (file name, URL, upstream).
	Origin   string   `json:"origin,omitempty"`
	Aliases  []string `json:"aliases,omitempty"` // CVE ids
	Summary  string   `json:"summary,omitempty"`
	Severity string   `json:"severity,omitempty"` // critical, important, moderate, low or ""
	// Modified is the record's own modification stamp, as written in it.
	Modified   string    `json:"modified,omitempty"`
	Withdrawn  bool      `json:"withdrawn,omitempty"`
	Ranges     []Range   `json:"ranges"`
	Raw        []byte    `json:"-"`
	ImportedAt time.Time `json:"imported_at,omitzero"`
}

// Range is one affected version range of one package in one ecosystem:
// versions from Introduced (inclusive; "0" is every version) up to Fixed
// (exclusive) or LastAffected (inclusive); neither means no fix yet.
type Range struct {
	Ecosystem    string `json:"ecosystem"`
	Package      string `json:"package"`
	Introduced   string `json:"introduced"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
}

// Key is the vulnerability a record is about, for tracker entries: its CVE
// when it names exactly one, else its own id, so that two sources of one
// CVE meet in one entry.
func (r *Record) Key() string {
	var cves []string
	for _, a := range r.Aliases {
		if strings.HasPrefix(a, "CVE-") && !slices.Contains(cves, a) {
			cves = append(cves, a)
		}
	}
	if len(cves) == 1 {
		return cves[0]
	}
	return r.ID
}

// Problem is one bad record of an import, skipped: where it was, which
// record (when known), and what is wrong.
type Problem struct {
	File   string `json:"file,omitempty"`
	Record string `json:"record,omitempty"`
	Error  string `json:"error"`
}

func (p Problem) String() string {
	s := p.File
	if p.Record != "" {
		if s != "" {
			s += ": "
		}
		s += p.Record
	}
	if s != "" {
		s += ": "
	}
	return s + p.Error
}

// Tracker entry states.
const (
	StateNew           = "new"
	StateLookingInto   = "looking-into-it"
	StateNotVulnerable = "not-vulnerable"
	StateNotRelevant   = "not-relevant"
	StateAffected      = "affected"
	StateFixed         = "fixed"
	StateKnownIssue    = "known-issue"
)

// transitions lists where each state may go. Answers can be reopened
// (back to looking-into-it) when new facts arrive; the change's audit
// entry and public statement say why.
var transitions = map[string][]string{
	StateNew:           {StateLookingInto, StateNotVulnerable, StateNotRelevant, StateAffected},
	StateLookingInto:   {StateNotVulnerable, StateNotRelevant, StateAffected, StateKnownIssue},
	StateAffected:      {StateFixed, StateKnownIssue, StateLookingInto},
	StateKnownIssue:    {StateFixed, StateLookingInto},
	StateNotVulnerable: {StateLookingInto},
	StateNotRelevant:   {StateLookingInto},
	StateFixed:         {StateLookingInto},
}

// States lists every state in workflow order.
var States = []string{StateNew, StateLookingInto, StateNotVulnerable, StateNotRelevant, StateAffected, StateKnownIssue, StateFixed}

// CanMove reports whether an entry may go from one state to another.
func CanMove(from, to string) bool { return slices.Contains(transitions[from], to) }

// PlainState is a state in words for server owners.
func PlainState(state string) string {
	switch state {
	case StateNew:
		return "reported, not yet looked at"
	case StateLookingInto:
		return "being looked at"
	case StateNotVulnerable:
		return "does not affect SME Server"
	case StateNotRelevant:
		return "not relevant to SME Server"
	case StateAffected:
		return "affects SME Server, a fix is being prepared"
	case StateKnownIssue:
		return "known issue, no fix planned yet"
	case StateFixed:
		return "fixed"
	}
	return state
}

// Open reports whether an entry still needs work or a fix.
func Open(state string) bool {
	return state == StateNew || state == StateLookingInto || state == StateAffected || state == StateKnownIssue
}

// Severities an entry may carry ("" is not yet rated).
var Severities = []string{"", "low", "moderate", "important", "critical"}

// Justifications for a not-vulnerable or not-relevant answer, as OpenVEX
// names them.
var Justifications = []string{"", "component_not_present", "vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path", "vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist"}

// Entry is the tracker's entry for one vulnerability of one package of
// one release.
type Entry struct {
	ID      int64  `json:"id"`
	Release string `json:"release"`
	Package string `json:"package"`
	Key     string `json:"vulnerability"`
	Summary string `json:"summary,omitempty"`
	// Sources are the records reporting it ("osv:RLSA-2021:3891").
	Sources []string `json:"sources"`
	// EVRs are the versions of the package in the release that fall in an
	// affected range, with the fixed version where one is known.
	EVRs          []string `json:"evrs"`
	Fixed         string   `json:"fixed,omitempty"`
	Arches        []string `json:"arches,omitempty"`
	State         string   `json:"state"`
	Severity      string   `json:"severity,omitempty"`
	Owner         string   `json:"owner,omitempty"`
	PrivateNotes  string   `json:"private_notes,omitempty"`
	Statement     string   `json:"public_statement,omitempty"`
	Justification string   `json:"justification,omitempty"`
	// Monitoring is the policy's level for the package's category: full
	// or best-effort (packages not monitored get no entry).
	Monitoring      string    `json:"monitoring"`
	CreatedAt       time.Time `json:"created_at"`
	FirstResponseAt time.Time `json:"first_response_at,omitzero"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Public returns the entry without what only the security team reads.
func (e Entry) Public() Entry {
	e.PrivateNotes = ""
	return e
}

// Filter selects tracker entries.
type Filter struct {
	Release, Package, State, Key string
	Limit                        int
}

// ImportResult is what an import did.
type ImportResult struct {
	Imported  int       `json:"imported"`
	Unchanged int       `json:"unchanged"`
	Ignored   int       `json:"ignored"` // records of no concern (bug fix updates)
	Skipped   []Problem `json:"skipped"`
	Opened    int       `json:"entries_opened"`
	Updated   int       `json:"entries_updated"`
}

// Store is what the tracker needs of a database. Every method is one
// transaction; changes append their audit event in it. Implementations
// return catalog.ErrNotFound and catalog.ErrInvalid (wrapped) and are safe
// for concurrent use.
type Store interface {
	// SaveRecords stores records with their ranges, each replacing an
	// earlier one of the same source and id, all in one transaction with
	// one audit event; a record whose stored copy has the same
	// modification stamp and content is left alone. It returns how many
	// it wrote.
	SaveRecords(ctx context.Context, rs []*Record, actor string) (changed int, err error)
	// VulnRanges lists the ranges of the ecosystems, with the record
	// each belongs to (Ranges of those records hold only these ranges).
	VulnRanges(ctx context.Context, ecosystems []string) ([]*Record, error)
	// VulnRecord is one stored record with its raw text.
	VulnRecord(ctx context.Context, source, id string) (*Record, error)
	// UpsertEntries opens the entries not yet there and adds sources and
	// versions to the others; an entry of an unchanged match is not
	// written.
	UpsertEntries(ctx context.Context, es []Entry, actor string, at time.Time) (opened, updated int, err error)
	Entries(ctx context.Context, f Filter) ([]Entry, error)
	Entry(ctx context.Context, id int64) (*Entry, error)
	// UpdateEntry applies change to an entry and records the audit events
	// it returns, in one transaction.
	UpdateEntry(ctx context.Context, id int64, change func(e *Entry) ([]AuditNote, error)) (*Entry, error)
}

// AuditNote is an audit event an entry change asks for: the store fills
// in the subject and writes before/after.
type AuditNote struct {
	Actor, Action string
	At            time.Time
	Before, After any
	Public        bool
}

// Catalog is what matching reads of the package table.
type Catalog interface {
	Releases(ctx context.Context) ([]catalog.Release, error)
	Release(ctx context.Context, name string) (*catalog.Release, error)
	PackagesIn(ctx context.Context, release string, channels []string) ([]catalog.PackageFacts, error)
	Upstreams(ctx context.Context) ([]catalog.Upstream, error)
	UpstreamPackages(ctx context.Context, upstream, text string, limit int) ([]catalog.PackageFacts, error)
}
