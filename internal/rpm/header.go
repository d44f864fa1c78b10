package rpm

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// Header data types (rpmTagType).
const (
	typeNull        = 0
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

// Limits taken from rpm's hdrblobRead: they stop a hostile file from making
// the reader allocate more than rpm itself would.
const (
	maxSigIndex    = 32
	maxSigData     = 64 << 20
	maxHeaderIndex = 0xffff
	maxHeaderData  = 256 << 20
)

// entry is one index record of a header.
type entry struct {
	tag    uint32
	typ    uint32
	offset uint32
	count  uint32
}

// header is a parsed header blob: its index and its data store. Accessors
// check every offset and count against the store, so a malformed header
// yields an error, never a panic.
type header struct {
	index []entry
	data  []byte
	str   string // data as a string, so that strings share one copy
	what  string // "signature header" or "header", for errors
}

// parseHeader validates the index against the data store.
func parseHeader(what string, indexBytes, data []byte) (*header, error) {
	return parseHeaderWith(what, indexBytes, data, true)
}

// parseHeaderWith is parseHeader; without checkStrings it leaves the check
// that each string ends inside the data store to the accessors, which make
// it for the strings they read.
func parseHeaderWith(what string, indexBytes, data []byte, checkStrings bool) (*header, error) {
	n := len(indexBytes) / 16
	h := &header{index: make([]entry, n), data: data, str: string(data), what: what}
	for i := 0; i < n; i++ {
		b := indexBytes[i*16:]
		e := entry{
			tag:    binary.BigEndian.Uint32(b[0:]),
			typ:    binary.BigEndian.Uint32(b[4:]),
			offset: binary.BigEndian.Uint32(b[8:]),
			count:  binary.BigEndian.Uint32(b[12:]),
		}
		if e.typ > typeI18NString {
			return nil, fmt.Errorf("%s: tag %d has unknown type %d", what, e.tag, e.typ)
		}
		if uint64(e.offset) > uint64(len(data)) {
			return nil, fmt.Errorf("%s: tag %d has offset %d beyond the %d-byte data store", what, e.tag, e.offset, len(data))
		}
		if e.count == 0 && e.typ != typeNull {
			return nil, fmt.Errorf("%s: tag %d has a count of zero", what, e.tag)
		}
		switch sz := typeSize(e.typ); {
		case sz > 0:
			if uint64(e.offset)+uint64(e.count)*uint64(sz) > uint64(len(data)) {
				return nil, fmt.Errorf("%s: tag %d (%d values) runs past the end of the data store", what, e.tag, e.count)
			}
		case e.typ == typeString && e.count != 1:
			return nil, fmt.Errorf("%s: tag %d is a string with a count of %d (must be 1)", what, e.tag, e.count)
		case checkStrings && (e.typ == typeStringArray || e.typ == typeI18NString || e.typ == typeString):
			// As rpm does: every string must end inside the data store.
			pos := int(e.offset)
			for j := uint32(0); j < e.count; j++ {
				end := indexByte(data, pos)
				if end < 0 {
					return nil, fmt.Errorf("%s: tag %d: string %d of %d is not terminated inside the data store", what, e.tag, j+1, e.count)
				}
				pos = end + 1
			}
		}
		h.index[i] = e
	}
	return h, nil
}

func typeSize(t uint32) int {
	switch t {
	case typeChar, typeInt8, typeBin:
		return 1
	case typeInt16:
		return 2
	case typeInt32:
		return 4
	case typeInt64:
		return 8
	}
	return 0
}

func (h *header) find(tag uint32) (entry, bool) {
	for _, e := range h.index {
		if e.tag == tag {
			return e, true
		}
	}
	return entry{}, false
}

// strings returns the strings of a STRING, STRING_ARRAY or I18NSTRING
// entry, sliced from the shared store copy.
func (h *header) strings(e entry) ([]string, error) {
	if e.typ != typeString && e.typ != typeStringArray && e.typ != typeI18NString {
		return nil, fmt.Errorf("%s: tag %d is of type %d, not a string", h.what, e.tag, e.typ)
	}
	count := e.count
	if e.typ == typeString {
		count = 1
	}
	// Each string takes at least one byte, which bounds the allocation.
	if uint64(count) > uint64(len(h.data)-int(e.offset)) {
		return nil, fmt.Errorf("%s: tag %d claims %d strings in %d bytes", h.what, e.tag, count, len(h.data)-int(e.offset))
	}
	out := make([]string, 0, count)
	pos := int(e.offset)
	for i := uint32(0); i < count; i++ {
		end := indexByte(h.data, pos)
		if end < 0 {
			return nil, fmt.Errorf("%s: tag %d: string %d is not terminated inside the data store", h.what, e.tag, i)
		}
		out = append(out, h.str[pos:end])
		pos = end + 1
	}
	return out, nil
}

func indexByte(b []byte, from int) int {
	for i := from; i < len(b); i++ {
		if b[i] == 0 {
			return i
		}
	}
	return -1
}

// getStrings returns a tag's strings, nil when absent.
func (h *header) getStrings(tag uint32) ([]string, error) {
	e, ok := h.find(tag)
	if !ok {
		return nil, nil
	}
	return h.strings(e)
}

// getString returns the first string of a tag ("" when absent).
func (h *header) getString(tag uint32) (string, error) {
	e, ok := h.find(tag)
	if !ok {
		return "", nil
	}
	if e.typ == typeStringArray || e.typ == typeI18NString {
		e.count = 1
	}
	s, err := h.strings(e)
	if err != nil || len(s) == 0 {
		return "", err
	}
	return s[0], nil
}

// getInts returns integer values of any integer type widened to int64.
func (h *header) getInts(tag uint32) ([]int64, error) {
	e, ok := h.find(tag)
	if !ok {
		return nil, nil
	}
	return h.ints(e)
}

func (h *header) ints(e entry) ([]int64, error) {
	sz := typeSize(e.typ)
	if e.typ == typeBin || sz == 0 {
		return nil, fmt.Errorf("%s: tag %d is of type %d, not an integer", h.what, e.tag, e.typ)
	}
	out := make([]int64, e.count)
	b := h.data[e.offset:]
	for i := range out {
		switch sz {
		case 1:
			out[i] = int64(b[i])
		case 2:
			out[i] = int64(binary.BigEndian.Uint16(b[i*2:]))
		case 4:
			out[i] = int64(binary.BigEndian.Uint32(b[i*4:]))
		case 8:
			out[i] = int64(binary.BigEndian.Uint64(b[i*8:]))
		}
	}
	return out, nil
}

// getInt returns the first integer value of a tag.
func (h *header) getInt(tag uint32) (int64, bool, error) {
	e, ok := h.find(tag)
	if !ok {
		return 0, false, nil
	}
	e.count = 1
	v, err := h.ints(e)
	if err != nil {
		return 0, false, err
	}
	return v[0], true, nil
}

// getBin returns the bytes of a BIN entry.
func (h *header) getBin(tag uint32) ([]byte, error) {
	e, ok := h.find(tag)
	if !ok {
		return nil, nil
	}
	if e.typ != typeBin {
		return nil, fmt.Errorf("%s: tag %d is of type %d, not binary", h.what, e.tag, e.typ)
	}
	return h.data[e.offset : e.offset+e.count], nil
}

// text turns free text into valid UTF-8: old packages carry Latin-1 in
// changelogs and descriptions, which createrepo_c also converts this way.
func text(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	// Keep the valid UTF-8 sequences and read each stray byte as Latin-1.
	r := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			c = rune(s[i])
		}
		r = append(r, c)
		i += size
	}
	return string(r)
}
