package tflite

import (
	"errors"
	"fmt"
	"os"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// TensorSpec describes a model input or output. Shape[0] is -1 when the
// model's batch dimension is dynamic (see Model.WithBatch).
type TensorSpec struct {
	Name  string
	DType tensor.DType
	Shape tensor.Shape
	Quant *tensor.Quant
}

// Option configures Load.
type Option func(*config) error

type config struct {
	resolver      *op.Resolver
	maxArenaBytes int64
	threads       int
	noFusion      bool
	allErrors     bool
}

// WithResolver makes Load use r instead of BuiltinResolver().
func WithResolver(r *op.Resolver) Option {
	return func(c *config) error {
		if r == nil {
			return errors.New("tflite: nil resolver")
		}
		c.resolver = r
		return nil
	}
}

// WithMaxArenaBytes caps the activation memory of one Runner (default
// 1 GiB). A model whose plan needs more fails to load with ErrLimit.
func WithMaxArenaBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return errors.New("tflite: max arena bytes must be positive")
		}
		c.maxArenaBytes = n
		return nil
	}
}

// WithThreads sets the default number of intra-op workers of new Runners
// (default 1).
func WithThreads(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return errors.New("tflite: threads must be at least 1")
		}
		c.threads = n
		return nil
	}
}

// WithoutFusion makes Load run every operator as the file lists it. By
// default a PAD read only by a VALID CONV_2D or DEPTHWISE_CONV_2D that pads
// exactly as SAME would is folded into it, and a float RELU, RELU6 or
// RELU_N1_TO_1 into the operator producing its input (identical results,
// one tensor copy less), and uint8 activations inside the graph are
// retyped to int8 (x ^ 0x80, zero point − 128: the same real values)
// wherever every operator touching them computes the same bytes that way
// (retypeUint8), so that ADD, pooling and the convolutions between them
// run on the int8 kernels without flip passes; the model's inputs and
// outputs keep their types. Constant-only operators (DEQUANTIZE of weights,
// DENSIFY) are computed at load either way.
func WithoutFusion() Option {
	return func(c *config) error {
		c.noFusion = true
		return nil
	}
}

// WithAllErrors makes a failing Load report every operator that cannot be
// prepared, joined (errors.Join), instead of only the first: for tools that
// describe what a model needs. A model with such errors still fails to load.
func WithAllErrors() Option {
	return func(c *config) error {
		c.allErrors = true
		return nil
	}
}

// Model is a loaded, validated and planned TFLite model. It is immutable
// and safe for concurrent use; create one Runner per goroutine to execute it.
type Model struct {
	file    *parsed
	cfg     config
	size    int64   // bytes of the file
	shared  *shared // derived constants shared by every plan of the file
	plan    *plan
	inputs  []TensorSpec
	outputs []TensorSpec
	batch   int // leading dimension of the inputs in this plan
}

const defaultMaxArena = 1 << 30

// Load parses, validates and plans a model from its flatbuffer bytes. The
// Model keeps references into data; the caller must not modify it
// afterwards.
func Load(data []byte, opts ...Option) (*Model, error) {
	cfg := config{maxArenaBytes: defaultMaxArena, threads: 1}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.resolver == nil {
		cfg.resolver = BuiltinResolver()
	}
	f, err := parse(data)
	if err != nil {
		return nil, err
	}
	folded, err := foldConstants(f, cfg.resolver)
	if err != nil {
		return nil, err
	}
	if !cfg.noFusion {
		fuseActivations(f)
	}
	m := &Model{file: f, cfg: cfg, size: int64(len(data)) + folded, shared: &shared{m: map[sharedKey]any{}}}
	m.batch = -1
	if err := m.replan(0); err != nil {
		return nil, err
	}
	return m, nil
}

// LoadFile loads the model stored at path, reading it once.
func LoadFile(path string, opts ...Option) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Load(data, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// replan plans m for batch size b (0: the file's own shapes).
func (m *Model) replan(b int) error {
	p, err := newPlan(m.file, m.cfg, m.shared, b)
	if err != nil {
		return err
	}
	m.plan = p
	m.batch = p.batch
	m.inputs = specs(m.file, p, m.file.inputs, m.file.inNames)
	m.outputs = specs(m.file, p, m.file.outputs, m.file.outNames)
	return nil
}

func specs(f *parsed, p *plan, list []int, names []string) []TensorSpec {
	out := make([]TensorSpec, len(list))
	batchable := f.batchable()
	for i, ti := range list {
		t := p.infos[ti]
		shape := t.Shape.Clone()
		if batchable && len(shape) > 0 && f.tensors[ti].signature != nil && f.tensors[ti].signature[0] == -1 {
			shape[0] = -1
		}
		out[i] = TensorSpec{Name: names[i], DType: t.DType, Shape: shape, Quant: t.Quant}
	}
	return out
}

// batchable reports whether every input, and every variable tensor (state
// follows the batch), has a dynamic leading dimension.
func (f *parsed) batchable() bool {
	for _, ti := range f.inputs {
		s := f.tensors[ti].signature
		if len(s) == 0 || s[0] != -1 {
			return false
		}
	}
	// State follows the batch only where the file says so: a variable
	// tensor with a fixed leading dimension pins the model to its batch.
	for _, t := range f.tensors {
		if t.info.Variable && len(t.info.Shape) > 0 && (len(t.signature) == 0 || t.signature[0] != -1) {
			return false
		}
	}
	// Other subgraphs are planned at the file's shapes, and a resource
	// variable is one value for the whole Run, which batched items would
	// share: models that use either run at the file's batch.
	for _, o := range f.ops {
		switch o.name {
		case "IF", "WHILE", "CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE":
			return false
		}
	}
	return true
}

// Inputs returns the model's input specs, in signature order. Shape[0] is
// -1 when the model's batch dimension is dynamic.
func (m *Model) Inputs() []TensorSpec { return m.inputs }

// Outputs returns the model's output specs, in signature order.
func (m *Model) Outputs() []TensorSpec { return m.outputs }

// Batch returns the leading dimension of the inputs in this plan.
func (m *Model) Batch() int { return m.batch }

// Description returns the model's description string.
func (m *Model) Description() string { return m.file.description }

// Signature returns the signature key the model was planned from ("" when
// the file has no signature defs).
func (m *Model) Signature() string { return m.file.sigKey }

// Operators returns the builtin names of the operators in execution order.
func (m *Model) Operators() []string {
	out := make([]string, len(m.file.ops))
	for i, o := range m.file.ops {
		out[i] = o.name
	}
	return out
}

// ArenaBytes returns the activation memory of one Runner (the arenas of
// every subgraph it may run, and its resource variables).
func (m *Model) ArenaBytes() int64 { return m.plan.runnerBytes() }

// MemoryBytes returns the bytes the model holds (file, packed weights) plus
// one Runner's arena: what a cache should charge for keeping it warm.
func (m *Model) MemoryBytes() int64 {
	return m.size + m.shared.bytes() + m.plan.runnerBytes()
}

// Batchable reports whether every input's leading dimension is a batch
// dimension (shape signature -1) that WithBatch may change. A variable
// tensor (state) with a fixed leading dimension makes a model not
// batchable: its state could not follow another batch size; so do
// control flow (other subgraphs keep their shapes) and resource variables
// (one value per Run, which batched items would share).
func (m *Model) Batchable() bool { return m.file.batchable() }

// WithBatch returns the model planned for batch size n, sharing the file
// and packed weights with m. It fails when the model is not Batchable or an
// operator cannot take the new shapes.
func (m *Model) WithBatch(n int) (*Model, error) {
	if !m.Batchable() {
		return nil, unsupported("model has no dynamic batch dimension")
	}
	if n < 1 {
		return nil, fmt.Errorf("%w: batch size %d", ErrInput, n)
	}
	if n == m.batch {
		return m, nil
	}
	c := &Model{file: m.file, cfg: m.cfg, size: m.size, shared: m.shared}
	if err := c.replan(n); err != nil {
		return nil, fmt.Errorf("batch %d: %w", n, err)
	}
	return c, nil
}
