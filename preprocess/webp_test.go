package preprocess

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"math/bits"
	"testing"
)

// bitWriter packs bits LSB first, as VP8L does.
type bitWriter struct {
	buf  []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nacc > 0 {
		w.buf = append(w.buf, byte(w.acc))
	}
	return w.buf
}

// encodeWebP writes img as a lossless WebP (VP8L) with the plainest
// bitstream the format allows: no transforms, no color cache, and a flat
// 8-bit prefix code for each of green, red, blue and alpha, so that every
// pixel costs 32 bits. It exists so that the tests cover the WebP decoder
// without a binary test file (the Go libraries have no WebP encoder).
func encodeWebP(img image.Image) []byte {
	b := img.Bounds()
	var w bitWriter
	w.put(0x2f, 8)
	w.put(uint64(b.Dx()-1), 14)
	w.put(uint64(b.Dy()-1), 14)
	w.put(0, 1) // alpha hint
	w.put(0, 3) // version
	w.put(0, 1) // no transform
	w.put(0, 1) // no color cache
	w.put(0, 1) // no meta prefix codes
	// A normal prefix code whose code-length code has two 1-bit symbols:
	// 0 and 8 (at positions 2 and 11 of the code-length code order).
	flat := func(used, total int) {
		w.put(0, 1) // normal code
		w.put(12-4, 4)
		for i := range 12 {
			if i == 2 || i == 11 {
				w.put(1, 3)
			} else {
				w.put(0, 3)
			}
		}
		w.put(0, 1) // code lengths for every symbol
		for s := range total {
			if s < used {
				w.put(1, 1) // length 8 (code 1)
			} else {
				w.put(0, 1) // length 0 (code 0)
			}
		}
	}
	flat(256, 256+24) // green + length prefixes
	flat(256, 256)    // red
	flat(256, 256)    // blue
	flat(256, 256)    // alpha
	// Distance: a simple code with the one symbol 0.
	w.put(1, 1)
	w.put(0, 1)
	w.put(0, 1)
	w.put(0, 1)
	sym := func(v uint8) { w.put(uint64(bits.Reverse8(v)), 8) }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			sym(c.G)
			sym(c.R)
			sym(c.B)
			sym(c.A)
		}
	}
	payload := w.bytes()
	var out bytes.Buffer
	out.WriteString("RIFF")
	size := 4 + 8 + len(payload) + len(payload)%2
	binary.Write(&out, binary.LittleEndian, uint32(size))
	out.WriteString("WEBPVP8L")
	binary.Write(&out, binary.LittleEndian, uint32(len(payload)))
	out.Write(payload)
	if len(payload)%2 == 1 {
		out.WriteByte(0)
	}
	return out.Bytes()
}

func TestWebPEncoderRoundTrip(t *testing.T) {
	src := rgbImage(7, 5, func(x, y int) color.NRGBA { return color.NRGBA{uint8(30 * x), uint8(50 * y), uint8(x * y), 255} })
	im, err := Decode(encodeWebP(src), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if im.Format != WebP || im.Width != 7 || im.Height != 5 {
		t.Fatalf("decoded %s %dx%d", im.Format, im.Width, im.Height)
	}
	for y := range 5 {
		for x := range 7 {
			c := src.NRGBAAt(x, y)
			if r, g, b := im.rgb(x, y); r != c.R || g != c.G || b != c.B {
				t.Fatalf("pixel (%d,%d) = %d,%d,%d, want %v", x, y, r, g, b, c)
			}
		}
	}
}
