package rpm

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/testutil"
)

// depsView is what ReadDeps promises to read as ReadHeader does.
func depsView(p *Package) *Package {
	v := &Package{
		Name: p.Name, Epoch: p.Epoch, HasEpoch: p.HasEpoch, Version: p.Version, Release: p.Release, Arch: p.Arch,
		SourcePackage: p.SourcePackage, Requires: p.Requires, Provides: p.Provides, Conflicts: p.Conflicts,
		Obsoletes: p.Obsoletes, HeaderStart: p.HeaderStart, HeaderEnd: p.HeaderEnd,
	}
	for _, f := range p.Files {
		v.Files = append(v.Files, File{Path: f.Path, Mode: f.Mode, Flags: f.Flags})
	}
	return v
}

func TestReadDepsAgreesWithReadHeader(t *testing.T) {
	inputs := map[string][]byte{"fixture.rpm": fixture(t)}
	dir := testutil.SharedTestdata(t)
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".rpm") {
			if b, err := os.ReadFile(p); err == nil {
				inputs[p] = b
			}
		}
		return nil
	})
	if len(inputs) < 10 {
		t.Fatalf("expected the shared RPMs, found %d", len(inputs)-1)
	}
	for name, b := range inputs {
		full, err := ReadHeader(bytes.NewReader(b), name)
		if err != nil {
			t.Errorf("ReadHeader: %v", err)
			continue
		}
		lean, err := ReadDeps(bytes.NewReader(b), name)
		if err != nil {
			t.Errorf("ReadDeps: %v", err)
			continue
		}
		if want := depsView(full); !reflect.DeepEqual(lean, want) {
			t.Errorf("%s: ReadDeps = %+v\nwant %+v", name, lean, want)
		}
	}
}

// Every cut of the header is an error, never a panic; a string left
// unterminated is found when it is read.
func TestReadDepsBadInput(t *testing.T) {
	good := fixture(t)
	p, err := ReadDeps(bytes.NewReader(good), "good.rpm")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < int(p.HeaderEnd); n++ {
		if _, err := ReadDeps(bytes.NewReader(good[:n]), "cut.rpm"); err == nil {
			t.Fatalf("file cut at %d of %d header bytes read without error", n, p.HeaderEnd)
		}
	}
	// Replace every NUL of the data store's end with 'x': the last strings
	// no longer end inside the store.
	bad := bytes.Clone(good[:p.HeaderEnd])
	for i := len(bad) - 1; i > len(bad)-64; i-- {
		if bad[i] == 0 {
			bad[i] = 'x'
		}
	}
	if _, err := ReadDeps(bytes.NewReader(bad), "bad.rpm"); err == nil {
		// Not every header ends with a string that ReadDeps reads; the
		// full reader must refuse it in any case.
		if _, err := ReadHeader(bytes.NewReader(bad), "bad.rpm"); err == nil {
			t.Errorf("unterminated strings accepted")
		}
	}
}

func FuzzReadDeps(f *testing.F) {
	f.Add(fixture(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadDeps(bytes.NewReader(data), "fuzz.rpm")
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
