package tflite_test

import (
	"context"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// TestShapeFolding: TILE whose multiples are computed from SHAPE (x tiled
// by its own shape, plus one) loads because the shape arithmetic is
// folded while planning, and is re-folded for another batch size.
func TestShapeFolding(t *testing.T) {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{2, 3}, nil, nil)
	b.ShapeSignature(x, []int{-1, 3})
	sh := b.Tensor("shape", tensor.Int32, []int{2}, nil, nil)
	one := b.Const("one", []int{1}, nil, []int32{1})
	m := b.Tensor("multiples", tensor.Int32, []int{2}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{6, 12}, nil, nil)
	b.ShapeSignature(y, []int{-1, -1})
	b.Op("SHAPE", []int{x}, []int{sh}, &op.ShapeOptions{OutType: 2})
	b.Op("ADD", []int{sh, one}, []int{m}, &op.ArithOptions{})
	b.Op("TILE", []int{x, m}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	model, err := tflite.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{2, 4} {
		mb, err := model.WithBatch(batch)
		if err != nil {
			t.Fatal(err)
		}
		in, _ := tensor.New(tensor.Float32, tensor.Shape{batch, 3})
		for i := range in.Float32s() {
			in.Float32s()[i] = float32(i)
		}
		out, err := mb.NewRunner().Run(context.Background(), []*tensor.Tensor{in})
		if err != nil {
			t.Fatal(err)
		}
		rows, cols := batch*(batch+1), 3*4
		if !out[0].Shape.Equal(tensor.Shape{rows, cols}) {
			t.Fatalf("batch %d: output shape %v, want [%d,%d]", batch, out[0].Shape, rows, cols)
		}
		for r := range rows {
			for c := range cols {
				if got, want := out[0].Float32s()[r*cols+c], float32((r%batch)*3+c%3); got != want {
					t.Fatalf("batch %d: y[%d,%d] = %v, want %v", batch, r, c, got, want)
				}
			}
		}
	}
}
