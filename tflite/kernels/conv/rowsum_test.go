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

// TestRowTerms checks rowTerms (16-row vector groups and the rest) against
// mul times rowSumsGeneric over lengths around the 64-byte blocks, row
// counts around 16, multipliers of both signs up to ±255 and extreme
// bytes.
func TestRowTerms(t *testing.T) {
	r := rand.New(rand.NewPCG(93, 94))
	for i := range 800 {
		k := 1 + r.IntN(300)
		if i%4 == 0 {
			k = 1 + r.IntN(70)
		}
		rows := 1 + r.IntN(70)
		lda := k + r.IntN(70)
		if i%3 == 0 { // rows back to back, the packed and fold3 kernels' lengths
			k = []int{4, 8, 16, 32, 24, 48}[r.IntN(6)]
			lda = k
		}
		mul := int32(r.IntN(511)) - 255
		if i%7 == 0 {
			mul = []int32{255, -255, -128, 1, -1, 0}[i%6]
		}
		a := randInt8s(r, (rows-1)*lda+k)
		if i%5 == 0 {
			for j := range a {
				a[j] = []int8{-128, 127}[i%2]
			}
		}
		got, want := make([]int32, rows), make([]int32, rows)
		rowTerms(a, lda, k, mul, got)
		rowSumsGeneric(a, lda, k, want)
		for j := range got {
			if got[j] != mul*want[j] {
				t.Fatalf("case %d (k %d lda %d rows %d mul %d): row %d term %d, want %d", i, k, lda, rows, mul, j, got[j], mul*want[j])
			}
		}
	}
}
