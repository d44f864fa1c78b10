// Package policy holds the distribution's rules as data: categories and
// their order, protected categories, channels and what they accept,
// licences, promotion gates, roles, retention. The SME Server policy is
// built in; a TOML file can replace it.
//
// A Policy is a plain value: Default returns a fresh copy of the SME Server
// policy, Load reads one from TOML and checks it, Encode writes one back.
// Nothing in this package keeps state between calls. Treat a loaded
// *Policy as read-only and it may be shared by goroutines.
package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Policy is the whole rule set of a distribution.
type Policy struct {
	// Name says whose policy this is ("SME Server").
	Name string `toml:"name"`
	// NewBuildCategory is where every newly uploaded build starts.
	NewBuildCategory string `toml:"new_build_category"`
	// TestedThreshold is how many "works" test reports the "tested" gate
	// needs.
	TestedThreshold int `toml:"tested_threshold"`
	// MaintainerWindowDays: a maintainer who has done nothing for longer is
	// no longer "active" for the "maintainer" gate.
	MaintainerWindowDays int `toml:"maintainer_window_days"`
	// AdvisoryIDFormat names the project's advisories: %Y is the year, then
	// one printf integer verb (%d, %04d) for the number within the year.
	AdvisoryIDFormat string `toml:"advisory_id_format"`
	// Actions are the things a role may be granted (see Grants).
	Actions []string `toml:"actions"`

	// Categories, lowest level first.
	Categories []Category `toml:"category"`
	// Channels of every release, in the order clients list them.
	Channels []ChannelRule `toml:"channel"`
	// Promotions are the allowed moves of a build and what each requires.
	Promotions []Promotion `toml:"promotion"`
	// ForkReviews are the approvals a fork agreement needs, per role,
	// before the "fork" gate accepts the fork it covers.
	ForkReviews []Review `toml:"fork_reviews"`
	// Roles people can hold.
	Roles []Role `toml:"role"`
	// Grants says which actions each role may take: role name -> actions.
	Grants map[string][]string `toml:"grants"`
	// Licences says which licences are allowed and how old Fedora licence
	// names read in SPDX.
	Licences Licences `toml:"licences"`
	// Retention says how long things are kept.
	Retention Retention `toml:"retention"`
}

// Category is a policy level of packages (base, infra, core, addons, test,
// dev). A higher level may depend on lower ones, never the other way.
type Category struct {
	Name        string `toml:"name"`
	Description string `toml:"description"`
	// Level orders the categories, lowest first; levels are distinct.
	Level int `toml:"level"`
	// Protected categories may not be replaced or modified by a build of
	// another category (a fork) unless a fork agreement says so.
	Protected bool `toml:"protected"`
	// Monitoring is how closely the security team watches the category:
	// MonitorFull, MonitorBestEffort or MonitorNone.
	Monitoring string `toml:"monitoring"`
	// Signed categories are rebuilt and signed with the project's key;
	// others keep their upstream signatures (base) or none.
	Signed bool `toml:"signed"`
}

// Monitoring levels of a category.
const (
	MonitorFull       = "full"
	MonitorBestEffort = "best-effort"
	MonitorNone       = "none"
)

// ChannelRule is what the policy says about one channel of every release.
type ChannelRule struct {
	Name string `toml:"name"`
	// ClientName is the repository id client servers use ("smeos").
	ClientName  string `toml:"client_name"`
	Description string `toml:"description"`
	// Accepts lists the categories whose builds may enter the channel.
	Accepts []string `toml:"accepts"`
	// Enabled: client servers install from it by default.
	Enabled bool `toml:"enabled"`
	// Visible: client servers have it in their .repo file (perhaps
	// disabled).
	Visible bool `toml:"visible"`
	// FrozenAtFinal: nothing enters or leaves once the release is final.
	FrozenAtFinal bool `toml:"frozen_at_final"`
	// RequireSigned: publishing refuses an unsigned package.
	RequireSigned bool `toml:"require_signed"`
	// Retention is how many versions of a package the channel keeps; 0
	// keeps them all.
	Retention int `toml:"retention"`
}

// Promotion is one allowed move of a build, from a category or channel to
// another, and what it needs.
type Promotion struct {
	From string `toml:"from"`
	To   string `toml:"to"`
	// Gates are the automatic checks that must pass (Gate* constants).
	Gates []string `toml:"gates"`
	// AllowForkAgreement: the "fork" gate passes for a build that replaces
	// a protected package when a fork agreement was approved in advance.
	// Without it a fork is always refused.
	AllowForkAgreement bool `toml:"allow_fork_agreement"`
	// Reviews are the approvals needed, per role.
	Reviews []Review `toml:"review"`
	// MinDaysInTesting is how long the build must have been in its testing
	// channel.
	MinDaysInTesting int `toml:"min_days_in_testing"`
}

// Review asks for Count approvals by people holding Role.
type Review struct {
	Role  string `toml:"role"`
	Count int    `toml:"count"`
}

// Gates a promotion can require.
const (
	GateRPMAndSRPM = "rpm-and-srpm" // the build has its SRPM and its binaries
	GateLicence    = "licence"      // every licence tag is allowed (CheckLicence)
	GateMaintainer = "maintainer"   // an identified, active maintainer
	GateFork       = "fork"         // replaces no protected package (or has an agreement)
	GateLayering   = "layering"     // depends only on its own level and lower ones
	GateClosure    = "closure"      // the target channel's dependencies still resolve
	GateTested     = "tested"       // enough "works" test reports, none failing
)

// KnownGates returns every gate name a promotion may use.
func KnownGates() []string {
	return []string{GateRPMAndSRPM, GateLicence, GateMaintainer, GateFork, GateLayering, GateClosure, GateTested}
}

// Role is a responsibility people can hold.
type Role struct {
	Name        string `toml:"name"`
	Description string `toml:"description"`
}

// Licences is the licence part of the policy.
type Licences struct {
	// Allowed are SPDX licence identifiers ("MIT"), identifiers with an
	// exception ("GPL-2.0-or-later WITH Classpath-exception-2.0") or whole
	// expressions ("GPL-1.0-or-later OR Artistic-1.0-Perl") that packages
	// may carry. See CheckLicence for how an expression is judged.
	Allowed []string `toml:"allowed"`
	// Legacy maps old Fedora licence short names ("GPLv2+", "ASL 2.0") to
	// SPDX expressions. The built-in table is licences.tsv.
	Legacy map[string]string `toml:"legacy"`
}

// Retention says how long the forge keeps what channels no longer serve.
type Retention struct {
	// Publications is how many earlier publications of a channel are kept
	// to switch back to; 0 keeps them all.
	Publications int `toml:"publications"`
	// KeepSignedSources keeps the SRPM of every build of a signed category
	// (the core distribution) for ever, also after its binaries leave
	// every channel, so the distribution can always be rebuilt.
	KeepSignedSources bool `toml:"keep_signed_sources"`
}

// Category returns the category called name.
func (p *Policy) Category(name string) (Category, bool) {
	i := slices.IndexFunc(p.Categories, func(c Category) bool { return c.Name == name })
	if i < 0 {
		return Category{}, false
	}
	return p.Categories[i], true
}

// Channel returns the rule of the channel called name.
func (p *Policy) Channel(name string) (ChannelRule, bool) {
	i := slices.IndexFunc(p.Channels, func(c ChannelRule) bool { return c.Name == name })
	if i < 0 {
		return ChannelRule{}, false
	}
	return p.Channels[i], true
}

// Promotion returns the promotion from -> to.
func (p *Policy) Promotion(from, to string) (Promotion, bool) {
	i := slices.IndexFunc(p.Promotions, func(r Promotion) bool { return r.From == from && r.To == to })
	if i < 0 {
		return Promotion{}, false
	}
	return p.Promotions[i], true
}

// Accepts reports whether builds of category may enter channel.
func (p *Policy) Accepts(channel, category string) bool {
	c, ok := p.Channel(channel)
	return ok && slices.Contains(c.Accepts, category)
}

// Allows reports whether role may take action.
func (p *Policy) Allows(role, action string) bool {
	return slices.Contains(p.Grants[role], action)
}

// AdvisoryID returns the id of the seq-th advisory of year
// ("SME-SA-2026:0001" with the SME format).
func (p *Policy) AdvisoryID(year, seq int) (string, error) {
	f, err := parseAdvisoryFormat(p.AdvisoryIDFormat)
	if err != nil {
		return "", err
	}
	return f.format(year, seq), nil
}

// advisoryFormat is a parsed AdvisoryIDFormat: literal text with %Y (year)
// and exactly one integer verb (%d, %4d, %04d) for the sequence number.
type advisoryFormat []advisoryPart

type advisoryPart struct {
	kind byte   // 'l' literal, 'Y' year, 'd' number
	text string // the literal, or the number's printf verb
}

func parseAdvisoryFormat(s string) (advisoryFormat, error) {
	var f advisoryFormat
	years, nums := 0, 0
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f = append(f, advisoryPart{'l', lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			continue
		}
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j >= len(s) {
			return nil, fmt.Errorf("%q ends with an unfinished %%", s)
		}
		switch verb := s[i : j+1]; {
		case verb == "%%":
			lit.WriteByte('%')
		case verb == "%Y":
			flush()
			f = append(f, advisoryPart{'Y', verb})
			years++
		case s[j] == 'd':
			flush()
			f = append(f, advisoryPart{'d', verb})
			nums++
		default:
			return nil, fmt.Errorf("%q: %s is neither %%Y (the year) nor a number verb like %%04d", s, verb)
		}
		i = j
	}
	flush()
	if years != 1 || nums != 1 {
		return nil, fmt.Errorf("%q must hold %%Y (the year) once and one number verb like %%04d once", s)
	}
	return f, nil
}

func (f advisoryFormat) format(year, seq int) string {
	var b strings.Builder
	for _, p := range f {
		switch p.kind {
		case 'Y':
			b.WriteString(strconv.Itoa(year))
		case 'd':
			fmt.Fprintf(&b, p.text, seq)
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}
