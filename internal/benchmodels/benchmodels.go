package benchmodels

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// ErrUnknownModel reports a model name Build does not know.
var ErrUnknownModel = errors.New("benchmodels: unknown model")

// Names lists the models Build makes, in the order bench-peer runs them.
func Names() []string { return []string{"mnv2_int8", "mnv1_int8", "mnv2_f32"} }

// Build returns the .tflite bytes of the named model (see Names). The same
// name always gives the same bytes.
func Build(name string) ([]byte, error) {
	switch name {
	case "mnv2_int8":
		return build(true, mobileNetV2)
	case "mnv1_int8":
		return build(true, mobileNetV1)
	case "mnv2_f32":
		return build(false, mobileNetV2)
	}
	return nil, fmt.Errorf("%w: %q (want one of %v)", ErrUnknownModel, name, Names())
}

// Activation quantization shared by every int8 tensor (like the peer's
// single activation scale and zero point).
const (
	actScale = 0.05
	actZP    = -3
)

// net is a network under construction.
type net struct {
	b    *tflitebuild.Builder
	rng  *rand.Rand
	int8 bool
	n    int // tensors made, for unique names
}

func (m *net) name(p string) string {
	m.n++
	return fmt.Sprintf("%s%d", p, m.n)
}

func (m *net) actQuant() *tensor.Quant {
	if !m.int8 {
		return nil
	}
	return &tensor.Quant{Scale: []float32{actScale}, ZeroPoint: []int64{actZP}}
}

// act adds an activation tensor of shape nhwc.
func (m *net) act(shape ...int) int {
	dt := tensor.Float32
	if m.int8 {
		dt = tensor.Int8
	}
	return m.b.Tensor(m.name("act"), dt, shape, m.actQuant(), nil)
}

// shape tracks the NHWC shape of a tensor.
type shape struct{ h, w, c int }

// conv adds a k×k CONV_2D (depthwise when dw) with SAME padding.
func (m *net) conv(x int, in shape, cout, k, stride int, dw bool, act op.Activation) (int, shape) {
	out := shape{(in.h + stride - 1) / stride, (in.w + stride - 1) / stride, cout}
	var wshape []int
	if dw {
		wshape = []int{1, k, k, cout}
	} else {
		wshape = []int{cout, k, k, in.c}
	}
	nw := wshape[0] * wshape[1] * wshape[2] * wshape[3]
	var w, bias int
	if m.int8 {
		ws := make([]int8, nw)
		for i := range ws {
			ws[i] = int8(m.rng.IntN(255) - 127)
		}
		scales := make([]float32, cout)
		bscales := make([]float32, cout)
		zps := make([]int64, cout)
		for c := range scales {
			scales[c] = float32(m.rng.Float64()*0.002 + 0.001)
			bscales[c] = scales[c] * actScale
		}
		axis := 0
		if dw {
			axis = 3
		}
		w = m.b.Const(m.name("w"), wshape, &tensor.Quant{Scale: scales, ZeroPoint: zps, Axis: axis}, ws)
		bs := make([]int32, cout)
		for c := range bs {
			bs[c] = int32(m.rng.IntN(2000) - 1000)
		}
		bias = m.b.Const(m.name("b"), []int{cout}, &tensor.Quant{Scale: bscales, ZeroPoint: slices.Clone(zps)}, bs)
	} else {
		ws := make([]float32, nw)
		for i := range ws {
			ws[i] = float32(m.rng.NormFloat64() * 0.05)
		}
		w = m.b.Const(m.name("w"), wshape, nil, ws)
		bias = m.b.Const(m.name("b"), []int{cout}, nil, make([]float32, cout))
	}
	y := m.act(1, out.h, out.w, out.c)
	if dw {
		m.b.Op("DEPTHWISE_CONV_2D", []int{x, w, bias}, []int{y}, &op.DepthwiseConv2DOptions{Padding: op.PaddingSame,
			StrideW: stride, StrideH: stride, DepthMultiplier: 1, Activation: act, DilationW: 1, DilationH: 1})
	} else {
		m.b.Op("CONV_2D", []int{x, w, bias}, []int{y}, &op.Conv2DOptions{Padding: op.PaddingSame,
			StrideW: stride, StrideH: stride, Activation: act, DilationW: 1, DilationH: 1})
	}
	return y, out
}

// head adds the global average pool and the 1000-way classifier.
func (m *net) head(x int, in shape) int {
	p := m.act(1, 1, 1, in.c)
	m.b.Op("AVERAGE_POOL_2D", []int{x}, []int{p}, &op.Pool2DOptions{Padding: op.PaddingValid,
		StrideW: 1, StrideH: 1, FilterWidth: in.w, FilterHeight: in.h})
	y, _ := m.conv(p, shape{1, 1, in.c}, 1000, 1, 1, false, op.ActNone)
	return y
}

func build(int8 bool, body func(m *net, x int) int) ([]byte, error) {
	m := &net{b: tflitebuild.New(), rng: rand.New(rand.NewPCG(2026, 3)), int8: int8}
	x := m.act(1, 224, 224, 3)
	y := body(m, x)
	m.b.Inputs(x)
	m.b.Outputs(y)
	return m.b.Bytes()
}

// mobileNetV2 is MobileNetV2 1.0: 300.8 M multiply-accumulates at 224.
func mobileNetV2(m *net, x int) int {
	y, s := m.conv(x, shape{224, 224, 3}, 32, 3, 2, false, op.ActRelu6)
	cin := 32
	for _, blk := range [][4]int{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} {
		t, c, n, st0 := blk[0], blk[1], blk[2], blk[3]
		for i := 0; i < n; i++ {
			st := 1
			if i == 0 {
				st = st0
			}
			inp, ins := y, s
			if t != 1 {
				y, s = m.conv(y, s, cin*t, 1, 1, false, op.ActRelu6)
			}
			y, s = m.conv(y, s, cin*t, 3, st, true, op.ActRelu6)
			y, s = m.conv(y, s, c, 1, 1, false, op.ActNone)
			if st == 1 && cin == c {
				sum := m.act(1, s.h, s.w, s.c)
				m.b.Op("ADD", []int{y, inp}, []int{sum}, &op.ArithOptions{})
				y = sum
				_ = ins
			}
			cin = c
		}
	}
	y, s = m.conv(y, s, 1280, 1, 1, false, op.ActRelu6)
	return m.head(y, s)
}

// mobileNetV1 is MobileNetV1 1.0: 568.7 M multiply-accumulates at 224.
func mobileNetV1(m *net, x int) int {
	y, s := m.conv(x, shape{224, 224, 3}, 32, 3, 2, false, op.ActRelu6)
	for _, cs := range [][2]int{{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}} {
		y, s = m.conv(y, s, s.c, 3, cs[1], true, op.ActRelu6)
		y, s = m.conv(y, s, cs[0], 1, 1, false, op.ActRelu6)
	}
	return m.head(y, s)
}
