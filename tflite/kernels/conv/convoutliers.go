package conv

// ConvOutliers is DepthwiseOutliers for an ungrouped uint8 CONV_2D of
// any window: the outlier channels' v = w − zw as int32, summed against
// the flipped input with precomputed tap offsets (interior windows
// without bounds checks). PointwiseOutliers is faster where it applies.
type ConvOutliers struct {
	g     Geom
	chans []int
	v     [][]int32 // per outlier channel, [tap][input channel]
	sumV  []int32
	toff  []int // per tap, the input offset from the window's corner
}

// NewConvOutliers prepares the outlier channels chans of a uint8
// convolution of geometry g (filter w [OutC, KH, KW, InC] with zero
// point zw).
func NewConvOutliers(g *Geom, w []uint8, zw int32, chans []int) *ConvOutliers {
	k := g.KH * g.KW * g.InC
	c := &ConvOutliers{g: *g, chans: chans, v: make([][]int32, len(chans)), sumV: make([]int32, len(chans))}
	for j, oc := range chans {
		c.v[j] = make([]int32, k)
		for i := range k {
			c.v[j][i] = int32(w[oc*k+i]) - zw
			c.sumV[j] += c.v[j][i]
		}
	}
	for ky := 0; ky < g.KH; ky++ {
		for kx := 0; kx < g.KW; kx++ {
			c.toff = append(c.toff, (ky*g.DilH*g.InW+kx*g.DilW)*g.InC)
		}
	}
	return c
}

// Run writes the outlier channels of every output pixel: x is the
// flipped input, q the uint8 output stage, out the uint8 output, each
// byte written as y ^ outXor.
func (c *ConvOutliers) Run(q *Requant, bias []int32, x []int8, out []uint8, outXor uint8) {
	g := &c.g
	inC := g.InC
	off := q.InputOffset + 128 // x − zx = x' + off
	reachH, reachW := (g.KH-1)*g.DilH, (g.KW-1)*g.DilW
	for b := 0; b < g.Batch; b++ {
		for oy := 0; oy < g.OutH; oy++ {
			iy0 := oy*g.StrideH - g.PadH
			for ox := 0; ox < g.OutW; ox++ {
				ix0 := ox*g.StrideW - g.PadW
				dst := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
				interior := iy0 >= 0 && iy0+reachH < g.InH && ix0 >= 0 && ix0+reachW < g.InW
				for j, oc := range c.chans {
					v := c.v[j]
					var acc int32
					if interior {
						xs := x[((b*g.InH+iy0)*g.InW+ix0)*inC:]
						for t, o := range c.toff {
							ws := v[t*inC : (t+1)*inC]
							for i, xv := range xs[o : o+inC] {
								acc += ws[i] * int32(xv)
							}
						}
						acc += off * c.sumV[j]
					} else {
						t := 0
						for ky := 0; ky < g.KH; ky++ {
							iy := iy0 + ky*g.DilH
							for kx := 0; kx < g.KW; kx++ {
								ix := ix0 + kx*g.DilW
								if iy >= 0 && iy < g.InH && ix >= 0 && ix < g.InW {
									ws := v[t*inC : (t+1)*inC]
									for i, xv := range x[((b*g.InH+iy)*g.InW+ix)*inC:][:inC] {
										acc += ws[i] * (int32(xv) + off)
									}
								}
								t++
							}
						}
					}
					if bias != nil {
						acc += bias[oc]
					}
					dst[oc] = uint8(clamp(scale(acc, q.Mult[oc], q.Shift[oc])+q.OutputOffset, q.Min, q.Max)) ^ outXor
				}
			}
		}
	}
}
