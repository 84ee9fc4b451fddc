package elementwise

import (
	"math"
	"testing"
)

// ulpDiff returns the number of float32 values between a and b (0 when
// equal, +0 and -0 one apart), or -1 if exactly one is NaN.
func ulpDiff(a, b float32) int64 {
	an, bn := a != a, b != b
	if an || bn {
		if an && bn {
			return 0
		}
		return -1
	}
	ord := func(f float32) int64 {
		u := math.Float32bits(f)
		if u&0x80000000 != 0 {
			return -int64(u&0x7fffffff) - 1
		}
		return int64(u)
	}
	d := ord(a) - ord(b)
	return max(d, -d)
}

// sigmoidInputs returns a sweep of float32 inputs: every 997th bit
// pattern of magnitude up to limit, both signs, and the special values.
func sigmoidInputs(limit float32) []float32 {
	xs := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		-9, 16.619047164916992188, -104, 104, 0.5 * math.Ln2, -0.5 * math.Ln2}
	for _, c := range []float32{-9, 16.619047164916992188, -104, 0.5 * math.Ln2, -0.5 * math.Ln2, 0.25 * math.Ln2, -0.25 * math.Ln2} {
		xs = append(xs, math.Nextafter32(c, float32(math.Inf(-1))), math.Nextafter32(c, float32(math.Inf(1))))
	}
	for u := uint32(0); u <= math.Float32bits(limit); u += 997 {
		f := math.Float32frombits(u)
		xs = append(xs, f, -f)
	}
	return xs
}

// checkUnary runs fast and ref on xs (and on every length 0..40 at an
// unaligned offset, for the vector tails) and fails if any output is more
// than bound units in the last place from the reference.
func checkUnary(t *testing.T, name string, fast, ref func(in, out []float32), xs []float32, bound int64) {
	t.Helper()
	got, want := make([]float32, len(xs)), make([]float32, len(xs))
	fast(xs, got)
	ref(xs, want)
	var worst int64
	for i := range xs {
		d := ulpDiff(got[i], want[i])
		if d < 0 || d > bound {
			t.Fatalf("%s(%v) = %v, reference %v (%d ulp > %d)", name, xs[i], got[i], want[i], d, bound)
		}
		worst = max(worst, d)
	}
	t.Logf("%s: %d inputs, worst %d ulp", name, len(xs), worst)
	for n := range 41 {
		in := xs[len(xs)/3+1:][:n]
		out := make([]float32, n+1)
		out[n] = 42
		fast(in, out[:n])
		if out[n] != 42 {
			t.Fatalf("%s of %d values wrote past the end", name, n)
		}
		w := make([]float32, n)
		ref(in, w)
		for i := range w {
			if d := ulpDiff(out[i], w[i]); d < 0 || d > bound {
				t.Fatalf("%s length %d [%d]: %v, reference %v", name, n, i, out[i], w[i])
			}
		}
	}
}

// TestLogisticFloatMatchesRef: LogisticFloat (the vector kernel where
// there is one) is within 2 ulp of LogisticFloatRef (float64 exp) over a
// sweep of ±120 and the special values (NaN stays NaN, ±Inf, ±0, the
// cutoffs and their neighbours, subnormal results).
func TestLogisticFloatMatchesRef(t *testing.T) {
	checkUnary(t, "logistic", LogisticFloat, LogisticFloatRef, sigmoidInputs(120), 2)
}

// TestTanhFloatMatchesRef: TanhFloat is within 4 ulp of TanhFloatRef
// (float64 math.Tanh) over a sweep of ±60 and the special values.
func TestTanhFloatMatchesRef(t *testing.T) {
	checkUnary(t, "tanh", TanhFloat, TanhFloatRef, sigmoidInputs(60), 4)
}

// BenchmarkLogisticFloat times LOGISTIC over selfie_segmentation's
// 256x256 mask, vector kernel against the float64 reference, with inputs
// in [-10, 10) and in [-100, -88) (subnormal results: no instruction may
// make one, or each costs a microcode assist).
func BenchmarkLogisticFloat(b *testing.B) {
	in, out := make([]float32, 256*256), make([]float32, 256*256)
	for _, r := range []struct {
		name     string
		lo, span float32
	}{{"normal", -10, 20}, {"subnormal", -100, 12}} {
		for i := range in {
			in[i] = r.lo + r.span*float32(i%1000)/1000
		}
		for _, f := range []struct {
			name string
			fn   func(in, out []float32)
		}{{"fast", LogisticFloat}, {"ref", LogisticFloatRef}, {"tanh", TanhFloat}, {"tanhref", TanhFloatRef}} {
			b.Run(r.name+"/"+f.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					f.fn(in, out)
				}
			})
		}
	}
}
