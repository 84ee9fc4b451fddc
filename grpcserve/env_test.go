package grpcserve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/edgeinfer/edgeinfer/grpcserve"
	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// mnv2Path is the conformance suite's MobileNetV2 int8, read in place.
const mnv2Path = "../../shared/conformance/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite"

// env is a real serving stack over a model repository in a temporary
// folder: the HTTP API and the gRPC services of the same serving.Server,
// both on 127.0.0.1.
type env struct {
	core     *serving.Server
	httpURL  string
	grpcAddr string
	conn     *grpc.ClientConn
}

// withMobileNet adds the conformance MobileNetV2 as model "mnv2" (config
// as given, "" for none); the test skips without ../shared unless
// EDGEINFER_CONFORMANCE=require.
func withMobileNet(t testing.TB, dir, config string) {
	t.Helper()
	b, err := os.ReadFile(mnv2Path)
	if err != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("EDGEINFER_CONFORMANCE=require but %s: %v", mnv2Path, err)
		}
		t.Skipf("conformance model absent (%v); skipping", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "mnv2", "1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mnv2", "1", "model.tflite"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, "mnv2", "config.json"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// newEnv starts the stack; extra adds models to the repository first.
func newEnv(t testing.TB, cfg serving.Config, opts grpcserve.Options, extra func(dir string)) *env {
	t.Helper()
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	if extra != nil {
		extra(dir)
	}
	store, err := objstore.New(objstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	repo, err := modelcache.NewRepository(store, dir)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := modelcache.New(repo, modelcache.Options[*tflite.Model]{MaxBytes: 256 << 20, DiskMaxBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	src, err := serving.NewCacheSource(cache, repo)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Source = src
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	core, err := serving.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })

	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := core.HTTPServer(hl.Addr().String(), nil)
	go hs.Serve(hl)
	t.Cleanup(func() { hs.Close() })

	gs, err := grpcserve.New(core, opts)
	if err != nil {
		t.Fatal(err)
	}
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(gl)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(gl.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)), grpc.WithInitialWindowSize(1<<20), grpc.WithInitialConnWindowSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &env{core: core, httpURL: "http://" + hl.Addr().String(), grpcAddr: gl.Addr().String(), conn: conn}
}

// restBinary runs a V2 REST inference with the binary tensor data
// extension on one raw input and returns the raw bytes of every output,
// in order, as the HTTP API answers them.
func (e *env) restBinary(t testing.TB, model, input, datatype string, shape []int, raw []byte, token string) [][]byte {
	t.Helper()
	shapeJS, _ := json.Marshal(shape)
	hdr := fmt.Sprintf(`{"inputs":[{"name":%q,"datatype":%q,"shape":%s,"parameters":{"binary_data_size":%d}}],"parameters":{"binary_data_output":true}}`,
		input, datatype, shapeJS, len(raw))
	body := append([]byte(hdr), raw...)
	req, err := http.NewRequest("POST", e.httpURL+"/v2/models/"+model+"/infer", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Inference-Header-Content-Length", strconv.Itoa(len(hdr)))
	req.Header.Set("Content-Type", "application/octet-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("REST %s: %d %s", model, resp.StatusCode, b)
	}
	n, err := strconv.Atoi(resp.Header.Get("Inference-Header-Content-Length"))
	if err != nil || n > len(b) {
		t.Fatalf("REST %s: bad Inference-Header-Content-Length %q", model, resp.Header.Get("Inference-Header-Content-Length"))
	}
	var doc struct {
		Outputs []struct {
			Parameters struct {
				Size int `json:"binary_data_size"`
			} `json:"parameters"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(b[:n], &doc); err != nil {
		t.Fatal(err)
	}
	rest := b[n:]
	var outs [][]byte
	for _, o := range doc.Outputs {
		if o.Parameters.Size > len(rest) {
			t.Fatalf("REST %s: short binary data", model)
		}
		outs = append(outs, rest[:o.Parameters.Size])
		rest = rest[o.Parameters.Size:]
	}
	return outs
}

// restJSON GETs or POSTs path and decodes the JSON answer into v.
func (e *env) restJSON(t testing.TB, method, path, body string, v any) {
	t.Helper()
	req, err := http.NewRequest(method, e.httpURL+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
}

// ctx returns a context with a generous test deadline.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
