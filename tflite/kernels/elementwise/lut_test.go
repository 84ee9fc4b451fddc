package elementwise

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestLUT8 requires table lookups to give the direct kernels' bytes for
// every input value, int8 and uint8, at lengths around the unrolled
// block.
func TestLUT8(t *testing.T) {
	lr, err := NewLeakyRelu(0.05, 0.04, 0.2, -3, 7)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := NewSigmoidish(0.06, 3)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := NewHardSwish(0.05, 0.03, -10, 4)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 255, 256, 1000} {
		raw := make([]byte, n)
		for i := range raw {
			raw[i] = byte(r.Uint32())
		}
		i8 := unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(raw))), n)
		for name, f := range map[string]func(a, b []int8){
			"leaky":    func(a, b []int8) { LeakyReluQuant(lr, a, b) },
			"logistic": func(a, b []int8) { LogisticInt8(sg, a, b) },
			"hswish":   func(a, b []int8) { HardSwishQuant(hs, a, b) },
		} {
			want, got := make([]int8, n), make([]int8, n)
			f(i8, want)
			NewLUT8(f).Apply(i8, got)
			if !bytes.Equal(asBytes(want), asBytes(got)) {
				t.Fatalf("%s int8 n=%d: table differs from the kernel", name, n)
			}
		}
		want, got := make([]uint8, n), make([]uint8, n)
		f := func(a, b []uint8) { LeakyReluQuant(lr, a, b) }
		f(raw, want)
		NewLUT8(f).Apply(raw, got)
		if !bytes.Equal(want, got) {
			t.Fatalf("leaky uint8 n=%d: table differs from the kernel", n)
		}
		rq, err := NewRequant(0.05, 0.07, 3, -128)
		if err != nil {
			t.Fatal(err)
		}
		rf := func(a []int8, b []uint8) { Requantize(rq, a, b) }
		rf(i8, want)
		NewLUT8(rf).Apply(i8, got)
		if !bytes.Equal(want, got) {
			t.Fatalf("requantize int8->uint8 n=%d: table differs from the kernel", n)
		}
	}
}

func asBytes(s []int8) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// BenchmarkLeakyReluInt8 compares the direct kernel with its table on a
// 112x112x64 activation.
func BenchmarkLeakyReluInt8(b *testing.B) {
	p, err := NewLeakyRelu(0.05, 0.04, 0.2, -3, 7)
	if err != nil {
		b.Fatal(err)
	}
	in, out := make([]int8, 112*112*64), make([]int8, 112*112*64)
	for i := range in {
		in[i] = int8(i * 7)
	}
	b.Run("direct", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			LeakyReluQuant(p, in, out)
		}
	})
	b.Run("table", func(b *testing.B) {
		t := NewLUT8(func(a, c []int8) { LeakyReluQuant(p, a, c) })
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			t.Apply(in, out)
		}
	})
}
