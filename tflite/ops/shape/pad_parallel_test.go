package shape_test

import (
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// TestPadParallelMatchesSerial: a PAD large enough to split across threads
// writes exactly the bytes of the one-thread run (poisoned outputs, so a
// byte left unwritten shows), for int8 with the zero point, float32 and
// PADV2 with a constant, and asymmetric padding on every dimension.
func TestPadParallelMatchesSerial(t *testing.T) {
	const h, w, c = 57, 61, 24
	i8 := make([]int8, h*w*c)
	f := make([]float32, h*w*c)
	for i := range i8 {
		i8[i], f[i] = int8(i*7+i/13), float32(i%101)-50
	}
	tests := []struct {
		name string
		op   string
		ins  []*tv
		out  *op.TensorInfo
	}{
		{"int8 zero point", "PAD", []*tv{quant(mk(tensor.Int8, []int{1, h, w, c}, i8), 0.5, -5), padsOf(0, 1, 1, 2, 0, 1, 3, 0)}, qout(tensor.Int8, 0.5, -5)},
		{"float32", "PAD", []*tv{mk(tensor.Float32, []int{1, h, w, c}, f), padsOf(1, 0, 2, 1, 1, 1, 0, 2)}, outInfo(tensor.Float32)},
		{"int8 PADV2 constant", "PADV2", []*tv{quant(mk(tensor.Int8, []int{1, h, w, c}, i8), 0.5, -5), padsOf(0, 0, 1, 1, 1, 1, 0, 0), constScalar(quant(mk(tensor.Int8, []int{}, []int8{9}), 0.5, -5))}, qout(tensor.Int8, 0.5, -5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			serial, err := run(t, tc.op, nil, tc.ins, []*op.TensorInfo{tc.out})
			if err != nil {
				t.Fatal(err)
			}
			if len(serial[0].Data) < 64<<10 {
				t.Fatalf("output of %d bytes is too small to run in parallel", len(serial[0].Data))
			}
			par, err := runThreads(t, tc.op, nil, tc.ins, []*op.TensorInfo{{DType: tc.out.DType, Quant: tc.out.Quant}}, 2)
			if err != nil {
				t.Fatal(err)
			}
			for i := range serial[0].Data {
				if serial[0].Data[i] != par[0].Data[i] {
					t.Fatalf("byte %d: 2 threads %#x, 1 thread %#x", i, par[0].Data[i], serial[0].Data[i])
				}
			}
		})
	}
}

// padsOf is a constant [n/2, 2] int32 paddings tensor.
func padsOf(v ...int32) *tv {
	t := mk(tensor.Int32, []int{len(v) / 2, 2}, v)
	t.info.Const = t.data
	return t
}

// constScalar marks t constant (a PADV2 constant, for one) and returns it.
func constScalar(t *tv) *tv {
	t.info.Const = t.data
	return t
}
