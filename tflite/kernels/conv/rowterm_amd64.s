//go:build amd64 && !noasm

#include "textflag.h"

// func rowTerms16AVX512(a *int8, lda int, groups int, k int, mabs int, neg int, out *int32)
//
// out[r] = ±mabs·Σ_{j<k} a[r·lda + j] (minus where neg ≠ 0) for the
// groups·16 rows r of a, 16 rows at a time: VPDPBUSD of each row's signed
// bytes with mabs (≤ 255, as unsigned bytes) into one 16-lane vector per
// row, the whole 64-byte blocks as memory operands, the last partial block
// through a masked (zeroing) load; then a transposing reduction (45
// instructions for 16 rows) leaves row r's total in lane r of one vector:
// row r is kept in Z(4·(r mod 4) + r/4), the order in which the four
// halving steps (VSHUFI64X2 ×2, VSHUFI64X2 ×2, VPUNPCK[LH]QDQ, VSHUFPS)
// put it in lane r. 0 < k; mabs·128·k < 2^31.
TEXT ·rowTerms16AVX512(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), BX
	MOVQ groups+16(FP), DX
	MOVQ k+24(FP), CX
	MOVQ out+48(FP), DI
	MOVQ mabs+32(FP), AX
	IMUL3Q $0x01010101, AX, AX
	VPBROADCASTD AX, Z16
	ANDQ $63, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVQ AX, K1
	LEAQ (BX)(BX*2), R14 // 3·lda
group:
	VPXORD Z0, Z0, Z0
	VPXORD Z4, Z4, Z4
	VPXORD Z8, Z8, Z8
	VPXORD Z12, Z12, Z12
	VPXORD Z1, Z1, Z1
	VPXORD Z5, Z5, Z5
	VPXORD Z9, Z9, Z9
	VPXORD Z13, Z13, Z13
	VPXORD Z2, Z2, Z2
	VPXORD Z6, Z6, Z6
	VPXORD Z10, Z10, Z10
	VPXORD Z14, Z14, Z14
	VPXORD Z3, Z3, Z3
	VPXORD Z7, Z7, Z7
	VPXORD Z11, Z11, Z11
	VPXORD Z15, Z15, Z15
	LEAQ (SI)(R14*1), R8
	LEAQ (R8)(R14*1), R9
	LEAQ (R9)(R14*1), R10
	LEAQ (R10)(R14*1), R11
	LEAQ (R11)(R14*1), R12
	MOVQ SI, R13
	MOVQ k+24(FP), CX
	SHRQ $6, CX
	JZ tail
blk:
	VPDPBUSD (SI), Z16, Z0
	VPDPBUSD (SI)(BX*1), Z16, Z4
	VPDPBUSD (SI)(BX*2), Z16, Z8
	VPDPBUSD (R8), Z16, Z12
	VPDPBUSD (R8)(BX*1), Z16, Z1
	VPDPBUSD (R8)(BX*2), Z16, Z5
	VPDPBUSD (R9), Z16, Z9
	VPDPBUSD (R9)(BX*1), Z16, Z13
	VPDPBUSD (R9)(BX*2), Z16, Z2
	VPDPBUSD (R10), Z16, Z6
	VPDPBUSD (R10)(BX*1), Z16, Z10
	VPDPBUSD (R10)(BX*2), Z16, Z14
	VPDPBUSD (R11), Z16, Z3
	VPDPBUSD (R11)(BX*1), Z16, Z7
	VPDPBUSD (R11)(BX*2), Z16, Z11
	VPDPBUSD (R12), Z16, Z15
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	DECQ CX
	JNZ blk
tail:
	KORTESTQ K1, K1
	JZ reduce
	VMOVDQU8.Z (SI), K1, Z17
	VPDPBUSD Z17, Z16, Z0
	VMOVDQU8.Z (SI)(BX*1), K1, Z18
	VPDPBUSD Z18, Z16, Z4
	VMOVDQU8.Z (SI)(BX*2), K1, Z19
	VPDPBUSD Z19, Z16, Z8
	VMOVDQU8.Z (R8), K1, Z17
	VPDPBUSD Z17, Z16, Z12
	VMOVDQU8.Z (R8)(BX*1), K1, Z18
	VPDPBUSD Z18, Z16, Z1
	VMOVDQU8.Z (R8)(BX*2), K1, Z19
	VPDPBUSD Z19, Z16, Z5
	VMOVDQU8.Z (R9), K1, Z17
	VPDPBUSD Z17, Z16, Z9
	VMOVDQU8.Z (R9)(BX*1), K1, Z18
	VPDPBUSD Z18, Z16, Z13
	VMOVDQU8.Z (R9)(BX*2), K1, Z19
	VPDPBUSD Z19, Z16, Z2
	VMOVDQU8.Z (R10), K1, Z17
	VPDPBUSD Z17, Z16, Z6
	VMOVDQU8.Z (R10)(BX*1), K1, Z18
	VPDPBUSD Z18, Z16, Z10
	VMOVDQU8.Z (R10)(BX*2), K1, Z19
	VPDPBUSD Z19, Z16, Z14
	VMOVDQU8.Z (R11), K1, Z17
	VPDPBUSD Z17, Z16, Z3
	VMOVDQU8.Z (R11)(BX*1), K1, Z18
	VPDPBUSD Z18, Z16, Z7
	VMOVDQU8.Z (R11)(BX*2), K1, Z19
	VPDPBUSD Z19, Z16, Z11
	VMOVDQU8.Z (R12), K1, Z17
	VPDPBUSD Z17, Z16, Z15
reduce:
	VSHUFI64X2 $0x44, Z1, Z0, Z20
	VSHUFI64X2 $0xEE, Z1, Z0, Z21
	VPADDD Z21, Z20, Z0
	VSHUFI64X2 $0x44, Z3, Z2, Z20
	VSHUFI64X2 $0xEE, Z3, Z2, Z21
	VPADDD Z21, Z20, Z2
	VSHUFI64X2 $0x44, Z5, Z4, Z20
	VSHUFI64X2 $0xEE, Z5, Z4, Z21
	VPADDD Z21, Z20, Z4
	VSHUFI64X2 $0x44, Z7, Z6, Z20
	VSHUFI64X2 $0xEE, Z7, Z6, Z21
	VPADDD Z21, Z20, Z6
	VSHUFI64X2 $0x44, Z9, Z8, Z20
	VSHUFI64X2 $0xEE, Z9, Z8, Z21
	VPADDD Z21, Z20, Z8
	VSHUFI64X2 $0x44, Z11, Z10, Z20
	VSHUFI64X2 $0xEE, Z11, Z10, Z21
	VPADDD Z21, Z20, Z10
	VSHUFI64X2 $0x44, Z13, Z12, Z20
	VSHUFI64X2 $0xEE, Z13, Z12, Z21
	VPADDD Z21, Z20, Z12
	VSHUFI64X2 $0x44, Z15, Z14, Z20
	VSHUFI64X2 $0xEE, Z15, Z14, Z21
	VPADDD Z21, Z20, Z14
	VSHUFI64X2 $0x88, Z2, Z0, Z20
	VSHUFI64X2 $0xDD, Z2, Z0, Z21
	VPADDD Z21, Z20, Z0
	VSHUFI64X2 $0x88, Z6, Z4, Z20
	VSHUFI64X2 $0xDD, Z6, Z4, Z21
	VPADDD Z21, Z20, Z4
	VSHUFI64X2 $0x88, Z10, Z8, Z20
	VSHUFI64X2 $0xDD, Z10, Z8, Z21
	VPADDD Z21, Z20, Z8
	VSHUFI64X2 $0x88, Z14, Z12, Z20
	VSHUFI64X2 $0xDD, Z14, Z12, Z21
	VPADDD Z21, Z20, Z12
	VPUNPCKLQDQ Z4, Z0, Z20
	VPUNPCKHQDQ Z4, Z0, Z21
	VPADDD Z21, Z20, Z0
	VPUNPCKLQDQ Z12, Z8, Z20
	VPUNPCKHQDQ Z12, Z8, Z21
	VPADDD Z21, Z20, Z8
	VSHUFPS $0x88, Z8, Z0, Z20
	VSHUFPS $0xDD, Z8, Z0, Z21
	VPADDD Z21, Z20, Z0
	CMPQ neg+40(FP), $0
	JEQ store
	VPXORD Z20, Z20, Z20
	VPSUBD Z0, Z20, Z0
store:
	VMOVDQU32 Z0, (DI)
	ADDQ $64, DI
	MOVQ BX, AX
	SHLQ $4, AX
	ADDQ AX, R13
	MOVQ R13, SI
	DECQ DX
	JNZ group
	VZEROUPPER
	RET

// evenOdd holds the VPERMT2D indices of the even (first 16) and odd
// dwords of two concatenated vectors.
DATA ·evenOdd+0(SB)/4, $0
DATA ·evenOdd+4(SB)/4, $2
DATA ·evenOdd+8(SB)/4, $4
DATA ·evenOdd+12(SB)/4, $6
DATA ·evenOdd+16(SB)/4, $8
DATA ·evenOdd+20(SB)/4, $10
DATA ·evenOdd+24(SB)/4, $12
DATA ·evenOdd+28(SB)/4, $14
DATA ·evenOdd+32(SB)/4, $16
DATA ·evenOdd+36(SB)/4, $18
DATA ·evenOdd+40(SB)/4, $20
DATA ·evenOdd+44(SB)/4, $22
DATA ·evenOdd+48(SB)/4, $24
DATA ·evenOdd+52(SB)/4, $26
DATA ·evenOdd+56(SB)/4, $28
DATA ·evenOdd+60(SB)/4, $30
DATA ·evenOdd+64(SB)/4, $1
DATA ·evenOdd+68(SB)/4, $3
DATA ·evenOdd+72(SB)/4, $5
DATA ·evenOdd+76(SB)/4, $7
DATA ·evenOdd+80(SB)/4, $9
DATA ·evenOdd+84(SB)/4, $11
DATA ·evenOdd+88(SB)/4, $13
DATA ·evenOdd+92(SB)/4, $15
DATA ·evenOdd+96(SB)/4, $17
DATA ·evenOdd+100(SB)/4, $19
DATA ·evenOdd+104(SB)/4, $21
DATA ·evenOdd+108(SB)/4, $23
DATA ·evenOdd+112(SB)/4, $25
DATA ·evenOdd+116(SB)/4, $27
DATA ·evenOdd+120(SB)/4, $29
DATA ·evenOdd+124(SB)/4, $31
GLOBL ·evenOdd(SB), RODATA|NOPTR, $128

// DOT(z, off): z = the dword sums of the 64 bytes at off(SI) by Z16
// (|mul| in every byte).
#define DOT(z, off) \
	VPXORD z, z, z \
	VPDPBUSD off(SI), Z16, z

// FOLD(a, b): a = the even/odd fold of a and b (Z17, Z18: ·evenOdd's two
// VPERMT2D indexes): adjacent dword pairs of a, b summed, a's in the low
// half, b's in the high; clobbers Z20.
#define FOLD(a, b) \
	VMOVDQA64 a, Z20 \
	VPERMT2D b, Z17, Z20 \
	VPERMT2D b, Z18, a \
	VPADDD Z20, a, a

// func rowTermsPackedAVX512(a *int8, q int, groups int, mabs int, neg int, out *int32)
//
// rowTerms16AVX512 for rows of 4q bytes back to back (lda = k = 4q, q in
// {1, 2, 4, 8}): 16 rows are q whole vectors, each one VPDPBUSD by mabs
// into dword sums, which log2(q) rounds of even/odd VPERMT2D pairs and
// VPADDD fold, in order, into the 16 row totals.
TEXT ·rowTermsPackedAVX512(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), SI
	MOVQ q+8(FP), CX
	MOVQ groups+16(FP), DX
	MOVQ out+40(FP), DI
	MOVQ mabs+24(FP), AX
	IMUL3Q $0x01010101, AX, AX
	VPBROADCASTD AX, Z16
	VMOVDQU32 ·evenOdd(SB), Z17
	VMOVDQU32 ·evenOdd+64(SB), Z18
	VPXORD Z19, Z19, Z19
	MOVQ neg+32(FP), AX
	CMPQ CX, $1
	JEQ q1
	CMPQ CX, $2
	JEQ q2
	CMPQ CX, $4
	JEQ q4
q8:
	DOT(Z0, 0)
	DOT(Z1, 64)
	DOT(Z2, 128)
	DOT(Z3, 192)
	DOT(Z4, 256)
	DOT(Z5, 320)
	DOT(Z6, 384)
	DOT(Z7, 448)
	FOLD(Z0, Z1)
	FOLD(Z2, Z3)
	FOLD(Z4, Z5)
	FOLD(Z6, Z7)
	FOLD(Z0, Z2)
	FOLD(Z4, Z6)
	FOLD(Z0, Z4)
	TESTQ AX, AX
	JZ s8
	VPSUBD Z0, Z19, Z0
s8:
	VMOVDQU32 Z0, (DI)
	ADDQ $512, SI
	ADDQ $64, DI
	DECQ DX
	JNZ q8
	VZEROUPPER
	RET
q4:
	DOT(Z0, 0)
	DOT(Z1, 64)
	DOT(Z2, 128)
	DOT(Z3, 192)
	FOLD(Z0, Z1)
	FOLD(Z2, Z3)
	FOLD(Z0, Z2)
	TESTQ AX, AX
	JZ s4
	VPSUBD Z0, Z19, Z0
s4:
	VMOVDQU32 Z0, (DI)
	ADDQ $256, SI
	ADDQ $64, DI
	DECQ DX
	JNZ q4
	VZEROUPPER
	RET
q2:
	DOT(Z0, 0)
	DOT(Z1, 64)
	FOLD(Z0, Z1)
	TESTQ AX, AX
	JZ s2
	VPSUBD Z0, Z19, Z0
s2:
	VMOVDQU32 Z0, (DI)
	ADDQ $128, SI
	ADDQ $64, DI
	DECQ DX
	JNZ q2
	VZEROUPPER
	RET
q1:
	DOT(Z0, 0)
	TESTQ AX, AX
	JZ s1
	VPSUBD Z0, Z19, Z0
s1:
	VMOVDQU32 Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ DX
	JNZ q1
	VZEROUPPER
	RET

// func rowTermsFold3AVX512(a *int8, q int, groups int, mabs int, neg int, out *int32)
//
// rowTerms16AVX512 for rows of 4q bytes back to back (lda = k = 4q, q in
// {6, 12}: k = 24 or 48): 16 rows are q whole vectors, each one VPDPBUSD
// by mabs into dword sums (row r's in dwords qr .. qr+q−1 of the q
// vectors in order); even/odd VPERMT2D folds (as rowTermsPackedAVX512)
// halve them down to 3 vectors of 3 dwords a row, and for j = 0, 1, 2 a
// VPERMI2D over the first two and a VPERMD of the third under a mask
// (rows whose dword 3r + j lies in it) gather dword 3r + j into lane r
// (index (3r + j) mod 32, of which VPERMD reads the low 4 bits); the
// three are added. mabs·128·k < 2^31.
TEXT ·rowTermsFold3AVX512(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), SI
	MOVQ q+8(FP), CX
	MOVQ groups+16(FP), DX
	MOVQ out+40(FP), DI
	MOVQ mabs+24(FP), AX
	IMUL3Q $0x01010101, AX, AX
	VPBROADCASTD AX, Z16
	VMOVDQU32 ·evenOdd(SB), Z17
	VMOVDQU32 ·evenOdd+64(SB), Z18
	VPXORD Z19, Z19, Z19
	VMOVDQU32 ·fold3(SB), Z22
	VMOVDQU32 ·fold3+64(SB), Z23
	VMOVDQU32 ·fold3+128(SB), Z24
	MOVW $0xF800, AX // rows 11-15: dwords 3r and 3r + 1 in the third vector
	KMOVW AX, K1
	MOVW $0xFC00, AX // rows 10-15: dword 3r + 2
	KMOVW AX, K2
	MOVQ neg+32(FP), AX
	CMPQ CX, $6
	JEQ q6
q12:
	DOT(Z0, 0)
	DOT(Z1, 64)
	DOT(Z2, 128)
	DOT(Z3, 192)
	DOT(Z4, 256)
	DOT(Z5, 320)
	DOT(Z6, 384)
	DOT(Z7, 448)
	DOT(Z8, 512)
	DOT(Z9, 576)
	DOT(Z10, 640)
	DOT(Z11, 704)
	FOLD(Z0, Z1)
	FOLD(Z2, Z3)
	FOLD(Z4, Z5)
	FOLD(Z6, Z7)
	FOLD(Z8, Z9)
	FOLD(Z10, Z11)
	FOLD(Z0, Z2)
	FOLD(Z4, Z6)
	FOLD(Z8, Z10)
	VMOVDQA64 Z22, Z21
	VPERMI2D Z4, Z0, Z21
	VPERMD Z8, Z22, K1, Z21
	VMOVDQA64 Z23, Z25
	VPERMI2D Z4, Z0, Z25
	VPERMD Z8, Z23, K1, Z25
	VMOVDQA64 Z24, Z26
	VPERMI2D Z4, Z0, Z26
	VPERMD Z8, Z24, K2, Z26
	VPADDD Z25, Z21, Z21
	VPADDD Z26, Z21, Z21
	TESTQ AX, AX
	JZ sq12
	VPSUBD Z21, Z19, Z21
sq12:
	VMOVDQU32 Z21, (DI)
	ADDQ $768, SI
	ADDQ $64, DI
	DECQ DX
	JNZ q12
	VZEROUPPER
	RET
q6:
	DOT(Z0, 0)
	DOT(Z1, 64)
	DOT(Z2, 128)
	DOT(Z3, 192)
	DOT(Z4, 256)
	DOT(Z5, 320)
	FOLD(Z0, Z1)
	FOLD(Z2, Z3)
	FOLD(Z4, Z5)
	VMOVDQA64 Z22, Z21
	VPERMI2D Z2, Z0, Z21
	VPERMD Z4, Z22, K1, Z21
	VMOVDQA64 Z23, Z25
	VPERMI2D Z2, Z0, Z25
	VPERMD Z4, Z23, K1, Z25
	VMOVDQA64 Z24, Z26
	VPERMI2D Z2, Z0, Z26
	VPERMD Z4, Z24, K2, Z26
	VPADDD Z25, Z21, Z21
	VPADDD Z26, Z21, Z21
	TESTQ AX, AX
	JZ sq6
	VPSUBD Z21, Z19, Z21
sq6:
	VMOVDQU32 Z21, (DI)
	ADDQ $384, SI
	ADDQ $64, DI
	DECQ DX
	JNZ q6
	VZEROUPPER
	RET

// fold3 holds the gathers of rowTermsFold3AVX512: lane r of vector j is
// (3r + j) mod 32.
DATA ·fold3+0(SB)/4, $0
DATA ·fold3+4(SB)/4, $3
DATA ·fold3+8(SB)/4, $6
DATA ·fold3+12(SB)/4, $9
DATA ·fold3+16(SB)/4, $12
DATA ·fold3+20(SB)/4, $15
DATA ·fold3+24(SB)/4, $18
DATA ·fold3+28(SB)/4, $21
DATA ·fold3+32(SB)/4, $24
DATA ·fold3+36(SB)/4, $27
DATA ·fold3+40(SB)/4, $30
DATA ·fold3+44(SB)/4, $1
DATA ·fold3+48(SB)/4, $4
DATA ·fold3+52(SB)/4, $7
DATA ·fold3+56(SB)/4, $10
DATA ·fold3+60(SB)/4, $13
DATA ·fold3+64(SB)/4, $1
DATA ·fold3+68(SB)/4, $4
DATA ·fold3+72(SB)/4, $7
DATA ·fold3+76(SB)/4, $10
DATA ·fold3+80(SB)/4, $13
DATA ·fold3+84(SB)/4, $16
DATA ·fold3+88(SB)/4, $19
DATA ·fold3+92(SB)/4, $22
DATA ·fold3+96(SB)/4, $25
DATA ·fold3+100(SB)/4, $28
DATA ·fold3+104(SB)/4, $31
DATA ·fold3+108(SB)/4, $2
DATA ·fold3+112(SB)/4, $5
DATA ·fold3+116(SB)/4, $8
DATA ·fold3+120(SB)/4, $11
DATA ·fold3+124(SB)/4, $14
DATA ·fold3+128(SB)/4, $2
DATA ·fold3+132(SB)/4, $5
DATA ·fold3+136(SB)/4, $8
DATA ·fold3+140(SB)/4, $11
DATA ·fold3+144(SB)/4, $14
DATA ·fold3+148(SB)/4, $17
DATA ·fold3+152(SB)/4, $20
DATA ·fold3+156(SB)/4, $23
DATA ·fold3+160(SB)/4, $26
DATA ·fold3+164(SB)/4, $29
DATA ·fold3+168(SB)/4, $0
DATA ·fold3+172(SB)/4, $3
DATA ·fold3+176(SB)/4, $6
DATA ·fold3+180(SB)/4, $9
DATA ·fold3+184(SB)/4, $12
DATA ·fold3+188(SB)/4, $15
GLOBL ·fold3(SB), RODATA|NOPTR, $192
