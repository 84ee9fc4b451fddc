package grpcserve

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/edgeinfer/edgeinfer/grpcserve/pb/inference"
	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// v2Service is inference.GRPCInferenceService over the core.
type v2Service struct {
	inference.UnimplementedGRPCInferenceServiceServer
	s *Server
}

// v2DTypes lists the Open Inference Protocol datatype names edgeinfer
// serves.
var v2DTypes = [...]struct {
	name string
	dt   tensor.DType
}{
	{"BOOL", tensor.Bool}, {"UINT8", tensor.Uint8}, {"UINT16", tensor.Uint16}, {"UINT32", tensor.Uint32},
	{"UINT64", tensor.Uint64}, {"INT8", tensor.Int8}, {"INT16", tensor.Int16}, {"INT32", tensor.Int32},
	{"INT64", tensor.Int64}, {"FP16", tensor.Float16}, {"FP32", tensor.Float32}, {"FP64", tensor.Float64},
}

func v2Name(dt tensor.DType) string {
	for _, e := range v2DTypes {
		if e.dt == dt {
			return e.name
		}
	}
	if dt == tensor.String {
		return "BYTES"
	}
	return "INVALID"
}

func v2DType(name string) (tensor.DType, error) {
	for _, e := range v2DTypes {
		if e.name == name {
			return e.dt, nil
		}
	}
	if name == "BYTES" {
		return 0, fmt.Errorf("%w: BYTES tensors are not supported over gRPC", serving.ErrUnimplemented)
	}
	return 0, fmt.Errorf("%w: unknown datatype %q", serving.ErrInvalid, clip(name))
}

// v2Ref parses a model name and version string ("" for the latest).
func v2Ref(name, version string) (serving.Ref, error) {
	ref := serving.Ref{Model: name}
	if err := serving.CheckModelName(name); err != nil {
		return ref, err
	}
	if version != "" {
		v, err := strconv.ParseInt(version, 10, 64)
		if err != nil || v <= 0 {
			return ref, fmt.Errorf("%w: bad model version %q", serving.ErrInvalid, clip(version))
		}
		ref.Version = v
	}
	return ref, nil
}

// ServerLive reports whether the core is serving.
func (v *v2Service) ServerLive(context.Context, *inference.ServerLiveRequest) (*inference.ServerLiveResponse, error) {
	return &inference.ServerLiveResponse{Live: v.s.core.Live()}, nil
}

// ServerReady reports whether the core is ready for traffic.
func (v *v2Service) ServerReady(context.Context, *inference.ServerReadyRequest) (*inference.ServerReadyResponse, error) {
	return &inference.ServerReadyResponse{Ready: v.s.core.Ready()}, nil
}

// ModelReady reports whether the model has a servable version; a model
// that is not in the repository is NOT_FOUND.
func (v *v2Service) ModelReady(ctx context.Context, req *inference.ModelReadyRequest) (*inference.ModelReadyResponse, error) {
	ref, err := v2Ref(req.GetName(), req.GetVersion())
	if err != nil {
		return nil, err
	}
	err = v.s.core.ModelReady(ctx, ref)
	switch Code(err) {
	case 0:
		return &inference.ModelReadyResponse{Ready: true}, nil
	case Code(serving.ErrUnavailable):
		return &inference.ModelReadyResponse{Ready: false}, nil
	}
	return nil, err
}

// ServerMetadata describes the server as GET /v2 does.
func (v *v2Service) ServerMetadata(context.Context, *inference.ServerMetadataRequest) (*inference.ServerMetadataResponse, error) {
	return &inference.ServerMetadataResponse{Name: "edgeinfer", Version: "1", Extensions: []string{"binary_tensor_data", "model_repository"}}, nil
}

func v2Specs(specs []tflite.TensorSpec) []*inference.ModelMetadataResponse_TensorMetadata {
	out := make([]*inference.ModelMetadataResponse_TensorMetadata, len(specs))
	for i, sp := range specs {
		shape := make([]int64, len(sp.Shape))
		for k, d := range sp.Shape {
			shape[k] = int64(d)
		}
		out[i] = &inference.ModelMetadataResponse_TensorMetadata{Name: sp.Name, Datatype: v2Name(sp.DType), Shape: shape}
	}
	return out
}

// ModelMetadata describes a model's inputs and outputs as GET
// /v2/models/{m} does.
func (v *v2Service) ModelMetadata(ctx context.Context, req *inference.ModelMetadataRequest) (*inference.ModelMetadataResponse, error) {
	ref, err := v2Ref(req.GetName(), req.GetVersion())
	if err != nil {
		return nil, err
	}
	mi, err := v.s.core.Describe(ctx, ref)
	if err != nil {
		return nil, err
	}
	return &inference.ModelMetadataResponse{
		Name: mi.Name, Versions: []string{strconv.FormatInt(mi.Version, 10)}, Platform: "tensorflow_lite",
		Inputs: v2Specs(mi.Inputs), Outputs: v2Specs(mi.Outputs),
	}, nil
}

// maxTensors bounds the inputs and outputs one request may name.
const maxTensors = 1024

// checkedShape validates a declared shape and returns its element count,
// bounded by maxElements, before anything is allocated for it.
func checkedShape(dims []int64, maxElements int) (tensor.Shape, int, error) {
	if len(dims) > 16 {
		return nil, 0, fmt.Errorf("%w: shape has %d dimensions (at most 16)", serving.ErrInvalid, len(dims))
	}
	shape := make(tensor.Shape, len(dims))
	n := 1
	for i, d := range dims {
		if d < 0 {
			return nil, 0, fmt.Errorf("%w: shape dimension %d is %d", serving.ErrInvalid, i, d)
		}
		if d > int64(maxElements) || (d > 0 && n > maxElements/int(d)) {
			return nil, 0, &serving.LimitError{Limit: "MaxElements", Max: int64(maxElements)}
		}
		shape[i] = int(d)
		n *= int(d)
	}
	return shape, n, nil
}

// v2Input decodes one input: from raw (its raw_input_contents entry, used
// in place) when raw is not nil, else from its typed contents. The value
// count is checked against the shape before the tensor is allocated, and
// the bytes are charged to reserve first.
func v2Input(in *inference.ModelInferRequest_InferInputTensor, raw []byte, useRaw bool, maxElements int, reserve func(int64) error) (*tensor.Tensor, error) {
	dt, err := v2DType(in.GetDatatype())
	if err != nil {
		return nil, err
	}
	shape, n, err := checkedShape(in.GetShape(), maxElements)
	if err != nil {
		return nil, err
	}
	t := &tensor.Tensor{Name: in.GetName(), DType: dt, Shape: shape}
	size := n * dt.Size()
	if useRaw {
		if in.GetContents() != nil {
			return nil, fmt.Errorf("%w: input %q has both contents and raw_input_contents", serving.ErrInvalid, clip(in.GetName()))
		}
		if len(raw) != size {
			return nil, fmt.Errorf("%w: input %q: raw_input_contents has %d bytes, shape %v of %s needs %d",
				serving.ErrInvalid, clip(in.GetName()), len(raw), shape, in.GetDatatype(), size)
		}
		t.Data = raw
		return t, nil
	}
	c := in.GetContents()
	var got int
	switch dt {
	case tensor.Bool:
		got = len(c.GetBoolContents())
	case tensor.Int8, tensor.Int16, tensor.Int32:
		got = len(c.GetIntContents())
	case tensor.Int64:
		got = len(c.GetInt64Contents())
	case tensor.Uint8, tensor.Uint16, tensor.Uint32:
		got = len(c.GetUintContents())
	case tensor.Uint64:
		got = len(c.GetUint64Contents())
	case tensor.Float32:
		got = len(c.GetFp32Contents())
	case tensor.Float64:
		got = len(c.GetFp64Contents())
	default:
		return nil, fmt.Errorf("%w: input %q: %s has no typed contents; send it in raw_input_contents", serving.ErrInvalid, clip(in.GetName()), in.GetDatatype())
	}
	if got != n {
		return nil, fmt.Errorf("%w: input %q: contents has %d values of %s, shape %v needs %d",
			serving.ErrInvalid, clip(in.GetName()), got, in.GetDatatype(), shape, n)
	}
	if err := reserve(int64(size)); err != nil {
		return nil, err
	}
	t.Data = make([]byte, size)
	if err := fillTyped(t.Data, dt, c.GetBoolContents(), c.GetIntContents(), c.GetInt64Contents(), c.GetUintContents(),
		c.GetUint64Contents(), c.GetFp32Contents(), c.GetFp64Contents()); err != nil {
		return nil, fmt.Errorf("input %q: %w", clip(in.GetName()), err)
	}
	return t, nil
}

// fillTyped writes typed values into b as dt, little-endian, refusing
// values out of dt's range. Exactly the slice of dt's kind is read.
func fillTyped(b []byte, dt tensor.DType, bools []bool, i32 []int32, i64 []int64, u32 []uint32, u64 []uint64, f32 []float32, f64 []float64) error {
	le := binary.LittleEndian
	switch dt {
	case tensor.Bool:
		for i, v := range bools {
			if v {
				b[i] = 1
			}
		}
	case tensor.Int8:
		for i, v := range i32 {
			if v < math.MinInt8 || v > math.MaxInt8 {
				return fmt.Errorf("%w: value %d at %d is out of range for INT8", serving.ErrInvalid, v, i)
			}
			b[i] = byte(int8(v))
		}
	case tensor.Int16:
		for i, v := range i32 {
			if v < math.MinInt16 || v > math.MaxInt16 {
				return fmt.Errorf("%w: value %d at %d is out of range for INT16", serving.ErrInvalid, v, i)
			}
			le.PutUint16(b[2*i:], uint16(int16(v)))
		}
	case tensor.Int32:
		for i, v := range i32 {
			le.PutUint32(b[4*i:], uint32(v))
		}
	case tensor.Int64:
		for i, v := range i64 {
			le.PutUint64(b[8*i:], uint64(v))
		}
	case tensor.Uint8:
		for i, v := range u32 {
			if v > math.MaxUint8 {
				return fmt.Errorf("%w: value %d at %d is out of range for UINT8", serving.ErrInvalid, v, i)
			}
			b[i] = byte(v)
		}
	case tensor.Uint16:
		for i, v := range u32 {
			if v > math.MaxUint16 {
				return fmt.Errorf("%w: value %d at %d is out of range for UINT16", serving.ErrInvalid, v, i)
			}
			le.PutUint16(b[2*i:], uint16(v))
		}
	case tensor.Uint32:
		for i, v := range u32 {
			le.PutUint32(b[4*i:], v)
		}
	case tensor.Uint64:
		for i, v := range u64 {
			le.PutUint64(b[8*i:], v)
		}
	case tensor.Float32:
		for i, v := range f32 {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case tensor.Float64:
		for i, v := range f64 {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
	default:
		return fmt.Errorf("%w: no typed values for %s", serving.ErrInvalid, dt)
	}
	return nil
}

// v2Contents returns t's values as typed contents.
func v2Contents(t *tensor.Tensor) (*inference.InferTensorContents, error) {
	c := &inference.InferTensorContents{}
	n := t.Shape.Elements()
	le := binary.LittleEndian
	switch t.DType {
	case tensor.Bool:
		c.BoolContents = make([]bool, n)
		for i := range n {
			c.BoolContents[i] = t.Data[i] != 0
		}
	case tensor.Int8:
		c.IntContents = make([]int32, n)
		for i := range n {
			c.IntContents[i] = int32(int8(t.Data[i]))
		}
	case tensor.Int16:
		c.IntContents = make([]int32, n)
		for i := range n {
			c.IntContents[i] = int32(int16(le.Uint16(t.Data[2*i:])))
		}
	case tensor.Int32:
		c.IntContents = make([]int32, n)
		for i := range n {
			c.IntContents[i] = int32(le.Uint32(t.Data[4*i:]))
		}
	case tensor.Int64:
		c.Int64Contents = make([]int64, n)
		for i := range n {
			c.Int64Contents[i] = int64(le.Uint64(t.Data[8*i:]))
		}
	case tensor.Uint8:
		c.UintContents = make([]uint32, n)
		for i := range n {
			c.UintContents[i] = uint32(t.Data[i])
		}
	case tensor.Uint16:
		c.UintContents = make([]uint32, n)
		for i := range n {
			c.UintContents[i] = uint32(le.Uint16(t.Data[2*i:]))
		}
	case tensor.Uint32:
		c.UintContents = make([]uint32, n)
		for i := range n {
			c.UintContents[i] = le.Uint32(t.Data[4*i:])
		}
	case tensor.Uint64:
		c.Uint64Contents = make([]uint64, n)
		for i := range n {
			c.Uint64Contents[i] = le.Uint64(t.Data[8*i:])
		}
	case tensor.Float32:
		c.Fp32Contents = make([]float32, n)
		for i := range n {
			c.Fp32Contents[i] = math.Float32frombits(le.Uint32(t.Data[4*i:]))
		}
	case tensor.Float64:
		c.Fp64Contents = make([]float64, n)
		for i := range n {
			c.Fp64Contents[i] = math.Float64frombits(le.Uint64(t.Data[8*i:]))
		}
	default:
		return nil, fmt.Errorf("%w: output %q of %s has no typed contents; ask for raw outputs", serving.ErrInvalid, clip(t.Name), t.DType)
	}
	return c, nil
}

// wantsRaw reports whether a "binary_data" / "binary_data_output"
// parameter asks for raw outputs.
func wantsRaw(p map[string]*inference.InferParameter, key string) (bool, bool) {
	v, ok := p[key]
	if !ok {
		return false, false
	}
	b, isBool := v.GetParameterChoice().(*inference.InferParameter_BoolParam)
	return isBool && b.BoolParam, true
}

// ModelInfer runs one inference. Inputs come as typed contents or, for
// every input at once, in raw_input_contents (used in place). Outputs are
// answered in raw_output_contents when the inputs came raw or the request
// parameter "binary_data_output" (or an output's "binary_data") is true,
// else as typed contents. The gRPC deadline is the request's deadline.
func (v *v2Service) ModelInfer(ctx context.Context, req *inference.ModelInferRequest) (*inference.ModelInferResponse, error) {
	start := time.Now()
	model := req.GetModelName()
	resp, err := v.infer(ctx, req)
	v.s.core.ObserveRequest(model, err, start)
	return resp, err
}

func (v *v2Service) infer(ctx context.Context, req *inference.ModelInferRequest) (*inference.ModelInferResponse, error) {
	ref, err := v2Ref(req.GetModelName(), req.GetModelVersion())
	if err != nil {
		return nil, err
	}
	d, err := timeout(ctx)
	if err != nil {
		return nil, err
	}
	ins := req.GetInputs()
	raws := req.GetRawInputContents()
	if len(ins) == 0 || len(ins) > maxTensors || len(req.GetOutputs()) > maxTensors {
		return nil, fmt.Errorf("%w: a request needs 1 to %d inputs and at most %d outputs", serving.ErrInvalid, maxTensors, maxTensors)
	}
	useRaw := len(raws) > 0
	if useRaw && len(raws) != len(ins) {
		return nil, fmt.Errorf("%w: %d raw_input_contents for %d inputs (all inputs are raw, or none)", serving.ErrInvalid, len(raws), len(ins))
	}
	cfg := v.s.cfg
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	reserve := func(n int64) error {
		rel, err := v.s.core.ReserveMemory(ref.Model, n)
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
	tensors := make([]*tensor.Tensor, len(ins))
	total := 0
	for i, in := range ins {
		var raw []byte
		if useRaw {
			raw = raws[i]
		}
		t, err := v2Input(in, raw, useRaw, cfg.MaxElements-total, reserve)
		if err != nil {
			return nil, err
		}
		total += t.Shape.Elements()
		tensors[i] = t
	}
	rawOut := useRaw
	if b, ok := wantsRaw(req.GetParameters(), "binary_data_output"); ok {
		rawOut = b
	}
	var names []string
	for _, o := range req.GetOutputs() {
		names = append(names, o.GetName())
		if b, ok := wantsRaw(o.GetParameters(), "binary_data"); ok && b {
			rawOut = true
		}
	}
	res, err := v.s.core.Predict(ctx, &serving.Request{Ref: ref, Inputs: tensors, Outputs: names, Timeout: d})
	if err != nil {
		return nil, err
	}
	out := &inference.ModelInferResponse{
		ModelName: res.Model, ModelVersion: strconv.FormatInt(res.Version, 10), Id: req.GetId(),
		Outputs: make([]*inference.ModelInferResponse_InferOutputTensor, len(res.Outputs)),
	}
	if rawOut {
		out.RawOutputContents = make([][]byte, len(res.Outputs))
	}
	for i, o := range res.Outputs {
		shape := make([]int64, len(o.Shape))
		for k, d := range o.Shape {
			shape[k] = int64(d)
		}
		ot := &inference.ModelInferResponse_InferOutputTensor{Name: o.Name, Datatype: v2Name(o.DType), Shape: shape}
		if rawOut {
			out.RawOutputContents[i] = o.Data
		} else {
			if err := reserve(int64(o.Shape.Elements()) * 8); err != nil {
				return nil, err
			}
			if ot.Contents, err = v2Contents(o); err != nil {
				return nil, err
			}
		}
		out.Outputs[i] = ot
	}
	return out, nil
}

// RepositoryIndex lists the repository (admin; see Server.authorize).
func (v *v2Service) RepositoryIndex(ctx context.Context, req *inference.RepositoryIndexRequest) (*inference.RepositoryIndexResponse, error) {
	if req.GetRepositoryName() != "" {
		return nil, fmt.Errorf("%w: edgeinfer serves one repository; leave repository_name empty", serving.ErrInvalid)
	}
	idx, err := v.s.core.Repository(ctx)
	if err != nil {
		return nil, err
	}
	out := &inference.RepositoryIndexResponse{}
	for _, ms := range idx {
		if len(ms.Versions) == 0 && ms.Reason != "" {
			if !req.GetReady() {
				out.Models = append(out.Models, &inference.RepositoryIndexResponse_ModelIndex{Name: ms.Name, State: "UNAVAILABLE", Reason: ms.Reason})
			}
			continue
		}
		for _, vs := range ms.Versions {
			if req.GetReady() && vs.State != "READY" {
				continue
			}
			out.Models = append(out.Models, &inference.RepositoryIndexResponse_ModelIndex{
				Name: ms.Name, Version: strconv.FormatInt(vs.Version, 10), State: vs.State, Reason: vs.Reason})
		}
	}
	return out, nil
}

// RepositoryModelLoad loads a model (admin).
func (v *v2Service) RepositoryModelLoad(ctx context.Context, req *inference.RepositoryModelLoadRequest) (*inference.RepositoryModelLoadResponse, error) {
	if req.GetRepositoryName() != "" || len(req.GetParameters()) > 0 {
		return nil, fmt.Errorf("%w: repository_name and parameters are not supported; leave them empty", serving.ErrInvalid)
	}
	if err := v.s.core.LoadModel(ctx, req.GetModelName(), false); err != nil {
		return nil, err
	}
	return &inference.RepositoryModelLoadResponse{}, nil
}

// RepositoryModelUnload unloads a model (admin).
func (v *v2Service) RepositoryModelUnload(ctx context.Context, req *inference.RepositoryModelUnloadRequest) (*inference.RepositoryModelUnloadResponse, error) {
	if req.GetRepositoryName() != "" || len(req.GetParameters()) > 0 {
		return nil, fmt.Errorf("%w: repository_name and parameters are not supported; leave them empty", serving.ErrInvalid)
	}
	if err := v.s.core.LoadModel(ctx, req.GetModelName(), true); err != nil {
		return nil, err
	}
	return &inference.RepositoryModelUnloadResponse{}, nil
}
