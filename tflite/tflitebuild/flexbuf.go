package tflitebuild

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
)

// FlexMap encodes m as a FlexBuffer whose root is a map, the format of
// custom operators' custom_options. Values may be int, float32, float64,
// bool or []int (a typed vector of integers); everything is stored 8 bytes
// wide, keys sorted as FlexBuffers require.
func FlexMap(m map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []byte
	kpos := make([]int, len(keys))
	for i, k := range keys {
		kpos[i] = len(b)
		b = append(b, k...)
		b = append(b, 0)
	}
	pad := func() {
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
	}
	u64 := func(v uint64) { b = binary.LittleEndian.AppendUint64(b, v) }
	pad()
	// Integer vectors ([]int) go before the map: length, then elements.
	vpos := make(map[string]int)
	for _, k := range keys {
		if v, ok := m[k].([]int); ok {
			u64(uint64(len(v)))
			vpos[k] = len(b)
			for _, x := range v {
				u64(uint64(int64(x)))
			}
		}
	}
	u64(uint64(len(keys)))
	kvec := len(b)
	for i := range keys {
		u64(uint64(len(b) - kpos[i]))
	}
	u64(uint64(len(b) - kvec)) // keys vector offset
	u64(8)                     // keys byte width
	u64(uint64(len(keys)))
	mpos := len(b)
	types := make([]byte, len(keys))
	for i, k := range keys {
		switch v := m[k].(type) {
		case int:
			u64(uint64(int64(v)))
			types[i] = 1<<2 | 3
		case float32:
			u64(math.Float64bits(float64(v)))
			types[i] = 3<<2 | 3
		case float64:
			u64(math.Float64bits(v))
			types[i] = 3<<2 | 3
		case []int:
			u64(uint64(len(b) - vpos[k]))
			types[i] = 11<<2 | 3
		case bool:
			var x uint64
			if v {
				x = 1
			}
			u64(x)
			types[i] = 26 << 2
		default:
			return nil, fmt.Errorf("%w: flexbuffer value %q of type %T", ErrBuild, k, v)
		}
	}
	b = append(b, types...)
	pad()
	u64(uint64(len(b) - mpos))
	b = append(b, 9<<2|3, 8)
	return b, nil
}
