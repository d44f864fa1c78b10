//go:build integration

package integration

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/testutil"
)

// layout is where the parts of an RPM file start, found by reading the
// file's own structure (not smeforge's opinion of it).
type layout struct {
	sigStart, sigData int // signature header intro, and its data store
	hdrStart, hdrData int // main header intro, and its data store
	payload, size     int
}

func rpmLayout(t *testing.T, b []byte) layout {
	t.Helper()
	var l layout
	l.size = len(b)
	l.sigStart = 96
	n := int(binary.BigEndian.Uint32(b[l.sigStart+8:]))
	l.sigData = l.sigStart + 16 + 16*n
	end := l.sigData + int(binary.BigEndian.Uint32(b[l.sigStart+12:]))
	l.hdrStart = end + (8-end%8)%8
	if !bytes.Equal(b[l.hdrStart:l.hdrStart+4], []byte{0x8e, 0xad, 0xe8, 0x01}) {
		t.Fatalf("generated RPM: no header magic at %d", l.hdrStart)
	}
	n = int(binary.BigEndian.Uint32(b[l.hdrStart+8:]))
	l.hdrData = l.hdrStart + 16 + 16*n
	l.payload = l.hdrData + int(binary.BigEndian.Uint32(b[l.hdrStart+12:]))
	if l.payload >= l.size {
		t.Fatalf("generated RPM: payload offset %d beyond the file's %d bytes", l.payload, l.size)
	}
	return l
}

// TestRPMInfoBadInput feeds `smeforge rpm info` broken files: each must be
// refused with a non-zero exit and a message that names the file and says
// what is wrong, never with a Go panic.
func TestRPMInfoBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var good bytes.Buffer
	err := corpus.WriteRPM(&good, corpus.PackageSpec{
		Name: "it-broken", Version: "1.0", Release: "1", Summary: "to be broken", License: "MIT",
		Requires: []string{"it-base >= 1.0"}, Recommends: []string{"it-extra"},
		Files:     []corpus.File{{Path: "/usr/share/it-broken/data", Content: bytes.Repeat([]byte("payload "), 4096)}},
		Changelog: []corpus.ChangelogEntry{{Time: base, Author: "A <a@example.org> - 1.0-1", Text: "- first"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := good.Bytes()
	l := rpmLayout(t, b)

	cut := func(n int) []byte { return bytes.Clone(b[:n]) }
	patch32 := func(off int, v uint32) []byte {
		c := bytes.Clone(b)
		binary.BigEndian.PutUint32(c[off:], v)
		return c
	}
	const (
		notRPM    = `(?i)not an rpm|lead|magic`
		truncated = `(?i)truncat|too short|unexpected end|EOF`
		index     = `(?i)index|count|entries`
		dataSize  = `(?i)data size|size|exceeds|limit|too large|truncat`
	)
	cases := []struct {
		name string
		data []byte
		want string // a regular expression the message must match
	}{
		{"text-file", []byte(strings.Repeat("this is not an rpm\n", 20)), notRPM},
		{"empty", nil, notRPM + `|empty|truncat`},
		{"short-text", []byte("hello"), notRPM + `|truncat|short`},
		{"truncated-in-lead", cut(50), notRPM + `|truncat|short`},
		{"truncated-in-signature-intro", cut(l.sigStart + 8), truncated},
		{"truncated-in-signature-index", cut(l.sigStart + 16 + 5), truncated},
		{"truncated-in-signature-data", cut(l.sigData + 3), truncated},
		{"truncated-in-signature-padding", cut(l.hdrStart - 1), truncated},
		{"truncated-at-header-start", cut(l.hdrStart), truncated},
		{"truncated-in-header-intro", cut(l.hdrStart + 10), truncated},
		{"truncated-in-header-index", cut(l.hdrStart + 16 + 21), truncated},
		{"truncated-in-header-data", cut(l.hdrData + 10), truncated},
		{"truncated-at-payload-start", cut(l.payload), truncated},
		{"truncated-in-payload", cut(l.payload + (l.size-l.payload)/2), truncated},
		{"truncated-last-byte", cut(l.size - 1), truncated},
		{"header-index-count-ffffffff", patch32(l.hdrStart+8, 0xffffffff), index},
		{"header-data-size-2^31", patch32(l.hdrStart+12, 1<<31), dataSize},
		{"header-data-size-ffffffff", patch32(l.hdrStart+12, 0xffffffff), dataSize},
		{"signature-index-count-ffffffff", patch32(l.sigStart+8, 0xffffffff), index},
		{"signature-data-size-2^31", patch32(l.sigStart+12, 1<<31), dataSize},
		{"header-index-count-0", patch32(l.hdrStart+8, 0), index},
		{"header-bad-magic", patch32(l.hdrStart, 0xdeadbeef), `(?i)magic|header`},
		{"lead-bad-magic", patch32(0, 0x7f454c46), notRPM},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(dir, c.name+".rpm")
			if err := os.WriteFile(f, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"rpm", "info", f}, {"rpm", "info", "--json", f}} {
				r := smeforge(t, args...)
				assertNoPanic(t, r)
				if r.code == 0 {
					t.Errorf("smeforge %s: exit 0 for a broken file; stdout:\n%s", strings.Join(args, " "), r.stdout)
					continue
				}
				if !strings.Contains(r.stderr, f) {
					t.Errorf("smeforge %s: stderr does not name the file %s:\n%s", strings.Join(args, " "), f, r.stderr)
				}
				if !regexp.MustCompile(c.want).MatchString(r.stderr) {
					t.Errorf("smeforge %s: stderr does not say what is wrong (want %s):\n%s", strings.Join(args, " "), c.want, r.stderr)
				}
				if args[2] == "--json" && strings.TrimSpace(r.stdout) != "" {
					t.Errorf("smeforge %s: printed JSON for a broken file:\n%s", strings.Join(args, " "), r.stdout)
				}
			}
		})
	}

	// One good and one broken file: the good one is still reported, the
	// exit status says something failed.
	t.Run("good-and-broken", func(t *testing.T) {
		t.Parallel()
		gf, bf := filepath.Join(dir, "good.rpm"), filepath.Join(dir, "broken.rpm")
		if err := os.WriteFile(gf, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bf, b[:l.hdrData+10], 0o644); err != nil {
			t.Fatal(err)
		}
		r := smeforge(t, "rpm", "info", "--json", bf, gf)
		assertNoPanic(t, r)
		if r.code == 0 {
			t.Errorf("exit 0 although %s is broken", bf)
		}
		if n := strings.Count(r.stdout, "\n"); n != 1 || !strings.Contains(r.stdout, `"name":"it-broken"`) {
			t.Errorf("want exactly the good file's JSON line on stdout, got:\n%s", r.stdout)
		}
		if !strings.Contains(r.stderr, bf) || strings.Contains(r.stderr, gf+":") {
			t.Errorf("stderr should name the broken file only:\n%s", r.stderr)
		}
	})

	// Every index entry of both headers given an impossible offset, count
	// or type: smeforge may accept a file whose damage does not matter to
	// it, but it must never panic, and every file is either read or named
	// in an error.
	t.Run("corrupt-index-entries", func(t *testing.T) {
		t.Parallel()
		sub := filepath.Join(dir, "entries")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		var files []string
		add := func(name string, data []byte) {
			f := filepath.Join(sub, name+".rpm")
			if err := os.WriteFile(f, data, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		for _, h := range []struct {
			name        string
			start, data int
		}{{"sig", l.sigStart, l.sigData}, {"hdr", l.hdrStart, l.hdrData}} {
			n := (h.data - h.start - 16) / 16
			dsize := uint32(binary.BigEndian.Uint32(b[h.start+12:]))
			for i := 0; i < n; i++ {
				e := h.start + 16 + 16*i
				for _, m := range []struct {
					what string
					off  int
					v    uint32
				}{
					{"type-ff", e + 4, 0xff},
					{"offset-ffffffff", e + 8, 0xffffffff},
					{"offset-end", e + 8, dsize - 1},
					{"offset-size", e + 8, dsize},
					{"count-ffffffff", e + 12, 0xffffffff},
					{"count-0", e + 12, 0},
				} {
					add(h.name+"-"+strconv.Itoa(i)+"-"+m.what, patch32(m.off, m.v))
				}
			}
		}
		// A data store whose last string loses its terminating NUL.
		c := bytes.Clone(b)
		c[l.payload-1] = 'x'
		add("hdr-data-no-nul", c)

		r := smeforge(t, append([]string{"rpm", "info", "--json"}, files...)...)
		assertNoPanic(t, r)
		if strings.Contains(r.stderr, "panic") {
			// Find the culprits one by one for the report.
			for _, f := range files {
				if r1 := smeforge(t, "rpm", "info", f); strings.Contains(r1.stderr, "panic") {
					t.Errorf("%s: panic:\n%s", filepath.Base(f), firstLines(r1.stderr, 8))
				}
			}
			return
		}
		accepted := map[string]bool{}
		for _, f := range files {
			accepted[f] = strings.Contains(r.stdout, `"file":"`+f+`"`)
			if !accepted[f] && !strings.Contains(r.stderr, f+":") {
				t.Errorf("%s: neither read nor named in an error", filepath.Base(f))
			}
		}
		// rpm is the oracle of what is an RPM at all: a file rpm refuses
		// even without digest and signature checks must not be accepted
		// by smeforge either (it would be ingested and then fail in dnf).
		testutil.RequireTool(t, "rpm")
		rr := run(t, nil, "rpm", append([]string{"-qp", "--nosignature", "--nodigest", "--qf", "%{NAME}\\n"}, files...)...)
		for _, f := range files {
			rpmRefuses := strings.Contains(rr.stderr, "error: "+f+":")
			if rpmRefuses && accepted[f] {
				t.Errorf("%s: rpm refuses it (%s) but smeforge rpm info accepts it", filepath.Base(f), rpmError(rr.stderr, f))
			}
		}
	})

	t.Run("missing-file", func(t *testing.T) {
		t.Parallel()
		f := filepath.Join(dir, "does-not-exist.rpm")
		r := smeforge(t, "rpm", "info", f)
		assertNoPanic(t, r)
		if r.code == 0 || !strings.Contains(r.stderr, f) {
			t.Errorf("missing file: exit %d, stderr %q; want non-zero and the file named", r.code, r.stderr)
		}
	})
}

// TestVercmp checks `smeforge rpm vercmp`: usage errors exit 2, and known
// pairs print what rpm's own rpm.vercmp prints.
func TestVercmp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"1.0"}, {"1.0", "2.0", "3.0"}} {
		r := smeforge(t, append([]string{"rpm", "vercmp"}, args...)...)
		assertNoPanic(t, r)
		if r.code != 2 {
			t.Errorf("vercmp %q: exit %d, want 2 (usage error); stderr %q", args, r.code, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("vercmp %q: printed %q on stdout for a usage error", args, r.stdout)
		}
	}
	pairs := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "2.0", -1},
		{"2.0", "1.0", 1},
		{"2.0", "1.10", 1},
		{"1.10", "1.9", 1},
		{"1.01", "1.1", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1", "1.0~rc2", -1},
		{"1.0^", "1.0", 1},
		{"1.0^git1", "1.0.1", -1},
		{"1.0a", "1.0", 1},
		{"a", "1", -1},
		{"1.0", "1_0", 0},
		{"el7", "el8", -1},
		{"0.beta6", "0.beta10", -1},
	}
	// rpm's Lua rpm.vercmp is a second oracle when rpm is there; the
	// expected values above stand on their own without it.
	_, err := exec.LookPath("rpm")
	hasRPM := err == nil
	if testutil.InCI() {
		testutil.RequireTool(t, "rpm")
		hasRPM = true
	}
	for _, p := range pairs {
		t.Run(p.a+"_vs_"+p.b, func(t *testing.T) {
			t.Parallel()
			r := smeforge(t, "rpm", "vercmp", p.a, p.b)
			assertNoPanic(t, r)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := strings.TrimSpace(r.stdout)
			if got != strconv.Itoa(p.want) {
				t.Errorf("vercmp %s %s = %s, want %d", p.a, p.b, got, p.want)
			}
			if hasRPM {
				oracle := strings.TrimSpace(mustRun(t, "rpm", "--eval", `%{lua:print(rpm.vercmp("`+p.a+`","`+p.b+`"))}`))
				if got != oracle {
					t.Errorf("vercmp %s %s = %s, rpm.vercmp says %s", p.a, p.b, got, oracle)
				}
			}
		})
	}
}

// rpmError returns rpm's first error line about file.
func rpmError(stderr, file string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "error: "+file+":") {
			return strings.TrimPrefix(line, "error: "+file+": ")
		}
	}
	return ""
}
