package serving

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/edgeinfer/edgeinfer/preprocess"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// Request options that turn numbers and images into tensors and outputs
// into labels (see the package documentation, "Numbers, images, labels").

// defaultImageTopK is how many classes a plain image POST answers when the
// request does not say.
const defaultImageTopK = 5

// maxTopK bounds top_k and classification requests.
const maxTopK = 1000

// A BYTES tensor is a tensor.Tensor of dtype String whose Data holds its
// elements in the binary tensor data extension's layout: each element a
// 4-byte little-endian length followed by its bytes.

// bytesTensor builds a BYTES tensor.
func bytesTensor(name string, shape tensor.Shape, elems [][]byte) *tensor.Tensor {
	var data []byte
	for _, e := range elems {
		data = binary.LittleEndian.AppendUint32(data, uint32(len(e)))
		data = append(data, e...)
	}
	return &tensor.Tensor{Name: name, DType: tensor.String, Shape: shape, Data: data}
}

// splitBytes returns the elements of a BYTES tensor (aliasing its data).
func splitBytes(t *tensor.Tensor) ([][]byte, error) {
	n := t.Shape.Elements()
	if n < 0 {
		return nil, fmt.Errorf("%w: %q: bad shape %s", ErrInvalid, clipName(t.Name), t.Shape)
	}
	out := make([][]byte, 0, n)
	b := t.Data
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: %q: BYTES data ends inside a length", ErrInvalid, clipName(t.Name))
		}
		l := binary.LittleEndian.Uint32(b)
		if uint64(l) > uint64(len(b)-4) {
			return nil, fmt.Errorf("%w: %q: BYTES element of %d bytes overruns the data", ErrInvalid, clipName(t.Name), l)
		}
		out = append(out, b[4:4+l])
		b = b[4+l:]
	}
	if len(out) != n {
		return nil, fmt.Errorf("%w: %q: %d BYTES elements for shape %s", ErrInvalid, clipName(t.Name), len(out), t.Shape)
	}
	return out, nil
}

// clipName cuts a client-supplied name for error messages.
func clipName(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// decodeV2Bytes decodes a V2 input of datatype BYTES: JSON data (strings,
// base64 unless the string itself is an image; or {"b64": ...} objects),
// or binary data in the extension's length-prefixed layout.
func decodeV2Bytes(in *tensor.JSONValue, name string, shape tensor.Shape, n int, bin *[]byte) (*tensor.Tensor, error) {
	if p := in.Get("parameters"); p != nil {
		if bs := p.Get("binary_data_size"); bs != nil {
			size, err := strconv.ParseInt(string(bs.Text), 10, 64)
			if bs.Kind != tensor.JSONNumber || err != nil || size < 0 {
				return nil, fmt.Errorf("%w: %q: binary_data_size must be a non-negative integer", ErrInvalid, clipName(name))
			}
			if int64(len(*bin)) < size {
				return nil, fmt.Errorf("%w: %q: binary data ends %d bytes early", ErrInvalid, clipName(name), size-int64(len(*bin)))
			}
			t := &tensor.Tensor{Name: name, DType: tensor.String, Shape: shape, Data: (*bin)[:size:size]}
			*bin = (*bin)[size:]
			if _, err := splitBytes(t); err != nil {
				return nil, err
			}
			return t, nil
		}
	}
	data := in.Get("data")
	if data == nil {
		return nil, fmt.Errorf("%w: %q: missing data", ErrInvalid, clipName(name))
	}
	var elems [][]byte
	var walk func(v *tensor.JSONValue, depth int) error
	walk = func(v *tensor.JSONValue, depth int) error {
		switch {
		case v.Kind == tensor.JSONArray && depth < 8:
			for i := range v.Items {
				if err := walk(&v.Items[i], depth+1); err != nil {
					return err
				}
			}
			return nil
		case v.Kind == tensor.JSONString:
			b, err := bytesElem(v.Text, false)
			if err != nil {
				return err
			}
			elems = append(elems, b)
			return nil
		case v.Kind == tensor.JSONObject && len(v.Keys) == 1 && v.Keys[0] == "b64" && v.Items[0].Kind == tensor.JSONString:
			b, err := bytesElem(v.Items[0].Text, true)
			if err != nil {
				return err
			}
			elems = append(elems, b)
			return nil
		}
		return fmt.Errorf("%w: %q: BYTES data must be strings or {\"b64\": ...} objects", ErrInvalid, clipName(name))
	}
	if err := walk(data, 0); err != nil {
		return nil, err
	}
	if len(elems) != n {
		return nil, fmt.Errorf("%w: %q: %d BYTES elements for shape %s", ErrInvalid, clipName(name), len(elems), shape)
	}
	return bytesTensor(name, shape, elems), nil
}

// bytesElem returns the bytes of a BYTES element given as a JSON string:
// the string itself when it is an encoded image, else its base64 decoding.
func bytesElem(s []byte, mustB64 bool) ([]byte, error) {
	if !mustB64 && preprocess.Sniff(s) != "" {
		return s, nil
	}
	str := strings.TrimRight(string(s), "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(str); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: a BYTES element is neither an encoded image nor base64", ErrInvalid)
}

// isImagePost reports whether a request body is an encoded image sent as
// such (Content-Type image/*), not a JSON document.
func isImagePost(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && strings.HasPrefix(mt, "image/")
}

// ioOptions are one request's choices about numbers and labels.
type ioOptions struct {
	mio        *ModelIO
	imagePost  bool            // the body was an image: answer for humans
	dequantize bool            // every quantized output as float32
	deqOut     map[string]bool // per output name
	topK       int             // > 0: classes of every class output
	topKOut    map[string]int  // per output name (V2 classification)
	quantize   bool            // V1: JSON numbers are real values
	images     []ImageInfo     // rows of the image input, when one was given
	detections []Detection     // filled by finish for detectors fed an image
	ch         *charge         // the request's memory budget; nil charges nothing
	classify   bool            // V1 :classify: answer TF Serving's "results"
}

// queryOptions reads ?top_k=N and ?dequantize=true|false.
func queryOptions(r *http.Request, o *ioOptions) error {
	q := r.URL.Query()
	if v := q.Get("top_k"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > maxTopK {
			return fmt.Errorf("%w: top_k %q: want 1 to %d", ErrInvalid, clipName(v), maxTopK)
		}
		o.topK = k
	}
	if v := q.Get("dequantize"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%w: dequantize %q: want true or false", ErrInvalid, clipName(v))
		}
		o.dequantize = b
	}
	return nil
}

// jsonTopK reads a top_k value.
func jsonTopK(v *tensor.JSONValue, what string) (int, error) {
	k, err := strconv.Atoi(string(v.Text))
	if v.Kind != tensor.JSONNumber || err != nil || k < 1 || k > maxTopK {
		return 0, fmt.Errorf("%w: %s must be an integer from 1 to %d", ErrInvalid, what, maxTopK)
	}
	return k, nil
}

func jsonBool(v *tensor.JSONValue, what string) (bool, error) {
	if v.Kind != tensor.JSONBool {
		return false, fmt.Errorf("%w: %s must be a bool", ErrInvalid, what)
	}
	return v.Bool, nil
}

// imageLimits are the decoding limits of images in requests.
func (s *Server) imageLimits() preprocess.Limits {
	return preprocess.Limits{MaxPixels: s.cfg.MaxImagePixels, MaxBytes: s.cfg.MaxBodyBytes}
}

// inputIndex finds the model input a request tensor is for: by name, or
// the only input.
func inputIndex(specs []tflite.TensorSpec, name string) int {
	for i, sp := range specs {
		if sp.Name == name {
			return i
		}
	}
	if len(specs) == 1 {
		return 0
	}
	return -1
}

// convertInputs turns BYTES tensors (encoded images) into image inputs
// and float32 tensors for quantized inputs into quantized ones.
func (s *Server) convertInputs(l *Loaded, o *ioOptions, ins []*tensor.Tensor) error {
	specs := l.Model.Inputs()
	for i, t := range ins {
		if t == nil {
			continue
		}
		k := inputIndex(specs, t.Name)
		if k < 0 && t.DType == tensor.String && t.Name == "" {
			for j, sp := range specs {
				if preprocess.IsImageInput(sp) {
					k = j
					break
				}
			}
		}
		if k < 0 {
			continue // matchInputs reports it
		}
		sp := specs[k]
		switch {
		case t.DType == tensor.String:
			if o.mio == nil {
				return fmt.Errorf("%w: model %q has no image input", ErrInvalid, l.Name)
			}
			imgs, err := splitBytes(t)
			if err != nil {
				return err
			}
			// Decoding holds up to 4 bytes per declared pixel (RGBA) until
			// the tensor is made: charged to the request's memory budget.
			// Images over the pixel limit are refused by Decode instead.
			var need int64
			maxPx := s.imageLimits().MaxPixels
			for _, b := range imgs {
				if _, w, h, err := preprocess.Header(b); err == nil && (maxPx <= 0 || int64(w)*int64(h) <= maxPx) {
					need = max(need, int64(w)*int64(h)*4)
				}
			}
			if err := o.ch.add(need); err != nil {
				return err
			}
			it, infos, err := o.mio.Images(k, imgs, l.Config.Image, s.imageLimits())
			o.ch.sub(need)
			if err != nil {
				return fmt.Errorf("input %q: %w", clipName(sp.Name), err)
			}
			it.Name = sp.Name
			ins[i] = it
			if o.images == nil {
				o.images = infos
			}
		case t.DType == tensor.Float32 && sp.DType != tensor.Float32 && preprocess.IsQuantized(sp.DType, sp.Quant):
			q, err := preprocess.Quantize(t, sp.DType, sp.Quant)
			if err != nil {
				return fmt.Errorf("%w: input %q: %w", ErrInvalid, clipName(sp.Name), err)
			}
			ins[i] = q
		}
	}
	return nil
}

// modelIO returns the ModelIO of a loaded model.
// The first use of a loaded model reads its metadata and, when its source
// can find one, the labels.txt beside it; both are kept while the model is.
func (s *Server) modelIO(ctx context.Context, l *Loaded) (*ModelIO, error) {
	return s.mio.modelIO(l.Model, func() ([]byte, error) {
		if lf, ok := s.cfg.Source.(labelsFinder); ok {
			return lf.labelsTxt(ctx, l.Name, l.Version)
		}
		return nil, nil
	})
}

// finish applies the options to a response's outputs: detections of an
// image, classes (top-k) and dequantization. specs are the model's
// outputs; each output is found by name.
func (o *ioOptions) finish(resp *Response, specs []tflite.TensorSpec) error {
	spec := func(name string) (int, *tflite.TensorSpec) {
		for i := range specs {
			if specs[i].Name == name {
				return i, &specs[i]
			}
		}
		return -1, nil
	}
	if o.mio != nil && o.mio.IsDetector() && len(o.images) > 0 && len(resp.Outputs) == len(specs) {
		ordered := make([]*tensor.Tensor, len(specs))
		for _, t := range resp.Outputs {
			if k, _ := spec(t.Name); k >= 0 {
				ordered[k] = t
			}
		}
		d, err := o.mio.Detections(ordered, &o.images[0], 0)
		if err != nil {
			return err
		}
		o.detections = d
		if d == nil {
			o.detections = []Detection{}
		}
	}
	classOut := map[int]bool{}
	if o.mio != nil {
		for _, k := range o.mio.classOutputs() {
			classOut[k] = true
		}
	}
	for i, t := range resp.Outputs {
		k, sp := spec(t.Name)
		if sp == nil {
			continue
		}
		topK := o.topKOut[t.Name]
		if topK == 0 && classOut[k] {
			topK = o.topK
		}
		if topK > 0 {
			var labels []string
			if o.mio != nil {
				labels = o.mio.Labels(k)
			}
			top, err := TopK(t, sp.Quant, labels, topK)
			if err != nil {
				return err
			}
			resp.Outputs[i] = classTensor(t.Name, top)
			continue
		}
		deq, ok := o.deqOut[t.Name]
		if !ok {
			deq = o.dequantize
		}
		if deq && preprocess.IsQuantized(t.DType, sp.Quant) {
			f, err := preprocess.Dequantize(t, sp.Quant)
			if err != nil {
				return fmt.Errorf("%w: output %q: %w", ErrInvalid, clipName(t.Name), err)
			}
			resp.Outputs[i] = f
		}
	}
	return nil
}

// classTensor encodes top-k classes as the V2 classification extension
// does: a BYTES tensor [rows, k] of "score:index[:label]".
func classTensor(name string, top [][]Class) *tensor.Tensor {
	var elems [][]byte
	k := 0
	for _, row := range top {
		k = len(row)
		for _, c := range row {
			e := strconv.AppendFloat(nil, float64(c.Score), 'g', -1, 32)
			e = append(e, ':')
			e = strconv.AppendInt(e, int64(c.Index), 10)
			if c.Label != "" {
				e = append(e, ':')
				e = append(e, c.Label...)
			}
			elems = append(elems, e)
		}
	}
	t := bytesTensor(name, tensor.Shape{len(top), k}, elems)
	return t
}

// appendV2Data appends an output's "data" array: strings for BYTES.
func appendV2Data(b []byte, t *tensor.Tensor) []byte {
	if t.DType != tensor.String {
		return tensor.AppendJSONFlat(b, t)
	}
	elems, _ := splitBytes(t)
	b = append(b, '[')
	for i, e := range elems {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, quoteJSON(string(e))...)
	}
	return append(b, ']')
}

// appendExtras adds "detections" to a V2 response object.
func (o *ioOptions) appendExtras(b []byte) []byte {
	if o == nil || o.detections == nil || len(b) == 0 || b[len(b)-1] != '}' {
		return b
	}
	d, err := json.Marshal(o.detections)
	if err != nil {
		return b
	}
	b = append(b[:len(b)-1], `,"detections":`...)
	b = append(b, d...)
	return append(b, '}')
}

// v2Options reads the V2 request's number and label parameters (request
// level: dequantize, top_k; per output: dequantize, classification) and
// the query string, and converts the request's inputs for model l.
func (s *Server) v2Options(r *http.Request, req *v2Request, l *Loaded, ch *charge) (*ioOptions, error) {
	o := &ioOptions{imagePost: req.imagePost, ch: ch}
	mio, err := s.modelIO(r.Context(), l)
	if err != nil {
		return nil, err
	}
	o.mio = mio
	if o.imagePost {
		o.dequantize = true
		if len(mio.classOutputs()) > 0 {
			o.topK = defaultImageTopK
		}
	}
	if p := req.params; p != nil {
		if v := p.Get("dequantize"); v != nil {
			if o.dequantize, err = jsonBool(v, "parameters.dequantize"); err != nil {
				return nil, err
			}
		}
		if v := p.Get("top_k"); v != nil {
			if o.topK, err = jsonTopK(v, "parameters.top_k"); err != nil {
				return nil, err
			}
		}
	}
	for _, ro := range req.outputs {
		if ro.params == nil {
			continue
		}
		if v := ro.params.Get("dequantize"); v != nil {
			b, err := jsonBool(v, "output parameters.dequantize")
			if err != nil {
				return nil, err
			}
			if o.deqOut == nil {
				o.deqOut = map[string]bool{}
			}
			o.deqOut[ro.name] = b
		}
		if v := ro.params.Get("classification"); v != nil {
			k, err := jsonTopK(v, "output parameters.classification")
			if err != nil {
				return nil, err
			}
			if o.topKOut == nil {
				o.topKOut = map[string]int{}
			}
			o.topKOut[ro.name] = k
		}
	}
	if err := queryOptions(r, o); err != nil {
		return nil, err
	}
	if err := s.convertInputs(l, o, req.inputs); err != nil {
		return nil, err
	}
	return o, nil
}

// decodeV2Body decodes a V2 inference body: an encoded image sent with
// Content-Type image/* (one BYTES element for the model's image input), or
// the JSON document (with binary data).
func (s *Server) decodeV2Body(r *http.Request, body []byte, headerLen int, lim decodeLimits) (*v2Request, error) {
	if isImagePost(r) {
		return &v2Request{imagePost: true, inputs: []*tensor.Tensor{bytesTensor("", tensor.Shape{1}, [][]byte{body})}}, nil
	}
	return decodeV2Request(body, headerLen, lim)
}

// appendQuantJSON appends {"scale":[...],"zero_point":[...],"axis":n}.
func appendQuantJSON(b []byte, q *tensor.Quant) []byte {
	b = append(b, `{"scale":[`...)
	for i, s := range q.Scale {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(s), 'g', -1, 32)
	}
	b = append(b, `],"zero_point":[`...)
	for i, z := range q.ZeroPoint {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, z, 10)
	}
	b = append(b, `],"axis":`...)
	b = strconv.AppendInt(b, int64(q.Axis), 10)
	return append(b, '}')
}

// appendV2Quant appends a V2 metadata tensor's quantization parameters
// (nothing for a tensor that is not quantized).
func appendV2Quant(b []byte, q *tensor.Quant) []byte {
	if q == nil || len(q.Scale) == 0 {
		return b
	}
	b = append(b, `,"parameters":{"quantization":`...)
	b = appendQuantJSON(b, q)
	return append(b, '}')
}
