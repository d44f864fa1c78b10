package catalog

import (
	"context"
	"time"
)

// Store is what the catalog needs of a database. Every method is one
// transaction: it fully happens or not at all. Implementations return
// ErrNotFound, ErrConflict and ErrInvalid (wrapped, with the detail) and
// are safe for concurrent use.
type Store interface {
	// InsertArtifact stores an artifact with its details and fragments and
	// attaches it to its build (created if needed). The same SHA-256 again
	// returns created=false; the same NEVRA with other content is
	// ErrConflict.
	InsertArtifact(ctx context.Context, a *Artifact, d *Details, f *Fragments) (created bool, err error)
	Artifact(ctx context.Context, sha256 string) (*Artifact, *Details, error)
	SearchPackages(ctx context.Context, q Query) ([]PackageRow, int, error)
	Build(ctx context.Context, id string) (*Build, error)
	Builds(ctx context.Context, text string, limit, offset int) ([]Build, error)
	Fragments(ctx context.Context, sha256s []string) (map[string]*Fragments, error)
	// PackagesIn lists every artifact, with its details, of the builds in
	// the current version of a release's channels (all of them when
	// channels is empty); release "" means every release.
	PackagesIn(ctx context.Context, release string, channels []string) ([]PackageFacts, error)

	// CreateRelease creates a release and its channels; with from set, each
	// channel starts (as version 1) with the builds of the channel of the
	// same name in release from.
	CreateRelease(ctx context.Context, r *Release, channels []Channel, from string) error
	// UpdateReleases writes the phase, development flag, phase dates and
	// end of life of several releases at once, and freezes the named
	// channels (release/channel -> content digest), in one transaction.
	UpdateReleases(ctx context.Context, rs []Release, freeze map[string]string) error
	// SignedBuilds lists the builds whose files carry a signature of key
	// (any project key when key is ""), for re-signing at key rotation.
	SignedBuilds(ctx context.Context, key string) ([]string, error)
	// SetBuildCategory moves a build to a category.
	SetBuildCategory(ctx context.Context, id, category string) error
	// LatestCategory is the category of the newest build of a package
	// name, or ErrNotFound when the forge has never seen it.
	LatestCategory(ctx context.Context, name string) (string, error)
	Release(ctx context.Context, name string) (*Release, error)
	Releases(ctx context.Context) ([]Release, error)
	CreateChannel(ctx context.Context, c *Channel) error
	Channel(ctx context.Context, release, name string) (*Channel, error)
	Channels(ctx context.Context, release string) ([]Channel, error)
	// ChangeChannel makes a new version of a channel with builds added and
	// removed; adding a build already there or removing one that is not is
	// ErrInvalid, and so is a build of which no artifact exists.
	ChangeChannel(ctx context.Context, release, name string, add, remove []string, by string, at time.Time) (*ChannelVersion, error)
	ChannelVersions(ctx context.Context, release, name string) ([]ChannelVersion, error)
	ChannelBuilds(ctx context.Context, release, name string, version int64) ([]string, error)
	// RepoEntries lists the packages of a channel version for one
	// architecture (binary packages of that arch and noarch), or the SRPMs
	// when arch is "source".
	RepoEntries(ctx context.Context, release, name string, version int64, arch string) ([]RepoEntry, error)
	// ChannelFile finds a package file served from a channel: an artifact
	// with that file name that was in a version up to the published one.
	ChannelFile(ctx context.Context, release, name, filename string) (*Artifact, error)
	SetPublished(ctx context.Context, release, name string, version int64, at time.Time) error

	// SetArtifactFile records a new file for an artifact (its signed copy):
	// the file, its signature and its fragments, and the signature history.
	SetArtifactFile(ctx context.Context, a *Artifact, f *Fragments, rec SignatureRecord) error
	Signatures(ctx context.Context, artifact string) ([]SignatureRecord, error)
	// FrozenFile is the file a frozen channel serves under a name.
	FrozenFile(ctx context.Context, release, channel, filename string) (string, error)
	// FrozenChannelsOf lists the frozen channels ("release/channel") that
	// serve a build.
	FrozenChannelsOf(ctx context.Context, build string) ([]string, error)
	// FrozenFilesSignedBy lists "release/channel filename" of the files
	// frozen channels serve that key signed.
	FrozenFilesSignedBy(ctx context.Context, key string) ([]string, error)
	AddSigningKey(ctx context.Context, k SigningKey) error
	SigningKeys(ctx context.Context) ([]SigningKey, error)

	AddUpstream(ctx context.Context, u Upstream) error
	Upstream(ctx context.Context, name string) (*Upstream, error)
	Upstreams(ctx context.Context) ([]Upstream, error)
	// SetUpstreamPackages replaces what the forge knows of an upstream's
	// packages (metadata only: category base, no file) in one transaction.
	SetUpstreamPackages(ctx context.Context, u Upstream, pkgs []PackageFacts) error
	// UpstreamPackages lists upstream packages whose name contains text
	// ("" for all), of one upstream or all ("").
	UpstreamPackages(ctx context.Context, upstream, text string, limit int) ([]PackageFacts, error)
	AddRebuild(ctx context.Context, r Rebuild) error
	Rebuilds(ctx context.Context, build string) ([]Rebuild, error)

	EnsureAccount(ctx context.Context, name string, admin bool, at time.Time) (created bool, err error)
	SetPassword(ctx context.Context, name, hash string) error
	PasswordHash(ctx context.Context, name string) (string, error)
	// AddToken stores a token's hash; roles scopes it (nil: every role of
	// the account, now and later).
	AddToken(ctx context.Context, account, hash, label string, roles []string, at time.Time) error
	// TokenAccount is the enabled account of a token that is not revoked,
	// with Roles cut down to the token's scope.
	TokenAccount(ctx context.Context, hash string) (*Account, error)
	// Account returns an account with all its roles (ErrNotFound if none).
	Account(ctx context.Context, name string) (*Account, error)
	// SetRoles replaces the roles of an account.
	SetRoles(ctx context.Context, name string, roles []string) error

	Close() error
}
