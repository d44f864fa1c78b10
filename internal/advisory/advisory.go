// Package advisory owns the project's own advisories (SME-SA-2026:0001):
// their content (type, severity, fixed builds, CVEs, the security team's
// technical text and the communications team's plain-words guidance),
// the embargo that keeps a draft private until its disclosure date, the
// revisions made after publication, and what is made of them for the
// world: updateinfo.xml for dnf, an Atom feed and OSV records. Visibility
// is computed from an injected clock, so an embargo ends without anyone
// acting.
package advisory

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
)

// Types of advisory.
const (
	Security    = "security"
	Bugfix      = "bugfix"
	Enhancement = "enhancement"
	KnownIssue  = "known-issue"
)

// Types lists the advisory types.
var Types = []string{Security, Bugfix, Enhancement, KnownIssue}

// Severities, lowest first.
var Severities = []string{"none", "low", "moderate", "important", "critical"}

// States of an advisory.
const (
	Draft     = "draft"
	Published = "published"
	Closed    = "closed"
)

// Advisory is one notice of the project.
type Advisory struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Severity string   `json:"severity"`
	Title    string   `json:"title"`
	Releases []string `json:"releases"`
	// Packages names the affected packages; the fixed builds' binaries
	// count too.
	Packages []string `json:"packages"`
	// Builds are the builds that fix the problem (none for a known issue).
	Builds     []string `json:"builds"`
	CVEs       []string `json:"cves"`
	References []string `json:"references"`
	// Technical is the security team's text.
	Technical string `json:"technical"`
	// Guidance is the communications team's "why am I affected, and what
	// should I do?"; publication needs it.
	Guidance string `json:"guidance"`
	// Workaround is what to do while a known issue has no fix.
	Workaround   string    `json:"workaround,omitempty"`
	EmbargoUntil time.Time `json:"embargo_until,omitzero"`
	State        string    `json:"state"`
	// Revision is 0 for a draft, 1 at publication, then one more for every
	// later change.
	Revision    int       `json:"revision"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	UpdatedAt   time.Time `json:"updated_at"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	CloseReason string    `json:"close_reason,omitempty"`
	// Changes counts saves, so that two editors cannot overwrite each
	// other unseen.
	Changes int64 `json:"-"`
}

// Public reports whether everyone may read a at time now: it was published
// and its embargo, if any, has passed.
func (a *Advisory) Public(now time.Time) bool {
	return a.State != Draft && (a.EmbargoUntil.IsZero() || !now.Before(a.EmbargoUntil))
}

// Embargoed reports whether a is published but still waiting for its
// disclosure date.
func (a *Advisory) Embargoed(now time.Time) bool {
	return a.State != Draft && !a.Public(now)
}

// Issued is when a became public: its publication, or its disclosure date
// when that came later.
func (a *Advisory) Issued() time.Time {
	if a.EmbargoUntil.After(a.PublishedAt) {
		return a.EmbargoUntil
	}
	return a.PublishedAt
}

// Revision is the state of an advisory as one publication or edit after
// publication left it.
type Revision struct {
	Advisory string    `json:"advisory"`
	N        int       `json:"n"`
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Reason   string    `json:"reason"`
	Content  Advisory  `json:"content"`
}

// Patch is a change of an advisory (or, for Create, its first content):
// nil fields stay as they are.
type Patch struct {
	Type       *string   `json:"type,omitempty"`
	Severity   *string   `json:"severity,omitempty"`
	Title      *string   `json:"title,omitempty"`
	Releases   *[]string `json:"releases,omitempty"`
	Packages   *[]string `json:"packages,omitempty"`
	Builds     *[]string `json:"builds,omitempty"`
	CVEs       *[]string `json:"cves,omitempty"`
	References *[]string `json:"references,omitempty"`
	Technical  *string   `json:"technical,omitempty"`
	Workaround *string   `json:"workaround,omitempty"`
	// EmbargoUntil is an RFC 3339 time, or "" for no embargo.
	EmbargoUntil *string `json:"embargo_until,omitempty"`
	// Guidance is the only field of the communications team.
	Guidance *string `json:"guidance,omitempty"`
	// Reason says why a published advisory changes (required then).
	Reason string `json:"reason,omitempty"`
}

// TouchesTechnical reports whether p changes anything but the guidance:
// that is the security team's part (action write-advisory).
func (p *Patch) TouchesTechnical() bool {
	return p.Type != nil || p.Severity != nil || p.Title != nil || p.Releases != nil || p.Packages != nil ||
		p.Builds != nil || p.CVEs != nil || p.References != nil || p.Technical != nil || p.Workaround != nil || p.EmbargoUntil != nil
}

// TouchesGuidance reports whether p changes the guidance (action
// write-advisory-guidance).
func (p *Patch) TouchesGuidance() bool { return p.Guidance != nil }

// apply changes a by p and checks the result; it does not look at the
// catalog (the Service does).
func (p *Patch) apply(a *Advisory) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	setList := func(dst *[]string, v *[]string) {
		if v != nil {
			*dst = cleanList(*v)
		}
	}
	set(&a.Type, p.Type)
	set(&a.Severity, p.Severity)
	set(&a.Title, p.Title)
	setList(&a.Releases, p.Releases)
	setList(&a.Packages, p.Packages)
	setList(&a.Builds, p.Builds)
	setList(&a.CVEs, p.CVEs)
	setList(&a.References, p.References)
	set(&a.Technical, p.Technical)
	set(&a.Workaround, p.Workaround)
	set(&a.Guidance, p.Guidance)
	for i, c := range a.CVEs {
		a.CVEs[i] = strings.ToUpper(c)
	}
	if p.EmbargoUntil != nil {
		s := strings.TrimSpace(*p.EmbargoUntil)
		if s == "" {
			a.EmbargoUntil = time.Time{}
		} else {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return catalog.Errorf(catalog.ErrInvalid, "embargo_until %q is not a time like 2026-03-01T12:00:00Z", s)
			}
			a.EmbargoUntil = t.UTC()
		}
	}
	return a.check()
}

// cleanList trims, drops empty entries and duplicates, keeping the order.
func cleanList(in []string) []string {
	out := []string{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

var cveRe = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// check is the one validation of an advisory's fields, shared by the API,
// the web UI and the command line.
func (a *Advisory) check() error {
	if !slices.Contains(Types, a.Type) {
		return catalog.Errorf(catalog.ErrInvalid, "type %q is not one of %s", a.Type, strings.Join(Types, ", "))
	}
	if a.Severity == "" {
		a.Severity = "none"
	}
	if !slices.Contains(Severities, a.Severity) {
		return catalog.Errorf(catalog.ErrInvalid, "severity %q is not one of %s", a.Severity, strings.Join(Severities, ", "))
	}
	if a.Type == Security && a.Severity == "none" {
		return catalog.Errorf(catalog.ErrInvalid, "severity: a security advisory needs a severity (low, moderate, important or critical)")
	}
	if a.Title == "" {
		return catalog.Errorf(catalog.ErrInvalid, "title is empty: say in a few words what the advisory is about")
	}
	if len(a.Title) > 200 || strings.ContainsAny(a.Title, "\n\r") {
		return catalog.Errorf(catalog.ErrInvalid, "title must be one line of at most 200 characters")
	}
	for _, c := range a.CVEs {
		if !cveRe.MatchString(c) {
			return catalog.Errorf(catalog.ErrInvalid, "cves: %q is not a CVE id like CVE-2026-12345", c)
		}
	}
	for _, r := range a.References {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return catalog.Errorf(catalog.ErrInvalid, "references: %q is not an http(s) address", r)
		}
	}
	for _, text := range []struct{ name, v string }{{"technical", a.Technical}, {"guidance", a.Guidance}, {"workaround", a.Workaround}} {
		if len(text.v) > 64<<10 {
			return catalog.Errorf(catalog.ErrInvalid, "%s is longer than 64 kB", text.name)
		}
	}
	return nil
}

// readyToPublish says what a still lacks before the world may read it.
func (a *Advisory) readyToPublish() error {
	if a.Guidance == "" {
		return catalog.Errorf(catalog.ErrInvalid, "the advisory cannot be published without its guidance (\"why am I affected, and what should I do?\"): the communications team writes it")
	}
	if len(a.Releases) == 0 {
		return catalog.Errorf(catalog.ErrInvalid, "releases is empty: name the releases the advisory is about")
	}
	if a.Type == KnownIssue {
		if a.Workaround == "" {
			return catalog.Errorf(catalog.ErrInvalid, "a known-issue advisory needs a workaround text: what to do while there is no fix")
		}
	} else if len(a.Builds) == 0 {
		return catalog.Errorf(catalog.ErrInvalid, "builds is empty: a %s advisory names the builds that fix it (only a known issue has none)", a.Type)
	}
	return nil
}
