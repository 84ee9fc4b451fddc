package tensor

import (
	"fmt"
	"unicode/utf8"
)

// Packed arrays: with JSONLimits.PackNumbers, ParseJSON keeps an array of
// numbers (and arrays of them, to any depth) as its source text, its leaf
// count and the shape its nesting describes, instead of one JSONValue per
// number. The text was validated while scanning; DecodeJSON counts and
// checks the leaves against the shape before it allocates, then parses
// each number straight into the tensor's buffer. A request of a million
// numbers so costs its own bytes and its tensor, not ~60 bytes of tree
// per number.

// Len returns the number of elements of an array (packed or not), 0 for
// other kinds.
func (v *JSONValue) Len() int {
	switch {
	case v.Kind != JSONArray:
		return 0
	case v.Packed != nil:
		return v.Packed.Dims[0]
	}
	return len(v.Items)
}

// isSpecialFloat reports whether s (the text between quotes) is one of the
// strings that stand for non-finite floats: NaN, Infinity and -Infinity.
func isSpecialFloat(s []byte) bool {
	switch string(s) {
	case "NaN", "Infinity", "-Infinity":
		return true
	}
	return false
}

// packed tries to scan the array at p.pos as a packed array. It returns
// false, with p.pos unchanged, when the array holds anything but numbers,
// booleans, the strings "NaN", "Infinity" and "-Infinity", and arrays of
// those; then arrays that start inside it are not tried again, so that no
// byte is scanned more than twice.
func (p *jsonParser) packed(v *JSONValue, depth int) (bool, error) {
	start := p.pos
	d := p.data
	var dims, counts []int // per nesting level: first length seen, elements so far
	leafLevel, leaves, level := -1, 0, 0
	ragged := false
	fail := func() (bool, error) {
		p.noPackBefore = p.pos
		p.pos = start
		return false, nil
	}
	for {
		// A value is expected.
		p.skipSpace()
		if p.pos >= len(d) {
			return false, p.errorf("unexpected end of input")
		}
		switch c := d[p.pos]; {
		case c == '[':
			if depth+level >= p.lim.MaxDepth {
				return false, fmt.Errorf("%w: nesting deeper than %d", ErrJSONLimit, p.lim.MaxDepth)
			}
			if level > 0 {
				counts[level-1]++
			}
			level++
			if len(counts) < level {
				counts, dims = append(counts, 0), append(dims, -1)
			}
			counts[level-1] = 0
			p.pos++
			p.skipSpace()
			if p.pos < len(d) && d[p.pos] == ']' {
				goto closeArray
			}
			continue
		case c == '-' || c == 'N' || c == 'I' || (c >= '0' && c <= '9'):
			var tmp JSONValue
			if err := p.number(&tmp); err != nil {
				return false, err
			}
		case c == 't':
			if err := p.literal(&JSONValue{}, "true", JSONValue{}); err != nil {
				return false, err
			}
		case c == 'f':
			if err := p.literal(&JSONValue{}, "false", JSONValue{}); err != nil {
				return false, err
			}
		case c == '"':
			end := p.pos + 1
			for end < len(d) && end-p.pos <= 10 && d[end] != '"' {
				end++
			}
			if end >= len(d) || d[end] != '"' || !isSpecialFloat(d[p.pos+1:end]) {
				return fail()
			}
			p.pos = end + 1
		default:
			return fail()
		}
		// A leaf was read.
		counts[level-1]++
		leaves++
		if leafLevel < 0 {
			leafLevel = level
		} else if leafLevel != level {
			ragged = true
		}
	afterValue:
		p.skipSpace()
		if p.pos >= len(d) {
			return false, p.errorf("unterminated array")
		}
		switch d[p.pos] {
		case ',':
			p.pos++
			continue
		case ']':
			goto closeArray
		default:
			return false, p.errorf("expected ',' or ']' in an array")
		}
	closeArray:
		p.pos++ // ']'
		if n := counts[level-1]; dims[level-1] < 0 {
			dims[level-1] = n
		} else if dims[level-1] != n {
			ragged = true
		}
		level--
		if level > 0 {
			goto afterValue
		}
		break
	}
	if leafLevel >= 0 && leafLevel != len(dims) {
		ragged = true // leaves beside arrays, or empty arrays deeper than the leaves
	}
	*v = JSONValue{Kind: JSONArray, Packed: &JSONPacked{Raw: d[start:p.pos], Leaves: leaves, Dims: Shape(dims), Ragged: ragged}}
	return true, nil
}

// Each calls fn with each leaf of the packed array in order: a number (its
// literal), a boolean, or one of the strings "NaN", "Infinity" and
// "-Infinity". The leaf is only valid during the call. Each stops at the
// first error fn returns and returns it.
func (p *JSONPacked) Each(fn func(i int, leaf *JSONValue) error) error {
	for i, pos := 0, 0; ; i++ {
		leaf, next, ok := nextLeaf(p.Raw, pos)
		if !ok {
			return nil
		}
		if err := fn(i, &leaf); err != nil {
			return err
		}
		pos = next
	}
}

// nextLeaf returns the first leaf of packed text raw at or after pos and
// the offset after it; ok is false when there is none.
func nextLeaf(raw []byte, pos int) (leaf JSONValue, next int, ok bool) {
	for pos < len(raw) {
		switch raw[pos] {
		case '[', ']', ',', ' ', '\t', '\n', '\r':
			pos++
			continue
		}
		start := pos
		switch raw[pos] {
		case '"':
			pos++
			for raw[pos] != '"' {
				pos++
			}
			return JSONValue{Kind: JSONString, Text: raw[start+1 : pos]}, pos + 1, true
		case 't', 'f':
			for pos < len(raw) && raw[pos] >= 'a' && raw[pos] <= 'z' {
				pos++
			}
			return JSONValue{Kind: JSONBool, Bool: raw[start] == 't'}, pos, true
		}
		for pos < len(raw) && !isDelim(raw[pos]) {
			pos++
		}
		return JSONValue{Kind: JSONNumber, Text: raw[start:pos]}, pos, true
	}
	return JSONValue{}, pos, false
}

// fillPacked decodes the leaves of a packed array into t from element i
// on, and returns the next element index. The caller checked that the
// leaves fit.
func fillPacked(p *JSONPacked, t *Tensor, i int) (int, error) {
	for pos := 0; ; i++ {
		leaf, next, ok := nextLeaf(p.Raw, pos)
		if !ok {
			return i, nil
		}
		if err := setJSONElem(t, i, &leaf); err != nil {
			return i, fmt.Errorf("element %d: %w", i, err)
		}
		pos = next
	}
}

func isDelim(c byte) bool {
	return c == ',' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// clipText returns b as a string of at most 32 bytes (cut on a rune
// boundary, its length noted), for error messages that repeat input.
func clipText(b []byte) string {
	const n = 32
	if len(b) <= n {
		return string(b)
	}
	k := n
	for k > 0 && !utf8.RuneStart(b[k]) {
		k--
	}
	return fmt.Sprintf("%s...(%d bytes)", b[:k], len(b))
}
