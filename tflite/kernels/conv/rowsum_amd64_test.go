//go:build amd64 && !noasm

package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkRowTermsPacked times the row terms of rows back to back (1×1
// layers' inputs: 3136 rows, 56×56) on the fold3 kernel and on the
// general 16-row one.
func BenchmarkRowTermsPacked(b *testing.B) {
	if !hasRowTerms16 {
		b.Skip("no AVX-512 VNNI")
	}
	const rows = 3136
	for _, k := range []int{24, 48} {
		a := randInt8s(rand.New(rand.NewPCG(1, 2)), rows*k)
		out := make([]int32, rows)
		b.Run(fmt.Sprintf("k%d/fold3", k), func(b *testing.B) {
			for b.Loop() {
				rowTermsFold3AVX512(&a[0], k/4, rows/16, 91, 1, &out[0])
			}
		})
		b.Run(fmt.Sprintf("k%d/rows16", k), func(b *testing.B) {
			for b.Loop() {
				rowTerms16AVX512(&a[0], k, rows/16, k, 91, 1, &out[0])
			}
		})
	}
}
