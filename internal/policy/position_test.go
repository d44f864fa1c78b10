package policy

import (
	"fmt"
	"testing"
)

func TestIndexTOML(t *testing.T) {
	const text = `# a comment with [[brackets]] and key = "value"
name = "x" # trailing
"quoted key" = 1
dotted.inner = 2
list = [
  "a", # a comment inside
  'b',

  """c
[[not.a.table]]
""",
]
inline = { a = 1, b = [10, 20], c = { d = "}" } }
nested = [[1, 2], [3]]
multi = '''
line = "not a key"
'''

[[category]]
name = "base"
[[category]]
  name = "core" # indented
  accepts = ["x",
             "y"]

[[promotion]]
from = "dev"
[[promotion.review]]
role = "a"
[[promotion.review]]
role = "b"
[[promotion]]
[[promotion.review]]
role = "c"

[licences.legacy]
"ASL 2.0" = "Apache-2.0"
'GPL+' = "GPL-1.0-or-later"
[ grants ]
dm = ["x", "ü", "y"]
`
	x := indexTOML(text)
	for _, tc := range []struct {
		k    keyPath
		want position
	}{
		{at("name"), position{2, 1}},
		{at("quoted key"), position{3, 1}},
		{at("dotted"), position{4, 1}},
		{at("dotted", "inner"), position{4, 1}},
		{at("list"), position{5, 1}},
		{at("list", 0), position{6, 3}},
		{at("list", 1), position{7, 3}},
		{at("list", 2), position{9, 3}},
		{at("inline", "a"), position{13, 12}},
		{at("inline", "b", 1), position{13, 28}},
		{at("inline", "c", "d"), position{13, 39}},
		{at("nested", 1), position{14, 19}},
		{at("nested", 1, 0), position{14, 20}},
		{at("multi"), position{15, 1}},
		{at("category", 0), position{19, 1}},
		{at("category", 0, "name"), position{20, 1}},
		{at("category", 1, "name"), position{22, 3}},
		{at("category", 1, "accepts", 1), position{24, 14}},
		{at("promotion", 0, "from"), position{27, 1}},
		{at("promotion", 0, "review", 1, "role"), position{31, 1}},
		{at("promotion", 1, "review", 0), position{33, 1}},
		{at("promotion", 1, "review", 0, "role"), position{34, 1}},
		{at("licences", "legacy", "ASL 2.0"), position{37, 1}},
		{at("licences", "legacy", "GPL+"), position{38, 1}},
		{at("grants"), position{39, 1}},
		{at("grants", "dm", 2), position{40, 17}},
		// Missing keys are found at their table.
		{at("category", 1, "level"), position{21, 1}},
		{at("promotion", 1, "to"), position{32, 1}},
	} {
		got, ok := x.lookup(tc.k)
		if !ok || got != tc.want {
			t.Errorf("%s at %v (found %v), want %v", tc.k, got, ok, tc.want)
		}
	}
	for _, k := range []keyPath{at("not"), at("line"), at("brackets")} {
		if p, ok := x.lookup(k); ok {
			t.Errorf("%s found at %v, but it is inside a string or comment", k, p)
		}
	}
	if got := len(x.keys([]string{"promotion", "review", "role"})); got != 3 {
		t.Errorf("keys(promotion.review.role) = %d, want 3", got)
	}
}

// The scanner meets only text that BurntSushi/toml parsed, but it must
// not hang or panic on anything.
func FuzzIndexTOML(f *testing.F) {
	for _, s := range []string{tiny, "[[a]]\nb = [\n", "a = '''\n", `a = "\`, "[", "{", "a = {b = [", "\"\"\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x := indexTOML(s)
		for _, e := range x.entries {
			if e.pos.line < 1 || e.pos.col < 1 {
				t.Fatal(fmt.Sprint("bad position ", e))
			}
		}
	})
}
