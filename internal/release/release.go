// Package release owns the life cycle of releases: versions on a base OS,
// phases from planning to end of life, the one development branch, minor
// releases that start from the previous one's content, the channels every
// release gets, and the freezing of the install channel at final.
package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
)

// Store is what the release rules need of the catalog.
type Store interface {
	CreateRelease(ctx context.Context, r *catalog.Release, channels []catalog.Channel, from string) error
	UpdateReleases(ctx context.Context, rs []catalog.Release, freeze map[string]string) error
	Release(ctx context.Context, name string) (*catalog.Release, error)
	Releases(ctx context.Context) ([]catalog.Release, error)
	Channel(ctx context.Context, release, name string) (*catalog.Channel, error)
	Channels(ctx context.Context, release string) ([]catalog.Channel, error)
	ChannelBuilds(ctx context.Context, release, name string, version int64) ([]string, error)
	RepoEntries(ctx context.Context, release, name string, version int64, arch string) ([]catalog.RepoEntry, error)
}

// Publisher publishes a channel version (0: the current one).
type Publisher interface {
	PublishChannel(ctx context.Context, release, channel string, version int64) error
}

// ChannelTemplate is a channel every release gets (from the policy).
type ChannelTemplate struct {
	Name, ClientName, Description string
	Accepts                       []string
	Enabled, Visible              bool
	FrozenAtFinal, RequireSigned  bool
	Retention                     int
}

// SMEChannels are the channels of the built-in SME policy.
func SMEChannels() []ChannelTemplate { return TemplatesFromPolicy(policy.Default()) }

// Service applies the release rules.
type Service struct {
	Store     Store
	Publisher Publisher
	Channels  []ChannelTemplate
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// Spec describes a release to create.
type Spec struct {
	Name    string
	Version string // "10.1"; default: the name
	BaseOS  string // "Rocky Linux 8"
	Arches  []string
	EOL     time.Time // default: the base OS's end of life
}

// baseEOL are the end-of-life dates of the bases SME Server has used or
// may use; a release is maintained as long as its base.
var baseEOL = map[string]string{
	"centos 3": "2010-10-31", "centos 4": "2012-02-29", "centos 5": "2017-03-31", "centos 6": "2020-11-30",
	"centos 7": "2024-06-30", "rocky linux 8": "2029-05-31", "rocky linux 9": "2032-05-31",
	"almalinux 8": "2029-03-01", "almalinux 9": "2032-05-31", "rhel 8": "2029-05-31", "rhel 9": "2032-05-31",
	"red hat enterprise linux 8": "2029-05-31", "red hat enterprise linux 9": "2032-05-31",
}

// BaseEOL returns the known end of life of a base OS, or zero.
func BaseEOL(name, version string) time.Time {
	major, _, _ := strings.Cut(version, ".")
	if d, ok := baseEOL[strings.ToLower(name)+" "+major]; ok {
		t, _ := time.Parse("2006-01-02", d)
		return t
	}
	return time.Time{}
}

// splitBase splits "Rocky Linux 8.9" into "Rocky Linux" and "8.9".
func splitBase(s string) (name, version string) {
	s = strings.TrimSpace(s)
	i := strings.LastIndexByte(s, ' ')
	if i > 0 && s[i+1] >= '0' && s[i+1] <= '9' {
		return s[:i], s[i+1:]
	}
	return s, ""
}

func parseVersion(v string) (major, minor int, err error) {
	a, b, _ := strings.Cut(v, ".")
	if major, err = strconv.Atoi(a); err != nil || major < 0 {
		return 0, 0, catalog.Errorf(catalog.ErrInvalid, "version %q: give it as MAJOR.MINOR, for example 10.1", v)
	}
	if b != "" {
		if minor, err = strconv.Atoi(b); err != nil || minor < 0 {
			return 0, 0, catalog.Errorf(catalog.ErrInvalid, "version %q: give it as MAJOR.MINOR, for example 10.1", v)
		}
	}
	return major, minor, nil
}

// Create makes a release with the policy's channels. The first release is
// the development branch; a minor release of the same base starts from
// the newest earlier minor release's channel contents.
func (s *Service) Create(ctx context.Context, spec Spec) (*catalog.Release, error) {
	if err := catalog.ValidName("release", spec.Name); err != nil {
		return nil, err
	}
	base := strings.TrimSpace(spec.BaseOS)
	if base == "" || len(base) > 200 {
		return nil, catalog.Errorf(catalog.ErrInvalid, "base_os: say which base OS the release is built on, with its version (for example \"Rocky Linux 8\")")
	}
	bname, bver := splitBase(base)
	v := spec.Version
	if v == "" {
		v = spec.Name
	}
	major, minor, err := parseVersion(v)
	if err != nil {
		return nil, err
	}
	arches := spec.Arches
	if len(arches) == 0 {
		arches = []string{"x86_64"}
	}
	for _, a := range arches {
		if !validArch(a) {
			return nil, catalog.Errorf(catalog.ErrInvalid, "arches: %q is not a base architecture", a)
		}
	}
	all, err := s.Store.Releases(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	r := &catalog.Release{Name: spec.Name, Major: major, Minor: minor, BaseOS: base, BaseName: bname, BaseVersion: bver,
		Arches: arches, Phase: "planning", PhaseDates: map[string]time.Time{"planning": now}, EOL: spec.EOL, CreatedAt: now}
	if r.EOL.IsZero() {
		r.EOL = BaseEOL(bname, bver)
	}
	dev := false
	var from *catalog.Release
	for i := range all {
		o := &all[i]
		if o.Major == major && o.Minor == minor {
			return nil, catalog.Errorf(catalog.ErrConflict, "release %s already has version %d.%d", o.Name, major, minor)
		}
		dev = dev || o.Development
		if o.Major == major && o.Minor < minor && strings.EqualFold(o.BaseName, bname) && (from == nil || o.Minor > from.Minor) {
			from = o
		}
	}
	r.Development = !dev
	tmpl := s.Channels
	if len(tmpl) == 0 {
		tmpl = SMEChannels()
	}
	chans := make([]catalog.Channel, len(tmpl))
	for i, t := range tmpl {
		chans[i] = catalog.Channel{Release: r.Name, Name: t.Name, ClientName: t.ClientName, Description: t.Description,
			Arches: arches, Accepts: t.Accepts, Enabled: t.Enabled, Visible: t.Visible, FrozenAtFinal: t.FrozenAtFinal,
			RequireSigned: t.RequireSigned, Retention: t.Retention, CreatedAt: now.Add(time.Duration(i) * time.Millisecond)}
	}
	fromName := ""
	if from != nil {
		fromName = from.Name
		r.FromRelease = from.Name
	}
	if err := s.Store.CreateRelease(ctx, r, chans, fromName); err != nil {
		return nil, err
	}
	// Every channel is a valid repository from the start, so that a .repo
	// file naming it works at once.
	if s.Publisher != nil {
		for _, c := range chans {
			if err := s.Publisher.PublishChannel(ctx, r.Name, c.Name, 0); err != nil {
				return nil, err
			}
		}
	}
	return s.Store.Release(ctx, r.Name)
}

func validArch(a string) bool {
	if a == "" || len(a) > 32 || a == "source" || a == "src" || a == "noarch" {
		return false
	}
	for _, c := range a {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// SetPhase moves a release forward in its life cycle, applying SME's
// rules: one development branch, which changes at the first alpha of the
// next release (the previous one goes to maintenance); maintenance only
// after final; the install channel frozen at final.
func (s *Service) SetPhase(ctx context.Context, name, phase string) (*catalog.Release, error) {
	r, err := s.Store.Release(ctx, name)
	if err != nil {
		return nil, err
	}
	to, from := catalog.PhaseIndex(phase), catalog.PhaseIndex(r.Phase)
	switch {
	case to < 0:
		return nil, catalog.Errorf(catalog.ErrInvalid, "phase %q: the phases are %s", phase, strings.Join(catalog.Phases, ", "))
	case to == from:
		return nil, catalog.Errorf(catalog.ErrConflict, "release %s is already in phase %s", name, phase)
	case to < from:
		return nil, catalog.Errorf(catalog.ErrConflict, "release %s is in phase %s; a release never goes back to %s", name, r.Phase, phase)
	case phase == "maintenance" && from < catalog.PhaseIndex("final"):
		return nil, catalog.Errorf(catalog.ErrConflict, "release %s is in phase %s; a release is maintained only after it is final", name, r.Phase)
	case phase == "eol" && r.Development:
		return nil, catalog.Errorf(catalog.ErrConflict, "release %s is the development branch; start the next release's alpha before ending this one", name)
	}
	now := s.now()
	changed := []catalog.Release{*r}
	cur := &changed[0]
	if cur.PhaseDates == nil {
		cur.PhaseDates = map[string]time.Time{}
	}
	cur.Phase = phase
	cur.PhaseDates[phase] = now
	if !r.Development && to >= catalog.PhaseIndex("alpha") {
		all, err := s.Store.Releases(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range all {
			if !o.Development || o.Name == name {
				continue
			}
			if catalog.PhaseIndex(o.Phase) < catalog.PhaseIndex("final") {
				return nil, catalog.Errorf(catalog.ErrConflict, "release %s is the development branch and is still in phase %s: it must be final before release %s starts its alpha (there is one development branch at a time)", o.Name, o.Phase, name)
			}
			o.Development = false
			if o.Phase == "final" {
				o.Phase = "maintenance"
				if o.PhaseDates == nil {
					o.PhaseDates = map[string]time.Time{}
				}
				o.PhaseDates["maintenance"] = now
			}
			changed = append(changed, o)
		}
		changed[0].Development = true // not cur: append may have moved it
	}
	freeze := map[string]string{}
	if to >= catalog.PhaseIndex("final") && from < catalog.PhaseIndex("final") {
		chans, err := s.Store.Channels(ctx, name)
		if err != nil {
			return nil, err
		}
		for _, c := range chans {
			if !c.FrozenAtFinal || c.Frozen {
				continue
			}
			// What is frozen is what is served: publish the latest version
			// first if it is not yet.
			if (c.PublishedVersion != c.Version || c.PublishedAt.IsZero()) && s.Publisher != nil {
				if err := s.Publisher.PublishChannel(ctx, name, c.Name, c.Version); err != nil {
					return nil, fmt.Errorf("publishing %s before freezing it: %w", c.ID(), err)
				}
			}
			d, err := s.Digest(ctx, name, c.Name, c.Version)
			if err != nil {
				return nil, err
			}
			freeze[c.ID()] = d
		}
	}
	if err := s.Store.UpdateReleases(ctx, changed, freeze); err != nil {
		return nil, err
	}
	return s.Store.Release(ctx, name)
}

// Digest is the content digest of a channel version: SHA-256 over its
// package files (name and SHA-256, sorted), every architecture and the
// sources. It does not depend on when or how often it was published.
func (s *Service) Digest(ctx context.Context, release, channel string, version int64) (string, error) {
	c, err := s.Store.Channel(ctx, release, channel)
	if err != nil {
		return "", err
	}
	var lines []string
	for _, arch := range append(append([]string{}, c.Arches...), "source") {
		es, err := s.Store.RepoEntries(ctx, release, channel, version, arch)
		if err != nil {
			return "", err
		}
		for _, e := range es {
			lines = append(lines, arch+" "+e.Filename+" "+e.FileSHA256)
		}
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Change is how one package name differs between two releases' channels.
type Change struct {
	Channel string `json:"channel"`
	Name    string `json:"name"`
	Before  string `json:"before,omitempty"` // build id, empty when added
	After   string `json:"after,omitempty"`  // build id, empty when removed
}

// Previous returns the release before r (by version), or nil.
func (s *Service) Previous(ctx context.Context, r *catalog.Release) (*catalog.Release, error) {
	all, err := s.Store.Releases(ctx)
	if err != nil {
		return nil, err
	}
	var prev *catalog.Release
	for i := range all {
		o := &all[i]
		if o.Major < r.Major || o.Major == r.Major && o.Minor < r.Minor {
			if prev == nil || o.Major > prev.Major || o.Major == prev.Major && o.Minor > prev.Minor {
				prev = o
			}
		}
	}
	return prev, nil
}

// Changes lists what changed in each channel since the previous release,
// by package name: added, removed or moved to another build.
func (s *Service) Changes(ctx context.Context, name string) (*catalog.Release, []Change, error) {
	r, err := s.Store.Release(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	prev, err := s.Previous(ctx, r)
	if err != nil || prev == nil {
		return nil, nil, err
	}
	chans, err := s.Store.Channels(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	var out []Change
	for _, c := range chans {
		now, err := s.Store.ChannelBuilds(ctx, name, c.Name, c.Version)
		if err != nil {
			return nil, nil, err
		}
		var before []string
		if pc, err := s.Store.Channel(ctx, prev.Name, c.Name); err == nil {
			if before, err = s.Store.ChannelBuilds(ctx, prev.Name, c.Name, pc.Version); err != nil {
				return nil, nil, err
			}
		}
		out = append(out, diffBuilds(c.Name, before, now)...)
	}
	return prev, out, nil
}

func diffBuilds(channel string, before, after []string) []Change {
	b, a := map[string]string{}, map[string]string{}
	for _, id := range before {
		b[catalog.NameOf(id)] = id
	}
	for _, id := range after {
		a[catalog.NameOf(id)] = id
	}
	var out []Change
	for n, id := range a {
		if old, ok := b[n]; !ok || old != id {
			out = append(out, Change{Channel: channel, Name: n, Before: b[n], After: id})
		}
	}
	for n, id := range b {
		if _, ok := a[n]; !ok {
			out = append(out, Change{Channel: channel, Name: n, Before: id})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TemplatesFromPolicy turns a policy's channel rules into the channels
// every new release gets.
func TemplatesFromPolicy(p *policy.Policy) []ChannelTemplate {
	out := make([]ChannelTemplate, len(p.Channels))
	for i, c := range p.Channels {
		out[i] = ChannelTemplate{Name: c.Name, ClientName: c.ClientName, Description: c.Description,
			Accepts: append([]string(nil), c.Accepts...), Enabled: c.Enabled, Visible: c.Visible,
			FrozenAtFinal: c.FrozenAtFinal, RequireSigned: c.RequireSigned, Retention: c.Retention}
	}
	return out
}
