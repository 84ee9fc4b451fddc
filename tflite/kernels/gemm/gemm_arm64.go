//go:build arm64 && !noasm

package gemm

import "golang.org/x/sys/cpu"

// hasDotProd reports the Armv8.2 dot-product extension (SDOT), checked once
// at start-up and read-only afterwards. Without it the NEON kernel
// (SMULL/SADALP, available on every arm64 CPU) runs.
var hasDotProd = cpu.ARM64.HasASIMDDP

// Impl names the micro-kernel Int8 uses on this machine.
func Impl() string {
	if hasDotProd {
		return "sdot"
	}
	return "neon"
}

// needData16 is false: no arm64 kernel reads int16 weights.
func needData16() bool { return false }

// dotSDOT4 sets acc[16r+j] to the dot product of rows a0..a3 (4·kb bytes
// each) with channel j of the packed panel at w (kb blocks). It needs the
// dot-product extension.
//
//go:noescape
func dotSDOT4(a0, a1, a2, a3 *int8, w *int8, kb int, acc *int32)

// dotNEON2 is dotSDOT4 for the two rows a0, a1 with baseline NEON
// instructions.
//
//go:noescape
func dotNEON2(a0, a1 *int8, w *int8, kb int, acc *int32)

func int8Fast(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) {
	int8ARM64(a, lda, rows, w, q, p0, p1, out, ldo, hasDotProd)
}

// int8ARM64 runs tiles of up to 4 rows × 1 panel through the SDOT kernel
// (sdot) or the NEON one, then requantizes in Go. The caller guarantees
// len(a) ≥ (rows-1)·lda + KP.
func int8ARM64(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int, sdot bool) {
	if w.KP == 0 {
		int8Generic(a, lda, rows, w, q, p0, p1, out, ldo)
		return
	}
	// Bounds for the assembly: every row is readable for KP bytes, so are
	// the panels.
	_ = a[(rows-1)*lda+w.KP-1]
	pb := w.PanelBytes()
	_ = w.Data[p1*pb-1]
	kb := w.KP / PanelK
	var acc [4 * PanelN]int32
	for pi := p0; pi < p1; pi++ {
		c0 := pi * PanelN
		n := min(PanelN, w.O-c0)
		wp := &w.Data[pi*pb]
		for r0 := 0; r0 < rows; r0 += 4 {
			nr := min(4, rows-r0)
			// Rows past the last repeat it: valid memory, results unused.
			row := func(i int) *int8 { return &a[(r0+min(i, nr-1))*lda] }
			if sdot {
				dotSDOT4(row(0), row(1), row(2), row(3), wp, kb, &acc[0])
			} else {
				dotNEON2(row(0), row(1), wp, kb, &acc[0])
				if nr > 2 {
					dotNEON2(row(2), row(3), wp, kb, &acc[2*PanelN])
				}
			}
			for r := 0; r < nr; r++ {
				or := out[(r0+r)*ldo+c0 : (r0+r)*ldo+c0+n]
				ar := acc[r*PanelN : r*PanelN+n]
				for j, s := range ar {
					c := c0 + j
					v := MulQ(s+q.Bias[c], q.Mult[c], q.Shift[c]) + q.OutputOffset
					or[j] = int8(min(max(v, q.Min), q.Max))
				}
			}
		}
	}
}

func f32Fast(a []float32, lda, rows int, w *PackedF32, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	F32Generic(a, lda, rows, w, p0, p1, lo, hi, out, ldo)
}

// rowTermsFast is false: Int8Rows has no fast kernel here.
func rowTermsFast() bool { return false }

func int8RowsFast(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int, rt []int32) bool {
	return false
}

// segmentedFast is false: Int8Seg has no fast kernel here.
func segmentedFast() bool { return false }

// segmentedF32Fast is false: F32Seg has no fast kernel here.
func segmentedF32Fast() bool { return false }

func f32SegFast(a []float32, lda, rows, segs, segStride int, w *PackedF32, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	F32SegGeneric(a, lda, rows, segs, segStride, w, p0, p1, lo, hi, out, ldo)
}

func int8SegFast(a []int8, lda, rows, segs, segStride int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) bool {
	return false
}

func accNeedsData16() bool { return false }

// int8AccFast runs Int8Acc through the SDOT (or NEON) kernel. The caller
// guarantees len(a) ≥ (rows-1)·lda + KP.
func int8AccFast(a []int8, lda, rows int, w *PackedInt8, acc []int32, ldo int) {
	if w.KP == 0 {
		int8AccGeneric(a, lda, rows, w, acc, ldo)
		return
	}
	_ = a[(rows-1)*lda+w.KP-1]
	pb := w.PanelBytes()
	kb := w.KP / PanelK
	var tile [4 * PanelN]int32
	for pi := 0; pi < w.Panels; pi++ {
		c0 := pi * PanelN
		n := min(PanelN, w.O-c0)
		wp := &w.Data[pi*pb]
		for r0 := 0; r0 < rows; r0 += 4 {
			nr := min(4, rows-r0)
			row := func(i int) *int8 { return &a[(r0+min(i, nr-1))*lda] }
			if hasDotProd {
				dotSDOT4(row(0), row(1), row(2), row(3), wp, kb, &tile[0])
			} else {
				dotNEON2(row(0), row(1), wp, kb, &tile[0])
				if nr > 2 {
					dotNEON2(row(2), row(3), wp, kb, &tile[2*PanelN])
				}
			}
			for r := 0; r < nr; r++ {
				copy(acc[(r0+r)*ldo+c0:(r0+r)*ldo+c0+n], tile[r*PanelN:r*PanelN+n])
			}
		}
	}
}

// int8RowsPairsFast is false: Int8RowsPairs has no kernel here.
func int8RowsPairsFast(a []int8, lda, rows int, w *PackedInt8, q *Requant, o int, out []int8, ldo int, rt []int32) bool {
	return false
}

// unsignedFast is false: PackUint8 weights take the generic kernel here.
func unsignedFast() bool { return false }

// int8RowsKPairsFast is false: Int8RowsKPairs has no kernel here.
func int8RowsKPairsFast(a []int8, lda, rows int, w *KPairs, q *Requant, out []int8, ldo int, rt []int32) bool {
	return false
}
