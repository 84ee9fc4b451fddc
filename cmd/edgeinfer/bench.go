package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

func registerBench(m map[string]command) {
	m["bench"] = command{
		synopsis: "--model M.tflite [--input [NAME=]FILE.npy]... [--threads N] [--iters N] [--warmup N] [--batch N] [--profile]",
		summary:  "time a model: min/median/max ms, inferences/s, GMAC/s; --profile: per operator",
		run:      runBench,
	}
}

func runBench(ctx context.Context, args []string) error {
	fs := newFlags("bench")
	model := fs.String("model", "", "path of the .tflite model (required)")
	threads := fs.Int("threads", 1, "intra-op worker threads")
	iters := fs.Int("iters", 50, "timed runs")
	warmup := fs.Int("warmup", 3, "untimed runs first")
	batch := fs.Int("batch", 0, "re-plan for this batch size (dynamic-batch models only)")
	profile := fs.Bool("profile", false, "after timing, run --iters more times timing each operator and print the table")
	var inputFiles inputList
	fs.Var(&inputFiles, "input", "an input as a `[NAME=]FILE.npy` (repeatable; by name, else in order); inputs not given are random")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 1 && *model == "":
		*model = pos[0] // `bench M.tflite` works too
	case len(pos) != 0:
		return usagef("unexpected arguments %q", pos)
	}
	if *model == "" {
		return usagef("--model is required")
	}
	if *iters < 1 || *threads < 1 || *warmup < 0 {
		return usagef("--iters and --threads must be at least 1, --warmup at least 0")
	}
	load := time.Now()
	m, err := tflite.LoadFile(*model)
	if err != nil {
		return err
	}
	loadTime := time.Since(load)
	if *batch > 0 {
		if m, err = m.WithBatch(*batch); err != nil {
			return err
		}
	}
	ins, err := randomInputs(m)
	if err != nil {
		return err
	}
	if err := givenInputs(m, ins, inputFiles); err != nil {
		return err
	}
	r := m.NewRunner()
	defer r.Close()
	r.SetThreads(*threads)
	// Each Run reads the inputs in place from the Runner's own tensors
	// (Run(ctx, nil)), as ONNX Runtime's pre-bound inputs are. The arena
	// may reuse an input's bytes once it has been read, so they are
	// written again before every Run, outside the timed region: the
	// timings are the engine's, not a copy's.
	for i, t := range r.Inputs() {
		if len(t.Data) != len(ins[i].Data) {
			return fmt.Errorf("input %d: %d bytes, the Runner holds %d", i, len(ins[i].Data), len(t.Data))
		}
	}
	fill := func() {
		for i, t := range r.Inputs() {
			copy(t.Data, ins[i].Data)
		}
	}
	for i := 0; i < *warmup; i++ {
		fill()
		if _, err := r.Run(ctx, nil); err != nil {
			return err
		}
	}
	times := make([]time.Duration, *iters)
	for i := range times {
		fill()
		t0 := time.Now()
		if _, err := r.Run(ctx, nil); err != nil {
			return err
		}
		times[i] = time.Since(t0)
	}
	sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
	med := times[len(times)/2]
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	fmt.Printf("model      %s (%s, %s, arena %s, load %.1f ms)\n", *model, plural(len(m.Operators()), "operator"), macString(m.MACs()), humanBytes(m.ArenaBytes()), ms(loadTime))
	fmt.Printf("threads    %d, iters %d\n", *threads, *iters)
	fmt.Printf("latency    min %.3f ms  median %.3f ms  max %.3f ms\n", ms(times[0]), ms(med), ms(times[len(times)-1]))
	fmt.Printf("throughput %.1f inferences/s (median)\n", float64(max(m.Batch(), 1))/med.Seconds())
	if macs := m.MACs(); macs > 0 {
		fmt.Printf("compute    %.2f GMAC/s (median)\n", float64(macs)/med.Seconds()/1e9)
	}
	if !*profile {
		return nil
	}
	r.EnableProfile()
	for range *iters {
		fill()
		if _, err := r.Run(ctx, nil); err != nil {
			return err
		}
	}
	printProfile(os.Stdout, r.Profile())
	return nil
}

// printProfile writes one line per operator (mean and shortest time per
// Run, share of the mean, MACs and GMAC/s at the mean and at the shortest
// time) and then the totals per operator name, largest mean first. The
// shortest times are the robust figure where other processes share the
// cores: a preemption lands in one operator's mean.
func printProfile(w io.Writer, prof []tflite.OpProfile) {
	var total, totalMin time.Duration
	for _, p := range prof {
		total += p.Total
		totalMin += p.Min
	}
	if len(prof) == 0 || total <= 0 || prof[0].Runs == 0 {
		return
	}
	runs := float64(prof[0].Runs)
	share := func(d time.Duration) float64 { return 100 * float64(d) / float64(total) }
	rate := func(macs int64, d time.Duration, n float64) string {
		if macs == 0 || d <= 0 {
			return ""
		}
		return fmt.Sprintf("%8.1f", float64(macs)*n/d.Seconds()/1e9)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "\nper operator (mean and min of %d runs; the mins add up to %.3f ms)\n", prof[0].Runs, totalMin.Seconds()*1e3)
	fmt.Fprintln(tw, "op\tname\toutput\tms\tmin ms\t%\tMMAC\tGMAC/s\tat min\t")
	for _, p := range prof {
		if p.Folded {
			fmt.Fprintf(tw, "%d\t%s\t(folded at load)\t\t\t\t\t\t\t\n", p.Index, p.Name)
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%s%v\t%.4f\t%.4f\t%.1f\t%.2f\t%s\t%s\t\n", p.Index, p.Name, p.DType, p.Output,
			p.Total.Seconds()*1e3/runs, p.Min.Seconds()*1e3, share(p.Total), float64(p.MACs)/1e6, rate(p.MACs, p.Total, runs), rate(p.MACs, p.Min, 1))
	}
	tw.Flush()
	type agg struct {
		name       string
		n          int
		macs       int64
		total, min time.Duration
	}
	byName := map[string]*agg{}
	var names []*agg
	for _, p := range prof {
		a := byName[p.Name]
		if a == nil {
			a = &agg{name: p.Name}
			byName[p.Name] = a
			names = append(names, a)
		}
		a.n++
		a.macs += p.MACs
		a.total += p.Total
		a.min += p.Min
	}
	sort.SliceStable(names, func(i, j int) bool { return names[i].total > names[j].total })
	fmt.Fprintln(w, "\nper operator type")
	fmt.Fprintln(tw, "name\tcount\tms\tmin ms\t%\tMMAC\tGMAC/s\tat min\t")
	for _, a := range names {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%.1f\t%.2f\t%s\t%s\t\n", a.name, a.n, a.total.Seconds()*1e3/runs, a.min.Seconds()*1e3, share(a.total), float64(a.macs)/1e6, rate(a.macs, a.total, runs), rate(a.macs, a.min, 1))
	}
	tw.Flush()
}

// randomInputs fills each input with deterministic pseudo-random values in
// its dtype's range (floats in [-1, 1)).
func randomInputs(m *tflite.Model) ([]*tensor.Tensor, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ins []*tensor.Tensor
	for _, s := range m.Inputs() {
		shape := s.Shape.Clone()
		if len(shape) > 0 && shape[0] < 0 {
			shape[0] = max(m.Batch(), 1)
		}
		x, err := tensor.New(s.DType, shape)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", s.Name, err)
		}
		if s.DType == tensor.Float32 {
			for i := range x.Float32s() {
				x.Float32s()[i] = rng.Float32()*2 - 1
			}
		} else {
			for i := range x.Data {
				x.Data[i] = byte(rng.Uint32())
			}
		}
		ins = append(ins, x)
	}
	return ins, nil
}

// inputList collects repeated --input flags.
type inputList []string

func (l *inputList) String() string { return strings.Join(*l, ",") }

func (l *inputList) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty input")
	}
	*l = append(*l, v)
	return nil
}

// givenInputs replaces entries of ins with the .npy files given as
// NAME=FILE (NAME one of the model's inputs) or FILE (the next input not
// named), checking dtype and shape.
func givenInputs(m *tflite.Model, ins []*tensor.Tensor, given []string) error {
	specs := m.Inputs()
	index := map[string]int{}
	for i, s := range specs {
		index[s.Name] = i
	}
	set := make([]bool, len(specs))
	var unnamed []string
	for _, g := range given {
		name, file, ok := strings.Cut(g, "=")
		i, known := index[name]
		if !ok || !known {
			if _, err := os.Stat(g); ok && err != nil {
				return usagef("--input %s: the model has no input %q (inputs: %s)", g, name, inputNames(specs))
			}
			unnamed = append(unnamed, g)
			continue
		}
		if set[i] {
			return usagef("--input %s: input %q given twice", g, name)
		}
		if err := loadInput(ins, i, specs[i].Name, file); err != nil {
			return err
		}
		set[i] = true
	}
	next := 0
	for _, file := range unnamed {
		for next < len(set) && set[next] {
			next++
		}
		if next == len(set) {
			return usagef("--input %s: the model has %s, all given (name one with NAME=FILE: %s)", file, plural(len(specs), "input"), inputNames(specs))
		}
		if err := loadInput(ins, next, specs[next].Name, file); err != nil {
			return err
		}
		set[next] = true
	}
	return nil
}

// loadInput reads file into ins[i], which it must match in dtype and shape.
func loadInput(ins []*tensor.Tensor, i int, name, file string) error {
	t, err := readNpyFile(file)
	if err != nil {
		return fmt.Errorf("--input %s: %w", file, err)
	}
	want := ins[i]
	if t.DType != want.DType || !t.Shape.Equal(want.Shape) {
		return fmt.Errorf("--input %s: %s%v, input %d (%s) takes %s%v", file, t.DType, t.Shape, i, name, want.DType, want.Shape)
	}
	ins[i] = t
	return nil
}
