package shape

import (
	"encoding/binary"
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	kshape "github.com/edgeinfer/edgeinfer/tflite/kernels/shape"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// preparePad handles PAD and PADV2. The pad value is PADV2's constant third
// input when given (same dtype and, for quantized types, the output's scale
// and zero point), else the output's zero point for quantized int8/uint8/
// int16, else zero.
func preparePad(n *op.Node) (op.Kernel, error) {
	maxIn := 2
	if n.Op == "PADV2" {
		maxIn = 3
	}
	if err := n.CheckArity(2, maxIn, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	if in.DType == tensor.Bool {
		return op.Kernel{}, n.Errorf("bool input not supported")
	}
	pads, err := constInts(n, n.Inputs[1], "paddings")
	if err != nil {
		return op.Kernel{}, err
	}
	rank := len(in.Shape)
	ps := n.Inputs[1].Shape
	if len(pads) != 2*rank || (len(ps) != 2 && rank > 0) || (len(ps) == 2 && (ps[0] != rank || ps[1] != 2)) {
		return op.Kernel{}, n.Invalidf("paddings shape %v, want [%d,2]", ps, rank)
	}
	oshape := make([]int, rank)
	base := 0
	var ost [kshape.MaxRank]int
	for i, d := range in.Shape {
		lo, hi := pads[2*i], pads[2*i+1]
		if lo < 0 || hi < 0 {
			return op.Kernel{}, n.Invalidf("negative padding %d,%d on dimension %d", lo, hi, i)
		}
		oshape[i] = d + lo + hi
	}
	if err := setShape(n, out, oshape); err != nil {
		return op.Kernel{}, err
	}
	kshape.ContiguousStrides(oshape, ost[:])
	for i := range rank {
		base += pads[2*i] * ost[i]
	}
	value, err := padValue(n)
	if err != nil {
		return op.Kernel{}, err
	}
	var ist [kshape.MaxRank]int
	kshape.ContiguousStrides(in.Shape, ist[:])
	plan, _ := kshape.NewCopyPlan(in.Shape, ist[:rank], ost[:rank], 0, base, in.DType.Size())
	es := in.DType.Size()
	return op.Kernel{
		NewState: func() any { return &padTask{} },
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			t, ok := x.State.(*padTask)
			if x.Threads() < 2 || !ok || len(out[0].Data) < padParallelMin || plan.Outer() < 2 {
				kshape.Fill(out[0].Data, value)
				plan.Run(out[0].Data, in[0].Data)
				return nil
			}
			// Fill, then copy, each split across the threads in the same
			// proportions, so that a thread mostly fills and then copies
			// into the same part of the output (and the next operator's
			// thread finds it nearby).
			t.parts = x.Threads()
			t.dst, t.src, t.value, t.es, t.plan, t.fill = out[0].Data, in[0].Data, value, es, &plan, true
			x.ParallelTask(t.parts, t)
			t.fill = false
			x.ParallelTask(plan.Outer(), t)
			t.dst, t.src, t.plan = nil, nil, nil
			return nil
		},
	}, nil
}

// padParallelMin is the smallest output (bytes) PAD splits across threads.
const padParallelMin = 64 << 10

// padTask is the per-Runner op.Task of a parallel PAD: with fill, parts
// [lo, hi) of len(dst)/parts-byte chunks (element aligned) get the pad
// value; otherwise outermost input indices [lo, hi) are copied in.
type padTask struct {
	dst, src []byte
	value    []byte
	es       int
	plan     *kshape.CopyPlan
	fill     bool
	parts    int
}

// Run fills or copies its range.
func (t *padTask) Run(lo, hi int) {
	if !t.fill {
		t.plan.RunOuter(t.dst, t.src, lo, hi)
		return
	}
	elems := len(t.dst) / t.es
	n := max(t.parts, 1)
	a, b := elems*lo/n*t.es, elems*hi/n*t.es
	kshape.Fill(t.dst[a:b], t.value)
}

// padValue returns the pad element's bytes.
func padValue(n *op.Node) ([]byte, error) {
	in, out := n.Inputs[0], n.Outputs[0]
	es := in.DType.Size()
	quant := in.DType == tensor.Int8 || in.DType == tensor.Uint8 || in.DType == tensor.Int16
	if quant && out.Quant != nil {
		if !sameQuant(in, out) {
			return nil, n.Errorf("input and output quantization differ")
		}
	}
	if len(n.Inputs) == 3 && n.Inputs[2] != nil {
		c := n.Inputs[2]
		if !c.IsConst() {
			return nil, n.Errorf("non-constant pad value is not supported")
		}
		if c.DType != in.DType {
			return nil, n.Invalidf("pad value dtype %s differs from input %s", c.DType, in.DType)
		}
		if cnt, err := c.Shape.NumElements(); err != nil || cnt != 1 || len(c.Const) != es {
			return nil, n.Invalidf("pad value must hold exactly one element")
		}
		if quant && out.Quant != nil && c.Quant != nil && !sameQuant(c, out) {
			return nil, n.Errorf("pad value quantization differs from the output's")
		}
		return append([]byte(nil), c.Const...), nil
	}
	v := make([]byte, es)
	if !quant {
		return v, nil
	}
	_, zp, ok := out.Scale()
	if !ok {
		return v, nil
	}
	switch in.DType {
	case tensor.Int8:
		if zp < math.MinInt8 || zp > math.MaxInt8 {
			return nil, n.Invalidf("zero point %d out of int8 range", zp)
		}
		v[0] = byte(int8(zp))
	case tensor.Uint8:
		if zp < 0 || zp > math.MaxUint8 {
			return nil, n.Invalidf("zero point %d out of uint8 range", zp)
		}
		v[0] = byte(zp)
	case tensor.Int16:
		if zp < math.MinInt16 || zp > math.MaxInt16 {
			return nil, n.Invalidf("zero point %d out of int16 range", zp)
		}
		binary.LittleEndian.PutUint16(v, uint16(int16(zp)))
	}
	return v, nil
}
