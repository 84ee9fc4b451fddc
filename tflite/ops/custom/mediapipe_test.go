package custom_test

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// rawOpts encodes a raw C options struct of int32 fields.
func rawOpts(v ...int32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}

func f32(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// runOne builds a one-operator float model and runs it.
func runOne(t *testing.T, code string, opts []byte, ins [][]float32, inShapes [][]int, consts map[int][]float32, outShapes [][]int) ([]*tensor.Tensor, error) {
	t.Helper()
	b := tflitebuild.New()
	var idx, graphIn []int
	var feed []*tensor.Tensor
	for i, s := range inShapes {
		if c, ok := consts[i]; ok {
			idx = append(idx, b.Const("c", s, nil, c))
			continue
		}
		x := b.Tensor("x", tensor.Float32, s, nil, nil)
		idx = append(idx, x)
		graphIn = append(graphIn, x)
		feed = append(feed, &tensor.Tensor{DType: tensor.Float32, Shape: s, Data: f32(ins[i])})
	}
	var outs []int
	for _, s := range outShapes {
		outs = append(outs, b.Tensor("y", tensor.Float32, s, nil, nil))
	}
	b.CustomOp(code, idx, outs, opts)
	b.Inputs(graphIn...)
	b.Outputs(outs...)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(data)
	if err != nil {
		return nil, err
	}
	return m.NewRunner().Run(t.Context(), feed)
}

// TestTransposeConvBias checks MediaPipe's Convolution2DTransposeBias on
// cases worked out by hand: a 2x2 stride-2 kernel (each input spreads
// over its own 2x2 block) and a 3x3 stride-2 SAME kernel whose windows
// overlap.
func TestTransposeConvBias(t *testing.T) {
	out, err := runOne(t, "Convolution2DTransposeBias", rawOpts(1, 2, 2),
		[][]float32{{1, 2, 3, 4}}, [][]int{{1, 2, 2, 1}, {1, 2, 2, 1}, {1}},
		map[int][]float32{1: {1, 10, 100, 1000}, 2: {0.5}}, [][]int{{1, 4, 4, 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{
		1.5, 10.5, 2.5, 20.5,
		100.5, 1000.5, 200.5, 2000.5,
		3.5, 30.5, 4.5, 40.5,
		300.5, 3000.5, 400.5, 4000.5,
	}
	if got := out[0].Float32s(); !slices.Equal(got, want) {
		t.Fatalf("2x2 stride 2: %v, want %v", got, want)
	}
	// 3x3, stride 2, SAME on a 2x2 input: padding total 1 (none before),
	// output 4x4; output (y, x) sums input (iy, ix) · w[y−2iy][x−2ix].
	w := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	out, err = runOne(t, "Convolution2DTransposeBias", rawOpts(1, 2, 2),
		[][]float32{{1, 10, 100, 1000}}, [][]int{{1, 2, 2, 1}, {1, 3, 3, 1}, {1}},
		map[int][]float32{1: w, 2: {0}}, [][]int{{1, 4, 4, 1}})
	if err != nil {
		t.Fatal(err)
	}
	want = []float32{
		1, 2, 3 + 10, 20,
		4, 5, 6 + 40, 50,
		7 + 100, 8 + 200, 9 + 70 + 300 + 1000, 80 + 2000,
		400, 500, 600 + 4000, 5000,
	}
	if got := out[0].Float32s(); !slices.Equal(got, want) {
		t.Fatalf("3x3 stride 2: %v, want %v", got, want)
	}
}

// TestTransposeConvBiasMACs: Model.MACs counts every input value times
// the O·KH·KW weights it meets (selfie_segmentation's head: 128·128·16 ·
// 1·2·2), as for TRANSPOSE_CONV.
func TestTransposeConvBiasMACs(t *testing.T) {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{1, 3, 5, 4}, nil, nil)
	w := b.Const("w", []int{6, 2, 2, 4}, nil, make([]float32, 6*2*2*4))
	bias := b.Const("b", []int{6}, nil, make([]float32, 6))
	y := b.Tensor("y", tensor.Float32, []int{1, 6, 10, 6}, nil, nil)
	b.CustomOp("Convolution2DTransposeBias", []int{x, w, bias}, []int{y}, rawOpts(2, 2, 2))
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.MACs(), int64(3*5*4*6*2*2); got != want {
		t.Fatalf("MACs = %d, want %d", got, want)
	}
}

// TestMaxPoolArgmaxUnpool pools a 4x4 two-channel input with 2x2 windows
// (maxima and window indices written out by hand, ties to the first) and
// unpools the result back.
func TestMaxPoolArgmaxUnpool(t *testing.T) {
	// Channel 0 then channel 1 per pixel.
	in := []float32{
		1, 0, 5, 0, 2, 0, 0, 0,
		3, 0, 4, 9, 0, 0, 7, 0,
		-1, 1, -2, 1, 0, -5, 0, -6,
		-3, 1, -4, 1, -7, -8, 0, -6,
	}
	out, err := runOne(t, "MaxPoolingWithArgmax2D", rawOpts(2, 2, 2, 2, 2, 0),
		[][]float32{in}, [][]int{{1, 4, 4, 2}}, nil, [][]int{{1, 2, 2, 2}, {1, 2, 2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	wantMax := []float32{5, 9, 7, 0, -1, 1, 0, -5}
	wantIdx := []float32{1.1, 3.1, 3.1, 0.1, 0.1, 0.1, 0.1, 0.1}
	if got := out[0].Float32s(); !slices.Equal(got, wantMax) {
		t.Fatalf("max = %v, want %v", got, wantMax)
	}
	if got := out[1].Float32s(); !slices.Equal(got, wantIdx) {
		t.Fatalf("indices = %v, want %v", got, wantIdx)
	}
	un, err := runOne(t, "MaxUnpooling2D", rawOpts(2, 2, 2, 2, 2, 0),
		[][]float32{wantMax, wantIdx}, [][]int{{1, 2, 2, 2}, {1, 2, 2, 2}}, nil, [][]int{{1, 4, 4, 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{
		0, 0, 5, 0, 0, 0, 0, 0,
		0, 0, 0, 9, 0, 0, 7, 0,
		-1, 1, 0, 0, 0, -5, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
	}
	if got := un[0].Float32s(); !slices.Equal(got, want) {
		t.Fatalf("unpooled = %v, want %v", got, want)
	}
	// Hostile indices (out of every window, NaN) write nothing.
	un, err = runOne(t, "MaxUnpooling2D", rawOpts(2, 2, 2, 2, 2, 0),
		[][]float32{{1, 2, 3, 4, 5, 6, 7, 8}, {-9, 1e9, float32(math.NaN()), 99, 1e30, -1e30, 3, 2.5}},
		[][]int{{1, 2, 2, 2}, {1, 2, 2, 2}}, nil, [][]int{{1, 4, 4, 2}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range un[0].Float32s() {
		if v != 0 {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("hostile indices wrote %d values, want 2: %v", n, un[0].Float32s())
	}
}

// TestTransposeConvBiasScatterOrder compares the operator with a direct
// transcription of MediaPipe's scattering loop on random geometries.
// With weights and bias fed as inputs the gathering kernel runs, and the
// float sums must be identical bit for bit; every other case has one
// output channel and up to 20 input channels, the shape of MediaPipe's
// segmentation heads, which take their own loop. With constant weights
// and bias (as in every MediaPipe model) the GEMM kernel runs, whose sums
// are reassociated: each output must be within 2·2^-24·(k+1)·Σ|terms| of
// the transcription for its k products and bias.
func TestTransposeConvBiasScatterOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 160 {
		h, w, ic, oc := 1+r.IntN(5), 1+r.IntN(5), 1+r.IntN(4), 1+r.IntN(4)
		if i%4 >= 2 {
			ic, oc = 1+r.IntN(20), 1
		}
		kh, kw, s := 1+r.IntN(4), 1+r.IntN(4), 1+r.IntN(3)
		pad := int32(1 + r.IntN(2))
		ph, pw := 0, 0
		if pad == 1 {
			ph, pw = max(0, kh-(h-1)%s-1), max(0, kw-(w-1)%s-1)
		}
		oh, ow := s*(h-1)+kh-ph, s*(w-1)+kw-pw
		x, f, bias := make([]float32, h*w*ic), make([]float32, oc*kh*kw*ic), make([]float32, oc)
		for _, v := range [][]float32{x, f, bias} {
			for i := range v {
				v[i] = r.Float32()*2 - 1
			}
		}
		constant := i%2 == 1
		var consts map[int][]float32
		if constant {
			consts = map[int][]float32{1: f, 2: bias}
		}
		out, err := runOne(t, "Convolution2DTransposeBias", rawOpts(pad, int32(s), int32(s)),
			[][]float32{x, f, bias}, [][]int{{1, h, w, ic}, {oc, kh, kw, ic}, {oc}},
			consts, [][]int{{1, oh, ow, oc}})
		if err != nil {
			t.Fatal(err)
		}
		scatter := func(x, f, bias []float32, abs bool) []float32 {
			a := func(v float32) float32 {
				if abs {
					return float32(math.Abs(float64(v)))
				}
				return v
			}
			want := make([]float32, oh*ow*oc)
			for p := 0; p < oh*ow; p++ {
				for o := range oc {
					want[p*oc+o] = a(bias[o])
				}
			}
			for iy := range h {
				for ix := range w {
					for c := range ic {
						for ky := range kh {
							for kx := range kw {
								for o := range oc {
									oy, ox := iy*s-ph/2+ky, ix*s-pw/2+kx
									if oy >= 0 && oy < oh && ox >= 0 && ox < ow {
										want[(oy*ow+ox)*oc+o] += a(x[(iy*w+ix)*ic+c]) * a(f[((o*kh+ky)*kw+kx)*ic+c])
									}
								}
							}
						}
					}
				}
			}
			return want
		}
		want, got := scatter(x, f, bias, false), out[0].Float32s()
		if !constant {
			if !slices.Equal(got, want) {
				t.Fatalf("%dx%dx%d k%dx%d s%d pad %d: %v, want %v", h, w, ic, kh, kw, s, pad, got, want)
			}
			continue
		}
		mag := scatter(x, f, bias, true)
		k := float64((kh+s-1)/s*((kw+s-1)/s)*ic + 1)
		for j := range want {
			tol := 2 * math.Ldexp(1, -24) * (k + 1) * float64(mag[j])
			if d := math.Abs(float64(got[j]) - float64(want[j])); !(d <= tol) {
				t.Fatalf("constant %dx%dx%d k%dx%d s%d pad %d [%d]: %v, want %v (diff %g > %g)", h, w, ic, kh, kw, s, pad, j, got[j], want[j], d, tol)
			}
		}
	}
}

// TestMediaPipeRejects: malformed options and shapes fail to load.
func TestMediaPipeRejects(t *testing.T) {
	tests := []struct {
		name   string
		code   string
		opts   []byte
		shapes [][]int
		out    [][]int
	}{
		{"short options", "MaxPoolingWithArgmax2D", rawOpts(2, 2, 2), [][]int{{1, 4, 4, 1}}, [][]int{{1, 2, 2, 1}, {1, 2, 2, 1}}},
		{"zero stride", "MaxPoolingWithArgmax2D", rawOpts(2, 0, 2, 2, 2, 0), [][]int{{1, 4, 4, 1}}, [][]int{{1, 2, 2, 1}, {1, 2, 2, 1}}},
		{"unknown padding", "MaxPoolingWithArgmax2D", rawOpts(0, 2, 2, 2, 2, 0), [][]int{{1, 4, 4, 1}}, [][]int{{1, 2, 2, 1}, {1, 2, 2, 1}}},
		{"window past input", "MaxPoolingWithArgmax2D", rawOpts(2, 1, 1, 9, 9, 0), [][]int{{1, 4, 4, 1}}, [][]int{{1, 1, 1, 1}, {1, 1, 1, 1}}},
		{"indices shape", "MaxUnpooling2D", rawOpts(2, 2, 2, 2, 2, 0), [][]int{{1, 2, 2, 1}, {1, 2, 3, 1}}, [][]int{{1, 4, 4, 1}}},
		{"bias length", "Convolution2DTransposeBias", rawOpts(1, 2, 2), [][]int{{1, 2, 2, 1}, {1, 2, 2, 1}, {2}}, [][]int{{1, 4, 4, 1}}},
		{"channels", "Convolution2DTransposeBias", rawOpts(1, 2, 2), [][]int{{1, 2, 2, 3}, {1, 2, 2, 1}, {1}}, [][]int{{1, 4, 4, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ins := make([][]float32, len(tc.shapes))
			for i, s := range tc.shapes {
				ins[i] = make([]float32, tensor.Shape(s).Elements())
			}
			_, err := runOne(t, tc.code, tc.opts, ins, tc.shapes, nil, tc.out)
			if !errors.Is(err, tflite.ErrInvalidModel) {
				t.Fatalf("err = %v, want ErrInvalidModel", err)
			}
		})
	}
}
