package repodata

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/rpmpack"
	"github.com/klauspost/compress/zstd"
	"github.com/smeserver/smeforge/internal/rpm"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		in, text, attr string
	}{
		{"plain", "plain", "plain"},
		{`a<b>&"c"`, `a&lt;b&gt;&amp;"c"`, `a&lt;b&gt;&amp;&quot;c&quot;`},
		{"tab\tnl\n", "tab\tnl\n", "tab&#9;nl&#10;"},
		{"bell\x07null\x00", "bellnull", "bellnull"},
		{"cr\r", "cr&#13;", "cr&#13;"},
		{"bad\xffutf8", "bad\uFFFDutf8", "bad\uFFFDutf8"},
		{"é ok ☃", "é ok ☃", "é ok ☃"},
	}
	for _, tt := range tests {
		if got := string(escText(nil, tt.in)); got != tt.text {
			t.Errorf("escText(%q) = %q, want %q", tt.in, got, tt.text)
		}
		if got := string(escAttr(nil, tt.in)); got != tt.attr {
			t.Errorf("escAttr(%q) = %q, want %q", tt.in, got, tt.attr)
		}
		// Whatever went in, the result must parse as XML and round-trip
		// the characters XML can carry.
		doc := "<a b=\"" + string(escAttr(nil, tt.in)) + "\">" + string(escText(nil, tt.in)) + "</a>"
		if err := xml.Unmarshal([]byte(doc), new(struct{})); err != nil {
			t.Errorf("escaped %q does not parse: %v", tt.in, err)
		}
	}
}

func TestSplitEVR(t *testing.T) {
	tests := []struct{ in, e, v, r string }{
		{"1.0-1", "0", "1.0", "1"},
		{"2:1.0-1.el8", "2", "1.0", "1.el8"},
		{"1.0", "0", "1.0", ""},
		{"3:1.0", "3", "1.0", ""},
		{"1.0-1-2", "0", "1.0-1", "2"},
		{"a:b-c", "0", "a:b", "c"},
		{"", "0", "", ""},
	}
	for _, tt := range tests {
		e, v, r := splitEVR(tt.in)
		if e != tt.e || v != tt.v || r != tt.r {
			t.Errorf("splitEVR(%q) = %q,%q,%q want %q,%q,%q", tt.in, e, v, r, tt.e, tt.v, tt.r)
		}
	}
}

func TestIsPrimaryFile(t *testing.T) {
	for path, want := range map[string]bool{
		"/etc/foo.conf": true, "/usr/bin/foo": true, "/usr/sbin/foo": true, "/bin/sh": true,
		"/usr/lib/sendmail": true, "/usr/lib/foo": false, "/usr/share/doc/x": false, "/etc": false,
		"/opt/app/bin/run": true, "/usr/lib/sendmail.d": false,
	} {
		if got := IsPrimaryFile(path); got != want {
			t.Errorf("IsPrimaryFile(%q) = %v", path, got)
		}
	}
}

func TestPrimaryRequiresFilter(t *testing.T) {
	p := &rpm.Package{
		Requires: []rpm.Dependency{
			{Name: "rpmlib(CompressedFileNames)", Flags: rpm.SenseLess | rpm.SenseEqual, Version: "3.0.4-1"},
			{Name: "bash", Flags: rpm.SenseGreater | rpm.SenseEqual, Version: "4.0"},
			{Name: "bash", Flags: rpm.SenseGreater | rpm.SenseEqual, Version: "4.0"},
			{Name: "/bin/sh", Flags: rpm.SenseScriptPre},
			{Name: "/usr/bin/self"},
			{Name: "self(api)", Flags: rpm.SenseEqual, Version: "1"},
			{Name: "self(api)"},
			{Name: "libc.so.6()(64bit)"},
			{Name: "libc.so.6(GLIBC_2.14)(64bit)"},
			{Name: "libc.so.6(GLIBC_2.2.5)(64bit)"},
		},
		Provides: []rpm.Dependency{{Name: "self(api)", Flags: rpm.SenseEqual, Version: "1"}},
		Files:    []rpm.File{{Path: "/usr/bin/self", Mode: 0o100755}},
	}
	got := primaryRequires(p)
	want := []string{"bash >= 4.0", "/bin/sh", "self(api)", "libc.so.6(GLIBC_2.14)(64bit)"}
	if strings.Join(rpm.DepStrings(got), ",") != strings.Join(want, ",") {
		t.Errorf("primaryRequires = %v, want %v", rpm.DepStrings(got), want)
	}
	if !got[1].IsPre() {
		t.Error("/bin/sh lost its pre flag")
	}
}

// writeTestRPM writes a small RPM with rpmpack into dir.
func writeTestRPM(t testing.TB, dir, name, version string, deps ...string) string {
	t.Helper()
	var req rpmpack.Relations
	for _, d := range deps {
		if err := req.Set(d); err != nil {
			t.Fatal(err)
		}
	}
	r, err := rpmpack.NewRPM(rpmpack.RPMMetaData{
		Name: name, Version: version, Release: "1", Arch: "noarch", Summary: "S & <" + name + ">",
		Description: "D", Licence: "MIT", BuildTime: time.Unix(1700000000, 0), Requires: req,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.AddFile(rpmpack.RPMFile{Name: "/usr/bin/" + name, Body: []byte("#!/bin/sh\n"), Mode: 0o100755})
	r.AddFile(rpmpack.RPMFile{Name: "/usr/share/" + name + "/data", Body: []byte(name), Mode: 0o100644})
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+"-"+version+"-1.noarch.rpm")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type repomdDoc struct {
	XMLName  xml.Name `xml:"http://linux.duke.edu/metadata/repo repomd"`
	Revision string   `xml:"revision"`
	Data     []struct {
		Type         string `xml:"type,attr"`
		Checksum     string `xml:"checksum"`
		OpenChecksum string `xml:"open-checksum"`
		Location     struct {
			Href string `xml:"href,attr"`
		} `xml:"location"`
		Size     int64 `xml:"size"`
		OpenSize int64 `xml:"open-size"`
	} `xml:"data"`
}

// readRepo checks repomd.xml against the files it names and returns the
// uncompressed metadata by type.
func readRepo(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var md repomdDoc
	if err := xml.Unmarshal(b, &md); err != nil {
		t.Fatalf("repomd.xml: %v", err)
	}
	out := map[string][]byte{}
	for _, d := range md.Data {
		z, err := os.ReadFile(filepath.Join(dir, d.Location.Href))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(z)
		if hex.EncodeToString(sum[:]) != d.Checksum || int64(len(z)) != d.Size {
			t.Errorf("%s: checksum/size in repomd.xml do not match the file", d.Type)
		}
		var raw []byte
		if strings.HasSuffix(d.Location.Href, ".zst") {
			dec, _ := zstd.NewReader(nil)
			raw, err = dec.DecodeAll(z, nil)
		} else {
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(bytes.NewReader(z)); err == nil {
				raw, err = io.ReadAll(zr)
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", d.Type, err)
		}
		osum := sha256.Sum256(raw)
		if hex.EncodeToString(osum[:]) != d.OpenChecksum || int64(len(raw)) != d.OpenSize {
			t.Errorf("%s: open-checksum/open-size do not match the content", d.Type)
		}
		out[d.Type] = raw
	}
	return out
}

func TestBuildNamespacesAndContent(t *testing.T) {
	for _, comp := range []Compression{Gzip, Zstd} {
		t.Run(string(comp), func(t *testing.T) {
			dir := t.TempDir()
			writeTestRPM(t, dir, "alpha", "1.0", "beta >= 2")
			writeTestRPM(t, dir, "beta", "2.0")
			res, err := Build(context.Background(), Options{Dir: dir, Compression: comp})
			if err != nil {
				t.Fatal(err)
			}
			if res.Packages != 2 {
				t.Fatalf("packages = %d", res.Packages)
			}
			md := readRepo(t, dir)
			var primary struct {
				XMLName  xml.Name `xml:"http://linux.duke.edu/metadata/common metadata"`
				Packages int      `xml:"packages,attr"`
				Package  []struct {
					Name   string `xml:"name"`
					Format struct {
						Requires []struct {
							Name  string `xml:"name,attr"`
							Flags string `xml:"flags,attr"`
							Ver   string `xml:"ver,attr"`
						} `xml:"http://linux.duke.edu/metadata/rpm requires>entry"`
						Files []string `xml:"file"`
					} `xml:"format"`
					Summary string `xml:"summary"`
				} `xml:"package"`
			}
			if err := xml.Unmarshal(md["primary"], &primary); err != nil {
				t.Fatalf("primary: %v", err)
			}
			if primary.Packages != 2 || len(primary.Package) != 2 {
				t.Fatalf("primary lists %d/%d packages", primary.Packages, len(primary.Package))
			}
			a := primary.Package[0]
			if a.Name != "alpha" || a.Summary != "S & <alpha>" {
				t.Errorf("first package = %+v", a)
			}
			if len(a.Format.Requires) != 1 || a.Format.Requires[0].Name != "beta" || a.Format.Requires[0].Flags != "GE" || a.Format.Requires[0].Ver != "2" {
				t.Errorf("alpha requires = %+v (rpm: namespace?)", a.Format.Requires)
			}
			if strings.Join(a.Format.Files, ",") != "/usr/bin/alpha" {
				t.Errorf("primary files = %v", a.Format.Files)
			}
			var fl struct {
				XMLName xml.Name `xml:"http://linux.duke.edu/metadata/filelists filelists"`
				Package []struct {
					Files []string `xml:"file"`
				} `xml:"package"`
			}
			if err := xml.Unmarshal(md["filelists"], &fl); err != nil || len(fl.Package) != 2 || len(fl.Package[0].Files) < 2 {
				t.Errorf("filelists: %v %+v", err, fl)
			}
			var other struct {
				XMLName xml.Name `xml:"http://linux.duke.edu/metadata/other otherdata"`
			}
			if err := xml.Unmarshal(md["other"], &other); err != nil {
				t.Errorf("other: %v", err)
			}
		})
	}
}

// TestUpdateEqualsFullRun checks that --update after adding, removing and
// touching files writes exactly what a fresh run writes.
func TestUpdateEqualsFullRun(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 300; i++ {
		writeTestRPM(t, dir, fmt.Sprintf("pkg%c%d", 'a'+i%26, i), "1.0")
	}
	ctx := context.Background()
	if _, err := Build(ctx, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	writeTestRPM(t, dir, "newcomer", "3.0")
	os.Remove(filepath.Join(dir, "pkga0-1.0-1.noarch.rpm"))
	touched := filepath.Join(dir, "pkgb1-1.0-1.noarch.rpm")
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(touched, future, future); err != nil {
		t.Fatal(err)
	}
	res, err := Build(ctx, Options{Dir: dir, Update: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 2 || res.Reused != res.Packages-2 {
		t.Errorf("update read %d and reused %d of %d; want 2 read", res.Read, res.Reused, res.Packages)
	}
	if res.ChunksWritten >= res.ChunksReused {
		t.Errorf("update recompressed %d chunks and reused %d", res.ChunksWritten, res.ChunksReused)
	}
	updated := readRepo(t, dir)

	fresh := t.TempDir()
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".rpm") {
			src := filepath.Join(dir, de.Name())
			if err := os.Link(src, filepath.Join(fresh, de.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := Build(ctx, Options{Dir: fresh}); err != nil {
		t.Fatal(err)
	}
	full := readRepo(t, fresh)
	for _, k := range kinds {
		if !bytes.Equal(updated[k], full[k]) {
			t.Errorf("%s after --update differs from a full run", k)
		}
	}
	if !bytes.Contains(updated["primary"], []byte("<name>newcomer</name>")) || bytes.Contains(updated["primary"], []byte("<name>pkga0</name>")) {
		t.Error("update did not add/remove packages")
	}
}

// TestGenerationsKept checks that the files named by the previous
// repomd.xml survive one more write (a client may be fetching them) and
// are gone after two.
func TestGenerationsKept(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	writeTestRPM(t, dir, "one", "1")
	if _, err := Build(ctx, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	first := referencedFiles(filepath.Join(dir, "repodata", "repomd.xml"))
	writeTestRPM(t, dir, "two", "1")
	if _, err := Build(ctx, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for f := range first {
		if _, err := os.Stat(filepath.Join(dir, "repodata", f)); err != nil {
			t.Errorf("previous generation file %s removed too early", f)
		}
	}
	writeTestRPM(t, dir, "three", "1")
	if _, err := Build(ctx, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for f := range first {
		if _, err := os.Stat(filepath.Join(dir, "repodata", f)); err == nil {
			t.Errorf("file %s of two generations ago still there", f)
		}
	}
	des, _ := os.ReadDir(filepath.Join(dir, "repodata"))
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".tmp-") {
			t.Errorf("temp file left behind: %s", de.Name())
		}
	}
}

func TestBuildBadPackageWritesNothing(t *testing.T) {
	dir := t.TempDir()
	writeTestRPM(t, dir, "good", "1")
	if err := os.WriteFile(filepath.Join(dir, "broken-1-1.noarch.rpm"), []byte("not an rpm at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "broken-1-1.noarch.rpm") || !strings.Contains(err.Error(), "not an RPM") {
		t.Fatalf("error = %v, want one naming the broken file", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "repodata", "repomd.xml")); err == nil {
		t.Error("repomd.xml written despite the error")
	}
}

func TestCorruptCacheFallsBack(t *testing.T) {
	dir := t.TempDir()
	writeTestRPM(t, dir, "one", "1")
	ctx := context.Background()
	if _, err := Build(ctx, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	idx := filepath.Join(dir, cacheDir, indexFile)
	b, _ := os.ReadFile(idx)
	if err := os.WriteFile(idx, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Build(ctx, Options{Dir: dir, Update: true})
	if err != nil || res.Read != 1 {
		t.Fatalf("update over a truncated cache index: %v, %+v", err, res)
	}
	// Damage every data file: each record's CRC must catch it.
	datas, _ := filepath.Glob(filepath.Join(dir, cacheDir, "*.data"))
	if len(datas) != 1 {
		t.Fatalf("want one cache data file, have %v", datas)
	}
	d, _ := os.ReadFile(datas[0])
	for i := range d {
		d[i] ^= 0x55
	}
	if err := os.WriteFile(datas[0], d, 0o644); err != nil {
		t.Fatal(err)
	}
	before := readRepo(t, dir)
	res, err = Build(ctx, Options{Dir: dir, Update: true})
	if err != nil || res.Read != 1 {
		t.Fatalf("update over damaged cache data: %v, %+v", err, res)
	}
	after := readRepo(t, dir)
	for _, k := range kinds {
		if !bytes.Equal(before[k], after[k]) {
			t.Errorf("%s differs after an update over damaged cache data", k)
		}
	}
}
