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

// heapPeaks are the largest samples heapPeak saw.
type heapPeaks struct {
	objects uint64 // heap objects, garbage not yet swept included
	live    uint64 // heap marked live by a GC
}

// heapPeak samples the heap (runtime/metrics) every millisecond until
// stop is closed, and returns the largest samples.
func heapPeak(stop <-chan struct{}) <-chan heapPeaks {
	out := make(chan heapPeaks, 1)
	go func() {
		s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		var peak heapPeaks
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			rtmetrics.Read(s)
			peak.objects = max(peak.objects, s[0].Value.Uint64())
			peak.live = max(peak.live, s[1].Value.Uint64())
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

// heapNow returns the current heap objects and live heap.
func heapNow() heapPeaks {
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(s)
	return heapPeaks{objects: s[0].Value.Uint64(), live: s[1].Value.Uint64()}
}

// mib formats bytes as MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// zeros returns n comma-separated zeros.
func zeros(n int) string { return strings.TrimSuffix(strings.Repeat("0,", n), ",") }

// Amplification requests (a declared shape far larger than the data) and
// value bombs (small compressed bodies that decode to millions of
// numbers) run concurrently; the live heap (as marked by the GC, with the
// GC made frequent) never grows past the memory budget plus a fixed
// allowance for what the budget does not cover (connections, the engine's
// own buffers, recycled read chunks), and the heap with its garbage not
// past twice that, measured with runtime/metrics. The answers are 400
// (counted before allocating), 413 (over a limit or larger than the whole
// budget), 429 (budget in use now) or 200.
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
	defer debug.SetGCPercent(debug.SetGCPercent(10)) // collect garbage promptly: measure what is held
	runtime.GC()
	base := heapNow()
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
	const allowance = 16 << 20
	live, objects := int64(peak.live)-int64(base.live), int64(peak.objects)-int64(base.objects)
	t.Logf("budget %s: live heap +%s, heap objects +%s; answers %v", mib(budget), mib(live), mib(objects), got)
	if live > budget+allowance || objects > 2*(budget+allowance) {
		t.Fatalf("heap grew by %s live, %s with garbage: over the %s budget plus %s", mib(live), mib(objects), mib(budget), mib(allowance))
	}
	// A handler releases its charge after its answer is written, so a
	// client can see the answer a moment before the release: wait (bounded)
	// for the handlers to finish; every byte must then be released.
	for deadline := time.Now().Add(5 * time.Second); e.srv.budget.used.Load() != 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
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
	base := heapNow()
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
	grew := int64(peak.objects) - int64(base.objects)
	t.Logf("%d connections announcing 32 MiB: heap +%s, charged %s", conns, mib(grew), mib(e.srv.budget.used.Load()))
	if grew > 16<<20 {
		t.Fatalf("heap grew by %s", mib(grew))
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
