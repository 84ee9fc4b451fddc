package elementwise

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// parallelMin is the fewest output elements for which a binary operator
// without broadcasting splits its loop across the Runner's threads; below
// it waking a worker costs more than it saves.
const parallelMin = 1 << 14

// parallelBlock is the granularity of that split (elements), a multiple
// of every vector kernel's width.
const parallelBlock = 256

// binaryKernel wraps a broadcast plan and a row function into a Kernel.
// With heavy (rows that requantize: several multiplies per element),
// operands that do not broadcast and are at least parallelMin long run as
// one flat loop split across the Runner's threads (elementwise, so the
// split changes no result). Plain arithmetic stays on one thread: it runs
// at memory speed, and reading another core's freshly written data costs
// more than the split saves.
//
// A per-channel vector against a tensor (plan.RepeatedRow) runs through
// ek.BinaryTiled with the per-Runner tile: about 1024 elements per call
// of row instead of one channel row (MediaPipe's squeeze-and-excite MUL
// and per-channel PRELU have rows of 16 to 128 values).
func binaryKernel[A, B, U any](plan ek.Plan, heavy bool, row func(a []A, b []B, out []U)) op.Kernel {
	flat := heavy && plan.Same() && plan.Elements() >= parallelMin
	tiled := plan.RepeatedRow() != 0
	return op.Kernel{
		NewState: func() any {
			t := &binaryTask[A, B, U]{row: row}
			if tiled {
				n := plan.TileRows() * plan.Inner()
				if plan.RepeatedRow() == 1 {
					t.tileA = make([]A, n)
				} else {
					t.tileB = make([]B, n)
				}
			}
			return t
		},
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			a, b, o := view[A](in[0]), view[B](in[1]), view[U](out[0])
			if tiled {
				if t, ok := x.State.(*binaryTask[A, B, U]); ok {
					ek.BinaryTiled(&plan, a, b, o, t.tileA, t.tileB, row)
					return nil
				}
			}
			if !flat || x.Threads() < 2 {
				ek.Binary(&plan, a, b, o, row)
				return nil
			}
			t, ok := x.State.(*binaryTask[A, B, U])
			if !ok {
				t = &binaryTask[A, B, U]{row: row}
			}
			n := plan.Elements()
			t.a, t.b, t.out, t.n = a[:n], b[:n], o[:n], n
			x.ParallelTask((n+parallelBlock-1)/parallelBlock, t)
			t.a, t.b, t.out = nil, nil, nil
			return nil
		},
	}
}

// binaryTask is the per-Runner op.Task of a flat binary operator: blocks
// [lo, hi) of parallelBlock elements of the current Eval's operands.
type binaryTask[A, B, U any] struct {
	row func(a []A, b []B, out []U)
	a   []A
	b   []B
	out []U
	n   int
	// tileA or tileB (whichever operand repeats) holds TileRows copies of
	// the repeated row, for ek.BinaryTiled.
	tileA []A
	tileB []B
}

// Run computes blocks [lo, hi).
func (t *binaryTask[A, B, U]) Run(lo, hi int) {
	i, j := lo*parallelBlock, min(hi*parallelBlock, t.n)
	t.row(t.a[i:j], t.b[i:j], t.out[i:j])
}

// prepareBinaryShapes checks a two-input one-output node whose inputs
// share a dtype, sets the output shape to their broadcast and returns the
// plan.
func prepareBinaryShapes(n *op.Node) (a, b, o *op.TensorInfo, plan ek.Plan, err error) {
	if err = n.CheckArity(2, 2, 1); err != nil {
		return
	}
	a, b, o = n.Inputs[0], n.Inputs[1], n.Outputs[0]
	for _, t := range []*op.TensorInfo{a, b} {
		if _, err = checkElements(n, t, "input"); err != nil {
			return
		}
	}
	shape, berr := ek.BroadcastShape(a.Shape, b.Shape)
	if berr != nil {
		err = n.Invalidf("inputs %v and %v: %v", a.Shape, b.Shape, berr)
		return
	}
	o.Shape = tensor.Shape(shape)
	if _, err = checkElements(n, o, "output"); err != nil {
		return
	}
	plan = ek.NewPlan(a.Shape, b.Shape, shape)
	return
}

func prepareArith(kind ek.Op) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		a, b, o, plan, err := prepareBinaryShapes(n)
		if err != nil {
			return op.Kernel{}, err
		}
		var act op.Activation
		var pot bool
		switch kind {
		case ek.OpAdd, ek.OpSub, ek.OpMul, ek.OpDiv:
			opts, err := arithOptions(n)
			if err != nil {
				return op.Kernel{}, err
			}
			act, pot = opts.Activation, opts.PotScaleInt16
		}
		if a.DType != b.DType {
			return op.Kernel{}, n.Errorf("input dtypes %s and %s differ", a.DType, b.DType)
		}
		if o.DType != a.DType {
			return op.Kernel{}, n.Errorf("input dtype %s with output dtype %s", a.DType, o.DType)
		}
		switch a.DType {
		case tensor.Float32:
			lo, hi, err := actRangeFloat(n, act)
			if err != nil {
				return op.Kernel{}, err
			}
			if kind == ek.OpMax || kind == ek.OpMin {
				lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
			}
			return binaryKernel(plan, false, ek.PlainRow(kind, lo, hi)), nil
		case tensor.Int32:
			// DIV truncates toward zero as TFLite's int32 DIV (C's /);
			// a division by zero, which crashes the reference, gives 0.
			if quantized(a) || quantized(b) || quantized(o) {
				return op.Kernel{}, n.Errorf("quantized int32 is not supported")
			}
			lo, hi, err := actRangeInt32(n, act)
			if err != nil {
				return op.Kernel{}, err
			}
			return binaryKernel(plan, false, ek.PlainRow(kind, lo, hi)), nil
		case tensor.Int64:
			if kind != ek.OpMax && kind != ek.OpMin {
				return op.Kernel{}, n.Errorf("int64 is not supported")
			}
			return binaryKernel(plan, false, ek.PlainRow[int64](kind, math.MinInt64, math.MaxInt64)), nil
		case tensor.Int8:
			return prepareArithQuant[int8](n, kind, act, false, a, b, o, plan)
		case tensor.Uint8:
			return prepareArithQuant[uint8](n, kind, act, false, a, b, o, plan)
		case tensor.Int16:
			return prepareArithQuant[int16](n, kind, act, pot, a, b, o, plan)
		}
		return op.Kernel{}, n.Errorf("dtype %s is not supported", a.DType)
	}
}

func prepareArithQuant[T ek.Quant](n *op.Node, kind ek.Op, act op.Activation, pot bool, a, b, o *op.TensorInfo, plan ek.Plan) (op.Kernel, error) {
	s1, z1, err := qparams(n, a, "input 0")
	if err != nil {
		return op.Kernel{}, err
	}
	s2, z2, err := qparams(n, b, "input 1")
	if err != nil {
		return op.Kernel{}, err
	}
	so, zo, err := qparams(n, o, "output")
	if err != nil {
		return op.Kernel{}, err
	}
	qlo, qhi := ek.Range[T]()
	lo, hi, err := actRangeQuant(n, act, so, zo, qlo, qhi)
	if err != nil {
		return op.Kernel{}, err
	}
	is16 := o.DType == tensor.Int16
	bad := func(err error) (op.Kernel, error) { return op.Kernel{}, n.Errorf("%v", err) }
	switch kind {
	case ek.OpAdd, ek.OpSub:
		sub := kind == ek.OpSub
		if is16 && pot && z1 == 0 && z2 == 0 && zo == 0 {
			l1, ok1 := ek.CheckedLog2(s1)
			l2, ok2 := ek.CheckedLog2(s2)
			lo2, oko := ek.CheckedLog2(so)
			sh1, sh2 := l1-lo2, l2-lo2
			if ok1 && ok2 && oko && sh1 <= 0 && sh2 <= 0 && (sh1 == 0 || sh2 == 0) && sh1 > -32 && sh2 > -32 {
				p := ek.AddSubPOT{Sub: sub, In1Right: -sh1, In2Right: -sh2, ActMin: lo, ActMax: hi}
				return binaryKernel(plan, true, ek.AddSubPOTRow(p)), nil
			}
		}
		p, err := ek.NewAddSub(sub, s1, s2, so, z1, z2, zo, is16, lo, hi)
		if err != nil {
			return bad(err)
		}
		return binaryKernel(plan, true, ek.AddSubRow[T](p)), nil
	case ek.OpMul:
		if is16 && (z1 != 0 || z2 != 0 || zo != 0) {
			return op.Kernel{}, n.Errorf("int16 needs zero points 0, got %d, %d, %d", z1, z2, zo)
		}
		p, err := ek.NewMul(s1, s2, so, z1, z2, zo, lo, hi)
		if err != nil {
			return bad(err)
		}
		return binaryKernel(plan, true, ek.MulRow[T](p)), nil
	case ek.OpDiv:
		if is16 {
			return op.Kernel{}, n.Errorf("int16 is not supported")
		}
		p, err := ek.NewDiv(s1, s2, so, z1, z2, zo, lo, hi)
		if err != nil {
			return bad(err)
		}
		return binaryKernel(plan, true, ek.DivRow[T](p)), nil
	case ek.OpSquaredDiff:
		if is16 && (z1 != 0 || z2 != 0 || zo != 0) {
			return op.Kernel{}, n.Errorf("int16 needs zero points 0, got %d, %d, %d", z1, z2, zo)
		}
		p, err := ek.NewSquaredDiff(s1, s2, so, z1, z2, zo, is16, qlo, qhi)
		if err != nil {
			return bad(err)
		}
		return binaryKernel(plan, true, ek.SquaredDiffRow[T](p)), nil
	}
	// MAXIMUM and MINIMUM compare raw values, which is only meaningful when
	// inputs and output share their quantization.
	if s1 != so || s2 != so || z1 != zo || z2 != zo {
		return op.Kernel{}, n.Errorf("inputs and output must share scale and zero point (got %g/%d, %g/%d, %g/%d)", s1, z1, s2, z2, so, zo)
	}
	return binaryKernel(plan, false, ek.PlainRow[T](kind, T(qlo), T(qhi))), nil
}

func preparePrelu(n *op.Node) (op.Kernel, error) {
	a, al, o, plan, err := prepareBinaryShapes(n)
	if err != nil {
		return op.Kernel{}, err
	}
	if o.DType != a.DType {
		return op.Kernel{}, n.Errorf("input dtype %s with output dtype %s", a.DType, o.DType)
	}
	switch a.DType {
	case tensor.Float32:
		if al.DType != tensor.Float32 {
			return op.Kernel{}, n.Errorf("float32 input with %s alpha", al.DType)
		}
		return binaryKernel(plan, false, ek.PreluFloatRow()), nil
	case tensor.Int8:
		if al.DType != tensor.Int8 {
			return op.Kernel{}, n.Errorf("int8 input with %s alpha", al.DType)
		}
		return preparePreluQuant[int8, int8](n, a, al, o, plan)
	case tensor.Uint8:
		if al.DType != tensor.Uint8 {
			return op.Kernel{}, n.Errorf("uint8 input with %s alpha", al.DType)
		}
		return preparePreluQuant[uint8, uint8](n, a, al, o, plan)
	case tensor.Int16:
		if al.DType != tensor.Int8 {
			return op.Kernel{}, n.Errorf("int16 input with %s alpha, want int8", al.DType)
		}
		return preparePreluQuant[int16, int8](n, a, al, o, plan)
	}
	return op.Kernel{}, n.Errorf("dtype %s is not supported", a.DType)
}

func preparePreluQuant[T, A ek.Quant](n *op.Node, a, al, o *op.TensorInfo, plan ek.Plan) (op.Kernel, error) {
	si, zi, err := qparams(n, a, "input")
	if err != nil {
		return op.Kernel{}, err
	}
	sa, za, err := qparams(n, al, "alpha")
	if err != nil {
		return op.Kernel{}, err
	}
	so, zo, err := qparams(n, o, "output")
	if err != nil {
		return op.Kernel{}, err
	}
	p, err := ek.NewPrelu(si, sa, so, zi, za, zo)
	if err != nil {
		return op.Kernel{}, n.Errorf("%v", err)
	}
	return binaryKernel(plan, true, ek.PreluRow[T, A](p)), nil
}
