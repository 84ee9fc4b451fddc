package modelcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/hashicorp/golang-lru/v2/simplelru"
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
	// TTL is how long a loaded model (and a model's listing) is used before
	// it is revalidated against the repository (ETag and checksum); the
	// check runs in the background while the old model keeps serving.
	// Default: 30s. Negative: never revalidate.
	TTL time.Duration
	// NegativeTTL is how long a failed load is remembered and returned to
	// new callers without another attempt. Default: 5s. Negative: never.
	NegativeTTL time.Duration
	// LoadTimeout bounds one load, from the first byte read to admission
	// (including waiting for pinned models to be released). Default: 2m.
	LoadTimeout time.Duration
	// DiskDir is the local disk cache directory. Default:
	// filepath.Join(os.TempDir(), DefaultDiskDirName).
	DiskDir string
	// DiskMaxBytes bounds the disk cache. Default: 4 GiB. Negative: no disk
	// cache.
	DiskMaxBytes int64
}

// Defaults of Options.
const (
	DefaultMaxBytes     = 1 << 30
	DefaultTTL          = 30 * time.Second
	DefaultNegativeTTL  = 5 * time.Second
	DefaultLoadTimeout  = 2 * time.Minute
	DefaultDiskMaxBytes = 4 << 30
	// maxRemembered bounds the maps keyed by caller-supplied names (failed
	// loads, model listings): beyond it expired records are swept and new
	// failures are not remembered.
	maxRemembered = 4096
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

	st counters
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

type failure struct {
	err   error
	until time.Time
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
	case o.LoadTimeout < 0:
		return nil, fmt.Errorf("modelcache: LoadTimeout %v < 0", o.LoadTimeout)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxModelBytes == 0 {
		o.MaxModelBytes = o.MaxBytes
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = DefaultNegativeTTL
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
func (c *Cache[V]) Get(ctx context.Context, ref Ref) (*Handle[V], error) {
	now := time.Now() // one clock read per Get: it is a third of a hit's cost
	key, err := c.resolve(ctx, ref, now)
	if err != nil {
		return nil, err
	}
	return c.get(ctx, key, now)
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
	mi, err := c.modelInfo(ctx, ref.Model, now)
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
		c.pinLocked(e)
		c.maybeRevalidateLocked(e, now)
		c.mu.Unlock()
		c.st.hits.Add(1)
		return &Handle[V]{c: c, e: e}, nil
	}
	if f, ok := c.neg[key]; ok {
		if now.Before(f.until) {
			c.mu.Unlock()
			c.st.negativeHits.Add(1)
			return nil, f.err
		}
		delete(c.neg, key)
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
	e, err := c.load(ctx, key)
	if err == nil {
		err = c.admit(ctx, e, fl) // completes fl on success
	}
	c.st.loadNanos.Add(int64(time.Since(start)))
	if err == nil {
		c.st.loads.Add(1)
		close(fl.done)
		return
	}
	c.st.loadErrors.Add(1)
	c.mu.Lock()
	c.finishLocked(fl, nil, err)
	if c.opts.NegativeTTL > 0 && !c.closed {
		now := time.Now()
		if len(c.neg) >= maxRemembered {
			for k, f := range c.neg {
				if !now.Before(f.until) {
					delete(c.neg, k)
				}
			}
		}
		if len(c.neg) < maxRemembered {
			c.neg[key] = failure{err: err, until: now.Add(c.opts.NegativeTTL)}
		}
	}
	c.mu.Unlock()
	close(fl.done)
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

// load reads, verifies and loads one model version. It does not touch the
// index.
func (c *Cache[V]) load(ctx context.Context, key Key) (*entry[V], error) {
	mi, err := c.modelInfo(ctx, key.Model, time.Now())
	if err != nil {
		return nil, err
	}
	if _, err := mi.Resolve(Ref{Model: key.Model, Version: key.Version}); err != nil {
		return nil, err
	}
	vi, _ := mi.Version(key.Version)
	data, e, err := c.fetch(ctx, vi.URL, mi.Config.ExpectedSHA256(key.Version))
	if err != nil {
		return nil, fmt.Errorf("%w (model %s)", err, key)
	}
	val, charge, err := c.opts.Load(ctx, key, data)
	if err != nil {
		return nil, fmt.Errorf("modelcache: load %s: %w", key, err)
	}
	if c.opts.Warmup != nil {
		if err := c.opts.Warmup(ctx, key, mi.Config, val); err != nil {
			c.unload(&entry[V]{key: key, val: val})
			return nil, fmt.Errorf("modelcache: warm up %s: %w", key, err)
		}
	}
	if charge <= 0 {
		charge = int64(len(data))
	}
	if charge > c.opts.MaxBytes {
		c.unload(&entry[V]{key: key, val: val})
		return nil, fmt.Errorf("%w: %s needs %d bytes, the cache holds %d", ErrTooLarge, key, charge, c.opts.MaxBytes)
	}
	e.key, e.val, e.charge, e.cfg = key, val, charge, mi.Config
	e.checked = time.Now()
	return e, nil
}

// fetch returns the verified bytes of the model object at url, from the
// disk cache when it holds them, and an entry with the object's identity
// filled in.
func (c *Cache[V]) fetch(ctx context.Context, url, want string) ([]byte, *entry[V], error) {
	a, err := c.repo.stat(ctx, url)
	if err != nil {
		return nil, nil, fmt.Errorf("modelcache: stat: %w", err)
	}
	e := &entry[V]{url: url, etag: a.ETag, size: a.Size, mtime: a.ModTime}
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
				return data, e, nil
			}
		}
	}
	data, ra, err := c.repo.fetch(ctx, url, c.opts.MaxModelBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("modelcache: read: %w", err)
	}
	sum := sha256Hex(data)
	if want != "" && sum != want {
		return nil, nil, fmt.Errorf("%w: %s: config.json records sha256 %s, the bytes hash to %s", ErrChecksum, url, want, sum)
	}
	if ra.SHA256 != "" && isPlainModel(url) && ra.Size == int64(len(data)) && ra.SHA256 != sum {
		return nil, nil, fmt.Errorf("%w: %s: the object store records sha256 %s, the bytes hash to %s", ErrChecksum, url, ra.SHA256, sum)
	}
	e.etag, e.size, e.mtime, e.sum = ra.ETag, ra.Size, ra.ModTime, sum
	if c.disk != nil {
		if err := c.disk.put(sum, data, url, ra.ETag); err != nil {
			c.st.diskErrors.Add(1)
		}
	}
	return data, e, nil
}

// isPlainModel reports whether url names an uncompressed model file, whose
// stored checksum is the checksum of the model bytes.
func isPlainModel(url string) bool { return strings.HasSuffix(url, "/"+modelFiles[0]) }

// admit makes room for e (evicting unpinned models, least recently used
// first, and waiting for pinned ones to be released) and indexes it,
// replacing and retiring any older entry for the same key, and finishes fl
// with it (pinned for each waiter) under the same lock.
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
			c.lru.Add(e.key, e)
			c.bytes += e.charge
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
// NegativeTTL); concurrent callers share one listing.
func (c *Cache[V]) modelInfo(ctx context.Context, name string, now time.Time) (*ModelInfo, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if l := c.models[name]; l != nil && c.freshLocked(l, now) {
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

func (c *Cache[V]) freshLocked(l *listing, now time.Time) bool {
	ttl := c.opts.TTL
	if l.err != nil {
		ttl = c.opts.NegativeTTL
	}
	return ttl < 0 || now.Sub(l.at) < ttl
}

func (c *Cache[V]) runInfo(name string, fl *infoFlight) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.LoadTimeout)
	mi, err := c.repo.Model(ctx, name)
	cancel()
	now := time.Now()
	c.mu.Lock()
	delete(c.infoFlights, name)
	fl.mi, fl.err = mi, err
	keep := err == nil || c.opts.NegativeTTL > 0
	if keep && len(c.models) >= maxRemembered {
		for n, l := range c.models {
			if !c.freshLocked(l, now) {
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
		_, err := c.revalidate(ctx, e)
		cancel()
		c.mu.Lock()
		e.revalidating = false
		if err != nil && c.opts.NegativeTTL > 0 {
			// Serve on and retry after NegativeTTL rather than TTL.
			e.checked = time.Now().Add(c.opts.NegativeTTL - c.opts.TTL)
		}
		c.mu.Unlock()
	}()
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
		e.checked = time.Now()
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
		return false, fl.err
	}
	return true, nil
}

// changed compares e with the repository. gone reports a version no longer
// listed or served (a failure to reach the repository is err, not gone).
func (c *Cache[V]) changed(ctx context.Context, e *entry[V]) (changed, gone bool, err error) {
	mi, err := c.modelInfo(ctx, e.key.Model, time.Now())
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
		return false, errors.Is(err, objstore.ErrNotFound), err
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
