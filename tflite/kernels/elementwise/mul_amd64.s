//go:build amd64 && !noasm

#include "textflag.h"

// func mulInt8AVX512(a, b, out *int8, n int, p *mulVec)
//
// out[i] = clamp(MultiplyByQuantizedMultiplier((a[i] + off1)·(b[i] + off2),
// m, shift) + zo, lo, hi) for i < n (n a positive multiple of 16), as
// TensorFlow Lite's reference MUL: the product (|v| ≤ 2^16) shifted left
// in int32, times m in 64 bits on even and odd lanes, both roundings in
// one (P + add − [P < thr]·2^31) >> (31 + right) (mulVectors documents
// the identity), then the offset, the clamp and a truncating store.
TEXT ·mulInt8AVX512(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ out+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ p+32(FP), R8
	VPBROADCASTD 0(R8), Z16 // off1
	VPBROADCASTD 4(R8), Z17 // off2
	MOVL 8(R8), AX
	MOVQ AX, X7             // left shift
	VPBROADCASTD 12(R8), Z19 // m
	VPBROADCASTQ 16(R8), Z20 // add
	VPBROADCASTQ 24(R8), Z21 // thr
	VPBROADCASTQ 32(R8), Z22 // 31 + right
	VPBROADCASTD 40(R8), Z24 // output offset
	VPBROADCASTD 44(R8), Z25 // lo
	VPBROADCASTD 48(R8), Z26 // hi
	MOVQ $0x80000000, AX
	VPBROADCASTQ AX, Z23
	MOVW $0xAAAA, AX
	KMOVW AX, K2

loop:
	VPMOVSXBD (SI), Z0
	VPMOVSXBD (DX), Z1
	VPADDD Z16, Z0, Z0
	VPADDD Z17, Z1, Z1
	VPMULLD Z1, Z0, Z0
	VPSLLD X7, Z0, Z0
	VPMULDQ Z19, Z0, Z2
	VPSRLQ $32, Z0, Z3
	VPMULDQ Z19, Z3, Z3
	VPCMPQ $1, Z21, Z2, K1
	VPCMPQ $1, Z21, Z3, K3
	VPADDQ Z20, Z2, Z2
	VPADDQ Z20, Z3, Z3
	VPSUBQ Z23, Z2, K1, Z2
	VPSUBQ Z23, Z3, K3, Z3
	VPSRAVQ Z22, Z2, Z2
	VPSRAVQ Z22, Z3, Z3
	VPSLLQ $32, Z3, Z3
	VPBLENDMD Z3, Z2, K2, Z0
	VPADDD Z24, Z0, Z0
	VPMAXSD Z25, Z0, Z0
	VPMINSD Z26, Z0, Z0
	VPMOVDB Z0, (DI)
	ADDQ $16, SI
	ADDQ $16, DX
	ADDQ $16, DI
	SUBQ $16, CX
	JNZ loop
	VZEROUPPER
	RET
