package op_test

import (
	"slices"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

func TestParseFlexMap(t *testing.T) {
	b, err := tflitebuild.FlexMap(map[string]any{
		"max_detections": 10, "nms_iou_threshold": float32(0.6), "use_regular_nms": true,
		"y_scale": 10.0, "negative": -3, "off": false,
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := op.ParseFlexMap(b)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m.Int("max_detections", 0); !ok || v != 10 {
		t.Errorf("max_detections = %v %v", v, ok)
	}
	if v, ok := m.Int("negative", 0); !ok || v != -3 {
		t.Errorf("negative = %v %v", v, ok)
	}
	if v, ok := m.Int("absent", 7); !ok || v != 7 || m.Has("absent") {
		t.Errorf("absent = %v %v", v, ok)
	}
	if v, ok := m.Float("nms_iou_threshold", 0); !ok || v != 0.6 {
		t.Errorf("nms_iou_threshold = %v %v", v, ok)
	}
	if v, ok := m.Float("y_scale", 0); !ok || v != 10 {
		t.Errorf("y_scale = %v %v", v, ok)
	}
	if v, ok := m.Bool("use_regular_nms", false); !ok || !v {
		t.Errorf("use_regular_nms = %v %v", v, ok)
	}
	if v, ok := m.Bool("off", true); !ok || v {
		t.Errorf("off = %v %v", v, ok)
	}
}

// TestParseFlexMapHostile feeds truncated and corrupted buffers: each
// must return (an error or a map), never panic.
func TestParseFlexMapHostile(t *testing.T) {
	b, err := tflitebuild.FlexMap(map[string]any{"a": 1, "bb": float32(2), "ccc": true})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		if _, err := op.ParseFlexMap(b[:n]); err == nil && n < 3 {
			t.Fatalf("%d bytes parsed", n)
		}
		_, _ = op.ParseFlexMap(b[n:])
	}
	for i := range b {
		for _, v := range []byte{0, 1, 0x7f, 0x80, 0xff} {
			c := append([]byte(nil), b...)
			c[i] = v
			_, _ = op.ParseFlexMap(c)
		}
	}
	if _, err := op.ParseFlexMap([]byte{0, 0x24, 1}); err == nil {
		t.Fatal("a root that is not a map parsed")
	}
}

// TestParseFlexMapInts checks typed integer vectors: as tflitebuild writes
// them (8 bytes wide) and as a 2-byte-wide VECTOR_INT laid out by hand the
// way MediaPipe's converter writes subset_idxs.
func TestParseFlexMapInts(t *testing.T) {
	b, err := tflitebuild.FlexMap(map[string]any{"idx": []int{3, -1, 70000}, "n": 2})
	if err != nil {
		t.Fatal(err)
	}
	m, err := op.ParseFlexMap(b)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m.Ints("idx"); !ok || !slices.Equal(v, []int{3, -1, 70000}) {
		t.Errorf("idx = %v %v", v, ok)
	}
	if v, ok := m.Ints("absent"); !ok || v != nil {
		t.Errorf("absent = %v %v", v, ok)
	}
	if _, ok := m.Ints("n"); ok {
		t.Error("a scalar read as a vector")
	}
	if _, ok := m.Int("idx", 0); ok {
		t.Error("a vector read as a scalar")
	}
	// "v\0", pad, [len=3 (u16)] 5 6 7 (u16), key vector [len=1] [off],
	// map [keys off, keys width 1, len 1] [value off] [type VECTOR_INT,
	// 16-bit], root off, root type MAP/8-bit, root width 1.
	h := []byte{'v', 0, 3, 0, 5, 0, 6, 0, 7, 0}
	kvec := len(h) + 1
	h = append(h, 1, byte(kvec-0)) // keys vector: len 1, key at offset kvec → 0
	h = append(h, byte(len(h)-kvec), 1, 1)
	mpos := len(h)
	h = append(h, byte(mpos-4)) // value: offset back to the vector at 4
	h = append(h, 11<<2|1)
	h = append(h, byte(len(h)-mpos), 9<<2, 1)
	m, err = op.ParseFlexMap(h)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m.Ints("v"); !ok || !slices.Equal(v, []int{5, 6, 7}) {
		t.Errorf("v = %v %v", v, ok)
	}
	// The same with a length that runs past the buffer.
	h[2] = 200
	if _, err := op.ParseFlexMap(h); err == nil {
		t.Error("a vector past the end was accepted")
	}
}
