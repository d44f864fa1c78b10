package rpm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
)

// Signature header tags, for code that writes signature headers (rpm's
// RPMSIGTAG_*). rpm puts an RSA signature in RSAHEADER and PGP, and a DSA
// or EdDSA one in DSAHEADER and GPG.
const (
	SigTagBadSHA1a      uint32 = 264                 // digest of a broken rpm 4.0, deleted on re-signing
	SigTagBadSHA1b      uint32 = 265                 // digest of a broken rpm 4.0, deleted on re-signing
	SigTagDSAHeader     uint32 = sigTagDSAHeader     // OpenPGP DSA or EdDSA signature of the header
	SigTagRSAHeader     uint32 = sigTagRSAHeader     // OpenPGP RSA signature of the header
	SigTagSHA1Header    uint32 = sigTagSHA1Header    // hex SHA-1 of the header
	SigTagSHA256Header  uint32 = sigTagSHA256Header  // hex SHA-256 of the header
	SigTagOpenPGP       uint32 = sigTagOpenPGPHeader // rpm 6's array of base64 OpenPGP signatures
	SigTagSize          uint32 = sigTagSize          // size of header and payload
	SigTagPGP           uint32 = sigTagPGP           // OpenPGP RSA signature of header and payload
	SigTagMD5           uint32 = sigTagMD5           // MD5 of header and payload
	SigTagGPG           uint32 = sigTagGPG           // OpenPGP DSA or EdDSA signature of header and payload
	SigTagPGP5          uint32 = 1006                // obsolete, deleted on re-signing
	SigTagPayloadSize   uint32 = sigTagPayloadSize   // uncompressed payload size
	SigTagReservedSpace uint32 = 1008                // zeros that rpmsign may use to sign in place
)

// TypeBin is the header data type of binary entries (signatures, MD5,
// RESERVEDSPACE).
const TypeBin uint32 = typeBin

const (
	sigTagHeaderRegion   uint32 = 62 // HEADER_SIGNATURES: the signature header's region tag
	regionTagFirst       uint32 = 61 // HEADER_IMAGE .. HEADER_IMMUTABLE: region tags
	regionTagLast        uint32 = 63
	headerRegionTrailLen        = 16
)

// SigEntry is one entry of a signature header with its bytes from the data
// store: exactly Count values of Type (strings with their NUL bytes).
type SigEntry struct {
	Tag, Type, Count uint32
	Data             []byte
}

// Raw is an RPM file up to its payload, as a signer needs it: the lead and
// the main header exactly as found in the file, and the entries of the
// signature header. ReadRaw leaves its reader at the first payload byte.
type Raw struct {
	// Lead is the 96-byte lead, kept as it is.
	Lead []byte
	// Signature holds the signature header's entries in index order,
	// without the region tag.
	Signature []SigEntry
	// SignatureSize is what the signature header takes in the file,
	// its padding to a multiple of 8 bytes included.
	SignatureSize int64
	// Header is the main header as in the file (intro, index, data): what
	// header-only signatures and the header digests cover.
	Header []byte
	// Size is header plus payload as the signature header gives it
	// (LONGSIZE or SIZE), or -1 when it gives none.
	Size int64

	hdr, sig *header
	hIndex   []byte
	hData    []byte
	name     string
}

// HeaderStart is the offset of the main header in the file.
func (r *Raw) HeaderStart() int64 { return leadSize + r.SignatureSize }

// PayloadSize is the payload's size as the signature header gives it, or
// -1 when it gives none.
func (r *Raw) PayloadSize() int64 {
	if r.Size < 0 {
		return -1
	}
	return r.Size - int64(len(r.Header))
}

// Entry returns the signature header's entry for tag.
func (r *Raw) Entry(tag uint32) (SigEntry, bool) {
	for _, e := range r.Signature {
		if e.Tag == tag {
			return e, true
		}
	}
	return SigEntry{}, false
}

// ReadRaw reads the lead, the signature header and the main header from r,
// reading nothing past them, and checks the header against its SHA-256 (or
// SHA-1) digest. name is used in errors.
func ReadRaw(r io.Reader, name string) (*Raw, error) {
	lead := make([]byte, leadSize)
	if _, err := io.ReadFull(r, lead); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &FormatError{File: name, What: "not an RPM file (shorter than the 96-byte lead)", Err: ErrNotRPM}
		}
		return nil, truncErr(name, "lead", err)
	}
	if !bytes.Equal(lead[:4], leadMagic) {
		return nil, &FormatError{File: name, What: "not an RPM file (bad lead magic)", Err: ErrNotRPM}
	}
	if lead[4] < 3 {
		return nil, &FormatError{File: name, What: fmt.Sprintf("RPM format version %d is not supported", lead[4])}
	}
	if st := binary.BigEndian.Uint16(lead[78:]); st != sigTypeHeader {
		return nil, &FormatError{File: name, What: fmt.Sprintf("unsupported signature type %d in the lead", st)}
	}
	sigIndex, sigData, err := readBlob(r, name, "signature header", maxSigIndex, maxSigData)
	if err != nil {
		return nil, err
	}
	sig, err := parseHeader("signature header", sigIndex, sigData)
	if err != nil {
		return nil, &FormatError{File: name, What: err.Error()}
	}
	pad := (8 - len(sigData)%8) % 8
	if pad > 0 {
		if _, err := io.ReadFull(r, make([]byte, pad)); err != nil {
			return nil, truncErr(name, "signature header padding", err)
		}
	}
	raw := &Raw{
		Lead:          lead,
		SignatureSize: int64(headerIntro + len(sigIndex) + len(sigData) + pad),
		sig:           sig,
		name:          name,
		Size:          -1,
	}
	for _, e := range sig.index {
		if e.tag >= regionTagFirst && e.tag <= regionTagLast {
			continue
		}
		n, err := entryLen(e, sigData)
		if err != nil {
			return nil, &FormatError{File: name, What: "signature header: " + err.Error()}
		}
		raw.Signature = append(raw.Signature, SigEntry{Tag: e.tag, Type: e.typ, Count: e.count, Data: sigData[e.offset : int(e.offset)+n]})
	}

	hIndex, hData, err := readBlob(r, name, "header", maxHeaderIndex, maxHeaderData)
	if err != nil {
		return nil, err
	}
	hdr, err := parseHeader("header", hIndex, hData)
	if err != nil {
		return nil, &FormatError{File: name, What: err.Error()}
	}
	if err := checkHeaderDigest(sig, hIndex, hData); err != nil {
		return nil, &FormatError{File: name, What: err.Error()}
	}
	raw.hdr, raw.hIndex, raw.hData = hdr, hIndex, hData
	raw.Header = make([]byte, 0, headerIntro+len(hIndex)+len(hData))
	raw.Header = append(raw.Header, headerMagic...)
	raw.Header = append(raw.Header, 0, 0, 0, 0)
	raw.Header = binary.BigEndian.AppendUint32(raw.Header, uint32(len(hIndex)/16))
	raw.Header = binary.BigEndian.AppendUint32(raw.Header, uint32(len(hData)))
	raw.Header = append(raw.Header, hIndex...)
	raw.Header = append(raw.Header, hData...)

	size, ok, err := sig.getInt(sigTagLongSize)
	if err == nil && !ok {
		size, ok, err = sig.getInt(sigTagSize)
	}
	if err != nil {
		return nil, &FormatError{File: name, What: err.Error()}
	}
	if ok {
		if size < int64(len(raw.Header)) {
			return nil, &FormatError{File: name, What: fmt.Sprintf("signature header gives header and payload %d bytes, less than the %d-byte header", size, len(raw.Header))}
		}
		raw.Size = size
	}
	return raw, nil
}

// entryLen is the number of data bytes an entry takes.
func entryLen(e entry, data []byte) (int, error) {
	if sz := typeSize(e.typ); sz > 0 {
		return int(e.count) * sz, nil
	}
	switch e.typ {
	case typeString, typeStringArray, typeI18NString:
		pos := int(e.offset)
		for range e.count {
			end := indexByte(data, pos)
			if end < 0 {
				return 0, fmt.Errorf("tag %d: string not terminated inside the data store", e.tag)
			}
			pos = end + 1
		}
		return pos - int(e.offset), nil
	case typeNull:
		return 0, nil
	}
	return 0, fmt.Errorf("tag %d has unknown type %d", e.tag, e.typ)
}

// PayloadCheck hashes a payload as it streams past and compares the result
// with the package's payload digest.
type PayloadCheck struct {
	h        hash.Hash
	want     []byte
	what     string
	name     string
	inHeader bool
}

// NewPayloadCheck returns a check of the payload against PAYLOADDIGEST
// (rpm >= 4.14), or else against the signature header's MD5 of header and
// payload; nil when the package has neither in a form smeforge checks.
func (r *Raw) NewPayloadCheck() (*PayloadCheck, error) {
	var info headerInfo
	if err := payloadCheck(&info, r.hdr, r.sig, r.hIndex, r.hData); err != nil {
		return nil, &FormatError{File: r.name, What: err.Error()}
	}
	if info.check == nil {
		return nil, nil
	}
	return &PayloadCheck{h: info.check, want: info.want, what: info.what, name: r.name, inHeader: info.what != "MD5 (of header and payload)"}, nil
}

// Write hashes the next bytes of the payload.
func (c *PayloadCheck) Write(b []byte) (int, error) { return c.h.Write(b) }

// InHeader reports whether the digest is the main header's PAYLOADDIGEST,
// which a header-only signature covers.
func (c *PayloadCheck) InHeader() bool { return c.inHeader }

// Verify compares the digest of what was written with the package's.
func (c *PayloadCheck) Verify() error {
	if got := c.h.Sum(nil); !bytes.Equal(got, c.want) {
		return &FormatError{File: c.name, What: fmt.Sprintf("payload %s digest mismatch: the file is damaged (header says %x, payload hashes to %x)", c.what, c.want, got)}
	}
	return nil
}

// EncodeSignatureHeader lays entries out as rpm writes a signature header:
// sorted by tag, each value aligned to its type, the HEADER_SIGNATURES
// region first, and zeros up to a multiple of 8 bytes. When entries hold a
// RESERVEDSPACE entry and size is positive, the reserved space grows or
// shrinks so that the result is size bytes long, as rpmsign does to keep
// the header and payload where they were; if it cannot, the reserved space
// is kept as given.
func EncodeSignatureHeader(entries []SigEntry, size int64) ([]byte, error) {
	es := slices.Clone(entries)
	slices.SortStableFunc(es, func(a, b SigEntry) int { return int(a.Tag) - int(b.Tag) })
	for i, e := range es {
		if i > 0 && es[i-1].Tag == e.Tag {
			return nil, fmt.Errorf("signature header: tag %d given twice", e.Tag)
		}
		if e.Tag >= regionTagFirst && e.Tag <= regionTagLast {
			return nil, fmt.Errorf("signature header: region tag %d cannot be given", e.Tag)
		}
		if e.Type > typeI18NString || (e.Count == 0 && e.Type != typeNull) {
			return nil, fmt.Errorf("signature header: tag %d has type %d and count %d", e.Tag, e.Type, e.Count)
		}
		if sz := typeSize(e.Type); sz > 0 && len(e.Data) != sz*int(e.Count) {
			return nil, fmt.Errorf("signature header: tag %d holds %d bytes for %d values of type %d", e.Tag, len(e.Data), e.Count, e.Type)
		}
	}
	out := encodeSig(es)
	if size <= 0 || int64(len(out)) == size {
		return out, nil
	}
	for i, e := range es {
		if e.Tag != SigTagReservedSpace || e.Type != typeBin {
			continue
		}
		count := int64(e.Count) + size - int64(len(out))
		if count < 1 || count > maxSigData {
			break
		}
		try := slices.Clone(es)
		try[i].Count = uint32(count)
		try[i].Data = make([]byte, count)
		if b := encodeSig(try); int64(len(b)) == size {
			return b, nil
		}
		break
	}
	return out, nil
}

func encodeSig(es []SigEntry) []byte {
	il := len(es) + 1
	var data []byte
	index := make([]byte, 0, il*16)
	put := func(tag, typ uint32, off int, count uint32) {
		index = binary.BigEndian.AppendUint32(index, tag)
		index = binary.BigEndian.AppendUint32(index, typ)
		index = binary.BigEndian.AppendUint32(index, uint32(int32(off)))
		index = binary.BigEndian.AppendUint32(index, count)
	}
	offsets := make([]int, len(es))
	for i, e := range es {
		if a := typeAlign(e.Type); a > 1 {
			for len(data)%a != 0 {
				data = append(data, 0)
			}
		}
		offsets[i] = len(data)
		data = append(data, e.Data...)
	}
	// The region's trailer closes the data store: an entry whose offset is
	// minus the size of the region's index.
	trailer := len(data)
	data = binary.BigEndian.AppendUint32(data, sigTagHeaderRegion)
	data = binary.BigEndian.AppendUint32(data, typeBin)
	data = binary.BigEndian.AppendUint32(data, uint32(int32(-il*16)))
	data = binary.BigEndian.AppendUint32(data, headerRegionTrailLen)
	put(sigTagHeaderRegion, typeBin, trailer, headerRegionTrailLen)
	for i, e := range es {
		put(e.Tag, e.Type, offsets[i], e.Count)
	}
	pad := (8 - len(data)%8) % 8
	out := make([]byte, 0, headerIntro+len(index)+len(data)+pad)
	out = append(out, headerMagic...)
	out = append(out, 0, 0, 0, 0)
	out = binary.BigEndian.AppendUint32(out, uint32(il))
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	out = append(out, index...)
	out = append(out, data...)
	return append(out, make([]byte, pad)...)
}

func typeAlign(t uint32) int {
	switch t {
	case typeInt16:
		return 2
	case typeInt32:
		return 4
	case typeInt64:
		return 8
	}
	return 1
}
