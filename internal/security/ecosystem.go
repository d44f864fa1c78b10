package security

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/smeserver/smeforge/internal/catalog"
)

// ecosystemNames maps the lower-case distribution names a release's base
// OS or a record may use to the OSV ecosystem name. Each rebuild of Red
// Hat Enterprise Linux also reads Red Hat's own records of the same major
// version (the same sources, the same EVRs up to the dist tag), so
// Ecosystems adds "Red Hat:N" to each.
//
//	base OS          ecosystems
//	Rocky Linux 8    Rocky Linux:8, Red Hat:8
//	AlmaLinux 8      AlmaLinux:8, Red Hat:8
//	CentOS 7         CentOS:7, Red Hat:7
//	RHEL 9           Red Hat:9
var ecosystemNames = map[string]string{
	"rocky linux":                     "Rocky Linux",
	"rocky":                           "Rocky Linux",
	"almalinux":                       "AlmaLinux",
	"alma linux":                      "AlmaLinux",
	"centos":                          "CentOS",
	"centos linux":                    "CentOS",
	"red hat":                         "Red Hat",
	"red hat enterprise linux":        "Red Hat",
	"rhel":                            "Red Hat",
	"redhat":                          "Red Hat",
	"red hat enterprise linux server": "Red Hat",
}

// Ecosystems lists the OSV ecosystems whose records concern a release, the
// release's own first; none when its base OS is not one the forge knows.
func Ecosystems(r *catalog.Release) []string {
	name, version := r.BaseName, r.BaseVersion
	if name == "" {
		name, version = splitBase(r.BaseOS)
	}
	eco, ok := ecosystemNames[strings.ToLower(strings.TrimSpace(name))]
	major := majorOf(version)
	if !ok || major == "" {
		return nil
	}
	own := eco + ":" + major
	if eco == "Red Hat" {
		return []string{own}
	}
	return []string{own, "Red Hat:" + major}
}

// splitBase splits "Rocky Linux 8.9" into its name and version.
func splitBase(s string) (string, string) {
	s = strings.TrimSpace(s)
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// majorOf is the major version of "8", "8.9" or "8.x", "" if none.
func majorOf(v string) string {
	v = strings.TrimSpace(v)
	end := strings.IndexFunc(v, func(r rune) bool { return !unicode.IsDigit(r) })
	if end < 0 {
		end = len(v)
	}
	if end == 0 {
		return ""
	}
	n, err := strconv.Atoi(v[:end])
	if err != nil {
		return ""
	}
	return strconv.Itoa(n)
}

// NormalizeEcosystem turns a record's ecosystem into the forge's form
// ("Rocky Linux:8"); Red Hat's long forms
// ("Red Hat:enterprise_linux:8::appstream") become "Red Hat:8". An
// ecosystem of no RPM distribution the forge knows is an error.
func NormalizeEcosystem(s string) (string, error) {
	name, rest, _ := strings.Cut(strings.TrimSpace(s), ":")
	eco, ok := ecosystemNames[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return "", fmt.Errorf("ecosystem %q is not one the forge reads (Rocky Linux:N, AlmaLinux:N, CentOS:N, Red Hat:N)", s)
	}
	major := majorOf(rest)
	if major == "" && eco == "Red Hat" {
		// "Red Hat:enterprise_linux:8::appstream", "Red Hat:rhel_eus:8.6::baseos"
		for _, part := range strings.Split(rest, ":") {
			if m := majorOf(part); m != "" {
				major = m
				break
			}
		}
	}
	if major == "" {
		return "", fmt.Errorf("ecosystem %q names no major version (for example %q)", s, eco+":8")
	}
	return eco + ":" + major, nil
}

// validEVR checks a version as records write it: "[epoch:]version[-release]",
// no spaces, the epoch digits, the version starting with an alphanumeric.
func validEVR(s string) error {
	if s == "" {
		return fmt.Errorf("the version is empty")
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._+~^-:", c)) {
			return fmt.Errorf("version %q has the character %q, which rpm versions do not use", s, c)
		}
	}
	v := s
	if e, rest, ok := strings.Cut(s, ":"); ok {
		if e == "" || strings.IndexFunc(e, func(r rune) bool { return !unicode.IsDigit(r) }) >= 0 {
			return fmt.Errorf("version %q: the epoch before ':' must be a number", s)
		}
		v = rest
	}
	if v == "" || strings.Contains(v, ":") {
		return fmt.Errorf("version %q is not [epoch:]version[-release]", s)
	}
	if c := v[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
		return fmt.Errorf("version %q must start with a letter or digit", s)
	}
	if strings.HasSuffix(v, "-") || strings.Count(v, "-") > 1 {
		return fmt.Errorf("version %q is not [epoch:]version[-release]", s)
	}
	return nil
}
