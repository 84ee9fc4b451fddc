package conv

import (
	"math/rand/v2"
	"testing"
)

// TestRowSums checks rowSums (the vector kernel where present) against
// rowSumsGeneric over lengths around the 64-byte blocks and the extremes.
func TestRowSums(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	for i := range 300 {
		k := 1 + r.IntN(300)
		rows := 1 + r.IntN(9)
		lda := k + r.IntN(70)
		a := randInt8s(r, (rows-1)*lda+k)
		if i%5 == 0 {
			for j := range a {
				a[j] = []int8{-128, 127}[i%2]
			}
		}
		got, want := make([]int32, rows), make([]int32, rows)
		rowSums(a, lda, k, got)
		rowSumsGeneric(a, lda, k, want)
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("case %d (k %d lda %d): row %d sums to %d, want %d", i, k, lda, j, got[j], want[j])
			}
		}
	}
}
