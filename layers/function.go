package layers

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// FunctionZip writes to w the deployment zip of a custom-runtime function:
// one entry, bootstrap, executable, holding the binary at bin. The zip is
// deterministic (fixed timestamp and mode).
func FunctionZip(w io.Writer, bin string) error {
	f, err := os.Open(bin)
	if err != nil {
		return fmt.Errorf("layers: %w", err)
	}
	defer f.Close()
	zw := zip.NewWriter(w)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: epoch}
	h.SetMode(fs.FileMode(0o755))
	fw, err := zw.CreateHeader(h)
	if err != nil {
		return fmt.Errorf("layers: %w", err)
	}
	if _, err := io.Copy(fw, f); err != nil {
		return fmt.Errorf("layers: %s: %w", bin, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("layers: %w", err)
	}
	return nil
}
