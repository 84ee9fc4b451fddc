package conv

import (
	"math"

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
	if lhs.DType == tensor.Float32 && rhs.DType == tensor.Int8 && out.DType == tensor.Float32 {
		return prepareHybridBatchMatMul(n, p, o.AsymmetricQuantizeInputs, lhs, rhs)
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

// prepareHybridBatchMatMul prepares a hybrid BATCH_MATMUL (float32 lhs,
// int8 rhs quantized per tensor): each row of K lhs
// values is quantized on its own, symmetrically or (asym) asymmetrically,
// as TensorFlow Lite's EvalHybrid does.
func prepareHybridBatchMatMul(n *op.Node, p *kconv.MatMul, asym bool, lhs, rhs *op.TensorInfo) (op.Kernel, error) {
	q := rhs.Quant
	if q == nil || len(q.Scale) == 0 {
		return op.Kernel{}, n.Errorf("hybrid rhs is not quantized")
	}
	for _, z := range q.ZeroPoint {
		if z != 0 {
			return op.Kernel{}, n.Errorf("hybrid rhs zero point %d is not 0", z)
		}
	}
	if len(q.Scale) != 1 {
		// The TensorFlow Lite we check against ignores per-channel
		// scales here (its output is all zeros).
		return op.Kernel{}, n.Errorf("hybrid rhs quantized per channel is not supported")
	}
	fs := append([]float32(nil), q.Scale...)
	for _, v := range fs {
		if !(v > 0) || math.IsInf(float64(v), 0) {
			return op.Kernel{}, n.Invalidf("rhs scale %v is not positive", v)
		}
	}
	lrows := lhs.Shape.Elements() / p.K // every row of every lhs matrix
	rhsCount := rhs.Shape.Elements() / (p.K * p.N)
	var sums []int32
	if rhs.IsConst() {
		sums = kconv.MatMulColumnSums(p, rhs.ConstTensor().Int8s(), rhsCount)
	}
	head := (lrows*8 + 63) &^ 63
	qBytes := (lrows*p.K + 63) &^ 63
	scratch := head + qBytes + 4*p.K + 4*rhsCount*p.N
	_, xk, _, _ := p.Strides()
	xi := p.K
	if p.AdjX {
		xi = 1
	}
	carve := func(b []byte) ([]float32, []int32, []int8, []float32, []int32) {
		sf := scratchOf[float32](b, lrows)
		off := scratchOf[int32](b[4*lrows:], lrows)
		qs := scratchInt8(b[head:], lrows*p.K)
		tmp := scratchOf[float32](b[head+qBytes:], p.K)
		cs := scratchOf[int32](b[head+qBytes+4*p.K:], rhsCount*p.N)
		return sf, off, qs, tmp, cs
	}
	rows := p.Batches * p.M
	return rangeKernel(scratch, func(x *op.Exec, ins, _ []*tensor.Tensor) int {
		sf, off, qs, tmp, cs := carve(x.Scratch)
		xs := ins[0].Float32s()
		for r := 0; r < lrows; r++ {
			m, i := r/p.M, r%p.M
			base := m*p.M*p.K + i*xi
			for k := range tmp {
				tmp[k] = xs[base+k*xk]
			}
			if asym {
				sf[r], off[r] = kconv.QuantizeAsymmetric(tmp, qs[r*p.K:(r+1)*p.K])
			} else {
				sf[r], off[r] = kconv.QuantizeSymmetric(tmp, qs[r*p.K:(r+1)*p.K]), 0
			}
		}
		if sums == nil {
			copy(cs, kconv.MatMulColumnSumsInto(p, ins[1].Int8s(), rhsCount, cs))
		}
		return rows
	}, func(t *rangeTask, lo, hi int) {
		sf, off, qs, _, cs := carve(t.scratch)
		s := sums
		if s == nil {
			s = cs
		}
		kconv.HybridBatchMatMul(p, qs, sf, off, t.ins[1].Int8s(), s, fs, t.outs[0].Float32s(), lo, hi)
	}), nil
}
