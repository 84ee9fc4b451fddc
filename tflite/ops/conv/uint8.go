package conv

import (
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// uint8Offset is the int8 form of a uint8 convolution's constant filter
// (kconv.OffsetUint8Filter): built once per model.
type uint8Offset struct {
	w        []int8           // v = w − zw, zero in the outlier channels
	packed   *gemm.PackedInt8 // CONV_2D: w packed for the GEMM
	outliers []int            // channels the reference kernel computes
	// pointwise computes the outliers of a 1×1 stride-1 unpadded
	// CONV_2D on the vector dot products (nil elsewhere).
	pointwise *kconv.PointwiseOutliers
}

// SizeBytes counts the derived weights (tflite.Sizer).
func (u *uint8Offset) SizeBytes() int64 {
	n := int64(len(u.w)) + 8*int64(len(u.outliers))
	if u.packed != nil {
		n += int64(u.packed.O) * int64(u.packed.KP)
	}
	return n
}

// offsetUint8 builds (once per model) the int8 form of the uint8 filter f.
func offsetUint8(n *op.Node, f *op.TensorInfo, depthwise bool, channels, taps int, pointwise bool) (*uint8Offset, error) {
	key := fmt.Sprintf("conv/uint8-offset/t%d/dw%v/pw%v", f.Index, depthwise, pointwise)
	v, err := n.Shared(key, func() (any, error) {
		_, zw, _ := f.Scale()
		var u uint8Offset
		if depthwise {
			u.w, u.outliers = kconv.OffsetUint8Filter(f.ConstTensor().Uint8s(), zw, channels, taps, 1, channels)
		} else {
			u.w, u.outliers = kconv.OffsetUint8Filter(f.ConstTensor().Uint8s(), zw, channels, taps, taps, 1)
			u.packed = gemm.PackInt8(u.w, channels, taps)
			if pointwise && len(u.outliers) > 0 {
				u.pointwise = kconv.NewPointwiseOutliers(f.ConstTensor().Uint8s(), zw, taps, u.outliers)
			}
		}
		return &u, nil
	})
	if err != nil {
		return nil, err
	}
	u, ok := v.(*uint8Offset)
	if !ok {
		return nil, n.Invalidf("shared weights %q have type %T", key, v)
	}
	return u, nil
}

// flips are a uint8 convolution's planner-set sign flips
// (op.Conv2DOptions.FlippedInput): input 0 arrives as x ^ 0x80, the
// output must be left as y ^ 0x80.
type flips struct{ in, out bool }

// flippedViews checks a uint8 convolution's planner-retyped activations
// (an int8 tensor with zero point z − 128 holding x ^ 0x80 where the
// flips say so) and returns the uint8 views the uint8 kernels are
// prepared from: the same tensors with their uint8 type and zero point.
// Without flips it returns in and out unchanged; flips need a uint8
// filter f.
func flippedViews(n *op.Node, in, out, f *op.TensorInfo, fl flips) (*op.TensorInfo, *op.TensorInfo, error) {
	if !fl.in && !fl.out {
		return in, out, nil
	}
	if f.DType != tensor.Uint8 {
		return nil, nil, n.Errorf("sign flips on a %s filter", f.DType)
	}
	view := func(t *op.TensorInfo, what string) (*op.TensorInfo, error) {
		if t.DType != tensor.Int8 || t.Quant == nil || len(t.Quant.Scale) != 1 || len(t.Quant.ZeroPoint) != 1 {
			return nil, n.Errorf("%s marked sign-flipped is %s, want the planner's per-tensor int8", what, t.DType)
		}
		c, q := *t, *t.Quant
		q.ZeroPoint = []int64{q.ZeroPoint[0] + 128}
		c.Quant, c.DType = &q, tensor.Uint8
		return &c, nil
	}
	var err error
	if fl.in {
		if in, err = view(in, "input"); err != nil {
			return nil, nil, err
		}
	}
	if fl.out {
		if out, err = view(out, "output"); err != nil {
			return nil, nil, err
		}
	}
	return in, out, nil
}

// wrap makes a kernel on plain uint8 bytes honour the flips: the input is
// flipped back in place before it and flipped again after it (other
// operators may read it later; no output shares its bytes), the output
// flipped after it.
func (fl flips) wrap(k op.Kernel) op.Kernel {
	if !fl.in && !fl.out {
		return k
	}
	inner := k.Eval
	k.Eval = func(x *op.Exec, ins, outs []*tensor.Tensor) error {
		if fl.in {
			kconv.FlipSignInPlace(ins[0].Data)
			defer kconv.FlipSignInPlace(ins[0].Data)
		}
		if err := inner(x, ins, outs); err != nil {
			return err
		}
		if fl.out {
			kconv.FlipSignInPlace(outs[0].Data)
		}
		return nil
	}
	return k
}

// xor returns the byte masks the reference kernel applies to the input it
// reads and the output it writes.
func (fl flips) xor() (in, out uint8) {
	if fl.in {
		in = 0x80
	}
	if fl.out {
		out = 0x80
	}
	return in, out
}

// uint8Fast wraps an int8 kernel that reads the flipped input (from the
// first inBytes of scratch, or from the input itself when it arrives
// flipped) and writes the flipped output into the uint8 output: before
// it, the input is flipped into scratch unless it arrives flipped; after
// it, the output is flipped back unless it stays flipped, and the outlier
// channels are recomputed by ref.
func uint8Fast(inner op.Kernel, inBytes int, fl flips, ref func(x8 []int8, ins, outs []*tensor.Tensor)) op.Kernel {
	return op.Kernel{
		Scratch:  inner.Scratch,
		NewState: inner.NewState,
		Eval: func(x *op.Exec, ins, outs []*tensor.Tensor) error {
			if !fl.in {
				kconv.FlipSign(scratchInt8(x.Scratch, inBytes), ins[0].Uint8s())
			}
			if err := inner.Eval(x, ins, outs); err != nil {
				return err
			}
			if !fl.out {
				kconv.FlipSignInPlace(outs[0].Data)
			}
			if ref != nil {
				// The flipped input is in scratch only when it did not
				// arrive flipped; scratch then has no room for it.
				var x8 []int8
				if fl.in {
					x8 = scratchInt8(ins[0].Data, inBytes)
				} else {
					x8 = scratchInt8(x.Scratch, inBytes)
				}
				ref(x8, ins, outs)
			}
			return nil
		},
	}
}

// flippedInput returns the int8 input the kernel reads: the input itself
// when it arrives flipped, else the flipped copy at the head of scratch.
func flippedInput(t *rangeTask, fl flips, inBytes int) []int8 {
	if fl.in {
		return scratchInt8(t.ins[0].Data, inBytes)
	}
	return scratchInt8(t.scratch, inBytes)
}

// scratchHead is the scratch bytes the flipped input of inBytes takes
// (64-byte aligned, so what follows stays aligned), none when the input
// arrives flipped.
func scratchHead(inBytes int, fl flips) int {
	if fl.in {
		return 0
	}
	return (inBytes + 63) &^ 63
}

// prepareConvUint8Fast returns the uint8 CONV_2D on the int8 kernels
// (bit-exact with ConvRef), or ok=false where it does not apply.
func prepareConvUint8Fast(n *op.Node, g *kconv.Geom, q *kconv.Requant, in, f, bias *op.TensorInfo, fl flips) (op.Kernel, bool, error) {
	if !f.IsConst() || (bias != nil && !bias.IsConst()) || g.FilterInC != g.InC {
		return op.Kernel{}, false, nil
	}
	var b []int32
	if bias != nil {
		b = bias.ConstTensor().Int32s()
	}
	// The 3×3 stride-2 RGB stem reads and writes bytes in whichever
	// domain they arrive and leave in: no flips around it.
	if st := kconv.NewStem(*g, f.ConstTensor().Uint8s(), -q.FilterOffset, q, b, fl.in, fl.out); st != nil {
		rows, per := g.Batch*g.OutH, st.ScratchBytes()
		return rangeKernel(kconv.MaxSlots*per, func(x *op.Exec, _, _ []*tensor.Tensor) int {
			return max(1, min(x.Threads(), kconv.MaxSlots, rows))
		}, func(t *rangeTask, lo, hi int) {
			for s := lo; s < hi; s++ {
				st.Rows(t.ins[0].Data, t.outs[0].Data, t.scratch[s*per:(s+1)*per], s*rows/t.parts, (s+1)*rows/t.parts)
			}
		}), true, nil
	}
	k := g.KH * g.KW * g.InC
	pointwise := g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 &&
		g.OutH == g.InH && g.OutW == g.InW
	u, err := offsetUint8(n, f, false, g.OutC, k, pointwise)
	if err != nil {
		return op.Kernel{}, false, err
	}
	inBytes := in.Shape.Elements()
	head := scratchHead(inBytes, fl)
	if len(u.outliers) > 0 || pointwise {
		// The uint8 weights as they are (the unsigned operand of the dot
		// products, no offset of the activations in the GEMM's loop), the
		// filter zero point a term per output pixel: for weights outside
		// int8, and for 1×1 layers, where the term costs less than the
		// offset of the int8 path.
		cr, err := kconv.NewConvRows(*g, f.ConstTensor().Uint8s(), -q.FilterOffset, kconv.Uint8AsInt8(q), b)
		if err == nil && cr != nil {
			inner := rangeKernel(head+cr.ScratchBytes(), func(x *op.Exec, _, _ []*tensor.Tensor) int { return cr.Parts(x.Threads()) },
				func(t *rangeTask, lo, hi int) {
					cr.RunParts(flippedInput(t, fl, inBytes), scratchInt8(t.outs[0].Data, len(t.outs[0].Data)),
						scratchInt8(t.scratch[head:], cr.ScratchBytes()), t.parts, lo, hi)
				})
			return uint8Fast(inner, inBytes, fl, nil), true, nil
		}
		// Else weights outside int8 split over appended window columns:
		// one GEMM, no separate pass over the outlier channels.
		ps, err := kconv.NewConvSplit(*g, f.ConstTensor().Uint8s(), -q.FilterOffset, kconv.Uint8AsInt8(q), b)
		if err == nil && ps != nil {
			inner := rangeKernel(head+ps.ScratchBytes(), func(x *op.Exec, ins, _ []*tensor.Tensor) int {
				x8 := scratchInt8(x.Scratch, inBytes) // flipped there by uint8Fast
				if fl.in {
					x8 = scratchInt8(ins[0].Data, inBytes)
				}
				ps.Augment(x8, scratchInt8(x.Scratch[head:], ps.ScratchBytes()))
				return ps.Parts(x.Threads())
			}, func(t *rangeTask, lo, hi int) {
				ps.RunParts(scratchInt8(t.scratch[head:], ps.ScratchBytes()), scratchInt8(t.outs[0].Data, len(t.outs[0].Data)), t.parts, lo, hi)
			})
			return uint8Fast(inner, inBytes, fl, nil), true, nil
		}
	}
	c, err := kconv.NewConvInt8(*g, u.packed, kconv.Uint8AsInt8(q), b)
	if err != nil {
		return op.Kernel{}, false, nil // parameters the int8 kernels cannot apply: reference path
	}
	inner := rangeKernel(head+c.ScratchBytes(), func(x *op.Exec, _, _ []*tensor.Tensor) int { return c.Parts(x.Threads()) },
		func(t *rangeTask, lo, hi int) {
			c.RunParts(flippedInput(t, fl, inBytes), scratchInt8(t.outs[0].Data, len(t.outs[0].Data)),
				scratchInt8(t.scratch[head:], c.ScratchBytes()), t.parts, lo, hi)
		})
	gg := *g
	var ref func(x8 []int8, ins, outs []*tensor.Tensor)
	switch _, xo := fl.xor(); {
	case u.pointwise != nil:
		ref = func(x8 []int8, _, outs []*tensor.Tensor) {
			u.pointwise.Run(q, b, x8, gg.Batch*gg.OutH*gg.OutW, gg.OutC, outs[0].Uint8s(), xo)
		}
	case len(u.outliers) > 0:
		co := kconv.NewConvOutliers(&gg, f.ConstTensor().Uint8s(), -q.FilterOffset, u.outliers)
		ref = func(x8 []int8, _, outs []*tensor.Tensor) { co.Run(q, b, x8, outs[0].Uint8s(), xo) }
	}
	return uint8Fast(inner, inBytes, fl, ref), true, nil
}

// prepareDepthwiseUint8Fast is prepareConvUint8Fast for DEPTHWISE_CONV_2D.
func prepareDepthwiseUint8Fast(n *op.Node, g *kconv.Geom, q *kconv.Requant, in, f, bias *op.TensorInfo, fl flips) (op.Kernel, bool, error) {
	if !f.IsConst() || (bias != nil && !bias.IsConst()) {
		return op.Kernel{}, false, nil
	}
	u, err := offsetUint8(n, f, true, g.OutC, g.KH*g.KW, false)
	if err != nil {
		return op.Kernel{}, false, err
	}
	var b []int32
	if bias != nil {
		b = bias.ConstTensor().Int32s()
	}
	inBytes := in.Shape.Elements()
	head := scratchHead(inBytes, fl)
	qi := kconv.Uint8AsInt8(q)
	fast, padded := func() *kconv.DepthwiseInt8Fast { return kconv.NewDepthwiseInt8Fast(*g, qi, u.w, b) },
		func() *kconv.DepthwiseInt8Padded { return kconv.NewDepthwiseInt8Padded(*g, qi, u.w, b) }
	wide := len(u.outliers) > 0
	if wide {
		// Some channel's w − zw leaves int8: every channel on the 16-bit
		// weight kernels, which take [−255, 255], instead of the 8-bit ones
		// plus a scalar pass over the outlier channels (more costly than
		// the whole layer in MobileNetV2).
		_, zw, _ := f.Scale()
		w16 := make([]int16, len(u.w))
		for i, w := range f.ConstTensor().Uint8s() {
			w16[i] = int16(int32(w) - zw)
		}
		fast = func() *kconv.DepthwiseInt8Fast { return kconv.NewDepthwiseWideFast(*g, qi, w16, b) }
		padded = func() *kconv.DepthwiseInt8Padded { return kconv.NewDepthwiseWidePadded(*g, qi, w16, b) }
	}
	var inner op.Kernel
	if d := fast(); d != nil {
		inner = rowsKernel(head, g.Batch*g.OutH, func(t *rangeTask, lo, hi int) {
			d.Rows(flippedInput(t, fl, inBytes), scratchInt8(t.outs[0].Data, len(t.outs[0].Data)), lo, hi)
		})
	} else if d := padded(); d != nil && d.Direct() {
		// 8 channels whose rows the pair kernels read as they are.
		inner = rowsKernel(head, g.Batch*g.OutH, func(t *rangeTask, lo, hi int) {
			d.RowsDirect(flippedInput(t, fl, inBytes), scratchInt8(t.outs[0].Data, len(t.outs[0].Data)), lo, hi)
		})
	} else if d != nil {
		// Channels not a multiple of 16: the flipped input is padded
		// into scratch (serially, before the rows run).
		rows := g.Batch * g.OutH
		inner = rangeKernel(head+d.ScratchBytes(), func(x *op.Exec, ins, _ []*tensor.Tensor) int {
			var x8 []int8
			if fl.in {
				x8 = scratchInt8(ins[0].Data, inBytes)
			} else {
				x8 = scratchInt8(x.Scratch, inBytes)
			}
			d.Pad(x8, scratchInt8(x.Scratch[head:], d.ScratchBytes()))
			return rows
		}, func(t *rangeTask, lo, hi int) {
			d.Rows(scratchInt8(t.scratch[head:], d.ScratchBytes()), scratchInt8(t.outs[0].Data, len(t.outs[0].Data)), lo, hi)
		})
	} else {
		return op.Kernel{}, false, nil
	}
	gg := *g
	var ref func(x8 []int8, ins, outs []*tensor.Tensor)
	if len(u.outliers) > 0 && !wide {
		_, xo := fl.xor()
		dw := kconv.NewDepthwiseOutliers(&gg, f.ConstTensor().Uint8s(), -q.FilterOffset, u.outliers)
		ref = func(x8 []int8, _, outs []*tensor.Tensor) { dw.Run(q, b, x8, outs[0].Uint8s(), xo) }
	}
	return uint8Fast(inner, inBytes, fl, ref), true, nil
}
