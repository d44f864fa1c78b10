package rpm

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// OpenPGP algorithm names as rpm prints them in "%{RSAHEADER:pgpsig}".
var pubkeyAlgoNames = map[byte]string{1: "RSA", 2: "RSA", 3: "RSA", 17: "DSA", 19: "ECDSA", 22: "EdDSA", 27: "Ed25519", 28: "Ed448"}

var hashAlgoNames = map[byte]string{1: "MD5", 2: "SHA1", 3: "RIPEMD160", 8: "SHA256", 9: "SHA384", 10: "SHA512", 11: "SHA224", 12: "SHA3-256", 14: "SHA3-512"}

var errShortSig = errors.New("OpenPGP signature packet is truncated")

// parsePGPSignature reads the issuer key id, algorithms and creation time of
// a v3 or v4 OpenPGP signature packet, which is all rpm reports of it.
func parsePGPSignature(b []byte) (*Signature, error) {
	if len(b) < 2 || b[0]&0x80 == 0 {
		return nil, errors.New("not an OpenPGP packet")
	}
	var tag byte
	var body []byte
	if b[0]&0x40 != 0 { // new format
		tag = b[0] & 0x3f
		n, hl, err := newLen(b[1:])
		if err != nil {
			return nil, err
		}
		if 1+hl+n > len(b) {
			return nil, errShortSig
		}
		body = b[1+hl : 1+hl+n]
	} else {
		tag = (b[0] >> 2) & 0x0f
		var n, hl int
		switch b[0] & 3 {
		case 0:
			hl, n = 1, int(b[1])
		case 1:
			if len(b) < 3 {
				return nil, errShortSig
			}
			hl, n = 2, int(binary.BigEndian.Uint16(b[1:]))
		case 2:
			if len(b) < 5 {
				return nil, errShortSig
			}
			hl, n = 4, int(binary.BigEndian.Uint32(b[1:]))
		default:
			hl, n = 0, len(b)-1
		}
		if n < 0 || 1+hl+n > len(b) {
			return nil, errShortSig
		}
		body = b[1+hl : 1+hl+n]
	}
	if tag != 2 {
		return nil, fmt.Errorf("OpenPGP packet of type %d, not a signature", tag)
	}
	if len(body) < 1 {
		return nil, errShortSig
	}
	s := &Signature{}
	var pk, ha byte
	switch body[0] {
	case 3:
		// version, hashed length (5), type, time(4), key id(8), pk algo, hash algo
		if len(body) < 19 {
			return nil, errShortSig
		}
		s.Created = int64(binary.BigEndian.Uint32(body[3:]))
		s.KeyID = hex.EncodeToString(body[7:15])
		pk, ha = body[15], body[16]
	case 4, 5, 6:
		if len(body) < 6 {
			return nil, errShortSig
		}
		pk, ha = body[2], body[3]
		lenSize := 2
		if body[0] == 6 {
			lenSize = 4
		}
		pos := 4
		for area := 0; area < 2; area++ {
			if pos+lenSize > len(body) {
				return nil, errShortSig
			}
			var n int
			if lenSize == 2 {
				n = int(binary.BigEndian.Uint16(body[pos:]))
			} else {
				n = int(binary.BigEndian.Uint32(body[pos:]))
			}
			pos += lenSize
			if n < 0 || pos+n > len(body) {
				return nil, errShortSig
			}
			if err := readSubpackets(body[pos:pos+n], s); err != nil {
				return nil, err
			}
			pos += n
		}
	default:
		return nil, fmt.Errorf("OpenPGP signature version %d is not supported", body[0])
	}
	if s.KeyID == "" {
		return nil, errors.New("OpenPGP signature names no issuer key")
	}
	pkn, ok := pubkeyAlgoNames[pk]
	if !ok {
		pkn = fmt.Sprintf("algo%d", pk)
	}
	hn, ok := hashAlgoNames[ha]
	if !ok {
		hn = fmt.Sprintf("hash%d", ha)
	}
	s.Algorithm = pkn + "/" + hn
	return s, nil
}

func newLen(b []byte) (n, headerLen int, err error) {
	if len(b) < 1 {
		return 0, 0, errShortSig
	}
	switch {
	case b[0] < 192:
		return int(b[0]), 1, nil
	case b[0] < 224:
		if len(b) < 2 {
			return 0, 0, errShortSig
		}
		return (int(b[0])-192)<<8 + int(b[1]) + 192, 2, nil
	case b[0] == 255:
		if len(b) < 5 {
			return 0, 0, errShortSig
		}
		return int(binary.BigEndian.Uint32(b[1:])), 5, nil
	}
	return 0, 0, errors.New("partial-length OpenPGP packets are not valid in a signature")
}

func readSubpackets(b []byte, s *Signature) error {
	for len(b) > 0 {
		n, hl, err := newLen(b)
		if err != nil {
			return err
		}
		if n < 1 || hl+n > len(b) {
			return errShortSig
		}
		sp := b[hl : hl+n]
		switch sp[0] & 0x7f {
		case 2: // creation time
			if len(sp) >= 5 {
				s.Created = int64(binary.BigEndian.Uint32(sp[1:]))
			}
		case 16: // issuer key id
			if len(sp) >= 9 {
				s.KeyID = hex.EncodeToString(sp[1:9])
			}
		case 33: // issuer fingerprint: the key id is its last 8 bytes (v4)
			if len(sp) >= 22 && s.KeyID == "" {
				fp := sp[2:]
				if sp[1] == 4 {
					s.KeyID = hex.EncodeToString(fp[len(fp)-8:])
				} else {
					s.KeyID = hex.EncodeToString(fp[:8])
				}
			}
		}
		b = b[hl+n:]
	}
	return nil
}
