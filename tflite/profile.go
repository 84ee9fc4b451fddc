package tflite

import (
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// OpProfile is the time one operator of the plan took over the Runs a
// Runner made since EnableProfile.
type OpProfile struct {
	Index  int          // position in execution order
	Name   string       // builtin operator name
	Output tensor.Shape // shape of the first output (nil if none)
	DType  tensor.DType // dtype of the first output
	MACs   int64        // multiply-accumulates per Run (0 if not convolution-like)
	Folded bool         // folded at load (a PAD into its convolution, a RELU into its producer, a constant computed): no work
	Total  time.Duration
	Min    time.Duration // shortest single Run: robust where other processes share the cores
	Runs   int
}

// EnableProfile makes every later Run time each operator (two clock reads
// per operator) and resets the counts. Profile returns them.
func (r *Runner) EnableProfile() {
	r.prof = make([]time.Duration, len(r.m.plan.steps))
	r.profMin = make([]time.Duration, len(r.m.plan.steps))
	r.profRuns = 0
}

// Profile returns the per-operator times gathered since EnableProfile, in
// execution order, or nil if profiling is off.
func (r *Runner) Profile() []OpProfile {
	if r.prof == nil {
		return nil
	}
	p := r.m.plan
	out := make([]OpProfile, len(p.steps))
	for i, s := range p.steps {
		o := OpProfile{Index: i, Name: s.name, MACs: p.stepMACs(i), Total: r.prof[i], Min: r.profMin[i], Runs: r.profRuns, Folded: s.folded}
		if len(s.outputs) > 0 && s.outputs[0] >= 0 {
			t := p.infos[s.outputs[0]]
			o.Output, o.DType = t.Shape.Clone(), t.DType
		}
		out[i] = o
	}
	return out
}
