package check

import (
	"errors"
	"testing"

	"github.com/smeserver/smeforge/internal/rpm"
)

// The expected strings are what python3-hawkey 0.69 (libsolv 0.7.23)
// prints for hawkey.Reldep(sack, in): the spelling dnf repoclosure uses.
func TestParseRichPrintsLikeLibsolv(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"(a and b and c)", "(a and b and c)"},
		{"(a and (b and c))", "(a and b and c)"},
		{"((a and b) and c)", "(a and b and c)"},
		{"((a and b) or c)", "((a and b) or c)"},
		{"(a or (b and c))", "(a or (b and c))"},
		{"(a or (b or c))", "(a or b or c)"},
		{"(a if b else c)", "(a if b else c)"},
		{"(a if (b if c))", "(a if (b if c))"},
		{"((a if b) if c)", "((a if b) if c)"},
		{"(a if b if c)", "(a if (b if c))"},
		{"(a if b else (c if d else e))", "(a if b else (c if d else e))"},
		{"(a if b else c else d)", "(a if b else (c else d))"},
		{"(a unless b else c)", "(a unless b else c)"},
		{"(a unless b unless c)", "(a unless (b unless c))"},
		{"(a unless (b unless c))", "(a unless (b unless c))"},
		{"(a with b with c)", "(a with b with c)"},
		{"((a with b) or c)", "((a with b) or c)"},
		{"(a with (b or c))", "(a with (b or c))"},
		{"(a without b)", "(a without b)"},
		{"((a without b) without c)", "(a without b without c)"},
		{"(a without (b without c))", "(a without b without c)"},
		{"(a if (b and c))", "(a if (b and c))"},
		{"((a if b) and c)", "((a if b) and c)"},
		{"(a and (b or c) and d)", "(a and (b or c) and d)"},
		{"((a or b) and (c or d))", "((a or b) and (c or d))"},
		{"(a >= 0:1.0 or b <= 00:2-1)", "(a >= 1.0 or b <= 00:2-1)"},
		{"(a >= 1:2 or b)", "(a >= 1:2 or b)"},
		{"(a >= 0:2 or b)", "(a >= 2 or b)"},
		{"(a = 0:1-0 or b)", "(a = 1-0 or b)"},
		{"(a>=1 or b)", "(a>=1 or b)"}, // no space: one name, as in libsolv and rpm
		{"(  a  >=  1  and  b )", "(a >= 1 and b)"},
		{"(python3dist(foo) >= 1 and b)", "(python3dist(foo) >= 1 and b)"},
		{"(a >= 1.0~rc1 or b < 2^git3)", "(a >= 1.0~rc1 or b < 2^git3)"},
		{"(a =< 1 or b => 2)", "(a <= 1 or b >= 2)"},
		{"(a == 1 or b <> 2)", "(a = 1 or b <> 2)"},
		{"(a = 1:2.0-1)", "a = 1:2.0-1"},
		{"(a)", "a"},
		{"((a))", "a"},
		{"(a >= 1)", "a >= 1"},
		{"( (a and b) )", "(a and b)"},
		{"((a) or b)", "(a or b)"},
		{"(/usr/bin/perl or perl(Foo::Bar) >= 1.2)", "(/usr/bin/perl or perl(Foo::Bar) >= 1.2)"},
	} {
		e, err := ParseRich(tc.in)
		if err != nil {
			t.Errorf("ParseRich(%q): %v", tc.in, err)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("ParseRich(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseRichRejectsWhatLibsolvRejects(t *testing.T) {
	for _, in := range []string{
		"(a and b or c)", "(a with b and c)", "(a if b unless c)", "(a if b else c if d)",
		"(a", "(a and )", "(a and b,c)", "(a, b)", "(a (x) and b)", "()", "(a >= )",
		"(a or b) ", " (a or b)", "(a or b) x", "a or b", "(a xor b)", "",
	} {
		if e, err := ParseRich(in); err == nil {
			t.Errorf("ParseRich(%q) = %v, want an error", in, e)
		} else if !errors.Is(err, ErrBadRich) {
			t.Errorf("ParseRich(%q): %v does not wrap ErrBadRich", in, err)
		}
	}
}

func TestParseRichTree(t *testing.T) {
	e, err := ParseRich("(foo >= 1:2.0-3 if bar else (baz with qux < 2))")
	if err != nil {
		t.Fatal(err)
	}
	if e.Op != OpIf || e.Right.Op != OpElse || e.Right.Right.Op != OpWith {
		t.Fatalf("tree %v: want If{foo, Else{bar, With{baz, qux}}}", e)
	}
	want := rpm.Dependency{Name: "foo", Flags: rpm.SenseGreater | rpm.SenseEqual, Version: "1:2.0-3"}
	if e.Left.Dep != want {
		t.Errorf("leaf = %+v, want %+v", e.Left.Dep, want)
	}
	if d := e.Right.Right.Right.Dep; d.Name != "qux" || d.Flags != rpm.SenseLess || d.Version != "2" {
		t.Errorf("leaf = %+v", d)
	}
}

func TestDnfString(t *testing.T) {
	ge := rpm.SenseGreater | rpm.SenseEqual
	for _, tc := range []struct {
		d    rpm.Dependency
		want string
	}{
		{rpm.Dependency{Name: "foo"}, "foo"},
		{rpm.Dependency{Name: "foo", Flags: ge | rpm.SensePrereq, Version: "0:1.2"}, "foo >= 1.2"},
		{rpm.Dependency{Name: "foo", Flags: ge, Version: "3:1.2-4"}, "foo >= 3:1.2-4"},
		{rpm.Dependency{Name: "foo", Flags: rpm.SenseLess, Version: "2"}, "foo < 2"},
		{rpm.Dependency{Name: "(a and (b and c))"}, "(a and b and c)"},
		{rpm.Dependency{Name: "(a and b or c)"}, "(a and b or c)"},
	} {
		if got := DnfString(tc.d); got != tc.want {
			t.Errorf("DnfString(%+v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func FuzzParseRich(f *testing.F) {
	for _, s := range []string{"(a and b)", "(a if b else c)", "(a >= 1 or (b with c))", "((a))", "(a(b) unless c)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseRich(s)
		if err != nil {
			return
		}
		// What String writes parses back to the same thing, unless a
		// name holds an unbalanced '(' that only the original spacing
		// closed (libsolv reads "(a(b )" as the name "a(b").
		balanced := true
		e.leaves(func(l *Expr) {
			depth := 0
			for _, c := range l.Dep.Name + l.Dep.Version {
				switch c {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			balanced = balanced && depth == 0
		})
		if !balanced {
			return
		}
		again, err := ParseRich("(" + e.String() + ")")
		if err != nil {
			t.Fatalf("ParseRich(%q) → %q, which does not parse: %v", s, e.String(), err)
		}
		if again.String() != e.String() {
			t.Fatalf("ParseRich(%q) → %q → %q", s, e.String(), again.String())
		}
	})
}
