package upstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/sign"
	"github.com/smeserver/smeforge/internal/testutil"
)

// The vendor-signed packages of ../shared/testdata/signed.
const (
	c5   = "centos-release-5-0.0.el5.centos.2.x86_64.rpm"
	c6   = "centos-release-6-0.el6.centos.5.x86_64.rpm"
	c7   = "centos-release-7-2.1511.el7.centos.2.10.x86_64.rpm"
	epel = "epel-release-7-5.noarch.rpm"

	keyC6 = "0946fca2c105b9de"
	keyC7 = "24c6a8a7f4a80eb5" // also signs epel-release-7-5, as CentOS extras ships it
	keyC5 = "a8a447dce8562897" // DSA 1024: unsupported
)

// vendorRepo is a repository of the four vendor-signed packages.
func vendorRepo(t *testing.T) (*testRepo, string) {
	t.Helper()
	dir := testutil.SharedTestdata(t, "signed")
	files := map[string][]byte{}
	for _, n := range []string{c5, c6, c7, epel} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		files[n] = b
	}
	return newRepo(t, files), dir
}

// vendorKeys loads RPM-GPG-KEY-CentOS-N for each version.
func vendorKeys(t *testing.T, dir string, versions ...string) *sign.Keyring {
	t.Helper()
	var paths []string
	for _, v := range versions {
		paths = append(paths, filepath.Join(dir, "RPM-GPG-KEY-CentOS-"+v))
	}
	kr, err := sign.LoadKeyring(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func find(t *testing.T, s *Snapshot, name string) Package {
	t.Helper()
	for _, p := range s.Packages {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no package %s in the snapshot", name)
	return Package{}
}

// TestFetchVendorRepo fetches a repository of vendor-signed packages made
// by smeforge's createrepo code, its repomd.xml signed by a throwaway key:
// every package is what rpm.ReadFile says of its file, and updateinfo.xml
// comes back as it was.
func TestFetchVendorRepo(t *testing.T) {
	r, dir := vendorRepo(t)
	ui, err := os.ReadFile(testutil.SharedTestdata(t, "advisories", "rocky8-updateinfo.xml"))
	if err != nil {
		t.Fatal(err)
	}
	r.put("updateinfo", ui, "gz", "sha256")
	k := newKey(t, "repo")
	r.write(k)
	u := r.serve(nil)

	snap, err := (&Fetcher{Now: clock}).Fetch(context.Background(), Source{Name: "vendor", URL: u, Key: k.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(r.dir, "repodata", "repomd.xml"))
	sum := sha256.Sum256(md)
	if snap.Source != "vendor" || snap.SignedBy != k.KeyID() || snap.Revision != strconv.FormatInt(testNow.Unix(), 10) ||
		snap.RepomdSHA256 != hex.EncodeToString(sum[:]) || !snap.Fetched.Equal(testNow) {
		t.Errorf("snapshot %q signed by %q revision %q repomd %s fetched %v; want vendor, %s, %d, %x, %v",
			snap.Source, snap.SignedBy, snap.Revision, snap.RepomdSHA256, snap.Fetched, k.KeyID(), testNow.Unix(), sum, testNow)
	}
	if !bytes.Equal(snap.Updateinfo, ui) {
		t.Errorf("updateinfo: %d bytes, want the %d of rocky8-updateinfo.xml", len(snap.Updateinfo), len(ui))
	}
	if len(snap.Packages) != 4 {
		t.Fatalf("%d packages, want 4", len(snap.Packages))
	}
	for _, name := range []string{c5, c6, c7, epel} {
		want := expected(t, filepath.Join(dir, name), "Packages/"+name)
		i := slices.IndexFunc(snap.Packages, func(p Package) bool { return p.Location == want.Location })
		if i < 0 {
			t.Errorf("%s is not in the snapshot", want.Location)
			continue
		}
		got := snap.Packages[i]
		for _, d := range diffPackage(got, want) {
			t.Errorf("%s: %s", name, d)
		}
	}
	// The packages the test relies on below: an epoch, requires that
	// createrepo filters, a versioned require.
	if p := findVersion(t, snap, "centos-release", "5"); p.Epoch != 10 {
		t.Errorf("centos-release 5 has epoch %d, want 10", p.Epoch)
	}
	if p := find(t, snap, "epel-release"); !slices.Contains(p.Requires, rpm.Dependency{Name: "redhat-release", Flags: rpm.SenseGreater | rpm.SenseEqual, Version: "7"}) {
		t.Errorf("epel-release requires %v, want redhat-release >= 7 among them", p.Requires)
	}
}

// TestFetchRefuses alters the vendor repository as an attacker or a broken
// mirror would: each change is refused, with an error naming the
// repository and what is wrong.
func TestFetchRefuses(t *testing.T) {
	r, _ := vendorRepo(t)
	k, other := newKey(t, "repo"), newKey(t, "other")
	r.write(k)
	md, err := os.ReadFile(filepath.Join(r.dir, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// One byte of the revision changed: still a valid repomd.xml.
	rev := strconv.FormatInt(testNow.Unix(), 10)
	altered := bytes.Replace(md, []byte(rev), []byte(rev[:len(rev)-1]+"9"), 1)
	if bytes.Equal(altered, md) || len(altered) != len(md) {
		t.Fatal("the revision was not altered")
	}
	// primary.xml.gz with one byte of its gzip header's MTIME changed:
	// the same size and the same XML, another checksum.
	primary := r.href("primary")
	regz := bytes.Clone(r.file("primary"))
	regz[4] ^= 0x01
	fl := r.file("filelists")

	tests := []struct {
		name     string
		key      []byte
		override map[string][]byte
		is       []error
		says     []string
	}{
		{name: "another key", key: other.PublicKey(),
			is:   []error{ErrNotSigned, sign.ErrKeyNotInKeyring},
			says: []string{"repomd.xml of vendor is not signed by the given key", "signed with key " + k.KeyID() + " which is not in the keyring"}},
		{name: "repomd.xml altered by one byte", key: k.PublicKey(),
			override: map[string][]byte{"/repodata/repomd.xml": altered},
			is:       []error{ErrNotSigned, sign.ErrBadSignature},
			says:     []string{"repomd.xml of vendor is not signed by the given key", "repomd.xml.asc"}},
		{name: "no repomd.xml.asc", key: k.PublicKey(),
			override: map[string][]byte{"/repodata/repomd.xml.asc": nil},
			is:       []error{ErrNotSigned},
			says:     []string{"repomd.xml of vendor is not signed by the given key", "there is no repomd.xml.asc", "404"}},
		{name: "empty repomd.xml.asc", key: k.PublicKey(),
			override: map[string][]byte{"/repodata/repomd.xml.asc": {}},
			is:       []error{ErrNotSigned, sign.ErrUnsigned},
			says:     []string{"repomd.xml of vendor is not signed by the given key"}},
		{name: "primary.xml.gz checksum does not match", key: k.PublicKey(),
			override: map[string][]byte{primary: regz},
			is:       []error{ErrChecksum},
			says:     []string{"upstream vendor: ", primary, "its sha256 is", "the metadata says " + strings.TrimSuffix(filepath.Base(primary), "-primary.xml.gz")}},
		{name: "filelists.xml.gz truncated", key: k.PublicKey(),
			override: map[string][]byte{r.href("filelists"): fl[:len(fl)-1]},
			is:       []error{ErrSize},
			says:     []string{r.href("filelists"), "the metadata says " + strconv.Itoa(len(fl))}},
		{name: "primary.xml.gz missing", key: k.PublicKey(),
			override: map[string][]byte{primary: nil},
			says:     []string{primary, "404 Not Found"}},
		{name: "repomd.xml missing",
			override: map[string][]byte{"/repodata/repomd.xml": nil},
			says:     []string{"upstream vendor: GET ", "/mirror/os/repodata/repomd.xml: 404 Not Found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := r.serve(tt.override)
			snap, err := Fetch(context.Background(), nil, Source{Name: "vendor", URL: u, Key: tt.key})
			if snap != nil {
				t.Errorf("a snapshot of %d packages was returned", len(snap.Packages))
			}
			checkErr(t, err, tt.is, tt.says...)
		})
	}
}

// TestFetchFormats reads the same metadata in every compression and
// checksum type repositories use, and without a key.
func TestFetchFormats(t *testing.T) {
	k := newKey(t, "repo")
	pkgs := map[string][]byte{"a-1.0-1.noarch.rpm": corpusRPM(t, "a", k), "sub/b-1.0-1.noarch.rpm": corpusRPM(t, "b", k)}
	base := newRepo(t, pkgs)
	base.write(k)
	want, err := Fetch(context.Background(), nil, Source{URL: base.serve(nil), Key: k.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Packages) != 2 || want.Updateinfo != nil {
		t.Fatalf("%d packages and %d bytes of updateinfo; want 2 and none", len(want.Packages), len(want.Updateinfo))
	}
	for _, comp := range []string{"gz", "zst", "xz", "none"} {
		for _, sum := range []string{"sha", "sha1", "sha256", "sha512"} {
			t.Run(comp+"/"+sum, func(t *testing.T) {
				r := newRepo(t, pkgs)
				r.recode(comp, sum)
				r.put("updateinfo", []byte("<updates/>\n"), comp, sum)
				r.write(k)
				got, err := Fetch(context.Background(), nil, Source{URL: r.serve(nil), Key: k.PublicKey()})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Packages, want.Packages) {
					t.Errorf("packages differ from the gzip/sha256 repository's:\n%+v\n%+v", got.Packages, want.Packages)
				}
				if string(got.Updateinfo) != "<updates/>\n" {
					t.Errorf("updateinfo %q", got.Updateinfo)
				}
			})
		}
	}
	t.Run("no key", func(t *testing.T) {
		got, err := Fetch(context.Background(), nil, Source{URL: base.serve(nil)})
		if err != nil {
			t.Fatal(err)
		}
		if got.SignedBy != "" || !reflect.DeepEqual(got.Packages, want.Packages) {
			t.Errorf("signed by %q, packages %+v", got.SignedBy, got.Packages)
		}
	})
}

// TestFetchMetadataErrors breaks the metadata in each way Fetch checks.
func TestFetchMetadataErrors(t *testing.T) {
	k := newKey(t, "repo")
	pkgs := map[string][]byte{"a-1.0-1.noarch.rpm": corpusRPM(t, "a", k), "b-1.0-1.noarch.rpm": corpusRPM(t, "b", k)}
	replace := func(typ, old, new string) func(*testRepo) {
		return func(r *testRepo) {
			plain := r.plain(typ)
			if !bytes.Contains(plain, []byte(old)) {
				t.Fatalf("%s does not hold %q", typ, old)
			}
			r.put(typ, bytes.Replace(plain, []byte(old), []byte(new), 1), "gz", "sha256")
		}
	}
	tests := []struct {
		name    string
		change  func(*testRepo)
		fetcher func(*testRepo) Fetcher
		is      []error
		says    []string
	}{
		{name: "open-checksum differs", change: func(r *testRepo) {
			r.edit("primary", func(e *mdEntry) { e.openSum = strings.Repeat("0", 64) })
		}, is: []error{ErrChecksum}, says: []string{"primary.xml.gz", "open-checksum says 0000"}},
		{name: "open-size differs", change: func(r *testRepo) {
			r.edit("filelists", func(e *mdEntry) { e.openSize++ })
		}, is: []error{ErrSize}, says: []string{"filelists.xml.gz", "decompressed"}},
		{name: "file larger than the limit", fetcher: func(*testRepo) Fetcher { return Fetcher{MaxFileSize: 100} },
			is: []error{ErrTooLarge}, says: []string{"the limit is 100"}},
		{name: "decompressed larger than the limit", change: func(r *testRepo) {
			r.edit("primary", func(e *mdEntry) { e.openSize = 0 })
			r.edit("filelists", func(e *mdEntry) { e.openSize = 0 })
		}, fetcher: func(r *testRepo) Fetcher {
			// Above every compressed file, below the primary's XML.
			return Fetcher{MaxFileSize: int64(max(len(r.file("primary")), len(r.file("filelists"))) + 1)}
		}, is: []error{ErrTooLarge}, says: []string{"primary (decompressed): too large: more than"}},
		{name: "location outside the repository", change: func(r *testRepo) {
			r.edit("primary", func(e *mdEntry) { e.href = "repodata/../../etc/primary.xml.gz" })
		}, is: []error{ErrMetadata}, says: []string{"not a clean relative path"}},
		{name: "md5", change: func(r *testRepo) {
			r.edit("primary", func(e *mdEntry) { e.sumType = "md5" })
		}, is: []error{ErrMetadata}, says: []string{`unsupported checksum type "md5"`}},
		{name: "no filelists", change: func(r *testRepo) {
			r.entries = slices.DeleteFunc(r.entries, func(e mdEntry) bool { return e.typ == "filelists" })
		}, is: []error{ErrMetadata}, says: []string{"no filelists file is listed"}},
		{name: "zchunk", change: func(r *testRepo) {
			r.put("primary", []byte("\x00ZCK1 not really"), "none", "sha256")
		}, says: []string{"zchunk metadata is not supported"}},
		{name: "not XML", change: func(r *testRepo) {
			r.put("primary", []byte("this is not XML"), "gz", "sha256")
		}, is: []error{ErrMetadata}, says: []string{"primary.xml"}},
		{name: "wrong namespace", change: replace("primary", `xmlns="http://linux.duke.edu/metadata/common"`, `xmlns="http://example.org/"`),
			is: []error{ErrMetadata}, says: []string{"the root element is {http://example.org/}metadata"}},
		{name: "package count", change: replace("primary", `packages="2"`, `packages="3"`),
			is: []error{ErrMetadata}, says: []string{`primary.xml says packages="3" but lists 2`}},
		{name: "pkgid missing from filelists", change: replace("filelists", `pkgid="`, `pkgid="0000`),
			is: []error{ErrMetadata}, says: []string{"is in primary.xml but not in filelists.xml"}},
		{name: "filelists names another package", change: replace("filelists", `name="a"`, `name="z"`),
			is: []error{ErrMetadata}, says: []string{"in primary.xml but z.noarch in filelists.xml"}},
		{name: "unknown dependency flags", change: replace("primary", `flags="GE"`, `flags="XX"`),
			is: []error{ErrMetadata}, says: []string{`unknown flags "XX"`}},
		{name: "truncated XML", change: func(r *testRepo) {
			p := r.plain("primary")
			r.put("primary", p[:len(p)/2], "gz", "sha256")
		}, is: []error{ErrMetadata}, says: []string{"primary.xml", "unexpected EOF"}},
		{name: "updateinfo checksum", change: func(r *testRepo) {
			r.put("updateinfo", []byte("<updates/>"), "gz", "sha256")
			r.edit("updateinfo", func(e *mdEntry) { e.sum = strings.Repeat("ab", 32) })
		}, is: []error{ErrChecksum}, says: []string{"updateinfo.xml.gz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, pkgs)
			if tt.change != nil {
				tt.change(r)
			}
			r.write(k)
			var f Fetcher
			if tt.fetcher != nil {
				f = tt.fetcher(r)
			}
			snap, err := f.Fetch(context.Background(), Source{Name: "test", URL: r.serve(nil), Key: k.PublicKey()})
			if snap != nil {
				t.Errorf("a snapshot of %d packages was returned", len(snap.Packages))
			}
			checkErr(t, err, tt.is, append([]string{"upstream test: "}, tt.says...)...)
		})
	}
}

func TestFetchBadSource(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	k := newKey(t, "repo")
	r := newRepo(t, map[string][]byte{"a.rpm": corpusRPM(t, "a", k)})
	r.write(k)
	u := r.serve(nil)
	tests := []struct {
		name string
		ctx  context.Context
		src  Source
		is   []error
		says string
	}{
		{"ftp URL", context.Background(), Source{URL: "ftp://example.org/os"}, nil, "want an http or https URL"},
		{"not a key", context.Background(), Source{URL: u, Key: []byte("not a key")}, nil, "reading the signing key"},
		{"canceled", ctx, Source{URL: u, Key: k.PublicKey()}, []error{context.Canceled}, "upstream "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fetch(tt.ctx, nil, tt.src)
			checkErr(t, err, tt.is, tt.says)
		})
	}
}

// TestDownloadVendorPackages downloads the vendor packages and checks
// their signatures against the vendor keys: CentOS 6, 7 and EPEL 7 verify,
// CentOS 5's DSA key is unsupported, a package altered by one byte (with
// metadata made after the change, so that its checksum matches) and an
// unsigned one are refused.
func TestDownloadVendorPackages(t *testing.T) {
	r, dir := vendorRepo(t)
	k := newKey(t, "repo")
	r.write(k)
	vendor := Source{Name: "vendor", URL: r.serve(nil), Key: k.PublicKey()}
	snap, err := Fetch(context.Background(), nil, vendor)
	if err != nil {
		t.Fatal(err)
	}

	orig, err := os.ReadFile(filepath.Join(dir, c7))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rpm.ReadRaw(bytes.NewReader(orig), c7)
	if err != nil {
		t.Fatal(err)
	}
	payload := raw.HeaderStart() + int64(len(raw.Header))
	altered := bytes.Clone(orig)
	altered[payload+(int64(len(orig))-payload)/2] ^= 0x01
	tr := newRepo(t, map[string][]byte{c7: altered, "unsigned-1.0-1.noarch.rpm": corpusRPM(t, "unsigned", nil)})
	tr.write(k)
	tampered := Source{Name: "tampered", URL: tr.serve(nil), Key: k.PublicKey()}
	tsnap, err := Fetch(context.Background(), nil, tampered)
	if err != nil {
		t.Fatal(err)
	}

	all := vendorKeys(t, dir, "5", "6", "7")
	tests := []struct {
		name  string
		src   Source
		pkg   Package
		kr    *sign.Keyring
		file  string // the original, when the package verifies
		keyID string
		is    []error
		says  []string
	}{
		{name: "CentOS 7", src: vendor, pkg: findVersion(t, snap, "centos-release", "7"), kr: all, file: c7, keyID: keyC7},
		{name: "EPEL 7 (signed by the CentOS 7 key)", src: vendor, pkg: find(t, snap, "epel-release"), kr: all, file: epel, keyID: keyC7},
		{name: "CentOS 6 (key expired since, signature older)", src: vendor, pkg: findVersion(t, snap, "centos-release", "6"), kr: all, file: c6, keyID: keyC6},
		{name: "CentOS 5 (DSA key)", src: vendor, pkg: findVersion(t, snap, "centos-release", "5"), kr: all,
			is:   []error{ErrRefused, sign.ErrUnsupportedKey},
			says: []string{"centos-release-10:5-0.0.el5.centos.2.x86_64: unsupported key " + keyC5, "DSA key of 1024 bits"}},
		{name: "CentOS 7 without its key", src: vendor, pkg: findVersion(t, snap, "centos-release", "7"), kr: vendorKeys(t, dir, "6"),
			is:   []error{ErrRefused, sign.ErrKeyNotInKeyring},
			says: []string{"centos-release-7-2.1511.el7.centos.2.10.x86_64: signed with key " + keyC7 + " which is not in the keyring"}},
		{name: "CentOS 7 altered by one byte", src: tampered, pkg: find(t, tsnap, "centos-release"), kr: all,
			is:   []error{ErrRefused, sign.ErrBadSignature},
			says: []string{"centos-release-7-2.1511.el7.centos.2.10.x86_64: signature does not verify: "}},
		{name: "unsigned", src: tampered, pkg: find(t, tsnap, "unsigned"), kr: all,
			is:   []error{ErrRefused, sign.ErrUnsigned},
			says: []string{"unsigned-2:1.0-1.noarch: not signed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DownloadPackage(context.Background(), nil, tt.src, tt.pkg, tt.kr)
			if tt.is != nil {
				if d != nil {
					d.Close()
					t.Error("a refused package was returned")
				}
				checkErr(t, err, tt.is, tt.says...)
				var pe *PackageError
				if !errors.As(err, &pe) || pe.URL == "" || !strings.HasSuffix(pe.URL, "/"+tt.pkg.Location) {
					t.Errorf("error %#v does not name the package's URL", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(d)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(filepath.Join(dir, tt.file))
			if !bytes.Equal(got, want) {
				t.Errorf("downloaded %d bytes that are not the %d of %s", len(got), len(want), tt.file)
			}
			if !d.Signature.OK() || d.Signature.KeyID != tt.keyID || d.Signature.Algorithm != "RSA/SHA256" {
				t.Errorf("signature %+v, want OK by %s", d.Signature, tt.keyID)
			}
			path := d.f.Name()
			if err := d.Close(); err != nil {
				t.Error(err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Close left %s: %v", path, err)
			}
		})
	}
}

func findVersion(t *testing.T, s *Snapshot, name, version string) Package {
	t.Helper()
	for _, p := range s.Packages {
		if p.Name == name && p.Version == version {
			return p
		}
	}
	t.Fatalf("no package %s %s in the snapshot", name, version)
	return Package{}
}

// TestDownloadPackageErrors checks what is refused before the signature
// is looked at: the metadata's checksum and size, the location, the limit.
func TestDownloadPackageErrors(t *testing.T) {
	k := newKey(t, "repo")
	r := newRepo(t, map[string][]byte{"a-1.0-1.noarch.rpm": corpusRPM(t, "a", k)})
	r.write(k)
	src := Source{URL: r.serve(nil), Key: k.PublicKey()}
	snap, err := Fetch(context.Background(), nil, src)
	if err != nil {
		t.Fatal(err)
	}
	good := snap.Packages[0]
	kr := keyring(t, k)
	with := func(fn func(*Package)) Package {
		p := good
		fn(&p)
		return p
	}
	tests := []struct {
		name    string
		fetcher Fetcher
		pkg     Package
		kr      *sign.Keyring
		is      []error
		says    []string
	}{
		{name: "checksum differs", pkg: with(func(p *Package) { p.Checksum = strings.Repeat("0", 64) }), kr: kr,
			is: []error{ErrChecksum}, says: []string{"a-2:1.0-1.noarch: ", "/Packages/a-1.0-1.noarch.rpm: checksum mismatch: its sha256 is"}},
		{name: "size differs", pkg: with(func(p *Package) { p.Size-- }), kr: kr,
			is: []error{ErrSize}, says: []string{"the server sends"}},
		{name: "outside the repository", pkg: with(func(p *Package) { p.Location = "../a.rpm" }), kr: kr,
			says: []string{`location "../a.rpm" is not a clean relative path`}},
		{name: "not on the server", pkg: with(func(p *Package) { p.Location = "Packages/b.rpm" }), kr: kr,
			says: []string{"/Packages/b.rpm: 404 Not Found"}},
		{name: "no keyring", pkg: good, says: []string{"no keyring"}},
		{name: "over the limit", fetcher: Fetcher{MaxPackageSize: 100}, pkg: good, kr: kr,
			is: []error{ErrTooLarge}, says: []string{"the limit is 100"}},
		{name: "another key", pkg: good, kr: keyring(t, newKey(t, "other")),
			is: []error{ErrRefused, sign.ErrKeyNotInKeyring}, says: []string{"signed with key " + k.KeyID()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tt.fetcher.DownloadPackage(context.Background(), src, tt.pkg, tt.kr)
			if d != nil {
				d.Close()
				t.Fatal("the package was returned")
			}
			checkErr(t, err, tt.is, tt.says...)
			if errors.Is(err, ErrChecksum) && errors.Is(err, ErrRefused) {
				t.Error("a checksum error reads as a signature refusal")
			}
		})
	}
	t.Run("verified", func(t *testing.T) {
		d, err := DownloadPackage(context.Background(), nil, src, good, kr)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if d.Signature.KeyID != k.KeyID() || !d.Signature.OK() {
			t.Errorf("signature %+v", d.Signature)
		}
	})
}

// TestSyncPackages brings the vendor repository's packages into a folder:
// one refused does not stop the others, and a second run reuses what the
// first verified.
func TestSyncPackages(t *testing.T) {
	r, dir := vendorRepo(t)
	k := newKey(t, "repo")
	r.write(k)
	src := Source{Name: "vendor", URL: r.serve(nil), Key: k.PublicKey()}
	snap, err := Fetch(context.Background(), nil, src)
	if err != nil {
		t.Fatal(err)
	}
	kr := vendorKeys(t, dir, "5", "6", "7")
	out := filepath.Join(t.TempDir(), "base")
	f := &Fetcher{Workers: 2}

	check := func(results []PackageResult, reused bool) {
		t.Helper()
		if len(results) != len(snap.Packages) {
			t.Fatalf("%d results for %d packages", len(results), len(snap.Packages))
		}
		for i, res := range results {
			name := filepath.Base(res.Package.Location)
			if res.Package.Checksum != snap.Packages[i].Checksum {
				t.Errorf("result %d is for %s, not for package %d", i, name, i)
			}
			dst := filepath.Join(out, "Packages", name)
			if name == c5 {
				if res.OK() || !res.Refused() || !errors.Is(res.Err, sign.ErrUnsupportedKey) {
					t.Errorf("%s: %v, want refused for its unsupported key", name, res.Err)
				}
				if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the refused %s was written: %v", name, err)
				}
				continue
			}
			if !res.OK() || res.Path != dst || res.Reused != reused || !res.Signature.OK() {
				t.Errorf("%s: %+v, want ok at %s (reused %v)", name, res, dst, reused)
				continue
			}
			got, _ := os.ReadFile(dst)
			want, _ := os.ReadFile(filepath.Join(dir, name))
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the original", dst)
			}
		}
		left, _ := filepath.Glob(filepath.Join(out, "Packages", ".smeforge-upstream-*"))
		if len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
	results, err := f.SyncPackages(context.Background(), src, snap.Packages, kr, out)
	if err != nil {
		t.Fatal(err)
	}
	check(results, false)
	results, err = f.SyncPackages(context.Background(), src, snap.Packages, kr, out)
	if err != nil {
		t.Fatal(err)
	}
	check(results, true)

	// A file damaged on disk is downloaded again.
	if err := os.WriteFile(filepath.Join(out, "Packages", epel), []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	results, _ = f.SyncPackages(context.Background(), src, snap.Packages, kr, out)
	for _, res := range results {
		if res.Package.Name == "epel-release" && (!res.OK() || res.Reused) {
			t.Errorf("damaged epel-release: %+v, want downloaded again", res)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	results, err = f.SyncPackages(ctx, src, snap.Packages, kr, t.TempDir())
	if !errors.Is(err, context.Canceled) || len(results) != len(snap.Packages) {
		t.Fatalf("canceled sync: %d results, %v", len(results), err)
	}
	for _, res := range results {
		if !errors.Is(res.Err, context.Canceled) {
			t.Errorf("%s: %v, want canceled", res.Package.Name, res.Err)
		}
	}
	if _, err := f.SyncPackages(context.Background(), src, snap.Packages, nil, out); err == nil {
		t.Error("a sync without a keyring ran")
	}
}
