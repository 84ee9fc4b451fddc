package elementwise

import (
	"fmt"
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels"
	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// prepareFloatUnary handles the float32-only math operators (SQRT, RSQRT,
// LOG, EXP, SQUARE, FLOOR, CEIL, ROUND).
func prepareFloatUnary(f func(float32) float32) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		in, _, err := prepareUnary(n, true)
		if err != nil {
			return op.Kernel{}, err
		}
		if in.DType != tensor.Float32 {
			return op.Kernel{}, n.Errorf("dtype %s is not supported (float32 only)", in.DType)
		}
		if quantized(in) {
			return op.Kernel{}, n.Errorf("quantized float32 is not supported")
		}
		return unaryKernel(func(a, b []float32) { ek.Unary(a, b, f) }), nil
	}
}

// prepareAbsNeg handles ABS (neg false) and NEG: float32, int32, int64,
// and for ABS quantized int8 and int16 (rescaled to the output) and plain
// int16.
func prepareAbsNeg(neg bool) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		in, out, err := prepareUnary(n, true)
		if err != nil {
			return op.Kernel{}, err
		}
		switch in.DType {
		case tensor.Float32:
			if neg {
				return unaryKernel(func(a, b []float32) { ek.Unary(a, b, ek.Neg[float32]) }), nil
			}
			return unaryKernel(func(a, b []float32) { ek.Unary(a, b, ek.Abs[float32]) }), nil
		case tensor.Int32:
			if neg {
				return unaryKernel(func(a, b []int32) { ek.Unary(a, b, ek.Neg[int32]) }), nil
			}
			return unaryKernel(func(a, b []int32) { ek.Unary(a, b, ek.Abs[int32]) }), nil
		case tensor.Int64:
			if neg {
				return unaryKernel(func(a, b []int64) { ek.Unary(a, b, ek.Neg[int64]) }), nil
			}
		case tensor.Int8, tensor.Int16:
			if neg {
				break
			}
			if in.DType == tensor.Int16 && !quantized(in) && !quantized(out) {
				// Plain int16 values, as TFLite Micro takes them.
				return unaryKernel(func(a, b []int16) { ek.Unary(a, b, ek.Abs[int16]) }), nil
			}
			si, zi, err := qparams(n, in, "input")
			if err != nil {
				return op.Kernel{}, err
			}
			so, zo, err := qparams(n, out, "output")
			if err != nil {
				return op.Kernel{}, err
			}
			if in.DType == tensor.Int16 && (zi != 0 || zo != 0) {
				return op.Kernel{}, n.Errorf("int16 needs zero points 0, got %d and %d", zi, zo)
			}
			p, err := ek.NewRequant(si, so, zi, zo)
			if err != nil {
				return op.Kernel{}, n.Errorf("%v", err)
			}
			if in.DType == tensor.Int8 {
				return quantUnaryKernel(func(a, b []int8) { ek.AbsQuant(p, a, b) }), nil
			}
			return unaryKernel(func(a, b []int16) { ek.AbsQuant(p, a, b) }), nil
		}
		return op.Kernel{}, n.Errorf("dtype %s is not supported", in.DType)
	}
}

// prepareCast converts between float32, float64, int8, uint8, int16,
// uint16, int32, uint32, int64 and bool, as static_cast does. Quantization
// parameters are ignored, as in TFLite.
func prepareCast(n *op.Node) (op.Kernel, error) {
	in, out, err := prepareUnary(n, false)
	if err != nil {
		return op.Kernel{}, err
	}
	k, ok := castKernel(in.DType, out.DType)
	if !ok {
		return op.Kernel{}, n.Errorf("%s to %s is not supported", in.DType, out.DType)
	}
	return k, nil
}

func castKernel(from, to tensor.DType) (op.Kernel, bool) {
	switch from {
	case tensor.Float32:
		return castFrom[float32](to)
	case tensor.Float64:
		return castFrom[float64](to)
	case tensor.Int8:
		return castFrom[int8](to)
	case tensor.Uint8:
		return castFrom[uint8](to)
	case tensor.Int16:
		return castFrom[int16](to)
	case tensor.Uint16:
		return castFrom[uint16](to)
	case tensor.Int32:
		return castFrom[int32](to)
	case tensor.Uint32:
		return castFrom[uint32](to)
	case tensor.Int64:
		return castFrom[int64](to)
	case tensor.Bool:
		switch to {
		case tensor.Bool:
			return unaryKernel(func(a, b []uint8) { ek.CastToBool(a, b) }), true
		case tensor.Float32:
			return unaryKernel(ek.CastFromBool[float32]), true
		case tensor.Float64:
			return unaryKernel(ek.CastFromBool[float64]), true
		case tensor.Int8:
			return unaryKernel(ek.CastFromBool[int8]), true
		case tensor.Uint8:
			return unaryKernel(ek.CastFromBool[uint8]), true
		case tensor.Int16:
			return unaryKernel(ek.CastFromBool[int16]), true
		case tensor.Uint16:
			return unaryKernel(ek.CastFromBool[uint16]), true
		case tensor.Int32:
			return unaryKernel(ek.CastFromBool[int32]), true
		case tensor.Uint32:
			return unaryKernel(ek.CastFromBool[uint32]), true
		case tensor.Int64:
			return unaryKernel(ek.CastFromBool[int64]), true
		}
	}
	return op.Kernel{}, false
}

func castFrom[T ek.Castable](to tensor.DType) (op.Kernel, bool) {
	switch to {
	case tensor.Float32:
		return unaryKernel(ek.Cast[T, float32]), true
	case tensor.Float64:
		return unaryKernel(ek.Cast[T, float64]), true
	case tensor.Int8:
		return unaryKernel(ek.Cast[T, int8]), true
	case tensor.Uint8:
		return unaryKernel(ek.Cast[T, uint8]), true
	case tensor.Int16:
		return unaryKernel(ek.Cast[T, int16]), true
	case tensor.Uint16:
		return unaryKernel(ek.Cast[T, uint16]), true
	case tensor.Int32:
		return unaryKernel(ek.Cast[T, int32]), true
	case tensor.Uint32:
		return unaryKernel(ek.Cast[T, uint32]), true
	case tensor.Int64:
		return unaryKernel(ek.Cast[T, int64]), true
	case tensor.Bool:
		return unaryKernel(ek.CastToBool[T]), true
	}
	return op.Kernel{}, false
}

// prepareFloorDivMod handles FLOOR_DIV (mod false) and FLOOR_MOD over
// float32, int8, int16, int32 and (FLOOR_MOD) int64 with broadcasting.
// An integer divisor of 0 fails the Run, as in TFLite.
func prepareFloorDivMod(mod bool) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		a, b, o, plan, err := prepareBinaryShapes(n)
		if err != nil {
			return op.Kernel{}, err
		}
		if a.DType != b.DType || o.DType != a.DType {
			return op.Kernel{}, n.Errorf("dtypes %s, %s -> %s: want all equal", a.DType, b.DType, o.DType)
		}
		if quantized(a) || quantized(b) || quantized(o) {
			return op.Kernel{}, n.Errorf("quantized %s is not supported", a.DType)
		}
		switch a.DType {
		case tensor.Float32:
			if mod {
				return binaryKernel(plan, false, ek.RowFunc(ek.FloorModF32)), nil
			}
			return binaryKernel(plan, false, ek.RowFunc(ek.FloorDivF32)), nil
		case tensor.Int8:
			return floorIntKernel[int8](plan, mod), nil
		case tensor.Int16:
			return floorIntKernel[int16](plan, mod), nil
		case tensor.Int32:
			return floorIntKernel[int32](plan, mod), nil
		case tensor.Int64:
			if mod {
				return floorIntKernel[int64](plan, mod), nil
			}
		}
		return op.Kernel{}, n.Errorf("dtype %s is not supported", a.DType)
	}
}

func floorIntKernel[T ek.Integer](plan ek.Plan, mod bool) op.Kernel {
	f := ek.FloorDivInt[T]
	if mod {
		f = ek.FloorModInt[T]
	}
	k := binaryKernel(plan, false, ek.RowFunc(f))
	inner := k.Eval
	k.Eval = func(x *op.Exec, in, out []*tensor.Tensor) error {
		for _, d := range view[T](in[1]) {
			if d == 0 {
				return fmt.Errorf("division by zero: %w", op.ErrInput)
			}
		}
		return inner(x, in, out)
	}
	return k
}

// preparePow handles POW over float32 and int32 (a negative int32
// exponent fails the Run, as in TFLite).
func preparePow(n *op.Node) (op.Kernel, error) {
	a, b, o, plan, err := prepareBinaryShapes(n)
	if err != nil {
		return op.Kernel{}, err
	}
	if a.DType != b.DType || o.DType != a.DType {
		return op.Kernel{}, n.Errorf("dtypes %s, %s -> %s: want all equal", a.DType, b.DType, o.DType)
	}
	switch a.DType {
	case tensor.Float32:
		return binaryKernel(plan, false, ek.RowFunc(ek.PowF32)), nil
	case tensor.Int32:
		k := binaryKernel(plan, false, ek.RowFunc(ek.PowInt32))
		inner := k.Eval
		k.Eval = func(x *op.Exec, in, out []*tensor.Tensor) error {
			for _, e := range view[int32](in[1]) {
				if e < 0 {
					return fmt.Errorf("negative int32 exponent %d: %w", e, op.ErrInput)
				}
			}
			return inner(x, in, out)
		}
		return k, nil
	}
	return op.Kernel{}, n.Errorf("dtype %s is not supported", a.DType)
}

// prepareL2Norm normalizes the last dimension: float32, and int8 with
// output scale 1/128 and zero point 0, as TFLite.
func prepareL2Norm(n *op.Node) (op.Kernel, error) {
	in, out, err := prepareUnary(n, true)
	if err != nil {
		return op.Kernel{}, err
	}
	switch o := n.Options.(type) {
	case nil:
	case *op.L2NormOptions:
		if o.Activation != op.ActNone {
			return op.Kernel{}, n.Errorf("fused activation %d is not supported", o.Activation)
		}
	default:
		return op.Kernel{}, n.Invalidf("options are %T, want *op.L2NormOptions", n.Options)
	}
	if len(in.Shape) == 0 {
		return op.Kernel{}, n.Invalidf("input is a scalar")
	}
	depth := in.Shape[len(in.Shape)-1]
	if depth == 0 {
		return unaryKernel(func(a, b []byte) {}), nil
	}
	switch in.DType {
	case tensor.Float32:
		return unaryKernel(func(a, b []float32) { ek.L2NormFloat(a, b, depth) }), nil
	case tensor.Int8:
		_, zi, err := qparams(n, in, "input")
		if err != nil {
			return op.Kernel{}, err
		}
		so, zo, err := qparams(n, out, "output")
		if err != nil {
			return op.Kernel{}, err
		}
		if so != 1.0/128 || zo != 0 {
			return op.Kernel{}, n.Errorf("int8 output must have scale 1/128 and zero point 0, got %g and %d", so, zo)
		}
		if depth > 1<<15 {
			return op.Kernel{}, n.Errorf("depth %d, at most %d supported", depth, 1<<15)
		}
		return unaryKernel(func(a, b []int8) { ek.L2NormInt8(a, b, depth, zi) }), nil
	}
	return op.Kernel{}, n.Errorf("dtype %s is not supported", in.DType)
}

// prepareRsqrt is RSQRT: float32, and int8 as TFLite Micro computes it
// (a value below the input zero point fails the Run, as there).
func prepareRsqrt(n *op.Node) (op.Kernel, error) {
	in, out, err := prepareUnary(n, true)
	if err != nil {
		return op.Kernel{}, err
	}
	switch in.DType {
	case tensor.Float32:
		if quantized(in) {
			return op.Kernel{}, n.Errorf("quantized float32 is not supported")
		}
		return unaryKernel(func(a, b []float32) { ek.Unary(a, b, ek.RsqrtF32) }), nil
	case tensor.Int8:
		si, zi, err := qparams(n, in, "input")
		if err != nil {
			return op.Kernel{}, err
		}
		so, zo, err := qparams(n, out, "output")
		if err != nil {
			return op.Kernel{}, err
		}
		m, s := kernels.QuantizeMultiplier(1 / (math.Sqrt(float64(si)) * float64(so)))
		lut := ek.NewLUT8(func(a, b []int8) {
			for i, v := range a {
				if int32(v) >= zi {
					b[i] = ek.RsqrtInt8(int32(v), zi, m, s, zo)
				}
			}
		})
		return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
			a := view[int8](in[0])
			for _, v := range a {
				if int32(v) < zi {
					return fmt.Errorf("RSQRT of %d, below the zero point %d (a negative value): %w", v, zi, op.ErrInput)
				}
			}
			lut.Apply(a, view[int8](out[0]))
			return nil
		}}, nil
	}
	return op.Kernel{}, n.Errorf("dtype %s is not supported", in.DType)
}
