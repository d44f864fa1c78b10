package rpm

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// Main header tags (rpmTag) that smeforge reads.
const (
	tagName              = 1000
	tagVersion           = 1001
	tagRelease           = 1002
	tagEpoch             = 1003
	tagSummary           = 1004
	tagDescription       = 1005
	tagBuildTime         = 1006
	tagBuildHost         = 1007
	tagSize              = 1009
	tagVendor            = 1011
	tagLicense           = 1014
	tagPackager          = 1015
	tagGroup             = 1016
	tagURL               = 1020
	tagOS                = 1021
	tagArch              = 1022
	tagOldFilenames      = 1027
	tagFileSizes         = 1028
	tagFileModes         = 1030
	tagFileMTimes        = 1034
	tagFileDigests       = 1035
	tagFileLinkTos       = 1036
	tagFileFlags         = 1037
	tagFileUserName      = 1039
	tagFileGroupName     = 1040
	tagSourceRPM         = 1044
	tagArchiveSize       = 1046
	tagProvideName       = 1047
	tagRequireFlags      = 1048
	tagRequireName       = 1049
	tagRequireVersion    = 1050
	tagConflictFlags     = 1053
	tagConflictName      = 1054
	tagConflictVersion   = 1055
	tagChangelogTime     = 1080
	tagChangelogName     = 1081
	tagChangelogText     = 1082
	tagObsoleteName      = 1090
	tagSourcePackage     = 1106
	tagProvideFlags      = 1112
	tagProvideVersion    = 1113
	tagObsoleteFlags     = 1114
	tagObsoleteVersion   = 1115
	tagDirIndexes        = 1116
	tagBaseNames         = 1117
	tagDirNames          = 1118
	tagPayloadFormat     = 1124
	tagPayloadCompressor = 1125
	tagOldSuggestsName   = 1156
	tagOldSuggestsVer    = 1157
	tagOldSuggestsFlags  = 1158
	tagOldEnhancesName   = 1159
	tagOldEnhancesVer    = 1160
	tagOldEnhancesFlags  = 1161
	tagLongFileSizes     = 5008
	tagLongSize          = 5009
	tagRecommendName     = 5046
	tagRecommendVersion  = 5047
	tagRecommendFlags    = 5048
	tagSuggestName       = 5049
	tagSuggestVersion    = 5050
	tagSuggestFlags      = 5051
	tagSupplementName    = 5052
	tagSupplementVersion = 5053
	tagSupplementFlags   = 5054
	tagEnhanceName       = 5055
	tagEnhanceVersion    = 5056
	tagEnhanceFlags      = 5057
)

func packageFromHeader(h *header) (*Package, error) {
	p := &Package{}
	var err error
	str := func(tag uint32) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = h.getString(tag)
		return s
	}
	p.Name = str(tagName)
	p.Version = str(tagVersion)
	p.Release = str(tagRelease)
	p.Arch = str(tagArch)
	p.OS = str(tagOS)
	p.Summary = text(str(tagSummary))
	p.Description = text(str(tagDescription))
	p.License = text(str(tagLicense))
	p.URL = text(str(tagURL))
	p.Vendor = text(str(tagVendor))
	p.Packager = text(str(tagPackager))
	p.Group = text(str(tagGroup))
	p.BuildHost = text(str(tagBuildHost))
	p.SourceRPM = text(str(tagSourceRPM))
	p.PayloadFormat = str(tagPayloadFormat)
	p.PayloadCompressor = str(tagPayloadCompressor)
	if err != nil {
		return nil, err
	}
	for _, c := range []struct {
		field    string
		v        string
		required bool
	}{{"name", p.Name, true}, {"version", p.Version, true}, {"release", p.Release, true}, {"arch", p.Arch, false}} {
		if err := checkIdent(c.field, c.v, c.required); err != nil {
			return nil, err
		}
	}
	if v, ok, err := h.getInt(tagEpoch); err != nil {
		return nil, err
	} else if ok {
		p.Epoch, p.HasEpoch = uint32(v), true
	}
	if v, _, err := h.getInt(tagBuildTime); err != nil {
		return nil, err
	} else {
		p.BuildTime = v
	}
	if v, ok, err := h.getInt(tagLongSize); err != nil {
		return nil, err
	} else if ok {
		p.InstalledSize = v
	} else if v, _, err = h.getInt(tagSize); err != nil {
		return nil, err
	} else {
		p.InstalledSize = v
	}
	if v, _, err := h.getInt(tagArchiveSize); err != nil {
		return nil, err
	} else {
		p.ArchiveSize = v
	}
	// rpm's headerIsSource: an SRPM has no SOURCERPM tag; createrepo_c also
	// honours SOURCEPACKAGE.
	_, hasSourceRPM := h.find(tagSourceRPM)
	_, isSource := h.find(tagSourcePackage)
	p.SourcePackage = isSource || !hasSourceRPM

	deps := []struct {
		dst              *[]Dependency
		name, flags, ver uint32
		what             string
	}{
		{&p.Requires, tagRequireName, tagRequireFlags, tagRequireVersion, "requires"},
		{&p.Provides, tagProvideName, tagProvideFlags, tagProvideVersion, "provides"},
		{&p.Conflicts, tagConflictName, tagConflictFlags, tagConflictVersion, "conflicts"},
		{&p.Obsoletes, tagObsoleteName, tagObsoleteFlags, tagObsoleteVersion, "obsoletes"},
		{&p.Recommends, tagRecommendName, tagRecommendFlags, tagRecommendVersion, "recommends"},
		{&p.Suggests, tagSuggestName, tagSuggestFlags, tagSuggestVersion, "suggests"},
		{&p.Supplements, tagSupplementName, tagSupplementFlags, tagSupplementVersion, "supplements"},
		{&p.Enhances, tagEnhanceName, tagEnhanceFlags, tagEnhanceVersion, "enhances"},
	}
	for _, d := range deps {
		if *d.dst, err = h.deps(d.name, d.flags, d.ver, d.what); err != nil {
			return nil, err
		}
	}
	// Before rpm 4.12 weak dependencies lived in two tags, told apart by the
	// "strong" flag; rpm maps them onto the four new kinds the same way.
	for _, old := range []struct {
		name, flags, ver uint32
		strong, weak     *[]Dependency
	}{
		{tagOldSuggestsName, tagOldSuggestsFlags, tagOldSuggestsVer, &p.Recommends, &p.Suggests},
		{tagOldEnhancesName, tagOldEnhancesFlags, tagOldEnhancesVer, &p.Supplements, &p.Enhances},
	} {
		ds, err := h.deps(old.name, old.flags, old.ver, "legacy weak dependencies")
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.Flags&SenseStrong != 0 {
				d.Flags &^= SenseStrong
				*old.strong = append(*old.strong, d)
			} else {
				*old.weak = append(*old.weak, d)
			}
		}
	}
	if p.Files, err = h.files(); err != nil {
		return nil, err
	}
	if p.Changelog, err = h.changelog(); err != nil {
		return nil, err
	}
	return p, nil
}

func (h *header) deps(nameTag, flagsTag, verTag uint32, what string) ([]Dependency, error) {
	names, err := h.getStrings(nameTag)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	flags, err := h.getInts(flagsTag)
	if err != nil {
		return nil, err
	}
	vers, err := h.getStrings(verTag)
	if err != nil {
		return nil, err
	}
	if (flags != nil && len(flags) != len(names)) || (vers != nil && len(vers) != len(names)) {
		return nil, fmt.Errorf("header: %s: %d names but %d flags and %d versions", what, len(names), len(flags), len(vers))
	}
	out := make([]Dependency, len(names))
	for i, n := range names {
		if err := checkIdent(what+" name", n, true); err != nil {
			return nil, err
		}
		d := Dependency{Name: n}
		if flags != nil {
			d.Flags = uint32(flags[i])
		}
		if vers != nil {
			d.Version = vers[i]
		}
		out[i] = d
	}
	return out, nil
}

// paths returns the file list's paths: directory plus base name, or the
// old single list of names in very old packages. All paths share one
// string: one allocation per package rather than one per file.
func (h *header) paths() ([]string, error) {
	base, err := h.getStrings(tagBaseNames)
	if err != nil {
		return nil, err
	}
	if base == nil {
		old, err := h.getStrings(tagOldFilenames)
		if err != nil {
			return nil, err
		}
		paths := make([]string, len(old))
		for i, o := range old {
			paths[i] = text(path.Clean("/" + o))
		}
		return paths, nil
	}
	dirs, err := h.getStrings(tagDirNames)
	if err != nil {
		return nil, err
	}
	idx, err := h.getInts(tagDirIndexes)
	if err != nil {
		return nil, err
	}
	if len(idx) != len(base) {
		return nil, fmt.Errorf("header: %d file base names but %d directory indexes", len(base), len(idx))
	}
	n := 0
	for i, b := range base {
		di := idx[i]
		if di < 0 || di >= int64(len(dirs)) {
			return nil, fmt.Errorf("header: file %q has directory index %d of %d", b, di, len(dirs))
		}
		n += len(dirs[di]) + len(b)
	}
	var sb strings.Builder
	sb.Grow(n)
	for i, b := range base {
		sb.WriteString(dirs[idx[i]])
		sb.WriteString(b)
	}
	all := sb.String()
	valid := utf8.ValidString(all)
	paths := make([]string, len(base))
	for i, b := range base {
		k := len(dirs[idx[i]]) + len(b)
		paths[i], all = all[:k], all[k:]
		if !valid {
			paths[i] = text(paths[i])
		}
	}
	return paths, nil
}

func (h *header) files() ([]File, error) {
	paths, err := h.paths()
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, nil
	}
	n := len(paths)
	modes, err := h.fileInts(tagFileModes, n)
	if err != nil {
		return nil, err
	}
	flags, err := h.fileInts(tagFileFlags, n)
	if err != nil {
		return nil, err
	}
	sizes, err := h.fileInts(tagLongFileSizes, n)
	if err != nil {
		return nil, err
	}
	if sizes == nil {
		if sizes, err = h.fileInts(tagFileSizes, n); err != nil {
			return nil, err
		}
	}
	mtimes, err := h.fileInts(tagFileMTimes, n)
	if err != nil {
		return nil, err
	}
	digests, err := h.fileStrings(tagFileDigests, n)
	if err != nil {
		return nil, err
	}
	links, err := h.fileStrings(tagFileLinkTos, n)
	if err != nil {
		return nil, err
	}
	users, err := h.fileStrings(tagFileUserName, n)
	if err != nil {
		return nil, err
	}
	groups, err := h.fileStrings(tagFileGroupName, n)
	if err != nil {
		return nil, err
	}
	files := make([]File, n)
	for i, pth := range paths {
		f := File{Path: pth}
		if modes != nil {
			f.Mode = uint16(modes[i])
		}
		if flags != nil {
			f.Flags = uint32(flags[i])
		}
		if sizes != nil {
			f.Size = sizes[i]
		}
		if mtimes != nil {
			f.MTime = uint32(mtimes[i])
		}
		if digests != nil {
			f.Digest = digests[i]
		}
		if links != nil {
			f.LinkTo = links[i]
		}
		if users != nil {
			f.User = users[i]
		}
		if groups != nil {
			f.Group = groups[i]
		}
		files[i] = f
	}
	return files, nil
}

// fileInts reads a per-file integer array and checks its length.
func (h *header) fileInts(tag uint32, n int) ([]int64, error) {
	v, err := h.getInts(tag)
	if err != nil {
		return nil, err
	}
	if v != nil && len(v) != n {
		return nil, fmt.Errorf("header: tag %d has %d values for %d files", tag, len(v), n)
	}
	return v, nil
}

func (h *header) fileStrings(tag uint32, n int) ([]string, error) {
	v, err := h.getStrings(tag)
	if err != nil {
		return nil, err
	}
	if v != nil && len(v) != n {
		return nil, fmt.Errorf("header: tag %d has %d values for %d files", tag, len(v), n)
	}
	return v, nil
}

func (h *header) changelog() ([]ChangelogEntry, error) {
	times, err := h.getInts(tagChangelogTime)
	if err != nil || len(times) == 0 {
		return nil, err
	}
	names, err := h.getStrings(tagChangelogName)
	if err != nil {
		return nil, err
	}
	texts, err := h.getStrings(tagChangelogText)
	if err != nil {
		return nil, err
	}
	if len(names) != len(times) || len(texts) != len(times) {
		return nil, fmt.Errorf("header: changelog has %d times, %d authors and %d texts", len(times), len(names), len(texts))
	}
	out := make([]ChangelogEntry, len(times))
	for i := range times {
		out[i] = ChangelogEntry{Time: times[i], Author: text(names[i]), Text: text(texts[i])}
	}
	return out, nil
}
