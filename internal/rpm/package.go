// Package rpm reads RPM and SRPM files exactly as rpm does (lead, signature
// header, main header), lays out signature headers as rpmsign writes them,
// and compares versions with rpm's own rules. It is pure: it reads from
// io.Reader and returns values, and never imports the network, the
// database or the web layer.
package rpm

import (
	"strconv"
)

// Dependency flag bits (rpmsenseFlags in rpm's rpmds.h).
const (
	SenseAny          uint32 = 0
	SenseLess         uint32 = 1 << 1
	SenseGreater      uint32 = 1 << 2
	SenseEqual        uint32 = 1 << 3
	SenseCompareMask  uint32 = SenseLess | SenseGreater | SenseEqual
	SensePosttrans    uint32 = 1 << 5
	SensePrereq       uint32 = 1 << 6
	SensePretrans     uint32 = 1 << 7
	SenseInterp       uint32 = 1 << 8
	SenseScriptPre    uint32 = 1 << 9
	SenseScriptPost   uint32 = 1 << 10
	SenseScriptPreun  uint32 = 1 << 11
	SenseScriptPostun uint32 = 1 << 12
	SenseRpmlib       uint32 = 1 << 24
	SenseStrong       uint32 = 1 << 27 // legacy weak dependencies: Recommends vs Suggests
)

// Dependency is one entry of requires, provides, conflicts, obsoletes or a
// weak dependency: a name, rpm's sense flags and an EVR as stored
// ("1:2.0-1", "2.0", or "" when unversioned).
type Dependency struct {
	Name    string
	Flags   uint32
	Version string
}

// Op returns the comparison operator as rpm writes it ("<", "<=", "=", ">=",
// ">"), or "" for an unversioned dependency.
func (d Dependency) Op() string {
	switch d.Flags & SenseCompareMask {
	case SenseLess:
		return "<"
	case SenseLess | SenseEqual:
		return "<="
	case SenseEqual:
		return "="
	case SenseGreater | SenseEqual:
		return ">="
	case SenseGreater:
		return ">"
	case SenseLess | SenseGreater:
		return "<>"
	}
	return ""
}

// String writes the dependency as `rpm -qp --requires` does: "foo >= 1:2.0-1".
func (d Dependency) String() string {
	op := d.Op()
	if op == "" {
		return d.Name
	}
	return d.Name + " " + op + " " + d.Version
}

// IsPre reports whether the dependency must hold before the package's
// scriptlets run (createrepo's pre="1").
func (d Dependency) IsPre() bool {
	return d.Flags&(SensePrereq|SenseScriptPre|SenseScriptPost) != 0
}

// File modes and flags used to classify entries of the file list.
const (
	fileTypeMask   = 0o170000
	fileTypeDir    = 0o040000
	FileFlagGhost  = 1 << 6
	FileFlagConfig = 1 << 0
	FileFlagDoc    = 1 << 1
)

// File is one entry of a package's file list.
type File struct {
	Path   string
	Mode   uint16
	Flags  uint32
	Size   int64
	Digest string
	LinkTo string
	MTime  uint32
	User   string
	Group  string
}

// IsDir reports whether the entry is a directory.
func (f File) IsDir() bool { return uint32(f.Mode)&fileTypeMask == fileTypeDir }

// IsGhost reports whether the entry is a %ghost (owned, not shipped).
func (f File) IsGhost() bool { return f.Flags&FileFlagGhost != 0 }

// ChangelogEntry is one %changelog entry, newest first as rpm stores them.
type ChangelogEntry struct {
	Time   int64
	Author string
	Text   string
}

// Signature describes the OpenPGP signature found in the signature header.
type Signature struct {
	KeyID     string `json:"key_id"`    // 16 lower-case hex digits, as rpm prints "Key ID"
	Algorithm string `json:"algorithm"` // as rpm prints it: "RSA/SHA256", "DSA/SHA1", "EdDSA/SHA512"
	Created   int64  `json:"created"`   // Unix seconds
	Tag       string `json:"tag"`       // which signature tag carried it: RSAHEADER, DSAHEADER, PGP, GPG
}

// Package is everything smeforge keeps of an RPM or SRPM header.
type Package struct {
	Name     string
	Epoch    uint32
	HasEpoch bool
	Version  string
	Release  string
	Arch     string // the header's ARCH tag; see RepoArch for "src"
	// SourcePackage is true for an SRPM.
	SourcePackage bool

	Summary     string
	Description string
	License     string
	URL         string
	Vendor      string
	Packager    string
	Group       string
	BuildHost   string
	BuildTime   int64
	SourceRPM   string // empty for an SRPM
	OS          string

	InstalledSize int64
	ArchiveSize   int64

	PayloadFormat     string
	PayloadCompressor string

	Requires    []Dependency
	Provides    []Dependency
	Conflicts   []Dependency
	Obsoletes   []Dependency
	Recommends  []Dependency
	Suggests    []Dependency
	Supplements []Dependency
	Enhances    []Dependency

	Files     []File
	Changelog []ChangelogEntry

	Signature *Signature

	// HeaderStart and HeaderEnd are the byte range of the main header in
	// the file (createrepo's rpm:header-range).
	HeaderStart int64
	HeaderEnd   int64

	// FileSize and SHA256 describe the whole file; they are set by the
	// readers that see the whole file (ReadFile, ReadAll).
	FileSize int64
	SHA256   string
}

// RepoArch is the architecture repository metadata uses: "src" for an SRPM.
func (p *Package) RepoArch() string {
	if p.SourcePackage {
		return "src"
	}
	return p.Arch
}

// EVR returns "[epoch:]version-release" with the epoch only when the header
// has one.
func (p *Package) EVR() string {
	s := p.Version + "-" + p.Release
	if p.HasEpoch {
		s = strconv.FormatUint(uint64(p.Epoch), 10) + ":" + s
	}
	return s
}

// NEVRA returns name-[epoch:]version-release.arch as rpm's %{NEVRA} prints it.
func (p *Package) NEVRA() string {
	return p.Name + "-" + p.EVR() + "." + p.Arch
}

// FileName is the conventional file name: name-version-release.arch.rpm,
// with "src" for an SRPM.
func (p *Package) FileName() string {
	return p.Name + "-" + p.Version + "-" + p.Release + "." + p.RepoArch() + ".rpm"
}

// DepStrings formats dependencies as `rpm -qp --requires` does.
func DepStrings(deps []Dependency) []string {
	out := make([]string, len(deps))
	for i, d := range deps {
		out[i] = d.String()
	}
	return out
}
