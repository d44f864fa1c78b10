package security

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
)

type csafBranch struct {
	Category string `json:"category"`
	Name     string `json:"name"`
	Product  *struct {
		Name                     string `json:"name"`
		ProductID                string `json:"product_id"`
		ProductIdentificationHlp struct {
			CPE  string `json:"cpe"`
			PURL string `json:"purl"`
		} `json:"product_identification_helper"`
	} `json:"product"`
	Branches []csafBranch `json:"branches"`
}

type csafDoc struct {
	Document struct {
		Category          string `json:"category"`
		Title             string `json:"title"`
		AggregateSeverity struct {
			Text string `json:"text"`
		} `json:"aggregate_severity"`
		Tracking struct {
			ID                 string `json:"id"`
			CurrentReleaseDate string `json:"current_release_date"`
			Status             string `json:"status"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree struct {
		Branches      []csafBranch `json:"branches"`
		Relationships []struct {
			Category        string `json:"category"`
			FullProductName struct {
				ProductID string `json:"product_id"`
			} `json:"full_product_name"`
			ProductReference          string `json:"product_reference"`
			RelatesToProductReference string `json:"relates_to_product_reference"`
		} `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities []struct {
		CVE           string `json:"cve"`
		ProductStatus struct {
			Fixed            []string `json:"fixed"`
			KnownAffected    []string `json:"known_affected"`
			KnownNotAffected []string `json:"known_not_affected"`
		} `json:"product_status"`
		Threats []struct {
			Category string `json:"category"`
			Details  string `json:"details"`
		} `json:"threats"`
	} `json:"vulnerabilities"`
}

// pkgRef is what a CSAF product id says of a package: its name and, for a
// fixed build, its EVR.
type pkgRef struct{ name, evr string }

// ParseCSAF reads one Red Hat CSAF advisory or VEX document as one record:
// a fixed product is a range from 0 to its EVR, a known-affected product
// one with no fix; known-not-affected products add no range. The
// ecosystem is "Red Hat:N", N from the platform's CPE.
func ParseCSAF(r io.Reader, file string) ([]Record, []Problem) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []Problem{{File: file, Error: fmt.Sprintf("reading: %v", err)}}
	}
	rec, err := parseCSAF(data)
	if err != nil {
		return nil, []Problem{{File: file, Record: rec.ID, Error: err.Error()}}
	}
	rec.Origin = file
	return []Record{rec}, nil
}

func parseCSAF(data []byte) (Record, error) {
	var d csafDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return Record{}, fmt.Errorf("not a CSAF document (bad JSON): %v", err)
	}
	rec := Record{Source: FormatCSAF, ID: strings.TrimSpace(d.Document.Tracking.ID), Summary: d.Document.Title,
		Modified: d.Document.Tracking.CurrentReleaseDate, Raw: data}
	if rec.ID == "" {
		return rec, fmt.Errorf("document.tracking.id: the document has no id")
	}
	if c := d.Document.Category; c != "csaf_vex" && c != "csaf_security_advisory" {
		return rec, fmt.Errorf("document.category %q: expected csaf_vex or csaf_security_advisory", c)
	}
	rec.Severity = normalizeSeverity(d.Document.AggregateSeverity.Text, "")

	// Product ids of packages (with purl) and of platforms (with cpe).
	pkgs := map[string]pkgRef{}
	platforms := map[string]string{} // product id -> major version
	var walk func(bs []csafBranch) error
	walk = func(bs []csafBranch) error {
		for _, b := range bs {
			if p := b.Product; p != nil {
				h := p.ProductIdentificationHlp
				if h.PURL != "" && strings.HasPrefix(h.PURL, "pkg:rpm/") {
					ref, err := purlRef(h.PURL)
					if err != nil {
						return fmt.Errorf("product %s: %v", p.ProductID, err)
					}
					pkgs[p.ProductID] = ref
				}
				if h.CPE != "" {
					if m := cpeMajor(h.CPE); m != "" {
						platforms[p.ProductID] = m
					}
				}
			}
			if err := walk(b.Branches); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(d.ProductTree.Branches); err != nil {
		return rec, fmt.Errorf("product_tree: %v", err)
	}
	type product struct {
		pkgRef
		eco string
	}
	products := map[string]product{}
	for _, rel := range d.ProductTree.Relationships {
		major, ok := platforms[rel.RelatesToProductReference]
		if !ok {
			continue
		}
		ref, ok := pkgs[rel.ProductReference]
		if !ok {
			// Product ids without a purl name the package as NEVRA.
			var err error
			if ref, err = nevraRef(rel.ProductReference); err != nil {
				continue
			}
		}
		products[rel.FullProductName.ProductID] = product{ref, "Red Hat:" + major}
	}
	if len(d.Vulnerabilities) == 0 {
		return rec, fmt.Errorf("vulnerabilities: the document names none")
	}
	seen := map[Range]bool{}
	add := func(rg Range) {
		if !seen[rg] {
			seen[rg] = true
			rec.Ranges = append(rec.Ranges, rg)
		}
	}
	for i, v := range d.Vulnerabilities {
		if !strings.HasPrefix(v.CVE, "CVE-") {
			return rec, fmt.Errorf("vulnerabilities[%d].cve %q is not a CVE id", i, v.CVE)
		}
		rec.Aliases = appendNew(rec.Aliases, v.CVE)
		if rec.Severity == "" {
			for _, t := range v.Threats {
				if t.Category == "impact" {
					rec.Severity = normalizeSeverity(t.Details, "")
				}
			}
		}
		for _, id := range v.ProductStatus.Fixed {
			p, ok := products[id]
			if !ok || p.evr == "" {
				continue
			}
			if err := validEVR(p.evr); err != nil {
				return rec, fmt.Errorf("vulnerabilities[%d].product_status.fixed %s: %v", i, id, err)
			}
			add(Range{Ecosystem: p.eco, Package: p.name, Introduced: "0", Fixed: p.evr})
		}
		for _, id := range v.ProductStatus.KnownAffected {
			// "red_hat_enterprise_linux_8:openssl": platform:package.
			if p, ok := products[id]; ok {
				add(Range{Ecosystem: p.eco, Package: p.name, Introduced: "0"})
				continue
			}
			plat, name, ok := strings.Cut(id, ":")
			if major, known := platforms[plat]; known && ok && name != "" && !strings.ContainsAny(name, " /") {
				add(Range{Ecosystem: "Red Hat:" + major, Package: name, Introduced: "0"})
			}
		}
	}
	// A VEX of only not-affected products is kept: it is still a report,
	// with nothing to match.
	return rec, nil
}

// purlRef reads "pkg:rpm/redhat/openssl@1.1.1k-12.el8_9?arch=x86_64&epoch=1".
func purlRef(p string) (pkgRef, error) {
	rest := strings.TrimPrefix(p, "pkg:rpm/")
	rest, query, _ := strings.Cut(rest, "?")
	_, nv, ok := strings.Cut(rest, "/")
	if !ok {
		return pkgRef{}, fmt.Errorf("purl %q has no namespace/name", p)
	}
	name, ver, _ := strings.Cut(nv, "@")
	name, _ = url.PathUnescape(name)
	if name == "" {
		return pkgRef{}, fmt.Errorf("purl %q has no name", p)
	}
	ref := pkgRef{name: name}
	if ver != "" {
		ver, _ = url.PathUnescape(ver)
		q, _ := url.ParseQuery(query)
		if e := q.Get("epoch"); e != "" && e != "0" {
			ver = e + ":" + ver
		}
		ref.evr = ver
	}
	return ref, nil
}

// nevraRef reads "openssl-1:1.1.1k-12.el8_9.x86_64".
func nevraRef(s string) (pkgRef, error) {
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return pkgRef{}, fmt.Errorf("%q is not a NEVRA", s)
	}
	nvr := s[:dot]
	r := strings.LastIndexByte(nvr, '-')
	if r < 0 {
		return pkgRef{}, fmt.Errorf("%q is not a NEVRA", s)
	}
	v := strings.LastIndexByte(nvr[:r], '-')
	if v < 0 {
		return pkgRef{}, fmt.Errorf("%q is not a NEVRA", s)
	}
	return pkgRef{name: nvr[:v], evr: nvr[v+1:]}, nil
}

// cpeMajor is the major version of a Red Hat Enterprise Linux CPE
// ("cpe:/o:redhat:enterprise_linux:8::baseos", "cpe:/a:redhat:rhel_eus:8.6::appstream").
func cpeMajor(cpe string) string {
	parts := strings.Split(cpe, ":")
	if len(parts) < 5 || parts[2] != "redhat" {
		return ""
	}
	if !strings.Contains(parts[3], "enterprise_linux") && !strings.HasPrefix(parts[3], "rhel") {
		return ""
	}
	return majorOf(parts[4])
}
