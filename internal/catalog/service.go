package catalog

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/repodata"
	"github.com/smeserver/smeforge/internal/rpm"
)

// DefaultMaxUpload bounds one uploaded file.
const DefaultMaxUpload = 1 << 30

// Blobs is what the catalog needs of the blob store: content is staged
// (read once, hashed, size-limited), checked, then committed or discarded.
type Blobs interface {
	Stage(ctx context.Context, r io.Reader, limit int64) (Staged, error)
	Remove(ctx context.Context, sum string) error
	Open(ctx context.Context, sum string) (io.ReadSeekCloser, blob.Info, error)
}

// Staged is content received but not yet part of the store.
type Staged interface {
	io.Reader
	Digest() string // hex SHA-256 of the content
	Commit() error
	Discard()
}

// LocalBlobs adapts a blob folder to Blobs.
func LocalBlobs(d *blob.Dir) Blobs { return localBlobs{d} }

type localBlobs struct{ *blob.Dir }

func (b localBlobs) Stage(ctx context.Context, r io.Reader, limit int64) (Staged, error) {
	st, err := b.Dir.Stage(ctx, r, limit)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Service applies the catalog's rules on top of a Store and a blob store.
type Service struct {
	// Policy gives the categories; nil means the built-in SME policy.
	Policy    *policy.Policy
	Store     Store
	Blobs     Blobs
	Log       *slog.Logger
	Now       func() time.Time
	MaxUpload int64
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// PackagesDir is the folder, relative to a repository, where package
// files are served from; it is part of every location href.
const PackagesDir = "Packages/"

// Ingest reads one uploaded file, checks it is a whole, valid RPM, stores
// it once and records it in its build. The same file again is a no-op
// (created=false); the same NEVRA with other content is ErrConflict; a bad
// file is ErrInvalid and leaves nothing behind.
func (s *Service) Ingest(ctx context.Context, r io.Reader, name, by string) (*Artifact, bool, error) {
	return s.IngestAs(ctx, r, name, by, "")
}

// IngestAs is Ingest with a category for a new build (an administrator
// importing an existing distribution); "" applies the rule: a new build of
// a known package keeps that package's category, anything else starts in
// NewBuildCategory.
func (s *Service) IngestAs(ctx context.Context, r io.Reader, name, by, category string) (*Artifact, bool, error) {
	limit := s.MaxUpload
	if limit == 0 {
		limit = DefaultMaxUpload
	}
	st, err := s.Blobs.Stage(ctx, r, limit)
	if err != nil {
		if errors.Is(err, blob.ErrTooLarge) {
			return nil, false, Errorf(ErrTooLarge, "%s is larger than the upload limit of %d bytes", name, limit)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, false, Errorf(ErrInvalid, "the upload of %s was cut off before its end", name)
		}
		return nil, false, fmt.Errorf("receiving %s: %w", name, err)
	}
	defer st.Discard()
	p, err := rpm.Read(st, name)
	if err != nil {
		return nil, false, Errorf(ErrInvalid, "%w", err)
	}
	if p.SHA256 != st.Digest() {
		return nil, false, fmt.Errorf("%s changed while it was read", name)
	}
	a, d, f := Describe(p, s.now(), by)
	if existing, _, err := s.Store.Artifact(ctx, a.SHA256); err == nil {
		return existing, false, nil
	}
	if category != "" && !s.ValidCategory(category) {
		return nil, false, Errorf(ErrInvalid, "category %q: the categories are %s", category, strings.Join(s.categoryNames(), ", "))
	}
	a.Category = category
	if a.Category == "" {
		bname := a.Name
		if b, err := s.Store.Build(ctx, a.BuildID); err == nil {
			a.Category = b.Category
		} else if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		} else {
			if !a.Source {
				bname = NameOf(a.BuildID)
			}
			switch c, err := s.Store.LatestCategory(ctx, bname); {
			case err == nil:
				a.Category = c
			case errors.Is(err, ErrNotFound):
				a.Category = s.policy().NewBuildCategory
			default:
				return nil, false, err
			}
		}
	}
	if err := st.Commit(); err != nil {
		return nil, false, err
	}
	created, err := s.Store.InsertArtifact(ctx, a, d, f)
	if err != nil {
		// The blob was committed for this artifact alone; no row names it.
		s.Blobs.Remove(ctx, a.SHA256)
		return nil, false, err
	}
	if !created {
		existing, _, err := s.Store.Artifact(ctx, a.SHA256)
		return existing, false, err
	}
	return a, true, nil
}

// NameOf strips version and release from a build id or a file name
// without its suffix ("e-smith-lib-1.16.0-10" -> "e-smith-lib").
func NameOf(id string) string {
	for i := 0; i < 2; i++ {
		if j := strings.LastIndexByte(id, '-'); j > 0 {
			id = id[:j]
		}
	}
	return id
}

// ErrTooLarge is returned for an upload over the limit.
var ErrTooLarge = errors.New("too large")

// Describe turns a parsed package into the catalog's artifact, details and
// repodata fragments.
func Describe(p *rpm.Package, at time.Time, by string) (*Artifact, *Details, *Fragments) {
	at = at.UTC().Truncate(time.Millisecond)
	a := &Artifact{
		SHA256: p.SHA256, Filename: p.FileName(), Name: p.Name, Epoch: int64(p.Epoch), Version: p.Version,
		Release: p.Release, Arch: p.RepoArch(), Source: p.SourcePackage, Summary: p.Summary,
		Description: p.Description, License: p.License, URL: p.URL, Vendor: p.Vendor, Packager: p.Packager,
		Group: p.Group, BuildHost: p.BuildHost, BuildTime: p.BuildTime, SourceRPM: p.SourceRPM,
		Size: p.FileSize, InstalledSize: p.InstalledSize, BuildID: BuildID(p), UploadedAt: at, UploadedBy: by,
		FileSHA256: p.SHA256, FileSize: p.FileSize,
	}
	if p.Signature != nil {
		a.SigKeyID, a.SigAlgorithm = p.Signature.KeyID, p.Signature.Algorithm
	}
	d := &Details{
		Requires: rpm.DepStrings(p.Requires), Provides: rpm.DepStrings(p.Provides),
		Conflicts: rpm.DepStrings(p.Conflicts), Obsoletes: rpm.DepStrings(p.Obsoletes),
		Recommends: rpm.DepStrings(p.Recommends), Suggests: rpm.DepStrings(p.Suggests),
		Supplements: rpm.DepStrings(p.Supplements), Enhances: rpm.DepStrings(p.Enhances),
	}
	for _, f := range p.Files {
		d.Files = append(d.Files, f.Path)
		if f.IsDir() {
			d.Dirs = append(d.Dirs, f.Path)
		}
	}
	for _, c := range p.Changelog {
		d.Changelog = append(d.Changelog, Changelog{Time: c.Time, Author: c.Author, Text: c.Text})
	}
	fr := repodata.Render(p, repodata.Location{Href: PackagesDir + a.Filename, MTime: at.Unix()}, repodata.RenderOptions{})
	dg := repodata.FragmentDigest(fr)
	f := &Fragments{Primary: fr.Primary, Filelists: fr.Filelists, Other: fr.Other, Digest: hex.EncodeToString(dg[:])}
	return a, d, f
}

// BuildID names the build a package belongs to: its source package's
// name-version-release.
func BuildID(p *rpm.Package) string {
	if p.SourcePackage || p.SourceRPM == "" {
		return p.Name + "-" + p.Version + "-" + p.Release
	}
	return strings.TrimSuffix(strings.TrimSuffix(p.SourceRPM, ".rpm"), ".src")
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`)

// ValidName checks a release or channel name: it becomes part of URLs and
// paths, so only letters, digits and . _ + - are allowed.
func ValidName(kind, s string) error {
	if !nameRe.MatchString(s) || strings.Contains(s, "..") {
		return Errorf(ErrInvalid, "%s name %q: use 1 to 64 letters, digits, '.', '_', '+' or '-', starting with a letter or digit", kind, s)
	}
	return nil
}

var archRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Service) policy() *policy.Policy {
	if s.Policy != nil {
		return s.Policy
	}
	return policy.Default()
}

func (s *Service) categoryNames() []string {
	var out []string
	for _, c := range s.policy().Categories {
		out = append(out, c.Name)
	}
	return out
}

// ValidCategory reports whether the policy has category c.
func (s *Service) ValidCategory(c string) bool {
	_, ok := s.policy().Category(c)
	return ok
}

// SetCategory moves a build to another category (an administrator's
// decision until promotion requests exist).
func (s *Service) SetCategory(ctx context.Context, id, category string) (*Build, error) {
	if !s.ValidCategory(category) {
		return nil, Errorf(ErrInvalid, "category %q: the categories are %s", category, strings.Join(s.categoryNames(), ", "))
	}
	if err := s.Store.SetBuildCategory(ctx, id, category); err != nil {
		return nil, err
	}
	return s.Store.Build(ctx, id)
}

// CreateChannel adds a channel to a release.
func (s *Service) CreateChannel(ctx context.Context, release, name, description string, enabled bool, arches []string) (*Channel, error) {
	if err := ValidName("channel", name); err != nil {
		return nil, err
	}
	rel, err := s.Store.Release(ctx, release)
	if err != nil {
		return nil, err
	}
	if len(arches) == 0 {
		arches = rel.Arches
	}
	for _, a := range arches {
		if !archRe.MatchString(a) || a == "source" || a == "src" || a == "noarch" {
			return nil, Errorf(ErrInvalid, "arches: %q is not a base architecture", a)
		}
	}
	c := &Channel{Release: release, Name: name, ClientName: "sme" + name, Description: description, Arches: arches, Enabled: enabled, Visible: true, CreatedAt: s.now().UTC()}
	if err := s.Store.CreateChannel(ctx, c); err != nil {
		return nil, err
	}
	return s.Store.Channel(ctx, release, name)
}

// ChangeChannel adds and removes builds, making a new channel version.
// A channel with a retention of N keeps the N newest builds of each
// package; adding a newer one removes the oldest in the same version.
func (s *Service) ChangeChannel(ctx context.Context, release, name string, add, remove []string, by string) (*ChannelVersion, error) {
	if len(add) > 0 {
		extra, err := s.retire(ctx, release, name, add, remove)
		if err != nil {
			return nil, err
		}
		remove = append(remove, extra...)
	}
	return s.Store.ChangeChannel(ctx, release, name, add, remove, by, s.now().UTC())
}

// Retiring lists the builds that a channel's retention pushes out when add
// comes in and remove leaves (a promotion changes channels itself, in one
// transaction with other changes).
func (s *Service) Retiring(ctx context.Context, release, name string, add, remove []string) ([]string, error) {
	return s.retire(ctx, release, name, add, remove)
}

// retire lists the builds that the channel's retention pushes out when
// add comes in.
func (s *Service) retire(ctx context.Context, release, name string, add, remove []string) ([]string, error) {
	c, err := s.Store.Channel(ctx, release, name)
	if err != nil || c.Retention <= 0 {
		return nil, err
	}
	cur, err := s.Store.ChannelBuilds(ctx, release, name, c.Version)
	if err != nil {
		return nil, err
	}
	gone := map[string]bool{}
	for _, id := range remove {
		gone[id] = true
	}
	byName := map[string][]*Build{}
	for _, id := range append(append([]string{}, cur...), add...) {
		if gone[id] {
			continue
		}
		b, err := s.Store.Build(ctx, id)
		if err != nil {
			return nil, err
		}
		byName[b.Name] = append(byName[b.Name], b)
	}
	adding := map[string]bool{}
	for _, id := range add {
		adding[id] = true
	}
	var out []string
	for _, bs := range byName {
		if len(bs) <= c.Retention {
			continue
		}
		sort.Slice(bs, func(i, j int) bool {
			if v := rpm.Vercmp(bs[i].Version, bs[j].Version); v != 0 {
				return v > 0
			}
			return rpm.Vercmp(bs[i].Release, bs[j].Release) > 0
		})
		for _, b := range bs[c.Retention:] {
			if !adding[b.ID] {
				out = append(out, b.ID)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// RPMSigner signs RPM files with the project key.
type RPMSigner interface {
	SignRPM(r io.Reader, w io.Writer) error
	KeyID() string
	Algorithm() string
}

// IsSignedCategory reports whether the policy has the project sign builds
// of category c (infra and core for SME); base packages keep their
// vendor's signatures and are never re-signed.
func (s *Service) IsSignedCategory(c string) bool {
	cat, ok := s.policy().Category(c)
	return ok && cat.Signed
}

// SignBuild signs every file of a build (its binaries and its SRPM) with
// signer, unless that key signed it already. The signed copy becomes the
// file served; the upload stays in the archive and the signature is
// recorded. Base packages are refused: they keep their upstream signature.
func (s *Service) SignBuild(ctx context.Context, id string, signer RPMSigner, by string) (*Build, error) {
	b, err := s.Store.Build(ctx, id)
	if err != nil {
		return nil, err
	}
	if b.Category == "base" {
		return nil, Errorf(ErrConflict, "build %s is a base package: it keeps its vendor's signature and is never re-signed", id)
	}
	for i := range b.Artifacts {
		a := &b.Artifacts[i]
		if a.SigKeyID == signer.KeyID() && a.FileSHA256 != a.SHA256 {
			continue
		}
		if err := s.signArtifact(ctx, a, signer, by); err != nil {
			return nil, fmt.Errorf("signing %s: %w", a.Filename, err)
		}
	}
	return s.Store.Build(ctx, id)
}

func (s *Service) signArtifact(ctx context.Context, a *Artifact, signer RPMSigner, by string) error {
	// Sign the upload itself (not an earlier signed copy): a signature
	// replaces the previous one.
	src, _, err := s.Blobs.Open(ctx, a.SHA256)
	if err != nil {
		return err
	}
	defer src.Close()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(signer.SignRPM(src, pw)) }()
	st, err := s.Blobs.Stage(ctx, pr, 0)
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		return err
	}
	defer st.Discard()
	p, err := rpm.Read(st, a.Filename)
	if err != nil {
		return fmt.Errorf("reading the signed copy: %w", err)
	}
	if p.Signature == nil || p.Signature.KeyID != signer.KeyID() {
		return fmt.Errorf("the signed copy does not carry key %s", signer.KeyID())
	}
	signed, _, f := Describe(p, a.UploadedAt, a.UploadedBy)
	if err := st.Commit(); err != nil {
		return err
	}
	next := *a
	next.FileSHA256, next.FileSize = signed.SHA256, signed.Size
	next.SigKeyID, next.SigAlgorithm = signed.SigKeyID, signed.SigAlgorithm
	rec := SignatureRecord{Artifact: a.SHA256, FileSHA256: signed.SHA256, KeyID: signed.SigKeyID, Algorithm: signed.SigAlgorithm, SignedAt: s.now().UTC(), SignedBy: by}
	return s.Store.SetArtifactFile(ctx, &next, f, rec)
}

// Licence judges a License tag against the policy.
func (s *Service) Licence(tag string) policy.LicenceVerdict {
	return s.policy().CheckLicence(tag)
}
