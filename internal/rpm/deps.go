package rpm

import (
	"io"
)

// ReadDeps reads what dependency checks need from an RPM or SRPM: name,
// epoch, version, release, arch, whether it is a source package, its
// requires, provides, conflicts and obsoletes, and the path, mode and flags
// of each file. It reads the lead and headers as ReadHeader does and checks
// every value it returns as strictly, but leaves the rest of the header
// unread (descriptions, changelog, file digests ...) and does not verify
// the header's digest, which makes it about twice as fast: it is for
// reading thousands of packages, as `smeforge check` does, where
// ReadHeader is for reading one to trust it.
func ReadDeps(r io.Reader, name string) (*Package, error) {
	raw, err := readRaw(&countingReader{r: r}, name, false)
	if err != nil {
		return nil, err
	}
	p, err := depsFromHeader(raw.hdr)
	if err != nil {
		return nil, &FormatError{File: name, What: err.Error()}
	}
	p.HeaderStart, p.HeaderEnd = raw.start, raw.end
	return p, nil
}

func depsFromHeader(h *header) (*Package, error) {
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
	p.Name, p.Version, p.Release, p.Arch = str(tagName), str(tagVersion), str(tagRelease), str(tagArch)
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
	_, hasSourceRPM := h.find(tagSourceRPM)
	_, isSource := h.find(tagSourcePackage)
	p.SourcePackage = isSource || !hasSourceRPM
	for _, d := range []struct {
		dst              *[]Dependency
		name, flags, ver uint32
		what             string
	}{
		{&p.Requires, tagRequireName, tagRequireFlags, tagRequireVersion, "requires"},
		{&p.Provides, tagProvideName, tagProvideFlags, tagProvideVersion, "provides"},
		{&p.Conflicts, tagConflictName, tagConflictFlags, tagConflictVersion, "conflicts"},
		{&p.Obsoletes, tagObsoleteName, tagObsoleteFlags, tagObsoleteVersion, "obsoletes"},
	} {
		if *d.dst, err = h.deps(d.name, d.flags, d.ver, d.what); err != nil {
			return nil, err
		}
	}
	if p.Files, err = h.filePaths(); err != nil {
		return nil, err
	}
	return p, nil
}

// filePaths is files without what dependency checks do not need: only
// Path, Mode and Flags are set.
func (h *header) filePaths() ([]File, error) {
	paths, err := h.paths()
	if err != nil {
		return nil, err
	}
	files := make([]File, len(paths))
	for i, p := range paths {
		files[i].Path = p
	}
	if len(files) == 0 {
		return nil, nil
	}
	modes, err := h.fileInts(tagFileModes, len(files))
	if err != nil {
		return nil, err
	}
	flags, err := h.fileInts(tagFileFlags, len(files))
	if err != nil {
		return nil, err
	}
	for i := range files {
		if modes != nil {
			files[i].Mode = uint16(modes[i])
		}
		if flags != nil {
			files[i].Flags = uint32(flags[i])
		}
	}
	return files, nil
}
