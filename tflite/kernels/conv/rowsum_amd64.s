//go:build amd64 && !noasm

#include "textflag.h"

// func rowSumsAVX512(a *int8, lda int, rows int, k int, out *int32)
//
// out[r] = Σ_{j<k} a[r·lda + j] for r in [0, rows): each 64-byte block of
// a row is biased to unsigned (x ^ 0x80 = x + 128), summed by VPSADBW into
// eight 64-bit lanes, the last partial block through a masked (zeroing)
// load (its masked-out bytes, zero, read 128 after the bias); the lanes
// are added and 128 per byte processed taken off. k > 0.
TEXT ·rowSumsAVX512(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), BX
	MOVQ rows+16(FP), DX
	MOVQ k+24(FP), R8
	MOVQ out+32(FP), DI
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Z31
	VPXORD Z30, Z30, Z30
	MOVQ R8, CX
	ANDQ $63, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVQ AX, K1
	MOVQ R8, R11
	ADDQ $63, R11
	ANDQ $-64, R11
	SHLQ $7, R11 // 128 per byte processed: k rounded up to 64
row:
	VPXORQ Z0, Z0, Z0
	MOVQ SI, R9
	MOVQ R8, R10
	SHRQ $6, R10
	JZ tail
blk:
	VMOVDQU8 (R9), Z1
	VPXORD Z31, Z1, Z1
	VPSADBW Z30, Z1, Z1
	VPADDQ Z1, Z0, Z0
	ADDQ $64, R9
	DECQ R10
	JNZ blk
tail:
	TESTQ CX, CX
	JZ done
	VMOVDQU8.Z (R9), K1, Z1
	VPXORD Z31, Z1, Z1
	VPSADBW Z30, Z1, Z1
	VPADDQ Z1, Z0, Z0
done:
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDQ Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ X1, X0, X0
	VPSHUFD $0x4E, X0, X1
	VPADDQ X1, X0, X0
	VMOVQ X0, AX
	SUBQ R11, AX
	MOVL AX, (DI)
	ADDQ $4, DI
	ADDQ BX, SI
	DECQ DX
	JNZ row
	VZEROUPPER
	RET
