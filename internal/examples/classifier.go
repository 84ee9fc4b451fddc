package examples

import (
	"fmt"
	"os"
	"path/filepath"
)

// Classifier is the image classifier `make serve` adds when the corpus is
// present: Coral's TF2 MobileNetV2 (int8 inside, uint8 input and output,
// 224x224 RGB, 1001 ImageNet classes), whose TFLite Model Metadata carries
// its normalization and imagenet_labels.txt.
const (
	Classifier     = "mobilenet_v2"
	ClassifierPath = "../shared/realmodels/coral__tf2_mobilenet_v2_1.0_224_ptq/model.tflite"
)

// WriteClassifier copies the model file at src to
// <dir>/<Classifier>/1/model.tflite (atomically, nothing when unchanged).
// It returns false, and writes nothing, when src does not exist.
func WriteClassifier(dir, src string) (bool, error) {
	data, err := os.ReadFile(src)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("examples: %w", err)
	}
	if len(data) < 8 || string(data[4:8]) != "TFL3" {
		return false, fmt.Errorf("examples: %s is not a TensorFlow Lite model", src)
	}
	vdir := filepath.Join(dir, Classifier, "1")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return false, fmt.Errorf("examples: %w", err)
	}
	return true, writeFile(filepath.Join(vdir, "model.tflite"), data)
}
