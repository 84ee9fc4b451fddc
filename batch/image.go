package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/edgeinfer/edgeinfer/preprocess"
	"github.com/edgeinfer/edgeinfer/serving"
)

// PredictionSuffix is the suffix of the object ProcessImage writes next to
// each image key.
const PredictionSuffix = ".prediction.json"

// DefaultMaxImageBytes bounds an image object read by ProcessImage.
const DefaultMaxImageBytes = 64 << 20

// ImagePredictor answers one encoded image. *serving.Server satisfies it.
type ImagePredictor interface {
	PredictImage(ctx context.Context, ref serving.Ref, img []byte, topK int, timeout time.Duration) (*serving.ImageResult, error)
}

// ImageConfig configures ProcessImage.
type ImageConfig struct {
	// Predictor runs the image. Required.
	Predictor ImagePredictor
	// Model names the model; give a fixed Version so that a re-delivered
	// object gets identical bytes. Required.
	Model serving.Ref
	// TopK is the number of classes written per class output (default 5).
	TopK int
	// MaxBytes bounds the image object (default DefaultMaxImageBytes).
	MaxBytes int64
	// Timeout bounds the prediction (default: the model's or server's).
	Timeout time.Duration
}

// imageExts are the key extensions IsImageKey recognises.
var imageExts = []string{".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"}

// IsImageKey reports whether a key names an image by its extension (a
// compression extension is looked through).
func IsImageKey(key string) bool {
	base := strings.ToLower(path.Base(key))
	for _, ext := range compressionExts {
		base = strings.TrimSuffix(base, ext)
	}
	for _, ext := range imageExts {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	return false
}

// IsImageContentType reports whether a Content-Type names an image.
func IsImageContentType(ct string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "image/")
}

// PredictionURL returns where the prediction of image key goes under
// outputPrefix: the same URL on every call.
func PredictionURL(outputPrefix, key string) string {
	return strings.TrimSuffix(outputPrefix, "/") + "/" + strings.TrimPrefix(key, "/") + PredictionSuffix
}

// ProcessImage predicts one image object and writes
// <prefix>/<key>.prediction.json (the model's serving.ImageResult: top
// classes, detections, or outputs) and the usual summary. The prediction
// depends only on the image and the model version, so a re-delivered event
// writes the same bytes. As with records: an object that is not a
// decodable image, or that the model refuses, is a failed record (its
// prediction holds {"error": ...}, the summary lists it) and the object
// succeeds; a read failure or a stopped run fails the object and commits no
// prediction.
func ProcessImage(ctx context.Context, cfg ImageConfig, obj Object) (*Summary, error) {
	predURL := PredictionURL(obj.OutputPrefix, obj.Key)
	_, sumURL := OutputURLs(obj.OutputPrefix, obj.Key)
	start := time.Now()
	sum, err := processImage(ctx, cfg, obj, predURL)
	sum.Input, sum.Output = obj.InputURL, predURL
	sum.Timings.TotalMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		sum.Status, sum.Error = "failed", err.Error()
	}
	sctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), DefaultSummaryGrace)
		defer cancel()
	}
	if serr := writeSummary(sctx, obj.Store, sumURL, sum); serr != nil {
		err = errors.Join(err, serr)
	}
	return sum, err
}

func processImage(ctx context.Context, cfg ImageConfig, obj Object, predURL string) (*Summary, error) {
	sum := &Summary{Status: "failed", Format: "image", Model: cfg.Model.Model, Version: cfg.Model.Version}
	if obj.Store == nil || cfg.Predictor == nil || cfg.Model.Model == "" {
		return sum, fmt.Errorf("%w: Object.Store, Predictor and Model are required", ErrConfig)
	}
	limit := cfg.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxImageBytes
	}
	in, err := obj.Store.Open(ctx, obj.InputURL, &objstore.ReadOptions{Decompress: true, IfMatch: obj.IfMatch, MaxDecodedBytes: limit})
	if err != nil {
		return sum, fmt.Errorf("batch: open %s: %w", obj.InputURL, err)
	}
	img, err := io.ReadAll(io.LimitReader(in, limit+1))
	in.Close()
	if err != nil {
		return sum, fmt.Errorf("%w: %s: %w", ErrStream, obj.InputURL, err)
	}
	sum.Records, sum.BytesIn = 1, int64(len(img))
	var out []byte
	pstart := time.Now()
	var res *serving.ImageResult
	if int64(len(img)) > limit {
		err = fmt.Errorf("%w: the image object is over %d bytes", ErrFormat, limit)
	} else {
		res, err = cfg.Predictor.PredictImage(ctx, cfg.Model, img, cfg.TopK, cfg.Timeout)
	}
	sum.Timings.PredictMS = float64(time.Since(pstart).Microseconds()) / 1000
	switch {
	case err == nil:
		sum.Succeeded, sum.Items, sum.Batches = 1, 1, 1
		if out, err = json.Marshal(res); err != nil {
			return sum, fmt.Errorf("batch: %s: %w", obj.InputURL, err)
		}
	case ctx.Err() != nil:
		return sum, fmt.Errorf("%w: %s: %w", ErrDeadline, obj.InputURL, context.Cause(ctx))
	case errors.Is(err, serving.ErrInvalid) || errors.Is(err, serving.ErrLimit) || errors.Is(err, ErrFormat):
		// The image (not the run) is bad: a failed record, like a bad line.
		sum.Failed = 1
		sum.Errors = []RecordError{{Index: 0, Msg: err.Error()}}
		out, _ = json.Marshal(map[string]string{"error": err.Error()})
	default:
		return sum, fmt.Errorf("batch: %s: %w", obj.InputURL, err)
	}
	out = append(out, '\n')
	sum.BytesOut = int64(len(out))
	w, err := obj.Store.Create(ctx, predURL, &objstore.WriteOptions{Compression: objstore.CodecNone, ContentType: "application/json"})
	if err != nil {
		return sum, fmt.Errorf("batch: create %s: %w", predURL, err)
	}
	if _, err := io.Copy(w, bytes.NewReader(out)); err != nil {
		w.Close()
		return sum, fmt.Errorf("batch: write %s: %w", predURL, err)
	}
	if err := w.Close(); err != nil {
		return sum, fmt.Errorf("batch: upload %s: %w", predURL, err)
	}
	sum.Status = "ok"
	return sum, nil
}

// SniffImage reports whether the first bytes of an object are an encoded
// image of a supported format.
func SniffImage(head []byte) bool { return preprocess.Sniff(head) != "" }
