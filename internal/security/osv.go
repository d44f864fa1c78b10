package security

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
)

// osvEvent is one event of a range; exactly one field is set.
type osvEvent struct {
	Introduced   *string `json:"introduced"`
	Fixed        *string `json:"fixed"`
	LastAffected *string `json:"last_affected"`
	Limit        *string `json:"limit"`
}

type osvRecord struct {
	ID        string   `json:"id"`
	Modified  string   `json:"modified"`
	Withdrawn string   `json:"withdrawn"`
	Aliases   []string `json:"aliases"`
	Related   []string `json:"related"`
	Summary   string   `json:"summary"`
	Affected  []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string     `json:"type"`
			Events []osvEvent `json:"events"`
		} `json:"ranges"`
		EcosystemSpecific struct {
			Severity string `json:"severity"`
		} `json:"ecosystem_specific"`
	} `json:"affected"`
	DatabaseSpecific struct {
		Severity string `json:"severity"`
	} `json:"database_specific"`
}

// ParseOSV reads OSV records: one record or a JSON array of them. Each bad
// record is a Problem and is skipped; the good ones are returned. file
// names the input in problems.
func ParseOSV(r io.Reader, file string) ([]Record, []Problem) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []Problem{{File: file, Error: fmt.Sprintf("reading: %v", err)}}
	}
	trim := bytes.TrimSpace(data)
	var raws []json.RawMessage
	if len(trim) > 0 && trim[0] == '[' {
		if err := json.Unmarshal(trim, &raws); err != nil {
			return nil, []Problem{{File: file, Error: fmt.Sprintf("not a JSON array of OSV records: %v", err)}}
		}
	} else {
		raws = []json.RawMessage{trim}
	}
	// Records are independent: parse them on every core, keep the order.
	type parsed struct {
		rec Record
		err error
	}
	results := make([]parsed, len(raws))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(raws)/64))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(raws); i += workers {
				results[i].rec, results[i].err = parseOSVRecord(raws[i])
			}
		}(w)
	}
	wg.Wait()
	out := make([]Record, 0, len(raws))
	var problems []Problem
	for i := range results {
		rec, err := results[i].rec, results[i].err
		if err != nil {
			name := rec.ID
			if name == "" && len(raws) > 1 {
				name = fmt.Sprintf("record %d", i+1)
			}
			problems = append(problems, Problem{File: file, Record: name, Error: err.Error()})
			continue
		}
		rec.Origin = file
		out = append(out, rec)
	}
	return out, problems
}

func parseOSVRecord(raw []byte) (Record, error) {
	var o osvRecord
	if err := json.Unmarshal(raw, &o); err != nil {
		return Record{}, fmt.Errorf("not an OSV record (bad JSON): %v", err)
	}
	rec := Record{Source: FormatOSV, ID: strings.TrimSpace(o.ID), Modified: o.Modified, Summary: o.Summary,
		Withdrawn: o.Withdrawn != "", Raw: append([]byte(nil), raw...)}
	if rec.ID == "" {
		return rec, fmt.Errorf("id: the record has no id")
	}
	for _, a := range append(append([]string(nil), o.Aliases...), o.Related...) {
		if strings.HasPrefix(a, "CVE-") {
			rec.Aliases = appendNew(rec.Aliases, a)
		}
	}
	if strings.HasPrefix(rec.ID, "CVE-") {
		rec.Aliases = appendNew(rec.Aliases, rec.ID)
	}
	sev := o.DatabaseSpecific.Severity
	if len(o.Affected) == 0 {
		return rec, fmt.Errorf("affected: the record names no package")
	}
	for i, a := range o.Affected {
		eco, err := NormalizeEcosystem(a.Package.Ecosystem)
		if err != nil {
			return rec, fmt.Errorf("affected[%d].package: %v", i, err)
		}
		name := strings.TrimSpace(a.Package.Name)
		if name == "" || strings.ContainsAny(name, " /\t") {
			return rec, fmt.Errorf("affected[%d].package.name %q is not a package name", i, a.Package.Name)
		}
		if sev == "" {
			sev = a.EcosystemSpecific.Severity
		}
		for j, rg := range a.Ranges {
			where := fmt.Sprintf("affected[%d].ranges[%d]", i, j)
			if rg.Type != "ECOSYSTEM" {
				return rec, fmt.Errorf("%s: type %q; RPM records use ECOSYSTEM ranges", where, rg.Type)
			}
			ranges, err := osvEvents(eco, name, rg.Events)
			if err != nil {
				return rec, fmt.Errorf("%s: %v", where, err)
			}
			rec.Ranges = append(rec.Ranges, ranges...)
		}
	}
	if len(rec.Ranges) == 0 {
		return rec, fmt.Errorf("affected: no version range (an RPM record needs ranges with introduced and fixed)")
	}
	rec.Severity = normalizeSeverity(sev, rec.Summary)
	return rec, nil
}

// osvEvents turns a range's events into ranges: each "introduced" starts
// one, the next "fixed" or "last_affected" ends it.
func osvEvents(eco, name string, events []osvEvent) ([]Range, error) {
	var out []Range
	var cur *Range
	for k, ev := range events {
		var kind string
		var p *string
		n := 0
		for _, f := range []struct {
			kind string
			v    *string
		}{{"introduced", ev.Introduced}, {"fixed", ev.Fixed}, {"last_affected", ev.LastAffected}, {"limit", ev.Limit}} {
			if f.v != nil {
				kind, p = f.kind, f.v
				n++
			}
		}
		if n != 1 {
			return nil, fmt.Errorf("events[%d] must have exactly one of introduced, fixed, last_affected", k)
		}
		if kind == "limit" {
			continue
		}
		v := strings.TrimSpace(*p)
		if v != "0" || kind != "introduced" {
			if err := validEVR(v); err != nil {
				return nil, fmt.Errorf("events[%d].%s: %v", k, kind, err)
			}
		}
		switch kind {
		case "introduced":
			if cur != nil {
				out = append(out, *cur)
			}
			cur = &Range{Ecosystem: eco, Package: name, Introduced: v}
		default:
			if cur == nil {
				return nil, fmt.Errorf("events[%d]: %s %q comes before any \"introduced\" (a range must start with introduced)", k, kind, v)
			}
			if kind == "fixed" {
				cur.Fixed = v
			} else {
				cur.LastAffected = v
			}
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the range has no \"introduced\" event")
	}
	return out, nil
}

// normalizeSeverity maps the words records use (Important, HIGH ...) to
// the forge's four, falling back on Red Hat style summaries
// ("Important: openssl security update").
func normalizeSeverity(s, summary string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return "critical"
	case "important", "high":
		return "important"
	case "moderate", "medium":
		return "moderate"
	case "low":
		return "low"
	}
	if w, _, ok := strings.Cut(summary, ":"); ok && !strings.Contains(w, " ") && w != "" {
		return normalizeSeverity(w, "")
	}
	return ""
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
