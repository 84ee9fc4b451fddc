package op

import (
	"runtime"
	"sync/atomic"
	"time"
)

// spinFor is how long an idle worker (or a caller waiting for its workers)
// polls before it parks on a channel. Operators of one inference follow
// each other within microseconds, so a short spin saves a futex wake-up per
// operator; an idle Runner costs no CPU after it.
const spinFor = 200 * time.Microsecond

// pool is the handle an Exec holds. Its workers reference only the inner
// crew, so a pool that becomes unreachable (its Runner dropped without
// Close) stops them through a cleanup.
type pool struct {
	c *crew
}

// crew is a fixed set of worker goroutines that run the parts of one
// Parallel call at a time. A call publishes the job and bumps gen; every
// worker claims parts through next until none is left and then decrements
// pending, so the caller knows when no worker can still touch the job.
// Nothing is allocated per call.
type crew struct {
	n int // worker goroutines (the caller is one more participant)

	// The job: written by the caller before gen is bumped, read by workers
	// after they observe the new gen. Not written while pending > 0.
	fn           func(lo, hi int)
	total, parts int

	gen     atomic.Uint64 // job generation; bumped once per call and by stop
	next    atomic.Int64  // next part to claim
	pending atomic.Int64  // workers not yet done with the current job
	quit    atomic.Bool
	running atomic.Int32 // worker goroutines that have not exited

	callerParked atomic.Bool
	done         chan struct{} // wakes a parked caller; buffered 1

	parked []atomic.Bool   // per worker: parked (or about to park) on wake
	wake   []chan struct{} // per worker; buffered 1
}

// newPool starts workers goroutines (workers ≥ 1).
func newPool(workers int) *pool {
	c := &crew{n: workers, done: make(chan struct{}, 1),
		parked: make([]atomic.Bool, workers), wake: make([]chan struct{}, workers)}
	for i := range c.wake {
		c.wake[i] = make(chan struct{}, 1)
	}
	c.running.Store(int32(workers))
	for i := 0; i < workers; i++ {
		go c.loop(i)
	}
	p := &pool{c: c}
	runtime.AddCleanup(p, func(c *crew) { c.stop() }, c)
	return p
}

// run calls fn over [0, n) split into at most c.n+1 contiguous parts and
// returns when every part has returned. Not safe for concurrent calls.
func (c *crew) run(n int, fn func(lo, hi int)) {
	c.fn, c.total, c.parts = fn, n, min(n, c.n+1)
	c.next.Store(0)
	c.pending.Store(int64(c.n))
	c.gen.Add(1)
	c.wakeAll()
	c.work()
	if c.pending.Load() != 0 {
		start := time.Now()
		for i := 0; c.pending.Load() != 0; i++ {
			if i&63 == 63 {
				if time.Since(start) > spinFor {
					c.park()
					break
				}
				runtime.Gosched()
			}
		}
	}
	c.fn = nil
}

// park blocks the caller until the last worker finishes the job.
func (c *crew) park() {
	c.callerParked.Store(true)
	if c.pending.Load() == 0 && c.callerParked.CompareAndSwap(true, false) {
		return
	}
	<-c.done
}

// work claims and runs parts of the current job until none is left.
func (c *crew) work() {
	chunk := (c.total + c.parts - 1) / c.parts
	for {
		i := int(c.next.Add(1) - 1)
		if i >= c.parts {
			return
		}
		lo := i * chunk
		if lo >= c.total {
			return
		}
		c.fn(lo, min(lo+chunk, c.total))
	}
}

// wakeAll wakes every parked worker.
func (c *crew) wakeAll() {
	for i := range c.parked {
		if c.parked[i].CompareAndSwap(true, false) {
			c.wake[i] <- struct{}{}
		}
	}
}

// loop is worker i: wait for a new generation, help with its job, report.
func (c *crew) loop(i int) {
	defer c.running.Add(-1)
	var seen uint64 // the generation at newPool: a job may be published before this goroutine runs
	for {
		g := c.wait(i, seen)
		if c.quit.Load() {
			return
		}
		seen = g
		c.work()
		if c.pending.Add(-1) == 0 && c.callerParked.CompareAndSwap(true, false) {
			c.done <- struct{}{}
		}
	}
}

// wait spins, then parks, until gen differs from seen, and returns it.
func (c *crew) wait(i int, seen uint64) uint64 {
	start := time.Now()
	for n := 0; ; n++ {
		if g := c.gen.Load(); g != seen {
			return g
		}
		if n&63 != 63 {
			continue
		}
		if time.Since(start) < spinFor {
			runtime.Gosched()
			continue
		}
		c.parked[i].Store(true)
		if g := c.gen.Load(); g != seen {
			if !c.parked[i].CompareAndSwap(true, false) {
				<-c.wake[i] // a waker saw us parked and sent: consume it
			}
			return g
		}
		<-c.wake[i]
		start, n = time.Now(), 0
	}
}

// stop ends the workers. It must not run concurrently with run.
func (c *crew) stop() {
	c.quit.Store(true)
	c.gen.Add(1)
	c.wakeAll()
}
