package conv_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

var writeHybrid = flag.Bool("write-hybrid", false, "rewrite testdata/hybrid/*.tflite and in.npy (then regenerate the goldens, see testdata/hybrid/README)")

// hybridModel is one tiny dynamic-range model: float32 in and out, int8
// weights.
type hybridModel struct {
	name  string
	seed  uint64 // of its weights and input (testdata written with it)
	in    []int
	build func(b *tflitebuild.Builder, r *rand.Rand, x int) int // returns the output tensor
}

func randInt8s(r *rand.Rand, n int) []int8 {
	v := make([]int8, n)
	for i := range v {
		v[i] = int8(r.IntN(255) - 127)
	}
	return v
}

func randFloats(r *rand.Rand, n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = (r.Float32()*2 - 1) * scale
	}
	return v
}

func channelQuant(r *rand.Rand, n, axis int, distinct bool) *tensor.Quant {
	if !distinct { // per tensor
		return &tensor.Quant{Scale: []float32{0.004}, ZeroPoint: []int64{0}}
	}
	q := &tensor.Quant{Scale: make([]float32, n), ZeroPoint: make([]int64, n), Axis: axis}
	for i := range q.Scale {
		q.Scale[i] = 0.004
		if distinct {
			q.Scale[i] = 0.001 + r.Float32()*0.01
		}
	}
	return q
}

func hybridModels() []hybridModel {
	conv := func(distinct bool, stride int, pad op.Padding, act op.Activation) func(*tflitebuild.Builder, *rand.Rand, int) int {
		return func(b *tflitebuild.Builder, r *rand.Rand, x int) int {
			w := b.Const("w", []int{6, 3, 3, 5}, channelQuant(r, 6, 0, distinct), randInt8s(r, 6*9*5))
			bias := b.Const("b", []int{6}, nil, randFloats(r, 6, 0.5))
			oh := (7 + stride - 1) / stride
			if pad == op.PaddingValid {
				oh = (7-3)/stride + 1
			}
			y := b.Tensor("y", tensor.Float32, []int{2, oh, oh, 6}, nil, nil)
			b.Op("CONV_2D", []int{x, w, bias}, []int{y}, &op.Conv2DOptions{Padding: pad, StrideW: stride, StrideH: stride, DilationW: 1, DilationH: 1, Activation: act})
			return y
		}
	}
	fc := func(distinct, asym bool) func(*tflitebuild.Builder, *rand.Rand, int) int {
		return func(b *tflitebuild.Builder, r *rand.Rand, x int) int {
			w := b.Const("w", []int{7, 12}, channelQuant(r, 7, 0, distinct), randInt8s(r, 7*12))
			bias := b.Const("b", []int{7}, nil, randFloats(r, 7, 0.5))
			y := b.Tensor("y", tensor.Float32, []int{3, 7}, nil, nil)
			b.Op("FULLY_CONNECTED", []int{x, w, bias}, []int{y}, &op.FullyConnectedOptions{AsymmetricQuantizeInputs: asym})
			return y
		}
	}
	bmm := func(rshape []int, asym, adjX, adjY bool) func(*tflitebuild.Builder, *rand.Rand, int) int {
		return func(b *tflitebuild.Builder, r *rand.Rand, x int) int {
			n := tensor.Shape(rshape).Elements()
			w := b.Const("w", rshape, &tensor.Quant{Scale: []float32{0.004}, ZeroPoint: []int64{0}}, randInt8s(r, n))
			y := b.Tensor("y", tensor.Float32, []int{2, 3, 5}, nil, nil)
			b.Op("BATCH_MATMUL", []int{x, w}, []int{y}, &op.BatchMatMulOptions{AdjX: adjX, AdjY: adjY, AsymmetricQuantizeInputs: asym})
			return y
		}
	}
	return []hybridModel{
		{"conv_per_channel_same", 1, []int{2, 7, 7, 5}, conv(true, 1, op.PaddingSame, op.ActNone)},
		{"conv_per_channel_s2_relu6", 2, []int{2, 7, 7, 5}, conv(true, 2, op.PaddingSame, op.ActRelu6)},
		{"conv_per_tensor_valid", 3, []int{2, 7, 7, 5}, conv(false, 1, op.PaddingValid, op.ActRelu)},
		{"fc_per_tensor", 4, []int{3, 12}, fc(false, false)},
		{"fc_per_tensor_asym", 5, []int{3, 12}, fc(false, true)},
		{"depthwise_per_channel", 7, []int{2, 7, 7, 5}, func(b *tflitebuild.Builder, r *rand.Rand, x int) int {
			w := b.Const("w", []int{1, 3, 3, 10}, channelQuant(r, 10, 3, true), randInt8s(r, 9*10))
			bias := b.Const("b", []int{10}, nil, randFloats(r, 10, 0.5))
			y := b.Tensor("y", tensor.Float32, []int{2, 7, 7, 10}, nil, nil)
			b.Op("DEPTHWISE_CONV_2D", []int{x, w, bias}, []int{y}, &op.DepthwiseConv2DOptions{Padding: op.PaddingSame, StrideW: 1, StrideH: 1, DepthMultiplier: 2, DilationW: 1, DilationH: 1})
			return y
		}},
		{"batchmatmul_per_tensor", 7, []int{2, 3, 12}, bmm([]int{12, 5}, false, false, false)},
		{"batchmatmul_asym_adj_broadcast", 8, []int{1, 12, 3}, bmm([]int{2, 5, 12}, true, true, true)},
	}
}

// TestHybridGolden runs tiny hybrid models (float activations, int8
// weights) and compares with TensorFlow Lite's builtin kernels (no
// XNNPACK), whose outputs are in testdata/hybrid (see its README). Hybrid
// arithmetic is float after an integer dot product, so the comparison
// allows a few float32 ulps of the output range.
func TestHybridGolden(t *testing.T) {
	dir := filepath.Join("testdata", "hybrid")
	for _, hm := range hybridModels() {
		t.Run(hm.name, func(t *testing.T) {
			if *writeHybrid {
				r := rand.New(rand.NewPCG(hm.seed, 99))
				b := tflitebuild.New()
				x := b.Tensor("x", tensor.Float32, hm.in, nil, nil)
				y := hm.build(b, r, x)
				b.Inputs(x)
				b.Outputs(y)
				data, err := b.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Join(dir, hm.name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, hm.name, "model.tflite"), data, 0o644); err != nil {
					t.Fatal(err)
				}
				n := tensor.Shape(hm.in).Elements()
				in := &tensor.Tensor{DType: tensor.Float32, Shape: hm.in, Data: f32Bytes(randFloats(r, n, 3))}
				var buf bytes.Buffer
				if err := tensor.WriteNpy(&buf, in); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, hm.name, "in0.npy"), buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m, err := tflite.LoadFile(filepath.Join(dir, hm.name, "model.tflite"))
			if err != nil {
				t.Fatal(err)
			}
			in := readNpyFile(t, filepath.Join(dir, hm.name, "in0.npy"))
			want := readNpyFile(t, filepath.Join(dir, hm.name, "expect0.npy"))
			out, err := m.NewRunner().Run(t.Context(), []*tensor.Tensor{in})
			if err != nil {
				t.Fatal(err)
			}
			got, w := out[0].Float32s(), want.Float32s()
			if len(got) != len(w) {
				t.Fatalf("%d outputs, want %d", len(got), len(w))
			}
			lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
			for _, v := range w {
				lo, hi = min(lo, v), max(hi, v)
			}
			tol := (hi - lo) * 1e-6
			for j := range got {
				if d := got[j] - w[j]; d > tol || d < -tol {
					t.Fatalf("[%d] = %v, TensorFlow Lite %v (tolerance %v)", j, got[j], w[j], tol)
				}
			}
		})
	}
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func readNpyFile(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := tensor.ReadNpy(f)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
