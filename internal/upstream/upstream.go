// Package upstream syncs a base OS repository: its metadata (and optionally
// its packages) fetched over HTTP and verified against the upstream signing
// key, recorded as the `base` category.
//
// The chain of trust is the one dnf follows with repo_gpgcheck=1 and
// gpgcheck=1: repomd.xml.asc signs repomd.xml; repomd.xml names each
// metadata file with its checksum and size; primary.xml names each package
// with its checksum and size; each package carries its own OpenPGP
// signature. Fetch checks the first three links, DownloadPackage and
// SyncPackages the last two. Metadata files are downloaded to a temporary
// file and their checksum checked before anything decompresses or parses
// them, so that only what the key vouches for is ever parsed.
//
// The package is pure fetching and checking: it returns values (a Snapshot,
// verified package files) and never records anything; recording a
// snapshot in the catalog as the `base` category is the caller's job.
package upstream

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/smeserver/smeforge/internal/rpm"
)

// Sentinel errors; check them with errors.Is. The messages around them name
// the repository, the URL and what differs.
var (
	// ErrNotSigned: repomd.xml is not signed by the given key (no
	// repomd.xml.asc, a bad signature, a key not given, an unsupported key).
	ErrNotSigned = errors.New("not signed by the given key")
	// ErrChecksum: a file's checksum (or open-checksum) is not the one the
	// metadata gives.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrSize: a file's size is not the one the metadata gives.
	ErrSize = errors.New("size mismatch")
	// ErrTooLarge: a file is larger than the Fetcher's limit.
	ErrTooLarge = errors.New("too large")
	// ErrMetadata: repomd.xml, primary.xml or filelists.xml is malformed
	// or inconsistent.
	ErrMetadata = errors.New("bad repository metadata")
	// ErrRefused: a package whose OpenPGP signature does not verify
	// against the keyring (not signed, a bad signature, a key the keyring
	// lacks or one smeforge does not verify with).
	ErrRefused = errors.New("package refused")
)

// Limits a zero Fetcher uses.
const (
	// DefaultMaxFileSize bounds each metadata file, compressed and
	// decompressed.
	DefaultMaxFileSize int64 = 2 << 30
	// DefaultMaxPackageSize bounds each package file.
	DefaultMaxPackageSize int64 = 4 << 30
	// DefaultWorkers is how many packages SyncPackages downloads at once.
	DefaultWorkers = 4

	maxRepomdSize    = 16 << 20
	maxSignatureSize = 1 << 20
	userAgent        = "smeforge-upstream/1"
)

// Source is an upstream repository: the folder that holds repodata/.
type Source struct {
	// Name names the repository in messages ("rocky-9-baseos").
	Name string
	// URL is the repository root, http or https.
	URL string
	// Key holds the armored public key or keys that sign repomd.xml.
	// Without one, Fetch checks the metadata's checksums but not who made
	// it, and says so in Snapshot.SignedBy ("").
	Key []byte
}

func (s Source) name() string {
	if s.Name != "" {
		return s.Name
	}
	return s.URL
}

// Package is one package as primary.xml and filelists.xml describe it.
//
// Dependencies are as primary.xml lists them: createrepo leaves out
// rpmlib() requires and those the package satisfies itself. Flags hold the
// comparison (rpm.SenseLess, SenseGreater, SenseEqual) and rpm.SensePrereq
// for a pre="1" require; Version is "[epoch:]version[-release]", with the
// epoch only when it is not 0 (primary.xml writes epoch="0" both for an
// absent epoch and for 0).
type Package struct {
	Name         string
	Epoch        int
	Version      string
	Release      string
	Arch         string // "src" for a source package
	Summary      string
	License      string
	SourceRPM    string
	Location     string // href, relative to the repository root (or to LocationBase)
	LocationBase string // xml:base of the location, when the package lives elsewhere; usually ""
	Checksum     string // lower-case hex; primary's pkgid
	ChecksumType string // "sha256", "sha1", "sha512" ...
	Size         int64  // of the package file

	Requires, Provides, Conflicts, Obsoletes    []rpm.Dependency
	Recommends, Suggests, Supplements, Enhances []rpm.Dependency

	// Files lists every path of the package (filelists.xml): files,
	// folders and %ghost entries alike.
	Files []string
}

// EVR is "[epoch:]version-release", with the epoch only when it is not 0.
func (p *Package) EVR() string {
	s := p.Version + "-" + p.Release
	if p.Epoch != 0 {
		s = strconv.Itoa(p.Epoch) + ":" + s
	}
	return s
}

// NEVRA is name-[epoch:]version-release.arch.
func (p *Package) NEVRA() string { return p.Name + "-" + p.EVR() + "." + p.Arch }

// Snapshot is what Fetch found in a repository at one moment.
type Snapshot struct {
	Source string // the Source's name
	// Revision is repomd.xml's <revision> (usually a Unix time).
	Revision string
	Fetched  time.Time
	// RepomdSHA256 identifies the metadata generation: the SHA-256 of
	// repomd.xml as fetched.
	RepomdSHA256 string
	// SignedBy is the ID of the key whose signature of repomd.xml
	// verified (16 lower-case hex digits), "" when no key was given.
	SignedBy string
	Packages []Package
	// Updateinfo is updateinfo.xml, decompressed, when the repository has
	// one; nil otherwise.
	Updateinfo []byte
}

// Fetcher fetches repositories and packages. The zero value is ready to
// use; a Fetcher is safe for concurrent use once set up.
type Fetcher struct {
	// Client makes the requests; http.DefaultClient when nil. Give it a
	// Transport with timeouts; every request also carries the context.
	Client *http.Client
	// Now is the clock of Snapshot.Fetched; time.Now when nil.
	Now func() time.Time
	// MaxFileSize bounds each metadata file, compressed and decompressed;
	// DefaultMaxFileSize when 0. updateinfo.xml is held in memory, so this
	// also bounds Snapshot.Updateinfo.
	MaxFileSize int64
	// MaxPackageSize bounds each package; DefaultMaxPackageSize when 0.
	MaxPackageSize int64
	// Workers is how many packages SyncPackages downloads at once;
	// DefaultWorkers when < 1.
	Workers int
	// TempDir holds metadata files while they are checked and parsed, and
	// DownloadPackage's files; os.TempDir() when "".
	TempDir string
}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return http.DefaultClient
}

func (f *Fetcher) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Fetcher) maxFile() int64 {
	if f.MaxFileSize > 0 {
		return f.MaxFileSize
	}
	return DefaultMaxFileSize
}

func (f *Fetcher) maxPackage() int64 {
	if f.MaxPackageSize > 0 {
		return f.MaxPackageSize
	}
	return DefaultMaxPackageSize
}

func (f *Fetcher) workers() int {
	if f.Workers > 0 {
		return f.Workers
	}
	return DefaultWorkers
}

func (f *Fetcher) tempDir() string {
	if f.TempDir != "" {
		return f.TempDir
	}
	return os.TempDir()
}
