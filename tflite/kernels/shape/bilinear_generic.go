//go:build !amd64 || noasm

package shape

// bilinearRowVec does nothing: there is no vector kernel on this
// architecture.
func bilinearRowVec(r0, r1 []float32, x0, x1 []int, dx, ndx []float32, d int, dy, ndy float32, out []float32) bool {
	return false
}

// roundU8 sets dst[i] = uint8(src[i] + 0.5) (BilinearU8's final rounding).
func roundU8(src []float32, dst []uint8) { roundU8Generic(src, dst) }
