package benchmodels

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var writeDir = flag.String("benchmodels.write", "", "write every benchmark model into this directory (used by scripts/bench-peer.sh)")

// TestWrite writes the models for scripts/bench-peer.sh when
// -benchmodels.write is set; otherwise it is skipped.
func TestWrite(t *testing.T) {
	if *writeDir == "" {
		t.Skip("-benchmodels.write not set")
	}
	for _, name := range Names() {
		b, err := Build(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*writeDir, name+".tflite"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
