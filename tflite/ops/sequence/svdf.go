package sequence

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
	ks "github.com/edgeinfer/edgeinfer/tflite/kernels/sequence"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// prepareSVDF prepares SVDF: input [B, I], feature weights [F, I], time
// weights [F, M], optional bias [F/rank], state [B, F·M] (variable);
// output [B, F/rank].
func prepareSVDF(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(4, 5, 1); err != nil {
		return op.Kernel{}, err
	}
	o, _ := n.Options.(*op.SVDFOptions)
	if o == nil {
		o = &op.SVDFOptions{}
	}
	in, wf, wt, out := n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Outputs[0]
	bias, state := n.Input(3), n.Input(4)
	if len(n.Inputs) == 4 {
		// TensorFlow Lite's four-input form has no bias.
		bias, state = nil, n.Inputs[3]
	}
	if state == nil {
		return op.Kernel{}, n.Invalidf("state input is missing")
	}
	if !state.Variable {
		return op.Kernel{}, n.Invalidf("state %q is not a variable tensor", state.Name)
	}
	for _, t := range []*op.TensorInfo{in, wf, wt, state} {
		if len(t.Shape) != 2 || t.Shape[0] <= 0 || t.Shape[1] <= 0 {
			return op.Kernel{}, n.Invalidf("%q has shape %s, want a matrix", t.Name, t.Shape)
		}
	}
	d := ks.SVDFDims{Batch: in.Shape[0], Input: in.Shape[1], Filters: wf.Shape[0], Memory: wt.Shape[1], Rank: o.Rank}
	if d.Rank <= 0 || d.Filters%d.Rank != 0 {
		return op.Kernel{}, n.Invalidf("rank %d does not divide %d filters", d.Rank, d.Filters)
	}
	d.Units = d.Filters / d.Rank
	if wf.Shape[1] != d.Input || wt.Shape[0] != d.Filters {
		return op.Kernel{}, n.Invalidf("weights %s and %s do not fit input %s", wf.Shape, wt.Shape, in.Shape)
	}
	if state.Shape[0] != d.Batch || state.Shape[1] != d.Memory*d.Filters {
		return op.Kernel{}, n.Invalidf("state has shape %s, want [%d,%d]", state.Shape, d.Batch, d.Memory*d.Filters)
	}
	if bias != nil && (len(bias.Shape) != 1 || bias.Shape[0] != d.Units || !bias.IsConst()) {
		return op.Kernel{}, n.Errorf("bias must be a constant [%d]", d.Units)
	}
	if !wf.IsConst() || !wt.IsConst() {
		return op.Kernel{}, n.Errorf("weights must be constant")
	}
	out.Shape = tensor.Shape{d.Batch, d.Units}
	if out.DType != in.DType {
		return op.Kernel{}, n.Errorf("input %s and output %s differ", in.DType, out.DType)
	}
	switch {
	case in.DType == tensor.Float32 && wf.DType == tensor.Int8:
		return prepareSVDFHybrid(n, d, o, in, wf, wt, bias, state)
	case in.DType == tensor.Float32:
		for _, t := range []*op.TensorInfo{wf, wt, state, bias} {
			if t != nil && t.DType != tensor.Float32 {
				return op.Kernel{}, n.Errorf("%q is %s, want float32", t.Name, t.DType)
			}
		}
		act, err := floatActivation(n, o.Activation)
		if err != nil {
			return op.Kernel{}, err
		}
		v, err := n.Shared("svdf-float", func() (any, error) {
			return gemm.PackF32(wf.ConstTensor().Float32s(), nil, d.Filters, d.Input), nil
		})
		if err != nil {
			return op.Kernel{}, err
		}
		s := &ks.SVDFFloat{SVDFDims: d, Feature: v.(*gemm.PackedF32), Time: wt.ConstTensor().Float32s(), Act: act}
		if bias != nil {
			s.Bias = bias.ConstTensor().Float32s()
		}
		return op.Kernel{Scratch: s.ScratchBytes(), Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			s.Run(in[0].Float32s(), in[len(in)-1].Float32s(), out[0].Float32s(), x.Scratch)
			return nil
		}}, nil
	case in.DType == tensor.Int8 && wf.DType == tensor.Int8:
		if wt.DType != state.DType || (wt.DType != tensor.Int8 && wt.DType != tensor.Int16) {
			return op.Kernel{}, n.Errorf("time weights %s with state %s are not supported (int8 or int16, the same)", wt.DType, state.DType)
		}
		if bias != nil && bias.DType != tensor.Int32 {
			return op.Kernel{}, n.Errorf("bias is %s, want int32", bias.DType)
		}
		s, err := newSVDFInt(n, d, in, wf, wt, bias, state, out)
		if err != nil {
			return op.Kernel{}, err
		}
		if wt.DType == tensor.Int16 {
			return op.Kernel{Scratch: s.ScratchBytes(), Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
				ks.RunSVDF(s, in[0].Int8s(), in[2].Int16s(), in[len(in)-1].Int16s(), out[0].Int8s(), x.Scratch)
				return nil
			}}, nil
		}
		return op.Kernel{Scratch: s.ScratchBytes(), Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			ks.RunSVDF(s, in[0].Int8s(), in[2].Int8s(), in[len(in)-1].Int8s(), out[0].Int8s(), x.Scratch)
			return nil
		}}, nil
	}
	return op.Kernel{}, n.Errorf("input %s with feature weights %s is not supported", in.DType, wf.DType)
}

// newSVDFInt derives TensorFlow Lite Micro's int8 SVDF parameters.
func newSVDFInt(n *op.Node, d ks.SVDFDims, in, wf, wt, bias, state, out *op.TensorInfo) (*ks.SVDFInt, error) {
	q := map[string]qscale{}
	for name, t := range map[string]*op.TensorInfo{"input": in, "feature weights": wf, "time weights": wt, "state": state, "output": out} {
		s, err := scaleOf(n, t, name)
		if err != nil {
			return nil, err
		}
		q[name] = s
	}
	if q["feature weights"].zero != 0 || q["time weights"].zero != 0 {
		return nil, n.Errorf("weight zero points must be 0")
	}
	// TensorFlow Lite Micro computes both scales in float32.
	s1 := float32(float32(q["input"].scale*q["feature weights"].scale) / q["state"].scale)
	s2 := float32(float32(q["state"].scale*q["time weights"].scale) / q["output"].scale)
	if bias != nil {
		bq, err := scaleOf(n, bias, "bias")
		if err != nil {
			return nil, err
		}
		if math.Abs(float64(bq.scale)-float64(q["state"].scale*q["time weights"].scale)) >= 1e-5 {
			return nil, n.Invalidf("bias scale %g does not match state·time weights %g", bq.scale, q["state"].scale*q["time weights"].scale)
		}
	}
	s := &ks.SVDFInt{SVDFDims: d, StateZero: q["state"].zero, OutputZero: q["output"].zero, FeatureBias: make([]int32, d.Filters)}
	s.Mult1, s.Shift1 = kernels.QuantizeMultiplier(float64(s1))
	s.Mult2, s.Shift2 = kernels.QuantizeMultiplier(float64(s2))
	w := wf.ConstTensor().Int8s()
	for i := range d.Filters {
		var sum int32
		for _, v := range w[i*d.Input : (i+1)*d.Input] {
			sum += int32(v)
		}
		s.FeatureBias[i] = -q["input"].zero * sum
	}
	if bias != nil {
		s.Bias = bias.ConstTensor().Int32s()
	}
	v, err := n.Shared("svdf-int8", func() (any, error) { return gemm.PackInt8Acc(w, d.Filters, d.Input), nil })
	if err != nil {
		return nil, err
	}
	s.Feature = v.(*gemm.PackedInt8)
	return s, nil
}

// floatActivation returns a fused activation as a function of one value.
func floatActivation(n *op.Node, act op.Activation) (func(float32) float32, error) {
	switch act {
	case op.ActTanh:
		return func(v float32) float32 { return float32(math.Tanh(float64(v))) }, nil
	case op.ActSignBit:
		return func(v float32) float32 {
			if math.Signbit(float64(v)) {
				return 1
			}
			return 0
		}, nil
	}
	lo, hi, ok := op.ActivationRangeFloat(act)
	if !ok {
		return nil, n.Errorf("activation %d is not supported", act)
	}
	return func(v float32) float32 { return min(max(v, lo), hi) }, nil
}

// prepareSVDFHybrid prepares a hybrid SVDF as TensorFlow Lite runs it:
// float32 input, state, bias and output; int8 feature and time weights
// (per tensor, zero point 0), the time weights dequantized once; input
// rows quantized symmetrically (asymmetric inputs are not supported).
func prepareSVDFHybrid(n *op.Node, d ks.SVDFDims, o *op.SVDFOptions, in, wf, wt, bias, state *op.TensorInfo) (op.Kernel, error) {
	if o.AsymmetricQuantizeInputs {
		return op.Kernel{}, n.Errorf("hybrid SVDF with asymmetric input quantization is not supported")
	}
	for _, t := range []*op.TensorInfo{state, bias} {
		if t != nil && t.DType != tensor.Float32 {
			return op.Kernel{}, n.Errorf("%q is %s, want float32", t.Name, t.DType)
		}
	}
	if wt.DType != tensor.Int8 {
		return op.Kernel{}, n.Errorf("time weights are %s, want int8 with int8 feature weights", wt.DType)
	}
	fs, err := scaleOf(n, wf, "feature weights")
	if err != nil {
		return op.Kernel{}, err
	}
	ts, err := scaleOf(n, wt, "time weights")
	if err != nil {
		return op.Kernel{}, err
	}
	if fs.zero != 0 || ts.zero != 0 {
		return op.Kernel{}, n.Errorf("hybrid weights need zero point 0")
	}
	act, err := floatActivation(n, o.Activation)
	if err != nil {
		return op.Kernel{}, err
	}
	w := wf.ConstTensor().Int8s()
	v, err := n.Shared("svdf-hybrid", func() (any, error) { return gemm.PackInt8Acc(w, d.Filters, d.Input), nil })
	if err != nil {
		return op.Kernel{}, err
	}
	time := make([]float32, d.Filters*d.Memory)
	for i, t := range wt.ConstTensor().Int8s() {
		time[i] = float32(t) * ts.scale
	}
	s := &ks.SVDFFloat{SVDFDims: d, Time: time, Act: act, Hybrid: v.(*gemm.PackedInt8), FeatureScale: fs.scale}
	if bias != nil {
		s.Bias = bias.ConstTensor().Float32s()
	}
	return op.Kernel{Scratch: s.ScratchBytes(), Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		s.Run(in[0].Float32s(), in[len(in)-1].Float32s(), out[0].Float32s(), x.Scratch)
		return nil
	}}, nil
}
