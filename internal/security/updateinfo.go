package security

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

type uiUpdate struct {
	Type     string `xml:"type,attr"`
	ID       string `xml:"id"`
	Title    string `xml:"title"`
	Release  string `xml:"release"`
	Severity string `xml:"severity"`
	Updated  struct {
		Date string `xml:"date,attr"`
	} `xml:"updated"`
	Issued struct {
		Date string `xml:"date,attr"`
	} `xml:"issued"`
	References []struct {
		ID   string `xml:"id,attr"`
		Type string `xml:"type,attr"`
	} `xml:"references>reference"`
	Packages []struct {
		Name    string `xml:"name,attr"`
		Epoch   string `xml:"epoch,attr"`
		Version string `xml:"version,attr"`
		Release string `xml:"release,attr"`
		Arch    string `xml:"arch,attr"`
	} `xml:"pkglist>collection>package"`
}

// ParseUpdateinfo reads an updateinfo.xml: each security <update> is a
// record whose packages are fixed at the versions listed (every version
// before is affected). ecosystem is the upstream's ("Rocky Linux:8");
// when "" it comes from each update's <release>. Other updates (bug fix,
// enhancement) are counted in ignored. Bad XML stops the reading at that
// point, with a problem; earlier updates are kept.
func ParseUpdateinfo(r io.Reader, file, ecosystem string) (recs []Record, problems []Problem, ignored int) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []Problem{{File: file, Error: fmt.Sprintf("reading: %v", err)}}, 0
	}
	if ecosystem != "" {
		if ecosystem, err = NormalizeEcosystem(ecosystem); err != nil {
			return nil, []Problem{{File: file, Error: err.Error()}}, 0
		}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	seenRoot := false
	n := 0
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, Problem{File: file, Error: fmt.Sprintf("bad XML after %d updates: %v", n, err)})
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !seenRoot {
			seenRoot = true
			if se.Name.Local != "updates" {
				problems = append(problems, Problem{File: file, Error: fmt.Sprintf("the root element is <%s>, not <updates>", se.Name.Local)})
				break
			}
			continue
		}
		if se.Name.Local != "update" {
			if err := d.Skip(); err != nil {
				problems = append(problems, Problem{File: file, Error: fmt.Sprintf("bad XML: %v", err)})
				break
			}
			continue
		}
		n++
		var u uiUpdate
		if err := d.DecodeElement(&u, &se); err != nil {
			problems = append(problems, Problem{File: file, Record: fmt.Sprintf("update %d", n), Error: fmt.Sprintf("bad XML: %v", err)})
			break
		}
		raw := data[start:d.InputOffset()]
		if u.Type != "security" {
			ignored++
			continue
		}
		rec, err := updateRecord(&u, ecosystem, raw)
		if err != nil {
			name := strings.TrimSpace(u.ID)
			if name == "" {
				name = fmt.Sprintf("update %d", n)
			}
			problems = append(problems, Problem{File: file, Record: name, Error: err.Error()})
			continue
		}
		rec.Origin = file
		recs = append(recs, rec)
	}
	if !seenRoot && len(problems) == 0 {
		problems = append(problems, Problem{File: file, Error: "no <updates> element: this is not an updateinfo.xml"})
	}
	return recs, problems, ignored
}

func updateRecord(u *uiUpdate, ecosystem string, raw []byte) (Record, error) {
	rec := Record{Source: FormatUpdateinfo, ID: strings.TrimSpace(u.ID), Summary: strings.TrimSpace(u.Title),
		Modified: u.Updated.Date, Raw: bytes.TrimSpace(append([]byte(nil), raw...))}
	if rec.Modified == "" {
		rec.Modified = u.Issued.Date
	}
	if rec.ID == "" {
		return rec, fmt.Errorf("id: the update has no <id>")
	}
	eco := ecosystem
	if eco == "" {
		// <release>Rocky Linux 8</release>: the last space separates the version.
		name, ver := splitBase(u.Release)
		var err error
		if eco, err = NormalizeEcosystem(name + ":" + ver); err != nil {
			return rec, fmt.Errorf("release: %v; give the ecosystem of the upstream", err)
		}
	}
	for _, ref := range u.References {
		if ref.Type == "cve" && strings.HasPrefix(ref.ID, "CVE-") {
			rec.Aliases = appendNew(rec.Aliases, ref.ID)
		}
	}
	rec.Severity = normalizeSeverity(u.Severity, rec.Summary)
	seen := map[string]bool{}
	for i, p := range u.Packages {
		if p.Name == "" || strings.ContainsAny(p.Name, " /") {
			return rec, fmt.Errorf("pkglist package %d: name %q is not a package name", i+1, p.Name)
		}
		evr := p.Version + "-" + p.Release
		if p.Epoch != "" && p.Epoch != "0" {
			evr = p.Epoch + ":" + evr
		}
		if p.Version == "" || p.Release == "" {
			return rec, fmt.Errorf("pkglist package %s: version and release are both needed", p.Name)
		}
		if err := validEVR(evr); err != nil {
			return rec, fmt.Errorf("pkglist package %s: %v", p.Name, err)
		}
		if seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		rec.Ranges = append(rec.Ranges, Range{Ecosystem: eco, Package: p.Name, Introduced: "0", Fixed: evr})
	}
	if len(rec.Ranges) == 0 {
		return rec, fmt.Errorf("pkglist: the update lists no package")
	}
	return rec, nil
}
