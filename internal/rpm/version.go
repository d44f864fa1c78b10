package rpm

import (
	"errors"
	"fmt"
	"strings"
)

// This file reproduces rpm 4.18's version comparison and dependency range
// matching: rpmvercmp (rpmio/rpmvercmp.c), parseEVR, rpmverCmp and
// rpmverOverlap (rpmio/rpmver.c), and rpmdsCompare (lib/rpmds.c). The
// results must agree with rpm byte for byte, so the structure follows the C
// code closely and the comments say where rpm's choices are surprising.

// Vercmp compares two version (or release) strings as rpm's rpmvercmp does
// and returns -1 if a is older than b, 0 if they are equal and 1 if a is
// newer.
//
// Both strings are split into runs of ASCII digits and runs of ASCII
// letters; every other byte is a separator and only delimits segments, so
// "1.0" equals "1_0". Numeric segments compare as numbers of any length
// (leading zeros are dropped, then the longer one wins, then bytewise), alpha
// segments compare bytewise, and a numeric segment is newer than an alpha
// one. A '~' sorts before anything, even the end of the string
// ("1.0~rc1" < "1.0"); a '^' sorts after the end of the string but before
// any other segment ("1.0" < "1.0^git1" < "1.0.1"). When all segments are
// equal, the string with segments left over is newer.
//
// As in C, a NUL byte ends a string: "1\x002" compares as "1".
func Vercmp(a, b string) int {
	a, b = cString(a), cString(b)
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !vcIsAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !vcIsAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		endA, endB := i == len(a), j == len(b)

		// A tilde sorts before everything else, the end included.
		tildeA := !endA && a[i] == '~'
		tildeB := !endB && b[j] == '~'
		if tildeA || tildeB {
			if !tildeA {
				return 1
			}
			if !tildeB {
				return -1
			}
			i++
			j++
			continue
		}

		// A caret is like a tilde, except that a string that has ended
		// (the base version) is older than one that goes on with '^'.
		caretA := !endA && a[i] == '^'
		caretB := !endB && b[j] == '^'
		if caretA || caretB {
			if endA {
				return -1
			}
			if endB {
				return 1
			}
			if !caretA {
				return 1
			}
			if !caretB {
				return -1
			}
			i++
			j++
			continue
		}

		if endA || endB {
			break
		}

		// Take the next all-digit or all-letter segment of a, and a
		// segment of the same kind from b (possibly empty).
		si, sj := i, j
		isNum := vcIsDigit(a[i])
		if isNum {
			for i < len(a) && vcIsDigit(a[i]) {
				i++
			}
			for j < len(b) && vcIsDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && vcIsAlpha(a[i]) {
				i++
			}
			for j < len(b) && vcIsAlpha(b[j]) {
				j++
			}
		}
		// Segments of different kinds: numeric is newer than alpha.
		if j == sj {
			if isNum {
				return 1
			}
			return -1
		}
		segA, segB := a[si:i], b[sj:j]
		if isNum {
			// Compare as numbers without converting, so that
			// no length of digits can overflow.
			segA = strings.TrimLeft(segA, "0")
			segB = strings.TrimLeft(segB, "0")
			if len(segA) > len(segB) {
				return 1
			}
			if len(segA) < len(segB) {
				return -1
			}
		}
		if c := strings.Compare(segA, segB); c != 0 {
			return c
		}
	}

	// All segments compared equal (the separators may still differ): the
	// string with something left over is newer.
	switch {
	case i == len(a) && j == len(b):
		return 0
	case i == len(a):
		return -1
	default:
		return 1
	}
}

// cString cuts s at its first NUL byte, where rpm's C code sees the end of
// the string.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// rpm's risdigit and risalpha are ASCII-only, whatever the locale.
func vcIsDigit(c byte) bool { return '0' <= c && c <= '9' }
func vcIsAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func vcIsAlnum(c byte) bool { return vcIsDigit(c) || vcIsAlpha(c) }

// EVR is an epoch, version and release as rpm splits "[epoch:]version[-release]".
// Epoch is "" when the string has none; Release is "" when it has none.
type EVR struct {
	Epoch   string
	Version string
	Release string
}

// ParseEVR splits s as rpm's parseEVR does. The epoch is what comes before
// a ':' only if every byte before it is a digit ("1:2.0"); an empty epoch
// (":2.0") is "0"; anything else before a ':' stays in the version. The
// release is whatever follows the last '-'.
//
// rpm tells an empty release ("2.0-") from a missing one ("2.0"); here both
// are "". No package header or dependency rpm builds has an empty release.
// As in C, a NUL byte ends s.
func ParseEVR(s string) EVR {
	s = cString(s)
	var e EVR
	n := 0
	for n < len(s) && vcIsDigit(s[n]) {
		n++
	}
	rest := s
	if n < len(s) && s[n] == ':' {
		e.Epoch = s[:n]
		if e.Epoch == "" {
			e.Epoch = "0"
		}
		rest = s[n+1:]
	}
	// The bytes before the epoch terminator are digits, so the last '-'
	// of s is the last '-' of rest.
	if k := strings.LastIndexByte(rest, '-'); k >= 0 {
		e.Version, e.Release = rest[:k], rest[k+1:]
	} else {
		e.Version = rest
	}
	return e
}

// String writes the EVR back as "[epoch:]version[-release]".
func (e EVR) String() string {
	s := e.Version
	if e.Epoch != "" {
		s = e.Epoch + ":" + s
	}
	if e.Release != "" {
		s += "-" + e.Release
	}
	return s
}

// CompareEVR orders two EVRs as rpm's rpmverCmp does (the order of
// installed packages, rpm.ver in rpm's Lua): epochs first, a missing epoch
// counting as 0, then versions, then releases, each with Vercmp. A missing
// release is older than any release, so "1.0" < "1.0-1"; dependency
// matching, which ignores a missing release, is RangesOverlap.
func CompareEVR(a, b EVR) int {
	ea, eb := a.Epoch, b.Epoch
	if ea == "" {
		ea = "0"
	}
	if eb == "" {
		eb = "0"
	}
	if c := Vercmp(ea, eb); c != 0 {
		return c
	}
	if c := Vercmp(a.Version, b.Version); c != 0 {
		return c
	}
	switch {
	case a.Release == "" && b.Release == "":
		return 0
	case a.Release == "":
		return -1
	case b.Release == "":
		return 1
	}
	return Vercmp(a.Release, b.Release)
}

// senseMask is rpm's RPMSENSE_SENSEMASK. It also covers bit 0, once
// RPMSENSE_SERIAL, which rpmdsCompare still counts as "versioned".
const senseMask = SenseCompareMask | 1

// RangesOverlap reports whether a provide satisfies a require (or an
// obsolete or conflict names a package), as rpm's rpmdsCompare decides.
// The names must be equal. If either side is unversioned, or has compare
// flags but an empty version, they overlap. Otherwise the two EVRs are
// compared: epochs only when one is non-zero (a missing epoch is 0),
// versions always, and releases only when both sides have one; when the
// versions are equal and exactly one side has a release, the ranges overlap
// if the side without a release allows equality ("a = 1.2" satisfies
// "a < 1.2-1"). The comparison result is then checked against both sides'
// senses.
//
// The relation is symmetric: RangesOverlap(x, y) == RangesOverlap(y, x).
func RangesOverlap(provide, require Dependency) bool {
	if provide.Name != require.Name {
		return false
	}
	af, bf := provide.Flags, require.Flags
	if af&senseMask == 0 || bf&senseMask == 0 {
		return true
	}
	if provide.Version == "" || require.Version == "" {
		return true
	}
	return evrOverlap(ParseEVR(provide.Version), af, ParseEVR(require.Version), bf)
}

// Matches reports whether d, a provide, satisfies other, a require; it is
// RangesOverlap(d, other).
func (d Dependency) Matches(other Dependency) bool {
	return RangesOverlap(d, other)
}

// evrOverlap is rpm's rpmverOverlap.
func evrOverlap(a EVR, af uint32, b EVR, bf uint32) bool {
	sense := 0
	switch {
	case a.Epoch != "" && b.Epoch != "":
		sense = Vercmp(a.Epoch, b.Epoch)
	case epochPositive(a.Epoch):
		sense = 1
	case epochPositive(b.Epoch):
		sense = -1
	}
	if sense == 0 {
		sense = Vercmp(a.Version, b.Version)
		if sense == 0 {
			if a.Release != "" && b.Release != "" {
				sense = Vercmp(a.Release, b.Release)
			} else if a.Release != "" && bf&SenseEqual != 0 ||
				b.Release != "" && af&SenseEqual != 0 {
				// The side without a release matches every
				// release of its version.
				return true
			}
		}
	}
	switch {
	case sense < 0:
		return af&SenseGreater != 0 || bf&SenseLess != 0
	case sense > 0:
		return af&SenseLess != 0 || bf&SenseGreater != 0
	default:
		return af&bf&(SenseEqual|SenseLess|SenseGreater) != 0
	}
}

// epochPositive is rpm's atol(e) > 0 for an epoch of digits as parseEVR
// produces (atol saturates on overflow, so any non-zero digit counts).
func epochPositive(e string) bool {
	return strings.TrimLeft(e, "0") != ""
}

// ErrBadDependency is wrapped by the errors ParseDependency returns.
var ErrBadDependency = errors.New("malformed dependency")

// depOps maps the operators rpm's spec parser accepts (rpmParseDSFlags),
// plus "<>", to sense flags.
var depOps = map[string]uint32{
	"<":  SenseLess,
	"<=": SenseLess | SenseEqual,
	"=<": SenseLess | SenseEqual,
	"=":  SenseEqual,
	"==": SenseEqual,
	">=": SenseGreater | SenseEqual,
	"=>": SenseGreater | SenseEqual,
	">":  SenseGreater,
	"<>": SenseLess | SenseGreater,
}

// ParseDependency parses a dependency as written in a spec file or printed
// by rpm -q --requires: a name alone ("foo"), or a name, an operator (<, <=,
// =, ==, >=, >, <>, and rpm's =< and =>) and an EVR ("foo >= 1:2.0-1").
// Spaces around the operator may be omitted. Rich (boolean) dependencies,
// a missing name, operator or version, an unknown operator, trailing words
// and NUL bytes are errors wrapping ErrBadDependency.
func ParseDependency(s string) (Dependency, error) {
	bad := func(why string) (Dependency, error) {
		return Dependency{}, fmt.Errorf("parsing dependency %q: %w: %s", s, ErrBadDependency, why)
	}
	rest := strings.TrimSpace(s)
	if rest == "" {
		return bad("empty")
	}
	if strings.IndexByte(rest, 0) >= 0 {
		return bad("NUL byte")
	}
	if rest[0] == '(' {
		return bad("rich dependencies are not supported")
	}
	n := strings.IndexFunc(rest, func(r rune) bool { return isDepSpace(r) || isOpRune(r) })
	if n < 0 {
		return Dependency{Name: rest}, nil
	}
	if n == 0 {
		return bad("no name before the operator")
	}
	name := rest[:n]
	rest = strings.TrimLeftFunc(rest[n:], isDepSpace)
	if rest == "" {
		return Dependency{Name: name}, nil
	}
	n = strings.IndexFunc(rest, func(r rune) bool { return !isOpRune(r) })
	if n < 0 {
		n = len(rest)
	}
	if n == 0 {
		return bad("a second word without an operator")
	}
	op := rest[:n]
	flags, ok := depOps[op]
	if !ok {
		return bad("unknown operator " + op)
	}
	version := strings.TrimLeftFunc(rest[n:], isDepSpace)
	if version == "" {
		return bad("no version after " + op)
	}
	if strings.IndexFunc(version, func(r rune) bool { return isDepSpace(r) || isOpRune(r) }) >= 0 {
		return bad("trailing text after the version")
	}
	return Dependency{Name: name, Flags: flags, Version: version}, nil
}

func isOpRune(r rune) bool { return r == '<' || r == '>' || r == '=' }

func isDepSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}
