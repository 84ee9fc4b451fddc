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
	m       *Model
	arena   []byte
	current atomic.Int64 // index of the op running, -1 when idle
	ts      []tensor.Tensor
	ins     [][]*tensor.Tensor // per step
	outs    [][]*tensor.Tensor // per step
	states  []any              // per step: Kernel.NewState's value, or nil
	results []*tensor.Tensor
	inputs  []*tensor.Tensor
	x       op.Exec
	// prof accumulates per-step times when profiling is on (nil otherwise).
	prof     []time.Duration
	profRuns int
}

// NewRunner returns a Runner with its own arena, using the model's default
// thread count.
func (m *Model) NewRunner() *Runner {
	p := m.plan
	// Allocate the arena as 64-byte aligned memory.
	raw := make([]byte, p.arenaSize+arenaAlign)
	off := (arenaAlign - int(uintptr(unsafe.Pointer(unsafe.SliceData(raw)))%arenaAlign)) % arenaAlign
	r := &Runner{m: m, arena: raw[off : off+p.arenaSize : off+p.arenaSize]}
	r.current.Store(-1)
	r.ts = make([]tensor.Tensor, len(p.infos))
	for i, t := range p.infos {
		r.ts[i] = tensor.Tensor{Name: t.Name, DType: t.DType, Shape: t.Shape, Quant: t.Quant}
		switch {
		case t.IsConst():
			r.ts[i].Data = t.Const
		case p.offsets[i] >= 0:
			n := t.Shape.Elements() * t.DType.Size()
			r.ts[i].Data = r.arena[p.offsets[i] : p.offsets[i]+n : p.offsets[i]+n]
		}
	}
	ptrs := func(list []int) []*tensor.Tensor {
		out := make([]*tensor.Tensor, len(list))
		for k, ti := range list {
			if ti >= 0 {
				out[k] = &r.ts[ti]
			}
		}
		return out
	}
	r.ins = make([][]*tensor.Tensor, len(p.steps))
	r.outs = make([][]*tensor.Tensor, len(p.steps))
	r.states = make([]any, len(p.steps))
	for i, s := range p.steps {
		r.ins[i], r.outs[i] = ptrs(s.inputs), ptrs(s.outputs)
		if s.kernel.NewState != nil {
			r.states[i] = s.kernel.NewState()
		}
	}
	r.inputs = ptrs(m.file.inputs)
	r.results = ptrs(m.file.outputs)
	r.x.Scratch = r.arena[p.scratch:]
	r.x.SetThreads(m.cfg.threads)
	return r
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
// wrapping ErrInvalidModel that names the operator instead of panicking, and
// the Runner stays usable.
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
			err = fmt.Errorf("%w: op %d (%s) failed at run time: %v", ErrInvalidModel, i, name, v)
		}
		r.x.Ctx, r.x.State = nil, nil
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
			r.prof[i] += time.Since(t0)
		}
	}
	if r.prof != nil {
		r.profRuns++
	}
	return r.results, nil
}

// resetVariables sets every variable tensor to its initial value, so that
// each Run is independent of the ones before it.
func (r *Runner) resetVariables() {
	for _, v := range r.m.plan.variables {
		b := r.ts[v.tensor].Data
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
