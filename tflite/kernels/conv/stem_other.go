//go:build !amd64 || noasm

package conv

// hasStem is false: no stem kernel here (NewStem returns nil).
const hasStem = false

func stemTiles(a *stemArgs) { panic("conv: stemTiles without its kernel") }
