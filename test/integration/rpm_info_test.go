//go:build integration

package integration

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/testutil"
)

// info is the JSON line of `smeforge rpm info --json`.
type info struct {
	File           string   `json:"file"`
	Name           string   `json:"name"`
	Epoch          *uint32  `json:"epoch"`
	Version        string   `json:"version"`
	Release        string   `json:"release"`
	Arch           string   `json:"arch"`
	Source         *bool    `json:"source"`
	License        string   `json:"license"`
	Summary        string   `json:"summary"`
	SourceRPM      string   `json:"source_rpm"`
	Requires       []string `json:"requires"`
	Provides       []string `json:"provides"`
	Conflicts      []string `json:"conflicts"`
	Obsoletes      []string `json:"obsoletes"`
	Recommends     []string `json:"recommends"`
	Suggests       []string `json:"suggests"`
	Supplements    []string `json:"supplements"`
	Enhances       []string `json:"enhances"`
	Files          []string `json:"files"`
	ChangelogCount *int     `json:"changelog_count"`
	Signature      *struct {
		KeyID     string `json:"key_id"`
		Algorithm string `json:"algorithm"`
	} `json:"signature"`
	SHA256      string `json:"sha256"`
	HeaderStart *int64 `json:"header_start"`
	HeaderEnd   *int64 `json:"header_end"`
}

// depKinds pairs each dependency field of smeforge's JSON with rpm's tag.
var depKinds = []struct {
	kind, tag string
	get       func(*info) []string
}{
	{"requires", "REQUIRENEVRS", func(i *info) []string { return i.Requires }},
	{"provides", "PROVIDENEVRS", func(i *info) []string { return i.Provides }},
	{"conflicts", "CONFLICTNEVRS", func(i *info) []string { return i.Conflicts }},
	{"obsoletes", "OBSOLETENEVRS", func(i *info) []string { return i.Obsoletes }},
	{"recommends", "RECOMMENDNEVRS", func(i *info) []string { return i.Recommends }},
	{"suggests", "SUGGESTNEVRS", func(i *info) []string { return i.Suggests }},
	{"supplements", "SUPPLEMENTNEVRS", func(i *info) []string { return i.Supplements }},
	{"enhances", "ENHANCENEVRS", func(i *info) []string { return i.Enhances }},
}

const sigQF = `%|RSAHEADER?{%{RSAHEADER:pgpsig}}:{%|DSAHEADER?{%{DSAHEADER:pgpsig}}:{%|SIGPGP?{%{SIGPGP:pgpsig}}:{%|SIGGPG?{%{SIGGPG:pgpsig}}:{(none)}|}|}|}|`

// rpmQF prints one "key<TAB>value" line per scalar and per array element.
func rpmQF() string {
	var b strings.Builder
	for _, s := range []string{"NAME", "EPOCHNUM", "VERSION", "RELEASE", "ARCH", "LICENSE", "SUMMARY", "SOURCERPM"} {
		b.WriteString(s + "\t%{" + s + "}\\n")
	}
	b.WriteString("SIG\t" + sigQF + "\\n")
	for _, d := range depKinds {
		b.WriteString("[" + d.kind + "\t%{" + d.tag + "}\\n]")
	}
	b.WriteString("[file\t%{FILENAMES}\\n]")
	b.WriteString("[changelog\t%{CHANGELOGTIME}\\n]")
	return b.String()
}

// rpmFacts is what rpm -qp says of one file, keyed as rpmQF prints it.
type rpmFacts map[string][]string

func (f rpmFacts) one(k string) string {
	if v := f[k]; len(v) == 1 {
		return v[0]
	}
	return "<missing>"
}

func queryRPM(t *testing.T, file string) rpmFacts {
	t.Helper()
	out := mustRun(t, "rpm", "-qp", "--nosignature", "--nodigest", "--qf", rpmQF(), file)
	f := rpmFacts{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("rpm -qp %s: unexpected line %q (a value with a newline?)", file, line)
		}
		f[k] = append(f[k], v)
	}
	return f
}

var sigRE = regexp.MustCompile(`^([A-Za-z0-9]+/[A-Za-z0-9]+), .*, Key ID ([0-9a-f]+)$`)

// rpmInfoJSON runs `smeforge rpm info --json` on files and returns the
// objects by file name.
func rpmInfoJSON(t *testing.T, files []string) map[string]*info {
	t.Helper()
	r := smeforge(t, append([]string{"rpm", "info", "--json"}, files...)...)
	assertNoPanic(t, r)
	if r.code != 0 {
		t.Fatalf("smeforge rpm info --json: exit %d\n%s", r.code, r.stderr)
	}
	out := map[string]*info{}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	for dec.More() {
		var i info
		if err := dec.Decode(&i); err != nil {
			t.Fatalf("decoding smeforge rpm info --json output: %v", err)
		}
		out[i.File] = &i
	}
	if len(out) != len(files) {
		t.Fatalf("smeforge rpm info --json printed %d objects for %d files", len(out), len(files))
	}
	if lines := strings.Count(r.stdout, "\n"); lines != len(files) {
		t.Errorf("smeforge rpm info --json printed %d lines for %d files, want one per file", lines, len(files))
	}
	return out
}

// TestRPMInfoMatchesRPM compares `smeforge rpm info --json` with rpm -qp
// for every RPM and SRPM of the shared test data and for generated
// packages that carry weak and rich dependencies, ghosts and epochs.
func TestRPMInfoMatchesRPM(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "rpm")
	testutil.RequireTool(t, "sha256sum")
	shared := sharedRPMs(t)
	generated := writeGenerated(t, t.TempDir())
	files := append(shared, generated...)
	infos := rpmInfoJSON(t, files)

	for i, file := range files {
		name := filepath.Base(filepath.Dir(file)) + "/" + filepath.Base(file)
		if i >= len(shared) {
			name = "generated/" + filepath.Base(file)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := infos[file]
			if got == nil {
				t.Fatalf("no JSON object with file %q", file)
			}
			want := queryRPM(t, file)
			compareInfo(t, file, got, want)
		})
	}
}

func compareInfo(t *testing.T, file string, got *info, want rpmFacts) {
	t.Helper()
	for _, c := range []struct{ field, got, tag string }{
		{"name", got.Name, "NAME"},
		{"version", got.Version, "VERSION"},
		{"release", got.Release, "RELEASE"},
		{"arch", got.Arch, "ARCH"},
		{"license", got.License, "LICENSE"},
		{"summary", got.Summary, "SUMMARY"},
	} {
		if c.got != want.one(c.tag) {
			t.Errorf("%s: smeforge %q, rpm %%{%s} %q", c.field, c.got, c.tag, want.one(c.tag))
		}
	}
	if got.Epoch == nil {
		t.Errorf("epoch missing from the JSON")
	} else if e := strconv.FormatUint(uint64(*got.Epoch), 10); e != want.one("EPOCHNUM") {
		t.Errorf("epoch: smeforge %s, rpm %%{EPOCHNUM} %s", e, want.one("EPOCHNUM"))
	}
	wantSrc := want.one("SOURCERPM")
	if wantSrc == "(none)" {
		wantSrc = ""
	}
	if got.SourceRPM != wantSrc {
		t.Errorf("source_rpm: smeforge %q, rpm %q", got.SourceRPM, wantSrc)
	}
	if got.Source == nil || *got.Source != (wantSrc == "") {
		t.Errorf("source: smeforge %v, want %v (rpm's SOURCERPM is %q)", got.Source, wantSrc == "", want.one("SOURCERPM"))
	}
	for _, d := range depKinds {
		if diff := diffStrings(nonNil(d.get(got)), nonNil(want[d.kind])); diff != "" {
			t.Errorf("%s differ from rpm %%{%s} (order matters): %s", d.kind, d.tag, diff)
		}
	}
	if diff := diffStrings(nonNil(got.Files), nonNil(want["file"])); diff != "" {
		t.Errorf("files differ from rpm %%{FILENAMES}: %s", diff)
	}
	if got.ChangelogCount == nil || *got.ChangelogCount != len(want["changelog"]) {
		t.Errorf("changelog_count: smeforge %v, rpm has %d CHANGELOGTIME entries", deref(got.ChangelogCount), len(want["changelog"]))
	}

	sig := want.one("SIG")
	if sig == "(none)" {
		if got.Signature != nil {
			t.Errorf("signature: smeforge %+v, rpm says unsigned", *got.Signature)
		}
	} else {
		m := sigRE.FindStringSubmatch(sig)
		if m == nil {
			t.Fatalf("cannot parse rpm's signature line %q", sig)
		}
		switch {
		case got.Signature == nil:
			t.Errorf("signature: smeforge null, rpm %q", sig)
		case got.Signature.KeyID != m[2] || got.Signature.Algorithm != m[1]:
			t.Errorf("signature: smeforge key %s %s, rpm key %s %s", got.Signature.KeyID, got.Signature.Algorithm, m[2], m[1])
		}
	}

	sum, _, _ := strings.Cut(mustRun(t, "sha256sum", file), " ")
	if got.SHA256 != sum {
		t.Errorf("sha256: smeforge %s, sha256sum %s", got.SHA256, sum)
	}

	// The header range is checked against the file itself: a header
	// structure starts at header_start and its intro gives its length.
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got.HeaderStart == nil || got.HeaderEnd == nil {
		t.Fatalf("header_start/header_end missing from the JSON")
	}
	hs, he := *got.HeaderStart, *got.HeaderEnd
	if hs < 96+16 || hs+16 > int64(len(b)) || !bytes.Equal(b[hs:hs+4], []byte{0x8e, 0xad, 0xe8, 0x01}) {
		t.Fatalf("header_start %d does not point at a header magic 8e ad e8 01", hs)
	}
	nindex := int64(binary.BigEndian.Uint32(b[hs+8:]))
	hsize := int64(binary.BigEndian.Uint32(b[hs+12:]))
	if end := hs + 16 + 16*nindex + hsize; he != end {
		t.Errorf("header_end %d, the header at %d has %d index entries and %d data bytes: ends at %d", he, hs, nindex, hsize, end)
	}
	// The signature header follows the 96-byte lead and is padded to 8.
	sigIndex := int64(binary.BigEndian.Uint32(b[96+8:]))
	sigSize := int64(binary.BigEndian.Uint32(b[96+12:]))
	sigEnd := 96 + 16 + 16*sigIndex + sigSize
	if pad := (8 - sigEnd%8) % 8; hs != sigEnd+pad {
		t.Errorf("header_start %d, but the signature header ends at %d (+%d padding)", hs, sigEnd, pad)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
