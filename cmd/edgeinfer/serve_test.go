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
		done <- runServe(ctx, []string{"--models", filepath.Join(dir, "models"), "--addr", "127.0.0.1:0", "--auth-token-file", tok}, func(a string) { addrc <- a })
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
}
