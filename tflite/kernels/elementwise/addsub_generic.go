//go:build !amd64 || noasm

package elementwise

// addSubVec is empty: there is no vector kernel on this architecture.
type addSubVec struct{}

func addSubVector(p *AddSub) (addSubVec, bool) { return addSubVec{}, false }

func addSubInt8Vec[T Quant](v *addSubVec, a, b, out []T) int { return 0 }
