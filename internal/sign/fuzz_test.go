package sign

import (
	"bytes"
	"testing"

	"github.com/smeserver/smeforge/internal/rpm"
)

// FuzzVerifyRPM feeds VerifyRPM altered signed packages: it must never
// panic, and a package whose header or payload changed, or whose length
// changed, must fail. (The lead and parts of the signature header, such as
// RESERVEDSPACE's zeros, are covered by no signature, in rpm either.)
func FuzzVerifyRPM(f *testing.F) {
	k := testKey(f, KeyRSA, 0)
	signed := signBytes(f, corpusRPM(f, "fuzz", ""), k, true)
	raw, err := rpm.ReadRaw(bytes.NewReader(signed), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	hs := int(raw.HeaderStart())
	kr := keyringOf(f, k)
	f.Add(0, byte(0), 0)
	f.Add(hs+5, byte(0x61), 0) // the header's reserved bytes, which rpm checks
	f.Add(hs+20, byte(1), 0)
	f.Add(len(signed)-1, byte(0x80), 0)
	f.Add(100, byte(0), -3)
	f.Fuzz(func(t *testing.T, at int, x byte, grow int) {
		if at < 0 || grow < -len(signed) || grow > 64 {
			return
		}
		b := bytes.Clone(signed)
		b[at%len(b)] ^= x
		if grow < 0 {
			b = b[:len(b)+grow]
		} else {
			b = append(b, make([]byte, grow)...)
		}
		res, err := VerifyRPM(bytes.NewReader(b), kr)
		changed := len(b) != len(signed) || !bytes.Equal(b[hs:], signed[hs:])
		if changed && (err == nil || res.OK()) {
			t.Fatalf("a package changed at byte %d (xor %#x, %+d bytes) verified: %+v", at%len(signed), x, grow, res)
		}
	})
}

// FuzzParseSignature: parsing arbitrary signature packets never panics.
func FuzzParseSignature(f *testing.F) {
	for _, typ := range []KeyType{KeyRSA, KeyEdDSA} {
		sig, err := testKey(f, typ, 0).Sign(bytes.NewReader([]byte("x")))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sig)
	}
	f.Add([]byte{0x88, 0x13, 3, 5, 0, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 1, 8, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, _ := parseSignature(b)
		if s != nil {
			_ = s.algorithm()
		}
	})
}
