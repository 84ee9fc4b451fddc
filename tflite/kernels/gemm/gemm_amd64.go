//go:build amd64 && !noasm

package gemm

import (
	"math"

	"golang.org/x/sys/cpu"
)

// hasVNNI reports AVX-512 F/BW/VL with VNNI, checked once at start-up
// (immutable afterwards). Tests may clear useFast through setFast.
var hasVNNI = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI

// hasAVX2 reports AVX2, the fallback for CPUs without AVX-512 VNNI
// (read-only after start-up).
var hasAVX2 = cpu.X86.HasAVX2

// Impl names the micro-kernel Int8 uses on this machine.
func Impl() string {
	switch {
	case hasVNNI:
		return "avx512vnni"
	case hasAVX2:
		return "avx2"
	}
	return "generic"
}

// needData16 reports whether PackInt8 must also build the int16 weights
// of the AVX2 kernel.
func needData16() bool { return !hasVNNI && hasAVX2 }

//go:noescape
func requantAVX2(acc *int32, rows int, q *int32, out *int8, oz int, lo int, hi int)

func int8Fast(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) {
	switch {
	case hasVNNI:
		int8VNNI(a, lda, rows, w, q, p0, p1, out, ldo, epiAuto, 1, w.KP, nil)
	case hasAVX2 && w.data16 != nil:
		int8AVX2(a, lda, rows, w, q, p0, p1, out, ldo)
	default:
		int8Generic(a, lda, rows, w, q, p0, p1, out, ldo)
	}
}

// unsignedFast reports whether int8Fast takes PackUint8 weights.
func unsignedFast() bool { return true }

// rowTermsFast reports whether Int8Rows has a fast kernel (AVX-512 VNNI).
func rowTermsFast() bool { return hasVNNI }

func int8RowsFast(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int, rt []int32) bool {
	if !hasVNNI {
		return false
	}
	int8VNNI(a, lda, rows, w, q, p0, p1, out, ldo, epiAuto, 1, w.KP, rt)
	return true
}

// useUniform enables the uniform kernels (dotUTF, dotUTN) where q.uni
// allows them; tests clear it to compare them with the per-channel ones.
var useUniform = true

// maxPairs is the most row pairs of one pair kernel (gen_amd64.go).
const maxPairs = 12

// int8RowsPairsFast runs the pair kernels over tiles of up to 24 rows;
// the caller has checked the bounds.
func int8RowsPairsFast(a []int8, lda, rows int, w *PackedInt8, q *Requant, o int, out []int8, ldo int, rt []int32) bool {
	if !hasVNNI || q.fast == nil {
		return false
	}
	contig := 0
	if o == PanelN/2 && ldo == o {
		contig = 1
	}
	c := [4]int32{q.OutputOffset, q.Min, q.Max}
	clamp := q.Min != math.MinInt8 || q.Max != math.MaxInt8
	// The full tiles of maxPairs pairs in one call (the kernel loops over
	// them), then the pairs left.
	for r0 := 0; r0 < rows; {
		np, n := maxPairs, rows/(2*maxPairs)
		if r0 > 0 || n == 0 {
			np, n = (rows-r0)/2, 1
		}
		dotPair(w.Unsigned, clamp, np, &a[r0*lda], lda, &w.Data[0], w.KP/PanelK, &q.fast[0], &out[r0*ldo], ldo, 1<<o-1, &c[0], &rt[r0], contig, n)
		r0 += 2 * np * n
	}
	return true
}

// int8RowsKPairsFast runs the k-pair kernels over tiles of up to 24
// rows; the caller has checked the bounds and q.uni.
func int8RowsKPairsFast(a []int8, lda, rows int, w *KPairs, q *Requant, out []int8, ldo int, rt []int32) bool {
	if !hasVNNI {
		return false
	}
	contig := 0
	if w.O == PanelN/2 && ldo == w.O {
		contig = 1
	}
	// The accumulators' start: lane 2c bias + 2^30 (the pair block's
	// lane c), lane 2c+1 zero.
	var init [PanelN]int32
	for c := 0; c < PanelN/2; c++ {
		init[2*c] = q.fast[c]
	}
	clamp := q.Min != math.MinInt8 || q.Max != math.MaxInt8
	kb, kt := w.KP/8, w.KP%8/4
	for r0 := 0; r0 < rows; {
		np, n := maxPairs, rows/(2*maxPairs)
		if r0 > 0 || n == 0 {
			np, n = (rows-r0)/2, 1
		}
		dotKPair(clamp, np, &a[r0*lda], lda, &w.Data[0], kb, &init[0], &out[r0*ldo], ldo, 1<<w.O-1, &q.uni[0], &rt[r0], contig, n, kt)
		r0 += 2 * np * n
	}
	return true
}

// segmentedFast reports whether Int8Seg has a fast kernel (AVX-512 VNNI).
func segmentedFast() bool { return hasVNNI }

func int8SegFast(a []int8, lda, rows, segs, segStride int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) bool {
	if !hasVNNI {
		return false
	}
	int8VNNI(a, lda, rows, w, q, p0, p1, out, ldo, epiAuto, segs, segStride, nil)
	return true
}

// Epilogues of int8VNNI.
const (
	epiAuto    = iota // the fast one where Requant allows it
	epiGeneral        // paramBlocks64, whatever the parameters
)

// int8VNNI runs tiles of up to 6 rows × 4 panels (12 rows × 2 panels or
// fewer), each requantized in registers: the fast epilogue where q.fast
// exists (unless epi is epiGeneral), else the general one. Each row's
// reduction runs over segs segments of KP/segs values, segStride apart
// (segs = 1, segStride = KP for a plain row). rt, when not nil, holds a
// term per row added to every channel's accumulator (len(rt) ≥ rows).
// The caller guarantees len(a) ≥ (rows-1)·lda + (segs-1)·segStride +
// KP/segs.
func int8VNNI(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int, epi int, segs, segStride int, rt []int32) {
	pb := w.PanelBytes()
	kb := w.KP / PanelK / segs
	skip := segStride - kb*PanelK
	lastMask := 0xFFFF
	if t := w.O % PanelN; t != 0 {
		lastMask = 1<<t - 1
	}
	c := [4]int32{q.OutputOffset, q.Min, q.Max}
	// Bounds for the assembly: every row read and written is in range.
	_ = a[(rows-1)*lda+(segs-1)*segStride+kb*PanelK-1]
	_ = out[(rows-1)*ldo+min(p1*PanelN, w.O)-1]
	if rt != nil {
		_ = rt[rows-1]
	}
	// kern: 0 general (dot), 1 fast with a clamp (dotF), 2 fast (dotN),
	// 3 and 4 those two for unsigned weights (dotUF, dotUN), 5 and 6
	// those with one multiplier and shift and row terms (dotUTF, dotUTN:
	// the constants q.uni in place of c). A switch, not a func value,
	// keeps c on the stack (noescape).
	kern, blocks, words := 0, q.blocks, blockBytes64/4
	cp := &c[0]
	if q.fast != nil && epi == epiAuto {
		kern, blocks, words = 1, q.fast, blockBytesFast/4
		if q.Min == math.MinInt8 && q.Max == math.MaxInt8 {
			kern = 2
		}
		if w.Unsigned {
			kern += 2
			if q.uni != nil && rt != nil && useUniform {
				kern += 2
				cp = &q.uni[0]
			}
		}
	} else if w.Unsigned {
		// Unsigned weights have fast-epilogue kernels only.
		if segs == 1 {
			int8GenericRows(a, lda, rows, w, q, p0, p1, out, ldo, rt)
			return
		}
		row := make([]int8, w.KP)
		segLen := w.KP / segs
		for r := 0; r < rows; r++ {
			for s := 0; s < segs; s++ {
				copy(row[s*segLen:(s+1)*segLen], a[r*lda+s*segStride:])
			}
			int8Generic(row, w.KP, 1, w, q, p0, p1, out[r*ldo:], ldo)
		}
		return
	}
	for pg := p0; pg < p1; {
		// Groups of 4 panels; a remainder of 1 or 2 takes 12-row tiles,
		// 3 panels 8-row tiles.
		np := min(4, p1-pg)
		tr := 6
		switch {
		case np <= 2:
			tr = 12
		case np == 3:
			tr = 8
		}
		tail := 0xFFFF
		if pg+np == w.Panels {
			tail = lastMask
		}
		if tail == 0xFFFF && (ldo == np*PanelN || np == 4) {
			tail |= 1 << 16 // runs of 64 output bytes: packed stores
		}
		// The full tiles in one call (the kernel loops over them), then
		// the rows left.
		for r0 := 0; r0 < rows; {
			nr, n := tr, rows/tr
			if r0 > 0 || n == 0 {
				nr, n = rows-r0, 1
			}
			ap, wp, qp, op := &a[r0*lda], &w.Data[pg*pb], &blocks[pg*words], &out[r0*ldo+pg*PanelN]
			var rp *int32
			if rt != nil {
				rp = &rt[r0]
			}
			switch kern {
			case 0:
				dot(nr, np, ap, lda, wp, pb, kb, qp, op, ldo, tail, &c[0], segs, skip, rp, n)
			case 1:
				dotF(nr, np, ap, lda, wp, pb, kb, qp, op, ldo, tail, &c[0], segs, skip, rp, n)
			case 2:
				dotN(nr, np, ap, lda, wp, pb, kb, qp, op, ldo, tail, &c[0], segs, skip, rp, n)
			case 3:
				dotUF(nr, np, ap, lda, wp, pb, kb, qp, op, ldo, tail, &c[0], segs, skip, rp, n)
			case 4:
				dotUN(nr, np, ap, lda, wp, pb, kb, qp, op, ldo, tail, &c[0], segs, skip, rp, n)
			case 5:
				dotUTF(nr, np, ap, lda, wp, pb, kb, qp, op, ldo, tail, cp, segs, skip, rp, n)
			default:
				dotUTN(nr, np, ap, lda, wp, pb, kb, qp, op, ldo, tail, cp, segs, skip, rp, n)
			}
			r0 += nr * n
		}
		pg += np
	}
}

// hasAVX512F reports AVX-512 F with FMA (read-only after start-up).
var hasAVX512F = cpu.X86.HasAVX512F && cpu.X86.HasFMA

func f32Fast(a []float32, lda, rows int, w *PackedF32, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	if !hasAVX512F {
		F32Generic(a, lda, rows, w, p0, p1, lo, hi, out, ldo)
		return
	}
	// Bounds for the assembly: every row read and written is in range.
	_ = a[(rows-1)*lda+w.K-1]
	f32Tiles(a, lda, rows, w, w.K, 1, 0, p0, p1, lo, hi, out, ldo)
}

// segmentedF32Fast reports the AVX-512 float kernel, which reads
// segmented rows.
func segmentedF32Fast() bool { return hasAVX512F }

func f32SegFast(a []float32, lda, rows, segs, segStride int, w *PackedF32, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	if !hasAVX512F {
		F32SegGeneric(a, lda, rows, segs, segStride, w, p0, p1, lo, hi, out, ldo)
		return
	}
	seg := w.K / segs
	// Bounds for the assembly: every row read and written is in range.
	_ = a[(rows-1)*lda+(segs-1)*segStride+seg-1]
	f32Tiles(a, lda, rows, w, seg, segs, (segStride-seg)*4, p0, p1, lo, hi, out, ldo)
}

// f32Tiles runs sgemm over tiles of up to 6 rows × 4 panels (12 rows for
// one or two panels); each row of
// a is segs runs of seg values, skip bytes apart. The caller has checked
// the reads of a.
func f32Tiles(a []float32, lda, rows int, w *PackedF32, seg, segs, skip, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	_ = out[(rows-1)*ldo+min(p1*PanelN, w.O)-1]
	ps := w.K * PanelN * 4
	lastMask := uint16(0xFFFF)
	if t := w.O % PanelN; t != 0 {
		lastMask = 1<<t - 1
	}
	for pg := p0; pg < p1; pg += 4 {
		np := min(4, p1-pg)
		tail := uint16(0xFFFF)
		if pg+np == w.Panels {
			tail = lastMask
		}
		tr := 6
		if np <= 2 {
			tr = 12 // at most 24 accumulators
		}
		for r0 := 0; r0 < rows; r0 += tr {
			nr := min(tr, rows-r0)
			sgemm(nr, np, &a[r0*lda], lda*4, &w.Data[pg*w.K*PanelN], ps, seg, &w.Bias[pg*PanelN],
				&out[r0*ldo+pg*PanelN], ldo*4, lo, hi, tail, segs, skip)
		}
	}
}

// int8AVX2 runs tiles of up to 3 rows × 1 panel: int16 weights, sign
// extended activations, VPMADDWD pairs (exact: no saturation) and the
// vector requantization. The caller guarantees len(a) ≥ (rows-1)·lda + KP
// and w.data16 != nil.
func int8AVX2(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) {
	var acc [6 * 64]int32
	var tmp [3 * 16]int8
	kb := w.KP / PanelK
	_ = a[(rows-1)*lda+w.KP-1]
	for pi := p0; pi < p1; pi++ {
		c0 := pi * PanelN
		n := min(PanelN, w.O-c0)
		for r0 := 0; r0 < rows; r0 += 3 {
			nr := min(3, rows-r0)
			dotAVX2(nr, &a[r0*lda], lda, &w.data16[pi*w.KP*PanelN], kb, &acc[0])
			requantAVX2(&acc[0], nr, &q.blocksS[pi*ParamWords], &tmp[0], int(q.OutputOffset), int(q.Min), int(q.Max))
			for r := 0; r < nr; r++ {
				copy(out[(r0+r)*ldo+c0:(r0+r)*ldo+c0+n], tmp[r*16:r*16+n])
			}
		}
	}
}

// accNeedsData16 reports whether Int8Acc runs the AVX2 kernel, which reads
// int16 weights.
func accNeedsData16() bool { return hasAVX2 }

// int8AccFast runs Int8Acc through the AVX2 kernel (sign-extended
// activations, VPMADDWD: exact) where the weights were widened. The caller
// guarantees len(a) ≥ (rows-1)·lda + KP.
func int8AccFast(a []int8, lda, rows int, w *PackedInt8, acc []int32, ldo int) {
	if !hasAVX2 || w.data16 == nil || w.KP == 0 {
		int8AccGeneric(a, lda, rows, w, acc, ldo)
		return
	}
	var tile [3 * 64]int32
	kb := w.KP / PanelK
	_ = a[(rows-1)*lda+w.KP-1]
	for pi := 0; pi < w.Panels; pi++ {
		c0 := pi * PanelN
		n := min(PanelN, w.O-c0)
		for r0 := 0; r0 < rows; r0 += 3 {
			nr := min(3, rows-r0)
			dotAVX2(nr, &a[r0*lda], lda, &w.data16[pi*w.KP*PanelN], kb, &tile[0])
			for r := 0; r < nr; r++ {
				copy(acc[(r0+r)*ldo+c0:(r0+r)*ldo+c0+n], tile[r*64:r*64+n])
			}
		}
	}
}
