package gemm

// PackedF32 is a float32 weight matrix of O rows (output channels) and K
// columns packed for F32: panel p holds channels [16p, 16p+16) as K rows
// of 16 values, channels past O zero. Bias is padded the same way.
// Immutable once built.
type PackedF32 struct {
	O, K   int
	Panels int
	Data   []float32 // Panels × K × PanelN
	Bias   []float32 // Panels × PanelN
}

// PackF32 packs the row-major [o, k] weight matrix w and the optional
// bias (nil for zeros).
func PackF32(w []float32, bias []float32, o, k int) *PackedF32 {
	panels := (o + PanelN - 1) / PanelN
	p := &PackedF32{O: o, K: k, Panels: panels, Data: make([]float32, panels*k*PanelN), Bias: make([]float32, panels*PanelN)}
	for c := 0; c < o; c++ {
		base := (c / PanelN) * k * PanelN
		for i := 0; i < k; i++ {
			p.Data[base+i*PanelN+c%PanelN] = w[c*k+i]
		}
	}
	copy(p.Bias, bias)
	return p
}

// F32 computes out[r·ldo + c] = clamp(Bias[c] + Σ_k a[r·lda+k]·W[c,k], lo,
// hi) for rows r in [0, rows) and the channels of panels [p0, p1). The
// vector kernel sums with fused multiply-adds in k order, so results may
// differ from a plain float32 loop by rounding.
func F32(a []float32, lda, rows int, w *PackedF32, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	if rows <= 0 || p0 >= p1 {
		return
	}
	f32Fast(a, lda, rows, w, p0, p1, lo, hi, out, ldo)
}

// F32Generic is F32 through the pure-Go kernel.
func F32Generic(a []float32, lda, rows int, w *PackedF32, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	var acc [PanelN]float32
	for r := 0; r < rows; r++ {
		ar := a[r*lda : r*lda+w.K]
		for pi := p0; pi < p1; pi++ {
			copy(acc[:], w.Bias[pi*PanelN:])
			ws := w.Data[pi*w.K*PanelN : (pi+1)*w.K*PanelN]
			for i, x := range ar {
				wk := (*[PanelN]float32)(ws[i*PanelN:])
				for j := range acc {
					acc[j] += x * wk[j]
				}
			}
			c0 := pi * PanelN
			for j := 0; j < min(PanelN, w.O-c0); j++ {
				out[r*ldo+c0+j] = min(max(acc[j], lo), hi)
			}
		}
	}
}

// F32Seg is F32 for rows that are not contiguous: row r is segs runs of
// K/segs values, run j starting at a[r·lda + j·segStride] (the windows of
// a convolution read in place, one run per filter row). segs must divide
// K and segStride must be at least K/segs.
func F32Seg(a []float32, lda, rows, segs, segStride int, w *PackedF32, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	if rows <= 0 || p0 >= p1 {
		return
	}
	f32SegFast(a, lda, rows, segs, segStride, w, p0, p1, lo, hi, out, ldo)
}

// F32SegGeneric is F32Seg through the pure-Go kernel (F32Generic's sums,
// in the same k order).
func F32SegGeneric(a []float32, lda, rows, segs, segStride int, w *PackedF32, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	seg := w.K / segs
	var acc [PanelN]float32
	for r := 0; r < rows; r++ {
		for pi := p0; pi < p1; pi++ {
			copy(acc[:], w.Bias[pi*PanelN:])
			ws := w.Data[pi*w.K*PanelN : (pi+1)*w.K*PanelN]
			for j := range segs {
				for i, x := range a[r*lda+j*segStride:][:seg] {
					wk := (*[PanelN]float32)(ws[(j*seg+i)*PanelN:])
					for c := range acc {
						acc[c] += x * wk[c]
					}
				}
			}
			c0 := pi * PanelN
			for c := 0; c < min(PanelN, w.O-c0); c++ {
				out[r*ldo+c0+c] = min(max(acc[c], lo), hi)
			}
		}
	}
}

// SegmentedF32Fast reports whether F32Seg runs a vector kernel here (else
// it is F32SegGeneric, slower than copying the runs out and calling F32).
func SegmentedF32Fast() bool { return segmentedF32Fast() }
