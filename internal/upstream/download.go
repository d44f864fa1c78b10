package upstream

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/smeserver/smeforge/internal/sign"
)

// PackageError is a package that could not be fetched, or was refused.
// errors.Is tells why: ErrRefused (its signature), ErrChecksum, ErrSize,
// ErrTooLarge, and the sign package's ErrUnsigned, ErrKeyNotInKeyring,
// ErrUnsupportedKey, ErrBadSignature through ErrRefused's cause.
type PackageError struct {
	Package string // NEVRA
	URL     string
	Err     error
}

func (e *PackageError) Error() string { return e.Package + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *PackageError) Unwrap() error { return e.Err }

// refusedError is a signature check that failed; it reads as what is wrong
// and matches ErrRefused as well as the sign error it holds.
type refusedError struct{ err error }

func (e *refusedError) Error() string {
	switch {
	case errors.Is(e.err, sign.ErrUnsigned), errors.Is(e.err, sign.ErrKeyNotInKeyring), errors.Is(e.err, sign.ErrUnsupportedKey):
		// "not signed: ...", "signed with key X which is not in the
		// keyring", "unsupported key X (name): DSA key of 1024 bits ..."
		return e.err.Error()
	}
	return "signature does not verify: " + e.err.Error()
}

func (e *refusedError) Unwrap() error        { return e.err }
func (e *refusedError) Is(target error) bool { return target == ErrRefused }

// Download is a package fetched and verified: its size and checksum are
// the metadata's and its OpenPGP signature verified. It reads the package
// from its start; Close removes the temporary file.
type Download struct {
	Package   Package
	Signature sign.Result
	f         *os.File
}

// Read reads the package.
func (d *Download) Read(b []byte) (int, error) { return d.f.Read(b) }

// Seek moves in the package.
func (d *Download) Seek(offset int64, whence int) (int64, error) { return d.f.Seek(offset, whence) }

// Close closes and removes the temporary file.
func (d *Download) Close() error {
	err := d.f.Close()
	if rerr := os.Remove(d.f.Name()); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

var _ io.ReadSeekCloser = (*Download)(nil)

// DownloadPackage downloads pkg with a zero Fetcher using client
// (http.DefaultClient when nil).
func DownloadPackage(ctx context.Context, client *http.Client, src Source, pkg Package, kr *sign.Keyring) (*Download, error) {
	return (&Fetcher{Client: client}).DownloadPackage(ctx, src, pkg, kr)
}

// DownloadPackage fetches pkg from src (or from its LocationBase) into a
// temporary file in f.TempDir, checks its size and checksum against the
// metadata, then verifies its OpenPGP signatures against kr with
// sign.VerifyRPM. Every error is a *PackageError; one wrapping ErrRefused
// says the package is not signed, is signed by a key kr lacks or smeforge
// does not verify with (CentOS 5's DSA key: "unsupported key"), or its
// signature does not verify. The caller reads the returned Download and
// closes it.
func (f *Fetcher) DownloadPackage(ctx context.Context, src Source, pkg Package, kr *sign.Keyring) (*Download, error) {
	tmp, res, err := f.fetchPackage(ctx, src, pkg, kr, f.tempDir())
	if err != nil {
		return nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, &PackageError{Package: pkg.NEVRA(), Err: err}
	}
	return &Download{Package: pkg, Signature: res, f: tmp}, nil
}

// packageURL is where pkg is.
func packageURL(src Source, pkg Package) (string, error) {
	base := src.URL
	if pkg.LocationBase != "" {
		base = pkg.LocationBase
	}
	return resolve(base, pkg.Location)
}

// fetchPackage downloads pkg into a new temporary file in dir and verifies
// it; on success the open file is the caller's, on error it is removed.
func (f *Fetcher) fetchPackage(ctx context.Context, src Source, pkg Package, kr *sign.Keyring, dir string) (_ *os.File, _ sign.Result, err error) {
	nevra := pkg.NEVRA()
	u, err := packageURL(src, pkg)
	if err != nil {
		return nil, sign.Result{}, &PackageError{Package: nevra, Err: err}
	}
	pkgErr := func(err error) (*os.File, sign.Result, error) {
		return nil, sign.Result{}, &PackageError{Package: nevra, URL: u, Err: err}
	}
	if kr == nil {
		return pkgErr(errors.New("no keyring to verify the package's signature against"))
	}
	if pkg.Size > f.maxPackage() {
		return pkgErr(fmt.Errorf("%w: the metadata gives %d bytes; the limit is %d", ErrTooLarge, pkg.Size, f.maxPackage()))
	}
	sum, err := parseChecksum(pkg.ChecksumType, pkg.Checksum)
	if err != nil {
		return pkgErr(err)
	}
	tmp, err := os.CreateTemp(dir, ".smeforge-upstream-*.rpm")
	if err != nil {
		return pkgErr(err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := f.download(ctx, u, tmp, sum, pkg.Size, f.maxPackage()); err != nil {
		return pkgErr(err)
	}
	res, err := verify(ctx, tmp, kr)
	if err != nil {
		return pkgErr(err)
	}
	return tmp, res, nil
}

// verify checks the signatures of the package in f, from its start.
func verify(ctx context.Context, f *os.File, kr *sign.Keyring) (sign.Result, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return sign.Result{}, err
	}
	res, err := sign.VerifyRPM(ctxReader{ctx, f}, kr)
	if err == nil && !res.OK() {
		err = fmt.Errorf("%w: header or payload not covered by a signature", sign.ErrBadSignature)
	}
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		return res, &refusedError{err: err}
	}
	return res, nil
}

// PackageResult is what SyncPackages did with one package.
type PackageResult struct {
	Package Package
	// Path is the package file below the folder, when Err is nil.
	Path      string
	Signature sign.Result
	// Reused: the file was already there, with the right checksum and a
	// signature that verifies, and was not downloaded again.
	Reused bool
	// Err is nil for a package fetched and verified; a *PackageError
	// otherwise (errors.Is(Err, ErrRefused) for a signature refused).
	Err error
}

// OK reports whether the package is in the folder, verified.
func (r PackageResult) OK() bool { return r.Err == nil }

// Refused reports whether the package was refused for its signature.
func (r PackageResult) Refused() bool { return errors.Is(r.Err, ErrRefused) }

// SyncPackages downloads pkgs with a zero Fetcher using client
// (http.DefaultClient when nil).
func SyncPackages(ctx context.Context, client *http.Client, src Source, pkgs []Package, kr *sign.Keyring, dir string) ([]PackageResult, error) {
	return (&Fetcher{Client: client}).SyncPackages(ctx, src, pkgs, kr, dir)
}

// SyncPackages brings every package of pkgs into dir, at its location
// (dir/Packages/a/abc.rpm), f.Workers at a time, checking each one as
// DownloadPackage does. A package already there with the metadata's
// checksum is verified and kept, not downloaded again. Each package is
// written to a temporary file beside its place and renamed there once it
// verified: a refused package's file is never written (a file already
// there is left as it was). One package failing does not stop the
// others; the results, in the order of pkgs, say which were refused and
// why. The error is for what stops the whole sync: dir cannot be made,
// or ctx ended (the packages not started then have its error).
func (f *Fetcher) SyncPackages(ctx context.Context, src Source, pkgs []Package, kr *sign.Keyring, dir string) ([]PackageResult, error) {
	if kr == nil {
		return nil, errors.New("syncing packages: no keyring to verify their signatures against")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("syncing packages: %w", err)
	}
	results := make([]PackageResult, len(pkgs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(f.workers(), len(pkgs)) {
		wg.Go(func() {
			for i := range next {
				results[i] = f.syncPackage(ctx, src, pkgs[i], kr, dir)
			}
		})
	}
	for i := range pkgs {
		if err := ctx.Err(); err != nil {
			results[i] = PackageResult{Package: pkgs[i], Err: &PackageError{Package: pkgs[i].NEVRA(), Err: err}}
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return results, fmt.Errorf("syncing packages: %w", err)
	}
	return results, nil
}

func (f *Fetcher) syncPackage(ctx context.Context, src Source, pkg Package, kr *sign.Keyring, dir string) PackageResult {
	r := PackageResult{Package: pkg}
	nevra := pkg.NEVRA()
	if err := checkHref(pkg.Location); err != nil {
		r.Err = &PackageError{Package: nevra, Err: err}
		return r
	}
	dst := filepath.Join(dir, filepath.FromSlash(pkg.Location))
	if res, ok, err := f.reuse(ctx, pkg, dst, kr); ok || err != nil {
		if err != nil {
			r.Err = &PackageError{Package: nevra, Err: fmt.Errorf("%s: %w", dst, err)}
			return r
		}
		r.Path, r.Signature, r.Reused = dst, res, true
		return r
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		r.Err = &PackageError{Package: nevra, Err: err}
		return r
	}
	tmp, res, err := f.fetchPackage(ctx, src, pkg, kr, filepath.Dir(dst))
	if err != nil {
		r.Err = err
		return r
	}
	err = tmp.Chmod(0o644)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		r.Err = &PackageError{Package: nevra, Err: fmt.Errorf("writing %s: %w", dst, err)}
		return r
	}
	r.Path, r.Signature = dst, res
	return r
}

// reuse checks a package file already at dst: ok when it has the
// metadata's size and checksum and verifies; an error when it has them
// but does not verify (downloading it again would not help); neither when
// it is missing or differs, and should be downloaded.
func (f *Fetcher) reuse(ctx context.Context, pkg Package, dst string, kr *sign.Keyring) (sign.Result, bool, error) {
	fi, err := os.Stat(dst)
	if err != nil || !fi.Mode().IsRegular() || pkg.Size > 0 && fi.Size() != pkg.Size {
		return sign.Result{}, false, nil
	}
	sum, err := parseChecksum(pkg.ChecksumType, pkg.Checksum)
	if err != nil {
		return sign.Result{}, false, nil
	}
	fh, err := os.Open(dst)
	if err != nil {
		return sign.Result{}, false, nil
	}
	defer fh.Close()
	h, _, _ := newHash(sum.typ)
	if _, err := io.Copy(h, ctxReader{ctx, fh}); err != nil || hex.EncodeToString(h.Sum(nil)) != sum.value {
		return sign.Result{}, false, nil
	}
	res, err := verify(ctx, fh, kr)
	if err != nil {
		return res, false, err
	}
	return res, true, nil
}
