package batch

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/internal/testserver"
	"github.com/edgeinfer/edgeinfer/objstore"
)

// The pipeline benchmarks (make bench-batch) stream one zstd-compressed
// object from a real S3-compatible server (versitygw, started from ./bin)
// through ProcessObject and the example model linear (a 4→4
// FULLY_CONNECTED, batch dimension dynamic) to zstd-compressed
// predictions uploaded back to the server. They report:
//
//	records/s, MB/s    decoded input bytes per second (b.SetBytes)
//	ns/record          wall time per record
//	stage-ns/record    time per record spent in each stage (decode, predict,
//	                   encode), from the Summary's timings
//	cpu-ns/record      this process's CPU time per record (not the S3 server's)
//	allocs/record      heap allocations per record
//	peak-RSS-MiB       the process's peak resident set (VmHWM) after the run
//
// EDGEINFER_BENCH_RECORDS scales the 30-byte benchmark (default 200000);
// EDGEINFER_BENCH_MB the large-object one (default 32 MiB decoded;
// make bench-batch-large runs 1024). The input is generated and uploaded
// before the timer starts, and the peak RSS is reset after that (Linux),
// so it is the run's. GC settings are Go's defaults (GOGC=100, no
// GOMEMLIMIT), as s3fn runs; the server is set up as s3fn sets it up (one
// intra-op thread).

func benchEnvInt(b *testing.B, name string, def int) int {
	if s := os.Getenv(name); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("%s=%q", name, s)
		}
		return v
	}
	return def
}

// record30 writes one bare-row record of about 30 bytes.
func record30(b []byte, i int) []byte {
	return fmt.Appendf(b, "[%d.25,-%d.5,%d.125,0.%d]\n", i%100000, i%977, i%31, i%10)
}

// record1K writes one V2 request of about 1 KB: 24 items of 4 floats.
func record1K(b []byte, i int) []byte {
	b = append(b, `{"id":"`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","inputs":[{"name":"x","shape":[24,4],"datatype":"FP32","data":[`...)
	for j := range 96 {
		if j > 0 {
			b = append(b, ',')
		}
		// "%d.%03d", without fmt: the 1 GiB run writes 10^8 of them.
		b = strconv.AppendInt(b, int64((i+j)%1000), 10)
		fr := (i*7 + j) % 1000
		b = append(b, '.', byte('0'+fr/100), byte('0'+fr/10%10), byte('0'+fr%10))
	}
	return append(b, "]}]}\n"...)
}

// putGenerated uploads n generated records, zstd-compressed, and returns
// the decoded size.
func putGenerated(b *testing.B, s *objstore.Store, url string, n int, gen func([]byte, int) []byte) int64 {
	w, err := s.Create(context.Background(), url, &objstore.WriteOptions{Compression: objstore.CodecZstd, FastCompression: true, CompressConcurrency: 2})
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var total int64
	var line []byte
	for i := range n {
		line = gen(line[:0], i)
		total += int64(len(line))
		if _, err := bw.Write(line); err != nil {
			b.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return total
}

func benchStore(b *testing.B) (*objstore.Store, string) {
	srv := testserver.StartS3(b, "bench")
	s, err := objstore.New(objstore.Options{S3Endpoint: srv.Endpoint, S3PathStyle: true, S3Region: srv.Region,
		S3AccessKeyID: srv.Access, S3SecretAccessKey: srv.Secret})
	if err != nil {
		b.Fatal(err)
	}
	return s, "s3://" + srv.Bucket
}

// cpuTime returns the CPU time (user and system) this process has used:
// on a shared, loaded machine it varies less than wall time. It does not
// count the S3 server, a separate process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the process's peak resident set (Linux: 5 to
// /proc/self/clear_refs), so that the peak measured afterwards is the
// run's, not the input generation's; false where it cannot.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS returns the process's peak resident set in MiB (Linux), or 0.
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// heapPeak samples the Go heap in use while a run goes on.
type heapPeak struct {
	stop chan struct{}
	wg   sync.WaitGroup
	max  atomic.Uint64
}

func startHeapPeak() *heapPeak {
	h := &heapPeak{stop: make(chan struct{})}
	h.wg.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.max.Load() {
				h.max.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	})
	return h
}

func (h *heapPeak) MiB() float64 {
	close(h.stop)
	h.wg.Wait()
	return float64(h.max.Load()) / (1 << 20)
}

func benchPipeline(b *testing.B, n int, gen func([]byte, int) []byte, key string) {
	store, bucket := benchStore(b)
	input := bucket + "/in/" + key
	size := putGenerated(b, store, input, n, gen)
	cfg := linearConfig(b, FormatNDJSON)
	cfg.Concurrency = 2
	b.SetBytes(size)
	b.ReportAllocs()
	runtime.GC()
	debug.FreeOSMemory()
	if !resetPeakRSS() {
		b.Log("peak RSS not reset: it includes the input's generation")
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := cpuTime()
	hp := startHeapPeak()
	var stages [3]time.Duration
	for b.Loop() {
		sum, err := ProcessObject(context.Background(), cfg, Object{Store: store, InputURL: input, Key: "in/" + key, OutputPrefix: bucket + "/out"})
		if err != nil {
			b.Fatal(err)
		}
		if sum.Records != n || sum.Failed != 0 {
			b.Fatalf("summary %+v", sum)
		}
		addStages(&stages, sum)
	}
	cpu := cpuTime() - cpu0
	heap := hp.MiB()
	runtime.ReadMemStats(&m1)
	recs := float64(n) * float64(b.N)
	b.ReportMetric(float64(cpu.Nanoseconds())/recs, "cpu-ns/record")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/recs, "allocs/record")
	b.ReportMetric(recs/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/recs, "ns/record")
	for i, name := range stageNames {
		if stages[i] > 0 {
			b.ReportMetric(float64(stages[i].Nanoseconds())/recs, name+"-ns/record")
		}
	}
	b.ReportMetric(heap, "peak-heap-MiB")
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
}

// BenchmarkPipelineNDJSON30B: 30-byte bare-row NDJSON records, zstd in and
// out through versitygw, the 4→4 dense model.
func BenchmarkPipelineNDJSON30B(b *testing.B) {
	benchPipeline(b, benchEnvInt(b, "EDGEINFER_BENCH_RECORDS", 200000), record30, "rows.ndjson.zst")
}

// BenchmarkPipelineNDJSON1KB: 1 KB V2 requests (24 items each).
func BenchmarkPipelineNDJSON1KB(b *testing.B) {
	benchPipeline(b, benchEnvInt(b, "EDGEINFER_BENCH_RECORDS", 200000)/10, record1K, "v2.ndjson.zst")
}

// BenchmarkPipelineLargeObject: EDGEINFER_BENCH_MB of decoded 1 KB
// records (default 32 MiB): the peak RSS must stay flat, not grow with the
// object.
func BenchmarkPipelineLargeObject(b *testing.B) {
	n := benchEnvInt(b, "EDGEINFER_BENCH_MB", 32) << 20 / len(record1K(nil, 0))
	benchPipeline(b, n, record1K, "large.ndjson.zst")
}

// BenchmarkRunNDJSON30BMem is the pipeline without the object store: Run
// from memory to io.Discard.
func BenchmarkRunNDJSON30BMem(b *testing.B) { benchRunMem(b, 100000, record30) }

// BenchmarkRunNDJSON1KBMem is BenchmarkRunNDJSON30BMem for 1 KB records.
func BenchmarkRunNDJSON1KBMem(b *testing.B) { benchRunMem(b, 10000, record1K) }

// BenchmarkRunNpyOut30BMem is BenchmarkRunNDJSON30BMem with .npy output
// (the .npz archive, spilled to a temporary directory, deflated at the end).
func BenchmarkRunNpyOut30BMem(b *testing.B) {
	benchRunMem(b, 100000, record30, func(c *Config) {
		_, models := newServer(b)
		c.Output, c.OutputSpecs, c.SpillDir = OutputNpy, models[examples.Linear].Outputs(), b.TempDir()
	})
}

func benchRunMem(b *testing.B, n int, gen func([]byte, int) []byte, set ...func(*Config)) {
	cfg := linearConfig(b, FormatNDJSON)
	for _, f := range set {
		f(&cfg)
	}
	var data []byte
	for i := range n {
		data = gen(data, i)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := Run(context.Background(), cfg, bytes.NewReader(data), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/record")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n*b.N), "cpu-ns/record")
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(n*b.N), "allocs/record")
}

// stageNames name the stage timings addStages collects.
var stageNames = []string{"decode", "predict", "encode"}

func addStages(st *[3]time.Duration, sum *Summary) {
	for i, v := range []float64{sum.Timings.DecodeMS, sum.Timings.PredictMS, sum.Timings.EncodeMS} {
		st[i] += time.Duration(v * float64(time.Millisecond))
	}
}
