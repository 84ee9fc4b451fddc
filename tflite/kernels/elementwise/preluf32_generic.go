//go:build !amd64 || noasm

package elementwise

// preluF32Vec does nothing: there is no vector kernel on this architecture.
func preluF32Vec(a, alpha, out []float32) int { return 0 }

// hardSwishF32Vec does nothing: there is no vector kernel on this
// architecture.
func hardSwishF32Vec(in, out []float32) int { return 0 }
