package conv

import (
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

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
// channels (integer sums, so the order changes nothing); byte types sum
// eight channels per 64-bit word (sumBytes).
func AvgPool[T qint](g *Geom, actMin, actMax int32, in, out []T, lo, hi int) {
	var accBuf [avgChunk]int32
	var z T
	bytes := unsafe.Sizeof(z) == 1
	signed := ^z < 0
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
				done := 0
				if bytes && fy1 > fy0 && fx1 > fx0 {
					done = sumBytes(g, in, b, iy0, ix0, fy0, fy1, fx0, fx1, c0, acc, signed)
				}
				if done < len(acc) {
					sumWindow(g, in, b, iy0, ix0, fy0, fy1, fx0, fx1, c0+done, acc[done:])
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

// sumWindow adds the window's values of channels [c0, c0+len(acc)) to acc.
func sumWindow[T qint](g *Geom, in []T, b, iy0, ix0, fy0, fy1, fx0, fx1, c0 int, acc []int32) {
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
}

// sumBytes is sumWindow for one-byte types over the leading multiple of 8
// channels of acc, through kernels.SumBytes (eight channels per 64-bit
// word) on up to kernels.SumChunk window pixels at a time. It returns how
// many channels it summed.
func sumBytes[T qint](g *Geom, in []T, b, iy0, ix0, fy0, fy1, fx0, fx1, c0 int, acc []int32, signed bool) int {
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(in))), len(in))
	var offs [kernels.SumChunk]int
	k, done := 0, 0
	for fy := fy0; fy < fy1; fy++ {
		base := (b*g.InH+iy0+fy)*g.InW + ix0
		for fx := fx0; fx < fx1; fx++ {
			offs[k] = (base+fx)*g.InC + c0
			if k++; k == len(offs) {
				done = kernels.SumBytes(raw, offs[:k], len(acc), signed, acc)
				k = 0
			}
		}
	}
	if k > 0 {
		done = kernels.SumBytes(raw, offs[:k], len(acc), signed, acc)
	}
	return done
}

// AvgPoolFloat is the float AVERAGE_POOL_2D over output rows [lo, hi):
// for each channel the window's values summed in row-major window order
// (as the reference sums them) from zero, divided by their count. The sums
// run over up to avgChunk contiguous channels at a time.
func AvgPoolFloat(g *Geom, act FloatAct, in, out []float32, lo, hi int) {
	var accBuf [avgChunk]float32
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0, fy0, fy1 := window(oy, g.StrideH, g.PadH, g.KH, g.InH)
		for ox := 0; ox < g.OutW; ox++ {
			ix0, fx0, fx1 := window(ox, g.StrideW, g.PadW, g.KW, g.InW)
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			n := float32(max(0, fy1-fy0) * max(0, fx1-fx0))
			if fx1 > fx0 && avgWindowVec(g, in, o, b, iy0, fy0, fy1, ix0+fx0, fx1-fx0) {
				for i, s := range o {
					o[i] = clampF(s/n, act)
				}
				continue
			}
			for c0 := 0; c0 < len(o); c0 += avgChunk {
				oc := o[c0:min(len(o), c0+avgChunk)]
				acc := accBuf[:len(oc)]
				clear(acc)
				for fy := fy0; fy < fy1; fy++ {
					base := (b*g.InH+iy0+fy)*g.InW + ix0
					for fx := fx0; fx < fx1; fx++ {
						src := in[(base+fx)*g.InC+c0:][:len(acc)]
						for i, v := range src {
							acc[i] += v
						}
					}
				}
				for i, s := range acc {
					oc[i] = clampF(s/n, act)
				}
			}
		}
	}
}

// avgWindowVec sums one output pixel's window into o (from zero, window
// rows in order, each row's nx pixels from column x0 in order: the
// scalar loop's order per channel) on the vector kernel where the machine
// has one, and reports whether it did.
func avgWindowVec(g *Geom, in, o []float32, b, iy0, fy0, fy1, x0, nx int) bool {
	clear(o)
	for fy := fy0; fy < fy1; fy++ {
		if !addPixelsVec(o, in[((b*g.InH+iy0+fy)*g.InW+x0)*g.InC:], nx, g.InC) {
			return false // no vector kernel: nothing was added
		}
	}
	return true
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

// MaxPoolFloat is the float MAX_POOL_2D over output rows [lo, hi).
func MaxPoolFloat(g *Geom, act FloatAct, in, out []float32, lo, hi int) {
	// Output columns [oxLo, oxHi) have windows inside the input's width:
	// one row kernel call each output row covers them.
	oxLo := min(g.OutW, (g.PadW+g.StrideW-1)/g.StrideW)
	oxHi := oxLo
	for oxHi < g.OutW && oxHi*g.StrideW-g.PadW+g.KW <= g.InW {
		oxHi++
	}
	var offs [64]int
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0, fy0, fy1 := window(oy, g.StrideH, g.PadH, g.KH, g.InH)
		if k := (fy1 - fy0) * g.KW; oxHi > oxLo && fy1 > fy0 && k <= len(offs) {
			k = 0
			for fy := fy0; fy < fy1; fy++ {
				for fx := range g.KW {
					offs[k] = ((fy-fy0)*g.InW + fx) * g.InC
					k++
				}
			}
			base := ((b*g.InH+iy0+fy0)*g.InW + oxLo*g.StrideW - g.PadW) * g.InC
			o := ((b*g.OutH+oy)*g.OutW + oxLo) * g.OutC
			n := oxHi - oxLo
			if last := base + (n-1)*g.StrideW*g.InC + offs[k-1] + g.OutC; last <= len(in) &&
				maxPoolRowVec(out[o:o+n*g.OutC], in[base:], offs[:k], g.OutC, n, g.StrideW*g.InC, g.OutC, act) {
				maxPoolFloatCols(g, act, in, out, b, oy, iy0, fy0, fy1, 0, oxLo)
				maxPoolFloatCols(g, act, in, out, b, oy, iy0, fy0, fy1, oxHi, g.OutW)
				continue
			}
		}
		maxPoolFloatCols(g, act, in, out, b, oy, iy0, fy0, fy1, 0, g.OutW)
	}
}

// maxPoolFloatCols computes output columns [ox0, ox1) of one output row
// of MaxPoolFloat a pixel at a time.
func maxPoolFloatCols(g *Geom, act FloatAct, in, out []float32, b, oy, iy0, fy0, fy1, ox0, ox1 int) {
	for ox := ox0; ox < ox1; ox++ {
		ix0, fx0, fx1 := window(ox, g.StrideW, g.PadW, g.KW, g.InW)
		o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
		// Window pixels outer, channels inner (contiguous): the
		// running maximum lives in o. Go's max is commutative and
		// associative (NaN wins, +0 beats -0), so the order of the
		// window does not change the result.
		if maxPoolWindowVec(g, in, o, b, iy0, fy0, fy1, ix0, fx0, fx1) {
			for c, m := range o {
				o[c] = clampF(m, act)
			}
			continue
		}
		for c := range o {
			o[c] = float32(math.Inf(-1))
		}
		for fy := fy0; fy < fy1; fy++ {
			base := (b*g.InH+iy0+fy)*g.InW + ix0
			for fx := fx0; fx < fx1; fx++ {
				src := in[(base+fx)*g.InC:][:len(o)]
				for c, v := range src {
					o[c] = max(o[c], v)
				}
			}
		}
		for c, m := range o {
			o[c] = clampF(m, act)
		}
	}
}

// maxPoolWindowVec computes one output pixel's unclamped maximum into o on
// the vector kernel where the machine has one and the window has between 1
// and 64 pixels, and reports whether it did.
func maxPoolWindowVec(g *Geom, in, o []float32, b, iy0, fy0, fy1, ix0, fx0, fx1 int) bool {
	var offs [64]int
	k, last := 0, 0
	if n := (fy1 - fy0) * (fx1 - fx0); fy1 <= fy0 || fx1 <= fx0 || n > len(offs) {
		return false
	}
	for fy := fy0; fy < fy1; fy++ {
		base := (b*g.InH+iy0+fy)*g.InW + ix0
		for fx := fx0; fx < fx1; fx++ {
			offs[k] = (base + fx) * g.InC
			last = max(last, offs[k])
			k++
		}
	}
	if last+len(o) > len(in) {
		return false
	}
	return maxPoolPixelVec(o, in, offs[:k])
}

// maxPoolFloatRef is MaxPoolFloat with the channel loop outermost, one
// window at a time: the reference the tests hold MaxPoolFloat to.
func maxPoolFloatRef(g *Geom, act FloatAct, in, out []float32, lo, hi int) {
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
