package check

import (
	"bytes"
	"errors"
	"io/fs"
	"testing"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/rpm"
	"github.com/smeserver/smeforge/internal/testutil"
)

var smePolicy = ForkPolicy{Order: smeOrder, Protected: []string{"base", "infra", "core"}}

func TestForks(t *testing.T) {
	set := []Package{
		mk(t, "foo-1-1.x86_64", category("base"), files("/usr/bin/foo", "/etc/foo.conf"), dirs("/usr/bin", "/etc/foo")),
		mk(t, "foo-3-1.x86_64", category("base")),
		mk(t, "foo-1-1.src", category("base")),
		mk(t, "bar-1-1.noarch", category("infra"), files("/usr/share/bar/data")),
		mk(t, "qux-1-1.noarch", category("addons")), // not protected
		// Core forks base and infra.
		mk(t, "foo-1-2.x86_64", category("core")),
		mk(t, "foo-1-2.src", category("core")),
		mk(t, "newfoo-2-1.x86_64", category("core"), obsoletes(t, "foo < 2"), provides(t, "bar = 9")),
		// Addons: a file fork (directories do not count), a fork of the
		// unprotected qux is no fork.
		mk(t, "overlay-1-1.noarch", category("addons"), files("/etc/foo.conf", "/usr/share/bar/data", "/usr/share/own"),
			dirs("/usr/bin", "/etc/foo"), obsoletes(t, "qux")),
		// Base replacing base is an update, not a fork; infra may not be
		// forked by base either.
		mk(t, "foo-4-1.x86_64", category("base"), obsoletes(t, "foo"), provides(t, "bar")),
	}
	got, err := NewIndex(set).Forks(smePolicy)
	if err != nil {
		t.Fatal(err)
	}
	sameStrings(t, "forks", summary(got), []string{
		"foo-1-2.src |  | name foo-1-1.src (base)",
		"foo-1-2.x86_64 |  | name foo-1-1.x86_64 (base)",
		"foo-1-2.x86_64 |  | name foo-3-1.x86_64 (base)",
		"foo-1-2.x86_64 |  | name foo-4-1.x86_64 (base)",
		"newfoo-2-1.x86_64 | bar = 9 | provides bar-1-1.noarch (infra)",
		"newfoo-2-1.x86_64 | foo < 2 | obsoletes foo-1-1.x86_64 (base)",
		"overlay-1-1.noarch |  | file bar-1-1.noarch (infra)",
		"overlay-1-1.noarch |  | file foo-1-1.x86_64 (base)",
	})
	for _, f := range got {
		if f.Package == "overlay-1-1.noarch" && f.Other[0] == "foo-1-1.x86_64 (base)" {
			sameStrings(t, "shared files", f.Files, []string{"/etc/foo.conf"})
			if f.Detail != "forks base package foo-1-1.x86_64: owns 1 of its files" {
				t.Errorf("detail %q", f.Detail)
			}
		}
	}

	if _, err := NewIndex(append(set, mk(t, "odd-1-1.noarch", category("extras")))).Forks(smePolicy); !errors.Is(err, ErrUnknownCategory) {
		t.Errorf("unknown category: err = %v", err)
	}
}

func TestForksOf(t *testing.T) {
	ix := NewIndex([]Package{
		mk(t, "foo-1-1.x86_64", category("base"), files("/usr/bin/foo")),
		mk(t, "bar-1-1.x86_64", category("addons"), files("/usr/bin/bar")),
	})
	build := []Package{mk(t, "mine-1-1.noarch", files("/usr/bin/foo", "/usr/bin/bar"))}
	got, err := ix.ForksOf(build, "dev", smePolicy)
	if err != nil {
		t.Fatal(err)
	}
	sameStrings(t, "forks", summary(got), []string{"mine-1-1.noarch |  | file foo-1-1.x86_64 (base)"})
	if got, _ := ix.ForksOf(build, "base", smePolicy); len(got) != 0 {
		t.Errorf("a base build forks nothing below it, got %v", summary(got))
	}
	if _, err := ix.ForksOf(build, "nope", smePolicy); !errors.Is(err, ErrUnknownCategory) {
		t.Errorf("err = %v", err)
	}
}

// smeserver-release 8.0 (a real SME Server package) obsoletes perl-RPM and
// pident without versions: it forks both base packages.
func TestForksSMEServerRelease(t *testing.T) {
	path := testutil.SharedTestdata(t, "sme", "rpms", "smeserver-release-8.0-0.beta6.noarch.rpm")
	rp, err := rpm.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	release := FromRPM(rp, "core", path)
	base := []Package{release}
	for _, spec := range []corpus.PackageSpec{
		{Name: "perl-RPM", Version: "1.51", Release: "1.el5", Arch: "x86_64", Files: []corpus.File{{Path: "/usr/lib64/perl5/RPM.pm", Content: []byte("1;\n")}}},
		{Name: "pident", Version: "3.0.19", Release: "7", Arch: "x86_64", Files: []corpus.File{{Path: "/usr/sbin/identd", Mode: 0o755}, {Path: "/etc/identd.d", Mode: fs.ModeDir | 0o755}}},
		{Name: "centos-release", Version: "5", Release: "4.el5", Arch: "x86_64"}, // required, not obsoleted
	} {
		var b bytes.Buffer
		if err := corpus.WriteRPM(&b, spec); err != nil {
			t.Fatal(err)
		}
		p, err := rpm.Read(bytes.NewReader(b.Bytes()), spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		base = append(base, FromRPM(p, "base", spec.Name))
	}
	got, err := NewIndex(base).Forks(smePolicy)
	if err != nil {
		t.Fatal(err)
	}
	sameStrings(t, "forks", summary(got), []string{
		"smeserver-release-26:8.0-0.beta6.noarch | perl-RPM | obsoletes perl-RPM-1.51-1.el5.x86_64 (base)",
		"smeserver-release-26:8.0-0.beta6.noarch | pident | obsoletes pident-3.0.19-7.x86_64 (base)",
	})
	for _, f := range got {
		if f.Kind != KindFork || f.Category != "core" || f.ID != path {
			t.Errorf("finding %+v", f)
		}
	}
	// The same build checked on its own against the base packages.
	ix := NewIndex(base[1:])
	again, err := ix.ForksOf(base[:1], "core", smePolicy)
	if err != nil {
		t.Fatal(err)
	}
	sameStrings(t, "ForksOf", summary(again), summary(got))
	// And its requirement on centos-release is met from base: no closure
	// or layering finding for it.
	lay, err := NewIndex(base).Layering(smeOrder)
	if err != nil {
		t.Fatal(err)
	}
	sameStrings(t, "layering", summary(lay), nil)
}
