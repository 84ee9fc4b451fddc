package fft

import (
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/fft"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Register adds every operator of this package to r.
func Register(r *op.Resolver) {
	r.Add("RFFT2D", prepareRfft2D)
	r.Add("COMPLEX_ABS", prepareComplexPart(func(re, im float32) float32 {
		return float32(math.Hypot(float64(re), float64(im)))
	}))
	r.Add("REAL", prepareComplexPart(func(re, im float32) float32 { return re }))
	r.Add("IMAG", prepareComplexPart(func(re, im float32) float32 { return im }))
}

// view returns b as a []T without copying (the interpreter aligns every
// buffer, the scratch area to 64 bytes).
func view[T any](b []byte) []T {
	var z T
	n := len(b) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// maxFFT bounds each FFT dimension (the plan's tables grow with it).
const maxFFT = 1 << 20

func prepareRfft2D(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, lens, out := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if in.DType != tensor.Float32 || out.DType != tensor.Complex64 {
		return op.Kernel{}, n.Errorf("%s in and %s out, want float32 and complex64", in.DType, out.DType)
	}
	if len(in.Shape) < 2 {
		return op.Kernel{}, n.Errorf("input has shape %v, want rank 2 or more", in.Shape)
	}
	if lens.DType != tensor.Int32 || !lens.Shape.Equal(tensor.Shape{2}) {
		return op.Kernel{}, n.Errorf("fft_length is %s%v, want int32[2]", lens.DType, lens.Shape)
	}
	if !lens.IsConst() {
		return op.Kernel{}, n.Errorf("fft_length must be constant")
	}
	l := view[int32](lens.Const)
	h, w := int(l[0]), int(l[1])
	if !fft.IsPowerOfTwo(h) || !fft.IsPowerOfTwo(w) || h > maxFFT || w > maxFFT {
		return op.Kernel{}, n.Errorf("fft_length %v: want powers of two up to %d", l, maxFFT)
	}
	r := len(in.Shape)
	inH, inW := in.Shape[r-2], in.Shape[r-1]
	out.Shape = in.Shape.Clone()
	out.Shape[r-2], out.Shape[r-1] = h, w/2+1
	if _, err := out.Shape.NumElements(); err != nil {
		return op.Kernel{}, n.Invalidf("output shape %v: %v", out.Shape, err)
	}
	batches := in.Shape.Elements() / max(inH*inW, 1)
	plan, err := n.Shared("rfft2d", func() (any, error) { return fft.NewPlan(h, w), nil })
	if err != nil {
		return op.Kernel{}, err
	}
	p := plan.(*fft.Plan)
	inSize, outSize := inH*inW, 2*h*(w/2+1)
	return op.Kernel{
		Scratch: 16 * p.WorkLen(),
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			work := view[complex128](x.Scratch[:16*p.WorkLen()])
			src, dst := view[float32](in[0].Data), view[float32](out[0].Data)
			for b := range batches {
				p.Rfft2D(src[b*inSize:(b+1)*inSize], inH, inW, dst[b*outSize:(b+1)*outSize], work)
			}
			return nil
		},
	}, nil
}

// prepareComplexPart prepares an elementwise complex64 → float32 operator.
func prepareComplexPart(f func(re, im float32) float32) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		if err := n.CheckArity(1, 1, 1); err != nil {
			return op.Kernel{}, err
		}
		in, out := n.Inputs[0], n.Outputs[0]
		if in.DType != tensor.Complex64 || out.DType != tensor.Float32 {
			return op.Kernel{}, n.Errorf("%s in and %s out, want complex64 and float32", in.DType, out.DType)
		}
		out.Shape = in.Shape.Clone()
		return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			src, dst := view[float32](in[0].Data), view[float32](out[0].Data)
			for i := range dst {
				dst[i] = f(src[2*i], src[2*i+1])
			}
			return nil
		}}, nil
	}
}
