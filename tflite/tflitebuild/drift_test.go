package tflitebuild

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The engine's option decoders (tflite/optdecode.go) list the operators
// whose options it reads. The builder must be able to write options for
// each of them, and must know each name as a builtin operator; this test
// reads the decoder table from the engine's source so that an operator
// added there without a writer here fails loudly.
func TestWritesEveryDecodedOptions(t *testing.T) {
	src, err := os.ReadFile("../optdecode.go")
	if err != nil {
		t.Skipf("engine source not found: %v", err)
	}
	names := regexp.MustCompile(`(?m)^\s*"([A-Z0-9_]+)":`).FindAllStringSubmatch(string(src), -1)
	if len(names) < 20 {
		t.Fatalf("found only %d operators in optdecode.go; has its layout changed?", len(names))
	}
	for _, m := range names {
		name := m[1]
		if _, ok := builtinCode(name); !ok {
			t.Errorf("%s: not a builtin operator name", name)
		}
		// A value of the wrong type is refused with the type the op takes;
		// an operator the builder cannot write says so instead.
		_, _, err := encodeOptions(name, struct{}{})
		if err == nil || !strings.Contains(err.Error(), "takes *op.") {
			t.Errorf("%s: the builder cannot write its options: %v", name, err)
		}
	}
}
