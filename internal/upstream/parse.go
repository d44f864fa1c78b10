package upstream

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/smeserver/smeforge/internal/repodata"
	"github.com/smeserver/smeforge/internal/rpm"
)

// The parsers walk the documents token by token, keeping only what a
// Package holds: primary.xml of a large distribution is hundreds of
// megabytes decompressed, and its descriptions and file entries are
// skipped, not unmarshalled.

// maxPrealloc caps what a document's packages="N" may make the parsers
// allocate before the packages are actually read.
const maxPrealloc = 1 << 16

// xmlNS is the namespace encoding/xml gives the xml: prefix (xml:base).
const xmlNS = "http://www.w3.org/XML/1998/namespace"

// interner shares the strings that repeat across packages (architectures,
// licences, dependency names and versions), which keeps a large snapshot
// much smaller.
type interner map[string]string

func (in interner) get(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	in[s] = s
	return s
}

// syntaxError adds the document and line to a decoder error: malformed
// XML is ErrMetadata, a read error (a limit, a decompression error, the
// context) is kept as it is.
func syntaxError(d *xml.Decoder, what string, err error) error {
	line, _ := d.InputPos()
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%w: %s: %v", ErrMetadata, what, se)
	case err == io.EOF:
		return fmt.Errorf("%w: %s line %d: %v", ErrMetadata, what, line, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%s line %d: %w", what, line, err)
}

// root reads up to the document element and checks its name.
func root(d *xml.Decoder, what, space, local string) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, syntaxError(d, what, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Space != space || se.Name.Local != local {
				return se, fmt.Errorf("%w: %s: the root element is {%s}%s, not {%s}%s", ErrMetadata, what, se.Name.Space, se.Name.Local, space, local)
			}
			return se, nil
		}
	}
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local && (a.Name.Space == "" || a.Name.Space == xmlNS && local == "base") {
			return a.Value
		}
	}
	return ""
}

// declaredCount reads the packages="N" attribute of a document element;
// -1 when it is absent.
func declaredCount(se xml.StartElement, what string) (int, error) {
	v := attr(se, "packages")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %s: packages=%q is not a count", ErrMetadata, what, v)
	}
	return n, nil
}

// text reads the character data of the element just started, up to its
// end.
func text(d *xml.Decoder) (string, error) {
	var s string
	var b []byte
	parts := 0
	for depth := 0; ; {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if depth > 0 {
				continue
			}
			if parts++; parts == 1 {
				s = string(t)
			} else {
				if parts == 2 {
					b = append(b, s...)
				}
				b = append(b, t...)
			}
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				if parts > 1 {
					return string(b), nil
				}
				return s, nil
			}
			depth--
		}
	}
}

// parsePrimary reads primary.xml.
func parsePrimary(r io.Reader) ([]Package, error) {
	const what = "primary.xml"
	d := xml.NewDecoder(r)
	se, err := root(d, what, repodata.NSCommon, "metadata")
	if err != nil {
		return nil, err
	}
	declared, err := declaredCount(se, what)
	if err != nil {
		return nil, err
	}
	pkgs := make([]Package, 0, min(max(declared, 0), maxPrealloc))
	in := interner{}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, syntaxError(d, what, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "package" {
				if err := d.Skip(); err != nil {
					return nil, syntaxError(d, what, err)
				}
				continue
			}
			p, err := parsePackage(d, in)
			if err != nil {
				if errors.Is(err, ErrMetadata) {
					return nil, err
				}
				return nil, syntaxError(d, what, err)
			}
			pkgs = append(pkgs, p)
		case xml.EndElement:
			if declared >= 0 && declared != len(pkgs) {
				return nil, fmt.Errorf("%w: %s says packages=\"%d\" but lists %d", ErrMetadata, what, declared, len(pkgs))
			}
			return pkgs, nil
		}
	}
}

// parsePackage reads one <package> of primary.xml, whose start was just
// read. The elements it wants have names unique within a package, so the
// walk descends into <format> and the dependency lists without keeping a
// path.
func parsePackage(d *xml.Decoder, in interner) (Package, error) {
	var p Package
	var deps *[]rpm.Dependency
	bad := func(format string, a ...any) (Package, error) {
		line, _ := d.InputPos()
		name := p.Name
		if name == "" {
			name = "a package"
		}
		return Package{}, fmt.Errorf("%w: primary.xml line %d: %s: %s", ErrMetadata, line, name, fmt.Sprintf(format, a...))
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return Package{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var err error
			switch t.Name.Local {
			case "name":
				p.Name, err = text(d)
			case "arch":
				var s string
				s, err = text(d)
				p.Arch = in.get(s)
			case "summary":
				p.Summary, err = text(d)
			case "license":
				var s string
				s, err = text(d)
				p.License = in.get(s)
			case "sourcerpm":
				p.SourceRPM, err = text(d)
			case "checksum":
				p.ChecksumType = attr(t, "type")
				var s string
				if s, err = text(d); err == nil {
					c, cerr := parseChecksum(p.ChecksumType, s)
					if cerr != nil {
						return bad("%v", cerr)
					}
					p.Checksum, p.ChecksumType = c.value, c.typ
				}
			case "version":
				p.Version, p.Release = attr(t, "ver"), attr(t, "rel")
				if e := attr(t, "epoch"); e != "" {
					n, perr := strconv.Atoi(e)
					if perr != nil || n < 0 {
						return bad("epoch %q is not a number", e)
					}
					p.Epoch = n
				}
				err = d.Skip()
			case "location":
				p.Location, p.LocationBase = attr(t, "href"), attr(t, "base")
				err = d.Skip()
			case "size":
				if s := attr(t, "package"); s != "" {
					n, perr := strconv.ParseInt(s, 10, 64)
					if perr != nil || n < 0 {
						return bad("size %q is not a number", s)
					}
					p.Size = n
				}
				err = d.Skip()
			case "format":
				// descend
			case "provides":
				deps = &p.Provides
			case "requires":
				deps = &p.Requires
			case "conflicts":
				deps = &p.Conflicts
			case "obsoletes":
				deps = &p.Obsoletes
			case "recommends":
				deps = &p.Recommends
			case "suggests":
				deps = &p.Suggests
			case "supplements":
				deps = &p.Supplements
			case "enhances":
				deps = &p.Enhances
			case "entry":
				if deps == nil {
					err = d.Skip()
					break
				}
				dep, derr := entryDependency(t, in)
				if derr != nil {
					return bad("%v", derr)
				}
				*deps = append(*deps, dep)
				err = d.Skip()
			default:
				err = d.Skip() // description, packager, file, header-range ...
			}
			if err != nil {
				return Package{}, err
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "package":
				switch {
				case p.Name == "" || p.Arch == "" || p.Version == "":
					return bad("no name, arch or version")
				case p.Checksum == "":
					return bad("no checksum")
				case p.Location == "":
					return bad("no location")
				}
				return p, nil
			case "format":
			default:
				deps = nil
			}
		}
	}
}

var senseFlags = map[string]uint32{
	"LT": rpm.SenseLess,
	"LE": rpm.SenseLess | rpm.SenseEqual,
	"EQ": rpm.SenseEqual,
	"GE": rpm.SenseGreater | rpm.SenseEqual,
	"GT": rpm.SenseGreater,
}

// entryDependency reads <rpm:entry name flags epoch ver rel pre>.
func entryDependency(se xml.StartElement, in interner) (rpm.Dependency, error) {
	var name, flags, epoch, ver, rel, pre string
	for _, a := range se.Attr {
		switch a.Name.Local {
		case "name":
			name = a.Value
		case "flags":
			flags = a.Value
		case "epoch":
			epoch = a.Value
		case "ver":
			ver = a.Value
		case "rel":
			rel = a.Value
		case "pre":
			pre = a.Value
		}
	}
	if name == "" {
		return rpm.Dependency{}, errors.New("a dependency without a name")
	}
	d := rpm.Dependency{Name: in.get(name)}
	if flags != "" {
		f, ok := senseFlags[flags]
		if !ok {
			return rpm.Dependency{}, fmt.Errorf("dependency %s: unknown flags %q", name, flags)
		}
		d.Flags = f
		if epoch == "0" {
			epoch = ""
		}
		d.Version = in.get(rpm.EVR{Epoch: epoch, Version: ver, Release: rel}.String())
	}
	if pre == "1" || pre == "true" {
		d.Flags |= rpm.SensePrereq
	}
	return d, nil
}

// fileList is one <package> of filelists.xml.
type fileList struct {
	name, arch string
	files      []string
}

// parseFilelists reads filelists.xml into a map by pkgid, and returns how
// many packages it lists (a pkgid may repeat when a package file is at two
// locations).
func parseFilelists(r io.Reader) (map[string]fileList, int, error) {
	const what = "filelists.xml"
	d := xml.NewDecoder(r)
	se, err := root(d, what, repodata.NSFilelists, "filelists")
	if err != nil {
		return nil, 0, err
	}
	declared, err := declaredCount(se, what)
	if err != nil {
		return nil, 0, err
	}
	out := make(map[string]fileList, min(max(declared, 0), maxPrealloc))
	n := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, 0, syntaxError(d, what, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "package" {
				if err := d.Skip(); err != nil {
					return nil, 0, syntaxError(d, what, err)
				}
				continue
			}
			id := strings.ToLower(attr(t, "pkgid"))
			fl := fileList{name: attr(t, "name"), arch: attr(t, "arch")}
			if id == "" {
				line, _ := d.InputPos()
				return nil, 0, fmt.Errorf("%w: %s line %d: a package without a pkgid", ErrMetadata, what, line)
			}
			if fl.files, err = readFiles(d); err != nil {
				return nil, 0, syntaxError(d, what, err)
			}
			out[id] = fl
			n++
		case xml.EndElement:
			if declared >= 0 && declared != n {
				return nil, 0, fmt.Errorf("%w: %s says packages=\"%d\" but lists %d", ErrMetadata, what, declared, n)
			}
			return out, n, nil
		}
	}
}

// readFiles reads the <file> elements of a filelists.xml <package>.
func readFiles(d *xml.Decoder) ([]string, error) {
	var files []string
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "file" {
				if err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			s, err := text(d)
			if err != nil {
				return nil, err
			}
			files = append(files, s)
		case xml.EndElement:
			return files, nil
		}
	}
}

// join gives each package of primary its files, and checks that the two
// documents describe the same packages.
func join(pkgs []Package, lists map[string]fileList, nLists int) error {
	if len(pkgs) != nLists {
		return fmt.Errorf("%w: primary.xml lists %d packages, filelists.xml %d", ErrMetadata, len(pkgs), nLists)
	}
	used := make(map[string]bool, len(lists))
	for i := range pkgs {
		p := &pkgs[i]
		fl, ok := lists[p.Checksum]
		if !ok {
			return fmt.Errorf("%w: %s (pkgid %s) is in primary.xml but not in filelists.xml", ErrMetadata, p.NEVRA(), p.Checksum)
		}
		if fl.name != p.Name || fl.arch != p.Arch {
			return fmt.Errorf("%w: pkgid %s is %s.%s in primary.xml but %s.%s in filelists.xml", ErrMetadata, p.Checksum, p.Name, p.Arch, fl.name, fl.arch)
		}
		p.Files = fl.files
		used[p.Checksum] = true
	}
	for id, fl := range lists {
		if !used[id] {
			return fmt.Errorf("%w: %s.%s (pkgid %s) is in filelists.xml but not in primary.xml", ErrMetadata, fl.name, fl.arch, id)
		}
	}
	return nil
}
