package conv

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

func TestPoolInt8(t *testing.T) {
	// 1x3x3x1 input, 2x2 window, stride 2, SAME: windows clipped at the
	// border, averages rounded half away from zero.
	x := []int8{-3, -2, 7, 4, -5, 1, 9, 8, -1}
	tests := []struct {
		name string
		op   string
		want []int8
	}{
		{"average", "AVERAGE_POOL_2D", []int8{-2, 4, 9, -1}},
		{"max", "MAX_POOL_2D", []int8{4, 7, 9, -1}},
	}
	// (-3-2+4-5)/4 = -1.5 → -2; (7+1)/2 = 4; (9+8)/2 = 8.5 → 9; -1.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &op.Node{Op: tc.op, Options: &op.Pool2DOptions{Padding: op.PaddingSame, StrideH: 2, StrideW: 2, FilterHeight: 2, FilterWidth: 2},
				Inputs:  []*op.TensorInfo{info(tensor.Int8, tensor.Shape{1, 3, 3, 1}, pq(0.5, 0), nil)},
				Outputs: []*op.TensorInfo{info(tensor.Int8, nil, pq(0.5, 0), nil)}}
			got := run(t, n, bytesOf(x)).Int8s()
			if firstDiffT(got, tc.want) >= 0 {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func firstDiffT[T comparable](a, b []T) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func TestBatchMatMulFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	tests := []struct {
		name       string
		lhs, rhs   tensor.Shape
		adjX, adjY bool
		want       tensor.Shape
	}{
		{"plain", tensor.Shape{2, 3}, tensor.Shape{3, 4}, false, false, tensor.Shape{2, 4}},
		{"broadcast lhs", tensor.Shape{2, 1, 2, 3}, tensor.Shape{3, 3, 5}, false, false, tensor.Shape{2, 3, 2, 5}},
		{"adj both", tensor.Shape{2, 3, 2}, tensor.Shape{2, 4, 3}, true, true, tensor.Shape{2, 2, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := randF32(r, tc.lhs.Elements()), randF32(r, tc.rhs.Elements())
			n := &op.Node{Op: "BATCH_MATMUL", Options: &op.BatchMatMulOptions{AdjX: tc.adjX, AdjY: tc.adjY},
				Inputs:  []*op.TensorInfo{info(tensor.Float32, tc.lhs, nil, nil), info(tensor.Float32, tc.rhs, nil, nil)},
				Outputs: []*op.TensorInfo{info(tensor.Float32, nil, nil, nil)}}
			out := run(t, n, bytesOf(a), bytesOf(b))
			if !out.Shape.Equal(tc.want) {
				t.Fatalf("shape %s, want %s", out.Shape, tc.want)
			}
			// Naive: index every operand through its own (broadcast) shape.
			rank := len(tc.want)
			m, nn := tc.want[rank-2], tc.want[rank-1]
			k := tc.lhs[len(tc.lhs)-1]
			if tc.adjX {
				k = tc.lhs[len(tc.lhs)-2]
			}
			at := func(s tensor.Shape, data []float32, idx []int, i, j int) float32 {
				off := 0
				for d := 0; d < len(s)-2; d++ {
					v := idx[rank-len(s)+d]
					if s[d] == 1 {
						v = 0
					}
					off = off*s[d] + v
				}
				return data[(off*s[len(s)-2]+i)*s[len(s)-1]+j]
			}
			got := out.Float32s()
			idx := make([]int, rank)
			for p := 0; p < len(got); p++ {
				rem := p
				for d := rank - 1; d >= 0; d-- {
					idx[d] = rem % tc.want[d]
					rem /= tc.want[d]
				}
				i, j := idx[rank-2], idx[rank-1]
				var s float64
				for kk := 0; kk < k; kk++ {
					x := at(tc.lhs, a, idx, i, kk)
					if tc.adjX {
						x = at(tc.lhs, a, idx, kk, i)
					}
					y := at(tc.rhs, b, idx, kk, j)
					if tc.adjY {
						y = at(tc.rhs, b, idx, j, kk)
					}
					s += float64(x) * float64(y)
				}
				if math.Abs(float64(got[p])-s) > 1e-4 {
					t.Fatalf("out[%d] (m %d n %d) = %v, want %v", p, m, nn, got[p], s)
				}
			}
		})
	}
}

func TestFullyConnectedKeepNumDims(t *testing.T) {
	w := []float32{1, 2, 3, 4, 5, 6}
	for _, keep := range []bool{false, true} {
		n := &op.Node{Op: "FULLY_CONNECTED", Options: &op.FullyConnectedOptions{KeepNumDims: keep},
			Inputs:  []*op.TensorInfo{info(tensor.Float32, tensor.Shape{2, 2, 3}, nil, nil), info(tensor.Float32, tensor.Shape{2, 3}, nil, bytesOf(w))},
			Outputs: []*op.TensorInfo{info(tensor.Float32, nil, nil, nil)}}
		out := run(t, n, bytesOf([]float32{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}))
		want := tensor.Shape{4, 2}
		if keep {
			want = tensor.Shape{2, 2, 2}
		}
		if !out.Shape.Equal(want) {
			t.Fatalf("keep %v: shape %s, want %s", keep, out.Shape, want)
		}
		if got, exp := out.Float32s(), []float32{1, 4, 2, 5, 3, 6, 6, 15}; firstDiffT(got, exp) >= 0 {
			t.Fatalf("got %v, want %v", got, exp)
		}
	}
}
