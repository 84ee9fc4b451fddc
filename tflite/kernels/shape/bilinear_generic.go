//go:build !amd64 || noasm

package shape

// bilinearRowVec does nothing: there is no vector kernel on this
// architecture.
func bilinearRowVec[T float32 | uint8](r0, r1 []float32, x0, x1 []int, dx, ndx []float32, d int, dy, ndy float32, out []T) bool {
	return false
}
