// Package catalog owns what the forge knows of its packages: artifacts
// (RPM and SRPM files, parsed once at ingest), builds (an SRPM and the
// binaries made from it), releases, channels and their immutable versions,
// and publications. It defines the Store interface its backends (SQLite
// now, PostgreSQL later) implement, and the rules that sit above storage.
package catalog

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors, checked with errors.Is; the web layer maps them to
// HTTP status codes in one place.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid")
	ErrBusy     = errors.New("busy")
)

// Artifact is one stored RPM or SRPM file.
type Artifact struct {
	SHA256        string    `json:"sha256"`
	Filename      string    `json:"filename"`
	Name          string    `json:"name"`
	Epoch         int64     `json:"epoch"`
	Version       string    `json:"version"`
	Release       string    `json:"release"`
	Arch          string    `json:"arch"` // "src" for an SRPM
	Source        bool      `json:"source"`
	Summary       string    `json:"summary"`
	Description   string    `json:"description,omitempty"`
	License       string    `json:"license"`
	URL           string    `json:"url,omitempty"`
	Vendor        string    `json:"vendor,omitempty"`
	Packager      string    `json:"packager,omitempty"`
	Group         string    `json:"group,omitempty"`
	BuildHost     string    `json:"build_host,omitempty"`
	BuildTime     int64     `json:"build_time"`
	SourceRPM     string    `json:"source_rpm,omitempty"`
	Size          int64     `json:"size"`
	InstalledSize int64     `json:"installed_size"`
	SigKeyID      string    `json:"signature_key_id,omitempty"`
	SigAlgorithm  string    `json:"signature_algorithm,omitempty"`
	BuildID       string    `json:"build"`
	Category      string    `json:"category"`
	UploadedAt    time.Time `json:"uploaded_at"`
	UploadedBy    string    `json:"uploaded_by,omitempty"`
	// FileSHA256 and FileSize describe the file served for the artifact:
	// the upload itself, or its signed copy.
	FileSHA256 string `json:"file_sha256"`
	FileSize   int64  `json:"file_size"`
	// FragDigest identifies the repodata fragments kept for the artifact.
	FragDigest string `json:"-"`
}

// EVR returns [epoch:]version-release.
func (a *Artifact) EVR() string {
	s := a.Version + "-" + a.Release
	if a.Epoch > 0 {
		s = itoa(a.Epoch) + ":" + s
	}
	return s
}

// NEVRA returns name-[epoch:]version-release.arch.
func (a *Artifact) NEVRA() string { return a.Name + "-" + a.EVR() + "." + a.Arch }

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Details are the parts of a header shown on a package page: dependencies,
// files and changelog. They are kept as one document per artifact.
type Details struct {
	Requires    []string `json:"requires,omitempty"`
	Provides    []string `json:"provides,omitempty"`
	Conflicts   []string `json:"conflicts,omitempty"`
	Obsoletes   []string `json:"obsoletes,omitempty"`
	Recommends  []string `json:"recommends,omitempty"`
	Suggests    []string `json:"suggests,omitempty"`
	Supplements []string `json:"supplements,omitempty"`
	Enhances    []string `json:"enhances,omitempty"`
	Files       []string `json:"files,omitempty"`
	// Dirs are the entries of Files that are directories.
	Dirs      []string    `json:"dirs,omitempty"`
	Changelog []Changelog `json:"changelog,omitempty"`
}

// Rebuild is the record of one rpmbuild --rebuild of a build's SRPM.
type Rebuild struct {
	ID          string    `json:"id"`
	Build       string    `json:"build"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	OK          bool      `json:"ok"`
	Log         string    `json:"log"`
	Produced    []string  `json:"produced"`
	RequestedBy string    `json:"requested_by"`
}

// Upstream is a base OS repository the forge syncs.
type Upstream struct {
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	Key       string    `json:"key,omitempty"` // armored public key(s)
	Release   string    `json:"release,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	SyncedAt  time.Time `json:"synced_at,omitzero"`
	Revision  string    `json:"revision,omitempty"`
	SignedBy  string    `json:"signed_by,omitempty"`
	Packages  int       `json:"packages"`
}

// PackageFacts are an artifact with its details, for the policy checks.
type PackageFacts struct {
	Artifact
	Details Details
}

// Changelog is one changelog entry.
type Changelog struct {
	Time   int64  `json:"time"`
	Author string `json:"author"`
	Text   string `json:"text"`
}

// Fragments are an artifact's repodata entries (primary, filelists,
// other), computed once at ingest.
type Fragments struct {
	Primary, Filelists, Other []byte
	Digest                    string
}

// Build is an SRPM and the binaries built from it: the unit that moves
// between channels. Its ID is the source package's name-version-release.
type Build struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Version   string     `json:"version"`
	Release   string     `json:"release"`
	Category  string     `json:"category"`
	HasSource bool       `json:"has_source"`
	CreatedAt time.Time  `json:"created_at"`
	Artifacts []Artifact `json:"artifacts,omitempty"`
}

// Release phases, in order.
var Phases = []string{"planning", "alpha", "beta", "rc", "final", "maintenance", "eol"}

// PhaseIndex returns the position of a phase in Phases, or -1.
func PhaseIndex(p string) int {
	for i, q := range Phases {
		if q == p {
			return i
		}
	}
	return -1
}

// Release is a version of the distribution on a base OS.
type Release struct {
	Name        string               `json:"name"`
	Major       int                  `json:"major"`
	Minor       int                  `json:"minor"`
	BaseOS      string               `json:"base_os"` // "Rocky Linux 8"
	BaseName    string               `json:"base_name"`
	BaseVersion string               `json:"base_version"`
	Arches      []string             `json:"arches"`
	Phase       string               `json:"phase"`
	Development bool                 `json:"development"`
	PhaseDates  map[string]time.Time `json:"phase_dates"`
	EOL         time.Time            `json:"eol,omitzero"`
	FromRelease string               `json:"from_release,omitempty"`
	CreatedAt   time.Time            `json:"created_at"`
}

// Version is "major.minor".
func (r *Release) Version() string { return fmt.Sprintf("%d.%d", r.Major, r.Minor) }

// Channel is a repository of a release (os, updates, addons ...).
type Channel struct {
	Release          string    `json:"release"`
	Name             string    `json:"name"`
	ClientName       string    `json:"client_name"` // the repository id on servers: smeos, smeupdates ...
	Description      string    `json:"description,omitempty"`
	Arches           []string  `json:"arches"`
	Accepts          []string  `json:"accepts"` // categories; empty accepts every category
	Enabled          bool      `json:"enabled"` // on client servers by default
	Visible          bool      `json:"visible"`
	FrozenAtFinal    bool      `json:"frozen_at_final"`
	RequireSigned    bool      `json:"require_signed"`
	Retention        int       `json:"retention"` // versions of a package kept; 0 keeps all
	Frozen           bool      `json:"frozen"`
	FrozenDigest     string    `json:"frozen_digest,omitempty"`
	Version          int64     `json:"version"`           // current (latest) version
	PublishedVersion int64     `json:"published_version"` // what is served; 0 if never
	PublishedAt      time.Time `json:"published_at,omitzero"`
	CreatedAt        time.Time `json:"created_at"`
	Builds           int       `json:"builds"`
}

// AcceptsCategory reports whether a build of category c may enter.
func (c *Channel) AcceptsCategory(cat string) bool {
	if len(c.Accepts) == 0 {
		return true
	}
	for _, a := range c.Accepts {
		if a == cat {
			return true
		}
	}
	return false
}

// ID is "release/channel".
func (c *Channel) ID() string { return c.Release + "/" + c.Name }

// ChannelVersion is one immutable state of a channel.
type ChannelVersion struct {
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Change    string    `json:"change"`
	Builds    []string  `json:"builds,omitempty"`
}

// RepoEntry is what publishing needs of one package in a repository.
type RepoEntry struct {
	SHA256     string // the artifact
	FileSHA256 string // the file served (the package id in the metadata)
	Filename   string
	FragDigest string
	Category   string
	SigKeyID   string
}

// SignatureRecord says which key signed which file of an artifact.
type SignatureRecord struct {
	Artifact   string    `json:"artifact"`
	FileSHA256 string    `json:"file_sha256"`
	KeyID      string    `json:"key_id"`
	Algorithm  string    `json:"algorithm"`
	SignedAt   time.Time `json:"signed_at"`
	SignedBy   string    `json:"signed_by"`
}

// SigningKey is a public key of the project.
type SigningKey struct {
	KeyID     string    `json:"key_id"`
	Algorithm string    `json:"algorithm"`
	PublicKey string    `json:"public_key"`
	CreatedAt time.Time `json:"created_at"`
	Active    bool      `json:"active"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

// PackageRow is a line of the public package table.
type PackageRow struct {
	Artifact
	Channels []ChannelRef `json:"channels"`
}

// ChannelRef names a channel that carries a package.
type ChannelRef struct {
	Release string `json:"release"`
	Channel string `json:"channel"`
}

// Query filters the package table.
type Query struct {
	Text    string // substring of the name
	Release string
	Channel string
	Arch    string
	// BinaryOnly leaves source packages out (the public table's default);
	// SourceOnly lists only them (the source archive).
	BinaryOnly bool
	SourceOnly bool
	Limit      int
	Offset     int
}

// Account is a person or robot that can sign in.
type Account struct {
	Name string `json:"name"`
	// Admin marks the account made at first start.
	Admin     bool      `json:"admin"`
	CreatedAt time.Time `json:"created_at"`
	// Roles are the policy roles the account holds; through an API token,
	// only those the token is scoped to.
	Roles       []string  `json:"roles"`
	Disabled    bool      `json:"disabled"`
	LastLoginAt time.Time `json:"last_login_at,omitzero"`
}

// kindError is an error whose message is written for people and which
// still matches one of the sentinels with errors.Is.
type kindError struct {
	kind error
	msg  string
	err  error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() []error {
	if e.err != nil {
		return []error{e.kind, e.err}
	}
	return []error{e.kind}
}

// Errorf formats a message and marks it as being of kind (ErrNotFound,
// ErrConflict, ErrInvalid ...). A %w verb in format is honoured too.
func Errorf(kind error, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &kindError{kind: kind, msg: err.Error(), err: errors.Unwrap(err)}
}
