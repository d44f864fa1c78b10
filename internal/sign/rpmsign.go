package sign

import (
	"bytes"
	"context"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/smeserver/smeforge/internal/rpm"
)

// replacedTags are the signature header entries a new signature replaces:
// every OpenPGP signature (rpm's own deleteSigs list, plus rpm 6's
// OPENPGP array) and the digests a broken rpm 4.0 wrote.
var replacedTags = map[uint32]bool{
	rpm.SigTagDSAHeader: true, rpm.SigTagRSAHeader: true, rpm.SigTagPGP: true, rpm.SigTagGPG: true,
	rpm.SigTagPGP5: true, rpm.SigTagOpenPGP: true, rpm.SigTagBadSHA1a: true, rpm.SigTagBadSHA1b: true,
}

// SignRPM reads an RPM from r and writes it to w with a new signature
// header: the digests and sizes of the old one, and two signatures by s in
// place of any the package had — a header-only signature (RSAHEADER, or
// DSAHEADER for EdDSA) and a header+payload one (PGP, or GPG). The lead,
// header and payload are copied unchanged, so re-signing with another key
// (a key rotation) replaces the signature and nothing else. When the
// package has RESERVEDSPACE it shrinks by what the signatures add, so the
// header stays at the offset rpmsign would keep it at.
//
// The payload is read once, and hashed on the way for the header+payload
// signature and for the check of its digest (a damaged package is refused,
// not signed). When r is an io.ReadSeeker (a file) the payload is then
// copied from r after a seek back, by the kernel when both are files;
// otherwise it is held in memory between hashing and writing.
func SignRPM(r io.Reader, w io.Writer, s Signer) error {
	return signRPM(context.Background(), r, w, s, "")
}

func signRPM(ctx context.Context, r io.Reader, w io.Writer, s Signer, name string) error {
	raw, err := rpm.ReadRaw(r, name)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	hdrSig, err := s.Sign(bytes.NewReader(raw.Header))
	if err != nil {
		return fmt.Errorf("signing the header: %w", err)
	}
	check, err := raw.NewPayloadCheck()
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	var count countWriter
	sinks := []io.Writer{&count}
	if check != nil {
		sinks = append(sinks, check)
	}
	seeker, seekable := r.(io.ReadSeeker)
	var start int64
	if seekable {
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			seekable = false
		}
	}
	var held *bytes.Buffer
	if !seekable {
		held = new(bytes.Buffer)
		if n := raw.PayloadSize(); n > 0 && n < 1<<30 {
			held.Grow(int(n))
		}
		sinks = append(sinks, held)
	}
	payload := io.TeeReader(ctxReader{ctx, r}, io.MultiWriter(sinks...))
	hpSig, err := s.Sign(io.MultiReader(bytes.NewReader(raw.Header), payload))
	if err != nil {
		return fmt.Errorf("signing header and payload: %w", err)
	}
	if err := checkPayload(raw, count.n, check); err != nil {
		return fmt.Errorf("refusing to sign: %w", err)
	}
	sigHeader, err := newSignatureHeader(raw, hdrSig, hpSig)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	for _, b := range [][]byte{raw.Lead, sigHeader, raw.Header} {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("writing signed package: %w", err)
		}
	}
	if held != nil {
		_, err = held.WriteTo(w)
	} else {
		if _, err = seeker.Seek(start, io.SeekStart); err == nil {
			// A *os.File to a *os.File: the kernel copies (copy_file_range).
			var n int64
			n, err = io.Copy(w, io.LimitReader(r, count.n))
			if err == nil && n != count.n {
				err = fmt.Errorf("the payload shrank from %d to %d bytes while signing", count.n, n)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("writing signed package: %w", err)
	}
	return nil
}

// checkPayload compares the payload's size and digest with what the
// signature header and header say.
func checkPayload(raw *rpm.Raw, n int64, check *rpm.PayloadCheck) error {
	if want := raw.PayloadSize(); want >= 0 && n != want {
		if n < want {
			return fmt.Errorf("truncated: the signature header says the payload is %d bytes, the file has %d", want, n)
		}
		return fmt.Errorf("%d bytes of trailing data after the payload", n-want)
	}
	if check != nil {
		return check.Verify()
	}
	return nil
}

// newSignatureHeader is the old signature header without its signatures,
// plus the two new ones in the tags rpmsign uses for their algorithm.
func newSignatureHeader(raw *rpm.Raw, hdrSig, hpSig []byte) ([]byte, error) {
	hs, err := parseSignature(hdrSig)
	if err != nil {
		return nil, fmt.Errorf("the signer's header signature: %w", err)
	}
	hps, err := parseSignature(hpSig)
	if err != nil {
		return nil, fmt.Errorf("the signer's header+payload signature: %w", err)
	}
	if hs.keyID != hps.keyID || hs.pubAlgo != hps.pubAlgo {
		return nil, fmt.Errorf("the signer made the two signatures with different keys (%s, %s)", keyID(hs.keyID), keyID(hps.keyID))
	}
	hdrTag, hpTag := rpm.SigTagDSAHeader, rpm.SigTagGPG
	if hs.pubAlgo == packet.PubKeyAlgoRSA || hs.pubAlgo == packet.PubKeyAlgoRSASignOnly {
		hdrTag, hpTag = rpm.SigTagRSAHeader, rpm.SigTagPGP
	}
	entries := make([]rpm.SigEntry, 0, len(raw.Signature)+2)
	for _, e := range raw.Signature {
		if !replacedTags[e.Tag] {
			entries = append(entries, e)
		}
	}
	entries = append(entries,
		rpm.SigEntry{Tag: hdrTag, Type: rpm.TypeBin, Count: uint32(len(hdrSig)), Data: hdrSig},
		rpm.SigEntry{Tag: hpTag, Type: rpm.TypeBin, Count: uint32(len(hpSig)), Data: hpSig})
	return rpm.EncodeSignatureHeader(entries, raw.SignatureSize)
}

// SignFile signs the RPM at path in place, atomically: the signed package
// is written to a temporary file in the same folder, synced and renamed
// over the original (whose mode it keeps; its owner becomes the signer's),
// then the folder is synced. A symbolic link is followed and its target
// replaced. On any error the original is left as it was.
func SignFile(ctx context.Context, path string, s Signer) (err error) {
	return signFile(ctx, path, s, true)
}

// signFile signs in place; with durable false it neither syncs the file
// nor its folder, for SignFiles, which syncs once at the end.
func signFile(ctx context.Context, path string, s Signer, durable bool) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("signing %s: not a regular file", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".smeforge-sign-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := signRPM(ctx, in, tmp, s, path); err != nil {
		return err
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			return fmt.Errorf("signing %s: syncing: %w", path, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("signing %s: replacing the file: %w", path, err)
	}
	if durable {
		if d, derr := os.Open(dir); derr == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// Result is what VerifyRPM found.
type Result struct {
	// KeyID and Algorithm describe the header signature (the
	// header+payload one when the package has only that): 16 lower-case
	// hex digits, and "RSA/SHA256" as rpm prints it.
	KeyID     string
	Algorithm string
	// HeaderOK: the header is authentic: its header-only signature
	// (RSAHEADER or DSAHEADER) verified, or, in a package with only a
	// header+payload signature, that one did.
	HeaderOK bool
	// PayloadOK: the payload is authentic: a header+payload signature (PGP
	// or GPG) verified, or, without one, the payload matched the
	// PAYLOADDIGEST of a header whose signature verified.
	PayloadOK bool
	// HeaderPayloadSigned: the package carries a header+payload signature.
	HeaderPayloadSigned bool
}

// OK reports whether both header and payload verified.
func (r Result) OK() bool { return r.HeaderOK && r.PayloadOK }

// VerifyRPM checks the RPM read from r against the keyring: every
// header-only and header+payload signature it carries, the header's
// digest, and the payload's size and digest. A package with no signature
// is ErrUnsigned; a signature by a key the keyring lacks a
// *KeyNotFoundError ("signed with key X which is not in the keyring"); by
// a key smeforge does not accept (CentOS 5's DSA key) an
// *UnsupportedKeyError; a mismatch wraps ErrBadSignature or is an
// *rpm.FormatError saying what differs. The Result says what verified
// before the first failure.
func VerifyRPM(r io.Reader, kr *Keyring) (Result, error) {
	return verifyRPM(context.Background(), r, kr, "")
}

// VerifyFile is VerifyRPM on the file at path, stopping when ctx ends.
func VerifyFile(ctx context.Context, path string, kr *Keyring) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, fmt.Errorf("verifying: %w", err)
	}
	defer f.Close()
	return verifyRPM(ctx, f, kr, path)
}

type foundSig struct {
	tag  string
	sig  *signature
	key  *publicKey
	hash hash.Hash
}

func verifyRPM(ctx context.Context, r io.Reader, kr *Keyring, name string) (Result, error) {
	var res Result
	raw, err := rpm.ReadRaw(r, name)
	if err != nil {
		return res, err
	}
	find := func(tags ...uint32) ([]*foundSig, error) {
		var out []*foundSig
		for _, tag := range tags {
			e, ok := raw.Entry(tag)
			if !ok {
				continue
			}
			tname := sigTagName(tag)
			if e.Type != rpm.TypeBin {
				return nil, fmt.Errorf("%w: %s entry is of type %d, not binary", ErrBadSignature, tname, e.Type)
			}
			s, perr := parseSignature(e.Data)
			if s == nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrBadSignature, tname, perr)
			}
			if res.KeyID == "" {
				res.KeyID, res.Algorithm = keyID(s.keyID), s.algorithm()
			}
			k, err := kr.lookup(s.keyID)
			if err != nil {
				return nil, err
			}
			if perr != nil {
				return nil, fmt.Errorf("%w: %s by key %s: %v", ErrBadSignature, tname, keyID(s.keyID), perr)
			}
			h, err := s.newHash()
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrBadSignature, tname, err)
			}
			out = append(out, &foundSig{tag: tname, sig: s, key: k, hash: h})
		}
		return out, nil
	}
	hdrSigs, err := find(rpm.SigTagRSAHeader, rpm.SigTagDSAHeader)
	if err != nil {
		return res, err
	}
	hpSigs, err := find(rpm.SigTagPGP, rpm.SigTagGPG)
	if err != nil {
		return res, err
	}
	if len(hdrSigs) == 0 && len(hpSigs) == 0 {
		return res, fmt.Errorf("%w: the package carries digests but no OpenPGP signature", ErrUnsigned)
	}
	res.HeaderPayloadSigned = len(hpSigs) > 0
	for _, f := range hdrSigs {
		f.hash.Write(raw.Header)
		if err := f.sig.verify(f.hash, f.key); err != nil {
			return res, fmt.Errorf("header signature (%s): %w", f.tag, err)
		}
	}
	res.HeaderOK = len(hdrSigs) > 0

	check, err := raw.NewPayloadCheck()
	if err != nil {
		return res, err
	}
	var count countWriter
	sinks := []io.Writer{&count}
	if check != nil {
		sinks = append(sinks, check)
	}
	for _, f := range hpSigs {
		f.hash.Write(raw.Header)
		sinks = append(sinks, f.hash)
	}
	if _, err := io.CopyBuffer(io.MultiWriter(sinks...), ctxReader{ctx, r}, make([]byte, 64<<10)); err != nil {
		return res, fmt.Errorf("reading the payload: %w", err)
	}
	if err := checkPayload(raw, count.n, check); err != nil {
		return res, fmt.Errorf("%w: the payload is not what was signed: %w", ErrBadSignature, err)
	}
	for _, f := range hpSigs {
		if err := f.sig.verify(f.hash, f.key); err != nil {
			return res, fmt.Errorf("header+payload signature (%s): %w", f.tag, err)
		}
	}
	switch {
	case len(hpSigs) > 0:
		res.HeaderOK, res.PayloadOK = true, true
	case check != nil && check.InHeader():
		res.PayloadOK = true // the digest is in the header its signature covers
	default:
		return res, fmt.Errorf("%w: the payload is covered by no signature (no header+payload signature, no PAYLOADDIGEST)", ErrUnsigned)
	}
	return res, nil
}

func sigTagName(tag uint32) string {
	switch tag {
	case rpm.SigTagRSAHeader:
		return "RSAHEADER"
	case rpm.SigTagDSAHeader:
		return "DSAHEADER"
	case rpm.SigTagPGP:
		return "PGP"
	case rpm.SigTagGPG:
		return "GPG"
	}
	return fmt.Sprintf("tag %d", tag)
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	return len(b), nil
}

// ctxReader stops a long read when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// SignFiles signs the files in place with SignFile, workers at a time
// (GOMAXPROCS when workers < 1), and returns one error per path, nil for
// each file signed. Once ctx ends the files not yet started get its error.
func SignFiles(ctx context.Context, paths []string, s Signer, workers int) []error {
	errs := make([]error, len(paths))
	// One flush of the file systems at the end instead of two fsyncs per
	// file: the files are durable when SignFiles returns either way.
	forEach(ctx, len(paths), workers, func(i int) { errs[i] = signFile(ctx, paths[i], s, !canSyncAll) }, func(i int, err error) { errs[i] = err })
	syncAll()
	return errs
}

// VerifyFiles runs VerifyFile on each path, workers at a time (GOMAXPROCS
// when workers < 1), and returns the results and errors in path order.
func VerifyFiles(ctx context.Context, paths []string, kr *Keyring, workers int) ([]Result, []error) {
	res := make([]Result, len(paths))
	errs := make([]error, len(paths))
	forEach(ctx, len(paths), workers, func(i int) { res[i], errs[i] = VerifyFile(ctx, paths[i], kr) }, func(i int, err error) { errs[i] = err })
	return res, errs
}

// forEach calls do(i) for i in [0, n) on up to workers goroutines; the
// indexes not started before ctx ends get skip(i, ctx.Err()).
func forEach(ctx context.Context, n, workers int, do func(int), skip func(int, error)) {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				do(i)
			}
		})
	}
	for i := range n {
		if err := ctx.Err(); err != nil {
			skip(i, err)
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
}
