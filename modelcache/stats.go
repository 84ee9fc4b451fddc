package modelcache

import (
	"sync/atomic"
	"time"
)

// counters are the cache's monotonic counters; each is updated atomically.
type counters struct {
	hits, misses, negativeHits        atomic.Uint64
	loads, loadErrors, loadPanics     atomic.Uint64
	loadNanos                         atomic.Int64
	evictions, unloads, swaps         atomic.Uint64
	revalidations, revalidationErrors atomic.Uint64
	diskHits, diskErrors              atomic.Uint64
}

// Stats is a snapshot of a Cache's counters and gauges, for metrics.
type Stats struct {
	// Hits counts Gets served by a resident model.
	Hits uint64
	// Misses counts Gets that waited for a load (started or joined).
	Misses uint64
	// NegativeHits counts Gets answered by a remembered failure.
	NegativeHits uint64
	// Loads counts successful loads (each serves every waiter).
	Loads uint64
	// LoadErrors counts failed loads.
	LoadErrors uint64
	// LoadPanics counts loads, listings and revalidations that panicked
	// (each also counts as a failure; the process carries on).
	LoadPanics uint64
	// LoadTime is the total time spent in loads, failed ones included.
	LoadTime time.Duration
	// Evictions counts models dropped to make room, removed, or gone from
	// the repository.
	Evictions uint64
	// Unloads counts values handed to OnUnload (evicted, replaced, closed).
	Unloads uint64
	// Swaps counts models replaced by a changed version of themselves.
	Swaps uint64
	// Revalidations counts checks against the repository.
	Revalidations uint64
	// RevalidationErrors counts checks that failed (the old model kept
	// serving).
	RevalidationErrors uint64
	// DiskHits counts loads served from the local disk cache.
	DiskHits uint64
	// DiskErrors counts failed writes to the local disk cache.
	DiskErrors uint64
	// Bytes is the resident charge, replaced-but-pinned models included.
	Bytes int64
	// MaxBytes is the budget.
	MaxBytes int64
	// FailingVersions is the number of model versions whose last load
	// failed (see Failures), versions asked for but missing included.
	FailingVersions int
	// Entries is the number of indexed models.
	Entries int
	// Pinned is the number of models with at least one Handle.
	Pinned int
	// DiskBytes is the size of the local disk cache.
	DiskBytes int64
}

// Stats returns a snapshot of the counters and gauges.
func (c *Cache[V]) Stats() Stats {
	s := Stats{
		Hits:               c.st.hits.Load(),
		Misses:             c.st.misses.Load(),
		NegativeHits:       c.st.negativeHits.Load(),
		Loads:              c.st.loads.Load(),
		LoadErrors:         c.st.loadErrors.Load(),
		LoadPanics:         c.st.loadPanics.Load(),
		LoadTime:           time.Duration(c.st.loadNanos.Load()),
		Evictions:          c.st.evictions.Load(),
		Unloads:            c.st.unloads.Load(),
		Swaps:              c.st.swaps.Load(),
		Revalidations:      c.st.revalidations.Load(),
		RevalidationErrors: c.st.revalidationErrors.Load(),
		DiskHits:           c.st.diskHits.Load(),
		DiskErrors:         c.st.diskErrors.Load(),
		MaxBytes:           c.opts.MaxBytes,
	}
	c.mu.Lock()
	s.Bytes, s.Entries, s.Pinned, s.FailingVersions = c.bytes, c.lru.Len(), c.pinned, len(c.neg)
	c.mu.Unlock()
	if c.disk != nil {
		s.DiskBytes = c.disk.usage()
	}
	return s
}
