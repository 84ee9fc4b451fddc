package serving

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/edgeinfer/edgeinfer/preprocess"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// parseV1Body parses a TF Serving predict body: a JSON object, or an
// encoded image sent with Content-Type image/* (then doc is an empty
// object and img the image).
func (s *Server) parseV1Body(r *http.Request, body []byte, lim decodeLimits) (doc *tensor.JSONValue, img []byte, err error) {
	if isImagePost(r) {
		return &tensor.JSONValue{Kind: tensor.JSONObject}, body, nil
	}
	doc, err = parseJSON(body, lim)
	if err != nil {
		return nil, nil, err
	}
	if doc.Kind != tensor.JSONObject {
		return nil, nil, fmt.Errorf("%w: request body must be a JSON object", ErrInvalid)
	}
	return doc, nil, nil
}

// v1Images returns the encoded images of a row or columnar request for a
// model with one input: "instances" (or "inputs") as a list of
// {"b64": ...} objects (or of {"<input>": {"b64": ...}}), or one such
// object, whose decoded bytes are images. It returns nil when the request
// holds anything else.
func v1Images(doc *tensor.JSONValue, specs []tflite.TensorSpec) ([][]byte, bool, error) {
	if len(specs) != 1 || !preprocess.IsImageInput(specs[0]) {
		return nil, false, nil
	}
	v, rows := doc.Get("instances"), true
	if v == nil {
		v, rows = doc.Get("inputs"), false
	}
	if v == nil {
		return nil, false, nil
	}
	items := []tensor.JSONValue{*v}
	if v.Kind == tensor.JSONArray {
		items = v.Items
	}
	var out [][]byte
	for i := range items {
		it := &items[i]
		if it.Kind == tensor.JSONObject && len(it.Keys) == 1 && it.Keys[0] != "b64" {
			it = &it.Items[0] // {"<feature>": {"b64": ...}}: the model has one input
		}
		if it.Kind != tensor.JSONObject || len(it.Keys) != 1 || it.Keys[0] != "b64" || it.Items[0].Kind != tensor.JSONString {
			return nil, false, nil
		}
		b, err := bytesElem(it.Items[0].Text, true)
		if err != nil || preprocess.Sniff(b) == "" {
			// Raw tensor bytes (the b64 form of the tensor codec).
			return nil, false, nil
		}
		out = append(out, b)
	}
	return out, rows, nil
}

// decodeV1 decodes a predict request for model l: images (a body sent as
// image/*, or b64 images), or JSON numbers, which for a quantized input are
// real values the server quantizes unless "quantize": false. It returns
// the inputs, the instance count (-1 for the columnar format) and the
// options for the answer.
func (s *Server) decodeV1(r *http.Request, doc *tensor.JSONValue, img []byte, l *Loaded, lim decodeLimits) ([]*tensor.Tensor, int, *ioOptions, error) {
	mio, err := s.modelIO(r.Context(), l)
	if err != nil {
		return nil, 0, nil, err
	}
	o := &ioOptions{mio: mio, dequantize: true, quantize: true, imagePost: img != nil, ch: lim.ch}
	if strings.HasSuffix(r.URL.Path, ":classify") {
		// TF Serving's classify: "examples" (here: images, or rows of
		// numbers) in, {"results": [[[label, score], ...]]} out.
		if len(mio.classOutputs()) != 1 {
			return nil, 0, nil, fmt.Errorf("%w: :classify needs a model with one class output (this one has %d); use :predict", ErrInvalid, len(mio.classOutputs()))
		}
		o.classify, o.topK = true, defaultImageTopK
		if ex := doc.Get("examples"); ex != nil && doc.Get("instances") == nil {
			doc = &tensor.JSONValue{Kind: tensor.JSONObject, Keys: []string{"instances"}, Items: []tensor.JSONValue{*ex}}
		}
	}
	if v := doc.Get("dequantize"); v != nil {
		if o.dequantize, err = jsonBool(v, "dequantize"); err != nil {
			return nil, 0, nil, err
		}
	}
	if v := doc.Get("quantize"); v != nil {
		if o.quantize, err = jsonBool(v, "quantize"); err != nil {
			return nil, 0, nil, err
		}
	}
	if v := doc.Get("top_k"); v != nil {
		if o.topK, err = jsonTopK(v, "top_k"); err != nil {
			return nil, 0, nil, err
		}
	} else if o.imagePost && len(mio.classOutputs()) > 0 {
		o.topK = defaultImageTopK
	}
	if err := queryOptions(r, o); err != nil {
		return nil, 0, nil, err
	}
	specs := l.Model.Inputs()
	var ins []*tensor.Tensor
	rows := -1
	imgs, rowFormat, err := v1Images(doc, specs)
	if err != nil {
		return nil, 0, nil, err
	}
	switch {
	case img != nil:
		ins, rows = []*tensor.Tensor{bytesTensor("", tensor.Shape{1}, [][]byte{img})}, 1
	case imgs != nil:
		ins = []*tensor.Tensor{bytesTensor("", tensor.Shape{len(imgs)}, imgs)}
		if rowFormat {
			rows = len(imgs)
		}
	default:
		dec := specs
		if o.quantize {
			dec = make([]tflite.TensorSpec, len(specs))
			for i, sp := range specs {
				if preprocess.IsQuantized(sp.DType, sp.Quant) {
					sp.DType = tensor.Float32
				}
				dec[i] = sp
			}
		}
		if ins, rows, err = decodeV1Inputs(doc, dec, lim); err != nil {
			return nil, 0, nil, err
		}
	}
	if err := s.convertInputs(l, o, ins); err != nil {
		return nil, 0, nil, err
	}
	return ins, rows, o, nil
}

// encodeV1 encodes the answer: detections of an image for a detector;
// top-k classes when asked; else the outputs (dequantized unless
// "dequantize": false) as TF Serving does.
func (o *ioOptions) encodeV1(resp *Response, specs []tflite.TensorSpec, rows int) ([]byte, error) {
	topK := o.topK
	o.topK = 0
	if err := o.finish(resp, specs); err != nil {
		return nil, err
	}
	if o.detections != nil {
		d, err := json.Marshal(o.detections)
		if err != nil {
			return nil, err
		}
		b := append([]byte(`{"predictions":[`), d...)
		return append(b, "]}"...), nil
	}
	if o.classify {
		return encodeV1Results(resp.Outputs, specs, o.mio, topK)
	}
	if topK > 0 && o.mio != nil {
		var classOuts []int
		for _, k := range o.mio.classOutputs() {
			for i, t := range resp.Outputs {
				if t.Name == specs[k].Name {
					classOuts = append(classOuts, i)
				}
			}
		}
		if len(classOuts) > 0 {
			return encodeV1Classes(resp.Outputs, classOuts, specs, o.mio, topK)
		}
	}
	return encodeV1Outputs(resp.Outputs, rows), nil
}

// encodeV1Classes writes {"predictions": [...]}: per row the top classes
// ({"index", "label", "score"}) of the one class output, or an object of
// them by output name.
func encodeV1Classes(outs []*tensor.Tensor, idx []int, specs []tflite.TensorSpec, mio *ModelIO, k int) ([]byte, error) {
	tops := make([][][]Class, len(idx))
	rows := 0
	for j, i := range idx {
		t := outs[i]
		var q *tensor.Quant
		labels := []string(nil)
		for n, sp := range specs {
			if sp.Name == t.Name {
				q, labels = sp.Quant, mio.Labels(n)
			}
		}
		if t.DType == tensor.Float32 {
			q = nil
		}
		top, err := TopK(t, q, labels, k)
		if err != nil {
			return nil, err
		}
		tops[j] = top
		rows = len(top)
	}
	preds := make([]any, rows)
	for r := range rows {
		if len(idx) == 1 {
			preds[r] = tops[0][r]
			continue
		}
		m := map[string][]Class{}
		for j, i := range idx {
			m[outs[i].Name] = tops[j][r]
		}
		preds[r] = m
	}
	return json.Marshal(map[string]any{"predictions": preds})
}

// encodeV1Results writes TF Serving's classify answer for the model's
// class output: {"results": [[[label, score], ...], ...]}, one list per
// example, the label being the class index when the model has no labels.
func encodeV1Results(outs []*tensor.Tensor, specs []tflite.TensorSpec, mio *ModelIO, k int) ([]byte, error) {
	cls := mio.classOutputs()[0]
	for _, t := range outs {
		if t.Name != specs[cls].Name {
			continue
		}
		q := specs[cls].Quant
		if t.DType == tensor.Float32 {
			q = nil
		}
		top, err := TopK(t, q, mio.Labels(cls), k)
		if err != nil {
			return nil, err
		}
		results := make([][][2]any, len(top))
		for r, row := range top {
			results[r] = make([][2]any, len(row))
			for j, c := range row {
				label := c.Label
				if label == "" {
					label = strconv.Itoa(c.Index)
				}
				results[r][j] = [2]any{label, c.Score}
			}
		}
		return json.Marshal(map[string]any{"results": results})
	}
	return nil, fmt.Errorf("%w: the class output %q was not returned", ErrInvalid, specs[cls].Name)
}

// appendV1Quant appends a signature tensor's quantization parameters.
func appendV1Quant(b []byte, q *tensor.Quant) []byte {
	if q == nil || len(q.Scale) == 0 {
		return b
	}
	b = append(b, `,"quantization":`...)
	return appendQuantJSON(b, q)
}
