package tflite

import (
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// fusedActivations maps the float activation operators that fold into
// their producer to the fused activation that replaces them.
var fusedActivations = map[string]op.Activation{
	"RELU": op.ActRelu, "RELU6": op.ActRelu6, "RELU_N1_TO_1": op.ActReluN1To1,
}

// fuseActivations folds a float32 RELU, RELU6 or RELU_N1_TO_1 into the
// operator that produces its input when that operator has a fused
// activation of its own left at NONE (CONV_2D, DEPTHWISE_CONV_2D,
// FULLY_CONNECTED, ADD, SUB, MUL) and the RELU is its output's only
// reader: the producer writes the RELU's output with the activation fused
// and the RELU step does nothing. Exact: a fused float activation is the
// same clamp applied to the same values. Converted MediaPipe models run a
// separate RELU after most convolutions and additions.
func fuseActivations(f *parsed) {
	readers := make([]int, len(f.tensors))
	writer := make([]int, len(f.tensors))
	for i := range writer {
		writer[i] = -1
	}
	for i, o := range f.ops {
		for _, ti := range o.inputs {
			if ti >= 0 {
				readers[ti]++
			}
		}
		for _, ti := range o.outputs {
			writer[ti] = i
		}
	}
	for _, ti := range f.outputs {
		readers[ti] += 2 // a graph output must still be written
	}
	for j := range f.ops {
		r := &f.ops[j]
		act, ok := fusedActivations[r.name]
		if !ok || r.folded || len(r.inputs) != 1 || len(r.outputs) != 1 || r.inputs[0] < 0 {
			continue
		}
		y, z := r.inputs[0], r.outputs[0]
		i := writer[y]
		if i < 0 || i >= j || readers[y] != 1 || f.ops[i].folded || len(f.ops[i].outputs) != 1 {
			continue
		}
		ty, tz := &f.tensors[y].info, &f.tensors[z].info
		if ty.DType != tensor.Float32 || tz.DType != tensor.Float32 || !ty.Shape.Equal(tz.Shape) || ty.IsConst() || tz.IsConst() {
			continue
		}
		p := &f.ops[i]
		opts, ok := withActivation(p.name, p.options, act)
		if !ok {
			continue
		}
		p.options = opts
		p.outputs = []int{z}
		r.folded = true
	}
}

// withActivation returns a copy of options with the fused activation set,
// or ok=false when the operator has no fused activation or already applies
// one.
func withActivation(name string, options any, act op.Activation) (any, bool) {
	switch o := options.(type) {
	case *op.Conv2DOptions:
		if name != "CONV_2D" || o.Activation != op.ActNone {
			return nil, false
		}
		c := *o
		c.Activation = act
		return &c, true
	case *op.DepthwiseConv2DOptions:
		if name != "DEPTHWISE_CONV_2D" || o.Activation != op.ActNone {
			return nil, false
		}
		c := *o
		c.Activation = act
		return &c, true
	case *op.FullyConnectedOptions:
		if name != "FULLY_CONNECTED" || o.Activation != op.ActNone {
			return nil, false
		}
		c := *o
		c.Activation = act
		return &c, true
	case *op.ArithOptions:
		if (name != "ADD" && name != "SUB" && name != "MUL") || o.Activation != op.ActNone {
			return nil, false
		}
		c := *o
		c.Activation = act
		return &c, true
	case nil:
		if name == "ADD" || name == "SUB" || name == "MUL" {
			return &op.ArithOptions{Activation: act}, true
		}
	}
	return nil, false
}
