//go:build amd64 && !noasm

package conv

import "golang.org/x/sys/cpu"

// hasRowSums reports the AVX-512 subset rowSumsAVX512 needs (read-only
// after start-up).
var hasRowSums = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

//go:noescape
func rowSumsAVX512(a *int8, lda int, rows int, k int, out *int32)

// rowSums writes out[r] = Σ_{j<k} a[r·lda + j] for r < len(out).
func rowSums(a []int8, lda, k int, out []int32) {
	if len(out) == 0 {
		return
	}
	_ = a[(len(out)-1)*lda+k-1]
	if hasRowSums && k > 0 {
		rowSumsAVX512(&a[0], lda, len(out), k, &out[0])
		return
	}
	rowSumsGeneric(a, lda, k, out)
}
