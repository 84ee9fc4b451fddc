package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/edgeinfer/edgeinfer/tflite"
)

func registerInspect(m map[string]command) {
	m["inspect"] = command{summary: "describe a .tflite model: inputs, outputs, operators", run: runInspect}
}

func runInspect(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	ops := fs.Bool("ops", false, "list every operator, not just the counts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: edgeinfer inspect [--ops] MODEL.tflite [MODEL.tflite ...]")
	}
	for _, path := range fs.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		d, err := tflite.Describe(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Printf("%s: %d bytes, %d tensors, %d operators", path, len(data), d.Tensors, len(d.Operators))
		if d.Signature != "" {
			fmt.Printf(", signature %q", d.Signature)
		}
		fmt.Println()
		for _, s := range d.Inputs {
			fmt.Printf("  input  %-24s %s%v%s\n", s.Name, s.DType, s.Shape, quantString(s))
		}
		for _, s := range d.Outputs {
			fmt.Printf("  output %-24s %s%v%s\n", s.Name, s.DType, s.Shape, quantString(s))
		}
		counts := map[string]int{}
		var missing []string
		for _, o := range d.Operators {
			counts[o.Op]++
			if *ops {
				fmt.Printf("  op %3d %s v%d in%v out%v\n", o.Index, o.Op, o.Version, o.Inputs, o.Outputs)
			}
			if !o.Supported && counts[o.Op] == 1 {
				missing = append(missing, o.Op)
			}
		}
		names := make([]string, 0, len(counts))
		for n := range counts {
			names = append(names, fmt.Sprintf("%s×%d", n, counts[n]))
		}
		sort.Strings(names)
		fmt.Printf("  operators: %s\n", strings.Join(names, " "))
		if len(missing) > 0 {
			fmt.Printf("  not supported by this engine: %s\n", strings.Join(missing, " "))
		}
	}
	return nil
}

func quantString(s tflite.TensorSpec) string {
	if s.Quant == nil || len(s.Quant.Scale) == 0 {
		return ""
	}
	if len(s.Quant.Scale) == 1 {
		return fmt.Sprintf(" q(scale=%g, zero=%d)", s.Quant.Scale[0], s.Quant.ZeroPoint[0])
	}
	return fmt.Sprintf(" q(%d channels on axis %d)", len(s.Quant.Scale), s.Quant.Axis)
}
