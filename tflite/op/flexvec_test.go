package op

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// flexEqualOptions are the custom options of a FlexEqual operator as the
// TFLite converter wrote them (tensorflow/tflite-support's
// 2022IDDetectorWithMetadata.tflite, op 143).
const flexEqualOptions = "05457175616c00641205457175616c1a001a002a070a0154120230032a1e0a18696e636f6d70617469626c655f73686170655f6572726f7212022800322e0a2c457175616c405f5f696e666572656e63655f7570646174655f626f785f616e645f73636f72655f343631333000026d671414042801"

func TestParseFlexStrings(t *testing.T) {
	b, err := hex.DecodeString(flexEqualOptions)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := ParseFlexStrings(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || string(parts[0]) != "Equal" || len(parts[1]) != 100 || !bytes.HasPrefix(parts[1], []byte("\x12\x05Equal")) {
		t.Fatalf("got %d parts: %q", len(parts), parts)
	}
	// Every truncation and every single-byte change is an error or a
	// result within the buffer, never a panic.
	for i := range b {
		if _, err := ParseFlexStrings(b[:i]); err == nil && i < len(b)-3 {
			t.Errorf("truncated to %d bytes: no error", i)
		}
		for _, v := range []byte{0, 0x7f, 0xff} {
			c := bytes.Clone(b)
			c[i] = v
			if parts, err := ParseFlexStrings(c); err == nil {
				for _, p := range parts {
					if len(p) > len(c) {
						t.Fatalf("part of %d bytes from %d", len(p), len(c))
					}
				}
			}
		}
	}
	if _, err := ParseFlexStrings([]byte{0, 0x24, 1}); err == nil {
		t.Error("a map root parsed as a vector")
	}
}

func FuzzParseFlexStrings(f *testing.F) {
	b, err := hex.DecodeString(flexEqualOptions)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		parts, err := ParseFlexStrings(data)
		if err != nil {
			return
		}
		for _, p := range parts {
			if len(p) > len(data) {
				t.Fatalf("part of %d bytes from %d", len(p), len(data))
			}
		}
	})
}
