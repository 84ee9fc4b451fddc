package shape

import (
	kshape "github.com/edgeinfer/edgeinfer/tflite/kernels/shape"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

func prepareTranspose(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	perm, err := constInts(n, n.Inputs[1], "perm")
	if err != nil {
		return op.Kernel{}, err
	}
	rank := len(in.Shape)
	if len(perm) != rank {
		return op.Kernel{}, n.Invalidf("perm has %d entries for rank %d", len(perm), rank)
	}
	seen := make([]bool, rank)
	for i, p := range perm {
		ax, err := normAxis(n, p, rank, "perm entry")
		if err != nil {
			return op.Kernel{}, err
		}
		if seen[ax] {
			return op.Kernel{}, n.Invalidf("perm %v repeats axis %d", perm, ax)
		}
		seen[ax] = true
		perm[i] = ax
	}
	plan, oshape := transposePlan(in.Shape, perm, in.DType.Size())
	if err := setShape(n, out, oshape); err != nil {
		return op.Kernel{}, err
	}
	return copyKernel(plan), nil
}

// transposePlan returns the copy plan and output shape of a transpose with
// a validated permutation.
func transposePlan(shape []int, perm []int, elem int) (kshape.CopyPlan, []int) {
	rank := len(shape)
	var st, dst [kshape.MaxRank]int
	kshape.ContiguousStrides(shape, st[:])
	oshape := make([]int, rank)
	src := make([]int, rank)
	for i, p := range perm {
		oshape[i] = shape[p]
		src[i] = st[p]
	}
	kshape.ContiguousStrides(oshape, dst[:])
	plan, _ := kshape.NewCopyPlan(oshape, src, dst[:rank], 0, 0, elem)
	return plan, oshape
}

func prepareSlice(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(3, 3, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	begin, err := constInts(n, n.Inputs[1], "begin")
	if err != nil {
		return op.Kernel{}, err
	}
	size, err := constInts(n, n.Inputs[2], "size")
	if err != nil {
		return op.Kernel{}, err
	}
	rank := len(in.Shape)
	if len(begin) != rank || len(size) != rank {
		return op.Kernel{}, n.Invalidf("begin has %d and size %d entries for rank %d", len(begin), len(size), rank)
	}
	var st [kshape.MaxRank]int
	kshape.ContiguousStrides(in.Shape, st[:])
	oshape := make([]int, rank)
	base := 0
	for i, d := range in.Shape {
		b, s := begin[i], size[i]
		if s == -1 {
			s = d - b
		}
		if b < 0 || s < 0 || b > d || s > d-b {
			return op.Kernel{}, n.Invalidf("slice begin %d size %d out of range for dimension %d of size %d", begin[i], size[i], i, d)
		}
		oshape[i] = s
		base += b * st[i]
	}
	if err := setShape(n, out, oshape); err != nil {
		return op.Kernel{}, err
	}
	var dst [kshape.MaxRank]int
	kshape.ContiguousStrides(oshape, dst[:])
	plan, _ := kshape.NewCopyPlan(oshape, st[:rank], dst[:rank], base, 0, in.DType.Size())
	return copyKernel(plan), nil
}

// stridedSpec is STRIDED_SLICE resolved against an input shape: for each
// input dimension the first index, the step and the count taken, and the
// output shape (with new axes inserted and shrunk axes removed).
type stridedSpec struct {
	start, step, count []int // per input dimension
	outShape           []int
}

// resolveStridedSlice applies TensorFlow's strided-slice semantics (as
// TensorFlow Lite's strided_slice_logic.h does after expanding
// ellipsis_mask and new_axis_mask): begin/end/strides of length k address
// the input's dimensions, an ellipsis expands to the dimensions no other
// entry addresses (an implicit trailing one covers the rest), a new axis
// inserts an output dimension of size 1, a shrunk axis takes exactly one
// element and drops the dimension. With offset, end is relative to begin.
func resolveStridedSlice(n *op.Node, shape []int, begin, end, strides []int, o *op.StridedSliceOptions) (*stridedSpec, error) {
	k := len(begin)
	if len(end) != k || len(strides) != k {
		return nil, n.Invalidf("begin, end and strides have %d, %d and %d entries", len(begin), len(end), len(strides))
	}
	if k > 32 {
		return nil, n.Errorf("%d slice entries, at most 32 supported", k)
	}
	bit := func(mask, i int) bool { return mask>>uint(i)&1 != 0 }
	// Count the entries that consume an input dimension.
	ellipsis := -1
	consume := 0
	for i := 0; i < k; i++ {
		switch {
		case bit(o.EllipsisMask, i):
			if ellipsis >= 0 {
				return nil, n.Invalidf("more than one ellipsis in ellipsis_mask %#x", o.EllipsisMask)
			}
			ellipsis = i
		case bit(o.NewAxisMask, i):
		default:
			consume++
		}
	}
	rank := len(shape)
	if consume > rank {
		return nil, n.Invalidf("%d slice entries address a rank-%d input", consume, rank)
	}
	sp := &stridedSpec{
		start: make([]int, rank), step: make([]int, rank), count: make([]int, rank),
		outShape: []int{},
	}
	full := func(dim int) {
		sp.start[dim], sp.step[dim], sp.count[dim] = 0, 1, shape[dim]
		sp.outShape = append(sp.outShape, shape[dim])
	}
	dim := 0
	for i := 0; i < k; i++ {
		switch {
		case i == ellipsis:
			for m := rank - consume; m > 0; m-- {
				full(dim)
				dim++
			}
		case bit(o.NewAxisMask, i):
			sp.outShape = append(sp.outShape, 1)
		default:
			if err := resolveAxis(n, sp, shape[dim], dim, begin[i], end[i], strides[i],
				bit(o.BeginMask, i), bit(o.EndMask, i), bit(o.ShrinkAxisMask, i), o.Offset); err != nil {
				return nil, err
			}
			dim++
		}
	}
	for ; dim < rank; dim++ { // implicit trailing ellipsis
		full(dim)
	}
	if len(sp.outShape) > maxOutRank {
		return nil, n.Errorf("output rank %d exceeds %d", len(sp.outShape), maxOutRank)
	}
	return sp, nil
}

// resolveAxis resolves one addressed dimension.
func resolveAxis(n *op.Node, sp *stridedSpec, size, dim, begin, end, stride int, bmask, emask, shrink, offset bool) error {
	if stride == 0 {
		return n.Invalidf("stride of dimension %d is 0", dim)
	}
	if shrink {
		b := begin
		if b < 0 {
			b += size
		}
		if b < 0 || b >= size {
			return n.Invalidf("shrunk index %d out of range for dimension %d of size %d", begin, dim, size)
		}
		sp.start[dim], sp.step[dim], sp.count[dim] = b, 1, 1
		return nil
	}
	clamp := func(v int) int {
		if stride > 0 {
			return min(max(v, 0), size)
		}
		return min(max(v, -1), size-1)
	}
	s := begin
	if s < 0 {
		s += size
	}
	s = clamp(s)
	if bmask {
		if stride > 0 {
			s = 0
		} else {
			s = size - 1
		}
	}
	e := end
	if offset {
		e += s
	}
	if e < 0 {
		e += size
	}
	e = clamp(e)
	if emask {
		if stride > 0 {
			e = size
		} else {
			e = -1
		}
	}
	cnt := 0
	if stride > 0 && e > s {
		cnt = (e - s + stride - 1) / stride
	} else if stride < 0 && e < s {
		cnt = (s - e + (-stride) - 1) / (-stride)
	}
	if cnt == 0 {
		s = 0
	}
	sp.start[dim], sp.step[dim], sp.count[dim] = s, stride, cnt
	sp.outShape = append(sp.outShape, cnt)
	return nil
}

func prepareStridedSlice(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(4, 4, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	o, err := options[op.StridedSliceOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	begin, err := constInts(n, n.Inputs[1], "begin")
	if err != nil {
		return op.Kernel{}, err
	}
	end, err := constInts(n, n.Inputs[2], "end")
	if err != nil {
		return op.Kernel{}, err
	}
	strides, err := constInts(n, n.Inputs[3], "strides")
	if err != nil {
		return op.Kernel{}, err
	}
	sp, err := resolveStridedSlice(n, in.Shape, begin, end, strides, o)
	if err != nil {
		return op.Kernel{}, err
	}
	if err := setShape(n, out, sp.outShape); err != nil {
		return op.Kernel{}, err
	}
	return copyKernel(stridedPlan(in.Shape, sp, in.DType.Size())), nil
}

// stridedPlan turns a resolved spec into a copy plan over the input's
// dimensions (new and shrunk axes have count 1 and vanish).
func stridedPlan(shape []int, sp *stridedSpec, elem int) kshape.CopyPlan {
	rank := len(shape)
	var st, src, dst [kshape.MaxRank]int
	kshape.ContiguousStrides(shape, st[:])
	base := 0
	for i := 0; i < rank; i++ {
		src[i] = st[i] * sp.step[i]
		base += st[i] * sp.start[i]
	}
	kshape.ContiguousStrides(sp.count, dst[:])
	plan, _ := kshape.NewCopyPlan(sp.count, src[:rank], dst[:rank], base, 0, elem)
	return plan
}
