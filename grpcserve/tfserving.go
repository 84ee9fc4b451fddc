package grpcserve

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/edgeinfer/edgeinfer/grpcserve/pb/tensorflow"
	"github.com/edgeinfer/edgeinfer/grpcserve/pb/tfserving"
	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// predictionService is tensorflow.serving.PredictionService over the core.
type predictionService struct {
	tfserving.UnimplementedPredictionServiceServer
	s *Server
}

// modelService is tensorflow.serving.ModelService over the core.
type modelService struct {
	tfserving.UnimplementedModelServiceServer
	s *Server
}

// defaultSignature is the one signature a TFLite model is served under.
const defaultSignature = "serving_default"

var tfDTypes = [...]struct {
	tf tensorflow.DataType
	dt tensor.DType
}{
	{tensorflow.DataType_DT_FLOAT, tensor.Float32}, {tensorflow.DataType_DT_DOUBLE, tensor.Float64},
	{tensorflow.DataType_DT_HALF, tensor.Float16}, {tensorflow.DataType_DT_INT8, tensor.Int8},
	{tensorflow.DataType_DT_INT16, tensor.Int16}, {tensorflow.DataType_DT_INT32, tensor.Int32},
	{tensorflow.DataType_DT_INT64, tensor.Int64}, {tensorflow.DataType_DT_UINT8, tensor.Uint8},
	{tensorflow.DataType_DT_UINT16, tensor.Uint16}, {tensorflow.DataType_DT_UINT32, tensor.Uint32},
	{tensorflow.DataType_DT_UINT64, tensor.Uint64}, {tensorflow.DataType_DT_BOOL, tensor.Bool},
}

func tfOf(dt tensor.DType) tensorflow.DataType {
	for _, e := range tfDTypes {
		if e.dt == dt {
			return e.tf
		}
	}
	if dt == tensor.String {
		return tensorflow.DataType_DT_STRING
	}
	return tensorflow.DataType_DT_INVALID
}

func dtOf(tf tensorflow.DataType) (tensor.DType, error) {
	for _, e := range tfDTypes {
		if e.tf == tf {
			return e.dt, nil
		}
	}
	return 0, fmt.Errorf("%w: dtype %v is not supported", serving.ErrInvalid, tf)
}

// tfRef reads a ModelSpec.
func tfRef(spec *tfserving.ModelSpec) (serving.Ref, error) {
	ref := serving.Ref{Model: spec.GetName()}
	if err := serving.CheckModelName(ref.Model); err != nil {
		return ref, err
	}
	if sig := spec.GetSignatureName(); sig != "" && sig != defaultSignature {
		return ref, fmt.Errorf("%w: model %q has no signature %q (only %q)", serving.ErrInvalid, ref.Model, clip(sig), defaultSignature)
	}
	switch vc := spec.GetVersionChoice().(type) {
	case *tfserving.ModelSpec_Version:
		if vc.Version.GetValue() <= 0 {
			return ref, fmt.Errorf("%w: bad model version %d", serving.ErrInvalid, vc.Version.GetValue())
		}
		ref.Version = vc.Version.GetValue()
	case *tfserving.ModelSpec_VersionLabel:
		ref.Label = vc.VersionLabel
	}
	return ref, nil
}

func tfShape(s tensor.Shape) *tensorflow.TensorShapeProto {
	p := &tensorflow.TensorShapeProto{Dim: make([]*tensorflow.TensorShapeProto_Dim, len(s))}
	for i, d := range s {
		p.Dim[i] = &tensorflow.TensorShapeProto_Dim{Size: int64(d)}
	}
	return p
}

// tfInput decodes one TensorProto: tensor_content is used in place; typed
// values (one value fills the whole shape, as in TensorFlow) are checked
// against the shape before the tensor is allocated.
func tfInput(name string, p *tensorflow.TensorProto, maxElements int, reserve func(int64) error) (*tensor.Tensor, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: input %q is empty", serving.ErrInvalid, clip(name))
	}
	dt, err := dtOf(p.GetDtype())
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", clip(name), err)
	}
	if p.GetTensorShape().GetUnknownRank() {
		return nil, fmt.Errorf("%w: input %q has an unknown rank", serving.ErrInvalid, clip(name))
	}
	dims := make([]int64, len(p.GetTensorShape().GetDim()))
	for i, d := range p.GetTensorShape().GetDim() {
		dims[i] = d.GetSize()
	}
	shape, n, err := checkedShape(dims, maxElements)
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", clip(name), err)
	}
	t := &tensor.Tensor{Name: name, DType: dt, Shape: shape}
	size := n * dt.Size()
	if c := p.GetTensorContent(); len(c) > 0 {
		if len(c) != size {
			return nil, fmt.Errorf("%w: input %q: tensor_content has %d bytes, shape %v of %v needs %d", serving.ErrInvalid, clip(name), len(c), shape, p.GetDtype(), size)
		}
		t.Data = c
		return t, nil
	}
	var got int
	i32 := p.GetIntVal()
	var u32 []uint32
	switch dt {
	case tensor.Float32:
		got = len(p.GetFloatVal())
	case tensor.Float64:
		got = len(p.GetDoubleVal())
	case tensor.Float16:
		got = len(p.GetHalfVal())
	case tensor.Int8, tensor.Int16, tensor.Int32:
		got = len(i32)
	case tensor.Uint8, tensor.Uint16:
		// TensorFlow keeps uint8 and uint16 values in int_val.
		got = len(i32)
	case tensor.Int64:
		got = len(p.GetInt64Val())
	case tensor.Uint32:
		got = len(p.GetUint32Val())
	case tensor.Uint64:
		got = len(p.GetUint64Val())
	case tensor.Bool:
		got = len(p.GetBoolVal())
	}
	if got != n && (got != 1 || n == 0) {
		return nil, fmt.Errorf("%w: input %q: %d values of %v, shape %v needs %d", serving.ErrInvalid, clip(name), got, p.GetDtype(), shape, n)
	}
	if err := reserve(int64(size)); err != nil {
		return nil, err
	}
	if dt == tensor.Uint8 || dt == tensor.Uint16 {
		u32 = make([]uint32, len(i32))
		for i, v := range i32 {
			if v < 0 {
				return nil, fmt.Errorf("%w: input %q: value %d at %d is out of range for %v", serving.ErrInvalid, clip(name), v, i, p.GetDtype())
			}
			u32[i] = uint32(v)
		}
	}
	if dt == tensor.Float16 {
		u32 = make([]uint32, len(p.GetHalfVal()))
		for i, v := range p.GetHalfVal() {
			if v < 0 || v > math.MaxUint16 {
				return nil, fmt.Errorf("%w: input %q: half_val %d at %d is out of range", serving.ErrInvalid, clip(name), v, i)
			}
			u32[i] = uint32(v)
		}
	}
	one := make([]byte, dt.Size()*got)
	fdt := dt
	if dt == tensor.Float16 {
		fdt = tensor.Uint16
	}
	if err := fillTyped(one, fdt, p.GetBoolVal(), i32, p.GetInt64Val(), orU32(u32, p.GetUint32Val()), p.GetUint64Val(), p.GetFloatVal(), p.GetDoubleVal()); err != nil {
		return nil, fmt.Errorf("input %q: %w", clip(name), err)
	}
	if got == n {
		t.Data = one
		return t, nil
	}
	t.Data = make([]byte, size)
	for i := 0; i < size; i += len(one) {
		copy(t.Data[i:], one)
	}
	return t, nil
}

func orU32(a, b []uint32) []uint32 {
	if a != nil {
		return a
	}
	return b
}

// Predict runs one inference. Outputs are answered in tensor_content
// (little-endian, as TensorFlow's tensor_util.MakeNdarray reads it).
func (p *predictionService) Predict(ctx context.Context, req *tfserving.PredictRequest) (*tfserving.PredictResponse, error) {
	start := time.Now()
	resp, err := p.predict(ctx, req)
	p.s.core.ObserveRequest(req.GetModelSpec().GetName(), err, start)
	return resp, err
}

func (p *predictionService) predict(ctx context.Context, req *tfserving.PredictRequest) (*tfserving.PredictResponse, error) {
	ref, err := tfRef(req.GetModelSpec())
	if err != nil {
		return nil, err
	}
	d, err := timeout(ctx)
	if err != nil {
		return nil, err
	}
	if len(req.GetInputs()) == 0 || len(req.GetInputs()) > maxTensors || len(req.GetOutputFilter()) > maxTensors {
		return nil, fmt.Errorf("%w: a request needs 1 to %d inputs and at most %d output_filter names", serving.ErrInvalid, maxTensors, maxTensors)
	}
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	reserve := func(n int64) error {
		rel, err := p.s.core.ReserveMemory(ref.Model, n)
		if err != nil {
			return err
		}
		releases = append(releases, rel)
		return nil
	}
	// The message, read whole by gRPC, is held until the answer is sent.
	if err := reserve(int64(proto.Size(req))); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(req.GetInputs()))
	for name := range req.GetInputs() {
		names = append(names, name)
	}
	sort.Strings(names)
	ins := make([]*tensor.Tensor, len(names))
	total := 0
	for i, name := range names {
		t, err := tfInput(name, req.GetInputs()[name], p.s.cfg.MaxElements-total, reserve)
		if err != nil {
			return nil, err
		}
		total += t.Shape.Elements()
		ins[i] = t
	}
	res, err := p.s.core.Predict(ctx, &serving.Request{Ref: ref, Inputs: ins, Outputs: req.GetOutputFilter(), Timeout: d})
	if err != nil {
		return nil, err
	}
	out := &tfserving.PredictResponse{
		ModelSpec: &tfserving.ModelSpec{Name: res.Model, VersionChoice: &tfserving.ModelSpec_Version{Version: wrapperspb.Int64(res.Version)}, SignatureName: defaultSignature},
		Outputs:   make(map[string]*tensorflow.TensorProto, len(res.Outputs)),
	}
	for _, o := range res.Outputs {
		out.Outputs[o.Name] = &tensorflow.TensorProto{Dtype: tfOf(o.DType), TensorShape: tfShape(o.Shape), TensorContent: o.Data}
	}
	return out, nil
}

func sigTensors(specs []tflite.TensorSpec) map[string]*tensorflow.TensorInfo {
	m := make(map[string]*tensorflow.TensorInfo, len(specs))
	for _, sp := range specs {
		m[sp.Name] = &tensorflow.TensorInfo{Encoding: &tensorflow.TensorInfo_Name{Name: sp.Name}, Dtype: tfOf(sp.DType), TensorShape: tfShape(sp.Shape)}
	}
	return m
}

// GetModelMetadata returns the model's signature_def (the only metadata
// field TensorFlow Serving serves), as GET /v1/models/{m}/metadata.
func (p *predictionService) GetModelMetadata(ctx context.Context, req *tfserving.GetModelMetadataRequest) (*tfserving.GetModelMetadataResponse, error) {
	ref, err := tfRef(req.GetModelSpec())
	if err != nil {
		return nil, err
	}
	fields := req.GetMetadataField()
	if len(fields) != 1 || fields[0] != "signature_def" {
		return nil, fmt.Errorf("%w: metadata_field must be [\"signature_def\"], the only metadata served", serving.ErrInvalid)
	}
	mi, err := p.s.core.Describe(ctx, ref)
	if err != nil {
		return nil, err
	}
	sigs := &tfserving.SignatureDefMap{SignatureDef: map[string]*tensorflow.SignatureDef{
		defaultSignature: {Inputs: sigTensors(mi.Inputs), Outputs: sigTensors(mi.Outputs), MethodName: "tensorflow/serving/predict"},
	}}
	a, err := anypb.New(sigs)
	if err != nil {
		return nil, err
	}
	return &tfserving.GetModelMetadataResponse{
		ModelSpec: &tfserving.ModelSpec{Name: mi.Name, VersionChoice: &tfserving.ModelSpec_Version{Version: wrapperspb.Int64(mi.Version)}},
		Metadata:  map[string]*anypb.Any{"signature_def": a},
	}, nil
}

// Classify is not served: TFLite models have no tf.Example signatures.
func (p *predictionService) Classify(context.Context, *tfserving.ClassificationRequest) (*tfserving.ClassificationResponse, error) {
	return nil, fmt.Errorf("%w: Classify needs a tf.Example classification signature, which TFLite models do not have; use Predict", serving.ErrUnimplemented)
}

// Regress is not served: TFLite models have no tf.Example signatures.
func (p *predictionService) Regress(context.Context, *tfserving.RegressionRequest) (*tfserving.RegressionResponse, error) {
	return nil, fmt.Errorf("%w: Regress needs a tf.Example regression signature, which TFLite models do not have; use Predict", serving.ErrUnimplemented)
}

// GetModelStatus lists the model's versions as GET /v1/models/{m} does.
func (m *modelService) GetModelStatus(ctx context.Context, req *tfserving.GetModelStatusRequest) (*tfserving.GetModelStatusResponse, error) {
	ref, err := tfRef(req.GetModelSpec())
	if err != nil {
		return nil, err
	}
	ms, err := m.s.core.Status(ctx, ref)
	if err != nil {
		return nil, err
	}
	if len(ms.Versions) == 0 && ms.Reason != "" {
		return nil, fmt.Errorf("%w: model %q: %s", serving.ErrUnavailable, ms.Name, ms.Reason)
	}
	out := &tfserving.GetModelStatusResponse{}
	for _, vs := range ms.Versions {
		st := &tfserving.ModelVersionStatus{Version: vs.Version, State: tfserving.ModelVersionStatus_AVAILABLE, Status: &tfserving.StatusProto{}}
		switch vs.State {
		case "LOADING":
			st.State = tfserving.ModelVersionStatus_LOADING
		case "UNAVAILABLE":
			st.State = tfserving.ModelVersionStatus_END
			st.Status.ErrorCode = 14 // UNAVAILABLE
		}
		st.Status.ErrorMessage = vs.Reason
		out.ModelVersionStatus = append(out.ModelVersionStatus, st)
	}
	return out, nil
}
