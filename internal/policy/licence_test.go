package policy

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/testutil"
)

// TestCheckLicenceRealPackages judges the License tags of the real
// packages in ../shared/testdata: SME Server's own (GPL, Artistic) and
// CentOS / EPEL release packages (GPL, GPLv2).
func TestCheckLicenceRealPackages(t *testing.T) {
	dir := testutil.SharedTestdata(t)
	want := map[string]string{ // file -> SPDX; all of them are allowed
		"sme/rpms/e-smith-devtools-1.14.0-01.noarch.rpm":            "GPL-1.0-or-later",
		"sme/rpms/e-smith-lib-1.16.0-10.noarch.rpm":                 "Artistic-1.0-Perl",
		"sme/rpms/smeserver-lib-11.0.0-24.noarch.rpm":               "Artistic-1.0-Perl",
		"sme/rpms/smeserver-release-8.0-0.beta6.noarch.rpm":         "GPL-1.0-or-later",
		"sme/rpms/smeserver-yum-1.2.0-56.noarch.rpm":                "GPL-1.0-or-later",
		"sme/srpms/e-smith-base-4.16.0-39.src.rpm":                  "GPL-1.0-or-later",
		"sme/srpms/e-smith-base-4.18.1-21.src.rpm":                  "GPL-1.0-or-later",
		"sme/srpms/e-smith-devtools-1.14.0-01.src.rpm":              "GPL-1.0-or-later",
		"sme/srpms/e-smith-lib-1.16.0-10.src.rpm":                   "Artistic-1.0-Perl",
		"sme/srpms/smeserver-lib-11.0.0-24.src.rpm":                 "Artistic-1.0-Perl",
		"sme/srpms/smeserver-release-8.0-0.beta6.src.rpm":           "GPL-1.0-or-later",
		"sme/srpms/smeserver-yum-1.2.0-02.src.rpm":                  "GPL-1.0-or-later",
		"sme/srpms/smeserver-yum-1.2.0-56.src.rpm":                  "GPL-1.0-or-later",
		"signed/centos-release-5-0.0.el5.centos.2.x86_64.rpm":       "GPL-1.0-or-later",
		"signed/centos-release-6-0.el6.centos.5.x86_64.rpm":         "GPL-2.0-only",
		"signed/centos-release-7-2.1511.el7.centos.2.10.x86_64.rpm": "GPL-2.0-only",
		"signed/epel-release-7-5.noarch.rpm":                        "GPL-2.0-only",
	}
	p := Default()
	seen := 0
	for _, pattern := range []string{"sme/*/*.rpm", "signed/*.rpm"} {
		for _, f := range testutil.Glob(t, filepath.Join(dir, pattern)) {
			rel, _ := filepath.Rel(dir, f)
			rel = filepath.ToSlash(rel)
			pkg, err := rpm.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			v := p.CheckLicence(pkg.License)
			w, known := want[rel]
			if !known {
				t.Errorf("%s (License: %q) is new in the shared test data: add it here; verdict %+v", rel, pkg.License, v)
				continue
			}
			seen++
			if !v.OK || v.SPDX != w {
				t.Errorf("%s: License %q = %+v, want OK with %q", rel, pkg.License, v, w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("judged %d packages, want %d", seen, len(want))
	}
}

func TestCheckLicence(t *testing.T) {
	for _, tc := range []struct {
		tag      string
		ok       bool
		spdx     string
		problems []string // substrings, in order
	}{
		// Fedora names, alone.
		{tag: "GPL", ok: true, spdx: "GPL-1.0-or-later"},
		{tag: "GPLv2", ok: true, spdx: "GPL-2.0-only"},
		{tag: "GPLv2+", ok: true, spdx: "GPL-2.0-or-later"},
		{tag: "GPLv3+", ok: true, spdx: "GPL-3.0-or-later"},
		{tag: "LGPLv2+", ok: true, spdx: "LGPL-2.0-or-later"},
		{tag: "ASL 2.0", ok: true, spdx: "Apache-2.0"},
		{tag: "BSD", ok: true, spdx: "BSD-3-Clause"},
		{tag: "Artistic 2.0", ok: true, spdx: "Artistic-2.0"},
		{tag: "Public Domain", ok: true, spdx: "LicenseRef-Fedora-Public-Domain"},
		{tag: "Copyright only", ok: true, spdx: "LicenseRef-Fedora-UltraPermissive"},
		{tag: "zlib", ok: true, spdx: "Zlib"},
		{tag: "Boost", ok: true, spdx: "BSL-1.0"},
		{tag: "gplv2+", ok: true, spdx: "GPL-2.0-or-later"}, // names match ignoring case
		{tag: "  GPLv2+\t", ok: true, spdx: "GPL-2.0-or-later"},
		{tag: "GPL+ or Artistic", ok: true, spdx: "GPL-1.0-or-later OR Artistic-1.0-Perl"},
		// Fedora expressions.
		{tag: "MIT and BSD", ok: true, spdx: "MIT AND BSD-3-Clause"},
		{tag: "GPLv2+ or Artistic", ok: true, spdx: "GPL-2.0-or-later OR Artistic-1.0-Perl"},
		{tag: "(GPLv2+ or Artistic) and MIT", ok: true, spdx: "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND MIT"},
		{tag: "(GPL+ or Artistic) and (MIT or ISC)", ok: true, spdx: "(GPL-1.0-or-later OR Artistic-1.0-Perl) AND (MIT OR ISC)"},
		{tag: "GPLv2 and LGPLv2+ and Public Domain", ok: true, spdx: "GPL-2.0-only AND LGPL-2.0-or-later AND LicenseRef-Fedora-Public-Domain"},
		{tag: "MIT or GPLv2 and BSD", ok: true, spdx: "MIT OR (GPL-2.0-only AND BSD-3-Clause)"}, // AND binds tighter
		{tag: "((MIT))", ok: true, spdx: "MIT"},
		{tag: "MIT and (BSD and ISC)", ok: true, spdx: "MIT AND BSD-3-Clause AND ISC"},
		// SPDX.
		{tag: "MIT", ok: true, spdx: "MIT"},
		{tag: "mit", ok: true, spdx: "MIT"},
		{tag: "GPL-2.0-or-later AND MIT", ok: true, spdx: "GPL-2.0-or-later AND MIT"},
		{tag: "GPL-2.0-or-later WITH Classpath-exception-2.0", ok: true, spdx: "GPL-2.0-or-later WITH Classpath-exception-2.0"},
		{tag: "GPL-2.0+", ok: true, spdx: "GPL-2.0-or-later"}, // deprecated id, read as today's
		{tag: "Apache-2.0+", ok: true, spdx: "Apache-2.0+"},
		{tag: "LicenseRef-Fedora-Public-Domain", ok: true, spdx: "LicenseRef-Fedora-Public-Domain"},
		{tag: "GPLv2+ WITH Font-exception-2.0", ok: true, spdx: "GPL-2.0-or-later WITH Font-exception-2.0"},
		// Not allowed.
		{tag: "GPL-2.0-only AND JSON", spdx: "GPL-2.0-only AND JSON",
			problems: []string{`"GPL-2.0-only" is allowed but "JSON" is not`}},
		{tag: "JSON", spdx: "JSON", problems: []string{`"JSON" is not allowed`}},
		{tag: "MIT and JSON and SSPL-1.0", spdx: "MIT AND JSON AND SSPL-1.0",
			problems: []string{`"MIT" is allowed but "JSON" and "SSPL-1.0" are not`}},
		{tag: "JSON or SSPL-1.0", spdx: "JSON OR SSPL-1.0",
			problems: []string{`neither "JSON" nor "SSPL-1.0" is allowed`}},
		{tag: "JSON or SSPL-1.0 or BUSL-1.1", spdx: "JSON OR SSPL-1.0 OR BUSL-1.1",
			problems: []string{`none of "JSON", "SSPL-1.0" or "BUSL-1.1" is allowed`}},
		{tag: "MIT and (JSON or SSPL-1.0)", spdx: "MIT AND (JSON OR SSPL-1.0)",
			problems: []string{`"MIT" is allowed but "JSON OR SSPL-1.0" is not`, `neither "JSON" nor "SSPL-1.0" is allowed`}},
		{tag: "BSD with advertising", spdx: "BSD-4-Clause", problems: []string{`"BSD-4-Clause" is not allowed`}},
		{tag: "Redistributable, no modification permitted", spdx: "LicenseRef-Fedora-Firmware",
			problems: []string{`"LicenseRef-Fedora-Firmware" is not allowed`}},
		// Not understood.
		{tag: "Proprietary", problems: []string{`"Proprietary" is not a known licence name`}},
		{tag: "Foo License", problems: []string{`"Foo License" is not a known licence name`}},
		{tag: "GPLv2+ and Foo License", problems: []string{`"Foo License" is not a known licence name`}},
		{tag: "Foo or Bar", problems: []string{`"Foo" is not a known licence name`, `"Bar" is not a known licence name`}},
		{tag: "GPLv2+ with exceptions", problems: []string{`"GPLv2+ with exceptions" does not say which exception`}},
		{tag: "GPL-2.0-only WITH Nonsense-exception", problems: []string{`"Nonsense-exception" is not a known SPDX licence exception`}},
		{tag: "(MIT and BSD) WITH Classpath-exception-2.0", problems: []string{`"WITH Classpath-exception-2.0" follows ")" without "and" or "or"`}},
		{tag: "GPL/BSD", problems: []string{`"GPL/BSD" is not a known licence name`}},
		{tag: "", problems: []string{"the licence tag is empty"}},
		{tag: "   ", problems: []string{"the licence tag is empty"}},
		{tag: "and", problems: []string{`"and" has no licence before it`}},
		{tag: "MIT and", problems: []string{`"and" at the end has no licence after it`}},
		{tag: "MIT or or BSD", problems: []string{`"or" has no licence before it`}},
		{tag: "(MIT", problems: []string{`a "(" is not closed`}},
		{tag: "MIT)", problems: []string{`a ")" has no "(" before it`}},
		{tag: "()", problems: []string{`a ")" has no licence before it`}},
		{tag: "(MIT) BSD", problems: []string{`"BSD" follows ")" without "and" or "or" between them`}},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			v := Default().CheckLicence(tc.tag)
			if v.OK != tc.ok || v.SPDX != tc.spdx {
				t.Errorf("CheckLicence(%q) = %+v; want OK=%v SPDX=%q", tc.tag, v, tc.ok, tc.spdx)
			}
			if v.OK != (len(v.Problems) == 0) {
				t.Errorf("OK=%v with problems %q", v.OK, v.Problems)
			}
			if len(v.Problems) != len(tc.problems) {
				t.Fatalf("problems %q, want %q", v.Problems, tc.problems)
			}
			for i, want := range tc.problems {
				if !strings.Contains(v.Problems[i], want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, v.Problems[i], want)
				}
			}
		})
	}
}

// TestLicenceAllowedRules checks how a policy's own allowed list is read:
// whole expressions, "or later" versions, "+" and exceptions.
func TestLicenceAllowedRules(t *testing.T) {
	p := &Policy{Licences: Licences{
		Allowed: []string{"GPL-3.0-only", "LGPL-2.1-only", "Apache-2.0", "GPL-1.0-or-later OR Artistic-1.0-Perl"},
		Legacy:  map[string]string{"GPL+ or Artistic": "GPL-1.0-or-later OR Artistic-1.0-Perl", "GPLv2+": "GPL-2.0-or-later"},
	}}
	for _, tc := range []struct {
		tag string
		ok  bool
	}{
		{"GPL-2.0-or-later", true},   // may be taken as GPL-3.0-only
		{"GPLv2+", true},             // same, through the legacy table
		{"GPL-3.0-or-later", true},   // GPL-3.0-only is a choice it offers
		{"GPL-2.0-only", false},      // no choice of a later version
		{"AGPL-3.0-or-later", false}, // another family
		{"LGPL-2.0-or-later", true},  // LGPL-2.1-only is later
		{"LGPL-3.0-or-later", false}, // only 3.0 and up: LGPL-2.1-only is earlier
		{"Apache-2.0 WITH LLVM-exception", true},
		{"Apache-2.0+", true},
		{"GPL+ or Artistic", true}, // the whole expression is allowed
		{"Artistic-1.0-Perl OR GPL-1.0-or-later", true},
		{"Artistic-1.0-Perl", false}, // but not Artistic alone
		{"GPL-1.0-or-later", true},   // GPL-3.0-only is a later version
		{"(GPL-1.0-or-later OR Artistic-1.0-Perl) AND Apache-2.0", true},
	} {
		if v := p.CheckLicence(tc.tag); v.OK != tc.ok {
			t.Errorf("CheckLicence(%q) = %+v, want OK=%v", tc.tag, v, tc.ok)
		}
	}
}

func TestBuiltinLegacyTable(t *testing.T) {
	rows := BuiltinLegacyLicences()
	if len(rows) < 80 {
		t.Errorf("the built-in table has %d names, want the ~80 common ones", len(rows))
	}
	p := Default()
	for _, r := range rows {
		if _, probs := parseStrictSPDX(r.SPDX); len(probs) > 0 {
			t.Errorf("licences.tsv: %q -> %q: %v", r.Name, r.SPDX, probs)
		}
		if v := p.CheckLicence(r.Name); v.SPDX != r.SPDX {
			t.Errorf("CheckLicence(%q).SPDX = %q, want %q", r.Name, v.SPDX, r.SPDX)
		}
	}
	for _, name := range []string{"GPL", "GPLv2", "GPLv2+", "LGPLv2+", "ASL 2.0", "MIT", "BSD", "GPL+ or Artistic", "Public Domain",
		"MPLv2.0", "Python", "PHP", "zlib", "OpenSSL", "Artistic 2.0", "GFDL", "CC-BY-SA", "ISC", "Boost", "Copyright only"} {
		if !slices.ContainsFunc(rows, func(r LegacyLicence) bool { return r.Name == name }) {
			t.Errorf("the built-in table lacks %q", name)
		}
	}
	i := slices.IndexFunc(rows, func(r LegacyLicence) bool { return r.Name == "BSD" })
	if i < 0 || !strings.Contains(rows[i].Note, "ambiguous") {
		t.Error(`the table must say that Fedora's "BSD" is ambiguous`)
	}
}

func TestParseLegacyTable(t *testing.T) {
	for _, tc := range []struct {
		text    string
		rows    int
		wantErr string
	}{
		{text: "# comment\n\nGPL\tGPL-1.0-or-later\nBSD\tBSD-3-Clause\tambiguous\n", rows: 2},
		{text: "GPL GPL-1.0-or-later\n", wantErr: "line 1"},
		{text: "A\tMIT\nB\tMIT\nA\tISC\n", wantErr: `line 3: "A" is already mapped on line 1`},
		{text: "a\tMIT\nA\tISC\n", wantErr: "already mapped"},
		{text: "A\tMIT\tnote\textra\n", wantErr: "line 1"},
	} {
		rows, err := parseLegacyTable(tc.text)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseLegacyTable(%q) = %v, want error %q", tc.text, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(rows) != tc.rows {
			t.Errorf("parseLegacyTable(%q) = %v, %v", tc.text, rows, err)
		}
	}
}

func BenchmarkCheckLicence(b *testing.B) {
	p := Default()
	for b.Loop() {
		p.CheckLicence("(GPLv2+ or Artistic) and MIT")
	}
}

func BenchmarkLicenceCheckerCheck(b *testing.B) {
	c := Default().LicenceChecker()
	for b.Loop() {
		c.Check("(GPLv2+ or Artistic) and MIT")
	}
}
