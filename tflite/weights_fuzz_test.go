package tflite_test

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// sparseSeedModel is a float16 constant in 2x2-block sparse format →
// DENSIFY → DEQUANTIZE → FULLY_CONNECTED: the loader's weight transforms.
func sparseSeedModel(tb testing.TB) []byte {
	b := tflitebuild.New()
	vals := make([]byte, 0, 16)
	for _, h := range []uint16{0x3c00, 0x4000, 0xbc00, 0x3800, 0x3400, 0x3c00, 0x4000, 0xb800} {
		vals = binary.LittleEndian.AppendUint16(vals, h)
	}
	sp := tflitebuild.Sparsity{TraversalOrder: []int{0, 1, 2, 3}, BlockMap: []int{0, 1}, Dims: []tflitebuild.DimMeta{
		{DenseSize: 2}, {Sparse: true, Segments: []int{0, 1, 2}, Indices: []int{1, 0}}, {DenseSize: 2}, {DenseSize: 2}}}
	w16 := b.SparseTensor("w16", tensor.Float16, []int{4, 4}, sp, vals)
	wd := b.Tensor("wd", tensor.Float16, []int{4, 4}, nil, nil)
	b.Op("DENSIFY", []int{w16}, []int{wd}, nil)
	w := b.Tensor("w", tensor.Float32, []int{4, 4}, nil, nil)
	b.Op("DEQUANTIZE", []int{wd}, []int{w}, nil)
	x := b.Tensor("x", tensor.Float32, []int{1, 4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{1, 4}, nil, nil)
	b.Op("FULLY_CONNECTED", []int{x, w}, []int{y}, &op.FullyConnectedOptions{})
	z := b.Tensor("z", tensor.Float32, []int{1, 4}, nil, nil)
	b.Op("RELU", []int{y}, []int{z}, nil)
	b.Inputs(x)
	b.Outputs(z)
	data, err := b.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// hybridSeedModel is a hybrid FULLY_CONNECTED (float input, int8 weights).
func hybridSeedModel(tb testing.TB) []byte {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{2, 3}, nil, nil)
	w := b.Const("w", []int{2, 3}, &tensor.Quant{Scale: []float32{0.1}, ZeroPoint: []int64{0}}, []int8{1, -2, 3, 4, 5, -6})
	y := b.Tensor("y", tensor.Float32, []int{2, 2}, nil, nil)
	b.Op("FULLY_CONNECTED", []int{x, w}, []int{y}, &op.FullyConnectedOptions{AsymmetricQuantizeInputs: true})
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// FuzzLoadWeights fuzzes the loader's weight transforms (sparsity
// metadata, constant folding), the hybrid kernels and the custom
// operators' option parsing (FlexBuffers, raw structs) and kernels
// (detection post-process, NMS, PosenetDecoderOp, MediaPipe's, Flex), seeded from
// models our builder writes.
func FuzzLoadWeights(f *testing.F) {
	f.Add(sparseSeedModel(f))
	f.Add(hybridSeedModel(f))
	for _, dir := range []string{
		filepath.Join("ops", "detection", "testdata", "postprocess", "regular_uint8"),
		filepath.Join("ops", "detection", "testdata", "postprocess", "fast_float_two_classes_each"),
		filepath.Join("ops", "detection", "testdata", "nms", "v4_empty_boxes"),
		filepath.Join("ops", "detection", "testdata", "nms", "v5_soft"),
	} {
		if b, err := os.ReadFile(filepath.Join(dir, "model.tflite")); err == nil {
			f.Add(b)
		}
	}
	mp := tflitebuild.New()
	x := mp.Tensor("x", tensor.Float32, []int{1, 4, 4, 2}, nil, nil)
	v := mp.Tensor("v", tensor.Float32, []int{1, 2, 2, 2}, nil, nil)
	i := mp.Tensor("i", tensor.Float32, []int{1, 2, 2, 2}, nil, nil)
	raw := func(vs ...int32) []byte {
		var out []byte
		for _, n := range vs {
			out = binary.LittleEndian.AppendUint32(out, uint32(n))
		}
		return out
	}
	mp.CustomOp("MaxPoolingWithArgmax2D", []int{x}, []int{v, i}, raw(2, 2, 2, 2, 2, 0))
	u := mp.Tensor("u", tensor.Float32, []int{1, 4, 4, 2}, nil, nil)
	mp.CustomOp("MaxUnpooling2D", []int{v, i}, []int{u}, raw(2, 2, 2, 2, 2, 0))
	w := mp.Const("w", []int{2, 2, 2, 2}, nil, []float32{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, float32(math.Pi)})
	bb := mp.Const("b", []int{2}, nil, []float32{0.5, -0.5})
	t := mp.Tensor("t", tensor.Float32, []int{1, 8, 8, 2}, nil, nil)
	mp.CustomOp("Convolution2DTransposeBias", []int{u, w, bb}, []int{t}, raw(1, 2, 2))
	mp.Inputs(x)
	mp.Outputs(t)
	if data, err := mp.Bytes(); err == nil {
		f.Add(data)
	} else {
		f.Fatal(err)
	}
	// Coral's PosenetDecoderOp on a tiny 3x4 heatmap.
	pn := tflitebuild.New()
	hm := pn.Tensor("heatmaps", tensor.Float32, []int{1, 3, 4, 17}, nil, nil)
	so := pn.Tensor("shorts", tensor.Float32, []int{1, 3, 4, 34}, nil, nil)
	mo := pn.Tensor("mids", tensor.Float32, []int{1, 3, 4, 64}, nil, nil)
	var pouts []int
	for range 4 {
		pouts = append(pouts, pn.Tensor("p", tensor.Float32, nil, nil, nil))
	}
	popts, err := tflitebuild.FlexMap(map[string]any{"max_detections": 2, "score_threshold": float32(0.2), "stride": 8, "nms_radius": float32(10)})
	if err != nil {
		f.Fatal(err)
	}
	pn.CustomOp("PosenetDecoderOp", []int{hm, so, mo}, pouts, popts)
	pn.Inputs(hm, so, mo)
	pn.Outputs(pouts...)
	if data, err := pn.Bytes(); err == nil {
		f.Add(data)
	} else {
		f.Fatal(err)
	}
	// Its BodyPix form: long-range offsets in, instance masks out.
	bp := tflitebuild.New()
	var bins, bouts []int
	for _, c := range []int{17, 34, 64, 34} {
		bins = append(bins, bp.Tensor("in", tensor.Float32, []int{1, 3, 3, c}, nil, nil))
	}
	for range 5 {
		bouts = append(bouts, bp.Tensor("p", tensor.Float32, nil, nil, nil))
	}
	bp.CustomOp("PosenetDecoderOp", bins, bouts, popts)
	bp.Inputs(bins...)
	bp.Outputs(bouts...)
	if data, err := bp.Bytes(); err == nil {
		f.Add(data)
	} else {
		f.Fatal(err)
	}
	// Flex ops (TensorFlow select ops): ScatterNd and a StridedSlice whose
	// begin is known only at run time.
	fx := tflitebuild.New()
	idx := fx.Tensor("indices", tensor.Int32, []int{2, 1}, nil, nil)
	upd := fx.Tensor("updates", tensor.Float32, []int{2, 3}, nil, nil)
	sc := fx.Tensor("scattered", tensor.Float32, []int{4, 3}, nil, nil)
	fx.CustomOp("FlexScatterNd", []int{idx, upd, fx.Const("shape", []int{2}, nil, []int32{4, 3})}, []int{sc}, flexSeedOptions("ScatterNd", nil))
	begin := fx.Tensor("begin", tensor.Int32, []int{1}, nil, nil)
	row := fx.Tensor("row", tensor.Float32, []int{3}, nil, nil)
	one := fx.Const("one", []int{1}, nil, []int32{1})
	fx.CustomOp("FlexStridedSlice", []int{sc, begin, one, one}, []int{row}, flexSeedOptions("StridedSlice", []byte{0x2a, 0x16, 0x0a, 0x10, 's', 'h', 'r', 'i', 'n', 'k', '_', 'a', 'x', 'i', 's', '_', 'm', 'a', 's', 'k', 0x12, 0x02, 0x18, 0x01}))
	fx.Inputs(idx, upd, begin)
	fx.Outputs(row)
	if data, err := fx.Bytes(); err == nil {
		f.Add(data)
	} else {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := tflite.Describe(data); err != nil {
			return
		}
		tryModel(t, data)
	})
}

// flexSeedOptions encodes a Flex op's custom options: a FlexBuffer vector
// of the TensorFlow op name and a NodeDef holding the op name and the
// given encoded attr entries.
func flexSeedOptions(tf string, attrs []byte) []byte {
	nd := append(append([]byte{0x12, byte(len(tf))}, tf...), attrs...)
	var b []byte
	var pos []int
	for _, s := range [][]byte{[]byte(tf), nd} {
		b = append(b, byte(len(s)))
		pos = append(pos, len(b))
		b = append(append(b, s...), 0)
	}
	b = append(b, 2)
	v := len(b)
	b = append(b, byte(v-pos[0]), byte(v+1-pos[1]), 5<<2, 5<<2)
	return append(b, byte(len(b)-v), 10<<2, 1)
}
