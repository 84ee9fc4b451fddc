package tensor

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
)

// FromJSON converts a JSON value to a tensor of type dt.
//
// When shape is nil, the shape is the nesting of v, which must be
// rectangular (a bare number is a scalar). Otherwise v may be nested in any
// way or flat, and must hold exactly shape's element count.
//
// Leaves are numbers (NaN, Infinity and -Infinity included, bare or as
// strings) or booleans. An object {"b64": "..."} stands for the
// little-endian bytes of a run of elements along the innermost dimension
// (for uint8 and int8 one element per byte). Integers out of range for
// dt, fractional values for integer types and float overflow are errors.
// maxElements bounds the element count (0 means MaxElements). Errors wrap
// ErrJSON, ErrJSONLimit or ErrShape.
func FromJSON(v *JSONValue, dt DType, shape Shape, maxElements int) (*Tensor, error) {
	return DecodeJSON(v, dt, shape, JSONDecodeOptions{MaxElements: maxElements})
}

// JSONDecodeOptions are the options of DecodeJSON.
type JSONDecodeOptions struct {
	// MaxElements bounds the element count (0 means MaxElements).
	MaxElements int
	// Reserve, when not nil, is called with the size in bytes of the
	// tensor's data once its values have been counted and checked against
	// its shape, and before the data is allocated; an error it returns is
	// returned as it is, and nothing is allocated.
	Reserve func(bytes int64) error
}

// DecodeJSON is FromJSON with options: it counts the values of v and
// checks them against the shape before allocating anything, and decodes
// each number straight into the tensor's data.
func DecodeJSON(v *JSONValue, dt DType, shape Shape, o JSONDecodeOptions) (*Tensor, error) {
	if dt.Size() == 0 {
		return nil, fmt.Errorf("%w: dtype %s cannot be built from JSON", ErrJSON, dt)
	}
	maxElements := o.MaxElements
	if maxElements <= 0 || maxElements > MaxElements {
		maxElements = MaxElements
	}
	strict := shape == nil
	if strict {
		var err error
		if shape, err = inferShape(v, dt); err != nil {
			return nil, err
		}
	}
	n, err := shape.NumElements()
	if err != nil {
		return nil, err
	}
	if n > maxElements {
		return nil, fmt.Errorf("%w: %d elements, more than the limit of %d", ErrJSONLimit, n, maxElements)
	}
	count, err := countLeaves(v, dt, n)
	if err != nil {
		return nil, err
	}
	if count != n {
		return nil, fmt.Errorf("%w: %d values for shape %s (%d elements)", ErrJSON, count, shape, n)
	}
	if o.Reserve != nil {
		if err := o.Reserve(int64(n) * int64(dt.Size())); err != nil {
			return nil, err
		}
	}
	t := &Tensor{DType: dt, Shape: shape.Clone(), Data: make([]byte, n*dt.Size())}
	f := jsonFiller{t: t, shape: shape, strict: strict}
	if err := f.fill(v, 0); err != nil {
		return nil, err
	}
	if f.i != n {
		return nil, fmt.Errorf("%w: %d values for shape %s (%d elements)", ErrJSON, f.i, shape, n)
	}
	return t, nil
}

// countLeaves counts the elements v holds (numbers, booleans, packed
// leaves, and the elements of b64 runs), stopping early past limit.
func countLeaves(v *JSONValue, dt DType, limit int) (int, error) {
	switch v.Kind {
	case JSONArray:
		if v.Packed != nil {
			return v.Packed.Leaves, nil
		}
		total := 0
		for k := range v.Items {
			c, err := countLeaves(&v.Items[k], dt, limit-total)
			if err != nil {
				return 0, err
			}
			if total += c; total > limit {
				return total, nil
			}
		}
		return total, nil
	case JSONObject:
		if len(v.Keys) != 1 || v.Keys[0] != "b64" || v.Items[0].Kind != JSONString {
			return 0, fmt.Errorf("%w: object where a number or array was expected", ErrJSON)
		}
		return b64Len(v.Items[0].Text) / dt.Size(), nil
	}
	return 1, nil
}

// b64Len returns the number of bytes base64 text s decodes to (padded or
// not), assuming it is valid; decoding checks that.
func b64Len(s []byte) int {
	n := len(s)
	for n > 0 && s[n-1] == '=' {
		n--
	}
	return n * 6 / 8
}

// b64Bytes returns the decoded bytes when v is a {"b64": "..."} object.
func b64Bytes(v *JSONValue) ([]byte, bool, error) {
	if v.Kind != JSONObject || len(v.Keys) != 1 || v.Keys[0] != "b64" {
		return nil, false, nil
	}
	s := v.Items[0]
	if s.Kind != JSONString {
		return nil, true, fmt.Errorf("%w: b64 value is a %s, not a string", ErrJSON, s.Kind)
	}
	b, err := base64.StdEncoding.DecodeString(string(s.Text))
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(string(s.Text)); err != nil {
			return nil, true, fmt.Errorf("%w: b64 value: %v", ErrJSON, err)
		}
	}
	return b, true, nil
}

func inferShape(v *JSONValue, dt DType) (Shape, error) {
	var s Shape
	for {
		switch v.Kind {
		case JSONArray:
			if pk := v.Packed; pk != nil {
				if pk.Ragged {
					return nil, fmt.Errorf("%w: ragged nested arrays", ErrJSON)
				}
				return append(s, pk.Dims...), nil
			}
			s = append(s, len(v.Items))
			if len(v.Items) == 0 {
				return s, nil
			}
			v = &v.Items[0]
			continue
		case JSONObject:
			b, ok, err := b64Bytes(v)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("%w: object where a number or array was expected", ErrJSON)
			}
			if len(b)%dt.Size() != 0 {
				return nil, fmt.Errorf("%w: b64 value has %d bytes, not a multiple of %s's %d", ErrJSON, len(b), dt, dt.Size())
			}
			s = append(s, len(b)/dt.Size())
		}
		return s, nil
	}
}

type jsonFiller struct {
	t      *Tensor
	shape  Shape
	strict bool // nesting must follow shape
	i      int  // next element index
}

func (f *jsonFiller) fill(v *JSONValue, level int) error {
	n := len(f.t.Data) / f.t.DType.Size()
	switch v.Kind {
	case JSONArray:
		if pk := v.Packed; pk != nil {
			if f.strict && (pk.Ragged || !pk.Dims.Equal(f.shape[min(level, len(f.shape)):])) {
				return fmt.Errorf("%w: ragged nested arrays (shape %s inferred from the first elements)", ErrJSON, f.shape)
			}
			if f.i+pk.Leaves > n {
				return fmt.Errorf("%w: more values than shape %s holds", ErrJSON, f.shape)
			}
			var err error
			f.i, err = fillPacked(pk, f.t, f.i)
			return err
		}
		if f.strict && (level >= len(f.shape) || len(v.Items) != f.shape[level]) {
			return fmt.Errorf("%w: ragged nested arrays (shape %s inferred from the first elements)", ErrJSON, f.shape)
		}
		for k := range v.Items {
			if err := f.fill(&v.Items[k], level+1); err != nil {
				return err
			}
		}
		return nil
	case JSONObject:
		b, ok, err := b64Bytes(v)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: object where a number or array was expected", ErrJSON)
		}
		sz := f.t.DType.Size()
		if len(b)%sz != 0 {
			return fmt.Errorf("%w: b64 value has %d bytes, not a multiple of %s's %d", ErrJSON, len(b), f.t.DType, sz)
		}
		if f.strict && (level != len(f.shape)-1 || len(b)/sz != f.shape[level]) {
			return fmt.Errorf("%w: b64 value of %d elements does not fit shape %s", ErrJSON, len(b)/sz, f.shape)
		}
		if f.i+len(b)/sz > n {
			return fmt.Errorf("%w: more values than shape %s holds", ErrJSON, f.shape)
		}
		copy(f.t.Data[f.i*sz:], b)
		f.i += len(b) / sz
		return nil
	}
	if f.strict && level != len(f.shape) {
		return fmt.Errorf("%w: ragged nested arrays (shape %s inferred from the first elements)", ErrJSON, f.shape)
	}
	if f.i >= n {
		return fmt.Errorf("%w: more values than shape %s holds", ErrJSON, f.shape)
	}
	if err := setJSONElem(f.t, f.i, v); err != nil {
		return fmt.Errorf("element %d: %w", f.i, err)
	}
	f.i++
	return nil
}

// parseJSONFloat parses a number literal, NaN and infinities included.
func parseJSONFloat(v *JSONValue, bits int) (float64, error) {
	switch v.Kind {
	case JSONBool:
		if v.Bool {
			return 1, nil
		}
		return 0, nil
	case JSONNumber:
	case JSONString:
		if !isSpecialFloat(v.Text) {
			return 0, fmt.Errorf("%w: string where a number was expected", ErrJSON)
		}
	default:
		return 0, fmt.Errorf("%w: %s where a number was expected", ErrJSON, v.Kind)
	}
	switch string(v.Text) {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(string(v.Text), bits)
	if err != nil {
		return 0, fmt.Errorf("%w: %s is out of range for float%d", ErrJSON, clipText(v.Text), bits)
	}
	return f, nil
}

func parseJSONInt(v *JSONValue, lo, hi int64) (int64, error) {
	if v.Kind == JSONNumber {
		if i, err := strconv.ParseInt(string(v.Text), 10, 64); err == nil {
			if i < lo || i > hi {
				return 0, fmt.Errorf("%w: %d is out of range [%d, %d]", ErrJSON, i, lo, hi)
			}
			return i, nil
		}
	}
	f, err := parseJSONFloat(v, 64)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) || math.IsNaN(f) {
		return 0, fmt.Errorf("%w: %s is not an integer in range [%d, %d]", ErrJSON, clipText(v.Text), lo, hi)
	}
	return int64(f), nil
}

func parseJSONUint(v *JSONValue, hi uint64) (uint64, error) {
	if v.Kind == JSONNumber {
		if u, err := strconv.ParseUint(string(v.Text), 10, 64); err == nil {
			if u > hi {
				return 0, fmt.Errorf("%w: %d is out of range [0, %d]", ErrJSON, u, hi)
			}
			return u, nil
		}
	}
	f, err := parseJSONFloat(v, 64)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < 0 || f > float64(hi) || math.IsNaN(f) {
		return 0, fmt.Errorf("%w: %s is not an integer in range [0, %d]", ErrJSON, clipText(v.Text), hi)
	}
	return uint64(f), nil
}

func setJSONElem(t *Tensor, i int, v *JSONValue) error {
	switch t.DType {
	case Float32:
		f, err := parseJSONFloat(v, 32)
		t.Float32s()[i] = float32(f)
		return err
	case Float64:
		f, err := parseJSONFloat(v, 64)
		t.Float64s()[i] = f
		return err
	case Float16:
		f, err := parseJSONFloat(v, 32)
		view[uint16](t.Data)[i] = Float32ToHalf(float32(f))
		return err
	case Int8:
		x, err := parseJSONInt(v, math.MinInt8, math.MaxInt8)
		t.Int8s()[i] = int8(x)
		return err
	case Int16:
		x, err := parseJSONInt(v, math.MinInt16, math.MaxInt16)
		t.Int16s()[i] = int16(x)
		return err
	case Int32:
		x, err := parseJSONInt(v, math.MinInt32, math.MaxInt32)
		t.Int32s()[i] = int32(x)
		return err
	case Int64:
		x, err := parseJSONInt(v, math.MinInt64, math.MaxInt64)
		t.Int64s()[i] = x
		return err
	case Uint8:
		x, err := parseJSONUint(v, math.MaxUint8)
		t.Data[i] = uint8(x)
		return err
	case Uint16:
		x, err := parseJSONUint(v, math.MaxUint16)
		view[uint16](t.Data)[i] = uint16(x)
		return err
	case Uint32:
		x, err := parseJSONUint(v, math.MaxUint32)
		view[uint32](t.Data)[i] = uint32(x)
		return err
	case Uint64:
		x, err := parseJSONUint(v, math.MaxUint64)
		view[uint64](t.Data)[i] = x
		return err
	case Bool:
		switch {
		case v.Kind == JSONBool:
			t.Data[i] = 0
			if v.Bool {
				t.Data[i] = 1
			}
			return nil
		case v.Kind == JSONNumber && (string(v.Text) == "0" || string(v.Text) == "1"):
			t.Data[i] = v.Text[0] - '0'
			return nil
		}
		return fmt.Errorf("%w: %s where a bool was expected", ErrJSON, v.Kind)
	}
	return fmt.Errorf("%w: dtype %s cannot be built from JSON", ErrJSON, t.DType)
}

// Float32ToHalf converts a float32 to IEEE 754 binary16, rounding to
// nearest even; NaN stays NaN and overflow becomes infinity.
func Float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	frac := b & 0x7fffff
	if exp == 0xff {
		if frac != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		m := frac | 0x800000
		shift := uint(14 - e)
		h := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | frac>>13
	rem := frac & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // a carry into the exponent is the correct result, up to infinity
	}
	return sign | uint16(h)
}

// AppendJSON appends t's elements to dst as nested JSON arrays following
// its shape (a scalar as a bare value) and returns the extended slice. NaN
// and infinities, which JSON numbers cannot hold, are written as the
// strings "NaN", "Infinity" and "-Infinity" (the names TensorFlow Serving
// uses, quoted as in protobuf's JSON mapping), so that the output is valid
// JSON; ParseJSON and FromJSON read them back, quoted or bare. t must be
// valid (see Validate).
func AppendJSON(dst []byte, t *Tensor) []byte {
	i := 0
	return appendNested(dst, t, 0, &i)
}

func appendNested(dst []byte, t *Tensor, level int, i *int) []byte {
	if level == len(t.Shape) {
		dst = AppendJSONElem(dst, t, *i)
		*i++
		return dst
	}
	dst = append(dst, '[')
	for k := 0; k < t.Shape[level]; k++ {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = appendNested(dst, t, level+1, i)
	}
	return append(dst, ']')
}

// AppendJSONFlat appends t's elements to dst as one flat JSON array in
// row-major order and returns the extended slice.
func AppendJSONFlat(dst []byte, t *Tensor) []byte {
	n := 0
	if sz := t.DType.Size(); sz > 0 {
		n = len(t.Data) / sz
	}
	dst = append(dst, '[')
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONElem(dst, t, i)
	}
	return append(dst, ']')
}

// AppendJSONElem appends element i of t as a JSON value.
func AppendJSONElem(dst []byte, t *Tensor, i int) []byte {
	switch t.DType {
	case Float32:
		return appendJSONFloat(dst, float64(t.Float32s()[i]), 32)
	case Float64:
		return appendJSONFloat(dst, t.Float64s()[i], 64)
	case Float16:
		return appendJSONFloat(dst, float64(HalfToFloat32(view[uint16](t.Data)[i])), 32)
	case Int8:
		return strconv.AppendInt(dst, int64(t.Int8s()[i]), 10)
	case Int16:
		return strconv.AppendInt(dst, int64(t.Int16s()[i]), 10)
	case Int32:
		return strconv.AppendInt(dst, int64(t.Int32s()[i]), 10)
	case Int64:
		return strconv.AppendInt(dst, t.Int64s()[i], 10)
	case Uint8:
		return strconv.AppendUint(dst, uint64(t.Data[i]), 10)
	case Uint16:
		return strconv.AppendUint(dst, uint64(view[uint16](t.Data)[i]), 10)
	case Uint32:
		return strconv.AppendUint(dst, uint64(view[uint32](t.Data)[i]), 10)
	case Uint64:
		return strconv.AppendUint(dst, view[uint64](t.Data)[i], 10)
	case Bool:
		if t.Data[i] != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	}
	return append(dst, "null"...)
}

func appendJSONFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}
