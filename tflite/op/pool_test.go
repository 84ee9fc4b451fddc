package op

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestParallelCoversRange(t *testing.T) {
	tests := []struct {
		name       string
		threads, n int
	}{
		{name: "single thread", threads: 1, n: 10},
		{name: "two threads", threads: 2, n: 10},
		{name: "more threads than work", threads: 8, n: 3},
		{name: "one item", threads: 4, n: 1},
		{name: "empty", threads: 4, n: 0},
		{name: "uneven", threads: 3, n: 1001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var x Exec
			x.SetThreads(tc.threads)
			defer x.Close()
			for rep := 0; rep < 50; rep++ {
				hits := make([]atomic.Int32, tc.n)
				var calls atomic.Int32
				x.Parallel(tc.n, func(lo, hi int) {
					calls.Add(1)
					for i := lo; i < hi; i++ {
						hits[i].Add(1)
					}
				})
				for i := range hits {
					if h := hits[i].Load(); h != 1 {
						t.Fatalf("rep %d: index %d visited %d times", rep, i, h)
					}
				}
				if c := int(calls.Load()); c > max(x.Threads(), 1) {
					t.Fatalf("%d calls for %d threads", c, x.Threads())
				}
			}
		})
	}
}

// TestParallelRunsConcurrently checks that two ranges really run at once:
// each waits (bounded) for the other to start.
func TestParallelRunsConcurrently(t *testing.T) {
	var x Exec
	x.SetThreads(2)
	defer x.Close()
	var started atomic.Int32
	ok := true
	x.Parallel(2, func(lo, hi int) {
		started.Add(1)
		deadline := time.Now().Add(5 * time.Second)
		for started.Load() < 2 {
			if time.Now().After(deadline) {
				ok = false // only one range writes after the deadline
				return
			}
			runtime.Gosched()
		}
	})
	if !ok || started.Load() != 2 {
		t.Fatal("the two ranges did not overlap")
	}
}

// TestParallelAfterIdle checks that parked workers wake up.
func TestParallelAfterIdle(t *testing.T) {
	var x Exec
	x.SetThreads(3)
	defer x.Close()
	for rep := 0; rep < 3; rep++ {
		time.Sleep(3 * spinFor)
		var sum atomic.Int64
		x.Parallel(100, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				sum.Add(int64(i))
			}
		})
		if sum.Load() != 4950 {
			t.Fatalf("sum %d, want 4950", sum.Load())
		}
	}
}

func TestParallelNoAllocs(t *testing.T) {
	var x Exec
	x.SetThreads(2)
	defer x.Close()
	var sink atomic.Int64
	fn := func(lo, hi int) { sink.Add(int64(hi - lo)) }
	if a := testing.AllocsPerRun(200, func() { x.Parallel(64, fn) }); a != 0 {
		t.Fatalf("%v allocations per Parallel call", a)
	}
	if sink.Load() != 201*64 {
		t.Fatalf("covered %d items, want %d", sink.Load(), 201*64)
	}
}

// waitStopped waits (bounded) until every worker of c has exited.
func waitStopped(t *testing.T, c *crew) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.running.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still running", c.running.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCloseAndResizeStopWorkers(t *testing.T) {
	var x Exec
	x.SetThreads(4)
	c4 := x.pool.c
	if n := c4.running.Load(); n != 3 {
		t.Fatalf("%d workers after SetThreads(4), want 3", n)
	}
	x.SetThreads(2)
	waitStopped(t, c4)
	c2 := x.pool.c
	if n := c2.running.Load(); n != 1 {
		t.Fatalf("%d workers after SetThreads(2), want 1", n)
	}
	x.SetThreads(2)
	if x.pool.c != c2 {
		t.Fatal("SetThreads with the same count replaced the workers")
	}
	x.SetThreads(1)
	waitStopped(t, c2)
	if x.pool != nil {
		t.Fatal("SetThreads(1) kept a pool")
	}
	x.SetThreads(3)
	c3 := x.pool.c
	x.Close()
	waitStopped(t, c3)
	var n atomic.Int32
	x.Parallel(5, func(lo, hi int) { n.Add(int32(hi - lo)) })
	if n.Load() != 5 {
		t.Fatalf("Parallel after Close covered %d of 5", n.Load())
	}
}

func TestDroppedExecStopsWorkers(t *testing.T) {
	var c *crew
	func() {
		x := new(Exec)
		x.SetThreads(3)
		x.Parallel(10, func(lo, hi int) {})
		c = x.pool.c
	}()
	deadline := time.Now().Add(5 * time.Second)
	for c.running.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers of a dropped Exec still running", c.running.Load())
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

func BenchmarkParallel(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "threads1", 2: "threads2"}[threads], func(b *testing.B) {
			var x Exec
			x.SetThreads(threads)
			defer x.Close()
			var sink atomic.Int64
			fn := func(lo, hi int) { sink.Add(int64(hi - lo)) }
			b.ReportAllocs()
			for b.Loop() {
				x.Parallel(64, fn)
			}
		})
	}
}

// sumTask is a Task that adds up the lengths of the ranges it runs.
type sumTask struct{ sum atomic.Int64 }

func (s *sumTask) Run(lo, hi int) { s.sum.Add(int64(hi - lo)) }

// TestParallelTaskNoAllocs: a pointer Task goes to the pool and back
// without allocating, on one thread and on several, and covers the range.
func TestParallelTaskNoAllocs(t *testing.T) {
	tests := []struct {
		name    string
		threads int
	}{
		{name: "one thread", threads: 1},
		{name: "three threads", threads: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var x Exec
			x.SetThreads(tc.threads)
			defer x.Close()
			task := &sumTask{}
			if a := testing.AllocsPerRun(200, func() { x.ParallelTask(64, task) }); a != 0 {
				t.Fatalf("%v allocations per ParallelTask call", a)
			}
			if got := task.sum.Load(); got != 201*64 {
				t.Fatalf("covered %d items, want %d", got, 201*64)
			}
		})
	}
}

// TestSetActive: SetActive bounds the parts of each call without starting
// or stopping workers; 0 restores every thread.
func TestSetActive(t *testing.T) {
	var x Exec
	x.SetThreads(4)
	defer x.Close()
	c := x.pool.c
	parts := func() int {
		var calls, covered atomic.Int32
		x.Parallel(64, func(lo, hi int) { calls.Add(1); covered.Add(int32(hi - lo)) })
		if covered.Load() != 64 {
			t.Fatalf("covered %d of 64", covered.Load())
		}
		return int(calls.Load())
	}
	for _, tc := range []struct{ active, threads, parts int }{{1, 1, 1}, {2, 2, 2}, {3, 3, 3}, {0, 4, 4}, {9, 4, 4}} {
		x.SetActive(tc.active)
		if x.Threads() != tc.threads {
			t.Fatalf("SetActive(%d): Threads() = %d, want %d", tc.active, x.Threads(), tc.threads)
		}
		if p := parts(); p != tc.parts {
			t.Fatalf("SetActive(%d): %d parts, want %d", tc.active, p, tc.parts)
		}
		if x.pool.c != c || c.running.Load() != 3 {
			t.Fatalf("SetActive(%d) changed the workers", tc.active)
		}
	}
}

// TestPanicInPartReachesCaller: a part that panics on a worker goroutine
// does not kill the process; Parallel re-raises the panic on its caller
// after every part has returned, and the Exec keeps working.
func TestPanicInPartReachesCaller(t *testing.T) {
	var x Exec
	x.SetThreads(3)
	defer x.Close()
	for round := 0; round < 20; round++ {
		var ran atomic.Int32
		got := func() (v any) {
			defer func() { v = recover() }()
			x.Parallel(3, func(lo, hi int) {
				ran.Add(1)
				if lo == 2 { // the last part: usually a worker's
					panic("boom")
				}
			})
			return nil
		}()
		if got != "boom" {
			t.Fatalf("round %d: recovered %v, want boom", round, got)
		}
		if ran.Load() != 3 {
			t.Fatalf("round %d: %d parts ran, want 3", round, ran.Load())
		}
	}
	var n atomic.Int32
	x.Parallel(9, func(lo, hi int) { n.Add(int32(hi - lo)) })
	if n.Load() != 9 {
		t.Fatalf("after the panics Parallel covered %d of 9", n.Load())
	}
}
