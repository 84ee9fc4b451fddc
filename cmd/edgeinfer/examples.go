package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/edgeinfer/edgeinfer/internal/examples"
)

func registerExamples(m map[string]command) {
	m["examples"] = command{summary: "write the example model repository (--out DIR, default ./models)", run: runExamples}
}

func runExamples(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("examples", flag.ContinueOnError)
	out := fs.String("out", "models", "directory of the model repository to write")
	quiet := fs.Bool("q", false, "print nothing on success")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 0 {
		return usageError{errors.New("usage: edgeinfer examples [--out DIR] [-q]")}
	}
	if err := examples.Write(*out); err != nil {
		return err
	}
	if *quiet {
		return nil
	}
	models, err := examples.Models()
	if err != nil {
		return err
	}
	for _, m := range models {
		fmt.Printf("%s\t%d bytes\t%s\n", filepath.Join(*out, m.Name, strconv.FormatInt(m.Version, 10), "model.tflite"), len(m.TFLite), m.Summary)
	}
	return nil
}
