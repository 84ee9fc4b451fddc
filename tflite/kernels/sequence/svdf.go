package sequence

import (
	"math"
	"unsafe"

	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// SVDFDims are the sizes of an SVDF: Batch rows of Input values, Filters
// = Units·Rank feature filters, each with a Memory-long state row.
type SVDFDims struct {
	Batch, Input, Filters, Units, Rank, Memory int
}

// shiftState moves every state row one step to the left; the newest
// column (Memory-1) is then overwritten by the caller.
func shiftState[T any](state []T) {
	copy(state, state[1:])
}

// SVDFFloat is a prepared float32 SVDF.
type SVDFFloat struct {
	SVDFDims
	Feature *gemm.PackedF32 // [Filters, Input], no bias
	Time    []float32       // [Filters, Memory]
	Bias    []float32       // [Units] or nil
	// Act applies the fused activation to a value.
	Act func(float32) float32
	// Hybrid, when set, replaces Feature: int8 feature weights of
	// per-tensor scale FeatureScale; each input row is quantized
	// symmetrically on the fly and its int32 products scaled back, as
	// TensorFlow Lite's hybrid SVDF does (Time then holds the dequantized
	// time weights).
	Hybrid       *gemm.PackedInt8
	FeatureScale float32
}

// ScratchBytes returns the scratch Run needs.
func (s *SVDFFloat) ScratchBytes() int {
	n := 4 * s.Batch * s.Filters
	if s.Hybrid != nil {
		n += 4*s.Batch*s.Filters + 4*s.Batch + s.Batch*s.Input + s.Hybrid.KP
	}
	return n
}

// Run computes one step: the state [Batch, Filters·Memory] shifts left,
// takes the new feature products in its last column, and out [Batch,
// Units] is the rank-reduced time filter of it plus the bias.
func (s *SVDFFloat) Run(x, state, out []float32, scratch []byte) {
	f, m := s.Filters, s.Memory
	feat := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(scratch))), s.Batch*f)
	if s.Hybrid == nil {
		inf := float32(math.Inf(1))
		gemm.F32(x, s.Input, s.Batch, s.Feature, 0, s.Feature.Panels, -inf, inf, feat, f)
	} else {
		rest := scratch[4*s.Batch*f:]
		acc := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(rest))), s.Batch*f)
		rest = rest[4*s.Batch*f:]
		sf := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(rest))), s.Batch)
		rest = rest[4*s.Batch:]
		q := unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(rest))), s.Batch*s.Input+s.Hybrid.KP)
		for b := range s.Batch {
			sf[b] = kconv.QuantizeSymmetric(x[b*s.Input:(b+1)*s.Input], q[b*s.Input:]) * s.FeatureScale
		}
		gemm.Int8Acc(q, s.Input, s.Batch, s.Hybrid, acc, f)
		for b := range s.Batch {
			for i := range f {
				feat[b*f+i] = float32(acc[b*f+i]) * sf[b]
			}
		}
	}
	shiftState(state)
	for b := range s.Batch {
		st := state[b*f*m : (b+1)*f*m]
		for i := range f {
			st[i*m+m-1] = feat[b*f+i]
		}
		for i := range f {
			var d float32
			for j, w := range s.Time[i*m : i*m+m] {
				d += w * st[i*m+j]
			}
			feat[b*f+i] = d
		}
		o := out[b*s.Units : (b+1)*s.Units]
		for u := range o {
			v := float32(0)
			if s.Bias != nil {
				v = s.Bias[u]
			}
			for r := range s.Rank {
				v += feat[b*f+u*s.Rank+r]
			}
			o[u] = s.Act(v)
		}
	}
}

// SVDFInt is a prepared int8 SVDF as TensorFlow Lite Micro runs it: int8
// input and feature weights, int8 or int16 time weights and state (type
// T), int32 bias, int8 output. TensorFlow Lite Micro applies no fused
// activation on this path; the output clamps to int8.
type SVDFInt struct {
	SVDFDims
	Feature *gemm.PackedInt8 // [Filters, Input], for gemm.Int8Acc
	// FeatureBias[i] = −inputZeroPoint·Σ feature weights of filter i.
	FeatureBias []int32
	Mult1       int32 // input·feature → state scale
	Shift1      int
	Mult2       int32 // state·time → output scale
	Shift2      int
	StateZero   int32
	OutputZero  int32
	Bias        []int32 // [Units] or nil
}

// ScratchBytes returns the scratch Run needs.
func (s *SVDFInt) ScratchBytes() int { return 4 * s.Batch * s.Filters }

// RunSVDF computes one int8 SVDF step with state and time weights of
// type T (int8 or int16).
func RunSVDF[T int8 | int16](s *SVDFInt, x []int8, time, state []T, out []int8, scratch []byte) {
	f, m := s.Filters, s.Memory
	acc := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(scratch))), s.Batch*f)
	gemm.Int8Acc(x, s.Input, s.Batch, s.Feature, acc, f)
	shiftState(state)
	var tlo, thi int32 = math.MinInt16, math.MaxInt16
	if unsafe.Sizeof(T(0)) == 1 {
		tlo, thi = math.MinInt8, math.MaxInt8
	}
	for b := range s.Batch {
		st := state[b*f*m : (b+1)*f*m]
		for i := range f {
			v := mulQ(acc[b*f+i]+s.FeatureBias[i], s.Mult1, s.Shift1)
			st[i*m+m-1] = T(s.StateZero + min(max(v, tlo), thi))
		}
		for i := range f {
			var d int32
			for j, w := range time[i*m : i*m+m] {
				d += int32(w) * (int32(st[i*m+j]) - s.StateZero)
			}
			acc[b*f+i] = d
		}
		o := out[b*s.Units : (b+1)*s.Units]
		for u := range o {
			var v int32
			if s.Bias != nil {
				v = s.Bias[u]
			}
			for r := range s.Rank {
				v += acc[b*f+u*s.Rank+r]
			}
			v = mulQ(v, s.Mult2, s.Shift2) + s.OutputZero
			o[u] = int8(min(max(v, math.MinInt8), math.MaxInt8))
		}
	}
}
