package shape

// MaxTableElements bounds the element tables that TableCopy plans use (one
// int32 per output element).
const MaxTableElements = 1 << 24

// Table maps every output element to the flat index of the input element
// it copies, or -1 for the fill value. It is built once at load.
type Table []int32

// NewTable walks the output shape in C order and asks src for the source
// index of each element (idx is reused between calls; src must not keep
// it).
func NewTable(out []int, src func(idx []int) int) Table {
	n := 1
	for _, d := range out {
		n *= d
	}
	t := make(Table, n)
	idx := make([]int, len(out))
	for i := range n {
		t[i] = int32(src(idx))
		for d := len(out) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < out[d] {
				break
			}
			idx[d] = 0
		}
	}
	return t
}

// Run copies elements of es bytes from src to dst as the table says;
// fill (es bytes) goes where the table holds -1.
func (t Table) Run(dst, src []byte, es int, fill []byte) {
	switch es {
	case 1:
		for i, s := range t {
			if s < 0 {
				dst[i] = fill[0]
			} else {
				dst[i] = src[s]
			}
		}
	default:
		for i, s := range t {
			d := dst[i*es : i*es+es]
			if s < 0 {
				copy(d, fill)
			} else {
				copy(d, src[int(s)*es:int(s)*es+es])
			}
		}
	}
}

// Strides returns the C-order element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}
