package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/edgeinfer/edgeinfer/internal/examples"
)

func registerExamples(m map[string]command) {
	m["examples"] = command{
		synopsis: "[--out DIR] [-q]",
		summary:  "write the example model repository (default ./models)",
		run:      runExamples,
	}
}

func runExamples(_ context.Context, args []string) error {
	fs := newFlags("examples")
	out := fs.String("out", "models", "directory of the model repository to write")
	quiet := fs.Bool("q", false, "print nothing on success")
	classifier := fs.String("classifier", examples.ClassifierPath, "also add this image classifier as "+examples.Classifier+" when the file exists (\"\" for none)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("examples takes no arguments, got %q (the directory is --out DIR)", pos)
	}
	if err := examples.Write(*out); err != nil {
		return err
	}
	added := false
	if *classifier != "" {
		if added, err = examples.WriteClassifier(*out, *classifier); err != nil {
			return err
		}
	}
	if *quiet {
		return nil
	}
	if added {
		fmt.Printf("%s	from %s	image classifier (ImageNet, labels in its metadata)\n", filepath.Join(*out, examples.Classifier, "1", "model.tflite"), *classifier)
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
