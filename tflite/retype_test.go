package tflite

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// retypeCase builds a model around one operator whose uint8 activations
// are internal (the model's uint8 inputs reach them through a QUANTIZE
// and leave through another), so that retypeUint8 retypes them.
type retypeCase struct {
	name string
	// build adds the operator reading the internal tensors ins and
	// returns its internal uint8 outputs and any outputs the model
	// returns directly (int32, float32).
	build  func(b *rtb, r *rand.Rand, ins []int, q func() *tensor.Quant) (u8 []int, direct []int)
	inputs int   // uint8 inputs the operator reads
	shape  []int // of each input
	oneQ   bool  // the inputs share one quantization
}

// extremeZP draws a uint8 zero point, the extremes half the time.
func extremeZP(r *rand.Rand) int64 {
	if r.IntN(2) == 0 {
		return []int64{0, 1, 127, 128, 254, 255}[r.IntN(6)]
	}
	return int64(r.IntN(256))
}

func randU8Quant(r *rand.Rand) *tensor.Quant {
	return &tensor.Quant{Scale: []float32{0.005 + 0.1*r.Float32()}, ZeroPoint: []int64{extremeZP(r)}}
}

// TestRetypeUint8Ops checks every operator retypeUint8 retypes: each runs
// between QUANTIZEs on random bytes (zero points often 0, 1, 127, 128,
// 254, 255), with the retyping (its int8 kernel) and WithoutFusion (its
// uint8 kernel), and every output byte must agree; the operator's
// activations must have been retyped, so that the comparison tests it.
func TestRetypeUint8Ops(t *testing.T) {
	acts := []op.Activation{op.ActNone, op.ActRelu, op.ActRelu6, op.ActReluN1To1}
	arith := func(name string) retypeCase {
		return retypeCase{name: name, inputs: 2, shape: []int{1, 3, 5, 19},
			build: func(b *rtb, r *rand.Rand, ins []int, q func() *tensor.Quant) ([]int, []int) {
				o := b.T("y", tensor.Uint8, []int{1, 3, 5, 19}, q(), nil)
				b.Op(name, ins, []int{o}, &op.ArithOptions{Activation: acts[r.IntN(len(acts))]})
				return []int{o}, nil
			}}
	}
	unary := func(name string, outQ func(q func() *tensor.Quant) *tensor.Quant) retypeCase {
		return retypeCase{name: name, inputs: 1, shape: []int{1, 4, 4, 33},
			build: func(b *rtb, r *rand.Rand, ins []int, q func() *tensor.Quant) ([]int, []int) {
				o := b.T("y", tensor.Uint8, []int{1, 4, 4, 33}, outQ(q), nil)
				b.Op(name, ins, []int{o}, nil)
				return []int{o}, nil
			}}
	}
	fixed := func(s float32, z int64) func(func() *tensor.Quant) *tensor.Quant {
		return func(func() *tensor.Quant) *tensor.Quant {
			return &tensor.Quant{Scale: []float32{s}, ZeroPoint: []int64{z}}
		}
	}
	anyQ := func(q func() *tensor.Quant) *tensor.Quant { return q() }
	cases := []retypeCase{
		arith("ADD"), arith("SUB"), arith("MUL"),
		unary("RELU", anyQ), unary("RELU6", anyQ), unary("RELU_N1_TO_1", anyQ),
		unary("LOGISTIC", fixed(1.0/256, 0)), unary("TANH", fixed(1.0/128, 128)),
		{name: "MAX_POOL_2D", inputs: 1, shape: []int{1, 7, 6, 17},
			build: func(b *rtb, r *rand.Rand, ins []int, q func() *tensor.Quant) ([]int, []int) {
				o := b.T("y", tensor.Uint8, []int{1, 4, 3, 17}, b.quants[ins[0]], nil)
				b.Op("MAX_POOL_2D", ins, []int{o}, &op.Pool2DOptions{Padding: op.PaddingSame, StrideW: 2, StrideH: 2,
					FilterWidth: 3, FilterHeight: 3, Activation: acts[r.IntN(3)]})
				return []int{o}, nil
			}},
		{name: "ARG_MAX", inputs: 1, shape: []int{1, 5, 40},
			build: func(b *rtb, r *rand.Rand, ins []int, q func() *tensor.Quant) ([]int, []int) {
				axis := b.Const("axis", []int{1}, nil, []int32{2})
				o := b.T("y", tensor.Int32, []int{1, 5}, nil, nil)
				b.Op("ARG_MAX", []int{ins[0], axis}, []int{o}, &op.ArgOptions{OutputType: 2})
				o2 := b.T("y2", tensor.Int32, []int{1, 5}, nil, nil)
				b.Op("ARG_MIN", []int{ins[0], axis}, []int{o2}, &op.ArgOptions{OutputType: 2})
				return nil, []int{o, o2}
			}},
		{name: "DEQUANTIZE", inputs: 1, shape: []int{2, 37},
			build: func(b *rtb, r *rand.Rand, ins []int, q func() *tensor.Quant) ([]int, []int) {
				o := b.T("y", tensor.Float32, []int{2, 37}, nil, nil)
				b.Op("DEQUANTIZE", ins, []int{o}, nil)
				return nil, []int{o}
			}},
		{name: "moves", inputs: 2, shape: []int{1, 4, 6, 5}, oneQ: true,
			// RESHAPE, SQUEEZE, EXPAND_DIMS, SPLIT, SPLIT_V,
			// RESIZE_NEAREST_NEIGHBOR, PAD and CONCATENATION, chained.
			build: func(b *rtb, r *rand.Rand, ins []int, q func() *tensor.Quant) ([]int, []int) {
				qa := b.quants[ins[0]] // the harness gives both inputs one quantization: a copying CONCATENATION
				cat := b.T("cat", tensor.Uint8, []int{1, 4, 6, 10}, qa, nil)
				b.Op("CONCATENATION", ins, []int{cat}, &op.ConcatenationOptions{Axis: 3})
				shp := b.Const("shape", []int{3}, nil, []int32{4, 6, 10})
				rs := b.T("rs", tensor.Uint8, []int{4, 6, 10}, qa, nil)
				b.Op("RESHAPE", []int{cat, shp}, []int{rs}, &op.ReshapeOptions{NewShape: []int{4, 6, 10}})
				ax0 := b.Const("ax0", nil, nil, []int32{0})
				ex := b.T("ex", tensor.Uint8, []int{1, 4, 6, 10}, qa, nil)
				b.Op("EXPAND_DIMS", []int{rs, ax0}, []int{ex}, nil)
				size := b.Const("size", []int{2}, nil, []int32{8, 12})
				nn := b.T("nn", tensor.Uint8, []int{1, 8, 12, 10}, qa, nil)
				b.Op("RESIZE_NEAREST_NEIGHBOR", []int{ex, size}, []int{nn}, &op.ResizeOptions{})
				pads := b.Const("pads", []int{4, 2}, nil, []int32{0, 0, 1, 2, 0, 3, 0, 0})
				pd := b.T("pd", tensor.Uint8, []int{1, 11, 15, 10}, qa, nil)
				b.Op("PAD", []int{nn, pads}, []int{pd}, nil)
				ax3 := b.Const("ax3", nil, nil, []int32{3})
				s1 := b.T("s1", tensor.Uint8, []int{1, 11, 15, 5}, qa, nil)
				s2 := b.T("s2", tensor.Uint8, []int{1, 11, 15, 5}, qa, nil)
				b.Op("SPLIT", []int{ax3, pd}, []int{s1, s2}, &op.SplitOptions{NumSplits: 2})
				sizes := b.Const("sizes", []int{2}, nil, []int32{1, 14})
				ax1 := b.Const("ax1", nil, nil, []int32{2})
				v1 := b.T("v1", tensor.Uint8, []int{1, 11, 1, 5}, qa, nil)
				v2 := b.T("v2", tensor.Uint8, []int{1, 11, 14, 5}, qa, nil)
				b.Op("SPLIT_V", []int{s1, sizes, ax1}, []int{v1, v2}, &op.SplitOptions{NumSplits: 2})
				sq := b.T("sq", tensor.Uint8, []int{11, 5}, qa, nil)
				b.Op("SQUEEZE", []int{v1}, []int{sq}, &op.SqueezeOptions{SqueezeDims: []int{0, 2}})
				return []int{sq, v2, s2}, nil
			}},
		{name: "CONV_2D", inputs: 1, shape: []int{1, 6, 5, 7},
			build: func(b *rtb, r *rand.Rand, ins []int, q func() *tensor.Quant) ([]int, []int) {
				return convChain(b, r, ins[0], q, false), nil
			}},
		{name: "DEPTHWISE_CONV_2D", inputs: 1, shape: []int{1, 6, 5, 7},
			build: func(b *rtb, r *rand.Rand, ins []int, q func() *tensor.Quant) ([]int, []int) {
				return convChain(b, r, ins[0], q, true), nil
			}},
	}
	for _, c := range cases {
		for round := range 6 {
			t.Run(fmt.Sprintf("%s/%d", c.name, round), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(len(c.name)), uint64(round)))
				q := func() *tensor.Quant { return randU8Quant(r) }
				b := &rtb{Builder: tflitebuild.New(), shapes: map[int][]int{}, quants: map[int]*tensor.Quant{}}
				var gin, internal []int
				qi := q()
				for i := range c.inputs {
					x := b.T(fmt.Sprintf("x%d", i), tensor.Uint8, c.shape, q(), nil)
					if !c.oneQ {
						qi = q()
					}
					xi := b.T(fmt.Sprintf("xi%d", i), tensor.Uint8, c.shape, qi, nil)
					b.Op("QUANTIZE", []int{x}, []int{xi}, nil)
					gin, internal = append(gin, x), append(internal, xi)
				}
				u8, direct := c.build(b, r, internal, q)
				gout := direct
				for i, y := range u8 {
					shape := b.shapes[y]
					o := b.T(fmt.Sprintf("out%d", i), tensor.Uint8, shape, q(), nil)
					b.Op("QUANTIZE", []int{y}, []int{o}, nil)
					gout = append(gout, o)
				}
				b.Inputs(gin...)
				b.Outputs(gout...)
				data, err := b.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				fused, _ := sameOutputs(t, data)
				for _, ti := range append(append([]int(nil), internal...), u8...) {
					if dt := fused.plan.infos[ti].DType; dt != tensor.Int8 {
						t.Fatalf("tensor %d (%s) kept %s: nothing retyped, nothing compared", ti, fused.plan.infos[ti].Name, dt)
					}
				}
			})
		}
	}
}

// rtb is a builder that remembers the shape and quantization of the
// tensors T adds.
type rtb struct {
	*tflitebuild.Builder
	shapes map[int][]int
	quants map[int]*tensor.Quant
}

// T adds a tensor and records its shape and quantization.
func (b *rtb) T(name string, dt tensor.DType, shape []int, q *tensor.Quant, data []byte) int {
	i := b.Tensor(name, dt, shape, q, data)
	b.shapes[i], b.quants[i] = shape, q
	return i
}

// convChain adds conv → conv (CONV_2D or DEPTHWISE_CONV_2D, uint8 weights
// spread over [0, 255], so outlier channels too) → ADD of the two, and
// returns the ADD's output: retyped inputs and outputs on both sides of
// each convolution.
func convChain(b *rtb, r *rand.Rand, x int, q func() *tensor.Quant, depthwise bool) []int {
	shape := b.shapes[x]
	c := shape[3]
	xs := b.quants[x].Scale[0]
	layer := func(in int, name string) int {
		fshape := []int{c, 3, 3, c}
		if depthwise {
			fshape = []int{1, 3, 3, c}
		}
		n := 1
		for _, d := range fshape {
			n *= d
		}
		w := make([]uint8, n)
		for i := range w {
			w[i] = uint8(r.IntN(256))
		}
		ws := float32(0.002 + 0.01*r.Float32())
		wq := &tensor.Quant{Scale: []float32{ws}, ZeroPoint: []int64{extremeZP(r)}}
		f := b.Const(name+"w", fshape, wq, w)
		bias := make([]int32, c)
		for i := range bias {
			bias[i] = int32(r.IntN(2001) - 1000)
		}
		bi := b.Const(name+"b", []int{c}, &tensor.Quant{Scale: []float32{xs * ws}, ZeroPoint: []int64{0}}, bias)
		yq := q()
		yq.Scale[0] = 0.5 + r.Float32()
		y := b.Tensor(name, tensor.Uint8, shape, yq, nil)
		act := []op.Activation{op.ActNone, op.ActRelu, op.ActRelu6}[r.IntN(3)]
		if depthwise {
			b.Op("DEPTHWISE_CONV_2D", []int{in, f, bi}, []int{y}, &op.DepthwiseConv2DOptions{Padding: op.PaddingSame,
				StrideW: 1, StrideH: 1, DepthMultiplier: 1, DilationW: 1, DilationH: 1, Activation: act})
		} else {
			b.Op("CONV_2D", []int{in, f, bi}, []int{y}, &op.Conv2DOptions{Padding: op.PaddingSame,
				StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1, Activation: act})
		}
		xs = yq.Scale[0]
		return y
	}
	y1 := layer(x, "c1")
	y2 := layer(y1, "c2")
	s := b.T("sum", tensor.Uint8, shape, q(), nil)
	b.Op("ADD", []int{y1, y2}, []int{s}, &op.ArithOptions{})
	return []int{s}
}
