package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestSumBytes compares SumBytes with plain per-column sums for random
// widths (around the 8-column word and the 1024-column pass), row counts
// up to SumChunk, offsets, both signednesses and extreme bytes.
func TestSumBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for i := 0; i < 300; i++ {
		n := rng.IntN(1100)
		rows := 1 + rng.IntN(SumChunk)
		stride := n + rng.IntN(9)
		src := make([]byte, rows*stride+8)
		for j := range src {
			src[j] = byte(rng.Uint32())
			switch i % 4 {
			case 1:
				src[j] = 0x7F
			case 2:
				src[j] = 0x80
			case 3:
				src[j] = 0xFF
			}
		}
		offs := make([]int, rows)
		for r := range offs {
			offs[r] = rng.IntN(rows) * stride // any rows, repeats allowed
		}
		signed := rng.IntN(2) == 0
		acc := make([]int32, n)
		for j := range acc {
			acc[j] = int32(rng.IntN(1000)) - 500
		}
		want := append([]int32(nil), acc...)
		for _, off := range offs {
			for j := 0; j < n&^7; j++ {
				if signed {
					want[j] += int32(int8(src[off+j]))
				} else {
					want[j] += int32(src[off+j])
				}
			}
		}
		if got := SumBytes(src, offs, n, signed, acc); got != n&^7 {
			t.Fatalf("summed %d columns, want %d", got, n&^7)
		}
		for j := range want {
			if acc[j] != want[j] {
				t.Fatalf("case %d (n %d rows %d signed %v): column %d = %d, want %d", i, n, rows, signed, j, acc[j], want[j])
			}
		}
	}
}
