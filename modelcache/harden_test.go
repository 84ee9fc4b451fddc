package modelcache

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// hostileLoader loads any bytes except those containing "broken" (an
// error) or "panic" (a panic, as a parser bug would raise).
type hostileLoader struct {
	calls atomic.Int64
}

var errBroken = errors.New("broken model bytes")

func (l *hostileLoader) load(_ context.Context, _ Key, data []byte) (*testModel, int64, error) {
	l.calls.Add(1)
	switch {
	case bytes.Contains(data, []byte("panic")):
		var none []int
		_ = none[len(data)] // index out of range, as crash.tflite did
	case bytes.Contains(data, []byte("broken")):
		return nil, 0, errBroken
	}
	return &testModel{data: string(data)}, int64(len(data)), nil
}

// fakeClock is a Cache clock moved by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// logBuffer collects log records for counting.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// hostileCache returns a cache over e with the hostile loader, a fake clock
// and a logger writing into logs.
func hostileCache(e *env, l *hostileLoader, opts Options[*testModel]) (*Cache[*testModel], *fakeClock, *logBuffer) {
	e.t.Helper()
	logs := &logBuffer{}
	opts.Load = l.load
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.DiskMaxBytes == 0 && opts.DiskDir == "" {
		opts.DiskMaxBytes = -1
	}
	c, err := New(e.repo, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c.now = clk.Now
	return c, clk, logs
}

// TestLoadPanicIsModelError: a load that panics (crash.tflite panicked in
// the parser inside the cache's load goroutine and took the process down)
// fails that model only, is logged once with its stack, is remembered like
// any failed load, and leaves other models loading.
func TestLoadPanicIsModelError(t *testing.T) {
	e := newEnv(t)
	e.putModel("evil", 1, "panic")
	e.putModel("good", 1, "fine")
	l := &hostileLoader{}
	c, _, logs := hostileCache(e, l, Options[*testModel]{TTL: time.Hour})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Get(context.Background(), Ref{Model: "evil"})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "panic") {
			t.Fatalf("Get %d = %v, want the load's panic as an error", i, err)
		}
	}
	if n := l.calls.Load(); n != 1 {
		t.Fatalf("%d loads, want 1 (later callers get the remembered failure)", n)
	}
	if n := logs.count("model load failed"); n != 1 {
		t.Fatalf("%d log records of the failure, want 1", n)
	}
	if logs.count("stack=") != 1 {
		t.Fatal("the panic's stack was not logged")
	}
	if st := c.Stats(); st.LoadPanics != 1 || st.LoadErrors != 1 || st.FailingVersions != 1 {
		t.Fatalf("stats %+v", st)
	}
	h := get(t, c, "good")
	h.Release()
}

// TestFailedLoadBackoff: a version that keeps failing is retried after
// NegativeTTL, then twice as long each time up to MaxNegativeTTL; a new
// object in the listing is retried at once; success clears the record.
func TestFailedLoadBackoff(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "broken")
	l := &hostileLoader{}
	const base = time.Second
	c, clk, _ := hostileCache(e, l, Options[*testModel]{TTL: time.Hour, NegativeTTL: base, MaxNegativeTTL: 4 * base})
	try := func() error {
		_, err := c.Get(context.Background(), Ref{Model: "m", Version: 1})
		return err
	}
	// Attempts happen at 0, 1 s, 3 s, 7 s, 11 s: gaps 1, 2, 4, 4 (capped).
	wantCalls := map[time.Duration]int64{0: 1, 1 * base: 2, 3 * base: 3, 7 * base: 4, 11 * base: 5}
	var calls int64
	for at := time.Duration(0); at <= 11*base; at += base / 2 {
		if at > 0 {
			clk.Add(base / 2)
		}
		if err := try(); !errors.Is(err, errBroken) {
			t.Fatalf("at %v: Get = %v, want errBroken", at, err)
		}
		if n, ok := wantCalls[at]; ok {
			calls = n
		}
		if got := l.calls.Load(); got != calls {
			t.Fatalf("at %v: %d loads, want %d", at, got, calls)
		}
	}
	f := c.Failures("m")
	if len(f) != 1 || f[0].Attempts != 5 || !errors.Is(f[0].Err, errBroken) || f[0].Serving || !f[0].RetryAt.Equal(clk.Now().Add(4*base)) {
		t.Fatalf("Failures = %+v", f)
	}
	// Once loaded, the version's record goes.
	e.putModel("m", 1, "fixed")
	clk.Add(time.Hour) // past the listing's TTL and the backoff
	h := get(t, c, "m")
	h.Release()
	if len(c.Failures("m")) != 0 || c.Stats().FailingVersions != 0 {
		t.Fatalf("failure still recorded after a successful load: %+v", c.Failures("m"))
	}
}

// TestChangedObjectRetriedAtOnce: a failed version whose object changes in
// the listing is loaded again before its backoff ends.
func TestChangedObjectRetriedAtOnce(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "broken")
	l := &hostileLoader{}
	c, clk, _ := hostileCache(e, l, Options[*testModel]{TTL: time.Second, NegativeTTL: time.Hour})
	if _, err := c.Get(context.Background(), Ref{Model: "m"}); !errors.Is(err, errBroken) {
		t.Fatalf("Get = %v", err)
	}
	e.putModel("m", 1, "repaired")
	clk.Add(2 * time.Second) // the listing is stale; the backoff is not over
	h := get(t, c, "m")
	defer h.Release()
	if h.Value().data != "repaired" {
		t.Fatalf("got %q", h.Value().data)
	}
}

// TestBrokenNewVersionKeepsLastGood: a broken new version does not fail
// requests for the model: the last good version serves while the new one
// loads and after it failed; the failure shows in Failures and Stats; a
// fixed upload replaces the old version once it has loaded.
func TestBrokenNewVersionKeepsLastGood(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "good one")
	l := &hostileLoader{}
	c, clk, _ := hostileCache(e, l, Options[*testModel]{TTL: time.Minute})
	h := get(t, c, "m")
	h.Release()
	e.putModel("m", 3, "broken three") // a truncated upload, say
	clk.Add(2 * time.Minute)           // the listing is stale: Get lists again
	for i := range 50 {
		h, err := c.Get(context.Background(), Ref{Model: "m"})
		if err != nil {
			t.Fatalf("Get %d during a broken upload: %v", i, err)
		}
		if v := h.Key().Version; v != 1 {
			t.Fatalf("Get %d served version %d, want 1", i, v)
		}
		h.Release()
	}
	// The background load of version 3 failed once and is remembered.
	eventually(t, "the failed load of version 3", func() bool { return len(c.Failures("m")) == 1 })
	if f := c.Failures("m")[0]; f.Key.Version != 3 || !errors.Is(f.Err, errBroken) {
		t.Fatalf("Failures = %+v", c.Failures("m"))
	}
	if st := c.Stats(); st.FailingVersions != 1 || st.LoadErrors != 1 {
		t.Fatalf("stats %+v", st)
	}
	if n := l.calls.Load(); n != 2 {
		t.Fatalf("%d loads, want 2 (version 1, one attempt of version 3)", n)
	}
	// Asked for by number, the broken version is an error.
	if _, err := c.Get(context.Background(), Ref{Model: "m", Version: 3}); !errors.Is(err, errBroken) {
		t.Fatalf("Get m:3 = %v", err)
	}
	// A fixed upload: version 1 serves until version 3 has loaded.
	e.putModel("m", 3, "good three")
	clk.Add(2 * time.Minute)
	eventually(t, "version 3 to take over", func() bool {
		h, err := c.Get(context.Background(), Ref{Model: "m"})
		if err != nil {
			t.Fatalf("Get during the repair: %v", err)
		}
		defer h.Release()
		return h.Key().Version == 3
	})
	if len(c.Failures("m")) != 0 {
		t.Fatalf("Failures after the repair: %+v", c.Failures("m"))
	}
}

// TestColdStartFallsBackToOlderVersion: with nothing resident, a broken
// newest version makes Get load the next one down.
func TestColdStartFallsBackToOlderVersion(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "good one")
	e.putModel("m", 2, "panic two")
	e.putModel("m", 3, "broken three")
	l := &hostileLoader{}
	c, _, _ := hostileCache(e, l, Options[*testModel]{TTL: time.Hour})
	h := get(t, c, "m")
	defer h.Release()
	if v := h.Key().Version; v != 1 {
		t.Fatalf("served version %d, want 1", v)
	}
	if f := c.Failures("m"); len(f) != 2 {
		t.Fatalf("Failures = %+v, want versions 2 and 3", f)
	}
	// The next Get does not try them again within their backoff.
	get(t, c, "m").Release()
	if n := l.calls.Load(); n != 3 {
		t.Fatalf("%d loads, want 3", n)
	}
}

// TestDeletedVersionDoesNotHideOlder: after the newest version is deleted,
// a stale listing does not turn requests into 404s while an older version
// is on disk; a version added after the listing is found when asked for
// by number.
func TestDeletedVersionDoesNotHideOlder(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "one")
	e.putModel("m", 2, "two")
	l := &hostileLoader{}
	c, clk, _ := hostileCache(e, l, Options[*testModel]{TTL: time.Minute})
	h := get(t, c, "m")
	if h.Key().Version != 2 {
		t.Fatalf("served %d", h.Key().Version)
	}
	h.Release()
	if err := e.store.Delete(context.Background(), e.root+"m/2/model.tflite"); err != nil {
		t.Fatal(err)
	}
	c.Remove(Key{"m", 2}) // as revalidation does when it finds it gone
	for i := range 5 {
		h, err := c.Get(context.Background(), Ref{Model: "m"})
		if err != nil {
			t.Fatalf("Get %d after deleting version 2: %v (version 1 is still there)", i, err)
		}
		if h.Key().Version != 1 {
			t.Fatalf("served %d", h.Key().Version)
		}
		h.Release()
	}
	// A version added after the listing, within its TTL.
	e.putModel("m", 4, "four")
	clk.Add(2 * relistAfter)
	h = get(t, c, "m:4")
	h.Release()
}

// TestDiskCacheHoldsOnlyLoadedBytes: bytes that fail to load never enter
// the shared disk cache (a second cache would read them back as if
// verified); bytes that load do.
func TestDiskCacheHoldsOnlyLoadedBytes(t *testing.T) {
	e := newEnv(t)
	e.putModel("bad", 1, "broken bytes")
	e.putModel("good", 1, "good bytes")
	dir := t.TempDir()
	c, _, _ := hostileCache(e, &hostileLoader{}, Options[*testModel]{DiskDir: dir})
	if _, err := c.Get(context.Background(), Ref{Model: "bad"}); !errors.Is(err, errBroken) {
		t.Fatalf("Get = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", sha256Hex([]byte("broken bytes")))); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the broken bytes are in the disk cache (stat: %v)", err)
	}
	if st := c.Stats(); st.DiskBytes != 0 {
		t.Fatalf("disk cache holds %d bytes after a failed load", st.DiskBytes)
	}
	get(t, c, "good").Release()
	if _, err := os.Stat(filepath.Join(dir, "blobs", sha256Hex([]byte("good bytes")))); err != nil {
		t.Fatalf("loaded bytes not in the disk cache: %v", err)
	}
}

// heapAllocs returns the bytes allocated on the heap so far
// (runtime/metrics): its growth over a call bounds the call's peak heap.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestModelBombBoundedHeap: a model.tflite.zst that decodes to 64× the
// model size limit, and a sparse 2 GiB model.tflite, are refused as
// ErrTooLarge having allocated at most the limit plus the decoder's memory
// (the sparse file: nothing read at all), and a second request within the
// backoff reads nothing.
func TestModelBombBoundedHeap(t *testing.T) {
	const limit = 4 << 20
	root := t.TempDir()
	for _, v := range []string{"1", "2"} {
		if err := os.MkdirAll(filepath.Join(root, "m", v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// 256 zstd frames of 1 MiB of zeros (single segment: a 1 MiB window),
	// read as one stream.
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	frame := enc.EncodeAll(make([]byte, 1<<20), nil)
	enc.Close()
	if err := os.WriteFile(filepath.Join(root, "m", "1", "model.tflite.zst"), bytes.Repeat(frame, 256), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "m", "2", "model.tflite"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(root, "m", "2", "model.tflite"), 2<<30); err != nil {
		t.Fatal(err)
	}
	store, err := objstore.New(objstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	repo, err := NewRepository(store, root)
	if err != nil {
		t.Fatal(err)
	}
	l := &hostileLoader{}
	c, err := New(repo, Options[*testModel]{Load: l.load, MaxModelBytes: limit, DiskMaxBytes: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const zstdMem = 2 << 20 // the frames' 1 MiB window, and a block
	for _, tc := range []struct {
		ref    Ref
		budget uint64
	}{
		{Ref{Model: "m", Version: 1}, limit + zstdMem},
		{Ref{Model: "m", Version: 2}, 1 << 20},
		{Ref{Model: "m", Version: 1}, 64 << 10}, // remembered: nothing read
		{Ref{Model: "m", Version: 2}, 64 << 10},
	} {
		before := heapAllocs()
		_, err := c.Get(context.Background(), tc.ref)
		used := heapAllocs() - before
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Get(%s) = %v, want ErrTooLarge", tc.ref, err)
		}
		if used > tc.budget {
			t.Fatalf("Get(%s) allocated %d bytes, want at most %d (model size limit %d)", tc.ref, used, tc.budget, limit)
		}
		t.Logf("Get(%s): %.2f MiB allocated", tc.ref, float64(used)/(1<<20))
	}
	if n := l.calls.Load(); n != 0 {
		t.Fatalf("the loader saw %d oversized models", n)
	}
}

// TestChangedFileFailsKeepsServing: a loaded version whose file is
// replaced by bytes that do not load keeps serving its loaded model; the
// failure is reported with Serving set, and the file is not read again on
// every request but after the backoff.
func TestChangedFileFailsKeepsServing(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "good")
	l := &hostileLoader{}
	c, clk, _ := hostileCache(e, l, Options[*testModel]{TTL: time.Minute, NegativeTTL: 10 * time.Second})
	get(t, c, "m").Release()
	e.putModel("m", 1, "broken")
	clk.Add(2 * time.Minute) // past the TTL: the next hit revalidates
	get(t, c, "m").Release()
	eventually(t, "the failed reload", func() bool { return len(c.Failures("m")) == 1 })
	if f := c.Failures("m")[0]; !f.Serving || f.Attempts != 1 {
		t.Fatalf("Failures = %+v, want the version serving its loaded model", f)
	}
	eventually(t, "the revalidation to end", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		e, _ := c.lru.Peek(Key{"m", 1})
		return !e.revalidating
	})
	for range 20 {
		h := get(t, c, "m")
		if h.Value().data != "good" {
			t.Fatalf("served %q", h.Value().data)
		}
		h.Release()
	}
	clk.Add(5 * time.Second) // within the backoff
	get(t, c, "m").Release()
	if n := l.calls.Load(); n != 2 {
		t.Fatalf("%d loads, want 2 (the first and one failed reload)", n)
	}
	clk.Add(10 * time.Second) // past it: one more attempt
	get(t, c, "m").Release()
	eventually(t, "the second reload", func() bool { return l.calls.Load() == 3 })
}
