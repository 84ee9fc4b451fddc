package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

func registerInspect(m map[string]command) {
	m["inspect"] = command{
		synopsis: "[--ops] [--tensors] [--json] MODEL.tflite...",
		summary:  "describe .tflite models: inputs, outputs, operators, tensors, MACs, whether this engine runs them",
		run:      runInspect,
	}
}

// inspection is what inspect reports for one model (also its --json form).
type inspection struct {
	Path        string         `json:"path"`
	Bytes       int            `json:"bytes"`
	Description string         `json:"description,omitempty"`
	Signature   string         `json:"signature,omitempty"`
	Inputs      []specJSON     `json:"inputs"`
	Outputs     []specJSON     `json:"outputs"`
	OpCounts    map[string]int `json:"op_counts"`
	Operators   []opJSON       `json:"operators,omitempty"`
	Tensors     []specJSON     `json:"tensors,omitempty"`
	Unsupported []string       `json:"unsupported,omitempty"`
	Loads       bool           `json:"loads"`
	LoadError   string         `json:"load_error,omitempty"`
	// Problems lists every operator or feature that keeps the model from
	// loading (LoadError is all of them joined).
	Problems   []string `json:"problems,omitempty"`
	MACs       int64    `json:"macs,omitempty"`
	ArenaBytes int64    `json:"arena_bytes,omitempty"`
}

// opJSON is one operator in inspect's output (snake_case keys like the
// rest).
type opJSON struct {
	Index     int    `json:"index"`
	Op        string `json:"op"`
	Version   int    `json:"version"`
	Supported bool   `json:"supported"`
	Inputs    []int  `json:"inputs"`
	Outputs   []int  `json:"outputs"`
}

type specJSON struct {
	Index      int       `json:"index"`
	Name       string    `json:"name"`
	DType      string    `json:"dtype"`
	Shape      []int     `json:"shape"`
	Scale      []float32 `json:"scale,omitempty"`
	ZeroPoint  []int64   `json:"zero_point,omitempty"`
	Axis       int       `json:"quantized_dimension,omitempty"`
	ConstBytes int       `json:"const_bytes,omitempty"`
}

func runInspect(_ context.Context, args []string) error {
	fs := newFlags("inspect")
	ops := fs.Bool("ops", false, "list every operator, not just the counts")
	tensors := fs.Bool("tensors", false, "list every tensor")
	asJSON := fs.Bool("json", false, "print JSON (one object per model, everything included)")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("no model given")
	}
	for _, path := range paths {
		in, err := inspectFile(path)
		if err != nil {
			return err
		}
		if *asJSON {
			b, _ := json.MarshalIndent(in, "", "  ")
			fmt.Println(string(b))
			continue
		}
		printInspection(in, *ops, *tensors)
	}
	return nil
}

func inspectFile(path string) (*inspection, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d, err := tflite.Describe(data)
	if errors.Is(err, tflite.ErrUnsupported) {
		// Well-formed, but a file-level feature (a tensor type, a subgraph
		// layout) is not supported: say so, it is no failure of inspect.
		return &inspection{Path: path, Bytes: len(data), OpCounts: map[string]int{}, LoadError: err.Error(), Problems: []string{err.Error()}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	in := &inspection{Path: path, Bytes: len(data), Description: d.Description, Signature: d.Signature,
		OpCounts: map[string]int{}}
	for _, o := range d.Operators {
		in.Operators = append(in.Operators, opJSON{Index: o.Index, Op: o.Op, Version: o.Version, Supported: o.Supported, Inputs: o.Inputs, Outputs: o.Outputs})
	}
	for i, s := range d.Inputs {
		in.Inputs = append(in.Inputs, specOf(i, s.Name, s.DType.String(), s.Shape, s.Quant, 0))
	}
	for i, s := range d.Outputs {
		in.Outputs = append(in.Outputs, specOf(i, s.Name, s.DType.String(), s.Shape, s.Quant, 0))
	}
	for _, t := range d.Tensors {
		in.Tensors = append(in.Tensors, specOf(t.Index, t.Name, t.DType.String(), t.Shape, t.Quant, t.ConstBytes))
	}
	for _, o := range d.Operators {
		in.OpCounts[o.Op]++
		if !o.Supported && in.OpCounts[o.Op] == 1 {
			in.Unsupported = append(in.Unsupported, o.Op)
		}
	}
	if m, err := tflite.Load(data, tflite.WithAllErrors()); err != nil {
		in.LoadError = err.Error()
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				in.Problems = append(in.Problems, e.Error())
			}
		} else {
			in.Problems = []string{err.Error()}
		}
	} else {
		in.Loads, in.MACs, in.ArenaBytes = true, m.MACs(), m.ArenaBytes()
	}
	return in, nil
}

func specOf(i int, name, dt string, shape []int, q *tensor.Quant, constBytes int) specJSON {
	s := specJSON{Index: i, Name: name, DType: dt, Shape: shape, ConstBytes: constBytes}
	if q != nil {
		s.Scale, s.ZeroPoint, s.Axis = q.Scale, q.ZeroPoint, q.Axis
	}
	return s
}

func printInspection(in *inspection, ops, tensors bool) {
	fmt.Printf("%s: %s, %s, %s", in.Path, plural(in.Bytes, "byte"), plural(len(in.Tensors), "tensor"), plural(len(in.Operators), "operator"))
	if in.Signature != "" {
		fmt.Printf(", signature %q", in.Signature)
	}
	fmt.Println()
	for _, s := range in.Inputs {
		fmt.Printf("  input  %-24s %s%v%s\n", s.Name, s.DType, tensor.Shape(s.Shape), quantString(s))
	}
	for _, s := range in.Outputs {
		fmt.Printf("  output %-24s %s%v%s\n", s.Name, s.DType, tensor.Shape(s.Shape), quantString(s))
	}
	names := make([]string, 0, len(in.OpCounts))
	for n, c := range in.OpCounts {
		names = append(names, fmt.Sprintf("%s×%d", n, c))
	}
	sort.Strings(names)
	fmt.Printf("  operators: %s\n", strings.Join(names, " "))
	if ops {
		for _, o := range in.Operators {
			fmt.Printf("  op %3d %s v%d in%v out%v\n", o.Index, o.Op, o.Version, o.Inputs, o.Outputs)
		}
	}
	if tensors {
		for _, t := range in.Tensors {
			c := ""
			if t.ConstBytes > 0 {
				c = fmt.Sprintf(" const %d bytes", t.ConstBytes)
			}
			fmt.Printf("  tensor %3d %-32s %s%v%s%s\n", t.Index, t.Name, t.DType, tensor.Shape(t.Shape), quantString(t), c)
		}
	}
	if len(in.Unsupported) > 0 {
		fmt.Printf("  not supported by this engine: %s\n", strings.Join(in.Unsupported, " "))
	}
	if in.Loads {
		fmt.Printf("  loads: yes; %s per run, arena %s\n", macString(in.MACs), humanBytes(in.ArenaBytes))
	} else if len(in.Problems) == 1 {
		fmt.Printf("  loads: no: %s\n", in.Problems[0])
	} else {
		fmt.Printf("  loads: no: %s:\n", plural(len(in.Problems), "problem"))
		for _, p := range in.Problems {
			fmt.Printf("    %s\n", p)
		}
	}
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// macString writes a multiply-accumulate count readably at every scale:
// "24 MAC", "12.5 kMAC", "300.1 MMAC", "4.20 GMAC".
func macString(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GMAC", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MMAC", float64(n)/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.1f kMAC", float64(n)/1e3)
	}
	return fmt.Sprintf("%d MAC", n)
}

func quantString(s specJSON) string {
	switch len(s.Scale) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(" q(scale=%g, zero=%d)", s.Scale[0], s.ZeroPoint[0])
	}
	return fmt.Sprintf(" q(%d channels on axis %d)", len(s.Scale), s.Axis)
}
