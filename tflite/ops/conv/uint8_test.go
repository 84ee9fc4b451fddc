package conv

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// TestUint8OnInt8Kernels checks that uint8 CONV_2D and DEPTHWISE_CONV_2D
// with constant weights (run on the int8 kernels, outlier channels on the
// reference) give exactly the reference kernel's bytes: random
// geometries, zero points and activations, weights spread over all of
// [0, 255] (many outlier channels) or close to their zero point (none).
func TestUint8OnInt8Kernels(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	fast := 0
	for i := range 160 {
		depthwise := i%2 == 1
		b, h, w := 1+r.IntN(2), 1+r.IntN(9), 1+r.IntN(9)
		c := 1 + r.IntN(40)
		if depthwise && i%4 == 1 {
			c = 16 * (1 + r.IntN(3)) // the vector depthwise kernels' channel blocks; others padded to them
		}
		kh, kw, s := 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(2)
		oc := c
		if !depthwise {
			oc = 1 + r.IntN(40)
		}
		zx, zw, zy := int64(r.IntN(256)), int64(r.IntN(256)), int64(r.IntN(256))
		spread := i%4 < 2
		fshape := tensor.Shape{oc, kh, kw, c}
		if depthwise {
			fshape = tensor.Shape{1, kh, kw, oc}
		}
		fw := make([]uint8, fshape.Elements())
		for j := range fw {
			if spread {
				fw[j] = uint8(r.IntN(256))
			} else {
				fw[j] = uint8(min(255, max(0, int(zw)+r.IntN(200)-100)))
			}
		}
		bias := make([]int32, oc)
		for j := range bias {
			bias[j] = int32(r.IntN(20001) - 10000)
		}
		in := make([]byte, b*h*w*c)
		for j := range in {
			in[j] = byte(r.IntN(256))
		}
		act := []op.Activation{op.ActNone, op.ActRelu, op.ActRelu6}[r.IntN(3)]
		pad := []op.Padding{op.PaddingSame, op.PaddingValid}[r.IntN(2)]
		if pad == op.PaddingValid && (kh > h || kw > w) {
			pad = op.PaddingSame
		}
		xi := info(tensor.Uint8, tensor.Shape{b, h, w, c}, pq(0.02, zx), nil)
		fi := info(tensor.Uint8, fshape, pq(0.005, zw), bytesOf(fw))
		bi := info(tensor.Int32, tensor.Shape{oc}, pq(0.02*0.005, 0), bytesOf(bias))
		yi := info(tensor.Uint8, nil, pq(0.05+0.1*r.Float32(), zy), nil)
		var n *op.Node
		if depthwise {
			n = &op.Node{Op: "DEPTHWISE_CONV_2D", Options: &op.DepthwiseConv2DOptions{Padding: pad, StrideW: s, StrideH: s, DepthMultiplier: 1, DilationW: 1, DilationH: 1, Activation: act},
				Inputs: []*op.TensorInfo{xi, fi, bi}, Outputs: []*op.TensorInfo{yi}}
		} else {
			n = &op.Node{Op: "CONV_2D", Options: &op.Conv2DOptions{Padding: pad, StrideW: s, StrideH: s, DilationW: 1, DilationH: 1, Activation: act},
				Inputs: []*op.TensorInfo{xi, fi, bi}, Outputs: []*op.TensorInfo{yi}}
		}
		if k, err := Lookup(n); err == nil && k.Scratch > 0 { // the flipped input lives in scratch
			fast++
		}
		got := run(t, n, in)
		q, err := uint8Requant(n, xi, fi, bi, yi, act, oc)
		if err != nil {
			t.Fatal(err)
		}
		g := kconv.Geom{Batch: b, InH: h, InW: w, InC: c, OutC: oc, KH: kh, KW: kw, FilterInC: c, StrideH: s, StrideW: s, DilH: 1, DilW: 1}
		if depthwise {
			g.FilterInC = 1
		}
		if err := spatial(n, &g, pad == op.PaddingSame); err != nil {
			t.Fatal(err)
		}
		want := make([]uint8, g.Batch*g.OutH*g.OutW*g.OutC)
		if depthwise {
			kconv.DepthwiseRef(&g, q, in, fw, bias, want, 0, g.Batch*g.OutH)
		} else {
			kconv.ConvRef(&g, q, in, fw, bias, want, 0, g.Batch*g.OutH)
		}
		if !slices.Equal(got.Uint8s(), want) {
			t.Fatalf("case %d (%s, %+v, spread %v): fast path differs from the reference", i, n.Op, g, spread)
		}
	}
	if fast < 80 { // every CONV_2D; DEPTHWISE_CONV_2D too where a vector kernel exists
		t.Fatalf("only %d of 160 cases ran on the int8 kernels", fast)
	}
}

// TestUint8SignFlips checks the planner-set sign flips of uint8
// convolutions (op.Conv2DOptions.FlippedInput, FlippedOutput): fed
// x ^ 0x80, or asked to leave y ^ 0x80, or both, CONV_2D and
// DEPTHWISE_CONV_2D give the reference kernel's bytes flipped alike, on
// the int8 kernels (constant weights, outlier channels included) and on
// the reference kernel (weights as a runtime input), depthwise channel
// counts that are not a multiple of 16 included (padded vector kernel).
func TestUint8SignFlips(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for i := range 96 {
		depthwise, constW := i%2 == 1, i%4 < 2
		flipIn, flipOut := (i/4)%3 != 1, (i/4)%3 != 0
		b, h, w := 1+r.IntN(2), 1+r.IntN(8), 1+r.IntN(8)
		c := 1 + r.IntN(40)
		if depthwise && i%8 < 4 {
			c = 16 * (1 + r.IntN(3))
		}
		kh, kw, s := 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(2)
		oc := c
		if !depthwise {
			oc = 1 + r.IntN(40)
		}
		zx, zw, zy := int64(r.IntN(256)), int64(r.IntN(256)), int64(r.IntN(256))
		fshape := tensor.Shape{oc, kh, kw, c}
		if depthwise {
			fshape = tensor.Shape{1, kh, kw, oc}
		}
		fw := make([]uint8, fshape.Elements())
		for j := range fw {
			fw[j] = uint8(r.IntN(256))
		}
		bias := make([]int32, oc)
		for j := range bias {
			bias[j] = int32(r.IntN(20001) - 10000)
		}
		in := make([]byte, b*h*w*c)
		for j := range in {
			in[j] = byte(r.IntN(256))
		}
		act := []op.Activation{op.ActNone, op.ActRelu, op.ActRelu6}[r.IntN(3)]
		xi := info(tensor.Uint8, tensor.Shape{b, h, w, c}, pq(0.02, zx), nil)
		fi := info(tensor.Uint8, fshape, pq(0.005, zw), bytesOf(fw))
		bi := info(tensor.Int32, tensor.Shape{oc}, pq(0.02*0.005, 0), bytesOf(bias))
		ys := 0.05 + 0.1*r.Float32()
		yi := info(tensor.Uint8, nil, pq(ys, zy), nil)
		// The planner's retyped activations: int8, zero point − 128.
		xn, yn := xi, yi
		if flipIn {
			xn = info(tensor.Int8, tensor.Shape{b, h, w, c}, pq(0.02, zx-128), nil)
		}
		if flipOut {
			yn = info(tensor.Int8, nil, pq(ys, zy-128), nil)
		}
		var n *op.Node
		if depthwise {
			n = &op.Node{Op: "DEPTHWISE_CONV_2D", Options: &op.DepthwiseConv2DOptions{Padding: op.PaddingSame, StrideW: s, StrideH: s, DepthMultiplier: 1, DilationW: 1, DilationH: 1, Activation: act,
				FlippedInput: flipIn, FlippedOutput: flipOut}, Inputs: []*op.TensorInfo{xn, fi, bi}, Outputs: []*op.TensorInfo{yn}}
		} else {
			n = &op.Node{Op: "CONV_2D", Options: &op.Conv2DOptions{Padding: op.PaddingSame, StrideW: s, StrideH: s, DilationW: 1, DilationH: 1, Activation: act,
				FlippedInput: flipIn, FlippedOutput: flipOut}, Inputs: []*op.TensorInfo{xn, fi, bi}, Outputs: []*op.TensorInfo{yn}}
		}
		q, err := uint8Requant(n, xi, fi, bi, yi, act, oc)
		if err != nil {
			t.Fatal(err)
		}
		g := kconv.Geom{Batch: b, InH: h, InW: w, InC: c, OutC: oc, KH: kh, KW: kw, FilterInC: c, StrideH: s, StrideW: s, DilH: 1, DilW: 1}
		if depthwise {
			g.FilterInC = 1
		}
		if err := spatial(n, &g, true); err != nil {
			t.Fatal(err)
		}
		want := make([]uint8, g.Batch*g.OutH*g.OutW*g.OutC)
		if depthwise {
			kconv.DepthwiseRef(&g, q, in, fw, bias, want, 0, g.Batch*g.OutH)
		} else {
			kconv.ConvRef(&g, q, in, fw, bias, want, 0, g.Batch*g.OutH)
		}
		fed := slices.Clone(in)
		if flipIn {
			kconv.FlipSignInPlace(fed)
		}
		sent := slices.Clone(fed) // other operators may read the input after it
		if flipOut {
			kconv.FlipSignInPlace(want)
		}
		var got *tensor.Tensor
		if constW {
			got = run(t, n, fed)
		} else {
			fi.Const = nil
			got = run(t, n, fed, bytesOf(fw))
		}
		if !slices.Equal(got.Uint8s(), want) {
			t.Fatalf("case %d (%s, %+v, const weights %v, flip in %v out %v): differs from the reference", i, n.Op, g, constW, flipIn, flipOut)
		}
		if !slices.Equal(fed, sent) {
			t.Fatalf("case %d (%s, const weights %v, flip in %v): the input changed", i, n.Op, constW, flipIn)
		}
	}
}
