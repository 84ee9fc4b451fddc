package preprocess

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

func grayImage(w, h int, pix []uint8) *Image {
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, pix)
	im, _ := FromImage(g)
	return im
}

func floatSpec(h, w, c int) Spec {
	return Spec{Height: h, Width: w, Channels: c, Layout: NHWC, DType: tensor.Float32, Normalize: true, Mean: []float32{0}, Std: []float32{1}}
}

func near(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i])-float64(b[i])) > tol {
			return false
		}
	}
	return true
}

// TestResizeHandDerived checks the bilinear half-pixel-centers resize
// against values worked out by hand from TensorFlow's definition
// (in = (out + 0.5) * in_size / out_size - 0.5, clamped neighbours,
// lerp = in - floor(in)).
func TestResizeHandDerived(t *testing.T) {
	// Upscale 2x2 -> 4x4: along each axis the source coordinates are
	// -0.25, 0.25, 0.75, 1.25, so a row [0 100] becomes [0 25 75 100] and
	// the rows mix 1:0, 3/4:1/4, 1/4:3/4, 0:1.
	up := grayImage(2, 2, []uint8{0, 100, 200, 40})
	t1, _, err := Tensor(up, floatSpec(4, 4, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{
		0, 25, 75, 100,
		50, 58.75, 76.25, 85,
		150, 126.25, 78.75, 55,
		200, 160, 80, 40,
	}
	if !near(t1.Float32s(), want, 1e-4) {
		t.Fatalf("2x2 -> 4x4 = %v, want %v", t1.Float32s(), want)
	}
	// Downscale 4x4 -> 2x2: source coordinates 0.5 and 2.5, so each output
	// is the mean of a 2x2 block.
	down := grayImage(4, 4, []uint8{
		0, 10, 20, 30,
		40, 50, 60, 70,
		80, 90, 100, 110,
		120, 130, 140, 250,
	})
	t2, _, err := Tensor(down, floatSpec(2, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{25, 45, 105, 150}; !near(t2.Float32s(), want, 1e-4) {
		t.Fatalf("4x4 -> 2x2 = %v, want %v", t2.Float32s(), want)
	}
	// 3 -> 2 along x only: source x = 0.25 and 1.75.
	t3, _, err := Tensor(grayImage(3, 1, []uint8{0, 100, 40}), floatSpec(1, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{25, 55}; !near(t3.Float32s(), want, 1e-4) {
		t.Fatalf("3 -> 2 = %v, want %v", t3.Float32s(), want)
	}
}

func rgbImage(w, h int, f func(x, y int) color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, f(x, y))
		}
	}
	return m
}

// TestLayoutNormalizeQuantize checks layout, normalization, gray
// conversion and quantization on a 2x1 image at its own size (no
// interpolation), against values computed by hand.
func TestLayoutNormalizeQuantize(t *testing.T) {
	src := rgbImage(2, 1, func(x, _ int) color.NRGBA {
		if x == 0 {
			return color.NRGBA{255, 0, 10, 255}
		}
		return color.NRGBA{0, 128, 200, 255}
	})
	im, _ := FromImage(src)
	base := Spec{Height: 1, Width: 2, Channels: 3, Batch: true, DType: tensor.Float32, Normalize: true, Mean: []float32{127.5}, Std: []float32{127.5}}
	for _, tc := range []struct {
		name string
		spec func(Spec) Spec
		want []float64
	}{
		{"nhwc float [-1,1]", func(s Spec) Spec { s.Layout = NHWC; return s },
			[]float64{1, -1, (10 - 127.5) / 127.5, -1, 0.5 / 127.5, 72.5 / 127.5}},
		{"nchw float [-1,1]", func(s Spec) Spec { s.Layout = NCHW; return s },
			[]float64{1, -1, -1, 0.5 / 127.5, (10 - 127.5) / 127.5, 72.5 / 127.5}},
		{"per-channel mean/std", func(s Spec) Spec { s.Mean, s.Std = []float32{0, 128, 10}, []float32{255, 1, 2}; return s },
			[]float64{1, -128, 0, 0, 0, 95}},
		{"uint8 raw", func(s Spec) Spec { s.DType, s.Normalize = tensor.Uint8, false; return s },
			[]float64{255, 0, 10, 0, 128, 200}},
		{"int8 raw", func(s Spec) Spec { s.DType, s.Normalize = tensor.Int8, false; return s },
			[]float64{127, -128, -118, -128, 0, 72}},
		// int8 with scale 1/128, zero point -1: round(v * 128) - 1 of the
		// normalized values above; 1.0 * 128 - 1 = 127; -1 -> -129 -> -128.
		{"int8 quantized", func(s Spec) Spec {
			s.DType, s.Quant = tensor.Int8, &tensor.Quant{Scale: []float32{1.0 / 128}, ZeroPoint: []int64{-1}}
			return s
		}, []float64{127, -128, -119, -128, 0, 72}},
		{"gray", func(s Spec) Spec { s.Channels = 1; return s },
			[]float64{(0.299*255 + 0.114*10 - 127.5) / 127.5, (0.587*128 + 0.114*200 - 127.5) / 127.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec(base)
			got, _, err := Tensor(im, spec)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Shape.Equal(spec.Shape()) {
				t.Fatalf("shape %s, want %s", got.Shape, spec.Shape())
			}
			for i, w := range tc.want {
				if g := got.AsFloat64(i); math.Abs(g-w) > 1e-5 {
					t.Fatalf("element %d = %v, want %v (all: %v)", i, g, w, got.Data)
				}
			}
		})
	}
}

// TestFit checks crop and pad placements and the pixels they produce.
func TestFit(t *testing.T) {
	// A 4x2 image: columns 0..3 have values 0, 40, 80, 120.
	im := grayImage(4, 2, []uint8{0, 40, 80, 120, 0, 40, 80, 120})
	crop := floatSpec(2, 2, 1)
	crop.Fit = FitCrop
	got, pl, err := Tensor(im, crop)
	if err != nil {
		t.Fatal(err)
	}
	// Center 2x2 crop: columns 1 and 2.
	if want := []float32{40, 80, 40, 80}; !near(got.Float32s(), want, 1e-5) {
		t.Fatalf("crop = %v, want %v", got.Float32s(), want)
	}
	if x, y := pl.ToImage(0, 0); x != 1 || y != 0 {
		t.Fatalf("crop placement maps (0,0) to (%v,%v), want (1,0)", x, y)
	}
	pad := floatSpec(4, 4, 1)
	pad.Fit = FitPad
	got, pl, err = Tensor(im, pad)
	if err != nil {
		t.Fatal(err)
	}
	// The 4x2 image fills rows 1-2 unchanged; rows 0 and 3 are black.
	want := []float32{0, 0, 0, 0, 0, 40, 80, 120, 0, 40, 80, 120, 0, 0, 0, 0}
	if !near(got.Float32s(), want, 1e-5) {
		t.Fatalf("pad = %v, want %v", got.Float32s(), want)
	}
	if x, y := pl.ToImage(4, 3); x != 4 || y != 2 {
		t.Fatalf("pad placement maps (4,3) to (%v,%v), want (4,2)", x, y)
	}
}

// withExif inserts an APP1 Exif segment with the given orientation after
// a JPEG's SOI marker.
func withExif(jpg []byte, orient uint16, bigEndian bool) []byte {
	var tiff bytes.Buffer
	var bo binary.ByteOrder = binary.LittleEndian
	tiff.WriteString("II*\x00")
	if bigEndian {
		bo = binary.BigEndian
		tiff.Reset()
		tiff.WriteString("MM\x00*")
	}
	binary.Write(&tiff, bo, uint32(8))
	binary.Write(&tiff, bo, uint16(1))
	binary.Write(&tiff, bo, []uint16{0x0112, 3})
	binary.Write(&tiff, bo, uint32(1))
	binary.Write(&tiff, bo, []uint16{orient, 0})
	binary.Write(&tiff, bo, uint32(0))
	body := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, body...)
	return append(out, jpg[2:]...)
}

// TestExifOrientation: a 32x16 JPEG, left half red and right half blue,
// displayed per orientation.
func TestExifOrientation(t *testing.T) {
	src := rgbImage(32, 16, func(x, _ int) color.NRGBA {
		if x < 16 {
			return color.NRGBA{255, 0, 0, 255}
		}
		return color.NRGBA{0, 0, 255, 255}
	})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	// Where the red half ends up as displayed: "left", "right", "top",
	// "bottom".
	for _, tc := range []struct {
		orient uint16
		w, h   int
		red    string
	}{
		{1, 32, 16, "left"}, {2, 32, 16, "right"}, {3, 32, 16, "right"}, {4, 32, 16, "left"},
		{5, 16, 32, "top"}, {6, 16, 32, "top"}, {7, 16, 32, "bottom"}, {8, 16, 32, "bottom"},
	} {
		for _, be := range []bool{false, true} {
			im, err := Decode(withExif(buf.Bytes(), tc.orient, be), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if im.Width != tc.w || im.Height != tc.h || im.Orientation() != int(tc.orient) {
				t.Fatalf("orientation %d: %dx%d (%d), want %dx%d", tc.orient, im.Width, im.Height, im.Orientation(), tc.w, tc.h)
			}
			x, y := im.Width/4, im.Height/2 // a point in the left half
			switch tc.red {
			case "right":
				x = 3 * im.Width / 4
			case "top":
				x, y = im.Width/2, im.Height/4
			case "bottom":
				x, y = im.Width/2, 3*im.Height/4
			}
			if r, _, b := im.rgb(x, y); r < 200 || b > 60 {
				t.Fatalf("orientation %d: pixel (%d,%d) = r%d b%d, want red", tc.orient, x, y, r, b)
			}
		}
	}
}

// TestDecodeLimits: a PNG whose header declares 100000x100000 is refused
// before decoding; garbage is ErrImage; oversize input is ErrTooLarge.
func TestDecodeLimits(t *testing.T) {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 2)))
	b := buf.Bytes()
	// IHDR data starts at 16: width, height; its CRC covers type+data.
	binary.BigEndian.PutUint32(b[16:], 100000)
	binary.BigEndian.PutUint32(b[20:], 100000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	if _, err := Decode(b, Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("10^10-pixel header: %v, want ErrTooLarge", err)
	}
	if _, err := Decode([]byte("hello"), Limits{}); !errors.Is(err, ErrImage) {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := Decode(b[:40], Limits{}); err == nil {
		t.Fatal("truncated PNG decoded")
	}
	if _, err := Decode(make([]byte, 100), Limits{MaxBytes: 50}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over MaxBytes: %v", err)
	}
}

func TestSpecFor(t *testing.T) {
	q := &tensor.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{3}}
	for _, tc := range []struct {
		name string
		in   tflite.TensorSpec
		ok   bool
		want Spec
	}{
		{"float nhwc", tflite.TensorSpec{DType: tensor.Float32, Shape: tensor.Shape{1, 224, 200, 3}}, true,
			Spec{Height: 224, Width: 200, Channels: 3, Layout: NHWC, Batch: true, DType: tensor.Float32, Normalize: true, Mean: []float32{127.5}, Std: []float32{127.5}, Fit: FitStretch}},
		{"int8 nchw dynamic batch", tflite.TensorSpec{DType: tensor.Int8, Quant: q, Shape: tensor.Shape{-1, 3, 96, 96}}, true,
			Spec{Height: 96, Width: 96, Channels: 3, Layout: NCHW, Batch: true, DType: tensor.Int8, Quant: q, Fit: FitStretch}},
		{"uint8 gray rank 3", tflite.TensorSpec{DType: tensor.Uint8, Shape: tensor.Shape{96, 96, 1}}, true,
			Spec{Height: 96, Width: 96, Channels: 1, Layout: NHWC, DType: tensor.Uint8, Fit: FitStretch}},
		{"vector", tflite.TensorSpec{DType: tensor.Float32, Shape: tensor.Shape{1, 10}}, false, Spec{}},
		{"4 channels", tflite.TensorSpec{DType: tensor.Float32, Shape: tensor.Shape{1, 8, 8, 4}}, false, Spec{}},
		{"int32", tflite.TensorSpec{DType: tensor.Int32, Shape: tensor.Shape{1, 8, 8, 3}}, false, Spec{}},
		{"int8 without scale", tflite.TensorSpec{DType: tensor.Int8, Shape: tensor.Shape{1, 8, 8, 3}}, false, Spec{}},
		{"batch 2", tflite.TensorSpec{DType: tensor.Float32, Shape: tensor.Shape{2, 8, 8, 3}}, false, Spec{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SpecFor(tc.in, nil, nil)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok {
				if !errors.Is(err, ErrSpec) {
					t.Fatalf("err %v is not ErrSpec", err)
				}
				return
			}
			if got.Height != tc.want.Height || got.Width != tc.want.Width || got.Channels != tc.want.Channels || got.Layout != tc.want.Layout ||
				got.Batch != tc.want.Batch || got.DType != tc.want.DType || got.Normalize != tc.want.Normalize || got.Fit != tc.want.Fit ||
				len(got.Mean) != len(tc.want.Mean) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	in := tflite.TensorSpec{DType: tensor.Float32, Shape: tensor.Shape{1, 8, 8, 3}}
	if _, err := SpecFor(in, nil, &Override{Fit: "zoom"}); !errors.Is(err, ErrSpec) {
		t.Fatalf("bad fit: %v", err)
	}
	if _, err := SpecFor(in, nil, &Override{Mean: []float32{1, 2}, Std: []float32{1, 2}}); !errors.Is(err, ErrSpec) {
		t.Fatalf("2 means for 3 channels: %v", err)
	}
	s, err := SpecFor(in, nil, &Override{Mean: []float32{0}, Std: []float32{255}, Fit: FitPad})
	if err != nil || s.Std[0] != 255 || s.Fit != FitPad {
		t.Fatalf("override: %+v %v", s, err)
	}
}

// TestQuantize checks Quantize against TFLite's rounding (half away from
// zero, clamped) on hand-picked values, and Dequantize against
// scale × (q − zero point).
func TestQuantize(t *testing.T) {
	src := &tensor.Tensor{Name: "x", DType: tensor.Float32, Shape: tensor.Shape{7}, Data: make([]byte, 28)}
	copy(src.Float32s(), []float32{0, 0.25, -0.25, 0.75, 100, -100, float32(math.NaN())})
	q := &tensor.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{-3}}
	got, err := Quantize(src, tensor.Int8, q)
	if err != nil {
		t.Fatal(err)
	}
	// v/0.5 = 0, 0.5, -0.5, 1.5, 200, -200, NaN -> round 0, 1, -1, 2, ... + (-3)
	want := []int8{-3, -2, -4, -1, 127, -128, -3}
	for i, w := range want {
		if got.Int8s()[i] != w {
			t.Fatalf("Quantize = %v, want %v", got.Int8s(), want)
		}
	}
	back, err := Dequantize(got, q)
	if err != nil {
		t.Fatal(err)
	}
	if w := []float32{0, 0.5, -0.5, 1, 65, -62.5, 0}; !near(back.Float32s(), w, 0) {
		t.Fatalf("Dequantize = %v, want %v", back.Float32s(), w)
	}
	if _, err := Quantize(src, tensor.Int8, &tensor.Quant{Scale: []float32{1, 2}, ZeroPoint: []int64{0, 0}}); !errors.Is(err, ErrQuant) {
		t.Fatalf("per-channel: %v", err)
	}
	if _, err := Quantize(src, tensor.Int32, q); !errors.Is(err, ErrQuant) {
		t.Fatalf("int32: %v", err)
	}
	u := &tensor.Tensor{DType: tensor.Uint8, Shape: tensor.Shape{2, 2}, Data: []byte{5, 12, 7, 14}}
	pc, err := Dequantize(u, &tensor.Quant{Scale: []float32{1, 0.5}, ZeroPoint: []int64{0, 10}, Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	if w := []float32{5, 1, 7, 2}; !near(pc.Float32s(), w, 0) {
		t.Fatalf("per-channel dequantize = %v, want %v", pc.Float32s(), w)
	}
}

// FuzzDecode feeds arbitrary bytes (seeded with every format) to Decode
// and, when they decode, to Tensor: errors are fine, panics are not.
func FuzzDecode(f *testing.F) {
	src := rgbImage(5, 3, func(x, y int) color.NRGBA { return color.NRGBA{uint8(40 * x), uint8(80 * y), 7, 255} })
	var j, p bytes.Buffer
	jpeg.Encode(&j, src, nil)
	png.Encode(&p, src)
	f.Add(j.Bytes())
	f.Add(withExif(j.Bytes(), 6, false))
	f.Add(p.Bytes())
	f.Add(encodeWebP(src))
	f.Add([]byte("GIF89a\x01\x00\x01\x00"))
	f.Add([]byte("BM"))
	spec := Spec{Height: 4, Width: 4, Channels: 3, Layout: NHWC, DType: tensor.Int8, Fit: FitPad}
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := Decode(b, Limits{MaxPixels: 1 << 16})
		if err != nil {
			return
		}
		if _, _, err := Tensor(im, spec); err != nil {
			t.Fatalf("decoded image does not convert: %v", err)
		}
	})
}
