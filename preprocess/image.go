package preprocess

import (
	"errors"
	"fmt"
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
)

// ErrSpec reports an input that cannot take an image, or a Spec or
// Override that is invalid.
var ErrSpec = errors.New("preprocess: cannot feed an image to this input")

// Placement maps the model input back to the image: the image region
// Src (in displayed image pixels) was resized onto the input region Dst
// (in input pixels). Detections in input coordinates convert to image
// coordinates with ToImage.
type Placement struct {
	SrcX, SrcY, SrcW, SrcH float64
	DstX, DstY, DstW, DstH float64
}

// ToImage converts a point in input pixels to image pixels.
func (p Placement) ToImage(u, v float64) (x, y float64) {
	return p.SrcX + (u-p.DstX)*p.SrcW/p.DstW, p.SrcY + (v-p.DstY)*p.SrcH/p.DstH
}

// axis holds, for each output coordinate, the two source coordinates and
// the weight of the second, following TensorFlow's bilinear resize with
// half_pixel_centers: in = (out + 0.5) * scale - 0.5, lower = max(floor(in),
// 0), upper = min(ceil(in), n - 1), lerp = in - floor(in).
type axis struct {
	lo, hi []int
	w      []float32
}

func newAxis(out, in, offset int) axis {
	a := axis{lo: make([]int, out), hi: make([]int, out), w: make([]float32, out)}
	scale := float32(in) / float32(out)
	for i := range out {
		f := (float32(i)+0.5)*scale - 0.5
		fl := float32(math.Floor(float64(f)))
		a.lo[i] = offset + max(int(fl), 0)
		a.hi[i] = offset + min(int(math.Ceil(float64(f))), in-1)
		a.w[i] = f - fl
	}
	return a
}

// Pixels resizes im as spec says and returns the H×W×C float32 pixel
// values (0..255, not normalized, row-major HWC) and the Placement.
func Pixels(im *Image, spec Spec) ([]float32, Placement, error) {
	if spec.Height <= 0 || spec.Width <= 0 || (spec.Channels != 1 && spec.Channels != 3) {
		return nil, Placement{}, fmt.Errorf("%w: size %dx%dx%d", ErrSpec, spec.Width, spec.Height, spec.Channels)
	}
	H, W, C := spec.Height, spec.Width, spec.Channels
	// The source region and where it goes in the output.
	sx, sy, sw, sh := 0, 0, im.Width, im.Height
	dx, dy, dw, dh := 0, 0, W, H
	switch spec.Fit {
	case "", FitStretch:
	case FitCrop:
		// Largest centered region with the output's aspect ratio.
		if int64(im.Width)*int64(H) > int64(im.Height)*int64(W) {
			sw = max(1, int(math.Round(float64(im.Height)*float64(W)/float64(H))))
			sx = (im.Width - sw) / 2
		} else {
			sh = max(1, int(math.Round(float64(im.Width)*float64(H)/float64(W))))
			sy = (im.Height - sh) / 2
		}
	case FitPad:
		if int64(im.Width)*int64(H) > int64(im.Height)*int64(W) {
			dh = max(1, int(math.Round(float64(W)*float64(im.Height)/float64(im.Width))))
			dy = (H - dh) / 2
		} else {
			dw = max(1, int(math.Round(float64(H)*float64(im.Width)/float64(im.Height))))
			dx = (W - dw) / 2
		}
	default:
		return nil, Placement{}, fmt.Errorf("%w: fit %q", ErrSpec, spec.Fit)
	}
	out := make([]float32, H*W*C)
	ax, ay := newAxis(dw, sw, sx), newAxis(dh, sh, sy)
	gray := im.gray()
	// Per output row: the 4 neighbours of every output pixel, gathered
	// with one type switch per row, then interpolated as TensorFlow does:
	// top = tl + (tr - tl) * wx, bottom likewise, top + (bottom - top) * wy.
	xs, ys := make([]int, 4*dw), make([]int, 4*dw)
	rgb := make([]uint8, 12*dw)
	lerp := func(a, b, t float32) float32 { return a + (b-a)*t }
	for oy := range dh {
		y0, y1, wy := ay.lo[oy], ay.hi[oy], ay.w[oy]
		for ox := range dw {
			x0, x1 := ax.lo[ox], ax.hi[ox]
			xs[4*ox], xs[4*ox+1], xs[4*ox+2], xs[4*ox+3] = x0, x1, x0, x1
			ys[4*ox], ys[4*ox+1], ys[4*ox+2], ys[4*ox+3] = y0, y0, y1, y1
		}
		im.gather(xs, ys, rgb)
		row := out[((dy+oy)*W+dx)*C:]
		for ox := range dw {
			p := rgb[12*ox : 12*ox+12]
			wx := ax.w[ox]
			r := lerp(lerp(float32(p[0]), float32(p[3]), wx), lerp(float32(p[6]), float32(p[9]), wx), wy)
			g := lerp(lerp(float32(p[1]), float32(p[4]), wx), lerp(float32(p[7]), float32(p[10]), wx), wy)
			b := lerp(lerp(float32(p[2]), float32(p[5]), wx), lerp(float32(p[8]), float32(p[11]), wx), wy)
			if C == 1 {
				if gray {
					row[ox] = r
				} else {
					row[ox] = 0.299*r + 0.587*g + 0.114*b
				}
				continue
			}
			row[3*ox], row[3*ox+1], row[3*ox+2] = r, g, b
		}
	}
	pl := Placement{
		SrcX: float64(sx), SrcY: float64(sy), SrcW: float64(sw), SrcH: float64(sh),
		DstX: float64(dx), DstY: float64(dy), DstW: float64(dw), DstH: float64(dh),
	}
	return out, pl, nil
}

// Tensor turns im into the input tensor spec describes.
func Tensor(im *Image, spec Spec) (*tensor.Tensor, Placement, error) {
	pix, pl, err := Pixels(im, spec)
	if err != nil {
		return nil, pl, err
	}
	t, err := FromPixels(pix, spec)
	return t, pl, err
}

// FromBytes decodes an encoded image under lim and turns it into the input
// tensor spec describes.
func FromBytes(data []byte, spec Spec, lim Limits) (*tensor.Tensor, Placement, error) {
	im, err := Decode(data, lim)
	if err != nil {
		return nil, Placement{}, err
	}
	return Tensor(im, spec)
}

// FromPixels lays out, normalizes and quantizes H×W×C pixel values (HWC
// order, 0..255) as spec says.
func FromPixels(pix []float32, spec Spec) (*tensor.Tensor, error) {
	H, W, C := spec.Height, spec.Width, spec.Channels
	if len(pix) != H*W*C {
		return nil, fmt.Errorf("%w: %d pixel values for %dx%dx%d", ErrSpec, len(pix), W, H, C)
	}
	var mean, std [3]float32
	if spec.Normalize {
		if err := checkNorm(spec.Mean, spec.Std, C); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSpec, err)
		}
		for c := range C {
			mean[c], std[c] = spec.Mean[min(c, len(spec.Mean)-1)], spec.Std[min(c, len(spec.Std)-1)]
		}
	}
	switch spec.DType {
	case tensor.Float32, tensor.Uint8, tensor.Int8, tensor.Int16:
	default:
		return nil, fmt.Errorf("%w: dtype %s", ErrSpec, spec.DType)
	}
	quantized := spec.Normalize && spec.DType != tensor.Float32
	if quantized && (spec.Quant == nil || len(spec.Quant.Scale) != 1 || len(spec.Quant.ZeroPoint) != 1) {
		return nil, fmt.Errorf("%w: %s input needs one scale and zero point", ErrSpec, spec.DType)
	}
	t, err := tensor.New(spec.DType, spec.Shape())
	if err != nil {
		return nil, err
	}
	t.Quant = spec.Quant
	// vals receives the (normalized) values in the output's layout: the
	// tensor itself for float32, a scratch slice for the integer types.
	var vals []float32
	if spec.DType == tensor.Float32 {
		vals = t.Float32s()
	} else {
		vals = make([]float32, len(pix))
	}
	HW := H * W
	for p := range HW {
		for c := range C {
			v := pix[p*C+c]
			if spec.Normalize {
				v = (v - mean[c]) / std[c]
			}
			o := p*C + c
			if spec.Layout == NCHW {
				o = c*HW + p
			}
			vals[o] = v
		}
	}
	switch {
	case spec.DType == tensor.Float32:
		return t, nil
	case quantized:
		return t, quantizeInto(t, vals, spec.Quant.Scale[0], int32(spec.Quant.ZeroPoint[0]))
	}
	// The pixel range spread over the integer range: uint8 p, int8 p - 128,
	// int16 257 p - 32768; rounded half away from zero.
	switch spec.DType {
	case tensor.Uint8:
		for i, v := range vals {
			t.Data[i] = uint8(min(max(v+0.5, 0), 255))
		}
	case tensor.Int8:
		d := t.Int8s()
		for i, v := range vals {
			d[i] = int8(int(min(max(v+0.5, 0), 255)) - 128)
		}
	case tensor.Int16:
		d := t.Int16s()
		for i, v := range vals {
			d[i] = int16(int(min(max(float32(math.Round(float64(v)*257)), 0), 65535)) - 32768)
		}
	}
	return t, nil
}

// quantizeInto quantizes vals into t (int8, uint8 or int16) with TFLite's
// QUANTIZE arithmetic.
func quantizeInto(t *tensor.Tensor, vals []float32, scale float32, zero int32) error {
	switch t.DType {
	case tensor.Int8:
		ek.QuantizeFloat(vals, t.Int8s(), scale, zero)
	case tensor.Uint8:
		ek.QuantizeFloat(vals, t.Uint8s(), scale, zero)
	case tensor.Int16:
		ek.QuantizeFloat(vals, t.Int16s(), scale, zero)
	default:
		return fmt.Errorf("%w: cannot quantize into %s", ErrSpec, t.DType)
	}
	return nil
}
