//go:build !amd64 || noasm

package conv

// hasDW is false: no vector depthwise kernel on this architecture.
const hasDW = false

// hasDWInt8 is false: no vector int8 depthwise kernel here.
const hasDWInt8 = false

// hasDWVNNI is false: no VNNI depthwise kernel here.
const hasDWVNNI = false

func dwRun(d *DepthwiseInt8Fast, taps []uintptr, n, ps int, out []int8) {
	panic("conv: dwRun without a vector kernel")
}

func dwRunF32(d *DepthwiseF32Fast, taps []uintptr, n, ps int, out []float32) {
	panic("conv: dwRunF32 without a vector kernel")
}

func dwInt8VNNIS1(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1 without a vector kernel")
}

func dwInt8VNNIS2(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS2 without a vector kernel")
}

func dwInt8VNNIS1F(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1F without a vector kernel")
}

func dwInt8VNNIS2F(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS2F without a vector kernel")
}

func dwInt8VNNIS1FC16(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1FC16 without a vector kernel")
}

func dwInt8VNNIS2FC16(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS2FC16 without a vector kernel")
}

func dwInt8VNNIS1FXC16(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1FXC16 without a vector kernel")
}

func dwInt8VNNIS2FXC16(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS2FXC16 without a vector kernel")
}

func dwInt8VNNIS1F2C16(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1F2C16 without a vector kernel")
}

func dwInt8VNNIS1F2XC16(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1F2XC16 without a vector kernel")
}

func dwInt8VNNIS1FC32(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1FC32 without a vector kernel")
}

func dwInt8VNNIS2FC32(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS2FC32 without a vector kernel")
}

func dwInt8VNNIS1FXC32(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1FXC32 without a vector kernel")
}

func dwInt8VNNIS2FXC32(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS2FXC32 without a vector kernel")
}

func dwInt8VNNIS1F2C32(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1F2C32 without a vector kernel")
}

func dwInt8VNNIS1F2XC32(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1F2XC32 without a vector kernel")
}

func dwInt8VNNIS1FC48(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1FC48 without a vector kernel")
}

func dwInt8VNNIS2FC48(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS2FC48 without a vector kernel")
}

func dwInt8VNNIS1FXC48(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1FXC48 without a vector kernel")
}

func dwInt8VNNIS2FXC48(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS2FXC48 without a vector kernel")
}

func dwInt8VNNIS1F2C48(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1F2C48 without a vector kernel")
}

func dwInt8VNNIS1F2XC48(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1F2XC48 without a vector kernel")
}

func dwInt8VNNIPairs2(r0, r1, r2, r3 *int8, n4 int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, rows int, off0 int, masks *uint64, step int, l2 int) {
	panic("conv: dwInt8VNNIPairs2 without a vector kernel")
}

func dwInt8VNNIPairs(r0, r1, r2 *int8, n4 int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, rows int, off0 int, masks *uint64, step int, l2 int) {
	panic("conv: dwInt8VNNIPairs without a vector kernel")
}

func dwInt8VNNIS1FX(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1FX without a vector kernel")
}

func dwInt8VNNIS2FX(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS2FX without a vector kernel")
}

func dwInt8VNNIS1F2X(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1F2X without a vector kernel")
}

func dwInt8VNNIS1F2(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS1F2 without a vector kernel")
}

func dwInt8VNNIS12(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int) {
	panic("conv: dwInt8VNNIS12 without a vector kernel")
}

// sum8Vec does nothing: there is no vector kernel on this architecture.
func sum8Vec(sums, out []float32, bias float32, act FloatAct) int { return 0 }

func dwRunBlock(d *DepthwiseInt8Fast, taps []uintptr, n, ps, b int, out []int8) {
	panic("conv: dwRunBlock without a vector kernel")
}
