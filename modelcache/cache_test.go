package modelcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// testModel is what the test loader builds: the model bytes it was given.
type testModel struct {
	data string
}

// testLoader counts calls, can hold loads on a gate and can fail.
type testLoader struct {
	calls atomic.Int64
	gate  chan struct{} // nil: no wait
	fail  error

	mu       sync.Mutex
	unloaded []string // data of unloaded models, in order
}

func (l *testLoader) load(ctx context.Context, _ Key, data []byte) (*testModel, int64, error) {
	l.calls.Add(1)
	if l.gate != nil {
		select {
		case <-l.gate:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	if l.fail != nil {
		return nil, 0, l.fail
	}
	return &testModel{data: string(data)}, int64(len(data)), nil
}

func (l *testLoader) onUnload(_ Key, m *testModel) {
	l.mu.Lock()
	l.unloaded = append(l.unloaded, m.data)
	l.mu.Unlock()
}

func (l *testLoader) unloads() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.unloaded)
}

// env is a repository in a real in-memory object store.
type env struct {
	t     *testing.T
	store *objstore.Store
	root  string
	repo  *Repository
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := objstore.New(objstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	root := "mem://repo/models/"
	r, err := NewRepository(s, root)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, store: s, root: root, repo: r}
}

func (e *env) put(path string, data []byte) {
	e.t.Helper()
	w, err := e.store.Create(context.Background(), e.root+path, &objstore.WriteOptions{Compression: objstore.CodecNone})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		e.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) putModel(name string, version int, data string) {
	e.put(fmt.Sprintf("%s/%d/model.tflite", name, version), []byte(data))
}

// cache returns a cache over e's repository with the loader l, no disk
// cache unless opts sets one, and Close registered.
func (e *env) cache(l *testLoader, opts Options[*testModel]) *Cache[*testModel] {
	e.t.Helper()
	opts.Load = l.load
	opts.OnUnload = l.onUnload
	if opts.DiskMaxBytes == 0 && opts.DiskDir == "" {
		opts.DiskMaxBytes = -1
	}
	c, err := New(e.repo, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

func get(t *testing.T, c *Cache[*testModel], ref string) *Handle[*testModel] {
	t.Helper()
	r, err := ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Get(context.Background(), r)
	if err != nil {
		t.Fatalf("Get(%s): %v", ref, err)
	}
	return h
}

// eventually polls cond every millisecond for at most 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 5000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestSingleflight(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "weights")
	l := &testLoader{gate: make(chan struct{})}
	c := e.cache(l, Options[*testModel]{})
	const n = 100
	var wg sync.WaitGroup
	handles := make([]*Handle[*testModel], n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			handles[i], errs[i] = c.Get(context.Background(), Ref{Model: "m", Version: 1})
		})
	}
	eventually(t, "100 misses", func() bool { return c.Stats().Misses == n })
	close(l.gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("waiter %d: %v", i, errs[i])
		}
		if handles[i].Value() != handles[0].Value() {
			t.Fatalf("waiter %d got a different model", i)
		}
	}
	if got := l.calls.Load(); got != 1 {
		t.Fatalf("loader ran %d times for %d concurrent misses, want 1", got, n)
	}
	st := c.Stats()
	if st.Loads != 1 || st.Pinned != 1 {
		t.Fatalf("stats %+v: want 1 load, 1 pinned", st)
	}
	for _, h := range handles {
		h.Release()
	}
	if st := c.Stats(); st.Pinned != 0 || st.Entries != 1 || st.Bytes != int64(len("weights")) {
		t.Fatalf("after release: %+v", st)
	}
}

func TestSingleflightSameError(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "weights")
	boom := errors.New("boom")
	l := &testLoader{gate: make(chan struct{}), fail: boom}
	c := e.cache(l, Options[*testModel]{})
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = c.Get(context.Background(), Ref{Model: "m", Version: 1})
		})
	}
	eventually(t, "all misses", func() bool { return c.Stats().Misses == n })
	close(l.gate)
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, boom) || err != errs[0] {
			t.Fatalf("waiter %d: %v, want the one shared error wrapping boom", i, err)
		}
	}
	if got := l.calls.Load(); got != 1 {
		t.Fatalf("loader ran %d times, want 1", got)
	}
}

func TestWaiterContextEnds(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "weights")
	l := &testLoader{gate: make(chan struct{})}
	c := e.cache(l, Options[*testModel]{})

	other := make(chan error, 1)
	go func() {
		h, err := c.Get(context.Background(), Ref{Model: "m", Version: 1})
		if err == nil {
			h.Release()
		}
		other <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, Ref{Model: "m", Version: 1})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get with an expiring ctx: %v, want DeadlineExceeded", err)
	}
	close(l.gate)
	if err := <-other; err != nil {
		t.Fatalf("the other waiter failed after the first gave up: %v", err)
	}
	if got := l.calls.Load(); got != 1 {
		t.Fatalf("loader ran %d times, want 1", got)
	}
	h := get(t, c, "m:1")
	h.Release()
	if st := c.Stats(); st.Hits != 1 || st.Loads != 1 {
		t.Fatalf("stats %+v: want the model resident (1 hit, 1 load)", st)
	}
}

func TestEvictionOrderByBytes(t *testing.T) {
	e := newEnv(t)
	e.putModel("a", 1, string(make([]byte, 40)))
	e.putModel("b", 1, string(make([]byte, 40)))
	e.putModel("c", 1, string(make([]byte, 30)))
	e.putModel("d", 1, string(make([]byte, 90)))
	l := &testLoader{}
	c := e.cache(l, Options[*testModel]{MaxBytes: 100})
	resident := func() []string {
		var out []string
		for _, m := range []string{"a", "b", "c", "d"} {
			if h, ok := c.Peek(Key{Model: m, Version: 1}); ok {
				out = append(out, m)
				h.Release()
			}
		}
		return out
	}
	get(t, c, "a:1").Release()
	get(t, c, "b:1").Release()
	get(t, c, "a:1").Release() // b is now the least recently used
	get(t, c, "c:1").Release() // 40+40+30 > 100: b goes
	if got := resident(); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("resident %v, want [a c]", got)
	}
	if st := c.Stats(); st.Bytes != 70 || st.Evictions != 1 {
		t.Fatalf("stats %+v, want 70 bytes and 1 eviction", st)
	}
	get(t, c, "d:1").Release() // 90 bytes: both a and c go, oldest first
	if got := resident(); !slices.Equal(got, []string{"d"}) {
		t.Fatalf("resident %v, want [d]", got)
	}
	if got := l.unloads(); len(got) != 3 || len(got[0]) != 40 || len(got[1]) != 40 || len(got[2]) != 30 {
		t.Fatalf("unload sizes %d, want b(40) a(40) c(30)", lens(got))
	}
	if st := c.Stats(); st.Bytes != 90 || st.Bytes > st.MaxBytes {
		t.Fatalf("stats %+v", st)
	}
}

func lens(s []string) []int {
	out := make([]int, len(s))
	for i, x := range s {
		out[i] = len(x)
	}
	return out
}

func TestPinBlocksEviction(t *testing.T) {
	e := newEnv(t)
	e.putModel("a", 1, "aaaaaa")
	e.putModel("b", 1, "bbbbbb")
	l := &testLoader{}
	c := e.cache(l, Options[*testModel]{MaxBytes: 10})
	ha := get(t, c, "a:1")
	done := make(chan *Handle[*testModel], 1)
	go func() {
		h, err := c.Get(context.Background(), Ref{Model: "b", Version: 1})
		if err != nil {
			t.Error(err)
		}
		done <- h
	}()
	// a's load was the first call: b is loaded once the loader ran twice,
	// and waits for room once its admission is counted among the waiters.
	eventually(t, "b loaded and waiting for room", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.waiters == 1
	})
	if n := l.calls.Load(); n != 2 {
		t.Fatalf("loader ran %d times, want 2 (a, then b)", n)
	}
	select {
	case <-done:
		t.Fatal("b was admitted while a, pinned, filled the budget")
	case <-time.After(50 * time.Millisecond):
	}
	if got := l.unloads(); len(got) != 0 {
		t.Fatalf("a pinned model was unloaded: %q", got)
	}
	if ha.Value().data != "aaaaaa" {
		t.Fatal("pinned value changed")
	}
	ha.Release()
	hb := <-done
	if hb == nil {
		t.FailNow()
	}
	defer hb.Release()
	if hb.Value().data != "bbbbbb" {
		t.Fatalf("got %q", hb.Value().data)
	}
	if got := l.unloads(); !slices.Equal(got, []string{"aaaaaa"}) {
		t.Fatalf("unloads %q, want [aaaaaa]", got)
	}
	if st := c.Stats(); st.Bytes != 6 {
		t.Fatalf("bytes %d, want 6", st.Bytes)
	}
}

func TestPinnedFullTimesOut(t *testing.T) {
	e := newEnv(t)
	e.putModel("a", 1, "aaaaaa")
	e.putModel("b", 1, "bbbbbb")
	l := &testLoader{}
	c := e.cache(l, Options[*testModel]{MaxBytes: 10, LoadTimeout: 50 * time.Millisecond})
	ha := get(t, c, "a:1")
	defer ha.Release()
	_, err := c.Get(context.Background(), Ref{Model: "b", Version: 1})
	if !errors.Is(err, ErrCacheFull) {
		t.Fatalf("got %v, want ErrCacheFull", err)
	}
	if got := l.unloads(); !slices.Equal(got, []string{"bbbbbb"}) {
		t.Fatalf("unloads %q: the refused model must be unloaded, the pinned one kept", got)
	}
}

func TestTooLarge(t *testing.T) {
	e := newEnv(t)
	e.putModel("small", 1, "12345")
	e.putModel("big", 1, string(make([]byte, 11)))
	l := &testLoader{}
	c := e.cache(l, Options[*testModel]{MaxBytes: 10, MaxModelBytes: 100})
	get(t, c, "small:1").Release()
	_, err := c.Get(context.Background(), Ref{Model: "big", Version: 1})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if h, ok := c.Peek(Key{Model: "small", Version: 1}); !ok {
		t.Fatal("a too large model evicted the others")
	} else {
		h.Release()
	}
	// Over MaxModelBytes the bytes are not even read whole.
	c2 := e.cache(&testLoader{}, Options[*testModel]{MaxBytes: 10})
	if _, err := c2.Get(context.Background(), Ref{Model: "big", Version: 1}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
}

func TestNegativeTTL(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "weights")
	boom := errors.New("boom")
	l := &testLoader{fail: boom}
	c := e.cache(l, Options[*testModel]{NegativeTTL: 100 * time.Millisecond})
	for i := range 5 {
		if _, err := c.Get(context.Background(), Ref{Model: "m", Version: 1}); !errors.Is(err, boom) {
			t.Fatalf("Get %d: %v", i, err)
		}
	}
	if got := l.calls.Load(); got != 1 {
		t.Fatalf("loader ran %d times within the negative TTL, want 1", got)
	}
	if st := c.Stats(); st.NegativeHits != 4 || st.LoadErrors != 1 {
		t.Fatalf("stats %+v", st)
	}
	time.Sleep(150 * time.Millisecond)
	l.fail = nil // no load is running: the loader is idle
	h := get(t, c, "m:1")
	h.Release()
	if got := l.calls.Load(); got != 2 {
		t.Fatalf("loader ran %d times, want 2 after the negative TTL", got)
	}
	// A missing model is remembered too.
	for range 3 {
		if _, err := c.Get(context.Background(), Ref{Model: "nope"}); !errors.Is(err, ErrModelNotFound) {
			t.Fatalf("got %v, want ErrModelNotFound", err)
		}
	}
}

func TestRevalidateSwap(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "old weights")
	l := &testLoader{}
	c := e.cache(l, Options[*testModel]{TTL: time.Hour})
	old := get(t, c, "m")
	if changed, err := c.Revalidate(context.Background(), Key{"m", 1}); err != nil || changed {
		t.Fatalf("Revalidate of an unchanged model: %v %v", changed, err)
	}
	e.putModel("m", 1, "new weights!")
	changed, err := c.Revalidate(context.Background(), Key{"m", 1})
	if err != nil || !changed {
		t.Fatalf("Revalidate after a change: %v %v", changed, err)
	}
	cur := get(t, c, "m:1")
	if cur.Value().data != "new weights!" {
		t.Fatalf("after swap Get returned %q", cur.Value().data)
	}
	cur.Release()
	// The in-flight handle still has the old model, still loaded.
	if old.Value().data != "old weights" || len(l.unloads()) != 0 {
		t.Fatalf("old handle %q, unloads %q", old.Value().data, l.unloads())
	}
	if st := c.Stats(); st.Bytes != int64(len("old weights")+len("new weights!")) || st.Swaps != 1 {
		t.Fatalf("stats %+v: both versions must be charged while the old is pinned", st)
	}
	old.Release()
	if got := l.unloads(); !slices.Equal(got, []string{"old weights"}) {
		t.Fatalf("unloads %q", got)
	}
	if st := c.Stats(); st.Bytes != int64(len("new weights!")) {
		t.Fatalf("bytes %d after the old model's last release", st.Bytes)
	}
}

func TestBackgroundRevalidationNoFailedRequest(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "v-one")
	l := &testLoader{}
	c := e.cache(l, Options[*testModel]{TTL: 5 * time.Millisecond})
	get(t, c, "m").Release()
	e.putModel("m", 1, "v-two")
	deadline := time.Now().Add(5 * time.Second)
	for {
		h, err := c.Get(context.Background(), Ref{Model: "m"})
		if err != nil {
			t.Fatalf("a request failed during the swap: %v", err)
		}
		got := h.Value().data
		h.Release()
		if got == "v-two" {
			break
		}
		if got != "v-one" || time.Now().After(deadline) {
			t.Fatalf("got %q", got)
		}
		time.Sleep(time.Millisecond)
	}
	if st := c.Stats(); st.Swaps != 1 || st.Loads != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRevalidateRemovedVersion(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "one")
	e.putModel("m", 2, "two")
	l := &testLoader{}
	c := e.cache(l, Options[*testModel]{TTL: time.Nanosecond})
	get(t, c, "m:1").Release()
	if err := e.store.Delete(context.Background(), e.root+"m/1/model.tflite"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond) // past the listing's TTL
	removed, err := c.Revalidate(context.Background(), Key{"m", 1})
	if err != nil || !removed {
		t.Fatalf("Revalidate of a deleted version: %v %v", removed, err)
	}
	if _, ok := c.Peek(Key{"m", 1}); ok {
		t.Fatal("a deleted version stayed resident")
	}
	if _, err := c.Get(context.Background(), Ref{Model: "m", Version: 1}); !errors.Is(err, ErrModelNotFound) {
		t.Fatalf("got %v", err)
	}
}

func TestChecksum(t *testing.T) {
	model := "the model bytes"
	tests := []struct {
		name    string
		sha     string
		wantErr error
	}{
		{"match", sha256Hex([]byte(model)), nil},
		{"mismatch", sha256Hex([]byte("other bytes")), ErrChecksum},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.putModel("m", 1, model)
			e.put("m/config.json", []byte(`{"sha256": {"1": "`+tc.sha+`"}}`))
			c := e.cache(&testLoader{}, Options[*testModel]{DiskDir: t.TempDir()})
			h, err := c.Get(context.Background(), Ref{Model: "m"})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			if err == nil {
				if h.SHA256() != tc.sha {
					t.Fatalf("SHA256 %s", h.SHA256())
				}
				h.Release()
			}
		})
	}
}

func TestDiskCache(t *testing.T) {
	e := newEnv(t)
	model := "persisted weights"
	e.putModel("m", 1, model)
	dir := t.TempDir()
	l := &testLoader{}
	c1 := e.cache(l, Options[*testModel]{DiskDir: dir})
	get(t, c1, "m").Release()
	if st := c1.Stats(); st.DiskHits != 0 || st.DiskBytes != int64(len(model)) {
		t.Fatalf("first cache: %+v", st)
	}
	c1.Close()

	// A new cache (a restarted node) finds the bytes on disk.
	c2 := e.cache(l, Options[*testModel]{DiskDir: dir})
	h := get(t, c2, "m")
	if h.Value().data != model {
		t.Fatalf("got %q", h.Value().data)
	}
	h.Release()
	if st := c2.Stats(); st.DiskHits != 1 {
		t.Fatalf("second cache: %+v, want a disk hit", st)
	}
	c2.Close()

	// A corrupt blob is detected by its hash, dropped and read again.
	blob := filepath.Join(dir, "blobs", sha256Hex([]byte(model)))
	if err := os.WriteFile(blob, []byte("persisted weightz"), 0o600); err != nil {
		t.Fatal(err)
	}
	c3 := e.cache(l, Options[*testModel]{DiskDir: dir})
	h = get(t, c3, "m")
	if h.Value().data != model {
		t.Fatalf("corrupt disk entry served: %q", h.Value().data)
	}
	h.Release()
	if st := c3.Stats(); st.DiskHits != 0 {
		t.Fatalf("third cache: %+v, want no disk hit", st)
	}
	if b, err := os.ReadFile(blob); err != nil || !bytes.Equal(b, []byte(model)) {
		t.Fatalf("blob not rewritten: %q %v", b, err)
	}
}

func TestDiskCacheBound(t *testing.T) {
	dir := t.TempDir()
	d, err := openDisk(dir, 25)
	if err != nil {
		t.Fatal(err)
	}
	blobs := [][]byte{[]byte("0123456789"), []byte("abcdefghij"), []byte("ABCDEFGHIJ")}
	for i, b := range blobs {
		if err := d.put(sha256Hex(b), b, fmt.Sprintf("mem://b/%d", i), "etag"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // distinct recency
	}
	if got := d.usage(); got != 20 {
		t.Fatalf("usage %d, want 20 (oldest blob dropped)", got)
	}
	if _, ok := d.get(sha256Hex(blobs[0])); ok {
		t.Fatal("the least recently used blob survived")
	}
	if sum := d.lookup("mem://b/2", "etag"); sum != sha256Hex(blobs[2]) {
		t.Fatalf("lookup %q", sum)
	}
	// A reopened cache sees the same blobs, and leftovers of a crash go.
	if err := os.WriteFile(filepath.Join(dir, "blobs", ".tmp-123"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	d2, err := openDisk(dir, 25)
	if err != nil {
		t.Fatal(err)
	}
	if got := d2.usage(); got != 20 {
		t.Fatalf("reopened usage %d", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", ".tmp-123")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
	// Too big for the whole bound: not stored, not an error.
	big := make([]byte, 26)
	if err := d2.put(sha256Hex(big), big, "", ""); err != nil || d2.usage() != 20 {
		t.Fatalf("put big: %v, usage %d", err, d2.usage())
	}
}

func TestResolveLatestAndLabels(t *testing.T) {
	e := newEnv(t)
	for v := 1; v <= 3; v++ {
		e.putModel("all", v, fmt.Sprint("all", v))
		e.putModel("latest", v, fmt.Sprint("latest", v))
	}
	e.put("all/config.json", []byte(`{"labels": {"stable": 2}}`))
	e.put("latest/config.json", []byte(`{"version_policy": "latest", "labels": {"stable": 1}}`))
	c := e.cache(&testLoader{}, Options[*testModel]{})
	tests := []struct {
		name, ref, want string
		err             error
	}{
		{"latest by default", "all", "all3", nil},
		{"latest label", "all@latest", "all3", nil},
		{"label", "all@stable", "all2", nil},
		{"specific", "all:1", "all1", nil},
		{"missing version", "all:4", "", ErrModelNotFound},
		{"missing label", "all@canary", "", ErrModelNotFound},
		{"missing model", "none", "", ErrModelNotFound},
		{"policy latest: newest", "latest", "latest3", nil},
		{"policy latest: labelled old version", "latest@stable", "latest1", nil},
		{"policy latest: old version not served", "latest:2", "", ErrModelNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRef(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			h, err := c.Get(context.Background(), r)
			if !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
			if err == nil {
				defer h.Release()
				if h.Value().data != tc.want {
					t.Fatalf("got %q, want %q", h.Value().data, tc.want)
				}
			}
		})
	}
}

func TestBadConfigRefusesModel(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "x")
	e.put("m/config.json", []byte(`{"max_batch_size": 8, "bogus": 1}`))
	c := e.cache(&testLoader{}, Options[*testModel]{})
	_, err := c.Get(context.Background(), Ref{Model: "m", Version: 1})
	var ce *ConfigError
	if !errors.Is(err, ErrBadConfig) || !errors.As(err, &ce) || ce.Field != "bogus" {
		t.Fatalf("got %v, want a ConfigError on field bogus", err)
	}
}

func TestCloseAndPreload(t *testing.T) {
	e := newEnv(t)
	e.putModel("a", 1, "aaa")
	e.putModel("b", 1, "bbb")
	l := &testLoader{}
	c := e.cache(l, Options[*testModel]{})
	if c.Ready() {
		t.Fatal("ready before preload")
	}
	if err := c.Preload(context.Background(), []Ref{{Model: "a"}, {Model: "missing"}}); !errors.Is(err, ErrModelNotFound) || c.Ready() {
		t.Fatalf("failed preload: %v, ready %v", err, c.Ready())
	}
	if err := c.Preload(context.Background(), []Ref{{Model: "a"}, {Model: "b"}}); err != nil || !c.Ready() {
		t.Fatalf("preload: %v, ready %v", err, c.Ready())
	}
	if st := c.Stats(); st.Entries != 2 || st.Loads != 2 {
		t.Fatalf("stats %+v", st)
	}
	h := get(t, c, "a:1")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got := l.unloads(); !slices.Equal(got, []string{"bbb"}) {
		t.Fatalf("unloads at Close %q: the pinned model must stay", got)
	}
	if _, err := c.Get(context.Background(), Ref{Model: "a"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	h.Release()
	h.Release() // idempotent
	if got := l.unloads(); !slices.Equal(got, []string{"bbb", "aaa"}) {
		t.Fatalf("unloads %q", got)
	}
	if st := c.Stats(); st.Bytes != 0 || st.Pinned != 0 {
		t.Fatalf("stats after close %+v", st)
	}
}

// TestWorkingSetLargerThanBudget serves 8 models of 10 bytes from a budget of
// 30 from 8 goroutines and checks the resident bytes after every request.
func TestWorkingSetLargerThanBudget(t *testing.T) {
	e := newEnv(t)
	const models = 8
	for i := range models {
		e.putModel(fmt.Sprint("m", i), 1, fmt.Sprintf("model-%04d", i))
	}
	l := &testLoader{}
	c := e.cache(l, Options[*testModel]{MaxBytes: 30})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				name := fmt.Sprint("m", (g*7+i*3)%models)
				h, err := c.Get(context.Background(), Ref{Model: name, Version: 1})
				if err != nil {
					t.Error(err)
					return
				}
				if want := fmt.Sprintf("model-%04d", (g*7+i*3)%models); h.Value().data != want {
					t.Errorf("got %q, want %q", h.Value().data, want)
				}
				if st := c.Stats(); st.Bytes > st.MaxBytes {
					t.Errorf("resident %d bytes over the budget %d", st.Bytes, st.MaxBytes)
				}
				h.Release()
			}
		})
	}
	wg.Wait()
	st := c.Stats()
	if st.Bytes > 30 || st.Evictions == 0 || st.Pinned != 0 {
		t.Fatalf("stats %+v", st)
	}
	t.Logf("stats %+v", st)
}

func TestNewOptions(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		opts Options[*testModel]
	}{
		{"no loader", Options[*testModel]{}},
		{"negative budget", Options[*testModel]{Load: (&testLoader{}).load, MaxBytes: -1}},
		{"negative model cap", Options[*testModel]{Load: (&testLoader{}).load, MaxModelBytes: -1}},
		{"negative timeout", Options[*testModel]{Load: (&testLoader{}).load, LoadTimeout: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(e.repo, tc.opts); err == nil {
				t.Fatal("New accepted bad options")
			}
		})
	}
	if _, err := New[*testModel](nil, Options[*testModel]{Load: (&testLoader{}).load}); err == nil {
		t.Fatal("New accepted a nil repository")
	}
}

func BenchmarkGetHit(b *testing.B) {
	for _, bc := range []struct {
		name string
		ref  Ref
	}{
		{"version", Ref{Model: "m", Version: 1}},
		{"latest", Ref{Model: "m"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := objstore.New(objstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			w, _ := s.Create(context.Background(), "mem://repo/m/1/model.tflite", nil)
			w.Write([]byte("weights"))
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			r, _ := NewRepository(s, "mem://repo/")
			l := &testLoader{}
			c, err := New(r, Options[*testModel]{Load: l.load, DiskMaxBytes: -1, TTL: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				h, err := c.Get(ctx, bc.ref)
				if err != nil {
					b.Fatal(err)
				}
				h.Release()
			}
		})
	}
}

func TestCompressedModel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  string
		codec objstore.Codec
	}{
		{"zstd", "model.tflite.zst", objstore.CodecZstd},
		{"gzip", "model.tflite.gz", objstore.CodecGzip},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			model := bytes.Repeat([]byte("compressible weights "), 100)
			w, err := e.store.Create(context.Background(), e.root+"m/1/"+tc.file, &objstore.WriteOptions{Compression: tc.codec})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(model)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			e.put("m/config.json", []byte(`{"sha256": {"1": "`+sha256Hex(model)+`"}}`))
			c := e.cache(&testLoader{}, Options[*testModel]{DiskDir: t.TempDir()})
			h := get(t, c, "m")
			defer h.Release()
			if h.Value().data != string(model) {
				t.Fatalf("got %d bytes, want the %d decoded bytes", len(h.Value().data), len(model))
			}
			if st := c.Stats(); st.Bytes != int64(len(model)) || st.DiskBytes != int64(len(model)) {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestRevalidateCorruptKeepsOld(t *testing.T) {
	e := newEnv(t)
	e.putModel("m", 1, "good")
	e.put("m/config.json", []byte(`{"sha256": {"1": "`+sha256Hex([]byte("good"))+`"}}`))
	l := &testLoader{}
	c := e.cache(l, Options[*testModel]{TTL: time.Hour})
	get(t, c, "m:1").Release()
	e.putModel("m", 1, "corrupted")
	if changed, err := c.Revalidate(context.Background(), Key{"m", 1}); !errors.Is(err, ErrChecksum) || changed {
		t.Fatalf("Revalidate: %v %v, want ErrChecksum", changed, err)
	}
	h := get(t, c, "m:1")
	defer h.Release()
	if h.Value().data != "good" {
		t.Fatalf("after a refused update Get returned %q", h.Value().data)
	}
	if st := c.Stats(); st.RevalidationErrors != 1 || st.Swaps != 0 {
		t.Fatalf("stats %+v", st)
	}
}
