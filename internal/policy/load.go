package policy

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// maxPolicySize bounds what Load reads: a policy is a few kilobytes.
const maxPolicySize = 4 << 20

// Load reads a policy from TOML and validates it. name is how errors name
// the file. The file replaces the built-in policy as a whole: start from
// `smeforge policy show`, which prints the built-in one.
//
// When the file is not a valid policy the error is a *ValidationError
// listing every problem found (a TOML syntax error stops at the first),
// each with its line and column.
func Load(r io.Reader, name string) (*Policy, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPolicySize+1))
	if err != nil {
		return nil, fmt.Errorf("read policy %s: %w", name, err)
	}
	if len(data) > maxPolicySize {
		return nil, fmt.Errorf("read policy %s: larger than %d bytes", name, maxPolicySize)
	}
	text := string(data)
	var p Policy
	md, err := toml.Decode(text, &p)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{decodeProblem(err, text, name)}}
	}
	idx := indexTOML(text)
	probs := unknownKeys(md, idx)
	for _, f := range p.problems() {
		pr := Problem{Key: f.key.String(), Message: f.msg}
		if pos, ok := idx.lookup(f.key); ok {
			pr.Line, pr.Column = pos.line, pos.col
		}
		probs = append(probs, pr)
	}
	if len(probs) == 0 {
		return &p, nil
	}
	for i := range probs {
		probs[i].File = name
	}
	slices.SortStableFunc(probs, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return nil, &ValidationError{Problems: probs}
}

// Encode writes p as TOML that Load reads back to the same policy.
func (p *Policy) Encode(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "# smeforge policy %q: the file format is described in docs/policy.md.\n\n", p.Name); err != nil {
		return err
	}
	enc := toml.NewEncoder(w)
	enc.Indent = ""
	return enc.Encode(p)
}

// unknownKeys reports the keys of the file that are not part of a policy
// (a misspelt key would otherwise be silently ignored), each where it is.
func unknownKeys(md toml.MetaData, idx *tomlIndex) []Problem {
	und := md.Undecoded()
	var probs []Problem
	reported := map[string]bool{}
	for _, k := range und {
		// Report an unknown table once, not each of its keys.
		if slices.ContainsFunc(und, func(o toml.Key) bool { return len(o) < len(k) && slices.Equal(o, k[:len(o)]) }) {
			continue
		}
		if reported[k.String()] {
			continue
		}
		reported[k.String()] = true
		msg := fmt.Sprintf("unknown key %q", k[len(k)-1])
		if known := knownKeys(k[:len(k)-1]); len(known) > 0 {
			where := "at the top level"
			if len(k) > 1 {
				where = "in " + strings.Join(k[:len(k)-1], ".")
			}
			msg += fmt.Sprintf(" (keys %s: %s)", where, strings.Join(known, ", "))
		}
		locs := idx.keys(k)
		if len(locs) == 0 {
			probs = append(probs, Problem{Key: k.String(), Message: msg})
			continue
		}
		for _, l := range locs {
			probs = append(probs, Problem{Key: l.path.String(), Line: l.pos.line, Column: l.pos.col, Message: msg})
		}
	}
	return probs
}

// knownKeys lists the keys a policy has under the table names.
func knownKeys(names []string) []string {
	t := reflect.TypeFor[Policy]()
	for _, n := range names {
		for t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
		f, ok := fieldByTOMLName(t, n)
		if !ok {
			return nil
		}
		t = f.Type
	}
	for t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for f := range t.Fields() {
		if name := tomlName(f); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

func fieldByTOMLName(t reflect.Type, name string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if tomlName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// typeErrRe matches BurntSushi/toml's error for a value of the wrong type.
var typeErrRe = regexp.MustCompile(`^toml: line (\d+) \(last key "(.*)"\): incompatible types: TOML value has type (\S+); destination has type (\S+)$`)

// decodeProblem turns an error of toml.Decode into a Problem with a line
// and column.
func decodeProblem(err error, text, file string) Problem {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line, col := pe.Position.Line, 0
		if pe.Position.Start >= 0 && pe.Position.Start <= len(text) {
			start := strings.LastIndexByte(text[:pe.Position.Start], '\n') + 1
			col = utf8.RuneCountInString(text[start:pe.Position.Start]) + 1
		}
		return Problem{File: file, Line: line, Column: col, Key: pe.LastKey, Message: "TOML: " + pe.Message}
	}
	if m := typeErrRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1]) // the regexp matched digits
		names := strings.Split(m[2], ".")
		pr := Problem{File: file, Line: line, Key: m[2],
			Message: fmt.Sprintf("%s must be %s, not %s", names[len(names)-1], describeType(m[4]), describeType(m[3]))}
		for _, l := range indexTOML(text).keys(names) {
			if l.pos.line == line {
				pr.Column = l.pos.col
				pr.Key = l.path.String()
				break
			}
		}
		return pr
	}
	return Problem{File: file, Message: err.Error()}
}

func describeType(t string) string {
	switch t {
	case "string":
		return "a string"
	case "integer", "int64":
		return "an integer"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map", "table":
		return "a table"
	case "float64", "float":
		return "a float"
	}
	return "of type " + t
}
