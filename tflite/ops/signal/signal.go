package signal

import (
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/signal"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// view returns b as a []T without copying (the interpreter aligns every
// buffer for its element type, and the scratch area to 64 bytes).
func view[T any](b []byte) []T {
	var z T
	n := len(b) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// constView returns a constant tensor's values.
func constView[T any](t *op.TensorInfo) []T { return view[T](t.Const) }

// options parses the node's custom options.
func options(n *op.Node) (op.FlexMap, error) {
	m, err := op.ParseFlexMap(n.CustomOptions)
	if err != nil {
		return nil, n.Invalidf("custom options: %v", err)
	}
	return m, nil
}

// intOption reads an integer option that must be present and lie in
// [lo, hi].
func intOption(n *op.Node, m op.FlexMap, key string, lo, hi int) (int, error) {
	if !m.Has(key) {
		return 0, n.Invalidf("custom option %q is missing", key)
	}
	v, ok := m.Int(key, 0)
	if !ok || v < lo || v > hi {
		return 0, n.Errorf("custom option %s = %v, want an integer in [%d, %d]", key, v, lo, hi)
	}
	return v, nil
}

// check verifies a tensor's dtype and rank (rank < 0: any rank ≥ 1).
func check(n *op.Node, t *op.TensorInfo, what string, dt tensor.DType, rank int) error {
	if t.DType != dt {
		return n.Errorf("%s is %s, want %s", what, t.DType, dt)
	}
	if (rank >= 0 && len(t.Shape) != rank) || (rank < 0 && len(t.Shape) < 1) {
		return n.Errorf("%s has shape %v, want rank %d", what, t.Shape, max(rank, 1))
	}
	return nil
}

func prepareWindow(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	shift, err := intOption(n, m, "shift", 0, 31)
	if err != nil {
		return op.Kernel{}, err
	}
	in, w, out := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if err := check(n, in, "input", tensor.Int16, -1); err != nil {
		return op.Kernel{}, err
	}
	if err := check(n, w, "weights", tensor.Int16, 1); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != tensor.Int16 {
		return op.Kernel{}, n.Errorf("output is %s, want int16", out.DType)
	}
	ws := w.Shape[0]
	if ws == 0 || in.Shape.Elements()%ws != 0 {
		return op.Kernel{}, n.Errorf("input of %d values is not a whole number of %d-value windows", in.Shape.Elements(), ws)
	}
	out.Shape = in.Shape.Clone()
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		src, win, dst := view[int16](in[0].Data), view[int16](in[1].Data), view[int16](out[0].Data)
		for i := 0; i < len(src); i += len(win) {
			signal.ApplyWindow(src[i:i+len(win)], win, shift, dst[i:i+len(win)])
		}
		return nil
	}}, nil
}

func prepareFftAutoScale(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 2); err != nil {
		return op.Kernel{}, err
	}
	in, out, scale := n.Inputs[0], n.Outputs[0], n.Outputs[1]
	if err := check(n, in, "input", tensor.Int16, 1); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != tensor.Int16 || scale.DType != tensor.Int32 {
		return op.Kernel{}, n.Errorf("outputs are %s and %s, want int16 and int32", out.DType, scale.DType)
	}
	out.Shape = in.Shape.Clone()
	scale.Shape = tensor.Shape{}
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		s := signal.FftAutoScale(view[int16](in[0].Data), view[int16](out[0].Data))
		view[int32](out[1].Data)[0] = s
		return nil
	}}, nil
}

// fftType maps the T option (a schema TensorType) of SignalRfft and
// SignalIrfft to the dtype they run in.
func fftType(n *op.Node, m op.FlexMap) (tensor.DType, error) {
	tt, err := intOption(n, m, "T", 0, 255)
	if err != nil {
		return 0, err
	}
	switch tt {
	case 7:
		return tensor.Int16, nil
	case 2:
		return tensor.Int32, nil
	case 0:
		return tensor.Float32, nil
	}
	return 0, n.Errorf("FFTs of TensorType %d are not supported (int16, int32, float32)", tt)
}

// fftLength reads and checks fft_length.
func fftLength(n *op.Node, m op.FlexMap) (int, error) {
	fftLen, err := intOption(n, m, "fft_length", 2, 1<<16)
	if err != nil {
		return 0, err
	}
	if !signal.ValidRfftLength(fftLen) {
		return 0, n.Errorf("fft_length %d: want an even length whose half has no prime factor above %d (TFLM's KISS FFT build)", fftLen, signal.MaxRadix)
	}
	return fftLen, nil
}

func prepareRfft(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	dt, err := fftType(n, m)
	if err != nil {
		return op.Kernel{}, err
	}
	fftLen, err := fftLength(n, m)
	if err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := check(n, in, "input", dt, -1); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != dt {
		return op.Kernel{}, n.Errorf("output is %s, want %s", out.DType, dt)
	}
	inLen := in.Shape[len(in.Shape)-1]
	if inLen > fftLen || inLen == 0 {
		return op.Kernel{}, n.Errorf("frames of %d values do not fit fft_length %d", inLen, fftLen)
	}
	outLen := 2 * (fftLen/2 + 1)
	out.Shape = in.Shape.Clone()
	out.Shape[len(out.Shape)-1] = outLen
	frames := in.Shape.Elements() / inLen
	switch dt {
	case tensor.Float32:
		return realFFTKernel(n, "rfft_f32", func() *signal.RealFFT[float32] { return signal.NewRfftF32(fftLen) }, false, fftLen, inLen, outLen, frames)
	case tensor.Int32:
		return realFFTKernel(n, "rfft_q31", func() *signal.RealFFT[int32] { return signal.NewRfftQ31(fftLen) }, false, fftLen, inLen, outLen, frames)
	}
	plan, err := n.Shared("rfft", func() (any, error) { return signal.NewRfftQ15(fftLen), nil })
	if err != nil {
		return op.Kernel{}, err
	}
	p := plan.(*signal.RfftQ15)
	workBytes := 2 * fftLen
	return op.Kernel{
		Scratch: workBytes + 4*p.WorkLen(),
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			// The frame, zero-padded to fft_length, read as complex pairs.
			frame := x.Scratch[:workBytes]
			samples, pairs := view[int16](frame), view[signal.Complex16](frame)
			tmp := view[signal.Complex16](x.Scratch[workBytes : workBytes+4*p.WorkLen()])
			src, dst := view[int16](in[0].Data), view[signal.Complex16](out[0].Data)
			bins := outLen / 2
			for f := range frames {
				copy(samples, src[f*inLen:(f+1)*inLen])
				clear(samples[inLen:])
				p.Apply(pairs, dst[f*bins:(f+1)*bins], tmp)
			}
			return nil
		},
	}, nil
}

// realFFTKernel is the float32 and int32 SignalRfft (inverse false: frames
// of inLen ≤ fftLen values, zero-padded, to outLen values) and SignalIrfft
// (inverse true: spectra of inLen values to fftLen values).
func realFFTKernel[T float32 | int32](n *op.Node, key string, build func() *signal.RealFFT[T], inverse bool, fftLen, inLen, outLen, frames int) (op.Kernel, error) {
	plan, err := n.Shared(key, func() (any, error) { return build(), nil })
	if err != nil {
		return op.Kernel{}, err
	}
	p := plan.(*signal.RealFFT[T])
	const es = 4 // bytes of a float32 or int32
	workBytes := fftLen * es
	return op.Kernel{
		Scratch: workBytes + 2*es*p.WorkLen(),
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			frame := x.Scratch[:workBytes]
			vals, pairs := view[T](frame), view[signal.Cpx[T]](frame)
			tmp := view[signal.Cpx[T]](x.Scratch[workBytes : workBytes+2*es*p.WorkLen()])
			src := view[T](in[0].Data)
			for f := range frames {
				if inverse {
					dst := out[0].Data[f*outLen*es : (f+1)*outLen*es]
					p.Inverse(view[signal.Cpx[T]](in[0].Data[f*inLen*es:(f+1)*inLen*es]), view[signal.Cpx[T]](dst), tmp)
					if v, ok := any(view[T](dst)).([]float32); ok {
						// TFLM's float inverse divides by the FFT length
						// (KISS FFT does not scale).
						for i := range v {
							v[i] /= float32(fftLen)
						}
					}
					continue
				}
				copy(vals, src[f*inLen:(f+1)*inLen])
				clear(vals[inLen:])
				p.Forward(pairs, view[signal.Cpx[T]](out[0].Data[f*outLen*es:(f+1)*outLen*es]), tmp)
			}
			return nil
		},
	}, nil
}

func prepareEnergy(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := check(n, in, "input", tensor.Int16, 1); err != nil {
		return op.Kernel{}, err
	}
	if err := check(n, out, "output", tensor.Uint32, 1); err != nil {
		return op.Kernel{}, err
	}
	bins := in.Shape[0] / 2
	start, err := intOption(n, m, "start_index", 0, bins)
	if err != nil {
		return op.Kernel{}, err
	}
	end, err := intOption(n, m, "end_index", start, min(bins, out.Shape[0]))
	if err != nil {
		return op.Kernel{}, err
	}
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		dst := view[uint32](out[0].Data)
		// The reference leaves the bins outside [start, end) as they
		// were; they are zero here, so that nothing depends on them.
		clear(dst[:start])
		clear(dst[end:])
		signal.SpectrumToEnergy(view[signal.Complex16](in[0].Data), start, end, dst)
		return nil
	}}, nil
}

func prepareFilterBank(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(6, 6, 1); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := check(n, in, "input", tensor.Uint32, 1); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != tensor.Uint64 {
		return op.Kernel{}, n.Errorf("output is %s, want uint64", out.DType)
	}
	channels, err := intOption(n, m, "num_channels", 1, 1<<16)
	if err != nil {
		return op.Kernel{}, err
	}
	names := [...]string{"weights", "unweights", "channel frequency starts", "channel weight starts", "channel widths"}
	var tabs [5][]int16
	for k := range tabs {
		t := n.Inputs[1+k]
		if err := check(n, t, names[k], tensor.Int16, 1); err != nil {
			return op.Kernel{}, err
		}
		if !t.IsConst() {
			return op.Kernel{}, n.Errorf("%s must be constant", names[k])
		}
		tabs[k] = constView[int16](t)
	}
	fb := signal.FilterBank{Weights: tabs[0], Unweights: tabs[1], FreqStarts: tabs[2], WeightStarts: tabs[3], Widths: tabs[4], Channels: channels}
	if len(fb.FreqStarts) < channels+1 || len(fb.WeightStarts) < channels+1 || len(fb.Widths) < channels+1 {
		return op.Kernel{}, n.Invalidf("channel tables have %d, %d and %d entries, %d channels need %d", len(fb.FreqStarts), len(fb.WeightStarts), len(fb.Widths), channels, channels+1)
	}
	for i := 0; i <= channels; i++ {
		fs, ws, w := int(fb.FreqStarts[i]), int(fb.WeightStarts[i]), int(fb.Widths[i])
		if fs < 0 || ws < 0 || w < 0 || fs+w > in.Shape[0] || ws+w > len(fb.Weights) || ws+w > len(fb.Unweights) {
			return op.Kernel{}, n.Invalidf("channel %d reads bins [%d, %d) of %d and weights [%d, %d) of %d", i, fs, fs+w, in.Shape[0], ws, ws+w, min(len(fb.Weights), len(fb.Unweights)))
		}
	}
	out.Shape = tensor.Shape{channels}
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		fb.Accumulate(view[uint32](in[0].Data), view[uint64](out[0].Data))
		return nil
	}}, nil
}

func prepareFilterBankSquareRoot(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, shift, out := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if err := check(n, in, "input", tensor.Uint64, 1); err != nil {
		return op.Kernel{}, err
	}
	if err := check(n, shift, "scale bits", tensor.Int32, 0); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != tensor.Uint32 {
		return op.Kernel{}, n.Errorf("output is %s, want uint32", out.DType)
	}
	out.Shape = in.Shape.Clone()
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		signal.FilterBankSqrt(view[uint64](in[0].Data), view[int32](in[1].Data)[0], view[uint32](out[0].Data))
		return nil
	}}, nil
}

// noiseState is SignalFilterBankSpectralSubtraction's per-Runner noise
// estimate.
type noiseState struct{ noise []uint32 }

func prepareSpectralSubtraction(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 2); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	in, out, noise := n.Inputs[0], n.Outputs[0], n.Outputs[1]
	if err := check(n, in, "input", tensor.Uint32, 1); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != tensor.Uint32 || noise.DType != tensor.Uint32 {
		return op.Kernel{}, n.Errorf("outputs are %s and %s, want uint32", out.DType, noise.DType)
	}
	channels, err := intOption(n, m, "num_channels", 1, 1<<16)
	if err != nil {
		return op.Kernel{}, err
	}
	if channels != in.Shape[0] {
		return op.Kernel{}, n.Errorf("num_channels %d for an input of %d", channels, in.Shape[0])
	}
	var c signal.SpectralSubtraction
	for _, o := range []struct {
		key    string
		dst    *uint32
		lo, hi int
	}{
		{"smoothing", &c.Smoothing, 0, 1<<31 - 1},
		{"one_minus_smoothing", &c.OneMinusSmoothing, 0, 1<<31 - 1},
		{"alternate_smoothing", &c.AlternateSmoothing, 0, 1<<31 - 1},
		{"alternate_one_minus_smoothing", &c.AlternateOneMinusSmoothing, 0, 1<<31 - 1},
		{"min_signal_remaining", &c.MinSignalRemaining, 0, 1<<31 - 1},
		{"smoothing_bits", &c.SmoothingBits, 0, 31},
		{"spectral_subtraction_bits", &c.SpectralSubtractionBits, 0, 63},
	} {
		v, err := intOption(n, m, o.key, o.lo, o.hi)
		if err != nil {
			return op.Kernel{}, err
		}
		*o.dst = uint32(v)
	}
	c.Clamping, _ = m.Bool("clamping", false)
	out.Shape = in.Shape.Clone()
	noise.Shape = in.Shape.Clone()
	return op.Kernel{
		NewState: func() any { return &noiseState{noise: make([]uint32, channels)} },
		Reset:    func(s any) { clear(s.(*noiseState).noise) },
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			s, _ := x.State.(*noiseState)
			if s == nil {
				s = &noiseState{noise: make([]uint32, channels)}
			}
			c.Apply(view[uint32](in[0].Data), view[uint32](out[0].Data), s.noise)
			copy(view[uint32](out[1].Data), s.noise)
			return nil
		},
	}, nil
}

func preparePcan(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(3, 3, 1); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	shift, err := intOption(n, m, "snr_shift", 0, 63)
	if err != nil {
		return op.Kernel{}, err
	}
	in, noise, lut, out := n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Outputs[0]
	if err := check(n, in, "input", tensor.Uint32, 1); err != nil {
		return op.Kernel{}, err
	}
	if err := check(n, noise, "noise estimate", tensor.Uint32, 1); err != nil {
		return op.Kernel{}, err
	}
	if err := check(n, lut, "gain table", tensor.Int16, 1); err != nil {
		return op.Kernel{}, err
	}
	if noise.Shape[0] < in.Shape[0] {
		return op.Kernel{}, n.Errorf("noise estimate of %d channels for %d", noise.Shape[0], in.Shape[0])
	}
	if lut.Shape[0] < signal.PcanLUTLen {
		return op.Kernel{}, n.Errorf("gain table of %d entries, want at least %d", lut.Shape[0], signal.PcanLUTLen)
	}
	if out.DType != tensor.Uint32 {
		return op.Kernel{}, n.Errorf("output is %s, want uint32", out.DType)
	}
	out.Shape = in.Shape.Clone()
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		signal.Pcan(view[uint32](in[0].Data), view[uint32](in[1].Data), view[int16](in[2].Data), int32(shift), view[uint32](out[0].Data))
		return nil
	}}, nil
}

func prepareFilterBankLog(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	corr, err := intOption(n, m, "input_correction_bits", 0, 31)
	if err != nil {
		return op.Kernel{}, err
	}
	scale, err := intOption(n, m, "output_scale", -1<<31, 1<<31-1)
	if err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := check(n, in, "input", tensor.Uint32, 1); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != tensor.Int16 {
		return op.Kernel{}, n.Errorf("output is %s, want int16", out.DType)
	}
	out.Shape = in.Shape.Clone()
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		signal.FilterBankLog(view[uint32](in[0].Data), int32(scale), int32(corr), view[int16](out[0].Data))
		return nil
	}}, nil
}
