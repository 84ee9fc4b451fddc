package tflitebuild

import (
	"encoding/binary"
	"slices"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// Sparsity is a tensor's SparsityParameters (schema.fbs): the order in
// which the dense dimensions (and block dimensions, numbered from the rank
// on) are traversed, which dense dimension each block dimension splits,
// and one DimMeta per traversed level.
type Sparsity struct {
	TraversalOrder []int
	BlockMap       []int
	Dims           []DimMeta
}

// DimMeta is one level of a sparse tensor: DENSE with DenseSize entries,
// or SPARSE_CSR with Segments (one more than the positions above) and
// Indices. IndexBytes picks the index vectors' type: 4 (Int32Vector, the
// default), 2 (Uint16Vector) or 1 (Uint8Vector).
type DimMeta struct {
	Sparse     bool
	DenseSize  int
	Segments   []int
	Indices    []int
	IndexBytes int
}

// SparseTensor adds a constant tensor stored in TFLite's sparse format:
// shape is the dense shape, values the stored (non-zero) elements in
// traversal order. The builder checks nothing about the metadata, so
// tests can write malformed files with it.
func (b *Builder) SparseTensor(name string, dt tensor.DType, shape []int, sp Sparsity, values []byte) int {
	t := b.Tensor(name, dt, shape, nil, values)
	if t >= 0 && t < len(b.sg().tensors) {
		s := sp
		s.TraversalOrder, s.BlockMap, s.Dims = slices.Clone(sp.TraversalOrder), slices.Clone(sp.BlockMap), slices.Clone(sp.Dims)
		b.sg().tensors[t].sparsity = &s
	}
	return t
}

// encode writes the SparsityParameters table.
func (s *Sparsity) encode() *table {
	dims := make(tables, len(s.Dims))
	for i, d := range s.Dims {
		t := &table{}
		if d.Sparse {
			t.u8(0, 1)
			typ, seg := indexVector(d.Segments, d.IndexBytes)
			t.u8(2, typ).ref(3, seg)
			typ, idx := indexVector(d.Indices, d.IndexBytes)
			t.u8(4, typ).ref(5, idx)
		} else {
			t.i32(1, int32(d.DenseSize))
		}
		dims[i] = t
	}
	t := (&table{}).ref(0, intsVec(s.TraversalOrder)).ref(2, dims)
	if s.BlockMap != nil {
		t.ref(1, intsVec(s.BlockMap))
	}
	return t
}

// indexVector encodes v as a SparseIndexVector union member (type, table).
func indexVector(v []int, size int) (uint8, *table) {
	var data []byte
	var typ uint8
	switch size {
	case 1:
		typ = 3
		for _, x := range v {
			data = append(data, uint8(x))
		}
	case 2:
		typ = 2
		for _, x := range v {
			data = binary.LittleEndian.AppendUint16(data, uint16(x))
		}
	default:
		typ, size = 1, 4
		for _, x := range v {
			data = binary.LittleEndian.AppendUint32(data, uint32(int32(x)))
		}
	}
	return typ, (&table{}).ref(0, scalars{data: data, elem: size, align: 4})
}
