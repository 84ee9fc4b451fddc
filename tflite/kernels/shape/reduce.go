package shape

import (
	"math/bits"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// Number is the set of element types the reduction kernels handle.
type Number interface {
	~int8 | ~uint8 | ~int16 | ~int32 | ~int64 | ~float32
}

// ReduceKind selects the reduction a ReducePlan applies.
type ReduceKind int

// Reductions.
const (
	ReduceSum ReduceKind = iota
	ReduceMax
	ReduceMin
)

// ReducePlan maps every input element (row-major) to the output element it
// reduces into. Build it with NewReducePlan.
type ReducePlan struct {
	rank    int
	count   [MaxRank]int
	reduced [MaxRank]bool
	ostride [MaxRank]int // 0 on reduced dimensions
	inN     int          // input elements
	outN    int          // output elements
	perOut  int          // input elements reduced into each output
}

// NewReducePlan builds a plan for an input of the given shape (at most
// MaxRank dimensions) reduced over the dimensions flagged in reduce. It
// reports false when the lengths disagree or exceed MaxRank.
func NewReducePlan(shape []int, reduce []bool) (ReducePlan, bool) {
	if len(shape) != len(reduce) || len(shape) > MaxRank {
		return ReducePlan{}, false
	}
	p := ReducePlan{inN: 1, outN: 1, perOut: 1}
	for i, c := range shape {
		p.inN *= c
		if reduce[i] {
			p.perOut *= c
		} else {
			p.outN *= c
		}
		if c == 1 {
			continue
		}
		if p.rank > 0 && p.reduced[p.rank-1] == reduce[i] {
			p.count[p.rank-1] *= c
			continue
		}
		p.count[p.rank], p.reduced[p.rank] = c, reduce[i]
		p.rank++
	}
	s := 1
	for i := p.rank - 1; i >= 0; i-- {
		if !p.reduced[i] {
			p.ostride[i] = s
			s *= p.count[i]
		}
	}
	return p, true
}

// Outputs returns the number of output elements.
func (p *ReducePlan) Outputs() int { return p.outN }

// PerOutput returns the number of input elements reduced into each output.
func (p *ReducePlan) PerOutput() int { return p.perOut }

// Reduce folds in into acc (len p.Outputs()), which the caller has set to
// the reduction's initial value: acc[o] = acc[o] ⊕ in[i] for each input
// element i in row-major order, so that sums are accumulated in exactly
// the order TensorFlow Lite's reference uses. Integer sums wrap.
func Reduce[T, A Number](p *ReducePlan, kind ReduceKind, in []T, acc []A) {
	if p.inN == 0 {
		return
	}
	if kind == ReduceSum && p.rank == 2 && p.reduced[0] && !p.reduced[1] && sumBytesColumns(p, in, acc) {
		return
	}
	if p.rank == 0 {
		acc[0] = fold(kind, acc[0], in[:1])
		return
	}
	last := p.rank - 1
	n := p.count[last]
	red := p.reduced[last]
	var idx [MaxRank]int
	ii, o := 0, 0
	for {
		run := in[ii : ii+n]
		if red {
			acc[o] = fold(kind, acc[o], run)
		} else {
			foldVec(kind, acc[o:o+n], run)
		}
		ii += n
		d := last - 1
		for ; d >= 0; d-- {
			idx[d]++
			o += p.ostride[d]
			if idx[d] < p.count[d] {
				break
			}
			o -= p.ostride[d] * p.count[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// sumBytesColumns is Reduce's ReduceSum of int8 or uint8 rows into int32
// columns (a global pool: rows reduced, channels kept) through
// kernels.SumBytes; it reports false for other types. Integer sums, so the
// order differs from the row-major walk without changing a bit.
func sumBytesColumns[T, A Number](p *ReducePlan, in []T, acc []A) bool {
	sums, ok := any(acc).([]int32)
	if !ok {
		return false
	}
	var raw []byte
	var signed bool
	switch v := any(in).(type) {
	case []int8:
		raw, signed = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)), true
	case []uint8:
		raw = v
	default:
		return false
	}
	rows, cols := p.count[0], p.count[1]
	sums = sums[:cols]
	var offs [kernels.SumChunk]int
	done := 0
	for r0 := 0; r0 < rows; r0 += len(offs) {
		k := min(len(offs), rows-r0)
		for r := range k {
			offs[r] = (r0 + r) * cols
		}
		done = kernels.SumBytes(raw, offs[:k], cols, signed, sums)
	}
	for r := 0; r < rows && done < cols; r++ {
		row := in[r*cols : (r+1)*cols]
		for j := done; j < cols; j++ {
			sums[j] += int32(row[j])
		}
	}
	return true
}

func fold[T, A Number](kind ReduceKind, a A, run []T) A {
	switch kind {
	case ReduceSum:
		for _, v := range run {
			a += A(v)
		}
	case ReduceMax:
		for _, v := range run {
			if A(v) > a {
				a = A(v)
			}
		}
	case ReduceMin:
		for _, v := range run {
			if A(v) < a {
				a = A(v)
			}
		}
	}
	return a
}

func foldVec[T, A Number](kind ReduceKind, acc []A, run []T) {
	acc = acc[:len(run)]
	switch kind {
	case ReduceSum:
		for j, v := range run {
			acc[j] += A(v)
		}
	case ReduceMax:
		for j, v := range run {
			if A(v) > acc[j] {
				acc[j] = A(v)
			}
		}
	case ReduceMin:
		for j, v := range run {
			if A(v) < acc[j] {
				acc[j] = A(v)
			}
		}
	}
}

// QuantMeanParams are the fixed-point parameters of a quantized MEAN or SUM,
// computed once by QuantizedMeanParams.
type QuantMeanParams struct {
	Multiplier int32
	Shift      int
	InputZP    int32
	OutputZP   int32
	Count      int64 // input elements per output
	Lo, Hi     int32 // output dtype range
}

// QuantizedMeanParams returns the parameters TensorFlow Lite's
// QuantizedMeanOrSum uses: the multiplier and shift of
// input_scale/output_scale, folded with 1/count for a mean.
func QuantizedMeanParams(multiplier int32, shift int, count int64, mean bool) (int32, int) {
	if !mean || count <= 0 {
		return multiplier, shift
	}
	s := 63 - bits.LeadingZeros64(uint64(count))
	s = min(s, 32, 31+shift)
	s = max(s, 0)
	m := int32((int64(multiplier) << uint(s)) / count)
	return m, shift - s
}

// FinishQuantMean converts int32 sums to quantized outputs as TensorFlow
// Lite's QuantizedMeanOrSum does: subtract zero point × count (wrapping to
// 32 bits), rescale with double rounding, add the output zero point, clamp.
func FinishQuantMean[T int8 | uint8 | int16](q *QuantMeanParams, sums []int32, out []T) {
	out = out[:len(sums)]
	zc := int32(int64(q.InputZP) * q.Count)
	for i, s := range sums {
		v := kernels.MultiplyByQuantizedMultiplier(s-zc, q.Multiplier, q.Shift) + q.OutputZP
		out[i] = T(kernels.Clamp32(v, q.Lo, q.Hi))
	}
}
