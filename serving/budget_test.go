package serving

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// heapPeak samples the bytes of heap objects (runtime/metrics) every
// millisecond until stop is closed, and returns the largest sample.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			rtmetrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// zeros returns n comma-separated zeros.
func zeros(n int) string { return strings.TrimSuffix(strings.Repeat("0,", n), ",") }

// Amplification requests (a declared shape far larger than the data) and
// value bombs (small compressed bodies that decode to millions of
// numbers) run concurrently; the heap never grows past the memory budget
// (plus a fixed allowance for what the budget does not cover: connections,
// the engine's own buffers), measured with runtime/metrics. The answers
// are 400 (counted before allocating), 413 (over a limit or larger than
// the whole budget), 429 (budget in use now) or 200.
func TestMemoryBudgetBoundsHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates tens of MiB")
	}
	const budget = 32 << 20
	e := newEnv(t, Config{MemoryBudget: budget, MaxDecodedBytes: 16 << 20, MaxBodyBytes: 1 << 20, MaxElements: 1 << 22, MaxQueue: 64},
		func(s *testSource) { s.add("linear", 1, buildLinear(t, true), ModelConfig{}) })
	// Requests, each sent by several clients at once.
	type attack struct {
		name, path string
		body       []byte
		hdr        map[string]string
		want       map[int]bool
	}
	amp := `{"inputs":[{"name":"x","shape":[1398101,3],"datatype":"FP32","data":[1,2,3]}]}`
	ampBin := `{"inputs":[{"name":"x","shape":[1398101,3],"datatype":"FP32","parameters":{"binary_data_size":16777212}}]}`
	bomb := `{"inputs":[{"name":"x","shape":[1000000,3],"datatype":"FP32","data":[` + zeros(3000000) + `]}]}` // 6 MB of text, 12 MB tensor, 24 MB of answer
	fits := `{"inputs":[{"name":"x","shape":[100000,3],"datatype":"FP32","data":[` + zeros(300000) + `]}]}`
	v1bomb := `{"instances":[` + strings.TrimSuffix(strings.Repeat("[0,0,0],", 1500000), ",") + `]}` // 4.5M values: over MaxElements
	spaces := `{"instances":[` + strings.Repeat(" ", 40<<20) + `[1,2,3]]}`                           // 40 MiB: over MaxDecodedBytes
	zst := map[string]string{"Content-Encoding": "zstd"}
	gz := map[string]string{"Content-Encoding": "gzip"}
	attacks := []attack{
		{name: "amplification", path: "/v2/models/linear/infer", body: []byte(amp), want: map[int]bool{400: true, 429: true}},
		{name: "binary amplification", path: "/v2/models/linear/infer", body: []byte(ampBin), hdr: map[string]string{"Inference-Header-Content-Length": fmt.Sprint(len(ampBin))}, want: map[int]bool{400: true, 429: true}},
		{name: "zstd value bomb", path: "/v2/models/linear/infer", body: compress(t, "zstd", []byte(bomb)), hdr: zst, want: map[int]bool{413: true, 429: true}},
		{name: "zstd bomb that fits", path: "/v2/models/linear/infer", body: compress(t, "zstd", []byte(fits)), hdr: zst, want: map[int]bool{200: true, 429: true}},
		{name: "v1 gzip value bomb", path: "/v1/models/linear:predict", body: compress(t, "gzip", []byte(v1bomb)), hdr: gz, want: map[int]bool{400: true, 429: true}},
		{name: "gzip space bomb", path: "/v1/models/linear:predict", body: compress(t, "gzip", []byte(spaces)), hdr: gz, want: map[int]bool{413: true, 429: true}},
	}
	for _, a := range attacks {
		if len(a.body) > 1<<20 {
			t.Fatalf("%s: %d-byte body", a.name, len(a.body))
		}
	}
	const clients = 4
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(10)) // collect garbage promptly: measure what is held
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	rtmetrics.Read(s)
	base := s[0].Value.Uint64()
	stop := make(chan struct{})
	peakc := heapPeak(stop)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]map[int]int{}
	tr := &http.Transport{DisableCompression: true, MaxConnsPerHost: 0}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for _, a := range attacks {
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 2 {
					req, _ := http.NewRequest("POST", e.ts.URL+a.path, bytes.NewReader(a.body))
					for k, v := range a.hdr {
						req.Header.Set(k, v)
					}
					resp, err := client.Do(req)
					if err != nil {
						t.Errorf("%s: %v", a.name, err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mu.Lock()
					if got[a.name] == nil {
						got[a.name] = map[int]int{}
					}
					got[a.name][resp.StatusCode]++
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(stop)
	peak := <-peakc
	for _, a := range attacks {
		for code := range got[a.name] {
			if !a.want[code] {
				t.Errorf("%s: answers %v, want only %v", a.name, got[a.name], a.want)
			}
		}
	}
	const allowance = 24 << 20
	grew := int64(peak) - int64(base)
	t.Logf("heap objects: base %.1f MiB, peak %.1f MiB (+%.1f MiB; budget %d MiB); answers %v",
		float64(base)/(1<<20), float64(peak)/(1<<20), float64(grew)/(1<<20), budget>>20, got)
	if grew > budget+allowance {
		t.Fatalf("heap grew by %.1f MiB, over the %d MiB budget plus %d MiB", float64(grew)/(1<<20), budget>>20, allowance>>20)
	}
	if u := e.srv.budget.used.Load(); u != 0 {
		t.Fatalf("%d bytes still charged after every request ended", u)
	}
	// Alone, a request that fits the budget is served.
	code, _, body := e.do(t, "POST", "/v2/models/linear/infer", compress(t, "zstd", []byte(fits)), zst)
	if code != 200 {
		t.Fatalf("alone: %d %.200s", code, body)
	}
}

// A declared Content-Length is not a size to allocate: clients that
// announce 32 MiB and send one byte cost the server one read chunk each.
func TestContentLengthNotPreallocated(t *testing.T) {
	e := standardEnv(t, Config{MaxBodyBytes: 32 << 20, MaxDecodedBytes: 32 << 20, DefaultTimeout: time.Minute})
	runtime.GC()
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	rtmetrics.Read(s)
	base := s[0].Value.Uint64()
	stop := make(chan struct{})
	peakc := heapPeak(stop)
	const conns = 20
	var cs []net.Conn
	for range conns {
		c, err := net.Dial("tcp", e.ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST /v1/models/linear:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 33554432\r\n\r\n{")
		cs = append(cs, c)
	}
	waitFor(t, 5*time.Second, "every body being read", func() bool { return e.srv.budget.used.Load() >= conns*bodyChunk })
	close(stop)
	peak := <-peakc
	grew := int64(peak) - int64(base)
	t.Logf("%d connections announcing 32 MiB: heap +%.1f MiB, charged %.1f MiB", conns, float64(grew)/(1<<20), float64(e.srv.budget.used.Load())/(1<<20))
	if grew > 16<<20 {
		t.Fatalf("heap grew by %.1f MiB", float64(grew)/(1<<20))
	}
	for _, c := range cs {
		c.Close()
	}
	waitFor(t, 5*time.Second, "the charges released", func() bool { return e.srv.budget.used.Load() == 0 })
}

// A zstd body whose window is over ZstdMaxWindow is refused, whatever it
// decodes to.
func TestZstdWindowCapped(t *testing.T) {
	e := standardEnv(t, Config{MaxBodyBytes: 64 << 20, MaxDecodedBytes: 64 << 20})
	doc := []byte(`{"instances":[` + strings.Repeat(" ", 12<<20) + `[1,2,3]]}`)
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithWindowSize(32<<20))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(doc)
	zw.Close()
	code, _, body := e.do(t, "POST", "/v1/models/linear:predict", buf.Bytes(), map[string]string{"Content-Encoding": "zstd"})
	if code != 400 || !bytes.Contains(body, []byte("window")) {
		t.Fatalf("32 MiB window: %d %s", code, body)
	}
	code, _, body = e.do(t, "POST", "/v1/models/linear:predict", compress(t, "zstd", doc), map[string]string{"Content-Encoding": "zstd"})
	if code != 200 {
		t.Fatalf("default window: %d %s", code, body)
	}
}
