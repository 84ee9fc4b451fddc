package examples

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// tree returns every regular file under dir with its content.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteLayoutAndDeterminism(t *testing.T) {
	a, b := t.TempDir(), filepath.Join(t.TempDir(), "nested", "models")
	if err := Write(a); err != nil {
		t.Fatal(err)
	}
	first := tree(t, a)
	if err := Write(a); err != nil { // idempotent over an existing tree
		t.Fatal(err)
	}
	if err := Write(b); err != nil { // creates missing parents
		t.Fatal(err)
	}
	again, other := tree(t, a), tree(t, b)

	want := []string{"linear/1/model.tflite", "linear/config.json", "tiny_cnn/1/model.tflite", "tiny_cnn/config.json"}
	for _, got := range []map[string][]byte{first, again, other} {
		var names []string
		for n := range got {
			names = append(names, n)
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Fatalf("files %v, want %v", names, want)
		}
	}
	for _, n := range want {
		if !bytes.Equal(first[n], again[n]) || !bytes.Equal(first[n], other[n]) {
			t.Errorf("%s differs between runs", n)
		}
	}
	if err := Write(""); err == nil {
		t.Error("Write(\"\") succeeded")
	}
}

func TestConfigsValidate(t *testing.T) {
	models, err := Models()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		t.Run(m.Name, func(t *testing.T) {
			if err := modelcache.CheckModelName(m.Name); err != nil {
				t.Fatal(err)
			}
			c, err := modelcache.ParseConfig(m.Name, m.ConfigJSON())
			if err != nil {
				t.Fatalf("modelcache rejects config.json: %v\n%s", err, m.ConfigJSON())
			}
			want := m.Config
			if c.MaxBatchSize != want.MaxBatchSize || c.BatchDelayMS != want.BatchDelayMS || c.MaxConcurrency != want.MaxConcurrency ||
				c.MaxQueue != want.MaxQueue || c.TimeoutMS != want.TimeoutMS || c.Preload != want.Preload {
				t.Errorf("parsed %+v, want %+v", c, want)
			}
		})
	}
}

func loadExample(t *testing.T, name string) *tflite.Model {
	t.Helper()
	models, err := Models()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		if m.Name == name {
			mod, err := tflite.Load(m.TFLite) // the engine's builtin operators, as the server uses
			if err != nil {
				t.Fatalf("Load %s: %v", name, err)
			}
			return mod
		}
	}
	t.Fatalf("no example %q", name)
	return nil
}

func f32Tensor(shape tensor.Shape, v ...float32) *tensor.Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return &tensor.Tensor{DType: tensor.Float32, Shape: shape, Data: b}
}

// The documented example: x = [-1, 0, 1, 4] gives y = 2x + 1 = [-1, 1, 3, 9].
func TestLinearAnswers(t *testing.T) {
	m := loadExample(t, Linear)
	in, out := m.Inputs(), m.Outputs()
	if len(in) != 1 || in[0].Name != "x" || in[0].DType != tensor.Float32 || !in[0].Shape.Equal(tensor.Shape{-1, 4}) {
		t.Fatalf("inputs %+v", in)
	}
	if len(out) != 1 || out[0].Name != "y" || !out[0].Shape.Equal(tensor.Shape{-1, 4}) {
		t.Fatalf("outputs %+v", out)
	}
	tests := []struct {
		name string
		x    []float32
	}{
		{"readme", []float32{-1, 0, 1, 4}},
		{"batch of three", []float32{-1, 0, 1, 4, 0.5, -0.25, 100, -100, 3, 3, 3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(tt.x) / 4
			bm, err := m.WithBatch(n)
			if err != nil {
				t.Fatal(err)
			}
			y, err := bm.NewRunner().Run(context.Background(), []*tensor.Tensor{f32Tensor(tensor.Shape{n, 4}, tt.x...)})
			if err != nil {
				t.Fatal(err)
			}
			got := y[0].Float32s()
			for i, x := range tt.x {
				if want := 2*x + 1; got[i] != want {
					t.Errorf("y[%d] = %v, want 2·%v+1 = %v", i, got[i], x, want)
				}
			}
		})
	}
}

func int8Image(f func(r, c int) int8) []int8 {
	img := make([]int8, 64)
	for r := range 8 {
		for c := range 8 {
			img[r*8+c] = f(r, c)
		}
	}
	return img
}

func TestTinyCNNRuns(t *testing.T) {
	m := loadExample(t, TinyCNN)
	if !m.Batchable() {
		t.Fatal("tiny_cnn is not batchable")
	}
	in, out := m.Inputs(), m.Outputs()
	if len(in) != 1 || in[0].Name != "image" || in[0].DType != tensor.Int8 || !in[0].Shape.Equal(tensor.Shape{-1, 8, 8, 1}) {
		t.Fatalf("inputs %+v", in)
	}
	if len(out) != 1 || out[0].Name != "probabilities" || out[0].DType != tensor.Int8 || !out[0].Shape.Equal(tensor.Shape{-1, 3}) {
		t.Fatalf("outputs %+v", out)
	}
	images := []struct {
		name  string
		class int
		img   []int8
	}{
		{"black", 0, int8Image(func(r, c int) int8 { return -128 })},
		{"white", 1, int8Image(func(r, c int) int8 { return 127 })},
		{"checkerboard", 2, int8Image(func(r, c int) int8 {
			if (r+c)%2 == 0 {
				return 127
			}
			return -128
		})},
	}
	bm, err := m.WithBatch(len(images))
	if err != nil {
		t.Fatal(err)
	}
	batch := &tensor.Tensor{DType: tensor.Int8, Shape: tensor.Shape{len(images), 8, 8, 1}, Data: make([]byte, 0, 64*len(images))}
	for _, im := range images {
		for _, v := range im.img {
			batch.Data = append(batch.Data, byte(v))
		}
	}
	res, err := bm.NewRunner().Run(context.Background(), []*tensor.Tensor{batch})
	if err != nil {
		t.Fatal(err)
	}
	batched := slices.Clone(res[0].Int8s())
	single := m.NewRunner()
	for i, im := range images {
		t.Run(im.name, func(t *testing.T) {
			x := &tensor.Tensor{DType: tensor.Int8, Shape: tensor.Shape{1, 8, 8, 1}, Data: batch.Data[64*i : 64*(i+1)]}
			y, err := single.Run(context.Background(), []*tensor.Tensor{x})
			if err != nil {
				t.Fatal(err)
			}
			q := y[0].Int8s()
			if !slices.Equal(q, batched[3*i:3*i+3]) {
				t.Errorf("alone %v, in a batch %v", q, batched[3*i:3*i+3])
			}
			var sum float64
			best := 0
			for k, v := range q {
				sum += (float64(v) + 128) / 256
				if v > q[best] {
					best = k
				}
			}
			if math.Abs(sum-1) > 0.02 {
				t.Errorf("probabilities %v sum to %v", q, sum)
			}
			t.Logf("%s: %v", im.name, q)
			if best != im.class {
				t.Errorf("class %d (%v), want %d", best, q, im.class)
			}
		})
	}
}

func BenchmarkModels(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Models(); err != nil {
			b.Fatal(err)
		}
	}
}
