package serving

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/tensor"
)

// Config configures a Server. Zero fields take the defaults in their
// comments.
type Config struct {
	// Source finds and loads models. Required.
	Source ModelSource
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger

	// DefaultTimeout is the deadline of requests that give none and whose
	// model config sets none (default 10s).
	DefaultTimeout time.Duration
	// MaxTimeout caps any requested deadline (default 5m).
	MaxTimeout time.Duration
	// MaxConcurrency is the default number of runs in flight per model
	// (default GOMAXPROCS).
	MaxConcurrency int
	// MaxQueue is the default number of requests waiting per model
	// (default 64).
	MaxQueue int
	// BatchDelay is the default longest wait for a batch to fill when a
	// model enables batching (default 2ms).
	BatchDelay time.Duration
	// RetryAfter is the Retry-After sent with 429 and 503 (default 1s).
	RetryAfter time.Duration
	// StallMargin is how far past its deadline a run must be to count as
	// stalled (default 1s).
	StallMargin time.Duration

	// MaxBodyBytes caps a request body as sent (default 64 MiB). A larger
	// Content-Length is refused (413) before anything is read.
	MaxBodyBytes int64
	// MaxDecodedBytes caps a request body after Content-Encoding is undone
	// (default 64 MiB); it is counted as the bytes stream in.
	MaxDecodedBytes int64
	// MaxElements caps the tensor elements of one request (default 1<<22,
	// 16 MiB of float32). A declared shape is checked against the values
	// actually present before anything is allocated.
	MaxElements int
	// MemoryBudget bounds the bytes all HTTP requests in flight hold for
	// bodies, decoders, parsed JSON, decoded tensors and their answers
	// (outputs and their encoding) (default 256 MiB).
	// A request charges it before each allocation; one that does not fit
	// now is refused with 429, one larger than the whole budget with 413.
	MemoryBudget int64
	// DecodeConcurrency is the most HTTP requests whose bodies (over 64
	// KiB; smaller ones decode at once) are parsed and decoded into
	// tensors at once (default GOMAXPROCS-1, at least 1), so that under
	// overload decoding cannot take every core and a core stays free to
	// accept, admit and refuse requests. An admitted request waits for a
	// place until its deadline; one that gets none in time is refused with
	// 429 (the body's bytes are read, not decoded).
	DecodeConcurrency int

	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// http.Server deadlines HTTPServer sets: for the request headers
	// (default 10s), for the whole request including its body (default
	// 60s), for writing a response (default MaxTimeout + 30s, counted from
	// when the request's headers were read) and for a keep-alive
	// connection between requests (default 60s).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// IntraOpThreads is the most threads one run may use (default
	// GOMAXPROCS; 1 turns intra-op parallelism off). A run gets all of
	// them only when it is the only run in flight on the Server and no
	// request waits for its model; under load every run uses one, which
	// gives the most throughput.
	IntraOpThreads int

	// Preload lists models to load and warm before the server reports
	// ready (see Server.Preload).
	Preload []string
	// AuthToken, when set, is the bearer token every request except
	// /v2/health/* and the admin endpoints must carry.
	AuthToken string
	// EnableAdmin turns on the repository (admin) endpoints: POST
	// /v2/repository/index and /v2/repository/models/{m}/load|unload. Off,
	// they answer 403.
	EnableAdmin bool
	// AdminToken, when set, is the bearer token the admin endpoints need.
	// It must be set, and differ from AuthToken, when both EnableAdmin and
	// AuthToken are.
	AdminToken string

	// MaxImagePixels caps the pixels (width × height, as its header
	// declares them) of an image sent as a model input; larger ones are
	// refused (413) before decoding (default 64 Mi). An image's bytes
	// count against MaxBodyBytes like any body.
	MaxImagePixels int64

	// idleRelease is how long a worker keeps a model's runners without
	// work (default 30s); tests shorten it.
	idleRelease time.Duration
}

func (c *Config) withDefaults() error {
	if c.Source == nil {
		return errors.New("serving: Config.Source is required")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.DefaultTimeout, 10*time.Second)
	def(&c.MaxTimeout, 5*time.Minute)
	def(&c.BatchDelay, 2*time.Millisecond)
	def(&c.RetryAfter, time.Second)
	def(&c.StallMargin, time.Second)
	def(&c.idleRelease, defaultIdleRelease)
	if c.MaxConcurrency <= 0 {
		c.MaxConcurrency = runtime.GOMAXPROCS(0)
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = 64
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 64 << 20
	}
	if c.MaxDecodedBytes <= 0 {
		c.MaxDecodedBytes = 64 << 20
	}
	if c.MaxElements <= 0 {
		c.MaxElements = 1 << 22
	}
	if c.MemoryBudget <= 0 {
		c.MemoryBudget = 256 << 20
	}
	def(&c.ReadHeaderTimeout, 10*time.Second)
	def(&c.ReadTimeout, time.Minute)
	def(&c.WriteTimeout, c.MaxTimeout+30*time.Second)
	def(&c.IdleTimeout, time.Minute)
	if c.EnableAdmin && c.AuthToken != "" && (c.AdminToken == "" || c.AdminToken == c.AuthToken) {
		return errors.New("serving: with AuthToken set, EnableAdmin needs an AdminToken of its own")
	}
	if c.IntraOpThreads <= 0 {
		c.IntraOpThreads = runtime.GOMAXPROCS(0)
	}
	if c.DecodeConcurrency <= 0 {
		c.DecodeConcurrency = max(1, runtime.GOMAXPROCS(0)-1)
	}
	return nil
}

// Server is the serving core and its HTTP API. It is safe for concurrent
// use. Create it with New and stop it with Close.
type Server struct {
	cfg      Config // immutable after New
	log      *slog.Logger
	met      *metrics
	mux      *http.ServeMux
	stop     chan struct{} // closed by Close
	wg       sync.WaitGroup
	closing  atomic.Bool
	draining atomic.Bool  // Drain called: not ready, answers say Connection: close
	warming  atomic.Bool  // Preload pending or running
	stalled  atomic.Int64 // runs flagged by the watchdog and not yet ended
	running  atomic.Int64 // runs in flight, all models
	reqID    atomic.Uint64
	idPrefix string    // random per Server, so request IDs differ across instances
	epoch    time.Time // when New ran; see clock

	budget memBudget // Config.MemoryBudget; max immutable after New
	chunks chunkPool // body read buffers
	// decoders holds a token per request decoding its body (capacity
	// Config.DecodeConcurrency).
	decoders chan struct{}
	mio      ioCache   // ModelIO of loaded models (metadata, labels)
	jobs     sync.Pool // *job, reused once their result was received

	mu     sync.Mutex
	queues map[queueKey]*modelQueue // guarded by mu
	// queueIndex holds what queues holds (queueKey → *modelQueue), read
	// without mu; written under mu.
	queueIndex sync.Map
	slots      []*runSlot // guarded by mu; one per worker
}

var _ http.Handler = (*Server)(nil)

// New returns a Server. It starts the stall watchdog; Close stops it.
func New(cfg Config) (*Server, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	s := &Server{
		epoch:  time.Now(),
		cfg:    cfg,
		log:    cfg.Logger,
		met:    newMetrics(cfg.Source),
		stop:   make(chan struct{}),
		queues: map[queueKey]*modelQueue{},
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	s.idPrefix = hex.EncodeToString(rnd[:]) + "-"
	s.budget.max = cfg.MemoryBudget
	s.decoders = make(chan struct{}, cfg.DecodeConcurrency)
	s.warming.Store(len(cfg.Preload) > 0)
	s.routes()
	s.wg.Add(1)
	go s.watchdog()
	return s, nil
}

// Close stops admitting requests, fails queued ones with ErrUnavailable,
// waits for running ones to end and stops every goroutine the Server
// started. It does not close the ModelSource.
func (s *Server) Close() error {
	if s.closing.Swap(true) {
		return nil
	}
	close(s.stop)
	s.mu.Lock()
	for _, q := range s.queues {
		q.drain()
	}
	for _, sl := range s.slots {
		sl.wake() // a waiting worker sees stop
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// clock reads the monotonic clock as the time since New: one clock read,
// where time.Now makes two (wall and monotonic). A request's queue wait
// and run are timed with it.
func (s *Server) clock() time.Duration { return time.Since(s.epoch) }

// at returns the time of a clock reading.
func (s *Server) at(c time.Duration) time.Time { return s.epoch.Add(c) }

// Live reports whether the server is serving (not closed).
func (s *Server) Live() bool { return !s.closing.Load() }

// Ready reports whether the server should receive traffic: preloading is
// done, no run is stalled and the server is not closing.
func (s *Server) Ready() bool {
	return !s.closing.Load() && !s.draining.Load() && !s.warming.Load() && s.stalled.Load() == 0
}

// Drain makes Ready report false so that load balancers stop sending
// traffic before a shutdown; requests are still served, and every answer
// carries Connection: close so that keep-alive clients reconnect
// elsewhere.
func (s *Server) Drain() { s.draining.Store(true) }

// HTTPServer returns an http.Server that serves s on addr with the read,
// write and idle deadlines of its Config: a client that sends its headers
// or body too slowly, or leaves a connection idle, is cut off.
func (s *Server) HTTPServer(addr string, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errorLog,
	}
}

// Preload loads every model in Config.Preload and warms it with one run on
// zero inputs. A model that fails to load or warm (an error, or a panic,
// recovered here) is logged once and skipped: the others are still
// preloaded and the server becomes ready; requests for the failed model get
// its error from the ModelSource. Preload returns the failures joined (nil
// when every model warmed). Ready reports false until every model was
// tried; when ctx ends first Preload returns ctx's error and the server
// stays not ready.
func (s *Server) Preload(ctx context.Context) error {
	var errs []error
	for _, name := range s.cfg.Preload {
		stack, err := s.warm(ctx, name)
		if ctx.Err() != nil {
			return fmt.Errorf("serving: preload %q: %w", name, context.Cause(ctx))
		}
		if err != nil {
			attrs := []any{"model", name, "err", err}
			if stack != nil {
				attrs = append(attrs, "panic", true, "stack", string(stack))
			}
			s.log.Error("model preload failed; serving the other models", attrs...)
			errs = append(errs, fmt.Errorf("serving: preload %q: %w", name, err))
			continue
		}
		s.log.Info("model warm", "model", name)
	}
	s.warming.Store(false)
	return errors.Join(errs...)
}

// warm loads a model and runs it once on zero inputs. A panic (a bug
// reached through the model) is returned as an error with its stack.
func (s *Server) warm(ctx context.Context, name string) (stack []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			stack, err = debug.Stack(), fmt.Errorf("%w: warming %q: %v", errPanic, name, p)
		}
	}()
	l, err := s.cfg.Source.Get(ctx, Ref{Model: name})
	if err != nil {
		return nil, err
	}
	defer l.Release()
	m := l.Model
	if m.Batchable() {
		if m, err = m.WithBatch(1); err != nil {
			return nil, err
		}
	}
	ins := make([]*tensor.Tensor, 0, len(m.Inputs()))
	for _, sp := range m.Inputs() {
		shape := sp.Shape.Clone()
		for i, d := range shape {
			if d < 0 {
				shape[i] = 1
			}
		}
		t, err := tensor.New(sp.DType, shape)
		if err != nil {
			return nil, err
		}
		t.Name = sp.Name
		ins = append(ins, t)
	}
	_, err = m.NewRunner().Run(ctx, ins)
	return nil, err
}

// Request is one inference request to Predict.
type Request struct {
	Ref
	// Inputs are matched to the model's inputs by Name. A model with one
	// input also takes one tensor of any name.
	Inputs []*tensor.Tensor
	// Outputs names the outputs wanted, in order; empty means all, in
	// signature order.
	Outputs []string
	// Timeout bounds the request; 0 takes the model's or the Server's
	// default. It is capped by Config.MaxTimeout.
	Timeout time.Duration
}

// Timing breaks down where a request spent its time.
type Timing struct {
	Queue     time.Duration // waiting for a worker
	BatchWait time.Duration // waiting for the batch to fill
	Compute   time.Duration // engine run (shared with the batch)
	BatchSize int           // items in the run
}

// Response is the result of Predict. The Outputs belong to the caller.
type Response struct {
	Model   string
	Version int64
	Outputs []*tensor.Tensor
	Timing  Timing
}

// Predict runs one inference request under admission control: it resolves
// the model, checks the inputs, waits for a slot in the model's bounded
// queue (failing at once with ErrOverloaded when full), may be batched with
// concurrent requests, and never waits past its deadline.
func (s *Server) Predict(ctx context.Context, req *Request) (*Response, error) {
	ctx, cancel := s.withDeadline(ctx, req.Timeout)
	defer cancel()
	l, err := s.acquire(ctx, req.Ref)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	ctx, cancel2 := s.modelDeadline(ctx, l, req.Timeout)
	defer cancel2()
	return s.predictLoaded(ctx, l, req)
}

// withDeadline bounds ctx by the requested timeout, or the default.
func (s *Server) withDeadline(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		timeout = s.cfg.DefaultTimeout
	}
	timeout = min(timeout, s.cfg.MaxTimeout)
	return context.WithTimeout(ctx, timeout)
}

// modelDeadline tightens ctx to the model's own default timeout when the
// request gave none.
func (s *Server) modelDeadline(ctx context.Context, l *Loaded, requested time.Duration) (context.Context, context.CancelFunc) {
	if requested > 0 || l.Config.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, l.Config.Timeout)
}

func (s *Server) acquire(ctx context.Context, ref Ref) (*Loaded, error) {
	if s.closing.Load() {
		return nil, fmt.Errorf("%w: server is shutting down", ErrUnavailable)
	}
	if err := CheckModelName(ref.Model); err != nil {
		return nil, err
	}
	l, err := s.cfg.Source.Get(ctx, ref)
	if err != nil {
		return nil, sourceError(err, ref)
	}
	return l, nil
}

// sourceError hides what a ModelSource reports (it may name repository
// paths, storage URLs or why a model file failed to parse) behind a stable
// message naming the model, keeping its sentinel for the status.
func sourceError(err error, ref Ref) error {
	what := fmt.Sprintf("model %q", clip(ref.Model))
	switch {
	case ref.Version > 0:
		what += fmt.Sprintf(" version %d", ref.Version)
	case ref.Label != "":
		what += fmt.Sprintf(" label %q", clip(ref.Label))
	}
	var kind error
	var ce *modelcache.ConfigError
	switch {
	case errors.As(err, &ce):
		// The repository's config.json is at fault, not the request; a
		// ConfigError names the model and field, never a path.
		what += " is unavailable: " + cut(ce.Error(), maxMessage)
	case errors.Is(err, ErrNotFound):
		what += " not found"
	case errors.Is(err, ErrUnavailable):
		what += " is unavailable now"
	case errors.Is(err, ErrOverloaded):
		what += " is overloaded"
	case errors.Is(err, context.DeadlineExceeded):
		what += ": deadline exceeded while loading"
	case errors.Is(err, context.Canceled):
		what += ": request cancelled while loading"
	case errors.Is(err, ErrInvalid):
		what += ": invalid reference"
	default:
		what += " failed to load"
	}
	return hide(err, kind, "serving: "+what)
}

// predictLoaded runs req on the pinned model l; ctx carries the deadline.
func (s *Server) predictLoaded(ctx context.Context, l *Loaded, req *Request) (*Response, error) {
	s.met.inFlight.Inc()
	defer s.met.inFlight.Dec()
	m := l.Model
	q := s.queue(l)
	q.arriving.Add(1)
	ins, n, err := matchInputs(m, req.Inputs, s.cfg.MaxElements)
	if err != nil {
		q.arriving.Add(-1)
		return nil, err
	}
	outIdx, err := matchOutputs(m, req.Outputs)
	if err != nil {
		q.arriving.Add(-1)
		return nil, err
	}
	j := s.newJob()
	j.ctx, j.model, j.inputs, j.n, j.enqueued = ctx, m, ins, n, s.clock()
	j.arriving.Store(true)
	err = q.submit(j)
	q.arrived(j)
	if err != nil {
		s.putJob(j) // never queued
		return nil, err
	}
	select {
	case r := <-j.done:
		s.putJob(j)
		if r.err != nil {
			return nil, r.err
		}
		specs := m.Outputs()
		outs := r.outputs // the job's own: all outputs in model order
		if outIdx != nil {
			outs = make([]*tensor.Tensor, len(outIdx))
			for i, k := range outIdx {
				outs[i] = r.outputs[k]
			}
		}
		for i, o := range outs {
			k := i
			if outIdx != nil {
				k = outIdx[i]
			}
			o.Name = specs[k].Name
		}
		return &Response{Model: l.Name, Version: l.Version, Outputs: outs, Timing: r.timing}, nil
	case <-ctx.Done():
		// j stays with the queue or its worker, which will answer it.
		return nil, fmt.Errorf("serving: %s: %w", l.Name, context.Cause(ctx))
	}
}

// matchInputs orders the request's tensors as the model's inputs and checks
// dtypes and shapes. It returns the batch size (items along the leading
// dimension) when the model is Batchable, else 0.
func matchInputs(m Model, given []*tensor.Tensor, maxElements int) ([]*tensor.Tensor, int, error) {
	specs := m.Inputs()
	if len(given) != len(specs) {
		return nil, 0, fmt.Errorf("%w: model takes %d inputs, request has %d", ErrInvalid, len(specs), len(given))
	}
	out := make([]*tensor.Tensor, len(specs))
	total := 0
	for _, t := range given {
		if t == nil {
			return nil, 0, fmt.Errorf("%w: nil input", ErrInvalid)
		}
		k := -1
		for i, sp := range specs {
			if sp.Name == t.Name {
				k = i
				break
			}
		}
		if k < 0 && len(specs) == 1 {
			k = 0
		}
		if k < 0 {
			return nil, 0, fmt.Errorf("%w: model has no input %q", ErrInvalid, clip(t.Name))
		}
		if out[k] != nil {
			return nil, 0, fmt.Errorf("%w: input %q given twice", ErrInvalid, specs[k].Name)
		}
		if err := t.Validate(); err != nil {
			return nil, 0, fmt.Errorf("%w: input %q: %v", ErrInvalid, specs[k].Name, err)
		}
		total += t.Shape.Elements()
		if total > maxElements {
			return nil, 0, &LimitError{Limit: "MaxElements", Max: int64(maxElements)}
		}
		out[k] = t
	}
	batch := 0
	batchable := m.Batchable()
	for i, sp := range specs {
		t := out[i]
		if t.DType != sp.DType {
			return nil, 0, fmt.Errorf("%w: input %q is %s, model wants %s", ErrInvalid, sp.Name, t.DType, sp.DType)
		}
		ok := len(t.Shape) == len(sp.Shape)
		for d := 0; ok && d < len(sp.Shape); d++ {
			if sp.Shape[d] >= 0 && t.Shape[d] != sp.Shape[d] && !(d == 0 && batchable) {
				ok = false
			}
		}
		if !ok {
			return nil, 0, fmt.Errorf("%w: input %q has shape %s, model wants %s", ErrInvalid, sp.Name, t.Shape, sp.Shape)
		}
		if batchable {
			if t.Shape[0] < 1 {
				return nil, 0, fmt.Errorf("%w: input %q has an empty batch", ErrInvalid, sp.Name)
			}
			if i > 0 && t.Shape[0] != batch {
				return nil, 0, fmt.Errorf("%w: inputs disagree on the batch size (%d and %d)", ErrInvalid, batch, t.Shape[0])
			}
			batch = t.Shape[0]
		}
	}
	return out, batch, nil
}

// matchOutputs returns the indexes of the named outputs in the model's
// signature, or nil for all of them in signature order (no names).
func matchOutputs(m Model, names []string) ([]int, error) {
	specs := m.Outputs()
	if len(names) == 0 {
		return nil, nil
	}
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = -1
		for k, sp := range specs {
			if sp.Name == n {
				idx[i] = k
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("%w: model has no output %q", ErrInvalid, clip(n))
		}
	}
	return idx, nil
}
