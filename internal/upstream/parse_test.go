package upstream

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/repodata"
	"github.com/smeserver/smeforge/internal/rpm"
)

const sumA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// primaryDoc wraps package elements in a primary.xml document.
func primaryDoc(n string, pkgs ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="` + repodata.NSCommon + `" xmlns:rpm="` + repodata.NSRPM + `" packages="` + n + `">
` + strings.Join(pkgs, "") + "</metadata>\n"
}

// pkgXML is a primary.xml package with the given <format> content.
func pkgXML(name, extra, format string) string {
	return `<package type="rpm">
  <name>` + name + `</name>
  <arch>x86_64</arch>
  <version epoch="3" ver="1.2" rel="4.el9"/>
  <checksum type="sha256" pkgid="YES">` + sumA + `</checksum>
  <summary>A &lt;summary&gt; &amp; more</summary>
  <description>Text with <b>markup</b> and
    lines.</description>
  <packager/>
  <url>https://example.org/</url>
  <time file="1" build="2"/>
  <size package="1234" installed="5678" archive="9"/>
  ` + extra + `
  <format>
    <rpm:license>GPL-2.0-only</rpm:license>
    <rpm:vendor>Example</rpm:vendor>
    <rpm:sourcerpm>` + name + `-1.2-4.el9.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="1" end="2"/>
` + format + `    <file>/usr/bin/` + name + `</file>
  </format>
</package>
`
}

func TestParsePrimary(t *testing.T) {
	full := `    <rpm:provides>
      <rpm:entry name="p" flags="EQ" epoch="3" ver="1.2" rel="4.el9"/>
      <rpm:entry name="p(x86-64)" flags="EQ" epoch="0" ver="1.2" rel="4.el9"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="/bin/sh" pre="1"/>
      <rpm:entry name="libc.so.6(GLIBC_2.34)(64bit)"/>
      <rpm:entry name="bash" flags="GE" epoch="0" ver="4"/>
      <rpm:entry name="q" flags="LT" epoch="1" ver="2" rel="3" pre="1"/>
    </rpm:requires>
    <rpm:conflicts><rpm:entry name="c" flags="LE" epoch="0" ver="1"/></rpm:conflicts>
    <rpm:obsoletes><rpm:entry name="o" flags="GT" epoch="0" ver="1" rel="1"/></rpm:obsoletes>
    <rpm:suggests><rpm:entry name="s"/></rpm:suggests>
    <rpm:enhances><rpm:entry name="e"/></rpm:enhances>
    <rpm:recommends><rpm:entry name="r"/></rpm:recommends>
    <rpm:supplements><rpm:entry name="(a and b)"/></rpm:supplements>
`
	want := Package{
		Name: "p", Epoch: 3, Version: "1.2", Release: "4.el9", Arch: "x86_64",
		Summary: "A <summary> & more", License: "GPL-2.0-only", SourceRPM: "p-1.2-4.el9.src.rpm",
		Location: "Packages/p-1.2-4.el9.x86_64.rpm", Checksum: sumA, ChecksumType: "sha256", Size: 1234,
		Provides: []rpm.Dependency{
			{Name: "p", Flags: rpm.SenseEqual, Version: "3:1.2-4.el9"},
			{Name: "p(x86-64)", Flags: rpm.SenseEqual, Version: "1.2-4.el9"},
		},
		Requires: []rpm.Dependency{
			{Name: "/bin/sh", Flags: rpm.SensePrereq},
			{Name: "libc.so.6(GLIBC_2.34)(64bit)"},
			{Name: "bash", Flags: rpm.SenseGreater | rpm.SenseEqual, Version: "4"},
			{Name: "q", Flags: rpm.SenseLess | rpm.SensePrereq, Version: "1:2-3"},
		},
		Conflicts:   []rpm.Dependency{{Name: "c", Flags: rpm.SenseLess | rpm.SenseEqual, Version: "1"}},
		Obsoletes:   []rpm.Dependency{{Name: "o", Flags: rpm.SenseGreater, Version: "1-1"}},
		Suggests:    []rpm.Dependency{{Name: "s"}},
		Enhances:    []rpm.Dependency{{Name: "e"}},
		Recommends:  []rpm.Dependency{{Name: "r"}},
		Supplements: []rpm.Dependency{{Name: "(a and b)"}},
	}
	loc := `<location href="Packages/p-1.2-4.el9.x86_64.rpm"/>`
	tests := []struct {
		name string
		doc  string
		want []Package
		err  string
	}{
		{name: "every field", doc: primaryDoc("1", pkgXML("p", loc, full)), want: []Package{want}},
		{name: "xml:base and sha", doc: primaryDoc("1", strings.Replace(pkgXML("p", `<location xml:base="https://mirror.example.org/os/" href="Packages/p.rpm"/>`, ""),
			`type="sha256" pkgid="YES">`+sumA, `type="sha" pkgid="YES">`+sumA[:40], 1)),
			want: []Package{{Name: "p", Epoch: 3, Version: "1.2", Release: "4.el9", Arch: "x86_64", Summary: "A <summary> & more",
				License: "GPL-2.0-only", SourceRPM: "p-1.2-4.el9.src.rpm", Location: "Packages/p.rpm", LocationBase: "https://mirror.example.org/os/",
				Checksum: sumA[:40], ChecksumType: "sha1", Size: 1234}}},
		{name: "no packages attribute", doc: strings.Replace(primaryDoc("0"), ` packages="0"`, "", 1), want: []Package{}},
		{name: "count", doc: primaryDoc("2", pkgXML("p", loc, "")), err: `says packages="2" but lists 1`},
		{name: "bad count", doc: primaryDoc("x"), err: `packages="x" is not a count`},
		{name: "no location", doc: primaryDoc("1", pkgXML("p", "", "")), err: "p: no location"},
		{name: "bad epoch", doc: primaryDoc("1", strings.Replace(pkgXML("p", loc, ""), `epoch="3"`, `epoch="x"`, 1)), err: `epoch "x" is not a number`},
		{name: "bad size", doc: primaryDoc("1", strings.Replace(pkgXML("p", loc, ""), `package="1234"`, `package="-1"`, 1)), err: `size "-1" is not a number`},
		{name: "short checksum", doc: primaryDoc("1", strings.Replace(pkgXML("p", loc, ""), sumA, "abc", 1)), err: `"abc" is not a sha256 checksum`},
		{name: "nameless dependency", doc: primaryDoc("1", pkgXML("p", loc, "<rpm:requires><rpm:entry flags=\"EQ\"/></rpm:requires>")), err: "a dependency without a name"},
		{name: "filelists instead", doc: `<filelists xmlns="` + repodata.NSFilelists + `"/>`, err: "the root element is"},
		{name: "empty", doc: "", err: "unexpected EOF"},
		{name: "unclosed", doc: primaryDoc("1", pkgXML("p", loc, ""))[:300], err: "XML syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePrimary(strings.NewReader(tt.doc))
			if tt.err != "" {
				if err == nil || !errors.Is(err, ErrMetadata) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want ErrMetadata saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseFilelistsAndJoin(t *testing.T) {
	sumB := strings.Repeat("b", 64)
	doc := func(n string, pkgs ...string) string {
		return `<?xml version="1.0" encoding="UTF-8"?>
<filelists xmlns="` + repodata.NSFilelists + `" packages="` + n + `">` + strings.Join(pkgs, "") + `</filelists>`
	}
	fl := func(id, name string, files ...string) string {
		s := `<package pkgid="` + id + `" name="` + name + `" arch="noarch"><version epoch="0" ver="1" rel="1"/>`
		for _, f := range files {
			s += f
		}
		return s + "</package>"
	}
	primary := []Package{{Name: "a", Arch: "noarch", Checksum: sumA}, {Name: "b", Arch: "noarch", Checksum: sumB}}
	tests := []struct {
		name  string
		doc   string
		files [][]string
		err   string
	}{
		{name: "joined", doc: doc("2",
			fl(strings.ToUpper(sumA), "a", `<file type="dir">/etc/a</file>`, `<file>/etc/a/a.conf</file>`, `<file type="ghost">/run/a &amp; b</file>`),
			fl(sumB, "b")),
			files: [][]string{{"/etc/a", "/etc/a/a.conf", "/run/a & b"}, nil}},
		{name: "one missing", doc: doc("1", fl(sumA, "a")), err: "primary.xml lists 2 packages, filelists.xml 1"},
		{name: "unknown pkgid", doc: doc("2", fl(sumA, "a"), fl(strings.Repeat("c", 64), "c")), err: "(pkgid " + sumB + ") is in primary.xml but not in filelists.xml"},
		{name: "another name", doc: doc("2", fl(sumA, "a"), fl(sumB, "x")), err: "is b.noarch in primary.xml but x.noarch in filelists.xml"},
		{name: "no pkgid", doc: doc("1", `<package name="a"/>`), err: "a package without a pkgid"},
		{name: "count", doc: doc("3", fl(sumA, "a"), fl(sumB, "b")), err: `says packages="3" but lists 2`},
		{name: "primary instead", doc: primaryDoc("0"), err: "the root element is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs := slices.Clone(primary)
			lists, n, err := parseFilelists(strings.NewReader(tt.doc))
			if err == nil {
				err = join(pkgs, lists, n)
			}
			if tt.err != "" {
				if err == nil || !errors.Is(err, ErrMetadata) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want ErrMetadata saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range pkgs {
				if !reflect.DeepEqual(p.Files, tt.files[i]) {
					t.Errorf("%s: files %q, want %q", p.Name, p.Files, tt.files[i])
				}
			}
		})
	}
}

func TestDecompressor(t *testing.T) {
	const plain = "<updates/>\n"
	bz2, _ := hex.DecodeString("425a683931415926535999682037000001598000100000800526004e0020002206834d08069a6806461e492f17724538509099682037")
	gz, _ := compress(t, "gz", []byte(plain))
	zst, _ := compress(t, "zst", []byte(plain))
	xzb, _ := compress(t, "xz", []byte(plain))
	tests := []struct {
		name string
		in   []byte
		err  string
	}{
		{"gzip", gz, ""},
		{"two gzip members", append(mustGz(t, plain[:5]), mustGz(t, plain[5:])...), ""},
		{"zstd", zst, ""},
		{"xz", xzb, ""},
		{"bzip2", bz2, ""},
		{"none", []byte(plain), ""},
		{"zchunk", []byte("\x00ZCK1...."), "zchunk"},
		{"bad gzip", append([]byte{0x1f, 0x8b}, "xxxxxxxxxxxxxxxxx"...), "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := decompressor(bufio.NewReader(bytes.NewReader(tt.in)))
			if err == nil {
				var b []byte
				b, err = io.ReadAll(r)
				r.Close()
				if err == nil && string(b) != plain {
					t.Errorf("got %q, want %q", b, plain)
				}
			}
			if (err != nil) != (tt.err != "") || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
}

func mustGz(t *testing.T, s string) []byte {
	b, _ := compress(t, "gz", []byte(s))
	return b
}

func TestBoundedReader(t *testing.T) {
	tests := []struct {
		in    string
		limit int64
		ok    bool
	}{
		{"", 0, true},
		{"abc", 3, true},
		{"abc", 4, true},
		{"abcd", 3, false},
	}
	for _, tt := range tests {
		b, err := io.ReadAll(&boundedReader{r: strings.NewReader(tt.in), left: tt.limit, what: "x"})
		if tt.ok != (err == nil) || tt.ok && string(b) != tt.in || !tt.ok && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%q limited to %d: %q, %v", tt.in, tt.limit, b, err)
		}
	}
}

func TestCheckHref(t *testing.T) {
	for href, ok := range map[string]bool{
		"Packages/a/abc-1.0-1.x86_64.rpm": true,
		"repodata/x-primary.xml.gz":       true,
		"libstdc++-1.0 (x)?#.rpm":         true,
		"":                                false,
		"/etc/passwd":                     false,
		"../a.rpm":                        false,
		"a/../../b.rpm":                   false,
		"a//b.rpm":                        false,
		"./a.rpm":                         false,
		"https://evil.example.org/a.rpm":  false,
		`a\..\b.rpm`:                      false,
	} {
		if err := checkHref(href); (err == nil) != ok {
			t.Errorf("checkHref(%q) = %v, want ok %v", href, err, ok)
		}
	}
	u, err := resolve("https://mirror.example.org/rocky/9/BaseOS/x86_64/os", "Packages/l/libstdc++-1.0 (x)?#.rpm")
	if want := "https://mirror.example.org/rocky/9/BaseOS/x86_64/os/Packages/l/libstdc++-1.0%20%28x%29%3F%23.rpm"; err != nil || u != want {
		t.Errorf("resolve = %q, %v; want %q", u, err, want)
	}
}
