package tensor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
)

// ErrNpy reports a .npy stream that is malformed, truncated, over a limit,
// or uses a feature this codec does not support. Every error returned by the
// .npy functions wraps it; truncation also wraps io.ErrUnexpectedEOF.
var ErrNpy = errors.New("tensor: bad .npy")

// Limits of the .npy codec.
const (
	// MaxNpyHeaderLen bounds the header dictionary of a .npy file in bytes
	// (numpy itself refuses headers over 10000 bytes unless told otherwise).
	MaxNpyHeaderLen = 64 << 10
	// MaxNpyRank bounds the number of dimensions (numpy's own limit is 64).
	MaxNpyRank = 64
	// npyChunk is the most ReadNpy allocates ahead of data it has actually
	// read: a header that claims gigabytes in front of a short stream costs
	// at most this much before the truncation is found.
	npyChunk = 1 << 20
)

var npyMagic = []byte("\x93NUMPY")

// NpyHeader is the decoded preamble and header of a .npy stream. After
// ReadNpyHeader the reader is positioned at the first data byte, and the data
// is DataLen bytes of elements in C order, each ElemSize bytes, big-endian
// when BigEndian is set.
type NpyHeader struct {
	// Major and Minor are the format version: 1.0, 2.0 or 3.0.
	Major, Minor int
	// Descr is the dtype descriptor as written in the file, e.g. "<f4".
	Descr string
	// DType is the element type Descr denotes.
	DType DType
	// BigEndian reports that the data is stored big-endian; the readers in
	// this package convert it to little-endian.
	BigEndian bool
	// FortranOrder is the header's fortran_order flag. It is only accepted
	// when the layout is the same as C order (at most one dimension > 1).
	FortranOrder bool
	// Shape is the array shape; a scalar has an empty shape.
	Shape Shape
	// DataOffset is the number of bytes before the data (preamble + header).
	DataOffset int64
}

// ElemSize returns the size of one element in bytes.
func (h NpyHeader) ElemSize() int { return h.DType.Size() }

// NumElements returns the number of elements the header declares.
func (h NpyHeader) NumElements() int { return h.Shape.Elements() }

// DataLen returns the length of the data in bytes.
func (h NpyHeader) DataLen() int64 { return int64(h.Shape.Elements()) * int64(h.DType.Size()) }

// RecordShape returns the shape of one record along the leading dimension
// (Shape[1:]). It is nil for a scalar.
func (h NpyHeader) RecordShape() Shape {
	if len(h.Shape) == 0 {
		return nil
	}
	return h.Shape[1:].Clone()
}

// RecordLen returns the size in bytes of one record along the leading
// dimension, or 0 for a scalar.
func (h NpyHeader) RecordLen() int {
	if len(h.Shape) == 0 {
		return 0
	}
	return h.Shape[1:].Elements() * h.DType.Size()
}

// ToLittleEndian converts data read after this header to little-endian in
// place. It does nothing when the data is already little-endian; data must
// hold whole elements.
func (h NpyHeader) ToLittleEndian(data []byte) {
	if h.BigEndian {
		swapBytes(data, h.DType.Size())
	}
}

// ReadNpyHeader reads the preamble and header of a .npy stream and leaves r
// at the first data byte, so that a caller can stream the data (for example
// record by record along a leading batch dimension, see NpyReader). It reads
// exactly DataOffset bytes.
func ReadNpyHeader(r io.Reader) (NpyHeader, error) {
	var h NpyHeader
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return h, npyReadErr("preamble", err)
	}
	if string(pre[:6]) != string(npyMagic) {
		return h, fmt.Errorf("%w: missing the \\x93NUMPY magic", ErrNpy)
	}
	h.Major, h.Minor = int(pre[6]), int(pre[7])
	var hlen int64
	switch {
	case h.Major == 1 && h.Minor == 0:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return h, npyReadErr("header length", err)
		}
		hlen = int64(binary.LittleEndian.Uint16(pre[8:10]))
		h.DataOffset = 10 + hlen
	case (h.Major == 2 || h.Major == 3) && h.Minor == 0:
		if _, err := io.ReadFull(r, pre[8:12]); err != nil {
			return h, npyReadErr("header length", err)
		}
		hlen = int64(binary.LittleEndian.Uint32(pre[8:12]))
		h.DataOffset = 12 + hlen
	default:
		return h, fmt.Errorf("%w: format version %d.%d is not 1.0, 2.0 or 3.0", ErrNpy, h.Major, h.Minor)
	}
	if hlen > MaxNpyHeaderLen {
		return h, fmt.Errorf("%w: header of %d bytes is over the limit of %d", ErrNpy, hlen, MaxNpyHeaderLen)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return h, npyReadErr("header", err)
	}
	if err := h.parseDict(string(buf)); err != nil {
		return h, err
	}
	return h, nil
}

func npyReadErr(what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: truncated %s: %w", ErrNpy, what, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%w: reading the %s: %w", ErrNpy, what, err)
}

// parseDict parses the Python dict literal of the header:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
func (h *NpyHeader) parseDict(s string) error {
	p := &pyParser{s: s}
	var haveDescr, haveOrder, haveShape bool
	p.space()
	if !p.eat('{') {
		return p.errf("header does not start with '{'")
	}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.space()
		if !p.eat(':') {
			return p.errf("missing ':' after key %q", key)
		}
		p.space()
		switch key {
		case "descr":
			if haveDescr {
				return p.errf("duplicate key %q", key)
			}
			haveDescr = true
			if p.peek() == '[' {
				return fmt.Errorf("%w: structured dtypes are not supported", ErrNpy)
			}
			if h.Descr, err = p.str(); err != nil {
				return err
			}
		case "fortran_order":
			if haveOrder {
				return p.errf("duplicate key %q", key)
			}
			haveOrder = true
			switch {
			case p.word("True"):
				h.FortranOrder = true
			case p.word("False"):
			default:
				return p.errf("fortran_order is not True or False")
			}
		case "shape":
			if haveShape {
				return p.errf("duplicate key %q", key)
			}
			haveShape = true
			if h.Shape, err = p.tuple(); err != nil {
				return err
			}
		default:
			return p.errf("unexpected key %q", key)
		}
		p.space()
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return p.errf("missing ',' or '}'")
		}
	}
	p.space()
	if p.i != len(p.s) {
		return p.errf("trailing bytes after the dict")
	}
	if !haveDescr || !haveOrder || !haveShape {
		return fmt.Errorf("%w: header lacks one of 'descr', 'fortran_order', 'shape'", ErrNpy)
	}
	dt, big, err := parseDescr(h.Descr)
	if err != nil {
		return err
	}
	h.DType, h.BigEndian = dt, big
	if _, err := h.Shape.NumElements(); err != nil {
		return fmt.Errorf("%w: %w", ErrNpy, err)
	}
	if h.FortranOrder {
		big := 0
		for _, d := range h.Shape {
			if d > 1 {
				big++
			}
		}
		if big > 1 {
			return fmt.Errorf("%w: fortran_order data of shape %v is not supported (C order only)", ErrNpy, h.Shape)
		}
	}
	return nil
}

// parseDescr maps a numpy dtype descriptor to a DType.
func parseDescr(d string) (DType, bool, error) {
	if d == "?" {
		return Bool, false, nil
	}
	if len(d) != 3 {
		return Invalid, false, fmt.Errorf("%w: unsupported dtype %q", ErrNpy, d)
	}
	var dt DType
	switch d[1:] {
	case "b1":
		dt = Bool
	case "i1":
		dt = Int8
	case "u1":
		dt = Uint8
	case "i2":
		dt = Int16
	case "u2":
		dt = Uint16
	case "i4":
		dt = Int32
	case "u4":
		dt = Uint32
	case "i8":
		dt = Int64
	case "u8":
		dt = Uint64
	case "f2":
		dt = Float16
	case "f4":
		dt = Float32
	case "f8":
		dt = Float64
	case "c8":
		dt = Complex64
	default:
		return Invalid, false, fmt.Errorf("%w: unsupported dtype %q", ErrNpy, d)
	}
	switch d[0] {
	case '<', '=':
		return dt, false, nil
	case '>':
		if dt == Complex64 {
			return Invalid, false, fmt.Errorf("%w: big-endian complex dtype %q is not supported", ErrNpy, d)
		}
		return dt, dt.Size() > 1, nil
	case '|':
		if dt.Size() != 1 {
			return Invalid, false, fmt.Errorf("%w: dtype %q: '|' (no byte order) on a multi-byte type", ErrNpy, d)
		}
		return dt, false, nil
	}
	return Invalid, false, fmt.Errorf("%w: dtype %q has an unknown byte order %q", ErrNpy, d, d[0])
}

// pyParser reads the small subset of Python literals a .npy header uses.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) errf(format string, args ...any) error {
	return fmt.Errorf("%w: header at byte %d: %s", ErrNpy, p.i, fmt.Sprintf(format, args...))
}

func (p *pyParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a quoted string without escapes (none of the keys or dtype
// descriptors we accept contain any).
func (p *pyParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errf("expected a quoted string")
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", p.errf("escape sequences are not supported")
	}
	p.i += end + 2
	return v, nil
}

// tuple reads a tuple of non-negative integers: (), (3,), (2, 3), with an
// optional Python 2 'L' suffix on each integer.
func (p *pyParser) tuple() (Shape, error) {
	if !p.eat('(') {
		return nil, p.errf("shape is not a tuple")
	}
	shape := Shape{}
	for {
		p.space()
		if p.eat(')') {
			break
		}
		if len(shape) == MaxNpyRank {
			return nil, p.errf("shape has more than %d dimensions", MaxNpyRank)
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if start == p.i {
			return nil, p.errf("shape element is not a non-negative integer")
		}
		d, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil || d > MaxElements {
			return nil, p.errf("shape element %s is over the limit of %d", p.s[start:p.i], MaxElements)
		}
		shape = append(shape, int(d))
		p.eat('L')
		p.space()
		if p.eat(')') {
			if len(shape) == 1 {
				// (3) is the integer 3 in Python, not a tuple.
				return nil, p.errf("shape (%d) is not a tuple; a 1-D shape is written (%d,)", d, d)
			}
			break
		}
		if !p.eat(',') {
			return nil, p.errf("missing ',' or ')' in the shape")
		}
	}
	return shape, nil
}

// ReadNpy reads a whole .npy stream into a tensor. Big-endian data is
// converted to little-endian. It reads exactly the header and the data
// (trailing bytes are left unread). Unless r can tell that the data is all
// there, memory grows with the data actually received (at most 4× it, plus
// 1 MiB), so a header that lies about its size costs little.
func ReadNpy(r io.Reader) (*Tensor, error) {
	return ReadNpyLimit(r, -1)
}

// ReadNpyLimit is ReadNpy with a cap on the data length in bytes: a header
// that declares more than maxBytes is an error before any data is read.
// A negative maxBytes means no cap beyond MaxElements.
func ReadNpyLimit(r io.Reader, maxBytes int64) (*Tensor, error) {
	h, err := ReadNpyHeader(r)
	if err != nil {
		return nil, err
	}
	if maxBytes >= 0 && h.DataLen() > maxBytes {
		return nil, fmt.Errorf("%w: data of %d bytes is over the limit of %d", ErrNpy, h.DataLen(), maxBytes)
	}
	data, err := readNpyData(r, h.DataLen())
	if err != nil {
		return nil, err
	}
	h.ToLittleEndian(data)
	return &Tensor{DType: h.DType, Shape: h.Shape, Data: data}, nil
}

// readNpyData reads exactly n bytes. When r can say how many bytes it has
// left (Len, as bytes.Reader has, or Seek, as os.File has) and that covers
// n, the buffer is allocated once. Otherwise it grows by a factor of 4 as
// data arrives, so that memory stays within 4× what was received (plus
// npyChunk) whatever the header claims.
func readNpyData(r io.Reader, n int64) ([]byte, error) {
	if n <= npyChunk || remaining(r) >= n {
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, npyDataErr(0, n, err)
		}
		return buf, nil
	}
	buf := make([]byte, 0, npyChunk)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(int64(cap(buf))*4, n))
			copy(nb, buf)
			buf = nb
		}
		k, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err != nil {
			return nil, npyDataErr(int64(len(buf)), n, err)
		}
	}
	return buf, nil
}

// remaining returns how many bytes r can still deliver, or -1 when it
// cannot tell.
func remaining(r io.Reader) int64 {
	switch x := r.(type) {
	case interface{ Len() int }:
		return int64(x.Len())
	case io.Seeker:
		cur, err := x.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		end, err := x.Seek(0, io.SeekEnd)
		if _, err2 := x.Seek(cur, io.SeekStart); err != nil || err2 != nil {
			return -1
		}
		return end - cur
	}
	return -1
}

func npyDataErr(got, want int64, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: truncated data: want %d bytes: %w", ErrNpy, want, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%w: reading the data after %d of %d bytes: %w", ErrNpy, got, want, err)
}

// swapBytes reverses the byte order of each size-byte element of b.
func swapBytes(b []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+1 < len(b); i += 2 {
			binary.LittleEndian.PutUint16(b[i:], bits.ReverseBytes16(binary.LittleEndian.Uint16(b[i:])))
		}
	case 4:
		for i := 0; i+3 < len(b); i += 4 {
			binary.LittleEndian.PutUint32(b[i:], bits.ReverseBytes32(binary.LittleEndian.Uint32(b[i:])))
		}
	case 8:
		for i := 0; i+7 < len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], bits.ReverseBytes64(binary.LittleEndian.Uint64(b[i:])))
		}
	}
}

// NpyReader streams a .npy file with a leading batch dimension record by
// record. It is not safe for concurrent use.
type NpyReader struct {
	r    io.Reader
	h    NpyHeader
	left int // records not yet read
}

// NewNpyReader reads the header from r and returns a reader of its records
// (slices along the leading dimension). A scalar .npy has no records and is
// an error.
func NewNpyReader(r io.Reader) (*NpyReader, error) {
	h, err := ReadNpyHeader(r)
	if err != nil {
		return nil, err
	}
	if len(h.Shape) == 0 {
		return nil, fmt.Errorf("%w: a scalar has no leading dimension to stream", ErrNpy)
	}
	return &NpyReader{r: r, h: h, left: h.Shape[0]}, nil
}

// Header returns the header read by NewNpyReader.
func (nr *NpyReader) Header() NpyHeader { return nr.h }

// Remaining returns the number of records not yet read. Records may be
// empty (a shape such as (1000000000, 0)), so a caller that loops over them
// should bound the count it accepts.
func (nr *NpyReader) Remaining() int { return nr.left }

// Next reads up to max records (at least 1) into a new tensor of shape
// [n, Shape[1:]...], converted to little-endian. It returns io.EOF once
// every record has been read, and an error wrapping ErrNpy and
// io.ErrUnexpectedEOF when the stream ends early.
func (nr *NpyReader) Next(max int) (*Tensor, error) {
	if max < 1 {
		return nil, fmt.Errorf("%w: Next needs max ≥ 1, got %d", ErrNpy, max)
	}
	if nr.left == 0 {
		return nil, io.EOF
	}
	n := min(max, nr.left)
	rec := int64(nr.h.RecordLen())
	data, err := readNpyData(nr.r, int64(n)*rec)
	if err != nil {
		return nil, err
	}
	nr.left -= n
	nr.h.ToLittleEndian(data)
	shape := append(Shape{n}, nr.h.Shape[1:]...)
	return &Tensor{DType: nr.h.DType, Shape: shape, Data: data}, nil
}

// npyDescr returns the numpy descriptor numpy itself writes for dt.
func npyDescr(dt DType) (string, error) {
	switch dt {
	case Bool:
		return "|b1", nil
	case Int8:
		return "|i1", nil
	case Uint8:
		return "|u1", nil
	case Int16:
		return "<i2", nil
	case Uint16:
		return "<u2", nil
	case Int32:
		return "<i4", nil
	case Uint32:
		return "<u4", nil
	case Int64:
		return "<i8", nil
	case Uint64:
		return "<u8", nil
	case Float16:
		return "<f2", nil
	case Float32:
		return "<f4", nil
	case Float64:
		return "<f8", nil
	case Complex64:
		return "<c8", nil
	}
	return "", fmt.Errorf("%w: dtype %s has no .npy form", ErrNpy, dt)
}

// AppendNpyHeader appends the preamble and header numpy would write for an
// array of type dt and shape (format 1.0, little-endian, C order, padded
// with spaces to a multiple of 64 bytes and ended by '\n').
func AppendNpyHeader(dst []byte, dt DType, shape Shape) ([]byte, error) {
	descr, err := npyDescr(dt)
	if err != nil {
		return dst, err
	}
	if _, err := shape.NumElements(); err != nil {
		return dst, fmt.Errorf("%w: %w", ErrNpy, err)
	}
	if len(shape) > MaxNpyRank {
		return dst, fmt.Errorf("%w: %d dimensions is over the limit of %d", ErrNpy, len(shape), MaxNpyRank)
	}
	var d strings.Builder
	d.WriteString("{'descr': '")
	d.WriteString(descr)
	d.WriteString("', 'fortran_order': False, 'shape': (")
	for i, n := range shape {
		if i > 0 {
			d.WriteString(", ")
		}
		d.WriteString(strconv.Itoa(n))
	}
	if len(shape) == 1 {
		d.WriteByte(',')
	}
	d.WriteString("), }")
	// Pad so that preamble (10 bytes) + header + '\n' is a multiple of 64.
	hlen := d.Len() + 1
	hlen += (64 - (10+hlen)%64) % 64
	dst = append(dst, npyMagic...)
	dst = append(dst, 1, 0, byte(hlen), byte(hlen>>8))
	dst = append(dst, d.String()...)
	for range hlen - d.Len() - 1 {
		dst = append(dst, ' ')
	}
	return append(dst, '\n'), nil
}

// WriteNpyHeader writes the header of a .npy file for an array of type dt
// and shape; the caller then writes the little-endian C-order data. Use it
// to stream a large array whose shape is known in advance.
func WriteNpyHeader(w io.Writer, dt DType, shape Shape) error {
	hdr, err := AppendNpyHeader(nil, dt, shape)
	if err != nil {
		return err
	}
	_, err = w.Write(hdr)
	return err
}

// WriteNpy writes t as a .npy file (format 1.0), the bytes numpy.save writes
// for the same array. t must be valid (see Tensor.Validate).
func WriteNpy(w io.Writer, t *Tensor) error {
	if t == nil {
		return fmt.Errorf("%w: nil tensor", ErrNpy)
	}
	if err := t.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrNpy, err)
	}
	if err := WriteNpyHeader(w, t.DType, t.Shape); err != nil {
		return err
	}
	_, err := w.Write(t.Data)
	return err
}
