package opgolden_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// writeDir, when set, makes TestOpGolden write every case's model.tflite,
// inputs (also into testdata/) and REF file under it instead of comparing:
// the input of testdata/regen.sh.
var writeDir = flag.String("write", "", "write models and inputs for the reference runners under `dir` (see testdata/README.md)")

// goldenCase is one single-operator model and its reference.
type goldenCase struct {
	name string
	// ref names the runner that produced testdata/<name>/expect<k>.npy:
	// "tflm" (tflm_run, the reference kernels) or "tflite" (run.mjs
	// --no-xnnpack, TFLite's builtin kernels).
	ref string
	// tol is the largest difference allowed per element: 0 means equal for
	// integer outputs; float outputs may differ by tol × max(1, |want|)
	// (default 1e-6).
	tol   float64
	build func(b *tflitebuild.Builder) // adds tensors, the op, inputs and outputs
	// inputs returns the inputs, in subgraph order.
	inputs func(r *rand.Rand) []*tensor.Tensor
}

// cases gathers every family's cases.
func cases() []goldenCase {
	var all []goldenCase
	all = append(all, uint8Cases()...)
	all = append(all, mathCases()...)
	all = append(all, logicCases()...)
	all = append(all, shapeCases()...)
	all = append(all, sequenceCases()...)
	return all
}

func TestOpGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range cases() {
		if seen[c.name] {
			t.Fatalf("duplicate case %s", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			b := tflitebuild.New()
			c.build(b)
			model, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			td := filepath.Join("testdata", c.name)
			if *writeDir != "" {
				writeCase(t, c, model, td)
				return
			}
			m, err := tflite.Load(model)
			if err != nil {
				t.Fatal(err)
			}
			ins := readNpys(t, td, "in")
			want := readNpys(t, td, "expect")
			if len(want) == 0 {
				t.Fatalf("no reference outputs in %s (see testdata/README.md)", td)
			}
			outs, err := m.NewRunner().Run(context.Background(), ins)
			if err != nil {
				t.Fatal(err)
			}
			if len(outs) != len(want) {
				t.Fatalf("%d outputs, reference has %d", len(outs), len(want))
			}
			for k := range outs {
				if err := compare(outs[k], want[k], c.tol); err != nil {
					t.Errorf("output %d: %v (reference: %s)", k, err, c.ref)
				}
			}
		})
	}
}

// writeCase writes the model, inputs and reference kind for the runners.
func writeCase(t *testing.T, c goldenCase, model []byte, td string) {
	dir := filepath.Join(*writeDir, c.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(td, 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "model.tflite"), model, 0o644))
	must(os.WriteFile(filepath.Join(dir, "REF"), []byte(c.ref+"\n"), 0o644))
	r := rand.New(rand.NewPCG(uint64(len(c.name)), hash(c.name)))
	for i, x := range c.inputs(r) {
		var buf bytes.Buffer
		must(tensor.WriteNpy(&buf, x))
		name := fmt.Sprintf("in%d.npy", i)
		must(os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644))
		must(os.WriteFile(filepath.Join(td, name), buf.Bytes(), 0o644))
	}
}

func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

func readNpys(t *testing.T, dir, prefix string) []*tensor.Tensor {
	t.Helper()
	var out []*tensor.Tensor
	for i := 0; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s%d.npy", prefix, i)))
		if os.IsNotExist(err) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		x, err := tensor.ReadNpy(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s%d.npy: %v", prefix, i, err)
		}
		out = append(out, x)
	}
}

func compare(got, want *tensor.Tensor, tol float64) error {
	// The TFLite runner writes bool outputs as uint8 0/1.
	sameType := got.DType == want.DType || (got.DType == tensor.Bool && want.DType == tensor.Uint8)
	if !sameType || !got.Shape.Equal(want.Shape) {
		return fmt.Errorf("is %s%v, reference %s%v", got.DType, got.Shape, want.DType, want.Shape)
	}
	float := want.DType == tensor.Float32 || want.DType == tensor.Float64
	if float && tol == 0 {
		tol = 1e-6
	}
	bad, first := 0, ""
	for i := range want.Shape.Elements() {
		g, w := got.AsFloat64(i), want.AsFloat64(i)
		ok := g == w || (math.IsNaN(g) && math.IsNaN(w))
		if !ok && !math.IsNaN(w) && !math.IsInf(w, 0) {
			lim := tol
			if float {
				lim = tol * max(1, math.Abs(w))
			}
			ok = math.Abs(g-w) <= lim
		}
		if !ok {
			if bad == 0 {
				first = fmt.Sprintf("[%d] = %v, reference %v", i, g, w)
			}
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d elements differ (tolerance %g); first %s", bad, want.Shape.Elements(), tol, first)
	}
	return nil
}

// Helpers for building cases.

func q(scale float32, zero int64) *tensor.Quant {
	return &tensor.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zero}}
}

// unaryModel builds in → op → out with the given dtypes, shapes and
// quantization.
func unaryModel(opName string, opts any, dtIn tensor.DType, inShape []int, qIn *tensor.Quant, dtOut tensor.DType, outShape []int, qOut *tensor.Quant) func(b *tflitebuild.Builder) {
	return func(b *tflitebuild.Builder) {
		x := b.Tensor("x", dtIn, inShape, qIn, nil)
		y := b.Tensor("y", dtOut, outShape, qOut, nil)
		b.Op(opName, []int{x}, []int{y}, opts)
		b.Inputs(x)
		b.Outputs(y)
	}
}

// binaryModel builds (a, b) → op → out.
func binaryModel(opName string, opts any, dt tensor.DType, aShape, bShape []int, qa, qb *tensor.Quant, dtOut tensor.DType, outShape []int, qOut *tensor.Quant) func(b *tflitebuild.Builder) {
	return func(b *tflitebuild.Builder) {
		x := b.Tensor("a", dt, aShape, qa, nil)
		y := b.Tensor("b", dt, bShape, qb, nil)
		z := b.Tensor("out", dtOut, outShape, qOut, nil)
		b.Op(opName, []int{x, y}, []int{z}, opts)
		b.Inputs(x, y)
		b.Outputs(z)
	}
}

// randTensor fills a tensor of dt and shape with uniform values in
// [lo, hi] (integers inclusive; bool: 0 or 1).
func randTensor(r *rand.Rand, dt tensor.DType, shape []int, lo, hi float64) *tensor.Tensor {
	x, err := tensor.New(dt, tensor.Shape(shape))
	if err != nil {
		panic(err)
	}
	n := x.Shape.Elements()
	ival := func() int64 { return int64(lo) + r.Int64N(int64(hi)-int64(lo)+1) }
	for i := range n {
		switch dt {
		case tensor.Float32:
			x.Float32s()[i] = float32(lo + (hi-lo)*r.Float64())
		case tensor.Int8:
			x.Int8s()[i] = int8(ival())
		case tensor.Uint8:
			x.Uint8s()[i] = uint8(ival())
		case tensor.Int16:
			x.Int16s()[i] = int16(ival())
		case tensor.Int32:
			x.Int32s()[i] = int32(ival())
		case tensor.Int64:
			x.Int64s()[i] = ival()
		case tensor.Bool:
			x.Bools()[i] = uint8(r.IntN(2))
		default:
			panic("randTensor: dtype " + dt.String())
		}
	}
	return x
}

// fullRange returns random values over the whole range of an 8-bit type.
func fullRange(r *rand.Rand, dt tensor.DType, shape []int) *tensor.Tensor {
	if dt == tensor.Uint8 {
		return randTensor(r, dt, shape, 0, 255)
	}
	return randTensor(r, dt, shape, -128, 127)
}
