package serving

import (
	"context"
	"fmt"
	"time"

	"github.com/edgeinfer/edgeinfer/preprocess"
	"github.com/edgeinfer/edgeinfer/tensor"
)

// ImageInfoJSON describes an image that was fed to a model.
type ImageInfoJSON struct {
	Format string `json:"format"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// ImageResult is the answer to one encoded image: the top classes of each
// class output, or a detector's detections in the image's pixels, or else
// every output, dequantized.
type ImageResult struct {
	Model      string               `json:"model"`
	Version    int64                `json:"version"`
	Image      ImageInfoJSON        `json:"image"`
	Classes    map[string][]Class   `json:"classes,omitempty"`
	Detections []Detection          `json:"detections,omitempty"`
	Outputs    map[string][]float32 `json:"outputs,omitempty"`
}

// PredictImage decodes one encoded image into the model's image input (as
// the HTTP API does), runs it under the same admission control as Predict,
// and reads the answer: topK classes (0: 5) of each class output, or
// detections, or the dequantized outputs. timeout 0 takes the model's or
// the Server's default.
func (s *Server) PredictImage(ctx context.Context, ref Ref, img []byte, topK int, timeout time.Duration) (*ImageResult, error) {
	if topK <= 0 {
		topK = defaultImageTopK
	}
	if topK > maxTopK {
		return nil, fmt.Errorf("%w: top_k %d: want at most %d", ErrInvalid, topK, maxTopK)
	}
	ctx, cancel := s.withDeadline(ctx, timeout)
	defer cancel()
	l, err := s.acquire(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	ctx, cancel2 := s.modelDeadline(ctx, l, timeout)
	defer cancel2()
	mio, err := s.modelIO(ctx, l)
	if err != nil {
		return nil, err
	}
	o := &ioOptions{mio: mio, dequantize: true}
	ins := []*tensor.Tensor{bytesTensor("", tensor.Shape{1}, [][]byte{img})}
	if err := s.convertInputs(l, o, ins); err != nil {
		return nil, err
	}
	resp, err := s.predictLoaded(ctx, l, &Request{Ref: ref, Inputs: ins, Timeout: timeout})
	if err != nil {
		return nil, err
	}
	res := &ImageResult{Model: l.Name, Version: l.Version, Image: ImageInfoJSON{Format: string(preprocess.Sniff(img))}}
	if len(o.images) > 0 {
		res.Image.Width, res.Image.Height = o.images[0].Width, o.images[0].Height
	}
	specs := l.Model.Outputs()
	if err := o.finish(resp, specs); err != nil { // detections; dequantizes the rest
		return nil, err
	}
	if o.detections != nil {
		res.Detections = o.detections
		return res, nil
	}
	if cls := mio.classOutputs(); len(cls) > 0 {
		res.Classes = map[string][]Class{}
		for _, k := range cls {
			for _, t := range resp.Outputs {
				if t.Name != specs[k].Name {
					continue
				}
				top, err := TopK(t, nil, mio.Labels(k), topK)
				if err != nil {
					return nil, err
				}
				res.Classes[t.Name] = top[0]
			}
		}
		return res, nil
	}
	res.Outputs = map[string][]float32{}
	for _, t := range resp.Outputs {
		v, err := realValues(t, nil)
		if err != nil {
			return nil, err
		}
		res.Outputs[t.Name] = v
	}
	return res, nil
}
