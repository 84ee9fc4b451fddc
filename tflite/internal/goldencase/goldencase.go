// Package goldencase checks the engine on tiny models (built in a test
// with tflitebuild) against outputs an upstream TensorFlow Lite runtime
// produced for the same model and inputs (../shared/golden: TFLite Micro's
// tflm_run, or stock TFLite's run.mjs), stored as .npy files under the
// test's testdata directory. It is imported only by tests.
//
// To produce the goldens, run the test with EDGEINFER_GOLDEN_WRITE=DIR: each
// case then writes DIR/<case>/model.tflite and DIR/<case>/in<i>.npy (and
// skips), ready for the reference runner, whose out<k>.npy files are then
// copied to testdata/<case>/expect<k>.npy. testdata/README says which
// runner produced each case.
package goldencase

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// Case is one model with its inputs.
type Case struct {
	Name   string
	Model  []byte
	Inputs []*tensor.Tensor
	// Tolerance, when positive, compares float32 outputs within
	// Tolerance × the reference output's range instead of bit for bit
	// (for operators whose reference computes in another order).
	Tolerance float64
}

// WriteEnv names the environment variable that makes Check write the
// reference runner's inputs instead of checking.
const WriteEnv = "EDGEINFER_GOLDEN_WRITE"

// Check runs c on the engine and requires every output to equal
// testdata/<c.Name>/expect<k>.npy byte for byte (shape included). A golden
// whose dtype the reference runner could not name (tflm_run labels
// uint32/uint64/complex outputs '|u1' with the right shape and bytes) is
// compared on shape and bytes. Runs are repeated on one Runner to show
// that nothing carries over from one Run to the next.
func Check(t *testing.T, c Case, opts ...tflite.Option) {
	t.Helper()
	if dir := os.Getenv(WriteEnv); dir != "" {
		write(t, filepath.Join(dir, c.Name), c)
		t.Skipf("wrote %s/%s for the reference runner", dir, c.Name)
	}
	m, err := tflite.Load(c.Model, opts...)
	if err != nil {
		t.Fatalf("%s: load: %v", c.Name, err)
	}
	r := m.NewRunner()
	defer r.Close()
	for run := range 2 {
		outs, err := r.Run(context.Background(), c.Inputs)
		if err != nil {
			t.Fatalf("%s: run %d: %v", c.Name, run, err)
		}
		for k, got := range outs {
			raw, err := os.ReadFile(filepath.Join("testdata", c.Name, "expect"+strconv.Itoa(k)+".npy"))
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			h, err := tensor.ReadNpyHeader(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("%s: expect%d.npy: %v", c.Name, k, err)
			}
			want := raw[h.DataOffset:]
			if !h.Shape.Equal(got.Shape) && !(h.Shape.Elements() == got.Shape.Elements() && len(h.Shape) <= 1 && len(got.Shape) <= 1) {
				t.Fatalf("%s: output %d has shape %v, the reference %v", c.Name, k, got.Shape, h.Shape)
			}
			if h.DType != got.DType && !(h.Descr == "|u1" && got.DType.Size() > 1) {
				t.Fatalf("%s: output %d is %s, the reference %s", c.Name, k, got.DType, h.DType)
			}
			if c.Tolerance > 0 && got.DType == tensor.Float32 {
				if err := within(got.Float32s(), (&tensor.Tensor{DType: tensor.Float32, Data: want}).Float32s(), c.Tolerance); err != "" {
					t.Errorf("%s: run %d: output %d: %s", c.Name, run, k, err)
				}
				continue
			}
			if !bytes.Equal(got.Data, want) {
				t.Errorf("%s: run %d: output %d differs from the reference:\n got  %x\n want %x", c.Name, run, k, head(got.Data), head(want))
			}
		}
	}
}

// within compares got with want to tol × want's range; it returns the
// first difference beyond that, or "".
func within(got, want []float32, tol float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d values, the reference has %d", len(got), len(want))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, w := range want {
		lo, hi = min(lo, float64(w)), max(hi, float64(w))
	}
	limit := tol * max(hi-lo, 1e-30)
	for i, g := range got {
		if d := math.Abs(float64(g) - float64(want[i])); !(d <= limit) {
			return fmt.Sprintf("[%d] = %v, reference %v (tolerance %g)", i, g, want[i], limit)
		}
	}
	return ""
}

func head(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func write(t *testing.T, dir string, c Case) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.tflite"), c.Model, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, in := range c.Inputs {
		var b bytes.Buffer
		if err := tensor.WriteNpy(&b, in); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "in"+strconv.Itoa(i)+".npy"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
