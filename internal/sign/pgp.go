package sign

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

const pgpTagSignature = 2

// splitPacket returns the tag and body of the single OpenPGP packet b
// (old or new format), refusing trailing bytes and partial lengths.
func splitPacket(b []byte) (tag byte, body []byte, err error) {
	if len(b) < 2 || b[0]&0x80 == 0 {
		return 0, nil, errors.New("not an OpenPGP packet")
	}
	var n, hl int
	if b[0]&0x40 != 0 { // new format
		tag = b[0] & 0x3f
		switch c := int(b[1]); {
		case c < 192:
			n, hl = c, 2
		case c < 224:
			if len(b) < 3 {
				return 0, nil, errors.New("OpenPGP packet truncated")
			}
			n, hl = (c-192)<<8+int(b[2])+192, 3
		case c == 255:
			if len(b) < 6 {
				return 0, nil, errors.New("OpenPGP packet truncated")
			}
			n, hl = int(binary.BigEndian.Uint32(b[2:])), 6
		default:
			return 0, nil, errors.New("partial-length OpenPGP packets are not valid in a signature")
		}
	} else {
		tag = (b[0] >> 2) & 0x0f
		switch b[0] & 3 {
		case 0:
			n, hl = int(b[1]), 2
		case 1:
			if len(b) < 3 {
				return 0, nil, errors.New("OpenPGP packet truncated")
			}
			n, hl = int(binary.BigEndian.Uint16(b[1:])), 3
		case 2:
			if len(b) < 5 {
				return 0, nil, errors.New("OpenPGP packet truncated")
			}
			n, hl = int(binary.BigEndian.Uint32(b[1:])), 5
		default:
			n, hl = len(b)-1, 1
		}
	}
	if n < 0 || hl+n > len(b) {
		return 0, nil, errors.New("OpenPGP packet truncated")
	}
	if hl+n != len(b) {
		return 0, nil, fmt.Errorf("%d bytes after the OpenPGP packet", len(b)-hl-n)
	}
	return tag, b[hl:], nil
}

// oldFormatPacket re-frames a signature packet with an old-format header,
// as gpg writes them and as every rpm release parses.
func oldFormatPacket(b []byte) ([]byte, error) {
	tag, body, err := splitPacket(b)
	if err != nil {
		return nil, fmt.Errorf("encoding the signature: %w", err)
	}
	var out []byte
	switch n := len(body); {
	case n < 256:
		out = append(make([]byte, 0, 2+n), 0x80|tag<<2, byte(n))
	case n < 65536:
		out = append(make([]byte, 0, 3+n), 0x80|tag<<2|1, byte(n>>8), byte(n))
	default:
		out = binary.BigEndian.AppendUint32(append(make([]byte, 0, 5+n), 0x80|tag<<2|2), uint32(n))
	}
	return append(out, body...), nil
}

// signature is a parsed v3 or v4 signature packet: enough to find the key,
// hash the data and check the result.
type signature struct {
	version int
	keyID   uint64
	pubAlgo packet.PublicKeyAlgorithm
	hash    crypto.Hash
	hashID  byte
	created time.Time
	sigType packet.SignatureType
	v4      *packet.Signature
	// v3 only: the hashed fields (type and time) and the RSA value.
	v3Hashed []byte
	v3RSA    []byte
}

// hashIDs are the OpenPGP hash algorithms smeforge accepts in signatures.
// MD5, SHA-1 and RIPEMD-160 are refused: collisions are within reach.
var hashIDs = map[byte]crypto.Hash{8: crypto.SHA256, 9: crypto.SHA384, 10: crypto.SHA512, 11: crypto.SHA224}

var hashNames = map[byte]string{1: "MD5", 2: "SHA1", 3: "RIPEMD160", 8: "SHA256", 9: "SHA384", 10: "SHA512", 11: "SHA224"}

func hashName(id byte) string {
	if n, ok := hashNames[id]; ok {
		return n
	}
	return fmt.Sprintf("hash%d", id)
}

// parseSignature reads one binary signature packet. A hash algorithm
// smeforge refuses yields a signature with hash 0 and an error the caller
// reports after naming the key (the key matters more to the reader).
func parseSignature(b []byte) (*signature, error) {
	tag, body, err := splitPacket(b)
	if err != nil {
		return nil, err
	}
	if tag != pgpTagSignature {
		return nil, fmt.Errorf("OpenPGP packet of type %d, not a signature", tag)
	}
	if len(body) < 1 {
		return nil, errors.New("empty signature packet")
	}
	switch body[0] {
	case 3:
		// version, 5, type, time(4), key ID(8), public key algo, hash algo,
		// two bytes of the hash, then the algorithm's values.
		if len(body) < 19 || body[1] != 5 {
			return nil, errors.New("malformed v3 signature packet")
		}
		s := &signature{
			version:  3,
			sigType:  packet.SignatureType(body[2]),
			created:  time.Unix(int64(binary.BigEndian.Uint32(body[3:])), 0),
			keyID:    binary.BigEndian.Uint64(body[7:]),
			pubAlgo:  packet.PublicKeyAlgorithm(body[15]),
			hash:     hashIDs[body[16]],
			hashID:   body[16],
			v3Hashed: body[2:7],
		}
		if s.pubAlgo == packet.PubKeyAlgoRSA || s.pubAlgo == packet.PubKeyAlgoRSASignOnly {
			if len(body) < 21 {
				return nil, errors.New("malformed v3 signature packet")
			}
			bits := int(binary.BigEndian.Uint16(body[19:]))
			if len(body) != 21+(bits+7)/8 {
				return nil, errors.New("malformed v3 RSA signature value")
			}
			s.v3RSA = body[21:]
		}
		if s.hash == 0 {
			return s, fmt.Errorf("signature uses %s, which smeforge does not accept", hashName(body[16]))
		}
		return s, nil
	case 4:
		if len(body) < 4 {
			return nil, errors.New("malformed v4 signature packet")
		}
		hid := body[3]
		p, err := packet.Read(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("reading v4 signature: %w", err)
		}
		sig, ok := p.(*packet.Signature)
		if !ok {
			return nil, errors.New("not a signature packet")
		}
		s := &signature{version: 4, v4: sig, pubAlgo: sig.PubKeyAlgo, hash: hashIDs[hid], hashID: hid, created: sig.CreationTime, sigType: sig.SigType}
		switch {
		case sig.IssuerKeyId != nil:
			s.keyID = *sig.IssuerKeyId
		case len(sig.IssuerFingerprint) == 20:
			s.keyID = binary.BigEndian.Uint64(sig.IssuerFingerprint[12:])
		default:
			return nil, errors.New("the signature names no issuer key")
		}
		if s.hash == 0 {
			return s, fmt.Errorf("signature uses %s, which smeforge does not accept", hashName(hid))
		}
		return s, nil
	}
	return nil, fmt.Errorf("OpenPGP signature version %d is not supported (rpm reads versions 3 and 4)", body[0])
}

// algorithm is the signature's algorithm as rpm prints it ("RSA/SHA256").
func (s *signature) algorithm() string {
	return algoName(s.pubAlgo) + "/" + hashName(s.hashID)
}

// newHash starts the hash of the signed data.
func (s *signature) newHash() (hash.Hash, error) {
	if s.version == 4 {
		return s.v4.PrepareVerify()
	}
	return s.hash.New(), nil
}

// verify checks the signature over data already written to h.
func (s *signature) verify(h hash.Hash, k *publicKey) error {
	if s.sigType != packet.SigTypeBinary {
		return fmt.Errorf("%w: signature type %#02x, not a binary-document signature", ErrBadSignature, byte(s.sigType))
	}
	if s.pubAlgo != k.pk.PubKeyAlgo {
		return fmt.Errorf("%w: a %s signature by the %s key %s", ErrBadSignature, algoName(s.pubAlgo), algoName(k.pk.PubKeyAlgo), keyID(k.pk.KeyId))
	}
	if err := k.validAt(s.created); err != nil {
		return err
	}
	if s.version == 4 {
		if err := k.pk.VerifySignature(h, s.v4); err != nil {
			return fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		return nil
	}
	pub, ok := k.pk.PublicKey.(*rsa.PublicKey)
	if !ok || s.v3RSA == nil {
		return &UnsupportedKeyError{KeyID: keyID(k.pk.KeyId), Name: k.name, Reason: "v3 signatures are checked for RSA keys only"}
	}
	h.Write(s.v3Hashed)
	digest := h.Sum(nil)
	sig := s.v3RSA
	if n := pub.Size(); len(sig) < n {
		sig = append(make([]byte, n-len(sig)), sig...)
	}
	if err := rsa.VerifyPKCS1v15(pub, s.hash, digest, sig); err != nil {
		return fmt.Errorf("%w: RSA verification failed", ErrBadSignature)
	}
	return nil
}
