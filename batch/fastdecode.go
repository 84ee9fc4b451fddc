package batch

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// The fast paths below decode the common record shapes straight into the
// micro-batch's input buffer. Each accepts a strict subset of what the
// general decoders accept and produces the same bytes for it; anything else
// (nested rows, NaN spelled as a string, an integer written as 1e3, a
// malformed record) falls back to the general decoder, which decides and
// words the error exactly as before.

// fastDType reports whether numbers of dt have a fast path.
func fastDType(dt tensor.DType) bool {
	switch dt {
	case tensor.Float32, tensor.Float64, tensor.Int8, tensor.Uint8, tensor.Int16, tensor.Int32, tensor.Int64:
		return true
	}
	return false
}

// isJSONNumber reports whether tok is a JSON number literal.
func isJSONNumber(tok []byte) bool {
	i := 0
	if i < len(tok) && tok[i] == '-' {
		i++
	}
	switch {
	case i < len(tok) && tok[i] == '0':
		i++
	case i < len(tok) && tok[i] >= '1' && tok[i] <= '9':
		for i < len(tok) && isDigitByte(tok[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(tok) && tok[i] == '.' {
		i++
		if i == len(tok) || !isDigitByte(tok[i]) {
			return false
		}
		for i < len(tok) && isDigitByte(tok[i]) {
			i++
		}
	}
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		i++
		if i < len(tok) && (tok[i] == '+' || tok[i] == '-') {
			i++
		}
		if i == len(tok) || !isDigitByte(tok[i]) {
			return false
		}
		for i < len(tok) && isDigitByte(tok[i]) {
			i++
		}
	}
	return i == len(tok)
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// appendNumber appends the JSON number literal tok as one element of dt;
// ok is false when tok is not a plain JSON number representable in dt
// the way the general decoder would store it.
func appendNumber(dst []byte, tok []byte, dt tensor.DType) ([]byte, bool) {
	switch dt {
	case tensor.Float32:
		f, ok := parseFloat32(tok)
		if !ok {
			return dst, false
		}
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(f)), true
	case tensor.Float64:
		f, ok := parseFloat64(tok)
		if !ok {
			return dst, false
		}
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), true
	}
	v, ok := parseInt(tok)
	if !ok {
		return dst, false
	}
	switch dt {
	case tensor.Int8:
		if v < math.MinInt8 || v > math.MaxInt8 {
			return dst, false
		}
		return append(dst, byte(int8(v))), true
	case tensor.Uint8:
		if v < 0 || v > math.MaxUint8 {
			return dst, false
		}
		return append(dst, byte(v)), true
	case tensor.Int16:
		if v < math.MinInt16 || v > math.MaxInt16 {
			return dst, false
		}
		return binary.LittleEndian.AppendUint16(dst, uint16(int16(v))), true
	case tensor.Int32:
		if v < math.MinInt32 || v > math.MaxInt32 {
			return dst, false
		}
		return binary.LittleEndian.AppendUint32(dst, uint32(int32(v))), true
	case tensor.Int64:
		return binary.LittleEndian.AppendUint64(dst, uint64(v)), true
	}
	return dst, false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// appendFlatRow decodes b, a flat JSON array of exactly n numbers, into dst
// as elements of dt. ok is false (and dst unchanged) for anything else.
func appendFlatRow(dst []byte, b []byte, dt tensor.DType, n int) ([]byte, bool) {
	start := len(dst)
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i == len(b) || b[i] != '[' {
		return dst, false
	}
	i++
	count := 0
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		j, fast := 0, false
		if dt == tensor.Float32 {
			var f float32
			if f, j, fast = float32At(b, i); fast {
				dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
			}
		}
		if !fast {
			j = i
			for j < len(b) && b[j] != ',' && b[j] != ']' && !isSpace(b[j]) {
				j++
			}
			var ok bool
			if dst, ok = appendNumber(dst, b[i:j], dt); !ok {
				return dst[:start], false
			}
		}
		count++
		i = j
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) || count > n {
			return dst[:start], false
		}
		if b[i] == ']' {
			i++
			break
		}
		if b[i] != ',' {
			return dst[:start], false
		}
		i++
	}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i != len(b) || count != n {
		return dst[:start], false
	}
	return dst, true
}

// nextInto implements bufDecoder: a bare flat row for a one-input model
// is decoded straight into dst[0]; other records go through the general
// parser and are copied.
func (d *ndjsonDecoder) nextInto(dst [][]byte) (Record, [][]byte, error) {
	for {
		b, tooLong, err := d.lines.next()
		if err != nil {
			return Record{}, dst, err
		}
		if !tooLong && isBlank(b) {
			continue
		}
		rec := Record{Index: d.index, Line: d.lines.line}
		d.index++
		if tooLong {
			rec.Err = &RecordError{Index: rec.Index, Line: rec.Line, Msg: fmt.Sprintf("line longer than %d bytes", d.opts.MaxRecordBytes)}
			return rec, dst, nil
		}
		if d.rowElems > 0 {
			var ok bool
			if dst[0], ok = appendFlatRow(dst[0], b, d.opts.Inputs[0].DType, d.rowElems); ok {
				rec.Items = 1
				return rec, dst, nil
			}
			var items int
			if dst[0], items, ok = d.appendV2(dst[0], b); ok {
				rec.Items = items
				return rec, dst, nil
			}
		}
		ins, items, err := parseJSONRecord(b, d.opts)
		if err != nil {
			rec.Err = &RecordError{Index: rec.Index, Line: rec.Line, Msg: err.Error()}
			return rec, dst, nil
		}
		rec.Items = items
		return rec, appendRecord(Record{Inputs: ins}, dst), nil
	}
}

// rowElements returns the element count of a one-input model's item when
// its rows have a fast path, else 0.
func rowElements(o DecodeOptions) int {
	if len(o.Inputs) != 1 || !fastDType(o.Inputs[0].DType) {
		return 0
	}
	is := itemShape(o.Inputs[0])
	if is == nil {
		return 0
	}
	n, err := is.NumElements()
	if err != nil || n > o.MaxElements {
		return 0
	}
	return n
}

// npyBlockBytes bounds the .npy rows read at once (at least one row).
const npyBlockBytes = 256 << 10

// nextInto implements bufDecoder for .npy: rows are read in blocks and
// copied into dst[0], one tensor per block rather than per row.
func (d *npyDecoder) nextInto(dst [][]byte) (Record, [][]byte, error) {
	if d.block == nil || d.pos == d.block.Shape[0] {
		t, err := d.nr.Next(d.blockRows)
		if err == io.EOF {
			return Record{}, dst, io.EOF
		}
		if err != nil {
			return Record{}, dst, fmt.Errorf("%w: .npy record %d: %w", ErrStream, d.index, err)
		}
		d.block, d.pos = t, 0
	}
	row := len(d.block.Data) / d.block.Shape[0]
	dst[0] = append(dst[0], d.block.Data[d.pos*row:(d.pos+1)*row]...)
	d.pos++
	rec := Record{Index: d.index, Items: 1}
	d.index++
	return rec, dst, nil
}

// jsonScan is a strict, small scanner for the fast V2 path. Anything it
// does not expect makes the caller fall back to the general parser.
type jsonScan struct {
	b      []byte
	i      int
	values int // scalars skipped
}

func (s *jsonScan) ws() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// eat skips spaces and the byte c.
func (s *jsonScan) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a plain string: printable ASCII without escapes.
func (s *jsonScan) str() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '"' {
			s.i++
			return s.b[start : s.i-1], true
		}
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// skip skips one value: plain strings, numbers, literals, and arrays and
// objects of them up to a small depth.
func (s *jsonScan) skip(depth int) bool {
	s.ws()
	if s.i >= len(s.b) || depth > 16 {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '[' || c == '{':
		close := byte(']')
		if c == '{' {
			close = '}'
		}
		s.i++
		if s.eat(close) {
			return true
		}
		for {
			if c == '{' {
				if _, ok := s.str(); !ok || !s.eat(':') {
					return false
				}
			}
			if !s.skip(depth + 1) {
				return false
			}
			if s.eat(close) {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	default:
		j := s.i
		for j < len(s.b) && s.b[j] != ',' && s.b[j] != ']' && s.b[j] != '}' && !isSpace(s.b[j]) {
			j++
		}
		tok := s.b[s.i:j]
		s.values++
		if !isJSONNumber(tok) && string(tok) != "true" && string(tok) != "false" && string(tok) != "null" {
			return false
		}
		s.i = j
		return true
	}
}

// keySet is the keys of one JSON object seen so far, for the fast path:
// a few keys, compared in place (no map, no allocation).
type keySet struct {
	keys [12][]byte
	n    int
}

// add records key; false when it was already there or the set is full
// (the general parser then decides).
func (ks *keySet) add(key []byte) bool {
	if ks.n == len(ks.keys) {
		return false
	}
	for _, k := range ks.keys[:ks.n] {
		if bytes.Equal(k, key) {
			return false
		}
	}
	ks.keys[ks.n] = key
	ks.n++
	return true
}

// appendV2 decodes a V2 request with one input whose data is a flat array
// of plain numbers straight into dst; items is its leading dimension. ok is
// false (dst unchanged) for anything else, which the general parser then
// decides.
func (d *ndjsonDecoder) appendV2(dst []byte, b []byte) (out []byte, items int, ok bool) {
	sp := d.opts.Inputs[0]
	s := &jsonScan{b: b}
	if !s.eat('{') {
		return dst, 0, false
	}
	var seen keySet
	found := false
	start := len(dst)
	fail := func() ([]byte, int, bool) { return dst[:start], 0, false }
	if s.eat('}') {
		return fail()
	}
	for {
		key, ok := s.str()
		if !ok || !s.eat(':') || !seen.add(key) {
			return fail()
		}
		switch string(key) {
		case "instances":
			return fail()
		case "inputs":
			if !s.eat('[') || !s.eat('{') {
				return fail()
			}
			var shape tensor.Shape
			var name, dtype []byte
			var have keySet
			hasData := false
			for {
				k, ok := s.str()
				if !ok || !s.eat(':') || !have.add(k) {
					return fail()
				}
				switch string(k) {
				case "name":
					if name, ok = s.str(); !ok {
						return fail()
					}
				case "datatype":
					if dtype, ok = s.str(); !ok {
						return fail()
					}
				case "shape":
					if !s.eat('[') {
						return fail()
					}
					for {
						s.ws()
						j := s.i
						for j < len(s.b) && isDigitByte(s.b[j]) {
							j++
						}
						v, err := strconv.Atoi(string(s.b[s.i:j]))
						if err != nil || v < 0 || len(shape) >= 8 {
							return fail()
						}
						s.i = j
						shape = append(shape, v)
						if s.eat(']') {
							break
						}
						if !s.eat(',') {
							return fail()
						}
					}
				case "data":
					if shape == nil || len(dst) != start {
						return fail() // data before shape: let the general parser do it
					}
					if checkRecordShape(sp, shape) != nil || shape[0] < 1 {
						return fail()
					}
					n, err := shape.NumElements()
					if err != nil || n > d.opts.MaxElements {
						return fail()
					}
					s.ws()
					if s.i >= len(s.b) || s.b[s.i] != '[' {
						return fail()
					}
					end := bytes.IndexByte(s.b[s.i:], ']')
					if end < 0 {
						return fail()
					}
					arr := s.b[s.i : s.i+end+1]
					if bytes.IndexByte(arr[1:], '[') >= 0 {
						return fail() // nested
					}
					if dst, ok = appendFlatRow(dst, arr, sp.DType, n); !ok {
						return fail()
					}
					s.i += end + 1
					items = shape[0]
					hasData = true
				default:
					if !s.skip(0) {
						return fail()
					}
				}
				if s.eat('}') {
					break
				}
				if !s.eat(',') {
					return fail()
				}
			}
			if name == nil || !hasData || (dtype != nil && string(dtype) != v2Names[sp.DType]) || !s.eat(']') {
				return fail()
			}
			found = true
		default:
			if !s.skip(0) {
				return fail()
			}
		}
		if s.eat('}') {
			break
		}
		if !s.eat(',') {
			return fail()
		}
	}
	s.ws()
	// The general parser bounds the values of a document: stay well inside.
	if !found || s.i != len(s.b) || items < 1 || s.values+len(dst[start:])/sp.DType.Size() > d.opts.MaxElements {
		return fail()
	}
	return dst, items, true
}
