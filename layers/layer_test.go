package layers

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/examples"
)

func TestBuildModels(t *testing.T) {
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	// Files outside the layout are left out.
	os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "linear", "notes.txt"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(dir, "linear", "v2"), 0o755)
	os.WriteFile(filepath.Join(dir, "linear", "v2", "model.tflite"), []byte("x"), 0o644)

	var a, b bytes.Buffer
	st, err := BuildModels(&a, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := BuildModels(&b, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two builds of the same repository differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Name[len("models/"):])))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: content differs from the repository", f.Name)
		}
	}
	wantNames := []string{"models/linear/1/model.tflite", "models/linear/config.json", "models/tiny_cnn/1/model.tflite", "models/tiny_cnn/config.json"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("entries %v, want %v", names, wantNames)
	}
	if st.Models != 2 || st.Files != 4 {
		t.Errorf("stats %+v", st)
	}
}

func TestBuildModelsErrors(t *testing.T) {
	repo := t.TempDir()
	if err := examples.Write(repo); err != nil {
		t.Fatal(err)
	}
	badCfg := t.TempDir()
	os.MkdirAll(filepath.Join(badCfg, "m", "1"), 0o755)
	os.WriteFile(filepath.Join(badCfg, "m", "1", "model.tflite"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(badCfg, "m", "config.json"), []byte(`{"max_batch_size": -1}`), 0o644)
	tests := []struct {
		name  string
		dir   string
		limit int64
		want  error
	}{
		{name: "over limit", dir: repo, limit: 100, want: ErrTooLarge},
		{name: "empty", dir: t.TempDir(), want: ErrLayout},
		{name: "missing", dir: filepath.Join(repo, "nope"), want: ErrLayout},
		{name: "bad config", dir: badCfg, want: ErrLayout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := BuildModels(&buf, tc.dir, Options{MaxUnzippedBytes: tc.limit})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Error("bytes written on error")
			}
		})
	}
}

func TestFunctionZip(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "fn")
	want := []byte("\x7fELF not really a binary")
	if err := os.WriteFile(bin, want, 0o755); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := FunctionZip(&a, bin); err != nil {
		t.Fatal(err)
	}
	if err := FunctionZip(&b, bin); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two zips of the same binary differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode()&0o111 == 0 {
		t.Fatalf("entries %v", zr.File)
	}
	rc, _ := zr.File[0].Open()
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, want) {
		t.Error("bootstrap content differs")
	}
	if err := FunctionZip(&bytes.Buffer{}, filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing binary: no error")
	}
}
