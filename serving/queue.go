package serving

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// defaultIdleRelease is how long a worker keeps its runners without work.
const defaultIdleRelease = 30 * time.Second

// queueKey names one model version's queue.
type queueKey struct {
	name    string
	version int64
}

// job is one request waiting for or in a run. Jobs are reused (see
// Server.newJob): a job whose result was received goes back to the pool,
// so nothing may touch a job after answering it.
type job struct {
	ctx      context.Context
	model    Model
	inputs   []*tensor.Tensor // in model order
	n        int              // batch items; 0 when the model is not batchable
	enqueued time.Duration    // Server.clock when submitted
	done     chan jobResult   // buffered 1; receives exactly one result per use
	// arriving: the job still counts in its queue's arriving; whoever
	// clears it first (the submitter once submit returns, or the worker
	// that takes it) takes it out of the count.
	arriving atomic.Bool
}

// arrived takes j out of q.arriving, once.
func (q *modelQueue) arrived(j *job) {
	if j.arriving.CompareAndSwap(true, false) {
		q.arriving.Add(-1)
	}
}

type jobResult struct {
	outputs []*tensor.Tensor // every output, in model order, owned by the job
	timing  Timing
	err     error
}

// finish answers a job that is in no batch (dropped from the queue or
// failed at shutdown).
func (j *job) finish(r jobResult) { j.done <- r }

// newJob returns a job from the Server's pool, with its done channel.
func (s *Server) newJob() *job {
	if j, ok := s.jobs.Get().(*job); ok {
		return j
	}
	return &job{done: make(chan jobResult, 1)}
}

// putJob returns j to the pool. Only the requester calls it, once it has
// received j's one result: then no worker, queue or batch refers to j any
// more. A job whose requester gave up (deadline) is left to the GC, since
// a worker may still answer it.
func (s *Server) putJob(j *job) {
	j.ctx, j.model, j.inputs, j.n, j.enqueued = nil, nil, nil, 0, 0
	j.arriving.Store(false)
	s.jobs.Put(j)
}

// modelQueue is the admission queue and worker pool of one model version.
// Its fields are immutable after queue creates it.
type modelQueue struct {
	s         *Server
	key       queueKey
	label     string // metrics label
	ch        chan *job
	workers   int
	maxBatch  int // > 1 when batching is on
	delay     time.Duration
	retryHint time.Duration
	arriving  atomic.Int64 // requests checked and about to be submitted
	admitted  atomic.Int64 // HTTP requests admitted and not yet answered (see admit)
	met       queueMetrics
}

// queueMetrics are the Server's collectors bound to one queue's label
// once, so that a request does not hash and look its label up in each
// vector.
type queueMetrics struct {
	queue, batchWait, compute, batchSize prometheus.Observer
	shed, dropped                        prometheus.Counter
}

func (m *metrics) forModel(label string) queueMetrics {
	return queueMetrics{
		queue:     m.queue.WithLabelValues(label),
		batchWait: m.batchWait.WithLabelValues(label),
		compute:   m.compute.WithLabelValues(label),
		batchSize: m.batchSize.WithLabelValues(label),
		shed:      m.shed.WithLabelValues(label),
		dropped:   m.dropped.WithLabelValues(label),
	}
}

// queue returns the queue of l's model version, creating it and starting
// its workers on first use.
func (s *Server) queue(l *Loaded) *modelQueue {
	k := queueKey{l.Name, l.Version}
	// Every request looks its queue up: without the lock, so that a
	// request (a 429 under overload, say) never waits on a lock holder the
	// OS has descheduled.
	if q, ok := s.queueIndex.Load(k); ok {
		return q.(*modelQueue)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[k]; q != nil {
		return q
	}
	c := l.Config
	q := &modelQueue{s: s, key: k, label: l.Name, workers: c.MaxConcurrency, delay: c.BatchDelay, retryHint: s.cfg.RetryAfter, met: s.met.forModel(l.Name)}
	if q.workers <= 0 {
		q.workers = s.cfg.MaxConcurrency
	}
	depth := c.MaxQueue
	if depth <= 0 {
		depth = s.cfg.MaxQueue
	}
	// Room for every request admit lets in (see admit): an admitted
	// request is never refused after its body was read.
	q.ch = make(chan *job, depth+q.workers)
	if c.MaxBatchSize > 1 && l.Model.Batchable() {
		q.maxBatch = c.MaxBatchSize
		if q.delay <= 0 {
			q.delay = s.cfg.BatchDelay
		}
	}
	s.queues[k] = q
	s.queueIndex.Store(k, q)
	for range q.workers {
		slot := &runSlot{model: l.Name, version: l.Version, poke: make(chan struct{}, 1)}
		slot.wake()
		s.slots = append(s.slots, slot)
		s.wg.Add(1)
		go q.work(slot)
	}
	return q
}

// submit enqueues j or fails at once when the queue is full.
func (q *modelQueue) submit(j *job) error {
	select {
	case <-q.s.stop:
		return fmt.Errorf("%w: server is shutting down", ErrUnavailable)
	default:
	}
	select {
	case q.ch <- j:
		select {
		case <-q.s.stop: // Close may have drained the queue before j entered it
			q.drain()
		default:
		}
		return nil
	default:
		q.met.shed.Inc()
		return fmt.Errorf("%w: %s: %d requests queued", ErrOverloaded, q.label, cap(q.ch))
	}
}

// worker state: runners keyed by the model instance they run. Owned by
// its goroutine.
type worker struct {
	q       *modelQueue
	slot    *runSlot
	base    Model          // the model the runners below belong to
	runners map[int]Runner // batch size (0: as loaded) → runner
	carry   *job           // dequeued but left for the next batch
	// batch is the batch being collected or run, reused from one to the
	// next (cleared after each run, so that an idle worker holds no
	// request). Its jobs are answered in order; answered counts those
	// answered, which the requester may already have reused.
	batch    []*job
	answered int
}

func (q *modelQueue) work(slot *runSlot) {
	defer q.s.wg.Done()
	w := &worker{q: q, slot: slot}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		j := w.carry
		w.carry = nil
		// Waiting, the worker blocks on two plain channels: the queue
		// and its poke (no timer channel, no third case), which keeps the
		// hand-off of a lone request cheap.
		for j == nil {
			select {
			case j = <-q.ch:
			case <-slot.poke:
				select {
				case <-q.s.stop:
					w.drain()
					w.dropRunners()
					return
				default:
				}
				if q.s.clock()-time.Duration(slot.last.Load()) >= q.s.cfg.idleRelease {
					// Idle: let go of the model and its runners, so that
					// a model the cache evicted can be freed.
					w.dropRunners()
				}
			}
		}
		first := q.s.clock()
		slot.last.Store(int64(first))
		if !q.live(j, first) {
			continue
		}
		w.batch = append(w.batch[:0], j)
		items := j.n
		start := first
		if q.maxBatch > 1 && items < q.maxBatch {
			items = w.collect(items, first, timer)
			start = q.s.clock()
		}
		w.runSafely(items, first, start)
		clear(w.batch)
		w.batch = w.batch[:0]
	}
}

// collect adds queued requests to w.batch (which holds the first one,
// dequeued at first, and items items in all) up to maxBatch items, and
// returns the items of the batch. It waits for more until the batch
// window closes, whether or not other requests are in flight, so that
// independent clients arriving at a steady rate (open-loop traffic) share
// runs: the window is the model's batch delay after the first request,
// and ends earlier so that no request of the batch spends more than half
// of the time it had left when it was dequeued waiting for others. A
// request of another model instance, or one that would overflow the
// batch, is carried to the next batch.
func (w *worker) collect(items int, firstClock time.Duration, timer *time.Timer) int {
	q := w.q
	first := q.s.at(firstClock)
	end := first.Add(q.delay)
	bound := func(j *job) {
		if d, ok := j.ctx.Deadline(); ok {
			if half := first.Add(d.Sub(first) / 2); half.Before(end) {
				end = half
			}
		}
	}
	bound(w.batch[0])
	armed := false
	defer func() {
		if armed && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}()
	for items < q.maxBatch {
		var k *job
		select {
		case k = <-q.ch:
		default:
		}
		if k == nil {
			wait := time.Until(end)
			if wait <= 0 {
				return items
			}
			if armed && !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(wait)
			armed = true
			select {
			case k = <-q.ch:
			case <-timer.C:
				armed = false
				return items
			case <-q.s.stop:
				return items
			}
		}
		if !q.live(k, q.s.clock()) {
			continue
		}
		if k.model != w.batch[0].model || items+k.n > q.maxBatch {
			w.carry = k
			return items
		}
		w.batch = append(w.batch, k)
		items += k.n
		bound(k)
	}
	return items
}

// runSafely runs w.batch with a panic outside the engine run (planning
// the model for a batch size, creating its runner, splitting the batch:
// code a model reaches) turned into an error for every job of the batch
// not answered yet, so that the worker goroutine, and the process, carry
// on.
func (w *worker) runSafely(items int, first, start time.Duration) {
	w.answered = 0
	defer func() {
		if p := recover(); p != nil {
			w.dropRunners()
			w.q.s.log.Error("worker panic", "model", w.q.label, "version", w.q.key.version, "panic", p, "stack", string(debug.Stack()))
			w.failRest(fmt.Errorf("%w: %v", errPanic, p))
		}
	}()
	w.run(items, first, start)
}

// answer sends r to the next job of w.batch not answered yet.
func (w *worker) answer(r jobResult) {
	j := w.batch[w.answered]
	w.answered++
	j.done <- r
}

// failRest answers every job of w.batch not answered yet with err.
func (w *worker) failRest(err error) {
	for w.answered < len(w.batch) {
		w.answer(jobResult{err: err})
	}
}

// live checks a job dequeued at now (a Server.clock reading): one whose
// deadline passed is dropped and answered without running.
func (q *modelQueue) live(j *job, now time.Duration) bool {
	if err := j.ctx.Err(); err != nil {
		q.met.dropped.Inc()
		j.finish(jobResult{err: fmt.Errorf("serving: %s: dropped from the queue after %v: %w", q.label, (now - j.enqueued).Round(time.Microsecond), err)})
		return false
	}
	q.met.queue.Observe((now - j.enqueued).Seconds())
	return true
}

// drain fails the job a worker holds back for its next batch, then every
// queued job, at shutdown.
func (w *worker) drain() {
	if w.carry != nil {
		w.carry.finish(jobResult{err: fmt.Errorf("%w: server is shutting down", ErrUnavailable)})
	}
	w.q.drain()
}

// drain fails every job in the queue now.
func (q *modelQueue) drain() {
	for {
		select {
		case j := <-q.ch:
			j.finish(jobResult{err: fmt.Errorf("%w: server is shutting down", ErrUnavailable)})
		default:
			return
		}
	}
}

// dropRunners lets go of the worker's runners, stopping their intra-op
// threads.
func (w *worker) dropRunners() {
	for _, r := range w.runners {
		if t, ok := r.(threadedRunner); ok {
			t.Close()
		}
	}
	w.base, w.runners = nil, nil
	w.slot.holding.Store(false)
}

// threads returns how many intra-op threads the run about to start may
// use, given busy runs in flight (this one included): all of
// IntraOpThreads when it is alone and nothing waits, else one.
func (q *modelQueue) threads(busy int64) int {
	if busy == 1 && len(q.ch) == 0 && q.arriving.Load() == 0 {
		return q.s.cfg.IntraOpThreads
	}
	return 1
}

// runner returns a runner of the model planned for batch size n (0: the
// model as loaded).
func (w *worker) runner(m Model, n int) (Runner, error) {
	if w.base != m {
		w.dropRunners()
		w.base, w.runners = m, map[int]Runner{}
		w.slot.holding.Store(true)
	}
	if r := w.runners[n]; r != nil {
		return r, nil
	}
	pm := m
	if n > 0 {
		var err error
		if pm, err = m.WithBatch(n); err != nil {
			return nil, err
		}
	}
	if len(w.runners) >= 64 {
		base := w.base
		w.dropRunners() // bound the arenas one worker keeps
		w.base, w.runners = base, map[int]Runner{}
	}
	r := pm.NewRunner()
	if t, ok := r.(threadedRunner); ok && w.q.s.cfg.IntraOpThreads > 1 {
		t.SetThreads(w.q.s.cfg.IntraOpThreads)
	}
	w.runners[n] = r
	return r, nil
}

// run executes w.batch (jobs all on the same model, items items in all,
// the first dequeued at first, the batch closed at start: Server.clock
// readings) and answers each job, in order.
func (w *worker) run(items int, first, start time.Duration) {
	q := w.q
	batch := w.batch
	wait := (start - first).Seconds()
	for range batch {
		q.met.batchWait.Observe(wait)
	}
	m := batch[0].model
	inputs := batch[0].inputs
	if len(batch) > 1 {
		var err error
		if inputs, err = concatBatch(batch, items); err != nil {
			w.failRest(err)
			return
		}
	}
	r, err := w.runner(m, items)
	if err != nil {
		w.failRest(fmt.Errorf("serving: %s: plan batch %d: %w", q.label, items, err))
		return
	}
	ctx, cancel := batchContext(batch)
	defer cancel()
	for _, j := range batch {
		q.arrived(j) // the submitter may not have seen submit return yet
	}
	busy := q.s.running.Add(1)
	if t, ok := r.(threadedRunner); ok {
		t.SetActiveThreads(q.threads(busy))
	}
	w.slot.begin(r, ctx, q.s.at(start))
	outs, err := w.safeRun(r, ctx, inputs)
	flagged := w.slot.end()
	q.s.running.Add(-1)
	compute := q.s.clock() - start
	if flagged {
		q.s.stalled.Add(-1)
		q.s.log.Warn("stalled run ended", "model", q.label, "version", q.key.version, "duration", compute, "err", err)
	}
	q.met.compute.Observe(compute.Seconds())
	q.met.batchSize.Observe(float64(max(items, 1)))
	if err != nil {
		w.failRest(fmt.Errorf("serving: %s: %w", q.label, err))
		return
	}
	off := 0
	for _, j := range batch {
		res := jobResult{timing: Timing{Queue: first - j.enqueued, BatchWait: start - first, Compute: compute, BatchSize: max(items, 1)}}
		if first < j.enqueued {
			res.timing.Queue, res.timing.BatchWait = 0, start-j.enqueued
		}
		res.outputs = make([]*tensor.Tensor, len(outs))
		for k, o := range outs {
			t, err := sliceBatch(o, off, j.n, items, len(batch) > 1)
			if err != nil {
				res = jobResult{err: fmt.Errorf("serving: %s: output %q: %w", q.label, o.Name, err)}
				break
			}
			res.outputs[k] = t
		}
		off += j.n
		w.answer(res) // j, the next not answered
	}
}

// errPanic reports a run that panicked; the server keeps serving.
var errPanic = errors.New("serving: the engine panicked")

// safeRun runs r, turning a panic into an error (and dropping the worker's
// runners, whose state is unknown after it).
func (w *worker) safeRun(r Runner, ctx context.Context, inputs []*tensor.Tensor) (outs []*tensor.Tensor, err error) {
	defer func() {
		if p := recover(); p != nil {
			w.dropRunners()
			w.q.s.log.Error("engine panic", "model", w.q.label, "version", w.q.key.version, "panic", p, "stack", string(debug.Stack()))
			outs, err = nil, fmt.Errorf("%w: %v", errPanic, p)
		}
	}()
	return r.Run(ctx, inputs)
}

// batchContext returns the context of a run: the job's own for a single
// job, else one that ends at the latest deadline of the batch.
func batchContext(batch []*job) (context.Context, context.CancelFunc) {
	if len(batch) == 1 {
		return batch[0].ctx, func() {}
	}
	var last time.Time
	for _, j := range batch {
		if d, ok := j.ctx.Deadline(); ok && d.After(last) {
			last = d
		}
	}
	return context.WithDeadline(context.WithoutCancel(batch[0].ctx), last)
}

// concatBatch joins the jobs' inputs along the leading dimension.
func concatBatch(batch []*job, items int) ([]*tensor.Tensor, error) {
	first := batch[0].inputs
	out := make([]*tensor.Tensor, len(first))
	for i, t0 := range first {
		shape := t0.Shape.Clone()
		shape[0] = items
		t, err := tensor.New(t0.DType, shape)
		if err != nil {
			return nil, err
		}
		t.Name = t0.Name
		off := 0
		for _, j := range batch {
			off += copy(t.Data[off:], j.inputs[i].Data)
		}
		out[i] = t
	}
	return out, nil
}

var errSplit = errors.New("batched output has no leading batch dimension to split")

// sliceBatch copies items [off, off+n) of a batched output (or the whole
// output when not batched), so that the result outlives the runner.
func sliceBatch(o *tensor.Tensor, off, n, items int, batched bool) (*tensor.Tensor, error) {
	if !batched {
		t := newOutput(o)
		t.Data = append([]byte(nil), o.Data...)
		return t, nil
	}
	if len(o.Shape) == 0 || o.Shape[0] != items || items == 0 {
		return nil, errSplit
	}
	row := len(o.Data) / items
	t := newOutput(o)
	t.Shape[0] = n
	t.Data = append([]byte(nil), o.Data[off*row:(off+n)*row]...)
	return t, nil
}

// outputTensor is a tensor with room for a shape of up to 4 dimensions.
type outputTensor struct {
	t    tensor.Tensor
	dims [4]int
}

// newOutput returns a tensor with o's name, type, quantization and shape
// (a copy) and no data: one allocation for the tensor and its shape.
func newOutput(o *tensor.Tensor) *tensor.Tensor {
	if len(o.Shape) == 0 || len(o.Shape) > 4 {
		// nil shape for a scalar, as Clone gives
		return &tensor.Tensor{Name: o.Name, DType: o.DType, Quant: o.Quant, Shape: o.Shape.Clone()}
	}
	b := &outputTensor{t: tensor.Tensor{Name: o.Name, DType: o.DType, Quant: o.Quant}}
	b.t.Shape = b.dims[:len(o.Shape):len(o.Shape)]
	copy(b.t.Shape, o.Shape)
	return &b.t
}

// runSlot is what the watchdog sees of one worker.
type runSlot struct {
	model   string
	version int64
	// poke wakes the worker (buffered 1): the watchdog pokes a worker
	// that holds runners and may have been idle for Config.idleRelease, Close
	// pokes every worker, and a new worker starts poked, so that one
	// started after Close sees it.
	poke    chan struct{}
	last    atomic.Int64 // Server.clock when the worker last dequeued a job
	holding atomic.Bool  // the worker holds runners

	mu       sync.Mutex // guards the fields below
	runner   Runner     // nil when idle
	deadline time.Time
	start    time.Time
	flagged  bool
}

// wake pokes the slot's worker unless a poke is pending already.
func (s *runSlot) wake() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

func (s *runSlot) begin(r Runner, ctx context.Context, start time.Time) {
	d, ok := ctx.Deadline()
	if !ok {
		d = start.Add(24 * time.Hour)
	}
	s.mu.Lock()
	s.runner, s.deadline, s.start, s.flagged = r, d, start, false
	s.mu.Unlock()
}

// end marks the slot idle and reports whether the watchdog flagged the run.
func (s *runSlot) end() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flagged
	s.runner, s.flagged = nil, false
	return f
}

// watchdog flags runs that overrun their deadline by StallMargin: it logs
// the model and the operator running, counts the stall and keeps Ready
// false until the run ends. It also pokes workers that hold runners and
// have been idle for Config.idleRelease, so that they let go of them.
func (s *Server) watchdog() {
	defer s.wg.Done()
	tick := max(s.cfg.StallMargin/4, 5*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			s.mu.Lock()
			slots := append([]*runSlot(nil), s.slots...)
			s.mu.Unlock()
			c := s.clock()
			for _, sl := range slots {
				s.checkSlot(sl, now)
				if sl.holding.Load() && c-time.Duration(sl.last.Load()) >= s.cfg.idleRelease {
					sl.wake() // the worker drops its runners if still idle
				}
			}
		}
	}
}

// checkSlot flags sl's run when it is past its deadline plus the stall
// margin. The stall is counted and logged before readiness turns off, so
// that whoever sees the server not ready finds the stall in the metrics
// and the log; holding sl.mu meanwhile delays only the end of this
// stalled run (the worker's end), never another.
func (s *Server) checkSlot(sl *runSlot, now time.Time) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.runner == nil || sl.flagged || now.Before(sl.deadline.Add(s.cfg.StallMargin)) {
		return
	}
	idx, op := sl.runner.CurrentOp()
	s.met.stalls.WithLabelValues(sl.model).Inc()
	s.log.Error("stalled run: not ready until it ends", "model", sl.model, "version", sl.version,
		"op_index", idx, "op", op, "running", now.Sub(sl.start).Round(time.Millisecond), "past_deadline", now.Sub(sl.deadline).Round(time.Millisecond))
	sl.flagged = true
	s.stalled.Add(1)
}
