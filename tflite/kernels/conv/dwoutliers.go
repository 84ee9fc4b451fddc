package conv

// DepthwiseOutliers computes the outlier channels of a uint8
// DEPTHWISE_CONV_2D on the flipped input (x' = x − 128 as int8): with
// v = w − zw (which need not fit int8) held as int32 and the window's
// tap offsets precomputed, the same sums as DepthwiseRefChannels at a
// fraction of its index arithmetic.
type DepthwiseOutliers struct {
	g     Geom
	chans []int
	v     [][]int32 // per outlier channel, per tap
	sumV  []int32
	toff  []int // per tap, the input offset from the window's corner
}

// NewDepthwiseOutliers prepares the outlier channels chans of a uint8
// depthwise convolution of geometry g (filter w [1, KH, KW, OutC] with
// zero point zw).
func NewDepthwiseOutliers(g *Geom, w []uint8, zw int32, chans []int) *DepthwiseOutliers {
	d := &DepthwiseOutliers{g: *g, chans: chans, v: make([][]int32, len(chans)), sumV: make([]int32, len(chans))}
	taps := g.KH * g.KW
	for j, oc := range chans {
		d.v[j] = make([]int32, taps)
		for t := range taps {
			d.v[j][t] = int32(w[t*g.OutC+oc]) - zw
			d.sumV[j] += d.v[j][t]
		}
	}
	for ky := 0; ky < g.KH; ky++ {
		for kx := 0; kx < g.KW; kx++ {
			d.toff = append(d.toff, (ky*g.DilH*g.InW+kx*g.DilW)*g.InC)
		}
	}
	return d
}

// Run writes the outlier channels of every output pixel: x is the
// flipped input, q the uint8 output stage, out the uint8 output, each
// byte written as y ^ outXor.
func (d *DepthwiseOutliers) Run(q *Requant, bias []int32, x []int8, out []uint8, outXor uint8) {
	g := &d.g
	mult := g.OutC / g.InC
	off := q.InputOffset + 128 // x − zx = x' + off
	reachH, reachW := (g.KH-1)*g.DilH, (g.KW-1)*g.DilW
	for b := 0; b < g.Batch; b++ {
		for oy := 0; oy < g.OutH; oy++ {
			iy0 := oy*g.StrideH - g.PadH
			for ox := 0; ox < g.OutW; ox++ {
				ix0 := ox*g.StrideW - g.PadW
				dst := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
				interior := iy0 >= 0 && iy0+reachH < g.InH && ix0 >= 0 && ix0+reachW < g.InW
				for j, oc := range d.chans {
					ic := oc / mult
					v := d.v[j]
					var acc int32
					if interior {
						xs := x[((b*g.InH+iy0)*g.InW+ix0)*g.InC+ic:]
						for t, o := range d.toff {
							acc += v[t] * int32(xs[o])
						}
						acc += off * d.sumV[j]
					} else {
						t := 0
						for ky := 0; ky < g.KH; ky++ {
							iy := iy0 + ky*g.DilH
							for kx := 0; kx < g.KW; kx++ {
								ix := ix0 + kx*g.DilW
								if iy >= 0 && iy < g.InH && ix >= 0 && ix < g.InW {
									acc += v[t] * (int32(x[((b*g.InH+iy)*g.InW+ix)*g.InC+ic]) + off)
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
