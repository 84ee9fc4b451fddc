//go:build arm64 && !noasm

package gemm

import (
	"math/rand/v2"
	"testing"
)

// arm64Kernels returns the arm64 kernels this CPU can run, by name.
func arm64Kernels() map[string]bool {
	k := map[string]bool{"neon": false}
	if hasDotProd {
		k["sdot"] = true
	}
	return k
}

// checkARM64 runs every arm64 kernel directly on p and compares it, bit
// for bit, with the generic kernel and the naive formula.
func checkARM64(t *testing.T, p *problem) {
	t.Helper()
	want := p.naive()
	gen := p.run(true)
	a := p.a
	if need := (p.rows-1)*p.lda + p.w.KP; len(a) < need {
		a = append(a[:len(a):len(a)], make([]int8, need-len(a))...)
	}
	for name, sdot := range arm64Kernels() {
		got := make([]int8, len(want))
		int8ARM64(a, p.lda, p.rows, p.w, p.q, 0, p.w.Panels, got, p.ldo, sdot)
		for r := 0; r < p.rows; r++ {
			for c := 0; c < p.o; c++ {
				i := r*p.ldo + c
				if got[i] != want[i] || got[i] != gen[i] {
					t.Fatalf("%s rows %d k %d o %d: out[%d,%d] = %d, want %d (generic %d)", name, p.rows, p.k, p.o, r, c, got[i], want[i], gen[i])
				}
			}
		}
	}
}

func TestImplARM64(t *testing.T) {
	want := "neon"
	if hasDotProd {
		want = "sdot"
	}
	if got := Impl(); got != want {
		t.Fatalf("Impl() = %q, want %q", got, want)
	}
	t.Logf("Impl() = %s", Impl())
}

func TestInt8ARM64Kernels(t *testing.T) {
	tests := []struct {
		name       string
		rows, k, o int
		zp         int32
		extreme    bool
	}{
		{name: "1x1x1", rows: 1, k: 1, o: 1},
		{name: "2 rows", rows: 2, k: 5, o: 16, zp: 1},
		{name: "3 rows", rows: 3, k: 8, o: 15, zp: -7},
		{name: "4 rows", rows: 4, k: 12, o: 32},
		{name: "tails", rows: 7, k: 27, o: 17, zp: -128},
		{name: "long k extreme", rows: 5, k: 4099, o: 20, zp: -128, extreme: true},
		{name: "many panels", rows: 9, k: 64, o: 161, zp: 127},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.rows), uint64(tc.k*1000+tc.o)))
			checkARM64(t, newProblem(t, rng, tc.rows, tc.k, tc.o, tc.zp, tc.extreme))
		})
	}
}

func TestInt8ARM64Random(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for i := 0; i < 300; i++ {
		checkARM64(t, newProblem(t, rng, 1+rng.IntN(20), 1+rng.IntN(200), 1+rng.IntN(90), rng.Int32N(256)-128, rng.IntN(4) == 0))
	}
}

// TestInt8ARM64Accumulators checks the raw int32 sums of both kernels
// against panelDot, including the extreme -128·-128 products whose pair
// sums overflow int16 (the NEON kernel must widen before adding).
func TestInt8ARM64Accumulators(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for i := 0; i < 100; i++ {
		k, o := 1+rng.IntN(300), 1+rng.IntN(40)
		wr := make([]int8, o*k)
		for j := range wr {
			wr[j] = int8([]int{-128, 127, -127, int(rng.IntN(256)) - 128}[rng.IntN(4)])
		}
		w := PackInt8(wr, o, k)
		rows := make([][]int8, 4)
		for r := range rows {
			rows[r] = make([]int8, w.KP)
			for j := range rows[r][:k] {
				rows[r][j] = int8([]int{-128, 127, int(rng.IntN(256)) - 128}[rng.IntN(3)])
			}
		}
		pb := w.PanelBytes()
		for pi := 0; pi < w.Panels; pi++ {
			panel := w.Data[pi*pb : (pi+1)*pb]
			var sd, ne [4 * PanelN]int32
			dotNEON2(&rows[0][0], &rows[1][0], &panel[0], w.KP/PanelK, &ne[0])
			dotNEON2(&rows[2][0], &rows[3][0], &panel[0], w.KP/PanelK, &ne[2*PanelN])
			if hasDotProd {
				dotSDOT4(&rows[0][0], &rows[1][0], &rows[2][0], &rows[3][0], &panel[0], w.KP/PanelK, &sd[0])
			}
			for r := range rows {
				want := panelDot(rows[r][:k], panel)
				for j := range want {
					if g := ne[r*PanelN+j]; g != want[j] {
						t.Fatalf("case %d neon row %d panel %d lane %d: %d, want %d", i, r, pi, j, g, want[j])
					}
					if g := sd[r*PanelN+j]; hasDotProd && g != want[j] {
						t.Fatalf("case %d sdot row %d panel %d lane %d: %d, want %d", i, r, pi, j, g, want[j])
					}
				}
			}
		}
	}
}

func FuzzInt8ARM64(f *testing.F) {
	f.Add(uint64(1), uint8(5), uint16(30), uint8(20), int8(3), false)
	f.Add(uint64(2), uint8(3), uint16(7), uint8(1), int8(-128), true)
	f.Fuzz(func(t *testing.T, seed uint64, rows uint8, k uint16, o uint8, zp int8, extreme bool) {
		if rows == 0 || k == 0 || o == 0 || k > 2048 || rows > 40 {
			t.Skip()
		}
		rng := rand.New(rand.NewPCG(seed, 11))
		checkARM64(t, newProblem(t, rng, int(rows), int(k), int(o), int32(zp), extreme))
	})
}

func BenchmarkInt8ARM64(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	p := newProblem(b, rng, 14*14, 384, 64, 3, false)
	out := make([]int8, (p.rows-1)*p.ldo+p.o)
	for name, sdot := range arm64Kernels() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				int8ARM64(p.a, p.lda, p.rows, p.w, p.q, 0, p.w.Panels, out, p.ldo, sdot)
			}
			b.ReportMetric(float64(p.rows*p.k*p.o)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
