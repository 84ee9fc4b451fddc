package serving

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/edgeinfer/edgeinfer/preprocess"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// TestCorpusFloatInputs: every corpus model that loads and has quantized
// inputs takes real numbers. Its first case's quantized inputs, turned
// into the real values they stand for (scale × (q − zero point)) and sent
// as FP32, must be quantized back to exactly the same integers, and the
// model must answer exactly as for the integers themselves.
func TestCorpusFloatInputs(t *testing.T) {
	dir := filepath.Dir(sharedFile(t, "realmodels/models.tsv"))
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, ent := range ents {
		if raceEnabled && tested >= 3 {
			break // loading every corpus model under the race detector takes too long for CI
		}
		data, err := os.ReadFile(filepath.Join(dir, ent.Name(), "model.tflite"))
		if err != nil {
			continue
		}
		m, err := tflite.Load(data)
		if err != nil {
			continue // the corpus lists models the engine does not run yet
		}
		quantized := false
		for _, sp := range m.Inputs() {
			quantized = quantized || preprocess.IsQuantized(sp.DType, sp.Quant)
		}
		cases, _ := filepath.Glob(filepath.Join(dir, ent.Name(), "cases", "*", "in0.npy"))
		if !quantized || len(cases) == 0 {
			continue
		}
		t.Run(ent.Name(), func(t *testing.T) {
			tested++
			cdir := filepath.Dir(cases[0])
			var raw, real []*tensor.Tensor
			for i, sp := range m.Inputs() {
				f, err := os.Open(filepath.Join(cdir, "in"+strconv.Itoa(i)+".npy"))
				if err != nil {
					t.Skipf("case %s lacks input %d", cdir, i)
				}
				in, err := tensor.ReadNpyLimit(bufio.NewReader(f), 1<<28)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				in.Name = sp.Name
				raw = append(raw, in)
				if !preprocess.IsQuantized(sp.DType, sp.Quant) || in.DType != sp.DType {
					real = append(real, in)
					continue
				}
				r, err := preprocess.Dequantize(in, sp.Quant)
				if err != nil {
					t.Fatal(err)
				}
				r.Name = sp.Name
				real = append(real, r)
			}
			s := &Server{}
			l := &Loaded{Name: ent.Name(), Model: FromTFLite(m)}
			conv := append([]*tensor.Tensor(nil), real...)
			if err := s.convertInputs(l, &ioOptions{}, conv); err != nil {
				t.Fatal(err)
			}
			for i := range conv {
				if conv[i].DType != raw[i].DType || !bytes.Equal(conv[i].Data, raw[i].Data) {
					t.Fatalf("input %d: real values did not quantize back to the case's integers", i)
				}
			}
			if raceEnabled || len(data) > 2<<20 {
				return // the engine's results on large models are covered by the corpus tests
			}
			a, err := m.NewRunner().Run(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			want := make([][]byte, len(a))
			for i := range a {
				want[i] = bytes.Clone(a[i].Data)
			}
			b, err := m.NewRunner().Run(context.Background(), conv)
			if err != nil {
				t.Fatal(err)
			}
			for i := range b {
				if !bytes.Equal(b[i].Data, want[i]) {
					t.Fatalf("output %d differs between integer and real inputs", i)
				}
			}
		})
	}
	if tested == 0 {
		t.Fatal("no corpus model with quantized inputs loaded")
	}
	t.Logf("%d quantized corpus models take real inputs", tested)
}
