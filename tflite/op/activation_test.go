package op

import (
	"math"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
)

func TestActivationRangeQuant(t *testing.T) {
	out := func(dt tensor.DType, scale float32, zp int64) *TensorInfo {
		return &TensorInfo{DType: dt, Quant: &tensor.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zp}}}
	}
	tests := []struct {
		name   string
		act    Activation
		out    *TensorInfo
		lo, hi int32
		ok     bool
	}{
		{"none int8", ActNone, out(tensor.Int8, 0.1, 3), -128, 127, true},
		{"relu int8", ActRelu, out(tensor.Int8, 0.1, -20), -20, 127, true},
		{"relu6 int8", ActRelu6, out(tensor.Int8, 0.1, -100), -100, -40, true},
		{"relu6 clipped by dtype", ActRelu6, out(tensor.Int8, 0.01, 0), 0, 127, true},
		{"relu_n1_to_1 uint8", ActReluN1To1, out(tensor.Uint8, 0.01, 128), 28, 228, true},
		{"relu int16", ActRelu, out(tensor.Int16, 0.001, 0), 0, math.MaxInt16, true},
		{"tanh is not a clamp", ActTanh, out(tensor.Int8, 0.1, 0), 0, 0, false},
		{"float output", ActRelu, &TensorInfo{DType: tensor.Float32}, 0, 0, false},
		{"no quantization", ActRelu, &TensorInfo{DType: tensor.Int8}, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi, ok := ActivationRangeQuant(tc.act, tc.out)
			if ok != tc.ok || (ok && (lo != tc.lo || hi != tc.hi)) {
				t.Fatalf("got (%d, %d, %v), want (%d, %d, %v)", lo, hi, ok, tc.lo, tc.hi, tc.ok)
			}
		})
	}
}

func TestActivationRangeFloat(t *testing.T) {
	if lo, hi, ok := ActivationRangeFloat(ActRelu6); !ok || lo != 0 || hi != 6 {
		t.Fatalf("relu6 = (%v, %v, %v)", lo, hi, ok)
	}
	if _, _, ok := ActivationRangeFloat(ActSignBit); ok {
		t.Fatal("SIGN_BIT accepted as a clamp")
	}
}
