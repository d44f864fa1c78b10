package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a policy.
type Problem struct {
	// File is the name given to Load; empty for a policy made in code.
	File string
	// Line and Column (1-based) say where in the file; 0 when unknown.
	Line, Column int
	// Key says where in the policy (`channel[2].accepts[0]`, indexes
	// from 0).
	Key string
	// Message says what is wrong, in words.
	Message string
}

// String is "FILE:LINE:COL: message" when the place in the file is known,
// else "KEY: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Column > 0 {
				fmt.Fprintf(&b, ":%d", p.Column)
			}
		}
		b.WriteString(": ")
	}
	if p.Line == 0 && p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError is every problem found in a policy, sorted by line.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return strings.Join(s, "\n")
}

// Validate checks that the policy is whole and consistent: names are
// given and unique, categories are listed lowest level first, channels
// accept known categories, promotions name known categories or channels,
// gates and roles, licences are valid SPDX. It returns a
// *ValidationError listing every problem, or nil.
func (p *Policy) Validate() error {
	found := p.problems()
	if len(found) == 0 {
		return nil
	}
	probs := make([]Problem, len(found))
	for i, f := range found {
		probs[i] = Problem{Key: f.key.String(), Message: f.msg}
	}
	return &ValidationError{Problems: probs}
}

// keyedProblem is a problem and where in the policy it is.
type keyedProblem struct {
	key keyPath
	msg string
}

type problemList []keyedProblem

func (l *problemList) add(k keyPath, format string, a ...any) {
	*l = append(*l, keyedProblem{k, fmt.Sprintf(format, a...)})
}

var (
	categoryNameRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)
	// Channel names become parts of URLs and paths (as catalog.ValidName).
	channelNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`)
	// Client names are yum/dnf repository ids.
	clientNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)
	roleNameRe   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)
)

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func (p *Policy) problems() []keyedProblem {
	var l problemList
	if strings.TrimSpace(p.Name) == "" {
		l.add(at("name"), "name is empty: say whose policy this is (\"SME Server\")")
	}

	// Categories.
	var catNames []string
	if len(p.Categories) == 0 {
		l.add(at("category"), "there are no categories: a policy needs at least one [[category]]")
	}
	prevLevel, prevName := 0, ""
	for i, c := range p.Categories {
		switch {
		case c.Name == "":
			l.add(at("category", i), "category #%d has no name", i+1)
		case !categoryNameRe.MatchString(c.Name):
			l.add(at("category", i, "name"), "category name %q: use lower-case letters, digits and '-', starting with a letter", c.Name)
		case slices.Contains(catNames, c.Name):
			l.add(at("category", i, "name"), "category %q is defined twice", c.Name)
		}
		if c.Name != "" {
			catNames = append(catNames, c.Name)
		}
		switch {
		case c.Level < 1:
			l.add(at("category", i, "level"), "category %q: level must be 1 or more, not %d", c.Name, c.Level)
		case prevName != "" && c.Level <= prevLevel:
			l.add(at("category", i, "level"), "category %q: level %d is not above level %d of %q listed before it (list categories lowest level first, each level once)", c.Name, c.Level, prevLevel, prevName)
		}
		if c.Level >= 1 {
			prevLevel, prevName = c.Level, c.Name
		}
		if !slices.Contains([]string{MonitorFull, MonitorBestEffort, MonitorNone}, c.Monitoring) {
			l.add(at("category", i, "monitoring"), "category %q: monitoring %q is not one of \"full\", \"best-effort\", \"none\"", c.Name, c.Monitoring)
		}
	}
	isCategory := func(n string) bool { return slices.Contains(catNames, n) }
	switch {
	case p.NewBuildCategory == "":
		l.add(at("new_build_category"), "new_build_category is empty: say which category new uploads start in")
	case !isCategory(p.NewBuildCategory):
		l.add(at("new_build_category"), "new_build_category %q is not a category (categories: %s)", p.NewBuildCategory, quoted(catNames))
	}

	// Channels.
	var chanNames, clientNames []string
	if len(p.Channels) == 0 {
		l.add(at("channel"), "there are no channels: a policy needs at least one [[channel]]")
	}
	for i, c := range p.Channels {
		switch {
		case c.Name == "":
			l.add(at("channel", i), "channel #%d has no name", i+1)
		case !channelNameRe.MatchString(c.Name) || strings.Contains(c.Name, ".."):
			l.add(at("channel", i, "name"), "channel name %q: use 1 to 64 letters, digits, '.', '_', '+' or '-', starting with a letter or digit", c.Name)
		case slices.Contains(chanNames, c.Name):
			l.add(at("channel", i, "name"), "channel %q is defined twice", c.Name)
		}
		if c.Name != "" {
			chanNames = append(chanNames, c.Name)
		}
		switch {
		case c.ClientName == "":
			l.add(at("channel", i, "client_name"), "channel %q has no client_name (the repository id on client servers, like \"smeos\")", c.Name)
		case !clientNameRe.MatchString(c.ClientName):
			l.add(at("channel", i, "client_name"), "channel %q: client_name %q is not a repository id: use letters, digits, '.', '_', ':' or '-'", c.Name, c.ClientName)
		case slices.Contains(clientNames, c.ClientName):
			l.add(at("channel", i, "client_name"), "channel %q: client_name %q is already used by another channel", c.Name, c.ClientName)
		}
		if c.ClientName != "" {
			clientNames = append(clientNames, c.ClientName)
		}
		if len(c.Accepts) == 0 {
			l.add(at("channel", i, "accepts"), "channel %q accepts no category: list the categories whose builds may enter it", c.Name)
		}
		for j, a := range c.Accepts {
			switch {
			case !isCategory(a):
				l.add(at("channel", i, "accepts", j), "channel %q accepts %q, which is not a category (categories: %s)", c.Name, a, quoted(catNames))
			case slices.Contains(c.Accepts[:j], a):
				l.add(at("channel", i, "accepts", j), "channel %q accepts %q twice", c.Name, a)
			}
		}
		if c.Enabled && !c.Visible {
			l.add(at("channel", i, "enabled"), "channel %q is enabled but not visible: a server cannot install from a channel its .repo file does not list", c.Name)
		}
		if c.Retention < 0 {
			l.add(at("channel", i, "retention"), "channel %q: retention must be 0 (keep every version) or more, not %d", c.Name, c.Retention)
		}
	}

	// Roles and actions, before the promotions that name roles.
	var roleNames []string
	for i, r := range p.Roles {
		switch {
		case r.Name == "":
			l.add(at("role", i), "role #%d has no name", i+1)
		case !roleNameRe.MatchString(r.Name):
			l.add(at("role", i, "name"), "role name %q: use lower-case letters, digits and '-', starting with a letter", r.Name)
		case slices.Contains(roleNames, r.Name):
			l.add(at("role", i, "name"), "role %q is defined twice", r.Name)
		}
		if r.Name != "" {
			roleNames = append(roleNames, r.Name)
		}
	}
	for i, a := range p.Actions {
		switch {
		case !roleNameRe.MatchString(a):
			l.add(at("actions", i), "action name %q: use lower-case letters, digits and '-', starting with a letter", a)
		case slices.Contains(p.Actions[:i], a):
			l.add(at("actions", i), "action %q is listed twice", a)
		}
	}
	for _, role := range sortedKeys(p.Grants) {
		if !slices.Contains(roleNames, role) {
			l.add(at("grants", role), "grants name %q, which is not a role (roles: %s)", role, quoted(roleNames))
		}
		for j, a := range p.Grants[role] {
			switch {
			case !slices.Contains(p.Actions, a):
				l.add(at("grants", role, j), "grants give %q the action %q, which is not in actions", role, a)
			case slices.Contains(p.Grants[role][:j], a):
				l.add(at("grants", role, j), "grants give %q the action %q twice", role, a)
			}
		}
	}

	// Promotions.
	usesGate := map[string]string{} // gate -> first promotion that uses it
	for i, pr := range p.Promotions {
		name := fmt.Sprintf("%s -> %s", pr.From, pr.To)
		for _, end := range []struct{ key, v string }{{"from", pr.From}, {"to", pr.To}} {
			switch {
			case end.v == "":
				l.add(at("promotion", i, end.key), "promotion #%d has no %q", i+1, end.key)
			case !isCategory(end.v) && !slices.Contains(chanNames, end.v):
				l.add(at("promotion", i, end.key), "promotion %s: %q is neither a category nor a channel", name, end.v)
			}
		}
		if pr.From != "" && pr.From == pr.To {
			l.add(at("promotion", i, "to"), "promotion %s goes nowhere: from and to are the same", name)
		}
		if slices.ContainsFunc(p.Promotions[:i], func(o Promotion) bool { return o.From == pr.From && o.To == pr.To }) {
			l.add(at("promotion", i), "promotion %s is defined twice", name)
		}
		for j, g := range pr.Gates {
			switch {
			case !slices.Contains(KnownGates(), g):
				l.add(at("promotion", i, "gates", j), "promotion %s: gate %q is not one of %s", name, g, quoted(KnownGates()))
			case slices.Contains(pr.Gates[:j], g):
				l.add(at("promotion", i, "gates", j), "promotion %s: gate %q is listed twice", name, g)
			}
			if _, ok := usesGate[g]; !ok {
				usesGate[g] = name
			}
		}
		if pr.AllowForkAgreement && !slices.Contains(pr.Gates, GateFork) {
			l.add(at("promotion", i, "allow_fork_agreement"), "promotion %s allows a fork agreement but has no \"fork\" gate for it to lift", name)
		}
		for j, r := range pr.Reviews {
			if !slices.Contains(roleNames, r.Role) {
				l.add(at("promotion", i, "review", j, "role"), "promotion %s: review by %q, which is not a role (roles: %s)", name, r.Role, quoted(roleNames))
			}
			if r.Count < 1 {
				l.add(at("promotion", i, "review", j, "count"), "promotion %s: review by %q needs a count of 1 or more, not %d", name, r.Role, r.Count)
			}
		}
		if pr.MinDaysInTesting < 0 {
			l.add(at("promotion", i, "min_days_in_testing"), "promotion %s: min_days_in_testing must be 0 or more, not %d", name, pr.MinDaysInTesting)
		}
	}
	for j, r := range p.ForkReviews {
		if !slices.Contains(roleNames, r.Role) {
			l.add(at("fork_reviews", j, "role"), "fork_reviews: review by %q, which is not a role (roles: %s)", r.Role, quoted(roleNames))
		}
		if r.Count < 1 {
			l.add(at("fork_reviews", j, "count"), "fork_reviews: review by %q needs a count of 1 or more, not %d", r.Role, r.Count)
		}
		if slices.ContainsFunc(p.ForkReviews[:j], func(o Review) bool { return o.Role == r.Role }) {
			l.add(at("fork_reviews", j, "role"), "fork_reviews: role %q is listed twice", r.Role)
		}
	}
	if slices.ContainsFunc(p.Promotions, func(pr Promotion) bool { return pr.AllowForkAgreement }) && len(p.ForkReviews) == 0 {
		l.add(at("fork_reviews"), "fork_reviews is empty but a promotion allows fork agreements: say who must approve one (for example dm 1, core-developer 2)")
	}
	if by, ok := usesGate[GateTested]; ok && p.TestedThreshold < 1 {
		l.add(at("tested_threshold"), "tested_threshold is %d but promotion %s has the \"tested\" gate: say how many \"works\" reports it needs (1 or more)", p.TestedThreshold, by)
	} else if p.TestedThreshold < 0 {
		l.add(at("tested_threshold"), "tested_threshold must be 0 or more, not %d", p.TestedThreshold)
	}
	if by, ok := usesGate[GateMaintainer]; ok && p.MaintainerWindowDays < 1 {
		l.add(at("maintainer_window_days"), "maintainer_window_days is %d but promotion %s has the \"maintainer\" gate: say after how many idle days a maintainer is no longer active (1 or more)", p.MaintainerWindowDays, by)
	} else if p.MaintainerWindowDays < 0 {
		l.add(at("maintainer_window_days"), "maintainer_window_days must be 0 or more, not %d", p.MaintainerWindowDays)
	}
	if _, err := parseAdvisoryFormat(p.AdvisoryIDFormat); err != nil {
		l.add(at("advisory_id_format"), "advisory_id_format %v", err)
	}

	// Licences.
	if by, ok := usesGate[GateLicence]; ok && len(p.Licences.Allowed) == 0 {
		l.add(at("licences", "allowed"), "licences.allowed is empty but promotion %s has the \"licence\" gate: no package could pass it", by)
	}
	var allowedKeys []string
	legacy := newLicenceChecker(Licences{Legacy: p.Licences.Legacy})
	if len(p.Licences.Legacy) == 0 {
		legacy = Default().LicenceChecker()
	}
	for i, a := range p.Licences.Allowed {
		e, probs := parseStrictSPDX(a)
		if len(probs) > 0 {
			if v, ok := legacy.lookupLegacy(a); ok {
				l.add(at("licences", "allowed", i), "%q is an old Fedora name, not SPDX: write %q", a, v)
			} else {
				l.add(at("licences", "allowed", i), "%q is not a valid SPDX expression: %s", a, strings.Join(probs, "; "))
			}
			continue
		}
		if d := deprecatedIDs(e); len(d) > 0 {
			l.add(at("licences", "allowed", i), "%q uses the deprecated SPDX identifier %s: write its current form (for example GPL-2.0-only, GPL-2.0-or-later)", a, quoted(d))
		}
		if slices.Contains(allowedKeys, e.key()) {
			l.add(at("licences", "allowed", i), "%q is listed twice", a)
		}
		allowedKeys = append(allowedKeys, e.key())
	}
	seenLegacy := map[string]string{}
	for _, name := range sortedKeys(p.Licences.Legacy) {
		v := p.Licences.Legacy[name]
		k := at("licences", "legacy", name)
		if strings.TrimSpace(name) == "" {
			l.add(k, "licences.legacy has an empty name")
			continue
		}
		if other, dup := seenLegacy[strings.ToLower(name)]; dup {
			l.add(k, "licences.legacy names %q and %q differ only in case (names are matched ignoring case)", other, name)
		}
		seenLegacy[strings.ToLower(name)] = name
		if _, probs := parseStrictSPDX(v); len(probs) > 0 {
			l.add(k, "licences.legacy maps %q to %q, which is not a valid SPDX expression: %s", name, v, strings.Join(probs, "; "))
		}
	}

	if p.Retention.Publications < 0 {
		l.add(at("retention", "publications"), "retention.publications must be 0 (keep them all) or more, not %d", p.Retention.Publications)
	}
	return l
}

func deprecatedIDs(e *licExpr) []string {
	if e.op == "" {
		if e.deprecated {
			return []string{e.id}
		}
		return nil
	}
	var d []string
	for _, a := range e.args {
		d = append(d, deprecatedIDs(a)...)
	}
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}
