package upstream

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/smeserver/smeforge/internal/repodata"
	"github.com/smeserver/smeforge/internal/sign"
	"github.com/ulikunitz/xz"
)

// Fetch fetches and checks the metadata of src with a zero Fetcher using
// client (http.DefaultClient when nil).
func Fetch(ctx context.Context, client *http.Client, src Source) (*Snapshot, error) {
	return (&Fetcher{Client: client}).Fetch(ctx, src)
}

// Fetch fetches src's repodata/repomd.xml and, when src.Key is set, checks
// repomd.xml.asc against it: a missing signature, a bad one or one by
// another key is an error wrapping ErrNotSigned. It then fetches the
// primary, filelists and (when listed) updateinfo files repomd.xml names,
// checks each one's size and checksum before reading it, decompresses it
// (gzip, zstd, xz, bzip2 or none, told by its first bytes), checks its
// open-checksum and parses it as it streams, and joins primary and
// filelists by pkgid. The XML files alone are read (not the SQLite ones),
// and zchunk files are refused.
func (f *Fetcher) Fetch(ctx context.Context, src Source) (*Snapshot, error) {
	name := src.name()
	fail := func(err error) (*Snapshot, error) { return nil, fmt.Errorf("upstream %s: %w", name, err) }
	var kr *sign.Keyring
	if len(src.Key) > 0 {
		kr = sign.NewKeyring()
		if err := kr.Add(src.Key); err != nil {
			return fail(fmt.Errorf("reading the signing key: %w", err))
		}
	}
	repomdURL, err := resolve(src.URL, "repodata/repomd.xml")
	if err != nil {
		return fail(err)
	}
	repomd, err := f.getSmall(ctx, repomdURL, maxRepomdSize)
	if err != nil {
		return fail(err)
	}
	snap := &Snapshot{Source: name, Fetched: f.now().UTC()}
	sum := sha256.Sum256(repomd)
	snap.RepomdSHA256 = hex.EncodeToString(sum[:])
	if kr != nil {
		keyID, err := f.verifyRepomd(ctx, repomdURL, repomd, kr)
		if err != nil {
			return nil, fmt.Errorf("repomd.xml of %s is %w", name, err)
		}
		snap.SignedBy = keyID
	}
	md, err := parseRepomd(repomd)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", repomdURL, err))
	}
	snap.Revision = md.revision
	for _, t := range []string{"primary", "filelists"} {
		if _, ok := md.files[t]; !ok {
			return fail(fmt.Errorf("%s: %w: no %s file is listed (smeforge reads the XML metadata, not only primary_db or zchunk)", repomdURL, ErrMetadata, t))
		}
	}

	// The three files are fetched and parsed at once; the first error
	// cancels the others.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg     sync.WaitGroup
		pkgs   []Package
		lists  map[string]fileList
		nLists int
		errs   [3]error
	)
	run := func(i int, typ string, consume func(io.Reader) error) {
		wg.Go(func() {
			if err := f.fetchData(ctx, src.URL, md.files[typ], consume); err != nil {
				errs[i] = err
				cancel(err)
			}
		})
	}
	run(0, "primary", func(r io.Reader) (err error) {
		pkgs, err = parsePrimary(r)
		return err
	})
	run(1, "filelists", func(r io.Reader) (err error) {
		lists, nLists, err = parseFilelists(r)
		return err
	})
	if _, ok := md.files["updateinfo"]; ok {
		run(2, "updateinfo", func(r io.Reader) (err error) {
			snap.Updateinfo, err = io.ReadAll(r)
			return err
		})
	}
	wg.Wait()
	// Report the error that cancelled the others, not a "context canceled".
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return fail(cause)
	}
	for _, err := range errs {
		if err != nil {
			return fail(err)
		}
	}
	if err := join(pkgs, lists, nLists); err != nil {
		return fail(err)
	}
	snap.Packages = pkgs
	return snap, nil
}

// verifyRepomd fetches repomd.xml.asc and checks it; the error completes
// "repomd.xml of NAME is ...".
func (f *Fetcher) verifyRepomd(ctx context.Context, repomdURL string, repomd []byte, kr *sign.Keyring) (string, error) {
	ascURL := repomdURL + ".asc"
	asc, err := f.getSmall(ctx, ascURL, maxSignatureSize)
	if err != nil {
		var se *statusError
		if errors.As(err, &se) && se.code == http.StatusNotFound {
			return "", fmt.Errorf("%w: there is no repomd.xml.asc (%s: %s)", ErrNotSigned, ascURL, se.status)
		}
		return "", fmt.Errorf("%w: fetching the signature: %w", ErrNotSigned, err)
	}
	keyID, err := sign.VerifyDetached(repomd, asc, kr)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrNotSigned, ascURL, err)
	}
	return keyID, nil
}

// statusError is a response other than 200 OK.
type statusError struct {
	url    string
	code   int
	status string
}

func (e *statusError) Error() string { return "GET " + e.url + ": " + e.status }

// get sends a GET and returns a 200 response.
func (f *Fetcher) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("User-Agent", userAgent)
	// The checksums are of the files as stored: no transparent
	// decompression of a .gz a server labels Content-Encoding: gzip.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := f.client().Do(req)
	if err != nil {
		// *url.Error already names the method and URL.
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &statusError{url: u, code: resp.StatusCode, status: resp.Status}
	}
	return resp, nil
}

// getSmall reads a whole response of at most limit bytes.
func (f *Fetcher) getSmall(ctx context.Context, u string, limit int64) ([]byte, error) {
	resp, err := f.get(ctx, u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(&boundedReader{r: resp.Body, left: limit, what: u})
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return b, nil
}

// checksum is a digest as repository metadata gives it.
type checksum struct {
	typ   string // normalised: "sha1", "sha256" ...
	value string // lower-case hex
}

// newHash returns the hash of a checksum type as repomd.xml and primary.xml
// name them ("sha" is yum's old name for SHA-1).
func newHash(typ string) (hash.Hash, string, error) {
	switch strings.ToLower(typ) {
	case "sha", "sha1":
		return sha1.New(), "sha1", nil
	case "sha224":
		return sha256.New224(), "sha224", nil
	case "sha256":
		return sha256.New(), "sha256", nil
	case "sha384":
		return sha512.New384(), "sha384", nil
	case "sha512":
		return sha512.New(), "sha512", nil
	}
	return nil, "", fmt.Errorf("%w: unsupported checksum type %q (want sha1, sha256 or sha512)", ErrMetadata, typ)
}

// dataFile is one <data> entry of repomd.xml.
type dataFile struct {
	typ, href      string
	sum            checksum
	open           *checksum
	size, openSize int64 // 0: not given
}

type repomdInfo struct {
	revision string
	files    map[string]dataFile
}

// repomdXML is repomd.xml, small enough to unmarshal whole.
type repomdXML struct {
	XMLName  xml.Name `xml:"repomd"`
	Revision string   `xml:"revision"`
	Data     []struct {
		Type     string `xml:"type,attr"`
		Checksum struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"checksum"`
		OpenChecksum *struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"open-checksum"`
		Location struct {
			Href string `xml:"href,attr"`
		} `xml:"location"`
		Size     int64 `xml:"size"`
		OpenSize int64 `xml:"open-size"`
	} `xml:"data"`
}

// wanted are the repomd.xml entries Fetch reads.
func wanted(typ string) bool { return typ == "primary" || typ == "filelists" || typ == "updateinfo" }

func parseRepomd(b []byte) (*repomdInfo, error) {
	var x repomdXML
	if err := xml.Unmarshal(b, &x); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	if x.XMLName.Space != repodata.NSRepo {
		return nil, fmt.Errorf("%w: the root element is {%s}%s, not {%s}repomd", ErrMetadata, x.XMLName.Space, x.XMLName.Local, repodata.NSRepo)
	}
	md := &repomdInfo{revision: strings.TrimSpace(x.Revision), files: map[string]dataFile{}}
	for _, d := range x.Data {
		if !wanted(d.Type) {
			continue
		}
		if _, dup := md.files[d.Type]; dup {
			return nil, fmt.Errorf("%w: two %s entries", ErrMetadata, d.Type)
		}
		df := dataFile{typ: d.Type, href: strings.TrimSpace(d.Location.Href), size: d.Size, openSize: d.OpenSize}
		if err := checkHref(df.href); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrMetadata, d.Type, err)
		}
		var err error
		if df.sum, err = parseChecksum(d.Checksum.Type, d.Checksum.Value); err != nil {
			return nil, fmt.Errorf("%s: %w", d.Type, err)
		}
		if oc := d.OpenChecksum; oc != nil {
			c, err := parseChecksum(oc.Type, oc.Value)
			if err != nil {
				return nil, fmt.Errorf("%s open-checksum: %w", d.Type, err)
			}
			df.open = &c
		}
		if df.size < 0 || df.openSize < 0 {
			return nil, fmt.Errorf("%w: %s: negative size", ErrMetadata, d.Type)
		}
		md.files[d.Type] = df
	}
	return md, nil
}

func parseChecksum(typ, value string) (checksum, error) {
	h, name, err := newHash(typ)
	if err != nil {
		return checksum{}, err
	}
	v := strings.ToLower(strings.TrimSpace(value))
	if b, err := hex.DecodeString(v); err != nil || len(b) != h.Size() {
		return checksum{}, fmt.Errorf("%w: %q is not a %s checksum", ErrMetadata, value, name)
	}
	return checksum{typ: name, value: v}, nil
}

// checkHref accepts a relative slash-separated path that stays inside the
// repository.
func checkHref(href string) error {
	if href == "" {
		return errors.New("empty location")
	}
	if strings.HasPrefix(href, "/") || strings.ContainsAny(href, "\\\x00") || strings.Contains(href, "://") {
		return fmt.Errorf("location %q is not a relative path", href)
	}
	for seg := range strings.SplitSeq(href, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("location %q is not a clean relative path", href)
		}
	}
	return nil
}

// resolve joins a checked href to a repository URL, escaping what a URL
// path needs escaped.
func resolve(base, href string) (string, error) {
	if err := checkHref(href); err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("repository URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("repository URL %q: want an http or https URL", base)
	}
	return u.JoinPath(strings.Split(href, "/")...).String(), nil
}

// fetchData downloads one metadata file to a temporary file, checks its
// size and checksum, and only then decompresses it into consume, checking
// the open-size and open-checksum of what consume read. consume must read
// what it needs; the rest is read here for the open-checksum.
func (f *Fetcher) fetchData(ctx context.Context, base string, d dataFile, consume func(io.Reader) error) (err error) {
	u, err := resolve(base, d.href)
	if err != nil {
		return err
	}
	limit := f.maxFile()
	if d.size > limit || d.openSize > limit {
		return fmt.Errorf("%s: %w: repomd.xml gives %d bytes (%d decompressed); the limit is %d", u, ErrTooLarge, d.size, d.openSize, limit)
	}
	tmp, err := os.CreateTemp(f.tempDir(), "smeforge-upstream-"+d.typ+"-*")
	if err != nil {
		return fmt.Errorf("fetching %s: %w", d.typ, err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if err := f.download(ctx, u, tmp, d.sum, d.size, limit); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	br := bufio.NewReaderSize(tmp, 256<<10)
	dec, err := decompressor(br)
	if err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	defer dec.Close()
	openLimit := limit
	if d.openSize > 0 {
		openLimit = d.openSize
	}
	plain := &boundedReader{r: ctxReader{ctx, dec}, left: openLimit, what: d.typ + " (decompressed)"}
	var r io.Reader = plain
	var oh hash.Hash
	if d.open != nil {
		oh, _, _ = newHash(d.open.typ)
		r = io.TeeReader(plain, oh)
	}
	if err := consume(r); err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	if d.openSize > 0 && plain.read != d.openSize {
		return fmt.Errorf("%s: %w: decompressed, it has %d bytes; repomd.xml says %d", u, ErrSize, plain.read, d.openSize)
	}
	if oh != nil {
		if got := hex.EncodeToString(oh.Sum(nil)); got != d.open.value {
			return fmt.Errorf("%s: %w: the decompressed %s is %s, repomd.xml's open-checksum says %s", u, ErrChecksum, d.open.typ, got, d.open.value)
		}
	}
	return nil
}

// download copies the file at u into w, checking its size (when size > 0)
// and checksum; it reads at most limit bytes.
func (f *Fetcher) download(ctx context.Context, u string, w io.Writer, sum checksum, size, limit int64) error {
	h, _, err := newHash(sum.typ)
	if err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	resp, err := f.get(ctx, u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if size > 0 && resp.ContentLength >= 0 && resp.ContentLength != size {
		return fmt.Errorf("%s: %w: the server sends %d bytes; the metadata says %d", u, ErrSize, resp.ContentLength, size)
	}
	if size > 0 {
		limit = size
	}
	body := &boundedReader{r: resp.Body, left: limit, what: u}
	if _, err := io.CopyBuffer(io.MultiWriter(w, h), body, make([]byte, 64<<10)); err != nil {
		if errors.Is(err, ErrTooLarge) && size > 0 {
			return fmt.Errorf("%s: %w: larger than the %d bytes the metadata gives", u, ErrSize, size)
		}
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if size > 0 && body.read != size {
		return fmt.Errorf("%s: %w: %d bytes; the metadata says %d", u, ErrSize, body.read, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum.value {
		return fmt.Errorf("%s: %w: its %s is %s; the metadata says %s", u, ErrChecksum, sum.typ, got, sum.value)
	}
	return nil
}

// maxZstdWindow bounds the memory a zstd frame may ask for; createrepo_c
// and smeforge write windows of a few megabytes.
const maxZstdWindow = 256 << 20

// decompressor reads the compression from the first bytes of br.
func decompressor(br *bufio.Reader) (io.ReadCloser, error) {
	magic, _ := br.Peek(6)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br) // reads concatenated members, as createrepo's chunks are
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		zr, err := xz.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		return io.NopCloser(zr), nil
	case bytes.HasPrefix(magic, []byte("BZh")):
		return io.NopCloser(bzip2.NewReader(br)), nil
	case bytes.HasPrefix(magic, []byte("\x00ZCK1")):
		return nil, errors.New("zchunk metadata is not supported; the repository should also list the gzip or zstd file")
	}
	return io.NopCloser(br), nil
}

// boundedReader fails with ErrTooLarge, rather than truncating, once more
// than left bytes come.
type boundedReader struct {
	r    io.Reader
	left int64
	read int64
	what string
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells the end of the stream from too much.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%s: %w: more than %d bytes", b.what, ErrTooLarge, b.read)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	b.read += int64(n)
	return n, err
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
