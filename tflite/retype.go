package tflite

import (
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// uint8 activations as int8. A uint8 tensor with scale s and zero point z
// holds the same real values as the int8 tensor whose bytes are x ^ 0x80
// (x − 128) with scale s and zero point z − 128: every real value
// s·(x − z) is unchanged, since (x − 128) − (z − 128) = x − z. Legacy
// uint8 models (Coral's and TF Hub's quantized MobileNets, SSDs,
// DeepLab) run faster that way: their convolutions already compute in
// int8 (ops/conv's uint8 fast path flips the input's top bit in and the
// output's back), and ADD, MUL, pooling and the activations have
// vectorised or tabulated int8 kernels where the uint8 ones are scalar.
//
// retypeUint8 chooses the activations to retype at load. Inside the
// subgraph only: its inputs and outputs keep their uint8 type (the
// model's interface is unchanged), and so does every tensor an operator
// reads or writes whose int8 arithmetic is not the uint8 arithmetic
// shifted by 128. An operator qualifies only where, for its operands
// retyped together, the int8 kernel computes exactly the uint8 kernel's
// result minus 128 (and the two kernels accept the same parameters):
//
//   - ADD, SUB, MUL (prepareArithQuant, one generic formula for int8 and
//     uint8): the inputs enter as x − z, which the shift leaves unchanged;
//     the output is the requantized sum plus the output zero point, z − 128
//     after the shift, clamped to the activation range, whose bounds are
//     max(qmin, z + round(lo/s)) and min(qmax, z + round(hi/s)) with qmin,
//     qmax and z all 128 lower for int8: every bound moves by −128 too.
//   - RELU, RELU6, RELU_N1_TO_1 (z_out + M·(x − z_in), the same bounds),
//     LOGISTIC and TANH (x − z_in into the fixed-point function, the
//     result offset by the type's minimum, 0 or −128: the uint8 output zero
//     point 0 or 128 becomes int8's required −128 or 0).
//   - MAX_POOL_2D (the maximum commutes with a shift; clamp bounds as
//     above), ARG_MAX and ARG_MIN (x ^ 0x80 read as int8 orders the bytes
//     as they order as uint8, ties included).
//   - Data movement: RESHAPE, SQUEEZE, EXPAND_DIMS, SPLIT, SPLIT_V,
//     RESIZE_NEAREST_NEIGHBOR, PAD with its implicit pad value (the output
//     zero point, z − 128 = z ^ 0x80 as a byte) and CONCATENATION where
//     every input shares the output's scale and zero point and there is no
//     fused activation (a byte copy; the requantizing concatenation works
//     in float on raw values, which the shift would round differently).
//   - QUANTIZE (requantization x − z_in → M·(x − z_in) + z_out, every pair
//     of int8 and uint8 supported) and DEQUANTIZE (s·(x − z)): input and
//     output are retyped independently.
//   - CONV_2D and DEPTHWISE_CONV_2D with uint8 filters (constant) take
//     their input 0 and output independently retyped, through
//     op.Conv2DOptions.FlippedInput/FlippedOutput: the int8 kernels they
//     run on read and write exactly those bytes.
//
// Everything else (AVERAGE_POOL_2D and MEAN, whose int8 rounding of
// negative sums differs from uint8's; SOFTMAX, whose int8 form wants an
// output scale of exactly 1/256; RESIZE_BILINEAR; custom operators; ...)
// keeps its uint8 operands. Tensors an operator must retype together
// (all uint8 operands of ADD, CONCATENATION, ...) form one group, which is
// retyped only if every member may be; a constant uint8 operand (a PADV2
// value, an ADD of a constant) keeps its group uint8.
//
// skip lists operators that take no part (folded PADs and the
// convolutions rewired past them): their uint8 operands stay uint8. It
// returns the retyped tensors and the uint8 convolutions whose input 0 or
// output is among them.
func retypeUint8(f *subgraph, infos []*op.TensorInfo, skip map[int]bool) (retyped, flipIn, flipOut map[int]bool) {
	n := len(infos)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) { parent[find(a)] = find(b) }
	pinned := make([]bool, n)
	isU8 := func(ti int) bool { return ti >= 0 && ti < n && infos[ti].DType == tensor.Uint8 }
	// Only per-tensor quantized, written activations inside the subgraph.
	for ti, t := range infos {
		if t.DType != tensor.Uint8 {
			continue
		}
		q := t.Quant
		if t.IsConst() || t.Variable || q == nil || len(q.Scale) != 1 || len(q.ZeroPoint) > 1 {
			pinned[ti] = true
		}
	}
	for _, ti := range f.inputs {
		if isU8(ti) {
			pinned[ti] = true
		}
	}
	for _, ti := range f.outputs {
		if isU8(ti) {
			pinned[ti] = true
		}
	}
	isConv := func(i int) bool {
		o := &f.ops[i]
		if (o.name != "CONV_2D" && o.name != "DEPTHWISE_CONV_2D") || len(o.inputs) < 2 || len(o.outputs) != 1 {
			return false
		}
		if !isU8(o.inputs[0]) || !isU8(o.inputs[1]) || !isU8(o.outputs[0]) || !infos[o.inputs[1]].IsConst() {
			return false
		}
		switch o.options.(type) {
		case *op.Conv2DOptions, *op.DepthwiseConv2DOptions:
			return true
		}
		return false
	}
	for i := range f.ops {
		o := &f.ops[i]
		var operands []int
		for _, ti := range o.inputs {
			if isU8(ti) {
				operands = append(operands, ti)
			}
		}
		for _, ti := range o.outputs {
			if isU8(ti) {
				operands = append(operands, ti)
			}
		}
		if len(operands) == 0 {
			continue
		}
		switch {
		case o.folded || skip[i]:
		case isConv(i):
			// Input 0 and the output go their own ways; the filter is a
			// constant (pinned above), a uint8 bias is refused by Prepare.
			continue
		case retypeTogether(o, infos):
			for _, ti := range operands[1:] {
				union(operands[0], ti)
			}
			continue
		case o.name == "QUANTIZE" || o.name == "DEQUANTIZE":
			continue
		}
		for _, ti := range operands {
			pinned[ti] = true
		}
	}
	bad := make([]bool, n)
	for ti := range infos {
		if isU8(ti) && pinned[ti] {
			bad[find(ti)] = true
		}
	}
	retyped = map[int]bool{}
	for ti := range infos {
		if isU8(ti) && !bad[find(ti)] {
			retyped[ti] = true
		}
	}
	flipIn, flipOut = map[int]bool{}, map[int]bool{}
	for i := range f.ops {
		if f.ops[i].folded || skip[i] || !isConv(i) {
			continue
		}
		o := &f.ops[i]
		if retyped[o.inputs[0]] {
			flipIn[i] = true
		}
		if retyped[o.outputs[0]] {
			flipOut[i] = true
		}
	}
	return retyped, flipIn, flipOut
}

// retypeTogether reports whether operator o's uint8 operands may all be
// retyped to int8 together (see retypeUint8 for why each qualifies).
func retypeTogether(o *fileOp, infos []*op.TensorInfo) bool {
	switch o.name {
	case "ADD", "SUB", "MUL", "RELU", "RELU6", "RELU_N1_TO_1", "LOGISTIC", "TANH",
		"MAX_POOL_2D", "ARG_MAX", "ARG_MIN",
		"RESHAPE", "SQUEEZE", "EXPAND_DIMS", "SPLIT", "SPLIT_V", "RESIZE_NEAREST_NEIGHBOR":
		return true
	case "PAD":
		return len(o.inputs) <= 2
	case "CONCATENATION":
		if c, ok := o.options.(*op.ConcatenationOptions); ok && c.Activation != op.ActNone {
			return false
		}
		if len(o.outputs) != 1 || o.outputs[0] < 0 {
			return false
		}
		os, oz, ok := infos[o.outputs[0]].Scale()
		if !ok {
			return false
		}
		for _, ti := range o.inputs {
			if ti < 0 {
				return false
			}
			s, z, ok := infos[ti].Scale()
			if !ok || float32(s) != float32(os) || z != oz {
				return false
			}
		}
		return true
	}
	return false
}

// retypedInfo returns t (a per-plan copy) retyped from uint8 to int8:
// the same scale, zero point z − 128.
func retypedInfo(t *op.TensorInfo) *op.TensorInfo {
	c := *t
	q := *t.Quant
	var z int64
	if len(q.ZeroPoint) == 1 {
		z = q.ZeroPoint[0]
	}
	q.Scale = append([]float32(nil), q.Scale...)
	q.ZeroPoint = []int64{z - 128}
	c.Quant = &q
	c.DType = tensor.Int8
	return &c
}
