package tensor

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrJSON reports JSON text that is malformed or does not describe a tensor.
var ErrJSON = errors.New("tensor: bad JSON")

// ErrJSONLimit reports JSON text that exceeds a JSONLimits bound.
var ErrJSONLimit = errors.New("tensor: JSON limit exceeded")

// JSONKind is the kind of a JSONValue.
type JSONKind uint8

// The kinds of JSON values.
const (
	JSONNull JSONKind = iota
	JSONBool
	JSONNumber
	JSONString
	JSONArray
	JSONObject
)

// JSONValue is one parsed JSON value. Numbers keep their literal text
// (including the non-standard NaN, Infinity and -Infinity that TensorFlow
// Serving accepts), so converting them to a tensor loses no precision.
// Text may alias the parsed input; the input must not change while the
// value is in use.
type JSONValue struct {
	Kind  JSONKind
	Bool  bool        // JSONBool
	Text  []byte      // JSONNumber: the literal; JSONString: the decoded bytes
	Items []JSONValue // JSONArray elements; JSONObject values, parallel to Keys
	Keys  []string    // JSONObject keys, in input order

	// Packed is set for a packed array (see JSONLimits.PackNumbers), which
	// has no Items.
	Packed *JSONPacked
}

// JSONPacked is a packed array: an array of numbers, booleans and arrays
// of them kept as its text (see JSONLimits.PackNumbers).
type JSONPacked struct {
	Raw    []byte // the validated source text, brackets included
	Leaves int    // numbers and booleans, at any depth
	Dims   Shape  // the shape the nesting describes: the length of the first array at each level
	Ragged bool   // the arrays do not all follow Dims, or leaves sit at different depths
}

// JSONValueBytes is about what ParseJSON allocates per value it keeps in
// the tree (the value, its share of its parent's slices as they grow, an
// object key): the unit JSONLimits.Reserve is charged in.
const JSONValueBytes = 224

// Get returns the value of the first member named key of an object, or nil
// when v is not an object or has no such member.
func (v *JSONValue) Get(key string) *JSONValue {
	if v == nil || v.Kind != JSONObject {
		return nil
	}
	for i, k := range v.Keys {
		if k == key {
			return &v.Items[i]
		}
	}
	return nil
}

// String returns a lower-case name of the kind, for error messages.
func (k JSONKind) String() string {
	switch k {
	case JSONNull:
		return "null"
	case JSONBool:
		return "bool"
	case JSONNumber:
		return "number"
	case JSONString:
		return "string"
	case JSONArray:
		return "array"
	case JSONObject:
		return "object"
	}
	return "unknown"
}

// JSONLimits bounds what ParseJSON accepts. A zero field takes its default.
type JSONLimits struct {
	// MaxDepth is the deepest nesting of arrays and objects (default 64).
	MaxDepth int
	// MaxValues is the number of values in the whole document (default
	// 1<<22), not counting the leaves of packed arrays. It bounds the
	// memory the parsed tree takes.
	MaxValues int
	// PackNumbers keeps arrays of numbers (and arrays of them) packed:
	// their text, leaf count and shape instead of a JSONValue per number
	// (see JSONValue.Raw). The strings "NaN", "Infinity" and "-Infinity"
	// count as numbers. FromJSON and DecodeJSON read packed arrays.
	PackNumbers bool
	// Reserve, when not nil, is called with the bytes of the next 1024
	// tree values (1024 * JSONValueBytes) before ParseJSON builds them; an
	// error it returns ends the parse and is returned as it is.
	Reserve func(bytes int64) error
}

func (l JSONLimits) withDefaults() JSONLimits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = 64
	}
	if l.MaxValues <= 0 {
		l.MaxValues = 1 << 22
	}
	return l
}

// ParseJSON parses one JSON document. Beyond RFC 8259 it accepts the bare
// tokens NaN, Infinity and -Infinity as numbers. Errors wrap ErrJSON or
// ErrJSONLimit and give the byte offset.
func ParseJSON(data []byte, lim JSONLimits) (*JSONValue, error) {
	p := jsonParser{data: data, lim: lim.withDefaults()}
	v := new(JSONValue)
	if err := p.value(v, 0); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, p.errorf("unexpected data after the top-level value")
	}
	return v, nil
}

type jsonParser struct {
	data         []byte
	pos          int
	lim          JSONLimits
	values       int
	noPackBefore int // arrays starting before this offset are not packed (see packed)
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrJSON, p.pos, fmt.Sprintf(format, args...))
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(v *JSONValue, depth int) error {
	p.values++
	if p.values > p.lim.MaxValues {
		return fmt.Errorf("%w: more than %d JSON values", ErrJSONLimit, p.lim.MaxValues)
	}
	if p.lim.Reserve != nil && p.values%1024 == 1 {
		if err := p.lim.Reserve(1024 * JSONValueBytes); err != nil {
			return err
		}
	}
	p.skipSpace()
	if p.pos >= len(p.data) {
		return p.errorf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		if depth >= p.lim.MaxDepth {
			return fmt.Errorf("%w: nesting deeper than %d", ErrJSONLimit, p.lim.MaxDepth)
		}
		return p.object(v, depth+1)
	case c == '[':
		if depth >= p.lim.MaxDepth {
			return fmt.Errorf("%w: nesting deeper than %d", ErrJSONLimit, p.lim.MaxDepth)
		}
		if p.lim.PackNumbers && p.pos >= p.noPackBefore {
			if ok, err := p.packed(v, depth); ok || err != nil {
				return err
			}
		}
		return p.array(v, depth+1)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		*v = JSONValue{Kind: JSONString, Text: s}
		return nil
	case c == '-' || c == 'N' || c == 'I' || (c >= '0' && c <= '9'):
		return p.number(v)
	case c == 't':
		return p.literal(v, "true", JSONValue{Kind: JSONBool, Bool: true})
	case c == 'f':
		return p.literal(v, "false", JSONValue{Kind: JSONBool})
	case c == 'n':
		return p.literal(v, "null", JSONValue{Kind: JSONNull})
	default:
		return p.errorf("unexpected character %q", c)
	}
}

func (p *jsonParser) literal(v *JSONValue, word string, val JSONValue) error {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return p.errorf("invalid literal")
	}
	p.pos += len(word)
	*v = val
	return nil
}

func (p *jsonParser) object(v *JSONValue, depth int) error {
	p.pos++ // '{'
	*v = JSONValue{Kind: JSONObject}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return p.errorf("expected an object key")
		}
		k, err := p.str()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return p.errorf("expected ':' after an object key")
		}
		p.pos++
		v.Keys = append(v.Keys, string(k))
		v.Items = append(v.Items, JSONValue{})
		if err := p.value(&v.Items[len(v.Items)-1], depth); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return p.errorf("unterminated object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return nil
		default:
			return p.errorf("expected ',' or '}' in an object")
		}
	}
}

func (p *jsonParser) array(v *JSONValue, depth int) error {
	p.pos++ // '['
	*v = JSONValue{Kind: JSONArray}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		v.Items = []JSONValue{}
		return nil
	}
	for {
		v.Items = append(v.Items, JSONValue{})
		if err := p.value(&v.Items[len(v.Items)-1], depth); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return p.errorf("unterminated array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return nil
		default:
			return p.errorf("expected ',' or ']' in an array")
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *jsonParser) number(v *JSONValue) error {
	start := p.pos
	d := p.data
	if d[p.pos] == '-' {
		p.pos++
	}
	rest := d[p.pos:]
	switch {
	case len(rest) >= 8 && string(rest[:8]) == "Infinity":
		p.pos += 8
	case start == p.pos && len(rest) >= 3 && string(rest[:3]) == "NaN":
		p.pos += 3
	default:
		if p.pos >= len(d) || !isDigit(d[p.pos]) {
			return p.errorf("invalid number")
		}
		if d[p.pos] == '0' {
			p.pos++
		} else {
			for p.pos < len(d) && isDigit(d[p.pos]) {
				p.pos++
			}
		}
		if p.pos < len(d) && d[p.pos] == '.' {
			p.pos++
			if p.pos >= len(d) || !isDigit(d[p.pos]) {
				return p.errorf("invalid number")
			}
			for p.pos < len(d) && isDigit(d[p.pos]) {
				p.pos++
			}
		}
		if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
			p.pos++
			if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
				p.pos++
			}
			if p.pos >= len(d) || !isDigit(d[p.pos]) {
				return p.errorf("invalid number")
			}
			for p.pos < len(d) && isDigit(d[p.pos]) {
				p.pos++
			}
		}
	}
	*v = JSONValue{Kind: JSONNumber, Text: d[start:p.pos]}
	return nil
}

// str parses a string starting at the opening quote and returns its decoded
// bytes. Strings without escapes alias the input.
func (p *jsonParser) str() ([]byte, error) {
	p.pos++ // '"'
	start := p.pos
	d := p.data
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			s := d[start:p.pos]
			p.pos++
			return s, nil
		case c == '\\':
			return p.strSlow(start)
		case c < 0x20:
			return nil, p.errorf("control character in a string")
		}
		p.pos++
	}
	return nil, p.errorf("unterminated string")
}

func (p *jsonParser) strSlow(start int) ([]byte, error) {
	d := p.data
	out := append([]byte(nil), d[start:p.pos]...)
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			p.pos++
			return out, nil
		case c < 0x20:
			return nil, p.errorf("control character in a string")
		case c != '\\':
			out = append(out, c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(d) {
			break
		}
		e := d[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return nil, p.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if p.pos+1 < len(d) && d[p.pos] == '\\' && d[p.pos+1] == 'u' {
					save := p.pos
					p.pos += 2
					if lo, ok := p.hex4(); ok {
						r2 = utf16.DecodeRune(r, lo)
					}
					if r2 == utf8.RuneError {
						p.pos = save
					}
				}
				r = r2
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, p.errorf("invalid escape \\%c", e)
		}
	}
	return nil, p.errorf("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.data)-p.pos < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 16)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(n), true
}
