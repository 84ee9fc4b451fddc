//go:build !amd64 || noasm

package conv

// hasDW is false: no vector depthwise kernel on this architecture.
const hasDW = false

func dwRun(d *DepthwiseInt8Fast, taps []uintptr, n, ps int, out []int8) {
	panic("conv: dwRun without a vector kernel")
}
