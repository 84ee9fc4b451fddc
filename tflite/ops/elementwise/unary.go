package elementwise

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// prepareUnary checks a one-input one-output node, sets the output shape to
// the input's and returns both tensors. When sameType is set the output
// dtype must equal the input's.
func prepareUnary(n *op.Node, sameType bool) (in, out *op.TensorInfo, err error) {
	if err = n.CheckArity(1, 1, 1); err != nil {
		return
	}
	in, out = n.Inputs[0], n.Outputs[0]
	if _, err = checkElements(n, in, "input"); err != nil {
		return
	}
	if sameType && in.DType != out.DType {
		err = n.Errorf("input dtype %s with output dtype %s", in.DType, out.DType)
		return
	}
	out.Shape = in.Shape.Clone()
	return
}

// unaryKernel wraps fn over the flat input and output data.
func unaryKernel[T, U any](fn func(in []T, out []U)) op.Kernel {
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		fn(view[T](in[0]), view[U](out[0]))
		return nil
	}}
}

// quantUnaryKernel is unaryKernel for a quantized unary function: for 8-bit
// types it runs f once over all 256 values at prepare and looks the
// results up (ek.LUT8: the same bytes, about 1 ns per element).
func quantUnaryKernel[T ek.Quant](f func(a, b []T)) op.Kernel {
	switch g := any(f).(type) {
	case func(a, b []int8):
		return unaryKernel(ek.NewLUT8(g).Apply)
	case func(a, b []uint8):
		return unaryKernel(ek.NewLUT8(g).Apply)
	}
	return unaryKernel(f)
}

// prepareRelu handles RELU, RELU6 and RELU_N1_TO_1, clamping to [lo, hi].
func prepareRelu(lo, hi float32) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		in, out, err := prepareUnary(n, true)
		if err != nil {
			return op.Kernel{}, err
		}
		switch in.DType {
		case tensor.Float32:
			return unaryKernel(func(a, b []float32) { ek.ClampFloat(a, b, lo, hi) }), nil
		case tensor.Int8:
			return prepareReluQuant[int8](n, in, out, lo, hi)
		case tensor.Uint8:
			return prepareReluQuant[uint8](n, in, out, lo, hi)
		case tensor.Int16:
			return prepareReluQuant[int16](n, in, out, lo, hi)
		}
		return op.Kernel{}, n.Errorf("dtype %s is not supported", in.DType)
	}
}

func prepareReluQuant[T ek.Quant](n *op.Node, in, out *op.TensorInfo, lo, hi float32) (op.Kernel, error) {
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
	qlo, qhi := ek.Range[T]()
	p, err := ek.NewRelu(si, so, zi, zo, lo, hi, qlo, qhi)
	if err != nil {
		return op.Kernel{}, n.Errorf("%v", err)
	}
	return quantUnaryKernel(func(a, b []T) { ek.ReluQuant(p, a, b) }), nil
}

func prepareLeakyRelu(n *op.Node) (op.Kernel, error) {
	in, out, err := prepareUnary(n, true)
	if err != nil {
		return op.Kernel{}, err
	}
	var alpha float32
	switch o := n.Options.(type) {
	case nil:
	case *op.LeakyReluOptions:
		alpha = o.Alpha
	default:
		return op.Kernel{}, n.Invalidf("options are %T, want *op.LeakyReluOptions", n.Options)
	}
	if math.IsNaN(float64(alpha)) || math.IsInf(float64(alpha), 0) {
		return op.Kernel{}, n.Invalidf("alpha is %g", alpha)
	}
	switch in.DType {
	case tensor.Float32:
		return unaryKernel(func(a, b []float32) { ek.LeakyReluFloat(a, b, alpha) }), nil
	case tensor.Int8:
		return prepareLeakyQuant[int8](n, in, out, alpha)
	case tensor.Uint8:
		return prepareLeakyQuant[uint8](n, in, out, alpha)
	case tensor.Int16:
		return prepareLeakyQuant[int16](n, in, out, alpha)
	}
	return op.Kernel{}, n.Errorf("dtype %s is not supported", in.DType)
}

func prepareLeakyQuant[T ek.Quant](n *op.Node, in, out *op.TensorInfo, alpha float32) (op.Kernel, error) {
	si, zi, err := qparams(n, in, "input")
	if err != nil {
		return op.Kernel{}, err
	}
	so, zo, err := qparams(n, out, "output")
	if err != nil {
		return op.Kernel{}, err
	}
	p, err := ek.NewLeakyRelu(si, so, alpha, zi, zo)
	if err != nil {
		return op.Kernel{}, n.Errorf("%v", err)
	}
	return quantUnaryKernel(func(a, b []T) { ek.LeakyReluQuant(p, a, b) }), nil
}

func prepareHardSwish(n *op.Node) (op.Kernel, error) {
	in, out, err := prepareUnary(n, true)
	if err != nil {
		return op.Kernel{}, err
	}
	switch in.DType {
	case tensor.Float32:
		return unaryKernel(ek.HardSwishFloat), nil
	case tensor.Int8:
		return prepareHardSwishQuant[int8](n, in, out)
	case tensor.Uint8:
		return prepareHardSwishQuant[uint8](n, in, out)
	}
	return op.Kernel{}, n.Errorf("dtype %s is not supported", in.DType)
}

func prepareHardSwishQuant[T ek.Quant](n *op.Node, in, out *op.TensorInfo) (op.Kernel, error) {
	si, zi, err := qparams(n, in, "input")
	if err != nil {
		return op.Kernel{}, err
	}
	so, zo, err := qparams(n, out, "output")
	if err != nil {
		return op.Kernel{}, err
	}
	p, err := ek.NewHardSwish(si, so, zi, zo)
	if err != nil {
		return op.Kernel{}, n.Errorf("%v", err)
	}
	if p.OutExp < -15 {
		return op.Kernel{}, n.Errorf("output multiplier exponent %d below -15", p.OutExp)
	}
	return quantUnaryKernel(func(a, b []T) { ek.HardSwishQuant(p, a, b) }), nil
}

// prepareSigmoid handles LOGISTIC (tanh false) and TANH (tanh true).
func prepareSigmoid(tanh bool) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		in, out, err := prepareUnary(n, true)
		if err != nil {
			return op.Kernel{}, err
		}
		switch in.DType {
		case tensor.Float32:
			if tanh {
				return unaryKernel(ek.TanhFloat), nil
			}
			return unaryKernel(ek.LogisticFloat), nil
		case tensor.Int8, tensor.Uint8:
		default:
			return op.Kernel{}, n.Errorf("dtype %s is not supported", in.DType)
		}
		si, zi, err := qparams(n, in, "input")
		if err != nil {
			return op.Kernel{}, err
		}
		so, zo, err := qparams(n, out, "output")
		if err != nil {
			return op.Kernel{}, err
		}
		wantS, wantZ := float32(1.0/256), int32(-128)
		if tanh {
			wantS, wantZ = 1.0/128, 0
		}
		if in.DType == tensor.Uint8 {
			wantZ += 128
		}
		if so != wantS || zo != wantZ {
			return op.Kernel{}, n.Errorf("%s output must have scale %g and zero point %d, got %g and %d", out.DType, wantS, wantZ, so, zo)
		}
		p, err := ek.NewSigmoidish(si, zi)
		if err != nil {
			return op.Kernel{}, n.Errorf("%v", err)
		}
		switch {
		case tanh && in.DType == tensor.Uint8:
			return quantUnaryKernel(func(a, b []uint8) { ek.TanhInt8(p, a, b) }), nil
		case tanh:
			return quantUnaryKernel(func(a, b []int8) { ek.TanhInt8(p, a, b) }), nil
		case in.DType == tensor.Uint8:
			return quantUnaryKernel(func(a, b []uint8) { ek.LogisticInt8(p, a, b) }), nil
		}
		return quantUnaryKernel(func(a, b []int8) { ek.LogisticInt8(p, a, b) }), nil
	}
}

func prepareSoftmax(n *op.Node) (op.Kernel, error) {
	in, out, err := prepareUnary(n, false)
	if err != nil {
		return op.Kernel{}, err
	}
	beta := float32(1)
	switch o := n.Options.(type) {
	case nil:
	case *op.SoftmaxOptions:
		beta = o.Beta
	default:
		return op.Kernel{}, n.Invalidf("options are %T, want *op.SoftmaxOptions", n.Options)
	}
	if !(beta > 0) || math.IsInf(float64(beta), 0) {
		return op.Kernel{}, n.Errorf("beta %g is not supported", beta)
	}
	if len(in.Shape) == 0 {
		return op.Kernel{}, n.Invalidf("input is a scalar, want at least 1 dimension")
	}
	depth := in.Shape[len(in.Shape)-1]
	if depth == 0 {
		return unaryKernel(func(a, b []byte) {}), nil
	}
	switch {
	case in.DType == tensor.Float32 && out.DType == tensor.Float32:
		return unaryKernel(func(a, b []float32) { ek.SoftmaxFloat(a, b, depth, beta) }), nil
	case in.DType == tensor.Int8 && (out.DType == tensor.Int8 || out.DType == tensor.Int16):
		si, _, err := qparams(n, in, "input")
		if err != nil {
			return op.Kernel{}, err
		}
		so, zo, err := qparams(n, out, "output")
		if err != nil {
			return op.Kernel{}, err
		}
		p, err := ek.NewSoftmaxInt8(beta, si)
		if err != nil {
			return op.Kernel{}, n.Errorf("%v", err)
		}
		if out.DType == tensor.Int8 {
			if so != 1.0/256 || zo != -128 {
				return op.Kernel{}, n.Errorf("int8 output must have scale 1/256 and zero point -128, got %g and %d", so, zo)
			}
			return unaryKernel(func(a []int8, b []int8) { ek.SoftmaxQuant8(p, a, b, depth) }), nil
		}
		if math.Abs(float64(so)-1.0/65536) > 0.001/65536 || zo != -32768 {
			return op.Kernel{}, n.Errorf("int16 output must have scale 1/65536 and zero point -32768, got %g and %d", so, zo)
		}
		return unaryKernel(func(a []int8, b []int16) { ek.SoftmaxQuant8(p, a, b, depth) }), nil
	case in.DType == tensor.Uint8 && out.DType == tensor.Uint8:
		si, _, err := qparams(n, in, "input")
		if err != nil {
			return op.Kernel{}, err
		}
		so, zo, err := qparams(n, out, "output")
		if err != nil {
			return op.Kernel{}, err
		}
		if math.Abs(float64(so)-1.0/256) > 0.001/256 || zo != 0 {
			return op.Kernel{}, n.Errorf("uint8 output must have scale 1/256 and zero point 0, got %g and %d", so, zo)
		}
		p, err := ek.NewSoftmaxInt8(beta, si)
		if err != nil {
			return op.Kernel{}, n.Errorf("%v", err)
		}
		return unaryKernel(func(a []uint8, b []uint8) { ek.SoftmaxQuant8(p, a, b, depth) }), nil
	case in.DType == tensor.Int16 && out.DType == tensor.Int16:
		si, zi, err := qparams(n, in, "input")
		if err != nil {
			return op.Kernel{}, err
		}
		so, zo, err := qparams(n, out, "output")
		if err != nil {
			return op.Kernel{}, err
		}
		if zi != 0 || zo != 0 || math.Abs(float64(so)-1.0/32768) > 0.001/32768 {
			return op.Kernel{}, n.Errorf("int16 needs zero points 0 and output scale 1/32768, got %d, %d, %g", zi, zo, so)
		}
		p, err := ek.NewSoftmaxInt16(beta, si)
		if err != nil {
			return op.Kernel{}, n.Errorf("%v", err)
		}
		return unaryKernel(func(a, b []int16) { ek.SoftmaxQuant16(p, a, b, depth) }), nil
	}
	return op.Kernel{}, n.Errorf("input %s with output %s is not supported", in.DType, out.DType)
}
