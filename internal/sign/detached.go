package sign

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// SignDetached returns an armored detached signature of data by s, the
// repomd.xml.asc that dnf (repo_gpgcheck=1) and `gpg --verify` check
// against repomd.xml.
func SignDetached(data []byte, s Signer) ([]byte, error) {
	sig, err := s.Sign(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("signing detached: %w", err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, "PGP SIGNATURE", nil)
	if err != nil {
		return nil, fmt.Errorf("armoring signature: %w", err)
	}
	if _, err := w.Write(sig); err != nil {
		return nil, fmt.Errorf("armoring signature: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("armoring signature: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// VerifyDetached checks a detached signature (armored or binary) of data
// against the keyring and returns the signing key's ID. Errors are those
// of VerifyRPM: ErrUnsigned, *KeyNotFoundError, *UnsupportedKeyError, or
// one wrapping ErrBadSignature.
func VerifyDetached(data, sig []byte, kr *Keyring) (string, error) {
	pkt := sig
	if bytes.Contains(sig, []byte("-----BEGIN PGP SIGNATURE-----")) {
		blk, err := armor.Decode(bytes.NewReader(sig))
		if err != nil {
			return "", fmt.Errorf("%w: reading armored signature: %v", ErrBadSignature, err)
		}
		if pkt, err = io.ReadAll(io.LimitReader(blk.Body, 1<<20)); err != nil {
			return "", fmt.Errorf("%w: reading armored signature: %v", ErrBadSignature, err)
		}
	}
	if len(bytes.TrimSpace(pkt)) == 0 {
		return "", fmt.Errorf("%w: the signature is empty", ErrUnsigned)
	}
	s, perr := parseSignature(pkt)
	if s == nil {
		return "", fmt.Errorf("%w: %v", ErrBadSignature, perr)
	}
	k, err := kr.lookup(s.keyID)
	if err != nil {
		return "", err
	}
	if perr != nil {
		return "", fmt.Errorf("%w: signature by key %s: %v", ErrBadSignature, keyID(s.keyID), perr)
	}
	h, err := s.newHash()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	h.Write(data)
	if err := s.verify(h, k); err != nil {
		return "", err
	}
	return keyID(s.keyID), nil
}
