package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/serving"
)

// CacheSource adapts a model cache to serving.ModelSource. It is safe for
// concurrent use.
type CacheSource struct {
	Cache *modelcache.Models
	Repo  *modelcache.Repository
}

var (
	_ serving.ModelSource = (*CacheSource)(nil)
	_ serving.StatsSource = (*CacheSource)(nil)
)

// servingConfig converts a model's config.json to the serving core's view.
func servingConfig(c *modelcache.Config) serving.ModelConfig {
	if c == nil {
		return serving.ModelConfig{}
	}
	return serving.ModelConfig{
		MaxBatchSize:   c.MaxBatchSize,
		BatchDelay:     time.Duration(c.BatchDelayMS) * time.Millisecond,
		MaxConcurrency: c.MaxConcurrency,
		MaxQueue:       c.MaxQueue,
		Timeout:        time.Duration(c.TimeoutMS) * time.Millisecond,
		Labels:         c.Labels,
	}
}

// mapErr wraps cache errors in the serving sentinels the HTTP layer maps.
func mapErr(err error) error {
	switch {
	case errors.Is(err, modelcache.ErrModelNotFound):
		return fmt.Errorf("%w: %w", serving.ErrNotFound, err)
	case errors.Is(err, modelcache.ErrBadRef), errors.Is(err, modelcache.ErrBadConfig):
		return fmt.Errorf("%w: %w", serving.ErrInvalid, err)
	case errors.Is(err, modelcache.ErrTooLarge), errors.Is(err, modelcache.ErrCacheFull),
		errors.Is(err, modelcache.ErrClosed), errors.Is(err, modelcache.ErrChecksum):
		return fmt.Errorf("%w: %w", serving.ErrUnavailable, err)
	}
	return err
}

// Get loads (or finds warm) and pins the model ref names.
func (s *CacheSource) Get(ctx context.Context, ref serving.Ref) (*serving.Loaded, error) {
	h, err := s.Cache.Get(ctx, modelcache.Ref{Model: ref.Model, Version: ref.Version, Label: ref.Label})
	if err != nil {
		return nil, mapErr(err)
	}
	return &serving.Loaded{
		Name:    h.Key().Model,
		Version: h.Key().Version,
		Model:   serving.FromTFLite(h.Value()),
		Config:  servingConfig(h.Config()),
		Release: h.Release,
	}, nil
}

// Index lists the repository's models. Every served version is READY: the
// cache loads it on first use.
func (s *CacheSource) Index(ctx context.Context) ([]serving.ModelStatus, error) {
	infos, err := s.Repo.Index(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]serving.ModelStatus, 0, len(infos))
	for _, m := range infos {
		st := serving.ModelStatus{Name: m.Name, Config: servingConfig(m.Config)}
		for _, v := range m.Served() {
			vs := serving.VersionStatus{Version: v, State: "READY"}
			if m.Err != nil {
				vs.State, vs.Reason = "UNAVAILABLE", m.Err.Error()
			}
			st.Versions = append(st.Versions, vs)
		}
		out = append(out, st)
	}
	return out, nil
}

// Stats reports the cache counters for /metrics.
func (s *CacheSource) Stats() serving.CacheStats {
	st := s.Cache.Stats()
	return serving.CacheStats{Hits: st.Hits, Misses: st.Misses, Loads: st.Loads, LoadErrors: st.LoadErrors,
		Evictions: st.Evictions, Bytes: st.Bytes, Models: int64(st.Entries)}
}
