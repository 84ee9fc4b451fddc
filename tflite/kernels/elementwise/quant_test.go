package elementwise

import (
	"math"
	"math/rand/v2"
	"testing"
)

func deq(q int32, s float32, z int32) float64 { return float64(s) * float64(q-z) }

// within checks that got is within tol quanta of the real value want
// (quantized with s, z and clamped to [lo, hi]).
func within(t *testing.T, name string, got int32, want float64, s float32, z, lo, hi int32, tol float64) {
	t.Helper()
	ideal := math.Max(float64(lo), math.Min(float64(hi), want/float64(s)+float64(z)))
	if math.Abs(float64(got)-ideal) > tol {
		t.Fatalf("%s: got %d, ideal %.3f (real %g)", name, got, ideal, want)
	}
}

func TestAddSubMulInt8Properties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		s1 := float32(0.001 + r.Float64()*0.1)
		s2 := float32(0.001 + r.Float64()*0.1)
		so := float32(0.002 + r.Float64()*0.2)
		z1, z2, zo := int32(r.IntN(256)-128), int32(r.IntN(256)-128), int32(r.IntN(256)-128)
		x, y := int32(r.IntN(256)-128), int32(r.IntN(256)-128)
		for _, sub := range []bool{false, true} {
			p, err := NewAddSub(sub, s1, s2, so, z1, z2, zo, false, -128, 127)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]int8, 1)
			AddSubRow[int8](p)([]int8{int8(x)}, []int8{int8(y)}, out)
			want := deq(x, s1, z1) + deq(y, s2, z2)
			if sub {
				want = deq(x, s1, z1) - deq(y, s2, z2)
			}
			within(t, "addsub", int32(out[0]), want, so, zo, -128, 127, 1)
		}
		m, err := NewMul(s1, s2, so, z1, z2, zo, -128, 127)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int8, 1)
		MulRow[int8](m)([]int8{int8(x)}, []int8{int8(y)}, out)
		within(t, "mul", int32(out[0]), deq(x, s1, z1)*deq(y, s2, z2), so, zo, -128, 127, 1)
		if y != z2 {
			d, err := NewDiv(s1, s2, so, z1, z2, zo, -128, 127)
			if err != nil {
				t.Fatal(err)
			}
			DivRow[int8](d)([]int8{int8(x)}, []int8{int8(y)}, out)
			within(t, "div", int32(out[0]), deq(x, s1, z1)/deq(y, s2, z2), so, zo, -128, 127, 1)
		}
		sd, err := NewSquaredDiff(s1, s2, so, z1, z2, zo, false, -128, 127)
		if err != nil {
			t.Fatal(err)
		}
		SquaredDiffRow[int8](sd)([]int8{int8(x)}, []int8{int8(y)}, out)
		dd := deq(x, s1, z1) - deq(y, s2, z2)
		within(t, "sqdiff", int32(out[0]), dd*dd, so, zo, -128, 127, 1.5)
		_ = iter
	}
}

func TestAddInt16EdgeValues(t *testing.T) {
	p, err := NewAddSub(false, 1.0/4096, 1.0/4096, 1.0/2048, 0, 0, 0, true, math.MinInt16, math.MaxInt16)
	if err != nil {
		t.Fatal(err)
	}
	a := []int16{math.MinInt16, math.MaxInt16, 0, 100, -101}
	b := []int16{math.MinInt16, math.MaxInt16, 0, 100, -100}
	out := make([]int16, len(a))
	AddSubRow[int16](p)(a, b, out)
	want := []int16{math.MinInt16, math.MaxInt16, 0, 100, -100}
	for i := range want {
		if d := int(out[i]) - int(want[i]); d < -1 || d > 1 {
			t.Errorf("%d + %d = %d, want %d±1", a[i], b[i], out[i], want[i])
		}
	}
	pot := AddSubPOTRow(AddSubPOT{In1Right: 1, ActMin: math.MinInt16, ActMax: math.MaxInt16})
	pot([]int16{3, -3, math.MaxInt16}, []int16{10, 10, math.MaxInt16}, out[:3])
	if out[0] != 12 || out[1] != 8 || out[2] != math.MaxInt16 {
		t.Errorf("POT add: %v", out[:3])
	}
}

func TestAddSubRejectsTinyOutputScale(t *testing.T) {
	if _, err := NewAddSub(false, 1, 1, 1e-9, 0, 0, 0, false, -128, 127); err == nil {
		t.Fatal("want an error for an output multiplier >= 1")
	}
}

func TestQuantizeDequantizeRequantize(t *testing.T) {
	in := []float32{0, 0.5, -0.5, 0.25, 1000, -1000, float32(math.NaN()), float32(math.Inf(1))}
	q := make([]int8, len(in))
	QuantizeFloat(in, q, 0.5, -10)
	want := []int8{-10, -9, -11, -9, 127, -128, -10, 127} // 0.25/0.5 rounds half away from zero
	for i := range want {
		if q[i] != want[i] {
			t.Errorf("quantize %g = %d, want %d", in[i], q[i], want[i])
		}
	}
	f := make([]float32, 3)
	Dequantize([]int8{-10, 0, 127}, f, 0.5, -10)
	if f[0] != 0 || f[1] != 5 || f[2] != 68.5 {
		t.Errorf("dequantize = %v", f)
	}
	p, err := NewRequant(0.5, 0.25, 3, -2)
	if err != nil {
		t.Fatal(err)
	}
	o := make([]int16, 3)
	Requantize(p, []int8{3, 4, -128}, o)
	if o[0] != -2 || o[1] != 0 || o[2] != -264 {
		t.Errorf("requantize = %v", o)
	}
	flip, err := NewRequant(0.1, 0.1, 0, 128)
	if err != nil {
		t.Fatal(err)
	}
	u := make([]uint8, 2)
	Requantize(flip, []int8{-128, 127}, u)
	if u[0] != 0 || u[1] != 255 {
		t.Errorf("int8->uint8 flip = %v", u)
	}
	h := make([]float32, 2)
	DequantizeHalf([]uint16{0x3c00, 0xc000}, h)
	if h[0] != 1 || h[1] != -2 {
		t.Errorf("half = %v", h)
	}
}

func TestActivationsInt8(t *testing.T) {
	const si, so = float32(0.05), float32(0.04)
	const zi, zo = int32(-5), int32(3)
	all := make([]int8, 256)
	for i := range all {
		all[i] = int8(i - 128)
	}
	out := make([]int8, 256)
	for _, c := range []struct{ lo, hi float32 }{{0, float32(math.Inf(1))}, {0, 6}, {-1, 1}} {
		p, err := NewRelu(si, so, zi, zo, c.lo, c.hi, -128, 127)
		if err != nil {
			t.Fatal(err)
		}
		ReluQuant(p, all, out)
		for i, v := range all {
			x := math.Max(float64(c.lo), math.Min(float64(c.hi), deq(int32(v), si, zi)))
			within(t, "relu", int32(out[i]), x, so, zo, -128, 127, 1)
		}
	}
	lp, err := NewLeakyRelu(si, so, 0.2, zi, zo)
	if err != nil {
		t.Fatal(err)
	}
	LeakyReluQuant(lp, all, out)
	for i, v := range all {
		x := deq(int32(v), si, zi)
		if x < 0 {
			x *= float64(float32(0.2))
		}
		within(t, "leaky", int32(out[i]), x, so, zo, -128, 127, 1)
	}
	hp, err := NewHardSwish(si, so, zi, zo)
	if err != nil {
		t.Fatal(err)
	}
	HardSwishQuant(hp, all, out)
	for i, v := range all {
		x := deq(int32(v), si, zi)
		within(t, "hardswish", int32(out[i]), x*math.Min(6, math.Max(0, x+3))/6, so, zo, -128, 127, 1.5)
	}
	sp, err := NewSigmoidish(0.08, 2)
	if err != nil {
		t.Fatal(err)
	}
	LogisticInt8(sp, all, out)
	for i, v := range all {
		x := deq(int32(v), 0.08, 2)
		within(t, "logistic", int32(out[i]), 1/(1+math.Exp(-x)), 1.0/256, -128, -128, 127, 1)
	}
	TanhInt8(sp, all, out)
	for i, v := range all {
		within(t, "tanh", int32(out[i]), math.Tanh(deq(int32(v), 0.08, 2)), 1.0/128, 0, -128, 127, 1)
	}
	pp, err := NewPrelu(si, 0.01, so, zi, 0, zo)
	if err != nil {
		t.Fatal(err)
	}
	PreluRow[int8, int8](pp)(all, []int8{25}, out)
	for i, v := range all {
		x := deq(int32(v), si, zi)
		if x < 0 {
			x *= 0.25
		}
		within(t, "prelu", int32(out[i]), x, so, zo, -128, 127, 1)
	}
}

func TestSoftmax(t *testing.T) {
	in := []int8{-128, -20, 0, 5, 127, 127, 3, -1}
	const si = float32(0.1)
	p, err := NewSoftmaxInt8(1, si)
	if err != nil {
		t.Fatal(err)
	}
	for _, depth := range []int{4, 8} {
		ref := make([]float64, len(in))
		for r := 0; r < len(in); r += depth {
			var m, sum float64 = -1e9, 0
			for _, v := range in[r : r+depth] {
				m = math.Max(m, float64(v))
			}
			for c, v := range in[r : r+depth] {
				ref[r+c] = math.Exp(float64(si) * (float64(v) - m))
				sum += ref[r+c]
			}
			for c := range depth {
				ref[r+c] /= sum
			}
		}
		o8 := make([]int8, len(in))
		SoftmaxQuant8(p, in, o8, depth)
		o16 := make([]int16, len(in))
		SoftmaxQuant8(p, in, o16, depth)
		for i := range in {
			within(t, "softmax int8", int32(o8[i]), ref[i], 1.0/256, -128, -128, 127, 1)
			within(t, "softmax int8->int16", int32(o16[i]), ref[i], 1.0/65536, -32768, -32768, 32767, 4)
		}
		f := make([]float32, len(in))
		fin := make([]float32, len(in))
		for i, v := range in {
			fin[i] = float32(v) * si
		}
		SoftmaxFloat(fin, f, depth, 1)
		for i := range f {
			if math.Abs(float64(f[i])-ref[i]) > 1e-5 {
				t.Fatalf("float softmax[%d] = %g, want %g", i, f[i], ref[i])
			}
		}
	}
	const s16 = float32(10.0 / 32768)
	p16, err := NewSoftmaxInt16(1, s16)
	if err != nil {
		t.Fatal(err)
	}
	in16 := []int16{-32768, -1000, 0, 1000, 32767, 30000}
	o := make([]int16, len(in16))
	SoftmaxQuant16(p16, in16, o, len(in16))
	var sum float64
	ref := make([]float64, len(in16))
	for i, v := range in16 {
		ref[i] = math.Exp(float64(s16) * (float64(v) - 32767))
		sum += ref[i]
	}
	for i := range in16 {
		within(t, "softmax int16", int32(o[i]), ref[i]/sum, 1.0/32768, 0, 0, 32767, 40)
	}
}

func TestFixedPoint(t *testing.T) {
	for _, x := range []float64{-7.9, -3, -0.5, -0.01, 0, 0.01, 0.7, 2, 7.9} {
		raw := int32(x * (1 << 27)) // Q4.27
		if got := float64(fixedLogistic(raw, 4)) / (1 << 31); math.Abs(got-1/(1+math.Exp(-x))) > 1e-6 {
			t.Errorf("logistic(%g) = %g", x, got)
		}
		if got := float64(fixedTanh(raw, 4)) / (1 << 31); math.Abs(got-math.Tanh(x)) > 1e-6 {
			t.Errorf("tanh(%g) = %g", x, got)
		}
		if x <= 0 {
			if got := float64(expNeg(raw, 4)) / (1 << 31); math.Abs(got-math.Exp(x)) > 1e-6 {
				t.Errorf("exp(%g) = %g", x, got)
			}
		}
	}
	for _, v := range []int32{1, 3, 1000, 1 << 20, math.MaxInt32} {
		inv, nb := reciprocal(v, 31)
		got := float64(inv) / (1 << 31) * math.Ldexp(1, -nb)
		if math.Abs(got*float64(v)-1) > 1e-6 {
			t.Errorf("reciprocal(%d) = %g", v, got)
		}
	}
}

// TestSoftmaxTable checks SoftmaxQuant8's tabulated exponentials against
// its per-element computation (the parameters without their table), for
// int8 and uint8 inputs, int8, uint8 and int16 outputs, input scales and
// betas from tiny (most differences below DiffMin) to large, rows of
// equal values and of extremes, rows shorter and longer than 256.
func TestSoftmaxTable(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	ran := 0
	for i := range 200 {
		si := float32(math.Exp(-6 + 7*r.Float64()))
		beta := []float32{1, 0.5, 2, float32(r.Float64() * 3)}[i%4]
		p, err := NewSoftmaxInt8(beta, si)
		if err != nil {
			continue
		}
		plain := p
		plain.tab = nil
		depth := 1 + r.IntN(40)
		if i%3 == 0 { // rows longer than 256: the per-row output table
			depth = 250 + r.IntN(900)
		}
		n := depth * (1 + r.IntN(4))
		in8, inU := make([]int8, n), make([]uint8, n)
		for j := range in8 {
			switch i % 5 {
			case 0:
				in8[j] = 7
			case 1:
				in8[j] = []int8{-128, 127}[r.IntN(2)]
			default:
				in8[j] = int8(r.IntN(256) - 128)
			}
			inU[j] = uint8(in8[j]) ^ 0x80
		}
		check := func(what string, got, want []int32) {
			t.Helper()
			for j := range got {
				if got[j] != want[j] {
					t.Fatalf("case %d (%s, si %g beta %g depth %d): out[%d] = %d, per element %d", i, what, si, beta, depth, j, got[j], want[j])
				}
			}
		}
		widen := func(v any) []int32 {
			var o []int32
			switch s := v.(type) {
			case []int8:
				for _, x := range s {
					o = append(o, int32(x))
				}
			case []uint8:
				for _, x := range s {
					o = append(o, int32(x))
				}
			case []int16:
				for _, x := range s {
					o = append(o, int32(x))
				}
			}
			return o
		}
		a8, b8 := make([]int8, n), make([]int8, n)
		SoftmaxQuant8(p, in8, a8, depth)
		SoftmaxQuant8(plain, in8, b8, depth)
		check("int8->int8", widen(a8), widen(b8))
		a16, b16 := make([]int16, n), make([]int16, n)
		SoftmaxQuant8(p, in8, a16, depth)
		SoftmaxQuant8(plain, in8, b16, depth)
		check("int8->int16", widen(a16), widen(b16))
		aU, bU := make([]uint8, n), make([]uint8, n)
		SoftmaxQuant8(p, inU, aU, depth)
		SoftmaxQuant8(plain, inU, bU, depth)
		check("uint8->uint8", widen(aU), widen(bU))
		ran++
	}
	if ran < 100 {
		t.Fatalf("only %d parameter sets accepted", ran)
	}
}
