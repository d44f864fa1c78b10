package repodata

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Update is one advisory as updateinfo.xml lists it (the format of
// createrepo_c's updateinfo and of the RHEL / Rocky errata that libsolv
// and dnf read).
type Update struct {
	From     string
	Status   string // "final"
	Type     string // security, bugfix, enhancement
	Version  string // the advisory's revision
	ID       string
	Title    string
	Issued   time.Time
	Updated  time.Time
	Severity string // None, Low, Moderate, Important, Critical
	Summary  string
	// Description is plain text.
	Description string
	References  []UpdateRef
	// Collection names the package list (the release).
	Collection string
	Packages   []UpdatePackage
}

// UpdateRef is a reference of an update: a CVE, a bug, the advisory itself.
type UpdateRef struct {
	Href, ID, Type, Title string
}

// UpdatePackage is a package that an update brings.
type UpdatePackage struct {
	Name, Epoch, Version, Release, Arch, Src, Filename string
	SHA256                                             string
}

const updateinfoDate = "2006-01-02 15:04:05"

// UpdateInfoXML renders updateinfo.xml for updates, in the given order.
func UpdateInfoXML(updates []Update) []byte {
	b := []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<updates>\n")
	for _, u := range updates {
		b = append(b, `  <update from="`...)
		b = escAttr(b, u.From)
		b = append(b, `" status="`...)
		b = escAttr(b, u.Status)
		b = append(b, `" type="`...)
		b = escAttr(b, u.Type)
		b = append(b, `" version="`...)
		b = escAttr(b, u.Version)
		b = append(b, "\">\n"...)
		b = textElem(b, "    ", "id", u.ID)
		b = textElem(b, "    ", "title", u.Title)
		b = append(b, `    <issued date="`...)
		b = append(b, u.Issued.UTC().Format(updateinfoDate)...)
		b = append(b, "\"/>\n"...)
		if !u.Updated.IsZero() {
			b = append(b, `    <updated date="`...)
			b = append(b, u.Updated.UTC().Format(updateinfoDate)...)
			b = append(b, "\"/>\n"...)
		}
		if u.Severity != "" {
			b = textElem(b, "    ", "severity", u.Severity)
		}
		if u.Summary != "" {
			b = textElem(b, "    ", "summary", u.Summary)
		}
		b = textElem(b, "    ", "description", u.Description)
		b = append(b, "    <references>\n"...)
		for _, r := range u.References {
			b = append(b, `      <reference href="`...)
			b = escAttr(b, r.Href)
			b = append(b, `" id="`...)
			b = escAttr(b, r.ID)
			b = append(b, `" type="`...)
			b = escAttr(b, r.Type)
			b = append(b, `" title="`...)
			b = escAttr(b, r.Title)
			b = append(b, "\"/>\n"...)
		}
		b = append(b, "    </references>\n    <pkglist>\n      <collection short=\""...)
		b = escAttr(b, u.Collection)
		b = append(b, "\">\n"...)
		b = textElem(b, "        ", "name", u.Collection)
		for _, p := range u.Packages {
			b = append(b, `        <package name="`...)
			b = escAttr(b, p.Name)
			b = append(b, `" version="`...)
			b = escAttr(b, p.Version)
			b = append(b, `" release="`...)
			b = escAttr(b, p.Release)
			b = append(b, `" epoch="`...)
			b = escAttr(b, p.Epoch)
			b = append(b, `" arch="`...)
			b = escAttr(b, p.Arch)
			b = append(b, `" src="`...)
			b = escAttr(b, p.Src)
			b = append(b, "\">\n"...)
			b = textElem(b, "          ", "filename", p.Filename)
			if p.SHA256 != "" {
				b = append(b, `          <sum type="sha256">`...)
				b = escText(b, p.SHA256)
				b = append(b, "</sum>\n"...)
			}
			b = append(b, "        </package>\n"...)
		}
		b = append(b, "      </collection>\n    </pkglist>\n  </update>\n"...)
	}
	return append(b, "</updates>\n"...)
}

// WriteExtra writes one more metadata file of type typ (updateinfo,
// group ...) gzip'd into dir/repodata under its checksum's name, as
// modifyrepo_c does, and returns how repomd.xml lists it. Pass the result
// in WriteOptions.Extra. The same content gives the same file, so
// writing it again costs nothing but the compression.
func WriteExtra(dir, typ string, content []byte, ts int64) (DataFile, error) {
	rd := filepath.Join(dir, "repodata")
	if err := os.MkdirAll(rd, 0o755); err != nil {
		return DataFile{}, fmt.Errorf("creating repodata folder: %w", err)
	}
	var buf bytes.Buffer
	// No name and no time in the gzip header: the file is a function of
	// its content.
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(content)
	if err := zw.Close(); err != nil {
		return DataFile{}, fmt.Errorf("compressing %s: %w", typ, err)
	}
	zsum, osum := sha256.Sum256(buf.Bytes()), sha256.Sum256(content)
	sum := hex.EncodeToString(zsum[:])
	name := sum + "-" + typ + ".xml.gz"
	path := filepath.Join(rd, name)
	if _, err := os.Stat(path); err != nil {
		if err := writeFileAtomic(path, buf.Bytes()); err != nil {
			return DataFile{}, err
		}
	} else {
		// Keep it from being swept as an old generation.
		now := time.Now()
		os.Chtimes(path, now, now)
	}
	return DataFile{
		Type: typ, Href: "repodata/" + name, Checksum: sum, OpenChecksum: hex.EncodeToString(osum[:]),
		Size: int64(buf.Len()), OpenSize: int64(len(content)), Timestamp: ts,
	}, nil
}
