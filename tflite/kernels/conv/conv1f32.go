package conv

import "math"

// ConvF32OneOut is a float32 CONV_2D with one output channel and a few
// input channels (groups = 1), such as MediaPipe's segmentation heads,
// where ConvF32's GEMM would fill one lane of its output panel. It runs
// the vector depthwise kernel with the filter's input channels as
// channels (each channel's taps summed by fused multiply-adds in tap
// order) into scratch, then adds each pixel's channel sums, the bias and
// the clamp. The sums are reassociated relative to ConvFloatRef, so the
// results agree within float32 rounding. Immutable and safe for
// concurrent use (each call needs its own scratch).
type ConvF32OneOut struct {
	g    Geom
	dw   *DepthwiseF32Fast
	bias float32
	act  FloatAct
}

// NewConvF32OneOut returns the kernel for g (OutC 1, FilterInC InC) with
// the [1, KH, KW, InC] filter and optional bias, or nil when the machine
// has no vector depthwise kernel or g does not fit (use ConvF32 then).
func NewConvF32OneOut(g Geom, filter, bias []float32, act FloatAct) *ConvF32OneOut {
	if g.OutC != 1 || g.FilterInC != g.InC || g.InC > 32 {
		return nil
	}
	dg := g
	dg.OutC, dg.FilterInC = g.InC, 1
	inf := float32(math.Inf(1))
	dw := NewDepthwiseF32Fast(dg, FloatAct{Min: -inf, Max: inf}, filter, nil)
	if dw == nil {
		return nil
	}
	c := &ConvF32OneOut{g: g, dw: dw, act: act}
	if bias != nil {
		c.bias = bias[0]
	}
	return c
}

// ScratchBytes returns the scratch Run needs: one value per output pixel
// and input channel.
func (c *ConvF32OneOut) ScratchBytes() int {
	return 4 * c.g.Batch * c.g.OutH * c.g.OutW * c.g.InC
}

// Run computes the convolution of in into out; scratch must hold
// ScratchBytes/4 values. The depthwise pass and the channel sums run a
// few output rows at a time, so the sums are read back from cache.
func (c *ConvF32OneOut) Run(in, out, scratch []float32) {
	g := &c.g
	ic := g.InC
	rows := g.Batch * g.OutH
	step := max(1, oneOutChunk/(g.OutW*ic))
	for r0 := 0; r0 < rows; r0 += step {
		r1 := min(rows, r0+step)
		c.dw.Rows(in, scratch, r0, r1)
		c.sum(scratch[r0*g.OutW*ic:r1*g.OutW*ic], out[r0*g.OutW:r1*g.OutW])
	}
}

// oneOutChunk is about how many depthwise results (floats) ConvF32OneOut
// produces before summing them: 64 KiB.
const oneOutChunk = 16384

// sum sets out[p] to the clamped sum of sums[p·InC:(p+1)·InC] plus the
// bias: 16 pixels at a time on the vector kernel for 8 channels, the
// rest in Go.
func (c *ConvF32OneOut) sum(sums, out []float32) {
	ic := c.g.InC
	if ic == 8 {
		done := sum8Vec(sums, out, c.bias, c.act)
		sums, out = sums[done*8:], out[done:]
		for p := range out {
			s := sums[p*8 : p*8+8 : p*8+8]
			acc := ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
			out[p] = clampF(acc+c.bias, c.act)
		}
		return
	}
	for p := range out {
		var acc float32
		for _, v := range sums[p*ic : (p+1)*ic] {
			acc += v
		}
		out[p] = clampF(acc+c.bias, c.act)
	}
}
