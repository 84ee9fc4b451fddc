package op

import (
	"context"
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// TensorInfo describes one tensor of a subgraph as the planner sees it: its
// type, shape and quantization, and its constant data when it has any.
// Prepare functions may read every field and must set the Shape of each
// output they produce; they must not modify inputs.
type TensorInfo struct {
	Index int          // index in the subgraph's tensor list
	Name  string       // name from the file (may be empty)
	DType tensor.DType // element type
	Shape tensor.Shape // static shape (batch resolved)
	Quant *tensor.Quant
	// Const holds the tensor's constant bytes (len = elements × size), or
	// nil for activations. It is aligned for its element type and must be
	// treated as read-only.
	Const []byte
	// Variable marks state (is_variable in the file): a tensor that
	// operators read and write in place across the steps of one Run, such
	// as an LSTM's cell and output state. It never has Const data; the
	// interpreter keeps its bytes for the whole Run (the planner never
	// reuses them) and resets them before each Run to TensorFlow Lite's
	// initial value: the zero point for int8, zero bytes otherwise. An
	// operator may write a Variable input in Eval; no other input.
	Variable bool
}

// IsConst reports whether the tensor has constant data.
func (t *TensorInfo) IsConst() bool { return t != nil && t.Const != nil }

// ConstTensor returns the constant data as a read-only tensor view.
func (t *TensorInfo) ConstTensor() *tensor.Tensor {
	return &tensor.Tensor{Name: t.Name, DType: t.DType, Shape: t.Shape, Quant: t.Quant, Data: t.Const}
}

// Scale returns the tensor's per-tensor scale and zero point, or ok=false
// when the tensor is not quantized per tensor.
func (t *TensorInfo) Scale() (scale float64, zeroPoint int32, ok bool) {
	if t == nil || t.Quant == nil || len(t.Quant.Scale) != 1 || len(t.Quant.ZeroPoint) != 1 {
		return 0, 0, false
	}
	return float64(t.Quant.Scale[0]), int32(t.Quant.ZeroPoint[0]), true
}

// Node is one operator being prepared: its identity, its decoded options,
// and its input and output tensors. An optional input that is absent (index
// -1 in the file) is nil in Inputs.
type Node struct {
	Index   int    // position in the subgraph's execution order
	Op      string // builtin operator name, e.g. "CONV_2D"
	Version int    // operator version from the file
	// Options is the decoded builtin options: a pointer to one of the
	// *Options types in this package, or nil when the file gives none (the
	// zero value of the op's options struct then applies).
	Options any
	Inputs  []*TensorInfo
	Outputs []*TensorInfo
	// CustomOptions is the raw custom_options of a CUSTOM operator (a
	// FlexBuffer for most), nil for builtins. Untrusted: parse it with
	// bounds checks.
	CustomOptions []byte

	shared func(key string, build func() (any, error)) (any, error)
	graph  Graph
}

// Errorf returns an error naming the node: "op 12 (CONV_2D): ...".
func (n *Node) Errorf(format string, args ...any) error {
	return fmt.Errorf("op %d (%s): %s: %w", n.Index, n.Op, fmt.Sprintf(format, args...), ErrUnsupported)
}

// Invalidf is like Errorf but for a model that is malformed rather than
// unsupported.
func (n *Node) Invalidf(format string, args ...any) error {
	return fmt.Errorf("op %d (%s): %s: %w", n.Index, n.Op, fmt.Sprintf(format, args...), ErrInvalidModel)
}

// Shared returns the value build produces for key, building it at most once
// per Model (not per batch size): use it for packed weights and other
// derived constants so that every plan of a model shares them.
func (n *Node) Shared(key string, build func() (any, error)) (any, error) {
	if n.shared == nil {
		return build()
	}
	return n.shared(key, build)
}

// Input returns input i, or nil when the node has fewer inputs or the
// optional input is absent.
func (n *Node) Input(i int) *TensorInfo {
	if i < 0 || i >= len(n.Inputs) {
		return nil
	}
	return n.Inputs[i]
}

// CheckArity returns an error unless the node has between minIn and maxIn
// inputs and exactly nOut outputs, with every input below minIn present.
func (n *Node) CheckArity(minIn, maxIn, nOut int) error {
	if len(n.Inputs) < minIn || len(n.Inputs) > maxIn {
		return n.Invalidf("has %d inputs, want %d..%d", len(n.Inputs), minIn, maxIn)
	}
	if len(n.Outputs) != nOut {
		return n.Invalidf("has %d outputs, want %d", len(n.Outputs), nOut)
	}
	for i := 0; i < minIn; i++ {
		if n.Inputs[i] == nil {
			return n.Invalidf("required input %d is missing", i)
		}
	}
	for i, o := range n.Outputs {
		if o == nil {
			return n.Invalidf("output %d is missing", i)
		}
	}
	return nil
}

// Kernel is a prepared operator: Eval runs it over tensors whose shapes and
// types Prepare has already validated. in[i] is nil for an absent optional
// input. Eval must not keep references to its arguments.
type Kernel struct {
	Eval func(x *Exec, in, out []*tensor.Tensor) error
	// Scratch is the number of bytes of scratch memory Eval needs, made
	// available as x.Scratch (64-byte aligned, uninitialised).
	Scratch int
	// NewState, when set, returns fresh per-Runner state for this node:
	// the interpreter calls it once per Runner (never during Run) and
	// hands the value to every Eval of that Runner as x.State. Use it for
	// the Task a kernel passes to ParallelTask, so that Eval allocates
	// nothing. Eval must still work when x.State is nil (an Exec built
	// by hand, as in tests).
	NewState func() any
	// Reset, when set, returns NewState's value to its initial state. The
	// interpreter calls it at the start of every Run, so that every Run is
	// independent of the ones before it (operator state such as a noise
	// estimate, a CALL_ONCE that already ran).
	Reset func(state any)
}

// Task is a unit of work over a range of indices, run by ParallelTask.
// A pointer to a struct converts to a Task without allocating.
type Task interface {
	// Run processes indices [lo, hi). It must be safe to call
	// concurrently on disjoint ranges.
	Run(lo, hi int)
}

// funcTask adapts a function to Task (a func value is pointer-shaped, so
// the conversion does not allocate).
type funcTask func(lo, hi int)

// Run calls f(lo, hi).
func (f funcTask) Run(lo, hi int) { f(lo, hi) }

// Exec is what a kernel sees of the running interpreter.
type Exec struct {
	Ctx     context.Context
	Scratch []byte // Kernel.Scratch bytes; contents undefined on entry
	// State is the value the running node's Kernel.NewState returned for
	// this Runner, or nil (no NewState, or an Exec built by hand).
	State   any
	threads int // SetThreads: the pool's size plus the caller
	active  int // SetActive: how many of them the next calls use; 0 for all
	pool    *pool
	engine  Engine // SetEngine: subgraphs and resource variables
}

// Threads returns the number of workers Parallel may use (at least 1):
// SetThreads' count, lowered by SetActive.
func (x *Exec) Threads() int {
	n := max(x.threads, 1)
	if x.active > 0 {
		n = min(n, x.active)
	}
	return n
}

// SetActive makes the following Parallel calls use at most n of the
// threads SetThreads started (n ≤ 0: all of them). It starts and stops
// nothing, so a caller may change it before every Run: one thread under
// load, all of them when idle. The interpreter calls it; operators never
// do.
func (x *Exec) SetActive(n int) { x.active = max(n, 0) }

// Parallel calls fn over [0,n) split into at most Threads() (and 16) contiguous
// ranges, possibly concurrently, and returns when all calls have returned.
// fn must be safe to call concurrently on disjoint ranges. The calling
// goroutine runs one range itself; the others go to the Exec's bounded
// worker pool, which Parallel reuses without allocating. A closure that
// captures variables escapes here and so is allocated on every call: an
// Eval that must not allocate uses ParallelTask with a Task kept in
// x.State instead.
func (x *Exec) Parallel(n int, fn func(lo, hi int)) {
	x.ParallelTask(n, funcTask(fn))
}

// ParallelTask is Parallel for a Task: t.Run is called over [0,n) split
// into at most Threads() contiguous ranges. It allocates nothing; with
// one thread (or n < 2) it is a direct call t.Run(0, n).
func (x *Exec) ParallelTask(n int, t Task) {
	th := x.Threads()
	if th == 1 || n < 2 || x.pool == nil {
		t.Run(0, n)
		return
	}
	x.pool.c.run(n, th, t)
}

// PrepareFunc validates a node and returns its kernel. It must check every
// input and output dtype, shape and quantization parameter it relies on,
// set every output's Shape, and return an error wrapping ErrUnsupported or
// ErrInvalidModel (via n.Errorf / n.Invalidf) for anything it cannot run.
type PrepareFunc func(n *Node) (Kernel, error)

// Resolver maps builtin operator names to their PrepareFunc. It is a value
// you build; BuiltinResolver returns one with every operator the engine
// implements. A Resolver is safe for concurrent reads once built.
type Resolver struct {
	ops map[string]PrepareFunc
}

// NewResolver returns an empty resolver.
func NewResolver() *Resolver { return &Resolver{ops: map[string]PrepareFunc{}} }

// Add registers fn for op, replacing any earlier registration.
func (r *Resolver) Add(op string, fn PrepareFunc) { r.ops[op] = fn }

// Lookup returns the PrepareFunc for op.
func (r *Resolver) Lookup(op string) (PrepareFunc, bool) {
	fn, ok := r.ops[op]
	return fn, ok
}

// Ops returns the number of registered operators.
func (r *Resolver) Ops() int { return len(r.ops) }

// SetShared installs the per-model store behind Shared. The interpreter
// calls it before Prepare; operators never do.
func (n *Node) SetShared(fn func(key string, build func() (any, error)) (any, error)) {
	n.shared = fn
}

// SetThreads sets the number of workers Parallel may use. The interpreter
// calls it; operators never do. For n > 1 it starts n-1 worker goroutines
// (replacing any earlier set of another size); for n ≤ 1 it stops them.
// Idle workers spin for a fraction of a millisecond after each call and
// then park, costing no CPU. Call Close to stop them; an Exec dropped
// without Close stops them when it is garbage collected.
func (x *Exec) SetThreads(n int) {
	x.threads = max(n, 1)
	if x.pool != nil && x.pool.c.n == x.threads-1 {
		return
	}
	x.Close()
	if x.threads > 1 {
		x.pool = newPool(x.threads - 1)
	}
}

// Close stops the Exec's worker goroutines; Parallel then runs every range
// on the caller until SetThreads starts workers again. Threads is
// unchanged. Not safe to call while Parallel runs.
func (x *Exec) Close() {
	if x.pool != nil {
		x.pool.c.stop()
		x.pool = nil
	}
}
