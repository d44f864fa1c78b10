package rpm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/rpmpack"
	"github.com/smeserver/smeforge/internal/testutil"
)

// fixture writes a small but complete RPM with rpmpack.
func fixture(t testing.TB) []byte {
	t.Helper()
	r, err := rpmpack.NewRPM(rpmpack.RPMMetaData{
		Name: "smeforge-fixture", Version: "1.2^git3", Release: "4.el8", Arch: "noarch", Epoch: 2,
		Summary: "A fixture", Description: "Used by the reader tests.", Licence: "GPLv2+",
		BuildTime: time.Unix(1700000000, 0), Vendor: "smeforge", Packager: "Tester <t@example.org>",
		Requires:   rpmpack.Relations{mustRel(t, "bash>=4.0"), mustRel(t, "/bin/sh")},
		Provides:   rpmpack.Relations{mustRel(t, "fixture(api)=1")},
		Recommends: rpmpack.Relations{mustRel(t, "perl")},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.AddFile(rpmpack.RPMFile{Name: "/etc/fixture.conf", Body: []byte("x=1\n"), Mode: 0o100644, Type: rpmpack.ConfigFile})
	r.AddFile(rpmpack.RPMFile{Name: "/usr/share/fixture", Mode: 0o40755})
	r.AddFile(rpmpack.RPMFile{Name: "/usr/share/fixture/readme", Body: []byte("hello\n"), Mode: 0o100644})
	r.AddFile(rpmpack.RPMFile{Name: "/var/log/fixture.log", Mode: 0o100644, Type: rpmpack.GhostFile})
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustRel(t testing.TB, s string) *rpmpack.Relation {
	t.Helper()
	r, err := rpmpack.NewRelation(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReadFixture(t *testing.T) {
	b := fixture(t)
	p, err := Read(bytes.NewReader(b), "fixture.rpm")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.NEVRA(), "smeforge-fixture-2:1.2^git3-4.el8.noarch"; got != want {
		t.Errorf("NEVRA = %q, want %q", got, want)
	}
	sum := sha256.Sum256(b)
	if p.SHA256 != hex.EncodeToString(sum[:]) || p.FileSize != int64(len(b)) {
		t.Errorf("sha256/size = %s/%d, want %x/%d", p.SHA256, p.FileSize, sum, len(b))
	}
	if !bytes.Equal(b[p.HeaderStart:p.HeaderStart+4], headerMagic) {
		t.Errorf("header range start %d does not point at a header", p.HeaderStart)
	}
	if p.SourcePackage {
		t.Error("binary package read as source package")
	}
	var ghost, dir bool
	for _, f := range p.Files {
		ghost = ghost || (f.Path == "/var/log/fixture.log" && f.IsGhost())
		dir = dir || (f.Path == "/usr/share/fixture" && f.IsDir())
	}
	if !ghost || !dir {
		t.Errorf("file types not read: ghost=%v dir=%v in %+v", ghost, dir, p.Files)
	}
	reqs := strings.Join(DepStrings(p.Requires), ",")
	if !strings.Contains(reqs, "bash >= 4.0") || !strings.Contains(reqs, "/bin/sh") {
		t.Errorf("requires = %s", reqs)
	}
	if len(p.Recommends) != 1 || p.Recommends[0].Name != "perl" {
		t.Errorf("recommends = %v", p.Recommends)
	}
}

func TestReadSharedTestdata(t *testing.T) {
	dir := testutil.SharedTestdata(t)
	var files []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".rpm") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 10 {
		t.Fatalf("expected the shared RPMs, found %d", len(files))
	}
	for _, f := range files {
		p, err := ReadFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if isSrc := strings.HasSuffix(f, ".src.rpm"); p.SourcePackage != isSrc {
			t.Errorf("%s: SourcePackage = %v", f, p.SourcePackage)
		}
		if strings.Contains(f, "/signed/") && p.Signature == nil {
			t.Errorf("%s: vendor signature not found", f)
		}
	}
}

// putU32 returns a copy of b with a big-endian uint32 written at off.
func putU32(b []byte, off int64, v uint32) []byte {
	c := bytes.Clone(b)
	binary.BigEndian.PutUint32(c[off:], v)
	return c
}

func TestReadBadInput(t *testing.T) {
	good := fixture(t)
	p, err := Read(bytes.NewReader(good), "good.rpm")
	if err != nil {
		t.Fatal(err)
	}
	hs := p.HeaderStart
	nidx := int64(binary.BigEndian.Uint32(good[hs+8:]))
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not an RPM"},
		{"text file", []byte(strings.Repeat("hello world\n", 20)), "not an RPM"},
		{"lead only", good[:leadSize], "truncated in the signature header"},
		{"sig index truncated", good[:leadSize+20], "truncated in the signature header index"},
		{"header data truncated", good[:hs+16+nidx*16+3], "truncated in the header data"},
		{"payload truncated", good[:len(good)-10], "truncated"},
		{"trailing data", append(bytes.Clone(good), 1, 2, 3), "trailing data"},
		{"sig index count huge", putU32(good, leadSize+8, 0xffffffff), "index count"},
		{"header index count huge", putU32(good, hs+8, 0xffffffff), "index count"},
		{"header data size absurd", putU32(good, hs+12, 0x7fffffff), "exceeds the limit"},
		{"header data size large, file short", putU32(good, hs+12, 200<<20), "truncated"},
		{"entry offset out of range", putU32(good, hs+16+8, 0x7ffffff0), "beyond"},
		{"entry count out of range", putU32(good, hs+16+12, 0x7ffffff0), ""},
		{"bad lead magic", putU32(good, 0, 0x12345678), "not an RPM"},
		{"bad header magic", putU32(good, hs, 0x12345678), "bad header magic"},
	}
	// A flipped byte inside the header data must be caught by the digest.
	flip := bytes.Clone(good)
	flip[p.HeaderEnd-5] ^= 0xff
	cases = append(cases, struct {
		name string
		data []byte
		want string
	}{"header byte flipped", flip, "digest mismatch"})

	// A flipped byte in the payload must be caught by the payload digest.
	payload := bytes.Clone(good)
	payload[len(payload)-20] ^= 0xff
	cases = append(cases, struct {
		name string
		data []byte
		want string
	}{"payload byte flipped", payload, "payload SHA-256 digest mismatch"})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			_, err := Read(bytes.NewReader(c.data), "bad.rpm")
			runtime.ReadMemStats(&ms1)
			if err == nil {
				t.Fatal("no error")
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.File != "bad.rpm" || !strings.HasPrefix(err.Error(), "bad.rpm: ") {
				t.Errorf("error %q does not name the file", err)
			}
			if c.want != "" && !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if grew := ms1.TotalAlloc - ms0.TotalAlloc; grew > 16<<20 {
				t.Errorf("allocated %d MiB for a %d-byte input", grew>>20, len(c.data))
			}
		})
	}
}

func TestSkipPayloadDigest(t *testing.T) {
	b := fixture(t)
	b[len(b)-20] ^= 0xff
	if _, err := ReadWith(bytes.NewReader(b), "x.rpm", ReadOptions{SkipPayloadDigest: true}); err != nil {
		t.Errorf("SkipPayloadDigest still checked the payload: %v", err)
	}
}

// TestReadEveryTruncation cuts the file at every byte up to the end of the
// header and a few places in the payload: each must be an error, not a panic.
func TestReadEveryTruncation(t *testing.T) {
	good := fixture(t)
	p, err := ReadHeader(bytes.NewReader(good), "good.rpm")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(good); n++ {
		if n > int(p.HeaderEnd) && n%97 != 0 {
			continue
		}
		if _, err := Read(bytes.NewReader(good[:n]), "cut.rpm"); err == nil {
			t.Fatalf("file cut at %d of %d bytes read without error", n, len(good))
		}
	}
}

func TestBadUTF8Name(t *testing.T) {
	if err := checkIdent("name", "abc\xff", true); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("bad UTF-8 name accepted: %v", err)
	}
	if got := text("caf\xe9 ok \u00e9"); got != "café ok é" {
		t.Errorf("latin-1 fallback = %q", got)
	}
}

func FuzzReadHeader(f *testing.F) {
	f.Add(fixture(f))
	{
		matches, _ := filepath.Glob(filepath.Join(testutil.RepoRoot(f), "..", "shared", "testdata", "*", "*.rpm"))
		more, _ := filepath.Glob(filepath.Join(testutil.RepoRoot(f), "..", "shared", "testdata", "sme", "*", "*.rpm"))
		for _, m := range append(matches, more...) {
			if b, err := os.ReadFile(m); err == nil {
				// The header is what the fuzzer should work on.
				if len(b) > 64<<10 {
					b = b[:64<<10]
				}
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadHeader(bytes.NewReader(data), "fuzz.rpm")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.rpm: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if p.Name == "" || p.HeaderEnd <= p.HeaderStart {
			t.Fatalf("accepted a header without name or range: %+v", p)
		}
	})
}
