package upstream

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/repodata"
	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/sign"
	"github.com/ulikunitz/xz"
)

// testNow is the clock of everything the tests make: keys, signatures,
// the repository's revision.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

// newKey makes a throwaway EdDSA key.
func newKey(t testing.TB, name string) *sign.Key {
	t.Helper()
	k, err := sign.GenerateKey(sign.KeyOptions{Type: sign.KeyEdDSA, UserID: name + " <" + name + "@example.org>", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	k.Now = clock
	return k
}

// mdEntry is one <data> of the repomd.xml a testRepo writes.
type mdEntry struct {
	typ, href, sumType, sum, openSum string
	size, openSize                   int64
}

// testRepo is a repository folder: packages, metadata made by smeforge's
// createrepo code (repodata.Build), and a repomd.xml the test writes (and
// signs) itself so that it can list other files, checksum types and
// compressions.
type testRepo struct {
	t       testing.TB
	dir     string
	rev     int64
	entries []mdEntry
}

// newRepo copies the files (name → content) below dir/Packages and runs
// repodata.Build on the folder.
func newRepo(t testing.TB, files map[string][]byte) *testRepo {
	t.Helper()
	r := &testRepo{t: t, dir: t.TempDir(), rev: testNow.Unix()}
	for name, b := range files {
		p := filepath.Join(r.dir, "Packages", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := repodata.Build(context.Background(), repodata.Options{Dir: r.dir, Workers: 2, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		r.entries = append(r.entries, mdEntry{typ: f.Type, href: f.Href, sumType: "sha256", sum: f.Checksum,
			openSum: f.OpenChecksum, size: f.Size, openSize: f.OpenSize})
	}
	return r
}

// plain returns the decompressed content of the file of type typ.
func (r *testRepo) plain(typ string) []byte {
	r.t.Helper()
	b := r.file(typ)
	br, err := decompressor(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		r.t.Fatal(err)
	}
	out, err := io.ReadAll(br)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// file returns the stored content of the file of type typ.
func (r *testRepo) file(typ string) []byte {
	r.t.Helper()
	for _, e := range r.entries {
		if e.typ == typ {
			b, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(e.href)))
			if err != nil {
				r.t.Fatal(err)
			}
			return b
		}
	}
	r.t.Fatalf("no %s in the repository", typ)
	return nil
}

func compress(t testing.TB, comp string, plain []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	switch comp {
	case "gz":
		w := gzip.NewWriter(&buf)
		w.Write(plain)
		w.Close()
		return buf.Bytes(), ".gz"
	case "zst":
		w, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plain)
		w.Close()
		return buf.Bytes(), ".zst"
	case "xz":
		w, err := xz.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plain)
		w.Close()
		return buf.Bytes(), ".xz"
	case "none":
		return plain, ""
	}
	t.Fatalf("unknown compression %s", comp)
	return nil, ""
}

func hashOf(t testing.TB, typ string, b []byte) string {
	t.Helper()
	var h hash.Hash
	switch typ {
	case "sha", "sha1":
		h = sha1.New()
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		t.Fatalf("unknown checksum type %s", typ)
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// put stores plain as the file of type typ (replacing any), compressed
// with comp and listed with checksums of sumType.
func (r *testRepo) put(typ string, plain []byte, comp, sumType string) {
	r.t.Helper()
	stored, ext := compress(r.t, comp, plain)
	sum := hashOf(r.t, sumType, stored)
	href := "repodata/" + sum + "-" + typ + ".xml" + ext
	if err := os.WriteFile(filepath.Join(r.dir, filepath.FromSlash(href)), stored, 0o644); err != nil {
		r.t.Fatal(err)
	}
	e := mdEntry{typ: typ, href: href, sumType: sumType, sum: sum, size: int64(len(stored))}
	if comp != "none" {
		e.openSum, e.openSize = hashOf(r.t, sumType, plain), int64(len(plain))
	}
	for i := range r.entries {
		if r.entries[i].typ == typ {
			r.entries[i] = e
			return
		}
	}
	r.entries = append(r.entries, e)
}

// recode stores every metadata file again with another compression and
// checksum type.
func (r *testRepo) recode(comp, sumType string) {
	r.t.Helper()
	for _, typ := range []string{"primary", "filelists", "other"} {
		r.put(typ, r.plain(typ), comp, sumType)
	}
}

// edit changes one entry of repomd.xml.
func (r *testRepo) edit(typ string, fn func(*mdEntry)) {
	for i := range r.entries {
		if r.entries[i].typ == typ {
			fn(&r.entries[i])
			return
		}
	}
	r.t.Fatalf("no %s in the repository", typ)
}

// repomd renders repomd.xml as createrepo_c does.
func (r *testRepo) repomd() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=%q xmlns:rpm=%q>\n  <revision>%d</revision>\n", repodata.NSRepo, repodata.NSRPM, r.rev)
	for _, e := range r.entries {
		fmt.Fprintf(&b, "  <data type=%q>\n    <checksum type=%q>%s</checksum>\n", e.typ, e.sumType, e.sum)
		if e.openSum != "" {
			fmt.Fprintf(&b, "    <open-checksum type=%q>%s</open-checksum>\n", e.sumType, e.openSum)
		}
		fmt.Fprintf(&b, "    <location href=%q/>\n    <timestamp>%d</timestamp>\n", e.href, r.rev)
		if e.size > 0 {
			fmt.Fprintf(&b, "    <size>%d</size>\n", e.size)
		}
		if e.openSize > 0 {
			fmt.Fprintf(&b, "    <open-size>%d</open-size>\n", e.openSize)
		}
		b.WriteString("  </data>\n")
	}
	b.WriteString("</repomd>\n")
	return []byte(b.String())
}

// write writes repomd.xml, and repomd.xml.asc signed by k (none when k is
// nil).
func (r *testRepo) write(k *sign.Key) {
	r.t.Helper()
	md := r.repomd()
	rd := filepath.Join(r.dir, "repodata")
	if err := os.WriteFile(filepath.Join(rd, "repomd.xml"), md, 0o644); err != nil {
		r.t.Fatal(err)
	}
	asc := filepath.Join(rd, "repomd.xml.asc")
	if k == nil {
		os.Remove(asc)
		return
	}
	sig, err := sign.SignDetached(md, k)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(asc, sig, 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// serve serves the folder below /mirror/os/ and returns the repository
// URL. A path of override is served from there instead (nil: 404).
func (r *testRepo) serve(override map[string][]byte) string {
	r.t.Helper()
	files := http.StripPrefix("/mirror/os", http.FileServer(http.Dir(r.dir)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if b, ok := override[strings.TrimPrefix(req.URL.Path, "/mirror/os")]; ok {
			if b == nil {
				http.NotFound(w, req)
				return
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b)
			return
		}
		files.ServeHTTP(w, req)
	}))
	r.t.Cleanup(srv.Close)
	return srv.URL + "/mirror/os/"
}

// href is the location of the file of type typ, as a served path.
func (r *testRepo) href(typ string) string {
	for _, e := range r.entries {
		if e.typ == typ {
			return "/" + e.href
		}
	}
	r.t.Fatalf("no %s in the repository", typ)
	return ""
}

// corpusRPM writes a small package, signed by k unless k is nil.
func corpusRPM(t testing.TB, name string, k sign.Signer) []byte {
	t.Helper()
	var buf bytes.Buffer
	spec := corpus.PackageSpec{
		Name: name, Version: "1.0", Release: "1", Arch: "noarch", License: "GPL-2.0-or-later", Epoch: 2,
		Summary: "A package " + name, Description: "Made by the tests of internal/upstream.",
		BuildTime: time.Unix(1700000000, 0),
		Requires:  []string{"bash >= 4.2", "/bin/sh", name + "-data = 2:1.0-1"},
		Provides:  []string{name + "(x) = 1.0"},
		Files: []corpus.File{
			{Path: "/usr/share/" + name + "/data", Content: bytes.Repeat([]byte("upstream "), 2000)},
			{Path: "/etc/" + name + ".conf", Content: []byte("x=1\n"), Flags: corpus.FileConfig},
		},
	}
	if err := corpus.WriteRPM(&buf, spec); err != nil {
		t.Fatal(err)
	}
	if k == nil {
		return buf.Bytes()
	}
	var out bytes.Buffer
	if err := sign.SignRPM(bytes.NewReader(buf.Bytes()), &out, k); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// keyring holds the public keys of the signers.
func keyring(t testing.TB, keys ...sign.Signer) *sign.Keyring {
	t.Helper()
	kr := sign.NewKeyring()
	for _, k := range keys {
		if err := kr.Add(k.PublicKey()); err != nil {
			t.Fatal(err)
		}
	}
	return kr
}

// expected is the Package Fetch must report for the RPM at path, stored
// at href: what rpm.ReadFile says of the file, with the requires
// createrepo lists in primary.xml.
func expected(t testing.TB, path, href string) Package {
	t.Helper()
	p, err := rpm.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Package{
		Name: p.Name, Epoch: int(p.Epoch), Version: p.Version, Release: p.Release, Arch: p.RepoArch(),
		Summary: p.Summary, License: p.License, SourceRPM: p.SourceRPM, Location: href,
		Checksum: p.SHA256, ChecksumType: "sha256", Size: p.FileSize,
		Requires: normDeps(primaryRequires(p), true), Provides: normDeps(p.Provides, false),
		Conflicts: normDeps(p.Conflicts, false), Obsoletes: normDeps(p.Obsoletes, false),
		Recommends: normDeps(p.Recommends, false), Suggests: normDeps(p.Suggests, false),
		Supplements: normDeps(p.Supplements, false), Enhances: normDeps(p.Enhances, false),
	}
	for _, f := range p.Files {
		want.Files = append(want.Files, f.Path)
	}
	return want
}

// primaryRequires is createrepo's rule, restated: no rpmlib(), nothing a
// provide of the package satisfies exactly, no require of one of its own
// primary files, no duplicate. (The libc.so.6 rule does not arise in the
// test packages.)
func primaryRequires(p *rpm.Package) []rpm.Dependency {
	own := map[string]bool{}
	for _, f := range p.Files {
		own[f.Path] = true
	}
	provided := map[string]bool{}
	for _, d := range p.Provides {
		provided[fmt.Sprint(d.Name, d.Flags&rpm.SenseCompareMask, d.Version)] = true
	}
	seen := map[string]bool{}
	var out []rpm.Dependency
	for _, d := range p.Requires {
		k := fmt.Sprint(d.Name, d.Flags&rpm.SenseCompareMask, d.Version)
		switch {
		case strings.HasPrefix(d.Name, "rpmlib("), provided[k],
			strings.HasPrefix(d.Name, "/") && repodata.IsPrimaryFile(d.Name) && own[d.Name],
			seen[k+fmt.Sprint(d.IsPre())]:
			continue
		}
		seen[k+fmt.Sprint(d.IsPre())] = true
		out = append(out, d)
	}
	return out
}

// normDeps is what primary.xml keeps of dependencies: the comparison, the
// pre flag of requires, and the EVR with a 0 epoch left out.
func normDeps(deps []rpm.Dependency, requires bool) []rpm.Dependency {
	var out []rpm.Dependency
	for _, d := range deps {
		n := rpm.Dependency{Name: d.Name, Flags: d.Flags & rpm.SenseCompareMask}
		if n.Flags != 0 {
			evr := rpm.ParseEVR(d.Version)
			if evr.Epoch == "0" {
				evr.Epoch = ""
			}
			n.Version = evr.String()
		}
		if requires && d.IsPre() {
			n.Flags |= rpm.SensePrereq
		}
		out = append(out, n)
	}
	return out
}

// diffPackage lists the fields in which got differs from want.
func diffPackage(got, want Package) []string {
	var d []string
	field := func(name string, g, w any) {
		if fmt.Sprint(g) != fmt.Sprint(w) {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	field("Name", got.Name, want.Name)
	field("Epoch", got.Epoch, want.Epoch)
	field("Version", got.Version, want.Version)
	field("Release", got.Release, want.Release)
	field("Arch", got.Arch, want.Arch)
	field("Summary", got.Summary, want.Summary)
	field("License", got.License, want.License)
	field("SourceRPM", got.SourceRPM, want.SourceRPM)
	field("Location", got.Location, want.Location)
	field("Checksum", got.Checksum, want.Checksum)
	field("ChecksumType", got.ChecksumType, want.ChecksumType)
	field("Size", got.Size, want.Size)
	field("Requires", got.Requires, want.Requires)
	field("Provides", got.Provides, want.Provides)
	field("Conflicts", got.Conflicts, want.Conflicts)
	field("Obsoletes", got.Obsoletes, want.Obsoletes)
	field("Recommends", got.Recommends, want.Recommends)
	field("Suggests", got.Suggests, want.Suggests)
	field("Supplements", got.Supplements, want.Supplements)
	field("Enhances", got.Enhances, want.Enhances)
	field("Files", got.Files, want.Files)
	return d
}

// checkErr checks an error against the sentinels it must match and the
// phrases its message must hold.
func checkErr(t testing.TB, err error, is []error, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one matching %v and saying %q", is, says)
	}
	for _, s := range is {
		if !errors.Is(err, s) {
			t.Errorf("error %q does not match %v", err, s)
		}
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}
