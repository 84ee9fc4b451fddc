package conv

// qint is an element type of a quantized tensor.
type qint interface{ ~int8 | ~uint8 | ~int16 }

// ConvRef is TensorFlow Lite's reference quantized CONV_2D (per-channel
// int8, per-tensor uint8 with filter offset, 16x8 with int32 or int64
// accumulators, grouped or not), computing output rows [lo, hi) of the
// Batch·OutH rows. bias may be nil. The accumulator type A is the bias type.
func ConvRef[X, W qint, A accum, Y qint](g *Geom, q *Requant, in []X, filter []W, bias []A, out []Y, lo, hi int) {
	fic := g.FilterInC
	groups := g.InC / fic
	perGroup := g.OutC / groups
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0 := oy*g.StrideH - g.PadH
		for ox := 0; ox < g.OutW; ox++ {
			ix0 := ox*g.StrideW - g.PadW
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			for oc := range o {
				grp := oc / perGroup
				var acc A
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
						xs := in[((b*g.InH+iy)*g.InW+ix)*g.InC+grp*fic:][:fic]
						ws := filter[((oc*g.KH+ky)*g.KW+kx)*fic:][:fic]
						for i, x := range xs {
							acc += A(int32(ws[i])+q.FilterOffset) * A(int32(x)+q.InputOffset)
						}
					}
				}
				if bias != nil {
					acc += bias[oc]
				}
				v := scale(acc, q.Mult[oc], q.Shift[oc]) + q.OutputOffset
				o[oc] = Y(clamp(v, q.Min, q.Max))
			}
		}
	}
}

// ConvFloatRef is TensorFlow Lite's reference float CONV_2D over output
// rows [lo, hi). bias may be nil.
func ConvFloatRef(g *Geom, act FloatAct, in, filter, bias, out []float32, lo, hi int) {
	fic := g.FilterInC
	groups := g.InC / fic
	perGroup := g.OutC / groups
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0 := oy*g.StrideH - g.PadH
		for ox := 0; ox < g.OutW; ox++ {
			ix0 := ox*g.StrideW - g.PadW
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			for oc := range o {
				grp := oc / perGroup
				var acc float32
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
						xs := in[((b*g.InH+iy)*g.InW+ix)*g.InC+grp*fic:][:fic]
						ws := filter[((oc*g.KH+ky)*g.KW+kx)*fic:][:fic]
						for i, x := range xs {
							acc += x * ws[i]
						}
					}
				}
				if bias != nil {
					acc += bias[oc]
				}
				o[oc] = clampF(acc, act)
			}
		}
	}
}

// DepthwiseRef is TensorFlow Lite's reference quantized
// DEPTHWISE_CONV_2D (output channel ic·M+m reads input channel ic, with
// M = OutC/InC) over output rows [lo, hi) of the Batch·OutH rows.
func DepthwiseRef[X, W qint, A accum, Y qint](g *Geom, q *Requant, in []X, filter []W, bias []A, out []Y, lo, hi int) {
	mult := g.OutC / g.InC
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0 := oy*g.StrideH - g.PadH
		for ox := 0; ox < g.OutW; ox++ {
			ix0 := ox*g.StrideW - g.PadW
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			for oc := range o {
				ic := oc / mult
				var acc A
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
						x := in[((b*g.InH+iy)*g.InW+ix)*g.InC+ic]
						w := filter[(ky*g.KW+kx)*g.OutC+oc]
						acc += A(int32(w)+q.FilterOffset) * A(int32(x)+q.InputOffset)
					}
				}
				if bias != nil {
					acc += bias[oc]
				}
				v := scale(acc, q.Mult[oc], q.Shift[oc]) + q.OutputOffset
				o[oc] = Y(clamp(v, q.Min, q.Max))
			}
		}
	}
}

// DepthwiseFloat is the float DEPTHWISE_CONV_2D over output rows [lo, hi).
func DepthwiseFloat(g *Geom, act FloatAct, in, filter, bias, out []float32, lo, hi int) {
	mult := g.OutC / g.InC
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0 := oy*g.StrideH - g.PadH
		for ox := 0; ox < g.OutW; ox++ {
			ix0 := ox*g.StrideW - g.PadW
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			if bias != nil {
				copy(o, bias[:g.OutC])
			} else {
				clear(o)
			}
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
					ws := filter[(ky*g.KW+kx)*g.OutC:][:g.OutC]
					if mult == 1 {
						ws = ws[:len(xs)]
						o := o[:len(xs)]
						for i, x := range xs {
							o[i] += x * ws[i]
						}
						continue
					}
					for oc := range o {
						o[oc] += xs[oc/mult] * ws[oc]
					}
				}
			}
			for oc, v := range o {
				o[oc] = clampF(v, act)
			}
		}
	}
}

// TransposeRef is TensorFlow Lite's reference quantized TRANSPOSE_CONV
// (filter [OutC,KH,KW,InC]; KH, KW, StrideH, StrideW, PadH, PadW of g are
// used, dilation is 1) for output channels [lo, hi). acc is scratch of
// Batch·OutH·OutW·OutC accumulators; only entries of channels in [lo, hi)
// are touched, so disjoint channel ranges may run concurrently.
func TransposeRef[X, W qint, A accum, Y qint](g *Geom, q *Requant, in []X, filter []W, bias []A, out []Y, acc []A, lo, hi int) {
	for p := 0; p < g.Batch*g.OutH*g.OutW; p++ {
		clear(acc[p*g.OutC+lo : p*g.OutC+hi])
	}
	for b := 0; b < g.Batch; b++ {
		for iy := 0; iy < g.InH; iy++ {
			for ix := 0; ix < g.InW; ix++ {
				xs := in[((b*g.InH+iy)*g.InW+ix)*g.InC:][:g.InC]
				oy0, ox0 := iy*g.StrideH-g.PadH, ix*g.StrideW-g.PadW
				for ky := 0; ky < g.KH; ky++ {
					oy := oy0 + ky
					if oy < 0 || oy >= g.OutH {
						continue
					}
					for kx := 0; kx < g.KW; kx++ {
						ox := ox0 + kx
						if ox < 0 || ox >= g.OutW {
							continue
						}
						a := acc[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:]
						for oc := lo; oc < hi; oc++ {
							ws := filter[((oc*g.KH+ky)*g.KW+kx)*g.InC:][:g.InC]
							var s A
							for i, x := range xs {
								s += A(int32(x)+q.InputOffset) * A(ws[i])
							}
							a[oc] += s
						}
					}
				}
			}
		}
	}
	for p := 0; p < g.Batch*g.OutH*g.OutW; p++ {
		a, o := acc[p*g.OutC:], out[p*g.OutC:]
		for oc := lo; oc < hi; oc++ {
			v := a[oc]
			if bias != nil {
				v += bias[oc]
			}
			s := scale(v, q.Mult[oc], q.Shift[oc]) + q.OutputOffset
			o[oc] = Y(clamp(s, q.Min, q.Max))
		}
	}
}

// TransposeFloat is the float TRANSPOSE_CONV for output channels [lo, hi);
// out itself accumulates.
func TransposeFloat(g *Geom, act FloatAct, in, filter, bias, out []float32, lo, hi int) {
	for p := 0; p < g.Batch*g.OutH*g.OutW; p++ {
		clear(out[p*g.OutC+lo : p*g.OutC+hi])
	}
	for b := 0; b < g.Batch; b++ {
		for iy := 0; iy < g.InH; iy++ {
			for ix := 0; ix < g.InW; ix++ {
				xs := in[((b*g.InH+iy)*g.InW+ix)*g.InC:][:g.InC]
				oy0, ox0 := iy*g.StrideH-g.PadH, ix*g.StrideW-g.PadW
				for ky := 0; ky < g.KH; ky++ {
					oy := oy0 + ky
					if oy < 0 || oy >= g.OutH {
						continue
					}
					for kx := 0; kx < g.KW; kx++ {
						ox := ox0 + kx
						if ox < 0 || ox >= g.OutW {
							continue
						}
						a := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:]
						for oc := lo; oc < hi; oc++ {
							ws := filter[((oc*g.KH+ky)*g.KW+kx)*g.InC:][:g.InC]
							var s float32
							for i, x := range xs {
								s += x * ws[i]
							}
							a[oc] += s
						}
					}
				}
			}
		}
	}
	for p := 0; p < g.Batch*g.OutH*g.OutW; p++ {
		o := out[p*g.OutC:]
		for oc := lo; oc < hi; oc++ {
			v := o[oc]
			if bias != nil {
				v += bias[oc]
			}
			o[oc] = clampF(v, act)
		}
	}
}

// FullyConnectedRef is TensorFlow Lite's reference quantized
// FULLY_CONNECTED (per-tensor or per-channel multipliers in q, filter
// offset for uint8) for input rows [lo, hi): in is [rows, k], weights
// [o, k], out [rows, o].
func FullyConnectedRef[X, W qint, A accum, Y qint](k, o int, q *Requant, in []X, weights []W, bias []A, out []Y, lo, hi int) {
	for r := lo; r < hi; r++ {
		xs := in[r*k:][:k]
		ys := out[r*o:][:o]
		for c := range ys {
			ws := weights[c*k:][:k]
			var acc A
			for i, x := range xs {
				acc += A(int32(ws[i])+q.FilterOffset) * A(int32(x)+q.InputOffset)
			}
			if bias != nil {
				acc += bias[c]
			}
			v := scale(acc, q.Mult[c], q.Shift[c]) + q.OutputOffset
			ys[c] = Y(clamp(v, q.Min, q.Max))
		}
	}
}

// FullyConnectedFloat is the float FULLY_CONNECTED for input rows [lo, hi).
func FullyConnectedFloat(k, o int, act FloatAct, in, weights, bias, out []float32, lo, hi int) {
	for r := lo; r < hi; r++ {
		xs := in[r*k:][:k]
		ys := out[r*o:][:o]
		for c := range ys {
			v := dotF(xs, weights[c*k:][:k])
			if bias != nil {
				v += bias[c]
			}
			ys[c] = clampF(v, act)
		}
	}
}

// dotF is a float dot product with four partial sums.
func dotF(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
