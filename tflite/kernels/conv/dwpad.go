package conv

import (
	"encoding/binary"
	"runtime"
	"unsafe"
)

// DepthwiseInt8Padded runs DepthwiseInt8Fast on a depthwise convolution
// (depth multiplier 1) whose channel count C is not a multiple of 16, in
// one of two layouts.
//
// Grouped (C divides 16, horizontal stride 1): one 16-lane vector holds
// k = 16/C neighbouring output pixels, lane l pixel l/C, channel l%C. At
// stride 1 the k pixels' tap kx reads k·C = 16 contiguous input bytes, so
// the vector kernel runs with the weights, bias and multipliers repeated k
// times and a pixel step of 16 bytes. Pad copies the input into scratch
// with its rows padded on both sides (a move per row): every tap of every
// group then reads inside a row (kernel rows outside the input read a row
// of zero points), and a last partial group computes into a stack buffer.
//
// Channel-padded (otherwise): the input is copied into scratch with its
// channels padded to Cp (the next multiple of 16), the vector kernel
// computes Cp channels into scratch, and the first C of every output pixel
// are copied out. A 3×3 layer of one input channel and a depth multiplier
// C < 16 (output channel c filters input channel 0) is the depth
// multiplier 1 layer of C channels on the input repeated C times: Pad
// repeats it as it pads.
//
// Channels are independent in a depthwise convolution (output channel c
// reads input channel c alone, through its own weights, bias and
// multiplier), so either way the real channels' sums, requantization and
// clamps are exactly those of DepthwiseInt8Fast on an unpadded C-channel
// layout; padded lanes carry the input zero point (contributing nothing)
// or are discarded. Bit-exact with DepthwiseRef. Immutable; safe for
// concurrent use.
type DepthwiseInt8Padded struct {
	g     Geom // the real geometry (C channels)
	cp    int  // padded channels (channel-padded layout)
	inner *DepthwiseInt8Fast
	fill  int8 // the input zero point: what the padded input channels hold
	// expand: one input channel, depth multiplier OutC (channel-padded
	// layout; Pad repeats the channel).
	expand bool
	// grouped layout: k pixels per vector (0: channel-padded layout), wp
	// pixels per padded row (input pixel ix at column ix + PadW), fillRow
	// wp·C zero points (kernel rows outside the input, row padding).
	k       int
	wp      int
	fillRow []int8
	// pairs, where not nil, runs the groups of eight output pixels of an
	// 8-channel 3×3 layer on the VNNI kernels (dwInt8VNNIPairs,
	// dwInt8VNNIPairs2), inner the rest. Their load masks (two words per
	// group, see dwInt8VNNIPairs): padMasks over the padded rows (all
	// ones), and, where the groups cover every output pixel (direct:
	// RowsDirect reads the input itself, no Pad), rowMasks over the input
	// rows (the bytes left of the row and past its end masked).
	pairs              *dwPairs
	padMasks, rowMasks []uint64
}

// NewDepthwiseInt8Padded returns the padded vector kernel for g, or nil
// where it does not apply (a depth multiplier other than 1, channels
// already a multiple of 16, or no vector kernel for the padded geometry).
// filter is [1, KH, KW, C] and bias optional.
func NewDepthwiseInt8Padded(g Geom, q *Requant, filter []int8, bias []int32) *DepthwiseInt8Padded {
	return newDepthwisePadded(g, q, filter, bias, NewDepthwiseInt8Fast)
}

// NewDepthwiseWidePadded is NewDepthwiseInt8Padded for 16-bit weights
// (NewDepthwiseWideFast).
func NewDepthwiseWidePadded(g Geom, q *Requant, filter []int16, bias []int32) *DepthwiseInt8Padded {
	return newDepthwisePadded(g, q, filter, bias, NewDepthwiseWideFast)
}

func newDepthwisePadded[W int8 | int16](g Geom, q *Requant, filter []W, bias []int32,
	fast func(Geom, *Requant, []W, []int32) *DepthwiseInt8Fast) *DepthwiseInt8Padded {
	c := g.OutC
	expand := g.InC == 1 && c > 1 && c < 16 && g.KH == 3 && g.KW == 3
	if (g.InC != c && !expand) || c%16 == 0 || c <= 0 || len(q.Mult) != c || len(q.Shift) != c {
		return nil
	}
	if expand && c == 8 && g.OutW%8 == 0 {
		// One channel times 8: the pair kernels on the input as it is.
		if p := newDWPairs(&g, q, filter, bias); p != nil {
			d := &DepthwiseInt8Padded{g: g, fill: int8(-q.InputOffset), expand: true, k: 2, pairs: p,
				fillRow: make([]int8, g.InW), rowMasks: pairMasks(g.OutW/8, -g.PadW, g.InW, p.step, p.l2)}
			fillT(d.fillRow, d.fill)
			return d
		}
	}
	if 16%c == 0 && g.StrideW == 1 && !expand {
		if d := newDepthwiseGrouped(g, q, filter, bias, fast); d != nil {
			return d
		}
	}
	cp := (c + 15) &^ 15
	taps := g.KH * g.KW
	fp := make([]W, taps*cp)
	for t := range taps {
		copy(fp[t*cp:t*cp+c], filter[t*c:t*c+c])
	}
	qp := *q
	qp.Mult, qp.Shift = make([]int32, cp), make([]int, cp)
	for ch := range cp {
		// Padded channels reuse channel 0's multiplier: any value the
		// kernel accepts will do, their results are dropped.
		src := ch
		if ch >= c {
			src = 0
		}
		qp.Mult[ch], qp.Shift[ch] = q.Mult[src], q.Shift[src]
	}
	var bp []int32
	if bias != nil {
		bp = make([]int32, cp)
		copy(bp, bias[:c])
	}
	gp := g
	gp.InC, gp.OutC = cp, cp
	inner := fast(gp, &qp, fp, bp)
	if inner == nil {
		return nil
	}
	return &DepthwiseInt8Padded{g: g, cp: cp, inner: inner, fill: int8(-q.InputOffset), expand: expand}
}

// newDepthwiseGrouped builds the grouped layout (C divides 16, horizontal
// stride 1): the inner kernel is a 16-channel one whose channel l is
// channel l%C, run by dwRun without the sliding kernel (which steps its
// taps by whole pixels).
func newDepthwiseGrouped[W int8 | int16](g Geom, q *Requant, filter []W, bias []int32,
	fast func(Geom, *Requant, []W, []int32) *DepthwiseInt8Fast) *DepthwiseInt8Padded {
	c := g.OutC
	k, taps := 16/c, g.KH*g.KW
	fp := make([]W, taps*16)
	qp := *q
	qp.Mult, qp.Shift = make([]int32, 16), make([]int, 16)
	var bp []int32
	if bias != nil {
		bp = make([]int32, 16)
	}
	for l := range 16 {
		for t := range taps {
			fp[t*16+l] = filter[t*c+l%c]
		}
		qp.Mult[l], qp.Shift[l] = q.Mult[l%c], q.Shift[l%c]
		if bias != nil {
			bp[l] = bias[l%c]
		}
	}
	gp := g
	gp.InC, gp.OutC, gp.InW, gp.OutW = 16, 16, 1, 1
	inner := fast(gp, &qp, fp, bp)
	if inner == nil {
		return nil
	}
	// Only the weights and parameters are used: the grouped rows call
	// dwRun (T9 or the general kernel) with their own taps.
	inner.slide, inner.vnni, inner.wide, inner.pad = false, nil, nil, nil
	groups := (g.OutW + k - 1) / k
	wp := max(g.PadW+g.InW, groups*k+(g.KW-1)*g.DilW)
	pairs := newDWPairs(&g, q, filter, bias)
	if pairs != nil {
		// dwInt8VNNIPairs reads 12 pixels from each group's first.
		wp = max(wp, g.OutW&^7+4)
	}
	d := &DepthwiseInt8Padded{g: g, inner: inner, fill: int8(-q.InputOffset), k: k, wp: wp,
		fillRow: make([]int8, wp*c), pairs: pairs}
	fillT(d.fillRow, d.fill)
	if pairs != nil {
		d.padMasks = pairMasks(g.OutW/8, 0, wp*c, pairs.step, pairs.l2)
		if g.OutW%8 == 0 {
			d.rowMasks = pairMasks(g.OutW/8, -g.PadW*c, g.InW*c, pairs.step, pairs.l2)
		}
	}
	return d
}

// pairMasks returns the load masks of n4 groups of dwInt8VNNIPairs over
// rows of w bytes from byte offset off0, groups step bytes apart: for each
// group, the bytes of its loads (64 from its first byte, 64 from l2 on)
// that lie in [0, w).
func pairMasks(n4, off0, w, step, l2 int) []uint64 {
	m := make([]uint64, 2*n4)
	for j := range 2 * n4 {
		s := off0 + step*(j/2) + l2*(j%2)
		for i := range 64 {
			if s+i >= 0 && s+i < w {
				m[j] |= 1 << i
			}
		}
	}
	return m
}

// Direct reports whether RowsDirect applies: the input needs no Pad.
func (d *DepthwiseInt8Padded) Direct() bool { return d.rowMasks != nil }

// directOnly reports a layer that runs from its input only (one channel
// times 8 on the pair kernels): Pad copies the input, Rows runs
// RowsDirect on the copy.
func (d *DepthwiseInt8Padded) directOnly() bool { return d.expand && d.pairs != nil }

// RowsDirect computes output rows [lo, hi) of the Batch·OutH rows from in
// itself (where Direct holds; no Pad, no scratch).
func (d *DepthwiseInt8Padded) RowsDirect(in, out []int8, lo, hi int) {
	if d.rowMasks == nil {
		panic("conv: RowsDirect on a layer that needs Pad")
	}
	d.rowsGrouped(in[:d.g.Batch*d.g.InH*d.g.InW*d.g.InC], out, lo, hi, true)
}

func (d *DepthwiseInt8Padded) inBytes() int {
	if d.directOnly() {
		return (d.g.Batch*d.g.InH*d.g.InW + 63) &^ 63
	}
	if d.k > 0 {
		return (d.g.Batch*d.g.InH*d.wp*d.g.InC + 63) &^ 63
	}
	return (d.g.Batch*d.g.InH*d.g.InW*d.cp + 63) &^ 63
}

// ScratchBytes is the scratch Pad and Rows use: the padded input and
// (channel-padded layout) the padded output.
func (d *DepthwiseInt8Padded) ScratchBytes() int {
	if d.k > 0 {
		return d.inBytes()
	}
	return d.inBytes() + d.g.Batch*d.g.OutH*d.g.OutW*d.cp
}

// Pad copies in ([Batch, InH, InW, C]) into the head of scratch, padded:
// call it once before the Rows of a run.
func (d *DepthwiseInt8Padded) Pad(in, scratch []int8) {
	g := &d.g
	c := g.InC
	if d.directOnly() {
		copy(scratch, in[:g.Batch*g.InH*g.InW])
		return
	}
	if d.k > 0 {
		row, left := d.wp*c, g.PadW*c
		rows := g.Batch * g.InH
		src, dst := in[:rows*g.InW*c], scratch[:rows*row]
		right := d.fillRow[:row-left-g.InW*c]
		for r := range rows {
			o := r * row
			copy(dst[o:o+left], d.fillRow)
			copy(dst[o+left:], src[r*g.InW*c:(r+1)*g.InW*c])
			copy(dst[o+left+g.InW*c:o+row], right)
		}
		return
	}
	cp, oc := d.cp, g.OutC
	pixels := g.Batch * g.InH * g.InW
	dst := scratch[:pixels*cp]
	src := in[:pixels*c]
	if oc == 8 && cp == 16 {
		// Eight bytes a store: the pixel's channels (or its one channel
		// eight times), then eight zero points.
		d8 := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst))
		s8 := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src))), len(src))
		fill := uint64(uint8(d.fill)) * 0x0101010101010101
		for p := range pixels {
			v := uint64(s8[p]) * 0x0101010101010101
			if !d.expand {
				v = binary.LittleEndian.Uint64(s8[8*p:])
			}
			binary.LittleEndian.PutUint64(d8[16*p:], v)
			binary.LittleEndian.PutUint64(d8[16*p+8:], fill)
		}
		return
	}
	if oc == 24 && cp == 32 && !d.expand {
		// 24 channels (MobileNet 0.75): three 8-byte moves and eight zero
		// points a pixel (a copy and a byte loop were five times slower).
		d8 := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst))
		s8 := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src))), len(src))
		fill := uint64(uint8(d.fill)) * 0x0101010101010101
		for p := range pixels {
			s, o := s8[24*p:24*p+24], d8[32*p:32*p+32]
			binary.LittleEndian.PutUint64(o[0:], binary.LittleEndian.Uint64(s[0:]))
			binary.LittleEndian.PutUint64(o[8:], binary.LittleEndian.Uint64(s[8:]))
			binary.LittleEndian.PutUint64(o[16:], binary.LittleEndian.Uint64(s[16:]))
			binary.LittleEndian.PutUint64(o[24:], fill)
		}
		return
	}
	for p := range pixels {
		row := dst[p*cp : p*cp+cp]
		if d.expand {
			fillT(row[:oc], src[p])
		} else {
			copy(row, src[p*c:p*c+c])
		}
		for i := oc; i < cp; i++ {
			row[i] = d.fill
		}
	}
}

// Rows computes output rows [lo, hi) of the Batch·OutH rows from the
// padded input Pad left in scratch.
func (d *DepthwiseInt8Padded) Rows(scratch, out []int8, lo, hi int) {
	g := &d.g
	if d.k > 0 {
		d.rowsGrouped(scratch, out, lo, hi, d.directOnly())
		return
	}
	c, cp := g.OutC, d.cp
	head := d.inBytes()
	pin := scratch[:head]
	pout := scratch[head : head+g.Batch*g.OutH*g.OutW*cp]
	d.inner.Rows(pin, pout, lo, hi)
	if c == 8 && cp == 16 {
		o8 := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), len(out))
		p8 := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(pout))), len(pout))
		for p := lo * g.OutW; p < hi*g.OutW; p++ {
			binary.LittleEndian.PutUint64(o8[8*p:], binary.LittleEndian.Uint64(p8[16*p:]))
		}
		return
	}
	if c == 24 && cp == 32 {
		o8 := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), len(out))
		p8 := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(pout))), len(pout))
		for p := lo * g.OutW; p < hi*g.OutW; p++ {
			o, s := o8[24*p:24*p+24], p8[32*p:32*p+24]
			binary.LittleEndian.PutUint64(o[0:], binary.LittleEndian.Uint64(s[0:]))
			binary.LittleEndian.PutUint64(o[8:], binary.LittleEndian.Uint64(s[8:]))
			binary.LittleEndian.PutUint64(o[16:], binary.LittleEndian.Uint64(s[16:]))
		}
		return
	}
	for p := lo * g.OutW; p < hi*g.OutW; p++ {
		copy(out[p*c:p*c+c], pout[p*cp:p*cp+c])
	}
}

// rowsGrouped is Rows for the grouped layout: from the padded input in
// scratch, or (direct) from the input itself.
func (d *DepthwiseInt8Padded) rowsGrouped(scratch, out []int8, lo, hi int, direct bool) {
	g := &d.g
	c, oc, row := g.InC, g.OutC, d.wp*g.InC
	off0, masks := 0, d.padMasks
	if direct {
		row, off0, masks = g.InW*c, -g.PadW*c, d.rowMasks
	}
	_ = scratch[g.Batch*g.InH*row-1]
	// A length check, not a read of out's last byte: another goroutine's
	// rows may be writing it.
	if len(out) < g.Batch*g.OutH*g.OutW*oc {
		panic("conv: depthwise output shorter than the layer")
	}
	// inRow is input row iy of image b, or the fill row outside the input.
	inRow := func(b, iy int) []int8 {
		if iy < 0 || iy >= g.InH {
			return d.fillRow
		}
		return scratch[(b*g.InH+iy)*row:][:row]
	}
	first := 0 // the pixels dwInt8VNNIPairs computes
	if d.pairs != nil {
		first = g.OutW &^ 7
	}
	// Two rows per dwInt8VNNIPairs2 call where both read the input rows
	// one apart.
	two := first > 0 && g.StrideH == 1 && g.DilH == 1
	for r := lo; r < hi; r++ {
		b, oy := r/g.OutH, r%g.OutH
		o := r * g.OutW * oc
		if first > 0 {
			p := d.pairs
			iy := oy*g.StrideH - g.PadH
			if two && r+1 < hi && oy+1 < g.OutH {
				dwInt8VNNIPairs2(&inRow(b, iy)[0], &inRow(b, iy+1)[0], &inRow(b, iy+2)[0], &inRow(b, iy+3)[0], first/8,
					&p.w[0], &p.q[0], &p.k[0], &out[o], g.OutW*oc, p.oz, p.clamp, p.rows, off0, &masks[0], p.step, p.l2)
				d.rowRest(scratch, out, b, oy, first)
				r++
				oy++
			} else {
				dwInt8VNNIPairs(&inRow(b, iy)[0], &inRow(b, iy+g.DilH)[0], &inRow(b, iy+2*g.DilH)[0], first/8,
					&p.w[0], &p.q[0], &p.k[0], &out[o], p.oz, p.clamp, p.rows, off0, &masks[0], p.step, p.l2)
			}
		}
		d.rowRest(scratch, out, b, oy, first)
	}
}

// rowRest computes output row oy of image b from pixel first on with the
// 16-bit kernels: whole groups of k pixels, then a last partial group
// into a stack buffer.
func (d *DepthwiseInt8Padded) rowRest(scratch, out []int8, b, oy, first int) {
	g := &d.g
	c, row := g.InC, d.wp*g.InC
	full := (g.OutW - first) / d.k
	rest := g.OutW - first - full*d.k
	if full == 0 && rest == 0 {
		return
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(scratch)))
	fill := uintptr(unsafe.Pointer(unsafe.SliceData(d.fillRow)))
	var tapBuf [maxDWTaps]uintptr
	taps := tapBuf[:g.KH*g.KW]
	for ky := range g.KH {
		iy := oy*g.StrideH - g.PadH + ky*g.DilH
		p := fill
		if iy >= 0 && iy < g.InH {
			p = base + uintptr((b*g.InH+iy)*row)
		}
		for kx := range g.KW {
			taps[ky*g.KW+kx] = p + uintptr((kx*g.DilW+first)*c)
		}
	}
	o := ((b*g.OutH+oy)*g.OutW + first) * c
	if full > 0 {
		dwRun(d.inner, taps, full, 16, out[o:])
	}
	if rest > 0 {
		for i := range taps {
			taps[i] += uintptr(16 * full)
		}
		var buf [16]int8
		dwRun(d.inner, taps, 1, 16, buf[:])
		copy(out[o+16*full:o+(full*d.k+rest)*c], buf[:rest*c])
	}
	runtime.KeepAlive(scratch)
	runtime.KeepAlive(d.fillRow)
}
