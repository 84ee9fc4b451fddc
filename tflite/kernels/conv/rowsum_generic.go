//go:build !amd64 || noasm

package conv

// rowSums writes out[r] = Σ_{j<k} a[r·lda + j] for r < len(out).
func rowSums(a []int8, lda, k int, out []int32) { rowSumsGeneric(a, lda, k, out) }

// rowTerms writes out[r] = mul·Σ_{j<k} a[r·lda + j] for r < len(out).
func rowTerms(a []int8, lda, k int, mul int32, out []int32) {
	rowSumsGeneric(a, lda, k, out)
	for i, s := range out {
		out[i] = mul * s
	}
}
