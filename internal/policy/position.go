package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// keyPath names a place in a policy: table and key names, each with the
// index of the element when it is an array or an array of tables
// (`channel[2].accepts[0]`, indexes from 0). Validate names its problems
// with it; Load turns it into a line and column.
type keyPath []pathSeg

type pathSeg struct {
	name  string
	index int // element index; -1 when the segment is not an element
}

// at builds a keyPath: a string is a key, an int the index of the element
// of the key before it.
func at(parts ...any) keyPath {
	var k keyPath
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			k = append(k, pathSeg{v, -1})
		case int:
			if len(k) == 0 || k[len(k)-1].index >= 0 {
				k = append(k, pathSeg{"", v})
			} else {
				k[len(k)-1].index = v
			}
		default:
			panic(fmt.Sprintf("policy: at(%T)", p))
		}
	}
	return k
}

var bareKeyRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (k keyPath) String() string {
	var b strings.Builder
	for i, s := range k {
		if i > 0 && s.name != "" {
			b.WriteByte('.')
		}
		switch {
		case s.name == "":
		case bareKeyRe.MatchString(s.name):
			b.WriteString(s.name)
		default:
			b.WriteString(strconv.Quote(s.name))
		}
		if s.index >= 0 {
			fmt.Fprintf(&b, "[%d]", s.index)
		}
	}
	return b.String()
}

func (k keyPath) names() []string {
	n := make([]string, 0, len(k))
	for _, s := range k {
		if s.name != "" {
			n = append(n, s.name)
		}
	}
	return n
}

// position is a 1-based line and column (in characters).
type position struct{ line, col int }

// located is one key, table header or array element of a TOML text.
type located struct {
	path  keyPath
	pos   position
	isKey bool // a key or table header, not an array element
}

// tomlIndex knows where each key, table and array element of a TOML text
// starts. BurntSushi/toml keeps key positions to itself, so the text is
// scanned again here; the text has already been parsed, so the scanner
// only needs to be right for valid TOML (and must not loop on the rest).
type tomlIndex struct {
	entries []located
	first   map[string]position
}

// lookup returns where k is, or where the nearest enclosing table or key
// that is in the text is (a missing key is reported at its table).
func (x *tomlIndex) lookup(k keyPath) (position, bool) {
	for n := len(k); n > 0; n-- {
		if p, ok := x.first[k[:n].String()]; ok {
			return p, true
		}
	}
	return position{}, false
}

// keys returns every key or table header whose names are names.
func (x *tomlIndex) keys(names []string) []located {
	var out []located
	for _, e := range x.entries {
		if e.isKey && slices.Equal(e.path.names(), names) {
			out = append(out, e)
		}
	}
	return out
}

type tomlScanner struct {
	r         []rune
	i         int
	line      int
	lineStart int
	table     keyPath
	arrays    map[string]int // array of tables (path with parent indexes) -> current index
	x         *tomlIndex
}

func indexTOML(text string) *tomlIndex {
	s := &tomlScanner{r: []rune(text), line: 1, arrays: map[string]int{}, x: &tomlIndex{first: map[string]position{}}}
	for {
		s.skipTrivia()
		if s.eof() {
			break
		}
		start := s.i
		if s.peek() == '[' {
			s.header()
		} else {
			s.keyValue(s.table)
		}
		s.skipSpace()
		s.skipComment()
		if s.i == start || (!s.eof() && s.peek() != '\n' && s.peek() != '\r') {
			s.skipLine() // not TOML this scanner understands: go on at the next line
		}
	}
	return s.x
}

func (s *tomlScanner) eof() bool { return s.i >= len(s.r) }

func (s *tomlScanner) peek() rune { return s.peekAt(0) }

func (s *tomlScanner) peekAt(n int) rune {
	if s.i+n < len(s.r) {
		return s.r[s.i+n]
	}
	return 0
}

func (s *tomlScanner) adv() {
	if s.eof() {
		return
	}
	if s.r[s.i] == '\n' {
		s.line++
		s.lineStart = s.i + 1
	}
	s.i++
}

func (s *tomlScanner) pos() position { return position{s.line, s.i - s.lineStart + 1} }

func (s *tomlScanner) skipSpace() {
	for s.peek() == ' ' || s.peek() == '\t' {
		s.adv()
	}
}

func (s *tomlScanner) skipComment() {
	if s.peek() == '#' {
		for !s.eof() && s.peek() != '\n' {
			s.adv()
		}
	}
}

func (s *tomlScanner) skipLine() {
	for !s.eof() && s.peek() != '\n' {
		s.adv()
	}
}

// skipTrivia skips blanks, newlines and comments.
func (s *tomlScanner) skipTrivia() {
	for !s.eof() {
		switch s.peek() {
		case ' ', '\t', '\r', '\n':
			s.adv()
		case '#':
			s.skipComment()
		default:
			return
		}
	}
}

func (s *tomlScanner) add(k keyPath, p position, isKey bool) {
	k = slices.Clone(k)
	s.x.entries = append(s.x.entries, located{path: k, pos: p, isKey: isKey})
	if _, ok := s.x.first[k.String()]; !ok {
		s.x.first[k.String()] = p
	}
}

func (s *tomlScanner) header() {
	p := s.pos()
	s.adv() // [
	isArray := s.peek() == '['
	if isArray {
		s.adv()
	}
	s.skipSpace()
	names := s.keyNames()
	s.skipSpace()
	for s.peek() == ']' {
		s.adv()
	}
	if len(names) == 0 {
		return
	}
	var k keyPath
	for j, n := range names {
		k = append(k, pathSeg{n, -1})
		ks := k.String()
		idx, seen := s.arrays[ks]
		if j == len(names)-1 && isArray {
			if seen {
				idx++
			}
			s.arrays[ks] = idx
			seen = true
		}
		if seen {
			k[len(k)-1].index = idx
		}
	}
	s.table = k
	s.add(k, p, true)
}

// keyNames reads a dotted key.
func (s *tomlScanner) keyNames() []string {
	var names []string
	for {
		s.skipSpace()
		n, ok := s.simpleKey()
		if !ok {
			return names
		}
		names = append(names, n)
		s.skipSpace()
		if s.peek() != '.' {
			return names
		}
		s.adv()
	}
}

func (s *tomlScanner) simpleKey() (string, bool) {
	switch s.peek() {
	case '"':
		start := s.i
		s.basicString()
		raw := string(s.r[start:s.i])
		if u, err := strconv.Unquote(raw); err == nil {
			return u, true
		}
		return strings.Trim(raw, `"`), true
	case '\'':
		start := s.i
		s.literalString()
		return strings.Trim(string(s.r[start:s.i]), "'"), true
	}
	start := s.i
	for !s.eof() && isBareKeyRune(s.peek()) {
		s.adv()
	}
	return string(s.r[start:s.i]), s.i > start
}

func isBareKeyRune(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

func (s *tomlScanner) keyValue(table keyPath) {
	p := s.pos()
	names := s.keyNames()
	if len(names) == 0 {
		return
	}
	k := slices.Clone(table)
	for _, n := range names {
		k = append(k, pathSeg{n, -1})
		s.add(k, p, true) // a dotted key also names its tables
	}
	s.skipSpace()
	if s.peek() != '=' {
		return
	}
	s.adv()
	s.skipSpace()
	s.value(k)
}

func (s *tomlScanner) value(k keyPath) {
	switch s.peek() {
	case '"':
		s.basicString()
	case '\'':
		s.literalString()
	case '[':
		s.adv()
		for idx := 0; ; idx++ {
			s.skipTrivia()
			if s.eof() {
				return
			}
			if s.peek() == ']' {
				s.adv()
				return
			}
			ek := slices.Clone(k)
			if last := &ek[len(ek)-1]; last.index < 0 {
				last.index = idx
			} else {
				ek = append(ek, pathSeg{"", idx})
			}
			s.add(ek, s.pos(), false)
			start := s.i
			s.value(ek)
			s.skipTrivia()
			switch {
			case s.peek() == ',':
				s.adv()
			case s.peek() == ']':
				s.adv()
				return
			default:
				if s.i == start {
					return
				}
			}
		}
	case '{':
		s.adv()
		for {
			s.skipSpace()
			if s.peek() == '}' {
				s.adv()
				return
			}
			if s.eof() || s.peek() == '\n' {
				return
			}
			start := s.i
			s.keyValue(k)
			s.skipSpace()
			switch {
			case s.peek() == ',':
				s.adv()
			case s.peek() == '}':
				s.adv()
				return
			default:
				if s.i == start {
					return
				}
			}
		}
	default:
		for !s.eof() && !strings.ContainsRune(",]}#\r\n", s.peek()) {
			s.adv()
		}
	}
}

func (s *tomlScanner) basicString() {
	if s.peekAt(1) == '"' && s.peekAt(2) == '"' {
		s.adv()
		s.adv()
		s.adv()
		for !s.eof() {
			if s.peek() == '\\' {
				s.adv()
				s.adv()
				continue
			}
			if s.peek() == '"' && s.peekAt(1) == '"' && s.peekAt(2) == '"' {
				for s.peek() == '"' { // up to two quotes may end the content
					s.adv()
				}
				return
			}
			s.adv()
		}
		return
	}
	s.adv()
	for !s.eof() && s.peek() != '"' && s.peek() != '\n' {
		if s.peek() == '\\' {
			s.adv()
		}
		s.adv()
	}
	if s.peek() == '"' {
		s.adv()
	}
}

func (s *tomlScanner) literalString() {
	if s.peekAt(1) == '\'' && s.peekAt(2) == '\'' {
		s.adv()
		s.adv()
		s.adv()
		for !s.eof() {
			if s.peek() == '\'' && s.peekAt(1) == '\'' && s.peekAt(2) == '\'' {
				for s.peek() == '\'' {
					s.adv()
				}
				return
			}
			s.adv()
		}
		return
	}
	s.adv()
	for !s.eof() && s.peek() != '\'' && s.peek() != '\n' {
		s.adv()
	}
	if s.peek() == '\'' {
		s.adv()
	}
}
