package rpm

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"unicode/utf8"
)

// ErrNotRPM is returned (wrapped in a *FormatError) when the file does not
// start with the RPM lead.
var ErrNotRPM = errors.New("not an RPM file (bad lead magic)")

// FormatError says which file is malformed and what is wrong with it.
type FormatError struct {
	File string // the file's name as given by the caller
	What string // what is wrong
	Err  error  // the underlying error, if any
}

func (e *FormatError) Error() string {
	name := e.File
	if name == "" {
		name = "input"
	}
	return name + ": " + e.What
}

func (e *FormatError) Unwrap() error { return e.Err }

const (
	leadSize      = 96
	headerIntro   = 16
	sigTypeHeader = 5
)

var (
	leadMagic   = []byte{0xed, 0xab, 0xee, 0xdb}
	headerMagic = []byte{0x8e, 0xad, 0xe8, 0x01}
)

// Signature header tags (rpmSigTag).
const (
	sigTagSize          = 1000
	sigTagPGP           = 1002
	sigTagMD5           = 1004
	sigTagGPG           = 1005
	sigTagPayloadSize   = 1007
	sigTagDSAHeader     = 267
	sigTagRSAHeader     = 268
	sigTagSHA1Header    = 269
	sigTagLongSize      = 270
	sigTagLongArchive   = 271
	sigTagSHA256Header  = 273
	sigTagOpenPGPHeader = 278
)

// ReadOptions tune Read.
type ReadOptions struct {
	// SkipPayloadDigest trusts the payload without checking its digest
	// (createrepo_c does not check it either). The digest of the header is
	// always checked.
	SkipPayloadDigest bool
}

// ReadFile reads the RPM at path: headers, signature, file size and
// SHA-256, and checks the payload's digest.
func ReadFile(path string) (*Package, error) {
	return ReadFileWith(path, ReadOptions{})
}

// ReadFileWith is ReadFile with options.
func ReadFileWith(path string, opt ReadOptions) (*Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading rpm: %w", err)
	}
	defer f.Close()
	return ReadWith(f, path, opt)
}

var (
	copyBufs   = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}
	bufReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}
)

// Read reads a whole RPM from r, hashing every byte, and checks the
// payload's digest (PAYLOADDIGEST, or the signature header's MD5 of header
// and payload in older packages). name is used in errors. A file shorter
// than its signature header says is reported as truncated.
func Read(r io.Reader, name string) (*Package, error) { return ReadWith(r, name, ReadOptions{}) }

// ReadWith is Read with options.
func ReadWith(r io.Reader, name string, opt ReadOptions) (*Package, error) {
	// The header is read in many small pieces: buffer them.
	br := bufReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		bufReaders.Put(br)
	}()
	r = br
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(r, h)}
	p, info, err := readHeaders(cr, name)
	if err != nil {
		return nil, err
	}
	sigSize := info.sigSize
	var check hash.Hash
	var dst io.Writer = hashWriter{h}
	if !opt.SkipPayloadDigest && info.check != nil {
		check = info.check
		dst = io.MultiWriter(h, check)
	}
	bp := copyBufs.Get().(*[]byte)
	// The payload goes straight from r into the hash; the headers were
	// hashed on their way through the TeeReader.
	n, err := io.CopyBuffer(dst, r, *bp)
	copyBufs.Put(bp)
	cr.n += n
	if err != nil {
		return nil, &FormatError{File: name, What: "reading payload: " + err.Error(), Err: err}
	}
	p.FileSize = cr.n
	if sigSize > 0 && p.HeaderStart+sigSize != cr.n {
		if p.HeaderStart+sigSize > cr.n {
			return nil, &FormatError{File: name, What: fmt.Sprintf("truncated: the signature header says header and payload take %d bytes, the file has %d", sigSize, cr.n-p.HeaderStart)}
		}
		return nil, &FormatError{File: name, What: fmt.Sprintf("%d bytes of trailing data after the payload", cr.n-p.HeaderStart-sigSize)}
	}
	if check != nil {
		if got := check.Sum(nil); !bytes.Equal(got, info.want) {
			return nil, &FormatError{File: name, What: fmt.Sprintf("payload %s digest mismatch: the file is damaged (header says %x, payload hashes to %x)", info.what, info.want, got)}
		}
	}
	p.SHA256 = hex.EncodeToString(h.Sum(nil))
	return p, nil
}

// headerInfo is what readHeaders learns beyond the package: the size the
// signature header gives header and payload, and how to check the payload.
type headerInfo struct {
	sigSize int64
	check   hash.Hash // fed the payload (and, for MD5, already the header)
	want    []byte
	what    string
}

// hashWriter hides io.ReaderFrom-less hashes behind a plain Writer so that
// io.CopyBuffer uses the pooled buffer.
type hashWriter struct{ h hash.Hash }

func (w hashWriter) Write(b []byte) (int, error) { return w.h.Write(b) }

// ReadHeader parses the lead, the signature header and the main header and
// stops before the payload. FileSize and SHA256 stay empty.
func ReadHeader(r io.Reader, name string) (*Package, error) {
	p, _, err := readHeaders(&countingReader{r: r}, name)
	return p, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// readN reads exactly n bytes. Large amounts are read in steps so that a
// header claiming a huge size in a short file fails before allocating it.
func readN(r io.Reader, n int) ([]byte, error) {
	if n <= 1<<20 {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	var buf bytes.Buffer
	m, err := io.CopyN(&buf, r, int64(n))
	if err != nil {
		if m < int64(n) && (err == io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

func truncErr(name, where string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &FormatError{File: name, What: "truncated in the " + where, Err: io.ErrUnexpectedEOF}
	}
	return &FormatError{File: name, What: "reading the " + where + ": " + err.Error(), Err: err}
}

// readBlob reads a header structure (intro, index, data) and returns the
// raw bytes for digest checks.
func readBlob(r io.Reader, name, what string, maxIndex, maxData uint32) (index, data []byte, err error) {
	intro := make([]byte, headerIntro)
	if _, err := io.ReadFull(r, intro); err != nil {
		return nil, nil, truncErr(name, what, err)
	}
	// rpm checks the four reserved bytes too ("hdr magic: BAD"): no digest
	// or signature covers them.
	if !bytes.Equal(intro[:4], headerMagic) || binary.BigEndian.Uint32(intro[4:]) != 0 {
		return nil, nil, &FormatError{File: name, What: what + ": bad header magic"}
	}
	nindex := binary.BigEndian.Uint32(intro[8:])
	hsize := binary.BigEndian.Uint32(intro[12:])
	if nindex == 0 || nindex > maxIndex {
		return nil, nil, &FormatError{File: name, What: fmt.Sprintf("%s: index count %d out of range (1..%d)", what, nindex, maxIndex)}
	}
	if hsize > maxData {
		return nil, nil, &FormatError{File: name, What: fmt.Sprintf("%s: data size %d exceeds the limit of %d bytes", what, hsize, maxData)}
	}
	index, err = readN(r, int(nindex)*16)
	if err != nil {
		return nil, nil, truncErr(name, what+" index", err)
	}
	data, err = readN(r, int(hsize))
	if err != nil {
		return nil, nil, truncErr(name, what+" data", err)
	}
	return index, data, nil
}

func readHeaders(r *countingReader, name string) (*Package, headerInfo, error) {
	var none headerInfo
	raw, err := readRaw(r, name, true)
	if err != nil {
		return nil, none, err
	}
	sig, hdr := raw.sig, raw.hdr
	if err := checkHeaderDigest(sig, raw.index, raw.data); err != nil {
		return nil, none, &FormatError{File: name, What: err.Error()}
	}
	p, err := packageFromHeader(hdr)
	if err != nil {
		return nil, none, &FormatError{File: name, What: err.Error()}
	}
	p.HeaderStart, p.HeaderEnd = raw.start, raw.end
	if err := fillFromSignature(p, sig); err != nil {
		return nil, none, &FormatError{File: name, What: err.Error()}
	}
	size, _, err := sig.getInt(sigTagLongSize)
	if err == nil && size == 0 {
		size, _, err = sig.getInt(sigTagSize)
	}
	if err != nil {
		return nil, none, &FormatError{File: name, What: err.Error()}
	}
	info := headerInfo{sigSize: size}
	if err := payloadCheck(&info, hdr, sig, raw.index, raw.data); err != nil {
		return nil, none, &FormatError{File: name, What: err.Error()}
	}
	return p, info, nil
}

// rawHeaders are the signature and main headers as read, before
// interpretation.
type rawHeaders struct {
	sig, hdr    *header
	index, data []byte // the main header's, for digests
	start, end  int64  // the main header's byte range in the file
}

// readRaw reads the lead, the signature header and the main header. With
// checkStrings, every string of the main header must be terminated inside
// its data store, as rpm requires; without, only the strings read later are
// checked (when they are read).
func readRaw(r *countingReader, name string, checkStrings bool) (rawHeaders, error) {
	var none rawHeaders
	lead := make([]byte, leadSize)
	if _, err := io.ReadFull(r, lead); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return none, &FormatError{File: name, What: "not an RPM file (shorter than the 96-byte lead)", Err: ErrNotRPM}
		}
		return none, truncErr(name, "lead", err)
	}
	if !bytes.Equal(lead[:4], leadMagic) {
		return none, &FormatError{File: name, What: "not an RPM file (bad lead magic)", Err: ErrNotRPM}
	}
	if lead[4] < 3 {
		return none, &FormatError{File: name, What: fmt.Sprintf("RPM format version %d is not supported", lead[4])}
	}
	if st := binary.BigEndian.Uint16(lead[78:]); st != sigTypeHeader {
		return none, &FormatError{File: name, What: fmt.Sprintf("unsupported signature type %d in the lead", st)}
	}

	sigIndex, sigData, err := readBlob(r, name, "signature header", maxSigIndex, maxSigData)
	if err != nil {
		return none, err
	}
	sig, err := parseHeader("signature header", sigIndex, sigData)
	if err != nil {
		return none, &FormatError{File: name, What: err.Error()}
	}
	// The signature header is padded to a multiple of 8 bytes.
	if pad := (8 - len(sigData)%8) % 8; pad > 0 {
		if _, err := io.ReadFull(r, make([]byte, pad)); err != nil {
			return none, truncErr(name, "signature header padding", err)
		}
	}
	start := r.n
	hIndex, hData, err := readBlob(r, name, "header", maxHeaderIndex, maxHeaderData)
	if err != nil {
		return none, err
	}
	end := r.n
	hdr, err := parseHeaderWith("header", hIndex, hData, checkStrings)
	if err != nil {
		return none, &FormatError{File: name, What: err.Error()}
	}
	return rawHeaders{sig: sig, hdr: hdr, index: hIndex, data: hData, start: start, end: end}, nil
}

// Payload digest tags of the main header.
const (
	tagPayloadDigest     = 5092
	tagPayloadDigestAlgo = 5093
)

// payloadCheck sets up the payload's digest check: PAYLOADDIGEST where the
// package has one (rpm >= 4.14), else the signature header's MD5 of header
// and payload.
func payloadCheck(info *headerInfo, hdr, sig *header, index, data []byte) error {
	ds, err := hdr.getStrings(tagPayloadDigest)
	if err != nil {
		return err
	}
	if len(ds) > 0 && ds[0] != "" {
		algo, ok, err := hdr.getInt(tagPayloadDigestAlgo)
		if err != nil {
			return err
		}
		if !ok {
			algo = 8
		}
		want, err := hex.DecodeString(ds[0])
		if err != nil {
			return fmt.Errorf("header: payload digest %q is not hexadecimal", ds[0])
		}
		switch algo {
		case 8:
			info.check, info.what = sha256.New(), "SHA-256"
		case 10:
			info.check, info.what = sha512.New(), "SHA-512"
		case 2:
			info.check, info.what = sha1.New(), "SHA-1"
		case 1:
			info.check, info.what = md5.New(), "MD5"
		default:
			return nil // an algorithm rpm added later: not checked here
		}
		info.want = want
		return nil
	}
	m, err := sig.getBin(sigTagMD5)
	if err != nil || len(m) != md5.Size {
		return err
	}
	h := md5.New()
	var intro [headerIntro]byte
	copy(intro[:], headerMagic)
	binary.BigEndian.PutUint32(intro[8:], uint32(len(index)/16))
	binary.BigEndian.PutUint32(intro[12:], uint32(len(data)))
	h.Write(intro[:])
	h.Write(index)
	h.Write(data)
	info.check, info.want, info.what = h, m, "MD5 (of header and payload)"
	return nil
}

// checkHeaderDigest compares the header's SHA-256 (or SHA-1) digest in the
// signature header with the header bytes: a cheap check that catches a
// corrupted or tampered header without reading the payload twice.
func checkHeaderDigest(sig *header, index, data []byte) error {
	want, err := sig.getString(sigTagSHA256Header)
	if err != nil {
		return err
	}
	var h hash.Hash
	if want != "" {
		h = sha256.New()
	} else {
		if want, err = sig.getString(sigTagSHA1Header); err != nil {
			return err
		}
		if want == "" {
			return nil
		}
		h = sha1.New()
	}
	var intro [headerIntro]byte
	copy(intro[:], headerMagic)
	binary.BigEndian.PutUint32(intro[8:], uint32(len(index)/16))
	binary.BigEndian.PutUint32(intro[12:], uint32(len(data)))
	h.Write(intro[:])
	h.Write(index)
	h.Write(data)
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("header digest mismatch: the header was altered or is corrupt (signature header says %s, header hashes to %s)", want, got)
	}
	return nil
}

func fillFromSignature(p *Package, sig *header) error {
	if p.ArchiveSize == 0 {
		v, ok, err := sig.getInt(sigTagLongArchive)
		if err != nil {
			return err
		}
		if !ok {
			if v, _, err = sig.getInt(sigTagPayloadSize); err != nil {
				return err
			}
		}
		p.ArchiveSize = v
	}
	// rpm prefers the header-only signatures; the header+payload ones are
	// what old packages (el5) carry.
	for _, t := range []struct {
		tag  uint32
		name string
	}{{sigTagRSAHeader, "RSAHEADER"}, {sigTagDSAHeader, "DSAHEADER"}, {sigTagPGP, "PGP"}, {sigTagGPG, "GPG"}} {
		b, err := sig.getBin(t.tag)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			continue
		}
		s, err := parsePGPSignature(b)
		if err != nil {
			return fmt.Errorf("signature header: %s: %w", t.name, err)
		}
		s.Tag = t.name
		p.Signature = s
		break
	}
	return nil
}

// checkIdent rejects identifiers that are not valid UTF-8 or are empty.
func checkIdent(field, s string, required bool) error {
	if required && s == "" {
		return fmt.Errorf("header: %s is missing", field)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("header: %s %q is not valid UTF-8", field, s)
	}
	return nil
}
