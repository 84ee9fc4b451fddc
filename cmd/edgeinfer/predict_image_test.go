package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func sharedPath(t *testing.T, rel string) string {
	t.Helper()
	p, _ := filepath.Abs(filepath.Join("../../../shared", rel))
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("shared data required but absent at %s", p)
		}
		t.Skipf("shared data absent at %s; skipping", p)
	}
	return p
}

// TestPredictImage: predict --image answers the label stock TensorFlow
// Lite gives for the same preprocessed tensor (see preprocess's
// TestTop1AgainstStockTFLite) and saves that tensor.
func TestPredictImage(t *testing.T) {
	model := sharedPath(t, "realmodels/coral__tf2_mobilenet_v2_1.0_224_ptq/model.tflite")
	img := sharedPath(t, "media/grace_hopper.bmp")
	bin := buildCLI(t)
	saved := filepath.Join(t.TempDir(), "in.npy")
	out, err := exec.Command(bin, "predict", "--model", model, "--image", img, "--top-k", "3", "--save-input", saved).Output()
	if err != nil {
		t.Fatalf("predict --image: %v", err)
	}
	var res struct {
		Classes map[string][]struct {
			Index int     `json:"index"`
			Label string  `json:"label"`
			Score float64 `json:"score"`
		} `json:"classes"`
		Fed []struct {
			Shape []int  `json:"shape"`
			DType string `json:"dtype"`
		} `json:"fed"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	top := res.Classes["Identity"]
	if len(top) != 3 || top[0].Index != 653 || top[0].Label != "military uniform" || !(top[0].Score > 0.5 && top[0].Score <= 1) {
		t.Fatalf("top-3 = %+v, want military uniform (653) first", top)
	}
	if len(res.Fed) != 1 || res.Fed[0].DType != "uint8" || len(res.Fed[0].Shape) != 4 || res.Fed[0].Shape[1] != 224 {
		t.Fatalf("fed = %+v", res.Fed)
	}
	if st, err := os.Stat(saved); err != nil || st.Size() < 224*224*3 {
		t.Fatalf("saved input: %v", err)
	}
	if out, err := exec.Command(bin, "predict", "--model", model, "--image", filepath.Join(t.TempDir(), "missing.jpg")).CombinedOutput(); err == nil {
		t.Fatalf("a missing image succeeded: %s", out)
	}
}
