package conv

import (
	"encoding/binary"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// Parallel runs fn over [0, n) split into disjoint contiguous ranges,
// possibly concurrently (op.Exec.Parallel has this signature).
type Parallel func(n int, fn func(lo, hi int))

// MaxSlots bounds the number of im2col scratch tiles of one ConvInt8, and
// so the number of workers that run one convolution.
const MaxSlots = 16

// tileBytes is the target size of one im2col tile.
const tileBytes = 16 << 10

// gemmRows is the row granularity of the GEMM micro-kernels; work is split
// between workers in multiples of it.
const gemmRows = 6

// ConvInt8 is a prepared int8 CONV_2D (groups = 1): im2col into scratch
// tiles, or the input itself for a 1x1 stride-1 unpadded convolution,
// followed by gemm.Int8 over packed weights. It is immutable after
// NewConvInt8 and safe for concurrent use.
type ConvInt8 struct {
	G         Geom
	W         *gemm.PackedInt8
	Q         *gemm.Requant
	pad       int8 // the input zero point: the value that contributes nothing
	direct    bool
	tileRows  int
	shortRows bool // im2colShort applies
	// seg, where set, reads the windows of inside pixels in place
	// (gemm.Int8Seg): one segment per filter row.
	seg *segConv
}

// segConv is the in-place path of a convolution with short filter rows:
// the filter repacked with each row of KW·InC values padded to segLen (a
// multiple of 4) with zero weights, so that a window is KH segments of
// segLen input bytes read where they lie.
type segConv struct {
	w      *gemm.PackedInt8
	q      *gemm.Requant
	segLen int
}

// newSegConv returns the in-place path of a convolution, or nil where it
// does not apply or would not pay: without a fast gemm.Int8Seg, with
// column dilation, or with filter rows longer than 16 bytes (im2col
// copies those well) or padded by more than a third.
func newSegConv(g *Geom, w *gemm.PackedInt8, q *Requant, bias []int32) (*segConv, error) {
	seg := g.KW * g.InC
	if !gemm.SegmentedFast() || g.DilW != 1 || seg > 16 || (seg < 8 && seg%gemm.PanelK != 0) {
		return nil, nil
	}
	segLen := (seg + gemm.PanelK - 1) / gemm.PanelK * gemm.PanelK
	raw := w.Unpack()
	k := g.KH * segLen
	padded := make([]int8, w.O*k)
	for o := 0; o < w.O; o++ {
		for ky := 0; ky < g.KH; ky++ {
			copy(padded[o*k+ky*segLen:o*k+ky*segLen+seg], raw[o*w.K+ky*seg:])
		}
	}
	pw := gemm.PackInt8(padded, w.O, k)
	pq, err := gemm.NewRequant(pw, bias, q.InputOffset, q.Mult, q.Shift, q.OutputOffset, q.Min, q.Max)
	if err != nil {
		return nil, err
	}
	return &segConv{w: pw, q: pq, segLen: segLen}, nil
}

// NewConvInt8 prepares a convolution: w is gemm.PackInt8 of the [OutC,
// KH·KW·InC] filter, q the per-channel output stage (Mult must come from
// kernels.QuantizeMultiplier) and bias the optional int32 bias.
func NewConvInt8(g Geom, w *gemm.PackedInt8, q *Requant, bias []int32) (*ConvInt8, error) {
	gq, err := gemm.NewRequant(w, bias, q.InputOffset, q.Mult, q.Shift, q.OutputOffset, q.Min, q.Max)
	if err != nil {
		return nil, err
	}
	c := &ConvInt8{G: g, W: w, Q: gq, pad: int8(-q.InputOffset)}
	c.direct = g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 &&
		g.InH == g.OutH && g.InW == g.OutW
	c.tileRows = max(1, min(96, tileBytes/w.KP)/gemmRows) * gemmRows
	c.shortRows = shortSegments(&g, 1)
	if !c.direct {
		if c.seg, err = newSegConv(&g, w, q, bias); err != nil {
			return nil, err
		}
		if c.seg != nil {
			// Whole output rows per tile: the in-place runs stay long.
			c.tileRows = g.OutW * max(1, 96/g.OutW)
		}
	}
	return c, nil
}

// ScratchBytes returns the scratch Run needs.
func (c *ConvInt8) ScratchBytes() int {
	if c.direct {
		return 0
	}
	return MaxSlots * c.tileRows * c.W.KP
}

// Run computes the convolution of in into out using up to workers
// concurrent calls through par. scratch must hold ScratchBytes bytes.
func (c *ConvInt8) Run(in, out []int8, scratch []int8, workers int, par Parallel) {
	n := c.Parts(workers)
	par(n, func(lo, hi int) { c.RunParts(in, out, scratch, n, lo, hi) })
}

// Parts returns the number of independent parts the convolution splits
// into for up to workers concurrent callers (at least 1).
func (c *ConvInt8) Parts(workers int) int {
	m := c.G.Batch * c.G.OutH * c.G.OutW
	if c.direct {
		return (m + gemmRows - 1) / gemmRows
	}
	return max(1, min(workers, MaxSlots, (m+c.tileRows-1)/c.tileRows))
}

// RunParts computes parts [lo, hi) of the n = Parts(workers) parts of
// the convolution of in into out; calls on disjoint ranges may run
// concurrently. Run is RunParts over [0, n) through par.
func (c *ConvInt8) RunParts(in, out []int8, scratch []int8, n, lo, hi int) {
	g := &c.G
	m := g.Batch * g.OutH * g.OutW
	if c.direct {
		r0, r1 := lo*gemmRows, min(m, hi*gemmRows)
		gemm.Int8(in[r0*g.InC:], g.InC, r1-r0, c.W, c.Q, 0, c.W.Panels, out[r0*g.OutC:], g.OutC)
		return
	}
	tiles := (m + c.tileRows - 1) / c.tileRows
	slots := n
	kp := c.W.KP
	for s := lo; s < hi; s++ {
		buf := scratch[s*c.tileRows*kp : (s+1)*c.tileRows*kp]
		for t := s; t < tiles; t += slots {
			r0, r1 := t*c.tileRows, min(m, (t+1)*c.tileRows)
			if c.seg != nil {
				c.runSeg(in, out, r0, r1, buf)
				continue
			}
			if c.shortRows {
				im2colShortRuns(g, in, r0, r1, buf, kp, c.pad)
			} else {
				im2colTile(g, in, r0, r1, buf, kp, c.pad)
			}
			gemm.Int8(buf, kp, r1-r0, c.W, c.Q, 0, c.W.Panels, out[r0*g.OutC:], g.OutC)
		}
	}
}

// runSeg computes output pixels [r0, r1) through the in-place path:
// runs of pixels whose windows lie inside the input (and whose padded
// segments end inside in) go straight to gemm.Int8Seg, the others through
// im2colAt into buf and gemm.Int8.
func (c *ConvInt8) runSeg(in, out []int8, r0, r1 int, buf []int8) {
	g := &c.G
	kp := c.W.KP
	pixStep := g.StrideW * g.InC
	rowStep := g.DilH * g.InW * g.InC
	// maxOff is the last window offset whose padded segments end in in.
	maxOff := len(in) - (g.KH-1)*rowStep - c.seg.segLen
	ox := r0 % g.OutW
	oy := (r0 / g.OutW) % g.OutH
	b := r0 / (g.OutW * g.OutH)
	for r := r0; r < r1; {
		n := min(g.OutW-ox, r1-r)
		iy0 := oy*g.StrideH - g.PadH
		rowInside := iy0 >= 0 && iy0+(g.KH-1)*g.DilH < g.InH
		// inside returns the window offset of pixel x of this row and
		// the number of pixels from x on that take the in-place path.
		inside := func(x int) (off, run int) {
			ix0 := x*g.StrideW - g.PadW
			if !rowInside || ix0 < 0 || ix0+g.KW > g.InW {
				return 0, 0
			}
			off = ((b*g.InH+iy0)*g.InW + ix0) * g.InC
			if off > maxOff {
				return 0, 0
			}
			return off, min((g.InW-g.KW-ix0)/g.StrideW+1, (maxOff-off)/pixStep+1)
		}
		for k := 0; k < n; {
			if off, run := inside(ox + k); run > 0 {
				run = min(run, n-k)
				gemm.Int8Seg(in[off:], pixStep, run, g.KH, rowStep, c.seg.w, c.seg.q, 0, c.seg.w.Panels,
					out[(r+k)*g.OutC:], g.OutC)
				k += run
				continue
			}
			nb := 0
			for k+nb < n {
				if _, run := inside(ox + k + nb); run > 0 {
					break
				}
				im2colAt(g, in, b, oy, ox+k+nb, buf[nb*kp:(nb+1)*kp], c.pad)
				nb++
			}
			gemm.Int8(buf, kp, nb, c.W, c.Q, 0, c.W.Panels, out[(r+k)*g.OutC:], g.OutC)
			k += nb
		}
		r += n
		if ox += n; ox == g.OutW {
			ox = 0
			if oy++; oy == g.OutH {
				oy = 0
				b++
			}
		}
	}
}

// shortSegments reports whether im2colShort applies: KW·InC values of
// 8 to 64 bytes per filter row and no column dilation (MobileNet's
// 3×3×3 stem).
func shortSegments(g *Geom, size int) bool {
	b := g.KW * g.InC * size
	return g.DilW == 1 && b >= 8 && b <= 64
}

// im2colShort is im2colTile for short filter rows (shortSegments): pixels
// whose window is inside the input copy each row segment with 8-byte
// moves (the last one overlapping); the others take im2colAt.
func im2colShort[T int8 | float32](g *Geom, in []T, r0, r1 int, buf []T, kp int, pad T) {
	size := int(unsafe.Sizeof(pad))
	seg := g.KW * g.InC
	segBytes := seg * size
	rowStride := g.InW * g.InC
	ox := r0 % g.OutW
	oy := (r0 / g.OutW) % g.OutH
	b := r0 / (g.OutW * g.OutH)
	for r := r0; r < r1; r++ {
		dst := buf[(r-r0)*kp : (r-r0+1)*kp]
		iy0, ix0 := oy*g.StrideH-g.PadH, ox*g.StrideW-g.PadW
		if iy0 >= 0 && iy0+(g.KH-1)*g.DilH < g.InH && ix0 >= 0 && ix0+g.KW <= g.InW {
			src := in[((b*g.InH+iy0)*g.InW+ix0)*g.InC:]
			_ = src[(g.KH-1)*g.DilH*rowStride+seg-1]
			_ = dst[g.KH*seg-1]
			for ky := 0; ky < g.KH; ky++ {
				s := unsafe.Pointer(&src[ky*g.DilH*rowStride])
				d := unsafe.Pointer(&dst[ky*seg])
				for o := 0; o < segBytes-8; o += 8 {
					*(*uint64)(unsafe.Add(d, o)) = *(*uint64)(unsafe.Add(s, o))
				}
				*(*uint64)(unsafe.Add(d, segBytes-8)) = *(*uint64)(unsafe.Add(s, segBytes-8))
			}
			for i := g.KH * seg; i < kp; i++ {
				dst[i] = 0
			}
		} else {
			im2colAt(g, in, b, oy, ox, dst, pad)
		}
		if ox++; ox == g.OutW {
			ox = 0
			if oy++; oy == g.OutH {
				oy = 0
				b++
			}
		}
	}
}

// im2colShortRuns is im2colShort with the per-pixel work hoisted: along
// an output row the window's source offset advances by a constant, a pixel
// whose window is inside the input costs 8-byte moves only (a tail of at
// most 8 zero bytes is one 8-byte store written first), and the others
// take im2colAt.
func im2colShortRuns[T int8 | float32](g *Geom, in []T, r0, r1 int, buf []T, kp int, pad T) {
	size := int(unsafe.Sizeof(pad))
	seg := g.KW * g.InC
	rowStep := g.DilH * g.InW * g.InC
	span := (g.KH-1)*rowStep + seg
	used := g.KH * seg
	tail := kp - used
	if tail*size > 8 || kp*size < 8 || seg*size < 8 {
		im2colShort(g, in, r0, r1, buf, kp, pad)
		return
	}
	pixStep := g.StrideW * g.InC
	// The int8 3×3×3 stem (27 values padded to 28) has a fixed-shape copy.
	stem := size == 1 && seg == 9 && g.KH == 3 && kp == 28
	ox := r0 % g.OutW
	oy := (r0 / g.OutW) % g.OutH
	b := r0 / (g.OutW * g.OutH)
	for r := r0; r < r1; {
		n := min(g.OutW-ox, r1-r)
		iy0 := oy*g.StrideH - g.PadH
		rowInside := iy0 >= 0 && iy0+(g.KH-1)*g.DilH < g.InH
		ix0 := ox*g.StrideW - g.PadW
		k := 0
		for k < n {
			if !rowInside || ix0 < 0 || ix0+g.KW > g.InW {
				im2colAt(g, in, b, oy, ox+k, buf[(r-r0+k)*kp:][:kp], pad)
				k, ix0 = k+1, ix0+g.StrideW
				continue
			}
			// A run of pixels whose windows are inside the input.
			m := min(n-k, (g.InW-g.KW-ix0)/g.StrideW+1)
			off := ((b*g.InH+iy0)*g.InW + ix0) * g.InC
			src := in[off : off+(m-1)*pixStep+span]
			dst := buf[(r-r0+k)*kp : (r-r0+k+m)*kp]
			if stem {
				stemRun(unsafe.Pointer(unsafe.SliceData(src)), unsafe.Pointer(unsafe.SliceData(dst)), m, pixStep, rowStep)
			} else {
				shortRun(unsafe.Pointer(unsafe.SliceData(src)), unsafe.Pointer(unsafe.SliceData(dst)), m,
					pixStep*size, kp*size, seg*size, rowStep*size, g.KH, tail > 0)
			}
			k, ix0 = k+m, ix0+m*g.StrideW
		}
		r += n
		if ox += n; ox == g.OutW {
			ox = 0
			if oy++; oy == g.OutH {
				oy = 0
				b++
			}
		}
	}
}

// shortRun writes m im2col rows of kp bytes at d from windows pixStep
// bytes apart at s: kh segments of seg (8 or more) bytes, rowStep apart,
// copied with 8-byte moves, after a zero 8-byte store over the row's last
// 8 bytes when zeroTail. The caller has checked both ranges.
func shortRun(s, d unsafe.Pointer, m, pixStep, kp, seg, rowStep, kh int, zeroTail bool) {
	// Every pointer is formed from the base plus the offset it is used at,
	// never advanced past the end (checkptr, and Go's unsafe rules).
	for i := 0; i < m; i++ {
		di := unsafe.Add(d, i*kp)
		if zeroTail {
			*(*uint64)(unsafe.Add(di, kp-8)) = 0
		}
		for ky := 0; ky < kh; ky++ {
			sp := unsafe.Add(s, i*pixStep+ky*rowStep)
			dp := unsafe.Add(di, ky*seg)
			for o := 0; o < seg-8; o += 8 {
				*(*uint64)(unsafe.Add(dp, o)) = *(*uint64)(unsafe.Add(sp, o))
			}
			*(*uint64)(unsafe.Add(dp, seg-8)) = *(*uint64)(unsafe.Add(sp, seg-8))
		}
	}
}

// stemRun is shortRun for int8 windows of three 9-byte segments into
// 28-byte rows (a 3×3 filter over 3 channels): each row is assembled from
// two overlapping 8-byte loads per segment into three 8-byte stores and
// one 4-byte store whose last byte is the zero padding. The caller has
// checked both ranges.
func stemRun(s, d unsafe.Pointer, m, pixStep, rowStep int) {
	for i := 0; i < m; i++ {
		s0 := unsafe.Add(s, i*pixStep)
		s1 := unsafe.Add(s0, rowStep)
		s2 := unsafe.Add(s1, rowStep)
		lo0, hi0 := *(*uint64)(s0), *(*uint64)(unsafe.Add(s0, 1))
		lo1, hi1 := *(*uint64)(s1), *(*uint64)(unsafe.Add(s1, 1))
		lo2, hi2 := *(*uint64)(s2), *(*uint64)(unsafe.Add(s2, 1))
		di := unsafe.Add(d, i*28)
		// Bytes 0-7: segment 0 [0, 8); 8: its byte 8; 9-17: segment 1;
		// 18-26: segment 2; 27: zero.
		*(*uint64)(di) = lo0
		*(*uint64)(unsafe.Add(di, 8)) = hi0>>56 | lo1<<8
		*(*uint64)(unsafe.Add(di, 16)) = lo1>>56 | hi1>>56<<8 | lo2<<16
		*(*uint32)(unsafe.Add(di, 24)) = uint32(lo2>>48) | uint32(hi2>>56)<<16
	}
}

// im2colTile writes the im2col rows of output pixels [r0, r1) (flattened
// over Batch·OutH·OutW) into buf, kp values apart: the KH·KW·InC input
// values under each pixel, pad where the window leaves the input, zeros
// up to kp.
func im2colTile[T int8 | float32](g *Geom, in []T, r0, r1 int, buf []T, kp int, pad T) {
	ox := r0 % g.OutW
	oy := (r0 / g.OutW) % g.OutH
	b := r0 / (g.OutW * g.OutH)
	for r := r0; r < r1; r++ {
		im2colAt(g, in, b, oy, ox, buf[(r-r0)*kp:(r-r0+1)*kp], pad)
		if ox++; ox == g.OutW {
			ox = 0
			if oy++; oy == g.OutH {
				oy = 0
				b++
			}
		}
	}
}

// im2colAt writes the im2col row of output pixel (b, oy, ox) into dst.
func im2colAt[T int8 | float32](g *Geom, in []T, b, oy, ox int, dst []T, pad T) {
	iy0, ix0 := oy*g.StrideH-g.PadH, ox*g.StrideW-g.PadW
	ic := g.InC
	rowLen := g.KW * ic
	inside := g.DilW == 1 && ix0 >= 0 && ix0+g.KW <= g.InW
	for ky := 0; ky < g.KH; ky++ {
		iy := iy0 + ky*g.DilH
		row := dst[ky*rowLen : (ky+1)*rowLen]
		if iy < 0 || iy >= g.InH {
			fillT(row, pad)
			continue
		}
		base := (b*g.InH + iy) * g.InW
		if inside {
			copySmall(row, in[(base+ix0)*ic:])
			continue
		}
		if ic == 1 { // one value per tap: no copy call per byte
			src := in[base : base+g.InW]
			for kx := range row {
				ix := ix0 + kx*g.DilW
				if uint(ix) >= uint(len(src)) {
					row[kx] = pad
				} else {
					row[kx] = src[ix]
				}
			}
			continue
		}
		for kx := 0; kx < g.KW; kx++ {
			ix := ix0 + kx*g.DilW
			d := row[kx*ic : (kx+1)*ic]
			if ix < 0 || ix >= g.InW {
				fillT(d, pad)
				continue
			}
			copy(d, in[(base+ix)*ic:])
		}
	}
	for i := g.KH * rowLen; i < len(dst); i++ {
		dst[i] = 0
	}
}

// copySmall copies min(len(dst), len(src)) values like copy, with plain
// 8-byte moves for rows up to 64 bytes (the 3·3·3 stem of MobileNet copies
// 9-byte rows, where a memmove call costs more than the move).
func copySmall[T int8 | float32](dst, src []T) {
	n := min(len(dst), len(src))
	size := n * int(unsafe.Sizeof(dst[0]))
	if size < 8 || size > 64 {
		copy(dst, src[:n])
		return
	}
	d := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), size)
	s := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src))), size)
	for i := 0; i+8 <= size; i += 8 {
		binary.LittleEndian.PutUint64(d[i:], binary.LittleEndian.Uint64(s[i:]))
	}
	if size%8 != 0 {
		binary.LittleEndian.PutUint64(d[size-8:], binary.LittleEndian.Uint64(s[size-8:]))
	}
}

func fillT[T int8 | float32](d []T, v T) {
	if v == 0 {
		clear(d)
		return
	}
	for i := range d {
		d[i] = v
	}
}

// FCInt8 is a prepared int8 FULLY_CONNECTED: gemm.Int8 over packed
// weights, split over rows when there are many and over output panels when
// there are few. Immutable and safe for concurrent use.
type FCInt8 struct {
	W *gemm.PackedInt8
	Q *gemm.Requant
}

// NewFCInt8 prepares a fully connected layer from packed [O, K] weights,
// its output stage q and optional bias.
func NewFCInt8(w *gemm.PackedInt8, q *Requant, bias []int32) (*FCInt8, error) {
	gq, err := gemm.NewRequant(w, bias, q.InputOffset, q.Mult, q.Shift, q.OutputOffset, q.Min, q.Max)
	if err != nil {
		return nil, err
	}
	return &FCInt8{W: w, Q: gq}, nil
}

// Run computes rows input rows of W.K values into rows × W.O outputs.
func (f *FCInt8) Run(in, out []int8, rows, workers int, par Parallel) {
	par(f.Parts(rows, workers), func(lo, hi int) { f.RunParts(in, out, rows, workers, lo, hi) })
}

// Parts returns the number of independent parts the product of rows input
// rows splits into for up to workers concurrent callers.
func (f *FCInt8) Parts(rows, workers int) int {
	if fcByRows(rows, workers, f.W.Panels) {
		return (rows + gemmRows - 1) / gemmRows
	}
	return f.W.Panels
}

// RunParts computes parts [lo, hi) of the Parts(rows, workers) parts of
// the product; calls on disjoint ranges may run concurrently. Run is
// RunParts over every part through par.
func (f *FCInt8) RunParts(in, out []int8, rows, workers, lo, hi int) {
	k, o := f.W.K, f.W.O
	if fcByRows(rows, workers, f.W.Panels) {
		r0, r1 := lo*gemmRows, min(rows, hi*gemmRows)
		gemm.Int8(in[r0*k:], k, r1-r0, f.W, f.Q, 0, f.W.Panels, out[r0*o:], o)
		return
	}
	gemm.Int8(in, k, rows, f.W, f.Q, lo, hi, out, o)
}

// fcByRows reports whether a fully connected product is split between
// workers by rows (enough of them, or a single weight panel) rather than
// by weight panels.
func fcByRows(rows, workers, panels int) bool {
	return rows >= gemmRows*workers || panels < 2
}

// DepthwiseInt8 is the optimised per-channel int8 DEPTHWISE_CONV_2D over
// output rows [lo, hi) of the Batch·OutH rows: channels innermost, so the
// loops stream contiguous input and filter data. Bit-exact with
// DepthwiseRef.
func DepthwiseInt8(g *Geom, q *Requant, in, filter []int8, bias []int32, out []int8, lo, hi int) {
	const chunk = 64
	mult := g.OutC / g.InC
	var acc [chunk]int32
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0 := oy*g.StrideH - g.PadH
		for ox := 0; ox < g.OutW; ox++ {
			ix0 := ox*g.StrideW - g.PadW
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			for c0 := 0; c0 < g.OutC; c0 += chunk {
				n := min(chunk, g.OutC-c0)
				a := acc[:n]
				if bias != nil {
					copy(a, bias[c0:c0+n])
				} else {
					clear(a)
				}
				for ky := 0; ky < g.KH; ky++ {
					iy := iy0 + ky*g.DilH
					if iy < 0 || iy >= g.InH {
						continue
					}
					for kx := 0; kx < g.KW; kx++ {
						ix := ix0 + kx*g.DilW
						if ix < 0 || ix >= g.InW {
							continue
						}
						ws := filter[(ky*g.KW+kx)*g.OutC+c0:][:n]
						base := ((b*g.InH+iy)*g.InW + ix) * g.InC
						if mult == 1 {
							xs := in[base+c0:][:n]
							for i := range a {
								a[i] += int32(ws[i]) * (int32(xs[i]) + q.InputOffset)
							}
							continue
						}
						for i := range a {
							a[i] += int32(ws[i]) * (int32(in[base+(c0+i)/mult]) + q.InputOffset)
						}
					}
				}
				oc := o[c0 : c0+n]
				mu, sh := q.Mult[c0:c0+n], q.Shift[c0:c0+n]
				for i, v := range a {
					r := gemm.MulQ(v, mu[i], sh[i]) + q.OutputOffset
					oc[i] = int8(clamp(r, q.Min, q.Max))
				}
			}
		}
	}
}
