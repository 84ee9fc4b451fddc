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

// YFULL builds Y (see dwvnni.go) from the four pixels at P, P+C, P+2C,
// P+3C (BX = C, R11 = 3C): load, gather the four bytes of each channel
// into its lane, make them unsigned.
#define YFULL(P, Y, YX) \
	VMOVDQU (P), YX \
	VINSERTI32X4 $1, (P)(BX*1), Y, Y \
	VINSERTI32X4 $2, (P)(BX*2), Y, Y \
	VINSERTI32X4 $3, (P)(R11*1), Y, Y \
	VPERMB Y, Z28, Y \
	VPXORD.BCST (DX), Y, Y

// YHALF is YFULL from the first two pixels only, for the last group of a
// run (the bytes of pixels 2 and 3 meet zero weights; they are whatever
// the register held, never memory past the run's input).
#define YHALF(P, Y, YX) \
	VMOVDQU (P), YX \
	VINSERTI32X4 $1, (P)(BX*1), Y, Y \
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
// (h < 0) — the reference's threshold test. Then + the output zero point.
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
	VPSUBD Z7, A, A \
	VPADDD Z30, A, A

// CLAMP bounds A to [lo, hi] (k[1], k[2]).
#define CLAMP(A) \
	VPMAXSD.BCST 4(DX), A, A \
	VPMINSD.BCST 8(DX), A, A

// STORE narrows A (saturating: with lo ≥ −128 and hi ≤ 127 this is the
// reference's clamp) and stores it at M.
#define STORE(A, AX_, M) \
	VPMOVSDB A, AX_ \
	VMOVDQU AX_, M

// func dwInt8VNNIS1(taps *uintptr, n4 int, cblocks int, w *int8, q *int32, k *int32, out *int8, oz int, clamp int)
//
// The 3×3, stride 1, dilation 1 int8 depthwise kernel over 4·n4 output
// pixels of one row run (n4 ≥ 1), blocks outside, groups of four pixels
// inside. taps holds the 9 tap pointers of the first pixel (only kx = 0 of
// each row is read: the row's pixels are C = 16·cblocks bytes apart), w
// the packed weights (dwVWBytes per block), q the parameters (dwVQWords per
// block), k = {0x80808080, lo, hi}, out the first pixel's output. clamp = 0
// skips the clamp (the range is all of int8).
//
// Registers: Z0..Z3 the four pixels' accumulators, Z4..Z6 Y_q of rows
// 0..2, Z7..Z9 Y_{q+1} (moved to Z4..Z6 after the products, then requant
// temporaries), Z10..Z27 the block's 18 weight vectors, Z28 dwvPerm, Z29
// 2^30 per 64-bit lane, Z30 the output zero point, K1 the odd lanes.
// AX, CX, R9 the rows' inputs at this block, BX = C, R11 = 3C, R12 the
// offset of Y_{q+1}, SI the output, R8 groups left, R10 blocks left, DI a
// temporary.
TEXT ·dwInt8VNNIS1(SB), NOSPLIT, $0-72
	MOVQ taps+0(FP), SI
	MOVQ 0(SI), AX
	MOVQ 24(SI), CX
	MOVQ 48(SI), R9
	MOVQ cblocks+16(FP), R10
	MOVQ w+24(FP), R13
	MOVQ q+32(FP), R14
	MOVQ k+40(FP), DX
	MOVQ out+48(FP), R15
	MOVQ R10, BX
	SHLQ $4, BX
	LEAQ (BX)(BX*2), R11
	MOVL $0xAAAA, DI
	KMOVW DI, K1
	MOVQ oz+56(FP), DI
	VPBROADCASTD DI, Z30
	MOVQ $0x40000000, DI
	VPBROADCASTQ DI, Z29
	VMOVDQU64 dwvPerm<>(SB), Z28

vblock:

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
	MOVQ n4+8(FP), R8
	MOVQ R15, SI
	YFULL(AX, Z4, X4)
	YFULL(CX, Z5, X5)
	YFULL(R9, Z6, X6)
	LEAQ (BX*4), R12

vgroup:
	CMPQ R8, $1
	JEQ vlast
	LEAQ (AX)(R12*1), DI
	YFULL(DI, Z7, X7)
	LEAQ (CX)(R12*1), DI
	YFULL(DI, Z8, X8)
	LEAQ (R9)(R12*1), DI
	YFULL(DI, Z9, X9)
	JMP vdot

vlast:
	LEAQ (AX)(R12*1), DI
	YHALF(DI, Z7, X7)
	LEAQ (CX)(R12*1), DI
	YHALF(DI, Z8, X8)
	LEAQ (R9)(R12*1), DI
	YHALF(DI, Z9, X9)

vdot:
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
	CMPQ clamp+64(FP), $0
	JEQ vstore
	CLAMP(Z0)
	CLAMP(Z1)
	CLAMP(Z2)
	CLAMP(Z3)

vstore:
	STORE(Z0, X0, (SI))
	STORE(Z1, X1, (SI)(BX*1))
	STORE(Z2, X2, (SI)(BX*2))
	STORE(Z3, X3, (SI)(R11*1))
	LEAQ (SI)(BX*4), SI
	LEAQ (R12)(BX*4), R12
	DECQ R8
	JNZ vgroup

	ADDQ $16, AX
	ADDQ $16, CX
	ADDQ $16, R9
	ADDQ $16, R15
	ADDQ $1152, R13
	ADDQ $256, R14
	DECQ R10
	JNZ vblock
	VZEROUPPER
	RET
