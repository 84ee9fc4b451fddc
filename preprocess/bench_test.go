package preprocess

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// photo returns a w×h JPEG with smooth gradients and texture (so that it
// compresses like a photo, not like a flat image).
func photo(b *testing.B, w, h int) []byte {
	b.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			img.Pix[i] = uint8(x * 255 / w)
			img.Pix[i+1] = uint8(y * 255 / h)
			img.Pix[i+2] = uint8((x*7 + y*13) ^ (x * y))
			img.Pix[i+3] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkImageToTensor measures decode + resize + normalize + quantize of
// one JPEG into a 224x224x3 uint8 (MobileNet) input: the per-request
// overhead an image adds before inference.
func BenchmarkImageToTensor(b *testing.B) {
	spec := Spec{Height: 224, Width: 224, Channels: 3, Batch: true, Layout: NHWC, DType: tensor.Uint8, Fit: FitStretch}
	for _, sz := range []struct {
		name string
		w, h int
	}{{"224x224", 224, 224}, {"12MP_4000x3000", 4000, 3000}} {
		data := photo(b, sz.w, sz.h)
		b.Run(sz.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, _, err := FromBytes(data, spec, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(sz.name+"/resize_only", func(b *testing.B) {
			im, err := Decode(data, Limits{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Tensor(im, spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
