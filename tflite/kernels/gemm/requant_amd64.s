//go:build amd64 && !noasm

#include "textflag.h"

// RQ8(off, x, r, t1, t2): requantize the 8 int32 lanes of x with the
// parameter block at R12 (lanes off/4 ..): result in r. Needs Y15 = 2^30
// per int64 lane. Clobbers x, t1, t2.
#define RQ8(off, x, r, t1, t2) \
	VPADDD off(R12), x, x \
	VPSLLVD 192+off(R12), x, x \
	VPMULDQ 64+off(R12), x, t1 \
	VPSRLQ $32, x, t2 \
	VPMULDQ 128+off(R12), t2, t2 \
	VPADDQ Y15, t1, t1 \
	VPADDQ Y15, t2, t2 \
	VPSRLQ $31, t1, t1 \
	VPSLLQ $1, t2, t2 \
	VPBLENDD $0xAA, t2, t1, x \
	VPSRAVD 256+off(R12), x, r \
	VPAND 320+off(R12), x, t1 \
	VPSRAD $31, x, t2 \
	VPADDD t2, t1, t1 \
	VPCMPGTD 384+off(R12), t1, t1 \
	VPSUBD t1, r, r \
	VPADDD Y14, r, r \
	VPMAXSD Y13, r, r \
	VPMINSD Y12, r, r

// func requantAVX2(acc *int32, rows int, q *int32, out *int8, oz int, lo int, hi int)
//
// acc holds rows × 16 int32 (row stride 256 bytes) of one panel, requantized
// with the parameter block q into out (16 bytes per row).
TEXT ·requantAVX2(SB), NOSPLIT, $0-56
	MOVQ acc+0(FP), SI
	MOVQ rows+8(FP), CX
	MOVQ q+16(FP), R12
	MOVQ out+24(FP), DI
	MOVQ $0x40000000, AX
	MOVQ AX, X15
	VPBROADCASTQ X15, Y15
	MOVQ oz+32(FP), AX
	MOVQ AX, X14
	VPBROADCASTD X14, Y14
	MOVQ lo+40(FP), AX
	MOVQ AX, X13
	VPBROADCASTD X13, Y13
	MOVQ hi+48(FP), AX
	MOVQ AX, X12
	VPBROADCASTD X12, Y12

r2loop:
	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y4
	RQ8(0, Y0, Y1, Y2, Y3)
	RQ8(32, Y4, Y5, Y6, Y7)
	VPACKSSDW Y5, Y1, Y1         // int16: [h0 0-3, h1 0-3 | h0 4-7, h1 4-7]
	VPERMQ $0xD8, Y1, Y1         // [h0 0-7, h1 0-7]
	VEXTRACTI128 $1, Y1, X2
	VPACKSSWB X2, X1, X1
	VMOVDQU X1, (DI)
	ADDQ $256, SI
	ADDQ $16, DI
	DECQ CX
	JNZ r2loop
	VZEROUPPER
	RET
