//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

// hasLookupVec reports the AVX-512 subset lookupBytesAVX512 needs (VBMI
// for VPERMI2B; read-only after start-up).
var hasLookupVec = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI

//go:noescape
func lookupBytesAVX512(tab *[256]byte, in, out *byte, n int)

// lookupBytesVec is LookupBytes on AVX-512 VBMI; it reports false, having
// written nothing, where the CPU lacks it. len(out) == len(in).
func lookupBytesVec(tab *[256]byte, in, out []byte) bool {
	if !hasLookupVec {
		return false
	}
	if len(in) > 0 {
		lookupBytesAVX512(tab, &in[0], &out[0], len(in))
	}
	return true
}
