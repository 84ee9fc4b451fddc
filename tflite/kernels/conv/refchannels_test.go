package conv

// The channel-subset reference kernels below are what the outlier-channel
// fast paths (pwoutliers.go, dwoutliers.go, uint8 outliers) are tested
// against; production code no longer calls them.

// ConvRefChannels is ConvRef (ungrouped) for the listed output channels
// only, over output rows [lo, hi), reading every input byte as x ^ inXor
// and writing every output byte as y ^ outXor (0x80: sign-flipped).
func ConvRefChannels(g *Geom, q *Requant, in, filter []uint8, bias []int32, out []uint8, chans []int, inXor, outXor uint8, lo, hi int) {
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0 := oy*g.StrideH - g.PadH
		for ox := 0; ox < g.OutW; ox++ {
			ix0 := ox*g.StrideW - g.PadW
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			for _, oc := range chans {
				var acc int32
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
						xs := in[((b*g.InH+iy)*g.InW+ix)*g.InC:][:g.InC]
						ws := filter[((oc*g.KH+ky)*g.KW+kx)*g.InC:][:g.InC]
						for i, x := range xs {
							acc += (int32(ws[i]) + q.FilterOffset) * (int32(x^inXor) + q.InputOffset)
						}
					}
				}
				if bias != nil {
					acc += bias[oc]
				}
				o[oc] = uint8(clamp(scale(acc, q.Mult[oc], q.Shift[oc])+q.OutputOffset, q.Min, q.Max)) ^ outXor
			}
		}
	}
}

// DepthwiseRefChannels is DepthwiseRef for the listed output channels
// only, over output rows [lo, hi), reading every input byte as x ^ inXor
// and writing every output byte as y ^ outXor (0x80: sign-flipped).
func DepthwiseRefChannels(g *Geom, q *Requant, in, filter []uint8, bias []int32, out []uint8, chans []int, inXor, outXor uint8, lo, hi int) {
	mult := g.OutC / g.InC
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0 := oy*g.StrideH - g.PadH
		for ox := 0; ox < g.OutW; ox++ {
			ix0 := ox*g.StrideW - g.PadW
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			for _, oc := range chans {
				ic := oc / mult
				var acc int32
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
						x := in[((b*g.InH+iy)*g.InW+ix)*g.InC+ic] ^ inXor
						w := filter[(ky*g.KW+kx)*g.OutC+oc]
						acc += (int32(w) + q.FilterOffset) * (int32(x) + q.InputOffset)
					}
				}
				if bias != nil {
					acc += bias[oc]
				}
				o[oc] = uint8(clamp(scale(acc, q.Mult[oc], q.Shift[oc])+q.OutputOffset, q.Min, q.Max)) ^ outXor
			}
		}
	}
}
