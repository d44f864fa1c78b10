package corpus

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Model is the population Generate draws packages from: real (or
// plausible) names, versions and the dependency graph between them.
type Model struct {
	Packages []ModelPackage
}

// ModelPackage is one package of a Model. Provides and Requires are
// written as `rpm -q --provides` prints them ("foo", "foo >= 1.2").
type ModelPackage struct {
	Name     string
	Epoch    uint32
	Version  string
	Release  string
	Arch     string
	Provides []string
	Requires []string
}

// LoadModel reads every *.nevra.txt in dir together with its
// .provides.txt and .requires.txt companions (see
// ../shared/testdata/rpmdb): one "name-[epoch:]version-release.arch" per
// line, and "NAME.ARCH P|R capability [op evr]" lines. Pseudo-packages
// without an architecture (gpg-pubkey) are skipped.
func LoadModel(dir string) (*Model, error) {
	lists, err := filepath.Glob(filepath.Join(dir, "*.nevra.txt"))
	if err != nil {
		return nil, fmt.Errorf("corpus: loading model from %s: %w", dir, err)
	}
	if len(lists) == 0 {
		return nil, fmt.Errorf("corpus: loading model from %s: no *.nevra.txt file", dir)
	}
	sort.Strings(lists)
	m := &Model{}
	index := map[string]int{} // "name.arch" → position in m.Packages
	for _, list := range lists {
		prefix := strings.TrimSuffix(list, ".nevra.txt")
		err := eachLine(list, func(line string) error {
			p, ok, err := parseNEVRA(line)
			if err != nil || !ok {
				return err
			}
			key := p.Name + "." + p.Arch
			if _, dup := index[key]; !dup {
				index[key] = len(m.Packages)
				m.Packages = append(m.Packages, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, kind := range []string{"provides", "requires"} {
			file := prefix + "." + kind + ".txt"
			if _, err := os.Stat(file); err != nil {
				return nil, fmt.Errorf("corpus: loading model: %w", err)
			}
			err := eachLine(file, func(line string) error {
				f := strings.SplitN(line, " ", 3)
				if len(f) != 3 || (f[1] != "P" && f[1] != "R") {
					return fmt.Errorf("malformed dependency line %q", line)
				}
				i, ok := index[f[0]]
				if !ok {
					return nil // a package the NEVRA list skipped, such as gpg-pubkey
				}
				dep := strings.Join(strings.Fields(f[2]), " ")
				if f[1] == "P" {
					m.Packages[i].Provides = append(m.Packages[i].Provides, dep)
				} else {
					m.Packages[i].Requires = append(m.Packages[i].Requires, dep)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func eachLine(file string, fn func(string) error) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("corpus: loading model: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("corpus: loading model: %s:%d: %w", file, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("corpus: loading model: reading %s: %w", file, err)
	}
	return nil
}

// parseNEVRA splits "name-[epoch:]version-release.arch". ok is false for
// a line without an architecture such as "gpg-pubkey-f4a80eb5-53a7ff4b".
func parseNEVRA(s string) (p ModelPackage, ok bool, err error) {
	dot := strings.LastIndexByte(s, '.')
	rdash := strings.LastIndexByte(s, '-')
	if dot < 0 || dot < rdash {
		return p, false, nil
	}
	p.Arch = s[dot+1:]
	if !knownArch(p.Arch) {
		return p, false, nil
	}
	nvr := s[:dot]
	rdash = strings.LastIndexByte(nvr, '-')
	if rdash <= 0 {
		return p, false, fmt.Errorf("malformed NEVRA %q", s)
	}
	vdash := strings.LastIndexByte(nvr[:rdash], '-')
	if vdash <= 0 {
		return p, false, fmt.Errorf("malformed NEVRA %q", s)
	}
	p.Name, p.Release = nvr[:vdash], nvr[rdash+1:]
	p.Version = nvr[vdash+1 : rdash]
	if e, v, found := strings.Cut(p.Version, ":"); found {
		n, err := strconv.ParseUint(e, 10, 32)
		if err != nil {
			return p, false, fmt.Errorf("malformed epoch in %q", s)
		}
		p.Epoch, p.Version = uint32(n), v
	}
	return p, true, nil
}

func knownArch(a string) bool {
	switch a {
	case "noarch", "x86_64", "i686", "i386", "aarch64", "ppc64le", "ppc64", "s390x", "armv7hl", "src":
		return true
	}
	return false
}

// isaSuffix returns rpm's "(x86-64)"-style ISA suffix of an architecture,
// or "" for noarch.
func isaSuffix(arch string) string {
	switch arch {
	case "x86_64":
		return "(x86-64)"
	case "i686", "i386":
		return "(x86-32)"
	case "aarch64":
		return "(aarch-64)"
	case "ppc64le", "ppc64":
		return "(ppc-64)"
	case "s390x":
		return "(s390-64)"
	case "armv7hl":
		return "(arm-32)"
	}
	return ""
}

// soname returns "libfoo.so.1" for the capability "libfoo.so.1()(64bit)"
// (or "libfoo.so.1()" on 32-bit), and false for anything else, including
// symbol versions such as "libc.so.6(GLIBC_2.14)(64bit)".
func soname(capability string) (string, bool) {
	s, ok := strings.CutSuffix(capability, "()(64bit)")
	if !ok {
		s, ok = strings.CutSuffix(capability, "()")
	}
	if !ok || !strings.Contains(s, ".so") || strings.ContainsAny(s, "()/ ") {
		return "", false
	}
	return s, true
}
