package corpus

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// demoSource is one SRPM of the demo set and the binary packages built
// from it; the first binary is the main package and names the SRPM.
type demoSource struct {
	buildRequires []string
	changelog     []ChangelogEntry
	binaries      []PackageSpec
}

// Demo writes a small, human-readable set of packages for `make demo`:
// a pretend SME Server add-on suite, all noarch, each with its source RPM.
// The packages depend only on each other, so the whole set installs into
// an empty dnf --installroot:
//
//   - smeforge-demo-hello: no dependencies at all, installs
//     /usr/share/smeforge-demo/hello.txt;
//   - smeforge-demo-base: shared configuration directory;
//   - smeforge-demo-lib and smeforge-demo-lib-doc (one SRPM, two packages);
//   - smeforge-demo-mailstats: requires smeforge-demo-lib >= 1.2 and has a
//     changelog worth reading;
//   - smeforge-demo-backup: requires smeforge-demo-base at an exact version;
//   - smeforge-demo-webpanel: obsoletes smeforge-demo-oldpanel < 3.0.
//
// It returns the paths written, each SRPM followed by its binaries.
func Demo(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("corpus: creating %s: %w", dir, err)
	}
	var paths []string
	for _, src := range demoSources() {
		main := src.binaries[0]
		srpm := sourcePackage(src)
		p := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.src.rpm", main.Name, main.Version, main.Release))
		if err := writeFile(p, srpm); err != nil {
			return nil, err
		}
		paths = append(paths, p)
		for _, b := range src.binaries {
			p := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.%s.rpm", b.Name, b.Version, b.Release, b.Arch))
			if err := writeFile(p, b); err != nil {
				return nil, err
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}

const demoRelease = ".el7.sme"

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

func demoSources() []demoSource {
	demoEpoch := time.Date(2024, 5, 14, 9, 30, 0, 0, time.UTC)
	pkg := func(name, version, release, summary, description string, files ...File) PackageSpec {
		return PackageSpec{
			Name: name, Version: version, Release: release + demoRelease, Arch: "noarch",
			Summary: summary, Description: description,
			License:   "GPLv2+",
			URL:       "https://github.com/smeserver/smeforge",
			Vendor:    "smeforge demo",
			Packager:  "Jane Doe <jane@example.org>",
			Group:     "Applications/System",
			BuildHost: "build01.example.org",
			BuildTime: demoEpoch,
			Files:     files,
		}
	}
	text := func(p string, flags FileFlags, lines ...string) File {
		return File{Path: p, Flags: flags, Content: []byte(strings.Join(lines, "\n") + "\n")}
	}
	script := func(p string, lines ...string) File {
		f := text(p, 0, lines...)
		f.Mode = 0o755
		return f
	}
	dir := func(p string) File { return File{Path: p, Mode: fs.ModeDir | 0o755} }
	readme := func(name, version string, lines ...string) File {
		return text("/usr/share/doc/"+name+"-"+version+"/README", FileDoc, lines...)
	}

	hello := pkg("smeforge-demo-hello", "1.0", "1", "A package with no dependencies at all",
		"smeforge-demo-hello installs one text file and nothing else. It has no\nrequirements and no scriptlets, so it installs into an empty root and\nshows that a repository works end to end.",
		dir("/usr/share/smeforge-demo"),
		text("/usr/share/smeforge-demo/hello.txt", 0, "Hello from smeforge!", "", "If you can read this file, dnf installed a package from a repository", "that smeforge published."),
	)
	hello.Changelog = []ChangelogEntry{{day(2024, 5, 2), "Jane Doe <jane@example.org> - 1.0-1", "- First package of the demo repository."}}

	base := pkg("smeforge-demo-base", "1.0", "2", "Shared configuration of the smeforge demo add-ons",
		"Directories and settings the other smeforge demo add-ons share.",
		dir("/etc/smeforge-demo"),
		text("/etc/smeforge-demo/base.conf", FileConfig|FileNoReplace, "# Settings shared by the smeforge demo add-ons", "domain=example.org", "admin=admin@example.org"),
		dir("/usr/share/smeforge-demo"),
		readme("smeforge-demo-base", "1.0", "The base package of the smeforge demo add-ons."),
	)
	base.Provides = []string{"smeforge-demo(base) = 1.0"}
	base.Changelog = []ChangelogEntry{
		{day(2024, 4, 20), "Kamil Novak <kamil@example.org> - 1.0-2", "- Mark base.conf %config(noreplace) so that local changes survive\n  an update."},
		{day(2024, 2, 1), "Jane Doe <jane@example.org> - 1.0-1", "- First package."},
	}

	lib := pkg("smeforge-demo-lib", "1.2.3", "1", "Shell functions shared by the smeforge demo add-ons",
		"Log parsing and reporting helpers used by smeforge-demo-mailstats and\nsmeforge-demo-backup.",
		dir("/usr/share/smeforge-demo"),
		dir("/usr/share/smeforge-demo/lib"),
		text("/usr/share/smeforge-demo/lib/functions.sh", 0,
			"# smeforge-demo-lib 1.2.3: helpers for the demo add-ons",
			"log_date() {",
			"    # Print the date of a syslog line as YYYY-MM-DD.",
			"    date -d \"$(printf '%s' \"$1\" | cut -c1-15)\" +%F",
			"}",
			"report_line() {",
			"    printf '%-40s %8d\\n' \"$1\" \"$2\"",
			"}"),
		readme("smeforge-demo-lib", "1.2.3", "Source the functions with:", "    . /usr/share/smeforge-demo/lib/functions.sh"),
	)
	lib.Requires = []string{"smeforge-demo-base"}
	libDoc := pkg("smeforge-demo-lib-doc", "1.2.3", "1", "Documentation for smeforge-demo-lib",
		"The reference of the functions in smeforge-demo-lib.",
		dir("/usr/share/doc/smeforge-demo-lib-doc-1.2.3"),
		text("/usr/share/doc/smeforge-demo-lib-doc-1.2.3/functions.txt", FileDoc,
			"log_date LINE      print the date of a syslog line as YYYY-MM-DD",
			"report_line K N    print one line of a report"),
	)
	libChangelog := []ChangelogEntry{
		{day(2024, 3, 1), "Kamil Novak <kamil@example.org> - 1.2.3-1", "- Fix log_date for lines written in the first week of January."},
		{day(2023, 6, 10), "Jane Doe <jane@example.org> - 1.2-1", "- Add report_line."},
		{day(2023, 2, 1), "Jane Doe <jane@example.org> - 1.0-1", "- First package."},
	}
	lib.Changelog, libDoc.Changelog = libChangelog, libChangelog

	mailstats := pkg("smeforge-demo-mailstats", "2.0.1", "3", "Daily statistics of the mail server",
		"mailstats reads the mail log of an SME Server and writes a short daily\nreport: messages delivered and rejected, and the busiest senders.",
		script("/usr/bin/smeforge-mailstats",
			"#!/bin/sh",
			". /usr/share/smeforge-demo/lib/functions.sh",
			"conf=/etc/smeforge-demo/mailstats.conf",
			"[ -r \"$conf\" ] && . \"$conf\"",
			"echo \"mail statistics for ${domain:-localhost}\""),
		text("/etc/smeforge-demo/mailstats.conf", FileConfig|FileNoReplace, "# How many senders the report lists", "top=20", "# Where the report goes", "mailto=admin@example.org"),
		File{Path: "/var/log/smeforge-demo", Mode: fs.ModeDir | 0o750},
		File{Path: "/var/log/smeforge-demo/mailstats.log", Mode: 0o640, Flags: FileGhost},
		text("/usr/share/man/man1/smeforge-mailstats.1", FileDoc, ".TH SMEFORGE-MAILSTATS 1", ".SH NAME", "smeforge-mailstats \\- daily statistics of the mail server"),
		readme("smeforge-demo-mailstats", "2.0.1", "Run smeforge-mailstats --since yesterday for yesterday's report."),
	)
	mailstats.Requires = []string{"smeforge-demo-lib >= 1.2", "smeforge-demo-base"}
	mailstats.Recommends = []string{"smeforge-demo-backup"}
	mailstats.Changelog = []ChangelogEntry{
		{day(2024, 5, 10), "Jane Doe <jane@example.org> - 2.0.1-3",
			"- Do not count messages twice when the mail log is rotated in the\n  middle of a run: mailstats now remembers which file it read last.\n- Lower the default report to the 20 busiest senders."},
		{day(2024, 3, 2), "Kamil Novak <kamil@example.org> - 2.0.1-2",
			"- Rebuild for smeforge-demo-lib 1.2.3, which fixes the dates of log\n  lines written in the first week of January."},
		{day(2024, 1, 20), "Jane Doe <jane@example.org> - 2.0.1-1",
			"- Update to 2.0.1: --since now accepts \"yesterday\" and ISO dates.\n- Fix a crash when the mail log is empty (#12)."},
		{day(2023, 11, 5), "Omar Haddad <omar@example.net> - 2.0-1",
			"- New major version: the report is plain text by default; the old\n  HTML report is still there with --format=html.\n- The configuration moved from /etc/mailstats.conf to\n  /etc/smeforge-demo/mailstats.conf. The old file is still read when\n  the new one does not exist."},
		{day(2023, 6, 12), "Jane Doe <jane@example.org> - 1.4-1",
			"- Count rejected messages apart from delivered ones.\n- Require smeforge-demo-lib >= 1.2 for its log parsing helpers."},
		{day(2023, 2, 1), "Jane Doe <jane@example.org> - 1.0-1",
			"- First package for the SME Server demo repository."},
	}

	backup := pkg("smeforge-demo-backup", "0.9", "1", "Nightly backup of the smeforge demo settings",
		"Copies /etc/smeforge-demo to /var/lib/smeforge-demo/backups every night.",
		script("/usr/sbin/smeforge-backup", "#!/bin/sh", ". /usr/share/smeforge-demo/lib/functions.sh", "tar -czf /var/lib/smeforge-demo/backups/etc-$(date +%F).tar.gz /etc/smeforge-demo"),
		text("/etc/cron.d/smeforge-backup", FileConfig|FileNoReplace, "30 2 * * * root /usr/sbin/smeforge-backup"),
		File{Path: "/var/lib/smeforge-demo", Mode: fs.ModeDir | 0o755},
		File{Path: "/var/lib/smeforge-demo/backups", Mode: fs.ModeDir | 0o700},
	)
	backup.Requires = []string{"smeforge-demo-base = 1.0-2" + demoRelease, "smeforge-demo-lib >= 1.2"}
	backup.Suggests = []string{"smeforge-demo-mailstats"}
	backup.Changelog = []ChangelogEntry{{day(2024, 4, 28), "Kamil Novak <kamil@example.org> - 0.9-1", "- First package; restoring is still done by hand."}}

	webpanel := pkg("smeforge-demo-webpanel", "3.1.0", "1", "Web panel of the smeforge demo add-ons",
		"A static status page for the demo add-ons. It replaces\nsmeforge-demo-oldpanel.",
		dir("/usr/share/smeforge-demo"),
		dir("/usr/share/smeforge-demo/webpanel"),
		text("/usr/share/smeforge-demo/webpanel/index.html", 0, "<!doctype html>", "<title>smeforge demo</title>", "<p>All demo add-ons are installed.</p>"),
		text("/usr/share/smeforge-demo/webpanel/style.css", 0, "body { font-family: sans-serif; }"),
		text("/etc/smeforge-demo/webpanel.conf", FileConfig|FileNoReplace, "listen=127.0.0.1:8080"),
	)
	webpanel.Requires = []string{"smeforge-demo-base >= 1.0", "smeforge-demo-lib >= 1.2"}
	webpanel.Provides = []string{"smeforge-demo-oldpanel = 3.1.0-1" + demoRelease}
	webpanel.Obsoletes = []string{"smeforge-demo-oldpanel < 3.0"}
	webpanel.Recommends = []string{"smeforge-demo-mailstats"}
	webpanel.Changelog = []ChangelogEntry{
		{day(2024, 5, 6), "Omar Haddad <omar@example.net> - 3.1.0-1", "- Rename from smeforge-demo-oldpanel; the old package is obsoleted\n  and replaced on update."},
	}

	sources := []demoSource{
		{binaries: []PackageSpec{hello}},
		{binaries: []PackageSpec{base}},
		{binaries: []PackageSpec{lib, libDoc}, buildRequires: []string{"make"}},
		{binaries: []PackageSpec{mailstats}, buildRequires: []string{"make", "smeforge-demo-lib >= 1.2"}},
		{binaries: []PackageSpec{backup}},
		{binaries: []PackageSpec{webpanel}},
	}
	for i, s := range sources {
		main := s.binaries[0]
		for j := range s.binaries {
			b := &sources[i].binaries[j]
			b.SourceRPM = fmt.Sprintf("%s-%s-%s.src.rpm", main.Name, main.Version, main.Release)
			b.BuildTime = demoEpoch.Add(time.Duration(i) * time.Hour)
		}
		sources[i].changelog = main.Changelog
	}
	return sources
}

// sourcePackage builds the SRPM of a demo source: its spec file and a
// tarball of the files the binaries install.
func sourcePackage(src demoSource) PackageSpec {
	main := src.binaries[0]
	tarball := main.Name + "-" + main.Version + ".tar.gz"
	s := main
	s.Source = true
	s.SourceRPM = ""
	s.Requires = src.buildRequires
	s.Provides, s.Obsoletes, s.Conflicts = nil, nil, nil
	s.Recommends, s.Suggests, s.Supplements, s.Enhances = nil, nil, nil, nil
	s.Changelog = src.changelog
	s.Files = []File{
		{Path: main.Name + ".spec", Flags: FileSpec, Content: []byte(specFile(src, tarball))},
		{Path: tarball, Content: sourceTarball(src)},
	}
	return s
}

// sourceTarball packs the regular files of the binaries under NAME-VERSION/
// with their base names, as an upstream release tarball would hold them.
func sourceTarball(src demoSource) []byte {
	main := src.binaries[0]
	top := main.Name + "-" + main.Version + "/"
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	seen := map[string]bool{}
	hdr := func(name string, mode int64, size int, typ byte) *tar.Header {
		return &tar.Header{Name: name, Mode: mode, Size: int64(size), Typeflag: typ, ModTime: main.BuildTime,
			Uname: "root", Gname: "root", Format: tar.FormatPAX}
	}
	// Writes to a bytes.Buffer cannot fail.
	_ = tw.WriteHeader(hdr(top, 0o755, 0, tar.TypeDir))
	for _, b := range src.binaries {
		for _, f := range b.Files {
			if f.Mode&(fs.ModeDir|fs.ModeSymlink) != 0 || f.Flags&FileGhost != 0 || seen[path.Base(f.Path)] {
				continue
			}
			seen[path.Base(f.Path)] = true
			_ = tw.WriteHeader(hdr(top+path.Base(f.Path), int64(cmp.Or(f.Mode.Perm(), 0o644)), len(f.Content), tar.TypeReg))
			_, _ = tw.Write(f.Content)
		}
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

// specFile writes the spec file rpmbuild would have built the demo
// packages from.
func specFile(src demoSource, tarball string) string {
	main := src.binaries[0]
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	deps := func(p PackageSpec) {
		for _, l := range []struct {
			tag  string
			list []string
		}{{"Requires", p.Requires}, {"Provides", p.Provides}, {"Obsoletes", p.Obsoletes},
			{"Conflicts", p.Conflicts}, {"Recommends", p.Recommends}, {"Suggests", p.Suggests}} {
			for _, d := range l.list {
				w("%-15s %s", l.tag+":", strings.ReplaceAll(d, main.Release, "%{release}"))
			}
		}
	}
	w("Name:           %s", main.Name)
	w("Version:        %s", main.Version)
	w("Release:        %s%%{?dist}", strings.TrimSuffix(main.Release, demoRelease))
	w("Summary:        %s", main.Summary)
	w("License:        %s", main.License)
	w("URL:            %s", main.URL)
	w("Source0:        %s", tarball)
	w("BuildArch:      noarch")
	for _, r := range src.buildRequires {
		w("BuildRequires:  %s", r)
	}
	deps(main)
	w("")
	w("%%description")
	w("%s", main.Description)
	for _, sub := range src.binaries[1:] {
		w("")
		w("%%package -n %s", sub.Name)
		w("Summary:        %s", sub.Summary)
		deps(sub)
		w("")
		w("%%description -n %s", sub.Name)
		w("%s", sub.Description)
	}
	w("")
	w("%%prep")
	w("%%setup -q")
	w("")
	w("%%install")
	for _, p := range src.binaries {
		for _, f := range p.Files {
			switch {
			case f.Mode&fs.ModeDir != 0:
				w("install -d -m %04o %%{buildroot}%s", cmp.Or(f.Mode.Perm(), 0o755), f.Path)
			case f.Flags&FileGhost != 0:
				w("touch %%{buildroot}%s", f.Path)
			default:
				w("install -D -m %04o %s %%{buildroot}%s", cmp.Or(f.Mode.Perm(), 0o644), path.Base(f.Path), f.Path)
			}
		}
	}
	for i, p := range src.binaries {
		w("")
		if i == 0 {
			w("%%files")
		} else {
			w("%%files -n %s", p.Name)
		}
		for _, f := range p.Files {
			var attrs []string
			switch {
			case f.Mode&fs.ModeDir != 0:
				attrs = append(attrs, "%dir")
			case f.Flags&FileGhost != 0:
				attrs = append(attrs, "%ghost")
			case f.Flags&FileNoReplace != 0:
				attrs = append(attrs, "%config(noreplace)")
			case f.Flags&FileConfig != 0:
				attrs = append(attrs, "%config")
			case f.Flags&FileDoc != 0:
				attrs = append(attrs, "%doc")
			}
			if perm := f.Mode.Perm(); perm != 0 && perm != 0o644 && perm != 0o755 {
				attrs = append(attrs, fmt.Sprintf("%%attr(%04o,root,root)", perm))
			}
			w("%s", strings.TrimSpace(strings.Join(attrs, " ")+" "+f.Path))
		}
	}
	w("")
	w("%%changelog")
	for i, c := range src.changelog {
		if i > 0 {
			w("")
		}
		w("* %s %s", c.Time.Format("Mon Jan 02 2006"), c.Author)
		w("%s", c.Text)
	}
	return b.String()
}
