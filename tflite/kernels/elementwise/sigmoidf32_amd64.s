//go:build amd64 && !noasm

#include "textflag.h"

DATA sigLog2e<>+0(SB)/4, $0x3fb8aa3b // log2(e)
GLOBL sigLog2e<>(SB), RODATA|NOPTR, $4
DATA sigLn2Hi<>+0(SB)/4, $0x3f318000 // 355/512: n·ln2Hi is exact for |n| < 2^15
GLOBL sigLn2Hi<>(SB), RODATA|NOPTR, $4
DATA sigLn2Lo<>+0(SB)/4, $0xb95e8083 // ln 2 − ln2Hi
GLOBL sigLn2Lo<>(SB), RODATA|NOPTR, $4
DATA sigC7<>+0(SB)/4, $0x39500d01 // 1/7!
GLOBL sigC7<>(SB), RODATA|NOPTR, $4
DATA sigC6<>+0(SB)/4, $0x3ab60b61 // 1/6!
GLOBL sigC6<>(SB), RODATA|NOPTR, $4
DATA sigC5<>+0(SB)/4, $0x3c088889 // 1/5!
GLOBL sigC5<>(SB), RODATA|NOPTR, $4
DATA sigC4<>+0(SB)/4, $0x3d2aaaab // 1/4!
GLOBL sigC4<>(SB), RODATA|NOPTR, $4
DATA sigC3<>+0(SB)/4, $0x3e2aaaab // 1/3!
GLOBL sigC3<>(SB), RODATA|NOPTR, $4
DATA sigC2<>+0(SB)/4, $0x3f000000 // 1/2!
GLOBL sigC2<>(SB), RODATA|NOPTR, $4
DATA sigOne<>+0(SB)/4, $0x3f800000
GLOBL sigOne<>(SB), RODATA|NOPTR, $4
DATA sigMinT<>+0(SB)/4, $0xc2d00000 // -104: exp rounds to +0 below
GLOBL sigMinT<>(SB), RODATA|NOPTR, $4
DATA sigLower<>+0(SB)/4, $0xc1100000 // -9
GLOBL sigLower<>(SB), RODATA|NOPTR, $4
DATA sigUpper<>+0(SB)/4, $0x4184f3cf // 16.619047164916992188
GLOBL sigUpper<>(SB), RODATA|NOPTR, $4
DATA sigSign<>+0(SB)/4, $0x80000000
GLOBL sigSign<>(SB), RODATA|NOPTR, $4
DATA sigNegTwo<>+0(SB)/4, $0xc0000000 // -2
GLOBL sigNegTwo<>(SB), RODATA|NOPTR, $4
DATA sigMinN<>+0(SB)/4, $0xc2fa0000 // -125: p·2^n stays normal
GLOBL sigMinN<>(SB), RODATA|NOPTR, $4
DATA sigSubN<>+0(SB)/4, $0x43150000 // 149 = −log2 of the smallest subnormal
GLOBL sigSubN<>(SB), RODATA|NOPTR, $4

// LOADEXP broadcasts the constants of EXPM1 into Z16-Z26.
#define LOADEXP \
	VBROADCASTSS sigLog2e<>(SB), Z16; \
	VBROADCASTSS sigLn2Hi<>(SB), Z17; \
	VBROADCASTSS sigLn2Lo<>(SB), Z18; \
	VBROADCASTSS sigC7<>(SB), Z19; \
	VBROADCASTSS sigC6<>(SB), Z20; \
	VBROADCASTSS sigC5<>(SB), Z21; \
	VBROADCASTSS sigC4<>(SB), Z22; \
	VBROADCASTSS sigC3<>(SB), Z23; \
	VBROADCASTSS sigC2<>(SB), Z24; \
	VBROADCASTSS sigOne<>(SB), Z25; \
	VBROADCASTSS sigMinT<>(SB), Z26

// EXPM1(t, n, r, q) splits t (≥ -104, or NaN) as n·ln 2 + r with n an
// integer (round to nearest) and |r| ≤ ln(2)/2 + ε, and sets q = e^r − 1
// = r + r²/2! + … + r⁷/7! (Horner with fused multiply-adds; the
// truncation is below 2^-27 relatively). e^t is then VSCALEFPS(q + 1, n).
#define EXPM1(t, n, r, q) \
	VMULPS Z16, t, n; \
	VRNDSCALEPS $8, n, n; \
	VMOVAPS t, r; \
	VFNMADD231PS Z17, n, r; \
	VFNMADD231PS Z18, n, r; \
	VMOVAPS Z19, q; \
	VFMADD213PS Z20, r, q; \
	VFMADD213PS Z21, r, q; \
	VFMADD213PS Z22, r, q; \
	VFMADD213PS Z23, r, q; \
	VFMADD213PS Z24, r, q; \
	VFMADD213PS Z25, r, q; \
	VMULPS r, q, q

// func logisticF32AVX512(in, out *float32, n int)
//
// out[i] = LOGISTIC(in[i]) for i in [0, n) with TensorFlow Lite's
// cutoffs: 1 above 16.619047, e^v below -9, 1/(1 + e^-v) between, NaN
// for NaN. e^t comes from EXPM1 (t clamped at -104, where it rounds to
// +0); 1 + e and the division are single float32 operations as in the
// reference. No instruction makes a subnormal (Intel cores take a
// microcode assist of ~100 cycles for each one that does, and MediaPipe's
// segmentation heads have many results below 2^-126): e is scaled by
// 2^max(n, -125), and where n < -125 the result's bits are built as an
// integer, m = round(p·2^(n+149)) < 2^24, which is the float32 whose value
// is m·2^-149 (a subnormal, or the lowest binade of normals). The last
// n%16 elements use masked loads and stores.
TEXT ·logisticF32AVX512(SB), NOSPLIT, $0-24
	MOVQ in+0(FP), SI
	MOVQ out+8(FP), DI
	MOVQ n+16(FP), CX
	LOADEXP
	VBROADCASTSS sigLower<>(SB), Z27
	VBROADCASTSS sigUpper<>(SB), Z28
	VPBROADCASTD sigSign<>(SB), Z29
	VBROADCASTSS sigMinN<>(SB), Z30
	VBROADCASTSS sigSubN<>(SB), Z31
	MOVL $-1, AX
	KMOVW AX, K4

logloop:
	CMPQ CX, $16
	JGE logbody
	TESTQ CX, CX
	JZ logdone
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K4
	MOVQ $16, CX

logbody:
	VMOVUPS.Z (SI), K4, Z0
	VCMPPS $0x01, Z27, Z0, K1  // v < lower
	VPXORD Z29, Z0, Z1         // t = -v
	VMOVAPS Z0, K1, Z1         // t = v below lower
	VMAXPS Z1, Z26, Z1         // t ≥ -104 (a NaN t stays NaN)
	EXPM1(Z1, Z2, Z3, Z4)
	VADDPS Z25, Z4, Z4         // p = e^r
	VMAXPS Z2, Z30, Z6
	VSCALEFPS Z6, Z4, Z6       // e = e^t where n ≥ -125
	VADDPS Z25, Z6, Z5         // 1 + e
	VDIVPS Z5, Z25, Z5         // 1 / (1 + e)
	VADDPS Z31, Z2, Z7
	VSCALEFPS Z7, Z4, Z7
	VCVTPS2DQ Z7, Z7           // the bits of e^t where n < -125
	VCMPPS $0x01, Z30, Z2, K5  // n < -125
	VMOVDQA32 Z7, K5, Z6
	VMOVAPS Z6, K1, Z5         // e below lower
	VCMPPS $0x1e, Z28, Z0, K3  // v > upper
	VMOVAPS Z25, K3, Z5
	VCMPPS $0x03, Z0, Z0, K2   // NaN
	VMOVAPS Z0, K2, Z5
	VMOVUPS Z5, K4, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP logloop

logdone:
	VZEROUPPER
	RET

// func tanhF32AVX512(in, out *float32, n int)
//
// out[i] = tanh(in[i]) for i in [0, n): with t = -2|x| (clamped at -104)
// and m = e^t − 1 in (-1, 0], tanh|x| = -m/(m + 2), given the sign of x;
// NaN for NaN. m is EXPM1's q where n = 0 (no cancellation near 0), else
// VSCALEFPS(q + 1, max(n, -125)) − 1 (no subnormal: see logistic). The last n%16 elements use masked loads and
// stores.
TEXT ·tanhF32AVX512(SB), NOSPLIT, $0-24
	MOVQ in+0(FP), SI
	MOVQ out+8(FP), DI
	MOVQ n+16(FP), CX
	LOADEXP
	VBROADCASTSS sigNegTwo<>(SB), Z27
	VPBROADCASTD sigSign<>(SB), Z29
	VBROADCASTSS sigMinN<>(SB), Z30
	VPXORD Z28, Z28, Z28
	MOVL $-1, AX
	KMOVW AX, K4

tanhloop:
	CMPQ CX, $16
	JGE tanhbody
	TESTQ CX, CX
	JZ tanhdone
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K4
	MOVQ $16, CX

tanhbody:
	VMOVUPS.Z (SI), K4, Z0
	VPANDND Z0, Z29, Z1        // |x|
	VMULPS Z27, Z1, Z1         // t = -2|x|
	VMAXPS Z1, Z26, Z1
	EXPM1(Z1, Z2, Z3, Z4)
	VADDPS Z25, Z4, Z5
	VMAXPS Z2, Z30, Z6         // 2^max(n, -125): no subnormal e^t (e^t − 1 = −1 either way)
	VSCALEFPS Z6, Z5, Z5
	VSUBPS Z25, Z5, Z5         // e^t − 1 through e^t
	VCMPPS $0x00, Z28, Z2, K1  // n == 0
	VMOVAPS Z4, K1, Z5         // m
	VSUBPS Z27, Z5, Z6         // m − (−2) = m + 2
	VDIVPS Z6, Z5, Z5          // m / (m + 2) = -tanh|x|
	VPANDND Z5, Z29, Z5        // tanh|x|
	VPANDD Z29, Z0, Z7         // sign of x
	VPORD Z7, Z5, Z5
	VCMPPS $0x03, Z0, Z0, K2   // NaN
	VMOVAPS Z0, K2, Z5
	VMOVUPS Z5, K4, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP tanhloop

tanhdone:
	VZEROUPPER
	RET
