//go:build amd64 && !noasm

package conv

import (
	"golang.org/x/sys/cpu"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// hasDW reports the AVX-512 subset dwInt8AVX512 needs (read-only after
// start-up).
var hasDW = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// hasDWInt8 reports what the int8 depthwise kernels need besides: VPDPWSSD
// (AVX-512 VNNI) multiplies and accumulates each tap in one instruction.
var hasDWInt8 = hasDW && cpu.X86.HasAVX512VNNI

// hasDWVNNI reports what dwInt8VNNIS1 needs besides: VPERMB (AVX-512
// VBMI) gathers four pixels' bytes into each lane, VPSHRDD (AVX-512 VBMI2)
// shifts them across two Y vectors.
var hasDWVNNI = hasDWInt8 && cpu.X86.HasAVX512VBMI && cpu.X86.HasAVX512VBMI2

//go:noescape
func dwInt8VNNIS1(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS2(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1F(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1F2(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS12(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS2F(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1FC16(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS2FC16(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1FXC16(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS2FXC16(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1F2C16(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1F2XC16(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1FC32(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS2FC32(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1FXC32(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS2FXC32(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1F2C32(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1F2XC32(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1FC48(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS2FC48(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1FXC48(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS2FXC48(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1F2C48(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1F2XC48(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIPairs2(r0, r1, r2, r3 *int8, n4 int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, rows int, off0 int, masks *uint64, step int, l2 int)

//go:noescape
func dwInt8VNNIPairs(r0, r1, r2 *int8, n4 int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, rows int, off0 int, masks *uint64, step int, l2 int)

//go:noescape
func dwInt8VNNIS1FX(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS2FX(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwInt8VNNIS1F2X(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)

//go:noescape
func dwF32AVX512(taps *uintptr, ntaps int, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32)

//go:noescape
func dwF32AVX512T9(taps *uintptr, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32)

//go:noescape
func dwInt8AVX512S1(taps *uintptr, n3 int, cblocks int, w *int32, q *int32, out *int8, oz int, lo int, hi int)

//go:noescape
func dwInt8AVX512T9(taps *uintptr, ntaps int, n int, ps int, w *int32, cblocks int, q *int32, out *int8, oz int, lo int, hi int)

//go:noescape
func dwInt8AVX512(taps *uintptr, ntaps int, n int, ps int, w *int32, cblocks int, q *int32, out *int8, oz int, lo int, hi int)

func dwRun(d *DepthwiseInt8Fast, taps []uintptr, n, ps int, out []int8) {
	if len(taps) == 9 && d.slide && n >= 3 {
		// Runs of a 3×3 stride-1 window slide through registers; the
		// last n%3 pixels take the per-pixel kernel below.
		n3 := n / 3
		dwInt8AVX512S1(&taps[0], n3, d.g.OutC/16, &d.w[0], &d.blocks[0], &out[0], int(d.oz), int(d.lo), int(d.hi))
		if n%3 == 0 {
			return
		}
		var moved [9]uintptr
		for i, t := range taps {
			moved[i] = t + uintptr(3*n3*ps)
		}
		dwInt8AVX512T9(&moved[0], 9, n%3, ps, &d.w[0], d.g.OutC/16, &d.blocks[0], &out[3*n3*d.g.OutC],
			int(d.oz), int(d.lo), int(d.hi))
		return
	}
	if len(taps) == 9 {
		dwInt8AVX512T9(&taps[0], 9, n, ps, &d.w[0], d.g.OutC/16, &d.blocks[0], &out[0],
			int(d.oz), int(d.lo), int(d.hi))
		return
	}
	dwInt8AVX512(&taps[0], len(taps), n, ps, &d.w[0], d.g.OutC/16, &d.blocks[0], &out[0],
		int(d.oz), int(d.lo), int(d.hi))
}

// dwRunBlock is dwRun for channel block b alone: the 16-bit kernels over
// that block (one block: 16-byte output pixels, into a stack buffer a
// chunk of pixels at a time, then copied to each pixel's block in out).
func dwRunBlock(d *DepthwiseInt8Fast, taps []uintptr, n, ps, b int, out []int8) {
	var moved [maxDWTaps]uintptr
	var buf [16 * 64]int8
	nt := len(taps)
	for i, t := range taps {
		moved[i] = t + uintptr(16*b)
	}
	c := d.g.OutC
	w, q := &d.w[b*nt*16], &d.blocks[b*gemm.ParamWords]
	for done := 0; done < n; {
		k := min(n-done, 64)
		if nt == 9 {
			dwInt8AVX512T9(&moved[0], 9, k, ps, w, 1, q, &buf[0], int(d.oz), int(d.lo), int(d.hi))
		} else {
			dwInt8AVX512(&moved[0], nt, k, ps, w, 1, q, &buf[0], int(d.oz), int(d.lo), int(d.hi))
		}
		for p := range k {
			copy(out[(done+p)*c+16*b:][:16], buf[16*p:16*p+16])
		}
		for i := range nt {
			moved[i] += uintptr(k * ps)
		}
		done += k
	}
}

//go:noescape
func dwF32AVX512T9M(taps *uintptr, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32, os int, mask int)

//go:noescape
func dwF32AVX512T25M(taps *uintptr, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32, os int, mask int)

//go:noescape
func sum8F32AVX512(sums, out *float32, n16 int, bias, lo, hi float32)

// sum8Vec sets out[p] = clamp(sum of sums[8p:8p+8] + bias) for the
// largest multiple of 16 leading pixels of out (len(sums) ≥ 8·len(out)) and
// returns how many it did (0 without the vector kernel).
func sum8Vec(sums, out []float32, bias float32, act FloatAct) int {
	n16 := len(out) / 16
	if !hasDW || n16 == 0 {
		return 0
	}
	_ = sums[8*16*n16-1]
	sum8F32AVX512(&sums[0], &out[0], n16, bias, act.Min, act.Max)
	return 16 * n16
}

//go:noescape
func dwF32AVX512M(taps *uintptr, ntaps int, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32, os int, mask int)

func dwRunF32(d *DepthwiseF32Fast, taps []uintptr, n, ps int, out []float32) {
	if d.w2 != nil && n >= 2 && ps == 32 {
		// 8 channels, stride 1: pixel pairs as one 16-lane block (the
		// second pixel's taps are the 8 values after the first's).
		pairs := n / 2
		if len(taps) == 9 {
			dwF32AVX512T9(&taps[0], pairs, 2*ps, &d.w2[0], 1, &d.bias2[0], &out[0], d.act.Min, d.act.Max)
		} else {
			dwF32AVX512(&taps[0], len(taps), pairs, 2*ps, &d.w2[0], 1, &d.bias2[0], &out[0], d.act.Min, d.act.Max)
		}
		if n%2 == 0 {
			return
		}
		var moved [maxDWTaps]uintptr
		for i, t := range taps {
			moved[i] = t + uintptr(2*pairs*ps)
		}
		taps, n, out = moved[:len(taps)], 1, out[2*pairs*8:]
	}
	if c := d.g.OutC; len(taps) == 25 {
		// 5x5: weights in registers, a masked last block when the
		// channels end in one.
		mask := 0xffff
		if c%16 != 0 {
			mask = 1<<(c%16) - 1
		}
		dwF32AVX512T25M(&taps[0], n, ps, &d.w[0], (c+15)/16, &d.bias[0], &out[0], d.act.Min, d.act.Max, 4*c, mask)
		return
	}
	if c := d.g.OutC; c%16 != 0 {
		if len(taps) == 9 {
			dwF32AVX512T9M(&taps[0], n, ps, &d.w[0], (c+15)/16, &d.bias[0], &out[0], d.act.Min, d.act.Max, 4*c, 1<<(c%16)-1)
			return
		}
		dwF32AVX512M(&taps[0], len(taps), n, ps, &d.w[0], (c+15)/16, &d.bias[0], &out[0], d.act.Min, d.act.Max, 4*c, 1<<(c%16)-1)
		return
	}
	if len(taps) == 9 {
		dwF32AVX512T9(&taps[0], n, ps, &d.w[0], d.g.OutC/16, &d.bias[0], &out[0], d.act.Min, d.act.Max)
		return
	}
	dwF32AVX512(&taps[0], len(taps), n, ps, &d.w[0], d.g.OutC/16, &d.bias[0], &out[0], d.act.Min, d.act.Max)
}
