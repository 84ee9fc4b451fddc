package opgolden_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// uint8Cases: the uint8 activations and requantizations, and a multiplier
// beyond 2^30 (TFLite saturates it). TFLite Micro has no uint8 kernels, so
// each uint8 case has an int8 twin (zero points 128 lower, inputs 128
// lower) run by tflm_run; TestUint8Twins requires the engine's uint8
// output to be its int8 output plus 128, which is how TFLite's reference
// kernels define the uint8 variants.
func uint8Cases() []goldenCase {
	u8 := func(r *rand.Rand, shape []int) []*tensor.Tensor {
		return []*tensor.Tensor{fullRange(r, tensor.Uint8, shape)}
	}
	i8 := func(r *rand.Rand, shape []int) []*tensor.Tensor {
		return []*tensor.Tensor{fullRange(r, tensor.Int8, shape)}
	}
	sm := &op.SoftmaxOptions{Beta: 1}
	return []goldenCase{
		{name: "softmax_u8", ref: "tflite",
			build:  unaryModel("SOFTMAX", sm, tensor.Uint8, []int{3, 10}, q(0.1, 120), tensor.Uint8, []int{3, 10}, q(1.0/256, 0)),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return u8(r, []int{3, 10}) }},
		{name: "softmax_i8_twin", ref: "tflm",
			build:  unaryModel("SOFTMAX", sm, tensor.Int8, []int{3, 10}, q(0.1, -8), tensor.Int8, []int{3, 10}, q(1.0/256, -128)),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return i8(r, []int{3, 10}) }},
		{name: "logistic_u8", ref: "tflite",
			build:  unaryModel("LOGISTIC", nil, tensor.Uint8, []int{4, 64}, q(0.06, 128), tensor.Uint8, []int{4, 64}, q(1.0/256, 0)),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return u8(r, []int{4, 64}) }},
		{name: "logistic_i8_twin", ref: "tflm",
			build:  unaryModel("LOGISTIC", nil, tensor.Int8, []int{4, 64}, q(0.06, 0), tensor.Int8, []int{4, 64}, q(1.0/256, -128)),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return i8(r, []int{4, 64}) }},
		{name: "tanh_u8", ref: "tflite",
			build:  unaryModel("TANH", nil, tensor.Uint8, []int{4, 64}, q(0.03, 140), tensor.Uint8, []int{4, 64}, q(1.0/128, 128)),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return u8(r, []int{4, 64}) }},
		{name: "tanh_i8_twin", ref: "tflm",
			build:  unaryModel("TANH", nil, tensor.Int8, []int{4, 64}, q(0.03, 12), tensor.Int8, []int{4, 64}, q(1.0/128, 0)),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return i8(r, []int{4, 64}) }},
		{name: "quantize_u8_u8", ref: "tflite",
			build:  unaryModel("QUANTIZE", nil, tensor.Uint8, []int{2, 50}, q(0.1, 100), tensor.Uint8, []int{2, 50}, q(0.07, 120)),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return u8(r, []int{2, 50}) }},
		{name: "quantize_u8_i8", ref: "tflite",
			build:  unaryModel("QUANTIZE", nil, tensor.Uint8, []int{2, 50}, q(0.1, 100), tensor.Int8, []int{2, 50}, q(0.13, -5)),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return u8(r, []int{2, 50}) }},
		{name: "quantize_i8_u8", ref: "tflite",
			build:  unaryModel("QUANTIZE", nil, tensor.Int8, []int{2, 50}, q(0.1, 3), tensor.Uint8, []int{2, 50}, q(0.05, 128)),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return i8(r, []int{2, 50}) }},
		// coral automl_traffic_model: MUL into a tensor of scale 3e-35.
		{name: "mul_u8_huge_multiplier", ref: "tflite",
			build: binaryModel("MUL", &op.ArithOptions{}, tensor.Uint8, []int{1, 64}, []int{1, 64}, q(0.0235, 0), q(0.0039, 0), tensor.Uint8, []int{1, 64}, q(2.972124e-35, 0)),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				// Small products show the shift taken modulo 32 (×39 here), large ones saturate.
				return []*tensor.Tensor{randTensor(r, tensor.Uint8, []int{1, 64}, 0, 4), randTensor(r, tensor.Uint8, []int{1, 64}, 0, 4)}
			}},
		{name: "mul_i8_huge_multiplier", ref: "tflm",
			build: binaryModel("MUL", &op.ArithOptions{}, tensor.Int8, []int{1, 64}, []int{1, 64}, q(0.0235, -3), q(0.0039, 5), tensor.Int8, []int{1, 64}, q(2.972124e-35, 0)),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{fullRange(r, tensor.Int8, []int{1, 64}), fullRange(r, tensor.Int8, []int{1, 64})}
			}},
	}
}

// TestUint8Twins requires the engine's uint8 SOFTMAX, LOGISTIC and TANH to
// give its int8 results (exact against TFLite Micro in TestOpGolden) plus
// 128 for the same real inputs, which is what TFLite's reference kernels
// compute for uint8.
func TestUint8Twins(t *testing.T) {
	for _, name := range []string{"softmax", "logistic", "tanh"} {
		t.Run(name, func(t *testing.T) {
			var u, s goldenCase
			for _, c := range uint8Cases() {
				switch c.name {
				case name + "_u8":
					u = c
				case name + "_i8_twin":
					s = c
				}
			}
			run := func(c goldenCase, in *tensor.Tensor) []byte {
				b := tflitebuild.New()
				c.build(b)
				data, err := b.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				m, err := tflite.Load(data)
				if err != nil {
					t.Fatal(err)
				}
				out, err := m.NewRunner().Run(context.Background(), []*tensor.Tensor{in})
				if err != nil {
					t.Fatal(err)
				}
				return bytes.Clone(out[0].Data)
			}
			r := rand.New(rand.NewPCG(1, 2))
			in := u.inputs(r)[0]
			twin := &tensor.Tensor{DType: tensor.Int8, Shape: in.Shape, Data: make([]byte, len(in.Data))}
			for i, v := range in.Data {
				twin.Data[i] = v ^ 0x80 // v - 128 as int8
			}
			got, want := run(u, in), run(s, twin)
			for i := range got {
				if got[i] != want[i]^0x80 {
					t.Fatalf("[%d]: uint8 %d, int8 twin %d (want uint8 = int8 + 128)", i, got[i], int8(want[i]))
				}
			}
		})
	}
}
