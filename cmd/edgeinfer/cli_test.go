package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildCLI builds the edgeinfer binary once per test run.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "edgeinfer")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func personDir(t *testing.T) string {
	dir, _ := filepath.Abs("../../../shared/conformance/person_detection")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("conformance data required but absent at %s", dir)
		}
		t.Skipf("conformance data absent at %s; skipping", dir)
	}
	return dir
}

// TestPredictPersonDetection is the engine issue's acceptance check: the
// person image scores person above no-person, and the reverse.
func TestPredictPersonDetection(t *testing.T) {
	dir := personDir(t)
	bin := buildCLI(t)
	model := filepath.Join(dir, "person_detect.tflite")
	for _, c := range []struct {
		args   []string
		person bool
	}{
		{[]string{"--input", filepath.Join(dir, "person.npy")}, true},
		{[]string{"--input", "input=" + filepath.Join(dir, "no_person.npy")}, false},
		{[]string{filepath.Join(dir, "person.npy")}, true},
	} {
		out, err := exec.Command(bin, append([]string{"predict", "--model", model}, c.args...)...).Output()
		if err != nil {
			t.Fatalf("predict %v: %v", c.args, err)
		}
		var res map[string]struct {
			DType string    `json:"dtype"`
			Shape []int     `json:"shape"`
			Data  [][]int64 `json:"data"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("predict output %q: %v", out, err)
		}
		o, ok := res["MobilenetV1/Predictions/Reshape_1"]
		if !ok || len(o.Data) != 1 || len(o.Data[0]) != 2 {
			t.Fatalf("unexpected output %s", out)
		}
		if got := o.Data[0][1] > o.Data[0][0]; got != c.person {
			t.Errorf("%v: scores %v, want person=%v", c.args, o.Data[0], c.person)
		}
	}
	// --out writes one .npy per output, named after it.
	outDir := t.TempDir()
	if err := exec.Command(bin, "predict", "--model", model, "--out", outDir, filepath.Join(dir, "person.npy")).Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(outDir, "MobilenetV1_Predictions_Reshape_1.npy")); err != nil {
		t.Fatal(err)
	}
}

func TestCLIExitCodes(t *testing.T) {
	bin := buildCLI(t)
	examples := t.TempDir()
	if err := exec.Command(bin, "examples", "-q", "--out", examples).Run(); err != nil {
		t.Fatal(err)
	}
	linear := filepath.Join(examples, "linear", "1", "model.tflite")
	garbage := filepath.Join(examples, "garbage.tflite")
	if err := os.WriteFile(garbage, []byte("this is not a flatbuffer"), 0o644); err != nil {
		t.Fatal(err)
	}
	type cliCase struct {
		name string
		args []string
		code int
		want string
	}
	tests := []cliCase{
		{"no command", nil, 2, "usage"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"predict without model", []string{"predict"}, 2, "usage"},
		{"predict unknown input name", []string{"predict", "--model", linear, "--input", "nope=x.npy"}, 2, `no input "nope"`},
		{"predict missing file", []string{"predict", "--model", linear, "--input", "/nonexistent.npy"}, 1, "no such file"},
		{"inspect bad flag", []string{"inspect", "--bogus"}, 2, "flag provided but not defined"},
		{"inspect not a model", []string{"inspect", garbage}, 1, "invalid model"},
		{"inspect ok", []string{"inspect", linear}, 0, ""},
		{"bench without model", []string{"bench"}, 2, "usage"},
		{"bench zero iters", []string{"bench", "--model", linear, "--iters", "0"}, 1, "at least 1"},
		{"bench profile", []string{"bench", "--model", linear, "--iters", "3", "--profile"}, 0, "per operator type"},
	}
	// The model files of issue 11 (read in place when present): inspect
	// reports them instead of panicking (exit code 2 and a Go trace).
	if crash, err := filepath.Abs("../../../shared/hardening/crash.tflite"); err == nil {
		if _, err := os.Stat(crash); err == nil {
			tests = append(tests,
				cliCase{"inspect crash.tflite", []string{"inspect", crash}, 1, "invalid model"},
				cliCase{"inspect crash2.tflite", []string{"inspect", filepath.Join(filepath.Dir(crash), "crash2.tflite")}, 0, "zero-size activation"})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			out, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(string(out), tc.want) {
				t.Fatalf("exit %d, output %q; want exit %d containing %q", code, out, tc.code, tc.want)
			}
		})
	}
}
