package tflite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// seedModels returns the bytes of the conformance models small enough to
// fuzz with, or none when the data is absent.
func seedModels(tb testing.TB) [][]byte {
	dir := filepath.Join("..", "..", "shared", "conformance")
	var out [][]byte
	for _, pat := range []string{"hello_world/*.tflite", "seanet/*/*0.tflite", "seanet/*/*1.tflite"} {
		paths, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				out = append(out, b)
			}
		}
	}
	return out
}

// sharedSeeds returns the models under ../shared/conformance and
// ../shared/realmodels smaller than 256 KiB.
func sharedSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, dir := range []string{"conformance", "realmodels"} {
		filepath.WalkDir(filepath.Join("..", "..", "shared", dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".tflite" {
				return nil
			}
			if info, err := d.Info(); err == nil && info.Size() < 256<<10 {
				if b, err := os.ReadFile(p); err == nil {
					out = append(out, b)
				}
			}
			return nil
		})
	}
	return out
}

func TestLoadRejectsGarbage(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, tflite.ErrInvalidModel},
		{"short", []byte{1, 2, 3}, tflite.ErrInvalidModel},
		{"wrong identifier", []byte{8, 0, 0, 0, 'N', 'O', 'P', 'E', 0, 0, 0, 0}, tflite.ErrInvalidModel},
		{"root outside", []byte{0xff, 0xff, 0, 0, 'T', 'F', 'L', '3'}, tflite.ErrInvalidModel},
		{"root at vtable garbage", []byte{8, 0, 0, 0, 'T', 'F', 'L', '3', 0x7f, 0xff, 0xff, 0xff}, tflite.ErrInvalidModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tflite.Load(tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Load = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestLoadTruncated loads every prefix of real models: each must fail with
// an error (never a panic), and the full file must describe.
func TestLoadTruncated(t *testing.T) {
	seeds := seedModels(t)
	if len(seeds) == 0 {
		t.Skip("conformance models absent (../shared/conformance)")
	}
	for _, data := range seeds[:min(4, len(seeds))] {
		if _, err := tflite.Describe(data); err != nil {
			t.Fatalf("full model: %v", err)
		}
		for n := 0; n < len(data); n += 1 + n/64 {
			if _, err := tflite.Describe(data[:n]); err == nil {
				// A prefix can only parse if nothing it needs lies past n.
				if n < len(data)/2 {
					t.Errorf("prefix of %d/%d bytes parsed without error", n, len(data))
				}
			}
		}
	}
}

// TestLoadBitFlips corrupts real models byte by byte: Load may succeed or
// fail, but must not panic, and a loaded model must run or fail cleanly.
func TestLoadBitFlips(t *testing.T) {
	seeds := seedModels(t)
	if len(seeds) == 0 {
		t.Skip("conformance models absent (../shared/conformance)")
	}
	data := append([]byte(nil), seeds[0]...)
	for i := 0; i < len(data); i++ {
		orig := data[i]
		for _, v := range []byte{0, 0xff, orig ^ 0x80, orig + 1} {
			data[i] = v
			tryModel(t, data)
		}
		data[i] = orig
	}
}

// tryModel loads data and, when it loads, runs it once on zero inputs with
// a deadline. Only a panic fails it, including one Load or Run recovered
// (ErrPanic: an operator's Prepare or Eval panicked, a validation missing
// from its Prepare).
func tryModel(t testing.TB, data []byte) {
	t.Helper()
	m, err := tflite.Load(data, tflite.WithMaxArenaBytes(16<<20))
	if errors.Is(err, tflite.ErrPanic) {
		t.Fatalf("Load: %v", err)
	}
	if err != nil || m.MACs() > 1<<24 {
		return // a slow but valid model is not what this looks for
	}
	var ins []*tensor.Tensor
	for _, s := range m.Inputs() {
		shape := s.Shape.Clone()
		for i := range shape {
			if shape[i] < 0 {
				shape[i] = 1
			}
		}
		x, err := tensor.New(s.DType, shape)
		if err != nil {
			return
		}
		ins = append(ins, x)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := m.NewRunner().Run(ctx, ins); errors.Is(err, tflite.ErrPanic) {
		t.Fatalf("Run: %v", err)
	}
}

// FuzzLoad seeds from the models our own builder writes (the example
// repository), so the committed corpus derives from nothing fetched.
func FuzzLoad(f *testing.F) {
	models, err := examples.Models()
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range models {
		f.Add(m.TFLite)
	}
	// The files of issue 11, read in place when present, and their minimal
	// forms (also in testdata/fuzz/FuzzLoad).
	for _, name := range []string{"crash.tflite", "crash2.tflite"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "shared", "hardening", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add(opcodeTrapModel(f))
	f.Add(zeroSizeModel(f))
	f.Add(whileSeedModel(f))
	f.Add(signalSeedModel(f))
	// EDGEINFER_FUZZ_SEEDS=shared also seeds from the small models of
	// ../shared (read in place, never committed): many more operators to
	// mutate. A failing input found from them is minimised and rebuilt with
	// tflitebuild before it goes into testdata.
	if os.Getenv("EDGEINFER_FUZZ_SEEDS") == "shared" {
		for _, b := range sharedSeeds(f) {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := tflite.Describe(data); err != nil {
			return
		}
		tryModel(t, data)
	})
}
