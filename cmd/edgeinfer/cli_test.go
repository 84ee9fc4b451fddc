package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// builtCLI builds the edgeinfer binary once per test binary run, into a
// directory TestMain removes.
var builtCLI = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "edgeinfer-cli-test-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "edgeinfer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := builtCLI(); err == nil {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// buildCLI returns the edgeinfer binary, built once.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin, err := builtCLI()
	if err != nil {
		t.Fatal(err)
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
	// A [3] float32 .npy (linear takes [n,4]) and a model with two
	// operators the engine lacks.
	wrongShape := filepath.Join(examples, "wrong.npy")
	var npy bytes.Buffer
	if err := tensor.WriteNpy(&npy, &tensor.Tensor{DType: tensor.Float32, Shape: tensor.Shape{3}, Data: make([]byte, 12)}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrongShape, npy.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	twoMissing := filepath.Join(examples, "two_missing.tflite")
	{
		b := tflitebuild.New()
		x := b.Tensor("x", tensor.Float32, []int{4}, nil, nil)
		y := b.Tensor("y", tensor.Float32, []int{4}, nil, nil)
		z := b.Tensor("z", tensor.Float32, []int{4}, nil, nil)
		b.CustomOp("FirstMissing", []int{x}, []int{y}, nil)
		b.CustomOp("SecondMissing", []int{y}, []int{z}, nil)
		b.Inputs(x)
		b.Outputs(z)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(twoMissing, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type cliCase struct {
		name string
		args []string
		code int
		want string
	}
	tests := []cliCase{
		{"no command", nil, 2, "usage: edgeinfer <command>"},
		{"top-level help", []string{"-h"}, 0, "edgeinfer inspect [--ops]"},
		{"help command", []string{"help"}, 0, "commands:"},
		{"help for a command", []string{"help", "inspect"}, 0, "usage: edgeinfer inspect"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"version", []string{"version"}, 0, "int8 kernels"},
		{"--version", []string{"--version"}, 0, "go1."},
		{"version with argument", []string{"version", "x"}, 2, "no arguments"},
		{"serve -h", []string{"serve", "-h"}, 0, "--cache-bytes size"},
		{"serve --help", []string{"serve", "--help"}, 0, "usage: edgeinfer serve"},
		{"serve bad flag", []string{"serve", "--bogus"}, 2, "unknown flag --bogus"},
		{"serve bad size", []string{"serve", "--cache-bytes", "lots"}, 2, `invalid size "lots"`},
		{"serve stray argument", []string{"serve", "models"}, 2, "--models DIR"},
		{"serve bad log format", []string{"serve", "--log-format", "xml"}, 2, "text or json"},
		{"serve bad preload", []string{"serve", "--models", "/nonexistent", "--preload", "a b"}, 2, `--preload: model name "a b"`},
		{"serve missing repository", []string{"serve", "--models", "/nonexistent/models"}, 1, "not a directory"},
		{"predict -h", []string{"predict", "-h"}, 0, "INPUT.npy"},
		{"predict without model", []string{"predict"}, 2, "--model is required"},
		{"predict unknown input name", []string{"predict", "--model", linear, "--input", "nope=x.npy"}, 2, `no input "nope"`},
		{"predict missing file", []string{"predict", "--model", linear, "--input", "/nonexistent.npy"}, 1, "no such file"},
		{"predict flags after inputs", []string{"predict", "/nonexistent.npy", "--model", linear}, 1, "no such file"},
		{"inspect -h", []string{"inspect", "-h"}, 0, "MODEL.tflite..."},
		{"inspect bad flag", []string{"inspect", "--bogus"}, 2, "unknown flag --bogus"},
		{"inspect no model", []string{"inspect", "--ops"}, 2, "no model given"},
		{"inspect not a model", []string{"inspect", garbage}, 1, "invalid model"},
		{"inspect ok", []string{"inspect", linear}, 0, "1 operator,"},
		{"inspect flags after the model", []string{"inspect", linear, "--ops"}, 0, "op   0 FULLY_CONNECTED"},
		{"inspect tiny MAC count", []string{"inspect", linear}, 0, "16 MAC per run"},
		{"inspect json snake_case", []string{"inspect", linear, "--json"}, 0, `"supported": true`},
		{"inspect after --", []string{"inspect", "--", "--ops"}, 1, "open --ops"},
		{"inspect lists every problem", []string{"inspect", twoMissing}, 0, "loads: no: 2 problems"},
		{"inspect names the second problem", []string{"inspect", twoMissing}, 0, "op 1 (CUSTOM:SecondMissing)"},
		{"bench -h", []string{"bench", "-h"}, 0, "--iters int"},
		{"bench --input wrong shape", []string{"bench", "--model", linear, "--input", wrongShape}, 1, "float32[3], input 0"},
		{"bench --input unknown name", []string{"bench", "--model", linear, "--input", "nope=" + wrongShape}, 2, `no input "nope"`},
		{"bench without model", []string{"bench"}, 2, "--model is required"},
		{"bench zero iters", []string{"bench", "--model", linear, "--iters", "0"}, 2, "at least 1"},
		{"bench profile", []string{"bench", "--model", linear, "--iters", "3", "--profile"}, 0, "per operator type"},
		{"bench model as argument", []string{"bench", linear, "--iters", "2"}, 0, "1 operator,"},
		{"examples stray argument", []string{"examples", "dir"}, 2, "--out DIR"},
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
			// An error is said once: one "edgeinfer <cmd>:" line.
			if code != 0 {
				if n := strings.Count(string(out), "edgeinfer "+firstArg(tc.args)+":"); n > 1 {
					t.Errorf("error printed %d times: %q", n, out)
				}
			}
		})
	}
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
