package corpus

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path"
	"strconv"
	"strings"
	"time"
)

var (
	words = strings.Fields(`
		access account action adapter agent alias archive array audit backend batch binding
		block buffer bundle cache calendar channel charset checksum cipher class client
		cluster codec column command config connection console context cookie counter
		cursor daemon data debug device digest directory display domain driver editor
		encoder engine entry event export extension field filter flag font format frame
		gateway graph group handler hash header helper history host image index input
		interface journal kernel key label layer layout lexer limit link listener loader
		locale lock log lookup mailbox manager map marker matrix message metadata method
		mirror module monitor mount network node notice object option output package
		packet page panel parser partition patch path pattern peer pipe plugin policy pool
		port printer process profile protocol proxy query queue quota reader record
		registry relay remote render report repository request resolver resource route
		rule sample scanner schema screen script section sensor server service session
		shell signal socket source spool stack state storage stream string style symbol
		table target task template terminal thread ticket timer token tracker transport
		tree trigger tunnel type unit update user value vector version view volume watcher
		widget window worker writer zone`)
	topics = []string{
		"XML", "JSON", "compressed archive", "audio", "network", "font", "image", "mail",
		"calendar", "database", "terminal", "cryptographic", "configuration file", "log",
		"kernel module", "USB device", "printer", "DNS", "LDAP directory", "SMTP", "HTTP",
		"spell checking", "regular expression", "Unicode text", "package metadata",
		"authentication", "disk quota", "time zone", "SELinux policy", "PAM",
	}
	firstNames = strings.Fields(`Jane John Maria Pavel Tomas Petr Karel Lukas Ondrej Florian
		Miroslav Jiri Adam Eva Lenka Martin Michal Zdenek Vit Nikos Igor Panu Dmitri Kamil
		Colin Stephen Terry Brian Charlie Ian Daniel Jean-Marc Darrell Rich Philip Bastien
		Gwyn Jeff Mark Anna Olga Sofia Hiroshi Yu Wei Priya Arjun Fatima Omar Elena`)
	lastNames = strings.Fields(`Doe Smith Novak Svoboda Dvorak Cerny Prochazka Kucera
		Vesely Horak Nemec Marek Pospisil Hajek Jelinek Kral Ruzicka Benes Fiala Sedlacek
		Dolezal Zeman Kolar Navratil Cermak Walters Nagy Kowalski Jensen Larsen Berg Moreau
		Laurent Rossi Bianchi Garcia Fernandez Tanaka Sato Chen Wang Kumar Patel Haddad`)
	mailDomains = []string{"example.org", "example.com", "example.net"}
	licenses    = []string{
		"GPLv2+", "GPLv2+", "GPLv2", "LGPLv2+", "MIT", "MIT", "BSD", "ASL 2.0", "ASL 2.0",
		"GPLv3+", "BSD and GPLv2", "LGPLv2+ and GPLv2+", "MPLv2.0", "Public Domain",
		"GPL+ or Artistic", "zlib", "ISC", "OpenSSL", "LGPLv3+", "GPLv2+ with exceptions",
		"BSD with advertising", "Artistic 2.0", "MIT and BSD", "GPLv2 and LGPLv2 and BSD",
	}
	groups = []string{
		"Applications/System", "System Environment/Base", "Applications/Internet",
		"Development/Tools", "Applications/Text", "Applications/Multimedia",
		"System Environment/Daemons", "Applications/Databases", "System Environment/Shells",
	}
	langs = strings.Fields(`af ar bg ca cs da de el en_GB eo es et eu fi fr ga gl he hr hu
		id it ja ko lt lv ms nb nl pl pt pt_BR ro ru sk sl sr sv ta tr uk vi zh_CN zh_TW`)
	fixes = []string{
		"crash when %s is empty", "memory leak in the %s code", "wrong permissions on the %s",
		"a race condition in %s handling", "handling of long %s names", "segfault on an invalid %s",
		"the %s option being ignored", "a regression in %s parsing", "a file descriptor leak in %s",
		"an off-by-one error in the %s", "%s lookups over IPv6", "time outs when the %s is busy",
	}
)

// oneOf picks an element of list.
func oneOf[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

// buildSpec turns a planned package into the full PackageSpec: texts,
// changelog and files. All randomness comes from seed and the package's
// identity, so the result does not depend on the order of the workers.
func buildSpec(p *planned, seed int64) PackageSpec {
	rng := rand.New(rand.NewPCG(seedFor(seed, "pkg", p.fileName())))
	// Texts shared by every package of one SRPM.
	src := rand.New(rand.NewPCG(seedFor(seed, "src", p.srcName)))
	topic := oneOf(src, topics)
	license := oneOf(src, licenses)
	url := projectURL(src, p.srcName)
	changelogSeed1, changelogSeed2 := seedFor(seed, "changelog", p.srcName, p.version, p.release)

	spec := PackageSpec{
		Name: p.name, Epoch: p.epoch, Version: p.version, Release: p.release, Arch: p.arch,
		License:    license,
		URL:        url,
		Vendor:     "CentOS",
		Packager:   "CentOS BuildSystem <http://bugs.centos.org>",
		BuildHost:  fmt.Sprintf("x86-%02d.bsys.centos.org", 1+rng.IntN(3)),
		BuildTime:  p.buildTime,
		SourceRPM:  p.sourceRPM(),
		Compressor: corpusCompressor,
	}
	spec.Summary, spec.Group = summaryFor(p, topic, rng)
	spec.Description = description(p, topic, rng)
	switch p.kind {
	case kindPerl:
		spec.License = "GPL+ or Artistic"
		spec.URL = "https://metacpan.org/release/" + strings.TrimPrefix(p.name, "perl-")
	case kindPython:
		spec.URL = "https://pypi.org/project/" + strings.TrimPrefix(p.name, "python"+p.pyVer[:1]+"-") + "/"
	}
	for _, l := range []struct {
		in  []dep
		out *[]string
	}{
		{p.provides, &spec.Provides}, {p.requires, &spec.Requires}, {p.conflicts, &spec.Conflicts},
		{p.obsoletes, &spec.Obsoletes}, {p.recommends, &spec.Recommends}, {p.suggests, &spec.Suggests},
		{p.supplements, &spec.Supplements}, {p.enhances, &spec.Enhances},
	} {
		for _, d := range l.in {
			*l.out = append(*l.out, d.String())
		}
	}
	spec.Changelog = changelog(rand.New(rand.NewPCG(changelogSeed1, changelogSeed2)), p, topic)
	spec.Files = buildFiles(p, rng)
	return spec
}

func projectURL(rng *rand.Rand, name string) string {
	switch rng.IntN(5) {
	case 0:
		return "https://github.com/" + name + "/" + name
	case 1:
		return "http://" + name + ".sourceforge.net/"
	case 2:
		return "https://gitlab.com/" + name + "/" + name
	}
	return "https://www." + strings.Trim(name, "+-_.") + ".org/"
}

func summaryFor(p *planned, topic string, rng *rand.Rand) (summary, group string) {
	parent := p.srcName
	switch p.kind {
	case kindDevel:
		return "Development files for " + parent, "Development/Libraries"
	case kindDoc:
		return "Documentation for " + parent, "Documentation"
	case kindPython:
		return "Python " + p.pyVer[:1] + " bindings for " + parent, "Development/Languages"
	case kindPerl:
		return "Perl interface to " + parent, "Development/Libraries"
	case kindCommon:
		return "Common files for " + parent, "System Environment/Base"
	case kindTools:
		return "Command-line tools for " + parent, "Applications/System"
	case kindLibs:
		return "Libraries for " + parent, "System Environment/Libraries"
	case kindCompat:
		parent = p.name
		if i := strings.LastIndex(parent, "-compat"); i > 0 {
			parent = parent[:i]
		}
		return "Compatibility package for applications built against older " + parent, "System Environment/Libraries"
	case kindSub:
		word := strings.TrimPrefix(p.name, p.srcName+"-")
		return fmt.Sprintf("The %s part of %s", strings.ReplaceAll(word, "-", " "), parent), oneOf(rng, groups)
	}
	if strings.HasPrefix(p.name, "lib") || strings.HasSuffix(p.name, "-libs") {
		return fmt.Sprintf("A library for %s %s", topic, oneOf(rng, []string{"handling", "parsing", "processing", "access"})), "System Environment/Libraries"
	}
	return fmt.Sprintf("%s %s for %s %s", oneOf(rng, []string{"Fast", "Simple", "Small", "Portable", "Secure", "Flexible"}),
		oneOf(rng, []string{"utilities", "tools", "server", "client", "library"}), topic, oneOf(rng, []string{"management", "data", "processing", "services"})), oneOf(rng, groups)
}

func description(p *planned, topic string, rng *rand.Rand) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The %s package provides %s support for %s.", p.name, topic, oneOf(rng, []string{"applications", "servers", "command-line tools", "desktop programs", "scripts"}))
	for range 1 + rng.IntN(5) {
		fmt.Fprintf(&b, " It %s %s %ss and %s %ss.", oneOf(rng, []string{"handles", "reads", "writes", "checks", "converts", "caches"}),
			oneOf(rng, []string{"local", "remote", "large", "nested", "compressed", "signed"}), oneOf(rng, words),
			oneOf(rng, []string{"several", "many", "custom", "legacy", "shared"}), oneOf(rng, words))
	}
	switch p.kind {
	case kindDevel:
		fmt.Fprintf(&b, " Install %s if you want to build programs that use %s.", p.name, p.srcName)
	case kindDoc:
		b.WriteString(" This package contains the HTML manual and examples.")
	}
	return wrap(b.String(), 76)
}

// wrap folds text at width columns as a spec file's %description would.
func wrap(text string, width int) string {
	var b strings.Builder
	col := 0
	for _, w := range strings.Fields(text) {
		if col > 0 && col+1+len(w) > width {
			b.WriteByte('\n')
			col = 0
		} else if col > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

// changelog writes 3 to 20 entries, newest first, counting releases down
// from the package's own and stepping to older versions on the way.
func changelog(rng *rand.Rand, p *planned, topic string) []ChangelogEntry {
	n := 3 + rng.IntN(18)
	version := p.version
	rel := leadingInt(p.release)
	t := p.buildTime.Truncate(24 * time.Hour).Add(12*time.Hour - time.Duration(rng.IntN(4))*24*time.Hour)
	out := make([]ChangelogEntry, 0, n)
	for i := range n {
		first, last := oneOf(rng, firstNames), oneOf(rng, lastNames)
		email := strings.ToLower(first[:1]+last) + "@" + oneOf(rng, mailDomains)
		if rng.IntN(2) == 0 {
			email = strings.ToLower(first) + "@" + oneOf(rng, mailDomains)
		}
		evr := version + "-" + strconv.Itoa(rel)
		if p.epoch != 0 {
			evr = strconv.Itoa(int(p.epoch)) + ":" + evr
		}
		var lines []string
		newVersion := rel == 1
		if newVersion {
			lines = append(lines, "- Update to "+version)
		}
		for range 1 + rng.IntN(3) {
			lines = append(lines, changelogLine(rng, topic))
		}
		if i == n-1 {
			lines = append(lines, "- Initial package")
		}
		out = append(out, ChangelogEntry{
			Time:   t,
			Author: fmt.Sprintf("%s %s <%s> - %s", first, last, email, evr),
			Text:   strings.Join(lines, "\n"),
		})
		t = t.Add(-time.Duration(7+rng.IntN(400)) * 24 * time.Hour)
		if rel > 1 {
			rel--
		} else {
			version = lowerVersion(version)
			rel = 1 + rng.IntN(8)
		}
	}
	return out
}

func changelogLine(rng *rand.Rand, topic string) string {
	w := oneOf(rng, words)
	bug := 1000000 + rng.IntN(700000)
	switch rng.IntN(9) {
	case 0:
		return fmt.Sprintf("- Fix CVE-%d-%d: %s in the %s %s\n  Resolves: #%d",
			2014+rng.IntN(6), 1000+rng.IntN(20000), oneOf(rng, []string{"buffer overflow", "use after free", "integer overflow", "NULL pointer dereference"}), topic, w, bug)
	case 1:
		return fmt.Sprintf("- Resolves: #%d", bug)
	case 2:
		return "- Rebuilt for " + oneOf(rng, []string{"the new libffi", "OpenSSL 1.0.2", "GCC 4.8.5", "the RHEL 7.6 mass rebuild", "hardened build flags"})
	case 3:
		return fmt.Sprintf("- Add a --%s-%s option", w, oneOf(rng, words))
	case 4:
		return fmt.Sprintf("- Drop the obsolete %s patch, merged upstream", w)
	case 5:
		return fmt.Sprintf("- Backport upstream fix for %s (#%d)", fmt.Sprintf(oneOf(rng, fixes), w), bug)
	case 6:
		return "- Use the %license macro for the license files"
	case 7:
		return fmt.Sprintf("- Fix %s\n  (the %s was not reset after a failed %s)", fmt.Sprintf(oneOf(rng, fixes), w), w, oneOf(rng, words))
	}
	return fmt.Sprintf("- Fix %s", fmt.Sprintf(oneOf(rng, fixes), w))
}

func leadingInt(s string) int {
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1e6; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return max(n, 1)
}

// lowerVersion decreases the last number of a version that is above zero:
// 2.2.51 → 2.2.50, 1.0 → 0.9.
func lowerVersion(v string) string {
	b := []byte(v)
	for end := len(b); end > 0; {
		for end > 0 && (b[end-1] < '0' || b[end-1] > '9') {
			end--
		}
		start := end
		for start > 0 && b[start-1] >= '0' && b[start-1] <= '9' {
			start--
		}
		if start == end {
			break
		}
		n, err := strconv.Atoi(string(b[start:end]))
		if err == nil && n > 0 {
			return string(b[:start]) + strconv.Itoa(n-1) + string(b[end:])
		}
		if err == nil && start > 0 {
			// x.0 → (x-1).9: lower the number before and set this one to 9.
			if prev := lowerVersion(string(b[:start-1])); prev != string(b[:start-1]) {
				return prev + string(b[start-1:start]) + "9" + string(b[end:])
			}
		}
		end = start
	}
	return v
}

// fileSet collects a package's files without duplicates.
type fileSet struct {
	rng   *rand.Rand
	files []File
	seen  map[string]bool
}

func (s *fileSet) add(f File) bool {
	if s.seen[f.Path] {
		return false
	}
	s.seen[f.Path] = true
	s.files = append(s.files, f)
	return true
}

func (s *fileSet) text(p string, flags FileFlags, lines ...string) {
	s.add(File{Path: p, Flags: flags, Content: textContent(s.rng, lines)})
}

func (s *fileSet) elf(p string, mode fs.FileMode) {
	s.add(File{Path: p, Mode: mode, Content: binaryContent(s.rng, []byte("\x7fELF\x02\x01\x01\x00"))})
}

func textContent(rng *rand.Rand, lines []string) []byte {
	var b []byte
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	size := 30 + rng.IntN(300)
	for len(b) < size {
		for range 4 + rng.IntN(8) {
			b = append(b, oneOf(rng, words)...)
			b = append(b, ' ')
		}
		b[len(b)-1] = '\n'
	}
	return b
}

func binaryContent(rng *rand.Rand, magic []byte) []byte {
	b := append([]byte(nil), magic...)
	for range 40 + rng.IntN(360) {
		b = append(b, byte(rng.Uint32()))
	}
	return b
}

func libDir(arch string) string {
	if sonameSuffix(arch) == "()(64bit)" {
		return "/usr/lib64"
	}
	return "/usr/lib"
}

// buildFiles draws 5 to 150 files with paths that suit the package's kind.
func buildFiles(p *planned, rng *rand.Rand) []File {
	x := rng.Float64()
	target := 5 + int(145*x*x*x)
	s := &fileSet{rng: rng, seen: map[string]bool{}}
	stem := p.stem
	lib := libDir(p.arch)
	docDir := "/usr/share/doc/" + p.name + "-" + p.version
	dataDir := "/usr/share/" + stem
	mtime := p.buildTime

	// Directories the package owns get their own entries.
	own := func(dir string, mode fs.FileMode) {
		s.add(File{Path: dir, Mode: fs.ModeDir | mode})
	}
	under := func(dir string) {
		if !s.seen[dir] {
			own(dir, 0o755)
		}
	}

	// Files other packages require by path come first.
	for _, f := range p.ownFiles {
		switch {
		case strings.HasPrefix(f, "/etc/"):
			s.text(f, FileConfig|FileNoReplace, "# "+f)
		case path.Base(f) == "sh":
			s.add(File{Path: f, Mode: fs.ModeSymlink | 0o777, Content: []byte("bash")})
		default:
			s.elf(f, 0o755)
		}
	}

	docs := func() {
		under(docDir)
		s.text(docDir+"/README", FileDoc, p.name+" "+p.version, "")
		for _, n := range []string{"NEWS", "AUTHORS", "ChangeLog", "TODO", "THANKS"} {
			if rng.IntN(2) == 0 {
				s.text(docDir+"/"+n, FileDoc)
			}
		}
		s.text(docDir+"/COPYING", FileDoc|FileLicense, "This program is free software.")
	}
	man := func(sect, name string) {
		s.add(File{Path: fmt.Sprintf("/usr/share/man/man%s/%s.%s.gz", sect[:1], name, sect), Flags: FileDoc,
			Content: binaryContent(rng, []byte{0x1f, 0x8b, 0x08, 0x00})})
	}
	libraries := func() {
		for _, d := range p.provides {
			so, ok := soname(d.name)
			if !ok || s.seen[lib+"/"+so] {
				continue
			}
			real := so + "." + strconv.Itoa(rng.IntN(10)) + "." + strconv.Itoa(rng.IntN(20))
			s.elf(lib+"/"+real, 0o755)
			s.add(File{Path: lib + "/" + so, Mode: fs.ModeSymlink | 0o777, Content: []byte(real)})
		}
	}
	binaries := func() {
		s.elf("/usr/bin/"+stem, 0o755)
		man("1", stem)
		for range rng.IntN(4) {
			b := stem + "-" + oneOf(rng, words)
			s.elf("/usr/bin/"+b, 0o755)
			man("1", b)
		}
	}
	daemon := func() {
		d := strings.TrimSuffix(stem, "d") + "d"
		s.elf("/usr/sbin/"+d, 0o755)
		man("8", d)
		s.text("/usr/lib/systemd/system/"+d+".service", 0, "[Unit]", "Description="+p.name+" daemon", "", "[Service]", "ExecStart=/usr/sbin/"+d, "", "[Install]", "WantedBy=multi-user.target")
		s.text("/etc/sysconfig/"+d, FileConfig|FileNoReplace, "# Options for "+d, "OPTIONS=\"\"")
	}
	config := func() {
		s.text("/etc/"+stem+".conf", FileConfig|FileNoReplace, "# "+stem+" configuration", "")
		man("5", stem+".conf")
		if rng.IntN(2) == 0 {
			under("/etc/" + stem)
			for range 1 + rng.IntN(4) {
				s.text("/etc/"+stem+"/"+oneOf(rng, words)+".conf", FileConfig|FileNoReplace)
			}
		}
		if rng.IntN(3) == 0 {
			s.text("/etc/logrotate.d/"+stem, FileConfig|FileNoReplace, "/var/log/"+stem+"/*.log {", "    missingok", "}")
		}
	}
	ghosts := func() {
		own("/var/log/"+stem, 0o750)
		s.add(File{Path: "/var/log/" + stem + "/" + stem + ".log", Mode: 0o640, Flags: FileGhost})
		if rng.IntN(2) == 0 {
			s.add(File{Path: "/run/" + stem + ".pid", Flags: FileGhost})
		}
		if rng.IntN(2) == 0 {
			own("/var/lib/"+stem, 0o700)
			s.add(File{Path: "/var/lib/" + stem + "/state", Mode: 0o600, Flags: FileGhost | FileConfig | FileMissingOK})
		}
	}
	locales := func() {
		for _, l := range langs[:rng.IntN(len(langs))] {
			s.add(File{Path: "/usr/share/locale/" + l + "/LC_MESSAGES/" + stem + ".mo",
				Content: binaryContent(rng, []byte{0xde, 0x12, 0x04, 0x95})})
		}
	}

	// Padding: more files of the kind's usual sort, numbered so they never
	// collide.
	var pad func(i int)
	switch p.kind {
	case kindDevel:
		inc := "/usr/include/" + strings.TrimSuffix(stem, "-devel")
		base := strings.TrimSuffix(stem, "-devel")
		under(inc)
		s.text(inc+".h", 0, "#ifndef "+strings.ToUpper(strings.NewReplacer("-", "_", "+", "P", ".", "_").Replace(base))+"_H")
		s.text(lib+"/pkgconfig/"+base+".pc", 0, "prefix=/usr", "libdir="+lib, "Name: "+base, "Version: "+p.version, "Libs: -l"+strings.TrimPrefix(base, "lib"))
		s.add(File{Path: lib + "/lib" + strings.TrimPrefix(base, "lib") + ".so", Mode: fs.ModeSymlink | 0o777, Content: []byte("lib" + strings.TrimPrefix(base, "lib") + ".so.1")})
		if rng.IntN(4) == 0 {
			s.text("/usr/share/aclocal/"+base+".m4", 0, "dnl "+base+" autoconf macros")
		}
		pad = func(i int) {
			w := oneOf(rng, words)
			if i%3 == 2 {
				man("3", fmt.Sprintf("%s_%s%d", strings.ReplaceAll(base, "-", "_"), w, i))
				return
			}
			s.text(fmt.Sprintf("%s/%s%d.h", inc, w, i), 0, "/* "+w+" */")
		}
	case kindDoc:
		docs()
		under(docDir + "/html")
		pad = func(i int) {
			if i%5 == 4 {
				under(docDir + "/examples")
				s.text(fmt.Sprintf("%s/examples/%s%d.c", docDir, oneOf(rng, words), i), FileDoc, "#include <stdio.h>")
				return
			}
			s.text(fmt.Sprintf("%s/html/%s%d.html", docDir, oneOf(rng, words), i), FileDoc, "<html><head><title>"+p.name+"</title></head>")
		}
	case kindPython:
		py := "python" + p.pyVer
		site := "/usr/lib/" + py + "/site-packages/"
		if p.arch != "noarch" {
			site = lib + "/" + py + "/site-packages/"
		}
		tag := strings.ReplaceAll(p.pyVer, ".", "")
		mod := strings.NewReplacer("-", "_", ".", "_", "+", "p").Replace(strings.TrimPrefix(stem, "python"+p.pyVer[:1]+"-"))
		under(site + mod)
		s.text(site+mod+"/__init__.py", 0, "\"\"\""+p.summaryHint()+"\"\"\"")
		cache := site + mod + "/__pycache__/"
		if strings.HasPrefix(p.pyVer, "2") {
			cache = site + mod + "/" // Python 2 writes .pyc beside the source
		} else {
			under(strings.TrimSuffix(cache, "/"))
		}
		egg := site + mod + "-" + p.version + "-py" + p.pyVer + ".egg-info"
		under(egg)
		s.text(egg+"/PKG-INFO", 0, "Metadata-Version: 1.1", "Name: "+mod, "Version: "+p.version)
		if p.arch != "noarch" {
			s.elf(site+mod+"/_"+mod+".cpython-"+tag+"m-x86_64-linux-gnu.so", 0o755)
		}
		docs()
		pad = func(i int) {
			w := fmt.Sprintf("%s%d", oneOf(rng, words), i)
			s.text(site+mod+"/"+w+".py", 0, "import os", "", "def "+w+"():")
			pyc := cache + w + ".cpython-" + tag + ".pyc"
			if strings.HasPrefix(p.pyVer, "2") {
				pyc = cache + w + ".pyc"
			}
			s.add(File{Path: pyc, Content: binaryContent(rng, []byte{0x33, 0x0d, 0x0d, 0x0a})})
		}
	case kindPerl:
		mod := strings.TrimPrefix(p.name, "perl-")
		vp := "/usr/share/perl5/vendor_perl/" + strings.ReplaceAll(mod, "-", "/")
		s.text(vp+".pm", 0, "package "+strings.ReplaceAll(mod, "-", "::")+";", "use strict;", "use warnings;")
		man("3pm", strings.ReplaceAll(mod, "-", "::"))
		under(vp)
		docs()
		pad = func(i int) {
			w := strings.ToUpper(oneOf(rng, words)[:1]) + oneOf(rng, words) + strconv.Itoa(i)
			s.text(vp+"/"+w+".pm", 0, "package "+strings.ReplaceAll(mod, "-", "::")+"::"+w+";", "use strict;")
			if i%2 == 0 {
				man("3pm", strings.ReplaceAll(mod, "-", "::")+"::"+w)
			}
		}
	default:
		libraries()
		isLib := strings.HasPrefix(p.name, "lib") || p.kind == kindLibs || p.kind == kindCompat
		if !isLib || p.kind == kindTools {
			binaries()
		}
		if p.kind == kindBase || p.kind == kindUpdate || p.kind == kindCommon || p.kind == kindSub {
			if rng.IntN(2) == 0 {
				config()
			}
			if rng.IntN(5) == 0 || strings.HasSuffix(p.name, "-server") || strings.HasSuffix(p.name, "-daemon") {
				daemon()
				ghosts()
			}
			if rng.IntN(3) == 0 {
				locales()
			}
		}
		docs()
		pad = func(i int) {
			under(dataDir)
			ext := oneOf(rng, []string{"dat", "xml", "conf", "txt", "map", "tmpl", "json"})
			s.text(fmt.Sprintf("%s/%s%d.%s", dataDir, oneOf(rng, words), i, ext), 0)
		}
	}
	for i := 0; len(s.files) < target; i++ {
		pad(i)
	}
	for i := range s.files {
		if s.files[i].MTime.IsZero() {
			s.files[i].MTime = mtime.Add(-time.Duration(rng.IntN(3600*24*30)) * time.Second)
		}
	}
	return s.files
}

// summaryHint is a one-line docstring for generated Python modules.
func (p *planned) summaryHint() string { return p.name + " " + p.version }
