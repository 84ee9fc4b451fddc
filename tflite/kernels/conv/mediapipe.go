package conv

// Kernels of MediaPipe's custom operators (mediapipe/util/tflite/operations).

// TransposeConvBiasFloat computes output rows [lo, hi) of Batch·OutH of
// MediaPipe's Convolution2DTransposeBias: each output is its channel's
// bias plus input·w over every input pixel whose window (origin
// in·stride − pad) covers it. MediaPipe's reference scatters input pixel
// by input pixel; gathering per output in the same (row, column, input
// channel) order adds the same products in the same order, so the sums
// are identical. filterT is the [O,KH,KW,I] filter laid out [KH][KW][I][O]
// (TransposeOHWI).
func TransposeConvBiasFloat(g *Geom, in, filterT, bias, out []float32, lo, hi int) {
	oc, ic := g.OutC, g.InC
	if oc == 1 {
		transposeConvBias1(g, in, filterT, bias[0], out, lo, hi)
		return
	}
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		// Input rows iy with ky = oy + PadH − iy·StrideH in [0, KH).
		iyLo := max(0, ceilDiv(oy+g.PadH-g.KH+1, g.StrideH))
		iyHi := min(g.InH-1, floorDiv(oy+g.PadH, g.StrideH))
		for ox := 0; ox < g.OutW; ox++ {
			acc := out[((b*g.OutH+oy)*g.OutW+ox)*oc:][:oc]
			copy(acc, bias)
			ixLo := max(0, ceilDiv(ox+g.PadW-g.KW+1, g.StrideW))
			ixHi := min(g.InW-1, floorDiv(ox+g.PadW, g.StrideW))
			for iy := iyLo; iy <= iyHi; iy++ {
				ky := oy + g.PadH - iy*g.StrideH
				for ix := ixLo; ix <= ixHi; ix++ {
					kx := ox + g.PadW - ix*g.StrideW
					x := in[((b*g.InH+iy)*g.InW+ix)*ic:][:ic]
					wb := filterT[(ky*g.KW+kx)*ic*oc:][:ic*oc]
					for i, v := range x {
						w := wb[i*oc:][:oc]
						for c, wv := range w {
							acc[c] += v * wv
						}
					}
				}
			}
		}
	}
}

// transposeConvBias1 is TransposeConvBiasFloat for one output channel
// (MediaPipe's segmentation heads): the same products added in the same
// order into one scalar per output, without the per-input-channel slice
// of the general loop. The filter of one tap is then ic contiguous
// weights.
func transposeConvBias1(g *Geom, in, filterT []float32, bias float32, out []float32, lo, hi int) {
	ic := g.InC
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iyLo := max(0, ceilDiv(oy+g.PadH-g.KH+1, g.StrideH))
		iyHi := min(g.InH-1, floorDiv(oy+g.PadH, g.StrideH))
		orow := out[(b*g.OutH+oy)*g.OutW:][:g.OutW]
		for ox := range orow {
			acc := bias
			ixLo := max(0, ceilDiv(ox+g.PadW-g.KW+1, g.StrideW))
			ixHi := min(g.InW-1, floorDiv(ox+g.PadW, g.StrideW))
			for iy := iyLo; iy <= iyHi; iy++ {
				ky := oy + g.PadH - iy*g.StrideH
				for ix := ixLo; ix <= ixHi; ix++ {
					kx := ox + g.PadW - ix*g.StrideW
					x := in[((b*g.InH+iy)*g.InW+ix)*ic:][:ic]
					w := filterT[(ky*g.KW+kx)*ic:][:ic]
					for i, v := range x {
						acc += v * w[i]
					}
				}
			}
			orow[ox] = acc
		}
	}
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int) int { return -floorDiv(-a, b) }

// TransposeOHWI returns the [O,KH,KW,I] filter f laid out [KH][KW][I][O].
func TransposeOHWI(f []float32, o, kh, kw, i int, dst []float32) []float32 {
	dst = dst[:o*kh*kw*i]
	for c := 0; c < o; c++ {
		for t := 0; t < kh*kw; t++ {
			for ic := 0; ic < i; ic++ {
				dst[(t*i+ic)*o+c] = f[(c*kh*kw+t)*i+ic]
			}
		}
	}
	return dst
}

// MaxPoolArgmaxFloat computes rows [lo, hi) of Batch·OutH of MediaPipe's
// MaxPoolingWithArgmax2D: per channel, the window maximum (the first one
// met, scanning rows then columns, starting below every float), clamped to
// act, and its position in the window (ky·KW + kx) plus 0.1 as a float.
// Each row's columns whose windows lie inside the input's width run on
// the vector row kernel where the machine has one (the same comparisons
// in the same order: bit-exact), the others a pixel at a time.
func MaxPoolArgmaxFloat(g *Geom, act FloatAct, in, out, idx []float32, lo, hi int) {
	oxLo := min(g.OutW, (g.PadW+g.StrideW-1)/g.StrideW)
	oxHi := oxLo
	for oxHi < g.OutW && oxHi*g.StrideW-g.PadW+g.KW <= g.InW {
		oxHi++
	}
	var offs [64]int
	var pos [64]float32
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0 := oy*g.StrideH - g.PadH
		fy0, fy1 := max(0, -iy0), min(g.KH, g.InH-iy0)
		if k := (fy1 - fy0) * g.KW; oxHi > oxLo && fy1 > fy0 && k <= len(offs) {
			k = 0
			for fy := fy0; fy < fy1; fy++ {
				for fx := range g.KW {
					offs[k] = ((fy-fy0)*g.InW + fx) * g.InC
					pos[k] = float32(fy*g.KW+fx) + 0.1
					k++
				}
			}
			base := ((b*g.InH+iy0+fy0)*g.InW + oxLo*g.StrideW - g.PadW) * g.InC
			o := ((b*g.OutH+oy)*g.OutW + oxLo) * g.OutC
			n := oxHi - oxLo
			if last := base + (n-1)*g.StrideW*g.InC + offs[k-1] + g.OutC; last <= len(in) &&
				maxPoolArgmaxRowVec(out[o:o+n*g.OutC], idx[o:o+n*g.OutC], in[base:], offs[:k], pos[:k], g.OutC, n, g.StrideW*g.InC, g.OutC, act) {
				maxPoolArgmaxCols(g, act, in, out, idx, b, oy, 0, oxLo)
				maxPoolArgmaxCols(g, act, in, out, idx, b, oy, oxHi, g.OutW)
				continue
			}
		}
		maxPoolArgmaxCols(g, act, in, out, idx, b, oy, 0, g.OutW)
	}
}

// maxPoolArgmaxCols computes output columns [ox0, ox1) of one output row
// of MaxPoolArgmaxFloat a pixel at a time: the reference loop.
func maxPoolArgmaxCols(g *Geom, act FloatAct, in, out, idx []float32, b, oy, ox0, ox1 int) {
	const lowest = -3.4028234663852886e38
	c := g.OutC
	iy0 := oy*g.StrideH - g.PadH
	fy0, fy1 := max(0, -iy0), min(g.KH, g.InH-iy0)
	for ox := ox0; ox < ox1; ox++ {
		ix0 := ox*g.StrideW - g.PadW
		fx0, fx1 := max(0, -ix0), min(g.KW, g.InW-ix0)
		o := ((b*g.OutH+oy)*g.OutW + ox) * c
		best, at := out[o:o+c], idx[o:o+c]
		for k := range best {
			best[k], at[k] = lowest, 0.1
		}
		for fy := fy0; fy < fy1; fy++ {
			for fx := fx0; fx < fx1; fx++ {
				x := in[((b*g.InH+iy0+fy)*g.InW+ix0+fx)*g.InC:][:c]
				pos := float32(fy*g.KW+fx) + 0.1
				for k, v := range x {
					if v > best[k] {
						best[k], at[k] = v, pos
					}
				}
			}
		}
		for k, v := range best {
			best[k] = clampF(v, act)
		}
	}
}

// MaxUnpoolFloat computes MediaPipe's MaxUnpooling2D: out (zeroed by the
// caller) receives each input value at the window position its index
// names (int(index) = ky·KW + kx, truncated as C++ converts, window origin
// in·stride − pad); later inputs overwrite earlier ones. An index naming a
// position outside the output (possible only for indices not made by
// MaxPoolArgmaxFloat) writes nothing. Single-threaded: two inputs may name
// one output.
func MaxUnpoolFloat(g *Geom, in, idx, out []float32) {
	// rel[k] is the output offset of window position k from the window
	// origin's, for windows that lie inside the output (up to 64
	// positions; others take the divisions below).
	var rel [64]int
	nk := g.KH * g.KW
	if nk > len(rel) {
		nk = 0
	}
	for k := range nk {
		rel[k] = ((k/g.KW)*g.OutW + k%g.KW) * g.OutC
	}
	for row := 0; row < g.Batch*g.InH; row++ {
		b, iy := row/g.InH, row%g.InH
		oy0 := iy*g.StrideH - g.PadH
		for ix := 0; ix < g.InW; ix++ {
			p := ((b*g.InH+iy)*g.InW + ix) * g.InC
			ox0 := ix*g.StrideW - g.PadW
			inside := nk > 0 && oy0 >= 0 && oy0+g.KH <= g.OutH && ox0 >= 0 && ox0+g.KW <= g.OutW
			base := ((b*g.OutH+oy0)*g.OutW + ox0) * g.OutC
			for c := 0; c < g.InC; c++ {
				f := idx[p+c]
				if !(f > -1<<30 && f < 1<<30) { // NaN, or far outside any window
					continue
				}
				k := int(f)
				if inside && k >= 0 && k < nk {
					out[base+rel[k]+c] = in[p+c]
					continue
				}
				oy := oy0 + k/g.KW
				ox := ox0 + k%g.KW
				if oy < 0 || oy >= g.OutH || ox < 0 || ox >= g.OutW {
					continue
				}
				out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC+c] = in[p+c]
			}
		}
	}
}
