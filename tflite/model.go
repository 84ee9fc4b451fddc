package tflite

import (
	"context"
	"errors"
	"sync/atomic"

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

// Model is a loaded, validated and planned TFLite model. It is immutable
// and safe for concurrent use; create one Runner per goroutine to execute it.
type Model struct {
	plan *plan
}

// Runner executes a Model. It owns an activation arena and is not safe for
// concurrent use. Run allocates nothing once the Runner exists.
type Runner struct {
	m       *Model
	arena   []byte
	threads int
	current atomic.Int64 // index of the op running, -1 when idle
	ins     []*tensor.Tensor
	outs    []*tensor.Tensor
	ts      []tensor.Tensor // every tensor of the plan, views into arena or consts
	x       op.Exec
}

var _ = context.Background

type plan struct{}

// Load parses, validates and plans a model from its flatbuffer bytes. The
// Model keeps data; the caller must not modify it afterwards.
func Load(data []byte, opts ...Option) (*Model, error) { return nil, ErrUnsupported }

// LoadFile loads the model stored at path.
func LoadFile(path string, opts ...Option) (*Model, error) { return nil, ErrUnsupported }

// Inputs returns the model's input specs, in signature order.
func (m *Model) Inputs() []TensorSpec { return nil }

// Outputs returns the model's output specs, in signature order.
func (m *Model) Outputs() []TensorSpec { return nil }

// MemoryBytes returns the bytes the model holds (file, packed weights) plus
// one Runner's arena: what a cache should charge for keeping it warm.
func (m *Model) MemoryBytes() int64 { return 0 }

// Batchable reports whether every input's leading dimension is a batch
// dimension that WithBatch may change.
func (m *Model) Batchable() bool { return false }

// WithBatch returns the model planned for batch size n (sharing weights).
func (m *Model) WithBatch(n int) (*Model, error) { return nil, ErrUnsupported }

// NewRunner returns a Runner with its own arena.
func (m *Model) NewRunner() *Runner { return &Runner{m: m} }

// Run executes the model. inputs must match Inputs() in order, dtype and
// shape. The returned tensors are owned by the Runner and valid until the
// next Run; copy them to keep them. Run checks ctx between operators.
func (r *Runner) Run(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return nil, ErrUnsupported
}

// CurrentOp returns the index and name of the operator running now, or
// (-1, "") when the Runner is idle. Safe to call from any goroutine.
func (r *Runner) CurrentOp() (int, string) { return -1, "" }
