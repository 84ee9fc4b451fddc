package tensor

import "fmt"

// DType is the element type of a tensor.
type DType uint8

// The element types edgeinfer knows. Not every engine kernel supports every
// type; the engine says so at load time.
const (
	Invalid DType = iota
	Float32
	Float16
	Float64
	Int8
	Int16
	Int32
	Int64
	Uint8
	Uint16
	Uint32
	Uint64
	Bool
	String
	// Complex64 is a pair of float32 (real, imaginary), 8 bytes.
	Complex64
	// Resource is a handle to a resource variable (an int32 id the engine
	// assigns); it never crosses the engine's API.
	Resource
)

var dtypeNames = [...]string{
	Invalid:   "invalid",
	Float32:   "float32",
	Float16:   "float16",
	Float64:   "float64",
	Int8:      "int8",
	Int16:     "int16",
	Int32:     "int32",
	Int64:     "int64",
	Uint8:     "uint8",
	Uint16:    "uint16",
	Uint32:    "uint32",
	Uint64:    "uint64",
	Bool:      "bool",
	String:    "string",
	Complex64: "complex64",
	Resource:  "resource",
}

var dtypeSizes = [...]int{
	Float32: 4, Float16: 2, Float64: 8,
	Int8: 1, Int16: 2, Int32: 4, Int64: 8,
	Uint8: 1, Uint16: 2, Uint32: 4, Uint64: 8,
	Bool: 1, Complex64: 8, Resource: 4,
}

// String returns the lower-case name of the type ("float32", "int8", ...).
func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Size returns the size of one element in bytes, or 0 for Invalid, String and
// unknown values.
func (d DType) Size() int {
	if int(d) < len(dtypeSizes) {
		return dtypeSizes[d]
	}
	return 0
}

// ParseDType returns the DType named s, as returned by DType.String.
func ParseDType(s string) (DType, error) {
	for i, n := range dtypeNames {
		if n == s && i != int(Invalid) {
			return DType(i), nil
		}
	}
	return Invalid, fmt.Errorf("tensor: unknown dtype %q", s)
}
