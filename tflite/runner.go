package tflite

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Runner executes a Model. It owns an activation arena and is not safe for
// concurrent use. Run allocates nothing once the Runner exists.
type Runner struct {
	m *Model
	frame
	current atomic.Int64 // index of the op running, -1 when idle
	x       op.Exec
	// calls holds the frames of the subgraphs control-flow operators
	// call, by file index (nil for the main one and those never called).
	calls []*frame
	vars  []op.Var // resource variables, by id
	// resets are the steps (of every frame) whose kernel has a Reset.
	resets []resetter
	// prof accumulates per-step times when profiling is on (nil otherwise).
	prof     []time.Duration
	profMin  []time.Duration // shortest time of each step over the profiled Runs
	profRuns int
}

// frame is one planned subgraph bound to its own arena: its tensors and
// the per-step argument lists.
type frame struct {
	p       *plan
	arena   []byte
	ts      []tensor.Tensor
	ins     [][]*tensor.Tensor // per step
	outs    [][]*tensor.Tensor // per step
	states  []any              // per step: Kernel.NewState's value, or nil
	results []*tensor.Tensor
	inputs  []*tensor.Tensor
}

type resetter struct {
	reset func(any)
	state any
}

// engine is the Runner's op.Engine: what control-flow and variable
// kernels reach through op.Exec (kept off the Runner's own API).
type engine struct{ r *Runner }

var _ op.Engine = engine{}

// newFrame allocates an arena for p and binds its tensors to it.
func newFrame(p *plan) frame {
	// Allocate the arena as 64-byte aligned memory.
	raw := make([]byte, p.arenaSize+arenaAlign)
	off := (arenaAlign - int(uintptr(unsafe.Pointer(unsafe.SliceData(raw)))%arenaAlign)) % arenaAlign
	f := frame{p: p, arena: raw[off : off+p.arenaSize : off+p.arenaSize]}
	f.ts = make([]tensor.Tensor, len(p.infos))
	for i, t := range p.infos {
		f.ts[i] = tensor.Tensor{Name: t.Name, DType: t.DType, Shape: t.Shape, Quant: t.Quant}
		switch {
		case t.IsConst():
			f.ts[i].Data = t.Const
		case p.offsets[i] >= 0:
			n := t.Shape.Elements() * t.DType.Size()
			f.ts[i].Data = f.arena[p.offsets[i] : p.offsets[i]+n : p.offsets[i]+n]
		}
	}
	ptrs := func(list []int) []*tensor.Tensor {
		out := make([]*tensor.Tensor, len(list))
		for k, ti := range list {
			if ti >= 0 {
				out[k] = &f.ts[ti]
			}
		}
		return out
	}
	f.ins = make([][]*tensor.Tensor, len(p.steps))
	f.outs = make([][]*tensor.Tensor, len(p.steps))
	f.states = make([]any, len(p.steps))
	for i, s := range p.steps {
		f.ins[i], f.outs[i] = ptrs(s.inputs), ptrs(s.outputs)
		if s.kernel.NewState != nil {
			f.states[i] = s.kernel.NewState()
		}
	}
	f.inputs = ptrs(p.sg.inputs)
	f.results = ptrs(p.sg.outputs)
	return f
}

// NewRunner returns a Runner with its own arena, using the model's default
// thread count.
func (m *Model) NewRunner() *Runner {
	p := m.plan
	r := &Runner{m: m, frame: newFrame(p)}
	r.current.Store(-1)
	r.calls = make([]*frame, len(p.subgraphs))
	for i, sp := range p.subgraphs {
		if sp != nil {
			f := newFrame(sp)
			r.calls[i] = &f
		}
	}
	r.vars = make([]op.Var, len(p.vars))
	for i, v := range p.vars {
		r.vars[i].T = tensor.Tensor{Name: v.name, DType: v.dtype, Shape: v.shape, Data: make([]byte, v.shape.Elements()*v.dtype.Size())}
	}
	for _, f := range append([]*frame{&r.frame}, r.calls...) {
		if f == nil {
			continue
		}
		for i, s := range f.p.steps {
			if s.kernel.Reset != nil {
				r.resets = append(r.resets, resetter{s.kernel.Reset, f.states[i]})
			}
		}
	}
	r.x.Scratch = r.arena[p.scratch:]
	r.x.SetThreads(m.cfg.threads)
	r.x.SetEngine(engine{r})
	return r
}

// Call runs subgraph sg for a control-flow operator (op.Engine).
func (e engine) Call(x *op.Exec, sg int, in, out []*tensor.Tensor) error {
	r := e.r
	if sg < 0 || sg >= len(r.calls) || r.calls[sg] == nil {
		return fmt.Errorf("subgraph %d was not planned", sg)
	}
	f := r.calls[sg]
	if len(in) != len(f.inputs) || len(out) != len(f.results) {
		return fmt.Errorf("subgraph %d takes %d inputs and %d outputs, called with %d and %d", sg, len(f.inputs), len(f.results), len(in), len(out))
	}
	for i, t := range in {
		copy(f.inputs[i].Data, t.Data)
	}
	scratch, state := x.Scratch, x.State
	x.Scratch = f.arena[f.p.scratch:]
	for i := range f.p.steps {
		if x.Ctx != nil {
			if err := x.Ctx.Err(); err != nil {
				return err
			}
		}
		x.State = f.states[i]
		if err := f.p.steps[i].kernel.Eval(x, f.ins[i], f.outs[i]); err != nil {
			x.Scratch, x.State = scratch, state
			return fmt.Errorf("subgraph %d: op %d (%s): %w", sg, i, f.p.steps[i].name, err)
		}
	}
	x.Scratch, x.State = scratch, state
	for i, t := range out {
		copy(t.Data, f.results[i].Data)
	}
	return nil
}

// Var returns resource variable id (op.Engine).
func (e engine) Var(id int) *op.Var {
	r := e.r
	if id < 0 || id >= len(r.vars) {
		return nil
	}
	return &r.vars[id]
}

// SetThreads sets the number of intra-op workers this Runner may use,
// starting n-1 worker goroutines (n ≤ 1 stops them).
func (r *Runner) SetThreads(n int) { r.x.SetThreads(n) }

// SetActiveThreads makes the following Runs use at most n of the threads
// SetThreads started (n ≤ 0: all). It starts and stops no goroutine, so a
// server may call it before every Run: one thread per request under load,
// every thread when idle. Results do not depend on it.
func (r *Runner) SetActiveThreads(n int) { r.x.SetActive(n) }

// Model returns the model the Runner executes.
func (r *Runner) Model() *Model { return r.m }

// Inputs returns the Runner's input tensors, backed by its arena: fill them
// in place and call Run with nil inputs to avoid a copy.
func (r *Runner) Inputs() []*tensor.Tensor { return r.inputs }

// Run executes the model. inputs must match Inputs() in order, dtype and
// shape; nil means the Runner's own input tensors were filled in place. The
// returned tensors are owned by the Runner and valid until the next Run;
// copy them to keep them. Run checks ctx between operators.
//
// Load validates what every kernel relies on, so no Run should panic; if a
// kernel does (a bug reached through a model file), Run returns an error
// wrapping ErrPanic and ErrInvalidModel that names the operator instead of
// panicking, and the Runner stays usable.
func (r *Runner) Run(ctx context.Context, inputs []*tensor.Tensor) (_ []*tensor.Tensor, err error) {
	if inputs != nil {
		if len(inputs) != len(r.inputs) {
			return nil, fmt.Errorf("%w: %d inputs, model takes %d", ErrInput, len(inputs), len(r.inputs))
		}
		for i, in := range inputs {
			dst := r.inputs[i]
			if in == nil || in.DType != dst.DType || !in.Shape.Equal(dst.Shape) || len(in.Data) != len(dst.Data) {
				return nil, r.inputError(i, in)
			}
			if unsafe.SliceData(in.Data) != unsafe.SliceData(dst.Data) {
				copy(dst.Data, in.Data)
			}
		}
	}
	r.resetVariables()
	r.x.Ctx = ctx
	defer func() {
		if v := recover(); v != nil {
			i, name := r.CurrentOp()
			err = fmt.Errorf("%w: %w: op %d (%s) failed at run time: %v", ErrInvalidModel, ErrPanic, i, name, v)
		}
		r.x.Ctx, r.x.State = nil, nil
		r.x.Scratch = r.arena[r.p.scratch:] // a subgraph call may have panicked
		r.current.Store(-1)
	}()
	for i := range r.m.plan.steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r.current.Store(int64(i))
		r.x.State = r.states[i]
		var t0 time.Time
		if r.prof != nil {
			t0 = time.Now()
		}
		if err := r.m.plan.steps[i].kernel.Eval(&r.x, r.ins[i], r.outs[i]); err != nil {
			return nil, fmt.Errorf("op %d (%s): %w", i, r.m.plan.steps[i].name, err)
		}
		if r.prof != nil {
			d := time.Since(t0)
			r.prof[i] += d
			if r.profRuns == 0 || d < r.profMin[i] {
				r.profMin[i] = d
			}
		}
	}
	if r.prof != nil {
		r.profRuns++
	}
	return r.results, nil
}

// resetVariables sets every variable tensor (of every subgraph) to its
// initial value, unassigns every resource variable and resets every
// stateful kernel, so that each Run is independent of the ones before it.
func (r *Runner) resetVariables() {
	for i := range r.vars {
		r.vars[i].Set = false
	}
	for _, s := range r.resets {
		s.reset(s.state)
	}
	r.frame.resetVariables()
	for _, f := range r.calls {
		if f != nil {
			f.resetVariables()
		}
	}
}

// resetVariables sets the frame's variable tensors to their initial value.
func (f *frame) resetVariables() {
	for _, v := range f.p.variables {
		b := f.ts[v.tensor].Data
		if v.fill == 0 {
			clear(b)
			continue
		}
		for i := range b {
			b[i] = v.fill
		}
	}
}

func (r *Runner) inputError(i int, in *tensor.Tensor) error {
	want := r.inputs[i]
	name := r.m.inputs[i].Name
	if in == nil {
		return fmt.Errorf("%w: input %d (%s) is nil", ErrInput, i, name)
	}
	if in.DType != want.DType || !in.Shape.Equal(want.Shape) {
		return fmt.Errorf("%w: input %d (%s) is %s%v, model takes %s%v", ErrInput, i, name, in.DType, in.Shape, want.DType, want.Shape)
	}
	return fmt.Errorf("%w: input %d (%s) has %d bytes, %s%v needs %d", ErrInput, i, name, len(in.Data), want.DType, want.Shape, len(want.Data))
}

// CurrentOp returns the index and name of the operator running now, or
// (-1, "") when the Runner is idle. Safe to call from any goroutine.
func (r *Runner) CurrentOp() (int, string) {
	i := r.current.Load()
	if i < 0 || int(i) >= len(r.m.plan.steps) {
		return -1, ""
	}
	return int(i), r.m.plan.steps[i].name
}

// Close stops the Runner's worker goroutines (see SetThreads). The Runner
// stays usable: later Runs execute on the calling goroutine until
// SetThreads starts workers again. Not safe to call while Run runs.
func (r *Runner) Close() { r.x.Close() }
