package op

import (
	"math/bits"
	"runtime"
	"sync/atomic"
	"time"
)

// spinFor is how long an idle worker (or a caller waiting for its workers)
// polls before it parks on a channel (see crew.spin). Operators of one inference follow
// each other within microseconds, so a short spin saves a futex wake-up per
// operator; an idle Runner costs no CPU after it.
const spinFor = 50 * time.Microsecond

// pool is the handle an Exec holds. Its workers reference only the inner
// crew, so a pool that becomes unreachable (its Runner dropped without
// Close) stops them through a cleanup.
type pool struct {
	c *crew
}

// crew is a fixed set of worker goroutines that run the parts of one
// Parallel call at a time. A call publishes the job and bumps gen; the
// caller and every worker that notices claim parts through claim, whose
// word names the generation, so a worker late for a job can never run a
// part of it (or of the next one). The caller waits only for parts that
// were claimed, never for a worker that did not wake in time. Nothing is
// allocated per call.
type crew struct {
	n int // worker goroutines (the caller is one more participant)
	// spin is whether waiting goroutines poll before parking: only when
	// GOMAXPROCS leaves every participant a P of its own, so that a poller
	// never holds the P the goroutine it waits for needs.
	spin bool

	// The job: written by the caller before gen is bumped, read by a
	// goroutine only after it claimed a part of that generation; not
	// written again until every part has finished.
	task  Task
	total int

	gen      atomic.Uint64 // job generation; bumped once per call and by stop
	claim    atomic.Uint64 // gen<<32 | parts<<16 | bit per claimed part
	finished atomic.Int64  // parts of the current job that have returned
	quit     atomic.Bool
	running  atomic.Int32 // worker goroutines that have not exited

	// panicked holds the first panic a part raised in the current job
	// (a *partPanic); run re-raises it on the caller, where the Runner's
	// caller can recover it, instead of letting it kill the process from
	// a worker goroutine.
	panicked atomic.Pointer[partPanic]

	callerParked atomic.Bool
	done         chan struct{} // wakes a parked caller; buffered 1

	parked []atomic.Bool   // per worker: parked (or about to park) on wake
	wake   []chan struct{} // per worker; buffered 1
}

// maxParts bounds the parts of one call: claim keeps one bit per part.
const maxParts = 16

// newPool starts workers goroutines (workers ≥ 1).
func newPool(workers int) *pool {
	c := &crew{n: workers, spin: runtime.GOMAXPROCS(0) > workers, done: make(chan struct{}, 1),
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

// run calls t.Run over [0, n) split into at most min(threads, c.n+1)
// contiguous parts and returns when every part has returned. Not safe for
// concurrent calls.
func (c *crew) run(n, threads int, t Task) {
	parts := min(n, threads, c.n+1, maxParts)
	c.task, c.total = t, n
	c.finished.Store(0)
	g := c.gen.Load() + 1
	c.claim.Store(uint64(uint32(g))<<32 | uint64(parts)<<16)
	c.gen.Store(g)
	c.wakeAll()
	c.work(uint32(g), 0)
	if c.finished.Load() != int64(parts) {
		start := time.Now()
		for i := 0; c.finished.Load() != int64(parts); i++ {
			if i&255 == 255 && (!c.spin || time.Since(start) > spinFor) {
				c.park(int64(parts))
				break
			}
		}
	}
	c.task = nil
	if p := c.panicked.Swap(nil); p != nil {
		panic(p.value)
	}
}

// partPanic is a panic value carried from the goroutine that ran a part
// to the caller of run.
type partPanic struct{ value any }

// runPart runs one part, recording a panic instead of propagating it.
func (c *crew) runPart(lo, hi int) {
	defer func() {
		if v := recover(); v != nil {
			c.panicked.CompareAndSwap(nil, &partPanic{value: v})
		}
	}()
	c.task.Run(lo, hi)
}

// park blocks the caller until the parts of the job have all finished.
func (c *crew) park(parts int64) {
	c.callerParked.Store(true)
	if c.finished.Load() == parts && c.callerParked.CompareAndSwap(true, false) {
		return
	}
	<-c.done
}

// work claims and runs parts of generation g until none is left. Part me
// (the caller is participant 0, worker i participant i+1) is tried first:
// consecutive calls then give each goroutine the same share of the data
// (the same output rows, say), so that an operator finds in its core's
// cache what that core wrote in the operator before.
func (c *crew) work(g uint32, me int) {
	for {
		v := c.claim.Load()
		parts := int(v >> 16 & 0xFFFF)
		mask := v & 0xFFFF
		if uint32(v>>32) != g || mask == 1<<parts-1 {
			return
		}
		p := me
		if p >= parts || mask&(1<<p) != 0 {
			p = bits.TrailingZeros64(^mask) // the lowest unclaimed part
		}
		if !c.claim.CompareAndSwap(v, v|1<<p) {
			continue
		}
		chunk := (c.total + parts - 1) / parts
		if lo := p * chunk; lo < c.total {
			c.runPart(lo, min(lo+chunk, c.total))
		}
		if c.finished.Add(1) == int64(parts) && c.callerParked.CompareAndSwap(true, false) {
			c.done <- struct{}{}
		}
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

// loop is worker i: wait for a new generation and help with its job.
func (c *crew) loop(i int) {
	defer c.running.Add(-1)
	var seen uint64 // the generation at newPool: a job may be published before this goroutine runs
	for {
		seen = c.wait(i, seen)
		if c.quit.Load() {
			return
		}
		c.work(uint32(seen), i+1)
	}
}

// wait polls (see crew.spin), then parks, until gen differs from seen,
// and returns it.
func (c *crew) wait(i int, seen uint64) uint64 {
	start := time.Now()
	for n := 0; ; n++ {
		if g := c.gen.Load(); g != seen {
			return g
		}
		if n&255 != 255 || (c.spin && time.Since(start) < spinFor) {
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
