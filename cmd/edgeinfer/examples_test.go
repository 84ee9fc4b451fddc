package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestExamplesCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "models")
	run := commands()["examples"].run
	if err := run(context.Background(), []string{"--out", dir, "-q"}); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(filepath.Join(dir, "tiny_cnn", "1", "model.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"-q", "--out", dir}); err != nil {
		t.Fatalf("second run: %v", err)
	}
	again, err := os.ReadFile(filepath.Join(dir, "tiny_cnn", "1", "model.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) || !bytes.Equal(first[4:8], []byte("TFL3")) {
		t.Error("examples wrote different or invalid bytes on the second run")
	}
	if _, err := os.Stat(filepath.Join(dir, "linear", "config.json")); err != nil {
		t.Error(err)
	}
	model := filepath.Join(t.TempDir(), "m.tflite")
	if err := os.WriteFile(model, first, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"-q", "--out", dir, "--classifier", model}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "mobilenet_v2", "1", "model.tflite")); err != nil || !bytes.Equal(got, first) {
		t.Errorf("classifier not copied: %v", err)
	}
	if err := run(context.Background(), []string{"-q", "--out", dir, "--classifier", filepath.Join(t.TempDir(), "absent.tflite")}); err != nil {
		t.Errorf("an absent classifier is skipped, got %v", err)
	}
	if err := run(context.Background(), []string{"--out", dir, "extra"}); err == nil {
		t.Error("a stray argument was accepted")
	}
}
