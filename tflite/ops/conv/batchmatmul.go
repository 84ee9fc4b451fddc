package conv

import (
	"github.com/edgeinfer/edgeinfer/tensor"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// maxBatches bounds the broadcast batch count of BATCH_MATMUL (its offset
// tables are built at Prepare).
const maxBatches = 1 << 20

// PrepareBatchMatMul prepares BATCH_MATMUL: lhs [..., M, K] (or [..., K,
// M] with adj_x) times rhs [..., K, N] (or [..., N, K] with adj_y), ranks 2
// to 5, batch dimensions broadcast; float32, int8 or int16 (zero points
// 0), one per-tensor multiplier.
func PrepareBatchMatMul(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	o, _ := n.Options.(*op.BatchMatMulOptions)
	if o == nil {
		o = &op.BatchMatMulOptions{}
	}
	lhs, rhs, out := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	for _, t := range []*op.TensorInfo{lhs, rhs} {
		if len(t.Shape) < 2 || len(t.Shape) > 5 {
			return op.Kernel{}, n.Errorf("operand shape %s: rank must be 2 to 5", t.Shape)
		}
		if err := checkDims(n, t, "operand", -1); err != nil {
			return op.Kernel{}, err
		}
	}
	rank := max(len(lhs.Shape), len(rhs.Shape))
	ext := func(s tensor.Shape) tensor.Shape {
		e := make(tensor.Shape, rank)
		for i := range e {
			e[i] = 1
		}
		copy(e[rank-len(s):], s)
		return e
	}
	ls, rs := ext(lhs.Shape), ext(rhs.Shape)
	p := &kconv.MatMul{M: ls[rank-2], K: ls[rank-1], AdjX: o.AdjX, AdjY: o.AdjY}
	if o.AdjX {
		p.M, p.K = p.K, p.M
	}
	rk, nn := rs[rank-2], rs[rank-1]
	if o.AdjY {
		rk, nn = nn, rk
	}
	p.N = nn
	if rk != p.K {
		return op.Kernel{}, n.Invalidf("lhs %s and rhs %s do not share an inner dimension", lhs.Shape, rhs.Shape)
	}
	outShape := make(tensor.Shape, rank)
	p.Batches = 1
	for d := 0; d < rank-2; d++ {
		a, b := ls[d], rs[d]
		if a != b && a != 1 && b != 1 {
			return op.Kernel{}, n.Invalidf("batch dimensions of %s and %s do not broadcast", lhs.Shape, rhs.Shape)
		}
		outShape[d] = max(a, b)
		p.Batches *= outShape[d]
		if p.Batches > maxBatches {
			return op.Kernel{}, n.Errorf("more than %d batches", maxBatches)
		}
	}
	outShape[rank-2], outShape[rank-1] = p.M, p.N
	out.Shape = outShape
	if _, err := out.Shape.NumElements(); err != nil {
		return op.Kernel{}, n.Invalidf("output: %v", err)
	}
	p.LhsOff, p.RhsOff = make([]int, p.Batches), make([]int, p.Batches)
	for b := range p.Batches {
		rem, lo, ro, lstride, rstride := b, 0, 0, p.M*p.K, p.K*p.N
		for d := rank - 3; d >= 0; d-- {
			i := rem % outShape[d]
			rem /= outShape[d]
			if ls[d] != 1 {
				lo += i * lstride
			}
			if rs[d] != 1 {
				ro += i * rstride
			}
			lstride *= ls[d]
			rstride *= rs[d]
		}
		p.LhsOff[b], p.RhsOff[b] = lo, ro
	}
	if lhs.DType != rhs.DType || lhs.DType != out.DType {
		return op.Kernel{}, n.Errorf("operands %s, %s and output %s must share a dtype", lhs.DType, rhs.DType, out.DType)
	}
	rows := p.Batches * p.M
	switch lhs.DType {
	case tensor.Float32:
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.BatchMatMulFloat(p, t.ins[0].Float32s(), t.ins[1].Float32s(), t.outs[0].Float32s(), lo, hi)
		}), nil
	case tensor.Int8, tensor.Int16:
		lq, err := perTensor(n, lhs, "lhs")
		if err != nil {
			return op.Kernel{}, err
		}
		rq, err := perTensor(n, rhs, "rhs")
		if err != nil {
			return op.Kernel{}, err
		}
		oq, err := perTensor(n, out, "output")
		if err != nil {
			return op.Kernel{}, err
		}
		m, s := tensorMultiplier(lq.scale, rq.scale, oq.scale, 1)
		q := &kconv.Requant{InputOffset: -lq.zp, FilterOffset: -rq.zp, OutputOffset: oq.zp, Mult: m, Shift: s}
		q.Min, q.Max, err = actQuant(n, op.ActNone, out)
		if err != nil {
			return op.Kernel{}, err
		}
		if lhs.DType == tensor.Int8 {
			return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
				kconv.BatchMatMulQ[int8, int32](p, q, t.ins[0].Int8s(), t.ins[1].Int8s(), t.outs[0].Int8s(), lo, hi)
			}), nil
		}
		if lq.zp != 0 || rq.zp != 0 || oq.zp != 0 {
			return op.Kernel{}, n.Errorf("int16 zero points must be 0")
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.BatchMatMulQ[int16, int64](p, q, t.ins[0].Int16s(), t.ins[1].Int16s(), t.outs[0].Int16s(), lo, hi)
		}), nil
	}
	return op.Kernel{}, n.Errorf("dtype %s is not supported", lhs.DType)
}
