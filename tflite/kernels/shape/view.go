package shape

import "unsafe"

// view reinterprets raw little-endian bytes as a slice of T without copying.
// Tensor data in this project is allocated aligned for its element type.
func view[T any](b []byte) []T {
	var z T
	n := len(b) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
