package detection

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	kdet "github.com/edgeinfer/edgeinfer/tflite/kernels/detection"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// maxPoses bounds max_detections of PosenetDecoderOp.
const maxPoses = 1 << 12

// maxMaskCells bounds the instance-mask output (max_detections · H · W).
const maxMaskCells = 1 << 24

// PreparePosenetDecoder prepares Coral's PosenetDecoderOp: inputs keypoint
// heatmaps [1,H,W,17] (logits), short offsets [1,H,W,34] and mid offsets
// [1,H,W,64] (pixels; y channels first), float32 or uint8 quantized per
// tensor; options (FlexBuffer) max_detections, score_threshold, stride,
// nms_radius. Outputs (float32): keypoints [1,D,17,2] (y, x in pixels),
// keypoint scores [1,D,17], pose scores [1,D] and the pose count [1].
// Coral's BodyPix form adds a fourth input, long-range offsets [1,H,W,34]
// (pixels), and a fifth output, person instance masks [1,D,H,W] (see
// kdet.DecodeInstanceMasks; Coral sizes it 33×33, so a square field is
// required).
func PreparePosenetDecoder(n *op.Node) (op.Kernel, error) {
	masks := len(n.Inputs) == 4
	nOut := 4
	if masks {
		nOut = 5
	}
	if err := n.CheckArity(3, 4, nOut); err != nil {
		return op.Kernel{}, err
	}
	opts, err := op.ParseFlexMap(n.CustomOptions)
	if err != nil {
		return op.Kernel{}, n.Invalidf("custom options: %v", err)
	}
	var p kdet.PoseParams
	var ok bool
	if p.MaxDetections, ok = opts.Int("max_detections", 0); !ok || p.MaxDetections < 1 || p.MaxDetections > maxPoses {
		return op.Kernel{}, n.Invalidf("max_detections outside [1, %d]", maxPoses)
	}
	if p.Stride, ok = opts.Int("stride", 0); !ok || p.Stride < 1 || p.Stride > 1<<12 {
		return op.Kernel{}, n.Invalidf("stride is not a positive integer")
	}
	if p.ScoreThreshold, ok = opts.Float("score_threshold", 0); !ok || !(p.ScoreThreshold >= 0 && p.ScoreThreshold <= 1) {
		return op.Kernel{}, n.Invalidf("score_threshold outside [0, 1]")
	}
	radius, ok := opts.Float("nms_radius", 0)
	if !ok || !(radius >= 0) || math.IsInf(float64(radius), 0) {
		return op.Kernel{}, n.Invalidf("nms_radius is not a non-negative number")
	}
	p.NMSRadius = radius / float32(p.Stride)
	p.RefineSteps = 5
	heat := n.Inputs[0]
	channels := []int{kdet.PoseKeypoints, 2 * kdet.PoseKeypoints, 64, 2 * kdet.PoseKeypoints}
	for i, want := range channels[:len(n.Inputs)] {
		t := n.Inputs[i]
		if len(t.Shape) != 4 || t.Shape[0] != 1 || t.Shape[3] != want || t.Shape[1] < 1 || t.Shape[2] < 1 ||
			t.Shape[1] != heat.Shape[1] || t.Shape[2] != heat.Shape[2] || t.Shape[1] > 1<<12 || t.Shape[2] > 1<<12 {
			return op.Kernel{}, n.Invalidf("input %d has shape %v; want [1, H, W, %d] with the heatmaps' H and W", i, t.Shape, want)
		}
		if t.DType != tensor.Float32 && t.DType != tensor.Uint8 {
			return op.Kernel{}, n.Errorf("input %d is %s; want float32 or uint8", i, t.DType)
		}
	}
	p.Height, p.Width = heat.Shape[1], heat.Shape[2]
	if masks && p.Height != p.Width {
		return op.Kernel{}, n.Errorf("instance masks need a square field (Coral's op fixes 33×33), have %d×%d", p.Height, p.Width)
	}
	if masks && p.MaxDetections*p.Height*p.Width > maxMaskCells {
		return op.Kernel{}, n.Errorf("%d masks of %d×%d cells exceed %d cells", p.MaxDetections, p.Height, p.Width, maxMaskCells)
	}
	// Dequantize as Coral does: (q − zero point)·scale, the offsets also
	// divided by the stride.
	inv := float32(1.0 / float64(p.Stride))
	deq := make([]func(*tensor.Tensor, []float32), len(n.Inputs))
	for i, t := range n.Inputs {
		extra := float32(1)
		if i > 0 {
			extra = inv
		}
		if t.DType == tensor.Float32 {
			deq[i] = func(src *tensor.Tensor, dst []float32) {
				for j, v := range src.Float32s() {
					dst[j] = v * extra
				}
			}
			continue
		}
		s, z, ok := t.Scale()
		if !ok || !(s > 0) || math.IsInf(s, 0) {
			return op.Kernel{}, n.Errorf("input %d must be quantized per tensor with a positive scale", i)
		}
		scale, zp := float32(s)*extra, float32(z)
		deq[i] = func(src *tensor.Tensor, dst []float32) {
			for j, v := range src.Uint8s() {
				dst[j] = (float32(v) - zp) * scale
			}
		}
	}
	d := p.MaxDetections
	shapes := []tensor.Shape{{1, d, kdet.PoseKeypoints, 2}, {1, d, kdet.PoseKeypoints}, {1, d}, {1}, {1, d, p.Height, p.Width}}
	for i, o := range n.Outputs {
		if o.DType != tensor.Float32 {
			return op.Kernel{}, n.Errorf("output %d is %s, want float32", i, o.DType)
		}
		o.Shape = shapes[i]
	}
	cells := p.Height * p.Width
	per := 17 + 34 + 64
	if masks {
		per += 34
	}
	return op.Kernel{
		NewState: func() any { return make([]float32, cells*per) },
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			buf, ok := x.State.([]float32)
			if !ok {
				buf = make([]float32, cells*per)
			}
			hs, ss, ms := buf[:cells*17], buf[cells*17:cells*51], buf[cells*51:cells*115]
			deq[0](in[0], hs)
			deq[1](in[1], ss)
			deq[2](in[2], ms)
			count := kdet.DecodePoses(&p, hs, ss, ms, out[0].Float32s(), out[1].Float32s(), out[2].Float32s())
			out[3].Float32s()[0] = float32(count)
			if masks {
				ls := buf[cells*115:]
				deq[3](in[3], ls)
				kdet.DecodeInstanceMasks(&p, ls, out[0].Float32s(), count, out[4].Float32s())
			}
			return nil
		},
	}, nil
}
