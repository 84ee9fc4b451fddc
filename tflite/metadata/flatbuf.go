package metadata

import (
	"encoding/binary"
	"fmt"
	"math"
)

// fbuf reads a flatbuffer with every access bounds-checked. The first
// problem is kept in err; later reads return zero values, so parsing code
// reads a whole table and checks err once. Nothing here panics on any input.
type fbuf struct {
	b   []byte
	err error
}

// tbl is a located table: its position and vtable. The zero tbl is an
// absent table, whose fields all read as absent.
type tbl struct {
	pos, vt, vtLen uint32
	ok             bool
}

// vec is a located vector: the position of its first element and its length.
type vec struct {
	pos, n uint32
}

func (r *fbuf) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *fbuf) check(pos, n uint32, what string) bool {
	if r.err != nil {
		return false
	}
	if uint64(pos)+uint64(n) > uint64(len(r.b)) {
		r.fail("%s at offset %d (+%d bytes) is outside the %d-byte buffer", what, pos, n, len(r.b))
		return false
	}
	return true
}

func (r *fbuf) u32(pos uint32, what string) uint32 {
	if !r.check(pos, 4, what) {
		return 0
	}
	return binary.LittleEndian.Uint32(r.b[pos:])
}

func (r *fbuf) u16(pos uint32, what string) uint16 {
	if !r.check(pos, 2, what) {
		return 0
	}
	return binary.LittleEndian.Uint16(r.b[pos:])
}

// root returns the root table.
func (r *fbuf) root(what string) tbl { return r.tableAt(r.u32(0, "root offset"), what) }

func (r *fbuf) tableAt(pos uint32, what string) tbl {
	if r.err != nil {
		return tbl{}
	}
	so := int64(int32(r.u32(pos, what)))
	vt := int64(pos) - so
	if r.err != nil {
		return tbl{}
	}
	if vt < 0 || vt > int64(len(r.b))-4 {
		r.fail("%s: vtable offset %d is outside the buffer", what, vt)
		return tbl{}
	}
	vtLen := uint32(r.u16(uint32(vt), what))
	if vtLen < 4 || vtLen%2 != 0 || !r.check(uint32(vt), vtLen, what+" vtable") {
		r.fail("%s: bad vtable length %d", what, vtLen)
		return tbl{}
	}
	return tbl{pos: pos, vt: uint32(vt), vtLen: vtLen, ok: true}
}

// field returns the absolute position of field id of t, or 0 when absent.
func (r *fbuf) field(t tbl, id int, size uint32, what string) uint32 {
	if !t.ok || r.err != nil {
		return 0
	}
	slot := 4 + 2*uint32(id)
	if slot+2 > t.vtLen {
		return 0
	}
	off := uint32(r.u16(t.vt+slot, what))
	if off == 0 {
		return 0
	}
	pos := t.pos + off
	if pos < t.pos || !r.check(pos, size, what) {
		r.fail("%s: field outside the buffer", what)
		return 0
	}
	return pos
}

// ref follows the uoffset stored at field id; 0 when absent.
func (r *fbuf) ref(t tbl, id int, what string) uint32 {
	pos := r.field(t, id, 4, what)
	if pos == 0 {
		return 0
	}
	target := uint64(pos) + uint64(r.u32(pos, what))
	if target >= uint64(len(r.b)) {
		r.fail("%s: offset points outside the buffer", what)
		return 0
	}
	return uint32(target)
}

func (r *fbuf) table(t tbl, id int, what string) tbl {
	pos := r.ref(t, id, what)
	if pos == 0 {
		return tbl{}
	}
	return r.tableAt(pos, what)
}

func (r *fbuf) u8(t tbl, id int, def uint8, what string) uint8 {
	pos := r.field(t, id, 1, what)
	if pos == 0 {
		return def
	}
	return r.b[pos]
}

func (r *fbuf) u32f(t tbl, id int, def uint32, what string) uint32 {
	pos := r.field(t, id, 4, what)
	if pos == 0 {
		return def
	}
	return r.u32(pos, what)
}

func (r *fbuf) i32f(t tbl, id int, def int32, what string) int32 {
	return int32(r.u32f(t, id, uint32(def), what))
}

func (r *fbuf) f32f(t tbl, id int, def float32, what string) float32 {
	return math.Float32frombits(r.u32f(t, id, math.Float32bits(def), what))
}

func (r *fbuf) u64f(t tbl, id int, what string) uint64 {
	pos := r.field(t, id, 8, what)
	if pos == 0 {
		return 0
	}
	return binary.LittleEndian.Uint64(r.b[pos:])
}

// vector locates the vector at field id with elements of elem bytes.
func (r *fbuf) vector(t tbl, id int, elem uint32, what string) vec {
	pos := r.ref(t, id, what)
	if pos == 0 {
		return vec{}
	}
	n := r.u32(pos, what+" length")
	if r.err != nil {
		return vec{}
	}
	if uint64(n)*uint64(elem) > uint64(len(r.b))-uint64(pos)-4 {
		r.fail("%s: %d elements overrun the buffer", what, n)
		return vec{}
	}
	return vec{pos: pos + 4, n: n}
}

// bytes returns the [ubyte] vector at field id (aliasing the buffer).
func (r *fbuf) bytes(t tbl, id int, what string) []byte {
	v := r.vector(t, id, 1, what)
	if v.n == 0 {
		return nil
	}
	return r.b[v.pos : v.pos+v.n : v.pos+v.n]
}

// str returns the string at field id, at most maxLen bytes.
func (r *fbuf) str(t tbl, id int, what string) string {
	b := r.bytes(t, id, what)
	if len(b) > maxString {
		r.fail("%s: %d-byte string is over the %d-byte limit", what, len(b), maxString)
		return ""
	}
	return string(b)
}

// elemTable returns table i of a vector of tables.
func (r *fbuf) elemTable(v vec, i uint32, what string) tbl {
	pos := v.pos + 4*i
	target := uint64(pos) + uint64(r.u32(pos, what))
	if r.err != nil {
		return tbl{}
	}
	if target >= uint64(len(r.b)) {
		r.fail("%s %d: offset points outside the buffer", what, i)
		return tbl{}
	}
	return r.tableAt(uint32(target), what)
}

// elemString returns string i of a vector of strings.
func (r *fbuf) elemString(v vec, i uint32, what string) string {
	pos := v.pos + 4*i
	target := uint64(pos) + uint64(r.u32(pos, what))
	if r.err != nil {
		return ""
	}
	if target+4 > uint64(len(r.b)) {
		r.fail("%s %d: offset points outside the buffer", what, i)
		return ""
	}
	n := r.u32(uint32(target), what)
	if uint64(n) > uint64(len(r.b))-target-4 || n > maxString {
		r.fail("%s %d: string of %d bytes overruns the buffer or the limit", what, i, n)
		return ""
	}
	return string(r.b[target+4 : target+4+uint64(n)])
}

// floats returns the [float] vector at field id.
func (r *fbuf) floats(t tbl, id int, what string) []float32 {
	v := r.vector(t, id, 4, what)
	if v.n > maxVector {
		r.fail("%s: %d values are over the limit of %d", what, v.n, maxVector)
		return nil
	}
	var out []float32
	for i := range v.n {
		out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(r.b[v.pos+4*i:])))
	}
	return out
}

// uints returns the [uint] vector at field id.
func (r *fbuf) uints(t tbl, id int, what string) []uint32 {
	v := r.vector(t, id, 4, what)
	if v.n > maxVector {
		r.fail("%s: %d values are over the limit of %d", what, v.n, maxVector)
		return nil
	}
	var out []uint32
	for i := range v.n {
		out = append(out, binary.LittleEndian.Uint32(r.b[v.pos+4*i:]))
	}
	return out
}

// tables returns the vector of tables at field id, at most maxVector long.
func (r *fbuf) tables(t tbl, id int, what string) []tbl {
	v := r.vector(t, id, 4, what)
	if v.n > maxVector {
		r.fail("%s: %d entries are over the limit of %d", what, v.n, maxVector)
		return nil
	}
	var out []tbl
	for i := uint32(0); i < v.n && r.err == nil; i++ {
		out = append(out, r.elemTable(v, i, what))
	}
	return out
}
