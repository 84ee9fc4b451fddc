package serving

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// v2DType returns the Open Inference Protocol datatype name of dt.
func v2DType(dt tensor.DType) string {
	switch dt {
	case tensor.Bool:
		return "BOOL"
	case tensor.Uint8:
		return "UINT8"
	case tensor.Uint16:
		return "UINT16"
	case tensor.Uint32:
		return "UINT32"
	case tensor.Uint64:
		return "UINT64"
	case tensor.Int8:
		return "INT8"
	case tensor.Int16:
		return "INT16"
	case tensor.Int32:
		return "INT32"
	case tensor.Int64:
		return "INT64"
	case tensor.Float16:
		return "FP16"
	case tensor.Float32:
		return "FP32"
	case tensor.Float64:
		return "FP64"
	case tensor.String:
		return "BYTES"
	}
	return "INVALID"
}

// parseV2DType parses an Open Inference Protocol datatype name.
func parseV2DType(s string) (tensor.DType, error) {
	for dt := tensor.Float32; dt <= tensor.String; dt++ {
		if v2DType(dt) == s {
			return dt, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown datatype %q", ErrInvalid, clip(s))
}

func refFromRequest(r *http.Request) (Ref, error) {
	ref := Ref{Model: r.PathValue("model")}
	if err := CheckModelName(ref.Model); err != nil {
		return ref, err
	}
	if v := r.PathValue("version"); v != "" {
		n, err := parseVersion(v)
		if err != nil {
			return ref, err
		}
		ref.Version = n
	}
	return ref, nil
}

// parseVersion parses a model version: a positive decimal integer written
// plainly, with no sign and no leading zero ("+1" and "01" are not 1).
func parseVersion(v string) (int64, error) {
	ok := v != "" && len(v) <= 18 && v[0] >= '1' && v[0] <= '9'
	for i := 1; ok && i < len(v); i++ {
		ok = v[i] >= '0' && v[i] <= '9'
	}
	if !ok {
		return 0, fmt.Errorf("%w: version %q is not a positive integer", ErrInvalid, clip(v))
	}
	return strconv.ParseInt(v, 10, 64)
}

// publicReason is the reason a status endpoint gives for a version, cut
// to maxMessage: sources build reasons for clients (ModelStatus).
func publicReason(vs VersionStatus) string { return cut(vs.Reason, maxMessage) }

func (s *Server) handleV2Server(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, []byte(`{"name":"edgeinfer","version":"1","extensions":["binary_tensor_data","model_repository"]}`))
}

func appendV2Specs(b []byte, specs []tflite.TensorSpec) []byte {
	b = append(b, '[')
	for i, sp := range specs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = append(b, quoteJSON(sp.Name)...)
		b = append(b, `,"datatype":"`...)
		b = append(b, v2DType(sp.DType)...)
		b = append(b, `","shape":`...)
		b = appendShape(b, sp.Shape)
		b = appendV2Quant(b, sp.Quant)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendShape(b []byte, s tensor.Shape) []byte {
	b = append(b, '[')
	for i, d := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(d), 10)
	}
	return append(b, ']')
}

func (s *Server) handleV2Model(w http.ResponseWriter, r *http.Request) {
	ref, err := refFromRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := s.withDeadline(r.Context(), 0)
	defer cancel()
	l, err := s.acquire(ctx, ref)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer l.Release()
	b := append([]byte(`{"name":`), quoteJSON(l.Name)...)
	b = fmt.Appendf(b, `,"versions":["%d"],"platform":"tensorflow_lite","inputs":`, l.Version)
	b = appendV2Specs(b, l.Model.Inputs())
	b = append(b, `,"outputs":`...)
	b = appendV2Specs(b, l.Model.Outputs())
	b = append(b, '}')
	s.writeJSON(w, r, http.StatusOK, b)
}

func (s *Server) handleV2ModelReady(w http.ResponseWriter, r *http.Request) {
	ref, err := refFromRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ms, err := s.findStatus(r.Context(), ref)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, vs := range ms.Versions {
		if vs.State != "UNAVAILABLE" {
			s.writeJSON(w, r, http.StatusOK, []byte(`{"ready":true}`))
			return
		}
	}
	if ms.Reason != "" {
		s.writeError(w, r, fmt.Errorf("%w: model %q: %s", ErrUnavailable, clip(ref.Model), cut(ms.Reason, maxMessage)))
		return
	}
	s.writeError(w, r, fmt.Errorf("%w: model %q has no servable version", ErrUnavailable, clip(ref.Model)))
}

func (s *Server) handleV2Index(w http.ResponseWriter, r *http.Request) {
	idx, err := s.cfg.Source.Index(r.Context())
	if err != nil {
		s.writeError(w, r, hide(err, nil, "serving: listing the repository failed"))
		return
	}
	b := []byte{'['}
	n := 0
	for _, ms := range idx {
		if len(ms.Versions) == 0 && ms.Reason != "" {
			// A model unavailable as a whole, with no version to list.
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, `{"name":`...)
			b = append(b, quoteJSON(ms.Name)...)
			b = fmt.Appendf(b, `,"state":"UNAVAILABLE","reason":%s}`, quoteJSON(ms.Reason))
			continue
		}
		for _, vs := range ms.Versions {
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, `{"name":`...)
			b = append(b, quoteJSON(ms.Name)...)
			b = fmt.Appendf(b, `,"version":"%d","state":%s,"reason":%s}`, vs.Version, quoteJSON(vs.State), quoteJSON(publicReason(vs)))
		}
	}
	b = append(b, ']')
	s.writeJSON(w, r, http.StatusOK, b)
}

func (s *Server) handleV2Load(w http.ResponseWriter, r *http.Request) {
	ref, err := refFromRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ld, ok := s.cfg.Source.(ModelLoader)
	if !ok {
		s.writeError(w, r, fmt.Errorf("%w: this model source cannot load or unload on request", ErrUnimplemented))
		return
	}
	ctx, cancel := s.withDeadline(r.Context(), 0)
	defer cancel()
	if len(r.URL.Path) > 5 && r.URL.Path[len(r.URL.Path)-6:] == "unload" {
		err = ld.Unload(ctx, ref.Model)
	} else {
		err = ld.Load(ctx, ref.Model)
	}
	if err != nil {
		s.writeError(w, r, sourceError(err, ref))
		return
	}
	s.writeJSON(w, r, http.StatusOK, []byte(`{}`))
}

// v2Output is one requested output.
type v2Output struct {
	name   string
	binary bool
	params *tensor.JSONValue // the output's parameters, nil when none
}

// v2Request is a decoded V2 inference request.
type v2Request struct {
	id        *tensor.JSONValue // echoed verbatim; nil when absent
	inputs    []*tensor.Tensor
	outputs   []v2Output // nil: all
	binaryAll bool       // parameters.binary_data_output
	timeout   time.Duration
	params    *tensor.JSONValue // request parameters, nil when none
	imagePost bool              // the body was an image (Content-Type image/*)
}

// decodeV2Request decodes a V2 inference request: a JSON document and,
// with the binary tensor data extension, the raw tensor bytes after it
// (headerLen >= 0 gives the JSON length).
func decodeV2Request(body []byte, headerLen int, lim decodeLimits) (*v2Request, error) {
	js, bin := body, []byte(nil)
	if headerLen >= 0 {
		if headerLen > len(body) {
			return nil, fmt.Errorf("%w: Inference-Header-Content-Length %d is beyond the %d-byte body", ErrInvalid, headerLen, len(body))
		}
		js, bin = body[:headerLen], body[headerLen:]
	}
	doc, err := parseJSON(js, lim)
	if err != nil {
		return nil, err
	}
	if doc.Kind != tensor.JSONObject {
		return nil, fmt.Errorf("%w: request must be a JSON object", ErrInvalid)
	}
	req := &v2Request{}
	if id := doc.Get("id"); id != nil {
		if id.Kind != tensor.JSONString {
			return nil, fmt.Errorf("%w: id must be a string", ErrInvalid)
		}
		if len(id.Text) > maxIDLen {
			return nil, fmt.Errorf("%w: id is longer than %d bytes", ErrInvalid, maxIDLen)
		}
		req.id = id
	}
	if p := doc.Get("parameters"); p != nil {
		if p.Kind != tensor.JSONObject {
			return nil, fmt.Errorf("%w: parameters must be an object", ErrInvalid)
		}
		req.params = p
		if t := p.Get("timeout"); t != nil {
			if req.timeout, err = jsonTimeout(t, time.Microsecond); err != nil {
				return nil, err
			}
		}
		if b := p.Get("binary_data_output"); b != nil {
			if b.Kind != tensor.JSONBool {
				return nil, fmt.Errorf("%w: binary_data_output must be a bool", ErrInvalid)
			}
			req.binaryAll = b.Bool
		}
	}
	ins := doc.Get("inputs")
	if ins == nil || ins.Kind != tensor.JSONArray || ins.Len() == 0 || ins.Packed != nil {
		return nil, fmt.Errorf("%w: \"inputs\" must be a non-empty list of objects", ErrInvalid)
	}
	total := 0
	for i := range ins.Items {
		in := &ins.Items[i]
		t, err := decodeV2Input(in, &bin, lim, lim.maxElements-total)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		total += t.Shape.Elements()
		req.inputs = append(req.inputs, t)
	}
	if len(bin) != 0 {
		return nil, fmt.Errorf("%w: %d bytes of binary data left after the inputs", ErrInvalid, len(bin))
	}
	if outs := doc.Get("outputs"); outs != nil {
		if outs.Kind != tensor.JSONArray || (outs.Packed != nil && outs.Len() > 0) {
			return nil, fmt.Errorf("%w: \"outputs\" must be a list of objects", ErrInvalid)
		}
		for i := range outs.Items {
			o := &outs.Items[i]
			name := o.Get("name")
			if name == nil || name.Kind != tensor.JSONString {
				return nil, fmt.Errorf("%w: output %d has no name", ErrInvalid, i)
			}
			ro := v2Output{name: string(name.Text), binary: req.binaryAll}
			if p := o.Get("parameters"); p != nil {
				ro.params = p
				if b := p.Get("binary_data"); b != nil {
					if b.Kind != tensor.JSONBool {
						return nil, fmt.Errorf("%w: output %q: binary_data must be a bool", ErrInvalid, clip(ro.name))
					}
					ro.binary = b.Bool
				}
			}
			req.outputs = append(req.outputs, ro)
		}
	}
	return req, nil
}

func decodeV2Input(in *tensor.JSONValue, bin *[]byte, lim decodeLimits, maxElements int) (*tensor.Tensor, error) {
	if in.Kind != tensor.JSONObject {
		return nil, fmt.Errorf("%w: not an object", ErrInvalid)
	}
	name, dtv, shv := in.Get("name"), in.Get("datatype"), in.Get("shape")
	if name == nil || name.Kind != tensor.JSONString {
		return nil, fmt.Errorf("%w: missing name", ErrInvalid)
	}
	nm := clip(string(name.Text))
	if dtv == nil || dtv.Kind != tensor.JSONString {
		return nil, fmt.Errorf("%w: %q: missing datatype", ErrInvalid, nm)
	}
	dt, err := parseV2DType(string(dtv.Text))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", nm, err)
	}
	if shv == nil || shv.Kind != tensor.JSONArray {
		return nil, fmt.Errorf("%w: %q: missing shape", ErrInvalid, nm)
	}
	shape, err := jsonShape(shv)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalid, nm, err)
	}
	n, err := shape.NumElements()
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalid, nm, err)
	}
	if n > maxElements {
		return nil, &LimitError{Limit: "MaxElements", Max: int64(lim.maxElements)}
	}
	if dt == tensor.String {
		return decodeV2Bytes(in, string(name.Text), shape, n, bin)
	}
	if p := in.Get("parameters"); p != nil {
		if bs := p.Get("binary_data_size"); bs != nil {
			size, err := strconv.ParseInt(string(bs.Text), 10, 64)
			if bs.Kind != tensor.JSONNumber || err != nil || size < 0 {
				return nil, fmt.Errorf("%w: %q: binary_data_size must be a non-negative integer", ErrInvalid, nm)
			}
			if want := int64(n) * int64(dt.Size()); size != want {
				return nil, fmt.Errorf("%w: %q: binary_data_size %d, but %s%s needs %d bytes", ErrInvalid, nm, size, dt, shape, want)
			}
			if int64(len(*bin)) < size {
				return nil, fmt.Errorf("%w: %q: binary data ends %d bytes early", ErrInvalid, nm, size-int64(len(*bin)))
			}
			if in.Get("data") != nil {
				return nil, fmt.Errorf("%w: %q: both data and binary_data_size", ErrInvalid, nm)
			}
			if err := lim.reserve(size); err != nil {
				return nil, err
			}
			t := &tensor.Tensor{Name: string(name.Text), DType: dt, Shape: shape, Data: make([]byte, size)}
			copy(t.Data, (*bin)[:size])
			*bin = (*bin)[size:]
			return t, nil
		}
	}
	data := in.Get("data")
	if data == nil {
		return nil, fmt.Errorf("%w: %q: missing data", ErrInvalid, nm)
	}
	t, err := tensor.DecodeJSON(data, dt, shape, tensor.JSONDecodeOptions{MaxElements: maxElements, Reserve: lim.reserve})
	if err != nil {
		if errors.Is(err, ErrOverloaded) || errors.Is(err, ErrLimit) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalid, nm, err)
	}
	t.Name = string(name.Text)
	return t, nil
}

// jsonShape reads a V2 shape: a list of at most maxRank non-negative
// integers written plainly.
func jsonShape(v *tensor.JSONValue) (tensor.Shape, error) {
	if v.Len() > maxRank {
		return nil, fmt.Errorf("shape has %d dimensions, more than %d", v.Len(), maxRank)
	}
	shape := make(tensor.Shape, 0, v.Len())
	dim := func(_ int, d *tensor.JSONValue) error {
		n, err := strconv.ParseInt(string(d.Text), 10, 32)
		if d.Kind != tensor.JSONNumber || err != nil || n < 0 {
			return errors.New("shape must list non-negative integers")
		}
		shape = append(shape, int(n))
		return nil
	}
	if pk := v.Packed; pk != nil {
		if len(pk.Dims) != 1 {
			return nil, errors.New("shape must be a flat list")
		}
		return shape, pk.Each(dim)
	}
	for i := range v.Items {
		if err := dim(i, &v.Items[i]); err != nil {
			return nil, err
		}
	}
	return shape, nil
}

// maxRank is the most dimensions a request tensor may have.
const maxRank = 32

// maxIDLen is the longest V2 request id accepted (it is echoed).
const maxIDLen = 256

func (s *Server) handleV2Infer(w http.ResponseWriter, r *http.Request) {
	markInfer(w)
	ref, err := refFromRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	headerLen := -1
	if h := r.Header.Get("Inference-Header-Content-Length"); h != "" {
		n, perr := strconv.Atoi(h)
		if perr != nil || n < 0 {
			s.writeError(w, r, fmt.Errorf("%w: Inference-Header-Content-Length %q", ErrInvalid, clip(h)))
			return
		}
		headerLen = n
	}
	hdrTimeout, err := requestTimeout(r.Header)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	call, err := s.beginInfer(w, r, ref, hdrTimeout)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer call.end()
	body, err := s.readBody(w, r, call.ch)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, opts, err := s.decodeV2Request(r, body, headerLen, call, hdrTimeout)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	timeout := req.timeout
	if timeout == 0 {
		timeout = hdrTimeout
	}
	ctx, cancel := s.predictCtx(r, call, timeout)
	defer cancel()
	names := make([]string, len(req.outputs))
	for i, o := range req.outputs {
		names[i] = o.name
	}
	resp, err := s.predictLoaded(ctx, call.l, &Request{Ref: ref, Inputs: req.inputs, Outputs: names, Timeout: timeout})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	binary := make([]bool, len(resp.Outputs))
	for i := range binary {
		binary[i] = req.binaryAll
		if len(req.outputs) == len(binary) {
			binary[i] = req.outputs[i].binary
		}
	}
	if err = opts.finish(resp, call.l.Model.Outputs()); err != nil {
		s.writeError(w, r, err)
		return
	}
	setTiming(w, resp.Timing)
	defer s.logDone(w, r, resp, call.start)
	b, bin := encodeV2Response(resp, req.id, binary)
	b = opts.appendExtras(b)
	if bin == nil {
		s.writeJSON(w, r, http.StatusOK, b)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Inference-Header-Content-Length", strconv.Itoa(len(b)))
	s.writeBody(w, r, http.StatusOK, append(b, bin...))
}

// decodeV2Request decodes an infer body into its inputs and output
// options (images included), holding one of the Server's decode places
// meanwhile, and charges what its answer will hold.
func (s *Server) decodeV2Request(r *http.Request, body []byte, headerLen int, call *inferCall, hdrTimeout time.Duration) (*v2Request, *ioOptions, error) {
	wctx, cancel := s.predictCtx(r, call, hdrTimeout)
	defer cancel()
	done, err := s.decodeSlot(wctx, call.l.Name, len(body))
	if err != nil {
		return nil, nil, err
	}
	defer done()
	req, err := s.decodeV2Body(r, body, headerLen, s.decodeLimits(call.ch))
	if err != nil {
		return nil, nil, err
	}
	if err := call.ch.reserveOutputs(call.l.Model, req.inputs); err != nil {
		return nil, nil, err
	}
	opts, err := s.v2Options(r, req, call.l, call.ch)
	if err != nil {
		return nil, nil, err
	}
	return req, opts, nil
}

// encodeV2Response encodes the JSON response and, for outputs sent with the
// binary extension, their bytes in order (nil when none is binary).
func encodeV2Response(resp *Response, id *tensor.JSONValue, binary []bool) ([]byte, []byte) {
	b := make([]byte, 0, 256)
	b = append(b, `{"model_name":`...)
	b = append(b, quoteJSON(resp.Model)...)
	b = fmt.Appendf(b, `,"model_version":"%d"`, resp.Version)
	if id != nil {
		b = append(b, `,"id":`...)
		b = append(b, quoteJSON(string(id.Text))...)
	}
	b = append(b, `,"outputs":[`...)
	var bin []byte
	for i, o := range resp.Outputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = append(b, quoteJSON(o.Name)...)
		b = append(b, `,"datatype":"`...)
		b = append(b, v2DType(o.DType)...)
		b = append(b, `","shape":`...)
		b = appendShape(b, o.Shape)
		if binary[i] {
			b = fmt.Appendf(b, `,"parameters":{"binary_data_size":%d}}`, len(o.Data))
			if bin == nil {
				bin = []byte{}
			}
			bin = append(bin, o.Data...)
			continue
		}
		b = append(b, `,"data":`...)
		b = appendV2Data(b, o)
		b = append(b, '}')
	}
	b = append(b, "]}"...)
	return b, bin
}
