package tflite

import (
	"context"
	"slices"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Shape arithmetic folded while planning: converters leave small integer
// computations on tensor shapes in the graph (SHAPE → STRIDED_SLICE →
// PACK → ADD → SPACE_TO_BATCH_ND's paddings). With the shapes fixed by the
// plan their values are constants, so such an operator runs once, here,
// its outputs become constants of this plan, and the operators reading
// them see constant inputs (as TFLite sees them once it has propagated
// shapes). The operator's own kernel computes the values.

// shapeFoldable lists the pure operators folded when their outputs are
// small integer tensors and their inputs constant (SHAPE reads only its
// input's shape).
var shapeFoldable = map[string]bool{
	"SHAPE": true, "STRIDED_SLICE": true, "SLICE": true, "PACK": true, "UNPACK": true,
	"CONCATENATION": true, "ADD": true, "SUB": true, "MUL": true, "FLOOR_DIV": true,
	"FLOOR_MOD": true, "MAXIMUM": true, "MINIMUM": true, "RESHAPE": true, "SQUEEZE": true,
	"EXPAND_DIMS": true, "GATHER": true, "CAST": true, "FILL": true, "NEG": true, "ABS": true,
}

// maxFoldElements bounds each output of a folded operator.
const maxFoldElements = 64

// foldShapeStep runs the prepared kernel k of node n now when n is shape
// arithmetic over constants, storing each output's bytes as its Const.
// It reports whether it did; on any doubt (a subgraph output, a failing
// Eval) it leaves the operator to run.
func foldShapeStep(n *op.Node, k op.Kernel, isOutput func(ti int) bool, outIdx []int) bool {
	if !shapeFoldable[n.Op] {
		return false
	}
	for i, t := range n.Inputs {
		if t != nil && !t.IsConst() && !(n.Op == "SHAPE" && i == 0) {
			return false
		}
	}
	for j, t := range n.Outputs {
		if isOutput(outIdx[j]) || t.Variable || (t.DType != tensor.Int32 && t.DType != tensor.Int64) ||
			t.Shape.Elements() > maxFoldElements {
			return false
		}
	}
	ins := make([]*tensor.Tensor, len(n.Inputs))
	for i, t := range n.Inputs {
		switch {
		case t == nil:
		case t.IsConst():
			ins[i] = t.ConstTensor()
		default: // SHAPE's input: its data is never read
			ins[i] = &tensor.Tensor{Name: t.Name, DType: t.DType, Shape: t.Shape, Quant: t.Quant}
		}
	}
	outs := make([]*tensor.Tensor, len(n.Outputs))
	for j, t := range n.Outputs {
		outs[j] = &tensor.Tensor{Name: t.Name, DType: t.DType, Shape: t.Shape.Clone(), Quant: t.Quant,
			Data: make([]byte, t.Shape.Elements()*t.DType.Size(), t.Shape.Elements()*t.DType.Size()+8)}
	}
	x := &op.Exec{Ctx: context.Background(), Scratch: make([]byte, max(k.Scratch, 0))}
	if k.NewState != nil {
		x.State = k.NewState()
	}
	// A panic (recovered) leaves the operator to run, where Run reports it.
	if err := evalSafely(k, x, ins, outs); err != nil {
		return false
	}
	for j, t := range n.Outputs {
		t.Const = aligned(outs[j].Data, t.DType.Size())
		t.Shape = slices.Clone(t.Shape)
	}
	return true
}

// signatureAllows reports whether shape fits a shape_signature: same rank,
// equal wherever the signature is not -1. A nil signature allows nothing.
func signatureAllows(sig []int, shape tensor.Shape) bool {
	if sig == nil || len(sig) != len(shape) {
		return false
	}
	for i, d := range sig {
		if d != -1 && d != shape[i] {
			return false
		}
	}
	return true
}
