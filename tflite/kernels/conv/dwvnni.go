package conv

import "math"

// dwvnni_amd64.s is generated: edit dwvnni_gen.go, then run `go run dwvnni_gen.go` here.

// The VNNI 3×3 int8 depthwise kernels (dwInt8VNNIS1 and dwInt8VNNIS2,
// amd64 with AVX-512 VNNI and VBMI) multiply four input pixels at once:
// VPDPBUSD sums four u8·s8 products into each int32 lane. For kernel row
// ky and channel block b, a Y vector holds in lane c the four bytes
// x[i+s][16b+c] + 128 of four consecutive input pixels i..i+3 (the input
// XORed with 0x80 to make it unsigned; built with one load, three 16-byte
// inserts, one VPERMB and one XOR). With w the row's three taps, output
// pixels 4q..4q+3 are, at stride 1 (Y_q from input pixel 4q, Y' from
// input pixel 4q+2: bytes 2, 3 of Y_q's lanes and 0, 1 of Y_{q+1}'s, one
// VPSHRDD):
//
//	p = 0: Y_q·(w0,w1,w2,0)
//	p = 1: Y_q·(0,w0,w1,w2)
//	p = 2: Y'·(w0,w1,w2,0)
//	p = 3: Y'·(0,w0,w1,w2)
//
// (two weight vectors per row; three Y builds and three VPSHRDD per four
// output vectors: 12 VPDPBUSD) and at stride 2 (Y_A, Y_B, Y_C from input
// pixels 8q, 8q+4, 8q+8):
//
//	p = 0: Y_A·(w0,w1,w2,0)
//	p = 1: Y'_A·(w0,w1,w2,0)
//	p = 2: Y_B·(w0,w1,w2,0)
//	p = 3: Y'_B·(w0,w1,w2,0)
//
// with Y'_A from input pixel 8q+2 (bytes 2, 3 of Y_A, 0, 1 of Y_B) and Y'_B
// from 8q+6 (of Y_B and Y_C), one VPSHRDD each (one weight vector per row;
// Y_C is the next group's Y_A): 12 VPDPBUSD and 6 VPSHRDD per four output
// vectors. The +128 adds 128·Σ_taps w[c] to
// every sum, which the folded bias subtracts; pixels outside the input read
// the input zero point and add exactly nothing. Sums wrap modulo 2^32 like
// the reference's.

const (
	// dwVQWords is one channel block's parameters: bias, even and odd
	// multipliers (as VPMULDQ reads them) and right shift − 1, 16 each.
	dwVQWords = 64
	// dwVQWordsF is dwVQWords for the fast kernels: bias + 2^31, 2m for
	// the even and odd lanes (as VPMULUDQ reads them), m, 2^(r−1) − m and
	// the right shift r, 16 each (what dwpair_amd64.s reads), then
	// K = 2^31 + 2^32·(t − m) as 64-bit words for the even lanes and for
	// the odd lanes (16 words each) and t, 16 words (RQF), t = 2^(r−1)
	// for the pair kernels and 2^(r−1) + the output zero point·2^r for
	// those of dwvnni_amd64.s (see ozFolds).
	dwVQWordsF = 144
	// dwVMaxAcc bounds |accumulator| for the fast kernels: then the high
	// half h lies in [−2^30, 2^30 − 1] and h + 2^(r−1) does not overflow
	// (see RQF).
	dwVMaxAcc = 1<<30 - 1
	// dwVConsts is the size of the kernels' constants: 0x80 (4 bytes),
	// padding, the input zero point (16 bytes at 16), lo (64 bytes at 64),
	// hi (64 bytes at 128), −1 (4 bytes at 192), the input zero point
	// again (64 bytes at 256) and the Y of four pixels outside the row,
	// the zero point XOR 0x80 (64 bytes at 320).
	dwVConsts = 384
)

// dwVKinds lists, for the weight vectors of one kernel row at a stride
// (the products above in order), the tap kx each byte s of a lane
// multiplies, −1 for zero.
func dwVKinds(stride int) [][4]int {
	if stride == 1 {
		return [][4]int{{0, 1, 2, -1}, {-1, 0, 1, 2}}
	}
	return [][4]int{{0, 1, 2, -1}}
}

// dwVNNI holds what the VNNI kernels read.
type dwVNNI struct {
	stride int     // 1 or 2
	fast   bool    // every accumulator lies in [−dwVMaxAcc, dwVMaxAcc]: the fast kernels run
	w      []int8  // [OutC/16][3 rows][kinds][16 lanes][4 bytes]
	q      []int32 // [OutC/16] blocks of dwVQWords (fast: dwVQWordsF)
	k      [dwVConsts]int8
	clamp  int // 0 when [lo, hi] is the whole int8 range (the saturating narrowing clamps)
	// tab holds, for each Y build of a row in order (input pixels 4j − PadW
	// and the next three), the four lanes' byte offsets (0 for a pixel
	// outside the row) and the byte mask of the lanes outside it.
	tab []int64
	// phases are the row's runs of output pixels, one per kernel call:
	// the whole row, or at stride 1 and dilation d the pixels a, a+d, ...
	// for each a < d.
	phases []dwVPhase
	// split lists the channel blocks whose 16-bit weights w do not all fit
	// int8: they run one at a time on the split kernels (dwInt8VNNIS1FX,
	// dwInt8VNNIS1F2X, dwInt8VNNIS2FX) with w = a + b, a = w clamped to
	// int8 and b the rest (zero outside the few outlier taps), whose packed
	// vectors (a's, then b's, then 64 bytes of kernel row flags: byte ky is
	// 1 where row ky's b is not all zero) wx holds per split block in
	// order.
	split []int
	wx    []int8
}

// dwVPhase is one kernel call's run of output pixels: 4·n4 − 4 + tail of
// them, the Y builds' entries from tab (in words), straight loads when
// the first pixel's byte offset (from the run's first output pixel's
// column) lies in [0, lim].
type dwVPhase struct {
	n4, tail, lim, tab int
}

// newDWVNNI packs the VNNI kernels' operands, or returns nil when they do
// not apply: the machine lacks them, the window is not 3×3 with horizontal
// stride 1 or 2, it is dilated horizontally at stride 2 or with more output
// than input columns (then a phase could start past the input row), a shift is not a right shift (the kernels
// have neither the left shift nor the identity rounding), or the clamp
// leaves the int8 range. bias is optional; eff is the bias with the input
// offset folded in. fold (the kernels of dwvnni_amd64.s, not the pair
// kernels) folds the output zero point into the fast requantization's
// constants (see ozFolds); a fast layer where it does not fit runs the
// general kernels. res, where not nil, is the rest of 16-bit weights
// filter + res (the split kernels); it needs the fast kernels (nil
// otherwise).
func newDWVNNI(g *Geom, q *Requant, filter, res []int8, bias, eff []int32, fold bool) *dwVNNI {
	if !hasDWVNNI || g.KH != 3 || g.KW != 3 || (g.StrideW != 1 && g.StrideW != 2) ||
		(g.DilW != 1 && (g.StrideW != 1 || g.OutW > g.InW)) ||
		q.Min < -128 || q.Max > 127 || q.Min > q.Max {
		return nil
	}
	for _, s := range q.Shift {
		if s > -1 || s < -31 {
			return nil
		}
	}
	kinds := dwVKinds(g.StrideW)
	c, rowBytes := g.OutC, len(kinds)*64
	v := &dwVNNI{stride: g.StrideW, fast: true}
	// wt is tap t's weight of channel ch.
	wt := func(t, ch int) int32 {
		if res != nil {
			return int32(filter[t*c+ch]) + int32(res[t*c+ch])
		}
		return int32(filter[t*c+ch])
	}
	// The accumulator of channel ch is bias + Σ_t (x_t + InputOffset)·w_t
	// with x_t + 128 in [0, 255]: bound it exactly over all inputs.
	accLo, accHi := make([]int64, c), make([]int64, c)
	for ch := 0; ch < c && v.fast; ch++ {
		lo, hi := int64(0), int64(0)
		if bias != nil {
			lo = int64(bias[ch])
		}
		for t := 0; t < 9; t++ {
			w := int64(wt(t, ch))
			lo += (int64(q.InputOffset) - 128) * w
		}
		hi = lo
		for t := 0; t < 9; t++ {
			w := 255 * int64(wt(t, ch))
			lo += min(0, w)
			hi += max(0, w)
		}
		v.fast = lo >= -dwVMaxAcc && hi <= dwVMaxAcc
		accLo[ch], accHi[ch] = lo, hi
	}
	for ch := 0; ch < c && v.fast && fold; ch++ {
		v.fast = ozFolds(accLo[ch], accHi[ch], q.Mult[ch], -q.Shift[ch], q.OutputOffset)
	}
	if res != nil {
		if !v.fast {
			return nil
		}
		for b := range c / 16 {
			for t := range 9 {
				for ch := 16 * b; ch < 16*b+16; ch++ {
					if res[t*c+ch] != 0 && (len(v.split) == 0 || v.split[len(v.split)-1] != b) {
						v.split = append(v.split, b)
					}
				}
			}
		}
	}
	// pack packs f's weight vectors: [OutC/16][3 rows][kinds][16 lanes][4 bytes].
	pack := func(f []int8) []int8 {
		w := make([]int8, c/16*3*rowBytes)
		for ch := 0; ch < c; ch++ {
			b, l := ch/16, ch%16
			for ky := 0; ky < 3; ky++ {
				for k, kind := range kinds {
					for s, kx := range kind {
						if kx >= 0 {
							w[(b*3+ky)*rowBytes+k*64+l*4+s] = f[(ky*3+kx)*c+ch]
						}
					}
				}
			}
		}
		return w
	}
	v.w = pack(filter)
	if len(v.split) > 0 {
		wr, blk := pack(res), 3*rowBytes
		for _, b := range v.split {
			v.wx = append(v.wx, v.w[b*blk:(b+1)*blk]...)
			v.wx = append(v.wx, wr[b*blk:(b+1)*blk]...)
			var flags [64]int8
			for ky := range 3 {
				for _, x := range wr[b*blk+ky*rowBytes : b*blk+(ky+1)*rowBytes] {
					if x != 0 {
						flags[ky] = 1
					}
				}
			}
			v.wx = append(v.wx, flags[:]...)
		}
	}
	if g.StrideW == 2 {
		n4 := (g.OutW + 3) / 4
		builds := 2*n4 + 1
		v.tab = make([]int64, 5*builds)
		for j := range builds {
			var mask uint64
			for s := range 4 {
				if i := 4*j - g.PadW + s; i >= 0 && i < g.InW {
					v.tab[5*j+s] = int64(i * c)
				} else {
					mask |= 0xffff << (16 * s)
				}
			}
			v.tab[5*j+4] = int64(mask)
		}
		v.phases = []dwVPhase{{n4: n4, tail: g.OutW - 4*(n4-1), lim: (g.InW - 4) * c}}
	} else {
		// Stride 1, dilation d: output pixels a, a+d, a+2d, ... (phase a)
		// read input pixels a − PadW + d·i, i = 0, 1, 2, ...: a stride-1,
		// dilation-1 row with pixels d·C bytes apart, from input and
		// output pixel a. Each Y build's lanes are input pixels
		// a − PadW + d·(4j + s), their byte offsets taken from pixel a.
		d := g.DilW
		for a := range min(d, g.OutW) {
			m := (g.OutW - a + d - 1) / d
			n4 := (m + 3) / 4
			ph := dwVPhase{n4: n4, tail: m - 4*(n4-1), lim: (g.InW-1-a)*c - 3*d*c, tab: len(v.tab)}
			for j := range n4 + 1 {
				var mask uint64
				var lanes [4]int64
				for s := range 4 {
					if i := a - g.PadW + d*(4*j+s); i >= 0 && i < g.InW {
						lanes[s] = int64((i - a) * c)
					} else {
						mask |= 0xffff << (16 * s)
					}
				}
				v.tab = append(v.tab, lanes[0], lanes[1], lanes[2], lanes[3], int64(mask))
			}
			v.phases = append(v.phases, ph)
		}
	}
	words := dwVQWords
	if v.fast {
		words = dwVQWordsF
	}
	v.q = make([]int32, c/16*words)
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
		case i >= 256 && i < 320:
			v.k[i] = int8(-q.InputOffset)
		case i >= 320:
			v.k[i] = int8(-q.InputOffset) ^ -128
		}
	}
	if q.Min != -128 || q.Max != 127 {
		v.clamp = 1
	}
	for ch := 0; ch < c; ch++ {
		b, l := ch/16, ch%16
		sum := int32(0)
		for t := 0; t < 9; t++ {
			sum += wt(t, ch)
		}
		blk := v.q[b*words:]
		m, r := q.Mult[ch], -q.Shift[ch]
		if !v.fast {
			blk[l] = eff[ch] - 128*sum
			if l%2 == 0 {
				blk[16+l] = m
			} else {
				blk[32+l-1] = m
			}
			blk[48+l] = int32(r - 1)
			continue
		}
		blk[l] = eff[ch] - 128*sum + math.MinInt32 // + 2^31, wrapping
		if l%2 == 0 {
			blk[16+l] = int32(uint32(2 * m))
		} else {
			blk[32+l-1] = int32(uint32(2 * m))
		}
		blk[48+l] = m
		blk[64+l] = 1<<(r-1) - m
		blk[80+l] = int32(r)
		// t = 2^(r−1), plus the output zero point·2^r where folded.
		t := int64(1) << (r - 1)
		if fold {
			t += int64(q.OutputOffset) << r
		}
		k := uint64(1<<31) + uint64(t-int64(m))<<32
		kw := 96 + 16*(l%2) + 2*(l/2)
		blk[kw], blk[kw+1] = int32(uint32(k)), int32(uint32(k>>32))
		blk[128+l] = int32(t)
	}
	return v
}

// ozFolds reports whether the fast requantization (RQF) of a channel with
// accumulators in [lo, hi], multiplier m and right shift r can take the
// output zero point z in its constants: K = 2^31 + 2^32·(t − m) and the
// threshold t, t = 2^(r−1) + z·2^r instead of 2^(r−1). Then the high half
// of A_u·2m + K is h + t (h the rounding doubling high half, in [hLo, hHi]
// for these accumulators: ⌊(acc·m + 2^30)/2^31⌋ grows with acc), h < 0
// exactly when h + t < t, and (h + t − [h < 0]) >> r is the rounding
// right shift of h plus z (z·2^r is a multiple of 2^r), the sum the
// reference clamps: the narrowing's saturating packs then clamp it with
// no zero point to add. It fits when h + t lies in int32 for every h.
func ozFolds(lo, hi int64, m int32, r int, z int32) bool {
	hLo := (lo*int64(m) + 1<<30) >> 31
	hHi := (hi*int64(m) + 1<<30) >> 31
	t := int64(1)<<(r-1) + int64(z)<<r
	return hLo+t >= math.MinInt32 && hHi+t <= math.MaxInt32
}

// pairs reports whether rowsV computes two output rows of an image per
// call (dwInt8VNNIS12, dwInt8VNNIS1F2): horizontal, vertical stride 1 and
// vertical dilation 1.
func (v *dwVNNI) pairs(g *Geom) bool {
	return v.stride == 1 && g.StrideH == 1 && g.DilH == 1
}

// rowsV computes output rows [lo, hi) with the VNNI kernels, one call per
// row, or per two rows of one image (dwInt8VNNIS12, dwInt8VNNIS1F2) where
// pairs holds; kernel rows outside the input read the pad row.
func (d *DepthwiseInt8Fast) rowsV(in, out []int8, lo, hi int) {
	g, v := &d.g, d.vnni
	c := g.InC
	ps := g.DilW * c // pixel step of a run (stride 1; stride 2 has no dilation)
	kern, kern2 := dwInt8VNNIS1, dwInt8VNNIS12
	kernX, kern2X := dwInt8VNNIS1FX, dwInt8VNNIS1F2X // split blocks (fast only)
	// 16 channels undilated: a Y's four pixels are 64 contiguous bytes
	// (the C16 kernels).
	// 32 channels undilated: they lie in 112 bytes (the C32 kernels).
	// 48 channels undilated: pixels 0, 1 and 2, 3 lie in the 64 bytes
	// from the first and from 96 on (the C48 kernels).
	c16, c32, c48 := ps == 16, ps == 32, ps == 48
	switch {
	case v.stride == 1 && v.fast && c16:
		kern, kern2, kernX, kern2X = dwInt8VNNIS1FC16, dwInt8VNNIS1F2C16, dwInt8VNNIS1FXC16, dwInt8VNNIS1F2XC16
	case v.stride == 1 && v.fast && c32:
		kern, kern2, kernX, kern2X = dwInt8VNNIS1FC32, dwInt8VNNIS1F2C32, dwInt8VNNIS1FXC32, dwInt8VNNIS1F2XC32
	case v.stride == 1 && v.fast && c48:
		kern, kern2, kernX, kern2X = dwInt8VNNIS1FC48, dwInt8VNNIS1F2C48, dwInt8VNNIS1FXC48, dwInt8VNNIS1F2XC48
	case v.stride == 1 && v.fast:
		kern, kern2 = dwInt8VNNIS1F, dwInt8VNNIS1F2
	case v.stride == 2 && v.fast && c16:
		kern, kernX = dwInt8VNNIS2FC16, dwInt8VNNIS2FXC16
	case v.stride == 2 && v.fast && c32:
		kern, kernX = dwInt8VNNIS2FC32, dwInt8VNNIS2FXC32
	case v.stride == 2 && v.fast && c48:
		kern, kernX = dwInt8VNNIS2FC48, dwInt8VNNIS2FXC48
	case v.stride == 2 && v.fast:
		kern, kernX = dwInt8VNNIS2F, dwInt8VNNIS2FX
	case v.stride == 2:
		kern = dwInt8VNNIS2
	}
	// skip lists the blocks the runs below leave out: d.wide's (Rows runs
	// them on the 16-bit kernels) or v.split's (run here, one at a time).
	skip := d.wide
	if len(v.split) > 0 {
		skip = v.split
	}
	blkX := len(v.wx) / max(1, len(v.split))
	pairs := v.pairs(g)
	var rows [4][]int8
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		two := pairs && row+1 < hi && oy+1 < g.OutH
		nr := 3
		if two {
			nr = 4
		}
		for ky := range nr {
			iy := oy*g.StrideH - g.PadH + ky*g.DilH
			if iy < 0 || iy >= g.InH {
				rows[ky] = d.pad
			} else {
				o := (b*g.InH + iy) * g.InW * c
				rows[ky] = in[o : o+g.InW*c]
			}
		}
		orow := out[(b*g.OutH+oy)*g.OutW*c:][:g.OutW*c]
		if two {
			_ = out[(b*g.OutH+oy+2)*g.OutW*c-1] // the second row
		}
		// A run from output pixel a starts every row at pixel a (a < OutW
		// <= InW where DilW > 1); the channel blocks between skip's run
		// together.
		b0 := 0
		for i := 0; i <= len(skip); i++ {
			b1 := c / 16
			if i < len(skip) {
				b1 = skip[i]
			}
			if i < len(v.split) {
				// The split block b1 alone.
				w, q := &v.wx[i*blkX], &v.q[b1*len(v.q)/(c/16)]
				for a, ph := range v.phases {
					x := a*c + 16*b1
					if two {
						kern2X(&rows[0][x], &rows[1][x], &rows[2][x], &rows[3][x], ph.n4, 1, w, q, &v.k[0], &orow[x],
							g.OutW*c, int(d.oz), v.clamp, -g.PadW*c, ph.lim, ph.tail, &v.tab[ph.tab], ps)
						continue
					}
					kernX(&rows[0][x], &rows[1][x], &rows[2][x], ph.n4, 1, w, q, &v.k[0], &orow[x],
						int(d.oz), v.clamp, -g.PadW*c, ph.lim, ph.tail, &v.tab[ph.tab], ps)
				}
			}
			if b1 > b0 {
				w, q := &v.w[b0*len(v.w)/(c/16)], &v.q[b0*len(v.q)/(c/16)]
				for a, ph := range v.phases {
					x := a*c + 16*b0
					if two {
						kern2(&rows[0][x], &rows[1][x], &rows[2][x], &rows[3][x], ph.n4, b1-b0, w, q, &v.k[0], &orow[x],
							g.OutW*c, int(d.oz), v.clamp, -g.PadW*c, ph.lim, ph.tail, &v.tab[ph.tab], ps)
						continue
					}
					kern(&rows[0][x], &rows[1][x], &rows[2][x], ph.n4, b1-b0, w, q, &v.k[0], &orow[x],
						int(d.oz), v.clamp, -g.PadW*c, ph.lim, ph.tail, &v.tab[ph.tab], ps)
				}
			}
			b0 = b1 + 1
		}
		if two {
			row++
		}
	}
}
