package conv

import "math"

// Hybrid (dynamic-range) kernels: float32 activations, int8 weights. As in
// TensorFlow Lite, the float input is quantized to int8 on the fly, once
// per batch (per row for FULLY_CONNECTED), the products are accumulated in
// int32, and each accumulator becomes float32(acc)·(inputScale·filterScale)
// + bias, clamped to the fused activation.

// QuantizeSymmetric quantizes x into q as TensorFlow Lite's
// SymmetricQuantizeFloats does: scale = max(|min|, |max|)/127, q =
// round(x·127/range) clamped to ±127 (all zeros and scale 1 for an all-zero
// x). It returns the scale.
func QuantizeSymmetric(x []float32, q []int8) float32 {
	q = q[:len(x)]
	lo, hi := minMax(x)
	rng := max(float32(math.Abs(float64(lo))), float32(math.Abs(float64(hi))))
	if rng == 0 {
		clear(q)
		return 1
	}
	inv := 127 / rng
	for i, v := range x {
		q[i] = int8(clampRound(v*inv, -127, 127))
	}
	return rng / 127
}

// QuantizeAsymmetric quantizes x into q as TensorFlow Lite's
// AsymmetricQuantizeFloats does: the range [min(0, min x), max(0, max x)]
// maps onto [-128, 127] with a nudged zero point. It returns the scale and
// the zero point (scale 1, zero point 0 and all zeros when the range is
// empty).
func QuantizeAsymmetric(x []float32, q []int8) (float32, int32) {
	q = q[:len(x)]
	lo, hi := minMax(x)
	rmin, rmax := float64(min(0, lo)), float64(max(0, hi))
	if rmin == rmax {
		clear(q)
		return 1, 0
	}
	const qmin, qmax = -128.0, 127.0
	scale := (rmax - rmin) / (qmax - qmin)
	zpMin, zpMax := qmin-rmin/scale, qmax-rmax/scale
	zp := zpMax
	if math.Abs(qmin)+math.Abs(rmin/scale) < math.Abs(qmax)+math.Abs(rmax/scale) {
		zp = zpMin
	}
	var off int32
	switch {
	case zp <= qmin:
		off = qmin
	case zp >= qmax:
		off = qmax
	default:
		off = int32(math.Round(zp))
	}
	s := float32(scale)
	inv := 1 / s
	fo := float32(off)
	for i, v := range x {
		q[i] = int8(clampRound(fo+v*inv, -128, 127))
	}
	return s, off
}

// minMax returns the smallest and largest of x (0, 0 for none), comparing
// as std::minmax_element does.
func minMax(x []float32) (lo, hi float32) {
	if len(x) == 0 {
		return 0, 0
	}
	lo, hi = x[0], x[0]
	for _, v := range x[1:] {
		if v < lo {
			lo = v
		}
		if !(v < hi) {
			hi = v
		}
	}
	return lo, hi
}

// clampRound rounds v half away from zero and clamps it to [lo, hi] (NaN
// becomes 0).
func clampRound(v float32, lo, hi int32) int32 {
	r := math.Round(float64(v))
	switch {
	case r != r:
		return 0
	case r < float64(lo):
		return lo
	case r > float64(hi):
		return hi
	}
	return int32(r)
}

// HybridConv computes output rows [lo, hi) of Batch·OutH of a hybrid
// CONV_2D from the quantized input q (per batch b: scale sf[b], zero point
// off[b]): acc = Σ w·(q − off[b]) over the taps inside the input, out =
// float32(acc)·(sf[b]·fscale[c]) + bias[c], clamped to act. bias may be nil.
func HybridConv(g *Geom, act FloatAct, q []int8, sf []float32, off []int32, filter []int8, fscale, bias, out []float32, lo, hi int) {
	kc := g.FilterInC
	groupOut := g.OutC / (g.InC / kc)
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		zp := off[b]
		for ox := 0; ox < g.OutW; ox++ {
			o := ((b*g.OutH+oy)*g.OutW + ox) * g.OutC
			for c := 0; c < g.OutC; c++ {
				ic0 := (c / groupOut) * kc
				var acc int32
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
						x := q[((b*g.InH+iy)*g.InW+ix)*g.InC+ic0:][:kc]
						w := filter[((c*g.KH+ky)*g.KW+kx)*kc:][:kc]
						for i, v := range w {
							acc += int32(v) * (int32(x[i]) - zp)
						}
					}
				}
				out[o+c] = hybridOut(acc, sf[b]*fscale[c], bias, c, act)
			}
		}
	}
}

// HybridDepthwise is HybridConv for DEPTHWISE_CONV_2D (filter [1, KH, KW,
// OutC], output channel c reading input channel c/(OutC/InC)).
func HybridDepthwise(g *Geom, act FloatAct, q []int8, sf []float32, off []int32, filter []int8, fscale, bias, out []float32, lo, hi int) {
	mult := g.OutC / g.InC
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		zp := off[b]
		for ox := 0; ox < g.OutW; ox++ {
			o := ((b*g.OutH+oy)*g.OutW + ox) * g.OutC
			for c := 0; c < g.OutC; c++ {
				var acc int32
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
						x := q[((b*g.InH+iy)*g.InW+ix)*g.InC+c/mult]
						acc += int32(filter[(ky*g.KW+kx)*g.OutC+c]) * (int32(x) - zp)
					}
				}
				out[o+c] = hybridOut(acc, sf[b]*fscale[c], bias, c, act)
			}
		}
	}
}

// HybridFC computes output rows [lo, hi) of a hybrid FULLY_CONNECTED:
// each row of k inputs was quantized on its own (scale sf[r], zero point
// off[r]); weights are [o, k].
func HybridFC(k, o int, act FloatAct, q []int8, sf []float32, off []int32, w []int8, fscale, bias, out []float32, lo, hi int) {
	for r := lo; r < hi; r++ {
		x := q[r*k:][:k]
		zp := off[r]
		for c := 0; c < o; c++ {
			wr := w[c*k:][:k]
			var acc, sum int32
			for i, v := range wr {
				acc += int32(v) * int32(x[i])
				sum += int32(v)
			}
			acc -= sum * zp
			out[r*o+c] = hybridOut(acc, sf[r]*fscale[c], bias, c, act)
		}
	}
}

// hybridOut is bias + float32(acc)·scale, clamped.
func hybridOut(acc int32, scale float32, bias []float32, c int, act FloatAct) float32 {
	v := float32(acc) * scale
	if bias != nil {
		v += bias[c]
	}
	return clampF(v, act)
}

// HybridBatchMatMul computes output rows [lo, hi) of the Batches·M rows of
// a hybrid BATCH_MATMUL as TensorFlow Lite's reference kernel does: the
// float left matrices' rows were quantized one by one into q (row r of
// left matrix l at (l·M + r)·K; scale sf, zero point off), w is the int8
// right operand (strides as p), rowSums[m·N + j] the sums over k of right
// matrix m's column j (for asymmetric rows), and out = scale·total with
// total = Σ q·w − rowSum·zero point taken through float32 as TensorFlow
// Lite does, scale = sf·fscale (fscale per column j, or one value).
func HybridBatchMatMul(p *MatMul, q []int8, sf []float32, off []int32, w []int8, rowSums []int32, fscale []float32, out []float32, lo, hi int) {
	_, _, yk, yj := p.strides()
	for row := lo; row < hi; row++ {
		b, i := row/p.M, row%p.M
		lr := (p.LhsOff[b]/(p.M*p.K))*p.M + i
		x := q[lr*p.K:][:p.K]
		ys := w[p.RhsOff[b]:]
		sums := rowSums[(p.RhsOff[b]/(p.K*p.N))*p.N:][:p.N]
		zp := float32(off[lr])
		o := out[row*p.N : (row+1)*p.N]
		for j := range o {
			var total int32
			for k, v := range x {
				total += int32(v) * int32(ys[k*yk+j*yj])
			}
			total = int32(float32(total) - float32(sums[j])*zp)
			s := sf[lr]
			if len(fscale) > 1 {
				s *= fscale[j]
			} else {
				s *= fscale[0]
			}
			o[j] = 0 + s*float32(total)
		}
	}
}

// MatMulColumnSums returns, for each right matrix of p (count of them)
// stored in w, the sums over k of each column j: [m·N + j].
func MatMulColumnSums(p *MatMul, w []int8, count int) []int32 {
	return MatMulColumnSumsInto(p, w, count, make([]int32, count*p.N))
}

// MatMulColumnSumsInto is MatMulColumnSums into sums (len count·N).
func MatMulColumnSumsInto(p *MatMul, w []int8, count int, sums []int32) []int32 {
	_, _, yk, yj := p.strides()
	for m := 0; m < count; m++ {
		base := w[m*p.K*p.N:]
		for j := 0; j < p.N; j++ {
			var s int32
			for k := 0; k < p.K; k++ {
				s += int32(base[k*yk+j*yj])
			}
			sums[m*p.N+j] = s
		}
	}
	return sums
}
