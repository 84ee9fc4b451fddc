//go:build !amd64 || noasm

package elementwise

// mulVec is empty: there is no vector kernel on this architecture.
type mulVec struct{}

func mulVectors(p *Mul) (mulVec, bool) { return mulVec{}, false }

func mulInt8Vec(v *mulVec, a, b, out []int8) int { return 0 }
