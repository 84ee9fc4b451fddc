package shape

import (
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	kshape "github.com/edgeinfer/edgeinfer/tflite/kernels/shape"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// prepareGather: output shape is params[:axis] + indices[batch_dims:] +
// params[axis+1:]. Indices may be non-constant; one out of range at run
// time is the only error Eval returns.
func prepareGather(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	params, idx, out := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if err := checkMove(n, params, out); err != nil {
		return op.Kernel{}, err
	}
	if idx.DType != tensor.Int32 && idx.DType != tensor.Int64 {
		return op.Kernel{}, n.Errorf("indices dtype %s not supported (int32 or int64)", idx.DType)
	}
	if err := checkShape(n, idx, "indices", maxRank); err != nil {
		return op.Kernel{}, err
	}
	o, err := options[op.GatherOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	prank, irank := len(params.Shape), len(idx.Shape)
	if prank == 0 {
		return op.Kernel{}, n.Invalidf("params must have rank at least 1")
	}
	bd := o.BatchDims
	if bd < 0 {
		bd += irank
	}
	if bd < 0 || bd > irank {
		return op.Kernel{}, n.Invalidf("batch_dims %d out of range for indices rank %d", o.BatchDims, irank)
	}
	axis := o.Axis
	if axis < 0 {
		axis += prank
	}
	if axis < 0 || axis >= prank {
		return op.Kernel{}, n.Invalidf("axis %d out of range for rank %d", o.Axis, prank)
	}
	if bd > axis {
		return op.Kernel{}, n.Invalidf("batch_dims %d greater than axis %d", bd, axis)
	}
	for i := range bd {
		if params.Shape[i] != idx.Shape[i] {
			return op.Kernel{}, n.Invalidf("batch dimension %d: params %d, indices %d", i, params.Shape[i], idx.Shape[i])
		}
	}
	oshape := []int{}
	oshape = append(oshape, params.Shape[:axis]...)
	oshape = append(oshape, idx.Shape[bd:]...)
	oshape = append(oshape, params.Shape[axis+1:]...)
	if len(oshape) > maxRank {
		return op.Kernel{}, n.Errorf("output rank %d exceeds %d", len(oshape), maxRank)
	}
	if err := setShape(n, out, oshape); err != nil {
		return op.Kernel{}, err
	}
	p := kshape.GatherParams{
		Batch:   product(params.Shape, 0, bd),
		Outer:   product(params.Shape, bd, axis),
		Axis:    params.Shape[axis],
		Inner:   product(params.Shape, axis+1, prank),
		Indices: product(idx.Shape, bd, irank),
		Elem:    params.DType.Size(),
	}
	wide := idx.DType == tensor.Int64
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		var err error
		if wide {
			err = kshape.Gather(&p, out[0].Data, in[0].Data, in[1].Int64s())
		} else {
			err = kshape.Gather(&p, out[0].Data, in[0].Data, in[1].Int32s())
		}
		if err != nil {
			// The Runner prefixes "op N (GATHER): ".
			return fmt.Errorf("%w: %w", op.ErrInput, err)
		}
		return nil
	}}, nil
}
