package modelcache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/sync/semaphore"
)

// ErrCacheFull reports a load that found no room: every resident model
// stayed pinned until the load timed out.
var ErrCacheFull = errors.New("modelcache: cache full of pinned models")

// LoadFunc turns verified model bytes into the value the cache holds, and
// returns the bytes that value keeps in memory (file, prepared weights and
// runner arenas), which the cache charges against its budget. A charge of
// zero or less is taken as len(data). data is not modified afterwards by the
// cache; the value may keep it.
type LoadFunc[V any] func(ctx context.Context, key Key, data []byte) (value V, charge int64, err error)

// Options configure a Cache. Zero fields take the default in their comment.
type Options[V any] struct {
	// Load builds a value from model bytes. Default: TFLiteLoader() when V
	// is *tflite.Model; required otherwise.
	Load LoadFunc[V]
	// Warmup runs after Load with the model's config.json, before the
	// value is admitted (so before any Get returns it, and before a
	// revalidated model replaces the old one); an error fails the load.
	// Default: TFLiteWarmup (config.json's warmup_runs runs on zero
	// inputs) when V is *tflite.Model; none otherwise.
	Warmup func(ctx context.Context, key Key, cfg *Config, v V) error
	// OnUnload is called, outside the cache lock, once for every value the
	// cache drops, after its last Handle is released. Default: nil.
	OnUnload func(Key, V)
	// MaxBytes is the budget of resident bytes (the sum of the charges).
	// Default: 1 GiB.
	MaxBytes int64
	// MaxModelBytes caps the decoded size of one model file read from the
	// repository. Default: MaxBytes.
	MaxModelBytes int64
	// LoadBudget bounds the bytes of model files being read, decompressed
	// and loaded at once, over all loads, so that concurrent loads (of
	// model bombs, say) cannot multiply the memory one load may take. A
	// load charges it before reading a byte: a plain file its stored size,
	// a compressed one MaxModelBytes (its decoded size is known only once
	// read), a disk cache hit the bytes it reads; a charge over the whole
	// budget takes all of it. A load waits for its charge, first come
	// first served, within LoadTimeout, and returns it once the model is
	// loaded (its bytes are then charged to MaxBytes) or has failed.
	// Default: MaxModelBytes (one model of the largest size, or several
	// smaller ones, at a time).
	LoadBudget int64
	// TTL is how long a loaded model (and a model's listing) is used before
	// it is revalidated against the repository (ETag and checksum); the
	// check runs in the background while the old model keeps serving.
	// Default: 30s. Negative: never revalidate.
	TTL time.Duration
	// NegativeTTL is how long a failed load is remembered and returned to
	// new callers without another attempt, after the first failure of a
	// model version; each further failure of the same version doubles it,
	// up to MaxNegativeTTL (exponential backoff). A version whose object
	// changes in the listing (new ETag or size) is retried at once. A failed
	// listing is remembered for NegativeTTL. Default: 5s. Negative: never.
	NegativeTTL time.Duration
	// MaxNegativeTTL caps the backoff of a version that keeps failing.
	// Default: 5m.
	MaxNegativeTTL time.Duration
	// LoadTimeout bounds one load, from the first byte read to admission
	// (including waiting for pinned models to be released). Default: 2m.
	LoadTimeout time.Duration
	// DiskDir is the local disk cache directory. Default:
	// filepath.Join(os.TempDir(), DefaultDiskDirName).
	DiskDir string
	// DiskMaxBytes bounds the disk cache. Default: 4 GiB. Negative: no disk
	// cache.
	DiskMaxBytes int64
	// Logger receives one record per failed load (with the stack when the
	// load panicked) and per failed background revalidation: once per
	// attempt, never per request. Default: slog.Default().
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultMaxBytes     = 1 << 30
	DefaultTTL          = 30 * time.Second
	DefaultNegativeTTL  = 5 * time.Second
	DefaultMaxNegTTL    = 5 * time.Minute
	DefaultLoadTimeout  = 2 * time.Minute
	DefaultDiskMaxBytes = 4 << 30
	// maxRemembered bounds the maps keyed by caller-supplied names (failed
	// loads, model listings): beyond it expired records are swept and new
	// failures are not remembered.
	maxRemembered = 4096
	// relistAfter is the age past which a listing that does not hold a
	// version asked for by number is refreshed before the version is
	// called missing (a version added since the listing).
	relistAfter = time.Second
	// maxFallbackLoads bounds the versions one Get of a model's latest
	// version tries to load, newest first, when newer ones fail.
	maxFallbackLoads = 3
)

// Cache keeps models loaded from a Repository warm, bounded by bytes. It is
// safe for concurrent use. Get returns a pinned Handle the caller must
// Release; a pinned model is never unloaded. The caller must call Close.
type Cache[V any] struct {
	repo *Repository // never nil
	opts Options[V]  // immutable after New
	disk *diskCache  // nil when disabled

	ctx    context.Context // cancelled by Close; parent of loads
	cancel context.CancelFunc
	wg     sync.WaitGroup // background loads and revalidations
	ready  atomic.Bool

	mu          sync.Mutex
	closed      bool                           // guarded by mu
	lru         *simplelru.LRU[Key, *entry[V]] // guarded by mu; recency order only
	bytes       int64                          // guarded by mu; resident charge, retired-but-pinned included
	pinned      int                            // guarded by mu; entries with pins > 0
	flights     map[Key]*flight[V]             // guarded by mu
	neg         map[Key]failure                // guarded by mu
	models      map[string]*listing            // guarded by mu
	infoFlights map[string]*infoFlight         // guarded by mu
	waiters     int                            // guarded by mu; admissions waiting for room
	freed       chan struct{}                  // guarded by mu; closed when room may have appeared

	// loading is LoadBudget: the bytes of model files loads in flight
	// hold or may decode.
	loading *semaphore.Weighted

	st counters

	// now is the clock (time.Now; tests substitute their own). Immutable.
	now func() time.Time
}

// entry is one loaded model version.
type entry[V any] struct {
	key    Key
	val    V
	charge int64
	cfg    *Config
	sum    string // sha256 of the model bytes
	url    string
	etag   string
	size   int64
	mtime  time.Time

	pins         int       // guarded by Cache.mu
	retired      bool      // guarded by Cache.mu; out of the index, unloads at pins == 0
	unloaded     bool      // guarded by Cache.mu
	checked      time.Time // guarded by Cache.mu; last successful revalidation
	revalidating bool      // guarded by Cache.mu
}

// flight is one load in progress; done is closed when entry/err are set.
type flight[V any] struct {
	key      Key
	done     chan struct{}
	entry    *entry[V] // set before done is closed
	err      error     // set before done is closed
	waiters  int       // guarded by Cache.mu; Gets waiting, each owed a pin
	finished bool      // guarded by Cache.mu; entry and err are set
}

// failure is a remembered failed load of one version.
type failure struct {
	err      error
	until    time.Time   // no new attempt before this
	attempts int         // consecutive failures of the version
	obj      VersionInfo // the listing's entry for the version when it failed
}

// retryable reports whether f no longer blocks a load: its backoff has
// passed, or the listing shows a different object than the one that
// failed (vi is the current listing's entry; zero when not at hand).
func (f failure) retryable(now time.Time, vi VersionInfo) bool {
	if !now.Before(f.until) {
		return true
	}
	return vi.URL != "" && f.obj.URL != "" && (vi.URL != f.obj.URL || vi.ETag != f.obj.ETag || vi.Size != f.obj.Size)
}

// listing is a cached Repository.Model result.
type listing struct {
	mi  *ModelInfo
	err error
	at  time.Time
}

type infoFlight struct {
	done chan struct{}
	mi   *ModelInfo
	err  error
}

// New returns a cache of models from repo. It starts no goroutine; loads
// and revalidations run in goroutines that Close waits for.
func New[V any](repo *Repository, opts Options[V]) (*Cache[V], error) {
	if repo == nil {
		return nil, errors.New("modelcache: nil repository")
	}
	o := opts
	if o.Load == nil {
		l, ok := any(TFLiteLoader()).(LoadFunc[V])
		if !ok {
			return nil, errors.New("modelcache: Options.Load is required unless V is *tflite.Model")
		}
		o.Load = l
	}
	if o.Warmup == nil {
		if w, ok := any(TFLiteWarmup).(func(context.Context, Key, *Config, V) error); ok {
			o.Warmup = w
		}
	}
	switch {
	case o.MaxBytes < 0:
		return nil, fmt.Errorf("modelcache: MaxBytes %d < 0", o.MaxBytes)
	case o.MaxModelBytes < 0:
		return nil, fmt.Errorf("modelcache: MaxModelBytes %d < 0", o.MaxModelBytes)
	case o.LoadBudget < 0:
		return nil, fmt.Errorf("modelcache: LoadBudget %d < 0", o.LoadBudget)
	case o.LoadTimeout < 0:
		return nil, fmt.Errorf("modelcache: LoadTimeout %v < 0", o.LoadTimeout)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxModelBytes == 0 {
		o.MaxModelBytes = o.MaxBytes
	}
	if o.LoadBudget == 0 {
		o.LoadBudget = o.MaxModelBytes
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = DefaultNegativeTTL
	}
	if o.MaxNegativeTTL <= 0 {
		o.MaxNegativeTTL = DefaultMaxNegTTL
	}
	o.MaxNegativeTTL = max(o.MaxNegativeTTL, o.NegativeTTL)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.LoadTimeout == 0 {
		o.LoadTimeout = DefaultLoadTimeout
	}
	if o.DiskDir == "" {
		o.DiskDir = filepath.Join(os.TempDir(), DefaultDiskDirName)
	}
	if o.DiskMaxBytes == 0 {
		o.DiskMaxBytes = DefaultDiskMaxBytes
	}
	// The LRU keeps recency only; the byte budget is enforced here, so its
	// count bound is set beyond reach.
	lru, err := simplelru.NewLRU[Key, *entry[V]](1<<31-1, nil)
	if err != nil {
		return nil, fmt.Errorf("modelcache: %w", err)
	}
	c := &Cache[V]{
		repo:        repo,
		opts:        o,
		lru:         lru,
		flights:     map[Key]*flight[V]{},
		neg:         map[Key]failure{},
		models:      map[string]*listing{},
		infoFlights: map[string]*infoFlight{},
		freed:       make(chan struct{}),
		loading:     semaphore.NewWeighted(o.LoadBudget),
		now:         time.Now,
	}
	if o.DiskMaxBytes > 0 {
		d, err := openDisk(o.DiskDir, o.DiskMaxBytes)
		if err != nil {
			return nil, err
		}
		c.disk = d
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Handle is a pinned model: it stays loaded until Release. A Handle is
// used by one caller; Release is idempotent.
type Handle[V any] struct {
	c        *Cache[V]
	e        *entry[V]
	released atomic.Bool
}

// Value returns the loaded model. It stays valid until Release.
func (h *Handle[V]) Value() V { return h.e.val }

// Key returns the model version the handle pins.
func (h *Handle[V]) Key() Key { return h.e.key }

// Config returns the model's config.json as of the load. Never nil;
// immutable.
func (h *Handle[V]) Config() *Config { return h.e.cfg }

// SHA256 returns the hex sha256 of the model bytes.
func (h *Handle[V]) SHA256() string { return h.e.sum }

// Release unpins the model. A model evicted or replaced while pinned is
// unloaded by its last Release. Calls after the first do nothing.
func (h *Handle[V]) Release() {
	if !h.released.CompareAndSwap(false, true) {
		return
	}
	c, e := h.c, h.e
	c.mu.Lock()
	e.pins--
	var drop bool
	if e.pins == 0 {
		c.pinned--
		if e.retired && !e.unloaded {
			e.unloaded = true
			c.bytes -= e.charge
			drop = true
		}
		c.signalLocked()
	}
	c.mu.Unlock()
	if drop {
		c.unload(e)
	}
}

// Get returns the model ref names, pinned; the caller must Release it. On a
// miss one load runs for all concurrent callers of the same version, and
// each gets its result or the same error. A caller whose ctx ends stops
// waiting; the load goes on for the others.
//
// A ref naming the latest version (no version, no label, or "latest")
// gets the newest served version that is resident or can load: while a
// newer version loads, or after it failed (until its backoff ends or its
// object changes), the newest resident older version keeps serving; with
// none resident, up to three versions are tried, newest first, and the
// newest one's error is returned when all fail.
func (c *Cache[V]) Get(ctx context.Context, ref Ref) (*Handle[V], error) {
	now := c.now() // one clock read per Get: it is a third of a hit's cost
	if ref.Version == 0 && (ref.Label == "" || ref.Label == LatestLabel) {
		return c.getLatest(ctx, ref.Model, now)
	}
	key, err := c.resolve(ctx, ref, now)
	if err != nil {
		return nil, err
	}
	return c.get(ctx, key, now)
}

// getLatest implements Get for the latest version of model.
func (c *Cache[V]) getLatest(ctx context.Context, model string, now time.Time) (*Handle[V], error) {
	if err := CheckModelName(model); err != nil {
		return nil, err
	}
	mi, err := c.modelInfo(ctx, model, now, c.opts.TTL)
	if err != nil {
		return nil, err
	}
	if mi.Err != nil {
		return nil, mi.Err
	}
	var first error
	tries := 0
	for i := len(mi.Versions) - 1; i >= 0 && tries < maxFallbackLoads; i-- {
		vi := mi.Versions[i]
		if !mi.served(vi.Version) {
			continue
		}
		key := Key{Model: model, Version: vi.Version}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		if e, ok := c.lru.Get(key); ok {
			return c.hitLocked(e, now), nil
		}
		if f, ok := c.neg[key]; ok {
			if !f.retryable(now, vi) {
				c.mu.Unlock()
				c.st.negativeHits.Add(1)
				if first == nil {
					first = f.err
				}
				continue
			}
			f.until = time.Time{} // the object changed or the backoff ended: retry
			c.neg[key] = f
		}
		if e := c.residentBelowLocked(mi, i); e != nil {
			// Serve the older version while this one loads in the background.
			if c.flights[key] == nil {
				c.startLoadLocked(key)
			}
			return c.hitLocked(e, now), nil
		}
		c.mu.Unlock()
		h, err := c.get(ctx, key, now)
		if err == nil {
			return h, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if first == nil {
			first = err
		}
		tries++
	}
	if first == nil {
		first = fmt.Errorf("%w: %s: no served version", ErrModelNotFound, model)
	}
	return nil, first
}

// residentBelowLocked returns the newest resident served version of mi
// older than mi.Versions[i], or nil.
func (c *Cache[V]) residentBelowLocked(mi *ModelInfo, i int) *entry[V] {
	for j := i - 1; j >= 0; j-- {
		v := mi.Versions[j].Version
		if !mi.served(v) {
			continue
		}
		if e, ok := c.lru.Get(Key{Model: mi.Name, Version: v}); ok {
			return e
		}
	}
	return nil
}

// hitLocked pins e for the caller, unlocks and counts a hit.
func (c *Cache[V]) hitLocked(e *entry[V], now time.Time) *Handle[V] {
	c.pinLocked(e)
	c.maybeRevalidateLocked(e, now)
	c.mu.Unlock()
	c.st.hits.Add(1)
	return &Handle[V]{c: c, e: e}
}

// resolve turns ref into a Key, listing the model when ref names a label
// or the latest version.
func (c *Cache[V]) resolve(ctx context.Context, ref Ref, now time.Time) (Key, error) {
	if err := CheckModelName(ref.Model); err != nil {
		return Key{}, err
	}
	if ref.Version < 0 {
		return Key{}, fmt.Errorf("%w: %s: negative version", ErrBadRef, ref.Model)
	}
	if ref.Version > 0 {
		return Key{Model: ref.Model, Version: ref.Version}, nil
	}
	mi, err := c.modelInfo(ctx, ref.Model, now, c.opts.TTL)
	if err != nil {
		return Key{}, err
	}
	v, err := mi.Resolve(ref)
	if err != nil {
		return Key{}, err
	}
	return Key{Model: ref.Model, Version: v}, nil
}

func (c *Cache[V]) get(ctx context.Context, key Key, now time.Time) (*Handle[V], error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if e, ok := c.lru.Get(key); ok {
		return c.hitLocked(e, now), nil
	}
	if f, ok := c.neg[key]; ok && !f.retryable(now, VersionInfo{}) {
		c.mu.Unlock()
		c.st.negativeHits.Add(1)
		return nil, f.err
	}
	fl := c.flights[key]
	if fl == nil {
		fl = c.startLoadLocked(key)
	}
	// The load pins the model once for every waiter when it admits it, so
	// that it cannot be evicted before the waiters take it.
	fl.waiters++
	c.mu.Unlock()
	c.st.misses.Add(1)
	select {
	case <-fl.done:
		if fl.err != nil {
			return nil, fl.err
		}
		return &Handle[V]{c: c, e: fl.entry}, nil
	case <-ctx.Done():
	}
	c.mu.Lock()
	if !fl.finished {
		fl.waiters--
		c.mu.Unlock()
	} else {
		c.mu.Unlock()
		if fl.err == nil {
			(&Handle[V]{c: c, e: fl.entry}).Release() // the pin taken for us
		}
	}
	return nil, fmt.Errorf("modelcache: waiting for %s: %w", key, context.Cause(ctx))
}

func (c *Cache[V]) pinLocked(e *entry[V]) {
	if e.pins == 0 {
		c.pinned++
	}
	e.pins++
}

// signalLocked wakes admissions waiting for room, if any.
func (c *Cache[V]) signalLocked() {
	if c.waiters > 0 {
		close(c.freed)
		c.freed = make(chan struct{})
	}
}

// startLoadLocked registers and starts the load of key.
func (c *Cache[V]) startLoadLocked(key Key) *flight[V] {
	fl := &flight[V]{key: key, done: make(chan struct{})}
	c.flights[key] = fl
	c.wg.Add(1)
	go c.runLoad(key, fl)
	return fl
}

func (c *Cache[V]) runLoad(key Key, fl *flight[V]) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.LoadTimeout)
	defer cancel()
	start := time.Now()
	e, vi, stack, err := c.loadSafely(ctx, key)
	if err == nil {
		err = c.admit(ctx, e, fl) // completes fl on success
	}
	c.st.loadNanos.Add(int64(time.Since(start)))
	if err == nil {
		close(fl.done) // admit counted the load
		return
	}
	c.st.loadErrors.Add(1)
	c.mu.Lock()
	c.finishLocked(fl, nil, err)
	closed := c.closed
	f := failure{err: err, attempts: 1}
	if c.opts.NegativeTTL > 0 && !closed {
		f = c.rememberFailureLocked(key, vi, err)
	}
	c.mu.Unlock()
	// Log (outside the lock) before waking the waiters, so that a caller
	// that sees the failure can also rely on it having been logged.
	if !closed {
		c.logFailure(key, f, stack)
	}
	close(fl.done)
}

// loadSafely is load with a panic (a bug reached through the model's
// bytes, in the LoadFunc or below) turned into the load's error; stack is
// the panic's stack, nil otherwise.
func (c *Cache[V]) loadSafely(ctx context.Context, key Key) (e *entry[V], vi VersionInfo, stack []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.st.loadPanics.Add(1)
			e, stack, err = nil, debug.Stack(), fmt.Errorf("modelcache: load %s: panic: %v", key, p)
		}
	}()
	e, vi, err = c.load(ctx, key)
	return e, vi, nil, err
}

// rememberFailureLocked records a failed load of key, whose listing entry
// was vi, with its backoff: the first failure of an object is remembered
// for NegativeTTL, each further one twice as long as the one before, up to
// MaxNegativeTTL.
func (c *Cache[V]) rememberFailureLocked(key Key, vi VersionInfo, err error) failure {
	now := c.now()
	f := failure{err: err, attempts: 1, obj: vi}
	prev, had := c.neg[key]
	if had && prev.obj == vi {
		f.attempts = prev.attempts + 1
	}
	f.until = now.Add(c.backoff(f.attempts))
	if !had && len(c.neg) >= maxRemembered {
		for k, old := range c.neg {
			if now.Sub(old.until) > c.opts.MaxNegativeTTL {
				delete(c.neg, k)
			}
		}
	}
	if had || len(c.neg) < maxRemembered {
		c.neg[key] = f
	}
	return f
}

// backoff returns how long the attempts-th consecutive failure of a
// version is remembered.
func (c *Cache[V]) backoff(attempts int) time.Duration {
	d := c.opts.NegativeTTL
	for i := 1; i < attempts && d < c.opts.MaxNegativeTTL; i++ {
		d *= 2
	}
	return min(d, c.opts.MaxNegativeTTL)
}

// logFailure logs one failed load: once per attempt, whatever the number
// of callers that waited for it. A version missing from the repository is
// logged at debug level (anyone can ask for one).
func (c *Cache[V]) logFailure(key Key, f failure, stack []byte) {
	level := slog.LevelError
	if errors.Is(f.err, ErrModelNotFound) {
		level = slog.LevelDebug
	}
	attrs := []any{"model", key.Model, "version", key.Version, "err", f.err, "attempt", f.attempts}
	if !f.until.IsZero() {
		attrs = append(attrs, "retry_after", f.until.Sub(c.now()).Round(time.Millisecond).String())
	}
	if stack != nil {
		attrs = append(attrs, "panic", true, "stack", string(stack))
	}
	c.opts.Logger.Log(context.Background(), level, "model load failed", attrs...)
}

// finishLocked records the outcome of fl and takes it out of the flights;
// the caller closes fl.done after unlocking.
func (c *Cache[V]) finishLocked(fl *flight[V], e *entry[V], err error) {
	if c.flights[fl.key] == fl {
		delete(c.flights, fl.key)
	}
	fl.entry, fl.err, fl.finished = e, err, true
	if e != nil {
		for range fl.waiters {
			c.pinLocked(e)
		}
	}
}

// load reads, verifies and loads one model version, and returns the
// listing's entry for it (also on failure, when known). It does not touch
// the index. Bytes enter the disk cache only once they have loaded.
func (c *Cache[V]) load(ctx context.Context, key Key) (*entry[V], VersionInfo, error) {
	mi, err := c.modelInfo(ctx, key.Model, c.now(), c.opts.TTL)
	if err != nil {
		return nil, VersionInfo{}, err
	}
	if _, err := mi.Resolve(Ref{Model: key.Model, Version: key.Version}); err != nil {
		if !errors.Is(err, ErrModelNotFound) {
			return nil, VersionInfo{}, err
		}
		// The listing may predate the version: list again (at most once
		// per relistAfter) before calling it missing.
		if mi, err = c.modelInfo(ctx, key.Model, c.now(), relistAfter); err != nil {
			return nil, VersionInfo{}, err
		}
		if _, err := mi.Resolve(Ref{Model: key.Model, Version: key.Version}); err != nil {
			return nil, VersionInfo{}, err
		}
	}
	vi, _ := mi.Version(key.Version)
	data, e, fromDisk, release, err := c.fetch(ctx, vi.URL, mi.Config.ExpectedSHA256(key.Version))
	if err != nil {
		if errors.Is(err, ErrModelNotFound) {
			c.forgetListing(key.Model) // listed, but gone: the listing is stale
		}
		return nil, vi, fmt.Errorf("%w (model %s)", err, key)
	}
	defer release() // the bytes are the entry's (charged to MaxBytes) or garbage
	val, charge, err := c.opts.Load(ctx, key, data)
	if err != nil {
		if fromDisk {
			c.disk.drop(e.sum)
		}
		return nil, vi, fmt.Errorf("modelcache: load %s: %w", key, err)
	}
	if c.opts.Warmup != nil {
		if err := c.opts.Warmup(ctx, key, mi.Config, val); err != nil {
			c.unload(&entry[V]{key: key, val: val})
			if fromDisk {
				c.disk.drop(e.sum)
			}
			return nil, vi, fmt.Errorf("modelcache: warm up %s: %w", key, err)
		}
	}
	if charge <= 0 {
		charge = int64(len(data))
	}
	if charge > c.opts.MaxBytes {
		c.unload(&entry[V]{key: key, val: val})
		return nil, vi, fmt.Errorf("%w: %s needs %d bytes, the cache holds %d", ErrTooLarge, key, charge, c.opts.MaxBytes)
	}
	if c.disk != nil && !fromDisk {
		if err := c.disk.put(e.sum, data, e.url, e.etag); err != nil {
			c.st.diskErrors.Add(1)
		}
	}
	e.key, e.val, e.charge, e.cfg = key, val, charge, mi.Config
	e.checked = c.now()
	return e, vi, nil
}

// forgetListing drops the cached listing of model, so that the next use
// lists it again.
func (c *Cache[V]) forgetListing(model string) {
	c.mu.Lock()
	delete(c.models, model)
	c.mu.Unlock()
}

// fetch returns the verified bytes of the model object at url, from the
// disk cache when it holds them (fromDisk), and an entry with the object's
// identity filled in. An object whose stored size is over MaxModelBytes is
// refused before any byte of it is read; a compressed one is decoded no
// further than MaxModelBytes. Its charge to LoadBudget is taken before
// any byte is read; the caller calls release (only when err is nil) once
// it no longer needs data beyond what the cache charges.
func (c *Cache[V]) fetch(ctx context.Context, url, want string) (data []byte, e *entry[V], fromDisk bool, release func(), err error) {
	a, err := c.repo.stat(ctx, url)
	if err != nil {
		return nil, nil, false, nil, fmt.Errorf("modelcache: stat: %w", err)
	}
	if a.Size > c.opts.MaxModelBytes {
		return nil, nil, false, nil, fmt.Errorf("%w: %s is %d bytes, over the %d-byte model size limit", ErrTooLarge, url, a.Size, c.opts.MaxModelBytes)
	}
	n := c.opts.MaxModelBytes // a compressed file may decode to the limit
	if isPlainModel(url) {
		n = a.Size
	}
	n = min(max(n, 1), c.opts.LoadBudget)
	if err := c.loading.Acquire(ctx, n); err != nil {
		return nil, nil, false, nil, fmt.Errorf("modelcache: waiting for the load budget (%d bytes): %w", c.opts.LoadBudget, err)
	}
	defer func() {
		if err != nil {
			c.loading.Release(n)
		}
	}()
	e = &entry[V]{url: url, etag: a.ETag, size: a.Size, mtime: a.ModTime}
	if c.disk != nil {
		sum := want
		if sum == "" && a.SHA256 != "" && isPlainModel(url) {
			sum = a.SHA256
		}
		if sum == "" {
			sum = c.disk.lookup(url, a.ETag)
		}
		if sum != "" {
			if data, ok := c.disk.get(sum); ok && (want == "" || want == sum) {
				c.st.diskHits.Add(1)
				e.sum = sum
				return data, e, true, func() { c.loading.Release(n) }, nil
			}
		}
	}
	data, ra, err := c.repo.fetch(ctx, url, c.opts.MaxModelBytes)
	if err != nil {
		return nil, nil, false, nil, fmt.Errorf("modelcache: read: %w", err)
	}
	sum := sha256Hex(data)
	if want != "" && sum != want {
		return nil, nil, false, nil, fmt.Errorf("%w: %s: config.json records sha256 %s, the bytes hash to %s", ErrChecksum, url, want, sum)
	}
	if ra.SHA256 != "" && isPlainModel(url) && ra.Size == int64(len(data)) && ra.SHA256 != sum {
		return nil, nil, false, nil, fmt.Errorf("%w: %s: the object store records sha256 %s, the bytes hash to %s", ErrChecksum, url, ra.SHA256, sum)
	}
	e.etag, e.size, e.mtime, e.sum = ra.ETag, ra.Size, ra.ModTime, sum
	return data, e, false, func() { c.loading.Release(n) }, nil
}

// isPlainModel reports whether url names an uncompressed model file, whose
// stored checksum is the checksum of the model bytes.
func isPlainModel(url string) bool { return strings.HasSuffix(url, "/"+modelFiles[0]) }

// admit makes room for e (evicting unpinned models, least recently used
// first, and waiting for pinned ones to be released) and indexes it,
// replacing and retiring any older entry for the same key, and finishes fl
// with it (pinned for each waiter) under the same lock, where it also
// counts the load.
func (c *Cache[V]) admit(ctx context.Context, e *entry[V], fl *flight[V]) error {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			c.unload(e)
			return ErrClosed
		}
		victims := c.evictLocked(e.charge)
		if c.bytes+e.charge <= c.opts.MaxBytes {
			if old, ok := c.lru.Peek(e.key); ok {
				c.lru.Remove(e.key)
				if v := c.retireLocked(old); v != nil {
					victims = append(victims, v)
				}
				c.st.swaps.Add(1)
			}
			// Counted before the entry is visible: a Get that hits it
			// (a swapped-in version, say) finds the load in Stats.
			c.st.loads.Add(1)
			c.lru.Add(e.key, e)
			c.bytes += e.charge
			delete(c.neg, e.key) // loaded: the version's backoff starts over
			c.finishLocked(fl, e, nil)
			c.mu.Unlock()
			c.unload(victims...)
			return nil
		}
		wait := c.freed
		c.waiters++
		c.mu.Unlock()
		c.unload(victims...)
		var err error
		select {
		case <-wait:
		case <-ctx.Done():
			err = ctx.Err()
		}
		c.mu.Lock()
		c.waiters--
		c.mu.Unlock()
		if err != nil {
			c.unload(e)
			return fmt.Errorf("%w: no room for %s (%d bytes) within %v: %w", ErrCacheFull, e.key, e.charge, c.opts.LoadTimeout, err)
		}
	}
}

// evictLocked removes unpinned entries, least recently used first, until
// need more bytes fit or none is left. It returns them for unloading.
func (c *Cache[V]) evictLocked(need int64) []*entry[V] {
	if c.bytes+need <= c.opts.MaxBytes {
		return nil
	}
	var out []*entry[V]
	for _, k := range c.lru.Keys() { // oldest first
		if c.bytes+need <= c.opts.MaxBytes {
			break
		}
		e, _ := c.lru.Peek(k)
		if e.pins > 0 {
			continue
		}
		c.lru.Remove(k)
		e.retired, e.unloaded = true, true
		c.bytes -= e.charge
		c.st.evictions.Add(1)
		out = append(out, e)
	}
	return out
}

// retireLocked marks e (already out of the index) for unloading. It returns
// e when it can be unloaded now, nil when its last Release will do it.
func (c *Cache[V]) retireLocked(e *entry[V]) *entry[V] {
	e.retired = true
	if e.pins > 0 || e.unloaded {
		return nil
	}
	e.unloaded = true
	c.bytes -= e.charge
	c.signalLocked()
	return e
}

// unload runs OnUnload for each entry; never call it with mu held.
func (c *Cache[V]) unload(es ...*entry[V]) {
	for _, e := range es {
		c.st.unloads.Add(1)
		if c.opts.OnUnload != nil {
			c.opts.OnUnload(e.key, e.val)
		}
	}
}

// Peek returns the model version key, pinned, when it is resident, without
// loading it, touching its recency or revalidating it. The caller must
// Release a non-nil Handle.
func (c *Cache[V]) Peek(key Key) (*Handle[V], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.lru.Peek(key)
	if !ok || c.closed {
		return nil, false
	}
	c.pinLocked(e)
	return &Handle[V]{c: c, e: e}, true
}

// Remove drops the model version key from the cache: it is unloaded now,
// or by its last Release when pinned. It reports whether key was resident.
func (c *Cache[V]) Remove(key Key) bool {
	c.mu.Lock()
	e, ok := c.lru.Peek(key)
	var v *entry[V]
	if ok {
		c.lru.Remove(key)
		v = c.retireLocked(e)
		c.st.evictions.Add(1)
	}
	c.mu.Unlock()
	if v != nil {
		c.unload(v)
	}
	return ok
}

// modelInfo returns the listing of a model, cached for TTL (failures for
// NegativeTTL) or maxAge when shorter; concurrent callers share one
// listing.
func (c *Cache[V]) modelInfo(ctx context.Context, name string, now time.Time, maxAge time.Duration) (*ModelInfo, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if l := c.models[name]; l != nil && c.freshLocked(l, now, maxAge) {
		c.mu.Unlock()
		return l.mi, l.err
	}
	fl := c.infoFlights[name]
	if fl == nil {
		fl = &infoFlight{done: make(chan struct{})}
		c.infoFlights[name] = fl
		c.wg.Add(1)
		go c.runInfo(name, fl)
	}
	c.mu.Unlock()
	select {
	case <-fl.done:
		return fl.mi, fl.err
	case <-ctx.Done():
		return nil, fmt.Errorf("modelcache: listing model %q: %w", name, context.Cause(ctx))
	}
}

func (c *Cache[V]) freshLocked(l *listing, now time.Time, maxAge time.Duration) bool {
	ttl := c.opts.TTL
	if l.err != nil {
		ttl = c.opts.NegativeTTL
	}
	if maxAge > 0 && (ttl < 0 || maxAge < ttl) {
		ttl = maxAge
	}
	return ttl < 0 || now.Sub(l.at) < ttl
}

func (c *Cache[V]) runInfo(name string, fl *infoFlight) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.LoadTimeout)
	mi, err := c.listSafely(ctx, name)
	cancel()
	now := c.now()
	c.mu.Lock()
	delete(c.infoFlights, name)
	fl.mi, fl.err = mi, err
	keep := err == nil || c.opts.NegativeTTL > 0
	if keep && len(c.models) >= maxRemembered {
		for n, l := range c.models {
			if !c.freshLocked(l, now, c.opts.TTL) {
				delete(c.models, n)
			}
		}
	}
	if keep && (len(c.models) < maxRemembered || c.models[name] != nil) {
		c.models[name] = &listing{mi: mi, err: err, at: now}
	}
	c.mu.Unlock()
	close(fl.done)
}

// listSafely is Repository.Model with a panic turned into the listing's
// error (and logged with its stack).
func (c *Cache[V]) listSafely(ctx context.Context, name string) (mi *ModelInfo, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.st.loadPanics.Add(1)
			mi, err = nil, fmt.Errorf("modelcache: list model %q: panic: %v", name, p)
			c.opts.Logger.Error("model listing failed", "model", name, "err", err, "panic", true, "stack", string(debug.Stack()))
		}
	}()
	return c.repo.Model(ctx, name)
}

// maybeRevalidateLocked starts a background revalidation of e when its TTL
// has passed.
func (c *Cache[V]) maybeRevalidateLocked(e *entry[V], now time.Time) {
	if c.opts.TTL < 0 || e.revalidating || e.retired || now.Sub(e.checked) < c.opts.TTL {
		return
	}
	e.revalidating = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(c.ctx, c.opts.LoadTimeout)
		_, err := c.revalidateSafely(ctx, e)
		cancel()
		now := c.now()
		c.mu.Lock()
		e.revalidating = false
		closed := c.closed
		if err != nil && c.opts.NegativeTTL > 0 {
			// Serve on and check again after the version's backoff (the
			// failed reload's, when it was the reload that failed) rather
			// than after TTL.
			delay := c.opts.NegativeTTL
			if f, ok := c.neg[e.key]; ok {
				delay = max(delay, f.until.Sub(now))
			}
			e.checked = now.Add(delay - c.opts.TTL)
		}
		c.mu.Unlock()
		if err != nil && !closed && !errors.Is(err, errReload) {
			// A failed reload was logged by its load.
			c.opts.Logger.Warn("model revalidation failed; serving the loaded version", "model", e.key.Model, "version", e.key.Version, "err", err)
		}
	}()
}

// errReload marks a revalidation that failed because the changed model
// failed to load (the load logged it).
var errReload = errors.New("modelcache: reload failed")

// revalidateSafely is revalidate with a panic turned into its error (and
// logged with its stack).
func (c *Cache[V]) revalidateSafely(ctx context.Context, e *entry[V]) (changed bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.st.loadPanics.Add(1)
			changed, err = false, fmt.Errorf("modelcache: revalidate %s: panic: %v", e.key, p)
			c.opts.Logger.Error("model revalidation failed", "model", e.key.Model, "version", e.key.Version, "err", err, "panic", true, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %w", errReload, err) // logged here already
		}
	}()
	return c.revalidate(ctx, e)
}

// Revalidate checks the resident model version key against the repository
// now. When the object (its ETag, size or modification time) or the
// checksum config.json records has changed, the new bytes are loaded beside
// the old model and swapped in atomically; handles already taken keep the
// old model until they are released. A version gone from the repository is
// removed. It reports whether key was replaced or removed; a key not
// resident is (false, nil).
func (c *Cache[V]) Revalidate(ctx context.Context, key Key) (bool, error) {
	c.mu.Lock()
	e, ok := c.lru.Peek(key)
	c.mu.Unlock()
	if !ok {
		return false, nil
	}
	return c.revalidate(ctx, e)
}

func (c *Cache[V]) revalidate(ctx context.Context, e *entry[V]) (bool, error) {
	c.st.revalidations.Add(1)
	changed, gone, err := c.changed(ctx, e)
	if gone {
		c.mu.Lock()
		var v *entry[V]
		if cur, ok := c.lru.Peek(e.key); ok && cur == e {
			c.lru.Remove(e.key)
			v = c.retireLocked(e)
			c.st.evictions.Add(1)
		}
		c.mu.Unlock()
		if v != nil {
			c.unload(v)
		}
		return true, nil
	}
	if err != nil {
		c.st.revalidationErrors.Add(1)
		return false, err
	}
	if !changed {
		c.mu.Lock()
		e.checked = c.now()
		c.mu.Unlock()
		return false, nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false, ErrClosed
	}
	fl := c.flights[e.key]
	if fl == nil {
		fl = c.startLoadLocked(e.key)
	}
	c.mu.Unlock()
	select {
	case <-fl.done:
	case <-ctx.Done():
		return false, fmt.Errorf("modelcache: revalidating %s: %w", e.key, context.Cause(ctx))
	}
	if fl.err != nil {
		c.st.revalidationErrors.Add(1)
		return false, fmt.Errorf("%w: %w", errReload, fl.err)
	}
	return true, nil
}

// changed compares e with the repository. gone reports a version no longer
// listed or served (a failure to reach the repository is err, not gone).
func (c *Cache[V]) changed(ctx context.Context, e *entry[V]) (changed, gone bool, err error) {
	mi, err := c.modelInfo(ctx, e.key.Model, c.now(), c.opts.TTL)
	if err != nil {
		return false, errors.Is(err, ErrModelNotFound), err
	}
	if _, err := mi.Resolve(Ref{Model: e.key.Model, Version: e.key.Version}); err != nil {
		return false, errors.Is(err, ErrModelNotFound), err
	}
	if want := mi.Config.ExpectedSHA256(e.key.Version); want != "" && want != e.sum {
		return true, false, nil
	}
	vi, _ := mi.Version(e.key.Version)
	if vi.URL != e.url {
		return true, false, nil
	}
	a, err := c.repo.stat(ctx, e.url)
	if err != nil {
		gone := errors.Is(err, objstore.ErrNotFound)
		if gone {
			c.forgetListing(e.key.Model) // it still lists the version
		}
		return false, gone, err
	}
	return a.ETag != e.etag || a.Size != e.size || !a.ModTime.Equal(e.mtime), false, nil
}

// Preload loads every ref and releases it, one after the other, so the
// cache starts warm. Ready reports true once a Preload call has returned
// nil; a failed Preload may be retried. Errors are joined, one per ref.
func (c *Cache[V]) Preload(ctx context.Context, refs []Ref) error {
	var errs []error
	for _, r := range refs {
		h, err := c.Get(ctx, r)
		if err != nil {
			errs = append(errs, fmt.Errorf("modelcache: preload %s: %w", r, err))
			continue
		}
		h.Release()
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.ready.Store(true)
	return nil
}

// Failure describes a model version whose last load failed.
type Failure struct {
	// Key is the version.
	Key Key
	// Err is the error of its last load.
	Err error
	// Attempts counts its consecutive failed loads of the same object.
	Attempts int
	// RetryAt is when the backoff ends: no load of it starts before then
	// unless its object changes in the repository.
	RetryAt time.Time
	// Serving reports that an earlier load of the version is resident and
	// still serves (a changed object failed to load).
	Serving bool
}

// Failures returns the versions of model whose last load failed,
// ascending by version: what a status page reports instead of failing
// every request for them.
func (c *Cache[V]) Failures(model string) []Failure {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Failure
	for k, f := range c.neg {
		if k.Model != model {
			continue
		}
		_, serving := c.lru.Peek(k)
		out = append(out, Failure{Key: k, Err: f.err, Attempts: f.attempts, RetryAt: f.until, Serving: serving})
	}
	slices.SortFunc(out, func(a, b Failure) int { return cmp.Compare(a.Key.Version, b.Key.Version) })
	return out
}

// Ready reports whether a Preload call has completed without error.
func (c *Cache[V]) Ready() bool { return c.ready.Load() }

// Close stops revalidations and loads, waits for their goroutines, and
// unloads every model not pinned; pinned ones are unloaded by their last
// Release. Calls after the first do nothing.
func (c *Cache[V]) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	var victims []*entry[V]
	for _, e := range c.lru.Values() {
		if v := c.retireLocked(e); v != nil {
			victims = append(victims, v)
		}
	}
	c.lru.Purge()
	c.signalLocked()
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	c.unload(victims...)
	return nil
}
