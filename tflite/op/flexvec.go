package op

import "fmt"

// FlexBuffer types of a vector of byte strings.
const (
	fbtString = 5
	fbtVector = 10
	fbtBlob   = 25
)

// maxFlexStrings bounds the elements of a vector ParseFlexStrings reads.
const maxFlexStrings = 1 << 10

// ParseFlexStrings decodes a FlexBuffer whose root is a vector of strings
// or blobs (as TensorFlow's select ops, the Flex delegate's custom ops,
// store their operator name and serialized NodeDef) and returns each
// element's bytes, which alias b. The bytes are untrusted: every offset,
// width and length is checked, and a malformed buffer is an error.
func ParseFlexStrings(b []byte) ([][]byte, error) {
	vpos, w, err := flexRoot(b, fbtVector, "a vector") // w: the vector's element width
	if err != nil {
		return nil, err
	}
	if vpos < w {
		return nil, fmt.Errorf("flexbuffer vector header outside the buffer")
	}
	n, err := flexUintAt(b, vpos-w, w)
	if err != nil {
		return nil, err
	}
	if n > maxFlexStrings || vpos+int(n)*w+int(n) > len(b) {
		return nil, fmt.Errorf("flexbuffer vector of %d elements does not fit", n)
	}
	types := vpos + int(n)*w
	out := make([][]byte, n)
	for i := range out {
		packed := b[types+i]
		if t := packed >> 2; t != fbtString && t != fbtBlob {
			return nil, fmt.Errorf("flexbuffer vector element %d has type %d, want a string or blob", i, t)
		}
		sw := 1 << (packed & 3) // the string's own width: its length prefix
		sp, err := flexIndirect(b, vpos+i*w, w)
		if err != nil {
			return nil, err
		}
		size, err := flexUintAt(b, sp-sw, sw)
		if err != nil {
			return nil, err
		}
		if size > uint64(len(b)-sp) {
			return nil, fmt.Errorf("flexbuffer string %d of %d bytes does not fit", i, size)
		}
		out[i] = b[sp : sp+int(size) : sp+int(size)]
	}
	return out, nil
}
