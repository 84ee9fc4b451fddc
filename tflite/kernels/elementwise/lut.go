package elementwise

// LUT8 is the table of an elementwise function of one 8-bit value: entry
// uint8(v) is f(v). A quantized unary operator's output depends on its
// input value alone, so its 256 results, computed once by the reference
// arithmetic, give identical outputs at a load and a store per element.
type LUT8[T, U Byte] [256]U

// NewLUT8 tabulates f (a slice function such as LeakyReluQuant bound to
// its parameters) over every value of T.
func NewLUT8[T, U Byte](f func(in []T, out []U)) *LUT8[T, U] {
	var in [256]T
	var lut [256]U
	for i := range in {
		in[i] = T(i) // int8: 0..127 then -128..-1, so entry uint8(v) holds v
	}
	f(in[:], lut[:])
	t := LUT8[T, U](lut)
	return &t
}

// Apply writes t[in[i]] to out[i].
func (t *LUT8[T, U]) Apply(in []T, out []U) {
	out = out[:len(in)]
	for len(in) >= 8 {
		o := out[:8:8]
		o[0], o[1], o[2], o[3] = t[uint8(in[0])], t[uint8(in[1])], t[uint8(in[2])], t[uint8(in[3])]
		o[4], o[5], o[6], o[7] = t[uint8(in[4])], t[uint8(in[5])], t[uint8(in[6])], t[uint8(in[7])]
		in, out = in[8:], out[8:]
	}
	for i, v := range in {
		out[i] = t[uint8(v)]
	}
}
