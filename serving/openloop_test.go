package serving

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// BenchmarkOpenLoop is an open-loop load generator: requests arrive at a
// fixed rate whatever the server's answers (independent clients, the usual
// production pattern), unlike the closed-loop callers of BenchmarkBatching
// that wait for one answer before sending again. It drives a batchable
// corpus model (EDGEINFER_OPENLOOP_MODEL, default the MLPerf Tiny keyword
// spotter, int8 DS-CNN) with batching off and on, at each rate of
// EDGEINFER_OPENLOOP_RATES (requests/s, default
// "4000,8000,10000,12000,14000,16000": the knee of a 2-core box lies
// between 10000 and 16000) for EDGEINFER_OPENLOOP_SECONDS (default 2) per
// rate, and reports the
// latency from each request's scheduled arrival to its answer (so a
// server that falls behind is charged for the wait), the rate achieved,
// the failures (shed or past their 1 s deadline), the mean batch and the
// process's CPU time per request (which other tenants of a shared machine
// do not change, unlike the latencies).
// The highest rate whose p99 stays under 50 ms is the figure to compare.
func BenchmarkOpenLoop(b *testing.B) {
	name := os.Getenv("EDGEINFER_OPENLOOP_MODEL")
	if name == "" {
		name = "mlperftiny__kws_ref_model_int8"
	}
	dir := filepath.Dir(sharedFile(b, "realmodels/models.tsv"))
	data, err := os.ReadFile(filepath.Join(dir, name, "model.tflite"))
	if err != nil {
		b.Skipf("corpus model %s: %v", name, err)
	}
	tm, err := tflite.Load(data)
	if err != nil {
		b.Fatal(err)
	}
	m := FromTFLite(tm)
	if !m.Batchable() {
		b.Fatalf("%s is not batchable", name)
	}
	var ins []*tensor.Tensor
	for i, sp := range tm.Inputs() {
		f, err := os.Open(filepath.Join(dir, name, "cases", "random", "in"+strconv.Itoa(i)+".npy"))
		if err != nil {
			b.Skipf("%s has no random case: %v", name, err)
		}
		in, err := tensor.ReadNpyLimit(bufio.NewReader(f), 1<<28)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		in.Name = sp.Name
		ins = append(ins, in)
	}
	rates := []int{4000, 8000, 10000, 12000, 14000, 16000}
	if v := os.Getenv("EDGEINFER_OPENLOOP_RATES"); v != "" {
		rates = rates[:0]
		for f := range strings.SplitSeq(v, ",") {
			r, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || r <= 0 || r > 100000 {
				b.Fatalf("EDGEINFER_OPENLOOP_RATES=%q", v)
			}
			rates = append(rates, r)
		}
	}
	secs := 2.0
	if v := os.Getenv("EDGEINFER_OPENLOOP_SECONDS"); v != "" {
		if secs, err = strconv.ParseFloat(v, 64); err != nil || secs <= 0 || secs > 60 {
			b.Fatalf("EDGEINFER_OPENLOOP_SECONDS=%q", v)
		}
	}
	for _, mode := range []struct {
		name string
		cfg  ModelConfig
	}{
		{"off", ModelConfig{MaxQueue: 256, MaxConcurrency: 2}},
		{"on", ModelConfig{MaxQueue: 256, MaxConcurrency: 2, MaxBatchSize: 16, BatchDelay: 2 * time.Millisecond}},
	} {
		for _, rate := range rates {
			b.Run(mode.name+"/"+strconv.Itoa(rate)+"rps", func(b *testing.B) {
				src := newTestSource()
				src.add("m", 1, m, mode.cfg)
				srv, err := New(Config{Source: src, Logger: newTestLogger(io.Discard)})
				if err != nil {
					b.Fatal(err)
				}
				defer srv.Close()
				req := &Request{Ref: Ref{Model: "m"}, Inputs: ins}
				if _, err := srv.Predict(context.Background(), req); err != nil { // warm the runner
					b.Fatal(err)
				}
				for b.Loop() {
					openLoop(b, srv, req, rate, secs)
				}
				runs, items := metricValue(b, srv, "edgeinfer_batch_size", map[string]string{"model": "m"})
				if runs > 0 {
					b.ReportMetric(items/runs, "items/run")
				}
			})
		}
	}
}

// openLoop sends req at rate per second for secs seconds, each on its own
// goroutine at its scheduled time, and reports the latencies.
func openLoop(b *testing.B, srv *Server, req *Request, rate int, secs float64) {
	n := int(float64(rate) * secs)
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, n)
	failed := make([]bool, n)
	var wg sync.WaitGroup
	cpu0, cpuOK := processCPU()
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := srv.Predict(ctx, req)
			lat[i] = time.Since(at)
			failed[i] = err != nil
		})
	}
	wg.Wait()
	el := time.Since(start)
	if cpu1, ok := processCPU(); ok && cpuOK {
		// the whole process: the generator's goroutines and the GC too
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(n), "cpu-us/req")
	}
	nfail := 0
	for _, f := range failed {
		if f {
			nfail++
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(n-nfail)/el.Seconds(), "ok-req/s")
	b.ReportMetric(float64(nfail)/float64(n), "failed-frac")
	b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(n-1, n*99/100)].Microseconds())/1000, "p99-ms")
}

// BenchmarkPredictHop measures what the hand-off to a worker goroutine
// costs a lone request: Predict on the tiny linear model (resolve, check,
// queue, worker, answer over a channel) against the same runner called
// directly on the caller's goroutine; the hop is the difference of their
// ns/op. cpu-ns/op is the process's CPU time per request, steadier than
// ns/op on a shared machine; p50-ns and p99-ns are Predict's latencies.
func BenchmarkPredictHop(b *testing.B) {
	m := buildLinear(b, true)
	in := []*tensor.Tensor{f32tensor("x", tensor.Shape{1, 3}, 1, 2, 3)}
	b.Run("direct", func(b *testing.B) {
		pm, err := m.WithBatch(1)
		if err != nil {
			b.Fatal(err)
		}
		r := pm.NewRunner()
		b.ReportAllocs()
		cpu0, cpuOK := processCPU()
		for b.Loop() {
			if _, err := r.Run(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu0, cpuOK)
	})
	b.Run("predict", func(b *testing.B) {
		src := newTestSource()
		src.add("linear", 1, m, ModelConfig{})
		srv, err := New(Config{Source: src, Logger: newTestLogger(io.Discard)})
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		req := &Request{Ref: Ref{Model: "linear"}, Inputs: in}
		b.ReportAllocs()
		lat := make([]time.Duration, 0, 1<<16)
		cpu0, cpuOK := processCPU()
		for b.Loop() {
			t0 := time.Now()
			if _, err := srv.Predict(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			if len(lat) < cap(lat) {
				lat = append(lat, time.Since(t0))
			}
		}
		reportCPU(b, cpu0, cpuOK)
		reportLatency(b, lat)
	})
}

// reportCPU reports the process's CPU time per iteration since cpu0 (all
// its goroutines: a hand-off wakes threads that spin looking for work).
func reportCPU(b *testing.B, cpu0 time.Duration, ok bool) {
	if cpu1, ok1 := processCPU(); ok && ok1 && b.N > 0 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}
