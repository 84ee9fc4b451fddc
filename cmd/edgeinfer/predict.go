package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

func registerPredict(m map[string]command) {
	m["predict"] = command{summary: "run a model once on .npy inputs; print or save the outputs", run: runPredict}
}

// maxPredictInput bounds each .npy input read by predict.
const maxPredictInput = 1 << 30

func runPredict(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	model := fs.String("model", "", "path of the .tflite model (required)")
	outDir := fs.String("out", "", "write each output as DIR/<name>.npy instead of printing JSON")
	threads := fs.Int("threads", 1, "intra-op worker threads")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *model == "" || fs.NArg() == 0 {
		return errors.New("usage: edgeinfer predict --model M.tflite [--out DIR] INPUT.npy... (one file per model input, in order)")
	}
	m, err := tflite.LoadFile(*model)
	if err != nil {
		return err
	}
	if fs.NArg() != len(m.Inputs()) {
		return fmt.Errorf("model takes %d inputs, got %d files", len(m.Inputs()), fs.NArg())
	}
	ins := make([]*tensor.Tensor, fs.NArg())
	for i, path := range fs.Args() {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		ins[i], err = tensor.ReadNpyLimit(bufio.NewReader(f), maxPredictInput)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
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
	for i, o := range outs {
		name := m.Outputs()[i].Name
		if *outDir == "" {
			fmt.Printf("%s %s%v %s\n", name, o.DType, o.Shape, tensor.AppendJSON(nil, o))
			continue
		}
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
		path := filepath.Join(*outDir, safeName(name)+".npy")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(f)
		err = tensor.WriteNpy(w, o)
		if err == nil {
			err = w.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Println(path)
	}
	return nil
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
