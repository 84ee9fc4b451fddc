//go:build !amd64 || noasm

package elementwise

// addF32Vec does nothing: there is no vector kernel on this architecture.
func addF32Vec(a, b, out []float32, lo, hi float32) int { return 0 }

// mulF32Vec does nothing: there is no vector kernel on this architecture.
func mulF32Vec(a, b, out []float32, lo, hi float32) int { return 0 }
