package logic

import (
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Register adds the comparison, boolean and selection operators to r.
func Register(r *op.Resolver) {
	r.Add("EQUAL", prepareCompare(ek.CmpEqual))
	r.Add("NOT_EQUAL", prepareCompare(ek.CmpNotEqual))
	r.Add("LESS", prepareCompare(ek.CmpLess))
	r.Add("LESS_EQUAL", prepareCompare(ek.CmpLessEqual))
	r.Add("GREATER", prepareCompare(ek.CmpGreater))
	r.Add("GREATER_EQUAL", prepareCompare(ek.CmpGreaterEqual))
	r.Add("LOGICAL_AND", prepareLogical(func(x, y uint8) uint8 { return b(x != 0 && y != 0) }))
	r.Add("LOGICAL_OR", prepareLogical(func(x, y uint8) uint8 { return b(x != 0 || y != 0) }))
	r.Add("LOGICAL_NOT", prepareLogicalNot)
	r.Add("SELECT", prepareSelect(false))
	r.Add("SELECT_V2", prepareSelect(true))
}

func b(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

// view returns t's data as a []T without copying.
func view[T any](t *tensor.Tensor) []T {
	var z T
	n := len(t.Data) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(t.Data))), n)
}

// broadcast2 checks a two-input one-output node, sets the output shape to
// the inputs' broadcast and returns the plan.
func broadcast2(n *op.Node) (a, c, o *op.TensorInfo, plan ek.Plan, err error) {
	if err = n.CheckArity(2, 2, 1); err != nil {
		return
	}
	a, c, o = n.Inputs[0], n.Inputs[1], n.Outputs[0]
	shape, berr := ek.BroadcastShape(a.Shape, c.Shape)
	if berr != nil {
		err = n.Invalidf("inputs %v and %v: %v", a.Shape, c.Shape, berr)
		return
	}
	o.Shape = tensor.Shape(shape)
	if _, e := o.Shape.NumElements(); e != nil {
		err = n.Invalidf("output: %v", e)
		return
	}
	plan = ek.NewPlan(a.Shape, c.Shape, shape)
	return
}

func binKernel[A, B, U any](plan ek.Plan, row func(a []A, b []B, out []U)) op.Kernel {
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		ek.Binary(&plan, view[A](in[0]), view[B](in[1]), view[U](out[0]), row)
		return nil
	}}
}

func quantParams(t *op.TensorInfo) (float32, int32, bool) {
	if t.Quant == nil || len(t.Quant.Scale) != 1 || len(t.Quant.ZeroPoint) > 1 {
		return 0, 0, false
	}
	var z int64
	if len(t.Quant.ZeroPoint) == 1 {
		z = t.Quant.ZeroPoint[0]
	}
	return t.Quant.Scale[0], int32(z), true
}

// prepareCompare handles the six comparisons over bool (EQUAL and
// NOT_EQUAL only), float32, int16, int32, int64 and, rescaled as TFLite
// does, quantized int8 and uint8. The output is bool.
func prepareCompare(c ek.Compare) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		a, x, o, plan, err := broadcast2(n)
		if err != nil {
			return op.Kernel{}, err
		}
		if a.DType != x.DType {
			return op.Kernel{}, n.Errorf("input dtypes %s and %s differ", a.DType, x.DType)
		}
		if o.DType != tensor.Bool {
			return op.Kernel{}, n.Invalidf("output dtype %s, want bool", o.DType)
		}
		switch a.DType {
		case tensor.Bool:
			if c != ek.CmpEqual && c != ek.CmpNotEqual {
				break
			}
			return binKernel(plan, ek.CompareRow[uint8](c)), nil
		case tensor.Float32:
			return binKernel(plan, ek.CompareRow[float32](c)), nil
		case tensor.Int16:
			return binKernel(plan, ek.CompareRow[int16](c)), nil
		case tensor.Int32:
			return binKernel(plan, ek.CompareRow[int32](c)), nil
		case tensor.Int64:
			return binKernel(plan, ek.CompareRow[int64](c)), nil
		case tensor.Int8, tensor.Uint8:
			s1, z1, ok1 := quantParams(a)
			s2, z2, ok2 := quantParams(x)
			if !ok1 || !ok2 {
				// Unquantized 8-bit values compare as they are.
				if a.DType == tensor.Int8 {
					return binKernel(plan, ek.CompareRow[int8](c)), nil
				}
				return binKernel(plan, ek.CompareRow[uint8](c)), nil
			}
			p, err := ek.NewQuantCompare(s1, s2, z1, z2)
			if err != nil {
				return op.Kernel{}, n.Errorf("%v", err)
			}
			if a.DType == tensor.Int8 {
				return binKernel(plan, ek.QuantCompareRow[int8](c, p)), nil
			}
			return binKernel(plan, ek.QuantCompareRow[uint8](c, p)), nil
		}
		return op.Kernel{}, n.Errorf("dtype %s is not supported", a.DType)
	}
}

func prepareLogical(f func(x, y uint8) uint8) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		a, x, o, plan, err := broadcast2(n)
		if err != nil {
			return op.Kernel{}, err
		}
		if a.DType != tensor.Bool || x.DType != tensor.Bool || o.DType != tensor.Bool {
			return op.Kernel{}, n.Errorf("dtypes %s, %s -> %s: want bool", a.DType, x.DType, o.DType)
		}
		return binKernel(plan, ek.RowFunc(f)), nil
	}
}

func prepareLogicalNot(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	in, o := n.Inputs[0], n.Outputs[0]
	if in.DType != tensor.Bool || o.DType != tensor.Bool {
		return op.Kernel{}, n.Errorf("dtypes %s -> %s: want bool", in.DType, o.DType)
	}
	if _, err := in.Shape.NumElements(); err != nil {
		return op.Kernel{}, n.Invalidf("input: %v", err)
	}
	o.Shape = in.Shape.Clone()
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		ek.Unary(in[0].Data, out[0].Data, func(v uint8) uint8 { return b(v == 0) })
		return nil
	}}, nil
}

// prepareSelect handles SELECT (v2 false: the condition has x's shape, or
// is 1-D and picks whole rows of x) and SELECT_V2 (all three broadcast).
// x and y share dtype and quantization with the output: values are copied,
// never requantized.
func prepareSelect(v2 bool) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		if err := n.CheckArity(3, 3, 1); err != nil {
			return op.Kernel{}, err
		}
		c, x, y, o := n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Outputs[0]
		if c.DType != tensor.Bool {
			return op.Kernel{}, n.Errorf("condition dtype %s, want bool", c.DType)
		}
		if x.DType != y.DType || o.DType != x.DType {
			return op.Kernel{}, n.Errorf("dtypes %s, %s -> %s: want all equal", x.DType, y.DType, o.DType)
		}
		if !sameQuant(x, y) || !sameQuant(x, o) {
			return op.Kernel{}, n.Errorf("inputs and output must share quantization parameters")
		}
		for _, t := range []*op.TensorInfo{c, x, y} {
			if _, err := t.Shape.NumElements(); err != nil {
				return op.Kernel{}, n.Invalidf("input: %v", err)
			}
		}
		cs := []int(c.Shape)
		var out []int
		if v2 {
			s, err := ek.BroadcastShape(x.Shape, y.Shape)
			if err == nil {
				s, err = ek.BroadcastShape(cs, s)
			}
			if err != nil {
				return op.Kernel{}, n.Invalidf("shapes %v, %v, %v: %v", c.Shape, x.Shape, y.Shape, err)
			}
			out = s
		} else {
			if !x.Shape.Equal(y.Shape) {
				return op.Kernel{}, n.Invalidf("x %v and y %v differ", x.Shape, y.Shape)
			}
			out = []int(x.Shape.Clone())
			switch {
			case c.Shape.Equal(x.Shape):
			case len(cs) == 1 && len(out) > 0 && cs[0] == out[0]:
				// One condition per row: broadcast it over the rest.
				cs = append([]int{cs[0]}, ones(len(out)-1)...)
			default:
				return op.Kernel{}, n.Invalidf("condition %v for x %v", c.Shape, x.Shape)
			}
		}
		if len(out) > ek.MaxSelectRank {
			return op.Kernel{}, n.Errorf("output rank %d, at most %d supported", len(out), ek.MaxSelectRank)
		}
		o.Shape = tensor.Shape(out)
		if _, err := o.Shape.NumElements(); err != nil {
			return op.Kernel{}, n.Invalidf("output: %v", err)
		}
		plan := ek.NewPlan3([3][]int{cs, x.Shape, y.Shape}, out)
		switch x.DType.Size() {
		case 1:
			return selectKernel[uint8](plan), nil
		case 2:
			return selectKernel[uint16](plan), nil
		case 4:
			return selectKernel[uint32](plan), nil
		case 8:
			return selectKernel[uint64](plan), nil
		}
		return op.Kernel{}, n.Errorf("dtype %s is not supported", x.DType)
	}
}

func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

func sameQuant(a, c *op.TensorInfo) bool {
	qa, qc := a.Quant, c.Quant
	if qa == nil || len(qa.Scale) == 0 {
		return qc == nil || len(qc.Scale) == 0
	}
	if qc == nil || len(qa.Scale) != len(qc.Scale) || len(qa.ZeroPoint) != len(qc.ZeroPoint) {
		return false
	}
	for i := range qa.Scale {
		if qa.Scale[i] != qc.Scale[i] {
			return false
		}
	}
	for i := range qa.ZeroPoint {
		if qa.ZeroPoint[i] != qc.ZeroPoint[i] {
			return false
		}
	}
	return true
}

func selectKernel[T any](plan ek.Plan3) op.Kernel {
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		ek.Select(&plan, in[0].Data, view[T](in[1]), view[T](in[2]), view[T](out[0]))
		return nil
	}}
}
