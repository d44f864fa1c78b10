package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/advisory"
	"github.com/smeserver/smeforge/internal/archive"
	"github.com/smeserver/smeforge/internal/auth"
	"github.com/smeserver/smeforge/internal/baseos"
	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/policy"
	"github.com/smeserver/smeforge/internal/promote"
	"github.com/smeserver/smeforge/internal/publish"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/security"
	"github.com/smeserver/smeforge/internal/sign"
	"github.com/smeserver/smeforge/internal/signing"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
	"github.com/smeserver/smeforge/internal/web"
	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	var (
		dataDir   string
		addr      string
		publicURL string
		maxUpload int64
		polFile   string
		keyType   string
		importKey string
	)
	c := &cobra.Command{
		Use:   "serve [--data DIR] [--addr HOST:PORT]",
		Short: "Run the forge: web UI, JSON API and yum/dnf repositories",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pol := policy.Default()
			if polFile != "" {
				f, err := os.Open(polFile)
				if err != nil {
					return err
				}
				pol, err = policy.Load(f, polFile)
				f.Close()
				if err != nil {
					return err
				}
			}
			kt, err := sign.ParseKeyType(keyType)
			if err != nil {
				return usageErr("--key-type: %v", err)
			}
			return serve(cmd.Context(), dataDir, addr, publicURL, maxUpload, pol, signing.Options{KeyType: kt, Import: importKey})
		},
	}
	f := c.Flags()
	f.StringVar(&dataDir, "data", "./smeforge-data", "data folder (database, blobs, repositories)")
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&publicURL, "public-url", "", "address clients use to reach the forge (default: taken from each request)")
	f.Int64Var(&maxUpload, "max-upload", catalog.DefaultMaxUpload, "largest accepted upload in bytes")
	f.StringVar(&keyType, "key-type", "rsa", "type of the signing key made at first start: rsa (4096 bits) or eddsa")
	f.StringVar(&importKey, "import-key", "", "at first start, use this armored private key as the project key instead of making one")
	f.StringVar(&polFile, "policy", "", "policy file (TOML; default: the built-in SME policy, see smeforge policy show)")
	return c
}

// forge is everything a running server is made of.
type forge struct {
	store *sqlstore.Store
	blobs *blob.Dir
	cat   *catalog.Service
	rel   *release.Service
	sig   *signing.Service
	arc   *archive.Service
	base  *baseos.Service
	sec   *security.Service
	pub   *publish.Publisher
	keys  *auth.Keys
	adv   *advisory.Service
	prom  *promote.Service
}

func openForge(ctx context.Context, dataDir string, log *slog.Logger, pol *policy.Policy, keyOpt signing.Options) (*forge, error) {
	if pol == nil {
		pol = policy.Default()
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("creating data folder: %w", err)
	}
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, "smeforge.db"))
	if err != nil {
		return nil, err
	}
	blobs, err := blob.NewDir(filepath.Join(dataDir, "blobs"))
	if err != nil {
		st.Close()
		return nil, err
	}
	keys, err := auth.LoadOrCreateKeys(filepath.Join(dataDir, "secret"))
	if err != nil {
		st.Close()
		return nil, err
	}
	pub := publish.New(st, filepath.Join(dataDir, "repos"), log, nil)
	cat := &catalog.Service{Policy: pol, Store: st, Blobs: catalog.LocalBlobs(blobs), Log: log}
	sig, err := signing.Open(ctx, filepath.Join(dataDir, "keys"), st, cat, keyOpt)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("opening the signing key: %w", err)
	}
	pub.UseSigning(sig, cat.IsSignedCategory)
	sec := &security.Service{Store: st, Catalog: st, Policy: pol}
	adv := &advisory.Service{Store: st, Policy: pol, Publisher: pub, Log: log}
	pub.UseUpdateInfo(adv)
	prom := &promote.Service{Policy: pol, Store: st, Retention: cat, Signer: sig, Publisher: pub, Installer: promote.DNF{},
		Blobs: blobs, Log: log}
	return &forge{
		store: st, blobs: blobs, keys: keys, pub: pub, cat: cat, sig: sig, adv: adv, prom: prom,
		arc:  &archive.Service{Store: st, Blobs: blobs, SignedCategory: cat.IsSignedCategory},
		base: &baseos.Service{Store: st, Ingest: cat, Advisories: sec},
		sec:  sec,
		rel:  &release.Service{Store: st, Publisher: pub, Channels: release.TemplatesFromPolicy(pol)},
	}, nil
}

// ensureAdmin creates the admin account on first start and writes its
// first API token to DIR/admin-token (mode 0600).
func ensureAdmin(ctx context.Context, f *forge, dataDir string) (string, error) {
	created, err := f.store.EnsureAccount(ctx, "admin", true, time.Now())
	if err != nil {
		return "", err
	}
	path := filepath.Join(dataDir, "admin-token")
	if !created {
		return path, nil
	}
	// The first account holds every role, so that a new forge can be run
	// (and its people given their roles) before anyone else exists.
	var roles []string
	for _, r := range f.cat.Policy.Roles {
		roles = append(roles, r.Name)
	}
	if err := f.store.SetRoles(ctx, "admin", roles); err != nil {
		return "", err
	}
	plain, hash, err := auth.NewToken()
	if err != nil {
		return "", err
	}
	if err := f.store.AddToken(ctx, "admin", hash, "first token, made at first start", nil, time.Now()); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(plain+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

func serve(ctx context.Context, dataDir, addr, publicURL string, maxUpload int64, pol *policy.Policy, keyOpt signing.Options) error {
	log := logger()
	f, err := openForge(ctx, dataDir, log, pol, keyOpt)
	if err != nil {
		return err
	}
	defer f.store.Close()
	f.cat.MaxUpload = maxUpload
	f.adv.BaseURL = strings.TrimRight(publicURL, "/")
	tokenPath, err := ensureAdmin(ctx, f, dataDir)
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{Catalog: f.cat, Releases: f.rel, Signing: f.sig, Archive: f.arc, BaseOS: f.base, Advisories: f.adv, Security: f.sec, Store: f.store, Blobs: f.blobs, Publisher: f.pub, Keys: f.keys, Audit: f.store, Promote: f.prom, Log: log, PublicURL: publicURL})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	url := "http://" + ln.Addr().String()
	log.Info("smeforge is running", "url", url, "data", dataDir, "admin_token_file", tokenPath)
	fmt.Fprintf(os.Stderr, "smeforge: serving %s (data in %s; admin API token in %s)\n", url, dataDir, tokenPath)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutting down: %w", err)
	}
	log.Info("stopped")
	return nil
}
