package advisory

import (
	"context"
	"strconv"
	"strings"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/repodata"
)

// SourceArch is the repository of source packages, which gets no
// updateinfo (dnf reads it from the binary repositories).
const SourceArch = "source"

// UpdateInfo returns updateinfo.xml for one repository (arch) of a channel
// version: every public advisory with at least one fixed build in that
// version, listing that build's packages of the repository. It returns nil
// when no advisory applies, and the publisher then writes none.
func (s *Service) UpdateInfo(ctx context.Context, release, channel string, version int64, arch string) ([]byte, error) {
	if arch == SourceArch {
		return nil, nil
	}
	ids, err := s.Store.ChannelBuilds(ctx, release, channel, version)
	if err != nil {
		return nil, err
	}
	in := make(map[string]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	all, err := s.Store.Advisories(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	builds := map[string]*catalog.Build{}
	var updates []repodata.Update
	for i := range all {
		a := &all[i]
		if !a.Public(now) || a.Type == KnownIssue {
			continue
		}
		var pkgs []repodata.UpdatePackage
		for _, id := range a.Builds {
			if !in[id] {
				continue
			}
			b := builds[id]
			if b == nil {
				if b, err = s.Store.Build(ctx, id); err != nil {
					return nil, err
				}
				builds[id] = b
			}
			for _, art := range b.Artifacts {
				if art.Source || (art.Arch != arch && art.Arch != "noarch") {
					continue
				}
				pkgs = append(pkgs, repodata.UpdatePackage{
					Name: art.Name, Epoch: strconv.FormatInt(art.Epoch, 10), Version: art.Version, Release: art.Release,
					Arch: art.Arch, Src: art.SourceRPM, Filename: art.Filename, SHA256: art.FileSHA256,
				})
			}
		}
		if len(pkgs) == 0 {
			continue
		}
		updates = append(updates, s.update(a, release, pkgs))
	}
	if len(updates) == 0 {
		return nil, nil
	}
	return repodata.UpdateInfoXML(updates), nil
}

// update is an advisory as one updateinfo entry.
func (s *Service) update(a *Advisory, release string, pkgs []repodata.UpdatePackage) repodata.Update {
	from := s.From
	if from == "" {
		from = "security@smeserver.invalid"
	}
	u := repodata.Update{
		From: from, Status: "final", Type: a.Type, Version: strconv.Itoa(a.Revision),
		ID: a.ID, Title: a.Title, Issued: a.Issued(), Updated: a.UpdatedAt,
		Severity: severityWord(a.Severity), Summary: a.Title,
		Description: Description(a), Collection: release, Packages: pkgs,
	}
	for _, c := range a.CVEs {
		u.References = append(u.References, repodata.UpdateRef{
			Href: "https://www.cve.org/CVERecord?id=" + c, ID: c, Type: "cve", Title: c,
		})
	}
	for _, r := range a.References {
		u.References = append(u.References, repodata.UpdateRef{Href: r, ID: a.ID, Type: "other", Title: r})
	}
	if s.BaseURL != "" {
		u.References = append(u.References, repodata.UpdateRef{Href: s.BaseURL + "/advisories/" + a.ID, ID: a.ID, Type: "self", Title: a.ID})
	}
	return u
}

// Description is an advisory as plain text: the guidance first, in plain
// words, then the technical text.
func Description(a *Advisory) string {
	var b strings.Builder
	if a.Guidance != "" {
		b.WriteString("Why am I affected, and what should I do?\n\n")
		b.WriteString(a.Guidance)
		b.WriteString("\n\n")
	}
	if a.Workaround != "" {
		b.WriteString("Workaround:\n\n")
		b.WriteString(a.Workaround)
		b.WriteString("\n\n")
	}
	if a.Technical != "" {
		b.WriteString("Technical details:\n\n")
		b.WriteString(a.Technical)
		b.WriteString("\n")
	}
	return strings.TrimSpace(b.String())
}

// severityWord is how updateinfo spells a severity: "Moderate".
func severityWord(s string) string {
	if s == "" {
		return "None"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
