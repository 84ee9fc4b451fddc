package shape

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	kshape "github.com/edgeinfer/edgeinfer/tflite/kernels/shape"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// maxInputs bounds the number of inputs or outputs of CONCATENATION, PACK,
// UNPACK, SPLIT and SPLIT_V.
const maxInputs = 1024

// concatPart is one input's placement in the output: its bytes form outer
// blocks of run bytes, written every stride bytes starting at offset.
type concatPart struct {
	run, offset int
	// Requantization (quantized inputs whose scale or zero point differ
	// from the output's, or a fused activation that clamps).
	requant     bool
	scale, bias float32
}

func prepareConcatenation(n *op.Node) (op.Kernel, error) {
	if len(n.Inputs) < 1 || len(n.Inputs) > maxInputs {
		return op.Kernel{}, n.Invalidf("has %d inputs, want 1..%d", len(n.Inputs), maxInputs)
	}
	if err := n.CheckArity(len(n.Inputs), len(n.Inputs), 1); err != nil {
		return op.Kernel{}, err
	}
	o, err := options[op.ConcatenationOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	in0, out := n.Inputs[0], n.Outputs[0]
	dt := in0.DType
	if err := checkMove(n, in0, out); err != nil {
		return op.Kernel{}, err
	}
	rank := len(in0.Shape)
	if rank == 0 {
		return op.Kernel{}, n.Invalidf("cannot concatenate scalars")
	}
	axis, err := normAxis(n, o.Axis, rank, "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	oshape := in0.Shape.Clone()
	oshape[axis] = 0
	for i, t := range n.Inputs {
		if t.DType != dt {
			return op.Kernel{}, n.Invalidf("input %d dtype %s differs from %s", i, t.DType, dt)
		}
		if err := checkShape(n, t, "input", maxRank); err != nil {
			return op.Kernel{}, err
		}
		if len(t.Shape) != rank {
			return op.Kernel{}, n.Invalidf("input %d has rank %d, want %d", i, len(t.Shape), rank)
		}
		for d := range rank {
			if d != axis && t.Shape[d] != oshape[d] {
				return op.Kernel{}, n.Invalidf("input %d shape %v does not match %v outside axis %d", i, t.Shape, in0.Shape, axis)
			}
		}
		oshape[axis] += t.Shape[axis]
		if oshape[axis] > tensor.MaxElements {
			return op.Kernel{}, n.Invalidf("concatenated axis too large")
		}
	}
	if err := setShape(n, out, oshape); err != nil {
		return op.Kernel{}, err
	}
	es := dt.Size()
	inner := product(oshape, axis+1, rank)
	outer := product(oshape, 0, axis)
	stride := oshape[axis] * inner * es
	parts := make([]concatPart, len(n.Inputs))
	off := 0
	for i, t := range n.Inputs {
		parts[i] = concatPart{run: t.Shape[axis] * inner * es, offset: off}
		off += parts[i].run
	}
	k := op.Kernel{}
	switch dt {
	case tensor.Float32:
		lo, hi, ok := op.ActivationRangeFloat(o.Activation)
		if !ok {
			return op.Kernel{}, n.Errorf("fused activation %d not supported", o.Activation)
		}
		clampOut := o.Activation != op.ActNone
		k.Eval = func(_ *op.Exec, in, out []*tensor.Tensor) error {
			concatCopy(out[0].Data, in, parts, outer, stride)
			if clampOut {
				kshape.ClampRun(out[0].Float32s(), lo, hi)
			}
			return nil
		}
	case tensor.Int8, tensor.Uint8, tensor.Int16:
		if err := prepareConcatQuant(n, parts, o.Activation); err != nil {
			return op.Kernel{}, err
		}
		lo, hi, _ := op.ActivationRangeQuant(o.Activation, out)
		_, ozp, _ := out.Scale()
		k.Eval = func(_ *op.Exec, in, out []*tensor.Tensor) error {
			concatQuant(out[0], in, parts, outer, stride, ozp, lo, hi)
			return nil
		}
	default:
		if o.Activation != op.ActNone {
			return op.Kernel{}, n.Errorf("fused activation on %s not supported", dt)
		}
		k.Eval = func(_ *op.Exec, in, out []*tensor.Tensor) error {
			concatCopy(out[0].Data, in, parts, outer, stride)
			return nil
		}
	}
	return k, nil
}

// prepareConcatQuant decides, per input, between a plain copy and a
// requantization (TFLite's ConcatenationWithScaling arithmetic, also
// applied to int8 and int16; a clamping fused activation forces it).
func prepareConcatQuant(n *op.Node, parts []concatPart, act op.Activation) error {
	out := n.Outputs[0]
	os, ozp, ok := out.Scale()
	if !ok || !(os > 0) || math.IsInf(os, 0) {
		return n.Errorf("output needs per-tensor quantization with a positive scale")
	}
	if _, _, ok := op.ActivationRangeQuant(act, out); !ok {
		return n.Errorf("fused activation %d not supported", act)
	}
	for i, t := range n.Inputs {
		s, zp, ok := t.Scale()
		if !ok || !(s > 0) || math.IsInf(s, 0) {
			return n.Errorf("input %d needs per-tensor quantization with a positive scale", i)
		}
		if float32(s) != float32(os) || zp != ozp || act != op.ActNone {
			parts[i].requant = true
			parts[i].scale, parts[i].bias = kshape.RequantParams(float32(s), float32(os), zp)
		}
	}
	return nil
}

func concatCopy(dst []byte, in []*tensor.Tensor, parts []concatPart, outer, stride int) {
	for i, p := range parts {
		src := in[i].Data
		for b := range outer {
			d := b*stride + p.offset
			copy(dst[d:d+p.run], src[b*p.run:(b+1)*p.run])
		}
	}
}

func concatQuant(out *tensor.Tensor, in []*tensor.Tensor, parts []concatPart, outer, stride int, ozp, lo, hi int32) {
	es := out.DType.Size()
	for i, p := range parts {
		src := in[i].Data
		for b := range outer {
			d := b*stride + p.offset
			dst, s := out.Data[d:d+p.run], src[b*p.run:(b+1)*p.run]
			if !p.requant {
				copy(dst, s)
				continue
			}
			switch es {
			case 1:
				if out.DType == tensor.Uint8 {
					kshape.Requantize(dst, s, p.scale, p.bias, ozp, lo, hi)
				} else {
					kshape.Requantize(viewOf[int8](dst), viewOf[int8](s), p.scale, p.bias, ozp, lo, hi)
				}
			case 2:
				kshape.Requantize(viewOf[int16](dst), viewOf[int16](s), p.scale, p.bias, ozp, lo, hi)
			}
		}
	}
}

// splitKernel copies contiguous blocks of input 0 (or the input given by
// src) into each output: output j receives outer blocks of runs[j] bytes
// starting at offsets[j] within each stride-byte outer block.
func splitKernel(src int, runs, offsets []int, outer, stride int) op.Kernel {
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		data := in[src].Data
		for j, o := range out {
			r := runs[j]
			for b := range outer {
				s := b*stride + offsets[j]
				copy(o.Data[b*r:(b+1)*r], data[s:s+r])
			}
		}
		return nil
	}}
}

// splitAlong sets each output's shape to the input's with dimension axis
// replaced by sizes[j], checks dtypes, and returns the split kernel.
func splitAlong(n *op.Node, src int, in *op.TensorInfo, axis int, sizes []int) (op.Kernel, error) {
	rank := len(in.Shape)
	es := in.DType.Size()
	inner := product(in.Shape, axis+1, rank) * es
	outer := product(in.Shape, 0, axis)
	runs := make([]int, len(sizes))
	offs := make([]int, len(sizes))
	off := 0
	for j, o := range n.Outputs {
		if o.DType != in.DType {
			return op.Kernel{}, n.Invalidf("output %d dtype %s differs from input %s", j, o.DType, in.DType)
		}
		s := in.Shape.Clone()
		s[axis] = sizes[j]
		if err := setShape(n, o, s); err != nil {
			return op.Kernel{}, err
		}
		runs[j], offs[j] = sizes[j]*inner, off
		off += runs[j]
	}
	return splitKernel(src, runs, offs, outer, in.Shape[axis]*inner), nil
}

func prepareSplit(n *op.Node) (op.Kernel, error) {
	if len(n.Outputs) < 1 || len(n.Outputs) > maxInputs {
		return op.Kernel{}, n.Invalidf("has %d outputs, want 1..%d", len(n.Outputs), maxInputs)
	}
	if err := n.CheckArity(2, 2, len(n.Outputs)); err != nil {
		return op.Kernel{}, err
	}
	in := n.Inputs[1]
	if err := checkMove(n, in, n.Outputs[0]); err != nil {
		return op.Kernel{}, err
	}
	o, err := options[op.SplitOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	if o.NumSplits != 0 && o.NumSplits != len(n.Outputs) {
		return op.Kernel{}, n.Invalidf("num_splits %d but %d outputs", o.NumSplits, len(n.Outputs))
	}
	a, err := constScalarInt(n, n.Inputs[0], "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	axis, err := normAxis(n, a, len(in.Shape), "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	k := len(n.Outputs)
	if in.Shape[axis]%k != 0 {
		return op.Kernel{}, n.Invalidf("dimension %d of size %d does not split into %d", axis, in.Shape[axis], k)
	}
	sizes := make([]int, k)
	for j := range sizes {
		sizes[j] = in.Shape[axis] / k
	}
	return splitAlong(n, 1, in, axis, sizes)
}

func prepareSplitV(n *op.Node) (op.Kernel, error) {
	if len(n.Outputs) < 1 || len(n.Outputs) > maxInputs {
		return op.Kernel{}, n.Invalidf("has %d outputs, want 1..%d", len(n.Outputs), maxInputs)
	}
	if err := n.CheckArity(3, 3, len(n.Outputs)); err != nil {
		return op.Kernel{}, err
	}
	in := n.Inputs[0]
	if err := checkMove(n, in, n.Outputs[0]); err != nil {
		return op.Kernel{}, err
	}
	o, err := options[op.SplitOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	if o.NumSplits != 0 && o.NumSplits != len(n.Outputs) {
		return op.Kernel{}, n.Invalidf("num_splits %d but %d outputs", o.NumSplits, len(n.Outputs))
	}
	sizes, err := constInts(n, n.Inputs[1], "size_splits")
	if err != nil {
		return op.Kernel{}, err
	}
	a, err := constScalarInt(n, n.Inputs[2], "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	axis, err := normAxis(n, a, len(in.Shape), "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	if len(sizes) != len(n.Outputs) {
		return op.Kernel{}, n.Invalidf("%d size_splits for %d outputs", len(sizes), len(n.Outputs))
	}
	unknown, sum := -1, 0
	for j, s := range sizes {
		switch {
		case s == -1 && unknown < 0:
			unknown = j
		case s < 0:
			return op.Kernel{}, n.Invalidf("size_splits %v: bad size %d", sizes, s)
		default:
			sum += s
		}
	}
	d := in.Shape[axis]
	if unknown >= 0 {
		if sum > d {
			return op.Kernel{}, n.Invalidf("size_splits %v exceed dimension size %d", sizes, d)
		}
		sizes[unknown] = d - sum
	} else if sum != d {
		return op.Kernel{}, n.Invalidf("size_splits %v do not add up to dimension size %d", sizes, d)
	}
	return splitAlong(n, 0, in, axis, sizes)
}

func preparePack(n *op.Node) (op.Kernel, error) {
	if len(n.Inputs) < 1 || len(n.Inputs) > maxInputs {
		return op.Kernel{}, n.Invalidf("has %d inputs, want 1..%d", len(n.Inputs), maxInputs)
	}
	if err := n.CheckArity(len(n.Inputs), len(n.Inputs), 1); err != nil {
		return op.Kernel{}, err
	}
	o, err := options[op.PackOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	in0, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in0, out); err != nil {
		return op.Kernel{}, err
	}
	if o.ValuesCount != 0 && o.ValuesCount != len(n.Inputs) {
		return op.Kernel{}, n.Invalidf("values_count %d but %d inputs", o.ValuesCount, len(n.Inputs))
	}
	rank := len(in0.Shape)
	if rank+1 > maxRank {
		return op.Kernel{}, n.Errorf("output rank %d exceeds %d", rank+1, maxRank)
	}
	axis, err := normAxis(n, o.Axis, rank+1, "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	for i, t := range n.Inputs {
		if t.DType != in0.DType || !t.Shape.Equal(in0.Shape) {
			return op.Kernel{}, n.Invalidf("input %d is %s%v, want %s%v", i, t.DType, t.Shape, in0.DType, in0.Shape)
		}
	}
	k := len(n.Inputs)
	oshape := make([]int, 0, rank+1)
	oshape = append(oshape, in0.Shape[:axis]...)
	oshape = append(oshape, k)
	oshape = append(oshape, in0.Shape[axis:]...)
	if err := setShape(n, out, oshape); err != nil {
		return op.Kernel{}, err
	}
	es := in0.DType.Size()
	inner := product(in0.Shape, axis, rank) * es
	outer := product(in0.Shape, 0, axis)
	parts := make([]concatPart, k)
	for i := range parts {
		parts[i] = concatPart{run: inner, offset: i * inner}
	}
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		concatCopy(out[0].Data, in, parts, outer, k*inner)
		return nil
	}}, nil
}

func prepareUnpack(n *op.Node) (op.Kernel, error) {
	if len(n.Outputs) < 1 || len(n.Outputs) > maxInputs {
		return op.Kernel{}, n.Invalidf("has %d outputs, want 1..%d", len(n.Outputs), maxInputs)
	}
	if err := n.CheckArity(1, 1, len(n.Outputs)); err != nil {
		return op.Kernel{}, err
	}
	o, err := options[op.UnpackOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	in := n.Inputs[0]
	if err := checkMove(n, in, n.Outputs[0]); err != nil {
		return op.Kernel{}, err
	}
	rank := len(in.Shape)
	if rank == 0 {
		return op.Kernel{}, n.Invalidf("cannot unpack a scalar")
	}
	axis, err := normAxis(n, o.Axis, rank, "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	k := in.Shape[axis]
	if k != len(n.Outputs) || (o.Num != 0 && o.Num != k) {
		return op.Kernel{}, n.Invalidf("dimension %d has size %d; num %d, %d outputs", axis, k, o.Num, len(n.Outputs))
	}
	es := in.DType.Size()
	inner := product(in.Shape, axis+1, rank) * es
	outer := product(in.Shape, 0, axis)
	oshape := append(in.Shape[:axis:axis], in.Shape[axis+1:]...)
	runs := make([]int, k)
	offs := make([]int, k)
	for j, t := range n.Outputs {
		if t.DType != in.DType {
			return op.Kernel{}, n.Invalidf("output %d dtype %s differs from input %s", j, t.DType, in.DType)
		}
		if err := setShape(n, t, oshape); err != nil {
			return op.Kernel{}, err
		}
		runs[j], offs[j] = inner, j*inner
	}
	return splitKernel(0, runs, offs, outer, k*inner), nil
}
