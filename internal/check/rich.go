package check

import (
	"errors"
	"fmt"
	"strings"

	"github.com/smeserver/smeforge/internal/rpm"
)

// Op is the operator of a node of a rich (boolean) dependency.
type Op uint8

// Operators of rich dependencies. OpLeaf is a simple dependency.
const (
	OpLeaf    Op = iota
	OpAnd        // (A and B)
	OpOr         // (A or B)
	OpIf         // (A if B), and (A if B else C) as OpIf{A, OpElse{B, C}}
	OpUnless     // (A unless B), and (A unless B else C) as OpUnless{A, OpElse{B, C}}
	OpElse       // only as the right operand of OpIf and OpUnless, or of another OpElse
	OpWith       // (A with B): one package provides both
	OpWithout    // (A without B): a package provides A but not B
)

// String returns the operator's keyword ("and", "or", ...), or "" for OpLeaf.
func (o Op) String() string {
	switch o {
	case OpAnd:
		return "and"
	case OpOr:
		return "or"
	case OpIf:
		return "if"
	case OpUnless:
		return "unless"
	case OpElse:
		return "else"
	case OpWith:
		return "with"
	case OpWithout:
		return "without"
	}
	return ""
}

func opFromWord(w string) Op {
	switch w {
	case "and":
		return OpAnd
	case "or":
		return OpOr
	case "if":
		return OpIf
	case "unless":
		return OpUnless
	case "else":
		return OpElse
	case "with":
		return OpWith
	case "without":
		return OpWithout
	}
	return OpLeaf
}

// Expr is a parsed dependency: a leaf holding a simple dependency, or an
// operator with two operands. A chain such as (a and b and c) nests to the
// right: And{a, And{b, c}}.
type Expr struct {
	Op          Op
	Dep         rpm.Dependency // OpLeaf only; Flags holds only comparison bits
	Left, Right *Expr          // operators only
}

// ErrBadRich is wrapped by the errors ParseRich returns.
var ErrBadRich = errors.New("malformed rich dependency")

// IsRich reports whether a dependency name is a rich (boolean) dependency:
// rpm stores those whole in the name, starting with '('.
func IsRich(name string) bool { return strings.HasPrefix(name, "(") }

// ParseRich parses a rich dependency such as "(foo >= 1.0 or (bar if baz))"
// with the grammar of libsolv's pool_parserpmrichdep, which dnf uses to read
// repository metadata, so that what it accepts and how it groups match dnf:
//
//   - operands are separated by single keywords: and, or, if, unless, else,
//     with, without; a chain may repeat one keyword ("a and b and c"), and
//     "else" may follow "if" or "unless"; mixing others needs parentheses;
//   - a simple operand is a name, optionally followed by an operator made
//     of '<', '=' and '>' and a version; names and versions end at a space,
//     a ',' or an unbalanced ')', so "python3dist(foo)" is one name;
//   - a leading "0:" epoch of a version is dropped, as libsolv does;
//   - "(a)" is just a, and "(a >= 1)" a simple dependency.
//
// rpm itself (rpmrichParse) accepts the same structure but is stricter about
// context (it refuses "unless" in Requires); headers written by other tools
// may contain anything, so this parser follows the reader rather than the
// writer. Anything else — trailing text, an empty operand, an unknown
// keyword — is an error wrapping ErrBadRich.
func ParseRich(s string) (*Expr, error) {
	p := richParser{s: s}
	e := p.parse(OpLeaf, true)
	if e == nil {
		return nil, fmt.Errorf("parsing %q: %w: %s at offset %d", s, ErrBadRich, p.why, p.pos)
	}
	if p.pos != len(s) {
		return nil, fmt.Errorf("parsing %q: %w: trailing text at offset %d", s, ErrBadRich, p.pos)
	}
	return e, nil
}

type richParser struct {
	s   string
	pos int
	why string
}

func (p *richParser) fail(why string) *Expr {
	if p.why == "" {
		p.why = why
	}
	return nil
}

func (p *richParser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *richParser) skipSpaces() {
	for p.peek() == ' ' {
		p.pos++
	}
}

// word reads a name or a version: up to a space, a ',' or a ')' that closes
// nothing opened inside the word.
func (p *richParser) word() string {
	start, depth := p.pos, 0
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == ' ' || c == ',' {
			break
		}
		if c == ')' {
			if depth <= 0 {
				break
			}
			depth--
		}
		if c == '(' {
			depth++
		}
		p.pos++
	}
	return p.s[start:p.pos]
}

// parse is libsolv's parseRichDep. When open is set the text must start
// with '('; otherwise it continues a chain of operator chain, whose
// remaining operands it parses up to and including the closing ')'.
func (p *richParser) parse(chain Op, open bool) *Expr {
	if open {
		if p.peek() != '(' {
			return p.fail("expected '('")
		}
		p.pos++
	}
	p.skipSpaces()
	if p.peek() == ')' {
		return p.fail("empty operand")
	}
	var left *Expr
	if p.peek() == '(' {
		if left = p.parse(OpLeaf, true); left == nil {
			return nil
		}
	} else {
		name := p.word()
		if name == "" {
			return p.fail("empty operand")
		}
		left = &Expr{Dep: rpm.Dependency{Name: name}}
		p.skipSpaces()
		var flags uint32
	ops:
		for ; p.pos < len(p.s); p.pos++ {
			switch p.s[p.pos] {
			case '<':
				flags |= rpm.SenseLess
			case '=':
				flags |= rpm.SenseEqual
			case '>':
				flags |= rpm.SenseGreater
			default:
				break ops
			}
		}
		if flags != 0 {
			p.skipSpaces()
			v := p.word()
			if len(v) > 2 && strings.HasPrefix(v, "0:") {
				v = v[2:]
			}
			if v == "" {
				return p.fail("no version after the operator")
			}
			left.Dep.Flags, left.Dep.Version = flags, v
		}
	}
	p.skipSpaces()
	switch p.peek() {
	case 0:
		return p.fail("missing ')'")
	case ')':
		p.pos++
		return left
	}
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] != ' ' {
		p.pos++
	}
	word := p.s[start:p.pos]
	op := opFromWord(word)
	if op == OpLeaf {
		p.pos = start
		return p.fail(fmt.Sprintf("unknown operator %q", word))
	}
	if op == OpElse && (chain == OpIf || chain == OpUnless) {
		chain = OpLeaf
	}
	if chain != OpLeaf && op != chain {
		p.pos = start
		return p.fail("cannot mix " + chain.String() + " and " + op.String() + " without parentheses")
	}
	right := p.parse(op, false)
	if right == nil {
		return nil
	}
	return &Expr{Op: op, Left: left, Right: right}
}

// String writes the expression as libsolv's pool_dep2str does, which is
// how dnf prints it: chains of one operator flat ("(a and b and c)"),
// other nested operators in parentheses, operators spelled "<", "<=", "=",
// ">=", ">" (and "<>", "<=>"), a top-level leaf without parentheses.
func (e *Expr) String() string {
	var b strings.Builder
	e.write(&b, OpLeaf, true)
	return b.String()
}

func (e *Expr) write(b *strings.Builder, parent Op, top bool) {
	if e.Op == OpLeaf {
		b.WriteString(e.Dep.Name)
		if op := libsolvOp(e.Dep.Flags); op != "" {
			b.WriteString(" " + op + " ")
			b.WriteString(e.Dep.Version)
		}
		return
	}
	paren := top || parent != e.Op || e.Op == OpIf || e.Op == OpUnless || e.Op == OpElse
	if (parent == OpIf || parent == OpUnless) && e.Op == OpElse {
		paren = false
	}
	if paren {
		b.WriteByte('(')
	}
	e.Left.write(b, e.Op, false)
	b.WriteString(" " + e.Op.String() + " ")
	e.Right.write(b, e.Op, false)
	if paren {
		b.WriteByte(')')
	}
}

// libsolvOp spells comparison flags as libsolv does.
func libsolvOp(flags uint32) string {
	switch flags & rpm.SenseCompareMask {
	case rpm.SenseLess:
		return "<"
	case rpm.SenseLess | rpm.SenseEqual:
		return "<="
	case rpm.SenseEqual:
		return "="
	case rpm.SenseGreater | rpm.SenseEqual:
		return ">="
	case rpm.SenseGreater:
		return ">"
	case rpm.SenseLess | rpm.SenseGreater:
		return "<>"
	case rpm.SenseCompareMask:
		return "<=>"
	}
	return ""
}

// DnfString formats a requirement as dnf (libsolv) prints it, e.g. in
// `dnf repoclosure`: a rich dependency re-spelled by String (or verbatim
// when libsolv could not parse it either), a simple one with a zero epoch
// left out ("foo >= 0:1.2" is "foo >= 1.2"), since createrepo_c writes
// epoch="0" and libsolv drops it.
func DnfString(d rpm.Dependency) string {
	if IsRich(d.Name) {
		if e, err := ParseRich(d.Name); err == nil {
			return e.String()
		}
		return d.Name
	}
	op := libsolvOp(d.Flags)
	if op == "" {
		return d.Name
	}
	return d.Name + " " + op + " " + dropZeroEpoch(d.Version)
}

// dropZeroEpoch removes an epoch of "0" from an EVR, as libsolv does for
// the epoch="0" createrepo_c writes.
func dropZeroEpoch(v string) string {
	if e := rpm.ParseEVR(v); e.Epoch == "0" {
		if i := strings.IndexByte(v, ':'); i >= 0 {
			return v[i+1:]
		}
	}
	return v
}
