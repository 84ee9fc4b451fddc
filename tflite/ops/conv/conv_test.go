package conv

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// bytesOf returns the bytes of a typed slice (a copy, 8-byte aligned).
func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	n := len(s) * int(unsafe.Sizeof(z))
	buf := make([]uint64, (n+7)/8)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), n)
	copy(b, unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), n))
	return b
}

func info(dt tensor.DType, shape tensor.Shape, q *tensor.Quant, data []byte) *op.TensorInfo {
	return &op.TensorInfo{DType: dt, Shape: shape, Quant: q, Const: data}
}

func pq(scale float32, zp int64) *tensor.Quant {
	return &tensor.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zp}}
}

// run prepares n and evaluates it over the given input data, returning the
// output tensor.
func run(t *testing.T, n *op.Node, inputs ...[]byte) *tensor.Tensor {
	t.Helper()
	k, err := Lookup(n)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	ins := make([]*tensor.Tensor, len(n.Inputs))
	for i, ti := range n.Inputs {
		if ti == nil {
			continue
		}
		data := ti.Const
		if data == nil {
			data = inputs[0]
			inputs = inputs[1:]
		}
		ins[i] = &tensor.Tensor{DType: ti.DType, Shape: ti.Shape, Quant: ti.Quant, Data: data}
	}
	o := n.Outputs[0]
	out, err := tensor.New(o.DType, o.Shape)
	if err != nil {
		t.Fatal(err)
	}
	x := &op.Exec{Scratch: make([]byte, k.Scratch)}
	if err := k.Eval(x, ins, []*tensor.Tensor{out}); err != nil {
		t.Fatalf("eval: %v", err)
	}
	return out
}

// Lookup prepares n through a resolver built by Register.
func Lookup(n *op.Node) (op.Kernel, error) {
	r := op.NewResolver()
	Register(r)
	fn, ok := r.Lookup(n.Op)
	if !ok {
		return op.Kernel{}, errors.New("not registered: " + n.Op)
	}
	return fn(n)
}

func randF32(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// naiveConvF is a float convolution written from the definition, in float64.
func naiveConvF(in []float32, n, h, w, c int, f []float32, o, kh, kw int, bias []float32, sh, sw, dh, dw, ph, pw, oh, ow int, lo, hi float64) []float32 {
	out := make([]float32, n*oh*ow*o)
	for b := 0; b < n; b++ {
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				for oc := 0; oc < o; oc++ {
					s := 0.0
					if bias != nil {
						s = float64(bias[oc])
					}
					for ky := 0; ky < kh; ky++ {
						for kx := 0; kx < kw; kx++ {
							iy, ix := y*sh-ph+ky*dh, x*sw-pw+kx*dw
							if iy < 0 || ix < 0 || iy >= h || ix >= w {
								continue
							}
							for i := 0; i < c; i++ {
								s += float64(in[((b*h+iy)*w+ix)*c+i]) * float64(f[((oc*kh+ky)*kw+kx)*c+i])
							}
						}
					}
					out[((b*oh+y)*ow+x)*o+oc] = float32(math.Min(hi, math.Max(lo, s)))
				}
			}
		}
	}
	return out
}

func TestConv2DFloat(t *testing.T) {
	tests := []struct {
		name                  string
		n, h, w, c, o, kh, kw int
		sh, sw, dh, dw        int
		pad                   op.Padding
		act                   op.Activation
		wantH, wantW          int
		padH, padW            int
	}{
		{"same 3x3", 1, 7, 6, 3, 4, 3, 3, 1, 1, 1, 1, op.PaddingSame, op.ActNone, 7, 6, 1, 1},
		{"same s2 relu6", 2, 8, 9, 2, 5, 3, 3, 2, 2, 1, 1, op.PaddingSame, op.ActRelu6, 4, 5, 0, 1},
		{"valid dilated relu", 1, 9, 9, 3, 2, 3, 2, 1, 2, 2, 2, op.PaddingValid, op.ActRelu, 5, 4, 0, 0},
		{"1x1", 1, 4, 4, 8, 3, 1, 1, 1, 1, 1, 1, op.PaddingValid, op.ActReluN1To1, 4, 4, 0, 0},
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := randF32(r, tc.n*tc.h*tc.w*tc.c)
			f := randF32(r, tc.o*tc.kh*tc.kw*tc.c)
			b := randF32(r, tc.o)
			n := &op.Node{Op: "CONV_2D", Options: &op.Conv2DOptions{Padding: tc.pad, StrideH: tc.sh, StrideW: tc.sw, DilationH: tc.dh, DilationW: tc.dw, Activation: tc.act},
				Inputs: []*op.TensorInfo{
					info(tensor.Float32, tensor.Shape{tc.n, tc.h, tc.w, tc.c}, nil, nil),
					info(tensor.Float32, tensor.Shape{tc.o, tc.kh, tc.kw, tc.c}, nil, bytesOf(f)),
					info(tensor.Float32, tensor.Shape{tc.o}, nil, bytesOf(b)),
				},
				Outputs: []*op.TensorInfo{info(tensor.Float32, nil, nil, nil)}}
			out := run(t, n, bytesOf(x))
			if want := (tensor.Shape{tc.n, tc.wantH, tc.wantW, tc.o}); !out.Shape.Equal(want) {
				t.Fatalf("shape %s, want %s", out.Shape, want)
			}
			lo, hi, _ := op.ActivationRangeFloat(tc.act)
			want := naiveConvF(x, tc.n, tc.h, tc.w, tc.c, f, tc.o, tc.kh, tc.kw, b, tc.sh, tc.sw, tc.dh, tc.dw, tc.padH, tc.padW, tc.wantH, tc.wantW, float64(lo), float64(hi))
			for i, v := range out.Float32s() {
				if math.Abs(float64(v-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("out[%d] = %v, want %v", i, v, want[i])
				}
			}
		})
	}
}

// TestConv2DInt8 runs an int8 per-channel convolution through Prepare and
// Eval (the packed path) and checks it against a plain formula using the
// multipliers TensorFlow Lite derives.
func TestConv2DInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	const N, H, W, C, O, K = 1, 9, 8, 5, 11, 3
	x := make([]int8, N*H*W*C)
	for i := range x {
		x[i] = int8(r.IntN(256) - 128)
	}
	f := make([]int8, O*K*K*C)
	for i := range f {
		f[i] = int8(r.IntN(255) - 127)
	}
	bias := make([]int32, O)
	scales := make([]float32, O)
	for c := range bias {
		bias[c] = int32(r.IntN(4000) - 2000)
		scales[c] = 0.001 + 0.01*r.Float32()
	}
	const inScale, outScale, inZp, outZp = 0.05, 0.2, -3, 7
	for _, constW := range []bool{true, false} {
		n := &op.Node{Op: "CONV_2D", Options: &op.Conv2DOptions{Padding: op.PaddingSame, StrideH: 2, StrideW: 1, DilationH: 1, DilationW: 1, Activation: op.ActRelu},
			Inputs: []*op.TensorInfo{
				info(tensor.Int8, tensor.Shape{N, H, W, C}, pq(inScale, inZp), nil),
				info(tensor.Int8, tensor.Shape{O, K, K, C}, &tensor.Quant{Scale: scales, ZeroPoint: make([]int64, O)}, bytesOf(f)),
				info(tensor.Int32, tensor.Shape{O}, nil, bytesOf(bias)),
			},
			Outputs: []*op.TensorInfo{info(tensor.Int8, nil, pq(outScale, outZp), nil)}}
		inputs := [][]byte{bytesOf(x)}
		if !constW {
			n.Inputs[1].Const = nil
			inputs = append(inputs, bytesOf(f))
		}
		got := run(t, n, inputs...).Int8s()
		oh, ow := 5, 8
		lo, _ := int32(outZp), int32(127) // ReLU: q(0) = zero point
		i := 0
		for y := 0; y < oh; y++ {
			for xx := 0; xx < ow; xx++ {
				for oc := 0; oc < O; oc++ {
					s := int64(bias[oc])
					for ky := 0; ky < K; ky++ {
						for kx := 0; kx < K; kx++ {
							iy, ix := y*2-1+ky, xx-1+kx
							if iy < 0 || ix < 0 || iy >= H || ix >= W {
								continue
							}
							for c := 0; c < C; c++ {
								s += int64(f[((oc*K+ky)*K+kx)*C+c]) * (int64(x[(iy*W+ix)*C+c]) - inZp)
							}
						}
					}
					m, sh := kernels.QuantizeMultiplier(float64(float32(inScale)) * float64(scales[oc]) / float64(float32(outScale)))
					v := kernels.Clamp32(kernels.MultiplyByQuantizedMultiplier(int32(s), m, sh)+outZp, lo, 127)
					if got[i] != int8(v) {
						t.Fatalf("const weights %v: out[%d,%d,%d] = %d, want %d", constW, y, xx, oc, got[i], v)
					}
					i++
				}
			}
		}
	}
}

// TestConv2D16x8 checks the int16-activation path with int64 and int32
// bias against the formulas of the two accumulator widths.
func TestConv2D16x8(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	const H, W, C, O = 6, 5, 4, 3
	x := make([]int16, H*W*C)
	for i := range x {
		x[i] = int16(r.IntN(65536) - 32768)
	}
	f := make([]int8, O*C)
	for i := range f {
		f[i] = int8(r.IntN(255) - 127)
	}
	for _, bt := range []tensor.DType{tensor.Int64, tensor.Int32} {
		t.Run(bt.String(), func(t *testing.T) {
			var bias []byte
			b64 := []int64{12345678, -999, 1 << 33}
			b32 := []int32{12345, -999, 1 << 20}
			if bt == tensor.Int64 {
				bias = bytesOf(b64)
			} else {
				bias = bytesOf(b32)
			}
			n := &op.Node{Op: "CONV_2D", Options: &op.Conv2DOptions{Padding: op.PaddingValid, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
				Inputs: []*op.TensorInfo{
					info(tensor.Int16, tensor.Shape{1, H, W, C}, pq(0.001, 0), nil),
					info(tensor.Int8, tensor.Shape{O, 1, 1, C}, &tensor.Quant{Scale: []float32{0.01, 0.02, 0.005}, ZeroPoint: []int64{0, 0, 0}}, bytesOf(f)),
					info(bt, tensor.Shape{O}, nil, bias),
				},
				Outputs: []*op.TensorInfo{info(tensor.Int16, nil, pq(0.004, 0), nil)}}
			got := run(t, n, bytesOf(x)).Int16s()
			scales := []float32{0.01, 0.02, 0.005}
			for p := 0; p < H*W; p++ {
				for oc := 0; oc < O; oc++ {
					m, sh := kernels.QuantizeMultiplier(float64(float32(0.001)) * float64(scales[oc]) / float64(float32(0.004)))
					var v int32
					if bt == tensor.Int64 {
						s := b64[oc]
						for c := 0; c < C; c++ {
							s += int64(f[oc*C+c]) * int64(x[p*C+c])
						}
						v = kernels.MultiplyByQuantizedMultiplier64(s, m, sh)
					} else {
						s := b32[oc]
						for c := 0; c < C; c++ {
							s += int32(f[oc*C+c]) * int32(x[p*C+c])
						}
						v = kernels.MultiplyByQuantizedMultiplier(s, m, sh)
					}
					v = kernels.Clamp32(v, math.MinInt16, math.MaxInt16)
					if got[p*O+oc] != int16(v) {
						t.Fatalf("out[%d,%d] = %d, want %d", p, oc, got[p*O+oc], v)
					}
				}
			}
		})
	}
}

func TestPrepareErrors(t *testing.T) {
	f8 := info(tensor.Int8, tensor.Shape{4, 3, 3, 2}, pq(0.1, 0), make([]byte, 72))
	in8 := info(tensor.Int8, tensor.Shape{1, 5, 5, 2}, pq(0.1, 0), nil)
	out8 := func() *op.TensorInfo { return info(tensor.Int8, nil, pq(0.1, 0), nil) }
	opts := &op.Conv2DOptions{StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	tests := []struct {
		name string
		node *op.Node
		want error
	}{
		{"too few inputs", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{in8}, Outputs: []*op.TensorInfo{out8()}}, op.ErrInvalidModel},
		{"zero stride", &op.Node{Op: "CONV_2D", Options: &op.Conv2DOptions{DilationH: 1, DilationW: 1}, Inputs: []*op.TensorInfo{in8, f8}, Outputs: []*op.TensorInfo{out8()}}, op.ErrInvalidModel},
		{"rank 3 input", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{info(tensor.Int8, tensor.Shape{5, 5, 2}, pq(0.1, 0), nil), f8}, Outputs: []*op.TensorInfo{out8()}}, op.ErrInvalidModel},
		{"channel mismatch", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{info(tensor.Int8, tensor.Shape{1, 5, 5, 3}, pq(0.1, 0), nil), f8}, Outputs: []*op.TensorInfo{out8()}}, op.ErrInvalidModel},
		{"zero scale", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{info(tensor.Int8, tensor.Shape{1, 5, 5, 2}, pq(0, 0), nil), f8}, Outputs: []*op.TensorInfo{out8()}}, op.ErrInvalidModel},
		{"per-channel count", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{in8, info(tensor.Int8, tensor.Shape{4, 3, 3, 2}, &tensor.Quant{Scale: []float32{1, 1}, ZeroPoint: []int64{0, 0}}, make([]byte, 72))}, Outputs: []*op.TensorInfo{out8()}}, op.ErrInvalidModel},
		{"filter zero point", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{in8, info(tensor.Int8, tensor.Shape{4, 3, 3, 2}, pq(0.1, 3), make([]byte, 72))}, Outputs: []*op.TensorInfo{out8()}}, op.ErrUnsupported},
		{"hybrid int32 bias", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{info(tensor.Float32, tensor.Shape{1, 5, 5, 2}, nil, nil), f8, info(tensor.Int32, tensor.Shape{4}, nil, make([]byte, 16))}, Outputs: []*op.TensorInfo{info(tensor.Float32, nil, nil, nil)}}, op.ErrUnsupported},
		{"hybrid filter zero point", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{info(tensor.Float32, tensor.Shape{1, 5, 5, 2}, nil, nil), info(tensor.Int8, tensor.Shape{4, 3, 3, 2}, pq(0.1, 3), make([]byte, 72))}, Outputs: []*op.TensorInfo{info(tensor.Float32, nil, nil, nil)}}, op.ErrUnsupported},
		{"tanh", &op.Node{Op: "CONV_2D", Options: &op.Conv2DOptions{StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, Activation: op.ActTanh}, Inputs: []*op.TensorInfo{in8, f8}, Outputs: []*op.TensorInfo{out8()}}, op.ErrUnsupported},
		{"bias dtype", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{in8, f8, info(tensor.Int64, tensor.Shape{4}, nil, make([]byte, 32))}, Outputs: []*op.TensorInfo{out8()}}, op.ErrUnsupported},
		{"bias length", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{in8, f8, info(tensor.Int32, tensor.Shape{3}, nil, make([]byte, 12))}, Outputs: []*op.TensorInfo{out8()}}, op.ErrInvalidModel},
		{"window larger than input", &op.Node{Op: "CONV_2D", Options: &op.Conv2DOptions{Padding: op.PaddingValid, StrideH: 1, StrideW: 1, DilationH: 3, DilationW: 3}, Inputs: []*op.TensorInfo{in8, f8}, Outputs: []*op.TensorInfo{out8()}}, op.ErrInvalidModel},
		{"int16 zero point", &op.Node{Op: "CONV_2D", Options: opts, Inputs: []*op.TensorInfo{info(tensor.Int16, tensor.Shape{1, 5, 5, 2}, pq(0.1, 4), nil), f8}, Outputs: []*op.TensorInfo{info(tensor.Int16, nil, pq(0.1, 0), nil)}}, op.ErrUnsupported},
		{"depthwise multiplier", &op.Node{Op: "DEPTHWISE_CONV_2D", Options: &op.DepthwiseConv2DOptions{StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, DepthMultiplier: 3}, Inputs: []*op.TensorInfo{in8, info(tensor.Int8, tensor.Shape{1, 3, 3, 4}, pq(0.1, 0), make([]byte, 36))}, Outputs: []*op.TensorInfo{out8()}}, op.ErrInvalidModel},
		{"fc depth", &op.Node{Op: "FULLY_CONNECTED", Inputs: []*op.TensorInfo{info(tensor.Int8, tensor.Shape{1, 7}, pq(0.1, 0), nil), info(tensor.Int8, tensor.Shape{3, 2}, pq(0.1, 0), make([]byte, 6))}, Outputs: []*op.TensorInfo{out8()}}, op.ErrInvalidModel},
		{"pool quant differs", &op.Node{Op: "MAX_POOL_2D", Options: &op.Pool2DOptions{StrideH: 1, StrideW: 1, FilterHeight: 2, FilterWidth: 2}, Inputs: []*op.TensorInfo{in8}, Outputs: []*op.TensorInfo{info(tensor.Int8, nil, pq(0.2, 0), nil)}}, op.ErrUnsupported},
		{"transpose shape not const", &op.Node{Op: "TRANSPOSE_CONV", Options: &op.TransposeConvOptions{StrideH: 2, StrideW: 2}, Inputs: []*op.TensorInfo{info(tensor.Int32, tensor.Shape{4}, nil, nil), f8, in8}, Outputs: []*op.TensorInfo{out8()}}, op.ErrUnsupported},
		{"matmul inner dims", &op.Node{Op: "BATCH_MATMUL", Inputs: []*op.TensorInfo{info(tensor.Float32, tensor.Shape{2, 3}, nil, nil), info(tensor.Float32, tensor.Shape{4, 5}, nil, nil)}, Outputs: []*op.TensorInfo{info(tensor.Float32, nil, nil, nil)}}, op.ErrInvalidModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Lookup(tc.node)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestConv2DInt8Rows runs int8 per-channel convolutions that take
// kconv.ConvRows (uint8 weights w + 128, row terms: 1×1 stride-1 layers
// and windows over 8 or more channels) and some that do not, through
// Prepare and Eval against the plain formula: channel counts around 8
// and 16, 3×3 windows with strides 1 and 2 and SAME padding, random zero
// points, scales with and without left shifts, ReLU or none.
func TestConv2DInt8Rows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 60 {
		H, W := 1+r.IntN(9), 1+r.IntN(13)
		C := []int{1, 3, 8, 16, 24, 33, 64}[r.IntN(7)]
		O := []int{1, 5, 8, 16, 40, 70}[r.IntN(6)]
		K, S := 1, 1
		if i%3 == 2 {
			K, S = 3, 1+r.IntN(2)
		}
		OH, OW := (H+S-1)/S, (W+S-1)/S
		padH, padW := max(0, ((OH-1)*S+K-H)/2), max(0, ((OW-1)*S+K-W)/2)
		x := make([]int8, H*W*C)
		for j := range x {
			x[j] = int8(r.IntN(256) - 128)
		}
		f := make([]int8, O*K*K*C)
		for j := range f {
			f[j] = int8(r.IntN(255) - 127)
		}
		bias := make([]int32, O)
		scales := make([]float32, O)
		for c := range bias {
			bias[c] = int32(r.IntN(40000) - 20000)
			scales[c] = 0.0005 + 0.01*r.Float32()/float32(K)
			if i%5 == 4 && c == 0 {
				scales[c] = 30 // a multiplier above 1: a left shift
			}
		}
		inScale, outScale := float32(0.05), float32(0.2)
		inZp, outZp := int64(r.IntN(256)-128), int64(r.IntN(256)-128)
		act := []op.Activation{op.ActNone, op.ActRelu}[i%2]
		n := &op.Node{Op: "CONV_2D", Options: &op.Conv2DOptions{Padding: op.PaddingSame, StrideH: S, StrideW: S, DilationH: 1, DilationW: 1, Activation: act},
			Inputs: []*op.TensorInfo{
				info(tensor.Int8, tensor.Shape{1, H, W, C}, pq(inScale, inZp), nil),
				info(tensor.Int8, tensor.Shape{O, K, K, C}, &tensor.Quant{Scale: scales, ZeroPoint: make([]int64, O)}, bytesOf(f)),
				info(tensor.Int32, tensor.Shape{O}, nil, bytesOf(bias)),
			},
			Outputs: []*op.TensorInfo{info(tensor.Int8, nil, pq(outScale, outZp), nil)}}
		got := run(t, n, bytesOf(x)).Int8s()
		lo := int32(-128)
		if act == op.ActRelu {
			lo = int32(max(outZp, -128))
		}
		for p := range OH * OW {
			oy, ox := p/OW, p%OW
			for oc := range O {
				s := int64(bias[oc])
				for ky := range K {
					for kx := range K {
						iy, ix := oy*S-padH+ky, ox*S-padW+kx
						if iy < 0 || ix < 0 || iy >= H || ix >= W {
							continue
						}
						for c := range C {
							s += int64(f[((oc*K+ky)*K+kx)*C+c]) * (int64(x[(iy*W+ix)*C+c]) - inZp)
						}
					}
				}
				m, sh := kernels.QuantizeMultiplier(float64(inScale) * float64(scales[oc]) / float64(outScale))
				v := kernels.Clamp32(kernels.MultiplyByQuantizedMultiplier(int32(s), m, sh)+int32(outZp), lo, 127)
				if got[p*O+oc] != int8(v) {
					t.Fatalf("case %d (%dx%dx%d -> %d, %dx%d stride %d): out[%d,%d] = %d, want %d", i, H, W, C, O, K, K, S, p, oc, got[p*O+oc], v)
				}
			}
		}
	}
}
