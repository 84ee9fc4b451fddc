package conv

import (
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// hybridRun computes rows [lo, hi) of a hybrid operator from the input
// quantized per batch (q, scales sf, zero points off).
type hybridRun func(t *rangeTask, q []int8, sf []float32, off []int32, lo, hi int)

// prepareHybrid returns the kernel of a hybrid (dynamic-range) operator:
// float32 input and output, int8 weights (their scales checked by
// hybridScales), optional float32 bias. Each Eval first quantizes
// every one of the batches (of per elements each) of the input to int8 in
// scratch, symmetrically or (asym) asymmetrically as TensorFlow Lite does,
// then runs run over rows in parallel.
func prepareHybrid(n *op.Node, bias, out *op.TensorInfo, channels, batches, per, rows int, asym bool, run hybridRun) (op.Kernel, error) {
	if out.DType != tensor.Float32 {
		return op.Kernel{}, n.Errorf("hybrid output must be float32, not %s", out.DType)
	}
	if err := checkBias(n, bias, channels, tensor.Float32); err != nil {
		return op.Kernel{}, err
	}
	head := (batches*8 + arenaAlign - 1) &^ (arenaAlign - 1)
	scratch := head + batches*per
	return rangeKernel(scratch, func(x *op.Exec, ins, _ []*tensor.Tensor) int {
		sf, off, q := hybridScratch(x.Scratch, batches, per, head)
		xs := ins[0].Float32s()
		for b := range batches {
			src, dst := xs[b*per:(b+1)*per], q[b*per:(b+1)*per]
			if asym {
				sf[b], off[b] = kconv.QuantizeAsymmetric(src, dst)
			} else {
				sf[b], off[b] = kconv.QuantizeSymmetric(src, dst), 0
			}
		}
		return rows
	}, func(t *rangeTask, lo, hi int) {
		sf, off, q := hybridScratch(t.scratch, batches, per, head)
		run(t, q, sf, off, lo, hi)
	}), nil
}

// arenaAlign is the alignment of the scratch regions hybrid kernels carve.
const arenaAlign = 64

// hybridScratch carves scratch into the per-batch scales and zero points
// and the quantized input.
func hybridScratch(b []byte, batches, per, head int) ([]float32, []int32, []int8) {
	sf := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), batches)
	off := unsafe.Slice((*int32)(unsafe.Pointer(&b[4*batches])), batches)
	return sf, off, scratchInt8(b[head:], batches*per)
}

// hybridScales returns the per-output-channel filter scales of a hybrid
// operator (the per-tensor scale repeated).
func hybridScales(n *op.Node, f *op.TensorInfo, axis, channels int) ([]float32, error) {
	return filterScales(n, f, axis, channels)
}

// distinctScales reports whether a per-channel quantization has scales
// that differ: TensorFlow Lite then runs its per-channel hybrid kernels
// (asymmetric input quantization), otherwise the per-tensor ones.
func distinctScales(q *tensor.Quant) bool {
	if q == nil {
		return false
	}
	for _, s := range q.Scale[1:] {
		if s != q.Scale[0] {
			return true
		}
	}
	return false
}
