// Command s3fn is the S3-event Lambda function: for each object created it
// streams the object (decompressing zstd, gzip or s2), predicts its records
// in micro-batches through the serving core (package batch) and uploads the
// zstd-compressed NDJSON predictions and a summary under OUTPUT_PREFIX.
//
// It takes S3 event notifications directly, or wrapped in SQS messages (the
// usual production path), answering SQS with batch item failures so that
// only the failed objects are retried. Objects are processed one at a time;
// memory stays flat whatever their size.
//
// Settings: those of lambdaenv.FromEnv, plus MODEL (required: "name",
// "name:version" or "name@label"), OUTPUT_PREFIX (required, e.g.
// s3://bucket/predictions), INPUT_FORMAT (ndjson, csv, npy, image;
// default: by key and content), INTRA_OP_THREADS (default 1 here: the
// record pipeline keeps the cores busy with its own decode, predict and
// encode stages, and a tiny model split across threads spends more in
// hand-offs than in arithmetic), OUTPUT_FORMAT (ndjson, csv, npy: see
// batch.OutputFormat), BATCH_ITEMS (default batch.DefaultMaxBatchItems), TOP_K (classes per image,
// default 5). A retry of a failed or stopped object restarts it
// from the start and rewrites identical bytes.
//
// Images (INPUT_FORMAT=image, or by default a .jpg, .jpeg, .png, .bmp,
// .gif or .webp key, or Content-Type image/*) are one prediction each:
// <key>.prediction.json holds the top classes with labels and dequantized
// scores, or a detector's detections in the image's pixels (see
// serving.ImageResult); an object that is not a decodable image gets
// {"error": ...} there and a failed record in its summary.
//
// Build: CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/edgeinfer/edgeinfer/functions/internal/lambdaenv"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	s, err := lambdaenv.FromEnv(os.Getenv)
	if err != nil {
		log.Error("bad settings", "err", err)
		os.Exit(1)
	}
	applyDefaults(&s, os.Getenv)
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("bad settings", "err", err)
		os.Exit(1)
	}
	rt, err := lambdaenv.New(context.Background(), s, log)
	if err != nil {
		log.Error("init failed", "err", err)
		os.Exit(1)
	}
	h := &Handler{RT: rt, Cfg: cfg}
	lambda.StartWithOptions(h.Invoke, lambda.WithEnableSIGTERM(rt.Flush))
}
