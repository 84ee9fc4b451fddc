// Command hardenload measures how `edgeinfer serve` holds up against
// hostile and excessive requests (issue #11): it starts the server on
// 127.0.0.1 over the example repository, drives one bounded load, and
// prints what it measured.
//
//	go build -o bin/edgeinfer ./cmd/edgeinfer
//	go run ./scripts/hardenload -bin bin/edgeinfer -mode rss       # peak RSS: 16 amplification clients + 4 zstd value bombs
//	go run ./scripts/hardenload -bin bin/edgeinfer -mode overload  # 429 latency under 10x overload, 550 KB JSON bodies
//	go run ./scripts/hardenload -bin bin/edgeinfer -mode shutdown  # SIGTERM to not-ready, and to exit
//
// The overload mode reports each status's latency twice: the whole
// exchange as the client sees it (dial included), and from the request
// headers written to the first byte of the answer; it also reports the
// CPU the server and the generator used and the load average, since on a
// shared machine they decide most of the numbers. -model nosuch measures
// the floor (the same connections and bodies, answered 404 at once);
// -expect sends Expect: 100-continue; -rate N offers N requests a second
// whatever the answers (an open loop; by default 50 clients each send
// their next request when answered, so faster 429s mean more 429s);
// -procs sets the generator's own GOMAXPROCS; -serve-args passes flags
// to the server.
//
// Every load is bounded by -duration; nothing listens beyond 127.0.0.1.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
)

func main() {
	bin := flag.String("bin", "bin/edgeinfer", "the edgeinfer binary")
	mode := flag.String("mode", "rss", "rss, overload or shutdown")
	dur := flag.Duration("duration", 5*time.Second, "how long the load runs")
	expect := flag.Bool("expect", false, "overload: clients send Expect: 100-continue (a refused request then uploads no body)")
	model := flag.String("model", "linear", "overload: the model the requests name (one that does not exist measures the floor: the same connections and bodies, answered 404 with no decoding)")
	serveArgs := flag.String("serve-args", "", "more flags for edgeinfer serve, space-separated (e.g. \"--decode-concurrency 2\")")
	rate := flag.Int("rate", 0, "overload: send this many requests a second whatever the answers (an open loop) instead of 50 clients each sending its next request when answered")
	procs := flag.Int("procs", 0, "GOMAXPROCS of the load generator itself (0: the Go default); the server keeps its own")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	log.SetFlags(0)
	dir, err := os.MkdirTemp("", "hardenload")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	repo := filepath.Join(dir, "models")
	if out, err := exec.Command(*bin, "examples", "--out", repo).CombinedOutput(); err != nil {
		log.Fatalf("examples: %v: %s", err, out)
	}
	extra := strings.Fields(*serveArgs)
	switch *mode {
	case "rss":
		err = rss(*bin, repo, *dur, extra)
	case "overload":
		err = overload(*bin, repo, *model, *dur, *expect, *rate, extra)
	case "shutdown":
		err = shutdown(*bin, repo, extra)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// server is a running `edgeinfer serve`.
type server struct {
	cmd  *exec.Cmd
	addr string
}

// start runs the server on a free 127.0.0.1 port and waits until it is
// ready.
func start(bin, repo string, args ...string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, append([]string{"serve", "--models", repo, "--addr", addr, "--log-format", "json"}, args...)...)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, addr: addr}
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if code, _ := s.get("/v2/health/ready"); code == 200 {
			return s, nil
		}
	}
	s.stop()
	return nil, errors.New("server not ready after 30s")
}

func (s *server) get(path string) (int, error) {
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM")
}

// cpuTime returns the user+system CPU time the process pid used so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// After the command name (which may hold spaces), utime and stime are
	// the 12th and 13th fields, in clock ticks (100 Hz on Linux).
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// selfCPU returns the CPU time this process used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadavg returns the machine's 1-minute load average.
func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// tally counts answers by status and keeps latencies by status: the
// whole exchange (from asking for a connection to the answer read), and
// the part from the request headers written to the first byte of the
// answer (the server's and both schedulers' share, without the dial).
type tally struct {
	mu    sync.Mutex
	codes map[int]int
	lat   map[int][]time.Duration
	ttfb  map[int][]time.Duration
	errs  int
}

func (t *tally) add(code int, d, ttfb time.Duration, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.errs++
		return
	}
	if t.codes == nil {
		t.codes, t.lat, t.ttfb = map[int]int{}, map[int][]time.Duration{}, map[int][]time.Duration{}
	}
	t.codes[code]++
	t.lat[code] = append(t.lat[code], d)
	t.ttfb[code] = append(t.ttfb[code], ttfb)
}

// pct returns the p-th percentile of the sorted l (nearest rank; no
// sample is dropped).
func pct(l []time.Duration, p int) time.Duration {
	return l[len(l)*p/100].Round(time.Microsecond)
}

func (t *tally) String() string {
	var b strings.Builder
	codes := make([]int, 0, len(t.codes))
	for c := range t.codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		l, f := t.lat[c], t.ttfb[c]
		slices.Sort(l)
		slices.Sort(f)
		fmt.Fprintf(&b, "  %d: %d answers, latency p50 %v p99 %v max %v; headers sent -> first answer byte p50 %v p99 %v\n",
			c, t.codes[c], pct(l, 50), pct(l, 99), l[len(l)-1].Round(time.Microsecond), pct(f, 50), pct(f, 99))
	}
	fmt.Fprintf(&b, "  transport errors: %d\n", t.errs)
	return b.String()
}

// hammer runs clients goroutines sending the request until the deadline.
func hammer(ctx context.Context, wg *sync.WaitGroup, t *tally, clients int, url string, body []byte, hdr map[string]string) {
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{DisableCompression: true, ExpectContinueTimeout: 5 * time.Second}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 60 * time.Second}
			for ctx.Err() == nil {
				send(ctx, c, t, url, body, hdr)
			}
		}()
	}
}

// send sends one request and tallies its answer.
func send(ctx context.Context, c *http.Client, t *tally, url string, body []byte, hdr map[string]string) {
	req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), "POST", url, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	start := time.Now()
	var wrote, first atomic.Int64 // since start; set by the transport's goroutines
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteHeaders:         func() { wrote.Store(int64(time.Since(start))) },
		GotFirstResponseByte: func() { first.Store(int64(time.Since(start))) },
	}))
	resp, err := c.Do(req)
	if err != nil {
		t.add(0, 0, 0, err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	t.add(resp.StatusCode, time.Since(start), time.Duration(first.Load()-wrote.Load()), nil)
}

// openLoop sends rate requests a second, each at its own time whatever
// the answers to the others, until the deadline (an open loop: a faster
// or slower server does not change what is offered). At most maxOpen are
// in flight; a request due while that many are is not sent, and counted.
func openLoop(ctx context.Context, wg *sync.WaitGroup, t *tally, rate int, url string, body []byte, hdr map[string]string) (skipped *atomic.Int64) {
	const maxOpen = 1000
	skipped = new(atomic.Int64)
	tr := &http.Transport{DisableCompression: true, ExpectContinueTimeout: 5 * time.Second, MaxIdleConnsPerHost: 100}
	c := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	open := make(chan struct{}, maxOpen)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer tr.CloseIdleConnections()
		var inner sync.WaitGroup
		defer inner.Wait()
		begin, interval := time.Now(), time.Second/time.Duration(rate)
		for i := 0; ; i++ {
			due := begin.Add(time.Duration(i) * interval)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(due)):
			}
			select {
			case open <- struct{}{}:
				inner.Go(func() {
					defer func() { <-open }()
					send(ctx, c, t, url, body, hdr)
				})
			default:
				skipped.Add(1)
			}
		}
	}()
	return skipped
}

// rss: 16 clients sending amplification requests (a declared shape of 16M
// elements, 4 values) and 4 sending zstd value bombs (3 KB bodies that
// decode to 16.7M numbers), for dur; the server's peak RSS.
func rss(bin, repo string, dur time.Duration, extra []string) error {
	s, err := start(bin, repo, extra...)
	if err != nil {
		return err
	}
	defer s.stop()
	base, _ := peakRSS(s.cmd.Process.Pid)
	amp := []byte(`{"inputs":[{"name":"x","shape":[4194304,4],"datatype":"FP32","data":[1,2,3,4]}]}`)
	var doc bytes.Buffer
	doc.WriteString(`{"inputs":[{"name":"x","shape":[4194304,4],"datatype":"FP32","data":[`)
	doc.WriteString(strings.Repeat("0,", 1<<24-1))
	doc.WriteString(`0]}]}`)
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		return err
	}
	bomb := enc.EncodeAll(doc.Bytes(), nil)
	fmt.Printf("amplification body %d B; zstd value bomb %d B decoding to %d B (16,777,216 numbers)\n", len(amp), len(bomb), doc.Len())
	url := "http://" + s.addr + "/v2/models/linear/infer"
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var wg sync.WaitGroup
	var ta, tb tally
	hammer(ctx, &wg, &ta, 16, url, amp, nil)
	hammer(ctx, &wg, &tb, 4, url, bomb, map[string]string{"Content-Encoding": "zstd"})
	wg.Wait()
	peak, err := peakRSS(s.cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("amplification (16 clients, %v):\n%s", dur, &ta)
	fmt.Printf("zstd value bombs (4 clients, %v):\n%s", dur, &tb)
	fmt.Printf("peak RSS (VmHWM): %.1f MiB (%.1f MiB when ready)\n", float64(peak)/(1<<20), float64(base)/(1<<20))
	return nil
}

// overload: the linear model admits 5 requests at once (max_queue 4,
// max_concurrency 1); 50 clients (10x) send 550 KB JSON bodies for dur.
// The 429s' latency is what shedding costs a client.
func overload(bin, repo, model string, dur time.Duration, expect bool, rate int, extra []string) error {
	cfg := `{"max_queue": 4, "max_concurrency": 1}`
	if err := os.WriteFile(filepath.Join(repo, "linear", "config.json"), []byte(cfg), 0o644); err != nil {
		return err
	}
	s, err := start(bin, repo, extra...)
	if err != nil {
		return err
	}
	defer s.stop()
	var doc bytes.Buffer
	doc.WriteString(`{"instances":[`)
	for i := 0; doc.Len() < 550_000-40; i++ {
		if i > 0 {
			doc.WriteByte(',')
		}
		doc.WriteString("[0.125,-1.5,3.25,100.5]")
	}
	doc.WriteString(`]}`)
	fmt.Printf("body %d B, 50 clients (or -rate), admission 5 (max_queue 4 + 1 worker), %v, Expect: 100-continue %v, load average %s\n", doc.Len(), dur, expect, loadavg())
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var wg sync.WaitGroup
	var t tally
	hdr := map[string]string{"Content-Type": "application/json"}
	if expect {
		hdr["Expect"] = "100-continue"
	}
	pid := s.cmd.Process.Pid
	cpu0, self0, t0 := cpuTime(pid), selfCPU(), time.Now()
	url := "http://" + s.addr + "/v1/models/" + model + ":predict"
	var skipped *atomic.Int64
	if rate > 0 {
		skipped = openLoop(ctx, &wg, &t, rate, url, doc.Bytes(), hdr)
	} else {
		hammer(ctx, &wg, &t, 50, url, doc.Bytes(), hdr)
	}
	wg.Wait()
	wall := time.Since(t0)
	cpu, self := cpuTime(pid)-cpu0, selfCPU()-self0
	peak, _ := peakRSS(pid)
	fmt.Print(&t)
	if skipped != nil {
		fmt.Printf("open loop, %d requests a second: %d not sent (1000 in flight)\n", rate, skipped.Load())
	}
	fmt.Printf("200s per second: %.1f\n", float64(t.codes[200])/wall.Seconds())
	fmt.Printf("CPU over %v: server %v (%.2f cores), load generator %v (%.2f cores); load average after %s\n", wall.Round(time.Millisecond),
		cpu, cpu.Seconds()/wall.Seconds(), self.Round(10*time.Millisecond), self.Seconds()/wall.Seconds(), loadavg())
	fmt.Printf("peak RSS (VmHWM): %.1f MiB\n", float64(peak)/(1<<20))
	return nil
}

// shutdown: SIGTERM to the server (default flags: --drain-window 5s) with
// a request in flight; the time until /v2/health/ready answers 503, and
// until the process exits.
func shutdown(bin, repo string, extra []string) error {
	s, err := start(bin, repo, extra...)
	if err != nil {
		return err
	}
	sent := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	exited := make(chan time.Duration, 1)
	go func() { s.cmd.Wait(); exited <- time.Since(sent) }()
	var notReady time.Duration
	for notReady == 0 {
		code, err := s.get("/v2/health/ready")
		switch {
		case err != nil:
			return fmt.Errorf("ready probe failed before it said not-ready: %v", err)
		case code == 503:
			notReady = time.Since(sent)
		}
	}
	// Requests are still answered during the drain window.
	resp, err := http.Post("http://"+s.addr+"/v1/models/linear:predict", "application/json", strings.NewReader(`{"instances":[[1,2,3,4]]}`))
	if err != nil {
		return fmt.Errorf("request in the drain window: %v", err)
	}
	resp.Body.Close()
	fmt.Printf("SIGTERM -> not ready: %v; a request in the drain window: %d, Connection: close %v\n", notReady.Round(time.Microsecond), resp.StatusCode, resp.Close)
	select {
	case d := <-exited:
		fmt.Printf("SIGTERM -> exit: %v (--drain-window 5s)\n", d.Round(time.Millisecond))
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		return errors.New("server did not exit within 60s of SIGTERM")
	}
	return nil
}
