package lambdaenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// Defaults of Settings.
const (
	DefaultRepository = "/opt/models"
	DefaultMemoryMB   = 1024
	DefaultCacheShare = 0.6
	// DefaultBudgetShare is the share of the function's memory that
	// requests in flight may hold (serving.Config.MemoryBudget).
	DefaultBudgetShare  = 0.25
	DefaultInitBudget   = 8 * time.Second
	DefaultMargin       = 500 * time.Millisecond
	DefaultDiskMaxBytes = 256 << 20
)

// Settings are a function's settings, read from its environment by
// FromEnv. Zero fields take the defaults in their comments.
type Settings struct {
	// Repository is MODEL_REPOSITORY: s3://bucket/prefix or a local path
	// (the models layer). Default: /opt/models.
	Repository string
	// MemoryMB is AWS_LAMBDA_FUNCTION_MEMORY_SIZE. Default: 1024.
	MemoryMB int
	// CacheBytes is CACHE_BYTES; default: 60% of the function's memory.
	CacheBytes int64
	// MemoryBudget is MEMORY_BUDGET_BYTES, what requests in flight may
	// hold (serving.Config.MemoryBudget); default: 25% of the function's
	// memory.
	MemoryBudget int64
	// DiskCacheBytes is DISK_CACHE_BYTES, the /tmp model cache for
	// remote repositories (negative: none). Default: 256 MiB; none for a
	// local repository.
	DiskCacheBytes int64
	// Preload is PRELOAD_MODELS, a comma-separated list of models to warm
	// during init. Default: none ("*" means every model whose config.json
	// sets preload).
	Preload []string
	// InitBudget is INIT_BUDGET_MS: how long init may spend preloading
	// before leaving the rest to the first requests (Lambda allows 10 s).
	// Default: 8s.
	InitBudget time.Duration
	// Margin is DEADLINE_MARGIN_MS: how long before the invocation
	// deadline a request gives up, so it can answer cleanly. Default:
	// 500ms.
	Margin time.Duration
	// S3Endpoint is S3_ENDPOINT (with S3_PATH_STYLE=1 for S3-compatible
	// servers); default: AWS's endpoint. Credentials come from the usual
	// AWS environment.
	S3Endpoint  string
	S3PathStyle bool
	// AuthToken is AUTH_TOKEN: a bearer token every request must carry
	// (see serving.Config.AuthToken). Default: none.
	AuthToken string
	// IntraOpThreads is INTRA_OP_THREADS, the most threads one model run
	// may use (serving.Config.IntraOpThreads). Default: 0, serving's
	// default (GOMAXPROCS); a function may choose its own before New.
	IntraOpThreads int
}

// FromEnv reads Settings from the environment through getenv (os.Getenv
// in a function). A malformed number is an error naming the variable.
func FromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{
		Repository:  getenv("MODEL_REPOSITORY"),
		S3Endpoint:  getenv("S3_ENDPOINT"),
		S3PathStyle: getenv("S3_PATH_STYLE") == "1" || getenv("S3_PATH_STYLE") == "true",
		AuthToken:   getenv("AUTH_TOKEN"),
		MemoryMB:    DefaultMemoryMB,
		InitBudget:  DefaultInitBudget,
		Margin:      DefaultMargin,
	}
	if s.Repository == "" {
		s.Repository = DefaultRepository
	}
	num := func(name string, dst *int64) error {
		v := getenv(name)
		if v == "" {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("lambdaenv: %s=%q is not an integer", name, v)
		}
		*dst = n
		return nil
	}
	mem, cache, disk, initMS, marginMS, budget, threads := int64(s.MemoryMB), int64(0), int64(0), int64(-1), int64(-1), int64(0), int64(0)
	for _, e := range []struct {
		name string
		dst  *int64
	}{{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", &mem}, {"CACHE_BYTES", &cache}, {"DISK_CACHE_BYTES", &disk},
		{"INIT_BUDGET_MS", &initMS}, {"DEADLINE_MARGIN_MS", &marginMS}, {"MEMORY_BUDGET_BYTES", &budget},
		{"INTRA_OP_THREADS", &threads}} {
		if err := num(e.name, e.dst); err != nil {
			return s, err
		}
	}
	if threads < 0 || threads > 1024 {
		return s, fmt.Errorf("lambdaenv: INTRA_OP_THREADS=%d must be between 0 (the default) and 1024", threads)
	}
	s.IntraOpThreads = int(threads)
	if mem <= 0 {
		return s, fmt.Errorf("lambdaenv: AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d must be positive", mem)
	}
	s.MemoryMB = int(mem)
	s.CacheBytes = cache
	if s.CacheBytes <= 0 {
		s.CacheBytes = int64(float64(mem<<20) * DefaultCacheShare)
	}
	s.MemoryBudget = budget
	if s.MemoryBudget <= 0 {
		s.MemoryBudget = int64(float64(mem<<20) * DefaultBudgetShare)
	}
	s.DiskCacheBytes = disk
	if s.DiskCacheBytes == 0 {
		s.DiskCacheBytes = DefaultDiskMaxBytes
		if s.Local() {
			s.DiskCacheBytes = -1
		}
	}
	if initMS >= 0 {
		s.InitBudget = time.Duration(initMS) * time.Millisecond
	}
	if marginMS >= 0 {
		s.Margin = time.Duration(marginMS) * time.Millisecond
	}
	for _, p := range strings.Split(getenv("PRELOAD_MODELS"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			s.Preload = append(s.Preload, p)
		}
	}
	return s, nil
}

// Local reports whether the repository is a local directory.
func (s Settings) Local() bool {
	return !strings.Contains(s.Repository, "://") || strings.HasPrefix(s.Repository, "file://")
}

// StoreOptions returns the objstore options for these settings.
func (s Settings) StoreOptions() objstore.Options {
	return objstore.Options{S3Endpoint: s.S3Endpoint, S3PathStyle: s.S3PathStyle}
}

// Runtime is what a function builds once, during init, and reuses across
// invocations.
type Runtime struct {
	Settings Settings
	Log      *slog.Logger
	Store    *objstore.Store
	Repo     *modelcache.Repository
	Cache    *modelcache.Models
	Source   *serving.CacheSource
	Server   *serving.Server
	// InitErr is the preload error, if preloading failed or ran out of
	// its budget; the models then load on first use.
	InitErr error
	// InitDuration is how long New took.
	InitDuration time.Duration
}

// New builds the Runtime for s and preloads s.Preload within
// s.InitBudget. A preload that fails or runs late is logged and left to
// the first requests; only a configuration error fails New.
func New(ctx context.Context, s Settings, log *slog.Logger) (*Runtime, error) {
	start := time.Now()
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stdout, nil))
	}
	store, err := objstore.New(s.StoreOptions())
	if err != nil {
		return nil, fmt.Errorf("lambdaenv: store: %w", err)
	}
	repo, err := modelcache.NewRepository(store, s.Repository)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("lambdaenv: repository: %w", err)
	}
	cache, err := modelcache.New(repo, modelcache.Options[*tflite.Model]{MaxBytes: s.CacheBytes, DiskMaxBytes: s.DiskCacheBytes, Logger: log})
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("lambdaenv: cache: %w", err)
	}
	src, err := serving.NewCacheSource(cache, repo)
	if err != nil {
		cache.Close()
		store.Close()
		return nil, fmt.Errorf("lambdaenv: %w", err)
	}
	rt := &Runtime{Settings: s, Log: log, Store: store, Repo: repo, Cache: cache, Source: src}
	ictx, cancel := context.WithTimeout(ctx, s.InitBudget)
	defer cancel()
	preload := s.Preload
	if len(preload) == 1 && preload[0] == "*" {
		preload = nil
		if infos, err := repo.Index(ictx); err != nil {
			rt.InitErr = err
		} else {
			for _, m := range infos {
				if m.Err == nil && m.Config.Preload {
					preload = append(preload, m.Name)
				}
			}
		}
	}
	srv, err := serving.New(serving.Config{Source: src, Logger: log, Preload: preload, AuthToken: s.AuthToken, MemoryBudget: s.MemoryBudget,
		IntraOpThreads: s.IntraOpThreads})
	if err != nil {
		cache.Close()
		store.Close()
		return nil, fmt.Errorf("lambdaenv: serving: %w", err)
	}
	rt.Server = srv
	if len(preload) > 0 {
		if err := srv.Preload(ictx); err != nil {
			rt.InitErr = err
		}
	}
	rt.InitDuration = time.Since(start)
	if rt.InitErr != nil {
		log.Warn("preload incomplete; models load on first use", "err", rt.InitErr, "init_ms", rt.InitDuration.Milliseconds())
	} else {
		log.Info("init done", "models", preload, "init_ms", rt.InitDuration.Milliseconds(), "cache_bytes", s.CacheBytes)
	}
	return rt, nil
}

// Deadline returns ctx bounded by its deadline minus the safety margin, so
// that work stops early enough to answer (a 504 or a clean failure) before
// Lambda ends the invocation. A ctx with no deadline is returned as is.
func (rt *Runtime) Deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, d.Add(-rt.Settings.Margin))
}

// Flush logs the cache and serving state; functions call it on SIGTERM so
// that the last metrics reach the logs before the sandbox goes.
func (rt *Runtime) Flush() {
	st := rt.Cache.Stats()
	rt.Log.Info("shutdown", "cache_hits", st.Hits, "cache_misses", st.Misses, "loads", st.Loads,
		"load_errors", st.LoadErrors, "evictions", st.Evictions, "cache_bytes", st.Bytes)
}

// Close stops the server, the cache and the store.
func (rt *Runtime) Close() error {
	err := rt.Server.Close()
	rt.Cache.Close()
	rt.Store.Close()
	return err
}
