//go:build !amd64 || noasm

package shape

// bilinearRowVec does nothing: there is no vector kernel on this
// architecture.
func bilinearRowVec(r0, r1 []float32, x0, x1 []int, dx, ndx []float32, d int, dy, ndy float32, out []float32) bool {
	return false
}

// bilinearRowVecU8 does nothing: there is no vector kernel on this
// architecture.
func bilinearRowVecU8(r0, r1 []float32, x0, x1 []int, dx, ndx []float32, d int, dy, ndy float32, out []uint8) bool {
	return false
}
