package serving

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"strconv"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite"
	"golang.org/x/image/bmp"
	xdraw "golang.org/x/image/draw"
)

// BenchmarkImagePost measures one inference request on the corpus
// MobileNetV2 (uint8, 224x224) through the HTTP API: as a 224x224 JPEG
// (image/jpeg POST, answered with the top 5 classes), as a 12 MP JPEG, and
// as the raw uint8 tensor (V2 binary extension). The difference is what an
// image costs a request: decode, resize, and labels.
func BenchmarkImagePost(b *testing.B) {
	m, err := tflite.LoadFile(sharedFile(b, "realmodels/coral__tf2_mobilenet_v2_1.0_224_ptq/model.tflite"))
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(sharedFile(b, "media/grace_hopper.bmp"))
	if err != nil {
		b.Fatal(err)
	}
	src, err := bmp.Decode(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	jpg := func(w, h int) []byte {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		xdraw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		return buf.Bytes()
	}
	e := newEnv(b, Config{}, func(s *testSource) { s.add("cls", 1, FromTFLite(m), ModelConfig{}) })
	hdr := `{"inputs":[{"name":"input","datatype":"UINT8","shape":[1,224,224,3],"parameters":{"binary_data_size":150528}}]}`
	tensorBody := append([]byte(hdr), make([]byte, 224*224*3)...)
	for _, tc := range []struct {
		name string
		body []byte
		hdr  map[string]string
	}{
		{"tensor_v2_binary", tensorBody, map[string]string{"Inference-Header-Content-Length": strconv.Itoa(len(hdr))}},
		{"jpeg_224x224", jpg(224, 224), map[string]string{"Content-Type": "image/jpeg"}},
		{"jpeg_12MP_4000x3000", jpg(4000, 3000), map[string]string{"Content-Type": "image/jpeg"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.body)))
			for b.Loop() {
				if code, _, body := e.do(b, "POST", "/v2/models/cls/infer", tc.body, tc.hdr); code != 200 {
					b.Fatalf("%d %s", code, body)
				}
			}
		})
	}
}
