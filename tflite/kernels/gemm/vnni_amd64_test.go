//go:build amd64 && !noasm

package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestInt8VNNIEpilogues checks that realistic layers take the fast
// epilogue, that layers out of its range fall back to the general one,
// and that both agree with the naive formula.
func TestInt8VNNIEpilogues(t *testing.T) {
	if !hasVNNI {
		t.Skip("no AVX-512 VNNI")
	}
	tests := []struct {
		name     string
		rows     int
		k, o     int
		bias     int32 // magnitude of every bias (0: the random ones)
		oz       int32
		shift    int // forced shift of every channel (99: random)
		wantFast bool
	}{
		{name: "realistic", rows: 30, k: 24, o: 40, shift: 99, wantFast: true},
		{name: "left shift", rows: 13, k: 16, o: 16, shift: 3, wantFast: true},
		{name: "right zero", rows: 13, k: 16, o: 33, shift: 0, wantFast: true},
		{name: "right 31", rows: 7, k: 40, o: 20, shift: -31, wantFast: false, oz: 100},
		{name: "right 31 zero offset", rows: 7, k: 40, o: 20, shift: -31, wantFast: true},
		{name: "huge bias", rows: 25, k: 8, o: 48, bias: 1<<31 - 1000, shift: 99},
		{name: "bias near limit", rows: 12, k: 8, o: 16, bias: 1<<30 - 140000, shift: -1, wantFast: true},
		{name: "bias over limit", rows: 12, k: 8, o: 16, bias: 1 << 30, shift: -1},
		{name: "left shift overflow", rows: 12, k: 64, o: 16, shift: 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.rows), uint64(tc.k)))
			p := newProblem(t, rng, tc.rows, tc.k, tc.o, 3, false)
			mult, shift := p.q.Mult, p.q.Shift
			for c := range p.bias {
				if tc.bias != 0 {
					p.bias[c] = tc.bias
					if c%2 == 1 {
						p.bias[c] = -tc.bias
					}
				}
				if tc.shift != 99 {
					shift[c] = tc.shift
				}
			}
			var err error
			p.q, err = NewRequant(p.w, p.bias, p.inOff, mult, shift, tc.oz, math.MinInt8, math.MaxInt8)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.q.fast != nil; got != tc.wantFast {
				t.Fatalf("fast epilogue %v, want %v", got, tc.wantFast)
			}
			check(t, p)
		})
	}
}

// TestInt8VNNITiles covers every tile shape and row remainder of the
// VNNI kernels: 1 to 25 rows over 1 to 5 panels, full and partial last
// panels, both epilogues, with and without a clamp.
func TestInt8VNNITiles(t *testing.T) {
	if !hasVNNI {
		t.Skip("no AVX-512 VNNI")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, o := range []int{16, 17, 32, 47, 48, 64, 72, 80} {
		for _, k := range []int{4, 27} {
			for rows := 1; rows <= 25; rows++ {
				p := newProblem(t, rng, rows, k, o, rng.Int32N(256)-128, false)
				if p.q.fast == nil {
					t.Fatalf("rows %d k %d o %d: no fast epilogue", rows, k, o)
				}
				check(t, p)
			}
		}
	}
}

// TestInt8VNNITies drives both roundings through their ties: multipliers
// that are powers of two (so x·m/2^(31+right) is often exactly halfway),
// every right shift from 0 to 12, negative and positive accumulators.
func TestInt8VNNITies(t *testing.T) {
	if !hasVNNI {
		t.Skip("no AVX-512 VNNI")
	}
	const rows, k, o = 256, 2, 26
	p := &problem{rows: rows, k: k, o: o, lda: k, ldo: o, inOff: 0}
	p.a = make([]int8, rows*k)
	for r := range rows {
		p.a[r*k], p.a[r*k+1] = int8(r-128), int8(r%7-3)
	}
	p.wRaw = make([]int8, o*k)
	p.bias = make([]int32, o)
	mult, shift := make([]int32, o), make([]int, o)
	for c := range o {
		p.wRaw[c*k], p.wRaw[c*k+1] = int8(1+c%3), int8(c%5-2)
		p.bias[c] = int32(c*37%101 - 50)
		mult[c] = 1 << 30 // 0.5
		if c%2 == 1 {
			mult[c] = 3 << 29 // 0.75
		}
		shift[c] = -(c / 2)
	}
	p.w = PackInt8(p.wRaw, o, k)
	var err error
	if p.q, err = NewRequant(p.w, p.bias, 0, mult, shift, -7, math.MinInt8, math.MaxInt8); err != nil {
		t.Fatal(err)
	}
	if p.q.fast == nil {
		t.Fatal("no fast epilogue")
	}
	check(t, p)
	// The unsigned-weight kernels' output stage, through the same ties.
	for c := range o {
		p.wRaw[c*k], p.wRaw[c*k+1] = int8(1+c%3), int8(c%5)
	}
	u := p.asUnsigned(t)
	if u.q.fast == nil {
		t.Fatal("no fast epilogue for unsigned weights")
	}
	check(t, u)
}

// TestInt8RowsUniformKernels checks the uniform kernels (dotUTF, dotUTN:
// row terms folded into the 64-bit addends) against the per-channel
// unsigned-weight kernels (dotUF, dotUN) on the same layers, bit for
// bit: every tile shape and remainder, both clamps, packed and strided
// stores, row terms at their bound.
func TestInt8RowsUniformKernels(t *testing.T) {
	if !hasVNNI {
		t.Skip("no AVX-512 VNNI")
	}
	defer func() { useUniform = true }()
	r := rand.New(rand.NewPCG(95, 96))
	for i := range 300 {
		k, o, rows := 1+r.IntN(64), 1+r.IntN(80), 1+r.IntN(50)
		wu := make([]uint8, o*k)
		for j := range wu {
			wu[j] = uint8(r.IntN(256))
		}
		w := PackUint8(wu, o, k)
		lda := k + r.IntN(3)
		a := make([]int8, (rows-1)*lda+w.KP)
		for j := range a {
			a[j] = int8(r.IntN(256) - 128)
		}
		mult, shift, bias := make([]int32, o), make([]int, o), make([]int32, o)
		m, R := int32(1<<30+r.IntN(1<<30)), r.IntN(16)
		for c := range mult {
			mult[c], shift[c] = m, -R
			bias[c] = int32(r.IntN(400001) - 200000)
		}
		bound := int64(r.IntN(1 << 21))
		rt := make([]int32, rows)
		for j := range rt {
			rt[j] = int32(r.Int64N(2*bound+1) - bound)
			if j%5 == 0 {
				rt[j] = int32(bound)
			}
		}
		lo, hi := int32(-128), int32(127)
		if i%2 == 0 {
			lo, hi = int32(-100+r.IntN(50)), int32(20+r.IntN(100))
		}
		q, err := NewRequantRows(w, bias, int32(r.IntN(256)-127), mult, shift, int32(r.IntN(256)-128), lo, hi, bound)
		if err != nil {
			t.Fatal(err)
		}
		if q.uni == nil {
			t.Fatalf("case %d: no uniform parameters", i)
		}
		ldo := o
		if i%3 == 0 {
			ldo += 1 + r.IntN(9)
		}
		var outs [2][]int8
		for u := range outs {
			useUniform = u == 1
			outs[u] = make([]int8, (rows-1)*ldo+o)
			for j := range outs[u] {
				outs[u][j] = 77
			}
			Int8Rows(a, lda, rows, w, q, 0, w.Panels, outs[u], ldo, rt)
		}
		for j := range outs[0] {
			if outs[0][j] != outs[1][j] {
				t.Fatalf("case %d (k %d o %d rows %d ldo %d R %d): byte %d: uniform %d, per-channel %d", i, k, o, rows, ldo, R, j, outs[1][j], outs[0][j])
			}
		}
	}
}
