package gemm

import (
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// problem is one random GEMM with its requantization.
type problem struct {
	rows, k, o, lda, ldo int
	a                    []int8
	w                    *PackedInt8
	wRaw                 []int8
	q                    *Requant
	inOff                int32
	bias                 []int32
	// unsigned: wRaw holds uint8 weights (PackUint8).
	unsigned bool
}

// weight returns weight i of wRaw as a value.
func (p *problem) weight(i int) int32 {
	if p.unsigned {
		return int32(uint8(p.wRaw[i]))
	}
	return int32(p.wRaw[i])
}

// asUnsigned turns p's weight bytes into uint8 weights (PackUint8) with the
// same output stage.
func (p *problem) asUnsigned(t testing.TB) *problem {
	t.Helper()
	u := *p
	u.unsigned = true
	wb := make([]uint8, len(p.wRaw))
	for i, v := range p.wRaw {
		wb[i] = uint8(v)
	}
	u.w = PackUint8(wb, p.o, p.k)
	var err error
	if u.q, err = NewRequant(u.w, p.bias, p.inOff, p.q.Mult, p.q.Shift, p.q.OutputOffset, p.q.Min, p.q.Max); err != nil {
		t.Fatal(err)
	}
	return &u
}

func newProblem(t testing.TB, rng *rand.Rand, rows, k, o int, inZP int32, extreme bool) *problem {
	t.Helper()
	p := &problem{rows: rows, k: k, o: o, lda: k + rng.IntN(9), ldo: o + rng.IntN(5), inOff: -inZP}
	p.a = make([]int8, (rows-1)*p.lda+k)
	for i := range p.a {
		p.a[i] = int8(rng.IntN(256) - 128)
	}
	p.wRaw = make([]int8, o*k)
	for i := range p.wRaw {
		if extreme {
			p.wRaw[i] = int8([]int{-128, 127, -127}[rng.IntN(3)])
		} else {
			p.wRaw[i] = int8(rng.IntN(255) - 127)
		}
	}
	p.w = PackInt8(p.wRaw, o, k)
	p.bias = make([]int32, o)
	mult, shift := make([]int32, o), make([]int, o)
	for c := range p.bias {
		p.bias[c] = rng.Int32N(1<<16) - 1<<15
		if extreme && c%3 == 0 {
			// Biases around the bounds of the fast VNNI epilogue, and beyond.
			e := 28 + rng.IntN(4)
			p.bias[c] = int32(rng.Int64N(1<<e) - 1<<(e-1))
		}
		mult[c], shift[c] = kernels.QuantizeMultiplier(rng.Float64() * []float64{1e-4, 1e-2, 0.5, 3}[rng.IntN(4)])
	}
	var err error
	oz := rng.Int32N(256) - 128
	lo, hi := int32(-128), int32(127)
	if rng.IntN(3) == 0 {
		lo = oz
	}
	p.q, err = NewRequant(p.w, p.bias, p.inOff, mult, shift, oz, lo, max(lo, hi))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// naive is the TensorFlow Lite reference formula over the unpacked weights.
func (p *problem) naive() []int8 {
	out := make([]int8, (p.rows-1)*p.ldo+p.o)
	for r := 0; r < p.rows; r++ {
		for c := 0; c < p.o; c++ {
			acc := p.bias[c]
			for i := 0; i < p.k; i++ {
				acc += p.weight(c*p.k+i) * (int32(p.a[r*p.lda+i]) + p.inOff)
			}
			v := kernels.MultiplyByQuantizedMultiplier(acc, p.q.Mult[c], p.q.Shift[c]) + p.q.OutputOffset
			out[r*p.ldo+c] = int8(kernels.Clamp32(v, p.q.Min, p.q.Max))
		}
	}
	return out
}

func (p *problem) run(generic bool) []int8 {
	out := make([]int8, (p.rows-1)*p.ldo+p.o)
	if generic {
		Int8Generic(p.a, p.lda, p.rows, p.w, p.q, 0, p.w.Panels, out, p.ldo)
	} else {
		Int8(p.a, p.lda, p.rows, p.w, p.q, 0, p.w.Panels, out, p.ldo)
	}
	return out
}

func check(t *testing.T, p *problem) {
	t.Helper()
	want := p.naive()
	impls := map[string][]int8{"generic": p.run(true), Impl(): p.run(false)}
	for name, run := range extraImpls() {
		impls[name] = run(p)
	}
	for name, got := range impls {
		for r := 0; r < p.rows; r++ {
			for c := 0; c < p.o; c++ {
				if g, w := got[r*p.ldo+c], want[r*p.ldo+c]; g != w {
					t.Fatalf("rows %d k %d o %d (%s): out[%d,%d] = %d, want %d", p.rows, p.k, p.o, name, r, c, g, w)
				}
			}
		}
	}
}

func TestInt8(t *testing.T) {
	tests := []struct {
		name       string
		rows, k, o int
		zp         int32
		extreme    bool
	}{
		{name: "1x1x1", rows: 1, k: 1, o: 1},
		{name: "tails", rows: 7, k: 27, o: 17, zp: -128},
		{name: "pointwise", rows: 25, k: 32, o: 96, zp: 5},
		{name: "wide", rows: 13, k: 144, o: 24, zp: 127},
		{name: "many panels", rows: 6, k: 64, o: 160, zp: -3},
		{name: "long k", rows: 3, k: 1283, o: 33, zp: 0},
		{name: "extreme weights", rows: 12, k: 512, o: 64, zp: -128, extreme: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.rows), uint64(tc.k*1000+tc.o)))
			check(t, newProblem(t, rng, tc.rows, tc.k, tc.o, tc.zp, tc.extreme))
		})
	}
}

func TestInt8Random(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		check(t, newProblem(t, rng, 1+rng.IntN(20), 1+rng.IntN(200), 1+rng.IntN(90), rng.Int32N(256)-128, rng.IntN(4) == 0))
	}
}

// TestInt8Unsigned is TestInt8Random with uint8 weights (PackUint8: the
// VNNI kernels' unsigned operand, their own output stage; no left shift
// in three cases of four) and at least 150 of its 300 cases on the fast
// epilogue.
func TestInt8Unsigned(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	fast := 0
	for i := 0; i < 300; i++ {
		p := newProblem(t, rng, 1+rng.IntN(30), 1+rng.IntN(200), 1+rng.IntN(90), rng.Int32N(256)-128, rng.IntN(4) == 0)
		if i%4 != 0 {
			// No left shifts (the unsigned kernels' fast form has none).
			sh := make([]int, len(p.q.Shift))
			for c, v := range p.q.Shift {
				sh[c] = min(v, 0)
			}
			p.q.Shift = sh
		}
		p = p.asUnsigned(t)
		if p.q.fast != nil {
			fast++
		}
		check(t, p)
	}
	if fast < 150 {
		t.Fatalf("%d of 300 cases on the fast epilogue", fast)
	}
}

// TestInt8PanelRange checks a sub-range of panels writes only its channels.
func TestInt8PanelRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := newProblem(t, rng, 9, 40, 70, 7, false)
	want := p.naive()
	out := make([]int8, len(want))
	for i := range out {
		out[i] = 99
	}
	Int8(p.a, p.lda, p.rows, p.w, p.q, 1, 3, out, p.ldo)
	for r := 0; r < p.rows; r++ {
		for c := 0; c < p.o; c++ {
			w := int8(99)
			if c >= 16 && c < 48 {
				w = want[r*p.ldo+c]
			}
			if out[r*p.ldo+c] != w {
				t.Fatalf("out[%d,%d] = %d, want %d", r, c, out[r*p.ldo+c], w)
			}
		}
	}
}

func TestNewRequantErrors(t *testing.T) {
	w := PackInt8(make([]int8, 6), 2, 3)
	tests := []struct {
		name   string
		mult   []int32
		shift  []int
		lo, hi int32
	}{
		{name: "short", mult: []int32{1}, shift: []int{0, 0}, lo: -128, hi: 127},
		{name: "negative multiplier", mult: []int32{-1, 1}, shift: []int{0, 0}, lo: -128, hi: 127},
		{name: "shift", mult: []int32{1, 1}, shift: []int{0, -40}, lo: -128, hi: 127},
		{name: "clamp", mult: []int32{1, 1}, shift: []int{0, 0}, lo: 5, hi: 4},
		{name: "clamp range", mult: []int32{1, 1}, shift: []int{0, 0}, lo: -129, hi: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewRequant(w, nil, 0, tc.mult, tc.shift, 0, tc.lo, tc.hi); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func FuzzInt8(f *testing.F) {
	f.Add(uint64(1), uint8(5), uint16(30), uint8(20), int8(3), false)
	f.Add(uint64(2), uint8(1), uint16(3), uint8(1), int8(-128), true)
	f.Fuzz(func(t *testing.T, seed uint64, rows uint8, k uint16, o uint8, zp int8, extreme bool) {
		if rows == 0 || k == 0 || o == 0 || k > 2048 || rows > 40 {
			t.Skip()
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		check(t, newProblem(t, rng, int(rows), int(k), int(o), int32(zp), extreme))
	})
}

func BenchmarkInt8(b *testing.B) {
	for _, s := range []struct {
		name       string
		rows, k, o int
	}{
		{"pw56x56_24to144", 56 * 56, 24, 144},
		{"pw14x14_384to64", 14 * 14, 384, 64},
		{"pw7x7_960to320", 7 * 7, 960, 320},
		{"pw28x28_192to32", 28 * 28, 192, 32},
		{"pw112x112_16to96", 112 * 112, 16, 96},
		{"pw28x28_32to16", 28 * 28, 32, 16},
		{"stem112x112_27to32", 112 * 112, 27, 32},
		{"pw112x112_32to64", 112 * 112, 32, 64},
		{"pw56x56_64to128", 56 * 56, 64, 128},
		{"pw56x56_128to128", 56 * 56, 128, 128},
		{"pw14x14_512to512", 14 * 14, 512, 512},
		{"pw7x7_1024to1024", 7 * 7, 1024, 1024},
	} {
		rng := rand.New(rand.NewPCG(1, 1))
		p := newProblem(b, rng, s.rows, s.k, s.o, 3, false)
		out := make([]int8, (p.rows-1)*p.ldo+p.o)
		for _, impl := range []string{"generic", Impl()} {
			b.Run(s.name+"/"+impl, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if impl == "generic" {
						Int8Generic(p.a, p.lda, p.rows, p.w, p.q, 0, p.w.Panels, out, p.ldo)
					} else {
						Int8(p.a, p.lda, p.rows, p.w, p.q, 0, p.w.Panels, out, p.ldo)
					}
				}
				macs := float64(s.rows * s.k * s.o)
				b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// TestInt8Seg checks the segmented-row product against the naive formula
// over the gathered rows: random segment counts, lengths, strides (some
// overlapping), row strides, tile shapes and channel counts.
func TestInt8Seg(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 200; i++ {
		segs := 1 + rng.IntN(4)
		segLen := PanelK * (1 + rng.IntN(4))
		rows, o := 1+rng.IntN(30), 1+rng.IntN(70)
		lda, segStride := 1+rng.IntN(20), rng.IntN(80)
		k := segs * segLen
		p := newProblem(t, rng, rows, k, o, rng.Int32N(256)-128, rng.IntN(4) == 0)
		src := make([]int8, (rows-1)*lda+(segs-1)*segStride+segLen)
		for j := range src {
			src[j] = int8(rng.IntN(256) - 128)
		}
		p.lda = k
		p.a = make([]int8, rows*k)
		for r := 0; r < rows; r++ {
			for s := 0; s < segs; s++ {
				copy(p.a[r*k+s*segLen:(r*k+(s+1)*segLen)], src[r*lda+s*segStride:])
			}
		}
		want := p.naive()
		got := make([]int8, len(want))
		Int8Seg(src, lda, rows, segs, segStride, p.w, p.q, 0, p.w.Panels, got, p.ldo)
		for r := 0; r < rows; r++ {
			for c := 0; c < o; c++ {
				if g, w := got[r*p.ldo+c], want[r*p.ldo+c]; g != w {
					t.Fatalf("case %d segs %d×%d stride %d lda %d rows %d o %d: out[%d,%d] = %d, want %d",
						i, segs, segLen, segStride, lda, rows, o, r, c, g, w)
				}
			}
		}
	}
}

func TestUnpack(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, s := range []struct {
		name string
		o, k int
	}{{"one", 1, 1}, {"tails", 17, 27}, {"panels", 48, 64}} {
		t.Run(s.name, func(t *testing.T) {
			w := make([]int8, s.o*s.k)
			for i := range w {
				w[i] = int8(rng.IntN(256) - 128)
			}
			got := PackInt8(w, s.o, s.k).Unpack()
			for i := range w {
				if got[i] != w[i] {
					t.Fatalf("[%d] = %d, want %d", i, got[i], w[i])
				}
			}
		})
	}
}

// TestInt8Rows checks Int8Rows (row terms added before the output stage)
// against the formula on the unpacked weights, with terms up to the bound
// given to NewRequantRows, both epilogues (narrow and full clamps) and row
// counts that end inside a tile.
func TestInt8Rows(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	for i := range 60 {
		k, o, rows := 1+r.IntN(80), 1+r.IntN(70), 1+r.IntN(30)
		wv, w := randWeights(r, o, k, i%3 == 1, false)
		lda := k + r.IntN(5)
		a := make([]int8, (rows-1)*lda+w.KP)
		for j := range a {
			a[j] = int8(r.IntN(256) - 128)
		}
		mult, shift, bias := make([]int32, o), make([]int, o), make([]int32, o)
		for c := range mult {
			mult[c], shift[c] = int32(1<<30+r.IntN(1<<30)), -6-r.IntN(10)
			bias[c] = int32(r.IntN(200001) - 100000)
		}
		bound := int64(r.IntN(1 << 22))
		rt := make([]int32, rows)
		for j := range rt {
			rt[j] = int32(r.Int64N(2*bound+1) - bound)
		}
		lo, hi := int32(-128), int32(127)
		if i%2 == 0 {
			lo, hi = int32(-100+r.IntN(50)), int32(20+r.IntN(100))
		}
		off := int32(r.IntN(256) - 127)
		q, err := NewRequantRows(w, bias, off, mult, shift, int32(r.IntN(256)-128), lo, hi, bound)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int8, rows*o)
		Int8Rows(a, lda, rows, w, q, 0, w.Panels, got, o, rt)
		for row := range rows {
			for c := range o {
				var acc int32
				for j := range k {
					acc += (int32(a[row*lda+j]) + off) * wv[c*k+j]
				}
				v := MulQ(acc+bias[c]+rt[row], mult[c], shift[c]) + q.OutputOffset
				want := int8(min(max(v, lo), hi))
				if got[row*o+c] != want {
					t.Fatalf("case %d (k %d o %d rows %d, fast epilogue %v, unsigned %v): out[%d][%d] = %d, want %d", i, k, o, rows, q.fast != nil, w.Unsigned, row, c, got[row*o+c], want)
				}
			}
		}
	}
}

// TestInt8RowsPairs checks Int8RowsPairs (two rows per vector, at most 8
// channels) against the formula on the unpacked weights: channel counts
// 1 to 8, even row counts across several 24-row tiles, rows 8 bytes apart
// (one 16-byte store per pair) or not, both epilogues, stale output bytes
// past the channels left alone.
func TestInt8RowsPairs(t *testing.T) {
	r := rand.New(rand.NewPCG(83, 84))
	ran := 0
	for i := range 200 {
		k, o, rows := 1+r.IntN(80), 1+r.IntN(8), 2*(1+r.IntN(40))
		if i%4 == 0 {
			o = 8
		}
		wv, w := randWeights(r, o, k, i%2 == 1, true)
		lda := k + r.IntN(5)
		a := make([]int8, (rows-1)*lda+w.KP)
		for j := range a {
			a[j] = int8(r.IntN(256) - 128)
		}
		mult, shift, bias := make([]int32, o), make([]int, o), make([]int32, o)
		for c := range mult {
			mult[c], shift[c] = int32(1<<30+r.IntN(1<<30)), -6-r.IntN(10)
			if i%5 == 0 {
				shift[c] = r.IntN(2)
				mult[c] >>= 8
			}
			bias[c] = int32(r.IntN(200001) - 100000)
		}
		bound := int64(r.IntN(1 << 22))
		rt := make([]int32, rows)
		for j := range rt {
			rt[j] = int32(r.Int64N(2*bound+1) - bound)
		}
		lo, hi := int32(-128), int32(127)
		if i%2 == 0 {
			lo, hi = int32(-100+r.IntN(50)), int32(20+r.IntN(100))
		}
		off := int32(r.IntN(256) - 127)
		q, err := NewRequantRows(w, Pairs(bias, 1), off, Pairs(mult, 1), Pairs(shift, 1), int32(r.IntN(256)-128), lo, hi, bound)
		if err != nil {
			t.Fatal(err)
		}
		ldo := o
		if i%3 == 0 {
			ldo += 1 + r.IntN(9)
		}
		got := make([]int8, (rows-1)*ldo+o)
		for j := range got {
			got[j] = 77
		}
		if !Int8RowsPairs(a, lda, rows, w, q, o, got, ldo, rt) {
			if RowTermsFast() && q.fast != nil {
				t.Fatalf("case %d: no pair kernel", i)
			}
			continue
		}
		ran++
		for row := range rows {
			for c := range ldo {
				if row*ldo+c >= len(got) {
					break
				}
				want := int8(77)
				if c < o {
					var acc int32
					for j := range k {
						acc += (int32(a[row*lda+j]) + off) * wv[c*k+j]
					}
					v := MulQ(acc+bias[c]+rt[row], mult[c], shift[c]) + q.OutputOffset
					want = int8(min(max(v, lo), hi))
				}
				if g := got[row*ldo+c]; g != want {
					t.Fatalf("case %d (k %d o %d rows %d ldo %d unsigned %v): out[%d][%d] = %d, want %d", i, k, o, rows, ldo, w.Unsigned, row, c, g, want)
				}
			}
		}
	}
	if RowTermsFast() && ran < 150 {
		t.Fatalf("only %d cases ran the pair kernels", ran)
	}
}

// randWeights returns o×k random weights as values and packed: int8
// (PackInt8) or uint8 (PackUint8), for pair panels where pairs.
func randWeights(r *rand.Rand, o, k int, unsigned, pairs bool) ([]int32, *PackedInt8) {
	wv := make([]int32, o*k)
	if unsigned {
		wu := make([]uint8, o*k)
		for j := range wu {
			wu[j] = uint8(r.IntN(256))
			wv[j] = int32(wu[j])
		}
		if pairs {
			return wv, PackUint8Pairs(wu, o, k)
		}
		return wv, PackUint8(wu, o, k)
	}
	w8 := make([]int8, o*k)
	for j := range w8 {
		w8[j] = int8(r.IntN(256) - 128)
		wv[j] = int32(w8[j])
	}
	if pairs {
		return wv, PackInt8Pairs(w8, o, k)
	}
	return wv, PackInt8(w8, o, k)
}

// TestInt8Contiguous checks the tiles whose outputs are contiguous (full
// panels, ldo = O, or four panels at any ldo: the kernels narrow four
// accumulators at a time)
// against the formula, for 1 to 9 panels, row counts across tile
// heights, both clamps, int8 and uint8 weights.
func TestInt8Contiguous(t *testing.T) {
	rng := rand.New(rand.NewPCG(85, 86))
	for i := range 80 {
		o := 16 * (1 + rng.IntN(9))
		p := newProblem(t, rng, 1+rng.IntN(40), 1+rng.IntN(100), o, int32(rng.IntN(256)-128), i%7 == 0)
		p.ldo = o
		check(t, p)
	}
	r := rand.New(rand.NewPCG(87, 88))
	for i := range 60 {
		k, o, rows := 1+r.IntN(80), 16*(1+r.IntN(9)), 1+r.IntN(40)
		wv, w := randWeights(r, o, k, i%2 == 0, false)
		a := make([]int8, (rows-1)*k+w.KP)
		for j := range a {
			a[j] = int8(r.IntN(256) - 128)
		}
		mult, shift, bias := make([]int32, o), make([]int, o), make([]int32, o)
		for c := range mult {
			mult[c], shift[c] = int32(1<<30+r.IntN(1<<30)), -6-r.IntN(10)
			bias[c] = int32(r.IntN(200001) - 100000)
		}
		lo, hi := int32(-128), int32(127)
		if i%3 == 0 {
			lo, hi = int32(-100+r.IntN(50)), int32(20+r.IntN(100))
		}
		off := int32(r.IntN(256) - 127)
		q, err := NewRequant(w, bias, off, mult, shift, int32(r.IntN(256)-128), lo, hi)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int8, rows*o)
		Int8(a, k, rows, w, q, 0, w.Panels, got, o)
		for row := range rows {
			for c := range o {
				var acc int32
				for j := range k {
					acc += (int32(a[row*k+j]) + off) * wv[c*k+j]
				}
				v := MulQ(acc+bias[c], mult[c], shift[c]) + q.OutputOffset
				if want := int8(min(max(v, lo), hi)); got[row*o+c] != want {
					t.Fatalf("case %d (k %d o %d rows %d unsigned %v): out[%d][%d] = %d, want %d", i, k, o, rows, w.Unsigned, row, c, got[row*o+c], want)
				}
			}
		}
	}
}

// uniformModel is requantUniform (gen_amd64.go) in Go, word for word:
// the accumulator X' = acc + bias + 2^30 (no row term), the row's
// addend D_r = 2·(rt·m) + D0 modulo 2^64, h the high half of X'·2m + D_r,
// then (h − [h < t]) >> R.
func uniformModel(u []int32, acc, bias, rt int32) int32 {
	xp := uint32(acc + bias + 1<<30)
	d0 := uint64(uint32(u[uniD0])) | uint64(uint32(u[uniD0+1]))<<32
	dr := 2*uint64(int64(rt)*int64(u[uniM])) + d0
	h := int32((uint64(xp)*uint64(uint32(u[uniM2])) + dr) >> 32)
	if h < u[uniThr] {
		h--
	}
	return h >> uint(u[uniR])
}

// TestUniformParams checks the algebra of the uniform output stage
// (uniformParams, uniformModel) against TensorFlow Lite's
// MultiplyByQuantizedMultiplier plus the output offset on every
// multiplier class (powers of two: ties; 2^30, 2^31 − 1, random), right
// shifts 0 to 31, output offsets −128 to 127, and values of
// acc + bias + rt across the whole range the fast epilogue admits
// (|x| < 2^30, with the extremes), split between the three terms.
func TestUniformParams(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	ms := []int32{1 << 30, 3 << 29, 1<<31 - 1, 1<<30 + 1, 5 << 28, 0}
	zs := []int32{-128, -127, -1, 0, 1, 126, 127}
	n := 0
	for R := 0; R <= 31; R++ {
		for trial := range 4000 {
			m := ms[trial%len(ms)]
			if trial >= 2*len(ms) {
				m = int32(1<<30 + r.IntN(1<<30))
			}
			z := zs[trial%len(zs)]
			if trial%3 == 0 {
				z = int32(r.IntN(256) - 128)
			}
			// The range of x the fast epilogue's checks allow for this
			// R and z (paramBlocksFast: |h| and the accumulator bounds).
			lim := int64(1<<30 - 1)
			hb := int64(1<<31-1) - 3 - int64(abs64(int64(z)))<<R
			if R > 0 {
				hb -= 1 << (R - 1)
			}
			lim = min(lim, hb)
			if lim <= 0 {
				continue
			}
			u := uniformParams([]int32{m, m}, []int{-R, -R}, z, -128, 127)
			if u == nil {
				t.Fatalf("R %d z %d m %d: no uniform parameters", R, z, m)
			}
			var x int64
			switch trial % 8 {
			case 0:
				x = lim
			case 1:
				x = -lim
			case 2:
				// Near a tie of either rounding: x·m close to a multiple of 2^(30+R).
				x = int64(r.IntN(2001) - 1000)
			default:
				x = r.Int64N(2*lim+1) - lim
			}
			for dx := int64(-2); dx <= 2; dx++ {
				xv := min(max(x+dx, -lim), lim)
				// Split x into acc + bias + rt, |acc + bias| and |rt| both
				// below 2^30 as the bounds guarantee.
				rt := int32(r.Int64N(2*lim+1)-lim) / 2
				rest := xv - int64(rt)
				if abs64(rest) >= 1<<30 {
					rt, rest = 0, xv
				}
				bias := int32(rest / 3)
				acc := int32(rest) - bias
				want := kernels.MultiplyByQuantizedMultiplier(int32(xv), m, -R) + z
				if got := uniformModel(u, acc, bias, rt); got != want {
					t.Fatalf("R %d m %d z %d x %d (acc %d bias %d rt %d): %d, want %d", R, m, z, xv, acc, bias, rt, got, want)
				}
				n++
			}
		}
	}
	// Exhaustive over small x for the tie-prone multipliers.
	for R := 0; R <= 12; R++ {
		for _, m := range []int32{1 << 30, 3 << 29, 1<<31 - 1} {
			for _, z := range []int32{-128, 0, 127} {
				u := uniformParams([]int32{m}, []int{-R}, z, -128, 127)
				for x := int32(-1 << 14); x <= 1<<14; x++ {
					want := kernels.MultiplyByQuantizedMultiplier(x, m, -R) + z
					if got := uniformModel(u, x/2, x-x/2-x/5, x/5); got != want {
						t.Fatalf("R %d m %d z %d x %d: %d, want %d", R, m, z, x, got, want)
					}
				}
			}
		}
	}
	if n < 500000 {
		t.Fatalf("only %d values checked", n)
	}
	if uniformParams([]int32{1 << 30, 1 << 30}, []int{-3, -4}, 0, -128, 127) != nil ||
		uniformParams([]int32{1 << 30, 1<<30 + 1}, []int{-3, -3}, 0, -128, 127) != nil ||
		uniformParams([]int32{1 << 30}, []int{1}, 0, -128, 127) != nil {
		t.Fatal("uniform parameters for channels that differ, or a left shift")
	}
}

// TestInt8RowsUniform checks Int8Rows with uint8 weights and one
// multiplier and shift for all channels (the uniform kernels on
// AVX-512 VNNI) against the formula: every tile shape and remainder
// (1-40 rows, 1-70 channels), contiguous and strided outputs, both
// clamps, output offsets at the ends of their range, ties, and biases,
// row terms, weights and activations at the bounds of the fast
// epilogue.
func TestInt8RowsUniform(t *testing.T) {
	r := rand.New(rand.NewPCG(93, 94))
	ran := 0
	for i := range 400 {
		k, o, rows := 1+r.IntN(80), 1+r.IntN(70), 1+r.IntN(40)
		if i%4 == 0 {
			o = 16 * (1 + r.IntN(5))
		}
		extreme := i%5 == 0
		wu := make([]uint8, o*k)
		for j := range wu {
			wu[j] = uint8(r.IntN(256))
			if extreme {
				wu[j] = []uint8{0, 255, 255}[r.IntN(3)]
			}
		}
		w := PackUint8(wu, o, k)
		lda := k + r.IntN(5)
		a := make([]int8, (rows-1)*lda+w.KP)
		for j := range a {
			a[j] = int8(r.IntN(256) - 128)
			if extreme {
				a[j] = []int8{-128, 127}[(j/lda+i)%2]
			}
		}
		m := []int32{1 << 30, 3 << 29, 1<<31 - 1, int32(1<<30 + r.IntN(1<<30))}[i%4]
		R := r.IntN(14)
		if i%7 == 0 {
			R = 14 + r.IntN(8)
		}
		z := []int32{-128, 127, 0, int32(r.IntN(256) - 128)}[i%4]
		bound := int64(r.IntN(1 << 22))
		if extreme {
			bound = 1<<29 - int64(r.IntN(1000))
		}
		mult, shift, bias := make([]int32, o), make([]int, o), make([]int32, o)
		off := int32(r.IntN(256) - 127)
		for c := range mult {
			mult[c], shift[c] = m, -R
			bias[c] = int32(r.IntN(200001) - 100000)
			if extreme {
				// As far from zero as the fast epilogue admits: 128·Σw + |bias| +
				// bound just below 2^30, with the input offset's share.
				var s int64
				for j := range k {
					s += int64(wu[c*k+j])
				}
				b := 1<<30 - 1 - 128*s - bound - abs64(int64(off)*s)
				if b < 0 {
					b = 0
				}
				bias[c] = int32(b)
				if c%2 == 1 {
					bias[c] = -int32(b)
				}
			}
		}
		rt := make([]int32, rows)
		for j := range rt {
			rt[j] = int32(r.Int64N(2*bound+1) - bound)
			if extreme {
				rt[j] = int32([]int64{bound, -bound}[(j+i)%2])
			}
		}
		lo, hi := int32(-128), int32(127)
		if i%2 == 0 {
			lo, hi = int32(-100+r.IntN(50)), int32(20+r.IntN(100))
		}
		q, err := NewRequantRows(w, bias, off, mult, shift, z, lo, hi, bound)
		if err != nil {
			t.Fatal(err)
		}
		if q.fast == nil {
			continue
		}
		if q.uni == nil {
			t.Fatalf("case %d: no uniform parameters", i)
		}
		ran++
		ldo := o
		if i%3 == 0 {
			ldo += 1 + r.IntN(9)
		}
		got := make([]int8, (rows-1)*ldo+o)
		for j := range got {
			got[j] = 77
		}
		Int8Rows(a, lda, rows, w, q, 0, w.Panels, got, ldo, rt)
		for row := range rows {
			for c := range ldo {
				if row*ldo+c >= len(got) {
					break
				}
				want := int8(77)
				if c < o {
					acc := bias[c] + rt[row]
					for j := range k {
						acc += (int32(a[row*lda+j]) + off) * int32(wu[c*k+j])
					}
					v := kernels.MultiplyByQuantizedMultiplier(acc, m, -R) + z
					want = int8(min(max(v, lo), hi))
				}
				if g := got[row*ldo+c]; g != want {
					t.Fatalf("case %d (k %d o %d rows %d ldo %d R %d m %d z %d extreme %v): out[%d][%d] = %d, want %d", i, k, o, rows, ldo, R, m, z, extreme, row, c, g, want)
				}
			}
		}
	}
	if ran < 300 {
		t.Fatalf("only %d cases had the fast epilogue", ran)
	}
}

// TestInt8RowsKPairs checks Int8RowsKPairs (one row per vector, 8
// channels × 8 steps a multiply-add) against the formula and against
// Int8RowsPairs on the same output stage: 1 to 8 channels, reduction
// lengths with and without a half block (K ≤ 4: no full block), even
// row counts across several 24-row tiles, contiguous and strided
// outputs, both clamps, ties, and biases and row terms at the bounds of
// the fast epilogue.
func TestInt8RowsKPairs(t *testing.T) {
	r := rand.New(rand.NewPCG(97, 98))
	ran := 0
	for i := range 300 {
		k, o, rows := 1+r.IntN(100), 1+r.IntN(8), 2*(1+r.IntN(40))
		if i%4 == 0 {
			o = 8
		}
		extreme := i%5 == 0
		wu := make([]uint8, o*k)
		for j := range wu {
			wu[j] = uint8(r.IntN(256))
			if extreme {
				wu[j] = []uint8{0, 255, 255}[r.IntN(3)]
			}
		}
		kw, pw := PackUint8KPairs(wu, o, k), PackUint8Pairs(wu, o, k)
		lda := k + r.IntN(5)
		a := make([]int8, (rows-1)*lda+pw.KP)
		for j := range a {
			a[j] = int8(r.IntN(256) - 128)
			if extreme {
				a[j] = []int8{-128, 127}[(j/lda+i)%2]
			}
		}
		m := []int32{1 << 30, 3 << 29, 1<<31 - 1, int32(1<<30 + r.IntN(1<<30))}[i%4]
		R := r.IntN(14)
		z := []int32{-128, 127, 0, int32(r.IntN(256) - 128)}[i%4]
		bound := int64(r.IntN(1 << 22))
		if extreme {
			bound = 1<<29 - int64(r.IntN(1000))
		}
		off := int32(r.IntN(256) - 127)
		bias := make([]int32, o)
		for c := range bias {
			bias[c] = int32(r.IntN(200001) - 100000)
			if extreme {
				var s int64
				for j := range k {
					s += int64(wu[c*k+j])
				}
				b := max(0, 1<<30-1-128*s-bound-abs64(int64(off)*s))
				bias[c] = int32(b)
				if c%2 == 1 {
					bias[c] = -int32(b)
				}
			}
		}
		mult, shift := make([]int32, PanelN), make([]int, PanelN)
		for c := range mult {
			mult[c], shift[c] = m, -R
		}
		rt := make([]int32, rows)
		for j := range rt {
			rt[j] = int32(r.Int64N(2*bound+1) - bound)
			if extreme {
				rt[j] = int32([]int64{bound, -bound}[(j+i)%2])
			}
		}
		lo, hi := int32(-128), int32(127)
		if i%2 == 0 {
			lo, hi = int32(-100+r.IntN(50)), int32(20+r.IntN(100))
		}
		q, err := NewRequantRows(pw, Pairs(bias, 1), off, mult, shift, z, lo, hi, bound)
		if err != nil {
			t.Fatal(err)
		}
		ldo := o
		if i%3 == 0 {
			ldo += 1 + r.IntN(9)
		}
		got := make([]int8, (rows-1)*ldo+o)
		for j := range got {
			got[j] = 77
		}
		if !Int8RowsKPairs(a, lda, rows, kw, q, got, ldo, rt) {
			if RowTermsFast() && q.fast != nil {
				t.Fatalf("case %d: no k-pair kernel", i)
			}
			continue
		}
		ran++
		for row := range rows {
			for c := range ldo {
				if row*ldo+c >= len(got) {
					break
				}
				want := int8(77)
				if c < o {
					acc := bias[c] + rt[row]
					for j := range k {
						acc += (int32(a[row*lda+j]) + off) * int32(wu[c*k+j])
					}
					v := kernels.MultiplyByQuantizedMultiplier(acc, m, -R) + z
					want = int8(min(max(v, lo), hi))
				}
				if g := got[row*ldo+c]; g != want {
					t.Fatalf("case %d (k %d o %d rows %d ldo %d R %d m %d z %d extreme %v): out[%d][%d] = %d, want %d", i, k, o, rows, ldo, R, m, z, extreme, row, c, g, want)
				}
			}
		}
		pairs := make([]int8, len(got))
		for j := range pairs {
			pairs[j] = 77
		}
		if Int8RowsPairs(a, lda, rows, pw, q, o, pairs, ldo, rt) {
			for j := range got {
				if got[j] != pairs[j] {
					t.Fatalf("case %d: byte %d: k-pairs %d, pairs %d", i, j, got[j], pairs[j])
				}
			}
		}
	}
	if RowTermsFast() && ran < 250 {
		t.Fatalf("only %d cases ran the k-pair kernels", ran)
	}
}
