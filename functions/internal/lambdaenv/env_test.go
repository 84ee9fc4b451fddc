package lambdaenv

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/serving"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, s Settings)
		wantErr string
	}{
		{name: "defaults", env: map[string]string{}, check: func(t *testing.T, s Settings) {
			if s.Repository != DefaultRepository || s.MemoryMB != 1024 || s.CacheBytes != shareOf(1024) || s.MemoryBudget != 256<<20 ||
				s.DiskCacheBytes != -1 || s.InitBudget != DefaultInitBudget || s.Margin != DefaultMargin || len(s.Preload) != 0 {
				t.Errorf("%+v", s)
			}
		}},
		{name: "s3 repository", env: map[string]string{"MODEL_REPOSITORY": "s3://b/models", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
			"PRELOAD_MODELS": " a, b ,,", "DEADLINE_MARGIN_MS": "0", "INIT_BUDGET_MS": "2500", "S3_PATH_STYLE": "1", "S3_ENDPOINT": "http://127.0.0.1:1"},
			check: func(t *testing.T, s Settings) {
				if s.Local() || s.DiskCacheBytes != DefaultDiskMaxBytes || s.CacheBytes != shareOf(512) ||
					strings.Join(s.Preload, "|") != "a|b" || s.Margin != 0 || s.InitBudget != 2500*time.Millisecond ||
					!s.StoreOptions().S3PathStyle || s.StoreOptions().S3Endpoint != "http://127.0.0.1:1" {
					t.Errorf("%+v", s)
				}
			}},
		{name: "memory budget", env: map[string]string{"MEMORY_BUDGET_BYTES": "12345"}, check: func(t *testing.T, s Settings) {
			if s.MemoryBudget != 12345 {
				t.Errorf("MemoryBudget %d", s.MemoryBudget)
			}
		}},
		{name: "bad memory budget", env: map[string]string{"MEMORY_BUDGET_BYTES": "lots"}, wantErr: "MEMORY_BUDGET_BYTES"},
		{name: "intra-op threads", env: map[string]string{"INTRA_OP_THREADS": "3"}, check: func(t *testing.T, s Settings) {
			if s.IntraOpThreads != 3 {
				t.Errorf("IntraOpThreads = %d", s.IntraOpThreads)
			}
		}},
		{name: "bad intra-op threads", env: map[string]string{"INTRA_OP_THREADS": "-2"}, wantErr: "INTRA_OP_THREADS"},
		{name: "explicit cache", env: map[string]string{"CACHE_BYTES": "1000", "DISK_CACHE_BYTES": "-1", "MODEL_REPOSITORY": "s3://b/m"}, check: func(t *testing.T, s Settings) {
			if s.CacheBytes != 1000 || s.DiskCacheBytes != -1 {
				t.Errorf("%+v", s)
			}
		}},
		{name: "bad memory", env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, wantErr: "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"},
		{name: "zero memory", env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "0"}, wantErr: "positive"},
		{name: "bad margin", env: map[string]string{"DEADLINE_MARGIN_MS": "1s"}, wantErr: "DEADLINE_MARGIN_MS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := FromEnv(envOf(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
}

// newLocal returns a Runtime over the example repository written to a
// temporary directory (what the models layer holds).
func newLocal(t *testing.T, env map[string]string) *Runtime {
	t.Helper()
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	env["MODEL_REPOSITORY"] = dir
	s, err := FromEnv(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

func TestRuntime(t *testing.T) {
	rt := newLocal(t, map[string]string{"PRELOAD_MODELS": "linear"})
	if rt.InitErr != nil || !rt.Server.Ready() {
		t.Fatalf("init: %v, ready %v", rt.InitErr, rt.Server.Ready())
	}
	if st := rt.Cache.Stats(); st.Loads != 1 {
		t.Errorf("preload: %d loads, want 1", st.Loads)
	}
	idx, err := rt.Source.Index(context.Background())
	if err != nil || len(idx) != 2 || idx[0].Name != examples.Linear || idx[1].Name != examples.TinyCNN || idx[1].Config.MaxBatchSize == 0 {
		t.Fatalf("index %+v: %v", idx, err)
	}
	_, err = rt.Source.Get(context.Background(), serving.Ref{Model: "nope"})
	if !errors.Is(err, serving.ErrNotFound) {
		t.Errorf("unknown model: %v, want ErrNotFound", err)
	}
	l, err := rt.Source.Get(context.Background(), serving.Ref{Model: examples.TinyCNN})
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != 1 || len(l.Model.Inputs()) != 1 {
		t.Errorf("loaded %+v", l)
	}
	l.Release()
	rt.Flush()
}

func TestRuntimePreloadAll(t *testing.T) {
	rt := newLocal(t, map[string]string{"PRELOAD_MODELS": "*"})
	if rt.InitErr != nil {
		t.Fatal(rt.InitErr)
	}
	want := 0
	ms, _ := examples.Models()
	for _, m := range ms {
		if m.Config.Preload {
			want++
		}
	}
	if st := rt.Cache.Stats(); int(st.Loads) != want {
		t.Errorf("%d loads, want the %d models whose config sets preload", st.Loads, want)
	}
}

func TestRuntimePreloadMissingIsLazy(t *testing.T) {
	rt := newLocal(t, map[string]string{"PRELOAD_MODELS": "nope"})
	if rt.InitErr == nil {
		t.Fatal("preloading a missing model: no InitErr")
	}
	if _, err := rt.Source.Get(context.Background(), serving.Ref{Model: examples.Linear}); err != nil {
		t.Errorf("lazy load after a failed preload: %v", err)
	}
}

func TestDeadline(t *testing.T) {
	rt := newLocal(t, map[string]string{"DEADLINE_MARGIN_MS": "300"})
	d := time.Now().Add(time.Second)
	parent, cancel := context.WithDeadline(context.Background(), d)
	defer cancel()
	ctx, cancel2 := rt.Deadline(parent)
	defer cancel2()
	got, ok := ctx.Deadline()
	if !ok || !got.Equal(d.Add(-300*time.Millisecond)) {
		t.Errorf("deadline %v, want %v", got, d.Add(-300*time.Millisecond))
	}
	ctx3, cancel3 := rt.Deadline(context.Background())
	defer cancel3()
	if _, ok := ctx3.Deadline(); ok {
		t.Error("a ctx without deadline got one")
	}
}

// shareOf is the default cache budget of a function of mb megabytes.
func shareOf(mb int64) int64 { return int64(float64(mb<<20) * DefaultCacheShare) }
