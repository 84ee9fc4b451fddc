package conv_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// seanetDir finds ../shared/conformance/seanet/<op> above the working
// directory, or skips.
func seanetDir(t *testing.T, op string) string {
	t.Helper()
	dir, _ := os.Getwd()
	for range 6 {
		p := filepath.Join(dir, "..", "shared", "conformance", "seanet", op)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		dir = filepath.Dir(dir)
	}
	t.Skipf("conformance data for %s not found", op)
	return ""
}

func csvInts(t *testing.T, path string) []int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, f := range strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' }) {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

// TestSeanetTransposeConvGolden runs the upstream 16x8 TRANSPOSE_CONV cases
// (output_shape as a runtime int32 input, whatever its CSV is called)
// through the interpreter and requires TensorFlow Lite's outputs exactly.
func TestSeanetTransposeConvGolden(t *testing.T) {
	dir := seanetDir(t, "transpose_conv")
	models, _ := filepath.Glob(filepath.Join(dir, "*.tflite"))
	if len(models) == 0 {
		t.Skip("no models")
	}
	for _, path := range models {
		name := strings.TrimSuffix(filepath.Base(path), ".tflite")
		t.Run(name, func(t *testing.T) {
			m, err := tflite.LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var ins []*tensor.Tensor
			for k, s := range m.Inputs() {
				files, _ := filepath.Glob(filepath.Join(dir, name+"_input"+strconv.Itoa(k)+"_*.csv"))
				if len(files) != 1 {
					t.Fatalf("input %d: %d CSV files", k, len(files))
				}
				vals := csvInts(t, files[0])
				x, err := tensor.New(s.DType, s.Shape)
				if err != nil {
					t.Fatal(err)
				}
				if len(vals) != s.Shape.Elements() {
					t.Fatalf("input %d: %d values for %s", k, len(vals), s.Shape)
				}
				for i, v := range vals {
					switch s.DType {
					case tensor.Int32:
						x.Int32s()[i] = int32(v)
					case tensor.Int16:
						x.Int16s()[i] = int16(v)
					default:
						t.Fatalf("input dtype %s", s.DType)
					}
				}
				ins = append(ins, x)
			}
			outs, err := m.NewRunner().Run(context.Background(), ins)
			if err != nil {
				t.Fatal(err)
			}
			want := csvInts(t, filepath.Join(dir, name+"_golden_int16.csv"))
			got := outs[0].Int16s()
			if len(got) != len(want) {
				t.Fatalf("%d outputs, golden has %d", len(got), len(want))
			}
			bad := 0
			for i := range got {
				if int64(got[i]) != want[i] {
					if bad < 5 {
						t.Errorf("out[%d] = %d, want %d", i, got[i], want[i])
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d values differ", bad, len(got))
			}
		})
	}
}
