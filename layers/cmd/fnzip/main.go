// Command fnzip packages a function binary as a Lambda deployment zip
// holding one executable entry, bootstrap (the provided.al2023 runtime).
//
//	go run ./layers/cmd/fnzip -bin build/httpfn-arm64/bootstrap -out build/httpfn-arm64.zip
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/edgeinfer/edgeinfer/layers"
)

func main() {
	bin := flag.String("bin", "", "the function binary (built with -tags lambda.norpc, CGO_ENABLED=0)")
	out := flag.String("out", "", "zip to write")
	flag.Parse()
	if *bin == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*bin, *out); err != nil {
		fmt.Fprintln(os.Stderr, "fnzip:", err)
		os.Exit(1)
	}
}

func run(bin, out string) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".fnzip-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = layers.FunctionZip(tmp, bin)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}
