package tflitebuild_test

import (
	"context"
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// Build a one-operator float model with a dynamic batch dimension, load it
// with the engine and run it.
func Example() {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{1, 4}, nil, nil)
	b.ShapeSignature(x, []int{-1, 4})
	y := b.Tensor("y", tensor.Float32, []int{1, 4}, nil, nil)
	b.ShapeSignature(y, []int{-1, 4})
	b.Op("RELU", []int{x}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	b.Signature("serving_default", []string{"in"}, []string{"out"})
	data, err := b.Bytes()
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := tflite.Load(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	in := m.Inputs()[0]
	fmt.Println(in.Name, in.DType, in.Shape)

	_, raw, _ := tflitebuild.Encode([]float32{-2, -0.5, 0.5, 2})
	out, err := m.NewRunner().Run(context.Background(), []*tensor.Tensor{{DType: tensor.Float32, Shape: tensor.Shape{1, 4}, Data: raw}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out[0].Float32s())
	// Output:
	// in float32 [-1,4]
	// [0 0 0.5 2]
}
