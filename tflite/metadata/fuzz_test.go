package metadata

import (
	"os"
	"path/filepath"
	"testing"
)

// seedModels are corpus models whose metadata and associated files seed
// the fuzzers (read in place from ../shared/realmodels).
var seedModels = []string{
	"coral__tf2_mobilenet_v2_1.0_224_ptq",
	"tflsupport__automl_labeler_model",
	"tflsupport__deeplabv3_257_float",
	"mediapipe__palm_detection_full",
	"tflsupport__nl_classifier_builtin_ops",
	"tflsupport__regex_text_embedder",
}

func seeds(f *testing.F, each func(model []byte)) {
	dir := filepath.Join("..", "..", "..", "shared", "realmodels")
	for _, name := range seedModels {
		b, err := os.ReadFile(filepath.Join(dir, name, "model.tflite"))
		if err != nil {
			continue // the corpus is optional here: the fuzzers also run on their own seeds
		}
		each(b)
	}
}

// FuzzParse fuzzes the metadata flatbuffer parser from the corpus models'
// TFLITE_METADATA buffers.
func FuzzParse(f *testing.F) {
	f.Add([]byte("\x08\x00\x00\x00M001\x04\x00\x04\x00\x04\x00\x00\x00"))
	seeds(f, func(model []byte) {
		if buf, err := metadataBuffer(model); err == nil && buf != nil {
			f.Add(buf)
		}
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err == nil && m == nil {
			t.Fatal("nil metadata without an error")
		}
	})
}

// FuzzRead fuzzes the whole reader (model walk, metadata, appended zip)
// from the tail of corpus models: their metadata buffer and zip, behind a
// minimal model header.
func FuzzRead(f *testing.F) {
	f.Add(tinyModel(f))
	seeds(f, func(model []byte) {
		// The model's last 16 KiB (its zip of associated files) behind a
		// tiny model: small seeds keep the fuzzer fast.
		f.Add(append(tinyModel(f), model[max(0, len(model)-16<<10):]...))
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Read(b, Limits{MaxFiles: 8, MaxFileBytes: 1 << 20, MaxTotalBytes: 2 << 20})
		if err != nil {
			return
		}
		for i := range 4 {
			m.OutputLabels(i, "en")
			m.Input(i)
		}
	})
}
