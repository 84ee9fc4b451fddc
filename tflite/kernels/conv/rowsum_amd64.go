//go:build amd64 && !noasm

package conv

import "golang.org/x/sys/cpu"

// hasRowSums reports the AVX-512 subset rowSumsAVX512 needs (read-only
// after start-up).
var hasRowSums = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// hasRowTerms16 reports what rowTerms16AVX512 needs (read-only after
// start-up).
var hasRowTerms16 = hasRowSums && cpu.X86.HasAVX512VNNI

//go:noescape
func rowSumsAVX512(a *int8, lda int, rows int, k int, out *int32)

//go:noescape
func rowTermsPackedAVX512(a *int8, q int, groups int, mabs int, neg int, out *int32)

//go:noescape
func rowTermsFold3AVX512(a *int8, q int, groups int, mabs int, neg int, out *int32)

//go:noescape
func rowTerms16AVX512(a *int8, lda int, groups int, k int, mabs int, neg int, out *int32)

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

// rowTerms writes out[r] = mul·Σ_{j<k} a[r·lda + j] for r < len(out);
// |mul| ≤ 255 and 128·|mul|·k < 2^31.
func rowTerms(a []int8, lda, k int, mul int32, out []int32) {
	n := len(out)
	if n == 0 {
		return
	}
	_ = a[(n-1)*lda+k-1]
	if hasRowTerms16 && k > 0 && n >= 16 {
		neg := 0
		if mul < 0 {
			neg = 1
		}
		g := n / 16
		switch {
		case lda == k && (k == 4 || k == 8 || k == 16 || k == 32):
			rowTermsPackedAVX512(&a[0], k/4, g, int(max(mul, -mul)), neg, &out[0])
		case lda == k && (k == 24 || k == 48):
			rowTermsFold3AVX512(&a[0], k/4, g, int(max(mul, -mul)), neg, &out[0])
		default:
			rowTerms16AVX512(&a[0], lda, g, k, int(max(mul, -mul)), neg, &out[0])
		}
		if out = out[g*16:]; len(out) == 0 {
			return
		}
		a = a[g*16*lda:]
	}
	rowSums(a, lda, k, out)
	for i, s := range out {
		out[i] = mul * s
	}
}
