package policy

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// licencesTSV is the built-in table of old Fedora licence names; see the
// comment at its top for the format.
//
//go:embed licences.tsv
var licencesTSV string

// LegacyLicence is one row of the built-in table of old Fedora licence
// names.
type LegacyLicence struct {
	Name string // as packages write it ("GPLv2+")
	SPDX string // what it stands for ("GPL-2.0-or-later")
	Note string // why the mapping is a choice, when it is one
}

// BuiltinLegacyLicences returns the built-in table (licences.tsv) in its
// order.
func BuiltinLegacyLicences() []LegacyLicence {
	rows, err := parseLegacyTable(licencesTSV)
	if err != nil {
		// The table is part of the binary and a test reads it: this is
		// a build mistake, not a run-time condition.
		panic("policy: licences.tsv: " + err.Error())
	}
	return rows
}

func parseLegacyTable(s string) ([]LegacyLicence, error) {
	var rows []LegacyLicence
	seen := map[string]int{}
	for i, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 || len(f) > 3 || strings.TrimSpace(f[0]) == "" || strings.TrimSpace(f[1]) == "" {
			return nil, fmt.Errorf("line %d: want NAME<TAB>SPDX[<TAB>NOTE], got %q", i+1, line)
		}
		r := LegacyLicence{Name: strings.TrimSpace(f[0]), SPDX: strings.TrimSpace(f[1])}
		if len(f) == 3 {
			r.Note = strings.TrimSpace(f[2])
		}
		k := strings.ToLower(r.Name)
		if first, dup := seen[k]; dup {
			return nil, fmt.Errorf("line %d: %q is already mapped on line %d", i+1, r.Name, first)
		}
		seen[k] = i + 1
		rows = append(rows, r)
	}
	return rows, nil
}

// LicenceVerdict is the judgement of one License tag.
type LicenceVerdict struct {
	// OK: the tag is understood and allowed.
	OK bool
	// SPDX is the tag as an SPDX expression; empty when some part of the
	// tag is not understood.
	SPDX string
	// Problems say in words which part is not allowed or not understood.
	Problems []string
}

// CheckLicence judges a License tag of an RPM: an SPDX expression
// ("GPL-2.0-or-later AND MIT"), an old Fedora short name ("GPLv2+") or a
// Fedora expression ("(GPLv2+ or Artistic) and MIT").
//
// The whole tag is first looked up in Licences.Legacy; if it is not there,
// it is split on "and", "or" (either case) and parentheses, and each part
// is looked up in Licences.Legacy, then read as an SPDX identifier, with
// "WITH exception" when it has one. AND binds more tightly than OR, as in
// SPDX. The result is checked by go-spdx.
//
// An expression is allowed when some choice among its OR branches has all
// its AND parts allowed. A part is allowed when Licences.Allowed lists it
// (or lists the whole sub-expression), and also when
//   - it is "L WITH exception" and L is allowed (an exception only adds
//     permissions);
//   - it is "L+" and L is allowed;
//   - it is a GPL, LGPL, AGPL or GFDL "-or-later" and an allowed licence
//     of the same family has that version or a later one (the "or later"
//     lets the user choose it).
//
// CheckLicence prepares the policy's licence lists on each call; to judge
// many tags, use LicenceChecker once.
func (p *Policy) CheckLicence(tag string) LicenceVerdict {
	return p.LicenceChecker().Check(tag)
}

// LicenceChecker returns the policy's licence lists made ready to judge
// many tags. It keeps a copy: later changes to p do not reach it. It is
// safe for concurrent use.
func (p *Policy) LicenceChecker() *LicenceChecker {
	return newLicenceChecker(p.Licences)
}

// licExpr is a licence expression: a licence (op == "") or an AND / OR of
// two or more sub-expressions (never an AND directly inside an AND).
type licExpr struct {
	op         string // "", "AND", "OR"
	args       []*licExpr
	id         string // SPDX identifier or LicenseRef
	plus       bool   // "id+": this version or later
	exception  string // SPDX exception id, after WITH
	deprecated bool   // id is a deprecated SPDX identifier
}

func (e *licExpr) String() string {
	if e.op == "" {
		s := e.id
		if e.plus {
			s += "+"
		}
		if e.exception != "" {
			s += " WITH " + e.exception
		}
		return s
	}
	parts := make([]string, len(e.args))
	for i, a := range e.args {
		parts[i] = a.String()
		if a.op != "" {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " "+e.op+" ")
}

// key is a comparison form: case folded, operands sorted.
func (e *licExpr) key() string {
	if e.op == "" {
		return strings.ToUpper(e.String())
	}
	ks := make([]string, len(e.args))
	for i, a := range e.args {
		ks[i] = a.key()
	}
	slices.Sort(ks)
	return "(" + strings.Join(ks, " "+e.op+" ") + ")"
}

func joinExpr(op string, a, b *licExpr) *licExpr {
	e := &licExpr{op: op}
	for _, x := range []*licExpr{a, b} {
		if x.op == op {
			e.args = append(e.args, x.args...)
		} else {
			e.args = append(e.args, x)
		}
	}
	return e
}

// licToken is a parenthesis, a connector or a name (one or more words).
type licToken struct {
	kind byte // '(' ')' '&' (and) '|' (or) 'n' (name)
	text string
}

func tokenizeLicence(s string) []licToken {
	var toks []licToken
	word := func(w string) {
		switch {
		case strings.EqualFold(w, "and"):
			toks = append(toks, licToken{'&', w})
		case strings.EqualFold(w, "or"):
			toks = append(toks, licToken{'|', w})
		case len(toks) > 0 && toks[len(toks)-1].kind == 'n':
			toks[len(toks)-1].text += " " + w
		default:
			toks = append(toks, licToken{'n', w})
		}
	}
	start := -1
	for i, r := range s {
		sep := r == '(' || r == ')' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
		if !sep {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			word(s[start:i])
			start = -1
		}
		if r == '(' || r == ')' {
			toks = append(toks, licToken{byte(r), string(r)})
		}
	}
	if start >= 0 {
		word(s[start:])
	}
	return toks
}

// licParser reads tokens into a licExpr; names are resolved by resolve,
// whose problems are collected (the parse goes on), while a syntax error
// stops it.
type licParser struct {
	toks     []licToken
	i        int
	resolve  func(string) (*licExpr, string)
	problems []string
}

type licSyntaxError string

func (e licSyntaxError) Error() string { return string(e) }

func connectorWord(t licToken) string {
	if t.kind == '&' || t.kind == '|' {
		return t.text
	}
	return string(t.kind)
}

func (p *licParser) parseOr() (*licExpr, error) {
	e, err := p.parseAnd()
	for err == nil && p.i < len(p.toks) && p.toks[p.i].kind == '|' {
		p.i++
		var r *licExpr
		if r, err = p.parseAnd(); err == nil {
			e = joinExpr("OR", e, r)
		}
	}
	return e, err
}

func (p *licParser) parseAnd() (*licExpr, error) {
	e, err := p.parsePrimary()
	for err == nil && p.i < len(p.toks) && p.toks[p.i].kind == '&' {
		p.i++
		var r *licExpr
		if r, err = p.parsePrimary(); err == nil {
			e = joinExpr("AND", e, r)
		}
	}
	return e, err
}

func (p *licParser) parsePrimary() (*licExpr, error) {
	if p.i >= len(p.toks) {
		if p.i == 0 {
			return nil, licSyntaxError("there is no licence")
		}
		return nil, licSyntaxError(fmt.Sprintf("%q at the end has no licence after it", connectorWord(p.toks[p.i-1])))
	}
	t := p.toks[p.i]
	p.i++
	switch t.kind {
	case '(':
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.i >= len(p.toks) || p.toks[p.i].kind != ')' {
			return nil, licSyntaxError(`a "(" is not closed`)
		}
		p.i++
		return e, nil
	case ')':
		return nil, licSyntaxError(`a ")" has no licence before it`)
	case '&', '|':
		return nil, licSyntaxError(fmt.Sprintf("%q has no licence before it", t.text))
	}
	e, prob := p.resolve(t.text)
	if prob != "" {
		p.problems = append(p.problems, prob)
		e = &licExpr{id: t.text}
	}
	return e, nil
}

// parseLicence parses s; resolve turns a name into an expression.
func parseLicence(s string, resolve func(string) (*licExpr, string)) (*licExpr, []string) {
	p := &licParser{toks: tokenizeLicence(s), resolve: resolve}
	e, err := p.parseOr()
	if err == nil && p.i < len(p.toks) {
		t := p.toks[p.i]
		if t.kind == ')' {
			err = licSyntaxError(`a ")" has no "(" before it`)
		} else {
			err = licSyntaxError(fmt.Sprintf("%q follows %q without \"and\" or \"or\" between them", t.text, p.toks[p.i-1].text))
		}
	}
	if err != nil {
		return nil, []string{fmt.Sprintf("%q is not a licence expression: %v", s, err)}
	}
	return e, p.problems
}

var licenseRefRe = regexp.MustCompile(`^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$`)

// resolveSPDX reads one name as an SPDX licence, with "WITH exception"
// when it has one. legacy, when not nil, is tried first for the name and
// for the licence before WITH.
func resolveSPDX(name string, legacy func(string) (string, bool)) (*licExpr, string) {
	if legacy != nil {
		if v, ok := legacy(name); ok {
			e, probs := parseLicence(v, func(n string) (*licExpr, string) { return resolveSPDX(n, nil) })
			if len(probs) > 0 {
				return nil, fmt.Sprintf("%q reads as %q, which is not a valid SPDX expression (fix licences.legacy)", name, v)
			}
			return e, ""
		}
	}
	if i := strings.Index(strings.ToLower(name), " with "); i >= 0 {
		lic, exc := strings.TrimSpace(name[:i]), strings.TrimSpace(name[i+len(" with "):])
		if strings.EqualFold(exc, "exceptions") || strings.EqualFold(exc, "exception") {
			return nil, fmt.Sprintf("%q does not say which exception: write it in SPDX, for example \"GPL-2.0-or-later WITH Classpath-exception-2.0\"", name)
		}
		base, prob := resolveSPDX(lic, legacy)
		if prob != "" {
			return nil, prob
		}
		if base.op != "" || base.exception != "" {
			return nil, fmt.Sprintf("%q: WITH must follow a single licence", name)
		}
		ok, norm := spdxlicenses.IsException(exc)
		if !ok {
			return nil, fmt.Sprintf("%q is not a known SPDX licence exception", exc)
		}
		e := *base
		e.exception = norm
		return &e, ""
	}
	notKnown := fmt.Sprintf("%q is not a known licence name", name)
	if legacy == nil {
		notKnown = fmt.Sprintf("%q is not an SPDX licence identifier", name)
	}
	if strings.ContainsAny(name, " \t") {
		return nil, notKnown
	}
	if licenseRefRe.MatchString(name) {
		return &licExpr{id: name}, ""
	}
	if ok, norm := spdxlicenses.IsActiveLicense(name); ok {
		return &licExpr{id: norm}, ""
	}
	if ok, norm := spdxlicenses.IsDeprecatedLicense(name); ok {
		return &licExpr{id: norm, deprecated: true}, ""
	}
	if base, ok := strings.CutSuffix(name, "+"); ok {
		if ok, norm := spdxlicenses.IsActiveLicense(base); ok {
			return &licExpr{id: norm, plus: true}, ""
		}
		if ok, norm := spdxlicenses.IsDeprecatedLicense(base); ok {
			return &licExpr{id: norm, plus: true, deprecated: true}, ""
		}
	}
	return nil, notKnown
}

// parseSPDX parses an SPDX expression (no Fedora names).
func parseSPDX(s string) (*licExpr, []string) {
	return parseLicence(s, func(n string) (*licExpr, string) { return resolveSPDX(n, nil) })
}

// parseStrictSPDX parses an SPDX expression as the policy file writes it
// (no Fedora names) and has go-spdx check it.
func parseStrictSPDX(s string) (*licExpr, []string) {
	e, probs := parseSPDX(s)
	if len(probs) == 0 {
		if ok, _ := spdxexp.ValidateLicenses([]string{e.String()}); !ok {
			probs = append(probs, fmt.Sprintf("go-spdx does not accept %q", e.String()))
		}
	}
	return e, probs
}

// LicenceChecker judges License tags against a policy (see
// Policy.CheckLicence).
type LicenceChecker struct {
	legacy  map[string]string // case-folded Fedora name -> SPDX
	exact   map[string]bool   // keys of allowed expressions
	allowed []*licExpr        // allowed single licences
}

func newLicenceChecker(l Licences) *LicenceChecker {
	c := &LicenceChecker{legacy: map[string]string{}, exact: map[string]bool{}}
	// Names are matched ignoring case; Validate refuses two names that
	// differ only in case.
	for k, v := range l.Legacy {
		c.legacy[strings.ToLower(k)] = v
	}
	for _, a := range l.Allowed {
		e, probs := parseSPDX(a)
		if len(probs) > 0 {
			continue // Validate reports it
		}
		c.exact[e.key()] = true
		if e.op == "" && e.exception == "" {
			c.allowed = append(c.allowed, e)
		}
	}
	return c
}

func (c *LicenceChecker) lookupLegacy(name string) (string, bool) {
	v, ok := c.legacy[strings.ToLower(name)]
	return v, ok
}

// Check judges one License tag as Policy.CheckLicence does.
func (c *LicenceChecker) Check(tag string) LicenceVerdict {
	tag = strings.Join(strings.Fields(tag), " ")
	if tag == "" {
		return LicenceVerdict{Problems: []string{"the licence tag is empty"}}
	}
	resolve := func(n string) (*licExpr, string) { return resolveSPDX(n, c.lookupLegacy) }
	var e *licExpr
	var probs []string
	if _, ok := c.lookupLegacy(tag); ok {
		var prob string
		if e, prob = resolve(tag); prob != "" {
			probs = []string{prob}
		}
	} else {
		e, probs = parseLicence(tag, resolve)
	}
	if len(probs) > 0 {
		return LicenceVerdict{Problems: probs}
	}
	v := LicenceVerdict{SPDX: e.String()}
	if ok, _ := spdxexp.ValidateLicenses([]string{v.SPDX}); !ok {
		v.Problems = []string{fmt.Sprintf("%q is not a valid SPDX expression", v.SPDX)}
		return v
	}
	if !c.allows(e) {
		v.Problems = c.explain(e)
		return v
	}
	v.OK = true
	return v
}

func (c *LicenceChecker) allows(e *licExpr) bool {
	if c.exact[e.key()] {
		return true
	}
	switch e.op {
	case "AND":
		for _, a := range e.args {
			if !c.allows(a) {
				return false
			}
		}
		return true
	case "OR":
		return slices.ContainsFunc(e.args, c.allows)
	}
	if e.exception != "" {
		b := *e
		b.exception = ""
		return c.allows(&b)
	}
	if e.plus {
		b := *e
		b.plus = false
		return c.allows(&b)
	}
	if fam, v, later := versionedLicence(e.id); later {
		for _, a := range c.allowed {
			if f2, v2, _ := versionedLicence(a.id); f2 == fam && v2.atLeast(v) {
				return true
			}
		}
	}
	return false
}

var versionedRe = regexp.MustCompile(`^(GPL|LGPL|AGPL|GFDL)-(\d+)\.(\d+)-(only|or-later)$`)

type licVersion struct{ major, minor int }

func (v licVersion) atLeast(w licVersion) bool {
	return v.major > w.major || v.major == w.major && v.minor >= w.minor
}

// versionedLicence splits "GPL-2.0-or-later" into GPL, 2.0, true.
func versionedLicence(id string) (family string, v licVersion, orLater bool) {
	m := versionedRe.FindStringSubmatch(id)
	if m == nil {
		return "", v, false
	}
	v.major, _ = strconv.Atoi(m[2])
	v.minor, _ = strconv.Atoi(m[3])
	return m[1], v, m[4] == "or-later"
}

// explain says why e, which is not allowed, is not.
func (c *LicenceChecker) explain(e *licExpr) []string {
	var msgs []string
	switch e.op {
	case "":
		return []string{fmt.Sprintf("%q is not allowed", e.String())}
	case "AND":
		var ok, bad []*licExpr
		for _, a := range e.args {
			if c.allows(a) {
				ok = append(ok, a)
			} else {
				bad = append(bad, a)
			}
		}
		if len(ok) > 0 {
			msgs = append(msgs, fmt.Sprintf("%s %s allowed but %s %s not", quoteList(ok, "and"), isAre(ok), quoteList(bad, "and"), isAre(bad)))
		} else {
			msgs = append(msgs, fmt.Sprintf("%s %s not allowed", quoteList(bad, "and"), isAre(bad)))
		}
		for _, b := range bad {
			if b.op != "" {
				msgs = append(msgs, c.explain(b)...)
			}
		}
	case "OR":
		if len(e.args) == 2 {
			msgs = append(msgs, fmt.Sprintf("neither %q nor %q is allowed", e.args[0].String(), e.args[1].String()))
		} else {
			msgs = append(msgs, fmt.Sprintf("none of %s is allowed", quoteList(e.args, "or")))
		}
		for _, b := range e.args {
			if b.op != "" {
				msgs = append(msgs, c.explain(b)...)
			}
		}
	}
	return msgs
}

func quoteList(es []*licExpr, conj string) string {
	q := make([]string, len(es))
	for i, e := range es {
		q[i] = strconv.Quote(e.String())
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + conj + " " + q[len(q)-1]
}

func isAre[T any](s []T) string {
	if len(s) == 1 {
		return "is"
	}
	return "are"
}
