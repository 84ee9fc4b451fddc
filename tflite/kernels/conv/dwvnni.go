package conv

// The VNNI 3×3 stride-1 int8 depthwise kernel (dwInt8VNNIS1, amd64 with
// AVX-512 VNNI and VBMI) multiplies four input pixels at once: VPDPBUSD
// sums four u8·s8 products into each int32 lane. For kernel row ky,
// channel block b and output pixels 4q..4q+3, Y_q holds in lane c the four
// bytes x[4q+s][16b+c] + 128 (s = 0..3; the input XORed with 0x80 to make it
// unsigned). Output pixel 4q+p is then
//
//	p = 0: Y_q·(w0,w1,w2,0)
//	p = 1: Y_q·(0,w0,w1,w2)
//	p = 2: Y_q·(0,0,w0,w1) + Y_{q+1}·(w2,0,0,0)
//	p = 3: Y_q·(0,0,0,w0) + Y_{q+1}·(w1,w2,0,0)
//
// with w the row's three taps: 18 VPDPBUSD and three Y builds per four
// output vectors. The +128 adds 128·Σ_taps w[c] to every sum, which the
// folded bias subtracts (pad pixels read the input zero point and still add
// exactly nothing). Sums wrap modulo 2^32 like the reference's.

const (
	// dwVWBytes is one channel block's weights: [3 rows][6 kinds][16 lanes][4 bytes].
	dwVWBytes = 3 * 6 * 64
	// dwVQWords is one channel block's parameters: bias, even and odd
	// multipliers (as VPMULDQ reads them) and right shift − 1, 16 each.
	dwVQWords = 64
	// dwVConsts is the size of the kernel's constants: 0x80 (4 bytes),
	// padding, the input zero point (16 bytes at 16), lo (64 bytes at 64),
	// hi (64 bytes at 128), −1 (4 bytes at 192) and 2^30 (8 bytes at 200).
	dwVConsts = 208
)

// dwVNNI holds what dwInt8VNNIS1 reads.
type dwVNNI struct {
	w     []int8  // [OutC/16] blocks of dwVWBytes
	q     []int32 // [OutC/16] blocks of dwVQWords
	k     [dwVConsts]int8
	clamp int // 0 when [lo, hi] is the whole int8 range (the saturating narrowing clamps)
}

// newDWVNNI packs the VNNI kernel's operands, or returns nil when it does
// not apply: the machine lacks it, the window is not 3×3 with unit
// horizontal stride and dilation, a shift is not a right shift (it then
// needs neither the left shift nor the identity rounding), or the clamp
// leaves the int8 range. eff is the bias with the input offset folded in.
func newDWVNNI(g *Geom, q *Requant, filter []int8, eff []int32) *dwVNNI {
	if !hasDWVNNI || g.KH != 3 || g.KW != 3 || g.StrideW != 1 || g.DilW != 1 ||
		q.Min < -128 || q.Max > 127 || q.Min > q.Max {
		return nil
	}
	for _, s := range q.Shift {
		if s > -1 || s < -31 {
			return nil
		}
	}
	// kinds lists, for the six weight vectors of one kernel row (the
	// products above in order), the tap kx each byte s of a lane
	// multiplies, −1 for zero.
	kinds := [6][4]int{{0, 1, 2, -1}, {-1, 0, 1, 2}, {-1, -1, 0, 1}, {2, -1, -1, -1}, {-1, -1, -1, 0}, {1, 2, -1, -1}}
	c := g.OutC
	v := &dwVNNI{w: make([]int8, c/16*dwVWBytes), q: make([]int32, c/16*dwVQWords)}
	for i := range v.k {
		switch {
		case i < 4:
			v.k[i] = -128 // 0x80
		case i >= 16 && i < 32:
			v.k[i] = int8(-q.InputOffset)
		case i >= 64 && i < 128:
			v.k[i] = int8(q.Min)
		case i >= 128 && i < 192:
			v.k[i] = int8(q.Max)
		case i >= 192 && i < 196:
			v.k[i] = -1
		case i == 203:
			v.k[i] = 0x40 // 2^30 as int64 at 200
		}
	}
	if q.Min != -128 || q.Max != 127 {
		v.clamp = 1
	}
	for ch := 0; ch < c; ch++ {
		b, l := ch/16, ch%16
		sum := int32(0)
		for t := 0; t < 9; t++ {
			sum += int32(filter[t*c+ch])
		}
		for ky := 0; ky < 3; ky++ {
			for k, kind := range kinds {
				for s, kx := range kind {
					if kx >= 0 {
						v.w[b*dwVWBytes+ky*384+k*64+l*4+s] = filter[(ky*3+kx)*c+ch]
					}
				}
			}
		}
		blk := v.q[b*dwVQWords:]
		blk[l] = eff[ch] - 128*sum
		if l%2 == 0 {
			blk[16+l] = q.Mult[ch]
		} else {
			blk[32+l-1] = q.Mult[ch]
		}
		blk[48+l] = int32(-q.Shift[ch] - 1)
	}
	return v
}

// rowsV computes output rows [lo, hi) with dwInt8VNNIS1, one call per
// row; kernel rows outside the input read the pad row.
func (d *DepthwiseInt8Fast) rowsV(in, out []int8, lo, hi int) {
	g, v := &d.g, d.vnni
	c := g.InC
	n4 := (g.OutW + 3) / 4
	tail := g.OutW - 4*(n4-1)
	var rows [3][]int8
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		for ky := range rows {
			iy := oy*g.StrideH - g.PadH + ky*g.DilH
			if iy < 0 || iy >= g.InH {
				rows[ky] = d.pad
			} else {
				o := (b*g.InH + iy) * g.InW * c
				rows[ky] = in[o : o+g.InW*c]
			}
		}
		orow := out[(b*g.OutH+oy)*g.OutW*c:][:g.OutW*c]
		dwInt8VNNIS1(&rows[0][0], &rows[1][0], &rows[2][0], n4, c/16, &v.w[0], &v.q[0], &v.k[0], &orow[0],
			int(d.oz), v.clamp, -g.PadW*c, (g.InW-1)*c, (g.InW-4)*c, tail)
	}
}
