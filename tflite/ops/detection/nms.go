package detection

import (
	"encoding/binary"
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	kdet "github.com/edgeinfer/edgeinfer/tflite/kernels/detection"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// maxNMSBoxes bounds the boxes and the selections of NON_MAX_SUPPRESSION.
const maxNMSBoxes = 1 << 20

// nmsState is one Runner's work list.
type nmsState struct{ work []kdet.NMSCandidate }

// prepareNMS prepares NON_MAX_SUPPRESSION_V4 (soft false) and _V5 (soft
// true) on float32: inputs boxes [N, 4], scores [N], max_output_size (an
// int32 scalar constant M: the selection output's size is static), IoU
// and score thresholds (float32 scalars), and for V5 the soft-NMS sigma
// (float32 scalar, negative fails the run as in TFLite); outputs the
// selected indices int32 [M] (unused slots zero), for V5 their scores
// float32 [M], and the number selected (int32 scalar). The int8/int16
// forms are not supported.
func prepareNMS(soft bool) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		nIn, nOut := 5, 2
		if soft {
			nIn, nOut = 6, 3
		}
		if err := n.CheckArity(nIn, nIn, nOut); err != nil {
			return op.Kernel{}, err
		}
		boxes, scores, maxOut := n.Inputs[0], n.Inputs[1], n.Inputs[2]
		if boxes.DType != tensor.Float32 || scores.DType != tensor.Float32 {
			return op.Kernel{}, n.Errorf("boxes %s and scores %s: only float32 is supported", boxes.DType, scores.DType)
		}
		if len(boxes.Shape) != 2 || boxes.Shape[1] != 4 || boxes.Shape[0] < 0 || boxes.Shape[0] > maxNMSBoxes {
			return op.Kernel{}, n.Invalidf("boxes have shape %v, want [N, 4] with N ≤ %d", boxes.Shape, maxNMSBoxes)
		}
		if len(scores.Shape) != 1 || scores.Shape[0] != boxes.Shape[0] {
			return op.Kernel{}, n.Invalidf("scores have shape %v, want [%d]", scores.Shape, boxes.Shape[0])
		}
		if maxOut.DType != tensor.Int32 || len(maxOut.Shape) != 0 {
			return op.Kernel{}, n.Invalidf("max_output_size is %s%v, want an int32 scalar", maxOut.DType, maxOut.Shape)
		}
		if !maxOut.IsConst() || len(maxOut.Const) != 4 {
			return op.Kernel{}, n.Errorf("non-constant max_output_size (a dynamic output size) is not supported")
		}
		m := int(int32(binary.LittleEndian.Uint32(maxOut.Const)))
		if m < 0 || m > maxNMSBoxes {
			return op.Kernel{}, n.Invalidf("max_output_size %d outside [0, %d]", m, maxNMSBoxes)
		}
		for i := 3; i < nIn; i++ {
			if t := n.Inputs[i]; t.DType != tensor.Float32 || len(t.Shape) != 0 {
				return op.Kernel{}, n.Errorf("input %d is %s%v, want a float32 scalar", i, t.DType, t.Shape)
			}
		}
		sel, count := n.Outputs[0], n.Outputs[nOut-1]
		if sel.DType != tensor.Int32 || count.DType != tensor.Int32 {
			return op.Kernel{}, n.Invalidf("outputs are %s and %s, want int32", sel.DType, count.DType)
		}
		sel.Shape, count.Shape = tensor.Shape{m}, tensor.Shape{}
		if soft {
			if o := n.Outputs[1]; o.DType != tensor.Float32 {
				return op.Kernel{}, n.Invalidf("selected scores are %s, want float32", o.DType)
			}
			n.Outputs[1].Shape = tensor.Shape{m}
		}
		nb := boxes.Shape[0]
		return op.Kernel{
			NewState: func() any { return &nmsState{work: make([]kdet.NMSCandidate, 0, nb)} },
			Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
				st, ok := x.State.(*nmsState)
				if !ok {
					st = &nmsState{}
				}
				var sigma float32
				var selScores []float32
				if soft {
					sigma = in[5].Float32s()[0]
					if sigma < 0 {
						return fmt.Errorf("%w: NON_MAX_SUPPRESSION_V5: soft-NMS sigma %v is negative", op.ErrInput, sigma)
					}
					selScores = out[1].Float32s()
				}
				cnt, work := kdet.NonMaxSuppression(in[0].Float32s(), in[1].Float32s(), in[3].Float32s()[0], in[4].Float32s()[0],
					sigma, out[0].Int32s(), selScores, st.work)
				st.work = work
				out[nOut-1].Int32s()[0] = int32(cnt)
				return nil
			},
		}, nil
	}
}
