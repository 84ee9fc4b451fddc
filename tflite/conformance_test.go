package tflite_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// conformanceDir returns ../shared/conformance relative to the repository
// root. It skips the test when the data is absent, unless
// EDGEINFER_CONFORMANCE=require (CI), where absence is a failure.
func conformanceDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "conformance"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("conformance data required but absent at %s", dir)
		}
		t.Skipf("conformance data absent at %s (expected ../shared/conformance); skipping", dir)
	}
	return dir
}

func readCSVInts(t *testing.T, path string) []int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' })
	out := make([]int64, len(fields))
	for i, f := range fields {
		if out[i], err = strconv.ParseInt(f, 10, 64); err != nil {
			t.Fatalf("%s: value %d: %v", path, i, err)
		}
	}
	return out
}

// globOne returns the one file matching pattern (the CSV names carry a
// dtype suffix, which may differ from the tensor's: the tensor wins).
func globOne(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) != 1 {
		t.Fatalf("want one file matching %s, found %v (%v)", pattern, m, err)
	}
	return m[0]
}

// intTensor builds a tensor of the spec's dtype from integer values.
func intTensor(t *testing.T, s tflite.TensorSpec, vals []int64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.New(s.DType, s.Shape)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != s.Shape.Elements() {
		t.Fatalf("input %s: %d values for shape %v", s.Name, len(vals), s.Shape)
	}
	for i, v := range vals {
		switch s.DType {
		case tensor.Int8:
			x.Int8s()[i] = int8(v)
		case tensor.Uint8:
			x.Uint8s()[i] = uint8(v)
		case tensor.Int16:
			x.Int16s()[i] = int16(v)
		case tensor.Int32:
			x.Int32s()[i] = int32(v)
		case tensor.Float32:
			x.Float32s()[i] = float32(v)
		default:
			t.Fatalf("input %s: dtype %s", s.Name, s.DType)
		}
	}
	return x
}

// TestConformanceSeanet runs every single-op 16x8 case and requires the
// output to equal TensorFlow Lite's exactly.
func TestConformanceSeanet(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "seanet")
	models, err := filepath.Glob(filepath.Join(dir, "*", "*.tflite"))
	if err != nil || len(models) == 0 {
		t.Fatalf("no seanet models under %s (%v)", dir, err)
	}
	for _, path := range models {
		name := strings.TrimSuffix(filepath.Base(path), ".tflite")
		t.Run(filepath.Base(filepath.Dir(path))+"/"+name, func(t *testing.T) {
			base := strings.TrimSuffix(path, ".tflite")
			golden := globOne(t, base+"_golden_*.csv")
			m, err := tflite.LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var ins []*tensor.Tensor
			for k, s := range m.Inputs() {
				ins = append(ins, intTensor(t, s, readCSVInts(t, globOne(t, base+"_input"+strconv.Itoa(k)+"_*.csv"))))
			}
			outs, err := m.NewRunner().Run(context.Background(), ins)
			if err != nil {
				t.Fatal(err)
			}
			want := readCSVInts(t, golden)
			got := outs[0]
			if got.Shape.Elements() != len(want) {
				t.Fatalf("output has %d elements, golden %d", got.Shape.Elements(), len(want))
			}
			bad := 0
			for i, w := range want {
				if g := int64(got.AsFloat64(i)); g != w {
					if bad < 5 {
						t.Errorf("output[%d] = %d, TFLite gives %d", i, g, w)
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d values differ", bad, len(want))
			}
		})
	}
}

// TestConformanceHelloWorld checks the sine models against the upstream
// test's expectations (within 0.05 of sin x).
func TestConformanceHelloWorld(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "hello_world")
	t.Run("float", func(t *testing.T) {
		m, err := tflite.LoadFile(filepath.Join(dir, "hello_world_float.tflite"))
		if err != nil {
			t.Fatal(err)
		}
		r := m.NewRunner()
		for _, x := range []float32{0, 1, 3, 5} {
			in, _ := tensor.New(tensor.Float32, tensor.Shape{1, 1})
			in.Float32s()[0] = x
			out, err := r.Run(context.Background(), []*tensor.Tensor{in})
			if err != nil {
				t.Fatal(err)
			}
			if y := out[0].Float32s()[0]; math.Abs(float64(y)-math.Sin(float64(x))) > 0.05 {
				t.Errorf("f(%v) = %v, want sin = %v ± 0.05", x, y, math.Sin(float64(x)))
			}
		}
	})
	t.Run("int8", func(t *testing.T) {
		m, err := tflite.LoadFile(filepath.Join(dir, "hello_world_int8.tflite"))
		if err != nil {
			t.Fatal(err)
		}
		r := m.NewRunner()
		oq := m.Outputs()[0].Quant
		for _, c := range []struct {
			q int8
			x float64
		}{{-96, 0.77}, {-63, 1.57}, {-34, 2.3}, {0, 3.14}} {
			in, _ := tensor.New(tensor.Int8, tensor.Shape{1, 1})
			in.Int8s()[0] = c.q
			out, err := r.Run(context.Background(), []*tensor.Tensor{in})
			if err != nil {
				t.Fatal(err)
			}
			y := float64(oq.Scale[0]) * float64(int64(out[0].Int8s()[0])-oq.ZeroPoint[0])
			if math.Abs(y-math.Sin(c.x)) > 0.05 {
				t.Errorf("f(%v) = %v, want sin = %v ± 0.05", c.x, y, math.Sin(c.x))
			}
		}
	})
}

// TestConformancePersonDetection checks the int8 MobileNet-style classifier
// on the upstream test images.
func TestConformancePersonDetection(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "person_detection")
	m, err := tflite.LoadFile(filepath.Join(dir, "person_detect.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	r := m.NewRunner()
	for _, c := range []struct {
		file   string
		person bool
	}{{"person.npy", true}, {"no_person.npy", false}} {
		b, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		in, err := tensor.ReadNpy(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		out, err := r.Run(context.Background(), []*tensor.Tensor{in})
		if err != nil {
			t.Fatal(err)
		}
		s := out[0].Int8s()
		if got := s[1] > s[0]; got != c.person {
			t.Errorf("%s: scores no_person=%d person=%d, want person=%v", c.file, s[0], s[1], c.person)
		}
	}
}

// TestConformanceMobileNetV2 loads and runs the full-size int8 model: it
// has no upstream golden, so this checks that it runs, that the output is a
// distribution-like int8 vector, and that results do not depend on the
// thread count or on reuse of the Runner.
func TestConformanceMobileNetV2(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	dir := filepath.Join(conformanceDir(t), "mobilenet_v2")
	m, err := tflite.LoadFile(filepath.Join(dir, "mobilenet_v2_quantized_1x3x224x224.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Inputs()[0]
	in, err := tensor.New(s.DType, s.Shape)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in.Data {
		in.Data[i] = byte(i*7 + i/224)
	}
	r1 := m.NewRunner()
	out, err := r1.Run(context.Background(), []*tensor.Tensor{in})
	if err != nil {
		t.Fatal(err)
	}
	first := bytes.Clone(out[0].Data)
	r2 := m.NewRunner()
	r2.SetThreads(2)
	for i := 0; i < 2; i++ {
		out, err = r2.Run(context.Background(), []*tensor.Tensor{in})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out[0].Data, first) {
			t.Fatalf("run %d with 2 threads differs from the first run", i)
		}
	}
	if out[0].Shape.Elements() != 1000 {
		t.Errorf("output shape %v, want 1000 classes", out[0].Shape)
	}
}
