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
// ScratchBytes/4 values.
func (c *ConvF32OneOut) Run(in, out, scratch []float32) {
	g := &c.g
	ic := g.InC
	m := g.Batch * g.OutH * g.OutW
	sums := scratch[:m*ic]
	c.dw.Rows(in, sums, 0, g.Batch*g.OutH)
	out = out[:m]
	if ic == 8 {
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
