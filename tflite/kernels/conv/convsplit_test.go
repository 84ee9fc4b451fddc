package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestConvSplit checks ConvSplit against ConvRef (the uint8 reference
// kernel) on 1×1 stride-1 convolutions (the input's rows) and windows with
// strides, dilations and padding (im2col rows), whose weights need one,
// two and three int8 parts (v = w − zw up to ±255 at zero points 0 and
// 255), every output channel compared.
func TestConvSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	ran := 0
	for i := range 120 {
		c, ok := randUint8ConvCase(r, i)
		if !ok {
			continue
		}
		p, err := NewConvSplit(c.g, c.fw, c.zw, Uint8AsInt8(c.q), c.bias)
		if err != nil {
			t.Fatal(err)
		}
		if p == nil {
			continue // nothing outside int8, or too many columns to append
		}
		x8 := make([]int8, len(c.in))
		FlipSign(x8, c.in)
		want := c.want()
		scratch := randInt8s(r, p.ScratchBytes()) // stale scratch must not matter
		p.Augment(x8, scratch)
		got8 := make([]int8, len(want))
		n := p.Parts(3)
		goPar(n, func(lo, hi int) { p.RunParts(scratch, got8, n, lo, hi) })
		checkFlipped(t, got8, want, fmt.Sprintf("case %d (zw %d, %d appended columns)", i, c.zw, p.Appended()))
		ran++
	}
	if ran < 40 {
		t.Fatalf("only %d cases had weights outside int8", ran)
	}
}
