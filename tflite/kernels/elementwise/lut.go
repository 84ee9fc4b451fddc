package elementwise

import (
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// LUT8 is the table of an elementwise function of one 8-bit value: entry
// uint8(v) is f(v). A quantized unary operator's output depends on its
// input value alone, so its 256 results, computed once by the reference
// arithmetic, give identical outputs at a load and a store per element.
type LUT8[T, U Byte] [256]U

// NewLUT8 tabulates f (a slice function such as LeakyReluQuant bound to
// its parameters) over every value of T.
func NewLUT8[T, U Byte](f func(in []T, out []U)) *LUT8[T, U] {
	var in [256]T
	var lut [256]U
	for i := range in {
		in[i] = T(i) // int8: 0..127 then -128..-1, so entry uint8(v) holds v
	}
	f(in[:], lut[:])
	t := LUT8[T, U](lut)
	return &t
}

// Apply writes t[in[i]] to out[i] (kernels.LookupBytes). in and out may
// be the same slice.
func (t *LUT8[T, U]) Apply(in []T, out []U) {
	kernels.LookupBytes((*[256]byte)(unsafe.Pointer(t)), byteView(in), byteView(out))
}

// byteView is s's memory as bytes (T and U are 8-bit).
func byteView[T Byte](s []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
