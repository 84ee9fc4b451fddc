package flex

import (
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// prepareStridedSlice prepares TensorFlow's StridedSlice(input, begin,
// end, strides) with its masks. With constant begin, end and strides it
// is TFLite's STRIDED_SLICE (builtin, same semantics), prepared by
// builtin. With a begin known only at run time the output shape must
// still be static: no ellipsis or new axis, every addressed dimension
// either shrunk (one index, read at run time; out of range fails the
// run, as TensorFlow's "slice index out of bounds") or taken whole
// (begin and end masked), with constant strides of 1.
func prepareStridedSlice(n *op.Node, builtin op.PrepareFunc) (op.Kernel, error) {
	nd, err := parseOptions(n, "StridedSlice")
	if err != nil {
		return op.Kernel{}, err
	}
	if err := n.CheckArity(4, 4, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := nd.checkType(n, "T", in.DType); err != nil {
		return op.Kernel{}, err
	}
	if err := nd.checkType(n, "Index", n.Inputs[1].DType); err != nil {
		return op.Kernel{}, err
	}
	var masks [5]int
	for i, key := range []string{"begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"} {
		v, err := nd.intAttr(n, key, 0)
		if err != nil {
			return op.Kernel{}, err
		}
		if v < 0 || v >= 1<<32 {
			return op.Kernel{}, n.Invalidf("%s %d", key, v)
		}
		masks[i] = int(v)
	}
	idx := make([][]int64, 3)
	for i, what := range []string{"begin", "end", "strides"} {
		t := n.Inputs[1+i]
		if t.DType != n.Inputs[1].DType {
			return op.Kernel{}, n.Invalidf("%s is %s, begin %s", what, t.DType, n.Inputs[1].DType)
		}
		if idx[i], err = constIndex(n, t, what); err != nil {
			return op.Kernel{}, err
		}
	}
	if idx[0] != nil && idx[1] != nil && idx[2] != nil {
		b := *n
		b.Options = &op.StridedSliceOptions{BeginMask: masks[0], EndMask: masks[1], EllipsisMask: masks[2], NewAxisMask: masks[3], ShrinkAxisMask: masks[4]}
		b.CustomOptions = nil
		return builtin(&b)
	}
	begin, strides := n.Inputs[1], idx[2]
	k := begin.Shape[0]
	if strides == nil || n.Inputs[2].Shape[0] != k || len(strides) != k {
		return op.Kernel{}, n.Errorf("non-constant strides (or end of another length) not supported")
	}
	if masks[2] != 0 || masks[3] != 0 {
		return op.Kernel{}, n.Errorf("non-constant begin with ellipsis_mask or new_axis_mask is not supported")
	}
	rank := len(in.Shape)
	if rank > maxRank {
		return op.Kernel{}, n.Errorf("input rank %d exceeds %d", rank, maxRank)
	}
	if k > rank {
		return op.Kernel{}, n.Invalidf("%d slice entries address a rank-%d input", k, rank)
	}
	if in.DType.Size() == 0 {
		return op.Kernel{}, n.Errorf("dtype %s not supported", in.DType)
	}
	bit := func(m, i int) bool { return m>>uint(i)&1 != 0 }
	shrink := make([]bool, rank)
	var outShape tensor.Shape
	for i := 0; i < rank; i++ {
		switch {
		case i >= k || (bit(masks[0], i) && bit(masks[1], i) && !bit(masks[4], i) && strides[i] == 1):
			outShape = append(outShape, in.Shape[i])
		case bit(masks[4], i) && !bit(masks[0], i) && strides[i] == 1:
			shrink[i] = true
		default:
			return op.Kernel{}, n.Errorf("non-constant begin: dimension %d is neither shrunk nor taken whole with stride 1", i)
		}
	}
	if out.DType != in.DType {
		return op.Kernel{}, n.Invalidf("output is %s, input %s", out.DType, in.DType)
	}
	out.Shape = outShape
	if outShape == nil {
		out.Shape = tensor.Shape{}
	}
	// Copy runs of the trailing whole dimensions.
	elem := in.DType.Size()
	run := elem
	lead := rank
	for lead > 0 && !shrink[lead-1] {
		lead--
		run *= in.Shape[lead]
	}
	dims := append([]int(nil), in.Shape...)
	return op.Kernel{Eval: func(_ *op.Exec, ins, outs []*tensor.Tensor) error {
		var start [maxRank]int
		for i := 0; i < lead; i++ {
			if !shrink[i] {
				continue
			}
			v := readIndex(ins[1], i)
			if v < 0 {
				v += int64(dims[i])
			}
			if v < 0 || v >= int64(dims[i]) {
				return fmt.Errorf("%w: StridedSlice: slice index %d of dimension %d out of bounds (size %d)", op.ErrInput, readIndex(ins[1], i), i, dims[i])
			}
			start[i] = int(v)
		}
		src, dst := ins[0].Data, outs[0].Data
		if run == 0 {
			return nil // an empty trailing dimension: nothing to copy
		}
		// Odometer over the leading dimensions (shrunk ones fixed).
		var pos [maxRank]int
		copy(pos[:lead], start[:lead])
		for o := 0; o < len(dst); o += run {
			off := 0
			for i := 0; i < lead; i++ {
				off = off*dims[i] + pos[i]
			}
			copy(dst[o:o+run], src[off*run:off*run+run])
			for i := lead - 1; i >= 0; i-- {
				if shrink[i] {
					continue
				}
				pos[i]++
				if pos[i] < dims[i] {
					break
				}
				pos[i] = 0
			}
		}
		return nil
	}}, nil
}
