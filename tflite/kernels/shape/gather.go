package shape

import (
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// ErrIndex reports a GATHER index outside the gathered axis.
var ErrIndex = errors.New("index out of range")

// GatherParams describe a GATHER as flat loops: for each of Batch batches
// and Outer outer positions, for each of the batch's Indices indices k,
// copy Inner contiguous elements from the input's axis position k.
type GatherParams struct {
	Batch   int // product of the first batch_dims dimensions
	Outer   int // product of the params dimensions between batch_dims and axis
	Axis    int // size of the gathered axis
	Inner   int // product of the params dimensions after the axis
	Indices int // indices per batch
	Elem    int // element size in bytes
}

// Gather copies the selected slices of params (raw bytes) into out. Indices
// are int32 or int64 values; one outside [0, Axis) is an error wrapping
// ErrIndex, and out is then partly written.
func Gather[I int32 | int64](p *GatherParams, out, params []byte, indices []I) error {
	run := p.Inner * p.Elem
	o := 0
	for b := 0; b < p.Batch; b++ {
		idx := indices[b*p.Indices : (b+1)*p.Indices]
		for j := 0; j < p.Outer; j++ {
			base := (b*p.Outer + j) * p.Axis
			for _, k := range idx {
				if k < 0 || int64(k) >= int64(p.Axis) {
					return fmt.Errorf("%w: index %d not in [0,%d)", ErrIndex, k, p.Axis)
				}
				s := (base + int(k)) * run
				copy(out[o:o+run], params[s:s+run])
				o += run
			}
		}
	}
	return nil
}

// ArgMinMax writes, for each (outer, inner) position, the index along an
// axis of size axis of the largest (max) or smallest (!max) element of in
// (first index wins on ties, as in TensorFlow Lite).
func ArgMinMax[T Number, O int32 | int64](in []T, out []O, outer, axis, inner int, max bool) {
	if inner == 1 && argBytes(in, out, outer, axis, max) {
		return
	}
	if inner == 1 && axis < 1<<31 && narrowInt[T]() {
		// The last axis of integers up to 32 bits, without a branch per
		// element: the key v·2^32 + i orders by value, then by i, where i
		// is k for the minimum and axis−1−k for the maximum, so the
		// extreme key is the first extreme value (the reference's pick).
		for o := 0; o < outer; o++ {
			row := in[o*axis : (o+1)*axis]
			if max {
				best := int64(math.MinInt64)
				for k, v := range row {
					best = builtinMax(best, int64(v)<<32|int64(axis-1-k))
				}
				out[o] = O(axis - 1 - int(best&0xFFFFFFFF))
			} else {
				best := int64(math.MaxInt64)
				for k, v := range row {
					best = builtinMin(best, int64(v)<<32|int64(k))
				}
				out[o] = O(best & 0xFFFFFFFF)
			}
		}
		return
	}
	if inner == 1 {
		// The last axis: contiguous rows, the same comparisons in the same
		// order (the first extreme wins), without the strided indexing.
		for o := 0; o < outer; o++ {
			row := in[o*axis : (o+1)*axis]
			best, bi := row[0], 0
			if max {
				for k, v := range row[1:] {
					if v > best {
						best, bi = v, k+1
					}
				}
			} else {
				for k, v := range row[1:] {
					if v < best {
						best, bi = v, k+1
					}
				}
			}
			out[o] = O(bi)
		}
		return
	}
	for o := 0; o < outer; o++ {
		base := o * axis * inner
		for i := 0; i < inner; i++ {
			best := in[base+i]
			bi := 0
			for k := 1; k < axis; k++ {
				v := in[base+k*inner+i]
				if (max && v > best) || (!max && v < best) {
					best, bi = v, k
				}
			}
			out[o*inner+i] = O(bi)
		}
	}
}

// narrowInt reports whether T is one of the integer types of at most 32
// bits (their values times 2^32 fit an int64).
// argBytes is ArgMinMax over the last axis of 8-bit rows of at most 64
// on the vector kernel (argBytesVec), a chunk of rows at a time; it
// reports false, having written nothing, where that does not apply.
func argBytes[T Number, O int32 | int64](in []T, out []O, outer, axis int, max bool) bool {
	var z T
	var signed bool
	switch any(z).(type) {
	case int8:
		signed = true
	case uint8:
	default:
		return false
	}
	if outer == 0 || axis < 1 || axis > 64 || len(in) < outer*axis {
		return false
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(in))), outer*axis)
	var idx [512]int32
	for o := 0; o < outer; o += len(idx) {
		n := min(len(idx), outer-o)
		if !argBytesVec(raw[o*axis:(o+n)*axis], axis, idx[:n], signed, max) {
			return false // only ever on the first chunk: nothing written
		}
		for i, v := range idx[:n] {
			out[o+i] = O(v)
		}
	}
	return true
}

func narrowInt[T Number]() bool {
	var z T
	switch any(z).(type) {
	case int8, uint8, int16, int32:
		return true
	}
	return false
}

// builtinMax and builtinMin are the max and min builtins, which ArgMinMax's
// parameter named max shadows.
func builtinMax(a, b int64) int64 { return max(a, b) }
func builtinMin(a, b int64) int64 { return min(a, b) }
