package op

import (
	"encoding/binary"
	"fmt"
	"math"
)

// FlexMap is the root map of a FlexBuffer, as custom operators store their
// options (custom_options): each key with its scalar value. Values that
// are not scalars (strings, vectors, nested maps) are kept as present but
// have no number.
type FlexMap map[string]FlexValue

// FlexValue is one value of a FlexMap.
type FlexValue struct {
	kind flexKind
	i    int64
	u    uint64
	f    float64
	ints []int64 // a typed vector of integers
}

type flexKind uint8

const (
	flexNull flexKind = iota
	flexInt
	flexUint
	flexFloat
	flexBool
	flexInts
	flexOther
)

// FlexBuffer types (flexbuffers.h).
const (
	fbtNull         = 0
	fbtInt          = 1
	fbtUint         = 2
	fbtFloat        = 3
	fbtIndirectInt  = 6
	fbtIndirectUint = 7
	fbtIndirectFlt  = 8
	fbtMap          = 9
	fbtVectorInt    = 11
	fbtVectorUint   = 12
	fbtVectorInt2   = 16
	fbtVectorUint4  = 23
	fbtBool         = 26
)

// maxFlexKeys bounds the keys of an options map.
const maxFlexKeys = 1 << 12

// maxFlexVector bounds the length of a vector value.
const maxFlexVector = 1 << 16

// flexRoot checks a FlexBuffer's trailer (root width and type byte) and
// that its root is an offset to a value of type want (named what in the
// error), and returns that value's position and element width.
func flexRoot(b []byte, want byte, what string) (pos, width int, err error) {
	if len(b) < 3 {
		return 0, 0, fmt.Errorf("flexbuffer of %d bytes", len(b))
	}
	rw := int(b[len(b)-1])
	rt := b[len(b)-2]
	if rw != 1 && rw != 2 && rw != 4 && rw != 8 {
		return 0, 0, fmt.Errorf("flexbuffer root width %d", rw)
	}
	rootPos := len(b) - 2 - rw
	if rootPos < 0 {
		return 0, 0, fmt.Errorf("flexbuffer root outside the buffer")
	}
	if rt>>2 != want {
		return 0, 0, fmt.Errorf("flexbuffer root has type %d, want %s", rt>>2, what)
	}
	pos, err = flexIndirect(b, rootPos, rw)
	if err != nil {
		return 0, 0, err
	}
	return pos, 1 << (rt & 3), nil
}

// ParseFlexMap decodes a FlexBuffer whose root is a map. The bytes are
// untrusted: every offset and width is checked, and a malformed buffer is
// an error.
func ParseFlexMap(b []byte) (FlexMap, error) {
	mpos, w, err := flexRoot(b, fbtMap, "a map") // w: the map's element width
	if err != nil {
		return nil, err
	}
	// Before the values: keys offset, keys width, size (w bytes each).
	if mpos < 3*w {
		return nil, fmt.Errorf("flexbuffer map header outside the buffer")
	}
	n, err := flexUintAt(b, mpos-w, w)
	if err != nil {
		return nil, err
	}
	if n > maxFlexKeys || mpos+int(n)*w+int(n) > len(b) {
		return nil, fmt.Errorf("flexbuffer map of %d entries does not fit", n)
	}
	kw, err := flexUintAt(b, mpos-2*w, w)
	if err != nil {
		return nil, err
	}
	if kw != 1 && kw != 2 && kw != 4 && kw != 8 {
		return nil, fmt.Errorf("flexbuffer key width %d", kw)
	}
	kpos, err := flexIndirect(b, mpos-3*w, w)
	if err != nil {
		return nil, err
	}
	kn, err := flexUintAt(b, kpos-int(kw), int(kw))
	if err != nil || kn != n || kpos+int(n)*int(kw) > len(b) {
		return nil, fmt.Errorf("flexbuffer map keys do not match its %d values", n)
	}
	m := make(FlexMap, n)
	types := mpos + int(n)*w
	for i := 0; i < int(n); i++ {
		kp, err := flexIndirect(b, kpos+i*int(kw), int(kw))
		if err != nil {
			return nil, err
		}
		end := kp
		for end < len(b) && b[end] != 0 {
			end++
		}
		if end >= len(b) {
			return nil, fmt.Errorf("flexbuffer key %d is not terminated", i)
		}
		v, err := flexValue(b, mpos+i*w, w, b[types+i])
		if err != nil {
			return nil, fmt.Errorf("flexbuffer key %q: %w", b[kp:end], err)
		}
		m[string(b[kp:end])] = v
	}
	return m, nil
}

// flexValue reads the value stored at pos in a parent of width w.
func flexValue(b []byte, pos, w int, packed byte) (FlexValue, error) {
	t, cw := int(packed>>2), 1<<(packed&3)
	switch t {
	case fbtNull:
		return FlexValue{}, nil
	case fbtInt, fbtBool:
		v, err := flexIntAt(b, pos, w)
		k := flexInt
		if t == fbtBool {
			k = flexBool
		}
		return FlexValue{kind: k, i: v}, err
	case fbtUint:
		v, err := flexUintAt(b, pos, w)
		return FlexValue{kind: flexUint, u: v}, err
	case fbtFloat:
		v, err := flexFloatAt(b, pos, w)
		return FlexValue{kind: flexFloat, f: v}, err
	case fbtIndirectInt, fbtIndirectUint, fbtIndirectFlt:
		p, err := flexIndirect(b, pos, w)
		if err != nil {
			return FlexValue{}, err
		}
		switch t {
		case fbtIndirectInt:
			v, err := flexIntAt(b, p, cw)
			return FlexValue{kind: flexInt, i: v}, err
		case fbtIndirectUint:
			v, err := flexUintAt(b, p, cw)
			return FlexValue{kind: flexUint, u: v}, err
		}
		v, err := flexFloatAt(b, p, cw)
		return FlexValue{kind: flexFloat, f: v}, err
	case fbtVectorInt, fbtVectorUint:
		p, err := flexIndirect(b, pos, w)
		if err != nil {
			return FlexValue{}, err
		}
		n, err := flexUintAt(b, p-cw, cw)
		if err != nil {
			return FlexValue{}, err
		}
		return flexIntVector(b, p, cw, int(min(n, maxFlexVector+1)), t == fbtVectorUint)
	}
	if t >= fbtVectorInt2 && t <= fbtVectorUint4 && (t-fbtVectorInt2)%3 != 2 {
		// Fixed-length typed vectors: INT2, UINT2, INT3, UINT3, INT4, UINT4
		// (the FLOATn types in between are not integers).
		p, err := flexIndirect(b, pos, w)
		if err != nil {
			return FlexValue{}, err
		}
		return flexIntVector(b, p, cw, 2+(t-fbtVectorInt2)/3, (t-fbtVectorInt2)%3 == 1)
	}
	return FlexValue{kind: flexOther}, nil
}

// flexIntVector reads n integers of width w at p.
func flexIntVector(b []byte, p, w, n int, unsigned bool) (FlexValue, error) {
	if n > maxFlexVector || p+n*w > len(b) {
		return FlexValue{}, fmt.Errorf("flexbuffer vector of %d elements does not fit", n)
	}
	v := make([]int64, n)
	for i := range v {
		var err error
		if unsigned {
			var u uint64
			u, err = flexUintAt(b, p+i*w, w)
			if u > math.MaxInt64 {
				u = math.MaxInt64 // out of every int range the callers accept
			}
			v[i] = int64(u)
		} else {
			v[i], err = flexIntAt(b, p+i*w, w)
		}
		if err != nil {
			return FlexValue{}, err
		}
	}
	return FlexValue{kind: flexInts, ints: v}, nil
}

func flexIndirect(b []byte, pos, w int) (int, error) {
	off, err := flexUintAt(b, pos, w)
	if err != nil {
		return 0, err
	}
	if off > uint64(pos) {
		return 0, fmt.Errorf("flexbuffer offset %d at %d points before the buffer", off, pos)
	}
	return pos - int(off), nil
}

func flexUintAt(b []byte, pos, w int) (uint64, error) {
	if pos < 0 || pos+w > len(b) {
		return 0, fmt.Errorf("flexbuffer read of %d bytes at %d outside %d bytes", w, pos, len(b))
	}
	switch w {
	case 1:
		return uint64(b[pos]), nil
	case 2:
		return uint64(binary.LittleEndian.Uint16(b[pos:])), nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(b[pos:])), nil
	case 8:
		return binary.LittleEndian.Uint64(b[pos:]), nil
	}
	return 0, fmt.Errorf("flexbuffer width %d", w)
}

func flexIntAt(b []byte, pos, w int) (int64, error) {
	u, err := flexUintAt(b, pos, w)
	if err != nil {
		return 0, err
	}
	shift := 64 - 8*w
	return int64(u<<shift) >> shift, nil
}

func flexFloatAt(b []byte, pos, w int) (float64, error) {
	u, err := flexUintAt(b, pos, w)
	if err != nil {
		return 0, err
	}
	switch w {
	case 4:
		return float64(math.Float32frombits(uint32(u))), nil
	case 8:
		return math.Float64frombits(u), nil
	}
	return 0, fmt.Errorf("flexbuffer float of %d bytes", w)
}

// Has reports whether key is present and not null.
func (m FlexMap) Has(key string) bool { return m[key].kind != flexNull }

// Int returns key as an integer (def when absent or null), converting as
// FlexBuffers' AsInt64 does (floats truncate, bools are 0 or 1); ok is
// false when the value is not a number or does not fit an int32.
func (m FlexMap) Int(key string, def int) (int, bool) {
	v := m[key]
	var x int64
	switch v.kind {
	case flexNull:
		return def, true
	case flexInt, flexBool:
		x = v.i
	case flexUint:
		if v.u > math.MaxInt32 {
			return 0, false
		}
		x = int64(v.u)
	case flexFloat:
		if !(v.f >= math.MinInt32 && v.f <= math.MaxInt32) {
			return 0, false
		}
		x = int64(v.f)
	default:
		return 0, false
	}
	if x < math.MinInt32 || x > math.MaxInt32 {
		return 0, false
	}
	return int(x), true
}

// Ints returns key, a typed vector of integers, as ints (nil when absent
// or null); ok is false when the value is something else or an element
// does not fit an int32.
func (m FlexMap) Ints(key string) ([]int, bool) {
	v := m[key]
	switch v.kind {
	case flexNull:
		return nil, true
	case flexInts:
	default:
		return nil, false
	}
	out := make([]int, len(v.ints))
	for i, x := range v.ints {
		if x < math.MinInt32 || x > math.MaxInt32 {
			return nil, false
		}
		out[i] = int(x)
	}
	return out, true
}

// Float returns key as a float32 (def when absent or null); ok is false
// when the value is not a number.
func (m FlexMap) Float(key string, def float32) (float32, bool) {
	v := m[key]
	switch v.kind {
	case flexNull:
		return def, true
	case flexFloat:
		return float32(v.f), true
	case flexInt, flexBool:
		return float32(v.i), true
	case flexUint:
		return float32(v.u), true
	}
	return 0, false
}

// Bool returns key as a bool (def when absent or null): any non-zero
// number is true.
func (m FlexMap) Bool(key string, def bool) (bool, bool) {
	v := m[key]
	switch v.kind {
	case flexNull:
		return def, true
	case flexBool, flexInt:
		return v.i != 0, true
	case flexUint:
		return v.u != 0, true
	case flexFloat:
		return v.f != 0, true
	}
	return false, false
}
