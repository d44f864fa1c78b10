// Package sign owns the project's OpenPGP keys and signs RPMs (v4 header
// and header+payload signatures) and repository metadata (detached
// repomd.xml.asc).
//
// Signatures are what rpm and gpg make and accept: binary OpenPGP v4
// signature packets (rpm 4.18 rejects v5), SHA-256, signature type 0x00,
// with the creation time, issuer key ID and issuer fingerprint in the hashed
// area. An RSA key signs RSAHEADER and PGP, an EdDSA key DSAHEADER and GPG,
// the tags rpmsign uses for each (rpm keeps RSAHEADER for RSA alone).
//
// Keys are generated (RSA 4096 by default, or EdDSA on Ed25519) or imported
// from an armored private key, and kept in a file of mode 0600. A Keyring
// holds the public keys signatures are checked against, several of them
// during a key rotation.
package sign
