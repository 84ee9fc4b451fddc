package modelcache

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// TestScanExplains checks that every entry Scan does not serve is
// reported with its reason and fix, and that mistakes are told apart from
// files the layout simply does not use.
func TestScanExplains(t *testing.T) {
	type want struct {
		path, reason, fix string
		problem           bool
	}
	tests := []struct {
		name    string
		objects map[string]string
		models  []string
		want    []want
	}{
		{
			name:    "empty repository",
			objects: map[string]string{},
			want:    []want{{"", "no models found", "<repo>/<model>/<version>/model.tflite", true}},
		},
		{
			name:    "clean repository says nothing",
			objects: map[string]string{"a/1/model.tflite": "x", "a/config.json": `{"labels": {"stable": 1}}`, "a/.DS_Store": "x", ".git/config": "x"},
			models:  []string{"a"},
		},
		{
			name:    "misnamed model file",
			objects: map[string]string{"a/1/person_detect.tflite": "x", "b/1/model.tflite": "x"},
			models:  []string{"b"},
			want: []want{
				{"a/", "no version directory holds a model file", "a/1/model.tflite", true},
				{"a/1/person_detect.tflite", "not a model file name", "rename it to a/1/model.tflite", true},
			},
		},
		{
			name:    "extra model file beside the served one",
			objects: map[string]string{"a/1/model.tflite": "x", "a/1/old.tflite": "x"},
			models:  []string{"a"},
			want:    []want{{"a/1/old.tflite", "a/1/model.tflite is the model of version 1", "remove it", true}},
		},
		{
			name:    "no version directory",
			objects: map[string]string{"a/model.tflite": "x"},
			want: []want{
				{"", "no models found", "", true},
				{"a/", "no version directory", "a/1/model.tflite", true},
				{"a/model.tflite", "outside a version directory", "move it to a/1/model.tflite", true},
			},
		},
		{
			name:    "model at the top level",
			objects: map[string]string{"mnist.tflite.zst": "x", "README.md": "x", "config.json": "{}", "b/1/model.tflite": "x"},
			models:  []string{"b"},
			want: []want{
				{"README.md", "not part of the layout (ignored)", "", false},
				{"config.json", "top level is not read", "move it to <model>/config.json", true},
				{"mnist.tflite.zst", "top level is not served", "move it to mnist/1/model.tflite.zst", true},
			},
		},
		{
			name:    "version directories that are not numbers",
			objects: map[string]string{"a/v2/model.tflite": "x", "a/01/model.tflite": "x", "a/docs/notes.txt": "x", "a/3/model.tflite": "x"},
			models:  []string{"a"},
			want: []want{
				{"a/01/", `"01" is not a version`, "rename it to a/1/", true},
				{"a/docs/", "not part of the layout (ignored)", "", false},
				{"a/v2/", `"v2" is not a version`, "rename it to a/2/", true},
			},
		},
		{
			name:    "unsupported compression",
			objects: map[string]string{"a/1/model.tflite.s2": "x", "b/1/model.tflite": "x", "b/1/model.tflite.bak": "x"},
			models:  []string{"b"},
			want: []want{
				{"a/", "no version directory", "a/1/model.tflite", true},
				{"a/1/model.tflite.s2", "compression .s2 is not read", "decompress it to a/1/model.tflite (or recompress it as model.tflite.zst or model.tflite.gz)", true},
				{"b/1/model.tflite.bak", "not served: b/1/model.tflite is the model of version 1", "remove it", true},
			},
		},
		{
			name:    "plain and compressed in one version",
			objects: map[string]string{"a/1/model.tflite": "x", "a/1/model.tflite.zst": "x"},
			models:  []string{"a"},
			want:    []want{{"a/1/model.tflite.zst", "model.tflite and model.tflite.zst are both present; model.tflite is served", "delete one of them", true}},
		},
		{
			name:    "nested too deep and companions",
			objects: map[string]string{"a/1/sub/model.tflite": "x", "a/1/model.tflite": "x", "a/1/notes.txt": "x", "a/1/labels.txt": "x", "a/labels.txt": "x"},
			models:  []string{"a"},
			want: []want{ // labels.txt (LabelsFile) is part of the layout
				{"a/1/notes.txt", "not part of the layout (ignored)", "", false},
				{"a/1/sub/model.tflite", "nested below the version directory", "remove it; a/1/model.tflite is the model of version 1", true},
			},
		},
		{
			name:    "invalid model directory name",
			objects: map[string]string{"my model/1/model.tflite": "x", "-x/notes.txt": "x", "b/1/model.tflite": "x"},
			models:  []string{"b"},
			want: []want{
				{"-x/", "not part of the layout (ignored)", "", false},
				{"my model/", "not a valid model directory name", "rename the directory", true},
			},
		},
		{
			name:    "label and versions name missing versions",
			objects: map[string]string{"a/1/model.tflite": "x", "a/config.json": `{"labels": {"stable": 3}, "version_policy": "specific", "versions": [1, 4]}`},
			models:  []string{"a"},
			want: []want{
				{"a/config.json", `label "stable" names version 3, which has no model file`, "add a/3/model.tflite", true},
				{"a/config.json", `"versions" lists version 4`, "remove 4 from", true},
			},
		},
		{
			name:    "broken config keeps the model listed, unavailable",
			objects: map[string]string{"a/1/model.tflite": "x", "a/config.json": `{"max_batch_size": 16,}`},
			models:  []string{"a"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for k, v := range tc.objects {
				e.put(k, []byte(v))
			}
			res, err := e.repo.Scan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range res.Models {
				names = append(names, m.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.models, ",") {
				t.Errorf("models %v, want %v", names, tc.models)
			}
			if len(res.Skipped) != len(tc.want) {
				t.Fatalf("skipped %d entries, want %d:\n%s", len(res.Skipped), len(tc.want), lines(res.Skipped))
			}
			for i, w := range tc.want {
				got := res.Skipped[i]
				if got.Path != w.path || !strings.Contains(got.Reason, w.reason) || !strings.Contains(got.Fix, w.fix) || got.Problem != w.problem {
					t.Errorf("entry %d: %+v\nwant path %q, reason ~%q, fix ~%q, problem %v", i, got, w.path, w.reason, w.fix, w.problem)
				}
			}
		})
	}
}

func lines(s []Skipped) string {
	var b strings.Builder
	for _, sk := range s {
		b.WriteString("  " + sk.String() + "\n")
	}
	return b.String()
}

// TestScanProblems checks the lines check-repo prints: an invalid
// config.json makes the model unavailable with the parser's reason.
func TestScanProblems(t *testing.T) {
	e := newEnv(t)
	e.put("a/1/model.tflite", []byte("x"))
	e.put("a/config.json", []byte(`{"max_batch_size": 16, "warmup": 1}`))
	e.put("b/1/person_detect.tflite", []byte("x"))
	e.put("c/1/model.tflite", []byte("x"))
	res, err := e.repo.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(res.Problems(), "\n")
	for _, want := range []string{
		`a/: model unavailable: modelcache: config.json of model "a": field "warmup": unknown field`,
		"b/1/person_detect.tflite: not a model file name: the server reads model.tflite, model.tflite.zst, model.tflite.gz; fix: rename it to b/1/model.tflite",
		"b/: no version directory holds a model file, so the model is not served; fix: put the model at b/1/model.tflite",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "c/") {
		t.Errorf("problems mention the good model c:\n%s", got)
	}
}

// TestScanLocal covers what only the file system shows: symbolic links
// (never followed) and empty directories.
func TestScanLocal(t *testing.T) {
	root := t.TempDir()
	mk := func(p, data string) {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("a/1/model.tflite", "m")
	for _, d := range []string{"empty", "a/2", "a/notes"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(outside, "1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "1", "model.tflite"), []byte("m"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "linked")); err != nil {
		t.Skipf("symlinks not supported: %v", err)
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
	res, err := r.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := lines(res.Skipped)
	for _, want := range []string{
		"a/2/: empty version directory; fix: put the model at a/2/model.tflite",
		"a/notes/: not part of the layout (ignored)",
		"empty/: empty model directory; fix: put the model at empty/1/model.tflite",
		"linked: symbolic link (to " + outside + ") is not followed; fix: replace the link with the file or directory it points to",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("skipped lacks %q:\n%s", want, got)
		}
	}
	if len(res.Models) != 1 || res.Models[0].Name != "a" {
		t.Errorf("models %+v", res.Models)
	}
}

func TestSummaries(t *testing.T) {
	cfg, err := ParseConfig("m", []byte(`{"max_batch_size": 8, "batch_delay_ms": 2, "preload": true, "labels": {"stable": 1, "canary": 2}, "warmup_runs": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Summary(), "max_batch_size 8, batch_delay_ms 2, warmup_runs 2, preload, labels canary=2,stable=1"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if got := (&Config{VersionPolicy: PolicyAll}).Summary(); got != "defaults" {
		t.Errorf("zero config: %q", got)
	}
	mi := &ModelInfo{Name: "m", Config: &Config{VersionPolicy: PolicyLatest},
		Versions: []VersionInfo{{Version: 1, URL: "x/m/1/model.tflite", Size: 880}, {Version: 2, URL: "x/m/2/model.tflite.zst", Size: 3 << 20}}}
	if got, want := mi.Summary(), "versions 1 (model.tflite, 880 B, not served by the version policy), 2 (model.tflite.zst, 3.0 MiB); config: version_policy latest"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}
