package preprocess

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"
)

// ErrImage reports bytes that are not a decodable image of a supported
// format, or an image the limits refuse.
var ErrImage = errors.New("preprocess: bad image")

// ErrTooLarge reports an image over Limits.MaxPixels or Limits.MaxBytes.
var ErrTooLarge = errors.New("preprocess: image too large")

// Limits bound decoding. Zero fields take the defaults in their comments.
type Limits struct {
	// MaxPixels is the most pixels (width × height, as the header
	// declares them) an image may have; larger ones are refused before
	// any pixel is decoded (default 64 Mi, enough for a 48 MP photo).
	MaxPixels int64
	// MaxBytes is the largest encoded image accepted (default 64 MiB).
	MaxBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxPixels <= 0 {
		l.MaxPixels = 64 << 20
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 64 << 20
	}
	return l
}

// Format names an encoded image format.
type Format string

// Supported formats.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	BMP  Format = "bmp"
	WebP Format = "webp"
)

// Sniff returns the format of an encoded image from its first bytes, or ""
// when they are not one of the supported formats.
func Sniff(b []byte) Format {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return JPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return GIF
	case len(b) >= 14 && b[0] == 'B' && b[1] == 'M':
		return BMP
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP
	}
	return ""
}

// Image is a decoded image with its EXIF orientation. Width and Height
// are the size as displayed (after orientation). Immutable.
type Image struct {
	img    image.Image
	orient int // EXIF orientation 1..8
	Format Format
	Width  int
	Height int
}

// Orientation returns the EXIF orientation applied (1 = none).
func (im *Image) Orientation() int { return im.orient }

// Decode decodes an encoded image. It reads the header first and refuses
// an image that declares more than lim.MaxPixels pixels (ErrTooLarge)
// before decoding any pixel. GIFs give their first frame; a JPEG's EXIF
// orientation is applied.
func Decode(data []byte, lim Limits) (*Image, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrTooLarge, len(data), lim.MaxBytes)
	}
	f, cfgFn, decFn := decoders(data)
	if f == "" {
		return nil, fmt.Errorf("%w: not a JPEG, PNG, GIF, BMP or WebP image", ErrImage)
	}
	cfg, err := cfgFn(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrImage, f, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: %s declares a %dx%d image", ErrImage, f, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels {
		return nil, fmt.Errorf("%w: %dx%d = %d pixels, over the limit of %d", ErrTooLarge, cfg.Width, cfg.Height, px, lim.MaxPixels)
	}
	img, err := decFn(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: decoding %s: %v", ErrImage, f, err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%w: %s decoded to %dx%d, header said %dx%d", ErrImage, f, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	im := &Image{img: img, orient: 1, Format: f, Width: b.Dx(), Height: b.Dy()}
	if f == JPEG {
		if o := jpegOrientation(data); o >= 2 && o <= 8 {
			im.orient = o
			if o >= 5 {
				im.Width, im.Height = im.Height, im.Width
			}
		}
	}
	return im, nil
}

// decoders returns the format of data and its header and image decoders.
func decoders(data []byte) (Format, func(io.Reader) (image.Config, error), func(io.Reader) (image.Image, error)) {
	switch f := Sniff(data); f {
	case JPEG:
		return f, jpeg.DecodeConfig, jpeg.Decode
	case PNG:
		return f, png.DecodeConfig, png.Decode
	case GIF:
		return f, gif.DecodeConfig, gif.Decode
	case BMP:
		return f, bmp.DecodeConfig, bmp.Decode
	case WebP:
		return f, webp.DecodeConfig, webp.Decode
	}
	return "", nil, nil
}

// Header reads an encoded image's format and declared size (stored, before
// EXIF orientation) without decoding pixels.
func Header(data []byte) (Format, int, int, error) {
	f, cfgFn, _ := decoders(data)
	if f == "" {
		return "", 0, 0, fmt.Errorf("%w: not a JPEG, PNG, GIF, BMP or WebP image", ErrImage)
	}
	cfg, err := cfgFn(bytes.NewReader(data))
	if err != nil {
		return "", 0, 0, fmt.Errorf("%w: %s header: %v", ErrImage, f, err)
	}
	return f, cfg.Width, cfg.Height, nil
}

// FromImage wraps an image already decoded (orientation 1).
func FromImage(img image.Image) (*Image, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("%w: empty image", ErrImage)
	}
	return &Image{img: img, orient: 1, Width: b.Dx(), Height: b.Dy()}, nil
}

// stored maps displayed pixel (x, y) to the stored image's pixel.
func (im *Image) stored(x, y int) (int, int) {
	b := im.img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch im.orient {
	case 2:
		x = w - 1 - x
	case 3:
		x, y = w-1-x, h-1-y
	case 4:
		y = h - 1 - y
	case 5:
		x, y = y, x
	case 6:
		x, y = y, h-1-x
	case 7:
		x, y = w-1-y, h-1-x
	case 8:
		x, y = w-1-y, x
	}
	return b.Min.X + x, b.Min.Y + y
}

// rgb returns the displayed pixel (x, y) as 8-bit R, G, B (alpha is
// dropped, not composited).
func (im *Image) rgb(x, y int) (r, g, b uint8) {
	sx, sy := im.stored(x, y)
	switch m := im.img.(type) {
	case *image.YCbCr:
		yi, ci := m.YOffset(sx, sy), m.COffset(sx, sy)
		return color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
	case *image.Gray:
		v := m.Pix[m.PixOffset(sx, sy)]
		return v, v, v
	case *image.RGBA:
		i := m.PixOffset(sx, sy)
		return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
	case *image.NRGBA:
		i := m.PixOffset(sx, sy)
		return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
	case *image.Paletted:
		c := color.NRGBAModel.Convert(m.Palette[m.Pix[m.PixOffset(sx, sy)]]).(color.NRGBA)
		return c.R, c.G, c.B
	}
	c := color.NRGBAModel.Convert(im.img.At(sx, sy)).(color.NRGBA)
	return c.R, c.G, c.B
}

// gather writes the RGB values of the displayed pixels (xs[i], ys[i]) to
// out[3i:3i+3], with one type switch for all of them.
func (im *Image) gather(xs, ys []int, out []uint8) {
	if im.orient != 1 {
		for i := range xs {
			xs[i], ys[i] = im.stored(xs[i], ys[i])
		}
	} else if mn := im.img.Bounds().Min; mn != (image.Point{}) {
		for i := range xs {
			xs[i], ys[i] = xs[i]+mn.X, ys[i]+mn.Y
		}
	}
	switch m := im.img.(type) {
	case *image.YCbCr:
		for i := range xs {
			yi, ci := m.YOffset(xs[i], ys[i]), m.COffset(xs[i], ys[i])
			out[3*i], out[3*i+1], out[3*i+2] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
		}
	case *image.Gray:
		for i := range xs {
			v := m.Pix[m.PixOffset(xs[i], ys[i])]
			out[3*i], out[3*i+1], out[3*i+2] = v, v, v
		}
	case *image.RGBA:
		for i := range xs {
			k := m.PixOffset(xs[i], ys[i])
			out[3*i], out[3*i+1], out[3*i+2] = m.Pix[k], m.Pix[k+1], m.Pix[k+2]
		}
	case *image.NRGBA:
		for i := range xs {
			k := m.PixOffset(xs[i], ys[i])
			out[3*i], out[3*i+1], out[3*i+2] = m.Pix[k], m.Pix[k+1], m.Pix[k+2]
		}
	default:
		for i := range xs {
			out[3*i], out[3*i+1], out[3*i+2] = storedRGB(im.img, xs[i], ys[i])
		}
	}
}

// storedRGB returns the stored pixel (x, y) of img as 8-bit R, G, B.
func storedRGB(img image.Image, x, y int) (r, g, b uint8) {
	if m, ok := img.(*image.Paletted); ok {
		c := color.NRGBAModel.Convert(m.Palette[m.Pix[m.PixOffset(x, y)]]).(color.NRGBA)
		return c.R, c.G, c.B
	}
	c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
	return c.R, c.G, c.B
}

// gray reports whether the image holds gray values only.
func (im *Image) gray() bool {
	switch im.img.(type) {
	case *image.Gray, *image.Gray16:
		return true
	}
	return false
}

// jpegOrientation returns the EXIF orientation of a JPEG, or 0 when it
// has none or it cannot be read (a broken EXIF block is ignored, as
// viewers do).
func jpegOrientation(b []byte) int {
	p := 2
	for seg := 0; seg < 64 && p+4 <= len(b); seg++ {
		if b[p] != 0xFF {
			return 0
		}
		marker := b[p+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 || marker == 0xFF {
			p++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return 0
		}
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if n < 2 || p+2+n > len(b) {
			return 0
		}
		body := b[p+4 : p+2+n]
		if marker == 0xE1 && bytes.HasPrefix(body, []byte("Exif\x00\x00")) {
			return exifOrientation(body[6:])
		}
		p += 2 + n
	}
	return 0
}

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF block.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	n := int64(bo.Uint16(t[off:]))
	for i := range n {
		e := off + 2 + 12*i
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			v := int(bo.Uint16(t[e+8:]))
			if v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
	}
	return 0
}
