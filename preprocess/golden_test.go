package preprocess

import (
	"bytes"
	"context"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/metadata"
)

// sharedDir returns ../shared/<sub>, skipping the test when absent unless
// EDGEINFER_CONFORMANCE=require.
func sharedDir(t testing.TB, sub, probe string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", sub))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, probe)); err != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("../shared/%s required but absent at %s", sub, dir)
		}
		t.Skipf("../shared/%s absent at %s; skipping", sub, dir)
	}
	return dir
}

// variants re-encodes a BMP from ../shared/media as every supported format.
func variants(t *testing.T, path string) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	im, err := Decode(raw, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	img := im.img
	out := map[string][]byte{"bmp": raw, "webp": encodeWebP(img)}
	enc := map[string]func(*bytes.Buffer, image.Image) error{
		"jpg": func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, &jpeg.Options{Quality: 90}) },
		"png": func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) },
		"gif": func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) },
	}
	for name, f := range enc {
		var b bytes.Buffer
		if err := f(&b, img); err != nil {
			t.Fatal(err)
		}
		out[name] = b.Bytes()
	}
	return out
}

// TestTop1AgainstStockTFLite feeds the corpus classifiers the tensors this
// package makes from ../shared/media images (each re-encoded as JPEG,
// PNG, GIF and WebP) and checks the engine's top-1 class against what
// stock TensorFlow Lite answers for the same tensor. The expected classes
// were produced with:
//
//	edgeinfer predict --model M --image IMG --save-input in.npy
//	node ../shared/golden/tflite/run.mjs M in.npy --out out  # argmax of out/out0.npy
//
// for IMG = grace_hopper and cat as .bmp and as the jpg (quality 90), png
// and gif encodings written here with Go's encoders (the WebP encoding is
// lossless, so its tensor is the BMP's). Stock TFLite's top-2 margins were
// all >= 0.02 (probability) for the cases kept here.
func TestTop1AgainstStockTFLite(t *testing.T) {
	media := sharedDir(t, "media", "grace_hopper.bmp")
	models := sharedDir(t, "realmodels", "models.tsv")
	type want map[string]int // format -> class index
	cases := []struct {
		model string
		image string
		want  want
	}{
		// 653 military uniform, 286 Egyptian cat (imagenet_labels.txt, 1001 classes).
		{"coral__tf2_mobilenet_v2_1.0_224_ptq", "grace_hopper.bmp", want{"bmp": 653, "png": 653, "webp": 653, "jpg": 653, "gif": 653}},
		{"coral__tf2_mobilenet_v2_1.0_224_ptq", "cat.bmp", want{"bmp": 286, "png": 286, "webp": 286, "jpg": 286, "gif": 286}},
		{"tflsupport__mobilenet_v1_0.25_224_float", "cat.bmp", want{"bmp": 286, "png": 286, "webp": 286, "jpg": 286, "gif": 286}},
		// 835 "suit, suit of clothes": stock TFLite 0.191 vs 0.168 for 653.
		{"tflsupport__mobilenet_v1_0.25_224_float", "grace_hopper.bmp", want{"bmp": 835, "png": 835, "webp": 835}},
		// uint8 end to end (uint8 SOFTMAX), 224 and 192 inputs: stock 233 vs
		// 3 and 165 vs 19 (of 256).
		{"coral__mobilenet_v2_1.0_224_quant", "grace_hopper.bmp", want{"bmp": 653, "png": 653, "webp": 653}},
		{"coral__mobilenet_v1_0.75_192_quant", "grace_hopper.bmp", want{"bmp": 653, "png": 653, "webp": 653}},
		// int8 inputs without metadata (pixel - 128), gray and RGB: person
		// detection's 1 = person (stock: 101 vs -101), 0 = no person (77 vs
		// -77); CIFAR-10's 3 = cat (26 vs -36). Lossless encodings only: their
		// tensors are the BMP's, which the command above checked.
		{"tflm__person_detect", "grace_hopper.bmp", want{"bmp": 1, "png": 1, "webp": 1}},
		{"tflm__person_detect", "no_person.bmp", want{"bmp": 0, "png": 0, "webp": 0}},
		{"mlperftiny__resnet8_cifar_int8", "cat.bmp", want{"bmp": 3, "png": 3, "webp": 3}},
	}
	for _, tc := range cases {
		data, err := os.ReadFile(filepath.Join(models, tc.model, "model.tflite"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := tflite.Load(data)
		if err != nil {
			t.Fatal(err)
		}
		md, err := metadata.Read(data, metadata.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		spec, err := SpecFor(m.Inputs()[0], md.Input(0), nil)
		if err != nil {
			t.Fatal(err)
		}
		for format, enc := range variants(t, filepath.Join(media, tc.image)) {
			w, ok := tc.want[format]
			if !ok {
				continue
			}
			t.Run(tc.model+"/"+tc.image+"/"+format, func(t *testing.T) {
				in, _, err := FromBytes(enc, spec, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				outs, err := m.NewRunner().Run(context.Background(), []*tensor.Tensor{in})
				if err != nil {
					t.Fatal(err)
				}
				if got := argmax(outs[0]); got != w {
					t.Fatalf("top-1 = %d, stock TFLite says %d", got, w)
				}
			})
		}
	}
}

func argmax(t *tensor.Tensor) int {
	best := 0
	for i := range t.Shape.Elements() {
		if t.AsFloat64(i) > t.AsFloat64(best) {
			best = i
		}
	}
	return best
}
