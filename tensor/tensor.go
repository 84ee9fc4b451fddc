package tensor

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// ErrShape reports a shape that is invalid or does not match the data.
var ErrShape = errors.New("tensor: bad shape")

// MaxElements bounds the number of elements Shape.NumElements accepts, so
// that a hostile shape cannot ask for an absurd allocation.
const MaxElements = 1 << 31

// Shape is the list of dimensions of a tensor, outermost first. A scalar has
// an empty shape.
type Shape []int

// NumElements returns the product of the dimensions. It returns an error
// wrapping ErrShape when a dimension is negative or the product exceeds
// MaxElements.
func (s Shape) NumElements() (int, error) {
	n := 1
	for i, d := range s {
		if d < 0 {
			return 0, fmt.Errorf("%w: dimension %d is %d", ErrShape, i, d)
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("%w: %v has more than %d elements", ErrShape, []int(s), MaxElements)
		}
		n *= d
	}
	return n, nil
}

// Elements is NumElements for shapes already known to be valid; it returns
// -1 for an invalid shape.
func (s Shape) Elements() int {
	n, err := s.NumElements()
	if err != nil {
		return -1
	}
	return n
}

// Equal reports whether s and t have the same dimensions.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of s.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

// String formats the shape as [d0,d1,...].
func (s Shape) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(']')
	return b.String()
}

// Quant holds affine quantization parameters: real = Scale * (q - ZeroPoint).
// With one scale the parameters apply to the whole tensor; with several they
// apply per slice along Axis (per-channel quantization).
type Quant struct {
	Scale     []float32
	ZeroPoint []int64
	Axis      int
}

// PerChannel reports whether q has more than one scale.
func (q *Quant) PerChannel() bool { return q != nil && len(q.Scale) > 1 }

// Tensor is a typed, shaped block of little-endian data in C (row-major)
// order.
type Tensor struct {
	Name  string
	DType DType
	Shape Shape
	Quant *Quant // nil when the tensor is not quantized
	Data  []byte // len(Data) == Shape.Elements() * DType.Size()
}

// New returns a zeroed tensor of the given type and shape.
func New(dt DType, shape Shape) (*Tensor, error) {
	n, err := shape.NumElements()
	if err != nil {
		return nil, err
	}
	if dt.Size() == 0 {
		return nil, fmt.Errorf("tensor: cannot allocate %s", dt)
	}
	return &Tensor{DType: dt, Shape: shape.Clone(), Data: make([]byte, n*dt.Size())}, nil
}

// Validate checks that the data length matches the type and shape.
func (t *Tensor) Validate() error {
	n, err := t.Shape.NumElements()
	if err != nil {
		return err
	}
	if t.DType.Size() == 0 {
		return fmt.Errorf("tensor %q: unsupported dtype %s", t.Name, t.DType)
	}
	if want := n * t.DType.Size(); len(t.Data) != want {
		return fmt.Errorf("%w: tensor %q %s%s needs %d bytes, has %d", ErrShape, t.Name, t.DType, t.Shape, want, len(t.Data))
	}
	return nil
}

func view[T any](b []byte) []T {
	var z T
	n := len(b) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// The typed views below alias t.Data; they do not copy. They assume the
// data is suitably aligned, which every allocation in this project ensures.

// Float32s views the data as float32 values.
func (t *Tensor) Float32s() []float32 { return view[float32](t.Data) }

// Int8s views the data as int8 values.
func (t *Tensor) Int8s() []int8 { return view[int8](t.Data) }

// Uint8s views the data as uint8 values.
func (t *Tensor) Uint8s() []uint8 { return t.Data }

// Int16s views the data as int16 values.
func (t *Tensor) Int16s() []int16 { return view[int16](t.Data) }

// Int32s views the data as int32 values.
func (t *Tensor) Int32s() []int32 { return view[int32](t.Data) }

// Int64s views the data as int64 values.
func (t *Tensor) Int64s() []int64 { return view[int64](t.Data) }

// Float64s views the data as float64 values.
func (t *Tensor) Float64s() []float64 { return view[float64](t.Data) }

// Bools views the data as bytes, one per bool (0 false, anything else true).
func (t *Tensor) Bools() []uint8 { return t.Data }

// AsFloat64 returns element i converted to float64 (bool as 0 or 1; float16
// decoded). It is meant for encoders and tests, not for kernels.
func (t *Tensor) AsFloat64(i int) float64 {
	switch t.DType {
	case Float32:
		return float64(t.Float32s()[i])
	case Float64:
		return t.Float64s()[i]
	case Float16:
		return float64(HalfToFloat32(view[uint16](t.Data)[i]))
	case Int8:
		return float64(t.Int8s()[i])
	case Int16:
		return float64(t.Int16s()[i])
	case Int32:
		return float64(t.Int32s()[i])
	case Int64:
		return float64(t.Int64s()[i])
	case Uint8, Bool:
		return float64(t.Data[i])
	case Uint16:
		return float64(view[uint16](t.Data)[i])
	case Uint32:
		return float64(view[uint32](t.Data)[i])
	case Uint64:
		return float64(view[uint64](t.Data)[i])
	}
	return math.NaN()
}

// HalfToFloat32 converts an IEEE 754 binary16 value to float32.
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		e := uint32(127 - 15 + 1)
		for frac&0x400 == 0 {
			frac <<= 1
			e--
		}
		frac &= 0x3ff
		return math.Float32frombits(sign | e<<23 | frac<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}
