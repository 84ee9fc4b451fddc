package shape

import "math"

// ResizeParams describe a 4-D NHWC resize.
type ResizeParams struct {
	Batch, InH, InW, Depth int
	OutH, OutW             int
	AlignCorners           bool
	HalfPixelCenters       bool
}

// NearestIndex returns the input coordinate TensorFlow Lite's
// ResizeNearestNeighbor reads for output coordinate x along an axis resized
// from inSize to outSize.
func NearestIndex(x, inSize, outSize int, alignCorners, halfPixel bool) int {
	var scale float32
	if alignCorners && outSize > 1 {
		scale = float32(inSize-1) / float32(outSize-1)
	} else {
		scale = float32(inSize) / float32(outSize)
	}
	var offset float32
	if halfPixel {
		offset = 0.5
	}
	v := float32(float32(x)+offset) * scale
	var r int
	if alignCorners {
		r = int(math.Round(float64(v)))
	} else {
		r = int(math.Floor(float64(v)))
	}
	r = min(r, inSize-1)
	if halfPixel {
		r = max(r, 0)
	}
	return r
}

// ResizeNearest copies, for each output pixel, the Depth-element run of the
// input pixel (ys[y], xs[x]) (tables from NearestIndex). Data are raw bytes
// of elem-byte elements.
func ResizeNearest(p *ResizeParams, out, in []byte, ys, xs []int, elem int) {
	run := p.Depth * elem
	row := p.InW * run
	o := 0
	for b := 0; b < p.Batch; b++ {
		bi := b * p.InH * row
		for _, y := range ys {
			yi := bi + y*row
			for _, x := range xs {
				s := yi + x*run
				copy(out[o:o+run], in[s:s+run])
				o += run
			}
		}
	}
}

// bilinearScale returns TensorFlow Lite's float scale along one axis.
func bilinearScale(in, out int, alignCorners bool) float32 {
	if alignCorners && out > 1 {
		return float32(in-1) / float32(out-1)
	}
	return float32(in) / float32(out)
}

func interpFloat(v int, scale float32, halfPixel bool, inSize int) (f float32, lo, hi int) {
	if halfPixel {
		f = float32(float32(float32(v)+0.5)*scale) - 0.5
	} else {
		f = float32(v) * scale
	}
	lo = max(int(int32(math.Floor(float64(f)))), 0)
	hi = min(int(int32(math.Ceil(float64(f)))), inSize-1)
	return f, lo, hi
}

// ResizeBilinearFloat is TensorFlow Lite's reference ResizeBilinear in
// float32 arithmetic, for float32 data and (with rounding offset 0.5 and
// truncation) for uint8 data.
func ResizeBilinearFloat[T float32 | uint8](p *ResizeParams, out, in []T) {
	hs := bilinearScale(p.InH, p.OutH, p.AlignCorners)
	ws := bilinearScale(p.InW, p.OutW, p.AlignCorners)
	var round float32
	var z T
	if any(z) == any(uint8(0)) {
		round = 0.5
	}
	d := p.Depth
	o := 0
	for b := 0; b < p.Batch; b++ {
		base := b * p.InH * p.InW * d
		for y := 0; y < p.OutH; y++ {
			fy, y0, y1 := interpFloat(y, hs, p.HalfPixelCenters, p.InH)
			dy := fy - float32(y0)
			for x := 0; x < p.OutW; x++ {
				fx, x0, x1 := interpFloat(x, ws, p.HalfPixelCenters, p.InW)
				dx := fx - float32(x0)
				i00 := base + (y0*p.InW+x0)*d
				i10 := base + (y1*p.InW+x0)*d
				i01 := base + (y0*p.InW+x1)*d
				i11 := base + (y1*p.InW+x1)*d
				for c := 0; c < d; c++ {
					// Each product is converted explicitly so that no
					// multiply-add is fused: the sum rounds as in C++.
					v := float32(float32(float32(in[i00+c])*(1-dy))*(1-dx)) +
						float32(float32(float32(in[i10+c])*dy)*(1-dx))
					v = v + float32(float32(float32(in[i01+c])*(1-dy))*dx)
					v = v + float32(float32(float32(in[i11+c])*dy)*dx)
					v = v + round
					out[o+c] = T(v)
				}
				o += d
			}
		}
	}
}

func interpInt(v int32, scale10 int32, halfPixel bool, inSize int32) (s, lo, hi int32) {
	if halfPixel {
		s = v*scale10 + scale10/2 - (1 << 9)
	} else {
		s = v * scale10
	}
	lo = max(s/(1<<10), 0)
	hi = min((s+(1<<10)-1)/(1<<10), inSize-1)
	return s, lo, hi
}

func scale10(in, out int32, alignCorners bool) int32 {
	if alignCorners && out > 1 {
		return ((1<<10)*(in-1) + (out-1)/2) / (out - 1)
	}
	return ((1<<10)*in + out/2) / out
}

// ResizeBilinearInteger is TensorFlow Lite's reference
// ResizeBilinearInteger (10-bit fixed-point coordinates, 64-bit products,
// rounding half away from zero) for int8 and int16 data.
func ResizeBilinearInteger[T int8 | int16](p *ResizeParams, out, in []T) {
	inH, inW := int32(p.InH), int32(p.InW)
	hs := scale10(inH, int32(p.OutH), p.AlignCorners)
	ws := scale10(inW, int32(p.OutW), p.AlignCorners)
	d := p.Depth
	o := 0
	const one = 1 << 10
	for b := 0; b < p.Batch; b++ {
		base := b * p.InH * p.InW * d
		for y := int32(0); y < int32(p.OutH); y++ {
			iy, y0, y1 := interpInt(y, hs, p.HalfPixelCenters, inH)
			wy1 := int64(iy - one*y0)
			wy0 := int64(one) - wy1
			for x := int32(0); x < int32(p.OutW); x++ {
				ix, x0, x1 := interpInt(x, ws, p.HalfPixelCenters, inW)
				wx1 := int64(ix - one*x0)
				wx0 := int64(one) - wx1
				i00 := base + int(y0*inW+x0)*d
				i10 := base + int(y1*inW+x0)*d
				i01 := base + int(y0*inW+x1)*d
				i11 := base + int(y1*inW+x1)*d
				for c := 0; c < d; c++ {
					v := int64(in[i00+c])*wy0*wx0 + int64(in[i10+c])*wy1*wx0 +
						int64(in[i01+c])*wy0*wx1 + int64(in[i11+c])*wy1*wx1
					r := int64(1 << 19)
					if v <= 0 {
						r = -r
					}
					out[o+c] = T((v + r) / (1 << 20))
				}
				o += d
			}
		}
	}
}

// BilinearF32 is ResizeBilinearFloat for float32 data with the per-row and
// per-column source coordinates and weights computed once (NewBilinearF32)
// instead of per output pixel. Its arithmetic is the reference's, term for
// term, so the output is bit-identical.
type BilinearF32 struct {
	p                ResizeParams
	y0, y1, x0, x1   []int // row offsets (y*InW*Depth) and column offsets (x*Depth)
	dy, ndy, dx, ndx []float32
}

// NewBilinearF32 returns the tables for p, which must describe a non-empty
// input (InH, InW > 0).
func NewBilinearF32(p ResizeParams) *BilinearF32 {
	r := &BilinearF32{p: p,
		y0: make([]int, p.OutH), y1: make([]int, p.OutH), dy: make([]float32, p.OutH), ndy: make([]float32, p.OutH),
		x0: make([]int, p.OutW), x1: make([]int, p.OutW), dx: make([]float32, p.OutW), ndx: make([]float32, p.OutW),
	}
	hs := bilinearScale(p.InH, p.OutH, p.AlignCorners)
	ws := bilinearScale(p.InW, p.OutW, p.AlignCorners)
	row := p.InW * p.Depth
	for y := range p.OutH {
		fy, y0, y1 := interpFloat(y, hs, p.HalfPixelCenters, p.InH)
		y0 = min(y0, p.InH-1) // never above: kept so no kernel can leave the image
		r.y0[y], r.y1[y] = y0*row, y1*row
		r.dy[y] = fy - float32(y0)
		r.ndy[y] = 1 - r.dy[y]
	}
	for x := range p.OutW {
		fx, x0, x1 := interpFloat(x, ws, p.HalfPixelCenters, p.InW)
		x0 = min(x0, p.InW-1)
		r.x0[x], r.x1[x] = x0*p.Depth, x1*p.Depth
		r.dx[x] = fx - float32(x0)
		r.ndx[x] = 1 - r.dx[x]
	}
	return r
}

// Run resizes in into out (NHWC float32, sizes as in the ResizeParams).
func (r *BilinearF32) Run(out, in []float32) {
	p := &r.p
	d := p.Depth
	o := 0
	for b := 0; b < p.Batch; b++ {
		img := in[b*p.InH*p.InW*d : (b+1)*p.InH*p.InW*d]
		for y, ry0 := range r.y0 {
			ry1, dy, ndy := r.y1[y], r.dy[y], r.ndy[y]
			if bilinearRowVec(img[ry0:ry0+p.InW*d], img[ry1:ry1+p.InW*d], r.x0, r.x1, r.dx, r.ndx, d, dy, ndy, out[o:o+p.OutW*d]) {
				o += p.OutW * d
				continue
			}
			for x, cx0 := range r.x0 {
				cx1, dx, ndx := r.x1[x], r.dx[x], r.ndx[x]
				a00 := img[ry0+cx0 : ry0+cx0+d]
				a10 := img[ry1+cx0 : ry1+cx0+d]
				a01 := img[ry0+cx1 : ry0+cx1+d]
				a11 := img[ry1+cx1 : ry1+cx1+d]
				dst := out[o : o+d]
				for c := range dst {
					// As in ResizeBilinearFloat: no fused multiply-add,
					// and the final +0 turns -0 into +0 like the reference.
					v := float32(float32(a00[c]*ndy)*ndx) + float32(float32(a10[c]*dy)*ndx)
					v = v + float32(float32(a01[c]*ndy)*dx)
					v = v + float32(float32(a11[c]*dy)*dx)
					dst[c] = v + 0
				}
				o += d
			}
		}
	}
}
