package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// TestConvRows checks ConvRows against ConvRef (the uint8 reference
// kernel) on 1×1 stride-1 convolutions (the input's rows) and windows with
// strides, dilations and padding (im2col rows), weights spread over
// [0, 255] or near their zero point, zero points 0, 1, 254, 255.
func TestConvRows(t *testing.T) {
	if !gemm.RowTermsFast() {
		t.Skip("no vector row-term GEMM on this machine")
	}
	r := rand.New(rand.NewPCG(41, 42))
	ran := 0
	for i := range 120 {
		c, ok := randUint8ConvCase(r, i)
		if !ok {
			continue
		}
		p, err := NewConvRows(c.g, c.fw, c.zw, Uint8AsInt8(c.q), c.bias)
		if err != nil || p == nil {
			t.Fatalf("case %d: NewConvRows: %v", i, err)
		}
		x8 := make([]int8, len(c.in))
		FlipSign(x8, c.in)
		want := c.want()
		scratch := randInt8s(r, p.ScratchBytes()) // stale scratch must not matter
		got8 := make([]int8, len(want))
		n := p.Parts(3)
		goPar(n, func(lo, hi int) { p.RunParts(x8, got8, scratch, n, lo, hi) })
		checkFlipped(t, got8, want, fmt.Sprintf("case %d (zw %d, %+v)", i, c.zw, c.g))
		ran++
	}
	if ran < 80 {
		t.Fatalf("only %d cases ran", ran)
	}
}
