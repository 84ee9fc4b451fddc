package main

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/edgeinfer/edgeinfer/batch"
	"github.com/edgeinfer/edgeinfer/serving"
)

// imageConfig reads INPUT_FORMAT=image and TOP_K.
func imageConfig(getenv func(string) string) (image bool, topK int, err error) {
	image = strings.EqualFold(getenv("INPUT_FORMAT"), "image")
	if v := getenv("TOP_K"); v != "" {
		if topK, err = strconv.Atoi(v); err != nil || topK <= 0 || topK > 1000 {
			return false, 0, fmt.Errorf("s3fn: TOP_K=%q is not an integer from 1 to 1000", v)
		}
	}
	return image, topK, nil
}

// dataExts are the extensions of record inputs; an object with one of them
// is never taken for an image.
var dataExts = []string{".ndjson", ".jsonl", ".json", ".csv", ".npy"}

// isImage reports whether the object is an image: INPUT_FORMAT=image, or
// (automatic format) an image extension, or a Content-Type image/* on an
// object whose extension names no record format.
func (h *Handler) isImage(ctx context.Context, input, key string) bool {
	if h.Cfg.Image {
		return true
	}
	if h.Cfg.Format != batch.FormatAuto {
		return false
	}
	if batch.IsImageKey(key) {
		return true
	}
	base := strings.ToLower(path.Base(key))
	for _, ext := range dataExts {
		if strings.Contains(base, ext) {
			return false
		}
	}
	attrs, err := h.RT.Store.Stat(ctx, input)
	return err == nil && batch.IsImageContentType(attrs.ContentType)
}

// image predicts one image object into <key>.prediction.json.
func (h *Handler) image(ctx context.Context, input, key, etag string) (*batch.Summary, error) {
	// Pin one version, so that the prediction names it and is deterministic.
	l, err := h.RT.Source.Get(ctx, serving.Ref{Model: h.Cfg.Model.Model, Version: h.Cfg.Model.Version, Label: h.Cfg.Model.Label})
	if err != nil {
		return nil, fmt.Errorf("s3fn: %s: model %s: %w", input, h.Cfg.Model, err)
	}
	ref := serving.Ref{Model: l.Name, Version: l.Version}
	l.Release()
	cfg := batch.ImageConfig{Predictor: h.RT.Server, Model: ref, TopK: h.Cfg.TopK, Timeout: batchTimeout}
	start := time.Now()
	sum, err := batch.ProcessImage(ctx, cfg, batch.Object{Store: h.RT.Store, InputURL: input, Key: key, OutputPrefix: h.Cfg.OutputPrefix, IfMatch: etag})
	h.RT.Log.Info("image", "input", input, "status", sum.Status, "failed", sum.Failed,
		"bytes_in", sum.BytesIn, "ms", time.Since(start).Milliseconds(), "err", errString(err))
	return sum, err
}
