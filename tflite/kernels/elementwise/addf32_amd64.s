//go:build amd64 && !noasm

#include "textflag.h"

// func addF32AVX512(a, b, out *float32, n int, lo, hi float32)
//
// out[i] = min(max(a[i] + b[i], lo), hi) for i in [0, n), n a positive
// multiple of 16. The sum is the second source of VMAXPS/VMINPS (Intel
// order), so a NaN sum passes both clamps, as std::max/std::min do in
// TensorFlow Lite's reference.
TEXT ·addF32AVX512(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ out+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS lo+32(FP), Z30
	VBROADCASTSS hi+36(FP), Z31
	CMPQ CX, $64
	JLT tail

loop4:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VADDPS (DX), Z0, Z0
	VADDPS 64(DX), Z1, Z1
	VADDPS 128(DX), Z2, Z2
	VADDPS 192(DX), Z3, Z3
	VMAXPS Z0, Z30, Z0
	VMAXPS Z1, Z30, Z1
	VMAXPS Z2, Z30, Z2
	VMAXPS Z3, Z30, Z3
	VMINPS Z0, Z31, Z0
	VMINPS Z1, Z31, Z1
	VMINPS Z2, Z31, Z2
	VMINPS Z3, Z31, Z3
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
	VADDPS (DX), Z0, Z0
	VMAXPS Z0, Z30, Z0
	VMINPS Z0, Z31, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ loop1

done:
	VZEROUPPER
	RET

// func mulF32AVX512(a, b, out *float32, n int, lo, hi float32)
//
// out[i] = min(max(a[i] * b[i], lo), hi) for i in [0, n), n a positive
// multiple of 16. The product is the second source of VMAXPS/VMINPS (Intel
// order), so a NaN product passes both clamps, as std::max/std::min do in
// TensorFlow Lite's reference.
TEXT ·mulF32AVX512(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ out+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS lo+32(FP), Z30
	VBROADCASTSS hi+36(FP), Z31
	CMPQ CX, $64
	JLT multail

mulloop4:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VMULPS (DX), Z0, Z0
	VMULPS 64(DX), Z1, Z1
	VMULPS 128(DX), Z2, Z2
	VMULPS 192(DX), Z3, Z3
	VMAXPS Z0, Z30, Z0
	VMAXPS Z1, Z30, Z1
	VMAXPS Z2, Z30, Z2
	VMAXPS Z3, Z30, Z3
	VMINPS Z0, Z31, Z0
	VMINPS Z1, Z31, Z1
	VMINPS Z2, Z31, Z2
	VMINPS Z3, Z31, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DX
	ADDQ $256, DI
	SUBQ $64, CX
	CMPQ CX, $64
	JGE mulloop4

multail:
	TESTQ CX, CX
	JZ muldone

mulloop1:
	VMOVUPS (SI), Z0
	VMULPS (DX), Z0, Z0
	VMAXPS Z0, Z30, Z0
	VMINPS Z0, Z31, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ mulloop1

muldone:
	VZEROUPPER
	RET
