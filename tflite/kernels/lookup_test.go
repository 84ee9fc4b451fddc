package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestLookupBytes checks LookupBytes against a plain lookup for random
// tables at every length up to 300 (the vector kernel's 64-byte steps and
// its masked tail), from offsets that are not 64-byte aligned, writing
// nothing past out[len(in)-1], and in place.
func TestLookupBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var tab [256]byte
	for i := range tab {
		tab[i] = byte(r.Uint32())
	}
	buf := make([]byte, 300+64+3)
	out := make([]byte, len(buf))
	for n := 0; n <= 300; n++ {
		off := n % 3
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		in := buf[off : off+n]
		for i := range out {
			out[i] = 0xA5
		}
		LookupBytes(&tab, in, out[off:off+n+1])
		for i := range out {
			want := byte(0xA5)
			if i >= off && i < off+n {
				want = tab[in[i-off]]
			}
			if out[i] != want {
				t.Fatalf("n=%d off=%d: out[%d] = %#x, want %#x", n, off, i, out[i], want)
			}
		}
		src := append([]byte(nil), in...)
		LookupBytes(&tab, in, in)
		for i, v := range src {
			if in[i] != tab[v] {
				t.Fatalf("in place n=%d: byte %d = %#x, want %#x", n, i, in[i], tab[v])
			}
		}
	}
}

func BenchmarkLookupBytes(b *testing.B) {
	var tab [256]byte
	for i := range tab {
		tab[i] = byte(255 - i)
	}
	in := make([]byte, 112*112*64)
	for i := range in {
		in[i] = byte(i * 7)
	}
	out := make([]byte, len(in))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		LookupBytes(&tab, in, out)
	}
}
