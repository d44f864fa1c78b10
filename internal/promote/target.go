package promote

import (
	"slices"
	"strings"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
)

// Move is where a request takes a build in one release.
type Move struct {
	Category    string `json:"category"`
	FromChannel string `json:"from_channel,omitempty"`
	ToChannel   string `json:"to_channel"`
}

// Final reports whether a release has reached its final phase (or a later
// one), after which its os channel is frozen.
func Final(rel *catalog.Release) bool {
	return catalog.PhaseIndex(rel.Phase) >= catalog.PhaseIndex("final")
}

// ChannelFor is the channel of a release a build of category goes to: the
// channel of the same name when it accepts the category (dev, test,
// addons), else, for the categories of the install image (infra, core),
// os while the release is not final and updates-testing once it is. ""
// when no channel takes the category.
func ChannelFor(p *policy.Policy, rel *catalog.Release, category string) string {
	if c, ok := p.Channel(category); ok && slices.Contains(c.Accepts, category) {
		return category
	}
	if p.Accepts("os", category) {
		if Final(rel) {
			if p.Accepts("updates-testing", category) {
				return "updates-testing"
			}
			return ""
		}
		return "os"
	}
	return ""
}

// Target is the one rule of where a promotion from -> to takes a build of
// category current in release rel. A category target becomes the build's
// category, in the channel ChannelFor names. A channel target keeps the
// build's category when the channel accepts it, and otherwise sets want
// (core when empty), which the channel must accept. The build leaves the
// channel it came from: the channel from names, or the channel of
// category from.
func Target(p *policy.Policy, rel *catalog.Release, from, to, current, want string) (Move, error) {
	var m Move
	if _, ok := p.Category(to); ok {
		if want != "" && want != to {
			return m, catalog.Errorf(catalog.ErrInvalid, "category: a promotion to category %s makes the build %s; leave category empty or say %s", to, to, to)
		}
		m.Category = to
		m.ToChannel = ChannelFor(p, rel, to)
		if m.ToChannel == "" {
			return m, catalog.Errorf(catalog.ErrInvalid, "to: no channel of release %s takes builds of category %s", rel.Name, to)
		}
	} else if c, ok := p.Channel(to); ok {
		m.ToChannel = to
		switch {
		case want != "":
			m.Category = want
		case slices.Contains(c.Accepts, current):
			m.Category = current
		default:
			m.Category = "core"
		}
		if !slices.Contains(c.Accepts, m.Category) {
			return m, catalog.Errorf(catalog.ErrInvalid, "category: channel %s takes builds of category %s, not %s", to, strings.Join(c.Accepts, ", "), m.Category)
		}
	} else {
		return m, catalog.Errorf(catalog.ErrInvalid, "to: %q is neither a category nor a channel of the policy", to)
	}
	if _, ok := p.Category(from); ok {
		m.FromChannel = ChannelFor(p, rel, from)
	} else if _, ok := p.Channel(from); ok {
		m.FromChannel = from
	} else {
		return m, catalog.Errorf(catalog.ErrInvalid, "from: %q is neither a category nor a channel of the policy", from)
	}
	if m.FromChannel == m.ToChannel {
		m.FromChannel = ""
	}
	return m, nil
}
