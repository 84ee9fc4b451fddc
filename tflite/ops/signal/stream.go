package signal

import (
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/signal"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// maxStreamState bounds the samples a streaming operator buffers per
// Runner.
const maxStreamState = 1 << 24

// fifos is the per-Runner state of the operators that buffer streams.
type fifos struct{ rows []signal.FifoState }

func newFifos(rows, capacity int) *fifos {
	s := &fifos{rows: make([]signal.FifoState, rows)}
	for i := range s.rows {
		s.rows[i].Buf = make([]int16, capacity)
	}
	return s
}

func setBool(t *tensor.Tensor, v bool) {
	if v {
		t.Data[0] = 1
	} else {
		t.Data[0] = 0
	}
}

func prepareFramer(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 2); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	size, err := intOption(n, m, "frame_size", 1, 1<<20)
	if err != nil {
		return op.Kernel{}, err
	}
	step, err := intOption(n, m, "frame_step", 1, 1<<20)
	if err != nil {
		return op.Kernel{}, err
	}
	prefill, _ := m.Bool("prefill", false)
	in, out, valid := n.Inputs[0], n.Outputs[0], n.Outputs[1]
	if err := check(n, in, "input", tensor.Int16, -1); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != tensor.Int16 || valid.DType != tensor.Bool {
		return op.Kernel{}, n.Errorf("outputs are %s and %s, want int16 and bool", out.DType, valid.DType)
	}
	if prefill && step > size {
		return op.Kernel{}, n.Errorf("prefill with frame_step %d above frame_size %d", step, size)
	}
	inner := in.Shape[len(in.Shape)-1]
	if inner < step || inner%step != 0 {
		return op.Kernel{}, n.Errorf("input rows of %d samples are not a whole number of %d-sample steps", inner, step)
	}
	rows, frames := in.Shape.Elements()/inner, inner/step
	f := signal.Framer{FrameSize: size, FrameStep: step, Prefill: prefill}
	if rows*f.Capacity() > maxStreamState {
		return op.Kernel{}, n.Errorf("buffers %d×%d samples (limit %d)", rows, f.Capacity(), maxStreamState)
	}
	out.Shape = append(in.Shape[:len(in.Shape)-1:len(in.Shape)-1], frames, size)
	valid.Shape = tensor.Shape{}
	newState := func() any {
		s := newFifos(rows, f.Capacity())
		for i := range s.rows {
			f.Reset(&s.rows[i])
		}
		return s
	}
	return op.Kernel{
		NewState: newState,
		Reset: func(st any) {
			for i := range st.(*fifos).rows {
				f.Reset(&st.(*fifos).rows[i])
			}
		},
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			s, _ := x.State.(*fifos)
			if s == nil {
				s = newState().(*fifos)
			}
			src, dst := view[int16](in[0].Data), view[int16](out[0].Data)
			ok := true
			for r := range rows {
				ok = f.Apply(&s.rows[r], src[r*inner:(r+1)*inner], dst[r*frames*size:(r+1)*frames*size]) && ok
			}
			setBool(out[1], ok)
			return nil
		},
	}, nil
}

func prepareDelay(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	delay, err := intOption(n, m, "delay_length", 0, 1<<20)
	if err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := check(n, in, "input", tensor.Int16, -1); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != tensor.Int16 {
		return op.Kernel{}, n.Errorf("output is %s, want int16", out.DType)
	}
	inner := in.Shape[len(in.Shape)-1]
	rows := in.Shape.Elements() / max(inner, 1)
	if rows*(inner+delay) > maxStreamState {
		return op.Kernel{}, n.Errorf("buffers %d×%d samples (limit %d)", rows, inner+delay, maxStreamState)
	}
	out.Shape = in.Shape.Clone()
	newState := func() any {
		s := newFifos(rows, inner+delay)
		for i := range s.rows {
			s.rows[i].Reset(delay)
		}
		return s
	}
	return op.Kernel{
		NewState: newState,
		Reset: func(st any) {
			for i := range st.(*fifos).rows {
				st.(*fifos).rows[i].Reset(delay)
			}
		},
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			s, _ := x.State.(*fifos)
			if s == nil {
				s = newState().(*fifos)
			}
			src, dst := view[int16](in[0].Data), view[int16](out[0].Data)
			for r := range rows {
				signal.Delay(&s.rows[r], src[r*inner:(r+1)*inner], dst[r*inner:(r+1)*inner])
			}
			return nil
		},
	}, nil
}

func prepareStacker(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 2); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	var c signal.Stacker
	for _, o := range []struct {
		key    string
		dst    *int
		lo, hi int
	}{
		{"num_channels", &c.Channels, 1, 1 << 16},
		{"stacker_left_context", &c.Left, 0, 1 << 10},
		{"stacker_right_context", &c.Right, 0, 1 << 10},
		{"stacker_step", &c.Step, 1, 1 << 10},
	} {
		if *o.dst, err = intOption(n, m, o.key, o.lo, o.hi); err != nil {
			return op.Kernel{}, err
		}
	}
	if c.Step > c.Left+c.Right+1 {
		return op.Kernel{}, n.Errorf("stacker_step %d is more than the %d frames a stack holds", c.Step, c.Left+c.Right+1)
	}
	in, out, valid := n.Inputs[0], n.Outputs[0], n.Outputs[1]
	if err := check(n, in, "input", tensor.Int16, 1); err != nil {
		return op.Kernel{}, err
	}
	if in.Shape[0] != c.Channels {
		return op.Kernel{}, n.Errorf("input of %d values for %d channels", in.Shape[0], c.Channels)
	}
	if out.DType != tensor.Int16 || valid.DType != tensor.Bool {
		return op.Kernel{}, n.Errorf("outputs are %s and %s, want int16 and bool", out.DType, valid.DType)
	}
	out.Shape = tensor.Shape{c.Size()}
	valid.Shape = tensor.Shape{}
	newState := func() any {
		return &signal.StackerState{FifoState: signal.FifoState{Buf: make([]int16, c.Size())}}
	}
	return op.Kernel{
		NewState: newState,
		Reset: func(st any) {
			s := st.(*signal.StackerState)
			s.Reset(0)
			s.HasFirst = false
		},
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			s, _ := x.State.(*signal.StackerState)
			if s == nil {
				s = newState().(*signal.StackerState)
			}
			setBool(out[1], c.Apply(s, view[int16](in[0].Data), view[int16](out[0].Data)))
			return nil
		},
	}, nil
}

// overlapState is SignalOverlapAdd's per-Runner buffers (one of the two).
type overlapState struct {
	i16 []int16
	f32 []float32
}

func prepareOverlapAdd(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	m, err := options(n)
	if err != nil {
		return op.Kernel{}, err
	}
	tt, err := intOption(n, m, "T", 0, 255)
	if err != nil {
		return op.Kernel{}, err
	}
	step, err := intOption(n, m, "frame_step", 1, 1<<20)
	if err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	var dt tensor.DType
	switch tt {
	case 7:
		dt = tensor.Int16
	case 0:
		dt = tensor.Float32
	default:
		return op.Kernel{}, n.Errorf("TensorType %d is not supported (int16, float32)", tt)
	}
	if in.DType != dt || out.DType != dt || len(in.Shape) < 2 {
		return op.Kernel{}, n.Errorf("%s%v in and %s out, want %s frames", in.DType, in.Shape, out.DType, dt)
	}
	r := len(in.Shape)
	size, frames := in.Shape[r-1], in.Shape[r-2]
	if step > size {
		return op.Kernel{}, n.Errorf("frame_step %d above the frame size %d", step, size)
	}
	rows := in.Shape.Elements() / max(size*frames, 1)
	if rows*size > maxStreamState {
		return op.Kernel{}, n.Errorf("buffers %d×%d values (limit %d)", rows, size, maxStreamState)
	}
	out.Shape = append(in.Shape[:r-2:r-2], frames*step)
	newState := func() any {
		if dt == tensor.Int16 {
			return &overlapState{i16: make([]int16, rows*size)}
		}
		return &overlapState{f32: make([]float32, rows*size)}
	}
	return op.Kernel{
		NewState: newState,
		Reset: func(st any) {
			s := st.(*overlapState)
			clear(s.i16)
			clear(s.f32)
		},
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			s, _ := x.State.(*overlapState)
			if s == nil {
				s = newState().(*overlapState)
			}
			for r := range rows {
				if dt == tensor.Int16 {
					src, dst := view[int16](in[0].Data), view[int16](out[0].Data)
					signal.OverlapAddInt16(s.i16[r*size:(r+1)*size], src[r*frames*size:(r+1)*frames*size], dst[r*frames*step:(r+1)*frames*step], step)
				} else {
					src, dst := view[float32](in[0].Data), view[float32](out[0].Data)
					signal.OverlapAddFloat32(s.f32[r*size:(r+1)*size], src[r*frames*size:(r+1)*frames*size], dst[r*frames*step:(r+1)*frames*step], step)
				}
			}
			return nil
		},
	}, nil
}

func prepareIrfft(n *op.Node) (op.Kernel, error) {
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
	if inLen != 2*(fftLen/2+1) {
		return op.Kernel{}, n.Errorf("spectra of %d values for fft_length %d, want %d", inLen, fftLen, 2*(fftLen/2+1))
	}
	frames := in.Shape.Elements() / inLen
	out.Shape = in.Shape.Clone()
	out.Shape[len(out.Shape)-1] = fftLen
	switch dt {
	case tensor.Float32:
		return realFFTKernel(n, "irfft_f32", func() *signal.RealFFT[float32] { return signal.NewIrfftF32(fftLen) }, true, fftLen, inLen, fftLen, frames)
	case tensor.Int32:
		return realFFTKernel(n, "irfft_q31", func() *signal.RealFFT[int32] { return signal.NewIrfftQ31(fftLen) }, true, fftLen, inLen, fftLen, frames)
	}
	plan, err := n.Shared("irfft", func() (any, error) { return signal.NewIrfftQ15(fftLen), nil })
	if err != nil {
		return op.Kernel{}, err
	}
	p := plan.(*signal.IrfftQ15)
	bins, pairs := inLen/2, fftLen/2
	return op.Kernel{
		Scratch: 4 * p.WorkLen(),
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			tmp := view[signal.Complex16](x.Scratch[:4*p.WorkLen()])
			src, dst := view[signal.Complex16](in[0].Data), view[signal.Complex16](out[0].Data)
			for f := range frames {
				p.Apply(src[f*bins:(f+1)*bins], dst[f*pairs:(f+1)*pairs], tmp)
			}
			return nil
		},
	}, nil
}
