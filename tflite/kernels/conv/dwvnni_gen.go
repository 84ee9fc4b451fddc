//go:build ignore

// dwvnni_gen writes dwvnni_amd64.s, the VNNI 3×3 int8 depthwise kernels
// (see dwvnni.go): go run dwvnni_gen.go
//
// The kernels differ in the horizontal stride (1 or 2), the number of
// output rows per call (one or two, stride 1 only) and the requantization
// (general RQ or fast RQF); everything they share (Y builds, weight loads,
// products, requantization, narrowing, stores, tail paths) is written once
// below and parameterised by the kernel variant.
package main

import (
	"fmt"
	"os"
	"strings"
)

// gen accumulates the assembly text.
type gen struct {
	b      strings.Builder
	labels int // labels made by fresh
}

// fresh returns a new label name with prefix pfx.
func (g *gen) fresh(pfx string) string {
	g.labels++
	return fmt.Sprintf("%sl%d", pfx, g.labels)
}

// raw writes lines as they are.
func (g *gen) raw(lines ...string) {
	for _, l := range lines {
		g.b.WriteString(l)
		g.b.WriteByte('\n')
	}
}

// comment writes a block of // comment lines (text split on newlines; an
// empty line becomes "//").
func (g *gen) comment(text string) {
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if l == "" {
			g.raw("//")
		} else {
			g.raw("// " + l)
		}
	}
}

// ins writes one tab-indented instruction.
func (g *gen) ins(format string, args ...any) { g.raw("\t" + fmt.Sprintf(format, args...)) }

// all writes tab-indented instructions.
func (g *gen) all(lines []string) {
	for _, l := range lines {
		g.raw("\t" + l)
	}
}

// label writes a label.
func (g *gen) label(name string) { g.raw(name + ":") }

// define writes a #define macro of body; params is "" for a macro
// without parameters.
func (g *gen) define(name, params string, body []string) {
	head := "#define " + name
	if params != "" {
		head += "(" + params + ")"
	}
	g.raw(head + " \\")
	for i, l := range body {
		if i < len(body)-1 {
			g.raw("\t" + l + " \\")
		} else {
			g.raw("\t" + l)
		}
	}
}

// z names vector register n; x its 128-bit half.
func z(n int) string { return fmt.Sprintf("Z%d", n) }
func x(n int) string { return fmt.Sprintf("X%d", n) }

// pixAddr is the address of pixel p (0..3) of a group at base register r
// (BX = C, R11 = 3C).
func pixAddr(r string, p int) string {
	return [...]string{"(" + r + ")", "(" + r + ")(BX*1)", "(" + r + ")(BX*2)", "(" + r + ")(R11*1)"}[p]
}

// yfull is YFULL's body: Y from four pixels at P inside the row, pixels
// 0 and 1 loaded into Y's low 32 bytes, 2 and 3 into Z0's (a temporary:
// the accumulators are free while Ys are built), gathered by one VPERMT2B
// (index dwvPerm2 in Z27): two inserts and a two-table permutation
// instead of three inserts and a VPERMB.
func yfull(p, y, yx string) []string {
	return []string{
		"VMOVDQU32 (" + p + "), " + yx,
		"VINSERTI32X4 $1, " + pixAddr(p, 1) + ", " + y + ", " + y,
		"VMOVDQU32 " + pixAddr(p, 2) + ", X0",
		"VINSERTI32X4 $1, " + pixAddr(p, 3) + ", Z0, Z0",
		"VPERMT2B Z0, Z27, " + y,
		"VPXORD.BCST (DX), " + y + ", " + y,
	}
}

// ytab builds the Y of rows (base registers) from the tab entry at R15:
// the lane offsets' loads and the mask, then the zero point into the
// masked lanes, the permutation and the XOR, either Y by Y (interleaved)
// or instruction by instruction.
func ytab(rows, ys, xs []string, interleaved bool) []string {
	var out []string
	for s := 0; s < 4; s++ {
		out = append(out, fmt.Sprintf("MOVQ %d(R15), DI", 8*s))
		for i, r := range rows {
			if s == 0 {
				out = append(out, fmt.Sprintf("VMOVDQU32 (%s)(DI*1), %s", r, xs[i]))
			} else {
				out = append(out, fmt.Sprintf("VINSERTI32X4 $%d, (%s)(DI*1), %s, %s", s, r, ys[i], ys[i]))
			}
		}
	}
	out = append(out, "KMOVQ 32(R15), K4")
	fin := []func(y string) string{
		func(y string) string { return "VMOVDQU8 256(DX), K4, " + y },
		func(y string) string { return "VPERMB " + y + ", Z28, " + y },
		func(y string) string { return "VPXORD.BCST (DX), " + y + ", " + y },
	}
	if interleaved {
		for _, y := range ys {
			for _, f := range fin {
				out = append(out, f(y))
			}
		}
	} else {
		for _, f := range fin {
			for _, y := range ys {
				out = append(out, f(y))
			}
		}
	}
	return out
}

// product is one VPDPBUSD: acc += w·y.
type product struct{ w, y, acc string }

func (p product) String() string { return "VPDPBUSD " + p.w + ", " + p.y + ", " + p.acc }

func strs(ps []product) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// rq is RQ's body (accumulator a, temporaries t1, t2).
func rq(a, t1, t2 string) []string {
	return []string{
		"VPMULDQ 64(R14), " + a + ", " + t1,
		"VPSRLQ $32, " + a + ", " + t2,
		"VPMULDQ 128(R14), " + t2 + ", " + t2,
		"VPADDQ Z29, " + t1 + ", " + t1,
		"VPADDQ Z29, " + t2 + ", " + t2,
		"VPSRLQ $31, " + t1 + ", " + t1,
		"VPSLLQ $1, " + t2 + ", " + t2,
		"VPBLENDMD " + t2 + ", " + t1 + ", K1, " + a,
		"VPSRAD $31, " + a + ", " + t1,
		"VPADDD " + t1 + ", " + a + ", " + a,
		"VPSRAVD 192(R14), " + a + ", " + a,
		"VPSRAD $1, " + a + ", " + t1,
		"VPSUBD " + t1 + ", " + a + ", " + a,
	}
}

// rqfRegs are the registers that hold the block's RQF parameters (q words
// 16.., 32.., 96.., 112.., 128.., 80..: 2m of the even and the odd lanes,
// K of the even and the odd lanes, 2^(r−1), r), loaded once per block:
// as memory operands they cost a load each per accumulator.
var rqfRegs = [...]struct {
	reg string
	off int
}{{"Z22", 64}, {"Z23", 128}, {"Z24", 384}, {"Z25", 448}, {"Z26", 512}, {"Z29", 320}}

// rqf is RQF's body (accumulator a, temporaries t1, t2, mask kt; the
// parameters in rqfRegs, −1 per lane in m1).
func rqf(a, t1, t2, kt, m1 string) []string {
	return []string{
		"VPMULUDQ Z22, " + a + ", " + t1,
		"VPSRLQ $32, " + a + ", " + t2,
		"VPMULUDQ Z23, " + t2 + ", " + t2,
		"VPADDQ Z24, " + t1 + ", " + t1,
		"VPADDQ Z25, " + t2 + ", " + t2,
		"VPSHUFD $0xF5, " + t1 + ", K2, " + t2,
		"VPCMPD $1, Z26, " + t2 + ", " + kt,
		"VPADDD " + m1 + ", " + t2 + ", " + kt + ", " + t2,
		"VPSRAVD Z29, " + t2 + ", " + a,
	}
}

// narrow is NARROW's body: a[0..3] into bytes in o (temporary t); with
// z, plus the output zero point (Z30).
func narrow(a []string, o, t string, z bool) []string {
	out := []string{
		"VPACKSSDW " + a[1] + ", " + a[0] + ", " + o,
		"VPACKSSDW " + a[3] + ", " + a[2] + ", " + t,
	}
	if z {
		out = append(out, "VPADDSW Z30, "+o+", "+o, "VPADDSW Z30, "+t+", "+t)
	}
	return append(out,
		"VPACKSSWB "+t+", "+o+", "+o,
		"VPERMD "+o+", Z31, "+o,
	)
}

// clamp is CLAMP's body for the bytes in o.
func clamp(o string) []string {
	return []string{"VPMAXSB 64(DX), " + o + ", " + o, "VPMINSB 128(DX), " + o + ", " + o}
}

// kernel is one kernel variant.
type kernel struct {
	name   string // Go function name
	pfx    string // label prefix
	stride int    // horizontal stride
	two    bool   // two output rows per call
	fast   bool   // RQF instead of RQ
	// split: each block's weights are two sets (w = a + b, both int8, for
	// 16-bit weights in [−256, 254]): the block's vectors as usual, then as
	// many residual vectors (memory operands) whose products follow each
	// kernel row's, then 64 bytes whose byte kr is 0 where kernel row kr's
	// residual vectors are all zero (their products are skipped).
	split bool
	// c16: the pixel step c is 16 (16 channels, no dilation), so the four
	// pixels of a Y are 64 contiguous bytes: one VPERMB from memory
	// instead of a load and three inserts.
	c16 bool
	// two: the pixel step c is 32 or 48 (pair, 0 otherwise), so a Y's four
	// 16-byte pieces lie in the two 64-byte loads from its first and from
	// pairOff (48 at c = 32, 2c = 96 at c = 48): two loads and one VPERMT2B
	// (index dwvPerm32 or dwvPerm48 in Z27) instead of a load, three
	// inserts and a VPERMB.
	pair int
	doc  string // comment above the TEXT line
}

// args lists the kernel's arguments in order.
func (k *kernel) args() []string {
	if k.two {
		return []string{"r0", "r1", "r2", "r3", "n4", "cblocks", "w", "q", "k", "out", "orow", "oz", "clamp", "off0", "lim", "tail", "tab", "c"}
	}
	return []string{"r0", "r1", "r2", "n4", "cblocks", "w", "q", "k", "out", "oz", "clamp", "off0", "lim", "tail", "tab", "c"}
}

// arg is argument name's frame address.
func (k *kernel) arg(name string) string {
	for i, a := range k.args() {
		if a == name {
			return fmt.Sprintf("%s+%d(FP)", name, 8*i)
		}
	}
	panic("no argument " + name)
}

// rows are the input rows' base registers.
func (k *kernel) rows() []string {
	if k.two {
		return []string{"AX", "CX", "R9", "R10"}
	}
	return []string{"AX", "CX", "R9"}
}

// nWeights is the number of weight vectors per block; nWRegs those held in
// registers (from Z wBase).
func (k *kernel) nWeights() int { return 3 * kinds(k.stride) }
func (k *kernel) nWRegs() int {
	n := k.nWeights() // Z10..Z15, Z10..Z12 (stride 2), Z16..Z21 (two rows)
	if k.pair != 0 && k.wBase()+n > 27 {
		n = 27 - k.wBase() // Z27 holds dwvPerm32 or dwvPerm48
	}
	return n
}
func (k *kernel) wBase() int {
	if k.two {
		return 16
	}
	return 10
}

// weight is the operand of weight vector i of kernel row kr.
func (k *kernel) weight(kr, i int) string {
	j := kr*kinds(k.stride) + i
	if j < k.nWRegs() {
		return z(k.wBase() + j)
	}
	return fmt.Sprintf("%d(R13)", 64*j)
}

func (k *kernel) weights(kr int) []string {
	var out []string
	for i := 0; i < kinds(k.stride); i++ {
		out = append(out, k.weight(kr, i))
	}
	return out
}

// residuals are the residual weight vectors of kernel row kr (split).
func (k *kernel) residuals(kr int) []string {
	var out []string
	for i := 0; i < kinds(k.stride); i++ {
		out = append(out, fmt.Sprintf("%d(R13)", 64*(k.nWeights()+kr*kinds(k.stride)+i)))
	}
	return out
}

// blockWeights is the bytes of one block's weights.
func (k *kernel) blockWeights() int {
	if k.split {
		return 2*64*k.nWeights() + 64
	}
	return 64 * k.nWeights()
}

// residual writes kernel row kr's residual products (body) behind the
// test of its flag byte (split).
func (k *kernel) residual(g *gen, kr int, body func()) {
	if !k.split {
		return
	}
	skip := g.fresh(k.pfx + "nores")
	g.ins("CMPB %d(R13), $0", 2*64*k.nWeights()+kr)
	g.ins("JEQ %s", skip)
	body()
	g.label(skip)
}

// kinds is the number of weight vectors per kernel row (len(dwVKinds)).
func kinds(stride int) int {
	if stride == 1 {
		return 2
	}
	return 1
}

func (k *kernel) qBytes() int {
	if k.fast {
		return 4 * 144 // dwVQWordsF
	}
	return 4 * 64 // dwVQWords
}

func (k *kernel) text() string {
	frame := 8 * len(k.args())
	args := make([]string, len(k.args()))
	for i, a := range k.args() {
		switch {
		case isRow(a) || a == "w" || a == "k" || a == "out":
			args[i] = a + " *int8"
		case a == "q":
			args[i] = a + " *int32"
		case a == "tab":
			args[i] = a + " *int64"
		default:
			args[i] = a + " int"
		}
	}
	// The input rows share their type.
	var sig []string
	for i, a := range args {
		name, typ, _ := strings.Cut(a, " ")
		if isRow(name) && i+1 < len(args) && isRow(k.args()[i+1]) {
			sig = append(sig, name)
			continue
		}
		sig = append(sig, name+" "+typ)
	}
	return fmt.Sprintf("// func %s(%s)", k.name, strings.Join(sig, ", ")) + "\n" +
		fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-%d", k.name, frame)
}

// isRow reports whether argument a is an input row.
func isRow(a string) bool { return len(a) == 2 && a[0] == 'r' }

// accs are the accumulators of output row o.
func accs(o int) []string { return []string{z(4 * o), z(4*o + 1), z(4*o + 2), z(4*o + 3)} }

// rqCalls requantizes the first n accumulators of each output row.
func (k *kernel) rqCalls(n int) []string {
	var out []string
	for p := 0; p < n; p++ {
		if !k.two {
			if k.fast {
				out = append(out, fmt.Sprintf("RQF(Z%d)", p))
			} else {
				out = append(out, fmt.Sprintf("RQ(Z%d)", p))
			}
			continue
		}
		for o := 0; o < 2; o++ {
			t1, t2, kt := z(12+2*o), z(13+2*o), []string{"K3", "K5"}[o]
			if k.fast {
				out = append(out, fmt.Sprintf("RQFT(%s, %s, %s, %s)", accs(o)[p], t1, t2, kt))
			} else {
				out = append(out, fmt.Sprintf("RQT(%s, %s, %s)", accs(o)[p], t1, t2))
			}
		}
	}
	return out
}

// initAccs loads the bias into the first n accumulators of each output row.
func (k *kernel) initAccs(n int) []string {
	var out []string
	rows := 1
	if k.two {
		rows = 2
	}
	for o := 0; o < rows; o++ {
		for p := 0; p < n; p++ {
			out = append(out, "VMOVDQU32 (R14), "+accs(o)[p])
		}
	}
	return out
}

// ys are the Y registers of one build: one per input row.
func (k *kernel) ys(first int) (ys, xs []string) {
	for i := range k.rows() {
		ys = append(ys, z(first+i))
		xs = append(xs, x(first+i))
	}
	return
}

// build writes one group's Y build into registers from first: straight
// when R12 lies in [0, lim], else from the tab entry (pad: a Y wholly
// outside the row may be the constant), then steps R12 and R15.
func (k *kernel) build(g *gen, name string, first int, pad bool) {
	slow, built := k.pfx+name+"_slow", k.pfx+name+"_built"
	ys, xs := k.ys(first)
	g.ins("TESTQ R12, R12")
	g.ins("JS %s", slow)
	g.ins("CMPQ R12, %s", k.arg("lim"))
	g.ins("JGT %s", slow)
	list := strings.Join(ys, ", ") + ", " + strings.Join(xs, ", ")
	switch {
	case k.c16:
		for i, r := range k.rows() {
			g.ins("VPERMB (%s)(R12*1), Z28, %s", r, ys[i])
		}
		for _, y := range ys {
			g.ins("VPXORD.BCST (DX), %s, %s", y, y)
		}
	case k.pair != 0:
		for i, r := range k.rows() {
			g.ins("VMOVDQU64 (%s)(R12*1), %s", r, ys[i])
		}
		for i, r := range k.rows() {
			g.ins("VPERMT2B %d(%s)(R12*1), Z27, %s", k.pairOff(), r, ys[i])
		}
		for _, y := range ys {
			g.ins("VPXORD.BCST (DX), %s, %s", y, y)
		}
	case k.two:
		g.ins("YFULL4(%s)", list)
	default:
		for i, r := range k.rows() {
			g.ins("LEAQ (%s)(R12*1), DI", r)
			g.ins("YFULL(DI, %s, %s)", ys[i], xs[i])
		}
	}
	g.ins("JMP %s", built)
	g.label(slow)
	if !k.two {
		g.ins("// Y from the table's lane offsets; lanes outside the row take the zero point (k bytes 256..319).")
	}
	if pad {
		g.ins("// A Y wholly outside the row is the constant (zero point) ^ 0x80 (k bytes 320..383).")
		g.ins("CMPQ 32(R15), $-1")
		g.ins("JEQ %s_pad", slow)
	}
	if k.two {
		g.ins("YTAB4(%s)", list)
	} else {
		g.all(ytab(k.rows(), ys, xs, true))
	}
	if pad {
		g.ins("JMP %s", built)
		g.label(slow + "_pad")
		for _, y := range ys {
			g.ins("VMOVDQU64 320(DX), %s", y)
		}
	}
	g.label(built)
	g.ins("LEAQ (R12)(BX*4), R12")
	g.ins("ADDQ $40, R15")
}

// products writes the products of the first n output pixels of each
// output row from the Y registers a (Y_q / Y_A), b (Y_{q+1} / Y_B), c (Y_C).
// At stride 1, pixels 0 and 1 multiply Y_q by weight vectors 0 and 1, then
// each Y_q register becomes Y' = (bytes 2, 3 of Y_q, bytes 0, 1 of Y_{q+1})
// per lane (one VPSHRDD; input pixels 4q+2..4q+5) and pixels 2 and 3
// multiply Y' by the same two vectors: four VPDPBUSD per kernel row and
// output row instead of six.
func (k *kernel) products(g *gen, a, b, c, n int) {
	if k.stride == 1 {
		outs := 1
		if k.two {
			outs = 2
		}
		half := func(p0 int) {
			for kr := 0; kr < 3; kr++ {
				dot := func(w []string) {
					for o := 0; o < outs; o++ {
						y := z(a + kr + o)
						for p := p0; p < min(n, p0+2); p++ {
							g.ins("%s", product{w[p-p0], y, accs(o)[p]})
						}
					}
				}
				dot(k.weights(kr))
				k.residual(g, kr, func() { dot(k.residuals(kr)) })
			}
		}
		half(0)
		if n > 2 {
			for i := range k.rows() {
				g.ins("VPSHRDD $16, %s, %s, %s", z(b+i), z(a+i), z(a+i))
			}
			half(2)
		}
		return
	}
	// Stride 2: pixels 0 and 2 multiply Y_A and Y_B by the row's weight
	// vector (w0,w1,w2,0); pixels 1 and 3 read input pixels 2..5 and
	// 6..9 from the group's first, Y'_A = VPSHRDD(Y_B:Y_A, 16) and Y'_B =
	// VPSHRDD(Y_C:Y_B, 16), made in place of Y_A and Y_B.
	step := func(p int, ys func(kr int) string) {
		if p >= n {
			return
		}
		for kr := 0; kr < 3; kr++ {
			dot := func(w []string) { g.ins("%s", product{w[0], ys(kr), accs(0)[p]}) }
			dot(k.weights(kr))
			k.residual(g, kr, func() { dot(k.residuals(kr)) })
		}
	}
	step(0, func(kr int) string { return z(a + kr) })
	step(2, func(kr int) string { return z(b + kr) })
	if n > 1 {
		for kr := 0; kr < 3; kr++ {
			g.ins("VPSHRDD $16, %s, %s, %s", z(b+kr), z(a+kr), z(a+kr))
		}
		step(1, func(kr int) string { return z(a + kr) })
	}
	if n > 3 {
		for kr := 0; kr < 3; kr++ {
			g.ins("VPSHRDD $16, %s, %s, %s", z(c+kr), z(b+kr), z(b+kr))
		}
		step(3, func(kr int) string { return z(b + kr) })
	}
}

// moveY moves the Y registers from Z from.. (the next group's first Y) to
// Z to.. (its Y_q or Y_A).
func (k *kernel) moveY(g *gen, from, to int) {
	for i := range k.rows() {
		g.ins("VMOVDQA64 %s, %s", z(from+i), z(to+i))
	}
}

// narrowClamp narrows the accumulators to bytes and clamps them unless the
// clamp argument is 0 (then jumps to, or falls into, the store).
func (k *kernel) narrowClamp(g *gen, jmp bool) {
	f := ""
	if k.fast {
		f = "F" // the zero point folded into RQF
	}
	if k.two {
		g.ins("NARROWT%s(Z0, Z1, Z2, Z3, Z12, Z13)", f)
		g.ins("NARROWT%s(Z4, Z5, Z6, Z7, Z14, Z15)", f)
	} else {
		g.ins("NARROW%s", f)
	}
	g.ins("CMPQ %s, $0", k.arg("clamp"))
	g.ins("JEQ %sstore", k.pfx)
	if k.two {
		g.all(clamp("Z12"))
		g.all(clamp("Z14"))
	} else {
		g.ins("CLAMP")
	}
	if jmp {
		g.ins("JMP %sstore", k.pfx)
	}
}

// tailGroup is the last group of a row computing only n pixels.
func (k *kernel) tailGroup(g *gen, n int) {
	g.all(k.initAccs(n))
	if k.two {
		k.products(g, 8, 12, 0, n)
		g.all(k.rqCalls(n))
		g.ins("JMP %snarrow", k.pfx)
		return
	}
	k.products(g, 4, 7, 19, n)
	g.all(k.rqCalls(n))
	k.narrowClamp(g, true)
}

// store writes the output pixels of the group (four, or tail in the last
// group), steps to the next group and, after the row, to the next block.
func (k *kernel) store(g *gen) {
	type outRow struct{ o, r string }
	outs := []outRow{{"Z7", "SI"}}
	g.label(k.pfx + "store")
	if k.two {
		outs = []outRow{{"Z12", "SI"}, {"Z14", "DI"}}
		g.ins("MOVQ %s, DI", k.arg("orow"))
		g.ins("ADDQ SI, DI")
	}
	if k.c16 {
		// The four pixels' 16 bytes are contiguous: one store each
		// (below) unless this is the row's last group.
		g.ins("CMPQ R8, $1")
		g.ins("JNE %sstore4", k.pfx)
	}
	for _, o := range outs {
		g.ins("VMOVDQU X%s, %s", o.o[1:], pixAddr(o.r, 0))
	}
	if !k.c16 {
		g.ins("CMPQ R8, $1")
		g.ins("JNE %sstore4", k.pfx)
	}
	tail := "DI"
	if k.two {
		tail = k.arg("tail")
	} else {
		g.ins("MOVQ %s, DI", k.arg("tail"))
	}
	for p := 1; p < 4; p++ {
		g.ins("CMPQ %s, $%d", tail, p)
		g.ins("JLE %sstepped", k.pfx)
		for _, o := range outs {
			g.ins("VEXTRACTI32X4 $%d, %s, %s", p, o.o, pixAddr(o.r, p))
		}
	}
	g.ins("JMP %sstepped", k.pfx)
	g.raw("")
	g.label(k.pfx + "store4")
	if k.c16 {
		for _, o := range outs {
			g.ins("VMOVDQU64 %s, (%s)", o.o, o.r)
		}
	} else {
		for p := 1; p < 4; p++ {
			for _, o := range outs {
				g.ins("VEXTRACTI32X4 $%d, %s, %s", p, o.o, pixAddr(o.r, p))
			}
		}
	}
	g.raw("")
	g.label(k.pfx + "stepped")
	g.ins("LEAQ (SI)(BX*4), SI")
	g.ins("DECQ R8")
	g.ins("JNZ %sgroup", k.pfx)
	g.raw("")
	for _, r := range k.rows() {
		g.ins("ADDQ $16, %s", r)
	}
	g.ins("ADDQ $16, %s", k.arg("out"))
	g.ins("ADDQ $%d, R13", k.blockWeights())
	g.ins("ADDQ $%d, R14", k.qBytes())
	if k.two {
		g.ins("DECQ %s", k.arg("cblocks"))
	} else {
		g.ins("DECQ R10")
	}
	g.ins("JNZ %sblock", k.pfx)
	g.ins("VZEROUPPER")
	g.ins("RET")
}

// emit writes the kernel.
func (k *kernel) emit(g *gen) {
	g.raw(k.text()[:strings.IndexByte(k.text(), '\n')])
	g.raw("//")
	g.comment(k.doc)
	g.raw(k.text()[strings.IndexByte(k.text(), '\n')+1:])
	for i, r := range k.rows()[:3] {
		g.ins("MOVQ %s, %s", k.arg(fmt.Sprintf("r%d", i)), r)
	}
	if k.two {
		g.ins("MOVQ %s, R10", k.arg("r3"))
	} else {
		g.ins("MOVQ %s, R10", k.arg("cblocks"))
	}
	g.ins("MOVQ %s, R13", k.arg("w"))
	g.ins("MOVQ %s, R14", k.arg("q"))
	g.ins("MOVQ %s, DX", k.arg("k"))
	g.ins("MOVQ %s, BX", k.arg("c"))
	g.ins("LEAQ (BX)(BX*2), R11")
	g.ins("MOVL $0xAAAA, DI")
	g.ins("KMOVW DI, K1")
	if !k.fast {
		g.ins("MOVQ %s, DI", k.arg("oz"))
		g.ins("VPBROADCASTW DI, Z30")
		g.ins("MOVQ $0x40000000, DI")
		g.ins("VPBROADCASTQ DI, Z29")
	} else {
		// RQF has added the output zero point (NARROWF): −1 per lane in
		// Z16 (one row) or Z30 (two rows; Z16 holds a weight vector).
		m1 := "Z16"
		if k.two {
			m1 = "Z30"
		}
		g.ins("VPTERNLOGD $0xFF, %s, %s, %s", m1, m1, m1)
	}
	g.ins("MOVW $0x5555, DI")
	g.ins("KMOVW DI, K2")
	g.ins("VMOVDQU64 dwvPerm<>(SB), Z28")
	if k.pair != 0 {
		g.ins("VMOVDQU64 dwvPerm%d<>(SB), Z27", k.pair)
	} else if !k.c16 {
		g.ins("VMOVDQU64 dwvPerm2<>(SB), Z27") // YFULL
	}
	g.ins("VMOVDQU64 dwvT<>(SB), Z31")
	g.raw("")

	g.label(k.pfx + "block")
	for i := 0; i < k.nWRegs(); i++ {
		g.ins("VMOVDQU64 %d(R13), %s", 64*i, z(k.wBase()+i))
	}
	if k.fast {
		for _, c := range rqfRegs {
			g.ins("VMOVDQU64 %d(R14), %s", c.off, c.reg)
		}
	}
	g.ins("MOVQ %s, R8", k.arg("n4"))
	g.ins("MOVQ %s, SI", k.arg("out"))
	g.ins("MOVQ %s, R15", k.arg("tab"))
	g.ins("MOVQ %s, R12", k.arg("off0"))
	ya, yb := 4, 7 // Y_q / Y_A, Y_{q+1} / Y_B
	if k.two {
		ya, yb = 8, 12
	}
	k.build(g, "first", ya, false)
	g.raw("")
	g.label(k.pfx + "group")
	tailTest := func(three bool) {
		g.ins("CMPQ R8, $1")
		g.ins("JNE %sfull", k.pfx)
		g.ins("CMPQ %s, $2", k.arg("tail"))
		g.ins("JLE %shalf", k.pfx)
		if three {
			g.ins("CMPQ %s, $3", k.arg("tail"))
			g.ins("JEQ %sthree", k.pfx)
		}
	}
	if k.stride == 1 {
		tailTest(false)
		g.label(k.pfx + "full")
		k.build(g, "b", yb, true)
		if k.two {
			g.all(k.initAccs(4))
			k.products(g, ya, yb, 0, 4)
			k.moveY(g, yb, ya)
			g.all(k.rqCalls(4))
			g.raw("")
			g.label(k.pfx + "narrow")
			k.narrowClamp(g, false)
		} else {
			g.ins("CMPQ R8, $1")
			g.ins("JEQ %slast", k.pfx)
			g.label(k.pfx + "four")
			g.all(k.initAccs(4))
			k.products(g, ya, yb, 0, 4)
			k.moveY(g, yb, ya)
			g.all(k.rqCalls(4))
			k.narrowClamp(g, false)
		}
	} else {
		k.build(g, "b", yb, true)
		tailTest(true)
		g.label(k.pfx + "full")
		k.build(g, "c", 19, true)
		g.all(k.initAccs(4))
		k.products(g, ya, yb, 19, 4)
		k.moveY(g, 19, ya)
		g.all(k.rqCalls(4))
		k.narrowClamp(g, false)
	}
	g.raw("")
	k.store(g)

	name := func(label string) string { return k.pfx + label }
	if k.two {
		g.raw("")
		g.comment(name("half") + ` is the last group of the rows with tail ≤ 2: pixels 0 and 1 read
only Y_q, so Y_{q+1} is not built and pixels 2 and 3 are not computed
(their lanes are never stored).`)
		g.label(name("half"))
		k.tailGroup(g, 2)
		return
	}
	if k.stride == 1 {
		g.raw("")
		g.comment(name("last") + ` checks the last group of a row for tail = 3, where pixel 3 is
not computed (` + name("three") + `; its lane of Z7 is never stored).`)
		g.label(name("last"))
		g.ins("CMPQ %s, $3", k.arg("tail"))
		g.ins("JNE %s", name("four"))
		g.label(name("three"))
		k.tailGroup(g, 3)
		g.raw("")
		g.comment(name("half") + ` is the last group of a row with tail ≤ 2: pixels 0 and 1 read
only Y_q, so Y_{q+1} (often outside the row) is not built and pixels
2 and 3 are not computed (their lanes of Z7 are never stored).`)
		g.label(name("half"))
		k.tailGroup(g, 2)
		return
	}
	g.raw("")
	g.comment(name("three") + ` is the last group of a row with tail = 3: pixels 0..2 read
only Y_A and Y_B, so Y_C is not built and pixel 3 is not computed (its
lane of Z7 is never stored).`)
	g.label(name("three"))
	k.tailGroup(g, 3)
	g.raw("")
	g.comment(name("half") + ` is the last group of a row with tail ≤ 2: pixels 0 and 1 read
only Y_A and Y_B, so Y_C (often outside the row) is not built and
pixels 2 and 3 are not computed (their lanes of Z7 are never stored).`)
	g.label(name("half"))
	k.tailGroup(g, 2)
}

const fastDoc = `with RQF: for layers whose accumulators are proven to lie
in [−(2^30 − 1), 2^30 − 1] (dwVNNI.fast); q holds dwVQWordsF words per
block (the output zero point folded into K and t: oz is not read), Z22..Z26
and Z29 the block's RQF parameters, Z16 −1 per lane.`

var kernels = []kernel{
	{name: "dwInt8VNNIS1", pfx: "v1", stride: 1, doc: `One output row of the 3×3, stride 1, dilation 1 int8 depthwise layer
(see dwvnni.go): 4·n4 − 4 + tail output pixels (tail in 1..4), blocks
outside (cblocks of them), groups of four pixels inside. r0, r1, r2
point at the input rows of kernel rows 0, 1, 2 (or the pad row) at the
first block, pixels C = c bytes apart; output pixel 0's tap kx = 0
reads byte offset off0 (−PadW·C). A Y whose four pixels start at a byte
offset in [0, lim] (lim: the last pixel's offset − 3C) loads them
straight; any other takes its lane offsets and the mask of its lanes
outside the row (which read the input zero point) from its tab entry
(dwVNNI.tab: five words per Y build, in build order). w holds the packed
weights (three rows of two vectors per block), q the parameters
(dwVQWords per block), k the constants (dwVConsts), out output pixel 0
at the first block (pixels C bytes apart). clamp = 0 skips the clamp
(the range is all of int8).

Registers: Z0..Z3 the four pixels' accumulators, Z4..Z6 Y_q of rows
0..2 (then Y'), Z7..Z9 Y_{q+1} (moved to Z4..Z6 after the products, then
temporaries), Z10..Z15 the block's 6 weight vectors, Z28 dwvPerm, Z29
2^30 per 64-bit lane (RQ only), Z30 the output zero point per int16,
Z31 dwvT, K1 the odd lanes, K2 the even ones. AX, CX, R9 the rows at this
block, BX = C, R11 = 3C, R12 the byte offset of the next Y to build, R15
its tab entry, SI the output, R8 groups left, R10 blocks left, DI a
temporary.`},
	{name: "dwInt8VNNIS2", pfx: "v2", stride: 2, doc: `dwInt8VNNIS1 for horizontal stride 2 (see dwvnni.go): output pixels
4q..4q+3 read input pixels 8q..8q+8 (from off0), in Y_A (8q..8q+3), Y_B
(8q+4..8q+7) and Y_C (8q+8..8q+11, the next group's Y_A), Y_A and Y_B
then becoming Y'_A and Y'_B; w holds three rows of one vector per block.

Registers: as dwInt8VNNIS1 but Z4..Z6 Y_A, Z7..Z9 Y_B, Z19..Z21 Y_C of
rows 0..2 and Z10..Z12 the block's 3 weight vectors.`},
	{name: "dwInt8VNNIS1F", pfx: "v1f", stride: 1, fast: true, doc: "dwInt8VNNIS1 " + fastDoc},
	{name: "dwInt8VNNIS2F", pfx: "v2f", stride: 2, fast: true, doc: "dwInt8VNNIS2 " + fastDoc},
	{name: "dwInt8VNNIS1FX", pfx: "x1f", stride: 1, fast: true, split: true, doc: "dwInt8VNNIS1F " + splitDoc},
	{name: "dwInt8VNNIS2FX", pfx: "x2f", stride: 2, fast: true, split: true, doc: "dwInt8VNNIS2F " + splitDoc},
}

const splitDoc = `for split 16-bit weights w = a + b (a and b int8): w holds
per block the packed vectors of a, then those of b, then 64 bytes whose
byte kr is 0 where kernel row kr's b vectors are all zero
(dwVNNI.split); each kernel row's products are taken with a and, where
its flag is set, with b.`

var twoRowKernels = []kernel{
	{name: "dwInt8VNNIS1F2", pfx: "w2", stride: 1, two: true, fast: true, doc: `Two output rows of dwInt8VNNIS1F at once: r0..r3 the input rows (or the
pad row) of kernel rows 0..2 of the first output row (at out) and, one
row down, of the second (at out + orow); the other arguments as
dwInt8VNNIS1F's.

Registers: Z0..Z3 the first row's accumulators, Z4..Z7 the second's,
Z8..Z11 Y_q of input rows 0..3 (then Y'), Z12..Z15 Y_{q+1} (moved to
Z8..Z11 after the products, then temporaries: the first row's bytes in
Z12, the second's in Z14), Z16..Z21 the block's 6 weight vectors,
Z22..Z26 and Z29 the block's RQF parameters, Z28 dwvPerm, Z30 −1 per
lane, Z31 dwvT, K1 the odd lanes, K2 the even ones. AX, CX, R9, R10 the input rows at this block, BX = C,
R11 = 3C, R12 the byte offset of the next Y to build, R15 its tab entry,
SI the first output row, R8 groups left, DI a temporary; cblocks counts
the blocks left in its argument slot.`},
	{name: "dwInt8VNNIS12", pfx: "w1", stride: 1, two: true, doc: `dwInt8VNNIS1F2 with RQ: two output rows of dwInt8VNNIS1 at once; q
holds dwVQWords words per block, Z29 is 2^30 per 64-bit lane.`},
	{name: "dwInt8VNNIS1F2X", pfx: "x2w", stride: 1, two: true, fast: true, split: true, doc: "dwInt8VNNIS1F2 " + splitDoc},
}

// c16 returns the 16-channel variant of fast kernel k: name + "C16".
func c16(k kernel) *kernel {
	k.name += "C16"
	k.pfx += "s"
	k.c16 = true
	k.doc = k.name + ` for c = 16 (16 channels, no dilation): the four pixels of a
Y are 64 contiguous bytes, gathered by one VPERMB from memory.`
	return &k
}

// c32 returns the 32-channel variant of fast kernel k: name + "C32".
func c32(k kernel) *kernel {
	k.name += "C32"
	k.pfx += "t"
	k.pair = 32
	k.doc = k.name + ` for c = 32 (32 channels, no dilation): the four pixels' 16-byte
pieces of a Y lie in the 112 bytes from its first, gathered from two
loads (from 0 and 48) by one VPERMT2B (index dwvPerm32 in Z27).`
	return &k
}

// c48 returns the 48-channel variant of fast kernel k: name + "C48".
func c48(k kernel) *kernel {
	k.name += "C48"
	k.pfx += "u"
	k.pair = 48
	k.doc = k.name + ` for c = 48 (48 channels, no dilation): the 16-byte pieces of a
Y's pixels 0 and 1 lie in the 64 bytes from its first, those of pixels 2
and 3 in the 64 bytes from 2c = 96 on, gathered from the two loads by one
VPERMT2B (index dwvPerm48 in Z27).`
	return &k
}

// pairOff is the byte offset of the second load of a pair kernel's Y
// build from its first.
func (k *kernel) pairOff() int {
	if k.pair == 48 {
		return 96
	}
	return 48
}

// data writes a 64-byte table of eight quadwords.
func (g *gen) data(name string, q [8]uint64) {
	for i, v := range q {
		g.raw(fmt.Sprintf("DATA %s<>+%d(SB)/8, $0x%016x", name, 8*i, v))
	}
	g.raw(fmt.Sprintf("GLOBL %s<>(SB), RODATA|NOPTR, $64", name))
}

func main() {
	g := &gen{}
	g.raw("// Code generated by dwvnni_gen.go; DO NOT EDIT.", "//go:build amd64 && !noasm", "", `#include "textflag.h"`, "")

	// pieceIndex is the byte permutation index whose byte 4c + s takes
	// byte c of the 16-byte piece s, piece s starting at table byte
	// start[s].
	pieceIndex := func(start [4]int) (idx [8]uint64) {
		for c := 0; c < 16; c++ {
			for s := 0; s < 4; s++ {
				j := 4*c + s
				idx[j/8] |= uint64(start[s]+c) << (8 * (j % 8))
			}
		}
		return idx
	}
	// dwvPerm: byte 4c + s of a lane takes loaded byte 16s + c.
	perm := pieceIndex([4]int{0, 16, 32, 48})
	var trans [8]uint64
	// dwvT: dword 4p + L takes dword 4L + p.
	for p := 0; p < 4; p++ {
		for l := 0; l < 4; l++ {
			j := 4*p + l
			trans[j/2] |= uint64(4*l+p) << (32 * (j % 2))
		}
	}
	g.comment(`dwvPerm is the VPERMB index that turns four loaded pixels (byte 16s + c:
pixel s, channel c) into VPDPBUSD lanes (byte 4c + s).`)
	g.data("dwvPerm", perm)
	g.raw("")
	// dwvPerm32: byte 4c + s of a lane takes byte c of piece s, pieces at
	// bytes 0 and 32 of the first load (table 1: 0..63) and 16 and 48 of
	// the second, 48 bytes on (table 2: 64..127).
	perm32 := pieceIndex([4]int{0, 32, 80, 112})
	g.comment(`dwvPerm32 is the VPERMT2B index that turns the 16-byte pieces of four
pixels 32 bytes apart (loads from their first byte and 48 on) into
VPDPBUSD lanes (byte 4c + s: byte c of piece s).`)
	g.data("dwvPerm32", perm32)
	g.raw("")
	// dwvPerm48: pieces at bytes 0 and 48 of the first load (table 1) and
	// 0 and 48 of the second, 96 bytes on (table 2: 64..127).
	perm48 := pieceIndex([4]int{0, 48, 64, 112})
	g.comment(`dwvPerm48 is the VPERMT2B index that turns the 16-byte pieces of four
pixels 48 bytes apart (loads from their first byte and 96 on) into
VPDPBUSD lanes (byte 4c + s: byte c of piece s).`)
	g.data("dwvPerm48", perm48)
	g.raw("")
	g.comment(`dwvT is the VPERMD index that transposes the packed outputs: after the
two saturating packs, dword 4L + p holds channels 4L..4L+3 of pixel p;
output pixel p wants them at dword 4p + L.`)
	g.data("dwvT", trans)
	g.raw("")

	// dwvPerm2: byte 4c + s of a lane takes byte c of pixel s, pixels 0
	// and 1 at bytes 0 and 16 of table 1, 2 and 3 at 0 and 16 of table 2
	// (64..127).
	perm2 := pieceIndex([4]int{0, 16, 64, 80})
	g.comment(`dwvPerm2 is the VPERMT2B index that turns pixels 0 and 1 (bytes 0..31
of the first table) and 2 and 3 (of the second) into VPDPBUSD lanes
(byte 4c + s: byte c of pixel s).`)
	g.data("dwvPerm2", perm2)
	g.raw("")
	g.comment(`YFULL builds Y (see dwvnni.go) from the four pixels at P, P+C, P+2C,
P+3C (BX = C, R11 = 3C), all inside the input row: two loads and two
inserts (pixels 0, 1 into Y, 2, 3 into the temporary Z0), one VPERMT2B
(index dwvPerm2 in Z27) gathering the four bytes of each channel into
its lane, then made unsigned.`)
	g.define("YFULL", "P, Y, YX", yfull("P", "Y", "YX"))
	g.raw("")
	g.comment(`RQ requantizes accumulator A in place (temps Z7, Z8; R14 the block's
parameters): h = the rounding doubling high half of A·m, computed as
(A·m + 2^30) >> 31 on the even and odd lanes' 64-bit products (exact for
m ≥ 0); then the reference's rounding right shift by r ≥ 1 (round half
away from zero) as t − (t >> 1) with t = (h − [h < 0]) >> (r − 1): for
y = h − [h < 0] (no overflow: h > −2^31), t = 2a + b with a = y >> r and b
bit r−1 of y, and t − (t >> 1) = a + b, which is h >> r plus one exactly
when the remainder exceeds half (h ≥ 0) or is at least half plus one
(h < 0) — the reference's threshold test. |result| ≤ 2^30.`)
	g.define("RQ", "A", rq("A", "Z7", "Z8"))
	g.raw("")
	g.comment(`RQF is RQ for layers whose accumulators are proven to lie in
[−(2^30 − 1), 2^30 − 1] (dwVNNI.fast): A holds the accumulator + 2^31
(folded into the bias; as uint32 A_u = A + 2^31), the parameters are 2m
(even and odd lanes), r, the 64-bit constants K = 2^31 + 2^32·(2^(r−1) − m)
of the even and the odd lanes (words 96.. and 112..) and 2^(r−1) (words
128..). Then A_u·2m + 2^31 (VPMULUDQ) has in its high half
⌊(A_u·m + 2^30)/2^31⌋ = h + m, h the rounding doubling high half of A·m
as in RQ, so Q = A_u·2m + K (mod 2^64) has h + 2^(r−1) there; VPSHUFD
moves the even lanes' high halves beside the odd ones'. h < 0 exactly
when h + 2^(r−1) < 2^(r−1) (signed; no overflow: h ≤ 2^30 − 1 and
2^(r−1) ≤ 2^30), and the result is (h + 2^(r−1) − [h < 0]) >> r, the
reference's rounding right shift. dwvnni.go folds the output zero point z
into the constants (ozFolds): with t = 2^(r−1) + z·2^r in place of
2^(r−1) (in K and the threshold) the result is that shift plus z, which
NARROWF then packs. The parameters are loaded into
registers once per block (Z22 2m even, Z23 2m odd, Z24 K even, Z25 K
odd, Z26 t, Z29 r), −1 per lane in Z16 (RQF, one-row kernels) or Z30
(RQFT, two-row kernels: the fast kernels need no output zero point).`)
	g.define("RQF", "A", rqf("A", "Z7", "Z8", "K3", "Z16"))
	g.raw("")
	g.comment(`NARROW turns the four requantized pixels Z0..Z3 into bytes in Z7:
saturating packs to int16, + the output zero point saturating (Z30; the
reference adds it in int32 and clamps, and |v| ≤ 2^30 does not wrap, so
saturating to int16 first changes nothing: outside int16 both saturate
the byte), a saturating pack to int8 (the clamp when [lo, hi] is all of
int8), then the transpose to pixel order: pixel p in lane p.`)
	g.define("NARROW", "", narrow(accs(0), "Z7", "Z8", true))
	g.raw("")
	g.comment(`NARROWF is NARROW for RQF, which has added the output zero point (its
constants fold it in: see ozFolds in dwvnni.go); the saturating packs
clamp the sum as the reference does.`)
	g.define("NARROWF", "", narrow(accs(0), "Z7", "Z8", false))
	g.raw("")
	g.comment(`CLAMP bounds the bytes of Z7 to [lo, hi] (k bytes 64.., 128..).`)
	g.define("CLAMP", "", clamp("Z7"))
	for i := range kernels {
		g.raw("")
		kernels[i].emit(g)
		if kernels[i].fast {
			c16(kernels[i]).emit(g)
			c32(kernels[i]).emit(g)
			c48(kernels[i]).emit(g)
		}
	}

	g.raw("")
	g.comment(`Two-row kernels. Vertical stride and dilation 1: output rows oy and
oy + 1 read input rows oy − PadH + 0..2 and oy − PadH + 1..3, so one call
builds each group's Y of the four input rows once (four builds per
group instead of the six of two one-row calls) and feeds them to both
rows' accumulators: 24 VPDPBUSD and four VPSHRDD per four Y builds.`)
	g.raw("")
	rows4 := []string{"AX", "CX", "R9", "R10"}
	y4, x4 := []string{"Y0", "Y1", "Y2", "Y3"}, []string{"X0", "X1", "X2", "X3"}
	g.comment(`YFULL4 builds the Y of the four rows (AX, CX, R9, R10) from byte offset R12.`)
	var yf4 []string
	for i, r := range rows4 {
		yf4 = append(yf4, "LEAQ ("+r+")(R12*1), DI", "YFULL(DI, "+y4[i]+", "+x4[i]+")")
	}
	g.define("YFULL4", "Y0, Y1, Y2, Y3, X0, X1, X2, X3", yf4)
	g.raw("")
	g.comment(`YTAB4 builds the Y of the four rows from the tab entry at R15: lane
offsets, lanes outside the row take the zero point (k bytes 256..319).`)
	g.define("YTAB4", "Y0, Y1, Y2, Y3, X0, X1, X2, X3", ytab(rows4, y4, x4, false))
	g.raw("")
	a4 := []string{"A0", "A1", "A2", "A3"}
	g.comment(`RQFT is RQF with temporaries T1, T2 and mask KT.`)
	g.define("RQFT", "A, T1, T2, KT", rqf("A", "T1", "T2", "KT", "Z30"))
	g.raw("")
	g.comment(`NARROWT is NARROW of A0..A3 into O (temporary T).`)
	g.define("NARROWT", "A0, A1, A2, A3, O, T", narrow(a4, "O", "T", true))
	g.raw("")
	g.comment(`NARROWTF is NARROWF of A0..A3 into O (temporary T).`)
	g.define("NARROWTF", "A0, A1, A2, A3, O, T", narrow(a4, "O", "T", false))
	g.raw("")
	g.comment(`RQT is RQ with temporaries T1, T2.`)
	g.define("RQT", "A, T1, T2", rq("A", "T1", "T2"))
	for i := range twoRowKernels {
		g.raw("")
		twoRowKernels[i].emit(g)
		if twoRowKernels[i].fast {
			c16(twoRowKernels[i]).emit(g)
			c32(twoRowKernels[i]).emit(g)
			c48(twoRowKernels[i]).emit(g)
		}
	}

	if err := os.WriteFile("dwvnni_amd64.s", []byte(g.b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
