//go:build amd64 && !noasm

package conv

import "golang.org/x/sys/cpu"

// hasStem reports what stemTiles needs: AVX-512 with byte permutes (VBMI)
// and VNNI (read-only after start-up).
var hasStem = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI && cpu.X86.HasAVX512VNNI

//go:noescape
func stemTilesU(a *stemArgs)

//go:noescape
func stemTilesC(a *stemArgs)
