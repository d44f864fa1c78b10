package rpm

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/testutil"
)

// sharedOrFixture returns the fixture and, when ../shared is there, every
// RPM of ../shared/testdata/sme and signed.
func sharedOrFixture(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{"fixture": fixture(t)}
	root := filepath.Join(testutil.RepoRoot(t), "..", "shared", "testdata")
	for _, pat := range []string{"sme/rpms/*.rpm", "signed/*.rpm"} {
		m, _ := filepath.Glob(filepath.Join(root, pat))
		for _, p := range m {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files[filepath.Base(p)] = b
		}
	}
	return files
}

// TestEncodeSignatureHeaderReproduces re-encodes each package's signature
// header from ReadRaw's entries: rpmbuild's, rpmsign's and rpmpack's
// layouts come out byte for byte.
func TestEncodeSignatureHeaderReproduces(t *testing.T) {
	for name, b := range sharedOrFixture(t) {
		t.Run(name, func(t *testing.T) {
			r := bytes.NewReader(b)
			raw, err := ReadRaw(r, name)
			if err != nil {
				t.Fatal(err)
			}
			if got := int64(len(b)) - int64(r.Len()); got != raw.HeaderStart()+int64(len(raw.Header)) {
				t.Errorf("ReadRaw read %d bytes, want exactly lead, signature and header (%d)", got, raw.HeaderStart()+int64(len(raw.Header)))
			}
			if !bytes.Equal(raw.Header, b[raw.HeaderStart():raw.HeaderStart()+int64(len(raw.Header))]) {
				t.Error("Raw.Header differs from the file's header bytes")
			}
			if raw.PayloadSize() != int64(r.Len()) {
				t.Errorf("PayloadSize = %d, the file has %d payload bytes", raw.PayloadSize(), r.Len())
			}
			enc, err := EncodeSignatureHeader(raw.Signature, raw.SignatureSize)
			if err != nil {
				t.Fatal(err)
			}
			if want := b[leadSize:raw.HeaderStart()]; !bytes.Equal(enc, want) {
				t.Errorf("re-encoded signature header differs from the file's (%d vs %d bytes)", len(enc), len(want))
			}
			check, err := raw.NewPayloadCheck()
			if err != nil {
				t.Fatal(err)
			}
			if check != nil {
				io.Copy(check, r)
				if err := check.Verify(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestEncodeSignatureHeaderReservedSpace(t *testing.T) {
	fx, err := ReadRaw(bytes.NewReader(fixture(t)), "fixture")
	if err != nil {
		t.Fatal(err)
	}
	base := fx.Signature // SHA256HEADER, SIZE, PAYLOADSIZE as rpmpack writes them
	reserved := SigEntry{Tag: SigTagReservedSpace, Type: typeBin, Count: 4128, Data: make([]byte, 4128)}
	withReserve := append(append([]SigEntry{}, base...), reserved)
	orig, err := EncodeSignatureHeader(withReserve, 0)
	if err != nil {
		t.Fatal(err)
	}
	sig := func(n int) SigEntry {
		return SigEntry{Tag: SigTagRSAHeader, Type: typeBin, Count: uint32(n), Data: bytes.Repeat([]byte{0x89}, n)}
	}
	tests := []struct {
		name     string
		entries  []SigEntry
		size     int64
		wantSize int64 // -1: not the target
	}{
		{"reserve shrinks for a signature", append(append([]SigEntry{}, withReserve...), sig(566)), int64(len(orig)), int64(len(orig))},
		{"reserve shrinks for an odd size", append(append([]SigEntry{}, withReserve...), sig(119)), int64(len(orig)), int64(len(orig))},
		{"reserve too small: kept", append(append([]SigEntry{}, withReserve...), sig(5000)), int64(len(orig)), -1},
		{"no reserve: header grows", append(append([]SigEntry{}, base...), sig(566)), 200, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := EncodeSignatureHeader(tt.entries, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if len(out)%8 != 0 {
				t.Errorf("length %d is not a multiple of 8", len(out))
			}
			if tt.wantSize >= 0 && int64(len(out)) != tt.wantSize {
				t.Errorf("length %d, want %d", len(out), tt.wantSize)
			}
			if tt.wantSize < 0 && int64(len(out)) == tt.size {
				t.Errorf("length %d unexpectedly hit the target", len(out))
			}
			// The result must read back: same entries but the reserve.
			lead := make([]byte, leadSize)
			copy(lead, leadMagic)
			lead[4] = 3
			lead[79] = sigTypeHeader
			raw, err := ReadRaw(io.MultiReader(bytes.NewReader(lead), bytes.NewReader(out), bytes.NewReader(fx.Header)), "x")
			if err != nil {
				t.Fatal(err)
			}
			if len(raw.Signature) != len(tt.entries) {
				t.Fatalf("read back %d entries, wrote %d", len(raw.Signature), len(tt.entries))
			}
			for _, e := range raw.Signature {
				if e.Tag == SigTagRSAHeader && !bytes.Equal(e.Data, sig(int(e.Count)).Data) {
					t.Error("signature entry altered")
				}
			}
		})
	}
}

func TestEncodeSignatureHeaderRejects(t *testing.T) {
	ok := SigEntry{Tag: SigTagSize, Type: typeInt32, Count: 1, Data: []byte{0, 0, 0, 1}}
	tests := []struct {
		name    string
		entries []SigEntry
		want    string
	}{
		{"duplicate", []SigEntry{ok, ok}, "given twice"},
		{"region tag", []SigEntry{{Tag: 62, Type: typeBin, Count: 16, Data: make([]byte, 16)}}, "region tag"},
		{"short int32 data", []SigEntry{{Tag: SigTagSize, Type: typeInt32, Count: 2, Data: []byte{0, 0, 0, 1}}}, "holds 4 bytes"},
		{"zero count", []SigEntry{{Tag: SigTagRSAHeader, Type: typeBin}}, "count 0"},
		{"unknown type", []SigEntry{{Tag: SigTagRSAHeader, Type: 42, Count: 1, Data: []byte{1}}}, "type 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EncodeSignatureHeader(tt.entries, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestReadRawBadInput(t *testing.T) {
	good := fixture(t)
	raw, err := ReadRaw(bytes.NewReader(good), "f")
	if err != nil {
		t.Fatal(err)
	}
	hdrData := raw.HeaderStart() + int64(len(raw.Header)) - 8 // inside the header's data
	altered := bytes.Clone(good)
	altered[hdrData] ^= 0xff
	reserved := bytes.Clone(good)
	reserved[raw.HeaderStart()+5] = 1 // rpm: "hdr magic: BAD"
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "shorter than the 96-byte lead"},
		{"header reserved bytes", reserved, "bad header magic"},
		{"not rpm", bytes.Repeat([]byte("x"), 200), "bad lead magic"},
		{"truncated signature", good[:leadSize+20], "truncated"},
		{"truncated header", good[:raw.HeaderStart()+20], "truncated"},
		{"altered header", altered, "header digest mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadRaw(bytes.NewReader(tt.in), "f.rpm")
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a *FormatError containing %q", err, tt.want)
			}
		})
	}
}
