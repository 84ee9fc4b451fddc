package flex

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// attrKind is which field of a TensorFlow AttrValue is set.
type attrKind uint8

const (
	attrOther attrKind = iota // list, shape, tensor, func, placeholder
	attrBytes
	attrInt
	attrFloat
	attrBool
	attrType
)

// attr is one decoded AttrValue.
type attr struct {
	kind attrKind
	i    int64 // int, bool (0/1) or DataType enum
	f    float32
	s    []byte
}

// nodeDef is the part of a TensorFlow NodeDef the kernels need.
type nodeDef struct {
	op    string
	attrs map[string]attr
}

// maxAttrs bounds the attributes of a NodeDef.
const maxAttrs = 256

// parseOptions decodes a Flex op's custom_options: a FlexBuffer vector
// whose first element is the TensorFlow op name and whose second is the
// serialized NodeDef. The name must be want and agree with the NodeDef.
func parseOptions(n *op.Node, want string) (*nodeDef, error) {
	parts, err := op.ParseFlexStrings(n.CustomOptions)
	if err != nil {
		return nil, n.Invalidf("custom options: %v", err)
	}
	if len(parts) < 2 {
		return nil, n.Invalidf("custom options hold %d strings, want the op name and its NodeDef", len(parts))
	}
	nd, err := parseNodeDef(parts[1])
	if err != nil {
		return nil, n.Invalidf("NodeDef: %v", err)
	}
	if string(parts[0]) != want || nd.op != want {
		return nil, n.Invalidf("custom options name op %q (NodeDef %q), want %q", parts[0], nd.op, want)
	}
	return nd, nil
}

// protoReader walks protobuf wire format over untrusted bytes.
type protoReader struct{ b []byte }

// next returns the next field's number and wire type, its varint or
// fixed value (wire types 0, 1, 5), or its bytes (wire type 2).
func (r *protoReader) next() (field int, wt int, v uint64, data []byte, err error) {
	tag, k := binary.Uvarint(r.b)
	if k <= 0 {
		return 0, 0, 0, nil, fmt.Errorf("bad field tag")
	}
	r.b = r.b[k:]
	field, wt = int(tag>>3), int(tag&7)
	if field == 0 || tag>>3 > math.MaxInt32 {
		return 0, 0, 0, nil, fmt.Errorf("field number %d", tag>>3)
	}
	switch wt {
	case 0:
		v, k = binary.Uvarint(r.b)
		if k <= 0 {
			return 0, 0, 0, nil, fmt.Errorf("field %d: bad varint", field)
		}
		r.b = r.b[k:]
	case 1, 5:
		size := 8
		if wt == 5 {
			size = 4
		}
		if len(r.b) < size {
			return 0, 0, 0, nil, fmt.Errorf("field %d: truncated", field)
		}
		if size == 8 {
			v = binary.LittleEndian.Uint64(r.b)
		} else {
			v = uint64(binary.LittleEndian.Uint32(r.b))
		}
		r.b = r.b[size:]
	case 2:
		l, k := binary.Uvarint(r.b)
		if k <= 0 || l > uint64(len(r.b)-k) {
			return 0, 0, 0, nil, fmt.Errorf("field %d: bad length", field)
		}
		data = r.b[k : k+int(l)]
		r.b = r.b[k+int(l):]
	default:
		return 0, 0, 0, nil, fmt.Errorf("field %d: wire type %d", field, wt)
	}
	return field, wt, v, data, nil
}

// parseNodeDef decodes NodeDef fields op (2) and attr (5); the others
// (name, inputs, device, debug info) are skipped.
func parseNodeDef(b []byte) (*nodeDef, error) {
	nd := &nodeDef{attrs: map[string]attr{}}
	r := protoReader{b}
	for len(r.b) > 0 {
		field, wt, _, data, err := r.next()
		if err != nil {
			return nil, err
		}
		switch {
		case field == 2 && wt == 2:
			nd.op = string(data)
		case field == 5 && wt == 2:
			if len(nd.attrs) >= maxAttrs {
				return nil, fmt.Errorf("more than %d attributes", maxAttrs)
			}
			key, a, err := parseAttrEntry(data)
			if err != nil {
				return nil, err
			}
			nd.attrs[key] = a
		}
	}
	return nd, nil
}

// parseAttrEntry decodes one map<string, AttrValue> entry.
func parseAttrEntry(b []byte) (string, attr, error) {
	var key string
	var a attr
	r := protoReader{b}
	for len(r.b) > 0 {
		field, wt, _, data, err := r.next()
		if err != nil {
			return "", attr{}, fmt.Errorf("attr: %v", err)
		}
		switch {
		case field == 1 && wt == 2:
			key = string(data)
		case field == 2 && wt == 2:
			if a, err = parseAttrValue(data); err != nil {
				return "", attr{}, fmt.Errorf("attr %q: %v", key, err)
			}
		}
	}
	return key, a, nil
}

// parseAttrValue decodes the scalar cases of an AttrValue: s (2), i (3),
// f (4), b (5) and type (6).
func parseAttrValue(b []byte) (attr, error) {
	var a attr
	r := protoReader{b}
	for len(r.b) > 0 {
		field, wt, v, data, err := r.next()
		if err != nil {
			return attr{}, err
		}
		switch {
		case field == 2 && wt == 2:
			a = attr{kind: attrBytes, s: data}
		case field == 3 && wt == 0:
			a = attr{kind: attrInt, i: int64(v)}
		case field == 4 && wt == 5:
			a = attr{kind: attrFloat, f: math.Float32frombits(uint32(v))}
		case field == 5 && wt == 0:
			a = attr{kind: attrBool, i: int64(min(v, 1))}
		case field == 6 && wt == 0:
			a = attr{kind: attrType, i: int64(v)}
		default:
			a = attr{kind: attrOther}
		}
	}
	return a, nil
}

// intAttr returns an int attribute, def when absent.
func (nd *nodeDef) intAttr(n *op.Node, key string, def int64) (int64, error) {
	a, ok := nd.attrs[key]
	if !ok {
		return def, nil
	}
	if a.kind != attrInt {
		return 0, n.Invalidf("attribute %s is not an int", key)
	}
	return a.i, nil
}

// boolAttr returns a bool attribute, def when absent.
func (nd *nodeDef) boolAttr(n *op.Node, key string, def bool) (bool, error) {
	a, ok := nd.attrs[key]
	if !ok {
		return def, nil
	}
	if a.kind != attrBool {
		return false, n.Invalidf("attribute %s is not a bool", key)
	}
	return a.i != 0, nil
}

// tfType maps a TensorFlow DataType enum value to a dtype.
func tfType(v int64) (tensor.DType, bool) {
	switch v {
	case 1:
		return tensor.Float32, true
	case 2:
		return tensor.Float64, true
	case 3:
		return tensor.Int32, true
	case 4:
		return tensor.Uint8, true
	case 5:
		return tensor.Int16, true
	case 6:
		return tensor.Int8, true
	case 9:
		return tensor.Int64, true
	case 10:
		return tensor.Bool, true
	case 19:
		return tensor.Float16, true
	}
	return 0, false
}

// checkType requires the type attribute key, when present, to name dt.
func (nd *nodeDef) checkType(n *op.Node, key string, dt tensor.DType) error {
	a, ok := nd.attrs[key]
	if !ok {
		return nil
	}
	if a.kind != attrType {
		return n.Invalidf("attribute %s is not a type", key)
	}
	if got, known := tfType(a.i); !known || got != dt {
		return n.Invalidf("attribute %s is TensorFlow type %d, the tensor is %s", key, a.i, dt)
	}
	return nil
}
