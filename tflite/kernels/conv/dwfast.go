package conv

import (
	"runtime"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// maxDWTaps bounds KH·KW for DepthwiseInt8Fast (its tap pointers live on
// the stack).
const maxDWTaps = 64

// DepthwiseInt8Fast is the vectorised int8 DEPTHWISE_CONV_2D (depth
// multiplier 1, channels a multiple of 16): 16 channels per vector, the
// input offset folded into the bias (borders read a row of the input zero
// point, which then contributes exactly nothing) and the requantization
// vectorised. 3×3 windows with horizontal stride 1 or 2 run the VNNI
// kernels of dwvnni.go where the machine has them (four input pixels per
// VPDPBUSD). Bit-exact with DepthwiseRef. Immutable; safe for concurrent
// use.
type DepthwiseInt8Fast struct {
	g      Geom
	w      []int32 // [OutC/16][KH·KW][16], int16 in the low word, high word 0
	blocks []int32 // gemm.ParamBlocks with the folded bias
	zp     int8
	oz     int32
	lo, hi int32
	slide  bool    // 3×3, stride 1, dilation 1: dwInt8AVX512S1 runs
	vnni   *dwVNNI // non-nil: dwInt8VNNIS1 runs groups of four pixels
	// wide lists the channel blocks with a weight outside int8 when the
	// VNNI kernels run the others (16-bit weights only): those blocks run
	// one at a time on the 16-bit kernels.
	wide []int
	pad  []int8 // InW·InC input zero points: what taps outside the input read
}

// NewDepthwiseInt8Fast returns the vector kernel for g, or nil when this
// machine or geometry has none (use DepthwiseInt8 then). filter is
// [1, KH, KW, C] and bias optional.
func NewDepthwiseInt8Fast(g Geom, q *Requant, filter []int8, bias []int32) *DepthwiseInt8Fast {
	w := make([]int16, len(filter))
	for i, v := range filter {
		w[i] = int16(v)
	}
	return newDepthwiseFast(g, q, w, filter, bias)
}

// NewDepthwiseWideFast is NewDepthwiseInt8Fast for 16-bit weights, such
// as a uint8 filter's w − zw, which spans [−255, 255]: the AVX-512
// kernels multiply 16-bit weights (VPDPWSSD, exact int32 sums), so no
// channel needs a separate pass. Where the VNNI kernels apply, the channel
// blocks whose weights all fit int8 run on them and only the others on
// the 16-bit kernels, a block at a time.
func NewDepthwiseWideFast(g Geom, q *Requant, filter []int16, bias []int32) *DepthwiseInt8Fast {
	return newDepthwiseFast(g, q, filter, nil, bias)
}

// newDepthwiseFast builds the kernel from the weights as int16 (w) and,
// where they fit, as int8 (w8, nil otherwise: no VNNI kernel).
func newDepthwiseFast(g Geom, q *Requant, w []int16, w8 []int8, bias []int32) *DepthwiseInt8Fast {
	if !hasDWInt8 || g.InC != g.OutC || g.OutC%16 != 0 || g.KH*g.KW > maxDWTaps ||
		q.InputOffset < -127 || q.InputOffset > 128 {
		return nil
	}
	for _, m := range q.Mult {
		if m < 0 {
			return nil
		}
	}
	for _, s := range q.Shift {
		if s < -gemm.MaxShift || s > gemm.MaxShift {
			return nil
		}
	}
	c, taps := g.OutC, g.KH*g.KW
	d := &DepthwiseInt8Fast{g: g, w: make([]int32, c*taps), zp: int8(-q.InputOffset),
		oz: q.OutputOffset, lo: q.Min, hi: q.Max}
	eff := make([]int32, c)
	for ch := 0; ch < c; ch++ {
		if bias != nil {
			eff[ch] = bias[ch]
		}
		for t := 0; t < taps; t++ {
			v := int32(w[t*c+ch])
			d.w[(ch/16)*taps*16+t*16+ch%16] = int32(uint16(int16(v))) // upper word 0: VPDPWSSD multiplies the low word only
			eff[ch] += q.InputOffset * v
		}
	}
	d.blocks = gemm.ParamBlocks(eff, q.Mult, q.Shift)
	if w8 != nil {
		d.vnni = newDWVNNI(&g, q, w8, nil, bias, eff, true)
	} else {
		// 16-bit weights: the blocks whose weights all fit int8 (usually
		// all but a few: a uint8 filter's w − zw leaves int8 in a channel
		// or two) run on the VNNI kernels, the rest on the 16-bit ones.
		narrow := make([]int8, len(w))
		var wide []int
		for b := 0; b < c/16; b++ {
			fits := true
			for t := 0; t < taps; t++ {
				for ch := 16 * b; ch < 16*b+16; ch++ {
					v := w[t*c+ch]
					fits = fits && v >= -128 && v <= 127
					narrow[t*c+ch] = int8(max(-128, min(127, v)))
				}
			}
			if !fits {
				wide = append(wide, b)
			}
		}
		// The blocks that do not fit int8 run on the split VNNI kernels
		// (w = a + b, two int8 sets: 16-bit weights in [−256, 254]) where
		// the fast kernels apply.
		var res []int8
		if len(wide) > 0 {
			res = make([]int8, len(w))
			for i, v := range w {
				if r := int(v) - int(narrow[i]); r >= -128 && r <= 127 {
					res[i] = int8(r)
				} else {
					res = nil
					break
				}
			}
		}
		if res != nil {
			d.vnni = newDWVNNI(&g, q, narrow, res, bias, eff, true)
		}
		// Else at most a sixth of the blocks on the 16-bit kernels: the one-block runs cost more per
		// block (DeepLabV3's 129x129x96 layer with 2 of 6 was 40% slower,
		// 8x8x80 with 1 of 5 also slower; 1 of 6 and 1 of 9 faster).
		if d.vnni == nil && len(wide)*6 <= c/16 {
			if d.vnni = newDWVNNI(&g, q, narrow, nil, bias, eff, true); d.vnni != nil {
				d.wide = wide
			}
		}
	}
	d.slide = g.KH == 3 && g.KW == 3 && g.StrideW == 1 && g.DilW == 1
	d.pad = make([]int8, g.InW*g.InC)
	fillT(d.pad, d.zp)
	return d
}

// Rows computes output rows [lo, hi) of the Batch·OutH rows.
func (d *DepthwiseInt8Fast) Rows(in, out []int8, lo, hi int) {
	pad := d.pad
	g := &d.g
	_ = in[g.Batch*g.InH*g.InW*g.InC-1]
	_ = pad[g.InW*g.InC-1]
	// A length check, not a read of out's last byte: another goroutine's
	// rows may be writing it (the one-block copies are Go code).
	if len(out) < g.Batch*g.OutH*g.OutW*g.OutC {
		panic("conv: depthwise output shorter than the layer")
	}
	var tapBuf [maxDWTaps]uintptr
	if d.vnni != nil {
		d.rowsV(in, out, lo, hi)
		for _, b := range d.wide {
			dwWalk(g, uintptr(unsafe.Pointer(unsafe.SliceData(in))), uintptr(unsafe.Pointer(unsafe.SliceData(pad))), 1,
				tapBuf[:g.KH*g.KW], lo, hi, &dwTarget{i8: d, out8: out, block: b, one: true})
		}
		runtime.KeepAlive(in)
		runtime.KeepAlive(pad)
		return
	}
	dwWalk(g, uintptr(unsafe.Pointer(unsafe.SliceData(in))), uintptr(unsafe.Pointer(unsafe.SliceData(pad))), 1,
		tapBuf[:g.KH*g.KW], lo, hi, &dwTarget{i8: d, out8: out})
	runtime.KeepAlive(in)
	runtime.KeepAlive(pad)
}

// DepthwiseF32Fast is the vectorised float32 DEPTHWISE_CONV_2D (depth
// multiplier 1; 16 channels per vector, a last partial block masked): fused multiply-adds in tap
// order from the bias, as DepthwiseFloat sums; taps outside the input read
// a row of zeros. Immutable; safe for concurrent use.
type DepthwiseF32Fast struct {
	g    Geom
	w    []float32 // [⌈OutC/16⌉][KH·KW][16], zero past OutC
	bias []float32
	act  FloatAct
	pad  []float32 // InW·InC zeros: what taps outside the input read
	// w2 and bias2, for 8 channels at horizontal stride 1: each tap's
	// weights (and the bias) twice, so that one vector computes two
	// neighbouring output pixels (their taps are 16 contiguous values).
	w2, bias2 []float32
}

// NewDepthwiseF32Fast returns the vector kernel for g, or nil when this
// machine or geometry has none (use DepthwiseFloat then).
func NewDepthwiseF32Fast(g Geom, act FloatAct, filter, bias []float32) *DepthwiseF32Fast {
	if !hasDW || g.InC != g.OutC || g.KH*g.KW > maxDWTaps {
		return nil
	}
	c, taps := g.OutC, g.KH*g.KW
	cp := (c + 15) &^ 15 // whole blocks: a last partial block has zero weights and bias
	d := &DepthwiseF32Fast{g: g, w: make([]float32, cp*taps), bias: make([]float32, cp), act: act}
	copy(d.bias, bias)
	d.pad = make([]float32, g.InW*g.InC)
	for ch := 0; ch < c; ch++ {
		for t := 0; t < taps; t++ {
			d.w[(ch/16)*taps*16+t*16+ch%16] = filter[t*c+ch]
		}
	}
	if c == 8 && g.StrideW == 1 {
		d.w2, d.bias2 = make([]float32, 16*taps), make([]float32, 16)
		for t := 0; t < taps; t++ {
			copy(d.w2[t*16:t*16+8], filter[t*8:t*8+8])
			copy(d.w2[t*16+8:t*16+16], filter[t*8:t*8+8])
		}
		copy(d.bias2[:8], d.bias[:8])
		copy(d.bias2[8:], d.bias[:8])
	}
	return d
}

// Rows computes output rows [lo, hi) of the Batch·OutH rows.
func (d *DepthwiseF32Fast) Rows(in, out []float32, lo, hi int) {
	pad := d.pad
	g := &d.g
	_ = in[g.Batch*g.InH*g.InW*g.InC-1]
	_ = pad[g.InW*g.InC-1]
	_ = out[g.Batch*g.OutH*g.OutW*g.OutC-1]
	var tapBuf [maxDWTaps]uintptr
	dwWalk(g, uintptr(unsafe.Pointer(unsafe.SliceData(in))), uintptr(unsafe.Pointer(unsafe.SliceData(pad))), 4,
		tapBuf[:g.KH*g.KW], lo, hi, &dwTarget{f32: d, outF: out})
	runtime.KeepAlive(in)
	runtime.KeepAlive(pad)
}

// dwWalk visits output rows [lo, hi): for each run of output pixels it
// points taps at the input (elem bytes per value) under the first pixel
// and calls t.run with the run length, the byte step between pixels and the
// output offset (in values). A run is every column whose window is inside
// the input, or a single border column; taps outside the input read the
// pad row (at the same column when only the row is outside, so that a run
// stays inside the pad row).
func dwWalk(g *Geom, inBase, padBase uintptr, elem int, taps []uintptr, lo, hi int, t *dwTarget) {
	c := g.InC
	oxLo := min(g.OutW, (g.PadW+g.StrideW-1)/g.StrideW)
	oxHi := oxLo
	if last := g.InW - 1 - (g.KW-1)*g.DilW + g.PadW; last >= 0 {
		oxHi = max(oxLo, min(g.OutW, last/g.StrideW+1))
	}
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0 := oy*g.StrideH - g.PadH
		set := func(ox int) {
			ix0 := ox*g.StrideW - g.PadW
			for ky := 0; ky < g.KH; ky++ {
				iy := iy0 + ky*g.DilH
				for kx := 0; kx < g.KW; kx++ {
					ix := ix0 + kx*g.DilW
					tp := &taps[ky*g.KW+kx]
					switch {
					case ix < 0 || ix >= g.InW:
						*tp = padBase
					case iy < 0 || iy >= g.InH:
						*tp = padBase + uintptr(ix*c*elem)
					default:
						*tp = inBase + uintptr(((b*g.InH+iy)*g.InW+ix)*c*elem)
					}
				}
			}
		}
		o := (b*g.OutH + oy) * g.OutW * g.OutC
		for ox := 0; ox < g.OutW; ox++ {
			set(ox)
			if ox == oxLo && oxHi > oxLo {
				t.run(taps, oxHi-oxLo, g.StrideW*c*elem, o+ox*g.OutC)
				ox = oxHi - 1
				continue
			}
			t.run(taps, 1, 0, o+ox*g.OutC)
		}
	}
}

// dwTarget is the kernel dwWalk drives: exactly one of i8 and f32 is set,
// with its output. (A struct rather than a func value keeps the tap
// pointers on the stack.)
type dwTarget struct {
	i8    *DepthwiseInt8Fast
	out8  []int8
	block int  // with one: the only channel block to compute
	one   bool // i8 computes channel block block alone (dwRunBlock)
	f32   *DepthwiseF32Fast
	outF  []float32
}

func (t *dwTarget) run(taps []uintptr, n, ps, o int) {
	if t.one {
		dwRunBlock(t.i8, taps, n, ps, t.block, t.out8[o:])
		return
	}
	if t.i8 != nil {
		dwRun(t.i8, taps, n, ps, t.out8[o:])
		return
	}
	dwRunF32(t.f32, taps, n, ps, t.outF[o:])
}
