//go:build !amd64 || noasm

package kernels

// lookupBytesVec has no vector kernel here.
func lookupBytesVec(tab *[256]byte, in, out []byte) bool { return false }
