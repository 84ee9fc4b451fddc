//go:build amd64 && !noasm

#include "textflag.h"

// func preluF32AVX512(a, alpha, out *float32, n int)
//
// out[i] = a[i] < 0 ? a[i]*alpha[i] : a[i] for i in [0, n), n a positive
// multiple of 16. The compare is ordered (LT_OQ), so NaN and -0 pass
// through unchanged, as in the scalar row (x >= 0 keeps x; NaN*alpha is
// NaN).
TEXT ·preluF32AVX512(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ alpha+8(FP), DX
	MOVQ out+16(FP), DI
	MOVQ n+24(FP), CX
	VPXORD Z31, Z31, Z31
	CMPQ CX, $64
	JLT tail

loop4:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VCMPPS $0x11, Z31, Z0, K1
	VCMPPS $0x11, Z31, Z1, K2
	VCMPPS $0x11, Z31, Z2, K3
	VCMPPS $0x11, Z31, Z3, K4
	VMULPS (DX), Z0, K1, Z0
	VMULPS 64(DX), Z1, K2, Z1
	VMULPS 128(DX), Z2, K3, Z2
	VMULPS 192(DX), Z3, K4, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DX
	ADDQ $256, DI
	SUBQ $64, CX
	CMPQ CX, $64
	JGE loop4

tail:
	TESTQ CX, CX
	JZ done

loop1:
	VMOVUPS (SI), Z0
	VCMPPS $0x11, Z31, Z0, K1
	VMULPS (DX), Z0, K1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ loop1

done:
	VZEROUPPER
	RET

DATA hswishThree<>+0(SB)/4, $0x40400000
GLOBL hswishThree<>(SB), RODATA|NOPTR, $4
DATA hswishSix<>+0(SB)/4, $0x40c00000
GLOBL hswishSix<>(SB), RODATA|NOPTR, $4

// func hardSwishF32AVX512(in, out *float32, n int)
//
// out[i] = x * min(6, max(0, x+3)) / 6 for i in [0, n), n a positive
// multiple of 16, in the scalar order. x+3 is the second source of
// VMAXPS/VMINPS (Intel order), so a NaN passes both, as Go's max/min; x+3
// is never -0, so the zero-sign rule of Go's max does not arise.
TEXT ·hardSwishF32AVX512(SB), NOSPLIT, $0-24
	MOVQ in+0(FP), SI
	MOVQ out+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS hswishThree<>(SB), Z29
	VBROADCASTSS hswishSix<>(SB), Z30
	VPXORD Z31, Z31, Z31

hsloop:
	VMOVUPS (SI), Z0
	VADDPS Z29, Z0, Z1
	VMAXPS Z1, Z31, Z1
	VMINPS Z1, Z30, Z1
	VMULPS Z1, Z0, Z1
	VDIVPS Z30, Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ hsloop
	VZEROUPPER
	RET
