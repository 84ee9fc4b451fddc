package kernels

// LookupBytes writes tab[in[i]] to out[i] for every i < len(in): 64 bytes
// a step on AVX-512 VBMI, 8 at a time otherwise. out must hold len(in)
// bytes; in and out may be the same slice.
func LookupBytes(tab *[256]byte, in, out []byte) {
	out = out[:len(in)]
	if lookupBytesVec(tab, in, out) {
		return
	}
	for len(in) >= 8 {
		o := out[:8:8]
		o[0], o[1], o[2], o[3] = tab[in[0]], tab[in[1]], tab[in[2]], tab[in[3]]
		o[4], o[5], o[6], o[7] = tab[in[4]], tab[in[5]], tab[in[6]], tab[in[7]]
		in, out = in[8:], out[8:]
	}
	for i, v := range in {
		out[i] = tab[v]
	}
}
