package modelcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// sharedModel reads a model from /work/shared (found by walking up from the
// package directory) or skips the test.
func sharedModel(t *testing.T, rel string) []byte {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "shared", rel))
		if err == nil {
			return b
		}
		b, err = os.ReadFile(filepath.Join(dir, "..", "shared", rel))
		if err == nil {
			return b
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("shared/%s not found", rel)
		}
		dir = parent
	}
}

// TestTFLiteModels loads real models through the default loader and checks
// the charge and that a corrupted file is refused.
func TestTFLiteModels(t *testing.T) {
	data := sharedModel(t, "conformance/hello_world/hello_world_int8.tflite")
	e := newEnv(t)
	e.put("hello/1/model.tflite", data)
	e.put("hello/config.json", []byte(`{"sha256": {"1": "`+sha256Hex(data)+`"}}`))
	// A corrupted copy: the sha256 recorded for version 1 is that of the
	// good bytes.
	bad := append([]byte(nil), data...)
	bad[len(bad)/2] ^= 0xff
	e.put("corrupt/1/model.tflite", bad)
	e.put("corrupt/config.json", []byte(`{"sha256": {"1": "`+sha256Hex(data)+`"}}`))
	// Truncated bytes with no checksum recorded: the parser refuses them.
	e.put("truncated/1/model.tflite", data[:len(data)/3])

	c, err := New(e.repo, Options[*tflite.Model]{DiskMaxBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h, err := c.Get(context.Background(), Ref{Model: "hello"})
	if errors.Is(err, tflite.ErrUnsupported) {
		t.Skipf("engine cannot load the model yet: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	m := h.Value()
	if len(m.Inputs()) != 1 || len(m.Outputs()) != 1 {
		t.Fatalf("inputs %v outputs %v", m.Inputs(), m.Outputs())
	}
	st := c.Stats()
	if want := max(m.MemoryBytes(), int64(len(data))); st.Bytes != want {
		t.Fatalf("charged %d bytes, want %d", st.Bytes, want)
	}
	h.Release()

	if _, err := c.Get(context.Background(), Ref{Model: "corrupt"}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("corrupted model: %v, want ErrChecksum", err)
	}
	if _, err := c.Get(context.Background(), Ref{Model: "truncated"}); err == nil {
		t.Fatal("truncated model loaded")
	}
	if st := c.Stats(); st.Entries != 1 || st.LoadErrors != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// warmup_runs runs the model after each load, before it is served: a
// cancelled load context stops it (so it does run the engine), a failing
// warmup fails the load and unloads the value, and 0 runs nothing.
func TestWarmupRuns(t *testing.T) {
	ms, err := examples.Models()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(ms[0].TFLite)
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := TFLiteWarmup(cancelled, Key{}, &Config{WarmupRuns: 0}, m); err != nil {
		t.Fatalf("0 runs: %v", err)
	}
	if err := TFLiteWarmup(context.Background(), Key{}, &Config{WarmupRuns: 3}, m); err != nil {
		t.Fatalf("3 runs: %v", err)
	}
	if err := TFLiteWarmup(cancelled, Key{}, &Config{WarmupRuns: 2}, m); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run 1 of 2") {
		t.Fatalf("cancelled warmup: %v", err)
	}

	e := newEnv(t)
	e.put("lin/1/model.tflite", ms[0].TFLite)
	e.put("lin/config.json", []byte(`{"warmup_runs": 2}`))
	e.put("bad/1/model.tflite", ms[0].TFLite)
	e.put("bad/config.json", []byte(`{"warmup_runs": 1}`))
	var warmed []string
	unloaded := 0
	c, err := New(e.repo, Options[*tflite.Model]{DiskMaxBytes: -1,
		Warmup: func(ctx context.Context, k Key, cfg *Config, m *tflite.Model) error {
			warmed = append(warmed, fmt.Sprintf("%s×%d", k, cfg.WarmupRuns))
			if k.Model == "bad" {
				return errors.New("boom")
			}
			return TFLiteWarmup(ctx, k, cfg, m)
		},
		OnUnload: func(Key, *tflite.Model) { unloaded++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h, err := c.Get(context.Background(), Ref{Model: "lin"})
	if err != nil {
		t.Fatal(err)
	}
	h.Release()
	if _, err := c.Get(context.Background(), Ref{Model: "bad"}); err == nil || !strings.Contains(err.Error(), "warm up bad:1: boom") {
		t.Fatalf("failing warmup: %v", err)
	}
	if strings.Join(warmed, " ") != "lin:1×2 bad:1×1" || unloaded != 1 {
		t.Fatalf("warmed %v, unloaded %d", warmed, unloaded)
	}
	if st := c.Stats(); st.Entries != 1 {
		t.Fatalf("stats %+v", st)
	}
}
