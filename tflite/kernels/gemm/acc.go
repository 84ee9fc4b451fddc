package gemm

// PackInt8Acc is PackInt8 for weights that Int8Acc multiplies: it also
// builds what Int8Acc's vector kernel reads on this machine (int16 copies
// of the weights on amd64 with AVX2).
func PackInt8Acc(w []int8, o, k int) *PackedInt8 {
	p := PackInt8(w, o, k)
	if p.data16 == nil && accNeedsData16() {
		p.widen()
	}
	return p
}

// Int8Acc computes the raw dot products acc[r·ldo + c] = Σ_k a[r·lda+k]·W[c,k]
// for rows r in [0, rows) and every channel c < O: no bias, offset or
// requantization, for callers whose output stage is not Int8's (int16
// outputs, saturating sums of several products). w must come from
// PackInt8Acc. Rows of a may be read up to KP bytes, as in Int8.
func Int8Acc(a []int8, lda, rows int, w *PackedInt8, acc []int32, ldo int) {
	if w.Unsigned {
		panic("gemm: Int8Acc: unsigned (PackUint8) weights")
	}
	if rows <= 0 || w.O == 0 {
		return
	}
	if need := (rows-1)*lda + w.KP; len(a) < need {
		Int8Acc(a, lda, rows-1, w, acc, ldo)
		int8AccGeneric(a[(rows-1)*lda:], lda, 1, w, acc[(rows-1)*ldo:], ldo)
		return
	}
	int8AccFast(a, lda, rows, w, acc, ldo)
}

// Int8AccGeneric is Int8Acc through the pure-Go kernel, whatever the CPU.
func Int8AccGeneric(a []int8, lda, rows int, w *PackedInt8, acc []int32, ldo int) {
	int8AccGeneric(a, lda, rows, w, acc, ldo)
}

func int8AccGeneric(a []int8, lda, rows int, w *PackedInt8, acc []int32, ldo int) {
	pb := w.PanelBytes()
	for r := 0; r < rows; r++ {
		ar := a[r*lda : r*lda+w.K]
		for pi := 0; pi < w.Panels; pi++ {
			s := panelDot(ar, w.Data[pi*pb:(pi+1)*pb])
			c0 := pi * PanelN
			copy(acc[r*ldo+c0:r*ldo+min(c0+PanelN, w.O)], s[:])
		}
	}
}
