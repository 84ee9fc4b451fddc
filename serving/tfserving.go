package serving

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// v1Path is a parsed TensorFlow Serving REST path:
// /v1/models/{m}[/versions/{v}|/labels/{l}][/metadata|:verb].
type v1Path struct {
	ref      Ref
	metadata bool
	verb     string // "predict", "classify", "regress" or "" (status)
}

func parseV1Path(p string) (v1Path, error) {
	var out v1Path
	rest, ok := strings.CutPrefix(p, "/v1/models/")
	if !ok {
		return out, fmt.Errorf("%w: no such path %q", ErrNotFound, clip(p))
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		out.verb = rest[i+1:]
		rest = rest[:i]
		if out.verb == "" {
			return out, fmt.Errorf("%w: empty method after ':'", ErrInvalid)
		}
	}
	parts := strings.Split(rest, "/")
	out.ref.Model = parts[0]
	parts = parts[1:]
	if len(parts) >= 2 && (parts[0] == "versions" || parts[0] == "labels") {
		if parts[0] == "versions" {
			v, err := parseVersion(parts[1])
			if err != nil {
				return out, err
			}
			out.ref.Version = v
		} else {
			if parts[1] == "" {
				return out, fmt.Errorf("%w: empty label", ErrInvalid)
			}
			out.ref.Label = parts[1]
		}
		parts = parts[2:]
	}
	switch {
	case len(parts) == 1 && parts[0] == "metadata" && out.verb == "":
		out.metadata = true
	case len(parts) != 0:
		return out, fmt.Errorf("%w: no such path %q", ErrNotFound, clip(p))
	}
	return out, CheckModelName(out.ref.Model)
}

func (s *Server) handleV1(w http.ResponseWriter, r *http.Request) {
	p, err := parseV1Path(r.URL.Path)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case (p.verb == "predict" || p.verb == "classify") && r.Method == http.MethodPost:
		s.handleV1Predict(w, r, p.ref) // :classify: see decodeV1
	case p.verb == "predict" || p.verb == "classify":
		w.Header().Set("Allow", "POST")
		s.writeJSON(w, r, http.StatusMethodNotAllowed, []byte(`{"error":"method not allowed: use POST"}`))
	case p.verb == "regress":
		s.writeError(w, r, fmt.Errorf("%w: :%s needs a TensorFlow example-based signature; use :predict", ErrUnimplemented, p.verb))
	case p.verb != "":
		s.writeError(w, r, fmt.Errorf("%w: unknown method :%s", ErrNotFound, clip(p.verb)))
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", "GET")
		s.writeJSON(w, r, http.StatusMethodNotAllowed, []byte(`{"error":"method not allowed"}`))
	case p.metadata:
		s.handleV1Metadata(w, r, p.ref)
	default:
		s.handleV1Status(w, r, p.ref)
	}
}

// findStatus returns the repository entry of ref.Model, narrowed to the
// version ref names.
func (s *Server) findStatus(ctx context.Context, ref Ref) (ModelStatus, error) {
	idx, err := s.cfg.Source.Index(ctx)
	if err != nil {
		return ModelStatus{}, sourceError(err, ref)
	}
	for _, ms := range idx {
		if ms.Name != ref.Model {
			continue
		}
		want := ref.Version
		if ref.Label != "" {
			v, ok := ms.Config.Labels[ref.Label]
			if !ok {
				return ModelStatus{}, fmt.Errorf("%w: model %q has no label %q", ErrNotFound, ref.Model, clip(ref.Label))
			}
			want = v
		}
		if want == 0 {
			return ms, nil
		}
		for _, vs := range ms.Versions {
			if vs.Version == want {
				ms.Versions = []VersionStatus{vs}
				return ms, nil
			}
		}
		return ModelStatus{}, fmt.Errorf("%w: model %q has no version %d", ErrNotFound, ref.Model, want)
	}
	return ModelStatus{}, fmt.Errorf("%w: model %q", ErrNotFound, ref.Model)
}

func (s *Server) handleV1Status(w http.ResponseWriter, r *http.Request, ref Ref) {
	ms, err := s.findStatus(r.Context(), ref)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(ms.Versions) == 0 && ms.Reason != "" {
		s.writeError(w, r, fmt.Errorf("%w: model %q: %s", ErrUnavailable, ms.Name, ms.Reason))
		return
	}
	b := []byte(`{"model_version_status":[`)
	for i, vs := range ms.Versions {
		if i > 0 {
			b = append(b, ',')
		}
		state, code := "AVAILABLE", "OK"
		switch vs.State {
		case "LOADING":
			state = "LOADING"
		case "UNAVAILABLE":
			state, code = "END", "UNAVAILABLE"
		}
		b = fmt.Appendf(b, `{"version":"%d","state":"%s","status":{"error_code":"%s","error_message":%s}}`, vs.Version, state, code, quoteJSON(publicReason(vs)))
	}
	b = append(b, "]}"...)
	s.writeJSON(w, r, http.StatusOK, b)
}

// tfDType returns TensorFlow's DataType enum name for dt.
func tfDType(dt tensor.DType) string {
	switch dt {
	case tensor.Float32:
		return "DT_FLOAT"
	case tensor.Float16:
		return "DT_HALF"
	case tensor.Float64:
		return "DT_DOUBLE"
	case tensor.Bool:
		return "DT_BOOL"
	case tensor.String:
		return "DT_STRING"
	}
	return "DT_" + strings.ToUpper(dt.String())
}

func appendSigTensors(b []byte, specs []tflite.TensorSpec) []byte {
	b = append(b, '{')
	for i, sp := range specs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, quoteJSON(sp.Name)...)
		b = append(b, `:{"dtype":"`...)
		b = append(b, tfDType(sp.DType)...)
		b = append(b, `","tensor_shape":{"dim":[`...)
		for k, d := range sp.Shape {
			if k > 0 {
				b = append(b, ',')
			}
			b = fmt.Appendf(b, `{"size":"%d","name":""}`, d)
		}
		b = append(b, `],"unknown_rank":false},"name":`...)
		b = append(b, quoteJSON(sp.Name)...)
		b = appendV1Quant(b, sp.Quant)
		b = append(b, '}')
	}
	return append(b, '}')
}

func (s *Server) handleV1Metadata(w http.ResponseWriter, r *http.Request, ref Ref) {
	ctx, cancel := s.withDeadline(r.Context(), 0)
	defer cancel()
	l, err := s.acquire(ctx, ref)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer l.Release()
	b := fmt.Appendf(nil, `{"model_spec":{"name":%s,"signature_name":"","version":"%d"},"metadata":{"signature_def":{"signature_def":{"serving_default":{"inputs":`,
		quoteJSON(l.Name), l.Version)
	b = appendSigTensors(b, l.Model.Inputs())
	b = append(b, `,"outputs":`...)
	b = appendSigTensors(b, l.Model.Outputs())
	b = append(b, `,"method_name":"tensorflow/serving/predict"}}}}}`...)
	s.writeJSON(w, r, http.StatusOK, b)
}

// maxJSONValues bounds the values of a request's parsed JSON tree; the
// numbers of packed arrays do not count (see tensor.JSONLimits).
const maxJSONValues = 1 << 18

// decodeLimits bound the decoding of one request body.
type decodeLimits struct {
	json        tensor.JSONLimits
	maxElements int
	ch          *charge // what the decoded request holds of the memory budget; nil charges nothing
}

// reserve charges n bytes to the request before they are allocated.
func (l decodeLimits) reserve(n int64) error { return l.ch.add(n) }

func (s *Server) decodeLimits(ch *charge) decodeLimits {
	return decodeLimits{
		json:        tensor.JSONLimits{MaxDepth: 64, MaxValues: maxJSONValues, PackNumbers: true, Reserve: ch.add},
		maxElements: s.cfg.MaxElements,
		ch:          ch,
	}
}

// parseJSON parses a request body under lim.
func parseJSON(body []byte, lim decodeLimits) (*tensor.JSONValue, error) {
	doc, err := tensor.ParseJSON(body, lim.json)
	if err != nil {
		if errors.Is(err, ErrOverloaded) || errors.Is(err, ErrLimit) {
			return nil, err // the memory budget
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return doc, nil
}

func (s *Server) handleV1Predict(w http.ResponseWriter, r *http.Request, ref Ref) {
	markInfer(w)
	timeout, err := requestTimeout(r.Header)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	call, err := s.beginInfer(w, r, ref, timeout)
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
	ins, rows, opts, timeout, err := s.decodeV1Request(r, body, call, timeout)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := s.predictCtx(r, call, timeout)
	defer cancel()
	if err := call.ch.reserveOutputs(call.l.Model, ins); err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, err := s.predictLoaded(ctx, call.l, &Request{Ref: ref, Inputs: ins, Timeout: timeout})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := opts.encodeV1(resp, call.l.Model.Outputs(), rows)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setTiming(w, resp.Timing)
	s.writeJSON(w, r, http.StatusOK, out)
	s.logDone(w, r, resp, call.start)
}

// decodeV1Request parses and decodes a predict body into the model's
// inputs, holding one of the Server's decode places meanwhile, and
// returns the request's timeout (its header's, or the body's "timeout").
func (s *Server) decodeV1Request(r *http.Request, body []byte, call *inferCall, timeout time.Duration) ([]*tensor.Tensor, int, *ioOptions, time.Duration, error) {
	wctx, cancel := s.predictCtx(r, call, timeout)
	defer cancel()
	done, err := s.decodeSlot(wctx, call.l.Name, len(body))
	if err != nil {
		return nil, 0, nil, 0, err
	}
	defer done()
	lim := s.decodeLimits(call.ch)
	doc, img, err := s.parseV1Body(r, body, lim)
	if err != nil {
		return nil, 0, nil, 0, err
	}
	if t := doc.Get("timeout"); t != nil {
		if timeout, err = jsonTimeout(t, time.Second); err != nil {
			return nil, 0, nil, 0, err
		}
	}
	ins, rows, opts, err := s.decodeV1(r, doc, img, call.l, lim)
	return ins, rows, opts, timeout, err
}

// jsonTimeout reads a timeout parameter: a number in unit, or a duration
// string.
func jsonTimeout(v *tensor.JSONValue, unit time.Duration) (time.Duration, error) {
	switch v.Kind {
	case tensor.JSONNumber:
		f, err := strconv.ParseFloat(string(v.Text), 64)
		if err != nil || f <= 0 || f*float64(unit) > float64(24*time.Hour) {
			return 0, fmt.Errorf("%w: timeout %s is not a positive number", ErrInvalid, clip(string(v.Text)))
		}
		return time.Duration(f * float64(unit)), nil
	case tensor.JSONString:
		return parseTimeout(string(v.Text))
	}
	return 0, fmt.Errorf("%w: timeout must be a number or a duration string", ErrInvalid)
}

// isNamedObject reports whether v is an object of named tensors (not a
// {"b64": ...} value).
func isNamedObject(v *tensor.JSONValue) bool {
	return v.Kind == tensor.JSONObject && !(len(v.Keys) == 1 && v.Keys[0] == "b64")
}

// decodeV1Inputs decodes the row ("instances") or columnar ("inputs")
// format. rows is the number of instances, or -1 for the columnar format.
func decodeV1Inputs(doc *tensor.JSONValue, specs []tflite.TensorSpec, lim decodeLimits) ([]*tensor.Tensor, int, error) {
	left := lim.maxElements
	decode := func(v *tensor.JSONValue, dt tensor.DType, what string) (*tensor.Tensor, error) {
		t, err := tensor.DecodeJSON(v, dt, nil, tensor.JSONDecodeOptions{MaxElements: left, Reserve: lim.reserve})
		if err != nil {
			if errors.Is(err, ErrOverloaded) || errors.Is(err, ErrLimit) {
				return nil, err
			}
			if errors.Is(err, tensor.ErrJSONLimit) {
				return nil, &LimitError{Limit: "MaxElements", Max: int64(lim.maxElements)}
			}
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, what, err)
		}
		left -= t.Shape.Elements()
		return t, nil
	}
	inst, cols := doc.Get("instances"), doc.Get("inputs")
	switch {
	case inst != nil && cols != nil:
		return nil, 0, fmt.Errorf("%w: give either \"instances\" or \"inputs\", not both", ErrInvalid)
	case inst == nil && cols == nil:
		return nil, 0, fmt.Errorf("%w: missing \"instances\" or \"inputs\"", ErrInvalid)
	case inst != nil:
		if inst.Kind != tensor.JSONArray || inst.Len() == 0 {
			return nil, 0, fmt.Errorf("%w: \"instances\" must be a non-empty list", ErrInvalid)
		}
		rows := inst.Len()
		if inst.Packed != nil || !isNamedObject(&inst.Items[0]) {
			if len(specs) != 1 {
				return nil, 0, fmt.Errorf("%w: the model has %d inputs: each instance must be an object naming them", ErrInvalid, len(specs))
			}
			t, err := decode(inst, specs[0].DType, "instances")
			if err != nil {
				return nil, 0, err
			}
			t.Name = specs[0].Name
			return []*tensor.Tensor{t}, rows, nil
		}
		if err := lim.reserve(int64(len(specs)) * int64(rows) * tensor.JSONValueBytes); err != nil {
			return nil, 0, err
		}
		out := make([]*tensor.Tensor, 0, len(specs))
		for _, sp := range specs {
			col := tensor.JSONValue{Kind: tensor.JSONArray, Items: make([]tensor.JSONValue, rows)}
			for i := range inst.Items {
				row := &inst.Items[i]
				if !isNamedObject(row) {
					return nil, 0, fmt.Errorf("%w: instance %d is not an object like instance 0", ErrInvalid, i)
				}
				if len(row.Keys) != len(specs) {
					return nil, 0, fmt.Errorf("%w: instance %d has %d inputs, the model takes %d", ErrInvalid, i, len(row.Keys), len(specs))
				}
				v := row.Get(sp.Name)
				if v == nil {
					return nil, 0, fmt.Errorf("%w: instance %d lacks input %q", ErrInvalid, i, sp.Name)
				}
				col.Items[i] = *v
			}
			t, err := decode(&col, sp.DType, fmt.Sprintf("input %q", sp.Name))
			if err != nil {
				return nil, 0, err
			}
			t.Name = sp.Name
			out = append(out, t)
		}
		return out, rows, nil
	}
	if !isNamedObject(cols) {
		if len(specs) != 1 {
			return nil, 0, fmt.Errorf("%w: the model has %d inputs: \"inputs\" must be an object naming them", ErrInvalid, len(specs))
		}
		t, err := decode(cols, specs[0].DType, "inputs")
		if err != nil {
			return nil, 0, err
		}
		t.Name = specs[0].Name
		return []*tensor.Tensor{t}, -1, nil
	}
	out := make([]*tensor.Tensor, 0, len(cols.Keys))
	for i, name := range cols.Keys {
		var sp *tflite.TensorSpec
		for k := range specs {
			if specs[k].Name == name {
				sp = &specs[k]
			}
		}
		if sp == nil {
			return nil, 0, fmt.Errorf("%w: model has no input %q", ErrInvalid, clip(name))
		}
		t, err := decode(&cols.Items[i], sp.DType, fmt.Sprintf("input %q", clip(name)))
		if err != nil {
			return nil, 0, err
		}
		t.Name = name
		out = append(out, t)
	}
	return out, -1, nil
}

// rowView returns row i of t (sharing its data).
func rowView(t *tensor.Tensor, i int) *tensor.Tensor {
	n := len(t.Data) / t.Shape[0]
	return &tensor.Tensor{DType: t.DType, Shape: t.Shape[1:], Data: t.Data[i*n : (i+1)*n]}
}

// encodeV1Outputs encodes "predictions" (row format, rows >= 0) or
// "outputs" (columnar). A single output is written without its name.
func encodeV1Outputs(outs []*tensor.Tensor, rows int) []byte {
	b := make([]byte, 0, 256)
	if rows >= 0 {
		splittable := true
		for _, o := range outs {
			if len(o.Shape) == 0 || o.Shape[0] != rows {
				splittable = false
			}
		}
		if splittable {
			b = append(b, `{"predictions":[`...)
			for i := range rows {
				if i > 0 {
					b = append(b, ',')
				}
				if len(outs) == 1 {
					b = tensor.AppendJSON(b, rowView(outs[0], i))
					continue
				}
				b = append(b, '{')
				for k, o := range outs {
					if k > 0 {
						b = append(b, ',')
					}
					b = append(b, quoteJSON(o.Name)...)
					b = append(b, ':')
					b = tensor.AppendJSON(b, rowView(o, i))
				}
				b = append(b, '}')
			}
			return append(b, "]}"...)
		}
		b = append(b, `{"predictions":`...)
	} else {
		b = append(b, `{"outputs":`...)
	}
	if len(outs) == 1 {
		b = tensor.AppendJSON(b, outs[0])
		return append(b, '}')
	}
	b = append(b, '{')
	for k, o := range outs {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, quoteJSON(o.Name)...)
		b = append(b, ':')
		b = tensor.AppendJSON(b, o)
	}
	return append(b, "}}"...)
}
