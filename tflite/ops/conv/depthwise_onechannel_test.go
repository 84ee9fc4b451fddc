package conv

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// TestDepthwiseOneChannelAsConv: a one-input-channel int8 depthwise with
// constant weights runs as a CONV_2D (depthwiseAsConv), or with a 3×3
// window and 2..15 output channels on the padded vector kernel with the
// channel repeated (kconv.DepthwiseInt8Padded); it must give the
// bytes of the generic depthwise kernel, which runs when the filter is not
// constant, over strides, dilations, paddings, multipliers, batches,
// per-tensor and per-channel scales, with and without bias.
func TestDepthwiseOneChannelAsConv(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	type geom struct{ n, h, w, m, kh, kw, sh, sw, dh, dw int }
	for i, g := range []geom{
		{1, 49, 40, 8, 10, 8, 2, 2, 1, 1}, // micro_speech
		{1, 20, 18, 8, 3, 3, 2, 2, 1, 1},  // person_detect's 1→8 (the padded vector kernel)
		{2, 9, 7, 1, 3, 3, 1, 1, 1, 1},
		{1, 12, 11, 13, 3, 3, 2, 1, 1, 2},
		{1, 10, 6, 4, 5, 5, 1, 2, 2, 1},
		{3, 5, 8, 16, 1, 1, 1, 1, 1, 1},
	} {
		for _, same := range []bool{true, false} {
			for _, perChannel := range []bool{true, false} {
				for _, withBias := range []bool{true, false} {
					name := fmt.Sprintf("g%d/same=%v/perchannel=%v/bias=%v", i, same, perChannel, withBias)
					t.Run(name, func(t *testing.T) {
						x := make([]int8, g.n*g.h*g.w)
						for j := range x {
							x[j] = int8(r.IntN(256) - 128)
						}
						f := make([]int8, g.kh*g.kw*g.m)
						for j := range f {
							f[j] = int8(r.IntN(255) - 127)
						}
						scales := []float32{0.002 + 0.01*r.Float32()}
						if perChannel {
							scales = make([]float32, g.m)
							for c := range scales {
								scales[c] = 0.001 + 0.01*r.Float32()
							}
						}
						fq := &tensor.Quant{Scale: scales, ZeroPoint: make([]int64, len(scales)), Axis: 3}
						pad := op.PaddingValid
						if same {
							pad = op.PaddingSame
						}
						node := func(constW bool) *op.Node {
							var fdata []byte
							if constW {
								fdata = bytesOf(f)
							}
							n := &op.Node{Op: "DEPTHWISE_CONV_2D", Options: &op.DepthwiseConv2DOptions{Padding: pad, StrideH: g.sh, StrideW: g.sw,
								DilationH: g.dh, DilationW: g.dw, DepthMultiplier: g.m, Activation: op.ActRelu6},
								Inputs: []*op.TensorInfo{
									info(tensor.Int8, tensor.Shape{g.n, g.h, g.w, 1}, pq(0.05, -7), nil),
									info(tensor.Int8, tensor.Shape{1, g.kh, g.kw, g.m}, fq, fdata),
								},
								Outputs: []*op.TensorInfo{info(tensor.Int8, nil, pq(0.03, -100), nil)}}
							if withBias {
								bias := make([]int32, g.m)
								for c := range bias {
									bias[c] = int32(c*911%4000 - 2000)
								}
								n.Inputs = append(n.Inputs, info(tensor.Int32, tensor.Shape{g.m}, nil, bytesOf(bias)))
							}
							return n
						}
						got := run(t, node(true), bytesOf(x))
						want := run(t, node(false), bytesOf(x), bytesOf(f))
						if !got.Shape.Equal(want.Shape) || !bytes.Equal(got.Data, want.Data) {
							t.Fatalf("as conv %v differs from the depthwise kernel %v", got.Shape, want.Shape)
						}
					})
				}
			}
		}
	}
}
