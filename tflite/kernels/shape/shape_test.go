package shape

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

func bytesOf(v []int32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
}

// naiveCopy walks every index of count and copies one element.
func naiveCopy(dst, src []int32, count, ss, ds []int, sb, db int) {
	idx := make([]int, len(count))
	total := 1
	for _, c := range count {
		total *= c
	}
	for f := 0; f < total; f++ {
		r := f
		for d := len(count) - 1; d >= 0; d-- {
			idx[d] = r % count[d]
			r /= count[d]
		}
		so, do := sb, db
		for d := range count {
			so += idx[d] * ss[d]
			do += idx[d] * ds[d]
		}
		dst[do] = src[so]
	}
}

func TestCopyPlanMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 800 {
		rank := rng.IntN(5) + 1
		count := make([]int, rank)
		for i := range count {
			count[i] = rng.IntN(4) + 1
			if iter%4 == 0 && rng.IntN(rank) == 0 {
				count[i] = 64 + rng.IntN(80) // long enough to become the inner loop
			}
		}
		// Source: a random permutation of a contiguous layout, possibly
		// reversed along some axes (negative strides); destination: padded.
		perm := rng.Perm(rank)
		shape := make([]int, rank)
		for i, p := range perm {
			shape[p] = count[i]
		}
		var st [MaxRank]int
		ContiguousStrides(shape, st[:])
		ss := make([]int, rank)
		sb := 0
		for i, p := range perm {
			ss[i] = st[p]
			if rng.IntN(3) == 0 {
				sb += (count[i] - 1) * ss[i]
				ss[i] = -ss[i]
			}
		}
		pad := make([]int, rank)
		for i := range pad {
			pad[i] = count[i] + rng.IntN(2)
		}
		var dt [MaxRank]int
		ContiguousStrides(pad, dt[:])
		n := 1
		for _, c := range pad {
			n *= c
		}
		srcN := 1
		for _, c := range count {
			srcN *= c
		}
		src := make([]int32, srcN)
		for i := range src {
			src[i] = int32(i + 1)
		}
		got := make([]int32, n)
		want := make([]int32, n)
		naiveCopy(want, src, count, ss, dt[:rank], sb, 0)
		p, ok := NewCopyPlan(count, ss, dt[:rank], sb, 0, 4)
		if !ok {
			t.Fatal("NewCopyPlan refused")
		}
		p.Run(bytesOf(got), bytesOf(src))
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("iter %d: count %v src strides %v: got %v want %v", iter, count, ss, got, want)
			}
		}
		if p.Elements() != srcN {
			t.Fatalf("Elements %d, want %d", p.Elements(), srcN)
		}
	}
}

func TestNewCopyPlanRejects(t *testing.T) {
	tests := []struct {
		name            string
		count, src, dst []int
		elem            int
	}{
		{name: "length mismatch", count: []int{1, 2}, src: []int{1}, dst: []int{1, 2}, elem: 4},
		{name: "too many dims", count: make([]int, MaxRank+1), src: make([]int, MaxRank+1), dst: make([]int, MaxRank+1), elem: 4},
		{name: "zero element size", count: []int{1}, src: []int{1}, dst: []int{1}, elem: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := NewCopyPlan(tc.count, tc.src, tc.dst, 0, 0, tc.elem); ok {
				t.Fatal("accepted")
			}
		})
	}
}

func TestReduceMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := range 300 {
		rank := rng.IntN(5) + 1
		shape := make([]int, rank)
		red := make([]bool, rank)
		n := 1
		for i := range shape {
			shape[i] = rng.IntN(4) + 1
			if iter%3 == 0 && rng.IntN(2) == 0 { // wide rows: the byte-sum path
				shape[i] = 8 + rng.IntN(40)
			}
			red[i] = rng.IntN(2) == 0
			n *= shape[i]
		}
		in := make([]int8, n)
		for i := range in {
			in[i] = int8(rng.IntN(256) - 128)
		}
		p, ok := NewReducePlan(shape, red)
		if !ok {
			t.Fatal("NewReducePlan refused")
		}
		// Naive: output index from the kept coordinates.
		want := make([]int32, p.Outputs())
		wmax := make([]int8, p.Outputs())
		for i := range wmax {
			wmax[i] = -128
		}
		idx := make([]int, rank)
		for f := range n {
			r := f
			for d := rank - 1; d >= 0; d-- {
				idx[d] = r % shape[d]
				r /= shape[d]
			}
			o := 0
			for d := range rank {
				if !red[d] {
					o = o*shape[d] + idx[d]
				}
			}
			want[o] += int32(in[f])
			wmax[o] = max(wmax[o], in[f])
		}
		got := make([]int32, p.Outputs())
		Reduce(&p, ReduceSum, in, got)
		gmax := make([]int8, p.Outputs())
		for i := range gmax {
			gmax[i] = -128
		}
		Reduce(&p, ReduceMax, in, gmax)
		for i := range got {
			if got[i] != want[i] || gmax[i] != wmax[i] {
				t.Fatalf("iter %d shape %v reduce %v: sum %v want %v, max %v want %v", iter, shape, red, got, want, gmax, wmax)
			}
		}
		if p.PerOutput()*p.Outputs() != n {
			t.Fatalf("PerOutput %d × Outputs %d != %d", p.PerOutput(), p.Outputs(), n)
		}
	}
}

func TestQuantizedMeanParams(t *testing.T) {
	tests := []struct {
		name      string
		m         int32
		shift     int
		count     int64
		mean      bool
		wantM     int32
		wantShift int
	}{
		{name: "sum unchanged", m: 1 << 30, shift: 1, count: 4, mean: false, wantM: 1 << 30, wantShift: 1},
		{name: "mean of 4", m: 1 << 30, shift: 1, count: 4, mean: true, wantM: 1 << 30, wantShift: -1},
		// count 3: shift 1, (2^30<<1)/3 = 715827882.
		{name: "mean of 3", m: 1 << 30, shift: 1, count: 3, mean: true, wantM: 715827882, wantShift: 0},
		// 49 = 7×7 global pool: shift 5, (2^30<<5)/49.
		{name: "mean of 49", m: 1 << 30, shift: 1, count: 49, mean: true, wantM: int32((int64(1<<30) << 5) / 49), wantShift: -4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, s := QuantizedMeanParams(tc.m, tc.shift, tc.count, tc.mean)
			if m != tc.wantM || s != tc.wantShift {
				t.Fatalf("got (%d,%d), want (%d,%d)", m, s, tc.wantM, tc.wantShift)
			}
		})
	}
}

func TestNearestIndex(t *testing.T) {
	tests := []struct {
		name        string
		in, out     int
		align, half bool
		want        []int
	}{
		{name: "upscale 2x", in: 2, out: 4, want: []int{0, 0, 1, 1}},
		{name: "downscale", in: 4, out: 2, want: []int{0, 2}},
		{name: "half pixel", in: 2, out: 4, half: true, want: []int{0, 0, 1, 1}},
		{name: "half pixel 3 to 2", in: 3, out: 2, half: true, want: []int{0, 2}},
		{name: "align corners", in: 3, out: 5, align: true, want: []int{0, 1, 1, 2, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for x, w := range tc.want {
				if got := NearestIndex(x, tc.in, tc.out, tc.align, tc.half); got != w {
					t.Fatalf("x=%d: %d, want %d", x, got, w)
				}
			}
		})
	}
}

// TestResizeBilinearIntegerTracksFloat checks the fixed-point kernel
// against the float one: on int16 data both must agree within one unit
// (10-bit coordinates lose a little precision).
func TestResizeBilinearIntegerTracksFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, flags := range [][2]bool{{false, false}, {true, false}, {false, true}} {
		p := ResizeParams{Batch: 2, InH: 5, InW: 7, Depth: 3, OutH: 9, OutW: 4, AlignCorners: flags[0], HalfPixelCenters: flags[1]}
		n := p.Batch * p.InH * p.InW * p.Depth
		in16 := make([]int16, n)
		inF := make([]float32, n)
		for i := range in16 {
			in16[i] = int16(rng.IntN(2000) - 1000)
			inF[i] = float32(in16[i])
		}
		m := p.Batch * p.OutH * p.OutW * p.Depth
		out16 := make([]int16, m)
		outF := make([]float32, m)
		ResizeBilinearInteger(&p, out16, in16)
		ResizeBilinearFloat(&p, outF, inF)
		for i := range out16 {
			if d := float32(out16[i]) - outF[i]; d > 1.5 || d < -1.5 {
				t.Fatalf("flags %v: element %d integer %d float %v", flags, i, out16[i], outF[i])
			}
		}
	}
}

func TestRequantize(t *testing.T) {
	scale, bias := RequantParams(0.5, 1, 3)
	src := []int8{-128, 3, 4, 127}
	dst := make([]int8, 4)
	Requantize(dst, src, scale, bias, -1, -128, 127)
	// (q-3)·0.5 rounded half away from zero, then -1.
	want := []int8{-67, -1, 0, 61}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("got %v, want %v", dst, want)
		}
	}
}

// TestRequantizeTable checks Requantize's per-byte table (runs longer than
// 1024) against its per-element expression, for int8 and uint8, random
// scales, zero points and clamps.
func TestRequantizeTable(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for i := range 200 {
		scale, bias := RequantParams(float32(0.001+r.Float64()), float32(0.001+r.Float64()), r.Int32N(256)-128)
		zo, lo, hi := r.Int32N(256)-128, int32(-128), int32(127)
		if i%3 == 0 {
			lo, hi = -100+r.Int32N(50), 50+r.Int32N(77)
		}
		n := 1025 + r.IntN(2000)
		s8, d8 := make([]int8, n), make([]int8, n)
		su, du := make([]uint8, n), make([]uint8, n)
		for j := range s8 {
			s8[j] = int8(r.IntN(256) - 128)
			su[j] = uint8(s8[j])
		}
		Requantize(d8, s8, scale, bias, zo, lo, hi)
		Requantize(du, su, scale, bias, zo+128, lo+128, hi+128)
		for j := range s8 {
			if w := requant1(s8[j], scale, bias, zo, lo, hi); d8[j] != w {
				t.Fatalf("int8 case %d: element %d (%d) = %d, want %d", i, j, s8[j], d8[j], w)
			}
			if w := requant1(su[j], scale, bias, zo+128, lo+128, hi+128); du[j] != w {
				t.Fatalf("uint8 case %d: element %d (%d) = %d, want %d", i, j, su[j], du[j], w)
			}
		}
	}
}

func TestFill(t *testing.T) {
	for _, n := range []int{0, 1, 3, 8, 37} {
		b := make([]byte, 2*n)
		Fill(b, []byte{0x34, 0x12})
		for i := 0; i < n; i++ {
			if b[2*i] != 0x34 || b[2*i+1] != 0x12 {
				t.Fatalf("n=%d: %x", n, b)
			}
		}
	}
}

// transposePlan is the copy plan of a transpose of a contiguous shape by
// perm (output dimension i is input dimension perm[i]) into a contiguous
// output, at element offsets srcBase and dstBase.
func transposePlan(tb testing.TB, shape, perm []int, srcBase, dstBase, elem int) CopyPlan {
	tb.Helper()
	var st, dt [MaxRank]int
	ContiguousStrides(shape, st[:])
	count, src := make([]int, len(perm)), make([]int, len(perm))
	for i, p := range perm {
		count[i], src[i] = shape[p], st[p]
	}
	ContiguousStrides(count, dt[:])
	p, ok := NewCopyPlan(count, src, dt[:len(perm)], srcBase, dstBase, elem)
	if !ok {
		tb.Fatal("NewCopyPlan refused")
	}
	return p
}

// benchTranspose times the byte transpose of shape by perm.
func benchTranspose(b *testing.B, shape, perm []int) {
	p := transposePlan(b, shape, perm, 0, 0, 1)
	in := make([]byte, p.Elements())
	out := make([]byte, len(in))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		p.Run(out, in)
	}
}

// BenchmarkCopyPlanNCHWToNHWC is the input transpose of converted
// MobileNets: 1×3×224×224 int8 to 1×224×224×3.
func BenchmarkCopyPlanNCHWToNHWC(b *testing.B) {
	benchTranspose(b, []int{1, 3, 224, 224}, []int{0, 2, 3, 1})
}

// BenchmarkCopyPlanTranspose is NHWC → NCHW of a 1×56×56×64 int8 activation.
func BenchmarkCopyPlanTranspose(b *testing.B) {
	benchTranspose(b, []int{1, 56, 56, 64}, []int{0, 3, 1, 2})
}

func BenchmarkReduceMeanInt8(b *testing.B) {
	// Global average pool of 1×7×7×1280.
	p, _ := NewReducePlan([]int{1, 7, 7, 1280}, []bool{false, true, true, false})
	in := make([]int8, 7*7*1280)
	sums := make([]int32, 1280)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		clear(sums)
		Reduce(&p, ReduceSum, in, sums)
	}
}

// TestCopyPlanInterleave: byte layout changes NCHW → NHWC of 1 to 5
// channels (the interleaving pass takes 2 to 4), at offsets inside larger
// buffers and split along the outer dimension with RunOuter, equal the
// element-by-element copy.
func TestCopyPlanInterleave(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for iter := 0; iter < 200; iter++ {
		c, h, w := 1+rng.IntN(5), 1+rng.IntN(40), 1+rng.IntN(40)
		sb, db := rng.IntN(9), rng.IntN(9)
		in := make([]byte, sb+c*h*w)
		for i := range in {
			in[i] = byte(rng.Uint32())
		}
		want := make([]byte, db+c*h*w+5)
		got := make([]byte, len(want))
		for i := range want {
			want[i] = 0xA5
			got[i] = 0xA5
		}
		idx := 0
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for ch := 0; ch < c; ch++ {
					want[db+idx] = in[sb+(ch*h+y)*w+x]
					idx++
				}
			}
		}
		p := transposePlan(t, []int{1, c, h, w}, []int{0, 2, 3, 1}, sb, db, 1)
		if iter%2 == 0 {
			p.Run(got, in)
		} else {
			cut := rng.IntN(p.Outer() + 1)
			p.RunOuter(got, in, 0, cut)
			p.RunOuter(got, in, cut, p.Outer())
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("iter %d c %d %dx%d: byte %d = %#x, want %#x", iter, c, h, w, i, got[i], want[i])
			}
		}
	}
}

// TestArgMinMaxLastAxis checks ArgMinMax over the last axis (its keyed
// integer and contiguous float paths, the byte vector kernel with its
// chunks and its 64-element limit) and over inner axes against a direct
// transcription of TensorFlow Lite's ArgMinMax (first extreme wins), on
// uint8 (int32 and int64 indices), int8 and int32 with many ties and the
// type extremes, and on floats with NaN.
func TestArgMinMaxLastAxis(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for i := range 100 {
		outer, axis, inner := 1+r.IntN(20), 1+r.IntN(30), 1
		switch i % 3 {
		case 0:
			inner = 1 + r.IntN(5)
		case 1: // the vector kernel's chunks, its 64-byte limit and past it
			outer, axis = 400+r.IntN(800), []int{1, 21, 63, 64, 65, 1 + r.IntN(70)}[i%6]
		}
		u := make([]uint8, outer*axis*inner)
		f := make([]float32, len(u))
		for j := range u {
			u[j] = uint8(r.IntN(8)) * 36 // ties
			if i%5 == 0 {
				u[j] = uint8(r.IntN(256))
			}
			f[j] = float32(r.NormFloat64())
			if r.IntN(20) == 0 {
				f[j] = float32(math.NaN())
			}
		}
		for _, isMax := range []bool{true, false} {
			want := func(get func(int) float64) []int32 {
				out := make([]int32, outer*inner)
				for o := range outer {
					for in := range inner {
						best, bi := get(o*axis*inner+in), 0
						for k := 1; k < axis; k++ {
							v := get((o*axis+k)*inner + in)
							if (isMax && v > best) || (!isMax && v < best) {
								best, bi = v, k
							}
						}
						out[o*inner+in] = int32(bi)
					}
				}
				return out
			}
			gu, gf := make([]int32, outer*inner), make([]int64, outer*inner)
			ArgMinMax(u, gu, outer, axis, inner, isMax)
			ArgMinMax(f, gf, outer, axis, inner, isMax)
			wu := want(func(j int) float64 { return float64(u[j]) })
			wf := want(func(j int) float64 { return float64(f[j]) })
			s8, s32 := make([]int8, len(u)), make([]int32, len(u))
			for j, v := range u {
				s8[j] = int8(v)
				s32[j] = int32(v)<<23 - 1<<30
				if j%7 == 0 {
					s32[j] = []int32{math.MinInt32, math.MaxInt32}[j%2]
				}
			}
			g8, g32, gu64 := make([]int32, outer*inner), make([]int64, outer*inner), make([]int64, outer*inner)
			ArgMinMax(s8, g8, outer, axis, inner, isMax)
			ArgMinMax(u, gu64, outer, axis, inner, isMax)
			ArgMinMax(s32, g32, outer, axis, inner, isMax)
			w8 := want(func(j int) float64 { return float64(s8[j]) })
			w32 := want(func(j int) float64 { return float64(s32[j]) })
			for j := range wu {
				if gu[j] != wu[j] || gu64[j] != int64(wu[j]) || gf[j] != int64(wf[j]) || g8[j] != w8[j] || g32[j] != int64(w32[j]) {
					t.Fatalf("case %d (%d,%d,%d max %v) at %d: uint8 %d want %d, float %d want %d, int8 %d want %d, int32 %d want %d",
						i, outer, axis, inner, isMax, j, gu[j], wu[j], gf[j], wf[j], g8[j], w8[j], g32[j], w32[j])
				}
			}
		}
	}
}
