package serving

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/benchmodels"
	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// reportLatency reports the p50 and p99 of per-request durations.
func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(d[min(len(d)-1, len(d)*99/100)].Nanoseconds()), "p99-ns")
}

// BenchmarkServeHTTP measures one whole request through ServeHTTP (JSON
// decode, admission, queue hand-off, engine, encode) on the tiny linear
// model; BenchmarkEngineLinear is the engine alone, so the difference is the
// serving overhead.
func BenchmarkServeHTTP(b *testing.B) {
	src := newTestSource()
	src.add("linear", 1, buildLinear(b, true), ModelConfig{})
	srv, err := New(Config{Source: src, Logger: newTestLogger(io.Discard)})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cases := []struct {
		name, path, body string
	}{
		{name: "v1-json", path: "/v1/models/linear:predict", body: `{"instances": [[1, 2, 3]]}`},
		{name: "v2-json", path: "/v2/models/linear/infer", body: `{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			body := []byte(c.body)
			rd := bytes.NewReader(body)
			b.ReportAllocs()
			lat := make([]time.Duration, 0, 1<<16)
			for b.Loop() {
				rd.Reset(body)
				req := httptest.NewRequest("POST", c.path, rd)
				rec := httptest.NewRecorder()
				start := time.Now()
				srv.ServeHTTP(rec, req)
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(start))
				}
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			reportLatency(b, lat)
		})
	}
}

// BenchmarkEngineLinear runs the linear model on the engine alone.
func BenchmarkEngineLinear(b *testing.B) {
	m, err := buildLinear(b, true).WithBatch(1)
	if err != nil {
		b.Fatal(err)
	}
	r := m.NewRunner()
	in := []*tensor.Tensor{f32tensor("x", tensor.Shape{1, 3}, 1, 2, 3)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// buildDense returns a float32 FULLY_CONNECTED model with a dynamic batch,
// n inputs and n outputs: heavy enough per item that batching matters.
func buildDense(b testing.TB, n int) Model {
	bl := tflitebuild.New()
	x := bl.Tensor("x", tensor.Float32, []int{1, n}, nil, nil)
	w := make([]float32, n*n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range w {
		w[i] = rng.Float32() - 0.5
	}
	wt := bl.Const("w", []int{n, n}, nil, w)
	bias := bl.Const("b", []int{n}, nil, make([]float32, n))
	y := bl.Tensor("y", tensor.Float32, []int{1, n}, nil, nil)
	bl.ShapeSignature(x, []int{-1, n})
	bl.ShapeSignature(y, []int{-1, n})
	bl.Op("FULLY_CONNECTED", []int{x, wt, bias}, []int{y}, &op.FullyConnectedOptions{})
	bl.Inputs(x)
	bl.Outputs(y)
	return loadBuilt(b, bl)
}

// BenchmarkBatching runs 32 concurrent callers of Predict against a
// dense model (n inputs, n outputs) with dynamic batching off and on; req/s
// is the throughput to compare, items/run the mean batch.
func BenchmarkBatching(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
		cfg  ModelConfig
	}{
		{name: "dense16/off", n: 16, cfg: ModelConfig{MaxQueue: 64}},
		{name: "dense16/on", n: 16, cfg: ModelConfig{MaxQueue: 64, MaxBatchSize: 32, BatchDelay: 500 * time.Microsecond}},
		{name: "dense512/off", n: 512, cfg: ModelConfig{MaxQueue: 64}},
		{name: "dense512/on", n: 512, cfg: ModelConfig{MaxQueue: 64, MaxBatchSize: 32, BatchDelay: 500 * time.Microsecond}},
		{name: "tiny_cnn/off", cfg: ModelConfig{MaxQueue: 64}},
		{name: "tiny_cnn/on", cfg: ModelConfig{MaxQueue: 64, MaxBatchSize: 32, BatchDelay: 500 * time.Microsecond}},
	} {
		n := c.n
		var m Model
		var in *tensor.Tensor
		if n == 0 {
			m = exampleModel(b, examples.TinyCNN)
			in = &tensor.Tensor{Name: "image", DType: tensor.Int8, Shape: tensor.Shape{1, 8, 8, 1}, Data: make([]byte, 64)}
			for i := range in.Data {
				in.Data[i] = byte(i * 3)
			}
		} else {
			m = buildDense(b, n)
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(i%7) / 7
			}
			in = f32tensor("x", tensor.Shape{1, n}, x...)
		}
		b.Run(c.name, func(b *testing.B) {
			src := newTestSource()
			src.add("dense", 1, m, c.cfg)
			srv, err := New(Config{Source: src, Logger: newTestLogger(io.Discard)})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				req := &Request{Ref: Ref{Model: "dense"}, Inputs: []*tensor.Tensor{in}}
				for pb.Next() {
					if _, err := srv.Predict(context.Background(), req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			runs, items := metricValue(b, srv, "edgeinfer_batch_size", map[string]string{"model": "dense"})
			if runs > 0 {
				b.ReportMetric(items/runs, "items/run")
			}
		})
	}
}

// exampleModel loads one of the example repository's models.
func exampleModel(b testing.TB, name string) Model {
	ms, err := examples.Models()
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range ms {
		if m.Name == name {
			tm, err := tflite.Load(m.TFLite)
			if err != nil {
				b.Fatal(err)
			}
			return FromTFLite(tm)
		}
	}
	b.Fatalf("no example model %q", name)
	return nil
}

// BenchmarkLoopback measures req/s of whole HTTP requests over a real
// loopback connection from 32 concurrent keep-alive clients, on the tiny
// linear model (v1 JSON).
func BenchmarkLoopback(b *testing.B) {
	src := newTestSource()
	src.add("linear", 1, buildLinear(b, true), ModelConfig{MaxQueue: 256})
	srv, err := New(Config{Source: src, Logger: newTestLogger(io.Discard)})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	body := []byte(`{"instances": [[1, 2, 3]]}`)
	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(ts.URL+"/v1/models/linear:predict", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkIntraOpThreads times one client's sequential Predict calls on
// MobileNetV2 int8 through the serving core with IntraOpThreads 1 and 2:
// an idle server gives a lone request every thread.
func BenchmarkIntraOpThreads(b *testing.B) {
	data, err := benchmodels.Build("mnv2_int8")
	if err != nil {
		b.Fatal(err)
	}
	tm, err := tflite.Load(data)
	if err != nil {
		b.Fatal(err)
	}
	spec := tm.Inputs()[0]
	x, err := tensor.New(spec.DType, spec.Shape)
	if err != nil {
		b.Fatal(err)
	}
	for i := range x.Data {
		x.Data[i] = byte(i * 7)
	}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads%d", threads), func(b *testing.B) {
			e := newEnv(b, Config{IntraOpThreads: threads}, func(s *testSource) { s.add("m", 1, FromTFLite(tm), ModelConfig{}) })
			req := &Request{Ref: Ref{Model: "m"}, Inputs: []*tensor.Tensor{x}}
			for b.Loop() {
				if _, err := e.srv.Predict(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// bigInstances returns a v1 body of about n bytes: rows of 3 floats.
func bigInstances(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"instances":[`)
	for i := 0; b.Len() < n-40; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("[0.125,-1.5,3.25]")
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkShed measures what refusing a request costs the server when
// its model has no room: admission comes before the 550 KB body is read.
func BenchmarkShed(b *testing.B) {
	release := make(chan struct{})
	defer close(release)
	src := newTestSource()
	src.add("slow", 1, &hookModel{Model: buildLinear(b, true), hook: func(ctx context.Context) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}}, ModelConfig{MaxConcurrency: 1, MaxQueue: 1})
	srv, err := New(Config{Source: src, Logger: newTestLogger(io.Discard), DefaultTimeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	small := []byte(`{"instances":[[1,2,3]]}`)
	for range 2 { // take both admission places
		go srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/models/slow:predict", bytes.NewReader(small)))
	}
	for {
		srv.mu.Lock()
		q := srv.queues[queueKey{"slow", 1}]
		srv.mu.Unlock()
		if q != nil && q.admitted.Load() == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	body := bigInstances(550_000)
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	lat := make([]time.Duration, 0, 1<<16)
	for b.Loop() {
		rd.Reset(body)
		req := httptest.NewRequest("POST", "/v1/models/slow:predict", rd)
		w := httptest.NewRecorder()
		start := time.Now()
		srv.ServeHTTP(w, req)
		lat = append(lat, time.Since(start))
		if w.Code != http.StatusTooManyRequests {
			b.Fatalf("status %d", w.Code)
		}
	}
	reportLatency(b, lat)
}

// BenchmarkDecodeV1 measures parsing and decoding a 550 KB v1 body (92K
// floats): packed, the numbers go from the text straight into the tensor;
// tree, each number is a parsed value first.
func BenchmarkDecodeV1(b *testing.B) {
	body := bigInstances(550_000)
	specs := []tflite.TensorSpec{{Name: "x", DType: tensor.Float32, Shape: tensor.Shape{-1, 3}}}
	for _, pack := range []bool{true, false} {
		b.Run(fmt.Sprintf("packed=%v", pack), func(b *testing.B) {
			lim := decodeLimits{json: tensor.JSONLimits{MaxDepth: 64, MaxValues: 1 << 20, PackNumbers: pack}, maxElements: 1 << 22}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				doc, err := parseJSON(body, lim)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := decodeV1Inputs(doc, specs, lim); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
