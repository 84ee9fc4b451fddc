package shape_test

import (
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

type opCase struct {
	name      string
	op        string
	opts      any
	ins       []*tv
	outs      []*op.TensorInfo
	wantShape [][]int
	want      [][]float64
	err       error
}

func o(dt tensor.DType) []*op.TensorInfo { return []*op.TensorInfo{outInfo(dt)} }

func sh(s ...int) [][]int { return [][]int{s} }

func w(v ...float64) [][]float64 { return [][]float64{v} }

func runCases(t *testing.T, cases []opCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := run(t, c.op, c.opts, c.ins, c.outs)
			if c.err != nil {
				wantErr(t, err, c.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, ot := range out {
				if i < len(c.wantShape) && !ot.Shape.Equal(c.wantShape[i]) {
					t.Fatalf("output %d shape %v, want %v", i, ot.Shape, c.wantShape[i])
				}
				if i < len(c.want) {
					if got := values(ot); !equalF(got, c.want[i]) {
						t.Fatalf("output %d = %v, want %v", i, got, c.want[i])
					}
				}
			}
		})
	}
}

func TestReshapeFamily(t *testing.T) {
	in := func() *tv { return f32([]int{2, 3}, seq(6)...) }
	runCases(t, []opCase{
		{name: "reshape const shape", op: "RESHAPE", ins: []*tv{in(), ci32(3, 2)}, outs: o(tensor.Float32), wantShape: sh(3, 2), want: w(0, 1, 2, 3, 4, 5)},
		{name: "reshape int64 shape with -1", op: "RESHAPE", ins: []*tv{in(), ci64(-1)}, outs: o(tensor.Float32), wantShape: sh(6), want: w(0, 1, 2, 3, 4, 5)},
		{name: "reshape options", op: "RESHAPE", opts: &op.ReshapeOptions{NewShape: []int{1, 6}}, ins: []*tv{in()}, outs: o(tensor.Float32), wantShape: sh(1, 6)},
		{name: "reshape batch rescale", op: "RESHAPE", ins: []*tv{f32([]int{4, 3}, seq(12)...), ci32(1, 3)}, outs: o(tensor.Float32), wantShape: sh(4, 3)},
		{name: "reshape two -1", op: "RESHAPE", ins: []*tv{in(), ci32(-1, -1)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "reshape bad count", op: "RESHAPE", ins: []*tv{in(), ci32(4, 4)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "reshape non-const shape", op: "RESHAPE", ins: []*tv{in(), mk(tensor.Int32, []int{3}, []int32{1, 2, 3})}, outs: o(tensor.Float32), err: op.ErrUnsupported},
		{name: "reshape dtype mismatch", op: "RESHAPE", ins: []*tv{in(), ci32(6)}, outs: o(tensor.Int8), err: op.ErrInvalidModel},
		{name: "squeeze all", op: "SQUEEZE", ins: []*tv{f32([]int{1, 2, 1, 3}, seq(6)...)}, outs: o(tensor.Float32), wantShape: sh(2, 3)},
		{name: "squeeze negative", op: "SQUEEZE", opts: &op.SqueezeOptions{SqueezeDims: []int{-2}}, ins: []*tv{f32([]int{1, 2, 1, 3}, seq(6)...)}, outs: o(tensor.Float32), wantShape: sh(1, 2, 3)},
		{name: "squeeze non-1", op: "SQUEEZE", opts: &op.SqueezeOptions{SqueezeDims: []int{1}}, ins: []*tv{f32([]int{1, 2}, 0, 1)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "expand dims -1", op: "EXPAND_DIMS", ins: []*tv{in(), ci32(-1)}, outs: o(tensor.Float32), wantShape: sh(2, 3, 1), want: w(0, 1, 2, 3, 4, 5)},
		{name: "expand dims 0 int64", op: "EXPAND_DIMS", ins: []*tv{in(), ci64(0)}, outs: o(tensor.Float32), wantShape: sh(1, 2, 3)},
		{name: "expand dims out of range", op: "EXPAND_DIMS", ins: []*tv{in(), ci32(4)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "shape int32", op: "SHAPE", ins: []*tv{f32([]int{2, 1, 3}, seq(6)...)}, outs: o(tensor.Int32), wantShape: sh(3), want: w(2, 1, 3)},
		{name: "shape int64", op: "SHAPE", opts: &op.ShapeOptions{OutType: 4}, ins: []*tv{f32([]int{5}, seq(5)...)}, outs: o(tensor.Int64), wantShape: sh(1), want: w(5)},
		{name: "shape bad out", op: "SHAPE", ins: []*tv{in()}, outs: o(tensor.Float32), err: op.ErrUnsupported},
	})
}

func TestTransposeSlice(t *testing.T) {
	x := func() *tv { return f32([]int{2, 3}, seq(6)...) }
	x3 := func() *tv { return f32([]int{2, 3, 4}, seq(24)...) }
	runCases(t, []opCase{
		{name: "transpose 2d", op: "TRANSPOSE", ins: []*tv{x(), ci32(1, 0)}, outs: o(tensor.Float32), wantShape: sh(3, 2), want: w(0, 3, 1, 4, 2, 5)},
		{name: "transpose 3d", op: "TRANSPOSE", ins: []*tv{f32([]int{2, 2, 2}, seq(8)...), ci32(2, 0, 1)}, outs: o(tensor.Float32), wantShape: sh(2, 2, 2), want: w(0, 2, 4, 6, 1, 3, 5, 7)},
		{name: "transpose int16", op: "TRANSPOSE", ins: []*tv{mk(tensor.Int16, []int{2, 3}, []int16{0, 1, 2, 3, 4, 5}), ci32(1, 0)}, outs: o(tensor.Int16), want: w(0, 3, 1, 4, 2, 5)},
		{name: "transpose bad perm", op: "TRANSPOSE", ins: []*tv{x(), ci32(0, 0)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "transpose non-const perm", op: "TRANSPOSE", ins: []*tv{x(), mk(tensor.Int32, []int{2}, []int32{1, 0})}, outs: o(tensor.Float32), err: op.ErrUnsupported},
		{name: "transpose rank 7", op: "TRANSPOSE", ins: []*tv{f32([]int{1, 1, 1, 1, 1, 1, 1}, 0), ci32(0, 1, 2, 3, 4, 5, 6)}, outs: o(tensor.Float32), err: op.ErrUnsupported},
		{name: "slice", op: "SLICE", ins: []*tv{x(), ci32(0, 1), ci32(2, 2)}, outs: o(tensor.Float32), wantShape: sh(2, 2), want: w(1, 2, 4, 5)},
		{name: "slice size -1 int64", op: "SLICE", ins: []*tv{x(), ci64(1, 1), ci64(-1, -1)}, outs: o(tensor.Float32), wantShape: sh(1, 2), want: w(4, 5)},
		{name: "slice out of range", op: "SLICE", ins: []*tv{x(), ci32(0, 2), ci32(1, 2)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "strided basic", op: "STRIDED_SLICE", ins: []*tv{x(), ci32(0, 0), ci32(2, 3), ci32(1, 2)}, outs: o(tensor.Float32), wantShape: sh(2, 2), want: w(0, 2, 3, 5)},
		{name: "strided negative stride", op: "STRIDED_SLICE", ins: []*tv{x(), ci32(-1, -1), ci32(-3, -4), ci32(-1, -1)}, outs: o(tensor.Float32), wantShape: sh(2, 3), want: w(5, 4, 3, 2, 1, 0)},
		{name: "strided masks", op: "STRIDED_SLICE", opts: &op.StridedSliceOptions{BeginMask: 1, EndMask: 2}, ins: []*tv{x(), ci32(1, 1), ci32(1, 0), ci32(1, 1)}, outs: o(tensor.Float32), wantShape: sh(1, 2), want: w(1, 2)},
		{name: "strided shrink", op: "STRIDED_SLICE", opts: &op.StridedSliceOptions{ShrinkAxisMask: 1}, ins: []*tv{x(), ci32(-1, 0), ci32(0, 3), ci32(1, 1)}, outs: o(tensor.Float32), wantShape: sh(3), want: w(3, 4, 5)},
		{name: "strided new axis", op: "STRIDED_SLICE", opts: &op.StridedSliceOptions{NewAxisMask: 2}, ins: []*tv{x(), ci32(1, 0, 0), ci32(2, 0, 2), ci32(1, 1, 1)}, outs: o(tensor.Float32), wantShape: sh(1, 1, 2), want: w(3, 4)},
		{name: "strided ellipsis", op: "STRIDED_SLICE", opts: &op.StridedSliceOptions{EllipsisMask: 1}, ins: []*tv{x3(), ci32(0, 1), ci32(0, 4), ci32(1, 2)}, outs: o(tensor.Float32), wantShape: sh(2, 3, 2), want: w(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23)},
		{name: "strided implicit tail", op: "STRIDED_SLICE", ins: []*tv{x3(), ci32(1), ci32(2), ci32(1)}, outs: o(tensor.Float32), wantShape: sh(1, 3, 4)},
		{name: "strided offset", op: "STRIDED_SLICE", opts: &op.StridedSliceOptions{Offset: true}, ins: []*tv{x(), ci32(0, 1), ci32(1, 2), ci32(1, 1)}, outs: o(tensor.Float32), wantShape: sh(1, 2), want: w(1, 2)},
		{name: "strided empty", op: "STRIDED_SLICE", ins: []*tv{x(), ci32(1, 2), ci32(1, 3), ci32(1, 1)}, outs: o(tensor.Float32), wantShape: sh(0, 1)},
		{name: "strided zero stride", op: "STRIDED_SLICE", ins: []*tv{x(), ci32(0, 0), ci32(1, 1), ci32(1, 0)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "strided shrink out of range", op: "STRIDED_SLICE", opts: &op.StridedSliceOptions{ShrinkAxisMask: 1}, ins: []*tv{x(), ci32(2, 0), ci32(3, 3), ci32(1, 1)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "strided two ellipses", op: "STRIDED_SLICE", opts: &op.StridedSliceOptions{EllipsisMask: 3}, ins: []*tv{x(), ci32(0, 0), ci32(1, 1), ci32(1, 1)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "strided non-const", op: "STRIDED_SLICE", ins: []*tv{x(), ci32(0, 0), mk(tensor.Int32, []int{2}, []int32{1, 1}), ci32(1, 1)}, outs: o(tensor.Float32), err: op.ErrUnsupported},
		{name: "strided bool", op: "STRIDED_SLICE", ins: []*tv{mk(tensor.Uint8, []int{4}, []uint8{1, 0, 1, 1}), ci32(1), ci32(4), ci32(2)}, outs: o(tensor.Uint8), want: w(0, 1)},
	})
}

func TestConcatPackSplit(t *testing.T) {
	a := func() *tv { return f32([]int{2, 2}, 0, 1, 2, 3) }
	b := func() *tv { return f32([]int{2, 1}, 10, 11) }
	runCases(t, []opCase{
		{name: "concat axis 1", op: "CONCATENATION", opts: &op.ConcatenationOptions{Axis: 1}, ins: []*tv{a(), b()}, outs: o(tensor.Float32), wantShape: sh(2, 3), want: w(0, 1, 10, 2, 3, 11)},
		{name: "concat axis -2", op: "CONCATENATION", opts: &op.ConcatenationOptions{Axis: -2}, ins: []*tv{a(), a()}, outs: o(tensor.Float32), wantShape: sh(4, 2), want: w(0, 1, 2, 3, 0, 1, 2, 3)},
		{name: "concat relu6", op: "CONCATENATION", opts: &op.ConcatenationOptions{Axis: 0, Activation: op.ActRelu6}, ins: []*tv{f32([]int{2}, -1, 7), f32([]int{1}, 3)}, outs: o(tensor.Float32), want: w(0, 6, 3)},
		{name: "concat shape mismatch", op: "CONCATENATION", opts: &op.ConcatenationOptions{Axis: 0}, ins: []*tv{a(), b()}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "concat int8 requant", op: "CONCATENATION", opts: &op.ConcatenationOptions{Axis: 0},
			ins: []*tv{
				quant(mk(tensor.Int8, []int{3}, []int8{-128, 0, 127}), 0.5, 0),
				quant(mk(tensor.Int8, []int{2}, []int8{4, 5}), 1, 0),
			},
			outs: []*op.TensorInfo{qout(tensor.Int8, 1, 0)},
			// 0.5·q rounds half away from zero: -64, 0, 63.5→64; second copied.
			want: w(-64, 0, 64, 4, 5)},
		{name: "concat uint8 zero points", op: "CONCATENATION", opts: &op.ConcatenationOptions{Axis: 0},
			ins: []*tv{
				quant(mk(tensor.Uint8, []int{2}, []uint8{0, 255}), 1, 128),
				quant(mk(tensor.Uint8, []int{1}, []uint8{7}), 1, 0),
			},
			outs: []*op.TensorInfo{qout(tensor.Uint8, 1, 0)},
			want: w(0, 127, 7)},
		{name: "concat int8 relu", op: "CONCATENATION", opts: &op.ConcatenationOptions{Axis: 0, Activation: op.ActRelu},
			ins:  []*tv{quant(mk(tensor.Int8, []int{3}, []int8{-20, -10, 5}), 0.1, -10)},
			outs: []*op.TensorInfo{qout(tensor.Int8, 0.1, -10)},
			want: w(-10, -10, 5)},
		{name: "concat int8 unquantized", op: "CONCATENATION", opts: &op.ConcatenationOptions{Axis: 0}, ins: []*tv{mk(tensor.Int8, []int{1}, []int8{1})}, outs: o(tensor.Int8), err: op.ErrUnsupported},
		{name: "concat int32", op: "CONCATENATION", ins: []*tv{mk(tensor.Int32, []int{1}, []int32{1}), mk(tensor.Int32, []int{2}, []int32{2, 3})}, outs: o(tensor.Int32), want: w(1, 2, 3)},
		{name: "pack axis 0", op: "PACK", opts: &op.PackOptions{ValuesCount: 2}, ins: []*tv{f32([]int{2}, 0, 1), f32([]int{2}, 2, 3)}, outs: o(tensor.Float32), wantShape: sh(2, 2), want: w(0, 1, 2, 3)},
		{name: "pack axis 1", op: "PACK", opts: &op.PackOptions{Axis: 1}, ins: []*tv{f32([]int{2}, 0, 1), f32([]int{2}, 2, 3)}, outs: o(tensor.Float32), wantShape: sh(2, 2), want: w(0, 2, 1, 3)},
		{name: "pack count mismatch", op: "PACK", opts: &op.PackOptions{ValuesCount: 3}, ins: []*tv{f32([]int{2}, 0, 1)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "unpack axis 1", op: "UNPACK", opts: &op.UnpackOptions{Num: 2, Axis: 1}, ins: []*tv{a()}, outs: []*op.TensorInfo{outInfo(tensor.Float32), outInfo(tensor.Float32)}, wantShape: [][]int{{2}, {2}}, want: [][]float64{{0, 2}, {1, 3}}},
		{name: "unpack wrong count", op: "UNPACK", opts: &op.UnpackOptions{Num: 3}, ins: []*tv{a()}, outs: []*op.TensorInfo{outInfo(tensor.Float32)}, err: op.ErrInvalidModel},
		{name: "split", op: "SPLIT", opts: &op.SplitOptions{NumSplits: 2}, ins: []*tv{ci32(1), f32([]int{2, 4}, seq(8)...)}, outs: []*op.TensorInfo{outInfo(tensor.Float32), outInfo(tensor.Float32)}, wantShape: [][]int{{2, 2}, {2, 2}}, want: [][]float64{{0, 1, 4, 5}, {2, 3, 6, 7}}},
		{name: "split uneven", op: "SPLIT", ins: []*tv{ci32(0), f32([]int{3}, 0, 1, 2)}, outs: []*op.TensorInfo{outInfo(tensor.Float32), outInfo(tensor.Float32)}, err: op.ErrInvalidModel},
		{name: "split_v", op: "SPLIT_V", ins: []*tv{f32([]int{5}, seq(5)...), ci32(1, -1, 2), ci32(0)}, outs: []*op.TensorInfo{outInfo(tensor.Float32), outInfo(tensor.Float32), outInfo(tensor.Float32)}, wantShape: [][]int{{1}, {2}, {2}}, want: [][]float64{{0}, {1, 2}, {3, 4}}},
		{name: "split_v bad sum", op: "SPLIT_V", ins: []*tv{f32([]int{5}, seq(5)...), ci32(1, 2), ci32(0)}, outs: []*op.TensorInfo{outInfo(tensor.Float32), outInfo(tensor.Float32)}, err: op.ErrInvalidModel},
	})
}

func TestPadGather(t *testing.T) {
	pads := padsOf
	runCases(t, []opCase{
		{name: "pad float", op: "PAD", ins: []*tv{f32([]int{1, 2}, 1, 2), pads(1, 0, 1, 1)}, outs: o(tensor.Float32), wantShape: sh(2, 4), want: w(0, 0, 0, 0, 0, 1, 2, 0)},
		{name: "pad int8 zero point", op: "PAD", ins: []*tv{quant(mk(tensor.Int8, []int{2}, []int8{1, 2}), 0.5, -3), pads(1, 2)}, outs: []*op.TensorInfo{qout(tensor.Int8, 0.5, -3)}, want: w(-3, 1, 2, -3, -3)},
		{name: "pad int16", op: "PAD", ins: []*tv{quant(mk(tensor.Int16, []int{2}, []int16{-300, 300}), 0.5, 0), pads(0, 1)}, outs: []*op.TensorInfo{qout(tensor.Int16, 0.5, 0)}, want: w(-300, 300, 0)},
		{name: "padv2 constant", op: "PADV2", ins: []*tv{f32([]int{2}, 1, 2), pads(1, 1), constScalar(f32([]int{}, 9))}, outs: o(tensor.Float32), want: w(9, 1, 2, 9)},
		{name: "pad int64 paddings", op: "PAD", ins: []*tv{f32([]int{2}, 1, 2), func() *tv { p := ci64(0, 2); p.info.Shape = []int{1, 2}; return p }()}, outs: o(tensor.Float32), want: w(1, 2, 0, 0)},
		{name: "pad negative", op: "PAD", ins: []*tv{f32([]int{2}, 1, 2), pads(-1, 0)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "pad wrong paddings shape", op: "PAD", ins: []*tv{f32([]int{2}, 1, 2), ci32(0, 0, 0, 0)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "gather axis 0", op: "GATHER", ins: []*tv{f32([]int{3, 2}, seq(6)...), mk(tensor.Int32, []int{2}, []int32{2, 0})}, outs: o(tensor.Float32), wantShape: sh(2, 2), want: w(4, 5, 0, 1)},
		{name: "gather axis 1 int64", op: "GATHER", opts: &op.GatherOptions{Axis: 1}, ins: []*tv{f32([]int{2, 3}, seq(6)...), mk(tensor.Int64, []int{1, 2}, []int64{1, 1})}, outs: o(tensor.Float32), wantShape: sh(2, 1, 2), want: w(1, 1, 4, 4)},
		{name: "gather batch dims", op: "GATHER", opts: &op.GatherOptions{Axis: 1, BatchDims: 1}, ins: []*tv{f32([]int{2, 3}, seq(6)...), mk(tensor.Int32, []int{2, 1}, []int32{2, 0})}, outs: o(tensor.Float32), wantShape: sh(2, 1), want: w(2, 3)},
		{name: "gather bad axis", op: "GATHER", opts: &op.GatherOptions{Axis: 2}, ins: []*tv{f32([]int{2, 3}, seq(6)...), mk(tensor.Int32, []int{1}, []int32{0})}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "gather float indices", op: "GATHER", ins: []*tv{f32([]int{2}, 0, 1), f32([]int{1}, 0)}, outs: o(tensor.Float32), err: op.ErrUnsupported},
		{name: "gather out of range at eval", op: "GATHER", ins: []*tv{f32([]int{2}, 0, 1), mk(tensor.Int32, []int{1}, []int32{2})}, outs: o(tensor.Float32), err: op.ErrInput},
		{name: "gather negative at eval", op: "GATHER", ins: []*tv{f32([]int{2}, 0, 1), mk(tensor.Int64, []int{1}, []int64{-1})}, outs: o(tensor.Float32), err: op.ErrInput},
	})
}

func TestReduceArg(t *testing.T) {
	x := func() *tv { return f32([]int{2, 3}, 1, 5, 3, -4, 2, 0) }
	runCases(t, []opCase{
		{name: "sum axis 1", op: "SUM", ins: []*tv{x(), ci32(1)}, outs: o(tensor.Float32), wantShape: sh(2), want: w(9, -2)},
		{name: "sum negative axis keep", op: "SUM", opts: &op.ReducerOptions{KeepDims: true}, ins: []*tv{x(), ci32(-2)}, outs: o(tensor.Float32), wantShape: sh(1, 3), want: w(-3, 7, 3)},
		{name: "mean all", op: "MEAN", ins: []*tv{x(), ci32(0, 1)}, outs: o(tensor.Float32), wantShape: sh(), want: w(float64(float32(7) / 6))},
		{name: "mean dup axes", op: "MEAN", ins: []*tv{x(), ci32(1, -1)}, outs: o(tensor.Float32), want: w(3, float64(float32(-2)/3))},
		{name: "max", op: "REDUCE_MAX", ins: []*tv{x(), ci32(0)}, outs: o(tensor.Float32), want: w(1, 5, 3)},
		{name: "min", op: "REDUCE_MIN", ins: []*tv{x(), ci32(1)}, outs: o(tensor.Float32), want: w(1, -4)},
		{name: "max int8", op: "REDUCE_MAX", ins: []*tv{quant(mk(tensor.Int8, []int{2, 2}, []int8{-128, -100, 5, -7}), 1, 0), ci32(1)}, outs: []*op.TensorInfo{qout(tensor.Int8, 1, 0)}, want: w(-100, 5)},
		{name: "max int8 quant differs", op: "REDUCE_MAX", ins: []*tv{quant(mk(tensor.Int8, []int{2}, []int8{1, 2}), 1, 0), ci32(0)}, outs: []*op.TensorInfo{qout(tensor.Int8, 2, 0)}, err: op.ErrUnsupported},
		{name: "sum int32", op: "SUM", ins: []*tv{mk(tensor.Int32, []int{3}, []int32{1, 2, 3}), ci32(0)}, outs: o(tensor.Int32), want: w(6)},
		{name: "mean int32 truncates", op: "MEAN", ins: []*tv{mk(tensor.Int32, []int{2}, []int32{1, 2}), ci32(0)}, outs: o(tensor.Int32), want: w(1)},
		// int8 mean, scales equal: sum-zp·n = 65 rescaled by 1/4 with TFLite's
		// double rounding: multiplier 2^30, shift 1-2 → SRDHM(65,2^30)=33 (32.5
		// rounded up), then 33/2 rounds away from zero to 17; + zp -1 = 16.
		{name: "mean int8", op: "MEAN", ins: []*tv{quant(mk(tensor.Int8, []int{1, 4}, []int8{10, 20, 31, 0}), 0.5, -1), ci32(1)}, outs: []*op.TensorInfo{qout(tensor.Int8, 0.5, -1)}, want: w(16)},
		{name: "mean int8 exact", op: "MEAN", ins: []*tv{quant(mk(tensor.Int8, []int{2, 2}, []int8{10, 20, -4, -6}), 0.5, 0), ci32(1)}, outs: []*op.TensorInfo{qout(tensor.Int8, 0.5, 0)}, want: w(15, -5)},
		// int8 sum into a scale twice as large: (3+5+7)/2 = 7.5 → 8.
		{name: "sum int8 rescale", op: "SUM", ins: []*tv{quant(mk(tensor.Int8, []int{3}, []int8{3, 5, 7}), 1, 0), ci32(0)}, outs: []*op.TensorInfo{qout(tensor.Int8, 2, 0)}, want: w(8)},
		{name: "sum int8 saturates", op: "SUM", ins: []*tv{quant(mk(tensor.Int8, []int{3}, []int8{100, 100, 100}), 1, 0), ci32(0)}, outs: []*op.TensorInfo{qout(tensor.Int8, 1, 0)}, want: w(127)},
		{name: "reduce bad axis", op: "SUM", ins: []*tv{x(), ci32(2)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "reduce non-const axis", op: "SUM", ins: []*tv{x(), mk(tensor.Int32, []int{1}, []int32{0})}, outs: o(tensor.Float32), err: op.ErrUnsupported},
		{name: "reduce bool", op: "SUM", ins: []*tv{mk(tensor.Uint8, []int{1}, []uint8{1}), ci32(0)}, outs: o(tensor.Bool), err: op.ErrInvalidModel},
		{name: "argmax int32 out", op: "ARG_MAX", ins: []*tv{x(), ci32(1)}, outs: o(tensor.Int32), wantShape: sh(2), want: w(1, 1)},
		{name: "argmin int64 out axis 0", op: "ARG_MIN", opts: &op.ArgOptions{OutputType: 4}, ins: []*tv{x(), ci64(0)}, outs: o(tensor.Int64), want: w(1, 1, 1)},
		{name: "argmax ties first", op: "ARG_MAX", ins: []*tv{mk(tensor.Int8, []int{4}, []int8{3, 7, 7, 1}), ci32(0)}, outs: o(tensor.Int32), want: w(1)},
		{name: "argmax bad output", op: "ARG_MAX", ins: []*tv{x(), ci32(0)}, outs: o(tensor.Float32), err: op.ErrUnsupported},
	})
}

func TestResize(t *testing.T) {
	img := func() *tv { return f32([]int{1, 2, 2, 1}, 0, 1, 2, 3) }
	runCases(t, []opCase{
		{name: "nearest 2x", op: "RESIZE_NEAREST_NEIGHBOR", ins: []*tv{img(), ci32(4, 4)}, outs: o(tensor.Float32), wantShape: sh(1, 4, 4, 1),
			want: w(0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3)},
		{name: "nearest align corners", op: "RESIZE_NEAREST_NEIGHBOR", opts: &op.ResizeOptions{AlignCorners: true}, ins: []*tv{img(), ci32(1, 3)}, outs: o(tensor.Float32),
			// x scale (2-1)/(3-1)=0.5: round(0)=0, round(0.5)=1, round(1)=1.
			want: w(0, 1, 1)},
		{name: "bilinear 2x", op: "RESIZE_BILINEAR", ins: []*tv{img(), ci32(4, 4)}, outs: o(tensor.Float32), wantShape: sh(1, 4, 4, 1),
			want: w(0, 0.5, 1, 1, 1, 1.5, 2, 2, 2, 2.5, 3, 3, 2, 2.5, 3, 3)},
		{name: "bilinear align corners", op: "RESIZE_BILINEAR", opts: &op.ResizeOptions{AlignCorners: true}, ins: []*tv{img(), ci32(3, 3)}, outs: o(tensor.Float32),
			want: w(0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3)},
		{name: "bilinear half pixel", op: "RESIZE_BILINEAR", opts: &op.ResizeOptions{HalfPixelCenters: true}, ins: []*tv{img(), ci32(4, 4)}, outs: o(tensor.Float32),
			want: w(0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3)},
		{name: "bilinear int8 2x", op: "RESIZE_BILINEAR", ins: []*tv{quant(mk(tensor.Int8, []int{1, 2, 2, 1}, []int8{0, 10, 20, -30}), 1, 0), ci32(2, 4)}, outs: []*op.TensorInfo{qout(tensor.Int8, 1, 0)},
			// x weights 0, 0.5 at x=1: 5; row 2: 20, -5 (−5 rounds away from zero).
			want: w(0, 5, 10, 10, 20, -5, -30, -30)},
		{name: "bilinear both flags", op: "RESIZE_BILINEAR", opts: &op.ResizeOptions{AlignCorners: true, HalfPixelCenters: true}, ins: []*tv{img(), ci32(4, 4)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "resize rank 3", op: "RESIZE_BILINEAR", ins: []*tv{f32([]int{2, 2, 1}, 0, 1, 2, 3), ci32(4, 4)}, outs: o(tensor.Float32), err: op.ErrUnsupported},
		{name: "resize zero size", op: "RESIZE_BILINEAR", ins: []*tv{img(), ci32(0, 4)}, outs: o(tensor.Float32), err: op.ErrInvalidModel},
		{name: "resize bilinear bool", op: "RESIZE_BILINEAR", ins: []*tv{mk(tensor.Bool, []int{1, 1, 1, 1}, []uint8{1}), ci32(2, 2)}, outs: o(tensor.Bool), err: op.ErrUnsupported},
	})
}

func TestArity(t *testing.T) {
	for _, name := range []string{"MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "ARG_MAX", "ARG_MIN", "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "SHAPE", "TRANSPOSE", "CONCATENATION", "PACK", "UNPACK", "SPLIT", "SPLIT_V", "SLICE", "STRIDED_SLICE", "PAD", "PADV2", "GATHER", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"} {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, name, nil, nil, o(tensor.Float32))
			wantErr(t, err, op.ErrInvalidModel)
			_, err = run(t, name, nil, []*tv{f32([]int{2}, 0, 1), ci32(0), ci32(0), ci32(0), ci32(0)}, nil)
			if err == nil {
				t.Fatal("no error for bad arity")
			}
			_, err = run(t, name, &op.Conv2DOptions{}, []*tv{f32([]int{2}, 0, 1), ci32(0)}, o(tensor.Float32))
			if err == nil && name != "SHAPE" && name != "SQUEEZE" && name != "EXPAND_DIMS" && name != "TRANSPOSE" {
				t.Fatal("no error for options of the wrong type")
			}
		})
	}
}
