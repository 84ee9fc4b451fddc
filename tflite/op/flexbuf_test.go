package op_test

import (
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
