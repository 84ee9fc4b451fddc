package tflite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

const yamnet = "tflsupport__yamnet_wavin_quantized_mel_relu6"

// cutModel rebuilds operators [from, to) of a parsed model's main subgraph
// as a model of their own whose input is tensor in and output tensor out.
func cutModel(t *testing.T, f *parsed, from, to, in, out int) []byte {
	t.Helper()
	b := tflitebuild.New()
	idx := map[int]int{}
	tens := func(ti int) int {
		if ti < 0 {
			return -1
		}
		if j, ok := idx[ti]; ok {
			return j
		}
		ft := f.tensors[ti].info
		idx[ti] = b.Tensor(ft.Name, ft.DType, ft.Shape, ft.Quant, ft.Const)
		return idx[ti]
	}
	first := tens(in)
	for i := from; i < to; i++ {
		o := f.ops[i]
		var ins, outs []int
		for _, ti := range o.inputs {
			ins = append(ins, tens(ti))
		}
		for _, ti := range o.outputs {
			outs = append(outs, tens(ti))
		}
		b.OpVersion(o.name, o.version, ins, outs, o.options)
	}
	b.Inputs(first)
	b.Outputs(tens(out))
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readNpy(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x, err := tensor.ReadNpy(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return x
}

func runOnce(t *testing.T, model []byte, in *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	m, err := Load(model)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.NewRunner().Run(context.Background(), []*tensor.Tensor{in})
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

// TestYamnetStages checks YAMNet (float waveform in, STFT through RFFT2D
// and COMPLEX_ABS, log-mel, QUANTIZE, int8 MobileNet, float scores out) in
// two stages, because its corpus reference (stock TFLite with XNNPACK)
// rounds int8 CONV_2D once where the reference kernels round twice, so the
// final scores can differ by a step (corpusCaseExceptions):
//   - the front end (ops 0-14: float STFT to the int8 feature patch) must
//     give stock TFLite's int8 features bit for bit
//     (testdata/yamnet/*_features.npy);
//   - the int8 tower (ops 15-46) on those features must give TFLite
//     Micro's scores bit for bit (testdata/yamnet/*_scores.npy).
//
// testdata/yamnet/README says how the goldens were made.
func TestYamnetStages(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "realmodels", yamnet)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("real-model corpus required but %s is absent", dir)
		}
		t.Skipf("real-model corpus absent (%v); skipping", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "model.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.ops) != 47 || f.ops[14].name != "RESHAPE" || f.ops[15].name != "SPLIT" {
		t.Fatalf("unexpected operator list: %d ops", len(f.ops))
	}
	const features = 30 // ExpandDims1, int8[1,96,64,1]
	front := cutModel(t, f, 0, 15, f.inputs[0], features)
	tower := cutModel(t, f, 15, len(f.ops), features, f.outputs[0])
	for _, c := range []string{"low", "random"} {
		t.Run(c, func(t *testing.T) {
			in := readNpy(t, filepath.Join(dir, "cases", c, "in0.npy"))
			wantF := readNpy(t, filepath.Join("testdata", "yamnet", c+"_features.npy"))
			gotF := runOnce(t, front, in)
			if !bytes.Equal(gotF.Data, wantF.Data) {
				t.Errorf("int8 features differ from stock TFLite's")
			}
			wantS := readNpy(t, filepath.Join("testdata", "yamnet", c+"_scores.npy"))
			gotS := runOnce(t, tower, wantF)
			if !bytes.Equal(gotS.Data, wantS.Data) {
				t.Errorf("scores from TFLite's features differ from TFLite Micro's")
			}
		})
	}
}
