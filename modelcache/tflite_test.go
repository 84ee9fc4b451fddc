package modelcache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

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
