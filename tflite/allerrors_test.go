package tflite_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// TestWithAllErrors: a model with two unimplemented operators and one bad
// operator fails to load with all three named, not just the first.
func TestWithAllErrors(t *testing.T) {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{4}, nil, nil)
	z := b.Tensor("z", tensor.Float32, []int{4}, nil, nil)
	w := b.Tensor("w", tensor.Int8, []int{4}, nil, nil)
	v := b.Tensor("v", tensor.Int8, []int{4}, nil, nil)
	b.CustomOp("NoSuchOp", []int{x}, []int{y}, nil)
	b.Op("RELU", []int{y}, []int{z}, nil)
	b.CustomOp("OtherOp", []int{z}, []int{w}, nil)
	b.Op("LOGISTIC", []int{w}, []int{v}, nil) // int8 without quantization
	b.Inputs(x)
	b.Outputs(v)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	_, first := tflite.Load(data)
	if first == nil || !strings.Contains(first.Error(), "NoSuchOp") || strings.Contains(first.Error(), "OtherOp") {
		t.Fatalf("default Load error %v, want only the first problem", first)
	}
	_, err = tflite.Load(data, tflite.WithAllErrors())
	var j interface{ Unwrap() []error }
	if !errors.As(err, &j) || len(j.Unwrap()) != 3 {
		t.Fatalf("WithAllErrors: %v, want 3 joined errors", err)
	}
	for _, want := range []string{"op 0 (CUSTOM:NoSuchOp)", "op 2 (CUSTOM:OtherOp)", "op 3 (LOGISTIC)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if !errors.Is(err, tflite.ErrUnsupported) {
		t.Errorf("error %v does not wrap ErrUnsupported", err)
	}
}

// TestRunErrorPrefixOnce: a run-time error names its operator once.
func TestRunErrorPrefixOnce(t *testing.T) {
	b := tflitebuild.New()
	p := b.Tensor("p", tensor.Float32, []int{3}, nil, nil)
	ix := b.Tensor("ix", tensor.Int32, []int{1}, nil, nil)
	o := b.Tensor("o", tensor.Float32, []int{1}, nil, nil)
	b.Op("GATHER", []int{p, ix}, []int{o}, nil)
	b.Inputs(p, ix)
	b.Outputs(o)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	pt, _ := tensor.New(tensor.Float32, tensor.Shape{3})
	it, _ := tensor.New(tensor.Int32, tensor.Shape{1})
	it.Int32s()[0] = 7
	_, err = m.NewRunner().Run(context.Background(), []*tensor.Tensor{pt, it})
	if err == nil || strings.Count(err.Error(), "op 0 (GATHER)") != 1 || !errors.Is(err, tflite.ErrInput) {
		t.Fatalf("error %v: want ErrInput naming op 0 (GATHER) once", err)
	}
}
