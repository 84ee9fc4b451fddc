// Command modelslayer builds the models Lambda layer: a zip of a model
// repository laid out for /opt/models, checked against Lambda's 250 MB
// unzipped limit.
//
//	go run ./layers/cmd/modelslayer -models ./models -out build/models-layer.zip
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/edgeinfer/edgeinfer/layers"
)

func main() {
	dir := flag.String("models", "models", "model repository directory")
	out := flag.String("out", "build/models-layer.zip", "zip to write")
	limit := flag.Int64("max-unzipped", layers.MaxUnzippedBytes, "largest unzipped size in bytes")
	flag.Parse()
	if err := run(*dir, *out, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "modelslayer:", err)
		os.Exit(1)
	}
}

func run(dir, out string, limit int64) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".models-layer-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	st, err := layers.BuildModels(context.Background(), tmp, dir, layers.Options{MaxUnzippedBytes: limit})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Printf("%s: %d models, %d files, %d bytes unzipped (limit %d); every model file loads\n", out, st.Models, st.Files, st.UnzippedBytes, limit)
	return nil
}
