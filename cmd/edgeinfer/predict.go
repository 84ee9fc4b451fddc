package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

func registerPredict(m map[string]command) {
	m["predict"] = command{
		synopsis: "--model M.tflite [--out DIR] [--json] [NAME=]INPUT.npy...",
		summary:  "run a model once on .npy inputs; print the outputs as JSON or save them as .npy files",
		run:      runPredict,
	}
}

// maxPredictInput bounds each .npy input read by predict.
const maxPredictInput = 1 << 30

// inputFlags collects repeated --input values.
type inputFlags []string

func (f *inputFlags) String() string     { return strings.Join(*f, ",") }
func (f *inputFlags) Set(v string) error { *f = append(*f, v); return nil }

func runPredict(ctx context.Context, args []string) error {
	fs := newFlags("predict")
	model := fs.String("model", "", "path of the .tflite model (required)")
	var inputs inputFlags
	fs.Var(&inputs, "input", "an input: NAME=FILE.npy, or FILE.npy for the next input in model order (repeatable; bare FILE.npy arguments also work)")
	outDir := fs.String("out", "", "write each output as DIR/<output name>.npy")
	asJSON := fs.Bool("json", false, "print the outputs as JSON (the default when --out is not given)")
	threads := fs.Int("threads", 1, "intra-op worker threads")
	var img imageFlags
	img.register(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	inputs = append(inputs, pos...)
	switch {
	case *model == "":
		return usagef("--model is required")
	case len(inputs) == 0 && len(img.images) == 0:
		return usagef("no input given (--input FILE.npy or --image FILE)")
	case *threads < 1:
		return usagef("--threads must be at least 1")
	}
	data, err := os.ReadFile(*model)
	if err != nil {
		return err
	}
	m, err := tflite.Load(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	if len(img.images) > 0 {
		return predictImages(ctx, m, data, *model, &img, inputs, *threads)
	}
	ins, err := readPredictInputs(m, inputs)
	if err != nil {
		return err
	}
	if b := ins[0].Shape; len(b) > 0 && m.Batchable() && b[0] != m.Batch() {
		if m, err = m.WithBatch(b[0]); err != nil {
			return err
		}
	}
	r := m.NewRunner()
	r.SetThreads(*threads)
	outs, err := r.Run(ctx, ins)
	if err != nil {
		return err
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
		for i, o := range outs {
			path := filepath.Join(*outDir, safeName(m.Outputs()[i].Name)+".npy")
			if err := writeNpyFile(path, o); err != nil {
				return err
			}
			fmt.Fprintln(os.Stderr, path)
		}
	}
	if *outDir == "" || *asJSON {
		b := []byte("{")
		for i, o := range outs {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, m.Outputs()[i].Name)
			b = append(b, `:{"dtype":`...)
			b = strconv.AppendQuote(b, o.DType.String())
			b = append(b, `,"shape":`...)
			b = appendInts(b, o.Shape)
			b = append(b, `,"data":`...)
			b = tensor.AppendJSON(b, o)
			b = append(b, '}')
		}
		fmt.Println(string(append(b, '}')))
	}
	return nil
}

// readPredictInputs reads the .npy inputs named NAME=FILE or given in model
// order, and checks that every model input has exactly one.
func readPredictInputs(m *tflite.Model, args []string) ([]*tensor.Tensor, error) {
	return readPredictInputsInto(m, make([]*tensor.Tensor, len(m.Inputs())), args)
}

// readPredictInputsInto is readPredictInputs with some inputs already
// filled (by images).
func readPredictInputsInto(m *tflite.Model, ins []*tensor.Tensor, args []string) ([]*tensor.Tensor, error) {
	specs := m.Inputs()
	next := 0
	for _, a := range args {
		idx, path := -1, a
		if name, p, ok := strings.Cut(a, "="); ok && !strings.HasSuffix(name, ".npy") {
			for i, s := range specs {
				if s.Name == name {
					idx = i
				}
			}
			if idx < 0 {
				return nil, usageError{fmt.Errorf("model has no input %q (inputs: %s)", name, inputNames(specs))}
			}
			path = p
		} else {
			for next < len(ins) && ins[next] != nil {
				next++
			}
			if next == len(ins) {
				return nil, usageError{fmt.Errorf("more inputs than the model's %d (%s)", len(specs), inputNames(specs))}
			}
			idx = next
		}
		if ins[idx] != nil {
			return nil, usageError{fmt.Errorf("input %q given twice", specs[idx].Name)}
		}
		t, err := readNpyFile(path)
		if err != nil {
			return nil, err
		}
		ins[idx] = t
	}
	for i, t := range ins {
		if t == nil {
			return nil, usageError{fmt.Errorf("missing input %q", specs[i].Name)}
		}
	}
	return ins, nil
}

func inputNames(specs []tflite.TensorSpec) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

func readNpyFile(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := tensor.ReadNpyLimit(bufio.NewReader(f), maxPredictInput)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func writeNpyFile(path string, t *tensor.Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = tensor.WriteNpy(w, t)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func appendInts(b []byte, v []int) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}

// safeName maps a tensor name to a file name.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == ';' || r < ' ' {
			return '_'
		}
		return r
	}, s)
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}
