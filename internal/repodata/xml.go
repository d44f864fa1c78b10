package repodata

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/smeserver/smeforge/internal/rpm"
)

// XML namespaces of the three metadata files and of repomd.xml; a client
// that sees another namespace ignores the data, so tests assert them.
const (
	NSCommon    = "http://linux.duke.edu/metadata/common"
	NSRPM       = "http://linux.duke.edu/metadata/rpm"
	NSFilelists = "http://linux.duke.edu/metadata/filelists"
	NSOther     = "http://linux.duke.edu/metadata/other"
	NSRepo      = "http://linux.duke.edu/metadata/repo"
)

// DefaultChangelogLimit is how many of the newest changelog entries go into
// other.xml, as createrepo_c does by default.
const DefaultChangelogLimit = 10

// Location says where a package file is, relative to the repository root,
// and the file's modification time (primary's time/@file).
type Location struct {
	Href  string
	Base  string // optional xml:base
	MTime int64
}

// Fragments are one package's entries in primary.xml, filelists.xml and
// other.xml. They are computed once (at ingest or on first sight of a file)
// and concatenated when a repository is written, so publishing never
// re-reads an RPM.
type Fragments struct {
	Primary   []byte
	Filelists []byte
	Other     []byte
}

// RenderOptions tune fragment rendering.
type RenderOptions struct {
	ChangelogLimit int // 0 means DefaultChangelogLimit; negative means none
}

// IsPrimaryFile is createrepo's rule for the files listed in primary.xml:
// those that dependency resolution most often asks about.
func IsPrimaryFile(path string) bool {
	return strings.HasPrefix(path, "/etc/") || strings.Contains(path, "bin/") || path == "/usr/lib/sendmail"
}

// Render computes the three fragments of a package. p.SHA256 must be set.
func Render(p *rpm.Package, loc Location, opt RenderOptions) Fragments {
	var f Fragments
	f.Primary = renderPrimary(make([]byte, 0, 2048), p, loc)
	f.Filelists = renderFilelists(make([]byte, 0, 256+64*len(p.Files)), p)
	f.Other = renderOther(make([]byte, 0, 512), p, opt)
	return f
}

func renderVersion(b []byte, p *rpm.Package) []byte {
	b = append(b, `<version epoch="`...)
	b = strconv.AppendUint(b, uint64(p.Epoch), 10)
	b = append(b, `" ver="`...)
	b = escAttr(b, p.Version)
	b = append(b, `" rel="`...)
	b = escAttr(b, p.Release)
	return append(b, `"/>`...)
}

func renderPrimary(b []byte, p *rpm.Package, loc Location) []byte {
	b = append(b, "<package type=\"rpm\">\n  <name>"...)
	b = escText(b, p.Name)
	b = append(b, "</name>\n  <arch>"...)
	b = escText(b, p.RepoArch())
	b = append(b, "</arch>\n  "...)
	b = renderVersion(b, p)
	b = append(b, "\n  <checksum type=\"sha256\" pkgid=\"YES\">"...)
	b = append(b, p.SHA256...)
	b = append(b, "</checksum>\n"...)
	b = textElem(b, "  ", "summary", p.Summary)
	b = textElem(b, "  ", "description", p.Description)
	b = textElem(b, "  ", "packager", p.Packager)
	b = textElem(b, "  ", "url", p.URL)
	b = append(b, `  <time file="`...)
	b = strconv.AppendInt(b, loc.MTime, 10)
	b = append(b, `" build="`...)
	b = strconv.AppendInt(b, p.BuildTime, 10)
	b = append(b, "\"/>\n  <size package=\""...)
	b = strconv.AppendInt(b, p.FileSize, 10)
	b = append(b, `" installed="`...)
	b = strconv.AppendInt(b, p.InstalledSize, 10)
	b = append(b, `" archive="`...)
	b = strconv.AppendInt(b, p.ArchiveSize, 10)
	b = append(b, "\"/>\n  <location "...)
	if loc.Base != "" {
		b = append(b, `xml:base="`...)
		b = escAttr(b, loc.Base)
		b = append(b, `" `...)
	}
	b = append(b, `href="`...)
	b = escAttr(b, loc.Href)
	b = append(b, "\"/>\n  <format>\n"...)
	b = textElem(b, "    ", "rpm:license", p.License)
	b = textElem(b, "    ", "rpm:vendor", p.Vendor)
	b = textElem(b, "    ", "rpm:group", p.Group)
	b = textElem(b, "    ", "rpm:buildhost", p.BuildHost)
	b = textElem(b, "    ", "rpm:sourcerpm", p.SourceRPM)
	b = append(b, `    <rpm:header-range start="`...)
	b = strconv.AppendInt(b, p.HeaderStart, 10)
	b = append(b, `" end="`...)
	b = strconv.AppendInt(b, p.HeaderEnd, 10)
	b = append(b, "\"/>\n"...)

	b = depList(b, "rpm:provides", p.Provides, false)
	b = depList(b, "rpm:requires", primaryRequires(p), true)
	b = depList(b, "rpm:conflicts", p.Conflicts, false)
	b = depList(b, "rpm:obsoletes", p.Obsoletes, false)
	b = depList(b, "rpm:suggests", p.Suggests, false)
	b = depList(b, "rpm:enhances", p.Enhances, false)
	b = depList(b, "rpm:recommends", p.Recommends, false)
	b = depList(b, "rpm:supplements", p.Supplements, false)
	for _, f := range p.Files {
		if IsPrimaryFile(f.Path) {
			b = fileElem(b, "    ", f)
		}
	}
	return append(b, "  </format>\n</package>\n"...)
}

// primaryRequires filters requires the way createrepo_c does: rpmlib()
// internals, requires on the package's own primary files, requires that a
// provide of the package satisfies exactly (same name, flags and version),
// and exact duplicates are left out; of the libc.so.6 requires only the
// highest version is kept.
func primaryRequires(p *rpm.Package) []rpm.Dependency {
	if len(p.Requires) == 0 {
		return nil
	}
	type key struct {
		name, ver string
		flags     uint32
		pre       bool
	}
	provided := make(map[key]struct{}, len(p.Provides))
	for _, d := range p.Provides {
		provided[key{d.Name, d.Version, d.Flags & rpm.SenseCompareMask, false}] = struct{}{}
	}
	var own map[string]struct{}
	seen := make(map[key]struct{}, len(p.Requires))
	out := make([]rpm.Dependency, 0, len(p.Requires))
	libc := -1
	for _, d := range p.Requires {
		if strings.HasPrefix(d.Name, "rpmlib(") {
			continue
		}
		if _, ok := provided[key{d.Name, d.Version, d.Flags & rpm.SenseCompareMask, false}]; ok {
			continue
		}
		if strings.HasPrefix(d.Name, "/") && IsPrimaryFile(d.Name) {
			if own == nil {
				own = make(map[string]struct{}, len(p.Files))
				for _, f := range p.Files {
					own[f.Path] = struct{}{}
				}
			}
			if _, ok := own[d.Name]; ok {
				continue
			}
		}
		k := key{d.Name, d.Version, d.Flags & rpm.SenseCompareMask, d.IsPre()}
		if _, ok := seen[k]; ok {
			continue
		}
		seen[k] = struct{}{}
		if strings.HasPrefix(d.Name, "libc.so.6") {
			if libc < 0 {
				libc = len(out)
				out = append(out, d)
			} else if compareLibc(out[libc].Name, d.Name) < 0 {
				out[libc] = d
			}
			continue
		}
		out = append(out, d)
	}
	return out
}

// compareLibc orders libc.so.6 capabilities by the version in their first
// parentheses: libc.so.6 < libc.so.6() < libc.so.6(GLIBC_2.3) < (GLIBC_2.14).
func compareLibc(a, b string) int {
	va, oka := libcVersion(a)
	vb, okb := libcVersion(b)
	switch {
	case !oka && !okb:
		return 0
	case !oka:
		return -1
	case !okb:
		return 1
	}
	if va == "" || vb == "" {
		return strings.Compare(va, vb)
	}
	return rpm.Vercmp(va, vb)
}

func libcVersion(s string) (string, bool) {
	i := strings.IndexByte(s, '(')
	if i < 0 {
		return "", false
	}
	j := strings.IndexByte(s[i:], ')')
	if j < 0 {
		return "", false
	}
	v := s[i+1 : i+j]
	k := strings.IndexFunc(v, func(r rune) bool { return r >= '0' && r <= '9' })
	if k < 0 {
		return "", true
	}
	return v[k:], true
}

var flagNames = map[uint32]string{
	rpm.SenseLess:                     "LT",
	rpm.SenseLess | rpm.SenseEqual:    "LE",
	rpm.SenseEqual:                    "EQ",
	rpm.SenseGreater | rpm.SenseEqual: "GE",
	rpm.SenseGreater:                  "GT",
}

func depList(b []byte, elem string, deps []rpm.Dependency, withPre bool) []byte {
	if len(deps) == 0 {
		return b
	}
	b = append(b, "    <"...)
	b = append(b, elem...)
	b = append(b, ">\n"...)
	for _, d := range deps {
		b = append(b, `      <rpm:entry name="`...)
		b = escAttr(b, d.Name)
		b = append(b, '"')
		if fl, ok := flagNames[d.Flags&rpm.SenseCompareMask]; ok {
			e, v, r := splitEVR(d.Version)
			b = append(b, ` flags="`...)
			b = append(b, fl...)
			b = append(b, `" epoch="`...)
			b = escAttr(b, e)
			b = append(b, '"')
			if v != "" {
				b = append(b, ` ver="`...)
				b = escAttr(b, v)
				b = append(b, '"')
			}
			if r != "" {
				b = append(b, ` rel="`...)
				b = escAttr(b, r)
				b = append(b, '"')
			}
		}
		if withPre && d.IsPre() {
			b = append(b, ` pre="1"`...)
		}
		b = append(b, "/>\n"...)
	}
	b = append(b, "    </"...)
	b = append(b, elem...)
	return append(b, ">\n"...)
}

// splitEVR splits "[E:]V[-R]" as createrepo does, with epoch "0" when absent.
func splitEVR(s string) (e, v, r string) {
	e = "0"
	if i := strings.IndexByte(s, ':'); i >= 0 && isDigits(s[:i]) {
		if i > 0 {
			e = s[:i]
		}
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		return e, s[:i], s[i+1:]
	}
	return e, s, ""
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func fileElem(b []byte, indent string, f rpm.File) []byte {
	b = append(b, indent...)
	switch {
	case f.IsDir():
		b = append(b, `<file type="dir">`...)
	case f.IsGhost():
		b = append(b, `<file type="ghost">`...)
	default:
		b = append(b, "<file>"...)
	}
	b = escText(b, f.Path)
	return append(b, "</file>\n"...)
}

func pkgHead(b []byte, p *rpm.Package) []byte {
	b = append(b, `<package pkgid="`...)
	b = append(b, p.SHA256...)
	b = append(b, `" name="`...)
	b = escAttr(b, p.Name)
	b = append(b, `" arch="`...)
	b = escAttr(b, p.RepoArch())
	b = append(b, "\">\n  "...)
	b = renderVersion(b, p)
	return append(b, '\n')
}

func renderFilelists(b []byte, p *rpm.Package) []byte {
	b = pkgHead(b, p)
	for _, f := range p.Files {
		b = fileElem(b, "  ", f)
	}
	return append(b, "</package>\n"...)
}

func renderOther(b []byte, p *rpm.Package, opt RenderOptions) []byte {
	b = pkgHead(b, p)
	limit := opt.ChangelogLimit
	if limit == 0 {
		limit = DefaultChangelogLimit
	}
	n := len(p.Changelog)
	if limit < 0 {
		n = 0
	} else if n > limit {
		n = limit
	}
	// rpm keeps the newest entry first; other.xml lists oldest first.
	for i := n - 1; i >= 0; i-- {
		c := p.Changelog[i]
		b = append(b, `  <changelog author="`...)
		b = escAttr(b, strings.TrimRight(c.Author, " "))
		b = append(b, `" date="`...)
		b = strconv.AppendInt(b, c.Time, 10)
		b = append(b, `">`...)
		b = escText(b, c.Text)
		b = append(b, "</changelog>\n"...)
	}
	return append(b, "</package>\n"...)
}

func textElem(b []byte, indent, name, v string) []byte {
	b = append(b, indent...)
	b = append(b, '<')
	b = append(b, name...)
	if v == "" {
		return append(b, "/>\n"...)
	}
	b = append(b, '>')
	b = escText(b, v)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, ">\n"...)
}

// escText escapes character data; escAttr also escapes quotes. Characters
// XML 1.0 cannot carry at all (most C0 controls) are dropped, and invalid
// UTF-8 becomes U+FFFD, so the output always parses.
func escText(b []byte, s string) []byte { return esc(b, s, false) }
func escAttr(b []byte, s string) []byte { return esc(b, s, true) }

// escClass marks the ASCII bytes that need work: 1 in text and
// attributes, 2 in attributes only.
var escClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 1
	}
	t['\n'], t['\t'] = 2, 2
	t['&'], t['<'], t['>'], t['\r'] = 1, 1, 1, 1
	t['"'] = 2
	for c := 0x80; c < 0x100; c++ {
		t[c] = 1 // checked for valid UTF-8
	}
	return t
}()

func esc(b []byte, s string, attr bool) []byte {
	// Fast path: most names, versions and paths need no escaping at all.
	i := 0
	for i < len(s) {
		k := escClass[s[i]]
		if k == 1 || k == 2 && attr {
			break
		}
		i++
	}
	if i == len(s) {
		return append(b, s...)
	}
	last := 0
	for i < len(s) {
		c := s[i]
		k := escClass[c]
		if k == 0 || k == 2 && !attr {
			i++
			continue
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
				b = append(b, s[last:i]...)
				b = append(b, "\uFFFD"...)
				i += size
				last = i
				continue
			}
			i += size
			continue
		}
		var rep string
		switch c {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\n':
			rep = "&#10;"
		case '\t':
			rep = "&#9;"
		case '\r':
			rep = "&#13;"
		default:
			rep = "" // a control character XML 1.0 cannot carry
		}
		b = append(b, s[last:i]...)
		b = append(b, rep...)
		i++
		last = i
	}
	return append(b, s[last:]...)
}
