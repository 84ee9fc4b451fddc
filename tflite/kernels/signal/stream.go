package signal

// The streaming operators of TFLM's signal library keep samples between
// invocations in circular buffers; these are the same first-in first-out
// behaviours over plain slices (capacities are checked by the caller).

// Framer cuts a stream into overlapping frames (SignalFramer).
type Framer struct {
	FrameSize, FrameStep int
	Prefill              bool
}

// Capacity is the buffered samples a Framer keeps per stream: the frame
// size rounded up to a multiple of the step.
func (f Framer) Capacity() int {
	return (f.FrameSize + f.FrameStep - 1) / f.FrameStep * f.FrameStep
}

// FifoState is one stream's buffered samples.
type FifoState struct {
	Buf []int16 // capacity samples
	N   int     // samples held
}

// Reset empties the buffer, then writes zeros samples of silence.
func (s *FifoState) Reset(zeros int) {
	clear(s.Buf)
	s.N = zeros
}

func (s *FifoState) push(x []int16) {
	copy(s.Buf[s.N:], x)
	s.N += len(x)
}

func (s *FifoState) discard(n int) {
	copy(s.Buf, s.Buf[n:s.N])
	s.N -= n
}

// Reset prepares s for a new stream (prefilled with frame size − step
// zeros when Prefill is set).
func (f Framer) Reset(s *FifoState) {
	if f.Prefill {
		s.Reset(f.FrameSize - f.FrameStep)
	} else {
		s.Reset(0)
	}
}

// Apply pushes in (a whole number of steps) and writes one frame per step
// to out; it returns false when some frame did not have enough samples yet
// (that frame is zero here; the reference leaves it unwritten).
func (f Framer) Apply(s *FifoState, in, out []int16) bool {
	valid := true
	for k := 0; k*f.FrameStep < len(in); k++ {
		s.push(in[k*f.FrameStep : (k+1)*f.FrameStep])
		dst := out[k*f.FrameSize : (k+1)*f.FrameSize]
		if s.N >= f.FrameSize {
			copy(dst, s.Buf[:f.FrameSize])
			s.discard(f.FrameStep)
		} else {
			clear(dst)
			valid = false
		}
	}
	return valid
}

// Delay delays a stream by a number of samples (SignalDelay): in goes into
// the buffer (which starts with Delay zeros) and as many of its oldest
// samples come out.
func Delay(s *FifoState, in, out []int16) {
	s.push(in)
	copy(out, s.Buf[:len(in)])
	s.discard(len(in))
}

// Stacker stacks frames of Channels values with left and right context
// (SignalStacker).
type Stacker struct {
	Channels, Left, Right, Step int
}

// Size is the values of one stacked output.
func (c Stacker) Size() int { return c.Channels * (c.Left + c.Right + 1) }

// StackerState is a Stacker's buffer.
type StackerState struct {
	FifoState
	HasFirst bool
}

// Apply pushes one frame; it writes a stacked output and returns true once
// enough frames are buffered (the first frame is repeated Left times as
// left context), else zeros out and returns false.
func (c Stacker) Apply(s *StackerState, in, out []int16) bool {
	s.push(in[:c.Channels])
	if !s.HasFirst {
		last := s.N - c.Channels
		for range c.Left {
			s.push(s.Buf[last : last+c.Channels])
		}
		s.HasFirst = true
	}
	if s.N >= c.Size() {
		copy(out, s.Buf[:c.Size()])
		s.discard(c.Channels * c.Step)
		return true
	}
	clear(out)
	return false
}

// OverlapAddInt16 adds frames of len(buf) values into buf, saturating, and
// emits step values per frame (SignalOverlapAdd, int16).
func OverlapAddInt16(buf, in, out []int16, step int) {
	fs := len(buf)
	for f := 0; f*fs < len(in); f++ {
		for i, x := range in[f*fs : (f+1)*fs] {
			buf[i] = int16(min(max(int32(x)+int32(buf[i]), -32768), 32767))
		}
		copy(out[f*step:(f+1)*step], buf[:step])
		copy(buf, buf[step:])
		clear(buf[fs-step:])
	}
}

// OverlapAddFloat32 is OverlapAddInt16 for float32 (no saturation).
func OverlapAddFloat32(buf, in, out []float32, step int) {
	fs := len(buf)
	for f := 0; f*fs < len(in); f++ {
		for i, x := range in[f*fs : (f+1)*fs] {
			buf[i] += x
		}
		copy(out[f*step:(f+1)*step], buf[:step])
		copy(buf, buf[step:])
		clear(buf[fs-step:])
	}
}
