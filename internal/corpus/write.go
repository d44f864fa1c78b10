package corpus

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/google/rpmpack"
)

// FileFlags are rpm's per-file attributes (RPMFILE_* in rpmfiles.h).
type FileFlags uint32

// File flags. They combine: a %config(noreplace) file is FileConfig|FileNoReplace.
const (
	FileConfig    FileFlags = 1 << 0 // %config
	FileDoc       FileFlags = 1 << 1 // %doc
	FileMissingOK FileFlags = 1 << 3 // %config(missingok)
	FileNoReplace FileFlags = 1 << 4 // %config(noreplace)
	FileSpec      FileFlags = 1 << 5 // the spec file of a source package
	FileGhost     FileFlags = 1 << 6 // %ghost: listed, never in the payload
	FileLicense   FileFlags = 1 << 7 // %license
	FileReadme    FileFlags = 1 << 8 // %readme
)

// File is one entry of a package's file list.
type File struct {
	// Path is absolute ("/usr/bin/x") in a binary package and a bare name
	// ("x.spec", "x-1.0.tar.gz") in a source package.
	Path string
	// Mode holds the permission bits and, for a directory or a symbolic
	// link, fs.ModeDir or fs.ModeSymlink. Zero means 0644 (0755 for a
	// directory).
	Mode fs.FileMode
	// Content is the file's bytes, or a symbolic link's target. It is
	// ignored for directories and not written to the payload for ghosts.
	Content []byte
	Flags   FileFlags
	// Owner and Group default to "root".
	Owner, Group string
	// MTime defaults to the package's BuildTime.
	MTime time.Time
}

// ChangelogEntry is one %changelog entry. Author is the whole heading
// after the date, as rpm stores it: "Jane Doe <jane@example.org> - 1.2-3".
// Text is the body, usually lines starting with "- ".
type ChangelogEntry struct {
	Time   time.Time
	Author string
	Text   string
}

// PackageSpec describes one package for WriteRPM. Dependencies are written
// as `rpm -q --requires` prints them: "foo", "foo >= 1.2", "foo = 1:2.0-1",
// or a rich dependency in parentheses.
type PackageSpec struct {
	Name, Version, Release string
	// Epoch 0 writes no Epoch tag, as rpmbuild does for a spec without
	// one; an explicit "Epoch: 0" cannot be expressed.
	Epoch uint32
	// Arch defaults to "noarch".
	Arch string

	Summary, Description, License, URL string
	Vendor, Packager, Group, BuildHost string
	BuildTime                          time.Time
	// SourceRPM is the SOURCERPM tag of a binary package; empty means
	// "name-version-release.src.rpm". It is ignored when Source is set.
	SourceRPM string

	// Provides gets "name = [epoch:]version-release" added when missing
	// (binary packages only). Requires gets rpm's rpmlib() requirements for
	// the features the file uses (see RpmlibRequires). Everything else is
	// written exactly as given.
	Requires, Provides, Conflicts, Obsoletes    []string
	Recommends, Suggests, Supplements, Enhances []string

	Files     []File
	Changelog []ChangelogEntry

	// Source writes a source package: no SOURCERPM tag, SOURCEPACKAGE = 1,
	// a source lead, and the files (spec file, tarballs, patches) stored
	// without a directory. Requires then plays the part of BuildRequires.
	Source bool

	// Compressor is the payload compressor in rpmpack's notation:
	// "gzip", "gzip:6", "xz", "zstd", "zstd:fastest" ... Empty means
	// DefaultCompressor.
	Compressor string
}

// DefaultCompressor is the payload compressor used when
// PackageSpec.Compressor is empty: gzip is the fastest of rpmpack's
// compressors on small payloads and every rpm since 3.0 reads it.
const DefaultCompressor = "gzip:6"

// rpm header tags that rpmpack does not set itself.
const (
	tagSource         = 1018
	tagPatch          = 1019
	tagSourceRPM      = 1044
	tagFileFlags      = 1037
	tagChangelogTime  = 1080
	tagChangelogName  = 1081
	tagChangelogText  = 1082
	tagSourcePackage  = 1106
	tagSupplements    = 5052
	tagSupplementVers = 5053
	tagSupplementFlgs = 5054
	tagEnhances       = 5055
	tagEnhanceVers    = 5056
	tagEnhanceFlags   = 5057
)

// RpmlibRequires returns the rpmlib() requirements WriteRPM adds for a
// payload compressor, as `rpm -qp --requires` prints them.
func RpmlibRequires(compressor string) []string {
	if compressor == "" {
		compressor = DefaultCompressor
	}
	reqs := []string{
		"rpmlib(CompressedFileNames) <= 3.0.4-1",
		"rpmlib(FileDigests) <= 4.6.0-1",
	}
	switch name, _, _ := strings.Cut(compressor, ":"); name {
	case "xz":
		reqs = append(reqs, "rpmlib(PayloadIsXz) <= 5.2-1")
	case "lzma":
		reqs = append(reqs, "rpmlib(PayloadIsLzma) <= 4.4.6-1")
	case "zstd":
		reqs = append(reqs, "rpmlib(PayloadIsZstd) <= 5.4.18-1")
	}
	return reqs
}

// WriteRPM writes spec as an RPM file (a source RPM when spec.Source is
// set) to w. The whole file is assembled in memory first.
func WriteRPM(w io.Writer, spec PackageSpec) error {
	if err := validate(&spec); err != nil {
		return err
	}
	evr := spec.Version + "-" + spec.Release
	if spec.Epoch != 0 {
		evr = fmt.Sprintf("%d:%s", spec.Epoch, evr)
	}
	epoch := rpmpack.NoEpoch
	if spec.Epoch != 0 {
		epoch = spec.Epoch
	}
	compressor := spec.Compressor
	if compressor == "" {
		compressor = DefaultCompressor
	}
	r, err := rpmpack.NewRPM(rpmpack.RPMMetaData{
		Name:        spec.Name,
		Summary:     spec.Summary,
		Description: spec.Description,
		Version:     spec.Version,
		Release:     spec.Release,
		Arch:        spec.Arch,
		Vendor:      spec.Vendor,
		URL:         spec.URL,
		Packager:    spec.Packager,
		Group:       spec.Group,
		Licence:     spec.License,
		BuildHost:   spec.BuildHost,
		Compressor:  compressor,
		Epoch:       epoch,
		BuildTime:   spec.BuildTime,
	})
	if err != nil {
		return fmt.Errorf("corpus: package %s: %w", spec.Name, err)
	}

	// rpmpack adds "name = version-release" without the epoch; replace its
	// provides by ours.
	r.Provides = nil
	provides := spec.Provides
	if !spec.Source {
		self := spec.Name + " = " + evr
		if !slices.Contains(provides, self) {
			provides = append(slices.Clip(provides), self)
		}
	}
	requires := append(slices.Clip(spec.Requires), RpmlibRequires(compressor)...)
	for _, rel := range []struct {
		kind string
		in   []string
		out  *rpmpack.Relations
	}{
		{"provides", provides, &r.Provides},
		{"requires", requires, &r.Requires},
		{"conflicts", spec.Conflicts, &r.Conflicts},
		{"obsoletes", spec.Obsoletes, &r.Obsoletes},
		{"recommends", spec.Recommends, &r.Recommends},
		{"suggests", spec.Suggests, &r.Suggests},
	} {
		rels, err := parseRelations(rel.in)
		if err != nil {
			return fmt.Errorf("corpus: package %s: %s: %w", spec.Name, rel.kind, err)
		}
		*rel.out = rels
	}
	for _, rel := range []struct {
		kind                string
		in                  []string
		nameTag, verTag, fl int
	}{
		{"supplements", spec.Supplements, tagSupplements, tagSupplementVers, tagSupplementFlgs},
		{"enhances", spec.Enhances, tagEnhances, tagEnhanceVers, tagEnhanceFlags},
	} {
		if len(rel.in) == 0 {
			continue
		}
		rels, err := parseRelations(rel.in)
		if err != nil {
			return fmt.Errorf("corpus: package %s: %s: %w", spec.Name, rel.kind, err)
		}
		names := make([]string, len(rels))
		vers := make([]string, len(rels))
		flags := make([]uint32, len(rels))
		for i, d := range rels {
			names[i], vers[i], flags[i] = d.Name, d.Version, uint32(d.Sense)
		}
		r.AddCustomTag(rel.nameTag, rpmpack.EntryStringSlice(names))
		r.AddCustomTag(rel.verTag, rpmpack.EntryStringSlice(vers))
		r.AddCustomTag(rel.fl, rpmpack.EntryUint32(flags))
	}

	addFiles(r, &spec)

	if n := len(spec.Changelog); n > 0 {
		times := make([]int32, n)
		names := make([]string, n)
		texts := make([]string, n)
		for i, c := range spec.Changelog {
			times[i], names[i], texts[i] = int32(c.Time.Unix()), c.Author, c.Text
		}
		r.AddCustomTag(tagChangelogTime, rpmpack.EntryInt32(times))
		r.AddCustomTag(tagChangelogName, rpmpack.EntryStringSlice(names))
		r.AddCustomTag(tagChangelogText, rpmpack.EntryStringSlice(texts))
	}

	if !spec.Source {
		src := spec.SourceRPM
		if src == "" {
			src = spec.Name + "-" + spec.Version + "-" + spec.Release + ".src.rpm"
		}
		r.AddCustomTag(tagSourceRPM, rpmpack.EntryString(src))
		return wrapWrite(spec.Name, r.Write(w))
	}

	// rpmpack always writes a SOURCERPM tag, and its presence is what
	// tells rpm a binary package from a source one; a custom tag can
	// overwrite a tag but not remove it. So a source package is written
	// to memory and its header rewritten without the tag.
	var sources, patches []string
	for _, f := range spec.Files {
		switch {
		case f.Flags&FileSpec != 0:
		case strings.HasSuffix(f.Path, ".patch") || strings.HasSuffix(f.Path, ".diff"):
			patches = append(patches, f.Path)
		default:
			sources = append(sources, f.Path)
		}
	}
	if len(sources) > 0 {
		r.AddCustomTag(tagSource, rpmpack.EntryStringSlice(sources))
	}
	if len(patches) > 0 {
		r.AddCustomTag(tagPatch, rpmpack.EntryStringSlice(patches))
	}
	r.AddCustomTag(tagSourcePackage, rpmpack.EntryUint32([]uint32{1}))
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		return wrapWrite(spec.Name, err)
	}
	out, err := makeSource(buf.Bytes())
	if err != nil {
		return fmt.Errorf("corpus: package %s: %w", spec.Name, err)
	}
	_, err = w.Write(out)
	return wrapWrite(spec.Name, err)
}

func wrapWrite(name string, err error) error {
	if err != nil {
		return fmt.Errorf("corpus: writing package %s: %w", name, err)
	}
	return nil
}

// validate fills defaults and rejects what rpmpack would silently mangle.
func validate(spec *PackageSpec) error {
	switch {
	case spec.Name == "" || spec.Version == "" || spec.Release == "":
		return fmt.Errorf("corpus: package %q: name, version and release are required", spec.Name)
	case strings.ContainsAny(spec.Name+spec.Version+spec.Release, " \t\n/"):
		return fmt.Errorf("corpus: package %q: whitespace or / in name, version or release", spec.Name)
	case strings.Contains(spec.Version+spec.Release, "-"):
		return fmt.Errorf("corpus: package %s: '-' in version or release", spec.Name)
	}
	if spec.Arch == "" {
		spec.Arch = "noarch"
	}
	seen := make(map[string]bool, len(spec.Files))
	for _, f := range spec.Files {
		if spec.Source {
			if f.Path == "" || strings.Contains(f.Path, "/") {
				return fmt.Errorf("corpus: package %s: source package file %q must be a bare name", spec.Name, f.Path)
			}
		} else if !strings.HasPrefix(f.Path, "/") || f.Path == "/" || strings.HasSuffix(f.Path, "/") {
			return fmt.Errorf("corpus: package %s: file %q is not an absolute path", spec.Name, f.Path)
		}
		if seen[f.Path] {
			return fmt.Errorf("corpus: package %s: file %q listed twice", spec.Name, f.Path)
		}
		seen[f.Path] = true
	}
	return nil
}

func addFiles(r *rpmpack.RPM, spec *PackageSpec) {
	if len(spec.Files) == 0 {
		return
	}
	mtime := uint32(spec.BuildTime.Unix())
	for _, f := range spec.Files {
		rf := rpmpack.RPMFile{
			Name:  f.Path,
			Owner: cmp.Or(f.Owner, "root"),
			Group: cmp.Or(f.Group, "root"),
			MTime: mtime,
			// rpmpack leaves a file out of the payload only when its
			// type is exactly GhostFile; the real flags are set below.
			Type: rpmpack.FileType(f.Flags),
		}
		if f.Flags&FileGhost != 0 {
			rf.Type = rpmpack.GhostFile
		}
		if !f.MTime.IsZero() {
			rf.MTime = uint32(f.MTime.Unix())
		}
		perm := uint(f.Mode.Perm())
		switch {
		case f.Mode&fs.ModeDir != 0:
			rf.Mode = 0o040000 | cmp.Or(perm, 0o755)
		case f.Mode&fs.ModeSymlink != 0:
			rf.Mode = 0o120000 | cmp.Or(perm, 0o777)
			rf.Body = f.Content
		default:
			rf.Mode = 0o100000 | cmp.Or(perm, 0o644)
			if f.Flags&FileGhost == 0 {
				rf.Body = f.Content
			}
		}
		if f.Mode&fs.ModeSetuid != 0 {
			rf.Mode |= 0o4000
		}
		if f.Mode&fs.ModeSetgid != 0 {
			rf.Mode |= 0o2000
		}
		if f.Mode&fs.ModeSticky != 0 {
			rf.Mode |= 0o1000
		}
		r.AddFile(rf)
	}
	// rpmpack writes files sorted by name; FILEFLAGS must follow that order.
	files := slices.Clone(spec.Files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	flags := make([]uint32, len(files))
	for i, f := range files {
		flags[i] = uint32(f.Flags)
	}
	r.AddCustomTag(tagFileFlags, rpmpack.EntryUint32(flags))
}

// parseRelations turns "name [op evr]" strings into rpmpack relations. It
// splits on white space rather than using rpmpack.NewRelation, whose
// pattern cuts names that contain '=' such as "font(:lang=en)".
func parseRelations(in []string) (rpmpack.Relations, error) {
	var out rpmpack.Relations
	for _, s := range in {
		d, err := parseRelation(s)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// sense returns rpm's flags for a comparison operator.
func sense(op string) (uint32, bool) {
	switch op {
	case "<":
		return uint32(rpmpack.SenseLess), true
	case "<=":
		return uint32(rpmpack.SenseLess | rpmpack.SenseEqual), true
	case "=":
		return uint32(rpmpack.SenseEqual), true
	case ">=":
		return uint32(rpmpack.SenseGreater | rpmpack.SenseEqual), true
	case ">":
		return uint32(rpmpack.SenseGreater), true
	}
	return 0, false
}

func parseRelation(s string) (*rpmpack.Relation, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		return &rpmpack.Relation{Name: s, Sense: rpmpack.SenseAny}, nil
	}
	f := strings.Fields(s)
	switch len(f) {
	case 1:
		return &rpmpack.Relation{Name: f[0], Sense: rpmpack.SenseAny}, nil
	case 3:
		flags, ok := sense(f[1])
		if !ok {
			break
		}
		if strings.HasPrefix(f[0], "rpmlib(") {
			flags |= uint32(rpmpack.SenseRPMLIB)
		}
		rel := &rpmpack.Relation{Name: f[0], Version: f[2]}
		setSense(&rel.Sense, flags)
		return rel, nil
	}
	return nil, fmt.Errorf("malformed dependency %q", s)
}

// setSense stores flags in rpmpack's unexported sense type, which type
// inference can name where this package cannot.
func setSense[T ~uint32](p *T, flags uint32) { *p = T(flags) }
