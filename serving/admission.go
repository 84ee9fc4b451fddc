package serving

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// memBudget bounds the bytes that all HTTP requests in flight hold for
// their bodies, decoders, parsed JSON and decoded tensors
// (Config.MemoryBudget). Requests charge it before they allocate; a
// charge that does not fit is refused (429), so that memory, not just the
// queue, decides what is admitted. Safe for concurrent use.
type memBudget struct {
	max  int64
	used atomic.Int64
}

// tryAdd charges n bytes if they fit.
func (b *memBudget) tryAdd(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// charge is what one request holds of the Server's memory budget. A nil
// *charge charges nothing (the Go API, whose caller owns its tensors). Not
// safe for concurrent use.
type charge struct {
	s     *Server
	label string // model, for the shed metric
	n     int64
}

func (s *Server) newCharge(label string) *charge { return &charge{s: s, label: label} }

// add charges n more bytes: a LimitError when the request alone would hold
// more than the whole budget (it can never be served), ErrOverloaded when
// the budget is in use by other requests now.
func (c *charge) add(n int64) error {
	if c == nil || n <= 0 {
		return nil
	}
	b := &c.s.budget
	if c.n+n > b.max {
		return &LimitError{Limit: "MemoryBudget", Max: b.max}
	}
	if !b.tryAdd(n) {
		c.s.met.shed.WithLabelValues(c.label).Inc()
		return fmt.Errorf("%w: the server's memory budget for requests is in use", ErrOverloaded)
	}
	c.n += n
	return nil
}

// sub returns n bytes of the charge to the budget.
func (c *charge) sub(n int64) {
	if c == nil {
		return
	}
	n = min(n, c.n)
	c.n -= n
	c.s.budget.used.Add(-n)
}

// release returns the whole charge; the request no longer holds its
// buffers.
func (c *charge) release() { c.sub(c.n) }

// admit takes one of the model version's admission places for an HTTP
// request before its body is read: at most its queue's capacity (depth
// plus workers) are admitted at once, and the next is refused at once with
// ErrOverloaded, before it costs a read or a decode; an admitted request
// always finds room in the queue. done gives the place back.
func (q *modelQueue) admit() (done func(), err error) {
	if q.admitted.Add(1) > int64(cap(q.ch)) {
		q.admitted.Add(-1)
		q.met.shed.Inc()
		return nil, fmt.Errorf("%w: %s: %d requests in flight", ErrOverloaded, q.label, cap(q.ch))
	}
	return func() { q.admitted.Add(-1) }, nil
}

// decodeSlotMin is the largest body decoded without a decode place: one
// that small decodes in well under a millisecond, and must not wait
// behind a large body's decode (a value bomb's takes seconds).
const decodeSlotMin = 64 << 10

// decodeSlot takes one of the Server's decode places
// (Config.DecodeConcurrency) for an admitted request about to parse and
// decode its body of bodyLen bytes (a body of at most decodeSlotMin needs
// none), waiting while ctx lasts: at most that many large requests
// decode at once, so that decoding under overload leaves a core to
// admit and refuse requests. A request that gets no place before its
// deadline is refused with ErrOverloaded (429, counted as shed): it never
// waits beyond it. done gives the place back.
func (s *Server) decodeSlot(ctx context.Context, label string, bodyLen int) (done func(), err error) {
	if bodyLen <= decodeSlotMin {
		return func() {}, nil
	}
	release := func() { <-s.decoders }
	select {
	case s.decoders <- struct{}{}:
		return release, nil
	default:
	}
	select {
	case s.decoders <- struct{}{}:
		return release, nil
	case <-s.stop:
		return nil, fmt.Errorf("%w: the server is closing", ErrUnavailable)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, ctx.Err() // the client went away
		}
		s.met.shed.WithLabelValues(label).Inc()
		return nil, fmt.Errorf("%w: no decode place was free before the request's deadline (%d decode at once)", ErrOverloaded, cap(s.decoders))
	}
}

// inferCall is one admitted inference request: the pinned model, its
// admission place and its memory charge. end releases all three.
type inferCall struct {
	l     *Loaded
	ch    *charge
	start time.Time
	done  func()
}

func (c *inferCall) end() {
	c.ch.release()
	c.done()
	c.l.Release()
}

// beginInfer resolves and pins the model of an inference request and
// admits the request, all before its body is read: an over-long declared
// body is refused (413), a model with no room refuses at once (429).
func (s *Server) beginInfer(w http.ResponseWriter, r *http.Request, ref Ref, timeout time.Duration) (*inferCall, error) {
	start := time.Now()
	if err := s.checkContentLength(r); err != nil {
		return nil, err
	}
	ctx, cancel := s.withDeadline(r.Context(), timeout)
	defer cancel()
	l, err := s.acquire(ctx, ref)
	if err != nil {
		return nil, err
	}
	markModel(w, l.Name)
	done, err := s.queue(l).admit()
	if err != nil {
		l.Release()
		return nil, err
	}
	return &inferCall{l: l, ch: s.newCharge(l.Name), start: start, done: done}, nil
}

// predictCtx returns the context of the admitted request's run: its
// deadline counts from when the request arrived.
func (s *Server) predictCtx(r *http.Request, c *inferCall, timeout time.Duration) (context.Context, context.CancelFunc) {
	d := timeout
	if d <= 0 {
		d = s.cfg.DefaultTimeout
		if c.l.Config.Timeout > 0 {
			d = c.l.Config.Timeout
		}
	}
	d = min(d, s.cfg.MaxTimeout)
	return context.WithDeadline(r.Context(), c.start.Add(d))
}

// jsonElemBytes is about the most bytes one element of dt takes in a JSON
// answer, separator included (a quantized output may be answered as
// float32).
func jsonElemBytes(dt tensor.DType) int64 {
	switch dt {
	case tensor.Float64:
		return 25
	case tensor.Int64, tensor.Uint64:
		return 21
	}
	return 16
}

// reserveOutputs charges, before the run, what the answer to a request
// with these inputs will hold: the outputs (as the engine returns them and
// as copied out of a batch) and their JSON encoding. Dynamic dimensions
// other than the batch count as 1.
func (c *charge) reserveOutputs(m Model, ins []*tensor.Tensor) error {
	batch := 1
	if m.Batchable() && len(ins) > 0 && len(ins[0].Shape) > 0 {
		batch = ins[0].Shape[0]
	}
	var total int64
	for _, sp := range m.Outputs() {
		n := int64(1)
		for i, d := range sp.Shape {
			switch {
			case d >= 0:
				n *= int64(d)
			case i == 0:
				n *= int64(batch)
			}
			if n > 1<<40 {
				n = 1 << 40
			}
		}
		total += n * (2*int64(sp.DType.Size()) + jsonElemBytes(sp.DType))
	}
	return c.add(total)
}
