package batch

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/internal/testserver"
	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// npyInput has a bad record (index 1) and a record of two items
// (index 2); y = 2x + 1, so the expected arrays are worked out by hand.
const npyInput = "[0,1,2,3]\nbad\n" + `{"instances":[[-1,0,1,4],[0,0,0,0.5]]}` + "\n[1,1,1,1]\n"

var (
	npyWantIndex = []int64{0, 2, 2, 3}
	npyWantY     = []float32{1, 3, 5, 7, -1, 1, 3, 9, 1, 1, 1, 2, 3, 3, 3, 3}
)

// npzMembers reads an archive's members in order.
func npzMembers(t *testing.T, b []byte) (names []string, data map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip archive: %v", err)
	}
	data = map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		d, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		data[f.Name] = d
	}
	return names, data
}

func TestRunNpyOutput(t *testing.T) {
	cfg := linearConfig(t, FormatNDJSON)
	_, models := newServer(t)
	cfg.Output, cfg.OutputSpecs = OutputNpy, models[examples.Linear].Outputs()
	cfg.SpillDir = t.TempDir()
	var first []byte
	for _, c := range []struct{ batch, conc int }{{64, 2}, {1, 1}, {2, 3}, {3, 8}} {
		cfg.MaxBatchItems, cfg.Concurrency = c.batch, c.conc
		var out bytes.Buffer
		sum, err := Run(context.Background(), cfg, strings.NewReader(npyInput), &out)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Records != 4 || sum.Failed != 1 || sum.Items != 4 || sum.BytesOut != int64(out.Len()) {
			t.Errorf("summary %+v", sum)
		}
		if first == nil {
			first = out.Bytes()
		} else if !bytes.Equal(out.Bytes(), first) {
			t.Errorf("batch %d concurrency %d: archive differs", c.batch, c.conc)
		}
	}
	if left, _ := os.ReadDir(cfg.SpillDir); len(left) != 0 {
		t.Errorf("spill files left behind: %v", left)
	}
	names, data := npzMembers(t, first)
	if strings.Join(names, " ") != "index.npy y.npy errors.ndjson" {
		t.Fatalf("members %v", names)
	}
	idx, err := tensor.ReadNpy(bytes.NewReader(data["index.npy"]))
	if err != nil {
		t.Fatal(err)
	}
	if idx.DType != tensor.Int64 || !idx.Shape.Equal(tensor.Shape{4}) || !equalSlices(idx.Int64s(), npyWantIndex) {
		t.Errorf("index %s%s %v, want %v", idx.DType, idx.Shape, idx.Int64s(), npyWantIndex)
	}
	y, err := tensor.ReadNpy(bytes.NewReader(data["y.npy"]))
	if err != nil {
		t.Fatal(err)
	}
	if y.DType != tensor.Float32 || !y.Shape.Equal(tensor.Shape{4, 4}) || !equalSlices(y.Float32s(), npyWantY) {
		t.Errorf("y %s%s %v, want %v", y.DType, y.Shape, y.Float32s(), npyWantY)
	}
	errs := string(data["errors.ndjson"])
	if !strings.HasPrefix(errs, `{"index":1,"line":2,"error":"`) || strings.Count(errs, "\n") != 1 || !strings.HasSuffix(errs, "}\n") {
		t.Errorf("errors.ndjson %q", errs)
	}

	// The same archive through numpy itself, when it is installed.
	path := filepath.Join(t.TempDir(), "p.npz")
	if err := os.WriteFile(path, first, 0o644); err != nil {
		t.Fatal(err)
	}
	got := runNumpy(t, path)
	want := `{"errors.ndjson": 1, "index": ["int64", [4], [0, 2, 2, 3]], "y": ["float32", [4, 4], [1.0, 3.0, 5.0, 7.0, -1.0, 1.0, 3.0, 9.0, 1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0]]}`
	if got != want {
		t.Errorf("numpy read:\n%s\nwant\n%s", got, want)
	}
}

// An empty input is an archive of empty arrays, which numpy reads too.
func TestRunNpyOutputEmpty(t *testing.T) {
	cfg := linearConfig(t, FormatNDJSON)
	_, models := newServer(t)
	cfg.Output, cfg.OutputSpecs, cfg.SpillDir = OutputNpy, models[examples.Linear].Outputs(), t.TempDir()
	var out bytes.Buffer
	if _, err := Run(context.Background(), cfg, strings.NewReader("\n"), &out); err != nil {
		t.Fatal(err)
	}
	_, data := npzMembers(t, out.Bytes())
	y, err := tensor.ReadNpy(bytes.NewReader(data["y.npy"]))
	if err != nil || !y.Shape.Equal(tensor.Shape{0, 4}) {
		t.Fatalf("y: %v, %v", y, err)
	}
	path := filepath.Join(t.TempDir(), "e.npz")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := runNumpy(t, path), `{"errors.ndjson": 0, "index": ["int64", [0], []], "y": ["float32", [0, 4], []]}`; got != want {
		t.Errorf("numpy read %s, want %s", got, want)
	}
}

func TestRunNpyOutputErrors(t *testing.T) {
	_, models := newServer(t)
	specs := models[examples.Linear].Outputs()
	renamed := func(name string) []tflite.TensorSpec {
		sp := specs[0]
		sp.Name = name
		return []tflite.TensorSpec{sp}
	}
	tests := []struct {
		name  string
		specs []tflite.TensorSpec
		max   int64
		want  error
	}{
		{name: "no specs", want: ErrConfig},
		{name: "output called index", specs: renamed("index"), want: ErrFormat},
		{name: "no batch dimension", specs: []tflite.TensorSpec{{Name: "y", DType: tensor.Float32}}, want: ErrFormat},
		{name: "dynamic item", specs: []tflite.TensorSpec{{Name: "y", DType: tensor.Float32, Shape: tensor.Shape{-1, -1}}}, want: ErrFormat},
		{name: "spill cap", specs: specs, max: 100, want: ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := linearConfig(t, FormatNDJSON)
			cfg.Output, cfg.OutputSpecs, cfg.MaxSpillBytes, cfg.SpillDir = OutputNpy, tc.specs, tc.max, t.TempDir()
			in := strings.Repeat("[1,2,3,4]\n", 50)
			var out bytes.Buffer
			sum, err := Run(context.Background(), cfg, strings.NewReader(in), &out)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if sum.Status != "failed" || out.Len() != 0 {
				t.Errorf("summary %+v, %d bytes written", sum, out.Len())
			}
		})
	}
}

// ProcessObject over a real S3-compatible server: the archive is stored
// as is (not zstd-compressed: numpy opens it directly) under
// <key>.predictions.npz, with the bytes Run writes.
func TestProcessObjectNpy(t *testing.T) {
	srv := testserver.StartS3(t, "npz")
	store, err := objstore.New(objstore.Options{S3Endpoint: srv.Endpoint, S3PathStyle: true, S3Region: srv.Region,
		S3AccessKeyID: srv.Access, S3SecretAccessKey: srv.Secret})
	if err != nil {
		t.Fatal(err)
	}
	bucket := "s3://" + srv.Bucket
	w, err := store.Create(context.Background(), bucket+"/in/x.ndjson.zst", &objstore.WriteOptions{Compression: objstore.CodecZstd})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, npyInput); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := linearConfig(t, FormatAuto)
	_, models := newServer(t)
	cfg.Output, cfg.OutputSpecs, cfg.SpillDir = OutputNpy, models[examples.Linear].Outputs(), t.TempDir()
	sum, err := ProcessObject(context.Background(), cfg, Object{Store: store, InputURL: bucket + "/in/x.ndjson.zst", Key: "in/x.ndjson.zst", OutputPrefix: bucket + "/out"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Output != bucket+"/out/in/x.ndjson.zst.predictions.npz" || !IsOutputKey("out/in/x.ndjson.zst.predictions.npz") {
		t.Errorf("output %s", sum.Output)
	}
	r, err := store.Open(context.Background(), sum.Output, &objstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Format = FormatNDJSON
	var direct bytes.Buffer
	if _, err := Run(context.Background(), cfg, strings.NewReader(npyInput), &direct); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(stored, []byte("PK\x03\x04")) || !bytes.Equal(stored, direct.Bytes()) {
		t.Errorf("stored archive (%d bytes, % x...) differs from Run's (%d bytes)", len(stored), stored[:min(8, len(stored))], direct.Len())
	}
}

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// runNumpy loads an archive with numpy.load and returns, as JSON, each
// array's dtype, shape and values, and the line count of errors.ndjson.
// It skips the test when no python3 has numpy (apt-get install
// python3-numpy).
func runNumpy(t *testing.T, path string) string {
	t.Helper()
	const script = `
import json, sys
try:
    import numpy as np
except ImportError:
    print("NO NUMPY")
    sys.exit(0)
z = np.load(sys.argv[1], allow_pickle=False)
out = {}
for k in z.files:
    v = z[k]
    if isinstance(v, bytes):
        out[k] = v.count(b"\n")
    else:
        out[k] = [str(v.dtype), list(v.shape), v.ravel().tolist()]
print(json.dumps(out, sort_keys=True))
`
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		py, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		b, err := exec.Command(py, "-c", script, path).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: numpy.load: %v\n%s", py, err, b)
		}
		if strings.TrimSpace(string(b)) == "NO NUMPY" {
			continue
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("numpy said %s", b)
		}
		return strings.TrimSpace(string(b))
	}
	t.Skip("no python3 with numpy (apt-get install python3-numpy): archive not checked with numpy.load")
	return ""
}
