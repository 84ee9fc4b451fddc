//go:build !amd64 || noasm

package conv

// flipSignVec has no vector kernel here: FlipSign flips words.
func flipSignVec(dst, src []byte) bool { return false }
