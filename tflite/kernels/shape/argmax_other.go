//go:build !amd64 || noasm

package shape

// argBytesVec has no vector kernel here: ArgMinMax loops.
func argBytesVec(in []byte, axis int, out []int32, signed, max bool) bool { return false }
