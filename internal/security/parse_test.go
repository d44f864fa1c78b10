package security

import (
	"os"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/testutil"
)

func TestEcosystems(t *testing.T) {
	for _, tc := range []struct {
		base string
		want string
	}{
		{"Rocky Linux 8", "Rocky Linux:8 Red Hat:8"},
		{"Rocky Linux 8.9", "Rocky Linux:8 Red Hat:8"},
		{"AlmaLinux 8", "AlmaLinux:8 Red Hat:8"},
		{"CentOS 7", "CentOS:7 Red Hat:7"},
		{"Red Hat Enterprise Linux 9", "Red Hat:9"},
		{"Debian 12", ""},
		{"Rocky Linux", ""},
	} {
		name, ver := splitBase(tc.base)
		got := strings.Join(Ecosystems(&catalog.Release{BaseOS: tc.base, BaseName: name, BaseVersion: ver}), " ")
		if got != tc.want {
			t.Errorf("Ecosystems(%q) = %q, want %q", tc.base, got, tc.want)
		}
	}
	for in, want := range map[string]string{
		"Rocky Linux:8": "Rocky Linux:8", "AlmaLinux:9": "AlmaLinux:9", "Red Hat:enterprise_linux:8::appstream": "Red Hat:8",
		"Red Hat:rhel_eus:8.6::baseos": "Red Hat:8", "npm": "", "Debian:12": "", "Rocky Linux": "",
	} {
		got, err := NormalizeEcosystem(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("NormalizeEcosystem(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseRealRecords(t *testing.T) {
	dir := testutil.SharedTestdata(t, "advisories")
	for _, tc := range []struct {
		file, id, key, severity string
		ranges                  []Range
	}{
		{"RLSA-2021_3891.osv.json", "RLSA-2021:3891", "RLSA-2021:3891", "important",
			[]Range{{Ecosystem: "Rocky Linux:8", Package: "java-11-openjdk", Introduced: "0", Fixed: "1:11.0.13.0.8-1.el8_4"}}},
		{"ALSA-2023_4520.osv.json", "ALSA-2023:4520", "CVE-2023-32681", "moderate",
			[]Range{{Ecosystem: "AlmaLinux:8", Package: "python3-requests", Introduced: "0", Fixed: "2.20.0-3.el8_8"}}},
	} {
		f, err := os.Open(dir + "/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		recs, problems := ParseOSV(f, tc.file)
		f.Close()
		if len(problems) != 0 || len(recs) != 1 {
			t.Fatalf("%s: %d records, problems %v", tc.file, len(recs), problems)
		}
		r := recs[0]
		if r.ID != tc.id || r.Key() != tc.key || r.Severity != tc.severity || len(r.Raw) == 0 {
			t.Errorf("%s: id %q key %q severity %q", tc.file, r.ID, r.Key(), r.Severity)
		}
		if len(r.Ranges) != len(tc.ranges) || r.Ranges[0] != tc.ranges[0] {
			t.Errorf("%s: ranges %+v, want %+v", tc.file, r.Ranges, tc.ranges)
		}
	}

	f, err := os.Open(dir + "/rocky8-updateinfo.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, problems, ignored := ParseUpdateinfo(f, "rocky8-updateinfo.xml", "")
	if len(problems) != 0 || ignored != 1 || len(recs) != 3 {
		t.Fatalf("updateinfo: %d records, %d ignored, problems %v; want 3 security updates and 1 bug fix ignored", len(recs), ignored, problems)
	}
	lz4 := recs[0]
	if lz4.ID != "RLSA-2021:2575" || lz4.Key() != "CVE-2021-3520" || lz4.Severity != "moderate" ||
		len(lz4.Ranges) != 1 || lz4.Ranges[0] != (Range{Ecosystem: "Rocky Linux:8", Package: "lz4", Introduced: "0", Fixed: "1.8.3-3.el8_4"}) {
		t.Errorf("lz4 update = %+v", lz4)
	}
	if !strings.HasPrefix(string(lz4.Raw), "<update ") || !strings.HasSuffix(string(lz4.Raw), "</update>") {
		t.Errorf("raw of the update is not the <update> element as received: %.60q...", lz4.Raw)
	}
	if k := recs[1].Key(); k != "RLSA-2021:3057" {
		t.Errorf("kernel update with three CVEs: key %q, want the update's id", k)
	}
}

func TestParseCSAF(t *testing.T) {
	f, err := os.Open("testdata/cve-2021-3520.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, problems := ParseCSAF(f, "cve-2021-3520.json")
	if len(problems) != 0 || len(recs) != 1 {
		t.Fatalf("%d records, problems %v", len(recs), problems)
	}
	r := recs[0]
	if r.ID != "CVE-2021-3520" || r.Key() != "CVE-2021-3520" || r.Severity != "moderate" || r.Modified != "2024-11-22T00:25:54+00:00" {
		t.Errorf("record = %+v", r)
	}
	want := map[Range]bool{
		{Ecosystem: "Red Hat:8", Package: "lz4", Introduced: "0", Fixed: "1.8.3-3.el8_4"}:      true,
		{Ecosystem: "Red Hat:8", Package: "lz4-libs", Introduced: "0", Fixed: "1.8.3-3.el8_4"}: true,
	}
	if len(r.Ranges) != len(want) {
		t.Fatalf("ranges %+v, want lz4 and lz4-libs fixed in 1.8.3-3.el8_4 (RHEL 7 is not affected)", r.Ranges)
	}
	for _, rg := range r.Ranges {
		if !want[rg] {
			t.Errorf("unexpected range %+v", rg)
		}
	}
	if ref, _ := purlRef("pkg:rpm/redhat/openssl@1.1.1k-12.el8_9?arch=x86_64&epoch=1"); ref != (pkgRef{"openssl", "1:1.1.1k-12.el8_9"}) {
		t.Errorf("purl with epoch: %+v", ref)
	}
}

// Each bad record is reported with the field at fault and skipped; the
// good records of the same input are kept.
func TestParseMalformed(t *testing.T) {
	good := `{"id":"GOOD-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Rocky Linux:8","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2.11-25.el8"}]}]}]}`
	rec := func(id, eco, events string) string {
		return `{"id":"` + id + `","affected":[{"package":{"ecosystem":"` + eco + `","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":` + events + `}]}]}`
	}
	for _, tc := range []struct {
		name, input, want string
		good              int
	}{
		{"bad JSON file", `{"id": "X",`, "bad JSON", 0},
		{"bad JSON array", `[` + good + `, {"id": ]`, "not a JSON array", 0},
		{"record of the wrong shape", `[` + good + `, {"id": 7}]`, "bad JSON", 1},
		{"range without introduced", `[` + good + `,` + rec("NOINTRO", "Rocky Linux:8", `[{"fixed":"1.0-1"}]`) + `]`, `NOINTRO: affected[0].ranges[0]: events[0]: fixed "1.0-1" comes before any "introduced"`, 1},
		{"unknown ecosystem", `[` + rec("NPM", "npm", `[{"introduced":"0"},{"fixed":"1.0"}]`) + `,` + good + `]`, `NPM: affected[0].package: ecosystem "npm" is not one`, 1},
		{"bad version", `[` + good + `,` + rec("BADV", "AlmaLinux:8", `[{"introduced":"0"},{"fixed":"1.0 beta"}]`) + `]`, `BADV: affected[0].ranges[0]: events[1].fixed: version "1.0 beta" has the character ' '`, 1},
		{"bad epoch", `[` + good + `,` + rec("BADE", "AlmaLinux:8", `[{"introduced":"0"},{"fixed":"x:1.0-1"}]`) + `]`, `epoch before ':' must be a number`, 1},
		{"no id", `[{"affected":[]},` + good + `]`, "record 1: id: the record has no id", 1},
		{"no ranges", `[` + rec("NORANGE", "Rocky Linux:8", `[]`) + `,` + good + `]`, `NORANGE: affected[0].ranges[0]: the range has no "introduced" event`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, problems := ParseOSV(strings.NewReader(tc.input), "in.json")
			if len(problems) != 1 || !strings.Contains(problems[0].String(), tc.want) {
				t.Fatalf("problems %v, want one containing %q", problems, tc.want)
			}
			if !strings.HasPrefix(problems[0].String(), "in.json: ") {
				t.Errorf("problem %q does not name the file", problems[0])
			}
			if len(recs) != tc.good || (tc.good == 1 && recs[0].ID != "GOOD-1") {
				t.Errorf("%d good records kept, want %d", len(recs), tc.good)
			}
		})
	}

	update := func(id, pkg string) string {
		return `<update type="security"><id>` + id + `</id><release>Rocky Linux 8</release><pkglist><collection>` + pkg + `</collection></pkglist></update>`
	}
	okPkg := `<package name="zlib" epoch="0" version="1.2.11" release="25.el8" arch="x86_64"/>`
	for _, tc := range []struct {
		name, input, eco, want string
		good                   int
	}{
		{"bad XML after a good update", `<updates>` + update("U1", okPkg) + `<update type="security"><id>U2</id>`, "", "updateinfo.xml: update 2: bad XML", 1},
		{"bad version", `<updates>` + update("U1", okPkg) + update("U2", `<package name="zlib" version="1.2 11" release="1" arch="x86_64"/>`) + `</updates>`, "", `U2: pkglist package zlib: version "1.2 11-1"`, 1},
		{"unknown release", `<updates>` + strings.Replace(update("U3", okPkg), "Rocky Linux 8", "Plan 9", 1) + update("U1", okPkg) + `</updates>`, "", `U3: release: ecosystem "Plan:9" is not one`, 1},
		{"unknown ecosystem given", `<updates>` + update("U1", okPkg) + `</updates>`, "Gentoo", `ecosystem "Gentoo" is not one`, 0},
		{"not updateinfo", `<repomd></repomd>`, "", "root element is <repomd>", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, problems, _ := ParseUpdateinfo(strings.NewReader(tc.input), "updateinfo.xml", tc.eco)
			if len(problems) != 1 || !strings.Contains(problems[0].String(), tc.want) {
				t.Fatalf("problems %v, want one containing %q", problems, tc.want)
			}
			if len(recs) != tc.good {
				t.Errorf("%d good records kept, want %d", len(recs), tc.good)
			}
		})
	}

	for _, tc := range []struct{ name, input, want string }{
		{"bad JSON", `{"document":`, "bad JSON"},
		{"no id", `{"document":{"category":"csaf_vex","tracking":{}},"vulnerabilities":[{"cve":"CVE-1-1"}]}`, "document.tracking.id"},
		{"not a CVE", `{"document":{"category":"csaf_vex","tracking":{"id":"X"}},"vulnerabilities":[{"cve":"nope"}]}`, `vulnerabilities[0].cve "nope"`},
	} {
		t.Run("csaf "+tc.name, func(t *testing.T) {
			recs, problems := ParseCSAF(strings.NewReader(tc.input), "v.json")
			if len(recs) != 0 || len(problems) != 1 || !strings.Contains(problems[0].String(), tc.want) {
				t.Fatalf("records %d, problems %v; want one containing %q", len(recs), problems, tc.want)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct{ name, head, want string }{
		{"a.xml", "  <?xml version", FormatUpdateinfo},
		{"a.json", `{"document": {"csaf_version": "2.0"`, FormatCSAF},
		{"a.json", `{"id": "RLSA-1"`, FormatOSV},
		{"a.json", `[{"id": "RLSA-1"`, FormatOSV},
	} {
		if got := DetectFormat(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("DetectFormat(%q, %q) = %q, want %q", tc.name, tc.head, got, tc.want)
		}
	}
}
