package fft_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/internal/goldencase"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// rfftModel: x → RFFT2D(fft_length) → REAL, IMAG, COMPLEX_ABS (float
// outputs: the reference runner cannot read complex64 ones).
func rfftModel(t *testing.T, inShape []int, h, w int) []byte {
	t.Helper()
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, inShape, nil, nil)
	l := b.Const("fft_length", []int{2}, nil, []int32{int32(h), int32(w)})
	os := append([]int(nil), inShape...)
	os[len(os)-2], os[len(os)-1] = h, w/2+1
	c := b.Tensor("spectrum", tensor.Complex64, os, nil, nil)
	re := b.Tensor("re", tensor.Float32, os, nil, nil)
	im := b.Tensor("im", tensor.Float32, os, nil, nil)
	ab := b.Tensor("abs", tensor.Float32, os, nil, nil)
	b.Op("RFFT2D", []int{x, l}, []int{c}, nil)
	b.Op("REAL", []int{c}, []int{re}, nil)
	b.Op("IMAG", []int{c}, []int{im}, nil)
	b.Op("COMPLEX_ABS", []int{c}, []int{ab}, nil)
	b.Inputs(x)
	b.Outputs(re, im, ab)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func randInput(r *rand.Rand, shape []int) *tensor.Tensor {
	n := tensor.Shape(shape).Elements()
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	_, data, _ := tflitebuild.Encode(v)
	return &tensor.Tensor{DType: tensor.Float32, Shape: shape, Data: data}
}

// TestGolden compares RFFT2D (with REAL, IMAG and COMPLEX_ABS) with stock
// TensorFlow Lite's builtin kernels (testdata/README), within 1e-5 of each
// output's range: TFLite's Ooura FFT and ours round differently.
func TestGolden(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 131))
	cases := []struct {
		name string
		in   []int
		h, w int
	}{
		{"rfft2d_1x512", []int{3, 1, 400}, 1, 512}, // yamnet's frames: zero-padded
		{"rfft2d_4x8", []int{2, 4, 8}, 4, 8},
		{"rfft2d_crop", []int{5, 10}, 4, 8}, // input larger than fft_length: cropped
		{"rfft2d_pad", []int{3, 6}, 8, 16},
	}
	for _, c := range cases {
		gc := goldencase.Case{Name: c.name, Model: rfftModel(t, c.in, c.h, c.w), Inputs: []*tensor.Tensor{randInput(r, c.in)}, Tolerance: 1e-5}
		t.Run(c.name, func(t *testing.T) { goldencase.Check(t, gc) })
	}
}

func TestPrepareErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		h, w int
	}{{"not a power of two", 4, 12}, {"zero", 0, 8}, {"negative", 4, -8}} {
		t.Run(c.name, func(t *testing.T) {
			b := tflitebuild.New()
			x := b.Tensor("x", tensor.Float32, []int{4, 8}, nil, nil)
			l := b.Const("fft_length", []int{2}, nil, []int32{int32(c.h), int32(c.w)})
			y := b.Tensor("y", tensor.Complex64, []int{4, 5}, nil, nil)
			z := b.Tensor("z", tensor.Float32, []int{4, 5}, nil, nil)
			b.Op("RFFT2D", []int{x, l}, []int{y}, nil)
			b.Op("COMPLEX_ABS", []int{y}, []int{z}, nil)
			b.Inputs(x)
			b.Outputs(z)
			data, err := b.UncheckedBytes()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tflite.Load(data); !errors.Is(err, tflite.ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
		})
	}
}
