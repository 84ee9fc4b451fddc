package conv

// hybridChunk bounds the channels HybridDepthwiseRows sums at once (its
// int32 sums live on the stack).
const hybridChunk = 256

// HybridDepthwiseRows is HybridDepthwise (same arguments, same float32
// results: each channel's int32 sum takes the same terms in the same
// order) with the taps outside the channels: for each output pixel and
// tap inside the input, one pass adds the tap's weights times the input
// pixel's channels into a row of sums (no index arithmetic or division
// per product), then every channel is scaled as HybridDepthwise scales it.
func HybridDepthwiseRows(g *Geom, act FloatAct, q []int8, sf []float32, off []int32, filter []int8, fscale, bias, out []float32, lo, hi int) {
	var accBuf [hybridChunk]int32
	mult := g.OutC / g.InC
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		zp, s := off[b], sf[b]
		for ox := 0; ox < g.OutW; ox++ {
			o := ((b*g.OutH+oy)*g.OutW + ox) * g.OutC
			for c0 := 0; c0 < g.OutC; c0 += hybridChunk {
				n := min(hybridChunk, g.OutC-c0)
				acc := accBuf[:n]
				clear(acc)
				for ky := 0; ky < g.KH; ky++ {
					iy := oy*g.StrideH - g.PadH + ky*g.DilH
					if iy < 0 || iy >= g.InH {
						continue
					}
					for kx := 0; kx < g.KW; kx++ {
						ix := ox*g.StrideW - g.PadW + kx*g.DilW
						if ix < 0 || ix >= g.InW {
							continue
						}
						x := q[((b*g.InH+iy)*g.InW+ix)*g.InC:][:g.InC]
						w := filter[(ky*g.KW+kx)*g.OutC+c0:][:n]
						if mult == 1 {
							xs := x[c0:][:n]
							for i, v := range w {
								acc[i] += int32(v) * (int32(xs[i]) - zp)
							}
							continue
						}
						for i, v := range w {
							acc[i] += int32(v) * (int32(x[(c0+i)/mult]) - zp)
						}
					}
				}
				for i, a := range acc {
					out[o+c0+i] = hybridOut(a, s*fscale[c0+i], bias, c0+i, act)
				}
			}
		}
	}
}
