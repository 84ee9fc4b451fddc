//go:build amd64 && !noasm

package elementwise

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestAddSubFastLayout pins the parameter block offsets the assembly reads.
func TestAddSubFastLayout(t *testing.T) {
	var v addSubFast
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"a2", unsafe.Offsetof(v.a2), 0}, {"off1", unsafe.Offsetof(v.off1), 8}, {"mh1", unsafe.Offsetof(v.mh1), 16},
		{"mh2", unsafe.Offsetof(v.mh2), 28}, {"mo", unsafe.Offsetof(v.mo), 40}, {"outOff", unsafe.Offsetof(v.outOff), 44},
		{"sub", unsafe.Offsetof(v.sub), 56}, {"sc1", unsafe.Offsetof(v.sc1), 60}, {"sco", unsafe.Offsetof(v.sco), 76},
		{"ro", unsafe.Offsetof(v.ro), 80}, {"idx", unsafe.Offsetof(v.idx), 84},
	} {
		if c.got != c.want {
			t.Errorf("offset of %s = %d, assembly reads %d", c.name, c.got, c.want)
		}
	}
}

// TestAddSubFastExhaustive runs every (a, b) int8 pair through the fast
// kernel for random ADD/SUB parameters — scale ratios up to 2^18 apart,
// extreme zero points, clamps — and compares each with the scalar formula.
// It also counts that the fast kernel was chosen for most of them.
func TestAddSubFastExhaustive(t *testing.T) {
	if !hasAddSubVec {
		t.Skip("no AVX-512 on this machine")
	}
	a, b := make([]int8, 1<<16), make([]int8, 1<<16)
	for i := range a {
		a[i], b[i] = int8(i), int8(i>>8)
	}
	got := make([]int8, len(a))
	r := rand.New(rand.NewPCG(41, 42))
	zps := []int32{-128, 127, 0, -1, 1}
	fast, tried := 0, 0
	for i := 0; i < 150; i++ {
		s1 := float32(0.001 + r.Float64())
		s2 := s1 * float32(int(1)<<r.IntN(19)) * float32(0.5+r.Float64())
		if r.IntN(2) == 0 {
			s1, s2 = s2, s1
		}
		so := float32(0.0005 + r.Float64()*0.2)
		z1, z2, zo := r.Int32N(256)-128, r.Int32N(256)-128, r.Int32N(256)-128
		if i%3 == 0 {
			z1, z2, zo = zps[r.IntN(len(zps))], zps[r.IntN(len(zps))], zps[r.IntN(len(zps))]
		}
		lo, hi := int32(-128), int32(127)
		if r.IntN(3) == 0 {
			lo, hi = zo, min(127, zo+r.Int32N(100))
		}
		p, err := NewAddSub(r.IntN(2) == 0, s1, s2, so, z1, z2, zo, false, lo, hi)
		if err != nil {
			continue
		}
		tried++
		k, ok := addSubVectors(&p)
		if !ok {
			continue
		}
		if k.useFast {
			fast++
		}
		if n := addSubInt8Vec(&k, a, b, got); n != len(a) {
			t.Fatalf("vector kernel did %d of %d", n, len(a))
		}
		for j := range a {
			if want := int8(p.out(p.scale1(int32(a[j])), p.scale2(int32(b[j])))); got[j] != want {
				t.Fatalf("case %d %+v (fast %v): %d ⊕ %d = %d, want %d", i, p, k.useFast, a[j], b[j], got[j], want)
			}
		}
	}
	if tried < 100 || fast < tried*3/4 {
		t.Fatalf("fast kernel chosen for %d of %d parameter sets", fast, tried)
	}
}

// BenchmarkAddSubKernels times the general and the fast int8 ADD kernel on
// MobileNetV2's 56×56×24 residual add.
func BenchmarkAddSubKernels(b *testing.B) {
	p, err := NewAddSub(false, 0.05, 0.07, 0.09, 3, -5, 1, false, -128, 127)
	if err != nil {
		b.Fatal(err)
	}
	n := 56 * 56 * 24
	x, y, out := make([]int8, n), make([]int8, n), make([]int8, n)
	for i := range x {
		x[i], y[i] = int8(i*7), int8(i*13)
	}
	general, ok1 := addSubVector(&p)
	fast, ok2 := addSubFastParams(&p)
	if !ok1 || !ok2 {
		b.Skip("no vector kernels here")
	}
	b.Run("general", func(b *testing.B) {
		b.SetBytes(int64(n))
		for b.Loop() {
			addSubInt8AVX512(&x[0], &y[0], &out[0], n, &general)
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(n))
		for b.Loop() {
			addSubInt8Fast(&x[0], &y[0], &out[0], n, &fast)
		}
	})
}
