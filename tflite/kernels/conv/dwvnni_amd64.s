//go:build amd64 && !noasm

#include "textflag.h"

// dwvPerm is the VPERMB index that turns four loaded pixels (byte 16s + c:
// pixel s, channel c) into VPDPBUSD lanes (byte 4c + s).
DATA dwvPerm<>+0(SB)/8, $0x3121110130201000
DATA dwvPerm<>+8(SB)/8, $0x3323130332221202
DATA dwvPerm<>+16(SB)/8, $0x3525150534241404
DATA dwvPerm<>+24(SB)/8, $0x3727170736261606
DATA dwvPerm<>+32(SB)/8, $0x3929190938281808
DATA dwvPerm<>+40(SB)/8, $0x3b2b1b0b3a2a1a0a
DATA dwvPerm<>+48(SB)/8, $0x3d2d1d0d3c2c1c0c
DATA dwvPerm<>+56(SB)/8, $0x3f2f1f0f3e2e1e0e
GLOBL dwvPerm<>(SB), RODATA|NOPTR, $64

// dwvT is the VPERMD index that transposes the packed outputs: after the
// two saturating packs, dword 4L + p holds channels 4L..4L+3 of pixel p;
// output pixel p wants them at dword 4p + L.
DATA dwvT<>+0(SB)/8, $0x0000000400000000
DATA dwvT<>+8(SB)/8, $0x0000000c00000008
DATA dwvT<>+16(SB)/8, $0x0000000500000001
DATA dwvT<>+24(SB)/8, $0x0000000d00000009
DATA dwvT<>+32(SB)/8, $0x0000000600000002
DATA dwvT<>+40(SB)/8, $0x0000000e0000000a
DATA dwvT<>+48(SB)/8, $0x0000000700000003
DATA dwvT<>+56(SB)/8, $0x0000000f0000000b
GLOBL dwvT<>(SB), RODATA|NOPTR, $64

// YFULL builds Y (see dwvnni.go) from the four pixels at P, P+C, P+2C,
// P+3C (BX = C, R11 = 3C), all inside the input row: load, gather the four
// bytes of each channel into its lane, make them unsigned.
#define YFULL(P, Y, YX) \
	VMOVDQU32 (P), YX \
	VINSERTI32X4 $1, (P)(BX*1), Y, Y \
	VINSERTI32X4 $2, (P)(BX*2), Y, Y \
	VINSERTI32X4 $3, (P)(R11*1), Y, Y \
	VPERMB Y, Z28, Y \
	VPXORD.BCST (DX), Y, Y

// ROWDOT adds one kernel row's products to the four accumulators Z0..Z3:
// YC = Y_q, YN = Y_{q+1}, W0..W5 the row's six weight vectors.
#define ROWDOT(YC, YN, W0, W1, W2, W3, W4, W5) \
	VPDPBUSD W0, YC, Z0 \
	VPDPBUSD W1, YC, Z1 \
	VPDPBUSD W2, YC, Z2 \
	VPDPBUSD W3, YN, Z2 \
	VPDPBUSD W4, YC, Z3 \
	VPDPBUSD W5, YN, Z3

// RQ requantizes accumulator A in place (temps Z7, Z8; R14 the block's
// parameters): h = the rounding doubling high half of A·m, computed as
// (A·m + 2^30) >> 31 on the even and odd lanes' 64-bit products (exact for
// m ≥ 0); then the reference's rounding right shift by r ≥ 1 (round half
// away from zero) as t − (t >> 1) with t = (h − [h < 0]) >> (r − 1): for
// y = h − [h < 0] (no overflow: h > −2^31), t = 2a + b with a = y >> r and b
// bit r−1 of y, and t − (t >> 1) = a + b, which is h >> r plus one exactly
// when the remainder exceeds half (h ≥ 0) or is at least half plus one
// (h < 0) — the reference's threshold test. |result| ≤ 2^30.
#define RQ(A) \
	VPMULDQ 64(R14), A, Z7 \
	VPSRLQ $32, A, Z8 \
	VPMULDQ 128(R14), Z8, Z8 \
	VPADDQ Z29, Z7, Z7 \
	VPADDQ Z29, Z8, Z8 \
	VPSRLQ $31, Z7, Z7 \
	VPSLLQ $1, Z8, Z8 \
	VPBLENDMD Z8, Z7, K1, A \
	VPSRAD $31, A, Z7 \
	VPADDD Z7, A, A \
	VPSRAVD 192(R14), A, A \
	VPSRAD $1, A, Z7 \
	VPSUBD Z7, A, A

// RQF is RQ for layers whose accumulators are proven to lie in
// [−(2^30 − 1), 2^30 − 1] (dwVNNI.fast): A holds the accumulator + 2^31
// (folded into the bias; as uint32 A_u = A + 2^31), the parameters are 2m
// (even and odd lanes), m, 2^(r−1) − m and r. Then Q = A_u·2m + 2^31 < 2^64 (VPMULUDQ)
// has in its high half h_u = ⌊(A_u·m + 2^30)/2^31⌋ = h + m, h the rounding
// doubling high half of A·m as in RQ; VPSHUFD moves the even lanes' high
// halves beside the odd ones'. h < 0 exactly when h_u < m (unsigned), and
// the result is (h + 2^(r−1) − [h < 0]) >> r, the reference's rounding
// right shift (no overflow: h ≤ 2^30 − 1 and 2^(r−1) ≤ 2^30).
#define RQF(A) \
	VPMULUDQ 64(R14), A, Z7 \
	VPSRLQ $32, A, Z8 \
	VPMULUDQ 128(R14), Z8, Z8 \
	VPADDQ Z29, Z7, Z7 \
	VPADDQ Z29, Z8, Z8 \
	VPSHUFD $0xF5, Z7, K2, Z8 \
	VPCMPUD $1, 192(R14), Z8, K3 \
	VPADDD 256(R14), Z8, Z8 \
	VPADDD.BCST 192(DX), Z8, K3, Z8 \
	VPSRAVD 320(R14), Z8, A

// NARROW turns the four requantized pixels Z0..Z3 into bytes in Z7:
// saturating packs to int16, + the output zero point saturating (Z30; the
// reference adds it in int32 and clamps, and |v| ≤ 2^30 does not wrap, so
// saturating to int16 first changes nothing: outside int16 both saturate
// the byte), a saturating pack to int8 (the clamp when [lo, hi] is all of
// int8), then the transpose to pixel order: pixel p in lane p.
#define NARROW \
	VPACKSSDW Z1, Z0, Z7 \
	VPACKSSDW Z3, Z2, Z8 \
	VPADDSW Z30, Z7, Z7 \
	VPADDSW Z30, Z8, Z8 \
	VPACKSSWB Z8, Z7, Z7 \
	VPERMD Z7, Z31, Z7

// CLAMP bounds the bytes of Z7 to [lo, hi] (k bytes 64.., 128..).
#define CLAMP \
	VPMAXSB 64(DX), Z7, Z7 \
	VPMINSB 128(DX), Z7, Z7

// func dwInt8VNNIS1(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)
//
// One output row of the 3×3, stride 1, dilation 1 int8 depthwise layer
// (see dwvnni.go): 4·n4 − 4 + tail output pixels (tail in 1..4), blocks
// outside (cblocks of them), groups of four pixels inside. r0, r1, r2
// point at the input rows of kernel rows 0, 1, 2 (or the pad row) at the
// first block, pixels C = c bytes apart; output pixel 0's tap kx = 0
// reads byte offset off0 (−PadW·C). A Y whose four pixels start at a byte
// offset in [0, lim] (lim: the last pixel's offset − 3C) loads them
// straight; any other takes its lane offsets and the mask of its lanes
// outside the row (which read the input zero point) from its tab entry
// (dwVNNI.tab: five words per Y build, in build order). w holds the packed
// weights (three rows of six vectors per block), q the parameters
// (dwVQWords per block), k the constants (dwVConsts), out output pixel 0
// at the first block (pixels C bytes apart). clamp = 0 skips the clamp
// (the range is all of int8).
//
// Registers: Z0..Z3 the four pixels' accumulators, Z4..Z6 Y_q of rows
// 0..2, Z7..Z9 Y_{q+1} (moved to Z4..Z6 after the products, then
// temporaries), Z10..Z27 the block's 18 weight vectors, Z28 dwvPerm, Z29
// 2^30 per 64-bit lane (RQF: 2^31), Z30 the output zero point per int16,
// Z31 dwvT, K1 the odd lanes, K2 the even ones. AX, CX, R9 the rows at this
// block, BX = C, R11 = 3C, R12 the byte offset of the next Y to build, R15
// its tab entry, SI the output, R8 groups left, R10 blocks left, DI a
// temporary.
TEXT ·dwInt8VNNIS1(SB), NOSPLIT, $0-128
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), CX
	MOVQ r2+16(FP), R9
	MOVQ cblocks+32(FP), R10
	MOVQ w+40(FP), R13
	MOVQ q+48(FP), R14
	MOVQ k+56(FP), DX
	MOVQ c+120(FP), BX
	LEAQ (BX)(BX*2), R11
	MOVL $0xAAAA, DI
	KMOVW DI, K1
	MOVQ oz+72(FP), DI
	VPBROADCASTW DI, Z30
	MOVQ $0x40000000, DI
	VPBROADCASTQ DI, Z29
	MOVW $0x5555, DI
	KMOVW DI, K2
	VMOVDQU64 dwvPerm<>(SB), Z28
	VMOVDQU64 dwvT<>(SB), Z31

v1block:
	VMOVDQU64 0(R13), Z10
	VMOVDQU64 64(R13), Z11
	VMOVDQU64 128(R13), Z12
	VMOVDQU64 192(R13), Z13
	VMOVDQU64 256(R13), Z14
	VMOVDQU64 320(R13), Z15
	VMOVDQU64 384(R13), Z16
	VMOVDQU64 448(R13), Z17
	VMOVDQU64 512(R13), Z18
	VMOVDQU64 576(R13), Z19
	VMOVDQU64 640(R13), Z20
	VMOVDQU64 704(R13), Z21
	VMOVDQU64 768(R13), Z22
	VMOVDQU64 832(R13), Z23
	VMOVDQU64 896(R13), Z24
	VMOVDQU64 960(R13), Z25
	VMOVDQU64 1024(R13), Z26
	VMOVDQU64 1088(R13), Z27
	MOVQ n4+24(FP), R8
	MOVQ out+64(FP), SI
	MOVQ tab+112(FP), R15
	MOVQ off0+88(FP), R12
	TESTQ R12, R12
	JS v1first_slow
	CMPQ R12, lim+96(FP)
	JGT v1first_slow
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z4, X4)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z5, X5)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z6, X6)
	JMP v1first_built
v1first_slow:
	// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).
	MOVQ 0(R15), DI
	VMOVDQU32 (AX)(DI*1), X4
	VMOVDQU32 (CX)(DI*1), X5
	VMOVDQU32 (R9)(DI*1), X6
	MOVQ 8(R15), DI
	VINSERTI32X4 $1, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $1, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $1, (R9)(DI*1), Z6, Z6
	MOVQ 16(R15), DI
	VINSERTI32X4 $2, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $2, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $2, (R9)(DI*1), Z6, Z6
	MOVQ 24(R15), DI
	VINSERTI32X4 $3, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $3, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $3, (R9)(DI*1), Z6, Z6
	KMOVQ 32(R15), K4
	VMOVDQU8 256(DX), K4, Z4
	VPERMB Z4, Z28, Z4
	VPXORD.BCST (DX), Z4, Z4
	VMOVDQU8 256(DX), K4, Z5
	VPERMB Z5, Z28, Z5
	VPXORD.BCST (DX), Z5, Z5
	VMOVDQU8 256(DX), K4, Z6
	VPERMB Z6, Z28, Z6
	VPXORD.BCST (DX), Z6, Z6
v1first_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15

v1group:
	CMPQ R8, $1
	JNE v1full
	CMPQ tail+104(FP), $2
	JLE v1half
v1full:
	TESTQ R12, R12
	JS v1b_slow
	CMPQ R12, lim+96(FP)
	JGT v1b_slow
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z7, X7)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z8, X8)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z9, X9)
	JMP v1b_built
v1b_slow:
	// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).
	// A Y wholly outside the row is the constant (zero point) ^ 0x80 (k bytes 320..383).
	CMPQ 32(R15), $-1
	JEQ v1b_slow_pad
	MOVQ 0(R15), DI
	VMOVDQU32 (AX)(DI*1), X7
	VMOVDQU32 (CX)(DI*1), X8
	VMOVDQU32 (R9)(DI*1), X9
	MOVQ 8(R15), DI
	VINSERTI32X4 $1, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $1, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $1, (R9)(DI*1), Z9, Z9
	MOVQ 16(R15), DI
	VINSERTI32X4 $2, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $2, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $2, (R9)(DI*1), Z9, Z9
	MOVQ 24(R15), DI
	VINSERTI32X4 $3, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $3, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $3, (R9)(DI*1), Z9, Z9
	KMOVQ 32(R15), K4
	VMOVDQU8 256(DX), K4, Z7
	VPERMB Z7, Z28, Z7
	VPXORD.BCST (DX), Z7, Z7
	VMOVDQU8 256(DX), K4, Z8
	VPERMB Z8, Z28, Z8
	VPXORD.BCST (DX), Z8, Z8
	VMOVDQU8 256(DX), K4, Z9
	VPERMB Z9, Z28, Z9
	VPXORD.BCST (DX), Z9, Z9
	JMP v1b_built
v1b_slow_pad:
	VMOVDQU64 320(DX), Z7
	VMOVDQU64 320(DX), Z8
	VMOVDQU64 320(DX), Z9
v1b_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15
	CMPQ R8, $1
	JEQ v1last
v1four:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z2
	VMOVDQU32 (R14), Z3
	ROWDOT(Z4, Z7, Z10, Z11, Z12, Z13, Z14, Z15)
	ROWDOT(Z5, Z8, Z16, Z17, Z18, Z19, Z20, Z21)
	ROWDOT(Z6, Z9, Z22, Z23, Z24, Z25, Z26, Z27)
	VMOVDQA64 Z7, Z4
	VMOVDQA64 Z8, Z5
	VMOVDQA64 Z9, Z6
	RQ(Z0)
	RQ(Z1)
	RQ(Z2)
	RQ(Z3)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v1store
	CLAMP

v1store:
	VMOVDQU X7, (SI)
	CMPQ R8, $1
	JNE v1store4
	MOVQ tail+104(FP), DI
	CMPQ DI, $1
	JLE v1stepped
	VEXTRACTI32X4 $1, Z7, (SI)(BX*1)
	CMPQ DI, $2
	JLE v1stepped
	VEXTRACTI32X4 $2, Z7, (SI)(BX*2)
	CMPQ DI, $3
	JLE v1stepped
	VEXTRACTI32X4 $3, Z7, (SI)(R11*1)
	JMP v1stepped

v1store4:
	VEXTRACTI32X4 $1, Z7, (SI)(BX*1)
	VEXTRACTI32X4 $2, Z7, (SI)(BX*2)
	VEXTRACTI32X4 $3, Z7, (SI)(R11*1)

v1stepped:
	LEAQ (SI)(BX*4), SI
	DECQ R8
	JNZ v1group

	ADDQ $16, AX
	ADDQ $16, CX
	ADDQ $16, R9
	ADDQ $16, out+64(FP)
	ADDQ $1152, R13
	ADDQ $256, R14
	DECQ R10
	JNZ v1block
	VZEROUPPER
	RET

// v1last checks the last group of a row for tail = 3, where pixel 3 is
// not computed (v1three; its lane of Z7 is never stored).
v1last:
	CMPQ tail+104(FP), $3
	JNE v1four
v1three:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z2
	VPDPBUSD Z10, Z4, Z0
	VPDPBUSD Z11, Z4, Z1
	VPDPBUSD Z12, Z4, Z2
	VPDPBUSD Z13, Z7, Z2
	VPDPBUSD Z16, Z5, Z0
	VPDPBUSD Z17, Z5, Z1
	VPDPBUSD Z18, Z5, Z2
	VPDPBUSD Z19, Z8, Z2
	VPDPBUSD Z22, Z6, Z0
	VPDPBUSD Z23, Z6, Z1
	VPDPBUSD Z24, Z6, Z2
	VPDPBUSD Z25, Z9, Z2
	RQ(Z0)
	RQ(Z1)
	RQ(Z2)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v1store
	CLAMP
	JMP v1store

// v1half is the last group of a row with tail ≤ 2: pixels 0 and 1 read
// only Y_q, so Y_{q+1} (often outside the row) is not built and pixels
// 2 and 3 are not computed (their lanes of Z7 are never stored).
v1half:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VPDPBUSD Z10, Z4, Z0
	VPDPBUSD Z11, Z4, Z1
	VPDPBUSD Z16, Z5, Z0
	VPDPBUSD Z17, Z5, Z1
	VPDPBUSD Z22, Z6, Z0
	VPDPBUSD Z23, Z6, Z1
	RQ(Z0)
	RQ(Z1)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v1store
	CLAMP
	JMP v1store

// func dwInt8VNNIS2(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)
//
// dwInt8VNNIS1 for horizontal stride 2 (see dwvnni.go): output pixels
// 4q..4q+3 read input pixels 8q..8q+8 (from off0), in Y_A (8q..8q+3), Y_B
// (8q+4..8q+7) and Y_C (8q+8..8q+11, the next group's Y_A); w holds
// three rows of three vectors per block.
//
// Registers: as dwInt8VNNIS1 but Z4..Z6 Y_A, Z7..Z9 Y_B, Z19..Z21 Y_C of
// rows 0..2 and Z10..Z18 the block's 9 weight vectors.
TEXT ·dwInt8VNNIS2(SB), NOSPLIT, $0-128
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), CX
	MOVQ r2+16(FP), R9
	MOVQ cblocks+32(FP), R10
	MOVQ w+40(FP), R13
	MOVQ q+48(FP), R14
	MOVQ k+56(FP), DX
	MOVQ c+120(FP), BX
	LEAQ (BX)(BX*2), R11
	MOVL $0xAAAA, DI
	KMOVW DI, K1
	MOVQ oz+72(FP), DI
	VPBROADCASTW DI, Z30
	MOVQ $0x40000000, DI
	VPBROADCASTQ DI, Z29
	MOVW $0x5555, DI
	KMOVW DI, K2
	VMOVDQU64 dwvPerm<>(SB), Z28
	VMOVDQU64 dwvT<>(SB), Z31

v2block:
	VMOVDQU64 0(R13), Z10
	VMOVDQU64 64(R13), Z11
	VMOVDQU64 128(R13), Z12
	VMOVDQU64 192(R13), Z13
	VMOVDQU64 256(R13), Z14
	VMOVDQU64 320(R13), Z15
	VMOVDQU64 384(R13), Z16
	VMOVDQU64 448(R13), Z17
	VMOVDQU64 512(R13), Z18
	MOVQ n4+24(FP), R8
	MOVQ out+64(FP), SI
	MOVQ tab+112(FP), R15
	MOVQ off0+88(FP), R12
	TESTQ R12, R12
	JS v2first_slow
	CMPQ R12, lim+96(FP)
	JGT v2first_slow
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z4, X4)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z5, X5)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z6, X6)
	JMP v2first_built
v2first_slow:
	// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).
	MOVQ 0(R15), DI
	VMOVDQU32 (AX)(DI*1), X4
	VMOVDQU32 (CX)(DI*1), X5
	VMOVDQU32 (R9)(DI*1), X6
	MOVQ 8(R15), DI
	VINSERTI32X4 $1, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $1, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $1, (R9)(DI*1), Z6, Z6
	MOVQ 16(R15), DI
	VINSERTI32X4 $2, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $2, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $2, (R9)(DI*1), Z6, Z6
	MOVQ 24(R15), DI
	VINSERTI32X4 $3, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $3, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $3, (R9)(DI*1), Z6, Z6
	KMOVQ 32(R15), K4
	VMOVDQU8 256(DX), K4, Z4
	VPERMB Z4, Z28, Z4
	VPXORD.BCST (DX), Z4, Z4
	VMOVDQU8 256(DX), K4, Z5
	VPERMB Z5, Z28, Z5
	VPXORD.BCST (DX), Z5, Z5
	VMOVDQU8 256(DX), K4, Z6
	VPERMB Z6, Z28, Z6
	VPXORD.BCST (DX), Z6, Z6
v2first_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15

v2group:
	TESTQ R12, R12
	JS v2b_slow
	CMPQ R12, lim+96(FP)
	JGT v2b_slow
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z7, X7)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z8, X8)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z9, X9)
	JMP v2b_built
v2b_slow:
	// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).
	// A Y wholly outside the row is the constant (zero point) ^ 0x80 (k bytes 320..383).
	CMPQ 32(R15), $-1
	JEQ v2b_slow_pad
	MOVQ 0(R15), DI
	VMOVDQU32 (AX)(DI*1), X7
	VMOVDQU32 (CX)(DI*1), X8
	VMOVDQU32 (R9)(DI*1), X9
	MOVQ 8(R15), DI
	VINSERTI32X4 $1, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $1, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $1, (R9)(DI*1), Z9, Z9
	MOVQ 16(R15), DI
	VINSERTI32X4 $2, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $2, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $2, (R9)(DI*1), Z9, Z9
	MOVQ 24(R15), DI
	VINSERTI32X4 $3, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $3, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $3, (R9)(DI*1), Z9, Z9
	KMOVQ 32(R15), K4
	VMOVDQU8 256(DX), K4, Z7
	VPERMB Z7, Z28, Z7
	VPXORD.BCST (DX), Z7, Z7
	VMOVDQU8 256(DX), K4, Z8
	VPERMB Z8, Z28, Z8
	VPXORD.BCST (DX), Z8, Z8
	VMOVDQU8 256(DX), K4, Z9
	VPERMB Z9, Z28, Z9
	VPXORD.BCST (DX), Z9, Z9
	JMP v2b_built
v2b_slow_pad:
	VMOVDQU64 320(DX), Z7
	VMOVDQU64 320(DX), Z8
	VMOVDQU64 320(DX), Z9
v2b_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15
	CMPQ R8, $1
	JNE v2full
	CMPQ tail+104(FP), $2
	JLE v2half
	CMPQ tail+104(FP), $3
	JEQ v2three
v2full:
	TESTQ R12, R12
	JS v2c_slow
	CMPQ R12, lim+96(FP)
	JGT v2c_slow
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z19, X19)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z20, X20)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z21, X21)
	JMP v2c_built
v2c_slow:
	// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).
	// A Y wholly outside the row is the constant (zero point) ^ 0x80 (k bytes 320..383).
	CMPQ 32(R15), $-1
	JEQ v2c_slow_pad
	MOVQ 0(R15), DI
	VMOVDQU32 (AX)(DI*1), X19
	VMOVDQU32 (CX)(DI*1), X20
	VMOVDQU32 (R9)(DI*1), X21
	MOVQ 8(R15), DI
	VINSERTI32X4 $1, (AX)(DI*1), Z19, Z19
	VINSERTI32X4 $1, (CX)(DI*1), Z20, Z20
	VINSERTI32X4 $1, (R9)(DI*1), Z21, Z21
	MOVQ 16(R15), DI
	VINSERTI32X4 $2, (AX)(DI*1), Z19, Z19
	VINSERTI32X4 $2, (CX)(DI*1), Z20, Z20
	VINSERTI32X4 $2, (R9)(DI*1), Z21, Z21
	MOVQ 24(R15), DI
	VINSERTI32X4 $3, (AX)(DI*1), Z19, Z19
	VINSERTI32X4 $3, (CX)(DI*1), Z20, Z20
	VINSERTI32X4 $3, (R9)(DI*1), Z21, Z21
	KMOVQ 32(R15), K4
	VMOVDQU8 256(DX), K4, Z19
	VPERMB Z19, Z28, Z19
	VPXORD.BCST (DX), Z19, Z19
	VMOVDQU8 256(DX), K4, Z20
	VPERMB Z20, Z28, Z20
	VPXORD.BCST (DX), Z20, Z20
	VMOVDQU8 256(DX), K4, Z21
	VPERMB Z21, Z28, Z21
	VPXORD.BCST (DX), Z21, Z21
	JMP v2c_built
v2c_slow_pad:
	VMOVDQU64 320(DX), Z19
	VMOVDQU64 320(DX), Z20
	VMOVDQU64 320(DX), Z21
v2c_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z2
	VMOVDQU32 (R14), Z3
	VPDPBUSD Z10, Z4, Z0
	VPDPBUSD Z11, Z4, Z1
	VPDPBUSD Z12, Z7, Z1
	VPDPBUSD Z10, Z7, Z2
	VPDPBUSD Z11, Z7, Z3
	VPDPBUSD Z12, Z19, Z3
	VPDPBUSD Z13, Z5, Z0
	VPDPBUSD Z14, Z5, Z1
	VPDPBUSD Z15, Z8, Z1
	VPDPBUSD Z13, Z8, Z2
	VPDPBUSD Z14, Z8, Z3
	VPDPBUSD Z15, Z20, Z3
	VPDPBUSD Z16, Z6, Z0
	VPDPBUSD Z17, Z6, Z1
	VPDPBUSD Z18, Z9, Z1
	VPDPBUSD Z16, Z9, Z2
	VPDPBUSD Z17, Z9, Z3
	VPDPBUSD Z18, Z21, Z3
	VMOVDQA64 Z19, Z4
	VMOVDQA64 Z20, Z5
	VMOVDQA64 Z21, Z6
	RQ(Z0)
	RQ(Z1)
	RQ(Z2)
	RQ(Z3)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v2store
	CLAMP

v2store:
	VMOVDQU X7, (SI)
	CMPQ R8, $1
	JNE v2store4
	MOVQ tail+104(FP), DI
	CMPQ DI, $1
	JLE v2stepped
	VEXTRACTI32X4 $1, Z7, (SI)(BX*1)
	CMPQ DI, $2
	JLE v2stepped
	VEXTRACTI32X4 $2, Z7, (SI)(BX*2)
	CMPQ DI, $3
	JLE v2stepped
	VEXTRACTI32X4 $3, Z7, (SI)(R11*1)
	JMP v2stepped

v2store4:
	VEXTRACTI32X4 $1, Z7, (SI)(BX*1)
	VEXTRACTI32X4 $2, Z7, (SI)(BX*2)
	VEXTRACTI32X4 $3, Z7, (SI)(R11*1)

v2stepped:
	LEAQ (SI)(BX*4), SI
	DECQ R8
	JNZ v2group

	ADDQ $16, AX
	ADDQ $16, CX
	ADDQ $16, R9
	ADDQ $16, out+64(FP)
	ADDQ $576, R13
	ADDQ $256, R14
	DECQ R10
	JNZ v2block
	VZEROUPPER
	RET

// v2three is the last group of a row with tail = 3: pixels 0..2 read
// only Y_A and Y_B, so Y_C is not built and pixel 3 is not computed (its
// lane of Z7 is never stored).
v2three:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z2
	VPDPBUSD Z10, Z4, Z0
	VPDPBUSD Z11, Z4, Z1
	VPDPBUSD Z12, Z7, Z1
	VPDPBUSD Z10, Z7, Z2
	VPDPBUSD Z13, Z5, Z0
	VPDPBUSD Z14, Z5, Z1
	VPDPBUSD Z15, Z8, Z1
	VPDPBUSD Z13, Z8, Z2
	VPDPBUSD Z16, Z6, Z0
	VPDPBUSD Z17, Z6, Z1
	VPDPBUSD Z18, Z9, Z1
	VPDPBUSD Z16, Z9, Z2
	RQ(Z0)
	RQ(Z1)
	RQ(Z2)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v2store
	CLAMP
	JMP v2store

// v2half is the last group of a row with tail ≤ 2: pixels 0 and 1 read
// only Y_A and Y_B, so Y_C (often outside the row) is not built and
// pixels 2 and 3 are not computed (their lanes of Z7 are never stored).
v2half:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VPDPBUSD Z10, Z4, Z0
	VPDPBUSD Z11, Z4, Z1
	VPDPBUSD Z12, Z7, Z1
	VPDPBUSD Z13, Z5, Z0
	VPDPBUSD Z14, Z5, Z1
	VPDPBUSD Z15, Z8, Z1
	VPDPBUSD Z16, Z6, Z0
	VPDPBUSD Z17, Z6, Z1
	VPDPBUSD Z18, Z9, Z1
	RQ(Z0)
	RQ(Z1)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v2store
	CLAMP
	JMP v2store

// func dwInt8VNNIS1F(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)
//
// dwInt8VNNIS1 with RQF: for layers whose accumulators are proven to lie
// in [−(2^30 − 1), 2^30 − 1] (dwVNNI.fast); q holds dwVQWordsF words per
// block.
TEXT ·dwInt8VNNIS1F(SB), NOSPLIT, $0-128
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), CX
	MOVQ r2+16(FP), R9
	MOVQ cblocks+32(FP), R10
	MOVQ w+40(FP), R13
	MOVQ q+48(FP), R14
	MOVQ k+56(FP), DX
	MOVQ c+120(FP), BX
	LEAQ (BX)(BX*2), R11
	MOVL $0xAAAA, DI
	KMOVW DI, K1
	MOVQ oz+72(FP), DI
	VPBROADCASTW DI, Z30
	MOVQ $0x80000000, DI
	VPBROADCASTQ DI, Z29
	MOVW $0x5555, DI
	KMOVW DI, K2
	VMOVDQU64 dwvPerm<>(SB), Z28
	VMOVDQU64 dwvT<>(SB), Z31

v1fblock:
	VMOVDQU64 0(R13), Z10
	VMOVDQU64 64(R13), Z11
	VMOVDQU64 128(R13), Z12
	VMOVDQU64 192(R13), Z13
	VMOVDQU64 256(R13), Z14
	VMOVDQU64 320(R13), Z15
	VMOVDQU64 384(R13), Z16
	VMOVDQU64 448(R13), Z17
	VMOVDQU64 512(R13), Z18
	VMOVDQU64 576(R13), Z19
	VMOVDQU64 640(R13), Z20
	VMOVDQU64 704(R13), Z21
	VMOVDQU64 768(R13), Z22
	VMOVDQU64 832(R13), Z23
	VMOVDQU64 896(R13), Z24
	VMOVDQU64 960(R13), Z25
	VMOVDQU64 1024(R13), Z26
	VMOVDQU64 1088(R13), Z27
	MOVQ n4+24(FP), R8
	MOVQ out+64(FP), SI
	MOVQ tab+112(FP), R15
	MOVQ off0+88(FP), R12
	TESTQ R12, R12
	JS v1ffirst_slow
	CMPQ R12, lim+96(FP)
	JGT v1ffirst_slow
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z4, X4)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z5, X5)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z6, X6)
	JMP v1ffirst_built
v1ffirst_slow:
	// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).
	MOVQ 0(R15), DI
	VMOVDQU32 (AX)(DI*1), X4
	VMOVDQU32 (CX)(DI*1), X5
	VMOVDQU32 (R9)(DI*1), X6
	MOVQ 8(R15), DI
	VINSERTI32X4 $1, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $1, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $1, (R9)(DI*1), Z6, Z6
	MOVQ 16(R15), DI
	VINSERTI32X4 $2, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $2, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $2, (R9)(DI*1), Z6, Z6
	MOVQ 24(R15), DI
	VINSERTI32X4 $3, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $3, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $3, (R9)(DI*1), Z6, Z6
	KMOVQ 32(R15), K4
	VMOVDQU8 256(DX), K4, Z4
	VPERMB Z4, Z28, Z4
	VPXORD.BCST (DX), Z4, Z4
	VMOVDQU8 256(DX), K4, Z5
	VPERMB Z5, Z28, Z5
	VPXORD.BCST (DX), Z5, Z5
	VMOVDQU8 256(DX), K4, Z6
	VPERMB Z6, Z28, Z6
	VPXORD.BCST (DX), Z6, Z6
v1ffirst_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15

v1fgroup:
	CMPQ R8, $1
	JNE v1ffull
	CMPQ tail+104(FP), $2
	JLE v1fhalf
v1ffull:
	TESTQ R12, R12
	JS v1fb_slow
	CMPQ R12, lim+96(FP)
	JGT v1fb_slow
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z7, X7)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z8, X8)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z9, X9)
	JMP v1fb_built
v1fb_slow:
	// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).
	// A Y wholly outside the row is the constant (zero point) ^ 0x80 (k bytes 320..383).
	CMPQ 32(R15), $-1
	JEQ v1fb_slow_pad
	MOVQ 0(R15), DI
	VMOVDQU32 (AX)(DI*1), X7
	VMOVDQU32 (CX)(DI*1), X8
	VMOVDQU32 (R9)(DI*1), X9
	MOVQ 8(R15), DI
	VINSERTI32X4 $1, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $1, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $1, (R9)(DI*1), Z9, Z9
	MOVQ 16(R15), DI
	VINSERTI32X4 $2, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $2, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $2, (R9)(DI*1), Z9, Z9
	MOVQ 24(R15), DI
	VINSERTI32X4 $3, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $3, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $3, (R9)(DI*1), Z9, Z9
	KMOVQ 32(R15), K4
	VMOVDQU8 256(DX), K4, Z7
	VPERMB Z7, Z28, Z7
	VPXORD.BCST (DX), Z7, Z7
	VMOVDQU8 256(DX), K4, Z8
	VPERMB Z8, Z28, Z8
	VPXORD.BCST (DX), Z8, Z8
	VMOVDQU8 256(DX), K4, Z9
	VPERMB Z9, Z28, Z9
	VPXORD.BCST (DX), Z9, Z9
	JMP v1fb_built
v1fb_slow_pad:
	VMOVDQU64 320(DX), Z7
	VMOVDQU64 320(DX), Z8
	VMOVDQU64 320(DX), Z9
v1fb_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15
	CMPQ R8, $1
	JEQ v1flast
v1ffour:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z2
	VMOVDQU32 (R14), Z3
	ROWDOT(Z4, Z7, Z10, Z11, Z12, Z13, Z14, Z15)
	ROWDOT(Z5, Z8, Z16, Z17, Z18, Z19, Z20, Z21)
	ROWDOT(Z6, Z9, Z22, Z23, Z24, Z25, Z26, Z27)
	VMOVDQA64 Z7, Z4
	VMOVDQA64 Z8, Z5
	VMOVDQA64 Z9, Z6
	RQF(Z0)
	RQF(Z1)
	RQF(Z2)
	RQF(Z3)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v1fstore
	CLAMP

v1fstore:
	VMOVDQU X7, (SI)
	CMPQ R8, $1
	JNE v1fstore4
	MOVQ tail+104(FP), DI
	CMPQ DI, $1
	JLE v1fstepped
	VEXTRACTI32X4 $1, Z7, (SI)(BX*1)
	CMPQ DI, $2
	JLE v1fstepped
	VEXTRACTI32X4 $2, Z7, (SI)(BX*2)
	CMPQ DI, $3
	JLE v1fstepped
	VEXTRACTI32X4 $3, Z7, (SI)(R11*1)
	JMP v1fstepped

v1fstore4:
	VEXTRACTI32X4 $1, Z7, (SI)(BX*1)
	VEXTRACTI32X4 $2, Z7, (SI)(BX*2)
	VEXTRACTI32X4 $3, Z7, (SI)(R11*1)

v1fstepped:
	LEAQ (SI)(BX*4), SI
	DECQ R8
	JNZ v1fgroup

	ADDQ $16, AX
	ADDQ $16, CX
	ADDQ $16, R9
	ADDQ $16, out+64(FP)
	ADDQ $1152, R13
	ADDQ $384, R14
	DECQ R10
	JNZ v1fblock
	VZEROUPPER
	RET

// v1flast checks the last group of a row for tail = 3, where pixel 3 is
// not computed (v1fthree; its lane of Z7 is never stored).
v1flast:
	CMPQ tail+104(FP), $3
	JNE v1ffour
v1fthree:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z2
	VPDPBUSD Z10, Z4, Z0
	VPDPBUSD Z11, Z4, Z1
	VPDPBUSD Z12, Z4, Z2
	VPDPBUSD Z13, Z7, Z2
	VPDPBUSD Z16, Z5, Z0
	VPDPBUSD Z17, Z5, Z1
	VPDPBUSD Z18, Z5, Z2
	VPDPBUSD Z19, Z8, Z2
	VPDPBUSD Z22, Z6, Z0
	VPDPBUSD Z23, Z6, Z1
	VPDPBUSD Z24, Z6, Z2
	VPDPBUSD Z25, Z9, Z2
	RQF(Z0)
	RQF(Z1)
	RQF(Z2)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v1fstore
	CLAMP
	JMP v1fstore

// v1fhalf is the last group of a row with tail ≤ 2: pixels 0 and 1 read
// only Y_q, so Y_{q+1} (often outside the row) is not built and pixels
// 2 and 3 are not computed (their lanes of Z7 are never stored).
v1fhalf:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VPDPBUSD Z10, Z4, Z0
	VPDPBUSD Z11, Z4, Z1
	VPDPBUSD Z16, Z5, Z0
	VPDPBUSD Z17, Z5, Z1
	VPDPBUSD Z22, Z6, Z0
	VPDPBUSD Z23, Z6, Z1
	RQF(Z0)
	RQF(Z1)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v1fstore
	CLAMP
	JMP v1fstore

// func dwInt8VNNIS2F(r0, r1, r2 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)
//
// dwInt8VNNIS2 with RQF: for layers whose accumulators are proven to lie
// in [−(2^30 − 1), 2^30 − 1] (dwVNNI.fast); q holds dwVQWordsF words per
// block.
TEXT ·dwInt8VNNIS2F(SB), NOSPLIT, $0-128
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), CX
	MOVQ r2+16(FP), R9
	MOVQ cblocks+32(FP), R10
	MOVQ w+40(FP), R13
	MOVQ q+48(FP), R14
	MOVQ k+56(FP), DX
	MOVQ c+120(FP), BX
	LEAQ (BX)(BX*2), R11
	MOVL $0xAAAA, DI
	KMOVW DI, K1
	MOVQ oz+72(FP), DI
	VPBROADCASTW DI, Z30
	MOVQ $0x80000000, DI
	VPBROADCASTQ DI, Z29
	MOVW $0x5555, DI
	KMOVW DI, K2
	VMOVDQU64 dwvPerm<>(SB), Z28
	VMOVDQU64 dwvT<>(SB), Z31

v2fblock:
	VMOVDQU64 0(R13), Z10
	VMOVDQU64 64(R13), Z11
	VMOVDQU64 128(R13), Z12
	VMOVDQU64 192(R13), Z13
	VMOVDQU64 256(R13), Z14
	VMOVDQU64 320(R13), Z15
	VMOVDQU64 384(R13), Z16
	VMOVDQU64 448(R13), Z17
	VMOVDQU64 512(R13), Z18
	MOVQ n4+24(FP), R8
	MOVQ out+64(FP), SI
	MOVQ tab+112(FP), R15
	MOVQ off0+88(FP), R12
	TESTQ R12, R12
	JS v2ffirst_slow
	CMPQ R12, lim+96(FP)
	JGT v2ffirst_slow
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z4, X4)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z5, X5)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z6, X6)
	JMP v2ffirst_built
v2ffirst_slow:
	// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).
	MOVQ 0(R15), DI
	VMOVDQU32 (AX)(DI*1), X4
	VMOVDQU32 (CX)(DI*1), X5
	VMOVDQU32 (R9)(DI*1), X6
	MOVQ 8(R15), DI
	VINSERTI32X4 $1, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $1, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $1, (R9)(DI*1), Z6, Z6
	MOVQ 16(R15), DI
	VINSERTI32X4 $2, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $2, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $2, (R9)(DI*1), Z6, Z6
	MOVQ 24(R15), DI
	VINSERTI32X4 $3, (AX)(DI*1), Z4, Z4
	VINSERTI32X4 $3, (CX)(DI*1), Z5, Z5
	VINSERTI32X4 $3, (R9)(DI*1), Z6, Z6
	KMOVQ 32(R15), K4
	VMOVDQU8 256(DX), K4, Z4
	VPERMB Z4, Z28, Z4
	VPXORD.BCST (DX), Z4, Z4
	VMOVDQU8 256(DX), K4, Z5
	VPERMB Z5, Z28, Z5
	VPXORD.BCST (DX), Z5, Z5
	VMOVDQU8 256(DX), K4, Z6
	VPERMB Z6, Z28, Z6
	VPXORD.BCST (DX), Z6, Z6
v2ffirst_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15

v2fgroup:
	TESTQ R12, R12
	JS v2fb_slow
	CMPQ R12, lim+96(FP)
	JGT v2fb_slow
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z7, X7)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z8, X8)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z9, X9)
	JMP v2fb_built
v2fb_slow:
	// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).
	// A Y wholly outside the row is the constant (zero point) ^ 0x80 (k bytes 320..383).
	CMPQ 32(R15), $-1
	JEQ v2fb_slow_pad
	MOVQ 0(R15), DI
	VMOVDQU32 (AX)(DI*1), X7
	VMOVDQU32 (CX)(DI*1), X8
	VMOVDQU32 (R9)(DI*1), X9
	MOVQ 8(R15), DI
	VINSERTI32X4 $1, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $1, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $1, (R9)(DI*1), Z9, Z9
	MOVQ 16(R15), DI
	VINSERTI32X4 $2, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $2, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $2, (R9)(DI*1), Z9, Z9
	MOVQ 24(R15), DI
	VINSERTI32X4 $3, (AX)(DI*1), Z7, Z7
	VINSERTI32X4 $3, (CX)(DI*1), Z8, Z8
	VINSERTI32X4 $3, (R9)(DI*1), Z9, Z9
	KMOVQ 32(R15), K4
	VMOVDQU8 256(DX), K4, Z7
	VPERMB Z7, Z28, Z7
	VPXORD.BCST (DX), Z7, Z7
	VMOVDQU8 256(DX), K4, Z8
	VPERMB Z8, Z28, Z8
	VPXORD.BCST (DX), Z8, Z8
	VMOVDQU8 256(DX), K4, Z9
	VPERMB Z9, Z28, Z9
	VPXORD.BCST (DX), Z9, Z9
	JMP v2fb_built
v2fb_slow_pad:
	VMOVDQU64 320(DX), Z7
	VMOVDQU64 320(DX), Z8
	VMOVDQU64 320(DX), Z9
v2fb_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15
	CMPQ R8, $1
	JNE v2ffull
	CMPQ tail+104(FP), $2
	JLE v2fhalf
	CMPQ tail+104(FP), $3
	JEQ v2fthree
v2ffull:
	TESTQ R12, R12
	JS v2fc_slow
	CMPQ R12, lim+96(FP)
	JGT v2fc_slow
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z19, X19)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z20, X20)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z21, X21)
	JMP v2fc_built
v2fc_slow:
	// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).
	// A Y wholly outside the row is the constant (zero point) ^ 0x80 (k bytes 320..383).
	CMPQ 32(R15), $-1
	JEQ v2fc_slow_pad
	MOVQ 0(R15), DI
	VMOVDQU32 (AX)(DI*1), X19
	VMOVDQU32 (CX)(DI*1), X20
	VMOVDQU32 (R9)(DI*1), X21
	MOVQ 8(R15), DI
	VINSERTI32X4 $1, (AX)(DI*1), Z19, Z19
	VINSERTI32X4 $1, (CX)(DI*1), Z20, Z20
	VINSERTI32X4 $1, (R9)(DI*1), Z21, Z21
	MOVQ 16(R15), DI
	VINSERTI32X4 $2, (AX)(DI*1), Z19, Z19
	VINSERTI32X4 $2, (CX)(DI*1), Z20, Z20
	VINSERTI32X4 $2, (R9)(DI*1), Z21, Z21
	MOVQ 24(R15), DI
	VINSERTI32X4 $3, (AX)(DI*1), Z19, Z19
	VINSERTI32X4 $3, (CX)(DI*1), Z20, Z20
	VINSERTI32X4 $3, (R9)(DI*1), Z21, Z21
	KMOVQ 32(R15), K4
	VMOVDQU8 256(DX), K4, Z19
	VPERMB Z19, Z28, Z19
	VPXORD.BCST (DX), Z19, Z19
	VMOVDQU8 256(DX), K4, Z20
	VPERMB Z20, Z28, Z20
	VPXORD.BCST (DX), Z20, Z20
	VMOVDQU8 256(DX), K4, Z21
	VPERMB Z21, Z28, Z21
	VPXORD.BCST (DX), Z21, Z21
	JMP v2fc_built
v2fc_slow_pad:
	VMOVDQU64 320(DX), Z19
	VMOVDQU64 320(DX), Z20
	VMOVDQU64 320(DX), Z21
v2fc_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z2
	VMOVDQU32 (R14), Z3
	VPDPBUSD Z10, Z4, Z0
	VPDPBUSD Z11, Z4, Z1
	VPDPBUSD Z12, Z7, Z1
	VPDPBUSD Z10, Z7, Z2
	VPDPBUSD Z11, Z7, Z3
	VPDPBUSD Z12, Z19, Z3
	VPDPBUSD Z13, Z5, Z0
	VPDPBUSD Z14, Z5, Z1
	VPDPBUSD Z15, Z8, Z1
	VPDPBUSD Z13, Z8, Z2
	VPDPBUSD Z14, Z8, Z3
	VPDPBUSD Z15, Z20, Z3
	VPDPBUSD Z16, Z6, Z0
	VPDPBUSD Z17, Z6, Z1
	VPDPBUSD Z18, Z9, Z1
	VPDPBUSD Z16, Z9, Z2
	VPDPBUSD Z17, Z9, Z3
	VPDPBUSD Z18, Z21, Z3
	VMOVDQA64 Z19, Z4
	VMOVDQA64 Z20, Z5
	VMOVDQA64 Z21, Z6
	RQF(Z0)
	RQF(Z1)
	RQF(Z2)
	RQF(Z3)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v2fstore
	CLAMP

v2fstore:
	VMOVDQU X7, (SI)
	CMPQ R8, $1
	JNE v2fstore4
	MOVQ tail+104(FP), DI
	CMPQ DI, $1
	JLE v2fstepped
	VEXTRACTI32X4 $1, Z7, (SI)(BX*1)
	CMPQ DI, $2
	JLE v2fstepped
	VEXTRACTI32X4 $2, Z7, (SI)(BX*2)
	CMPQ DI, $3
	JLE v2fstepped
	VEXTRACTI32X4 $3, Z7, (SI)(R11*1)
	JMP v2fstepped

v2fstore4:
	VEXTRACTI32X4 $1, Z7, (SI)(BX*1)
	VEXTRACTI32X4 $2, Z7, (SI)(BX*2)
	VEXTRACTI32X4 $3, Z7, (SI)(R11*1)

v2fstepped:
	LEAQ (SI)(BX*4), SI
	DECQ R8
	JNZ v2fgroup

	ADDQ $16, AX
	ADDQ $16, CX
	ADDQ $16, R9
	ADDQ $16, out+64(FP)
	ADDQ $576, R13
	ADDQ $384, R14
	DECQ R10
	JNZ v2fblock
	VZEROUPPER
	RET

// v2fthree is the last group of a row with tail = 3: pixels 0..2 read
// only Y_A and Y_B, so Y_C is not built and pixel 3 is not computed (its
// lane of Z7 is never stored).
v2fthree:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z2
	VPDPBUSD Z10, Z4, Z0
	VPDPBUSD Z11, Z4, Z1
	VPDPBUSD Z12, Z7, Z1
	VPDPBUSD Z10, Z7, Z2
	VPDPBUSD Z13, Z5, Z0
	VPDPBUSD Z14, Z5, Z1
	VPDPBUSD Z15, Z8, Z1
	VPDPBUSD Z13, Z8, Z2
	VPDPBUSD Z16, Z6, Z0
	VPDPBUSD Z17, Z6, Z1
	VPDPBUSD Z18, Z9, Z1
	VPDPBUSD Z16, Z9, Z2
	RQF(Z0)
	RQF(Z1)
	RQF(Z2)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v2fstore
	CLAMP
	JMP v2fstore

// v2fhalf is the last group of a row with tail ≤ 2: pixels 0 and 1 read
// only Y_A and Y_B, so Y_C (often outside the row) is not built and
// pixels 2 and 3 are not computed (their lanes of Z7 are never stored).
v2fhalf:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VPDPBUSD Z10, Z4, Z0
	VPDPBUSD Z11, Z4, Z1
	VPDPBUSD Z12, Z7, Z1
	VPDPBUSD Z13, Z5, Z0
	VPDPBUSD Z14, Z5, Z1
	VPDPBUSD Z15, Z8, Z1
	VPDPBUSD Z16, Z6, Z0
	VPDPBUSD Z17, Z6, Z1
	VPDPBUSD Z18, Z9, Z1
	RQF(Z0)
	RQF(Z1)
	NARROW
	CMPQ clamp+80(FP), $0
	JEQ v2fstore
	CLAMP
	JMP v2fstore

// Two-row kernels. Vertical stride and dilation 1: output rows oy and
// oy + 1 read input rows oy − PadH + 0..2 and oy − PadH + 1..3, so one call
// builds each group's Y of the four input rows once (four builds per
// group instead of the six of two one-row calls) and feeds them to both
// rows' accumulators: 36 VPDPBUSD per four Y builds.

// YFULL4 builds the Y of the four rows (AX, CX, R9, R10) from byte offset R12.
#define YFULL4(Y0, Y1, Y2, Y3, X0, X1, X2, X3) \
	LEAQ (AX)(R12*1), DI \
	YFULL(DI, Y0, X0) \
	LEAQ (CX)(R12*1), DI \
	YFULL(DI, Y1, X1) \
	LEAQ (R9)(R12*1), DI \
	YFULL(DI, Y2, X2) \
	LEAQ (R10)(R12*1), DI \
	YFULL(DI, Y3, X3)

// YTAB4 builds the Y of the four rows from the tab entry at R15: lane
// offsets, lanes outside the row take the zero point (k bytes 256..319).
#define YTAB4(Y0, Y1, Y2, Y3, X0, X1, X2, X3) \
	MOVQ 0(R15), DI \
	VMOVDQU32 (AX)(DI*1), X0 \
	VMOVDQU32 (CX)(DI*1), X1 \
	VMOVDQU32 (R9)(DI*1), X2 \
	VMOVDQU32 (R10)(DI*1), X3 \
	MOVQ 8(R15), DI \
	VINSERTI32X4 $1, (AX)(DI*1), Y0, Y0 \
	VINSERTI32X4 $1, (CX)(DI*1), Y1, Y1 \
	VINSERTI32X4 $1, (R9)(DI*1), Y2, Y2 \
	VINSERTI32X4 $1, (R10)(DI*1), Y3, Y3 \
	MOVQ 16(R15), DI \
	VINSERTI32X4 $2, (AX)(DI*1), Y0, Y0 \
	VINSERTI32X4 $2, (CX)(DI*1), Y1, Y1 \
	VINSERTI32X4 $2, (R9)(DI*1), Y2, Y2 \
	VINSERTI32X4 $2, (R10)(DI*1), Y3, Y3 \
	MOVQ 24(R15), DI \
	VINSERTI32X4 $3, (AX)(DI*1), Y0, Y0 \
	VINSERTI32X4 $3, (CX)(DI*1), Y1, Y1 \
	VINSERTI32X4 $3, (R9)(DI*1), Y2, Y2 \
	VINSERTI32X4 $3, (R10)(DI*1), Y3, Y3 \
	KMOVQ 32(R15), K4 \
	VMOVDQU8 256(DX), K4, Y0 \
	VMOVDQU8 256(DX), K4, Y1 \
	VMOVDQU8 256(DX), K4, Y2 \
	VMOVDQU8 256(DX), K4, Y3 \
	VPERMB Y0, Z28, Y0 \
	VPERMB Y1, Z28, Y1 \
	VPERMB Y2, Z28, Y2 \
	VPERMB Y3, Z28, Y3 \
	VPXORD.BCST (DX), Y0, Y0 \
	VPXORD.BCST (DX), Y1, Y1 \
	VPXORD.BCST (DX), Y2, Y2 \
	VPXORD.BCST (DX), Y3, Y3

// ROWDOT4 is ROWDOT into accumulators A0..A3 (W0..W5 registers or memory).
#define ROWDOT4(YC, YN, W0, W1, W2, W3, W4, W5, A0, A1, A2, A3) \
	VPDPBUSD W0, YC, A0 \
	VPDPBUSD W1, YC, A1 \
	VPDPBUSD W2, YC, A2 \
	VPDPBUSD W3, YN, A2 \
	VPDPBUSD W4, YC, A3 \
	VPDPBUSD W5, YN, A3

// RQFT is RQF with temporaries T1, T2 and mask KT.
#define RQFT(A, T1, T2, KT) \
	VPMULUDQ 64(R14), A, T1 \
	VPSRLQ $32, A, T2 \
	VPMULUDQ 128(R14), T2, T2 \
	VPADDQ Z29, T1, T1 \
	VPADDQ Z29, T2, T2 \
	VPSHUFD $0xF5, T1, K2, T2 \
	VPCMPUD $1, 192(R14), T2, KT \
	VPADDD 256(R14), T2, T2 \
	VPADDD.BCST 192(DX), T2, KT, T2 \
	VPSRAVD 320(R14), T2, A

// NARROWT is NARROW of A0..A3 into O (temporary T).
#define NARROWT(A0, A1, A2, A3, O, T) \
	VPACKSSDW A1, A0, O \
	VPACKSSDW A3, A2, T \
	VPADDSW Z30, O, O \
	VPADDSW Z30, T, T \
	VPACKSSWB T, O, O \
	VPERMD O, Z31, O

// RQT is RQ with temporaries T1, T2.
#define RQT(A, T1, T2) \
	VPMULDQ 64(R14), A, T1 \
	VPSRLQ $32, A, T2 \
	VPMULDQ 128(R14), T2, T2 \
	VPADDQ Z29, T1, T1 \
	VPADDQ Z29, T2, T2 \
	VPSRLQ $31, T1, T1 \
	VPSLLQ $1, T2, T2 \
	VPBLENDMD T2, T1, K1, A \
	VPSRAD $31, A, T1 \
	VPADDD T1, A, A \
	VPSRAVD 192(R14), A, A \
	VPSRAD $1, A, T1 \
	VPSUBD T1, A, A

// func dwInt8VNNIS1F2(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)
//
// Two output rows of dwInt8VNNIS1F at once: r0..r3 the input rows (or the
// pad row) of kernel rows 0..2 of the first output row (at out) and, one
// row down, of the second (at out + orow); the other arguments as
// dwInt8VNNIS1F's.
//
// Registers: Z0..Z3 the first row's accumulators, Z4..Z7 the second's,
// Z8..Z11 Y_q of input rows 0..3, Z12..Z15 Y_{q+1} (moved to Z8..Z11 after
// the products, then temporaries: the first row's bytes in Z12, the
// second's in Z14), Z16..Z21 and Z22..Z27 the block's weight vectors of
// kernel rows 0 and 1 (kernel row 2's are memory operands at 768(R13)..),
// Z28 dwvPerm, Z29 2^31 per 64-bit lane, Z30 the output zero point per
// int16, Z31 dwvT, K1 the odd lanes, K2 the even ones. AX, CX, R9, R10 the
// input rows at this block, BX = C, R11 = 3C, R12 the byte offset of the
// next Y to build, R15 its tab entry, SI the first output row, R8 groups
// left, DI a temporary; cblocks counts the blocks left in its argument slot.
TEXT ·dwInt8VNNIS1F2(SB), NOSPLIT, $0-144
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), CX
	MOVQ r2+16(FP), R9
	MOVQ r3+24(FP), R10
	MOVQ w+48(FP), R13
	MOVQ q+56(FP), R14
	MOVQ k+64(FP), DX
	MOVQ c+136(FP), BX
	LEAQ (BX)(BX*2), R11
	MOVL $0xAAAA, DI
	KMOVW DI, K1
	MOVQ oz+88(FP), DI
	VPBROADCASTW DI, Z30
	MOVQ $0x80000000, DI
	VPBROADCASTQ DI, Z29
	MOVW $0x5555, DI
	KMOVW DI, K2
	VMOVDQU64 dwvPerm<>(SB), Z28
	VMOVDQU64 dwvT<>(SB), Z31

w2block:
	VMOVDQU64 0(R13), Z16
	VMOVDQU64 64(R13), Z17
	VMOVDQU64 128(R13), Z18
	VMOVDQU64 192(R13), Z19
	VMOVDQU64 256(R13), Z20
	VMOVDQU64 320(R13), Z21
	VMOVDQU64 384(R13), Z22
	VMOVDQU64 448(R13), Z23
	VMOVDQU64 512(R13), Z24
	VMOVDQU64 576(R13), Z25
	VMOVDQU64 640(R13), Z26
	VMOVDQU64 704(R13), Z27
	MOVQ n4+32(FP), R8
	MOVQ out+72(FP), SI
	MOVQ tab+128(FP), R15
	MOVQ off0+104(FP), R12
	TESTQ R12, R12
	JS w2first_slow
	CMPQ R12, lim+112(FP)
	JGT w2first_slow
	YFULL4(Z8, Z9, Z10, Z11, X8, X9, X10, X11)
	JMP w2first_built
w2first_slow:
	YTAB4(Z8, Z9, Z10, Z11, X8, X9, X10, X11)
w2first_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15

w2group:
	CMPQ R8, $1
	JNE w2full
	CMPQ tail+120(FP), $2
	JLE w2half
w2full:
	TESTQ R12, R12
	JS w2b_slow
	CMPQ R12, lim+112(FP)
	JGT w2b_slow
	YFULL4(Z12, Z13, Z14, Z15, X12, X13, X14, X15)
	JMP w2b_built
w2b_slow:
	// A Y wholly outside the row is the constant (zero point) ^ 0x80 (k bytes 320..383).
	CMPQ 32(R15), $-1
	JEQ w2b_slow_pad
	YTAB4(Z12, Z13, Z14, Z15, X12, X13, X14, X15)
	JMP w2b_built
w2b_slow_pad:
	VMOVDQU64 320(DX), Z12
	VMOVDQU64 320(DX), Z13
	VMOVDQU64 320(DX), Z14
	VMOVDQU64 320(DX), Z15
w2b_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z2
	VMOVDQU32 (R14), Z3
	VMOVDQU32 (R14), Z4
	VMOVDQU32 (R14), Z5
	VMOVDQU32 (R14), Z6
	VMOVDQU32 (R14), Z7
	ROWDOT4(Z8, Z12, Z16, Z17, Z18, Z19, Z20, Z21, Z0, Z1, Z2, Z3)
	ROWDOT4(Z9, Z13, Z16, Z17, Z18, Z19, Z20, Z21, Z4, Z5, Z6, Z7)
	ROWDOT4(Z9, Z13, Z22, Z23, Z24, Z25, Z26, Z27, Z0, Z1, Z2, Z3)
	ROWDOT4(Z10, Z14, Z22, Z23, Z24, Z25, Z26, Z27, Z4, Z5, Z6, Z7)
	ROWDOT4(Z10, Z14, 768(R13), 832(R13), 896(R13), 960(R13), 1024(R13), 1088(R13), Z0, Z1, Z2, Z3)
	ROWDOT4(Z11, Z15, 768(R13), 832(R13), 896(R13), 960(R13), 1024(R13), 1088(R13), Z4, Z5, Z6, Z7)
	VMOVDQA64 Z12, Z8
	VMOVDQA64 Z13, Z9
	VMOVDQA64 Z14, Z10
	VMOVDQA64 Z15, Z11
	RQFT(Z0, Z12, Z13, K3)
	RQFT(Z4, Z14, Z15, K5)
	RQFT(Z1, Z12, Z13, K3)
	RQFT(Z5, Z14, Z15, K5)
	RQFT(Z2, Z12, Z13, K3)
	RQFT(Z6, Z14, Z15, K5)
	RQFT(Z3, Z12, Z13, K3)
	RQFT(Z7, Z14, Z15, K5)

w2narrow:
	NARROWT(Z0, Z1, Z2, Z3, Z12, Z13)
	NARROWT(Z4, Z5, Z6, Z7, Z14, Z15)
	CMPQ clamp+96(FP), $0
	JEQ w2store
	VPMAXSB 64(DX), Z12, Z12
	VPMINSB 128(DX), Z12, Z12
	VPMAXSB 64(DX), Z14, Z14
	VPMINSB 128(DX), Z14, Z14

w2store:
	MOVQ orow+80(FP), DI
	ADDQ SI, DI
	VMOVDQU X12, (SI)
	VMOVDQU X14, (DI)
	CMPQ R8, $1
	JNE w2store4
	CMPQ tail+120(FP), $1
	JLE w2stepped
	VEXTRACTI32X4 $1, Z12, (SI)(BX*1)
	VEXTRACTI32X4 $1, Z14, (DI)(BX*1)
	CMPQ tail+120(FP), $2
	JLE w2stepped
	VEXTRACTI32X4 $2, Z12, (SI)(BX*2)
	VEXTRACTI32X4 $2, Z14, (DI)(BX*2)
	CMPQ tail+120(FP), $3
	JLE w2stepped
	VEXTRACTI32X4 $3, Z12, (SI)(R11*1)
	VEXTRACTI32X4 $3, Z14, (DI)(R11*1)
	JMP w2stepped

w2store4:
	VEXTRACTI32X4 $1, Z12, (SI)(BX*1)
	VEXTRACTI32X4 $1, Z14, (DI)(BX*1)
	VEXTRACTI32X4 $2, Z12, (SI)(BX*2)
	VEXTRACTI32X4 $2, Z14, (DI)(BX*2)
	VEXTRACTI32X4 $3, Z12, (SI)(R11*1)
	VEXTRACTI32X4 $3, Z14, (DI)(R11*1)

w2stepped:
	LEAQ (SI)(BX*4), SI
	DECQ R8
	JNZ w2group

	ADDQ $16, AX
	ADDQ $16, CX
	ADDQ $16, R9
	ADDQ $16, R10
	ADDQ $16, out+72(FP)
	ADDQ $1152, R13
	ADDQ $384, R14
	DECQ cblocks+40(FP)
	JNZ w2block
	VZEROUPPER
	RET

// w2half is the last group of the rows with tail ≤ 2: pixels 0 and 1 read
// only Y_q, so Y_{q+1} is not built and pixels 2 and 3 are not computed
// (their lanes are never stored).
w2half:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z4
	VMOVDQU32 (R14), Z5
	VPDPBUSD Z16, Z8, Z0
	VPDPBUSD Z17, Z8, Z1
	VPDPBUSD Z16, Z9, Z4
	VPDPBUSD Z17, Z9, Z5
	VPDPBUSD Z22, Z9, Z0
	VPDPBUSD Z23, Z9, Z1
	VPDPBUSD Z22, Z10, Z4
	VPDPBUSD Z23, Z10, Z5
	VPDPBUSD 768(R13), Z10, Z0
	VPDPBUSD 832(R13), Z10, Z1
	VPDPBUSD 768(R13), Z11, Z4
	VPDPBUSD 832(R13), Z11, Z5
	RQFT(Z0, Z12, Z13, K3)
	RQFT(Z4, Z14, Z15, K5)
	RQFT(Z1, Z12, Z13, K3)
	RQFT(Z5, Z14, Z15, K5)
	JMP w2narrow

// func dwInt8VNNIS12(r0, r1, r2, r3 *int8, n4 int, cblocks int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, off0 int, lim int, tail int, tab *int64, c int)
//
// dwInt8VNNIS1F2 with RQ: two output rows of dwInt8VNNIS1 at once; q
// holds dwVQWords words per block, Z29 is 2^30 per 64-bit lane.
TEXT ·dwInt8VNNIS12(SB), NOSPLIT, $0-144
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), CX
	MOVQ r2+16(FP), R9
	MOVQ r3+24(FP), R10
	MOVQ w+48(FP), R13
	MOVQ q+56(FP), R14
	MOVQ k+64(FP), DX
	MOVQ c+136(FP), BX
	LEAQ (BX)(BX*2), R11
	MOVL $0xAAAA, DI
	KMOVW DI, K1
	MOVQ oz+88(FP), DI
	VPBROADCASTW DI, Z30
	MOVQ $0x40000000, DI
	VPBROADCASTQ DI, Z29
	MOVW $0x5555, DI
	KMOVW DI, K2
	VMOVDQU64 dwvPerm<>(SB), Z28
	VMOVDQU64 dwvT<>(SB), Z31

w1block:
	VMOVDQU64 0(R13), Z16
	VMOVDQU64 64(R13), Z17
	VMOVDQU64 128(R13), Z18
	VMOVDQU64 192(R13), Z19
	VMOVDQU64 256(R13), Z20
	VMOVDQU64 320(R13), Z21
	VMOVDQU64 384(R13), Z22
	VMOVDQU64 448(R13), Z23
	VMOVDQU64 512(R13), Z24
	VMOVDQU64 576(R13), Z25
	VMOVDQU64 640(R13), Z26
	VMOVDQU64 704(R13), Z27
	MOVQ n4+32(FP), R8
	MOVQ out+72(FP), SI
	MOVQ tab+128(FP), R15
	MOVQ off0+104(FP), R12
	TESTQ R12, R12
	JS w1first_slow
	CMPQ R12, lim+112(FP)
	JGT w1first_slow
	YFULL4(Z8, Z9, Z10, Z11, X8, X9, X10, X11)
	JMP w1first_built
w1first_slow:
	YTAB4(Z8, Z9, Z10, Z11, X8, X9, X10, X11)
w1first_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15

w1group:
	CMPQ R8, $1
	JNE w1full
	CMPQ tail+120(FP), $2
	JLE w1half
w1full:
	TESTQ R12, R12
	JS w1b_slow
	CMPQ R12, lim+112(FP)
	JGT w1b_slow
	YFULL4(Z12, Z13, Z14, Z15, X12, X13, X14, X15)
	JMP w1b_built
w1b_slow:
	// A Y wholly outside the row is the constant (zero point) ^ 0x80 (k bytes 320..383).
	CMPQ 32(R15), $-1
	JEQ w1b_slow_pad
	YTAB4(Z12, Z13, Z14, Z15, X12, X13, X14, X15)
	JMP w1b_built
w1b_slow_pad:
	VMOVDQU64 320(DX), Z12
	VMOVDQU64 320(DX), Z13
	VMOVDQU64 320(DX), Z14
	VMOVDQU64 320(DX), Z15
w1b_built:
	LEAQ (R12)(BX*4), R12
	ADDQ $40, R15
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z2
	VMOVDQU32 (R14), Z3
	VMOVDQU32 (R14), Z4
	VMOVDQU32 (R14), Z5
	VMOVDQU32 (R14), Z6
	VMOVDQU32 (R14), Z7
	ROWDOT4(Z8, Z12, Z16, Z17, Z18, Z19, Z20, Z21, Z0, Z1, Z2, Z3)
	ROWDOT4(Z9, Z13, Z16, Z17, Z18, Z19, Z20, Z21, Z4, Z5, Z6, Z7)
	ROWDOT4(Z9, Z13, Z22, Z23, Z24, Z25, Z26, Z27, Z0, Z1, Z2, Z3)
	ROWDOT4(Z10, Z14, Z22, Z23, Z24, Z25, Z26, Z27, Z4, Z5, Z6, Z7)
	ROWDOT4(Z10, Z14, 768(R13), 832(R13), 896(R13), 960(R13), 1024(R13), 1088(R13), Z0, Z1, Z2, Z3)
	ROWDOT4(Z11, Z15, 768(R13), 832(R13), 896(R13), 960(R13), 1024(R13), 1088(R13), Z4, Z5, Z6, Z7)
	VMOVDQA64 Z12, Z8
	VMOVDQA64 Z13, Z9
	VMOVDQA64 Z14, Z10
	VMOVDQA64 Z15, Z11
	RQT(Z0, Z12, Z13)
	RQT(Z4, Z14, Z15)
	RQT(Z1, Z12, Z13)
	RQT(Z5, Z14, Z15)
	RQT(Z2, Z12, Z13)
	RQT(Z6, Z14, Z15)
	RQT(Z3, Z12, Z13)
	RQT(Z7, Z14, Z15)

w1narrow:
	NARROWT(Z0, Z1, Z2, Z3, Z12, Z13)
	NARROWT(Z4, Z5, Z6, Z7, Z14, Z15)
	CMPQ clamp+96(FP), $0
	JEQ w1store
	VPMAXSB 64(DX), Z12, Z12
	VPMINSB 128(DX), Z12, Z12
	VPMAXSB 64(DX), Z14, Z14
	VPMINSB 128(DX), Z14, Z14

w1store:
	MOVQ orow+80(FP), DI
	ADDQ SI, DI
	VMOVDQU X12, (SI)
	VMOVDQU X14, (DI)
	CMPQ R8, $1
	JNE w1store4
	CMPQ tail+120(FP), $1
	JLE w1stepped
	VEXTRACTI32X4 $1, Z12, (SI)(BX*1)
	VEXTRACTI32X4 $1, Z14, (DI)(BX*1)
	CMPQ tail+120(FP), $2
	JLE w1stepped
	VEXTRACTI32X4 $2, Z12, (SI)(BX*2)
	VEXTRACTI32X4 $2, Z14, (DI)(BX*2)
	CMPQ tail+120(FP), $3
	JLE w1stepped
	VEXTRACTI32X4 $3, Z12, (SI)(R11*1)
	VEXTRACTI32X4 $3, Z14, (DI)(R11*1)
	JMP w1stepped

w1store4:
	VEXTRACTI32X4 $1, Z12, (SI)(BX*1)
	VEXTRACTI32X4 $1, Z14, (DI)(BX*1)
	VEXTRACTI32X4 $2, Z12, (SI)(BX*2)
	VEXTRACTI32X4 $2, Z14, (DI)(BX*2)
	VEXTRACTI32X4 $3, Z12, (SI)(R11*1)
	VEXTRACTI32X4 $3, Z14, (DI)(R11*1)

w1stepped:
	LEAQ (SI)(BX*4), SI
	DECQ R8
	JNZ w1group

	ADDQ $16, AX
	ADDQ $16, CX
	ADDQ $16, R9
	ADDQ $16, R10
	ADDQ $16, out+72(FP)
	ADDQ $1152, R13
	ADDQ $256, R14
	DECQ cblocks+40(FP)
	JNZ w1block
	VZEROUPPER
	RET

// w1half is the last group of the rows with tail ≤ 2: pixels 0 and 1 read
// only Y_q, so Y_{q+1} is not built and pixels 2 and 3 are not computed
// (their lanes are never stored).
w1half:
	VMOVDQU32 (R14), Z0
	VMOVDQU32 (R14), Z1
	VMOVDQU32 (R14), Z4
	VMOVDQU32 (R14), Z5
	VPDPBUSD Z16, Z8, Z0
	VPDPBUSD Z17, Z8, Z1
	VPDPBUSD Z16, Z9, Z4
	VPDPBUSD Z17, Z9, Z5
	VPDPBUSD Z22, Z9, Z0
	VPDPBUSD Z23, Z9, Z1
	VPDPBUSD Z22, Z10, Z4
	VPDPBUSD Z23, Z10, Z5
	VPDPBUSD 768(R13), Z10, Z0
	VPDPBUSD 832(R13), Z10, Z1
	VPDPBUSD 768(R13), Z11, Z4
	VPDPBUSD 832(R13), Z11, Z5
	RQT(Z0, Z12, Z13)
	RQT(Z4, Z14, Z15)
	RQT(Z1, Z12, Z13)
	RQT(Z5, Z14, Z15)
	JMP w1narrow
