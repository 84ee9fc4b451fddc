//go:build amd64 && !noasm

#include "textflag.h"

// func requantAVX512(acc *int32, rows int, np int, q *int32, out *int8, ldo int, tail int, oz int, lo int, hi int)
//
// acc holds rows × 64 int32 (row stride 256 bytes); panel j of row r is
// requantized with the 7×16-word parameter block q + j·448 bytes and its 16
// bytes stored at out + r·ldo + 16j, the last panel under the lane mask
// tail (a masked store only when tail is not 0xFFFF).
TEXT ·requantAVX512(SB), NOSPLIT, $0-80
	MOVQ acc+0(FP), SI
	MOVQ rows+8(FP), CX
	MOVQ np+16(FP), DX
	MOVQ out+32(FP), DI
	MOVQ ldo+40(FP), BX
	MOVQ tail+48(FP), AX
	KMOVW AX, K3
	XORQ R14, R14                // panels-left count that takes the masked store
	CMPQ AX, $0xFFFF
	JEQ nomask
	MOVQ $1, R14

nomask:
	MOVL $0xAAAA, AX
	KMOVW AX, K1
	MOVQ oz+56(FP), AX
	VPBROADCASTD AX, Z28
	MOVQ lo+64(FP), AX
	VPBROADCASTD AX, Z27
	MOVQ hi+72(FP), AX
	VPBROADCASTD AX, Z26
	MOVQ $0x40000000, AX
	VPBROADCASTQ AX, Z30
	VPTERNLOGD $0xff, Z29, Z29, Z29

rowloop:
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ q+24(FP), R12
	MOVQ DX, R13

panelloop:
	VMOVDQU32 (R10), Z0
	VPADDD (R12), Z0, Z0         // + bias
	VPSLLVD 192(R12), Z0, Z0     // << left
	VPMULDQ 64(R12), Z0, Z1      // even lanes: x·m (int64)
	VPSRLQ $32, Z0, Z2
	VPMULDQ 128(R12), Z2, Z2     // odd lanes
	VPADDQ Z30, Z1, Z1           // + 2^30
	VPADDQ Z30, Z2, Z2
	VPSRLQ $31, Z1, Z1           // bits 31..62 to the low half
	VPSLLQ $1, Z2, Z2            // bits 31..62 to the high half
	VPBLENDMD Z2, Z1, K1, Z0     // hi = rounding doubling high multiply
	VPSRAVD 256(R12), Z0, Z1     // r = hi >> right
	VPANDD 320(R12), Z0, Z2      // rem = hi & mask
	VPSRAD $31, Z0, Z3           // -1 where hi < 0
	VPADDD Z3, Z2, Z2            // rem - (hi < 0)
	VPCMPGTD 384(R12), Z2, K2    // rem - neg > mask>>1: round up
	VPSUBD Z29, Z1, K2, Z1       // r += 1 under K2
	VPADDD Z28, Z1, Z1
	VPMAXSD Z27, Z1, Z1
	VPMINSD Z26, Z1, Z1
	VPMOVDB Z1, X1
	CMPQ R13, R14
	JEQ last
	VMOVDQU X1, (R11)
	JMP next

last:
	VMOVDQU8 X1, K3, (R11)

next:
	ADDQ $64, R10
	ADDQ $16, R11
	ADDQ $448, R12
	DECQ R13
	JNZ panelloop
	ADDQ $256, SI
	ADDQ BX, DI
	DECQ CX
	JNZ rowloop
	VZEROUPPER
	RET

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
