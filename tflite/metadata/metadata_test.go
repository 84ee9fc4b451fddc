package metadata

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// realModels returns ../shared/realmodels, skipping the test when absent
// unless EDGEINFER_CONFORMANCE=require.
func realModels(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "realmodels"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "models.tsv")); err != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("real models required but absent at %s", dir)
		}
		t.Skipf("real models absent at %s (expected ../shared/realmodels); skipping", dir)
	}
	return dir
}

func readModel(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realModels(t), name, "model.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorpus checks what the corpus models' metadata says, as written by
// their publishers (values read with the TFLite Support metadata schema).
func TestCorpus(t *testing.T) {
	for _, tc := range []struct {
		model      string
		inName     string
		mean, std  float32
		labels     int
		label      int
		labelText  string
		labelFiles string
	}{
		{"coral__tf2_mobilenet_v2_1.0_224_ptq", "image", 127.5, 127.5, 1001, 653, "military uniform", "imagenet_labels.txt"},
		{"coral__mobilenet_v1_0.25_128_quant", "image", 127.5, 127.5, 1001, 1, "tench, Tinca tinca", "imagenet_labels.txt"},
		{"tflsupport__automl_labeler_model", "image", 0, 1, 5, 0, "daisy", "labels.txt"},
		{"tflsupport__deeplabv3_257_float", "image", 127.5, 127.5, 21, 15, "person", "labelmap.txt"},
		{"mediapipe__face_landmark", "image", 0, 255, 0, 0, "", ""},
	} {
		t.Run(tc.model, func(t *testing.T) {
			m, err := Read(readModel(t, tc.model), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			in := m.Input(0)
			if in == nil || in.Name != tc.inName || in.Content.Kind != ContentImage || in.Content.Image.ColorSpace != ColorRGB {
				t.Fatalf("input 0 = %+v, want an RGB image named %q", in, tc.inName)
			}
			if n := in.Normalization; n == nil || len(n.Mean) != 1 || n.Mean[0] != tc.mean || n.Std[0] != tc.std {
				t.Fatalf("normalization %+v, want mean %v std %v", n, tc.mean, tc.std)
			}
			labels, typ, err := m.OutputLabels(0, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(labels) != tc.labels {
				t.Fatalf("%d labels, want %d", len(labels), tc.labels)
			}
			if tc.labels == 0 {
				return
			}
			if typ != FileTensorAxisLabels || labels[tc.label] != tc.labelText {
				t.Fatalf("label %d = %q (type %d), want %q", tc.label, labels[tc.label], typ, tc.labelText)
			}
			if _, ok := m.Files[tc.labelFiles]; !ok || len(m.Files) == 0 {
				t.Fatalf("files %v lack %q", keys(m.Files), tc.labelFiles)
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// tinyModel returns a valid one-op model without metadata.
func tinyModel(t testing.TB) []byte {
	t.Helper()
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{1, 4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{1, 4}, nil, nil)
	b.Op("RELU", []int{x}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func zipOf(t testing.TB, files map[string]string, method uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestNoMetadata(t *testing.T) {
	m, err := Read(tinyModel(t), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Metadata != nil || m.Files != nil || m.Input(0) != nil {
		t.Fatalf("got %+v for a model without metadata", m)
	}
	if l, _, err := m.OutputLabels(0, ""); l != nil || err != nil {
		t.Fatalf("labels %v, %v", l, err)
	}
}

func TestZipLimits(t *testing.T) {
	model := tinyModel(t)
	big := strings.Repeat("a", 5000)
	for _, tc := range []struct {
		name  string
		files map[string]string
		lim   Limits
		err   string
	}{
		{"ok", map[string]string{"labels.txt": "a\nb\n"}, Limits{}, ""},
		{"too many files", map[string]string{"a": "", "b": "", "c": ""}, Limits{MaxFiles: 2}, "3 files"},
		{"file too large", map[string]string{"a": big}, Limits{MaxFileBytes: 4096}, "over the 4096-byte limit"},
		{"total too large", map[string]string{"a": big, "b": big}, Limits{MaxTotalBytes: 8000}, "total limit"},
	} {
		for _, method := range []uint16{zip.Store, zip.Deflate} {
			t.Run(tc.name, func(t *testing.T) {
				data := append(append([]byte(nil), model...), zipOf(t, tc.files, method)...)
				m, err := Read(data, tc.lim)
				if tc.err == "" {
					if err != nil || len(m.Files) != len(tc.files) {
						t.Fatalf("Read: %v, files %v", err, keys(m.Files))
					}
					return
				}
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want ErrInvalid with %q", err, tc.err)
				}
			})
		}
	}
}

func TestParseLabels(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a\nb\n", []string{"a", "b"}},
		{"a\r\nb", []string{"a", "b"}},
		{" x y \n\nz\n", []string{"x y", "", "z"}},
	} {
		got, err := ParseLabels([]byte(tc.in))
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("ParseLabels(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseLabels([]byte{0xff, 0xfe}); !errors.Is(err, ErrInvalid) {
		t.Errorf("non-UTF-8: err = %v", err)
	}
}

// TestTruncated checks that every prefix of a real metadata buffer is an
// error or a value, never a panic, and that a wrong identifier is refused.
func TestTruncated(t *testing.T) {
	buf, err := metadataBuffer(readModel(t, "coral__tf2_mobilenet_v2_1.0_224_ptq"))
	if err != nil || buf == nil {
		t.Fatalf("metadata buffer: %v", err)
	}
	if _, err := Parse(buf); err != nil {
		t.Fatal(err)
	}
	for n := range len(buf) {
		Parse(buf[:n])
	}
	bad := append([]byte(nil), buf...)
	copy(bad[4:8], "M002")
	if _, err := Parse(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("wrong identifier: %v", err)
	}
	if _, err := Read([]byte("not a model at all"), Limits{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("not a model: %v", err)
	}
}
