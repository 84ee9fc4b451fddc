//go:build amd64 && !noasm

#include "textflag.h"

// func dwInt8AVX512(taps *uintptr, ntaps int, n int, ps int, w *int32, cblocks int, q *int32, out *int8, oz int, lo int, hi int)
//
// For output pixels j in [0, n) and 16-channel blocks b: acc = bias(b) +
// Σ_t int32(x[taps[t] + j·ps + 16b]) · w[b][t], requantized with the
// parameter block q + 448b and stored at out + (j·cblocks + b)·16.
TEXT ·dwInt8AVX512(SB), NOSPLIT, $0-88
	MOVQ n+16(FP), R8
	MOVQ out+56(FP), DI
	XORQ R9, R9                  // j·ps
	MOVL $0xAAAA, AX
	KMOVW AX, K1
	MOVQ oz+64(FP), AX
	VPBROADCASTD AX, Z28
	MOVQ lo+72(FP), AX
	VPBROADCASTD AX, Z27
	MOVQ hi+80(FP), AX
	VPBROADCASTD AX, Z26
	MOVQ $0x40000000, AX
	VPBROADCASTQ AX, Z30
	VPTERNLOGD $0xff, Z29, Z29, Z29

pixel:
	MOVQ cblocks+40(FP), R10
	MOVQ w+32(FP), R13
	MOVQ q+48(FP), R14
	MOVQ R9, R12                 // j·ps + 16b

block:
	VMOVDQU32 (R14), Z0          // folded bias
	MOVQ taps+0(FP), SI
	MOVQ ntaps+8(FP), CX

tap:
	MOVQ (SI), AX
	VPMOVSXBD (AX)(R12*1), Z1
	VPDPWSSD (R13), Z1, Z0
	ADDQ $64, R13
	ADDQ $8, SI
	DECQ CX
	JNZ tap

	VPSLLVD 192(R14), Z0, Z0     // << left
	VPMULDQ 64(R14), Z0, Z1      // even lanes: x·m (int64)
	VPSRLQ $32, Z0, Z2
	VPMULDQ 128(R14), Z2, Z2     // odd lanes
	VPADDQ Z30, Z1, Z1
	VPADDQ Z30, Z2, Z2
	VPSRLQ $31, Z1, Z1
	VPSLLQ $1, Z2, Z2
	VPBLENDMD Z2, Z1, K1, Z0
	VPSRAVD 256(R14), Z0, Z1
	VPANDD 320(R14), Z0, Z2
	VPSRAD $31, Z0, Z3
	VPADDD Z3, Z2, Z2
	VPCMPGTD 384(R14), Z2, K2
	VPSUBD Z29, Z1, K2, Z1
	VPADDD Z28, Z1, Z1
	VPMAXSD Z27, Z1, Z1
	VPMINSD Z26, Z1, Z1
	VPMOVDB Z1, X1
	VMOVDQU X1, (DI)

	ADDQ $16, DI
	ADDQ $16, R12
	ADDQ $448, R14
	DECQ R10
	JNZ block

	ADDQ ps+24(FP), R9
	DECQ R8
	JNZ pixel
	VZEROUPPER
	RET

// func dwF32AVX512(taps *uintptr, ntaps int, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32)
//
// For output pixels j in [0, n) and 16-channel blocks b: acc = bias[16b:] +
// Σ_t x[taps[t] + j·ps + 64b] · w[b][t] (fused multiply-adds in tap order),
// clamped to [lo, hi] and stored at out + (j·cblocks + b)·64.
TEXT ·dwF32AVX512(SB), NOSPLIT, $0-72
	MOVQ n+16(FP), R8
	MOVQ out+56(FP), DI
	XORQ R9, R9
	VBROADCASTSS lo+64(FP), Z28
	VBROADCASTSS hi+68(FP), Z29

fpixel:
	MOVQ cblocks+40(FP), R10
	MOVQ w+32(FP), R13
	MOVQ bias+48(FP), R14
	MOVQ R9, R12

fblock:
	VMOVUPS (R14), Z0
	MOVQ taps+0(FP), SI
	MOVQ ntaps+8(FP), CX

ftap:
	MOVQ (SI), AX
	VMOVUPS (AX)(R12*1), Z1
	VFMADD231PS (R13), Z1, Z0
	ADDQ $64, R13
	ADDQ $8, SI
	DECQ CX
	JNZ ftap

	VMAXPS Z0, Z28, Z0
	VMINPS Z0, Z29, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $64, R12
	ADDQ $64, R14
	DECQ R10
	JNZ fblock

	ADDQ ps+24(FP), R9
	DECQ R8
	JNZ fpixel
	VZEROUPPER
	RET

// func dwInt8AVX512T9(taps *uintptr, ntaps int, n int, ps int, w *int32, cblocks int, q *int32, out *int8, oz int, lo int, hi int)
//
// dwInt8AVX512 for exactly 9 taps, blocks outside and pixels inside: the
// block's weights and parameters stay in registers across the run.
TEXT ·dwInt8AVX512T9(SB), NOSPLIT, $0-88
	MOVQ taps+0(FP), SI
	MOVQ ps+24(FP), DX
	MOVQ cblocks+40(FP), R10
	MOVQ w+32(FP), R13
	MOVQ q+48(FP), R14
	MOVQ out+56(FP), R15
	MOVQ R10, BX
	SHLQ $4, BX                  // output pixel stride: 16·cblocks bytes
	XORQ R11, R11                // 16·block
	MOVL $0xAAAA, AX
	KMOVW AX, K1
	MOVQ oz+64(FP), AX
	VPBROADCASTD AX, Z28
	MOVQ lo+72(FP), AX
	VPBROADCASTD AX, Z27
	MOVQ hi+80(FP), AX
	VPBROADCASTD AX, Z26
	MOVQ $0x40000000, AX
	VPBROADCASTQ AX, Z30
	VPTERNLOGD $0xff, Z29, Z29, Z29

t9block:
	VMOVDQU32 0(R13), Z10
	VMOVDQU32 64(R13), Z11
	VMOVDQU32 128(R13), Z12
	VMOVDQU32 192(R13), Z13
	VMOVDQU32 256(R13), Z14
	VMOVDQU32 320(R13), Z15
	VMOVDQU32 384(R13), Z16
	VMOVDQU32 448(R13), Z17
	VMOVDQU32 512(R13), Z18
	VMOVDQU32 0(R14), Z19        // folded bias
	VMOVDQU32 64(R14), Z21       // mult, even lanes
	VMOVDQU32 128(R14), Z22      // mult, odd lanes
	VMOVDQU32 192(R14), Z20      // left shift
	VMOVDQU32 256(R14), Z23      // right shift
	VMOVDQU32 320(R14), Z24      // mask
	VMOVDQU32 384(R14), Z25      // threshold
	MOVQ n+16(FP), R8
	MOVQ R11, R12                // j·ps + 16·block
	LEAQ (R15)(R11*1), DI

t9pixel:
	VMOVDQA32 Z19, Z0
	VPXORD Z5, Z5, Z5
	MOVQ 0(SI), AX
	VPMOVSXBD (AX)(R12*1), Z1
	VPDPWSSD Z10, Z1, Z0
	MOVQ 8(SI), AX
	VPMOVSXBD (AX)(R12*1), Z2
	VPDPWSSD Z11, Z2, Z5
	MOVQ 16(SI), AX
	VPMOVSXBD (AX)(R12*1), Z3
	VPDPWSSD Z12, Z3, Z0
	MOVQ 24(SI), AX
	VPMOVSXBD (AX)(R12*1), Z4
	VPDPWSSD Z13, Z4, Z5
	MOVQ 32(SI), AX
	VPMOVSXBD (AX)(R12*1), Z1
	VPDPWSSD Z14, Z1, Z0
	MOVQ 40(SI), AX
	VPMOVSXBD (AX)(R12*1), Z2
	VPDPWSSD Z15, Z2, Z5
	MOVQ 48(SI), AX
	VPMOVSXBD (AX)(R12*1), Z3
	VPDPWSSD Z16, Z3, Z0
	MOVQ 56(SI), AX
	VPMOVSXBD (AX)(R12*1), Z4
	VPDPWSSD Z17, Z4, Z5
	MOVQ 64(SI), AX
	VPMOVSXBD (AX)(R12*1), Z1
	VPDPWSSD Z18, Z1, Z0
	VPADDD Z5, Z0, Z0
	VPSLLVD Z20, Z0, Z0
	VPMULDQ Z21, Z0, Z1
	VPSRLQ $32, Z0, Z2
	VPMULDQ Z22, Z2, Z2
	VPADDQ Z30, Z1, Z1
	VPADDQ Z30, Z2, Z2
	VPSRLQ $31, Z1, Z1
	VPSLLQ $1, Z2, Z2
	VPBLENDMD Z2, Z1, K1, Z0
	VPSRAVD Z23, Z0, Z1
	VPANDD Z24, Z0, Z2
	VPSRAD $31, Z0, Z3
	VPADDD Z3, Z2, Z2
	VPCMPGTD Z25, Z2, K2
	VPSUBD Z29, Z1, K2, Z1
	VPADDD Z28, Z1, Z1
	VPMAXSD Z27, Z1, Z1
	VPMINSD Z26, Z1, Z1
	VPMOVDB Z1, X1
	VMOVDQU X1, (DI)
	ADDQ BX, DI
	ADDQ DX, R12
	DECQ R8
	JNZ t9pixel

	ADDQ $576, R13
	ADDQ $448, R14
	ADDQ $16, R11
	DECQ R10
	JNZ t9block
	VZEROUPPER
	RET

// func dwInt8AVX512S1(taps *uintptr, n3 int, cblocks int, w *int32, q *int32, out *int8, oz int, lo int, hi int)
//
// The 3×3, stride 1, dilation 1 depthwise kernel over 3·n3 output pixels of
// one row run: blocks outside, pixels inside; each input vector is loaded
// and sign-extended once and used by the three pixels whose windows share
// it (the window slides through registers, unrolled by three). taps holds
// the 9 tap pointers of the first pixel, out its first output byte.
TEXT ·dwInt8AVX512S1(SB), NOSPLIT, $0-72
	MOVQ taps+0(FP), SI
	MOVQ cblocks+16(FP), R10
	MOVQ w+24(FP), R13
	MOVQ q+32(FP), R14
	MOVQ out+40(FP), R15
	MOVQ R10, BX
	SHLQ $4, BX                  // C: bytes per pixel
	XORQ R11, R11                // 16·block
	MOVQ 0(SI), AX               // row bases: tap kx = 0 of rows 0, 1, 2
	MOVQ 24(SI), CX
	MOVQ 48(SI), R9
	MOVL $0xAAAA, DX
	KMOVW DX, K1
	MOVQ oz+48(FP), DX
	VPBROADCASTD DX, Z28
	MOVQ lo+56(FP), DX
	VPBROADCASTD DX, Z27
	MOVQ hi+64(FP), DX
	VPBROADCASTD DX, Z26
	MOVQ $0x40000000, DX
	VPBROADCASTQ DX, Z30
	VPTERNLOGD $0xff, Z29, Z29, Z29

s1block:
	VMOVDQU32 0(R13), Z10
	VMOVDQU32 64(R13), Z11
	VMOVDQU32 128(R13), Z12
	VMOVDQU32 192(R13), Z13
	VMOVDQU32 256(R13), Z14
	VMOVDQU32 320(R13), Z15
	VMOVDQU32 384(R13), Z16
	VMOVDQU32 448(R13), Z17
	VMOVDQU32 512(R13), Z18
	MOVQ R11, R12
	VPMOVSXBD (AX)(R12*1), Z1
	VPMOVSXBD (CX)(R12*1), Z4
	VPMOVSXBD (R9)(R12*1), Z7
	ADDQ BX, R12
	VPMOVSXBD (AX)(R12*1), Z2
	VPMOVSXBD (CX)(R12*1), Z5
	VPMOVSXBD (R9)(R12*1), Z8
	ADDQ BX, R12
	LEAQ (R15)(R11*1), DI
	MOVQ n3+8(FP), R8

s1pixel:
	VPMOVSXBD (AX)(R12*1), Z3
	VPMOVSXBD (CX)(R12*1), Z6
	VPMOVSXBD (R9)(R12*1), Z9
	VMOVDQU32 (R14), Z0
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPDPWSSD Z10, Z1, Z0
	VPDPWSSD Z11, Z2, Z19
	VPDPWSSD Z12, Z3, Z20
	VPDPWSSD Z13, Z4, Z0
	VPDPWSSD Z14, Z5, Z19
	VPDPWSSD Z15, Z6, Z20
	VPDPWSSD Z16, Z7, Z0
	VPDPWSSD Z17, Z8, Z19
	VPDPWSSD Z18, Z9, Z20
	VPADDD Z19, Z0, Z0
	VPADDD Z20, Z0, Z0
	VPSLLVD 192(R14), Z0, Z0
	VPMULDQ 64(R14), Z0, Z19
	VPSRLQ $32, Z0, Z20
	VPMULDQ 128(R14), Z20, Z20
	VPADDQ Z30, Z19, Z19
	VPADDQ Z30, Z20, Z20
	VPSRLQ $31, Z19, Z19
	VPSLLQ $1, Z20, Z20
	VPBLENDMD Z20, Z19, K1, Z0
	VPSRAVD 256(R14), Z0, Z19
	VPANDD 320(R14), Z0, Z20
	VPSRAD $31, Z0, Z21
	VPADDD Z21, Z20, Z20
	VPCMPGTD 384(R14), Z20, K2
	VPSUBD Z29, Z19, K2, Z19
	VPADDD Z28, Z19, Z19
	VPMAXSD Z27, Z19, Z19
	VPMINSD Z26, Z19, Z19
	VPMOVDB Z19, X19
	VMOVDQU8 X19, (DI)
	ADDQ BX, DI
	ADDQ BX, R12
	VPMOVSXBD (AX)(R12*1), Z1
	VPMOVSXBD (CX)(R12*1), Z4
	VPMOVSXBD (R9)(R12*1), Z7
	VMOVDQU32 (R14), Z0
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPDPWSSD Z10, Z2, Z0
	VPDPWSSD Z11, Z3, Z19
	VPDPWSSD Z12, Z1, Z20
	VPDPWSSD Z13, Z5, Z0
	VPDPWSSD Z14, Z6, Z19
	VPDPWSSD Z15, Z4, Z20
	VPDPWSSD Z16, Z8, Z0
	VPDPWSSD Z17, Z9, Z19
	VPDPWSSD Z18, Z7, Z20
	VPADDD Z19, Z0, Z0
	VPADDD Z20, Z0, Z0
	VPSLLVD 192(R14), Z0, Z0
	VPMULDQ 64(R14), Z0, Z19
	VPSRLQ $32, Z0, Z20
	VPMULDQ 128(R14), Z20, Z20
	VPADDQ Z30, Z19, Z19
	VPADDQ Z30, Z20, Z20
	VPSRLQ $31, Z19, Z19
	VPSLLQ $1, Z20, Z20
	VPBLENDMD Z20, Z19, K1, Z0
	VPSRAVD 256(R14), Z0, Z19
	VPANDD 320(R14), Z0, Z20
	VPSRAD $31, Z0, Z21
	VPADDD Z21, Z20, Z20
	VPCMPGTD 384(R14), Z20, K2
	VPSUBD Z29, Z19, K2, Z19
	VPADDD Z28, Z19, Z19
	VPMAXSD Z27, Z19, Z19
	VPMINSD Z26, Z19, Z19
	VPMOVDB Z19, X19
	VMOVDQU8 X19, (DI)
	ADDQ BX, DI
	ADDQ BX, R12
	VPMOVSXBD (AX)(R12*1), Z2
	VPMOVSXBD (CX)(R12*1), Z5
	VPMOVSXBD (R9)(R12*1), Z8
	VMOVDQU32 (R14), Z0
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPDPWSSD Z10, Z3, Z0
	VPDPWSSD Z11, Z1, Z19
	VPDPWSSD Z12, Z2, Z20
	VPDPWSSD Z13, Z6, Z0
	VPDPWSSD Z14, Z4, Z19
	VPDPWSSD Z15, Z5, Z20
	VPDPWSSD Z16, Z9, Z0
	VPDPWSSD Z17, Z7, Z19
	VPDPWSSD Z18, Z8, Z20
	VPADDD Z19, Z0, Z0
	VPADDD Z20, Z0, Z0
	VPSLLVD 192(R14), Z0, Z0
	VPMULDQ 64(R14), Z0, Z19
	VPSRLQ $32, Z0, Z20
	VPMULDQ 128(R14), Z20, Z20
	VPADDQ Z30, Z19, Z19
	VPADDQ Z30, Z20, Z20
	VPSRLQ $31, Z19, Z19
	VPSLLQ $1, Z20, Z20
	VPBLENDMD Z20, Z19, K1, Z0
	VPSRAVD 256(R14), Z0, Z19
	VPANDD 320(R14), Z0, Z20
	VPSRAD $31, Z0, Z21
	VPADDD Z21, Z20, Z20
	VPCMPGTD 384(R14), Z20, K2
	VPSUBD Z29, Z19, K2, Z19
	VPADDD Z28, Z19, Z19
	VPMAXSD Z27, Z19, Z19
	VPMINSD Z26, Z19, Z19
	VPMOVDB Z19, X19
	VMOVDQU8 X19, (DI)
	ADDQ BX, DI
	ADDQ BX, R12
	DECQ R8
	JNZ s1pixel

	ADDQ $576, R13
	ADDQ $448, R14
	ADDQ $16, R11
	DECQ R10
	JNZ s1block
	VZEROUPPER
	RET

// func dwF32AVX512T9(taps *uintptr, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32)
//
// dwF32AVX512 for exactly 9 taps, blocks outside and pixels inside: the
// block's weights and bias stay in registers across the run; the fused
// multiply-adds keep tap order.
TEXT ·dwF32AVX512T9(SB), NOSPLIT, $0-64
	MOVQ taps+0(FP), SI
	MOVQ ps+16(FP), DX
	MOVQ w+24(FP), R13
	MOVQ cblocks+32(FP), R10
	MOVQ bias+40(FP), R14
	MOVQ out+48(FP), R15
	MOVQ R10, BX
	SHLQ $6, BX                  // output pixel stride: 64·cblocks bytes
	XORQ R11, R11                // 64·block
	VBROADCASTSS lo+56(FP), Z28
	VBROADCASTSS hi+60(FP), Z29

f9block:
	VMOVUPS 0(R13), Z10
	VMOVUPS 64(R13), Z11
	VMOVUPS 128(R13), Z12
	VMOVUPS 192(R13), Z13
	VMOVUPS 256(R13), Z14
	VMOVUPS 320(R13), Z15
	VMOVUPS 384(R13), Z16
	VMOVUPS 448(R13), Z17
	VMOVUPS 512(R13), Z18
	VMOVUPS (R14)(R11*1), Z19
	MOVQ n+8(FP), R8
	MOVQ R11, R12                // j·ps + 64·block
	LEAQ (R15)(R11*1), DI

f9pixel:
	VMOVAPS Z19, Z0
	MOVQ 0(SI), AX
	VFMADD231PS (AX)(R12*1), Z10, Z0
	MOVQ 8(SI), AX
	VFMADD231PS (AX)(R12*1), Z11, Z0
	MOVQ 16(SI), AX
	VFMADD231PS (AX)(R12*1), Z12, Z0
	MOVQ 24(SI), AX
	VFMADD231PS (AX)(R12*1), Z13, Z0
	MOVQ 32(SI), AX
	VFMADD231PS (AX)(R12*1), Z14, Z0
	MOVQ 40(SI), AX
	VFMADD231PS (AX)(R12*1), Z15, Z0
	MOVQ 48(SI), AX
	VFMADD231PS (AX)(R12*1), Z16, Z0
	MOVQ 56(SI), AX
	VFMADD231PS (AX)(R12*1), Z17, Z0
	MOVQ 64(SI), AX
	VFMADD231PS (AX)(R12*1), Z18, Z0
	VMAXPS Z0, Z28, Z0
	VMINPS Z0, Z29, Z0
	VMOVUPS Z0, (DI)
	ADDQ BX, DI
	ADDQ DX, R12
	DECQ R8
	JNZ f9pixel

	ADDQ $576, R13
	ADDQ $64, R11
	DECQ R10
	JNZ f9block
	VZEROUPPER
	RET

// func dwF32AVX512M(taps *uintptr, ntaps int, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32, os int, mask int)
//
// dwF32AVX512 for channel counts that are not a multiple of 16: the last
// of the cblocks blocks loads and stores only the lanes set in mask (the
// weights and bias are padded to whole blocks), and output pixel j starts
// at out + j·os bytes.
TEXT ·dwF32AVX512M(SB), NOSPLIT, $0-88
	MOVQ n+16(FP), R8
	MOVQ out+56(FP), R15
	XORQ R9, R9
	VBROADCASTSS lo+64(FP), Z28
	VBROADCASTSS hi+68(FP), Z29
	MOVQ $0xffff, AX
	KMOVW AX, K2
	MOVQ mask+80(FP), AX
	KMOVW AX, K3

mpixel:
	MOVQ cblocks+40(FP), R10
	MOVQ w+32(FP), R13
	MOVQ bias+48(FP), R14
	MOVQ R9, R12
	MOVQ R15, DI

mblock:
	KMOVW K2, K1
	CMPQ R10, $1
	JNE mfull
	KMOVW K3, K1

mfull:
	VMOVUPS (R14), Z0
	MOVQ taps+0(FP), SI
	MOVQ ntaps+8(FP), CX

mtap:
	MOVQ (SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS (R13), Z1, Z0
	ADDQ $64, R13
	ADDQ $8, SI
	DECQ CX
	JNZ mtap

	VMAXPS Z0, Z28, Z0
	VMINPS Z0, Z29, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, DI
	ADDQ $64, R12
	ADDQ $64, R14
	DECQ R10
	JNZ mblock

	ADDQ ps+24(FP), R9
	ADDQ os+72(FP), R15
	DECQ R8
	JNZ mpixel
	VZEROUPPER
	RET

// func dwF32AVX512T9M(taps *uintptr, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32, os int, mask int)
//
// dwF32AVX512T9 for channel counts that are not a multiple of 16: the last
// of the cblocks blocks reads and writes only the lanes set in mask (its
// weights and bias are padded with zeros; masked-out lanes of the tap
// loads are not read, so they may lie past the input), and output pixel
// j starts at out + j·os bytes. Bit for bit dwF32AVX512M's sums.
TEXT ·dwF32AVX512T9M(SB), NOSPLIT, $0-80
	MOVQ taps+0(FP), SI
	MOVQ ps+16(FP), DX
	MOVQ w+24(FP), R13
	MOVQ cblocks+32(FP), R10
	MOVQ bias+40(FP), R14
	MOVQ out+48(FP), R15
	MOVQ os+64(FP), BX
	XORQ R11, R11                // 64·block
	VBROADCASTSS lo+56(FP), Z28
	VBROADCASTSS hi+60(FP), Z29
	MOVQ $0xffff, AX
	KMOVW AX, K2
	MOVQ mask+72(FP), AX
	KMOVW AX, K3

m9block:
	KMOVW K2, K1
	CMPQ R10, $1
	JNE m9full
	KMOVW K3, K1

m9full:
	VMOVUPS 0(R13), Z10
	VMOVUPS 64(R13), Z11
	VMOVUPS 128(R13), Z12
	VMOVUPS 192(R13), Z13
	VMOVUPS 256(R13), Z14
	VMOVUPS 320(R13), Z15
	VMOVUPS 384(R13), Z16
	VMOVUPS 448(R13), Z17
	VMOVUPS 512(R13), Z18
	VMOVUPS (R14)(R11*1), Z19
	MOVQ n+8(FP), R8
	MOVQ R11, R12                // j·ps + 64·block
	LEAQ (R15)(R11*1), DI

m9pixel:
	VMOVAPS Z19, Z0
	MOVQ 0(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z10, Z0
	MOVQ 8(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z2
	VFMADD231PS Z2, Z11, Z0
	MOVQ 16(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z3
	VFMADD231PS Z3, Z12, Z0
	MOVQ 24(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z4
	VFMADD231PS Z4, Z13, Z0
	MOVQ 32(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z5
	VFMADD231PS Z5, Z14, Z0
	MOVQ 40(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z6
	VFMADD231PS Z6, Z15, Z0
	MOVQ 48(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z7
	VFMADD231PS Z7, Z16, Z0
	MOVQ 56(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z8
	VFMADD231PS Z8, Z17, Z0
	MOVQ 64(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z9
	VFMADD231PS Z9, Z18, Z0
	VMAXPS Z0, Z28, Z0
	VMINPS Z0, Z29, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ BX, DI
	ADDQ DX, R12
	DECQ R8
	JNZ m9pixel

	ADDQ $576, R13
	ADDQ $64, R11
	DECQ R10
	JNZ m9block
	VZEROUPPER
	RET

// func dwF32AVX512T25M(taps *uintptr, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32, os int, mask int)
//
// dwF32AVX512T9M for exactly 25 taps (5x5 windows): the block's 25
// weight vectors and its bias stay in registers across the run; the last
// block reads and writes only the lanes in mask (0xffff when the channels
// fill it), masked-out lanes are not read. Bit for bit dwF32AVX512M's sums
// (the same fused multiply-adds in tap order).
TEXT ·dwF32AVX512T25M(SB), NOSPLIT, $0-80
	MOVQ taps+0(FP), SI
	MOVQ ps+16(FP), DX
	MOVQ w+24(FP), R13
	MOVQ cblocks+32(FP), R10
	MOVQ bias+40(FP), R14
	MOVQ out+48(FP), R15
	MOVQ os+64(FP), BX
	XORQ R11, R11                // 64·block
	VBROADCASTSS lo+56(FP), Z28
	VBROADCASTSS hi+60(FP), Z29
	MOVQ $0xffff, AX
	KMOVW AX, K2
	MOVQ mask+72(FP), AX
	KMOVW AX, K3

t25block:
	KMOVW K2, K1
	CMPQ R10, $1
	JNE t25full
	KMOVW K3, K1

t25full:
	VMOVUPS 0(R13), Z2
	VMOVUPS 64(R13), Z3
	VMOVUPS 128(R13), Z4
	VMOVUPS 192(R13), Z5
	VMOVUPS 256(R13), Z6
	VMOVUPS 320(R13), Z7
	VMOVUPS 384(R13), Z8
	VMOVUPS 448(R13), Z9
	VMOVUPS 512(R13), Z10
	VMOVUPS 576(R13), Z11
	VMOVUPS 640(R13), Z12
	VMOVUPS 704(R13), Z13
	VMOVUPS 768(R13), Z14
	VMOVUPS 832(R13), Z15
	VMOVUPS 896(R13), Z16
	VMOVUPS 960(R13), Z17
	VMOVUPS 1024(R13), Z18
	VMOVUPS 1088(R13), Z19
	VMOVUPS 1152(R13), Z20
	VMOVUPS 1216(R13), Z21
	VMOVUPS 1280(R13), Z22
	VMOVUPS 1344(R13), Z23
	VMOVUPS 1408(R13), Z24
	VMOVUPS 1472(R13), Z25
	VMOVUPS 1536(R13), Z26
	VMOVUPS (R14)(R11*1), Z27
	MOVQ n+8(FP), R8
	MOVQ R11, R12                // j·ps + 64·block
	LEAQ (R15)(R11*1), DI

t25pixel:
	VMOVAPS Z27, Z0
	MOVQ 0(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z2, Z0
	MOVQ 8(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z3, Z0
	MOVQ 16(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z4, Z0
	MOVQ 24(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z5, Z0
	MOVQ 32(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z6, Z0
	MOVQ 40(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z7, Z0
	MOVQ 48(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z8, Z0
	MOVQ 56(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z9, Z0
	MOVQ 64(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z10, Z0
	MOVQ 72(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z11, Z0
	MOVQ 80(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z12, Z0
	MOVQ 88(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z13, Z0
	MOVQ 96(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z14, Z0
	MOVQ 104(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z15, Z0
	MOVQ 112(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z16, Z0
	MOVQ 120(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z17, Z0
	MOVQ 128(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z18, Z0
	MOVQ 136(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z19, Z0
	MOVQ 144(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z20, Z0
	MOVQ 152(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z21, Z0
	MOVQ 160(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z22, Z0
	MOVQ 168(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z23, Z0
	MOVQ 176(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z24, Z0
	MOVQ 184(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z25, Z0
	MOVQ 192(SI), AX
	VMOVUPS.Z (AX)(R12*1), K1, Z1
	VFMADD231PS Z1, Z26, Z0
	VMAXPS Z0, Z28, Z0
	VMINPS Z0, Z29, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ BX, DI
	ADDQ DX, R12
	DECQ R8
	JNZ t25pixel

	ADDQ $1600, R13
	ADDQ $64, R11
	DECQ R10
	JNZ t25block
	VZEROUPPER
	RET

// sum8Perm puts the 16 pixel sums of sum8F32AVX512's reduction (pixel
// 4e+l at position 4l+e) back in pixel order (VPERMPS indices).
DATA sum8Perm<>+0(SB)/4, $0
DATA sum8Perm<>+4(SB)/4, $4
DATA sum8Perm<>+8(SB)/4, $8
DATA sum8Perm<>+12(SB)/4, $12
DATA sum8Perm<>+16(SB)/4, $1
DATA sum8Perm<>+20(SB)/4, $5
DATA sum8Perm<>+24(SB)/4, $9
DATA sum8Perm<>+28(SB)/4, $13
DATA sum8Perm<>+32(SB)/4, $2
DATA sum8Perm<>+36(SB)/4, $6
DATA sum8Perm<>+40(SB)/4, $10
DATA sum8Perm<>+44(SB)/4, $14
DATA sum8Perm<>+48(SB)/4, $3
DATA sum8Perm<>+52(SB)/4, $7
DATA sum8Perm<>+56(SB)/4, $11
DATA sum8Perm<>+60(SB)/4, $15
GLOBL sum8Perm<>(SB), RODATA|NOPTR, $64

// func sum8F32AVX512(sums, out *float32, n16 int, bias, lo, hi float32)
//
// out[p] = clamp(Σ sums[8p+c] + bias, lo, hi) for 16·n16 pixels p of 8
// values each, summed as ((c0+c4)+(c1+c5))+((c2+c6)+(c3+c7)): 128-bit
// lane shuffles (VSHUFF32X4) pair channel c with c+4, in-lane shuffles
// (VSHUFPS) add the rest, one VPERMPS restores pixel order; the clamp
// keeps NaN and values equal to a bound, as clampF.
TEXT ·sum8F32AVX512(SB), NOSPLIT, $0-36
	MOVQ sums+0(FP), SI
	MOVQ out+8(FP), DI
	MOVQ n16+16(FP), CX
	VBROADCASTSS bias+24(FP), Z27
	VBROADCASTSS lo+28(FP), Z28
	VBROADCASTSS hi+32(FP), Z29
	VMOVUPS sum8Perm<>(SB), Z26

s8loop:
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VMOVUPS 256(SI), Z4
	VMOVUPS 320(SI), Z5
	VMOVUPS 384(SI), Z6
	VMOVUPS 448(SI), Z7
	VSHUFF32X4 $0x88, Z1, Z0, Z12
	VSHUFF32X4 $0xdd, Z1, Z0, Z13
	VADDPS Z13, Z12, Z8
	VSHUFF32X4 $0x88, Z3, Z2, Z12
	VSHUFF32X4 $0xdd, Z3, Z2, Z13
	VADDPS Z13, Z12, Z9
	VSHUFF32X4 $0x88, Z5, Z4, Z12
	VSHUFF32X4 $0xdd, Z5, Z4, Z13
	VADDPS Z13, Z12, Z10
	VSHUFF32X4 $0x88, Z7, Z6, Z12
	VSHUFF32X4 $0xdd, Z7, Z6, Z13
	VADDPS Z13, Z12, Z11
	VSHUFPS $0x88, Z9, Z8, Z12
	VSHUFPS $0xdd, Z9, Z8, Z13
	VADDPS Z13, Z12, Z14
	VSHUFPS $0x88, Z11, Z10, Z12
	VSHUFPS $0xdd, Z11, Z10, Z13
	VADDPS Z13, Z12, Z15
	VSHUFPS $0x88, Z15, Z14, Z12
	VSHUFPS $0xdd, Z15, Z14, Z13
	VADDPS Z13, Z12, Z16
	VPERMPS Z16, Z26, Z16
	VADDPS Z27, Z16, Z16
	VMAXPS Z16, Z28, Z16
	VMINPS Z16, Z29, Z16
	VMOVUPS Z16, (DI)
	ADDQ $512, SI
	ADDQ $64, DI
	DECQ CX
	JNZ s8loop
	VZEROUPPER
	RET
