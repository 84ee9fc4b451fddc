package conv

import "math"

// window returns the clipped filter range of an output coordinate.
func window(o, stride, pad, filter, in int) (origin, f0, f1 int) {
	origin = o*stride - pad
	return origin, max(0, -origin), min(filter, in-origin)
}

// avgChunk is how many channels AvgPool sums at once (its int32
// accumulators live on the stack).
const avgChunk = 256

// AvgPool is TensorFlow Lite's reference quantized AVERAGE_POOL_2D over
// output rows [lo, hi) of the Batch·OutH rows: the sum of the window's
// in-bounds values divided by their count, rounding half away from zero,
// clamped to [actMin, actMax]. Input and output share scale and zero point.
// Windows are summed a pixel at a time over up to avgChunk contiguous
// channels (integer sums, so the order changes nothing).
func AvgPool[T qint](g *Geom, actMin, actMax int32, in, out []T, lo, hi int) {
	var accBuf [avgChunk]int32
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0, fy0, fy1 := window(oy, g.StrideH, g.PadH, g.KH, g.InH)
		for ox := 0; ox < g.OutW; ox++ {
			ix0, fx0, fx1 := window(ox, g.StrideW, g.PadW, g.KW, g.InW)
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			n := int32(max(0, fy1-fy0) * max(0, fx1-fx0))
			for c0 := 0; c0 < len(o); c0 += avgChunk {
				oc := o[c0:min(len(o), c0+avgChunk)]
				acc := accBuf[:len(oc)]
				clear(acc)
				for fy := fy0; fy < fy1; fy++ {
					base := (b*g.InH+iy0+fy)*g.InW + ix0
					fx := fx0
					for ; fx+4 <= fx1; fx += 4 {
						p := (base+fx)*g.InC + c0
						s0 := in[p:][:len(acc)]
						s1 := in[p+g.InC:][:len(acc)]
						s2 := in[p+2*g.InC:][:len(acc)]
						s3 := in[p+3*g.InC:][:len(acc)]
						a := acc[:len(s0)]
						for i := range s0 {
							a[i] += int32(s0[i]) + int32(s1[i]) + int32(s2[i]) + int32(s3[i])
						}
					}
					for ; fx < fx1; fx++ {
						src := in[(base+fx)*g.InC+c0:][:len(acc)]
						a := acc[:len(src)]
						for i := range src {
							a[i] += int32(src[i])
						}
					}
				}
				for i, a := range acc {
					if n > 0 {
						if a > 0 {
							a = (a + n/2) / n
						} else {
							a = (a - n/2) / n
						}
					}
					oc[i] = T(clamp(a, actMin, actMax))
				}
			}
		}
	}
}

// MaxPool is TensorFlow Lite's reference quantized MAX_POOL_2D over output
// rows [lo, hi).
func MaxPool[T qint](g *Geom, actMin, actMax int32, in, out []T, lo, hi int) {
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0, fy0, fy1 := window(oy, g.StrideH, g.PadH, g.KH, g.InH)
		for ox := 0; ox < g.OutW; ox++ {
			ix0, fx0, fx1 := window(ox, g.StrideW, g.PadW, g.KW, g.InW)
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			for c := range o {
				m := int32(math.MinInt32)
				for fy := fy0; fy < fy1; fy++ {
					base := (b*g.InH+iy0+fy)*g.InW + ix0
					for fx := fx0; fx < fx1; fx++ {
						m = max(m, int32(in[(base+fx)*g.InC+c]))
					}
				}
				o[c] = T(clamp(m, actMin, actMax))
			}
		}
	}
}

// AvgPoolFloat is the float AVERAGE_POOL_2D over output rows [lo, hi).
func AvgPoolFloat(g *Geom, act FloatAct, in, out []float32, lo, hi int) {
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0, fy0, fy1 := window(oy, g.StrideH, g.PadH, g.KH, g.InH)
		for ox := 0; ox < g.OutW; ox++ {
			ix0, fx0, fx1 := window(ox, g.StrideW, g.PadW, g.KW, g.InW)
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			n := float32(max(0, fy1-fy0) * max(0, fx1-fx0))
			for c := range o {
				var s float32
				for fy := fy0; fy < fy1; fy++ {
					base := (b*g.InH+iy0+fy)*g.InW + ix0
					for fx := fx0; fx < fx1; fx++ {
						s += in[(base+fx)*g.InC+c]
					}
				}
				o[c] = clampF(s/n, act)
			}
		}
	}
}

// MaxPoolFloat is the float MAX_POOL_2D over output rows [lo, hi).
func MaxPoolFloat(g *Geom, act FloatAct, in, out []float32, lo, hi int) {
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0, fy0, fy1 := window(oy, g.StrideH, g.PadH, g.KH, g.InH)
		for ox := 0; ox < g.OutW; ox++ {
			ix0, fx0, fx1 := window(ox, g.StrideW, g.PadW, g.KW, g.InW)
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			for c := range o {
				m := float32(math.Inf(-1))
				for fy := fy0; fy < fy1; fy++ {
					base := (b*g.InH+iy0+fy)*g.InW + ix0
					for fx := fx0; fx < fx1; fx++ {
						m = max(m, in[(base+fx)*g.InC+c])
					}
				}
				o[c] = clampF(m, act)
			}
		}
	}
}
