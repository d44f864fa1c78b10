package policy

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("the built-in policy does not validate:\n%v", err)
	}
}

// TestDefaultFollowsTheSeed checks the rules the SME development policy
// states in words, so that a change to Default that breaks one is seen.
func TestDefaultFollowsTheSeed(t *testing.T) {
	p := Default()
	var names []string
	for _, c := range p.Categories {
		names = append(names, c.Name)
	}
	if want := []string{"base", "infra", "core", "addons", "test", "dev"}; !slices.Equal(names, want) {
		t.Errorf("categories %v, want %v (lowest level first)", names, want)
	}
	for _, tc := range []struct {
		name       string
		protected  bool
		monitoring string
		signed     bool
	}{
		{"base", true, MonitorFull, false}, // never rebuilt: keeps upstream signatures
		{"infra", true, MonitorFull, true},
		{"core", true, MonitorFull, true},
		{"addons", false, MonitorBestEffort, false},
		{"test", false, MonitorNone, false},
		{"dev", false, MonitorNone, false},
	} {
		c, ok := p.Category(tc.name)
		if !ok || c.Protected != tc.protected || c.Monitoring != tc.monitoring || c.Signed != tc.signed {
			t.Errorf("category %s = %+v, want protected=%v monitoring=%s signed=%v", tc.name, c, tc.protected, tc.monitoring, tc.signed)
		}
	}
	if p.NewBuildCategory != "dev" {
		t.Errorf("new builds start in %q, want dev", p.NewBuildCategory)
	}
	clients := map[string]string{"os": "smeos", "updates": "smeupdates", "updates-testing": "smeupdates-testing",
		"addons": "smeaddons", "test": "smetest", "dev": "smedev"}
	for name, client := range clients {
		c, ok := p.Channel(name)
		if !ok || c.ClientName != client {
			t.Errorf("channel %s: client name %q, want %q", name, c.ClientName, client)
		}
		if c.FrozenAtFinal != (name == "os") {
			t.Errorf("channel %s: frozen_at_final = %v", name, c.FrozenAtFinal)
		}
		if c.RequireSigned != (name == "os" || name == "updates") {
			t.Errorf("channel %s: require_signed = %v", name, c.RequireSigned)
		}
	}
	if !p.Accepts("os", "base") || p.Accepts("addons", "core") || !p.Accepts("dev", "dev") {
		t.Error("channel acceptance does not follow the categories")
	}
	// smedev -> smeaddons passes through smetest with the seed's five checks.
	toAddons, ok := p.Promotion("test", "addons")
	if !ok {
		t.Fatal("no test -> addons promotion")
	}
	for _, g := range []string{GateRPMAndSRPM, GateTested, GateLicence, GateMaintainer, GateFork} {
		if !slices.Contains(toAddons.Gates, g) {
			t.Errorf("test -> addons lacks gate %s", g)
		}
	}
	if toAddons.AllowForkAgreement {
		t.Error("test -> addons: the seed allows no fork on the way to smeaddons")
	}
	// smeaddons -> smecore, or directly into smecore: all of that, and a
	// fork only when agreed in advance by core developers and the DM.
	for _, from := range []string{"addons", "test"} {
		pr, ok := p.Promotion(from, "core")
		if !ok {
			t.Errorf("no %s -> core promotion", from)
			continue
		}
		if !pr.AllowForkAgreement || !slices.Contains(pr.Gates, GateFork) {
			t.Errorf("%s -> core: the fork gate must be liftable by an agreement", from)
		}
		roles := map[string]bool{}
		for _, r := range pr.Reviews {
			roles[r.Role] = true
		}
		if !roles["core-developer"] || !roles["dm"] {
			t.Errorf("%s -> core: reviews %v, want core developers and the DM", from, pr.Reviews)
		}
	}
	upd, ok := p.Promotion("updates-testing", "updates")
	if !ok || upd.MinDaysInTesting < 1 || len(upd.Reviews) == 0 || upd.Reviews[0].Role != "maintenance" {
		t.Errorf("updates-testing -> updates = %+v, want the maintenance team and days in testing", upd)
	}
	if !p.Allows("dm", "publish-advisory") || p.Allows("tester", "publish") {
		t.Error("grants: the DM makes the security call; a tester does not publish")
	}
	if id, err := p.AdvisoryID(2026, 1); err != nil || id != "SME-SA-2026:0001" {
		t.Errorf("AdvisoryID(2026, 1) = %q, %v", id, err)
	}
}

func TestDefaultReturnsFreshValues(t *testing.T) {
	a := Default()
	a.Categories[0].Name = "changed"
	a.Licences.Legacy["GPL"] = "MIT"
	b := Default()
	if b.Categories[0].Name != "base" || b.Licences.Legacy["GPL"] != "GPL-1.0-or-later" {
		t.Error("changing one Default() changed the next")
	}
}

func TestEncodeLoadRoundTrip(t *testing.T) {
	want := Default()
	var buf bytes.Buffer
	if err := want.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Load(bytes.NewReader(buf.Bytes()), "default.toml")
	if err != nil {
		t.Fatalf("Load(Encode(Default())): %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(got, want) {
		var again bytes.Buffer
		_ = got.Encode(&again)
		t.Errorf("Load(Encode(Default())) != Default()\nencoded:\n%s\nre-encoded:\n%s", buf.String(), again.String())
	}
}

func TestAdvisoryID(t *testing.T) {
	for _, tc := range []struct {
		format   string
		year     int
		seq      int
		want     string
		wantFail bool
	}{
		{format: "SME-SA-%Y:%04d", year: 2026, seq: 1, want: "SME-SA-2026:0001"},
		{format: "SME-SA-%Y:%04d", year: 2026, seq: 12345, want: "SME-SA-2026:12345"},
		{format: "%d/%Y", year: 2027, seq: 7, want: "7/2027"},
		{format: "X-100%%-%Y-%d", year: 2026, seq: 3, want: "X-100%-2026-3"},
		{format: "SME-SA-%04d", wantFail: true},
		{format: "SME-SA-%Y", wantFail: true},
		{format: "SME-SA-%Y:%s", wantFail: true},
		{format: "SME-SA-%Y:%d:%d", wantFail: true},
		{format: "SME-SA-%Y:%", wantFail: true},
	} {
		p := &Policy{AdvisoryIDFormat: tc.format}
		got, err := p.AdvisoryID(tc.year, tc.seq)
		if tc.wantFail {
			if err == nil {
				t.Errorf("%q: want an error, got %q", tc.format, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q (%d, %d) = %q, %v; want %q", tc.format, tc.year, tc.seq, got, err, tc.want)
		}
	}
}

// tiny is a small valid policy; the cases of TestLoadProblems change one
// of its lines, so line numbers below refer to it.
const tiny = `name = "Tiny"
new_build_category = "dev"
tested_threshold = 1
maintainer_window_days = 30
advisory_id_format = "T-%Y-%d"
actions = ["upload", "publish"]

[[category]]
name = "core"
level = 1
protected = true
monitoring = "full"

[[category]]
name = "dev"
level = 2
monitoring = "none"

[[channel]]
name = "main"
client_name = "tinymain"
accepts = ["core", "dev"]
enabled = true
visible = true

[[promotion]]
from = "dev"
to = "core"
gates = ["licence", "tested"]
[[promotion.review]]
role = "boss"
count = 1

[[role]]
name = "boss"

[grants]
boss = ["upload", "publish"]

[licences]
allowed = ["MIT", "GPL-2.0-or-later"]
[licences.legacy]
"GPLv2+" = "GPL-2.0-or-later"
`

func TestLoadTiny(t *testing.T) {
	p, err := Load(strings.NewReader(tiny), "tiny.toml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Tiny" || len(p.Categories) != 2 || p.Promotions[0].Reviews[0].Role != "boss" {
		t.Errorf("loaded %+v", p)
	}
	if v := p.CheckLicence("GPLv2+ and MIT"); !v.OK {
		t.Errorf("tiny policy: GPLv2+ and MIT: %+v", v)
	}
	if v := p.CheckLicence("ASL 2.0"); v.OK {
		t.Errorf("tiny policy has no ASL 2.0 mapping, yet: %+v", v)
	}
}

func TestLoadProblems(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string // replace old by new in tiny ("" old: append new)
		want     []string
	}{
		{name: "unknown key", old: "protected = true", new: "protectd = true",
			want: []string{`tiny.toml:11:1: unknown key "protectd" (keys in category: name, description, level, protected, monitoring, signed)`}},
		{name: "unknown key in an array element", old: `monitoring = "none"`, new: "monitoring = \"none\"\ncolour = 1\n",
			want: []string{`tiny.toml:18:1: unknown key "colour"`}},
		{name: "unknown table reported once", old: "", new: "[extra]\nfoo = 1\nbar = 2\n",
			want: []string{`tiny.toml:44:1: unknown key "extra" (keys at the top level: name, new_build_category`}},
		{name: "unknown nested key", old: "", new: "[retention]\nforever = true\n",
			want: []string{`tiny.toml:45:1: unknown key "forever" (keys in retention: publications, keep_signed_sources)`}},
		{name: "duplicate category, and what then is unknown", old: `name = "dev"`, new: `name = "core"`,
			want: []string{
				`tiny.toml:2:1: new_build_category "dev" is not a category (categories: "core", "core")`,
				`tiny.toml:15:1: category "core" is defined twice`,
				`tiny.toml:22:20: channel "main" accepts "dev", which is not a category`,
				`tiny.toml:27:1: promotion dev -> core: "dev" is neither a category nor a channel`,
			}},
		{name: "channel accepts an unknown category", old: `accepts = ["core", "dev"]`, new: `accepts = ["core", "cor"]`,
			want: []string{`tiny.toml:22:20: channel "main" accepts "cor", which is not a category (categories: "core", "dev")`}},
		{name: "unknown gate", old: `gates = ["licence", "tested"]`, new: `gates = ["licence", "tsted"]`,
			want: []string{`tiny.toml:29:21: promotion dev -> core: gate "tsted" is not one of "rpm-and-srpm", "licence", "maintainer", "fork", "layering", "closure", "tested"`}},
		{name: "unknown role", old: `role = "boss"`, new: `role = "bos"`,
			want: []string{`tiny.toml:31:1: promotion dev -> core: review by "bos", which is not a role (roles: "boss")`}},
		{name: "grant of an unknown action", old: `boss = ["upload", "publish"]`, new: `boss = ["upload", "publsh"]`,
			want: []string{`tiny.toml:38:19: grants give "boss" the action "publsh", which is not in actions`}},
		{name: "licence not SPDX", old: `allowed = ["MIT", "GPL-2.0-or-later"]`, new: `allowed = ["MIT", "Foo License"]`,
			want: []string{`tiny.toml:41:19: "Foo License" is not a valid SPDX expression: "Foo License" is not an SPDX licence identifier`}},
		{name: "legacy maps to something not SPDX", old: `"GPLv2+" = "GPL-2.0-or-later"`, new: `"GPLv2+" = "GPL-2.0-or-lator"`,
			want: []string{`tiny.toml:43:1: licences.legacy maps "GPLv2+" to "GPL-2.0-or-lator", which is not a valid SPDX expression`}},
		{name: "level ordering", old: "level = 2", new: "level = 1",
			want: []string{`tiny.toml:16:1: category "dev": level 1 is not above level 1 of "core" listed before it`}},
		{name: "wrong type", old: "level = 2", new: `level = "two"`,
			want: []string{`tiny.toml:16:1: level must be an integer, not a string`}},
		{name: "TOML syntax", old: `name = "Tiny"`, new: `name = "Tiny`,
			want: []string{`tiny.toml:1:13: TOML: strings cannot contain newlines`}},
		{name: "TOML duplicate key", old: "tested_threshold = 1", new: "tested_threshold = 1\ntested_threshold = 2",
			want: []string{`tiny.toml:4:1: TOML: Key 'tested_threshold' has already been defined.`}},
		{name: "category without a name", old: `name = "dev"`, new: `# no name`,
			want: []string{
				`tiny.toml:2:1: new_build_category "dev" is not a category (categories: "core")`,
				`tiny.toml:14:1: category #2 has no name`,
				`tiny.toml:22:20: channel "main" accepts "dev", which is not a category (categories: "core")`,
				`tiny.toml:27:1: promotion dev -> core: "dev" is neither a category nor a channel`,
			}},
		{name: "advisory format", old: `"T-%Y-%d"`, new: `"T-%d"`,
			want: []string{`tiny.toml:5:1: advisory_id_format "T-%d" must hold %Y (the year) once and one number verb like %04d once`}},
		{name: "enabled but not visible", old: "visible = true", new: "visible = false",
			want: []string{`tiny.toml:23:1: channel "main" is enabled but not visible`}},
		{name: "review count", old: "count = 1", new: "count = 0",
			want: []string{`tiny.toml:32:1: promotion dev -> core: review by "boss" needs a count of 1 or more, not 0`}},
		{name: "tested gate without a threshold", old: "tested_threshold = 1", new: "tested_threshold = 0",
			want: []string{`tiny.toml:3:1: tested_threshold is 0 but promotion dev -> core has the "tested" gate`}},
		{name: "missing key reported at its table", old: `client_name = "tinymain"`, new: "",
			want: []string{`tiny.toml:19:1: channel "main" has no client_name`}},
		{name: "missing top-level key", old: `name = "Tiny"`, new: "",
			want: []string{`tiny.toml: name: name is empty`}},
		{name: "legacy names differing in case", old: "", new: "\"gplv2+\" = \"GPL-2.0-or-later\"\n",
			want: []string{`tiny.toml:44:1: licences.legacy names "GPLv2+" and "gplv2+" differ only in case`}},
		{name: "Fedora name in allowed", old: `allowed = ["MIT", "GPL-2.0-or-later"]`, new: `allowed = ["MIT", "GPLv2+"]`,
			want: []string{`tiny.toml:41:19: "GPLv2+" is an old Fedora name, not SPDX: write "GPL-2.0-or-later"`}},
		{name: "deprecated SPDX id allowed", old: `allowed = ["MIT", "GPL-2.0-or-later"]`, new: `allowed = ["MIT", "GPL-2.0+"]`,
			want: []string{`tiny.toml:41:19: "GPL-2.0+" uses the deprecated SPDX identifier "GPL-2.0+"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := tiny + tc.new
			if tc.old != "" {
				if !strings.Contains(tiny, tc.old) {
					t.Fatalf("%q is not in the tiny policy", tc.old)
				}
				text = strings.Replace(tiny, tc.old, tc.new, 1)
			}
			p, err := Load(strings.NewReader(text), "tiny.toml")
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load = %v, %v; want a *ValidationError", p, err)
			}
			if p != nil {
				t.Error("Load returned a policy with its error")
			}
			var got []string
			for _, pr := range ve.Problems {
				got = append(got, pr.String())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestLoadSortsProblemsByLine(t *testing.T) {
	text := strings.NewReplacer(
		`allowed = ["MIT", "GPL-2.0-or-later"]`, `allowed = ["Nope"]`,
		`accepts = ["core", "dev"]`, `accepts = ["nope"]`,
		`monitoring = "full"`, `monitoring = "often"`,
		`protected = true`, `protected = true`+"\nshiny = true",
	).Replace(tiny)
	_, err := Load(strings.NewReader(text), "p.toml")
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load = %v", err)
	}
	var lines []int
	for _, p := range ve.Problems {
		lines = append(lines, p.Line)
	}
	if want := []int{12, 13, 23, 42}; !slices.Equal(lines, want) {
		t.Errorf("problem lines %v, want %v:\n%v", lines, want, err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(ve.Problems) {
		t.Errorf("Error() has %d lines for %d problems", n, len(ve.Problems))
	}
}

func TestUnknownKeyInEveryElement(t *testing.T) {
	text := strings.ReplaceAll(tiny, "[[category]]\n", "[[category]]\ncolour = \"red\"\n")
	_, err := Load(strings.NewReader(text), "p.toml")
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Fatalf("Load = %v; want two problems", err)
	}
	for i, want := range []string{"p.toml:9:1: unknown key \"colour\"", "p.toml:16:1: unknown key \"colour\""} {
		if got := ve.Problems[i].String(); !strings.HasPrefix(got, want) {
			t.Errorf("problem %d = %q, want %q...", i, got, want)
		}
	}
	if ve.Problems[1].Key != "category[1].colour" {
		t.Errorf("key %q", ve.Problems[1].Key)
	}
}

func TestValidateNamesKeys(t *testing.T) {
	p := Default()
	p.Channels[1].Accepts[0] = "nope"
	p.Promotions[2].Gates = append(p.Promotions[2].Gates, "magic")
	p.Grants["ghost"] = []string{"upload"}
	p.Licences.Legacy["Weird"] = "Not SPDX"
	err := p.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	var keys []string
	for _, pr := range ve.Problems {
		keys = append(keys, pr.Key)
		if pr.Line != 0 || pr.File != "" {
			t.Errorf("a policy made in code has no file position: %+v", pr)
		}
	}
	want := []string{"channel[1].accepts[0]", "grants.ghost", "promotion[2].gates[7]", `licences.legacy.Weird`}
	if !slices.Equal(keys, want) {
		t.Errorf("problem keys %q, want %q\n%v", keys, want, err)
	}
	if !strings.HasPrefix(ve.Problems[0].String(), `channel[1].accepts[0]: channel "updates" accepts "nope"`) {
		t.Errorf("problem without a file reads %q", ve.Problems[0].String())
	}
}

func TestLoadTooLarge(t *testing.T) {
	big := strings.Repeat("# padding\n", maxPolicySize/10+1)
	if _, err := Load(strings.NewReader(big), "big.toml"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load of a %d-byte file = %v", len(big), err)
	}
}

func TestKeyPathString(t *testing.T) {
	for _, tc := range []struct {
		k    keyPath
		want string
	}{
		{at("name"), "name"},
		{at("channel", 2, "accepts", 0), "channel[2].accepts[0]"},
		{at("licences", "legacy", "ASL 2.0"), `licences.legacy."ASL 2.0"`},
		{at("grants", "core-developer", 3), "grants.core-developer[3]"},
		{at("x", 1, 2), "x[1][2]"},
	} {
		if got := tc.k.String(); got != tc.want {
			t.Errorf("%v.String() = %q, want %q", tc.k, got, tc.want)
		}
	}
}

func ExamplePolicy_CheckLicence() {
	p := Default()
	for _, tag := range []string{"GPLv2+", "(GPL+ or Artistic) and MIT", "GPL-2.0-only AND JSON"} {
		v := p.CheckLicence(tag)
		fmt.Printf("%s: ok=%v spdx=%q %q\n", tag, v.OK, v.SPDX, v.Problems)
	}
	// Output:
	// GPLv2+: ok=true spdx="GPL-2.0-or-later" []
	// (GPL+ or Artistic) and MIT: ok=true spdx="(GPL-1.0-or-later OR Artistic-1.0-Perl) AND MIT" []
	// GPL-2.0-only AND JSON: ok=false spdx="GPL-2.0-only AND JSON" ["\"GPL-2.0-only\" is allowed but \"JSON\" is not"]
}
