package modelcache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/edgeinfer/edgeinfer/objstore"
)

func TestIndex(t *testing.T) {
	type model struct {
		versions []int64
		files    []string // chosen file name per version
		err      error
	}
	tests := []struct {
		name    string
		objects map[string]string
		want    map[string]model
	}{
		{
			name:    "empty repository",
			objects: map[string]string{},
			want:    map[string]model{},
		},
		{
			name: "versions sorted numerically",
			objects: map[string]string{
				"a/10/model.tflite": "x", "a/2/model.tflite": "x", "a/1/model.tflite": "x",
			},
			want: map[string]model{"a": {versions: []int64{1, 2, 10}, files: []string{"model.tflite", "model.tflite", "model.tflite"}}},
		},
		{
			name: "compressed accepted, plain preferred",
			objects: map[string]string{
				"a/1/model.tflite.zst": "x", "a/2/model.tflite.gz": "x",
				"a/3/model.tflite.gz": "x", "a/3/model.tflite": "x",
			},
			want: map[string]model{"a": {versions: []int64{1, 2, 3}, files: []string{"model.tflite.zst", "model.tflite.gz", "model.tflite"}}},
		},
		{
			name: "objects outside the layout ignored",
			objects: map[string]string{
				"README.md": "x", "a/notes.txt": "x", "a/0/model.tflite": "x", "a/01/model.tflite": "x",
				"a/v1/model.tflite": "x", "a/1/other.tflite": "x", "a/1/sub/model.tflite": "x",
				"a/3/model.tflite": "x", ".hidden/1/model.tflite": "x", "b/labels.txt": "x",
			},
			want: map[string]model{"a": {versions: []int64{3}, files: []string{"model.tflite"}}},
		},
		{
			name: "bad config listed with its error",
			objects: map[string]string{
				"a/1/model.tflite": "x", "a/config.json": `{"max_batch_size": -1}`,
				"b/1/model.tflite": "x", "b/config.json": `{"max_batch_size": 4}`,
			},
			want: map[string]model{
				"a": {versions: []int64{1}, files: []string{"model.tflite"}, err: ErrBadConfig},
				"b": {versions: []int64{1}, files: []string{"model.tflite"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for k, v := range tc.objects {
				e.put(k, []byte(v))
			}
			idx, err := e.repo.Index(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]model{}
			for _, mi := range idx {
				var m model
				for _, vi := range mi.Versions {
					m.versions = append(m.versions, vi.Version)
					m.files = append(m.files, filepath.Base(vi.URL))
					if vi.ETag == "" || vi.Size != 1 {
						t.Errorf("%s:%d listed without ETag or size: %+v", mi.Name, vi.Version, vi)
					}
				}
				if mi.Err != nil {
					m.err = ErrBadConfig
					if !errors.Is(mi.Err, ErrBadConfig) {
						t.Errorf("%s: error %v", mi.Name, mi.Err)
					}
				}
				got[mi.Name] = m
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("index %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestIndexDirectory(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"mnist/1/model.tflite", "mnist/3/model.tflite", "kws/7/model.tflite"} {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("m"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "mnist", "config.json"), []byte(`{"labels": {"stable": 1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := objstore.New(objstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := NewRepository(s, root)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := r.Index(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != 2 || idx[0].Name != "kws" || idx[1].Name != "mnist" {
		t.Fatalf("index %+v", idx)
	}
	v, err := idx[1].Resolve(Ref{Model: "mnist", Label: "stable"})
	if err != nil || v != 1 {
		t.Fatalf("stable → %d, %v", v, err)
	}
	if v, err := idx[1].Resolve(Ref{Model: "mnist"}); err != nil || v != 3 {
		t.Fatalf("latest → %d, %v", v, err)
	}
	mi, err := r.Model(context.Background(), "kws")
	if err != nil || len(mi.Versions) != 1 || mi.Versions[0].Version != 7 {
		t.Fatalf("Model(kws): %+v %v", mi, err)
	}
	if _, err := r.Model(context.Background(), "nope"); !errors.Is(err, ErrModelNotFound) {
		t.Fatalf("Model(nope): %v", err)
	}
	if _, err := r.Model(context.Background(), "../etc"); !errors.Is(err, ErrBadRef) {
		t.Fatalf("Model(../etc): %v", err)
	}
}
