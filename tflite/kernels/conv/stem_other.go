//go:build !amd64 || noasm

package conv

// hasStem is false: no stem kernel here (NewStem returns nil).
const hasStem = false

func stemTilesU(a *stemArgs) { panic("conv: stemTilesU without its kernel") }

func stemTilesC(a *stemArgs) { panic("conv: stemTilesC without its kernel") }
