//go:build integration

package integration

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// The namespaces of repository metadata, written out here rather than
// taken from internal/repodata so that a wrong constant there is caught.
const (
	nsCommon    = "http://linux.duke.edu/metadata/common"
	nsRPM       = "http://linux.duke.edu/metadata/rpm"
	nsFilelists = "http://linux.duke.edu/metadata/filelists"
	nsOther     = "http://linux.duke.edu/metadata/other"
	nsRepo      = "http://linux.duke.edu/metadata/repo"
)

// repomd.xml

type xRepomd struct {
	XMLName  xml.Name    `xml:"repomd"`
	Revision string      `xml:"revision"`
	Data     []xRepoData `xml:"data"`
}

type xRepoData struct {
	Type         string    `xml:"type,attr"`
	Checksum     xChecksum `xml:"checksum"`
	OpenChecksum xChecksum `xml:"open-checksum"`
	Location     struct {
		Href string `xml:"href,attr"`
	} `xml:"location"`
	Timestamp int64  `xml:"timestamp"`
	Size      *int64 `xml:"size"`
	OpenSize  *int64 `xml:"open-size"`
}

type xChecksum struct {
	Type  string `xml:"type,attr"`
	PkgID string `xml:"pkgid,attr"`
	Value string `xml:",chardata"`
}

// primary.xml

type xPrimary struct {
	XMLName  xml.Name   `xml:"metadata"`
	Packages string     `xml:"packages,attr"`
	Package  []xPrimPkg `xml:"package"`
}

type xVersion struct {
	Epoch string `xml:"epoch,attr"`
	Ver   string `xml:"ver,attr"`
	Rel   string `xml:"rel,attr"`
}

type xPrimPkg struct {
	Type        string    `xml:"type,attr"`
	Name        string    `xml:"name"`
	Arch        string    `xml:"arch"`
	Version     xVersion  `xml:"version"`
	Checksum    xChecksum `xml:"checksum"`
	Summary     string    `xml:"summary"`
	Description string    `xml:"description"`
	Packager    string    `xml:"packager"`
	URL         string    `xml:"url"`
	Time        struct {
		File  string `xml:"file,attr"`
		Build string `xml:"build,attr"`
	} `xml:"time"`
	Size struct {
		Package   string `xml:"package,attr"`
		Installed string `xml:"installed,attr"`
		Archive   string `xml:"archive,attr"`
	} `xml:"size"`
	Location struct {
		Href string `xml:"href,attr"`
		Base string `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
	} `xml:"location"`
	Format xFormat `xml:"format"`
}

type xFormat struct {
	License     string `xml:"http://linux.duke.edu/metadata/rpm license"`
	Vendor      string `xml:"http://linux.duke.edu/metadata/rpm vendor"`
	Group       string `xml:"http://linux.duke.edu/metadata/rpm group"`
	BuildHost   string `xml:"http://linux.duke.edu/metadata/rpm buildhost"`
	SourceRPM   string `xml:"http://linux.duke.edu/metadata/rpm sourcerpm"`
	HeaderRange struct {
		Start string `xml:"start,attr"`
		End   string `xml:"end,attr"`
	} `xml:"http://linux.duke.edu/metadata/rpm header-range"`
	Provides    xDeps   `xml:"http://linux.duke.edu/metadata/rpm provides"`
	Requires    xDeps   `xml:"http://linux.duke.edu/metadata/rpm requires"`
	Conflicts   xDeps   `xml:"http://linux.duke.edu/metadata/rpm conflicts"`
	Obsoletes   xDeps   `xml:"http://linux.duke.edu/metadata/rpm obsoletes"`
	Suggests    xDeps   `xml:"http://linux.duke.edu/metadata/rpm suggests"`
	Enhances    xDeps   `xml:"http://linux.duke.edu/metadata/rpm enhances"`
	Recommends  xDeps   `xml:"http://linux.duke.edu/metadata/rpm recommends"`
	Supplements xDeps   `xml:"http://linux.duke.edu/metadata/rpm supplements"`
	Files       []xFile `xml:"file"`
}

type xDeps struct {
	Entries []xEntry `xml:"http://linux.duke.edu/metadata/rpm entry"`
}

type xEntry struct {
	Name  string `xml:"name,attr"`
	Flags string `xml:"flags,attr"`
	Epoch string `xml:"epoch,attr"`
	Ver   string `xml:"ver,attr"`
	Rel   string `xml:"rel,attr"`
	Pre   string `xml:"pre,attr"`
}

// String is the entry as a comparable key.
func (e xEntry) String() string {
	s := e.Name
	if e.Flags != "" || e.Epoch != "" || e.Ver != "" || e.Rel != "" {
		s += fmt.Sprintf(" %s %s:%s-%s", e.Flags, e.Epoch, e.Ver, e.Rel)
	}
	if e.Pre != "" && e.Pre != "0" {
		s += " pre=" + e.Pre
	}
	return s
}

type xFile struct {
	Type string `xml:"type,attr"`
	Path string `xml:",chardata"`
}

func (f xFile) String() string {
	if f.Type == "" || f.Type == "file" {
		return f.Path
	}
	return f.Path + " (" + f.Type + ")"
}

// filelists.xml and other.xml

type xFilelists struct {
	XMLName  xml.Name `xml:"filelists"`
	Packages string   `xml:"packages,attr"`
	Package  []struct {
		PkgID   string   `xml:"pkgid,attr"`
		Name    string   `xml:"name,attr"`
		Arch    string   `xml:"arch,attr"`
		Version xVersion `xml:"version"`
		Files   []xFile  `xml:"file"`
	} `xml:"package"`
}

type xOther struct {
	XMLName  xml.Name `xml:"otherdata"`
	Packages string   `xml:"packages,attr"`
	Package  []struct {
		PkgID     string   `xml:"pkgid,attr"`
		Name      string   `xml:"name,attr"`
		Arch      string   `xml:"arch,attr"`
		Version   xVersion `xml:"version"`
		Changelog []struct {
			Author string `xml:"author,attr"`
			Date   string `xml:"date,attr"`
			Text   string `xml:",chardata"`
		} `xml:"changelog"`
	} `xml:"package"`
}

// repoPkg is everything a repository says about one package.
type repoPkg struct {
	Primary   xPrimPkg
	Filelists []string // "path" or "path (dir|ghost)", sorted
	FLName    string   // name, arch and version as filelists.xml says them
	Changelog []string // "author\x00text", sorted
	OtherName string
}

// repo is a parsed repository: its packages by pkgid and the raw,
// decompressed metadata files by type.
type repo struct {
	Dir      string
	Repomd   xRepomd
	Packages map[string]*repoPkg
	Raw      map[string][]byte
}

// expectedNS lists, per metadata type, the namespace of every element
// that may appear. An element not listed, or in another namespace, is an
// error: a client ignores data in a namespace it does not expect.
var expectedNS = map[string]map[string]string{
	"repomd": {
		"repomd": nsRepo, "revision": nsRepo, "data": nsRepo, "checksum": nsRepo, "open-checksum": nsRepo,
		"location": nsRepo, "timestamp": nsRepo, "size": nsRepo, "open-size": nsRepo,
		"tags": nsRepo, "content": nsRepo, "repo": nsRepo, "distro": nsRepo,
		"header-checksum": nsRepo, "header-size": nsRepo, "database_version": nsRepo,
	},
	"primary": {
		"metadata": nsCommon, "package": nsCommon, "name": nsCommon, "arch": nsCommon, "version": nsCommon,
		"checksum": nsCommon, "summary": nsCommon, "description": nsCommon, "packager": nsCommon, "url": nsCommon,
		"time": nsCommon, "size": nsCommon, "location": nsCommon, "format": nsCommon, "file": nsCommon,
		"license": nsRPM, "vendor": nsRPM, "group": nsRPM, "buildhost": nsRPM, "sourcerpm": nsRPM,
		"header-range": nsRPM, "provides": nsRPM, "requires": nsRPM, "conflicts": nsRPM, "obsoletes": nsRPM,
		"suggests": nsRPM, "enhances": nsRPM, "recommends": nsRPM, "supplements": nsRPM, "entry": nsRPM,
	},
	"filelists": {"filelists": nsFilelists, "package": nsFilelists, "version": nsFilelists, "file": nsFilelists},
	"other":     {"otherdata": nsOther, "package": nsOther, "version": nsOther, "changelog": nsOther},
}

// checkNamespaces walks every element of an XML document and checks its
// namespace against expectedNS[kind].
func checkNamespaces(t *testing.T, label, kind string, data []byte) {
	t.Helper()
	want := expectedNS[kind]
	dec := xml.NewDecoder(bytes.NewReader(data))
	bad := map[string]bool{}
	root := true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("%s: %s is not well-formed XML: %v", label, kind, err)
			return
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		ns, known := want[se.Name.Local]
		if root {
			root = false
			if !known || se.Name.Space != ns {
				t.Errorf("%s: %s root element <%s> is in namespace %q, want %q", label, kind, se.Name.Local, se.Name.Space, ns)
			}
			continue
		}
		key := se.Name.Space + " " + se.Name.Local
		if (!known || se.Name.Space != ns) && !bad[key] {
			bad[key] = true
			t.Errorf("%s: %s element <%s> is in namespace %q, want %q", label, kind, se.Name.Local, se.Name.Space, ns)
		}
	}
}

// decompress undoes gzip (all members) or zstd, chosen by file name.
func decompress(path string, b []byte) ([]byte, error) {
	switch {
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		zr.Multistream(true)
		return io.ReadAll(zr)
	case strings.HasSuffix(path, ".zst"):
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	}
	return nil, fmt.Errorf("unknown compression of %s", path)
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// readRepo parses dir/repodata, checking repomd.xml's checksums and sizes
// against the files and every element's namespace. label names the
// producer in messages.
func readRepo(t *testing.T, label, dir string) *repo {
	t.Helper()
	rmd, err := os.ReadFile(filepath.Join(dir, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	r := &repo{Dir: dir, Packages: map[string]*repoPkg{}, Raw: map[string][]byte{}}
	checkNamespaces(t, label, "repomd", rmd)
	if err := xml.Unmarshal(rmd, &r.Repomd); err != nil {
		t.Fatalf("%s: repomd.xml: %v", label, err)
	}
	if r.Repomd.XMLName.Space != nsRepo {
		t.Errorf("%s: repomd.xml root namespace %q, want %q", label, r.Repomd.XMLName.Space, nsRepo)
	}
	if r.Repomd.Revision == "" {
		t.Errorf("%s: repomd.xml has no revision", label)
	}
	for _, d := range r.Repomd.Data {
		if _, dup := r.Raw[d.Type]; dup {
			t.Errorf("%s: repomd.xml lists %s twice", label, d.Type)
		}
		file := filepath.Join(dir, filepath.FromSlash(d.Location.Href))
		b, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: repomd.xml %s: %v", label, d.Type, err)
			continue
		}
		if d.Checksum.Type != "sha256" || d.Checksum.Value != sha256hex(b) {
			t.Errorf("%s: repomd.xml %s checksum %s:%s, the file %s hashes to sha256:%s", label, d.Type, d.Checksum.Type, d.Checksum.Value, d.Location.Href, sha256hex(b))
		}
		if d.Size == nil || *d.Size != int64(len(b)) {
			t.Errorf("%s: repomd.xml %s size %v, the file has %d bytes", label, d.Type, ptrVal(d.Size), len(b))
		}
		if !strings.HasPrefix(d.Location.Href, "repodata/") {
			t.Errorf("%s: repomd.xml %s location %q is not under repodata/", label, d.Type, d.Location.Href)
		}
		if base := filepath.Base(d.Location.Href); !strings.HasPrefix(base, d.Checksum.Value+"-") {
			t.Errorf("%s: %s file name %s does not start with its checksum", label, d.Type, base)
		}
		if d.Timestamp <= 0 {
			t.Errorf("%s: repomd.xml %s timestamp %d", label, d.Type, d.Timestamp)
		}
		open, err := decompress(file, b)
		if err != nil {
			t.Errorf("%s: decompressing %s: %v", label, d.Location.Href, err)
			continue
		}
		if d.OpenChecksum.Type != "sha256" || d.OpenChecksum.Value != sha256hex(open) {
			t.Errorf("%s: repomd.xml %s open-checksum %s:%s, the content hashes to sha256:%s", label, d.Type, d.OpenChecksum.Type, d.OpenChecksum.Value, sha256hex(open))
		}
		if d.OpenSize == nil || *d.OpenSize != int64(len(open)) {
			t.Errorf("%s: repomd.xml %s open-size %v, the content has %d bytes", label, d.Type, ptrVal(d.OpenSize), len(open))
		}
		r.Raw[d.Type] = open
	}
	for _, typ := range []string{"primary", "filelists", "other"} {
		if _, ok := r.Raw[typ]; !ok {
			t.Fatalf("%s: repomd.xml has no readable %s", label, typ)
		}
		checkNamespaces(t, label, typ, r.Raw[typ])
	}

	var prim xPrimary
	if err := xml.Unmarshal(r.Raw["primary"], &prim); err != nil {
		t.Fatalf("%s: primary: %v", label, err)
	}
	checkCount(t, label, "primary", prim.Packages, len(prim.Package))
	for _, p := range prim.Package {
		id := p.Checksum.Value
		if _, dup := r.Packages[id]; dup {
			t.Errorf("%s: primary lists pkgid %s twice", label, id)
		}
		r.Packages[id] = &repoPkg{Primary: p}
	}
	var fl xFilelists
	if err := xml.Unmarshal(r.Raw["filelists"], &fl); err != nil {
		t.Fatalf("%s: filelists: %v", label, err)
	}
	checkCount(t, label, "filelists", fl.Packages, len(fl.Package))
	for _, p := range fl.Package {
		rp := r.Packages[p.PkgID]
		if rp == nil {
			t.Errorf("%s: filelists has pkgid %s (%s) that primary lacks", label, p.PkgID, p.Name)
			continue
		}
		rp.FLName = fmt.Sprintf("%s.%s %s:%s-%s", p.Name, p.Arch, p.Version.Epoch, p.Version.Ver, p.Version.Rel)
		rp.Filelists = []string{}
		for _, f := range p.Files {
			rp.Filelists = append(rp.Filelists, f.String())
		}
		sort.Strings(rp.Filelists)
	}
	var oth xOther
	if err := xml.Unmarshal(r.Raw["other"], &oth); err != nil {
		t.Fatalf("%s: other: %v", label, err)
	}
	checkCount(t, label, "other", oth.Packages, len(oth.Package))
	for _, p := range oth.Package {
		rp := r.Packages[p.PkgID]
		if rp == nil {
			t.Errorf("%s: other has pkgid %s (%s) that primary lacks", label, p.PkgID, p.Name)
			continue
		}
		rp.OtherName = fmt.Sprintf("%s.%s %s:%s-%s", p.Name, p.Arch, p.Version.Epoch, p.Version.Ver, p.Version.Rel)
		rp.Changelog = []string{}
		for _, c := range p.Changelog {
			rp.Changelog = append(rp.Changelog, c.Author+"\x00"+c.Text)
		}
		sort.Strings(rp.Changelog)
	}
	for id, p := range r.Packages {
		want := fmt.Sprintf("%s.%s %s:%s-%s", p.Primary.Name, p.Primary.Arch, p.Primary.Version.Epoch, p.Primary.Version.Ver, p.Primary.Version.Rel)
		if p.FLName != want {
			t.Errorf("%s: pkgid %s is %s in primary but %q in filelists", label, id, want, p.FLName)
		}
		if p.OtherName != want {
			t.Errorf("%s: pkgid %s is %s in primary but %q in other", label, id, want, p.OtherName)
		}
	}
	return r
}

func checkCount(t *testing.T, label, typ, attr string, n int) {
	t.Helper()
	if attr != strconv.Itoa(n) {
		t.Errorf("%s: %s says packages=%q but lists %d", label, typ, attr, n)
	}
}

func ptrVal(p *int64) any {
	if p == nil {
		return "missing"
	}
	return *p
}

// depSet renders a dependency list as a sorted multiset.
func depSet(d xDeps) []string {
	out := make([]string, 0, len(d.Entries))
	for _, e := range d.Entries {
		out = append(out, e.String())
	}
	sort.Strings(out)
	return out
}

// primaryFiles renders primary's file list as a sorted set.
func primaryFiles(p xPrimPkg) []string {
	out := make([]string, 0, len(p.Format.Files))
	for _, f := range p.Format.Files {
		out = append(out, f.String())
	}
	sort.Strings(out)
	return out
}
