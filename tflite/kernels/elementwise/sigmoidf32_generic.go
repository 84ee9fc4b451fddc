//go:build !amd64 || noasm

package elementwise

// logisticF32Vec does nothing: there is no vector kernel on this
// architecture.
func logisticF32Vec(in, out []float32) bool { return false }

// tanhF32Vec does nothing: there is no vector kernel on this
// architecture.
func tanhF32Vec(in, out []float32) bool { return false }
