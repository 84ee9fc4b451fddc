package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// `edgeinfer serve` over a repository whose bad models have preload set
// (crash2.tflite did this: the server crashed at start-up; a failed preload
// then made it exit): it becomes ready, serves the good models and answers
// the bad ones with errors. crash.tflite and crash2.tflite are read in place
// from ../shared/hardening when present; a builder-made zero-size model
// stands in for crash2 always.
func TestServeSurvivesHostileModels(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "models")
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{3, 0}, nil, nil)
	b.Inputs(x)
	b.Outputs(x)
	zero, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{"zerosize": zero}
	for _, name := range []string{"crash", "crash2"} {
		if data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "hardening", name+".tflite")); err == nil {
			bad[name] = data
		}
	}
	for name, data := range bad {
		if err := os.MkdirAll(filepath.Join(dir, name, "1"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "1", "model.tflite"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "config.json"), []byte(`{"preload": true}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--models", dir, "--addr", "127.0.0.1:0", "--drain-window", "0s", "--rescan", "0"}, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not listen")
	}
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("serve ended during preload: %v", err)
		default:
		}
		if code, _ := do("GET", "/v2/health/ready", ""); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready after 10s")
		}
	}
	if code, body := do("POST", "/v1/models/linear:predict", `{"instances":[[1,2,3,4]]}`); code != 200 {
		t.Fatalf("linear: %d %s", code, body)
	}
	for name := range bad {
		code, body := do("POST", "/v2/models/"+name+"/infer", `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}`)
		if code < 400 || strings.Contains(body, "goroutine") || strings.Contains(body, "runtime error") {
			t.Fatalf("%s: %d %s", name, code, body)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}
