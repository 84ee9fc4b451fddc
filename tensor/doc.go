// Package tensor defines the values that flow through edgeinfer: Tensor,
// DType, Shape and quantization parameters, plus the .npy and JSON codecs
// used to move tensors in and out of the process.
//
// It imports nothing from the rest of the project. Tensors are plain values:
// a Tensor is not safe for concurrent mutation, but any number of goroutines
// may read one that nobody writes.
package tensor
