package conv

import (
	"encoding/binary"
	"math"
	"unsafe"
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

// swarFlush is how many pixels sumBytes adds into 16-bit lanes before it
// moves them to acc: 257·255 = 65535 still fits.
const swarFlush = 257

// sumBytes is sumWindow for one-byte types over the leading multiple of 8
// channels of acc, eight channels per uint64: bytes (biased by +128 when
// signed, so every lane is in [0, 255]) are split into even and odd 16-bit
// lanes and summed there, flushed to acc every swarFlush pixels with the
// bias removed. It returns how many channels it summed.
func sumBytes[T qint](g *Geom, in []T, b, iy0, ix0, fy0, fy1, fx0, fx1, c0 int, acc []int32, signed bool) int {
	const lanes = 0x00FF00FF00FF00FF
	nc := len(acc) &^ 7
	if nc == 0 {
		return 0
	}
	var flip uint64
	if signed {
		flip = 0x8080808080808080
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(in))), len(in))
	var even, odd [avgChunk / 8]uint64
	ev, od := even[:nc/8], odd[:nc/8]
	pixels, pending := 0, 0
	flush := func() {
		for w := range ev {
			for k := 0; k < 4; k++ {
				acc[8*w+2*k] += int32(ev[w] >> (16 * k) & 0xFFFF)
				acc[8*w+2*k+1] += int32(od[w] >> (16 * k) & 0xFFFF)
			}
			ev[w], od[w] = 0, 0
		}
		pending = 0
	}
	for fy := fy0; fy < fy1; fy++ {
		base := (b*g.InH+iy0+fy)*g.InW + ix0
		for fx := fx0; fx < fx1; fx++ {
			src := raw[(base+fx)*g.InC+c0:][:nc]
			for w := range ev {
				v := binary.LittleEndian.Uint64(src[8*w:]) ^ flip
				ev[w] += v & lanes
				od[w] += v >> 8 & lanes
			}
			pixels++
			if pending++; pending == swarFlush {
				flush()
			}
		}
	}
	flush()
	if signed {
		bias := int32(128 * pixels)
		for i := range acc[:nc] {
			acc[i] -= bias
		}
	}
	return nc
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
