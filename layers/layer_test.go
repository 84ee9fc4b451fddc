package layers

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/examples"
)

func TestBuildModels(t *testing.T) {
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	// Files the layout does not use are left out.
	os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "linear", "notes.txt"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "linear", "1", ".DS_Store"), []byte("x"), 0o644)

	var a, b bytes.Buffer
	st, err := BuildModels(context.Background(), &a, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := BuildModels(context.Background(), &b, dir, Options{}); err != nil {
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
	// with writes the example repository plus files.
	with := func(files map[string]string) string {
		dir := t.TempDir()
		if err := examples.Write(dir); err != nil {
			t.Fatal(err)
		}
		for p, data := range files {
			full := filepath.Join(dir, filepath.FromSlash(p))
			os.MkdirAll(filepath.Dir(full), 0o755)
			if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	tests := []struct {
		name   string
		dir    string
		limit  int64
		want   error
		substr string
	}{
		{name: "over limit", dir: repo, limit: 100, want: ErrTooLarge},
		{name: "empty", dir: t.TempDir(), want: ErrLayout, substr: "no models found"},
		{name: "missing", dir: filepath.Join(repo, "nope"), want: ErrLayout},
		{name: "bad config", dir: with(map[string]string{"linear/config.json": `{"max_batch_size": -1}`}), want: ErrLayout,
			substr: `linear/: model unavailable: modelcache: config.json of model "linear": field "max_batch_size"`},
		{name: "text file as model", dir: with(map[string]string{"text/1/model.tflite": "not a model\n"}), want: ErrModel,
			substr: "text/1/model.tflite does not load: tflite: invalid model"},
		{name: "misnamed model and version directory", dir: with(map[string]string{"m/1/m.tflite": "x", "linear/v2/model.tflite": "x"}), want: ErrLayout,
			substr: "3 problem(s):\n  linear/v2/: version directory \"v2\" is not a version"},
		{name: "file the server would not read", dir: with(map[string]string{"linear/1/model.tflite.s2": "x"}), want: ErrLayout,
			substr: "linear/1/model.tflite.s2: not served"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := BuildModels(context.Background(), &buf, tc.dir, Options{MaxUnzippedBytes: tc.limit})
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.substr) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.substr)
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
