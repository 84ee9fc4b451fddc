package modelcache

import (
	"context"
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// Models is a cache of TensorFlow Lite models.
type Models = Cache[*tflite.Model]

// TFLiteLoader returns the LoadFunc that parses model bytes with
// tflite.Load(data, opts...) and charges max(m.MemoryBytes(), len(data)).
func TFLiteLoader(opts ...tflite.Option) LoadFunc[*tflite.Model] {
	return func(_ context.Context, _ Key, data []byte) (*tflite.Model, int64, error) {
		m, err := tflite.Load(data, opts...)
		if err != nil {
			return nil, 0, err
		}
		return m, max(m.MemoryBytes(), int64(len(data))), nil
	}
}

// TFLiteWarmup runs m cfg.WarmupRuns times on zero inputs (batch 1 for a
// dynamic-batch model) with one Runner, then closes the Runner. A model that
// loads but cannot run fails here, at load, instead of on its first request,
// and the first request does not pay for touching the weights. It is the
// default Options.Warmup of Models.
func TFLiteWarmup(ctx context.Context, _ Key, cfg *Config, m *tflite.Model) error {
	if cfg == nil || cfg.WarmupRuns <= 0 {
		return nil
	}
	return RunZeros(ctx, m, cfg.WarmupRuns)
}

// RunZeros runs m n times on zero inputs (batch 1 for a dynamic-batch
// model), stopping at the first error.
func RunZeros(ctx context.Context, m *tflite.Model, n int) error {
	if m.Batchable() {
		b, err := m.WithBatch(1)
		if err != nil {
			return err
		}
		m = b
	}
	ins := make([]*tensor.Tensor, 0, len(m.Inputs()))
	for _, sp := range m.Inputs() {
		shape := sp.Shape.Clone()
		for i, d := range shape {
			if d < 0 {
				shape[i] = 1
			}
		}
		t, err := tensor.New(sp.DType, shape)
		if err != nil {
			return fmt.Errorf("input %q: %w", sp.Name, err)
		}
		ins = append(ins, t)
	}
	r := m.NewRunner()
	defer r.Close()
	for i := range n {
		if _, err := r.Run(ctx, ins); err != nil {
			return fmt.Errorf("run %d of %d on zero inputs: %w", i+1, n, err)
		}
	}
	return nil
}
