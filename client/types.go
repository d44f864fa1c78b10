package client

import (
	"strconv"
	"time"
)

// The types below mirror the JSON of the API (docs/api.md) field for field.
// They are declared here rather than taken from internal/catalog on
// purpose: a program outside this module could receive values of internal
// types but never name them, and the API's shape would change whenever the
// server's domain types do. Keeping the client's own copy makes the wire
// format the contract; the client's tests decode real server answers into
// them, so a drift shows up as a failing test.

// Package is one stored RPM or SRPM file (an "artifact" on the server).
type Package struct {
	SHA256             string    `json:"sha256"`
	Filename           string    `json:"filename"`
	Name               string    `json:"name"`
	Epoch              int64     `json:"epoch"`
	Version            string    `json:"version"`
	Release            string    `json:"release"`
	Arch               string    `json:"arch"` // "src" for an SRPM
	Source             bool      `json:"source"`
	Summary            string    `json:"summary"`
	Description        string    `json:"description,omitempty"`
	License            string    `json:"license"`
	URL                string    `json:"url,omitempty"`
	Vendor             string    `json:"vendor,omitempty"`
	Packager           string    `json:"packager,omitempty"`
	Group              string    `json:"group,omitempty"`
	BuildHost          string    `json:"build_host,omitempty"`
	BuildTime          int64     `json:"build_time"`
	SourceRPM          string    `json:"source_rpm,omitempty"`
	Size               int64     `json:"size"`
	InstalledSize      int64     `json:"installed_size"`
	SignatureKeyID     string    `json:"signature_key_id,omitempty"`
	SignatureAlgorithm string    `json:"signature_algorithm,omitempty"`
	Build              string    `json:"build"`
	Category           string    `json:"category"`
	UploadedAt         time.Time `json:"uploaded_at"`
	UploadedBy         string    `json:"uploaded_by,omitempty"`
}

// EVR returns [epoch:]version-release.
func (p *Package) EVR() string {
	s := p.Version + "-" + p.Release
	if p.Epoch > 0 {
		s = strconv.FormatInt(p.Epoch, 10) + ":" + s
	}
	return s
}

// NEVRA returns name-[epoch:]version-release.arch.
func (p *Package) NEVRA() string { return p.Name + "-" + p.EVR() + "." + p.Arch }

// Details are the dependencies, files and changelog of a package.
type Details struct {
	Requires    []string    `json:"requires,omitempty"`
	Provides    []string    `json:"provides,omitempty"`
	Conflicts   []string    `json:"conflicts,omitempty"`
	Obsoletes   []string    `json:"obsoletes,omitempty"`
	Recommends  []string    `json:"recommends,omitempty"`
	Suggests    []string    `json:"suggests,omitempty"`
	Supplements []string    `json:"supplements,omitempty"`
	Enhances    []string    `json:"enhances,omitempty"`
	Files       []string    `json:"files,omitempty"`
	Changelog   []Changelog `json:"changelog,omitempty"`
}

// Changelog is one changelog entry; Time is in seconds since the epoch.
type Changelog struct {
	Time   int64  `json:"time"`
	Author string `json:"author"`
	Text   string `json:"text"`
}

// UploadResult is the answer to an upload: Created is false when the same
// file was already stored (the upload then changed nothing).
type UploadResult struct {
	Created bool    `json:"created"`
	Package Package `json:"package"`
}

// PackageInfo is a package with its details.
type PackageInfo struct {
	Package Package `json:"package"`
	Details Details `json:"details"`
}

// Query filters a package search. Zero fields do not filter; Limit 0 is the
// server's default (100, at most 1000).
type Query struct {
	Text    string // part of the package name, case-insensitive
	Release string
	Channel string
	Arch    string
	Limit   int
	Offset  int
}

// ChannelRef names a channel that carries a package.
type ChannelRef struct {
	Release string `json:"release"`
	Channel string `json:"channel"`
}

// PackageRow is a package found by a search, with the channels that carry
// its build.
type PackageRow struct {
	Package
	Channels []ChannelRef `json:"channels"`
}

// PackageList is a page of search results; Total counts every match.
type PackageList struct {
	Total    int          `json:"total"`
	Packages []PackageRow `json:"packages"`
}

// BuildQuery filters the list of builds.
type BuildQuery struct {
	Text   string // part of the build id, case-insensitive
	Limit  int
	Offset int
}

// Build is a source package and the binaries built from it; its ID is the
// source package's name-version-release. Artifacts is only filled by
// Client.Build.
type Build struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Version   string    `json:"version"`
	Release   string    `json:"release"`
	Category  string    `json:"category"`
	HasSource bool      `json:"has_source"`
	CreatedAt time.Time `json:"created_at"`
	Artifacts []Package `json:"artifacts,omitempty"`
}

// Release is a version of the distribution on a base OS.
type Release struct {
	Name        string               `json:"name"`
	Major       int                  `json:"major"`
	Minor       int                  `json:"minor"`
	BaseOS      string               `json:"base_os"`
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

// ReleaseSpec describes a release to create. Version ("10.1") defaults to
// the name, EOL ("2029-05-31") to the base OS's end of life.
type ReleaseSpec struct {
	Name    string   `json:"name"`
	Version string   `json:"version,omitempty"`
	BaseOS  string   `json:"base_os"`
	Arches  []string `json:"arches,omitempty"`
	EOL     string   `json:"eol,omitempty"`
}

// Change is how a package differs from the previous release, per channel.
type Change struct {
	Channel string `json:"channel"`
	Name    string `json:"name"`
	Before  string `json:"before,omitempty"`
	After   string `json:"after,omitempty"`
}

// ReleaseInfo is a release with its channels.
type ReleaseInfo struct {
	Release         Release   `json:"release"`
	Channels        []Channel `json:"channels"`
	PreviousRelease string    `json:"previous_release,omitempty"`
	Changes         []Change  `json:"changes,omitempty"`
}

// Channel is a repository of a release (os, updates, addons ...).
// Version is the latest version; PublishedVersion is the one served (0 if
// the channel was never published).
type Channel struct {
	Release          string    `json:"release"`
	Name             string    `json:"name"`
	ClientName       string    `json:"client_name"`
	Description      string    `json:"description,omitempty"`
	Arches           []string  `json:"arches"`
	Accepts          []string  `json:"accepts"`
	Enabled          bool      `json:"enabled"`
	Visible          bool      `json:"visible"`
	FrozenAtFinal    bool      `json:"frozen_at_final"`
	RequireSigned    bool      `json:"require_signed"`
	Retention        int       `json:"retention"`
	Frozen           bool      `json:"frozen"`
	FrozenDigest     string    `json:"frozen_digest,omitempty"`
	Version          int64     `json:"version"`
	PublishedVersion int64     `json:"published_version"`
	PublishedAt      time.Time `json:"published_at,omitzero"`
	CreatedAt        time.Time `json:"created_at"`
	Builds           int       `json:"builds"`
}

// ChannelOptions are the optional settings of a new channel. The zero
// value makes an enabled channel with the release's architectures.
type ChannelOptions struct {
	Description string
	Disabled    bool // not enabled by default on client servers
	Arches      []string
}

// ChannelVersion is one immutable state of a channel.
type ChannelVersion struct {
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Change    string    `json:"change"`
	Builds    []string  `json:"builds,omitempty"`
}

// ChannelInfo is a channel with the builds of its latest version, its
// history (newest first) and the address of its repositories.
type ChannelInfo struct {
	Channel  Channel          `json:"channel"`
	Builds   []string         `json:"builds"`
	Versions []ChannelVersion `json:"versions"`
	RepoURL  string           `json:"repo_url"`
}

// PublishResult describes a publication: one repository per base
// architecture and one named "source".
type PublishResult struct {
	Release string          `json:"release"`
	Channel string          `json:"channel"`
	Version int64           `json:"version"`
	Repos   map[string]Repo `json:"repos"`
	Seconds float64         `json:"seconds"`
}

// Repo is one written repository of a publication.
type Repo struct {
	Packages        int    `json:"packages"`
	Revision        int64  `json:"revision"`
	PrimaryChecksum string `json:"primary_checksum"`
}
