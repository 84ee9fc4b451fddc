package shape

import (
	"encoding/binary"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// prepareReshape: the new shape comes from the second input when it is a
// constant 1-D int32/int64 tensor, else (as in TFLite, also when that input
// is not 1-D) from the options' new_shape, else
// (non-constant shape input, no options) from the file's output shape. One
// dimension may be -1 and is inferred.
//
// Batch re-planning: when the requested shape has no -1 and its element
// count differs from the input's only because the leading (batch) dimension
// changed — i.e. the product of the trailing dimensions divides the input's
// element count — the leading dimension is rescaled to fit. This lets a
// model whose file says RESHAPE to [1,1001] run with batch 8.
func prepareReshape(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	var want []int
	switch {
	case len(n.Inputs) == 2 && n.Inputs[1] != nil && n.Inputs[1].IsConst() && len(n.Inputs[1].Shape) <= 1:
		s := n.Inputs[1]
		v, err := constInts(n, s, "shape")
		if err != nil {
			return op.Kernel{}, err
		}
		want = v
		if len(v) == 0 {
			// Legacy converters wrote an empty shape input next to the
			// options' new_shape; prefer the options then.
			if o, ok := n.Options.(*op.ReshapeOptions); ok && len(o.NewShape) > 0 {
				want = append([]int(nil), o.NewShape...)
			}
		}
	default:
		o, err := options[op.ReshapeOptions](n)
		if err != nil {
			return op.Kernel{}, err
		}
		switch {
		case len(o.NewShape) > 0:
			// Also where the shape input is not 1-D: TFLite then uses the
			// options' new_shape.
			want = append([]int(nil), o.NewShape...)
		case len(n.Inputs) == 2 && n.Inputs[1] != nil && len(n.Inputs[1].Shape) > 1:
			return op.Kernel{}, n.Invalidf("shape input has rank %d and the options give no new_shape", len(n.Inputs[1].Shape))
		case len(n.Inputs) == 2 && n.Inputs[1] != nil && len(n.Inputs[1].Shape) == 1 && n.Inputs[1].Shape[0] == len(out.Shape) && len(out.Shape) > 0:
			want = append([]int(nil), out.Shape...)
		case len(n.Inputs) == 2 && n.Inputs[1] != nil:
			return op.Kernel{}, n.Errorf("non-constant shape input is not supported")
		default:
			want = []int{} // no shape anywhere: a scalar
		}
	}
	s, err := reshapeTo(n, in.Shape, want)
	if err != nil {
		return op.Kernel{}, err
	}
	if err := setShape(n, out, s); err != nil {
		return op.Kernel{}, err
	}
	return flatCopyKernel(), nil
}

// reshapeTo resolves -1 and the batch rescaling rule of prepareReshape.
func reshapeTo(n *op.Node, inShape tensor.Shape, want []int) ([]int, error) {
	if len(want) > maxRank {
		return nil, n.Errorf("new shape has rank %d, at most %d supported", len(want), maxRank)
	}
	total, err := inShape.NumElements()
	if err != nil {
		return nil, n.Invalidf("input: %v", err)
	}
	s := append([]int(nil), want...)
	unknown := -1
	known := 1
	for i, d := range s {
		switch {
		case d == -1:
			if unknown >= 0 {
				return nil, n.Invalidf("new shape %v has more than one -1", want)
			}
			unknown = i
		case d < 0:
			return nil, n.Invalidf("new shape %v has negative dimension %d", want, d)
		default:
			if d != 0 && known > tensor.MaxElements/d {
				return nil, n.Invalidf("new shape %v too large", want)
			}
			known *= d
		}
	}
	if unknown >= 0 {
		if known == 0 || total%known != 0 {
			return nil, n.Invalidf("cannot reshape %v (%d elements) to %v", inShape, total, want)
		}
		s[unknown] = total / known
		return s, nil
	}
	if known == total {
		return s, nil
	}
	if len(s) > 0 {
		rest := product(s, 1, len(s))
		if rest > 0 && total%rest == 0 && s[0] > 0 {
			s[0] = total / rest
			return s, nil
		}
	}
	return nil, n.Invalidf("cannot reshape %v (%d elements) to %v", inShape, total, want)
}

func prepareSqueeze(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	o, err := options[op.SqueezeOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	if len(o.SqueezeDims) > maxRank {
		return op.Kernel{}, n.Invalidf("%d squeeze dims for rank %d", len(o.SqueezeDims), len(in.Shape))
	}
	rank := len(in.Shape)
	drop := make([]bool, rank)
	if len(o.SqueezeDims) == 0 {
		for i, d := range in.Shape {
			drop[i] = d == 1
		}
	}
	for _, a := range o.SqueezeDims {
		ax, err := normAxis(n, a, rank, "squeeze dim")
		if err != nil {
			return op.Kernel{}, err
		}
		if in.Shape[ax] != 1 {
			return op.Kernel{}, n.Invalidf("cannot squeeze dimension %d of size %d", ax, in.Shape[ax])
		}
		drop[ax] = true
	}
	s := []int{}
	for i, d := range in.Shape {
		if !drop[i] {
			s = append(s, d)
		}
	}
	if err := setShape(n, out, s); err != nil {
		return op.Kernel{}, err
	}
	return flatCopyKernel(), nil
}

func prepareExpandDims(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	rank := len(in.Shape)
	if rank+1 > maxRank {
		return op.Kernel{}, n.Errorf("output rank %d exceeds %d", rank+1, maxRank)
	}
	a, err := constScalarInt(n, n.Inputs[1], "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	ax, err := normAxis(n, a, rank+1, "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	s := make([]int, 0, rank+1)
	s = append(s, in.Shape[:ax]...)
	s = append(s, 1)
	s = append(s, in.Shape[ax:]...)
	if err := setShape(n, out, s); err != nil {
		return op.Kernel{}, err
	}
	return flatCopyKernel(), nil
}

// Schema TensorType codes used by SHAPE and ARG_MAX/ARG_MIN options.
const (
	schemaInt32 = 2
	schemaInt64 = 4
)

func prepareShape(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkShape(n, in, "input", maxOutRank); err != nil {
		return op.Kernel{}, err
	}
	o, err := options[op.ShapeOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	switch {
	case out.DType == tensor.Int32 && (o.OutType == schemaInt32 || o.OutType == 0):
	case out.DType == tensor.Int64 && (o.OutType == schemaInt64 || o.OutType == 0):
	default:
		return op.Kernel{}, n.Errorf("output dtype %s with out_type %d not supported", out.DType, o.OutType)
	}
	dims := in.Shape.Clone()
	if err := setShape(n, out, []int{len(dims)}); err != nil {
		return op.Kernel{}, err
	}
	// The values are known now; Eval only writes them.
	val := make([]byte, len(dims)*out.DType.Size())
	for i, d := range dims {
		if out.DType == tensor.Int32 {
			binary.LittleEndian.PutUint32(val[4*i:], uint32(int32(d)))
		} else {
			binary.LittleEndian.PutUint64(val[8*i:], uint64(int64(d)))
		}
	}
	return op.Kernel{Eval: func(_ *op.Exec, _, out []*tensor.Tensor) error {
		copy(out[0].Data, val)
		return nil
	}}, nil
}
