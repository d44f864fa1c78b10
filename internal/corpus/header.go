package corpus

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
)

// This file holds just enough of the rpm header format to turn the binary
// package rpmpack writes into a source package: drop the SOURCERPM tag,
// mark the lead as a source lead, and redo the signature header's size and
// SHA-256 digest of the main header.

const (
	leadSize         = 96
	regionSignatures = 62
	regionImmutable  = 63
	sigTagSize       = 1000
	sigTagSHA256     = 273

	typeChar        = 1
	typeInt8        = 2
	typeInt16       = 3
	typeInt32       = 4
	typeInt64       = 5
	typeString      = 6
	typeBin         = 7
	typeStringArray = 8
	typeI18NString  = 9
)

var headerMagic = [8]byte{0x8e, 0xad, 0xe8, 0x01}

type hdrEntry struct {
	tag, typ, count int
	data            []byte
}

// parseHeader reads one header structure at the start of b and returns its
// entries (without the region entry) and its length in bytes.
func parseHeader(b []byte) ([]hdrEntry, int, error) {
	if len(b) < 16 || [4]byte(b[:4]) != [4]byte(headerMagic[:4]) {
		return nil, 0, errors.New("bad header magic")
	}
	il := int(binary.BigEndian.Uint32(b[8:]))
	dl := int(binary.BigEndian.Uint32(b[12:]))
	end := 16 + il*16 + dl
	if il < 1 || il > 1<<16 || dl > 1<<28 || end > len(b) {
		return nil, 0, errTruncated
	}
	data := b[16+il*16 : end]
	var out []hdrEntry
	for i := range il {
		e := b[16+i*16:]
		tag := int(binary.BigEndian.Uint32(e))
		typ := int(binary.BigEndian.Uint32(e[4:]))
		off := int(int32(binary.BigEndian.Uint32(e[8:])))
		count := int(binary.BigEndian.Uint32(e[12:]))
		if tag == regionSignatures || tag == regionImmutable {
			continue
		}
		if off < 0 || off > len(data) {
			return nil, 0, fmt.Errorf("tag %d: offset %d out of range", tag, off)
		}
		n, err := dataLen(data[off:], typ, count)
		if err != nil {
			return nil, 0, fmt.Errorf("tag %d: %w", tag, err)
		}
		out = append(out, hdrEntry{tag: tag, typ: typ, count: count, data: data[off : off+n]})
	}
	return out, end, nil
}

var errTruncated = errors.New("truncated rpm header")

func dataLen(b []byte, typ, count int) (int, error) {
	size := 0
	switch typ {
	case typeChar, typeInt8, typeBin:
		size = count
	case typeInt16:
		size = 2 * count
	case typeInt32:
		size = 4 * count
	case typeInt64:
		size = 8 * count
	case typeString, typeStringArray, typeI18NString:
		for range count {
			i := slices.Index(b[size:], 0)
			if i < 0 {
				return 0, errTruncated
			}
			size += i + 1
		}
	default:
		return 0, fmt.Errorf("unknown type %d", typ)
	}
	if size > len(b) {
		return 0, errTruncated
	}
	return size, nil
}

// marshalHeader writes entries as a header structure with a region tag,
// sorted by tag, integers aligned as rpm requires.
func marshalHeader(region int, entries []hdrEntry) []byte {
	slices.SortFunc(entries, func(a, b hdrEntry) int { return a.tag - b.tag })
	var data []byte
	offsets := make([]int, len(entries))
	for i, e := range entries {
		align := 1
		switch e.typ {
		case typeInt16:
			align = 2
		case typeInt32:
			align = 4
		case typeInt64:
			align = 8
		}
		for len(data)%align != 0 {
			data = append(data, 0)
		}
		offsets[i] = len(data)
		data = append(data, e.data...)
	}
	il := len(entries) + 1
	trailer := len(data)
	data = binary.BigEndian.AppendUint32(data, uint32(region))
	data = binary.BigEndian.AppendUint32(data, typeBin)
	data = binary.BigEndian.AppendUint32(data, uint32(int32(-16*il)))
	data = binary.BigEndian.AppendUint32(data, 16)

	out := make([]byte, 0, 16+16*il+len(data))
	out = append(out, headerMagic[:]...)
	out = binary.BigEndian.AppendUint32(out, uint32(il))
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	out = appendIndex(out, region, typeBin, trailer, 16)
	for i, e := range entries {
		out = appendIndex(out, e.tag, e.typ, offsets[i], e.count)
	}
	return append(out, data...)
}

func appendIndex(b []byte, tag, typ, off, count int) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(tag))
	b = binary.BigEndian.AppendUint32(b, uint32(typ))
	b = binary.BigEndian.AppendUint32(b, uint32(off))
	return binary.BigEndian.AppendUint32(b, uint32(count))
}

// makeSource rewrites a complete binary package file as a source package.
func makeSource(pkg []byte) ([]byte, error) {
	if len(pkg) < leadSize {
		return nil, errTruncated
	}
	sig, sigLen, err := parseHeader(pkg[leadSize:])
	if err != nil {
		return nil, fmt.Errorf("signature header: %w", err)
	}
	hdrStart := leadSize + sigLen + (8-sigLen%8)%8
	if hdrStart > len(pkg) {
		return nil, errTruncated
	}
	hdr, hdrLen, err := parseHeader(pkg[hdrStart:])
	if err != nil {
		return nil, fmt.Errorf("main header: %w", err)
	}
	payload := pkg[hdrStart+hdrLen:]
	hdr = slices.DeleteFunc(hdr, func(e hdrEntry) bool { return e.tag == tagSourceRPM })
	newHdr := marshalHeader(regionImmutable, hdr)

	sum := sha256.Sum256(newHdr)
	for i, e := range sig {
		switch e.tag {
		case sigTagSize:
			sig[i].data = binary.BigEndian.AppendUint32(nil, uint32(len(newHdr)+len(payload)))
		case sigTagSHA256:
			sig[i].data = append([]byte(hex.EncodeToString(sum[:])), 0)
		}
	}
	newSig := marshalHeader(regionSignatures, sig)

	out := make([]byte, 0, len(pkg)+64)
	out = append(out, pkg[:leadSize]...)
	out[6], out[7] = 0, 1 // lead type: source
	out = append(out, newSig...)
	out = append(out, make([]byte, (8-len(newSig)%8)%8)...)
	out = append(out, newHdr...)
	return append(out, payload...), nil
}
