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
)

// `edgeinfer serve` on the example repository: it listens on 127.0.0.1,
// becomes ready after preloading, answers both protocols, enforces the
// bearer token, and shuts down when its context ends.
func TestServeExampleRepository(t *testing.T) {
	dir := t.TempDir()
	if err := examples.Write(filepath.Join(dir, "models")); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--models", filepath.Join(dir, "models"), "--addr", "127.0.0.1:0", "--auth-token-file", tok, "--drain-window", "300ms"}, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not listen")
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("listening on %s", addr)
	}
	get := func(method, path, body string, auth bool) (int, string) {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if auth {
			req.Header.Set("Authorization", "Bearer t0ken")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := get("GET", "/v2/health/ready", "", false); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready after 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	tests := []struct {
		name, method, path, body string
		auth                     bool
		want                     int
		substr                   string
	}{
		{name: "no token", method: "POST", path: "/v1/models/linear:predict", body: `{"instances":[[1,2,3,4]]}`, want: 401},
		{name: "v1 predict", method: "POST", path: "/v1/models/linear:predict", body: `{"instances":[[1,2,3,4]]}`, auth: true, want: 200, substr: `{"predictions":[[3,5,7,9]]}`},
		{name: "v2 infer", method: "POST", path: "/v2/models/linear/infer", body: `{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[0,0,0,0]}]}`, auth: true, want: 200, substr: `"data":[1,1,1,1]`},
		{name: "metrics", method: "GET", path: "/metrics", auth: true, want: 200, substr: `edgeinfer_requests_total{code="200",model="linear"} 2`},
	}
	for _, tt := range tests {
		code, body := get(tt.method, tt.path, tt.body, tt.auth)
		if code != tt.want || !strings.Contains(body, tt.substr) {
			t.Fatalf("%s: %d %s, want %d with %s", tt.name, code, body, tt.want, tt.substr)
		}
	}
	// Shutdown: not ready at once, still answering (with Connection:
	// close) for the drain window, then stopped.
	stop := time.Now()
	cancel()
	for {
		if code, _ := get("GET", "/v2/health/ready", "", false); code == 503 {
			break
		}
		if time.Since(stop) > 5*time.Second {
			t.Fatal("still ready 5s after shutdown began")
		}
		time.Sleep(5 * time.Millisecond)
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/models/linear:predict", strings.NewReader(`{"instances":[[1,2,3,4]]}`))
	req.Header.Set("Authorization", "Bearer t0ken")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request in the drain window: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !resp.Close {
		t.Fatalf("in the drain window: %d, Connection: close %v", resp.StatusCode, resp.Close)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
		if took := time.Since(stop); took < 300*time.Millisecond {
			t.Fatalf("stopped %v after shutdown began, before the drain window ended", took)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		ok   bool
	}{
		{name: "defaults", args: nil, ok: true},
		{name: "s3", args: []string{"--models", "s3://bucket/prefix", "--addr", "0.0.0.0:9000"}, ok: true},
		{name: "bad log format", args: []string{"--log-format", "xml"}},
		{name: "stray argument", args: []string{"models"}},
		{name: "zero drain", args: []string{"--drain-timeout", "0s"}},
		{name: "negative drain window", args: []string{"--drain-window", "-1s"}},
		{name: "zero memory budget", args: []string{"--memory-budget", "0"}},
		{name: "zero read timeout", args: []string{"--read-timeout", "0s"}},
		{name: "limits", args: []string{"--max-decoded-bytes", "1000", "--max-elements", "10", "--admin", "--idle-timeout", "5s"}, ok: true},
		{name: "model limits", args: []string{"--max-model-bytes", "64MiB", "--load-backoff", "1s", "--load-backoff-max", "1m"}, ok: true},
		{name: "zero load backoff", args: []string{"--load-backoff", "0s"}},
		{name: "negative load backoff max", args: []string{"--load-backoff-max", "-1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseServeFlags(tt.args)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			if tt.name == "defaults" && (f.models != "./models" || f.addr != "127.0.0.1:8080") {
				t.Fatalf("defaults %+v", f)
			}
		})
	}
	if err := runServe(context.Background(), []string{"--models", filepath.Join(t.TempDir(), "none")}, nil); err == nil || !strings.Contains(err.Error(), "make models") {
		t.Fatalf("missing repository: %v", err)
	}
	// The repository API with auth on needs a token of its own.
	dir := t.TempDir()
	if err := examples.Write(filepath.Join(dir, "models")); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := runServe(context.Background(), []string{"--models", filepath.Join(dir, "models"), "--addr", "127.0.0.1:0", "--auth-token-file", tok, "--admin"}, nil)
	if err == nil || !strings.Contains(err.Error(), "AdminToken") {
		t.Fatalf("--admin with auth and no admin token: %v", err)
	}
}
