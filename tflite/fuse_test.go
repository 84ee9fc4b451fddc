package tflite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// foldedPads counts the PAD steps a model's plan folded away.
func foldedPads(m *Model) int {
	n := 0
	for _, s := range m.plan.steps {
		if s.folded {
			n++
		}
	}
	return n
}

// sameOutputs runs data with and without fusion on random inputs and
// fails unless every output byte agrees.
func sameOutputs(t *testing.T, data []byte) (fused, plain *Model) {
	t.Helper()
	var err error
	if fused, err = Load(data); err != nil {
		t.Fatal(err)
	}
	if plain, err = Load(data, WithoutFusion()); err != nil {
		t.Fatal(err)
	}
	if foldedPads(plain) != 0 {
		t.Fatal("WithoutFusion folded a PAD")
	}
	rf, rp := fused.NewRunner(), plain.NewRunner()
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 3; round++ {
		for i, in := range rf.Inputs() {
			for k := range in.Data {
				in.Data[k] = byte(rng.Uint32())
			}
			if in.DType == tensor.Float32 {
				for k := range in.Float32s() {
					in.Float32s()[k] = rng.Float32()*2 - 1
				}
			}
			copy(rp.Inputs()[i].Data, in.Data)
		}
		of, err := rf.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		op, err := rp.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range of {
			if string(of[i].Data) != string(op[i].Data) {
				t.Fatalf("round %d: output %d differs with the PADs folded", round, i)
			}
		}
	}
	return fused, plain
}

// padConv builds x → PAD(pads) → conv (VALID, stride s) → y, int8 or
// float32; extraReader also feeds the PAD's output to a second output.
func padConv(t *testing.T, dt tensor.DType, depthwise bool, h, s int, pads [4]int32, extraReader bool) []byte {
	t.Helper()
	return padConvK(t, dt, depthwise, h, h+1, 16, 3, s, 1, pads, extraReader)
}

// padConvK is padConv with an h×w input of c channels, a k×k filter and
// dilation d.
func padConvK(t *testing.T, dt tensor.DType, depthwise bool, h, wd, c, k, s, d int, pads [4]int32, extraReader bool) []byte {
	t.Helper()
	b := tflitebuild.New()
	var q, qw *tensor.Quant
	if dt == tensor.Int8 {
		q = &tensor.Quant{Scale: []float32{0.05}, ZeroPoint: []int64{-7}}
		qw = &tensor.Quant{Scale: []float32{0.01}, ZeroPoint: []int64{0}}
	}
	ph, pw := h+int(pads[0]+pads[1]), wd+int(pads[2]+pads[3])
	x := b.Tensor("x", dt, []int{1, h, wd, c}, q, nil)
	pd := b.Const("pads", []int{4, 2}, nil, []int32{0, 0, pads[0], pads[1], pads[2], pads[3], 0, 0})
	y := b.Tensor("padded", dt, []int{1, ph, pw, c}, q, nil)
	b.Op("PAD", []int{x, pd}, []int{y}, nil)
	rng := rand.New(rand.NewPCG(5, 6))
	reach := (k - 1) * d
	oh, ow := (ph-reach-1)/s+1, (pw-reach-1)/s+1
	var w, bias, z int
	var wshape []int
	outC := c
	if depthwise {
		wshape = []int{1, k, k, c}
	} else {
		outC = 32
		wshape = []int{outC, k, k, c}
	}
	n := wshape[0] * k * k * c
	if dt == tensor.Int8 {
		wv := make([]int8, n)
		for i := range wv {
			wv[i] = int8(rng.IntN(255) - 127)
		}
		w = b.Const("w", wshape, qw, wv)
		bias = b.Const("b", []int{outC}, &tensor.Quant{Scale: []float32{0.0005}, ZeroPoint: []int64{0}}, make([]int32, outC))
		z = b.Tensor("y", dt, []int{1, oh, ow, outC}, &tensor.Quant{Scale: []float32{0.1}, ZeroPoint: []int64{3}}, nil)
	} else {
		wv := make([]float32, n)
		for i := range wv {
			wv[i] = rng.Float32() - 0.5
		}
		w = b.Const("w", wshape, nil, wv)
		bias = b.Const("b", []int{outC}, nil, make([]float32, outC))
		z = b.Tensor("y", dt, []int{1, oh, ow, outC}, nil, nil)
	}
	if depthwise {
		b.Op("DEPTHWISE_CONV_2D", []int{y, w, bias}, []int{z}, &op.DepthwiseConv2DOptions{Padding: op.PaddingValid, StrideW: s, StrideH: s, DepthMultiplier: 1, DilationW: d, DilationH: d})
	} else {
		b.Op("CONV_2D", []int{y, w, bias}, []int{z}, &op.Conv2DOptions{Padding: op.PaddingValid, StrideW: s, StrideH: s, DilationW: d, DilationH: d})
	}
	b.Inputs(x)
	if extraReader {
		b.Outputs(z, y)
	} else {
		b.Outputs(z)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPadFusion: a PAD read only by a VALID convolution whose amounts stay
// within the filter's reach is folded (as SAME or explicit padding), with
// byte-identical outputs; any other PAD stays.
func TestPadFusion(t *testing.T) {
	tests := []struct {
		name      string
		dt        tensor.DType
		depthwise bool
		h, s      int
		pads      [4]int32
		extra     bool
		folded    int
	}{
		{"int8 depthwise stride 1", tensor.Int8, true, 9, 1, [4]int32{1, 1, 1, 1}, false, 1},
		{"float depthwise stride 1", tensor.Float32, true, 8, 1, [4]int32{1, 1, 1, 1}, false, 1},
		{"int8 conv stride 2 even", tensor.Int8, false, 10, 2, [4]int32{0, 1, 0, 1}, false, 1},
		{"float conv stride 2 even", tensor.Float32, false, 10, 2, [4]int32{0, 1, 0, 1}, false, 1},
		{"int8 depthwise stride 2 odd", tensor.Int8, true, 11, 2, [4]int32{1, 1, 1, 1}, false, 1},
		{"stride 2 pads 1,1 on even input (explicit)", tensor.Int8, true, 10, 2, [4]int32{1, 1, 1, 1}, false, 1},
		{"asymmetric pads (explicit)", tensor.Int8, true, 9, 1, [4]int32{0, 2, 1, 1}, false, 1},
		{"pads beyond the filter's reach stay", tensor.Int8, true, 9, 1, [4]int32{3, 0, 1, 1}, false, 0},
		{"padded tensor also an output", tensor.Int8, true, 9, 1, [4]int32{1, 1, 1, 1}, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fused, _ := sameOutputs(t, padConv(t, tc.dt, tc.depthwise, tc.h, tc.s, tc.pads, tc.extra))
			if got := foldedPads(fused); got != tc.folded {
				t.Fatalf("%d PADs folded, want %d", got, tc.folded)
			}
		})
	}
}

// TestPadFusionConformanceMobileNetV2: the converted MobileNetV2 (13 of its
// 18 PADs pad as SAME for the convolution after them, 5 explicitly) gives
// the same bytes with all of them folded.
func TestPadFusionConformanceMobileNetV2(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "conformance", "mobilenet_v2", "mobilenet_v2_quantized_1x3x224x224.tflite")
	data, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("conformance data required but absent: %v", err)
		}
		t.Skipf("conformance data absent (%v); skipping", err)
	}
	fused, _ := sameOutputs(t, data)
	if n := foldedPads(fused); n != 18 {
		t.Fatalf("%d PADs folded, want 18", n)
	}
}

// TestPadFusionRandomGeometries folds random PADs into random convolutions
// (filters 1–5, strides and dilations 1–2, channels on and off the vector
// width, int8 and float32) and requires the outputs of the unfused model:
// the fast kernels under explicit padding against PAD + VALID.
func TestPadFusionRandomGeometries(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	folded := 0
	for i := 0; i < 160; i++ {
		k, s, d := 1+rng.IntN(5), 1+rng.IntN(2), 1+rng.IntN(2)
		reach := (k - 1) * d
		var pads [4]int32
		for j := range pads {
			if reach > 0 {
				pads[j] = int32(rng.IntN(reach + 1))
			}
		}
		h, w := reach+1+rng.IntN(12), reach+1+rng.IntN(12)
		c := []int{16, 32, 8, 3}[rng.IntN(4)]
		dt := tensor.Int8
		if i%3 == 2 {
			dt = tensor.Float32
		}
		depthwise := rng.IntN(2) == 0
		name := fmt.Sprintf("%d/%v k%d s%d d%d c%d %dx%d pads %v dw %v", i, dt, k, s, d, c, h, w, pads, depthwise)
		t.Run(name, func(t *testing.T) {
			fused, _ := sameOutputs(t, padConvK(t, dt, depthwise, h, w, c, k, s, d, pads, false))
			folded += foldedPads(fused)
		})
	}
	if folded < 100 {
		t.Fatalf("only %d of 160 PADs folded", folded)
	}
}
