package gemm

import (
	"math/rand/v2"
	"testing"
)

// TestInt8Acc: the raw accumulators of Int8Acc (vector kernel where the
// machine has one) and Int8AccGeneric equal the naive sums, across row
// counts, depths that are not multiples of 4, channel counts that are not
// multiples of 16, padded row strides and rows that end exactly at K.
func TestInt8Acc(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ rows, o, k, pad int }{
		{1, 1, 1, 0}, {1, 16, 4, 0}, {2, 17, 5, 3}, {3, 80, 257, 0}, {4, 320, 257, 7},
		{5, 33, 80, 0}, {7, 512, 128, 1}, {49, 320, 257, 0}, {1, 512, 128, 0},
	} {
		lda := tc.k + tc.pad
		a := make([]int8, (tc.rows-1)*lda+tc.k) // the last row ends at K: no slack
		for i := range a {
			a[i] = int8(rng.IntN(256) - 128)
		}
		w := make([]int8, tc.o*tc.k)
		for i := range w {
			w[i] = int8(rng.IntN(256) - 128)
		}
		want := make([]int32, tc.rows*tc.o)
		for r := range tc.rows {
			for c := range tc.o {
				var s int32
				for i := range tc.k {
					s += int32(a[r*lda+i]) * int32(w[c*tc.k+i])
				}
				want[r*tc.o+c] = s
			}
		}
		p := PackInt8Acc(w, tc.o, tc.k)
		for name, f := range map[string]func([]int8, int, int, *PackedInt8, []int32, int){"fast": Int8Acc, "generic": Int8AccGeneric} {
			got := make([]int32, len(want))
			f(a, lda, tc.rows, p, got, tc.o)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s %+v: acc[%d] = %d, want %d", name, tc, i, got[i], want[i])
				}
			}
		}
	}
}
