package check

import (
	"errors"
	"testing"
)

var smeOrder = []string{"base", "infra", "core", "addons", "test", "dev"}

func TestLayering(t *testing.T) {
	set := []Package{
		mk(t, "glibc-2.17-1.x86_64", category("base"), provides(t, "libc.so.6()(64bit)"), files("/usr/lib64/libc.so.6")),
		mk(t, "perl-5.16-1.x86_64", category("base"), provides(t, "perl(strict)"), files("/usr/bin/perl")),
		mk(t, "e-smith-lib-2.6-1.noarch", category("infra"), provides(t, "perl(esmith::DB)"),
			requires(t, "perl(strict)", "/usr/bin/perl")),
		mk(t, "smeserver-base-10-1.noarch", category("core"),
			requires(t, "perl(esmith::DB)", "libc.so.6()(64bit)", "smeserver-extra", "(perl or smeserver-extra)",
				"(perl and smeserver-extra)", "(smeserver-extra if perl)", "(smeserver-extra if contrib-tool)",
				"nowhere")),
		mk(t, "smeserver-extra-1-1.noarch", category("addons"), requires(t, "smeserver-base", "/usr/bin/contrib-tool")),
		mk(t, "contrib-tool-1-1.noarch", category("dev"), files("/usr/bin/contrib-tool")),
		mk(t, "selfish-1-1.noarch", category("base"), provides(t, "own-cap"), requires(t, "own-cap")),
		mk(t, "smeserver-base-10-1.src", category("core"), requires(t, "contrib-tool")), // sources are not checked
	}
	fs, err := NewIndex(set).Layering(smeOrder)
	if err != nil {
		t.Fatal(err)
	}
	sameStrings(t, "findings", summary(fs), []string{
		"smeserver-base-10-1.noarch | (perl and smeserver-extra)",
		"smeserver-base-10-1.noarch | (smeserver-extra if perl)",
		"smeserver-base-10-1.noarch | smeserver-extra",
		"smeserver-extra-1-1.noarch | /usr/bin/contrib-tool",
	})
	for _, f := range fs {
		if f.Kind != KindLayering || f.Category == "" || len(f.Other) == 0 {
			t.Errorf("finding %+v: want kind, category and providers", f)
		}
		if f.Requirement == "smeserver-extra" {
			sameStrings(t, "providers", f.Other, []string{"smeserver-extra-1-1.noarch (addons)"})
			if f.Detail != "a core package needs what only a higher category provides" {
				t.Errorf("detail %q", f.Detail)
			}
		}
	}
}

func TestLayeringUnknownCategory(t *testing.T) {
	_, err := NewIndex([]Package{mk(t, "x-1-1.noarch", category("extras"))}).Layering(smeOrder)
	if !errors.Is(err, ErrUnknownCategory) {
		t.Fatalf("err = %v, want ErrUnknownCategory", err)
	}
}

func TestSatisfiable(t *testing.T) {
	ix := NewIndex(providerSet(t))
	r := resolver{ix: ix}
	all := func(int32) bool { return true }
	for _, tc := range []struct {
		dep  string
		want bool
	}{
		{"(prov-a and prov-b)", true},
		{"(prov-a and gone)", false},
		{"(gone or prov-b)", true},
		{"(gone if prov-a)", false},
		{"(gone if nothing)", true},
		{"(prov-a if prov-b else virt)", true},
		{"(prov-a if prov-b else gone)", false},
		{"(gone if prov-b else virt)", false},
		{"(prov-a unless prov-b)", true},
		{"(gone unless prov-b)", false},
		{"(prov-a unless prov-b else gone)", false},
		{"(prov-a unless gone else gone2)", true},
		{"(prov-a with cap-a)", true},
		{"(prov-a with prov-b)", false},
		{"(/usr/bin/tool-a without /opt/a/file)", true},
	} {
		e, err := ParseRich(tc.dep)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.satisfiable(e, all); got != tc.want {
			t.Errorf("satisfiable(%s) = %v, want %v", tc.dep, got, tc.want)
		}
	}
}
