package conv

import (
	"encoding/binary"
	"unsafe"
)

// uint8 convolutions on the int8 kernels. With x' = x − 128 (the byte with
// its top bit flipped, read as int8) and v = w − zw, a uint8 accumulator
// Σ (x − zx)(w − zw) equals Σ (x' + (128 − zx))·v: the int8 kernel's
// arithmetic with input offset 128 − zx, whenever v fits int8. It does
// for almost every output channel of real models (uint8 weights span
// [−zw, 255 − zw] only in the channels holding the tensor's extreme
// weights); the few channels that do not are computed by the reference
// kernel. The int8 result y' = y − 128 (output offset zy − 128, clamp
// bounds shifted alike) becomes y by flipping the top bit again.

// OffsetUint8Filter returns the int8 filter v = w − zw for a filter of
// channels output channels, where channel c's weights are at
// c·chanStride + t·tapStride for t in [0, taps), and the channels whose
// weights do not all fit int8 (their v are left zero).
func OffsetUint8Filter(w []uint8, zw int32, channels, taps, chanStride, tapStride int) ([]int8, []int) {
	v := make([]int8, len(w))
	var outliers []int
	for c := 0; c < channels; c++ {
		fits := true
		for t := 0; t < taps; t++ {
			d := int32(w[c*chanStride+t*tapStride]) - zw
			fits = fits && d >= -128 && d <= 127
		}
		if !fits {
			outliers = append(outliers, c)
			continue
		}
		for t := 0; t < taps; t++ {
			i := c*chanStride + t*tapStride
			v[i] = int8(int32(w[i]) - zw)
		}
	}
	return v, outliers
}

// Uint8AsInt8 returns the int8 output stage of a uint8 one (q from the
// uint8 reference kernel, FilterOffset folded into the weights).
func Uint8AsInt8(q *Requant) *Requant {
	return &Requant{InputOffset: q.InputOffset + 128, OutputOffset: q.OutputOffset - 128,
		Mult: q.Mult, Shift: q.Shift, Min: q.Min - 128, Max: q.Max - 128}
}

const signBits = 0x8080808080808080

// FlipSign writes src with every byte's top bit flipped into dst (uint8
// x as the int8 x − 128, or back). len(dst) ≥ len(src). 64 bytes at a
// time with AVX-512, else 8.
func FlipSign(dst []int8, src []uint8) {
	n := len(src)
	if n == 0 {
		return
	}
	d := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst))[:n]
	if flipSignVec(d, src) {
		return
	}
	w := n / 8
	ps, pd := uintptr(unsafe.Pointer(unsafe.SliceData(src))), uintptr(unsafe.Pointer(unsafe.SliceData(d)))
	if ps%8 == 0 && pd%8 == 0 { // arena tensors and scratch: whole words
		s64 := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(src))), w)
		d64 := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(d))), w)
		for i, v := range s64 {
			d64[i] = v ^ signBits
		}
	} else {
		for i := 0; i < 8*w; i += 8 {
			binary.LittleEndian.PutUint64(d[i:], binary.LittleEndian.Uint64(src[i:])^signBits)
		}
	}
	for i := 8 * w; i < n; i++ {
		d[i] = src[i] ^ 0x80
	}
}

// FlipSignInPlace flips the top bit of every byte of b.
func FlipSignInPlace(b []byte) {
	if len(b) == 0 {
		return
	}
	FlipSign(unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), len(b)), b)
}
