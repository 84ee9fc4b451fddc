package opgolden_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// sequenceCases: UNIDIRECTIONAL_SEQUENCE_LSTM (int8, 16x8, float32; batch
// and time major; with and without cell clip; cell scales on both sides of
// the tanh shift) and SVDF (int8 with int16 and int8 state, float32), all
// against TFLite Micro's reference kernels. State tensors are variables
// with non-zero zero points where the dtype allows, so the reset value
// matters.
func sequenceCases() []goldenCase {
	return []goldenCase{
		{name: "lstm_i8_batch_major", ref: "tflm",
			build: lstmModel(lstmSpec{dt: tensor.Int8, t: 6, b: 2, in: 7, cell: 12,
				qIn: q(0.05, 3), qH: q(1.0/128, -5), cellScale: 1.0 / 2048, seed: 1}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{fullRange(r, tensor.Int8, []int{2, 6, 7})}
			}},
		{name: "lstm_i8_time_major_clip", ref: "tflm",
			build: lstmModel(lstmSpec{dt: tensor.Int8, t: 5, b: 3, in: 20, cell: 16, timeMajor: true, clip: 0.75,
				qIn: q(0.02, -128), qH: q(0.009, 7), cellScale: 1.0 / 16384, seed: 2}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{fullRange(r, tensor.Int8, []int{5, 3, 20})}
			}},
		{name: "lstm_i16", ref: "tflm",
			build: lstmModel(lstmSpec{dt: tensor.Int16, t: 4, b: 2, in: 9, cell: 10,
				qIn: q(1.0/4096, 0), qH: q(1.0/16384, 0), cellScale: 1.0 / 2048, seed: 3}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Int16, []int{2, 4, 9}, -20000, 20000)}
			}},
		{name: "lstm_f32", ref: "tflm", tol: 1e-5,
			build: lstmModel(lstmSpec{dt: tensor.Float32, t: 5, b: 2, in: 6, cell: 8, clip: 1.5, seed: 4}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{2, 5, 6}, -2, 2)}
			}},
		{name: "svdf_i8_state16", ref: "tflm",
			build: svdfModel(svdfSpec{b: 2, in: 10, filters: 12, rank: 2, memory: 5, stateDT: tensor.Int16,
				qIn: q(0.04, -3), qState: q(0.002, 0), qOut: q(0.05, 4), wtScale: 0.00005, seed: 5}),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return []*tensor.Tensor{fullRange(r, tensor.Int8, []int{2, 10})} }},
		{name: "svdf_i8_state8", ref: "tflm",
			build: svdfModel(svdfSpec{b: 1, in: 8, filters: 8, rank: 1, memory: 4, stateDT: tensor.Int8,
				qIn: q(0.03, 10), qState: q(0.06, -3), qOut: q(0.04, -9), wtScale: 0.005, seed: 6}),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return []*tensor.Tensor{fullRange(r, tensor.Int8, []int{1, 8})} }},
		{name: "svdf_f32_relu", ref: "tflm", tol: 1e-5,
			build: svdfModel(svdfSpec{b: 2, in: 6, filters: 8, rank: 2, memory: 3, stateDT: tensor.Float32, act: op.ActRelu, seed: 7}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{2, 6}, -1, 1)}
			}},
		{name: "svdf_hybrid_relu", ref: "tflite", tol: 1e-5,
			build: svdfModel(svdfSpec{b: 2, in: 9, filters: 12, rank: 3, memory: 4, stateDT: tensor.Float32, act: op.ActRelu, seed: 8, hybrid: true}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{2, 9}, -1, 1)}
			}},
		// TFLite Micro has neither: stock TFLite's builtin kernels are the
		// reference (float, within rounding).
		{name: "bilstm_f32_merged", ref: "tflite", tol: 1e-5,
			build: biLSTMModel(4, 2, 5, 6, 6, true, true, 0, false),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{4, 2, 5}, -2, 2)}
			}},
		{name: "bilstm_f32_batch_major", ref: "tflite", tol: 1e-5,
			build: biLSTMModel(3, 2, 4, 5, 5, false, false, 1.2, false),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{2, 3, 4}, -2, 2)}
			}},
		{name: "bilstm_hybrid_merged", ref: "tflite", tol: 1e-5,
			build: biLSTMModel(3, 2, 5, 7, 7, true, true, 0, true),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{3, 2, 5}, -2, 2)}
			}},
		{name: "rnn_f32_tanh", ref: "tflite", tol: 1e-5,
			build: rnnModel(5, 2, 6, 7, false, op.ActTanh),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{2, 5, 6}, -1, 1)}
			}},
		{name: "rnn_f32_relu_time_major", ref: "tflite", tol: 1e-5,
			build: rnnModel(4, 3, 5, 9, true, op.ActRelu),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{4, 3, 5}, -1, 1)}
			}},
		{name: "rnn_hybrid_tanh", ref: "tflite", tol: 1e-5,
			build: rnnHybridModel(5, 2, 7, 9, false, op.ActTanh, false),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{2, 5, 7}, -1, 1)}
			}},
		{name: "rnn_hybrid_asym_relu_time_major", ref: "tflite", tol: 1e-5,
			build: rnnHybridModel(4, 3, 6, 20, true, op.ActRelu, true),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{4, 3, 6}, -0.5, 1.5)}
			}},
		{name: "lstm_hybrid", ref: "tflite", tol: 1e-5,
			build: lstmVariantModel(lstmVariant{t: 5, b: 2, in: 7, cell: 9, output: 9, hybrid: true}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{2, 5, 7}, -2, 2)}
			}},
		{name: "lstm_hybrid_asym_peephole_projection", ref: "tflite", tol: 1e-5,
			build: lstmVariantModel(lstmVariant{t: 4, b: 3, in: 6, cell: 8, output: 5, hybrid: true, asym: true, timeMajor: true,
				peephole: true, projection: true, projBias: true, clip: 2, projClip: 0.3}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{4, 3, 6}, -0.5, 2)}
			}},
		{name: "lstm_hybrid_cifg_layernorm", ref: "tflite", tol: 1e-5,
			build: lstmVariantModel(lstmVariant{t: 4, b: 2, in: 5, cell: 7, output: 7, hybrid: true, cifg: true, layerNorm: true}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{2, 4, 5}, -2, 2)}
			}},
		{name: "lstm_f32_peephole_projection", ref: "tflite", tol: 1e-5,
			build: lstmVariantModel(lstmVariant{t: 5, b: 2, in: 6, cell: 8, output: 5, peephole: true, projection: true, projBias: true, clip: 2, projClip: 0.3}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{2, 5, 6}, -2, 2)}
			}},
		{name: "lstm_f32_cifg_layernorm_peephole", ref: "tflite", tol: 1e-5,
			build: lstmVariantModel(lstmVariant{t: 4, b: 3, in: 5, cell: 7, output: 7, cifg: true, layerNorm: true, peephole: true, timeMajor: true}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{4, 3, 5}, -2, 2)}
			}},
		{name: "lstm_f32_layernorm_projection", ref: "tflite", tol: 1e-5,
			build: lstmVariantModel(lstmVariant{t: 6, b: 1, in: 4, cell: 9, output: 3, layerNorm: true, projection: true}),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{1, 6, 4}, -2, 2)}
			}},
	}
}

// rnnHybridModel builds a hybrid UNIDIRECTIONAL_SEQUENCE_RNN: int8
// weights (per-tensor scales), float32 input, bias, state and output.
func rnnHybridModel(t, b, in, units int, timeMajor bool, act op.Activation, asym bool) func(*tflitebuild.Builder) {
	return func(bl *tflitebuild.Builder) {
		r := rand.New(rand.NewPCG(uint64(t*100+units), 8))
		shape := func(last int) []int {
			if timeMajor {
				return []int{t, b, last}
			}
			return []int{b, t, last}
		}
		i8 := func(k int) []int8 {
			v := make([]int8, k)
			for i := range v {
				v[i] = int8(r.IntN(255) - 127)
			}
			return v
		}
		x := bl.Tensor("x", tensor.Float32, shape(in), nil, nil)
		w := bl.Const("w", []int{units, in}, q(0.008, 0), i8(units*in))
		rw := bl.Const("r", []int{units, units}, q(0.005, 0), i8(units*units))
		bias := bl.Const("bias", []int{units}, nil, floats(r, units, 0.5))
		h := bl.Tensor("h", tensor.Float32, []int{b, units}, nil, nil)
		bl.Variable(h)
		y := bl.Tensor("y", tensor.Float32, shape(units), nil, nil)
		bl.Op("UNIDIRECTIONAL_SEQUENCE_RNN", []int{x, w, rw, bias, h}, []int{y},
			&op.SequenceRNNOptions{TimeMajor: timeMajor, Activation: act, AsymmetricQuantizeInputs: asym})
		bl.Inputs(x)
		bl.Outputs(y)
	}
}

// lstmVariant describes a float32 UNIDIRECTIONAL_SEQUENCE_LSTM with
// TensorFlow Lite's variants.
type lstmVariant struct {
	t, b, in, cell, output                                     int
	cifg, peephole, layerNorm, projection, projBias, timeMajor bool
	clip, projClip                                             float32
	// hybrid: int8 weights (per-tensor scales), float32 activations;
	// asym quantizes the inputs asymmetrically.
	hybrid, asym bool
}

func lstmVariantModel(s lstmVariant) func(*tflitebuild.Builder) {
	return func(bl *tflitebuild.Builder) {
		r := rand.New(rand.NewPCG(uint64(s.t*1000+s.cell*10+s.output), 9))
		shape := func(last int) []int {
			if s.timeMajor {
				return []int{s.t, s.b, last}
			}
			return []int{s.b, s.t, last}
		}
		inputs := make([]int, 24)
		for i := range inputs {
			inputs[i] = -1
		}
		inputs[0] = bl.Tensor("x", tensor.Float32, shape(s.in), nil, nil)
		// w adds a weight tensor: float32 values in [-scale/2, scale/2),
		// or their int8 quantization when hybrid.
		w := func(name string, shape []int, scale float64) int {
			k := 1
			for _, d := range shape {
				k *= d
			}
			v := floats(r, k, scale)
			if !s.hybrid {
				return bl.Const(name, shape, nil, v)
			}
			qs := float32(scale/2) / 127
			qv := make([]int8, k)
			for i, x := range v {
				qv[i] = int8(max(-127, min(127, math.Round(float64(x/qs)))))
			}
			return bl.Const(name, shape, q(qs, 0), qv)
		}
		for g := range 4 {
			if g == 0 && s.cifg {
				continue
			}
			inputs[1+g] = w("w", []int{s.cell, s.in}, 0.8)
			inputs[5+g] = w("r", []int{s.cell, s.output}, 0.8)
			inputs[12+g] = bl.Const("bias", []int{s.cell}, nil, floats(r, s.cell, 1))
			if s.layerNorm {
				c := floats(r, s.cell, 0.5)
				for i := range c {
					c[i] += 1
				}
				inputs[20+g] = bl.Const("ln", []int{s.cell}, nil, c)
			}
		}
		if s.peephole {
			for k := range 3 {
				if k == 0 && s.cifg {
					continue
				}
				inputs[9+k] = w("peep", []int{s.cell}, 1)
			}
		}
		if s.projection {
			inputs[16] = w("proj", []int{s.output, s.cell}, 1.2)
			if s.projBias {
				inputs[17] = bl.Const("proj_bias", []int{s.output}, nil, floats(r, s.output, 0.4))
			}
		}
		inputs[18] = bl.Tensor("h", tensor.Float32, []int{s.b, s.output}, nil, nil)
		inputs[19] = bl.Tensor("c", tensor.Float32, []int{s.b, s.cell}, nil, nil)
		bl.Variable(inputs[18])
		bl.Variable(inputs[19])
		y := bl.Tensor("y", tensor.Float32, shape(s.output), nil, nil)
		bl.Op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, []int{y},
			&op.SequenceLSTMOptions{Activation: op.ActTanh, CellClip: s.clip, ProjClip: s.projClip, TimeMajor: s.timeMajor, AsymmetricQuantizeInputs: s.asym})
		bl.Inputs(inputs[0])
		bl.Outputs(y)
	}
}

// floats returns n uniform values in [-scale/2, scale/2).
func floats(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((r.Float64() - 0.5) * scale)
	}
	return v
}

// biLSTMModel builds a BIDIRECTIONAL_SEQUENCE_LSTM over t steps, b batch
// rows and in inputs, with fw and bw cells: float32, or hybrid (int8
// weights).
func biLSTMModel(t, b, in, fw, bw int, timeMajor, merge bool, clip float32, hybrid bool) func(*tflitebuild.Builder) {
	return func(bl *tflitebuild.Builder) {
		r := rand.New(rand.NewPCG(uint64(t*100+fw), 5))
		shape := func(last int) []int {
			if timeMajor {
				return []int{t, b, last}
			}
			return []int{b, t, last}
		}
		inputs := make([]int, 48)
		for i := range inputs {
			inputs[i] = -1
		}
		inputs[0] = bl.Tensor("x", tensor.Float32, shape(in), nil, nil)
		for k, n := range []int{fw, bw} {
			base := 17 * k
			mat := func(name string, rows, cols int) int {
				v := floats(r, rows*cols, 0.8)
				if !hybrid {
					return bl.Const(name, []int{rows, cols}, nil, v)
				}
				qv := make([]int8, len(v))
				for i, x := range v {
					qv[i] = int8(math.Round(float64(x / (0.4 / 127))))
				}
				return bl.Const(name, []int{rows, cols}, q(0.4/127, 0), qv)
			}
			for g := range 4 {
				inputs[base+1+g] = mat("w", n, in)
				inputs[base+5+g] = mat("r", n, n)
				inputs[base+12+g] = bl.Const("bias", []int{n}, nil, floats(r, n, 1))
			}
			inputs[35+2*k] = bl.Tensor("h", tensor.Float32, []int{b, n}, nil, nil)
			inputs[36+2*k] = bl.Tensor("c", tensor.Float32, []int{b, n}, nil, nil)
			bl.Variable(inputs[35+2*k])
			bl.Variable(inputs[36+2*k])
		}
		var outs []int
		if merge {
			outs = []int{bl.Tensor("y", tensor.Float32, shape(fw+bw), nil, nil)}
		} else {
			outs = []int{bl.Tensor("y_fw", tensor.Float32, shape(fw), nil, nil), bl.Tensor("y_bw", tensor.Float32, shape(bw), nil, nil)}
		}
		bl.Op("BIDIRECTIONAL_SEQUENCE_LSTM", inputs, outs,
			&op.BidirectionalSequenceLSTMOptions{Activation: op.ActTanh, CellClip: clip, MergeOutputs: merge, TimeMajor: timeMajor})
		bl.Inputs(inputs[0])
		bl.Outputs(outs...)
	}
}

// rnnModel builds a float32 UNIDIRECTIONAL_SEQUENCE_RNN.
func rnnModel(t, b, in, units int, timeMajor bool, act op.Activation) func(*tflitebuild.Builder) {
	return func(bl *tflitebuild.Builder) {
		r := rand.New(rand.NewPCG(uint64(t*100+units), 6))
		shape := func(last int) []int {
			if timeMajor {
				return []int{t, b, last}
			}
			return []int{b, t, last}
		}
		x := bl.Tensor("x", tensor.Float32, shape(in), nil, nil)
		w := bl.Const("w", []int{units, in}, nil, floats(r, units*in, 1))
		rw := bl.Const("r", []int{units, units}, nil, floats(r, units*units, 0.8))
		bias := bl.Const("bias", []int{units}, nil, floats(r, units, 0.5))
		h := bl.Tensor("h", tensor.Float32, []int{b, units}, nil, nil)
		bl.Variable(h)
		y := bl.Tensor("y", tensor.Float32, shape(units), nil, nil)
		bl.Op("UNIDIRECTIONAL_SEQUENCE_RNN", []int{x, w, rw, bias, h}, []int{y}, &op.SequenceRNNOptions{TimeMajor: timeMajor, Activation: act})
		bl.Inputs(x)
		bl.Outputs(y)
	}
}

// lstmSpec describes a standard LSTM model: input → LSTM → output, with
// random weights from seed.
type lstmSpec struct {
	dt             tensor.DType // activations: int8, int16 or float32
	t, b, in, cell int
	timeMajor      bool
	clip           float32
	qIn, qH        *tensor.Quant
	cellScale      float32
	seed           uint64
}

func lstmModel(s lstmSpec) func(b *tflitebuild.Builder) {
	return func(b *tflitebuild.Builder) {
		r := rand.New(rand.NewPCG(s.seed, 99))
		shape := []int{s.b, s.t, s.in}
		outShape := []int{s.b, s.t, s.cell}
		if s.timeMajor {
			shape = []int{s.t, s.b, s.in}
			outShape = []int{s.t, s.b, s.cell}
		}
		inputs := make([]int, 24)
		for i := range inputs {
			inputs[i] = -1
		}
		inputs[0] = b.Tensor("x", s.dt, shape, s.qIn, nil)
		quant := s.dt != tensor.Float32
		var inScale, hScale float32
		if quant {
			inScale, hScale = s.qIn.Scale[0], s.qH.Scale[0]
		}
		weights := func(name string, rows, cols int, xScale float32) (int, float32) {
			if !quant {
				v := make([]float32, rows*cols)
				for i := range v {
					v[i] = float32(r.Float64()-0.5) * 0.8
				}
				return b.Const(name, []int{rows, cols}, nil, v), 0
			}
			ws := float32(0.01 + 0.02*r.Float64())
			v := make([]int8, rows*cols)
			for i := range v {
				v[i] = int8(r.IntN(255) - 127)
			}
			return b.Const(name, []int{rows, cols}, q(ws, 0), v), ws
		}
		var inWScale [4]float32
		for g := range 4 {
			inputs[1+g], inWScale[g] = weights("w_in", s.cell, s.in, inScale)
			inputs[5+g], _ = weights("w_rec", s.cell, s.cell, hScale)
		}
		for g := range 4 {
			switch s.dt {
			case tensor.Float32:
				v := make([]float32, s.cell)
				for i := range v {
					v[i] = float32(r.Float64() - 0.5)
				}
				inputs[12+g] = b.Const("bias", []int{s.cell}, nil, v)
			case tensor.Int8:
				v := make([]int32, s.cell)
				for i := range v {
					v[i] = int32(r.IntN(8001) - 4000)
				}
				inputs[12+g] = b.Const("bias", []int{s.cell}, q(inScale*inWScale[g], 0), v)
			case tensor.Int16:
				v := make([]int64, s.cell)
				for i := range v {
					v[i] = int64(r.IntN(400001) - 200000)
				}
				inputs[12+g] = b.Const("bias", []int{s.cell}, q(inScale*inWScale[g], 0), v)
			}
		}
		var qC *tensor.Quant
		cellDT := tensor.Float32
		if quant {
			qC, cellDT = q(s.cellScale, 0), tensor.Int16
		}
		inputs[18] = b.Tensor("h", s.dt, []int{s.b, s.cell}, s.qH, nil)
		inputs[19] = b.Tensor("c", cellDT, []int{s.b, s.cell}, qC, nil)
		b.Variable(inputs[18])
		b.Variable(inputs[19])
		y := b.Tensor("y", s.dt, outShape, s.qH, nil)
		b.Op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, []int{y},
			&op.SequenceLSTMOptions{Activation: op.ActTanh, CellClip: s.clip, TimeMajor: s.timeMajor})
		b.Inputs(inputs[0])
		b.Outputs(y)
	}
}

// svdfSpec describes input → SVDF → output with random weights.
type svdfSpec struct {
	b, in, filters, rank, memory int
	stateDT                      tensor.DType // int8/int16 (int8 input) or float32
	act                          op.Activation
	qIn, qState, qOut            *tensor.Quant
	wtScale                      float32 // time weights' scale
	seed                         uint64
	hybrid                       bool // float32 activations, int8 weights
}

func svdfModel(s svdfSpec) func(b *tflitebuild.Builder) {
	return func(b *tflitebuild.Builder) {
		r := rand.New(rand.NewPCG(s.seed, 77))
		units := s.filters / s.rank
		var x, wf, wt, bias, state, y int
		if s.stateDT == tensor.Float32 {
			rnd := func(n int, scale float64) []float32 {
				v := make([]float32, n)
				for i := range v {
					v[i] = float32((r.Float64() - 0.5) * scale)
				}
				return v
			}
			x = b.Tensor("x", tensor.Float32, []int{s.b, s.in}, nil, nil)
			if s.hybrid {
				i8 := func(k int) []int8 {
					v := make([]int8, k)
					for i := range v {
						v[i] = int8(r.IntN(255) - 127)
					}
					return v
				}
				wf = b.Const("wf", []int{s.filters, s.in}, q(1.0/254, 0), i8(s.filters*s.in))
				wt = b.Const("wt", []int{s.filters, s.memory}, q(1.0/254, 0), i8(s.filters*s.memory))
			} else {
				wf = b.Const("wf", []int{s.filters, s.in}, nil, rnd(s.filters*s.in, 1))
				wt = b.Const("wt", []int{s.filters, s.memory}, nil, rnd(s.filters*s.memory, 1))
			}
			bv := rnd(units, 0.5)
			for i := range bv {
				bv[i] += 0.3 // mostly positive sums: relu passes most of them
			}
			bias = b.Const("bias", []int{units}, nil, bv)
			state = b.Tensor("state", tensor.Float32, []int{s.b, s.filters * s.memory}, nil, nil)
			y = b.Tensor("y", tensor.Float32, []int{s.b, units}, nil, nil)
		} else {
			wfs, wts := float32(0.01), s.wtScale
			wfv := make([]int8, s.filters*s.in)
			for i := range wfv {
				wfv[i] = int8(r.IntN(255) - 127)
			}
			x = b.Tensor("x", tensor.Int8, []int{s.b, s.in}, s.qIn, nil)
			wf = b.Const("wf", []int{s.filters, s.in}, q(wfs, 0), wfv)
			if s.stateDT == tensor.Int16 {
				v := make([]int16, s.filters*s.memory)
				for i := range v {
					v[i] = int16(r.IntN(20001) - 10000)
				}
				wt = b.Const("wt", []int{s.filters, s.memory}, q(wts, 0), v)
			} else {
				v := make([]int8, s.filters*s.memory)
				for i := range v {
					v[i] = int8(r.IntN(255) - 127)
				}
				wt = b.Const("wt", []int{s.filters, s.memory}, q(wts, 0), v)
			}
			bv := make([]int32, units)
			for i := range bv {
				bv[i] = int32(r.IntN(2001) - 1000)
			}
			bias = b.Const("bias", []int{units}, q(s.qState.Scale[0]*wts, 0), bv)
			state = b.Tensor("state", s.stateDT, []int{s.b, s.filters * s.memory}, s.qState, nil)
			y = b.Tensor("y", tensor.Int8, []int{s.b, units}, s.qOut, nil)
		}
		b.Variable(state)
		b.Op("SVDF", []int{x, wf, wt, bias, state}, []int{y}, &op.SVDFOptions{Rank: s.rank, Activation: s.act})
		b.Inputs(x)
		b.Outputs(y)
	}
}

// TestSequenceRunsAllocateNothing: every sequence case, once its Runner
// exists, runs without a heap allocation (state reset included).
func TestSequenceRunsAllocateNothing(t *testing.T) {
	for _, c := range sequenceCases() {
		t.Run(c.name, func(t *testing.T) {
			b := tflitebuild.New()
			c.build(b)
			model, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			m, err := tflite.Load(model)
			if err != nil {
				t.Fatal(err)
			}
			ins := c.inputs(rand.New(rand.NewPCG(1, 2)))
			r := m.NewRunner()
			ctx := context.Background()
			if n := testing.AllocsPerRun(5, func() {
				if _, err := r.Run(ctx, ins); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Fatalf("Run allocates %v times", n)
			}
		})
	}
}
