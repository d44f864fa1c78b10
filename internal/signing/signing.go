// Package signing is the forge's use of its keys: it keeps the project's
// signing keys in the data folder (private parts in files of mode 0600),
// signs the builds of the signed categories, signs repository metadata,
// serves the public keys, and rotates keys: a new key signs everything
// again while the old one is still served, until it is retired.
package signing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/sign"
)

// Store is what signing needs of the catalog.
type Store interface {
	AddSigningKey(ctx context.Context, k catalog.SigningKey) error
	SigningKeys(ctx context.Context) ([]catalog.SigningKey, error)
	SignedBuilds(ctx context.Context, key string) ([]string, error)
	Build(ctx context.Context, id string) (*catalog.Build, error)
	FrozenFilesSignedBy(ctx context.Context, key string) ([]string, error)
	Channels(ctx context.Context, release string) ([]catalog.Channel, error)
}

// Builds signs builds (catalog.Service).
type Builds interface {
	SignBuild(ctx context.Context, id string, signer catalog.RPMSigner, by string) (*catalog.Build, error)
	IsSignedCategory(c string) bool
}

// Service holds the active key.
type Service struct {
	dir    string
	store  Store
	builds Builds
	now    func() time.Time

	mu     sync.RWMutex
	active *sign.Key
}

const activeFile = "active"

// Options say how the first key is made.
type Options struct {
	KeyType sign.KeyType // RSA 4096 when empty
	UserID  string
	// Import, when set, is an armored private key file to use as the
	// first key instead of generating one.
	Import string
}

// Open loads the active key from dir; on first use it imports opt.Import
// or generates a key of opt.KeyType.
func Open(ctx context.Context, dir string, store Store, builds Builds, opt Options) (*Service, error) {
	s := &Service{dir: dir, store: store, builds: builds, now: time.Now}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating key folder: %w", err)
	}
	id, err := os.ReadFile(filepath.Join(dir, activeFile))
	if err == nil {
		k, err := s.load(strings.TrimSpace(string(id)))
		if err != nil {
			return nil, err
		}
		s.active = k
		return s, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading the active key: %w", err)
	}
	if opt.Import != "" {
		data, err := os.ReadFile(opt.Import)
		if err != nil {
			return nil, fmt.Errorf("importing the signing key: %w", err)
		}
		k, err := sign.ImportKey(data, nil)
		if err != nil {
			return nil, fmt.Errorf("importing the signing key %s: %w", opt.Import, err)
		}
		if err := s.install(ctx, k); err != nil {
			return nil, err
		}
		return s, nil
	}
	if _, err := s.newKey(ctx, opt.KeyType, opt.UserID); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) load(id string) (*sign.Key, error) {
	if !validKeyID(id) {
		return nil, fmt.Errorf("the active key file names %q, not a key id", id)
	}
	return sign.OpenKeyFile(filepath.Join(s.dir, id, sign.PrivateKeyFile))
}

func validKeyID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// newKey generates a key, stores it and makes it the active one.
func (s *Service) newKey(ctx context.Context, keyType sign.KeyType, userID string) (*sign.Key, error) {
	if userID == "" {
		userID = "smeforge project signing key"
	}
	k, err := sign.GenerateKey(sign.KeyOptions{Type: keyType, UserID: userID})
	if err != nil {
		return nil, err
	}
	if err := s.install(ctx, k); err != nil {
		return nil, err
	}
	return k, nil
}

// install stores a key in the key folder and the catalog and makes it the
// active one.
func (s *Service) install(ctx context.Context, k *sign.Key) error {
	if _, _, err := sign.WriteKeyFiles(filepath.Join(s.dir, k.KeyID()), k); err != nil {
		return err
	}
	if err := s.store.AddSigningKey(ctx, catalog.SigningKey{KeyID: k.KeyID(), Algorithm: k.Algorithm(),
		PublicKey: string(k.PublicKey()), CreatedAt: s.now().UTC(), Active: true}); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(s.dir, activeFile), []byte(k.KeyID()+"\n")); err != nil {
		return err
	}
	s.mu.Lock()
	s.active = k
	s.mu.Unlock()
	return nil
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Active returns the key that signs now.
func (s *Service) Active() *sign.Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.active
}

// rpmSigner adapts a key to catalog.RPMSigner.
type rpmSigner struct{ k *sign.Key }

func (r rpmSigner) SignRPM(in io.Reader, out io.Writer) error { return sign.SignRPM(in, out, r.k) }
func (r rpmSigner) KeyID() string                             { return r.k.KeyID() }
func (r rpmSigner) Algorithm() string                         { return r.k.Algorithm() }

// SignBuild signs a build with the active key.
func (s *Service) SignBuild(ctx context.Context, id, by string) (*catalog.Build, error) {
	return s.builds.SignBuild(ctx, id, rpmSigner{s.Active()}, by)
}

// SignIfRequired signs a build when its category is one the project signs.
func (s *Service) SignIfRequired(ctx context.Context, id, by string) error {
	b, err := s.store.Build(ctx, id)
	if err != nil {
		return err
	}
	if !s.builds.IsSignedCategory(b.Category) {
		return nil
	}
	_, err = s.SignBuild(ctx, id, by)
	return err
}

// SignRepomd returns the detached, armored signature of repomd.xml.
func (s *Service) SignRepomd(data []byte) ([]byte, error) {
	return sign.SignDetached(data, s.Active())
}

// PublicKeys returns the armored public keys still served (the active one
// and those not yet retired), newest first.
func (s *Service) PublicKeys(ctx context.Context) ([]catalog.SigningKey, error) {
	all, err := s.store.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []catalog.SigningKey
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].RetiredAt.IsZero() {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// RotateResult says what a rotation did.
type RotateResult struct {
	OldKey   string   `json:"old_key"`
	NewKey   string   `json:"new_key"`
	Resigned []string `json:"resigned_builds"`
}

// Rotate makes a new active key and signs every signed build again with
// it. The old key stays served (clients may still hold packages it
// signed) until Retire. The caller republishes the channels.
func (s *Service) Rotate(ctx context.Context, keyType sign.KeyType, userID, by string) (*RotateResult, error) {
	old := s.Active()
	k, err := s.newKey(ctx, keyType, userID)
	if err != nil {
		return nil, err
	}
	res := &RotateResult{OldKey: old.KeyID(), NewKey: k.KeyID()}
	ids, err := s.store.SignedBuilds(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		b, err := s.store.Build(ctx, id)
		if err != nil {
			return nil, err
		}
		if b.Category == "base" {
			continue
		}
		if _, err := s.SignBuild(ctx, id, by); err != nil {
			return nil, fmt.Errorf("re-signing %s: %w", id, err)
		}
		res.Resigned = append(res.Resigned, id)
	}
	return res, nil
}

// Retire stops serving a key that no longer signs anything served.
func (s *Service) Retire(ctx context.Context, keyID string) error {
	if keyID == s.Active().KeyID() {
		return catalog.Errorf(catalog.ErrConflict, "key %s is the active key; rotate to a new key first", keyID)
	}
	still, err := s.store.SignedBuilds(ctx, keyID)
	if err != nil {
		return err
	}
	if len(still) > 0 {
		return catalog.Errorf(catalog.ErrConflict, "key %s still signs %d builds (for example %s); rotate first", keyID, len(still), still[0])
	}
	// A final release's frozen channels keep serving what the key signed,
	// packages and metadata: their servers still need it.
	frozen, err := s.store.FrozenFilesSignedBy(ctx, keyID)
	if err != nil {
		return err
	}
	if len(frozen) > 0 {
		return catalog.Errorf(catalog.ErrConflict, "key %s signed files that frozen channels still serve (for example %s); servers of that release need it", keyID, frozen[0])
	}
	all, err := s.store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	for i, k := range all {
		if k.KeyID != keyID {
			continue
		}
		until := s.now()
		if i+1 < len(all) {
			until = all[i+1].CreatedAt
		}
		chans, err := s.store.Channels(ctx, "")
		if err != nil {
			return err
		}
		for _, c := range chans {
			if c.Frozen && !c.PublishedAt.Before(k.CreatedAt) && c.PublishedAt.Before(until) {
				return catalog.Errorf(catalog.ErrConflict, "key %s signed the metadata of %s, which is frozen; servers of that release need it", keyID, c.ID())
			}
		}
		k.Active = false
		k.RetiredAt = s.now().UTC()
		return s.store.AddSigningKey(ctx, k)
	}
	return catalog.Errorf(catalog.ErrNotFound, "there is no key %s", keyID)
}

// ProjectKeyIDs are the ids of every key the project has had: a package
// signed by a key being rotated out still counts as signed.
func (s *Service) ProjectKeyIDs(ctx context.Context) (map[string]bool, error) {
	all, err := s.store.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(all))
	for _, k := range all {
		if k.RetiredAt.IsZero() {
			out[k.KeyID] = true
		}
	}
	return out, nil
}
