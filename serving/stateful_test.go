package serving

import (
	"bytes"
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// buildLSTM returns a stateful model with a dynamic batch: x [-1, 4, 3] →
// UNIDIRECTIONAL_SEQUENCE_LSTM (5 cells; hidden and cell state are
// variable tensors [-1, 5]) → y [-1, 4, 5].
func buildLSTM(t testing.TB) Model {
	t.Helper()
	const steps, in, n = 4, 3, 5
	r := rand.New(rand.NewPCG(11, 12))
	vals := func(k int) []float32 {
		v := make([]float32, k)
		for i := range v {
			v[i] = float32(r.Float64() - 0.5)
		}
		return v
	}
	b := tflitebuild.New()
	inputs := make([]int, 24)
	for i := range inputs {
		inputs[i] = -1
	}
	inputs[0] = b.Tensor("x", tensor.Float32, []int{1, steps, in}, nil, nil)
	for g := range 4 {
		inputs[1+g] = b.Const("w", []int{n, in}, nil, vals(n*in))
		inputs[5+g] = b.Const("r", []int{n, n}, nil, vals(n*n))
		inputs[12+g] = b.Const("bias", []int{n}, nil, vals(n))
	}
	inputs[18] = b.Tensor("h", tensor.Float32, []int{1, n}, nil, nil)
	inputs[19] = b.Tensor("c", tensor.Float32, []int{1, n}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{1, steps, n}, nil, nil)
	for _, s := range [][2]int{{inputs[0], in}, {y, n}} {
		b.ShapeSignature(s[0], []int{-1, steps, s[1]})
	}
	for _, s := range inputs[18:20] {
		b.Variable(s)
		b.ShapeSignature(s, []int{-1, n})
	}
	b.Op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, []int{y}, &op.SequenceLSTMOptions{Activation: op.ActTanh})
	b.Inputs(inputs[0])
	b.Outputs(y)
	return loadBuilt(t, b)
}

// A stateful model serves every request from its initial state: requests
// merged into one batch get the bytes each gets when sent alone, and the
// same request gives the same bytes whatever ran before it.
func TestStatefulModelRequestsIndependent(t *testing.T) {
	const n = 6
	var gate sync.WaitGroup
	gate.Add(1)
	var first atomic.Bool
	e := newEnv(t, Config{}, func(s *testSource) {
		s.add("lstm", 1, &hookModel{Model: buildLSTM(t), hook: func(context.Context) error {
			if first.CompareAndSwap(false, true) {
				gate.Wait()
			}
			return nil
		}}, ModelConfig{MaxBatchSize: n, BatchDelay: 50 * time.Millisecond, MaxConcurrency: 1, MaxQueue: 2 * n})
	})
	open := sync.OnceFunc(gate.Done)
	t.Cleanup(open) // a failing test ends instead of hanging in Close
	input := func(i int) *tensor.Tensor {
		v := make([]float32, 12)
		for k := range v {
			v[k] = float32((i*7+k*3)%11)/5 - 1
		}
		return f32tensor("x", tensor.Shape{1, 4, 3}, v...)
	}
	predict := func(i int) ([]byte, error) {
		resp, err := e.srv.Predict(context.Background(), &Request{Ref: Ref{Model: "lstm"}, Inputs: []*tensor.Tensor{input(i)}})
		if err != nil {
			return nil, err
		}
		return bytes.Clone(resp.Outputs[0].Data), nil
	}
	// One request holds the single worker; the next n queue up and run as
	// one batch of n.
	var wg sync.WaitGroup
	batched := make([][]byte, n+1)
	errs := make([]error, n+1)
	for i := range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batched[i], errs[i] = predict(i)
		}()
		if i == 0 {
			waitFor(t, 2*time.Second, "the first run", first.Load)
		}
	}
	waitFor(t, 2*time.Second, "queued requests", func() bool { return queueLen(e.srv, "lstm", 1) == n })
	open()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if runs, items := metricValue(t, e.srv, "edgeinfer_batch_size", map[string]string{"model": "lstm"}); runs != 2 || items != n+1 {
		t.Fatalf("batch_size: %v runs of %v items, want 2 runs (1 + %d)", runs, items, n)
	}
	// Alone, in reverse order (each after a different predecessor).
	for i := n; i >= 0; i-- {
		alone, err := predict(i)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(alone, batched[i]) {
			t.Errorf("request %d: batched output differs from the request sent alone", i)
		}
	}
	if bytes.Equal(batched[1], batched[2]) {
		t.Fatal("different inputs gave the same output: the test input does not exercise the model")
	}
}
