package serving

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"weak"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// CacheSource serves the models of a repository through a warm model
// cache: the ModelSource of `edgeinfer serve`. It also implements
// ModelLoader (the V2 repository load/unload) and StatsSource. It is safe
// for concurrent use.
type CacheSource struct {
	cache *modelcache.Models     // never nil
	repo  *modelcache.Repository // never nil

	mu       sync.Mutex
	unloaded map[string]bool                                           // guarded by mu: models unloaded on request
	renamed  map[weak.Pointer[tflite.Model]]weak.Pointer[renamedModel] // guarded by mu; see model
}

var (
	_ ModelSource = (*CacheSource)(nil)
	_ ModelLoader = (*CacheSource)(nil)
	_ StatsSource = (*CacheSource)(nil)
)

// NewCacheSource returns a source over cache, which must read repo. It
// does not own either: the caller closes them after the Server.
func NewCacheSource(cache *modelcache.Models, repo *modelcache.Repository) (*CacheSource, error) {
	if cache == nil || repo == nil {
		return nil, errors.New("serving: NewCacheSource needs a cache and its repository")
	}
	return &CacheSource{cache: cache, repo: repo, unloaded: map[string]bool{}, renamed: map[weak.Pointer[tflite.Model]]weak.Pointer[renamedModel]{}}, nil
}

// modelConfig converts a model's config.json to the serving view.
func modelConfig(c *modelcache.Config) ModelConfig {
	if c == nil {
		return ModelConfig{}
	}
	return ModelConfig{
		MaxBatchSize:   c.MaxBatchSize,
		BatchDelay:     time.Duration(c.BatchDelayMS) * time.Millisecond,
		MaxConcurrency: c.MaxConcurrency,
		MaxQueue:       c.MaxQueue,
		Timeout:        time.Duration(c.TimeoutMS) * time.Millisecond,
		Labels:         c.Labels,
		Image:          c.Image,
	}
}

// cacheError wraps cache errors in the sentinels the HTTP layer maps.
func cacheError(err error) error {
	switch {
	case errors.Is(err, modelcache.ErrModelNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, modelcache.ErrBadRef):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	case errors.Is(err, modelcache.ErrBadConfig):
		// The repository's config.json is wrong: a server fault, not the
		// client's; the model is unavailable until it is fixed.
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	case errors.Is(err, modelcache.ErrTooLarge), errors.Is(err, modelcache.ErrCacheFull),
		errors.Is(err, modelcache.ErrClosed), errors.Is(err, modelcache.ErrChecksum):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func (s *CacheSource) isUnloaded(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unloaded[name]
}

// Get returns the model ref names, loading it on a miss, pinned until
// Release.
func (s *CacheSource) Get(ctx context.Context, ref Ref) (*Loaded, error) {
	if s.isUnloaded(ref.Model) {
		return nil, fmt.Errorf("%w: model %q was unloaded; load it through /v2/repository/models/%s/load", ErrUnavailable, ref.Model, ref.Model)
	}
	h, err := s.cache.Get(ctx, modelcache.Ref{Model: ref.Model, Version: ref.Version, Label: ref.Label})
	if err != nil {
		return nil, cacheError(err)
	}
	k := h.Key()
	return &Loaded{Name: k.Model, Version: k.Version, Model: s.model(h.Value(), h.Config()), Config: modelConfig(h.Config()), Release: h.Release}, nil
}

// sweepRenamed is the number of wrapper records past which records of
// collected wrappers are swept.
const sweepRenamed = 256

// model returns m as a Model, with the tensor renames of its config.json
// applied. The wrapper of a loaded model is found again on every Get while
// anything (a worker, a request) still holds it, so that workers see the
// same Model and keep their runners. The records hold neither the model nor
// the wrapper: an evicted model is freed as soon as nothing uses it.
func (s *CacheSource) model(m *tflite.Model, c *modelcache.Config) Model {
	if c == nil || (len(c.Inputs) == 0 && len(c.Outputs) == 0) {
		return FromTFLite(m)
	}
	k := weak.Make(m)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.renamed[k].Value(); r != nil {
		return r
	}
	if len(s.renamed) >= sweepRenamed {
		for k, w := range s.renamed {
			if w.Value() == nil {
				delete(s.renamed, k)
			}
		}
	}
	r := newRenamed(m, c.Inputs, c.Outputs)
	s.renamed[k] = weak.Make(r)
	return r
}

// renamedModel presents a model's tensors under public names; the engine
// takes inputs by position, so only the specs change. Immutable.
type renamedModel struct {
	m        *tflite.Model
	ins      map[string]string
	outs     map[string]string
	inSpecs  []tflite.TensorSpec
	outSpecs []tflite.TensorSpec
}

func newRenamed(m *tflite.Model, ins, outs map[string]string) *renamedModel {
	rename := func(specs []tflite.TensorSpec, names map[string]string) []tflite.TensorSpec {
		out := append([]tflite.TensorSpec(nil), specs...)
		for i := range out {
			if n, ok := names[out[i].Name]; ok {
				out[i].Name = n
			}
		}
		return out
	}
	return &renamedModel{m: m, ins: ins, outs: outs, inSpecs: rename(m.Inputs(), ins), outSpecs: rename(m.Outputs(), outs)}
}

func (r *renamedModel) Inputs() []tflite.TensorSpec  { return r.inSpecs }
func (r *renamedModel) Outputs() []tflite.TensorSpec { return r.outSpecs }
func (r *renamedModel) Batchable() bool              { return r.m.Batchable() }
func (r *renamedModel) NewRunner() Runner            { return r.m.NewRunner() }
func (r *renamedModel) WithBatch(n int) (Model, error) {
	b, err := r.m.WithBatch(n)
	if err != nil {
		return nil, err
	}
	return newRenamed(b, r.ins, r.outs), nil
}

// Index lists the repository. Every served version is READY (one not yet
// resident loads on first use, as its reason says) unless the model was
// unloaded or its config.json is invalid (then the model's Reason and each
// version's say why).
func (s *CacheSource) Index(ctx context.Context) ([]ModelStatus, error) {
	infos, err := s.repo.Index(ctx)
	if err != nil {
		return nil, cacheError(err)
	}
	out := make([]ModelStatus, 0, len(infos))
	for _, m := range infos {
		st := ModelStatus{Name: m.Name, Config: modelConfig(m.Config)}
		if m.Err != nil {
			st.Reason = m.Err.Error()
		}
		gone := s.isUnloaded(m.Name)
		failed := map[int64]modelcache.Failure{}
		for _, f := range s.cache.Failures(m.Name) {
			failed[f.Key.Version] = f
		}
		for _, v := range m.Served() {
			vs := VersionStatus{Version: v, State: "READY"}
			f, isFailed := failed[v]
			switch {
			case m.Err != nil:
				vs.State, vs.Reason = "UNAVAILABLE", m.Err.Error()
			case gone:
				vs.State, vs.Reason = "UNAVAILABLE", "unloaded"
			case isFailed && f.Serving:
				vs.Reason = "serving the loaded model; its changed file failed to load: " + failureReason(f)
			case isFailed:
				vs.State, vs.Reason = "UNAVAILABLE", failureReason(f)
			default:
				if h, ok := s.cache.Peek(modelcache.Key{Model: m.Name, Version: v}); ok {
					h.Release()
				} else {
					vs.Reason = "not resident; loads on first use"
				}
			}
			st.Versions = append(st.Versions, vs)
		}
		out = append(out, st)
	}
	return out, nil
}

// failureReason says why a version failed to load, and when it is tried
// again, without the error's chain (server paths, engine detail): the log
// has those.
func failureReason(f modelcache.Failure) string {
	var why string
	switch {
	case errors.Is(f.Err, modelcache.ErrTooLarge):
		why = "model file over the model size limit"
	case errors.Is(f.Err, modelcache.ErrChecksum):
		why = "model file checksum mismatch"
	case errors.Is(f.Err, modelcache.ErrModelNotFound):
		why = "model file missing"
	case errors.Is(f.Err, tflite.ErrInvalidModel):
		why = "invalid model file"
	case errors.Is(f.Err, tflite.ErrUnsupported):
		why = "model uses an operator or feature the engine does not support"
	case errors.Is(f.Err, tflite.ErrLimit):
		why = "model needs more memory than the engine's limits"
	default:
		why = "load failed (see the server log)"
	}
	return fmt.Sprintf("%s; %d failed attempts, next after %s", why, f.Attempts, f.RetryAt.UTC().Format(time.RFC3339))
}

// Load loads the latest version of a model into the cache and makes it
// servable again after Unload.
func (s *CacheSource) Load(ctx context.Context, name string) error {
	s.mu.Lock()
	delete(s.unloaded, name)
	s.mu.Unlock()
	l, err := s.Get(ctx, Ref{Model: name})
	if err != nil {
		return err
	}
	l.Release()
	return nil
}

// Unload drops every version of a model from the cache (a pinned one goes
// at its last Release) and refuses it until Load.
func (s *CacheSource) Unload(ctx context.Context, name string) error {
	info, err := s.repo.Model(ctx, name)
	if err != nil {
		return cacheError(err)
	}
	s.mu.Lock()
	s.unloaded[name] = true
	s.mu.Unlock()
	for _, v := range info.Versions {
		s.cache.Remove(modelcache.Key{Model: name, Version: v.Version})
	}
	return nil
}

// Stats reports the cache counters for /metrics.
func (s *CacheSource) Stats() CacheStats {
	st := s.cache.Stats()
	return CacheStats{Hits: st.Hits, Misses: st.Misses, Loads: st.Loads, LoadErrors: st.LoadErrors,
		LoadPanics: st.LoadPanics, Evictions: st.Evictions, Bytes: st.Bytes, Models: int64(st.Entries),
		FailingVersions: int64(st.FailingVersions)}
}
