package conv

// rowSumsGeneric is rowSums in Go.
func rowSumsGeneric(a []int8, lda, k int, out []int32) {
	for r := range out {
		var s int32
		for _, v := range a[r*lda : r*lda+k] {
			s += int32(v)
		}
		out[r] = s
	}
}
