package security

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/rpm"
)

// OpenVEX v0.2.0 (https://github.com/openvex/spec).
const openVEXContext = "https://openvex.dev/ns/v0.2.0"

// VEXDocument is an OpenVEX document.
type VEXDocument struct {
	Context    string         `json:"@context"`
	ID         string         `json:"@id"`
	Author     string         `json:"author"`
	Role       string         `json:"role,omitempty"`
	Timestamp  time.Time      `json:"timestamp"`
	Version    int            `json:"version"`
	Tooling    string         `json:"tooling,omitempty"`
	Statements []VEXStatement `json:"statements"`
}

// VEXStatement is one statement: a vulnerability, the products it is
// about and their status.
type VEXStatement struct {
	Vulnerability   VEXVulnerability `json:"vulnerability"`
	Timestamp       time.Time        `json:"timestamp"`
	Products        []VEXProduct     `json:"products"`
	Status          string           `json:"status"`
	Justification   string           `json:"justification,omitempty"`
	ImpactStatement string           `json:"impact_statement,omitempty"`
	ActionStatement string           `json:"action_statement,omitempty"`
	StatusNotes     string           `json:"status_notes,omitempty"`
}

// VEXVulnerability names a vulnerability.
type VEXVulnerability struct {
	Name string `json:"name"`
}

// VEXProduct is a product by its package URL.
type VEXProduct struct {
	ID string `json:"@id"`
}

// vexStatus maps a tracker state to OpenVEX's four statuses.
func vexStatus(state string) string {
	switch state {
	case StateNotVulnerable, StateNotRelevant:
		return "not_affected"
	case StateAffected, StateKnownIssue:
		return "affected"
	case StateFixed:
		return "fixed"
	}
	return "under_investigation"
}

// Purl is the package URL of a package of a release:
// pkg:rpm/smeserver/NAME@VERSION-RELEASE?arch=ARCH&distro=smeserver-REL[&epoch=N].
func Purl(release, name, evr, arch string) string {
	e := rpm.ParseEVR(evr)
	v := e.Version
	if e.Release != "" {
		v += "-" + e.Release
	}
	q := url.Values{}
	if arch != "" {
		q.Set("arch", arch)
	}
	q.Set("distro", "smeserver-"+release)
	if e.Epoch != "" && e.Epoch != "0" {
		q.Set("epoch", e.Epoch)
	}
	return "pkg:rpm/smeserver/" + url.PathEscape(name) + "@" + url.PathEscape(v) + "?" + q.Encode()
}

// OpenVEX states the tracker's answer for every entry: not_affected (with
// the justification) for "not vulnerable" and "not relevant",
// under_investigation, affected or fixed for the others. The document's
// id and version follow its content, so an unchanged tracker gives the
// same document.
func (s *Service) OpenVEX(ctx context.Context, base string) (*VEXDocument, error) {
	es, err := s.Store.Entries(ctx, Filter{})
	if err != nil {
		return nil, err
	}
	sort.Slice(es, func(i, j int) bool { return es[i].ID < es[j].ID })
	doc := &VEXDocument{Context: openVEXContext, Author: "SME Server security team", Role: "Document Creator",
		Version: 1, Tooling: "smeforge", Statements: []VEXStatement{}}
	h := sha256.New()
	var newest time.Time
	for i := range es {
		e := &es[i]
		st := VEXStatement{Vulnerability: VEXVulnerability{Name: e.Key}, Timestamp: e.UpdatedAt, Status: vexStatus(e.State)}
		arches := e.Arches
		if len(arches) == 0 {
			arches = []string{""}
		}
		for _, evr := range e.EVRs {
			for _, a := range arches {
				st.Products = append(st.Products, VEXProduct{ID: Purl(e.Release, e.Package, evr, a)})
			}
		}
		switch st.Status {
		case "not_affected":
			st.Justification = e.Justification
			if st.Justification == "" {
				st.Justification = "vulnerable_code_not_present"
				if e.State == StateNotRelevant {
					st.Justification = "component_not_present"
				}
			}
			st.ImpactStatement = e.Statement
		case "affected":
			st.ActionStatement = e.Statement
			if st.ActionStatement == "" {
				st.ActionStatement = "No fix is available yet; follow the SME Server security page for updates."
			}
		default:
			st.StatusNotes = e.Statement
		}
		doc.Statements = append(doc.Statements, st)
		h.Write([]byte(e.Key + "\x00" + e.Release + "\x00" + e.Package + "\x00" + e.State + "\x00" + e.UpdatedAt.String() + "\x00"))
		if e.UpdatedAt.After(newest) {
			newest = e.UpdatedAt
		}
	}
	if newest.IsZero() {
		newest = time.Unix(0, 0).UTC()
	}
	doc.Timestamp = newest
	doc.ID = strings.TrimRight(base, "/") + "/api/v1/security/openvex.json#" + hex.EncodeToString(h.Sum(nil))[:16]
	return doc, nil
}
