package advisory

import (
	"context"
	"encoding/xml"
	"fmt"
	"slices"
	"time"
)

// OSVSchema is the OSV schema version the records follow.
const OSVSchema = "1.6.0"

// OSV is an advisory as an OSV record (https://ossf.github.io/osv-schema/).
type OSV struct {
	SchemaVersion    string         `json:"schema_version"`
	ID               string         `json:"id"`
	Modified         string         `json:"modified"`
	Published        string         `json:"published"`
	Aliases          []string       `json:"aliases,omitempty"`
	Summary          string         `json:"summary"`
	Details          string         `json:"details"`
	Affected         []OSVAffected  `json:"affected"`
	References       []OSVReference `json:"references,omitempty"`
	DatabaseSpecific map[string]any `json:"database_specific,omitempty"`
}

// OSVAffected is one package of one release.
type OSVAffected struct {
	Package OSVPackage `json:"package"`
	Ranges  []OSVRange `json:"ranges"`
}

// OSVPackage names a package in its ecosystem ("SME Server:10").
type OSVPackage struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

// OSVRange is the versions affected, in RPM version order.
type OSVRange struct {
	Type   string              `json:"type"`
	Events []map[string]string `json:"events"`
}

// OSVReference is a link.
type OSVReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Ecosystem is the OSV ecosystem of a major release.
func Ecosystem(major int) string { return fmt.Sprintf("SME Server:%d", major) }

const osvTime = "2006-01-02T15:04:05Z"

// OSV returns an advisory the viewer may see as an OSV record: every
// binary package of its fixed builds, per release, fixed at the build's
// version; packages named without a fix are affected from the start.
func (s *Service) OSV(ctx context.Context, v Viewer, id string) (*OSV, error) {
	a, err := s.Get(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return s.osv(ctx, a)
}

// OSVAll returns every public advisory as OSV records (drafts and
// embargoed advisories never leave through the export).
func (s *Service) OSVAll(ctx context.Context) ([]OSV, error) {
	as, err := s.List(ctx, Viewer{})
	if err != nil {
		return nil, err
	}
	out := []OSV{}
	for i := range as {
		o, err := s.osv(ctx, &as[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, nil
}

func (s *Service) osv(ctx context.Context, a *Advisory) (*OSV, error) {
	o := &OSV{
		SchemaVersion: OSVSchema, ID: a.ID, Modified: a.UpdatedAt.UTC().Format(osvTime),
		Aliases: a.CVEs, Summary: a.Title, Details: Description(a), Affected: []OSVAffected{},
		DatabaseSpecific: map[string]any{"type": a.Type, "severity": a.Severity, "revision": a.Revision, "state": a.State},
	}
	if !a.PublishedAt.IsZero() {
		o.Published = a.Issued().UTC().Format(osvTime)
	} else {
		o.Published = a.CreatedAt.UTC().Format(osvTime)
	}
	// name -> fixed EVR, in the order met.
	type fix struct{ name, evr string }
	var fixes []fix
	for _, id := range a.Builds {
		b, err := s.Store.Build(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("reading build %s of %s: %w", id, a.ID, err)
		}
		for _, art := range b.Artifacts {
			if art.Source || slices.ContainsFunc(fixes, func(f fix) bool { return f.name == art.Name }) {
				continue
			}
			fixes = append(fixes, fix{art.Name, art.EVR()})
		}
	}
	for _, p := range a.Packages {
		if !slices.ContainsFunc(fixes, func(f fix) bool { return f.name == p }) {
			fixes = append(fixes, fix{p, ""})
		}
	}
	majors := []int{}
	for _, r := range a.Releases {
		rel, err := s.Store.Release(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("reading release %s of %s: %w", r, a.ID, err)
		}
		if !slices.Contains(majors, rel.Major) {
			majors = append(majors, rel.Major)
		}
	}
	for _, m := range majors {
		for _, f := range fixes {
			events := []map[string]string{{"introduced": "0"}}
			if f.evr != "" {
				events = append(events, map[string]string{"fixed": f.evr})
			}
			o.Affected = append(o.Affected, OSVAffected{
				Package: OSVPackage{Ecosystem: Ecosystem(m), Name: f.name},
				Ranges:  []OSVRange{{Type: "ECOSYSTEM", Events: events}},
			})
		}
	}
	if s.BaseURL != "" {
		o.References = append(o.References, OSVReference{Type: "ADVISORY", URL: s.BaseURL + "/advisories/" + a.ID})
	}
	for _, c := range a.CVEs {
		o.References = append(o.References, OSVReference{Type: "ADVISORY", URL: "https://www.cve.org/CVERecord?id=" + c})
	}
	for _, r := range a.References {
		o.References = append(o.References, OSVReference{Type: "WEB", URL: r})
	}
	return o, nil
}

// Atom renders the public advisories as an Atom 1.0 feed; base is the
// address of the site (links and ids are made from it).
func (s *Service) Atom(ctx context.Context, base string) ([]byte, error) {
	as, err := s.List(ctx, Viewer{})
	if err != nil {
		return nil, err
	}
	type link struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr,omitempty"`
		Type string `xml:"type,attr,omitempty"`
	}
	type text struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	}
	type entry struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Link      link   `xml:"link"`
		Summary   text   `xml:"summary"`
		Content   text   `xml:"content"`
	}
	type feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Author  struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Links   []link  `xml:"link"`
		Entries []entry `xml:"entry"`
	}
	f := feed{ID: base + "/advisories", Title: "SME Server advisories",
		Links: []link{{Href: base + "/advisories.atom", Rel: "self", Type: "application/atom+xml"}, {Href: base + "/advisories", Rel: "alternate", Type: "text/html"}}}
	f.Author.Name = "smeforge"
	var newest time.Time
	for i := range as {
		a := &as[i]
		up := a.UpdatedAt
		if iss := a.Issued(); iss.After(up) {
			up = iss
		}
		if up.After(newest) {
			newest = up
		}
		summary := a.Guidance
		if summary == "" {
			summary = a.Title
		}
		f.Entries = append(f.Entries, entry{
			ID: base + "/advisories/" + a.ID, Title: a.ID + ": " + a.Title,
			Updated: up.UTC().Format(osvTime), Published: a.Issued().UTC().Format(osvTime),
			Link:    link{Href: base + "/advisories/" + a.ID, Rel: "alternate", Type: "text/html"},
			Summary: text{Type: "text", Body: summary}, Content: text{Type: "text", Body: Description(a)},
		})
	}
	if newest.IsZero() {
		newest = time.Unix(0, 0)
	}
	f.Updated = newest.UTC().Format(osvTime)
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("writing the advisory feed: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}
