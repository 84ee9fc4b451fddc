package conv

// DepthwiseInt8Padded runs DepthwiseInt8Fast on a depthwise convolution
// (depth multiplier 1) whose channel count C is not a multiple of 16: the
// input is copied into scratch with its channels padded to Cp (the next
// multiple of 16), the vector kernel computes Cp channels into scratch,
// and the first C of every output pixel are copied out. Channels are
// independent in a depthwise convolution (output channel c reads input
// channel c alone, through its own weights, bias and multiplier), so the
// real channels' sums, requantization and clamps are exactly those of
// DepthwiseInt8Fast on an unpadded C-channel layout; the padded channels
// carry zero weights and are discarded. Bit-exact with DepthwiseRef.
// Immutable; safe for concurrent use.
type DepthwiseInt8Padded struct {
	g     Geom // the real geometry (C channels)
	cp    int  // padded channels
	inner *DepthwiseInt8Fast
	fill  int8 // the input zero point: what the padded input channels hold
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
	if g.InC != c || c%16 == 0 || c <= 0 || len(q.Mult) != c || len(q.Shift) != c {
		return nil
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
	return &DepthwiseInt8Padded{g: g, cp: cp, inner: inner, fill: int8(-q.InputOffset)}
}

func (d *DepthwiseInt8Padded) inBytes() int {
	return (d.g.Batch*d.g.InH*d.g.InW*d.cp + 63) &^ 63
}

// ScratchBytes is the scratch Pad and Rows use: the padded input and the
// padded output.
func (d *DepthwiseInt8Padded) ScratchBytes() int {
	return d.inBytes() + d.g.Batch*d.g.OutH*d.g.OutW*d.cp
}

// Pad copies in ([Batch, InH, InW, C]) into the head of scratch with its
// channels padded: call it once before the Rows of a run.
func (d *DepthwiseInt8Padded) Pad(in, scratch []int8) {
	c, cp := d.g.InC, d.cp
	pixels := d.g.Batch * d.g.InH * d.g.InW
	dst := scratch[:pixels*cp]
	src := in[:pixels*c]
	for p := range pixels {
		row := dst[p*cp : p*cp+cp]
		copy(row, src[p*c:p*c+c])
		for i := c; i < cp; i++ {
			row[i] = d.fill
		}
	}
}

// Rows computes output rows [lo, hi) of the Batch·OutH rows from the
// padded input Pad left in scratch.
func (d *DepthwiseInt8Padded) Rows(scratch, out []int8, lo, hi int) {
	g := &d.g
	c, cp := g.OutC, d.cp
	head := d.inBytes()
	pin := scratch[:head]
	pout := scratch[head : head+g.Batch*g.OutH*g.OutW*cp]
	d.inner.Rows(pin, pout, lo, hi)
	for p := lo * g.OutW; p < hi*g.OutW; p++ {
		copy(out[p*c:p*c+c], pout[p*cp:p*cp+c])
	}
}
