package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgeinfer/edgeinfer/preprocess"
	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// imageFlags are predict's image options.
type imageFlags struct {
	images    inputFlags
	topK      int
	fit       string
	labels    string
	saveInput string
	minScore  float64
}

func (f *imageFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.images, "image", "an encoded image (JPEG, PNG, BMP, GIF, WebP) for the model's image input: [NAME=]FILE; preprocessed as the server does")
	fs.IntVar(&f.topK, "top-k", 5, "with --image: the classes to print for a classifier")
	fs.StringVar(&f.fit, "fit", "", "with --image: stretch (default), crop or pad")
	fs.StringVar(&f.labels, "labels", "", "with --image: a labels.txt (one label per line) for outputs the model's metadata leaves unlabelled (default: labels.txt beside the model, if any)")
	fs.StringVar(&f.saveInput, "save-input", "", "with --image: write the preprocessed input tensor to this .npy file")
	fs.Float64Var(&f.minScore, "min-score", 0, "with --image: the lowest detection score printed")
}

// predictImages feeds images to m as `edgeinfer serve` would and prints
// what it fed and the answer (top-k classes, detections, or outputs).
func predictImages(ctx context.Context, m *tflite.Model, data []byte, modelPath string, f *imageFlags, npys []string, threads int) error {
	var labels []byte
	if f.labels != "" {
		b, err := os.ReadFile(f.labels)
		if err != nil {
			return err
		}
		labels = b
	} else {
		// As the server does: labels.txt beside the model, then in the
		// model's directory's parent (<repo>/<model>/labels.txt).
		for _, p := range []string{filepath.Join(filepath.Dir(modelPath), "labels.txt"), filepath.Join(filepath.Dir(filepath.Dir(modelPath)), "labels.txt")} {
			if b, err := os.ReadFile(p); err == nil {
				labels = b
				break
			}
		}
	}
	mio, err := serving.NewModelIO(data, m.Inputs(), m.Outputs(), labels)
	if err != nil {
		return err
	}
	ov := &preprocess.Override{Fit: preprocess.Fit(f.fit)}
	specs := m.Inputs()
	ins := make([]*tensor.Tensor, len(specs))
	var info *serving.ImageInfo
	var fed []map[string]any
	for _, a := range f.images {
		idx, path := -1, a
		if name, p, ok := strings.Cut(a, "="); ok {
			for i, s := range specs {
				if s.Name == name {
					idx = i
				}
			}
			if idx < 0 {
				return usageError{fmt.Errorf("model has no input %q (inputs: %s)", name, inputNames(specs))}
			}
			path = p
		} else {
			for i, s := range specs {
				if ins[i] == nil && preprocess.IsImageInput(s) {
					idx = i
					break
				}
			}
			if idx < 0 {
				return usageError{fmt.Errorf("no image input left for %s (inputs: %s)", a, inputNames(specs))}
			}
		}
		if ins[idx] != nil {
			return usageError{fmt.Errorf("input %q given twice", specs[idx].Name)}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		spec, err := mio.ImageSpec(idx, ov)
		if err != nil {
			return err
		}
		t, infos, err := mio.Images(idx, [][]byte{b}, ov, preprocess.Limits{})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		ins[idx], info = t, &infos[0]
		fed = append(fed, map[string]any{"input": specs[idx].Name, "image": path, "image_size": []int{info.Width, info.Height},
			"shape": t.Shape, "dtype": t.DType.String(), "layout": spec.Layout, "fit": spec.Fit,
			"normalize": spec.Normalize, "mean": spec.Mean, "std": spec.Std, "quantization": spec.Quant})
		if f.saveInput != "" {
			if err := os.MkdirAll(filepath.Dir(f.saveInput), 0o755); err != nil {
				return err
			}
			if err := writeNpyFile(f.saveInput, t); err != nil {
				return err
			}
		}
	}
	if len(npys) > 0 {
		rest, err := readPredictInputsInto(m, ins, npys)
		if err != nil {
			return err
		}
		ins = rest
	}
	for i, t := range ins {
		if t == nil {
			return usageError{fmt.Errorf("missing input %q", specs[i].Name)}
		}
	}
	r := m.NewRunner()
	r.SetThreads(threads)
	outs, err := r.Run(ctx, ins)
	if err != nil {
		return err
	}
	res := map[string]any{"fed": fed}
	switch {
	case mio.IsDetector():
		d, err := mio.Detections(outs, info, float32(f.minScore))
		if err != nil {
			return err
		}
		res["detections"] = d
	default:
		classes := map[string]any{}
		for i, o := range outs {
			sp := m.Outputs()[i]
			if mio.Labels(i) == nil && !(len(outs) == 1 && len(o.Shape) == 2) {
				continue
			}
			top, err := serving.TopK(o, sp.Quant, mio.Labels(i), f.topK)
			if err != nil {
				continue
			}
			classes[sp.Name] = top[0]
		}
		if len(classes) == 0 {
			return errors.New("the model's outputs are neither classes nor detections; use --input FILE.npy --out DIR to see them raw")
		}
		res["classes"] = classes
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}
