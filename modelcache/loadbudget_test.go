package modelcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// heapObjects returns the bytes of heap objects, live or not yet swept
// (runtime/metrics).
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// sampleHeapPeak samples heapObjects until stop is closed and sends the
// largest sample.
func sampleHeapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		peak := heapObjects()
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			peak = max(peak, heapObjects())
			select {
			case <-stop:
				out <- max(peak, heapObjects())
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// TestLoadBudgetBoundsHeap: six model bombs loaded at once (each a
// model.tflite.zst decoding to 4× the model size limit, refused at the
// limit) take the load budget in turn, so the heap peaks near what one
// bomb takes, not six times that (runtime/metrics).
func TestLoadBudgetBoundsHeap(t *testing.T) {
	const limit = 8 << 20
	const zstdMem = 2 << 20 // a frame's 1 MiB window, and a block
	root := t.TempDir()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	frame := enc.EncodeAll(make([]byte, 1<<20), nil)
	enc.Close()
	const bombs = 6
	for i := range bombs {
		dir := filepath.Join(root, fmt.Sprintf("m%d", i), "1")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "model.tflite.zst"), bytes.Repeat(frame, 4*limit>>20), 0o644); err != nil {
			t.Fatal(err)
		}
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
	// peak loads the bombs at once with the given budget and returns how
	// far the heap grew over its level before.
	peak := func(budget int64) uint64 {
		c, err := New(repo, Options[*testModel]{Load: (&hostileLoader{}).load, MaxModelBytes: limit, LoadBudget: budget,
			DiskMaxBytes: -1, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		runtime.GC()
		base := heapObjects()
		stop := make(chan struct{})
		peak := sampleHeapPeak(stop)
		var wg sync.WaitGroup
		for i := range bombs {
			wg.Go(func() {
				if _, err := c.Get(context.Background(), Ref{Model: fmt.Sprintf("m%d", i)}); !errors.Is(err, ErrTooLarge) {
					t.Errorf("Get(m%d) = %v, want ErrTooLarge", i, err)
				}
			})
		}
		wg.Wait()
		close(stop)
		return <-peak - base
	}
	// Collect garbage early, so that the heap is about what loads hold.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	got := peak(0) // the default: MaxModelBytes
	t.Logf("%d bombs at once, load budget %d MiB: heap grew %.1f MiB", bombs, limit>>20, float64(got)/(1<<20))
	// One bomb's limit and decoder, and garbage until the GC takes it
	// (without the budget: about 38 MiB).
	if bound := uint64(2 * (limit + zstdMem)); got > bound {
		t.Fatalf("heap grew %d bytes under %d concurrent bombs, want at most %d (load budget %d)", got, bombs, bound, limit)
	}
	if testing.Verbose() {
		all := peak(bombs * limit)
		t.Logf("%d bombs at once, load budget %d MiB: heap grew %.1f MiB", bombs, bombs*limit>>20, float64(all)/(1<<20))
	}
}

// A model larger than the whole load budget still loads: its charge is
// the whole budget, taken when no other load holds any of it.
func TestLoadBudgetSmallerThanModel(t *testing.T) {
	e := newEnv(t)
	e.putModel("good", 1, "good bytes")
	c, _, _ := hostileCache(e, &hostileLoader{}, Options[*testModel]{LoadBudget: 1})
	h := get(t, c, "good")
	if h.Value().data != "good bytes" {
		t.Fatalf("loaded %q", h.Value().data)
	}
	h.Release()
	if _, err := New(e.repo, Options[*testModel]{Load: (&hostileLoader{}).load, LoadBudget: -1}); err == nil {
		t.Fatal("a negative LoadBudget was accepted")
	}
}
