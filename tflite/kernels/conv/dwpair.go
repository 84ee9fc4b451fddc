package conv

// dwPairs holds what dwInt8VNNIPairs reads: the 3×3 VNNI kernel for 8
// output channels, two pixels per 16-lane vector (lane l channel l%8), on
// 8 input channels at stride 1 (the grouped layout of
// DepthwiseInt8Padded) or on one input channel (depth multiplier 8) at
// stride 1 or 2.
type dwPairs struct {
	w     []int8  // 512 bytes: a's three rows, b's three rows, two VPERMB indices
	q     []int32 // one block of dwVQWordsF parameters
	k     [dwVConsts]int8
	clamp int
	rows  int // bit ky: kernel row ky has residual weights (b ≠ 0)
	oz    int // the output zero point
	// step is the input bytes from one group of eight output pixels to the
	// next, l2 the offset of a group's second load (pairs 2 and 3).
	step, l2 int
}

// newDWPairs packs dwInt8VNNIPairs' operands for an 8-channel 3×3 stride-1
// layer, or returns nil where it does not apply (no VNNI kernels, another
// geometry, a weight with no split into two int8 (255), or a layer the
// fast requantization does not cover: see newDWVNNI). filter is
// [1, 3, 3, 8]; bias optional.
func newDWPairs[W int8 | int16](g *Geom, q *Requant, filter []W, bias []int32) *dwPairs {
	one := g.InC == 1 && (g.StrideW == 1 || g.StrideW == 2) // one input channel, depth multiplier 8
	if !hasDWVNNI || (g.InC != 8 || g.StrideW != 1) && !one || g.OutC != 8 || g.KH != 3 || g.KW != 3 || g.DilW != 1 ||
		len(q.Mult) != 8 || len(q.Shift) != 8 {
		return nil
	}
	// The sixteen lanes as a 16-channel layer: lane l is channel l%8,
	// weights split w = a + b, a = w clamped to int8.
	a, b := make([]int8, 9*16), make([]int8, 9*16)
	eff := make([]int32, 16)
	qp := *q
	qp.Mult, qp.Shift = make([]int32, 16), make([]int, 16)
	var bp []int32
	if bias != nil {
		bp = make([]int32, 16)
	}
	split := false
	for l := range 16 {
		ch := l % 8
		qp.Mult[l], qp.Shift[l] = q.Mult[ch], q.Shift[ch]
		if bias != nil {
			bp[l] = bias[ch]
			eff[l] = bias[ch]
		}
		for t := range 9 {
			v := int32(filter[t*8+ch])
			n := max(-128, min(127, v))
			if v-n > 127 {
				return nil
			}
			a[t*16+l], b[t*16+l] = int8(n), int8(v-n)
			split = split || v != n
			eff[l] += q.InputOffset * v
		}
	}
	gp := *g
	gp.InC, gp.OutC = 16, 16
	var res []int8
	if split {
		res = b
	}
	v := newDWVNNI(&gp, &qp, a, res, bp, eff, false)
	if v == nil || !v.fast {
		return nil
	}
	p := &dwPairs{w: make([]int8, 512), q: v.q[:dwVQWordsF], k: v.k, clamp: v.clamp, oz: int(q.OutputOffset)}
	for ky := range 3 {
		for l := range 16 {
			for s := range 3 {
				t := (ky*3+s)*16 + l
				p.w[ky*64+4*l+s] = a[t]
				p.w[192+ky*64+4*l+s] = b[t]
				if b[t] != 0 {
					p.rows |= 1 << ky
				}
			}
		}
	}
	// Index 0 gathers pair 0 from its load: lane l byte s is tap kx = s
	// of pixel l/8, channel l%8 (byte 3 repeats tap 2; its weight is 0);
	// index 1 pair 1, two output pixels on. Eight channels: tap kx of
	// output pixel x reads input pixel x + kx, 8 bytes each; one channel:
	// byte s·x + kx (s the stride) for every output channel.
	p.step, p.l2 = 64, 32
	if one {
		p.step, p.l2 = 8*g.StrideW, 4*g.StrideW
	}
	for l := range 16 {
		for s := range 4 {
			kx := min(s, 2)
			i := (l/8+kx)*8 + l%8
			if one {
				i = g.StrideW*(l/8) + kx
			}
			p.w[384+4*l+s], p.w[448+4*l+s] = int8(i), int8(i+p.l2/2)
		}
	}
	return p
}
