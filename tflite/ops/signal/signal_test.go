package signal_test

import (
	"errors"

	"encoding/binary"
	"github.com/edgeinfer/edgeinfer/tflite"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/internal/goldencase"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// raw packs values (int16, int32, uint32, uint64 slices) little-endian.
func raw(values any) (tensor.DType, []byte) {
	switch v := values.(type) {
	case []uint32:
		b := make([]byte, 0, 4*len(v))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, x)
		}
		return tensor.Uint32, b
	case []uint64:
		b := make([]byte, 0, 8*len(v))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, x)
		}
		return tensor.Uint64, b
	}
	dt, b, err := tflitebuild.Encode(values)
	if err != nil {
		panic(err)
	}
	return dt, b
}

func input(shape []int, values any) *tensor.Tensor {
	dt, b := raw(values)
	return &tensor.Tensor{DType: dt, Shape: shape, Data: b}
}

// model is a one-operator model: ins are (shape, values) with nil values
// for model inputs; outs are (dtype, shape).
type arg struct {
	shape  []int
	values any          // constant data, or nil for a model input
	dt     tensor.DType // for model inputs and outputs
}

func oneOp(t *testing.T, code string, opts map[string]any, ins, outs []arg) []byte {
	t.Helper()
	b := tflitebuild.New()
	var inIdx, modelIn, outIdx []int
	for i, a := range ins {
		if a.values != nil {
			dt, data := raw(a.values)
			inIdx = append(inIdx, b.Tensor("c", dt, a.shape, nil, data))
			continue
		}
		ti := b.Tensor("in", a.dt, a.shape, nil, nil)
		inIdx = append(inIdx, ti)
		modelIn = append(modelIn, ti)
		_ = i
	}
	for _, a := range outs {
		outIdx = append(outIdx, b.Tensor("out", a.dt, a.shape, nil, nil))
	}
	fb, err := tflitebuild.FlexMap(opts)
	if err != nil {
		t.Fatal(err)
	}
	b.CustomOp(code, inIdx, outIdx, fb)
	b.Inputs(modelIn...)
	b.Outputs(outIdx...)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func randInt16(r *rand.Rand, n int, lo, hi int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(lo + r.IntN(hi-lo+1))
	}
	return out
}

func randUint32(r *rand.Rand, n int, bits uint) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = r.Uint32() >> (32 - bits)
	}
	return out
}

// TestGolden compares each signal operator with TensorFlow Lite Micro's
// kernels (tflm_run) on tiny models: testdata/README.
func TestGolden(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 2026))
	var cases []goldencase.Case
	add := func(name string, model []byte, inputs ...*tensor.Tensor) {
		cases = append(cases, goldencase.Case{Name: name, Model: model, Inputs: inputs})
	}
	i16 := func(shape ...int) arg { return arg{shape: shape, dt: tensor.Int16} }
	u32 := func(shape ...int) arg { return arg{shape: shape, dt: tensor.Uint32} }

	// SignalWindow: saturating products, two windows per input.
	win := randInt16(r, 6, -32768, 32767)
	add("window", oneOp(t, "SignalWindow", map[string]any{"shift": 12}, []arg{i16(2, 6), {shape: []int{6}, values: win}}, []arg{i16(2, 6)}),
		input([]int{2, 6}, randInt16(r, 12, -32768, 32767)))

	// SignalFftAutoScale: small values shift up; -32768 makes the
	// reference's MaxAbs16 wrap; all zeros.
	fas := oneOp(t, "SignalFftAutoScale", nil, []arg{i16(16)}, []arg{i16(16), {dt: tensor.Int32}})
	add("fft_auto_scale", fas, input([]int{16}, randInt16(r, 16, -300, 300)))
	wrap := randInt16(r, 16, -3000, 3000)
	wrap[5] = -32768
	add("fft_auto_scale_min", fas, input([]int{16}, wrap))
	add("fft_auto_scale_zero", fas, input([]int{16}, make([]int16, 16)))

	// SignalRfft over the radices KISS FFT uses (512: 4s; 24: 4·3; 40:
	// 4·5; 16: 4·2; 10: 5; 6: 3), frames shorter than fft_length padded.
	for _, c := range []struct {
		name        string
		fft, frames int
		frame, ampl int
	}{
		{"rfft_512", 512, 1, 480, 32767},
		{"rfft_24", 24, 2, 20, 20000},
		{"rfft_40", 40, 2, 40, 32767},
		{"rfft_16", 16, 3, 16, 1000},
		{"rfft_10", 10, 1, 9, 32767},
		{"rfft_6", 6, 2, 6, 32767},
	} {
		m := oneOp(t, "SignalRfft", map[string]any{"T": 7, "fft_length": c.fft}, []arg{i16(c.frames, c.frame)}, []arg{i16(c.frames, 2*(c.fft/2+1))})
		add(c.name, m, input([]int{c.frames, c.frame}, randInt16(r, c.frames*c.frame, -c.ampl, c.ampl)))
	}

	// SignalEnergy over every bin, and over a sub-range.
	spec := randInt16(r, 2*9, -32768, 32767)
	spec[0], spec[1] = -32768, -32768 // the reference's int32 sum wraps
	add("energy", oneOp(t, "SignalEnergy", map[string]any{"start_index": 0, "end_index": 9}, []arg{i16(18)}, []arg{u32(9)}), input([]int{18}, spec))

	// SignalFilterBank: 3 channels over 12 bins (channel 0 is scratch).
	fb := oneOp(t, "SignalFilterBank", map[string]any{"num_channels": 3}, []arg{
		u32(12),
		{shape: []int{10}, values: randInt16(r, 10, 0, 4096)},
		{shape: []int{10}, values: randInt16(r, 10, 0, 4096)},
		{shape: []int{4}, values: []int16{0, 2, 5, 8}},
		{shape: []int{4}, values: []int16{0, 2, 5, 7}},
		{shape: []int{4}, values: []int16{2, 3, 2, 3}},
	}, []arg{{shape: []int{3}, dt: tensor.Uint64}})
	add("filter_bank", fb, input([]int{12}, randUint32(r, 12, 31)))

	// SignalFilterBankSquareRoot: values below and above 2^32, and the
	// scale shift as a run-time input.
	sq := oneOp(t, "SignalFilterBankSquareRoot", nil, []arg{{shape: []int{6}, dt: tensor.Uint64}, {dt: tensor.Int32}}, []arg{u32(6)})
	add("filter_bank_square_root", sq, input([]int{6}, []uint64{0, 1, 2, 1<<32 - 1, 1 << 40, 0xFFFFFFFFFFFF}), input(nil, []int32{3}))

	// SignalFilterBankSpectralSubtraction with alternate smoothing and
	// clamping; outputs the signal and the noise estimate.
	ss := oneOp(t, "SignalFilterBankSpectralSubtraction", map[string]any{
		"num_channels": 6, "smoothing": 655, "one_minus_smoothing": 15729, "alternate_smoothing": 1000,
		"alternate_one_minus_smoothing": 15384, "min_signal_remaining": 819, "smoothing_bits": 10,
		"spectral_subtraction_bits": 14, "clamping": true,
	}, []arg{u32(6)}, []arg{u32(6), u32(6)})
	add("spectral_subtraction", ss, input([]int{6}, randUint32(r, 6, 20)))

	// SignalPCAN: noise estimates across the gain table's intervals.
	pcan := oneOp(t, "SignalPCAN", map[string]any{"snr_shift": 6}, []arg{u32(8), u32(8), {shape: []int{125}, values: randInt16(r, 125, -2000, 32767)}}, []arg{u32(8)})
	add("pcan", pcan, input([]int{8}, randUint32(r, 8, 16)), input([]int{8}, []uint32{0, 1, 2, 3, 100, 5000, 1 << 20, 1<<32 - 1}))

	// SignalFilterBankLog, including 0 and 1 (below the log's domain).
	lg := oneOp(t, "SignalFilterBankLog", map[string]any{"input_correction_bits": 3, "output_scale": 1600}, []arg{u32(8)}, []arg{i16(8)})
	add("filter_bank_log", lg, input([]int{8}, []uint32{0, 1, 2, 3, 1000, 65535, 1 << 24, 1<<29 - 1}))

	// Streaming operators, one invocation from their initial state.
	b1 := arg{dt: tensor.Bool}
	fr := func(prefill bool) []byte {
		return oneOp(t, "SignalFramer", map[string]any{"frame_size": 6, "frame_step": 3, "prefill": prefill}, []arg{i16(2, 12)}, []arg{i16(2, 4, 6), b1})
	}
	add("framer_prefill", fr(true), input([]int{2, 12}, randInt16(r, 24, -32768, 32767)))
	add("framer", fr(false), input([]int{2, 12}, randInt16(r, 24, -32768, 32767)))
	add("delay", oneOp(t, "SignalDelay", map[string]any{"delay_length": 3}, []arg{i16(2, 8)}, []arg{i16(2, 8)}), input([]int{2, 8}, randInt16(r, 16, -32768, 32767)))
	st := func(right int) []byte {
		return oneOp(t, "SignalStacker", map[string]any{"num_channels": 4, "stacker_left_context": 2, "stacker_right_context": right, "stacker_step": 1}, []arg{i16(4)}, []arg{i16(4 * (3 + right)), b1})
	}
	add("stacker", st(0), input([]int{4}, randInt16(r, 4, -32768, 32767)))
	add("stacker_not_ready", st(1), input([]int{4}, randInt16(r, 4, -32768, 32767)))
	add("overlap_add_int16", oneOp(t, "SignalOverlapAdd", map[string]any{"T": 7, "frame_step": 4}, []arg{i16(2, 3, 8)}, []arg{i16(2, 12)}),
		input([]int{2, 3, 8}, randInt16(r, 48, -32768, 32767)))
	fl := make([]float32, 48)
	for i := range fl {
		fl[i] = float32(r.NormFloat64())
	}
	add("overlap_add_float", oneOp(t, "SignalOverlapAdd", map[string]any{"T": 0, "frame_step": 4}, []arg{{shape: []int{2, 3, 8}, dt: tensor.Float32}}, []arg{{shape: []int{2, 12}, dt: tensor.Float32}}),
		input([]int{2, 3, 8}, fl))
	for _, c := range []struct {
		name        string
		fft, frames int
		ampl        int
	}{
		{"irfft_512", 512, 1, 8000},
		{"irfft_24", 24, 2, 32767},
		{"irfft_40", 40, 1, 32767},
		{"irfft_16", 16, 2, 3000},
		{"irfft_10", 10, 1, 32767},
	} {
		w := 2 * (c.fft/2 + 1)
		m := oneOp(t, "SignalIrfft", map[string]any{"T": 7, "fft_length": c.fft}, []arg{i16(c.frames, w)}, []arg{i16(c.frames, c.fft)})
		add(c.name, m, input([]int{c.frames, w}, randInt16(r, c.frames*w, -c.ampl, c.ampl)))
	}

	// SignalRfft and SignalIrfft in float32 and int32 (Q31).
	randF32 := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	randI32 := func(n int) []int32 {
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(r.Uint32())
		}
		return v
	}
	for _, c := range []struct {
		name             string
		fft, frames, len int
	}{
		{"512", 512, 1, 480}, {"24", 24, 2, 20}, {"40", 40, 1, 40}, {"10", 10, 2, 9},
	} {
		w := 2 * (c.fft/2 + 1)
		f32 := arg{shape: []int{c.frames, c.len}, dt: tensor.Float32}
		i32 := arg{shape: []int{c.frames, c.len}, dt: tensor.Int32}
		add("rfft_f32_"+c.name, oneOp(t, "SignalRfft", map[string]any{"T": 0, "fft_length": c.fft}, []arg{f32}, []arg{{shape: []int{c.frames, w}, dt: tensor.Float32}}),
			input([]int{c.frames, c.len}, randF32(c.frames*c.len)))
		add("rfft_q31_"+c.name, oneOp(t, "SignalRfft", map[string]any{"T": 2, "fft_length": c.fft}, []arg{i32}, []arg{{shape: []int{c.frames, w}, dt: tensor.Int32}}),
			input([]int{c.frames, c.len}, randI32(c.frames*c.len)))
		add("irfft_f32_"+c.name, oneOp(t, "SignalIrfft", map[string]any{"T": 0, "fft_length": c.fft}, []arg{{shape: []int{c.frames, w}, dt: tensor.Float32}}, []arg{{shape: []int{c.frames, c.fft}, dt: tensor.Float32}}),
			input([]int{c.frames, w}, randF32(c.frames*w)))
		add("irfft_q31_"+c.name, oneOp(t, "SignalIrfft", map[string]any{"T": 2, "fft_length": c.fft}, []arg{{shape: []int{c.frames, w}, dt: tensor.Int32}}, []arg{{shape: []int{c.frames, c.fft}, dt: tensor.Int32}}),
			input([]int{c.frames, w}, randI32(c.frames*w)))
	}

	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { goldencase.Check(t, c) })
	}
}

// TestPrepareErrors: what the reference kernels take on trust is checked
// at load.
func TestPrepareErrors(t *testing.T) {
	u32 := func(shape ...int) arg { return arg{shape: shape, dt: tensor.Uint32} }
	i16 := func(shape ...int) arg { return arg{shape: shape, dt: tensor.Int16} }
	tables := func(starts []int16) []arg {
		return []arg{
			u32(12),
			{shape: []int{10}, values: make([]int16, 10)},
			{shape: []int{10}, values: make([]int16, 10)},
			{shape: []int{4}, values: starts},
			{shape: []int{4}, values: []int16{0, 2, 5, 7}},
			{shape: []int{4}, values: []int16{2, 3, 2, 3}},
		}
	}
	u64 := arg{shape: []int{3}, dt: tensor.Uint64}
	tests := []struct {
		name  string
		model func(t *testing.T) []byte
		want  error
	}{
		{"window shift", func(t *testing.T) []byte {
			return oneOp(t, "SignalWindow", map[string]any{"shift": 40}, []arg{i16(6), {shape: []int{6}, values: make([]int16, 6)}}, []arg{i16(6)})
		}, tflite.ErrUnsupported},
		{"window not a multiple", func(t *testing.T) []byte {
			return oneOp(t, "SignalWindow", map[string]any{"shift": 1}, []arg{i16(7), {shape: []int{6}, values: make([]int16, 6)}}, []arg{i16(7)})
		}, tflite.ErrUnsupported},
		{"window no options", func(t *testing.T) []byte {
			return oneOp(t, "SignalWindow", map[string]any{}, []arg{i16(6), {shape: []int{6}, values: make([]int16, 6)}}, []arg{i16(6)})
		}, tflite.ErrInvalidModel},
		{"rfft odd length", func(t *testing.T) []byte {
			return oneOp(t, "SignalRfft", map[string]any{"T": 7, "fft_length": 15}, []arg{i16(15)}, []arg{i16(16)})
		}, tflite.ErrUnsupported},
		{"rfft radix 7", func(t *testing.T) []byte {
			return oneOp(t, "SignalRfft", map[string]any{"T": 7, "fft_length": 14}, []arg{i16(14)}, []arg{i16(16)})
		}, tflite.ErrUnsupported},
		{"rfft frame too long", func(t *testing.T) []byte {
			return oneOp(t, "SignalRfft", map[string]any{"T": 7, "fft_length": 16}, []arg{i16(20)}, []arg{i16(18)})
		}, tflite.ErrUnsupported},
		{"rfft int8", func(t *testing.T) []byte {
			return oneOp(t, "SignalRfft", map[string]any{"T": 9, "fft_length": 16}, []arg{{shape: []int{16}, dt: tensor.Int8}}, []arg{{shape: []int{18}, dt: tensor.Int8}})
		}, tflite.ErrUnsupported},
		{"irfft wrong spectrum length", func(t *testing.T) []byte {
			return oneOp(t, "SignalIrfft", map[string]any{"T": 0, "fft_length": 16}, []arg{{shape: []int{16}, dt: tensor.Float32}}, []arg{{shape: []int{16}, dt: tensor.Float32}})
		}, tflite.ErrUnsupported},
		{"energy end past the spectrum", func(t *testing.T) []byte {
			return oneOp(t, "SignalEnergy", map[string]any{"start_index": 0, "end_index": 10}, []arg{i16(18)}, []arg{u32(9)})
		}, tflite.ErrUnsupported},
		{"filter bank reads past the input", func(t *testing.T) []byte {
			return oneOp(t, "SignalFilterBank", map[string]any{"num_channels": 3}, tables([]int16{0, 2, 5, 11}), []arg{u64})
		}, tflite.ErrInvalidModel},
		{"filter bank negative start", func(t *testing.T) []byte {
			return oneOp(t, "SignalFilterBank", map[string]any{"num_channels": 3}, tables([]int16{0, -2, 5, 8}), []arg{u64})
		}, tflite.ErrInvalidModel},
		{"filter bank too many channels", func(t *testing.T) []byte {
			return oneOp(t, "SignalFilterBank", map[string]any{"num_channels": 4}, tables([]int16{0, 2, 5, 8}), []arg{{shape: []int{4}, dt: tensor.Uint64}})
		}, tflite.ErrInvalidModel},
		{"filter bank tables not constant", func(t *testing.T) []byte {
			a := tables([]int16{0, 2, 5, 8})
			a[3] = i16(4)
			return oneOp(t, "SignalFilterBank", map[string]any{"num_channels": 3}, a, []arg{u64})
		}, tflite.ErrUnsupported},
		{"pcan short table", func(t *testing.T) []byte {
			return oneOp(t, "SignalPCAN", map[string]any{"snr_shift": 6}, []arg{u32(8), u32(8), {shape: []int{100}, values: make([]int16, 100)}}, []arg{u32(8)})
		}, tflite.ErrUnsupported},
		{"spectral subtraction channels", func(t *testing.T) []byte {
			return oneOp(t, "SignalFilterBankSpectralSubtraction", map[string]any{
				"num_channels": 5, "smoothing": 1, "one_minus_smoothing": 1, "alternate_smoothing": 1,
				"alternate_one_minus_smoothing": 1, "min_signal_remaining": 1, "smoothing_bits": 1, "spectral_subtraction_bits": 1,
			}, []arg{u32(6)}, []arg{u32(6), u32(6)})
		}, tflite.ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tflite.Load(tc.model(t))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Malformed custom options are an error, not a panic.
	b := tflitebuild.New()
	in := b.Tensor("in", tensor.Int16, []int{6}, nil, nil)
	out := b.Tensor("out", tensor.Int16, []int{6}, nil, nil)
	w := b.Const("w", []int{6}, nil, make([]int16, 6))
	b.CustomOp("SignalWindow", []int{in, w}, []int{out}, []byte{1, 2, 3, 4, 0x24, 1})
	b.Inputs(in)
	b.Outputs(out)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tflite.Load(data); !errors.Is(err, tflite.ErrInvalidModel) {
		t.Fatalf("garbage options: err = %v", err)
	}
}
