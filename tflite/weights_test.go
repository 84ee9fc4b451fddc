package tflite

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

func f32bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// sparseModel builds w (sparse float32 of the given dense shape) → DENSIFY
// → ADD with an input x of the same shape → y, so that y − x is w.
func sparseModel(t *testing.T, shape []int, sp tflitebuild.Sparsity, values []float32) []byte {
	t.Helper()
	b := tflitebuild.New()
	w := b.SparseTensor("w", tensor.Float32, shape, sp, f32bytes(values))
	d := b.Tensor("dense", tensor.Float32, shape, nil, nil)
	b.Op("DENSIFY", []int{w}, []int{d}, nil)
	x := b.Tensor("x", tensor.Float32, shape, nil, nil)
	y := b.Tensor("y", tensor.Float32, shape, nil, nil)
	b.Op("ADD", []int{x, d}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDensify decodes the sparse layouts TensorFlow Lite documents (CSR
// over rows, a sparse outer dimension, 2x2 blocks, 8-bit and 16-bit index
// vectors) and compares with the dense matrices written out by hand.
func TestDensify(t *testing.T) {
	dense := func(n int) tflitebuild.DimMeta { return tflitebuild.DimMeta{DenseSize: n} }
	csr := func(seg, idx []int, size int) tflitebuild.DimMeta {
		return tflitebuild.DimMeta{Sparse: true, Segments: seg, Indices: idx, IndexBytes: size}
	}
	tests := []struct {
		name   string
		shape  []int
		sp     tflitebuild.Sparsity
		values []float32
		want   []float32
	}{
		{
			name:  "csr rows",
			shape: []int{3, 4},
			sp: tflitebuild.Sparsity{TraversalOrder: []int{0, 1},
				Dims: []tflitebuild.DimMeta{dense(3), csr([]int{0, 2, 2, 3}, []int{0, 3, 1}, 4)}},
			values: []float32{1, 2, 3},
			want:   []float32{1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0},
		},
		{
			name:  "sparse outer dimension, uint8 indices",
			shape: []int{4, 2},
			sp: tflitebuild.Sparsity{TraversalOrder: []int{0, 1},
				Dims: []tflitebuild.DimMeta{csr([]int{0, 2}, []int{1, 3}, 1), dense(2)}},
			values: []float32{5, 6, 7, 8},
			want:   []float32{0, 0, 5, 6, 0, 0, 7, 8},
		},
		{
			name:  "column major traversal, uint16 indices",
			shape: []int{2, 3},
			sp: tflitebuild.Sparsity{TraversalOrder: []int{1, 0},
				Dims: []tflitebuild.DimMeta{dense(3), csr([]int{0, 1, 1, 3}, []int{1, 0, 1}, 2)}},
			values: []float32{1, 2, 3},
			want:   []float32{0, 0, 2, 1, 0, 3},
		},
		{
			name:  "2x2 blocks",
			shape: []int{4, 4},
			sp: tflitebuild.Sparsity{TraversalOrder: []int{0, 1, 2, 3}, BlockMap: []int{0, 1},
				Dims: []tflitebuild.DimMeta{dense(2), csr([]int{0, 1, 2}, []int{1, 0}, 4), dense(2), dense(2)}},
			values: []float32{1, 2, 3, 4, 5, 6, 7, 8},
			want: []float32{
				0, 0, 1, 2,
				0, 0, 3, 4,
				5, 6, 0, 0,
				7, 8, 0, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(sparseModel(t, tc.shape, tc.sp, tc.values))
			if err != nil {
				t.Fatal(err)
			}
			if m.plan.steps[0].kernel.Eval == nil || !m.plan.steps[0].folded {
				t.Fatal("DENSIFY of a constant was not folded")
			}
			r := m.NewRunner()
			out, err := r.Run(t.Context(), []*tensor.Tensor{{DType: tensor.Float32, Shape: tc.shape, Data: make([]byte, 4*len(tc.want))}})
			if err != nil {
				t.Fatal(err)
			}
			if got := out[0].Float32s(); !slices.Equal(got, tc.want) {
				t.Fatalf("dense = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDensifyRejects feeds malformed sparsity metadata: each must fail to
// load as an invalid model, never panic.
func TestDensifyRejects(t *testing.T) {
	dense := func(n int) tflitebuild.DimMeta { return tflitebuild.DimMeta{DenseSize: n} }
	csr := func(seg, idx []int) tflitebuild.DimMeta {
		return tflitebuild.DimMeta{Sparse: true, Segments: seg, Indices: idx}
	}
	good := func() tflitebuild.Sparsity {
		return tflitebuild.Sparsity{TraversalOrder: []int{0, 1}, Dims: []tflitebuild.DimMeta{dense(3), csr([]int{0, 2, 2, 3}, []int{0, 3, 1})}}
	}
	tests := []struct {
		name   string
		edit   func(*tflitebuild.Sparsity)
		values int
	}{
		{"too few values", func(*tflitebuild.Sparsity) {}, 2},
		{"too many values", func(*tflitebuild.Sparsity) {}, 4},
		{"index out of range", func(s *tflitebuild.Sparsity) { s.Dims[1].Indices[1] = 4 }, 3},
		{"negative index", func(s *tflitebuild.Sparsity) { s.Dims[1].Indices[0] = -1 }, 3},
		{"indices out of order", func(s *tflitebuild.Sparsity) { s.Dims[1].Indices[0], s.Dims[1].Indices[1] = 3, 0 }, 3},
		{"segments decrease", func(s *tflitebuild.Sparsity) { s.Dims[1].Segments = []int{0, 2, 1, 3} }, 3},
		{"segments past the indices", func(s *tflitebuild.Sparsity) { s.Dims[1].Segments = []int{0, 2, 2, 9} }, 3},
		{"too few segments", func(s *tflitebuild.Sparsity) { s.Dims[1].Segments = []int{0, 3} }, 3},
		{"no segments", func(s *tflitebuild.Sparsity) { s.Dims[1].Segments = nil }, 3},
		{"dense size wrong", func(s *tflitebuild.Sparsity) { s.Dims[0].DenseSize = 4 }, 3},
		{"traversal not a permutation", func(s *tflitebuild.Sparsity) { s.TraversalOrder = []int{0, 0} }, 3},
		{"traversal out of range", func(s *tflitebuild.Sparsity) { s.TraversalOrder = []int{0, 7} }, 3},
		{"levels missing", func(s *tflitebuild.Sparsity) { s.Dims = s.Dims[:1] }, 3},
		{"block of a missing dimension", func(s *tflitebuild.Sparsity) {
			s.TraversalOrder, s.BlockMap = []int{0, 1, 2}, []int{5}
			s.Dims = append(s.Dims, dense(2))
		}, 3},
		{"block not dividing", func(s *tflitebuild.Sparsity) {
			s.TraversalOrder, s.BlockMap = []int{0, 1, 2}, []int{1}
			s.Dims = append(s.Dims, dense(3))
		}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := good()
			sp.Dims = slices.Clone(sp.Dims)
			sp.Dims[1].Indices = slices.Clone(sp.Dims[1].Indices)
			tc.edit(&sp)
			_, err := Load(sparseModel(t, []int{3, 4}, sp, make([]float32, tc.values)))
			if !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("Load = %v, want ErrInvalidModel", err)
			}
		})
	}
}

// TestFoldDequantizeFloat16 checks that a DEQUANTIZE of float16 weights
// becomes a float32 constant at load (values exact in both types) and that
// the convolution behind it runs on that constant.
func TestFoldDequantizeFloat16(t *testing.T) {
	half := []uint16{0x3800, 0xBD00, 0x4000, 0x3400, 0x3C00, 0xB800} // 0.5 -1.25 2 0.25 1 -0.5
	want := []float32{0.5, -1.25, 2, 0.25, 1, -0.5}
	raw := make([]byte, 0, 2*len(half))
	for _, h := range half {
		raw = binary.LittleEndian.AppendUint16(raw, h)
	}
	b := tflitebuild.New()
	w16 := b.Tensor("w16", tensor.Float16, []int{2, 1, 1, 3}, nil, raw)
	w := b.Tensor("w", tensor.Float32, []int{2, 1, 1, 3}, nil, nil)
	b.Op("DEQUANTIZE", []int{w16}, []int{w}, nil)
	x := b.Tensor("x", tensor.Float32, []int{1, 1, 1, 3}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{1, 1, 1, 2}, nil, nil)
	b.Op("CONV_2D", []int{x, w}, []int{y}, &op.Conv2DOptions{Padding: op.PaddingValid, StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1})
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if !m.plan.steps[0].folded {
		t.Fatal("DEQUANTIZE of a float16 constant was not folded")
	}
	if got := m.plan.infos[w].ConstTensor().Float32s(); !slices.Equal(got, want) {
		t.Fatalf("folded weights %v, want %v", got, want)
	}
	out, err := m.NewRunner().Run(t.Context(), []*tensor.Tensor{{DType: tensor.Float32, Shape: tensor.Shape{1, 1, 1, 3}, Data: f32bytes([]float32{1, 2, 4})}})
	if err != nil {
		t.Fatal(err)
	}
	// 0.5·1 − 1.25·2 + 2·4 = 6; 0.25·1 + 1·2 − 0.5·4 = 0.25.
	if got := out[0].Float32s(); !slices.Equal(got, []float32{6, 0.25}) {
		t.Fatalf("y = %v, want [6 0.25]", got)
	}
}

// TestFuseActivations builds float CONV_2D → RELU → ADD → RELU6 and
// DEPTHWISE_CONV_2D → RELU_N1_TO_1 chains: with fusion the RELUs do
// nothing and the outputs are byte-identical to running them; a RELU whose
// input has a second reader stays.
func TestFuseActivations(t *testing.T) {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{1, 4, 4, 16}, nil, nil)
	wv := make([]float32, 16*16)
	for i := range wv {
		wv[i] = float32(i%7)*0.3 - 0.9
	}
	w := b.Const("w", []int{16, 1, 1, 16}, nil, wv)
	dw := b.Const("dw", []int{1, 3, 3, 16}, nil, wv[:9*16])
	c1 := b.Tensor("c1", tensor.Float32, []int{1, 4, 4, 16}, nil, nil)
	b.Op("CONV_2D", []int{x, w}, []int{c1}, &op.Conv2DOptions{Padding: op.PaddingSame, StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1})
	r1 := b.Tensor("r1", tensor.Float32, []int{1, 4, 4, 16}, nil, nil)
	b.Op("RELU", []int{c1}, []int{r1}, nil)
	a := b.Tensor("a", tensor.Float32, []int{1, 4, 4, 16}, nil, nil)
	b.Op("ADD", []int{r1, x}, []int{a}, nil)
	r2 := b.Tensor("r2", tensor.Float32, []int{1, 4, 4, 16}, nil, nil)
	b.Op("RELU6", []int{a}, []int{r2}, nil)
	d := b.Tensor("d", tensor.Float32, []int{1, 4, 4, 16}, nil, nil)
	b.Op("DEPTHWISE_CONV_2D", []int{r2, dw}, []int{d}, &op.DepthwiseConv2DOptions{Padding: op.PaddingSame, StrideW: 1, StrideH: 1, DepthMultiplier: 1, DilationW: 1, DilationH: 1})
	r3 := b.Tensor("r3", tensor.Float32, []int{1, 4, 4, 16}, nil, nil)
	b.Op("RELU_N1_TO_1", []int{d}, []int{r3}, nil)
	r4 := b.Tensor("r4", tensor.Float32, []int{1, 4, 4, 16}, nil, nil)
	b.Op("RELU", []int{a}, []int{r4}, nil) // a has two readers: stays
	b.Inputs(x)
	b.Outputs(r3, r4)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	fused, plain := sameOutputs(t, data)
	var got, none []int
	for i, s := range fused.plan.steps {
		if s.folded {
			got = append(got, i)
		}
		if plain.plan.steps[i].folded {
			none = append(none, i)
		}
	}
	if !slices.Equal(got, []int{1, 5}) || len(none) != 0 {
		t.Fatalf("folded steps %v (want [1 5]), without fusion %v", got, none)
	}
}

// TestAcceleratorCompiled loads models holding an Edge TPU or Ethos-U
// compiled operator: the error names the accelerator.
func TestAcceleratorCompiled(t *testing.T) {
	for code, want := range map[string]string{"edgetpu-custom-op": "Edge TPU", "ethos-u": "Ethos-U"} {
		b := tflitebuild.New()
		x := b.Tensor("x", tensor.Uint8, []int{1, 8}, &tensor.Quant{Scale: []float32{1}, ZeroPoint: []int64{0}}, nil)
		y := b.Tensor("y", tensor.Uint8, []int{1, 8}, &tensor.Quant{Scale: []float32{1}, ZeroPoint: []int64{0}}, nil)
		b.CustomOp(code, []int{x}, []int{y}, []byte{1, 2, 3})
		b.Inputs(x)
		b.Outputs(y)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		_, err = Load(data)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "compiled for") {
			t.Errorf("%s: Load = %v, want an unsupported error naming %s", code, err, want)
		}
	}
}
