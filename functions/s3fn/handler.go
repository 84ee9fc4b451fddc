package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/edgeinfer/edgeinfer/batch"
	"github.com/edgeinfer/edgeinfer/functions/internal/lambdaenv"
	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/serving"
)

// Config is s3fn's own settings.
type Config struct {
	Model        modelcache.Ref
	OutputPrefix string
	Format       batch.Format
	BatchItems   int
	// Image is INPUT_FORMAT=image: every object is one encoded image.
	// With the automatic format an object is an image by its key's
	// extension or its Content-Type (see isImage).
	Image bool
	// TopK is the classes written per image (TOP_K, default 5).
	TopK int
	// Output is OUTPUT_FORMAT (ndjson, csv, npy). npy writes a .npz archive
	// of one .npy array per output, spilled to /tmp (the Lambda's
	// ephemeral storage) until the object ends.
	Output batch.OutputFormat
	// CSVHeader is CSV_HEADER (auto, true, false).
	CSVHeader batch.CSVHeader
	// CSVColumns is CSV_COLUMNS: input=col,col;input=col,... mapping each
	// model input to the header columns holding its elements.
	CSVColumns map[string][]string
}

// ConfigFromEnv reads MODEL, OUTPUT_PREFIX, INPUT_FORMAT, OUTPUT_FORMAT,
// BATCH_ITEMS, CSV_HEADER and CSV_COLUMNS.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var c Config
	ref, err := modelcache.ParseRef(getenv("MODEL"))
	if err != nil {
		return c, fmt.Errorf("s3fn: MODEL: %w", err)
	}
	c.Model = ref
	c.OutputPrefix = strings.TrimSuffix(getenv("OUTPUT_PREFIX"), "/")
	if c.OutputPrefix == "" {
		return c, errors.New("s3fn: OUTPUT_PREFIX is required")
	}
	if c.Image, c.TopK, err = imageConfig(getenv); err != nil {
		return c, err
	}
	if !c.Image {
		if c.Format, err = batch.ParseFormat(getenv("INPUT_FORMAT")); err != nil {
			return c, err
		}
	}
	if c.Output, err = batch.ParseOutputFormat(getenv("OUTPUT_FORMAT")); err != nil {
		return c, fmt.Errorf("s3fn: OUTPUT_FORMAT: %w", err)
	}
	if c.CSVHeader, err = batch.ParseCSVHeader(getenv("CSV_HEADER")); err != nil {
		return c, fmt.Errorf("s3fn: CSV_HEADER: %w", err)
	}
	if c.CSVColumns, err = parseCSVColumns(getenv("CSV_COLUMNS")); err != nil {
		return c, err
	}
	if v := getenv("BATCH_ITEMS"); v != "" {
		if c.BatchItems, err = strconv.Atoi(v); err != nil || c.BatchItems <= 0 {
			return c, fmt.Errorf("s3fn: BATCH_ITEMS=%q is not a positive integer", v)
		}
	}
	return c, nil
}

// applyDefaults sets s3fn's own defaults of the shared settings: one
// intra-op thread unless INTRA_OP_THREADS says otherwise (see main).
func applyDefaults(s *lambdaenv.Settings, getenv func(string) string) {
	if getenv("INTRA_OP_THREADS") == "" {
		s.IntraOpThreads = 1
	}
}

// parseCSVColumns parses CSV_COLUMNS, "x=f1,f2,f3;mask=m" (input name =
// header columns in element order, inputs separated by ';'); "" is none.
func parseCSVColumns(v string) (map[string][]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	out := map[string][]string{}
	for part := range strings.SplitSeq(v, ";") {
		name, cols, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.TrimSpace(cols) == "" {
			return nil, fmt.Errorf("s3fn: CSV_COLUMNS=%q: want input=column,column;input=column", v)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("s3fn: CSV_COLUMNS=%q: input %q given twice", v, name)
		}
		for c := range strings.SplitSeq(cols, ",") {
			out[name] = append(out[name], strings.TrimSpace(c))
		}
	}
	return out, nil
}

// batchTimeout bounds one micro-batch's Predict call.
const batchTimeout = time.Minute

// Handler processes S3 and SQS events.
type Handler struct {
	RT  *lambdaenv.Runtime
	Cfg Config
}

// ErrUnknownEvent is returned for a payload that is neither an S3 nor an
// SQS event.
var ErrUnknownEvent = errors.New("s3fn: not an S3 or SQS event")

// Invoke is the Lambda handler. A direct S3 event fails the invocation if
// any object fails (Lambda's asynchronous retries then restart it); an SQS
// event reports the failed messages as batch item failures.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil || len(probe.Records) == 0 {
		return nil, ErrUnknownEvent
	}
	switch probe.Records[0].EventSource {
	case "aws:s3":
		var ev events.S3Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("s3fn: S3 event: %w", err)
		}
		return h.s3(ctx, &ev)
	case "aws:sqs":
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("s3fn: SQS event: %w", err)
		}
		return h.sqs(ctx, &ev), nil
	}
	return nil, ErrUnknownEvent
}

// Result is the answer to a direct S3 event: one summary per object.
type Result struct {
	Summaries []*batch.Summary `json:"summaries"`
}

func (h *Handler) s3(ctx context.Context, ev *events.S3Event) (*Result, error) {
	res := &Result{}
	var errs []error
	for _, rec := range ev.Records {
		sum, err := h.record(ctx, rec)
		if sum != nil {
			res.Summaries = append(res.Summaries, sum)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return res, nil
}

func (h *Handler) sqs(ctx context.Context, ev *events.SQSEvent) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, msg := range ev.Records {
		if err := h.message(ctx, msg); err != nil {
			h.RT.Log.Error("message failed", "message_id", msg.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp
}

// message processes the S3 event an SQS message carries. S3's test event
// (sent when a notification is configured) is acknowledged and ignored.
func (h *Handler) message(ctx context.Context, msg events.SQSMessage) error {
	var probe struct {
		Event   string `json:"Event"`
		Records []json.RawMessage
	}
	if err := json.Unmarshal([]byte(msg.Body), &probe); err != nil {
		return fmt.Errorf("s3fn: message %s: body is not an S3 event: %w", msg.MessageId, err)
	}
	if probe.Event == "s3:TestEvent" {
		return nil
	}
	var ev events.S3Event
	if err := json.Unmarshal([]byte(msg.Body), &ev); err != nil || len(ev.Records) == 0 {
		return fmt.Errorf("s3fn: message %s: body is not an S3 event", msg.MessageId)
	}
	var errs []error
	for _, rec := range ev.Records {
		if _, err := h.record(ctx, rec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// record processes one object-created record; other records and the
// function's own outputs are skipped (nil, nil).
func (h *Handler) record(ctx context.Context, rec events.S3EventRecord) (*batch.Summary, error) {
	if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
		return nil, nil
	}
	key, err := url.QueryUnescape(rec.S3.Object.Key)
	if err != nil {
		return nil, fmt.Errorf("s3fn: key %q: %w", rec.S3.Object.Key, err)
	}
	input := "s3://" + rec.S3.Bucket.Name + "/" + key
	if batch.IsOutputKey(key) || strings.HasPrefix(input, h.Cfg.OutputPrefix+"/") {
		h.RT.Log.Info("skipping own output", "input", input)
		return nil, nil
	}
	ctx, cancel := h.RT.Deadline(ctx)
	defer cancel()
	etag := eventETag(rec.S3.Object.ETag)
	if h.isImage(ctx, input, key) {
		return h.image(ctx, input, key, etag)
	}
	// Pin one version for the whole object, so its output is deterministic.
	l, err := h.RT.Source.Get(ctx, serving.Ref{Model: h.Cfg.Model.Model, Version: h.Cfg.Model.Version, Label: h.Cfg.Model.Label})
	if err != nil {
		return nil, fmt.Errorf("s3fn: %s: model %s: %w", input, h.Cfg.Model, err)
	}
	defer l.Release()
	cfg := batch.Config{
		Predictor:     h.RT.Server,
		Model:         serving.Ref{Model: l.Name, Version: l.Version},
		Inputs:        l.Model.Inputs(),
		Format:        h.Cfg.Format,
		MaxBatchItems: h.Cfg.BatchItems,
		Output:        h.Cfg.Output,
		OutputSpecs:   l.Model.Outputs(),
		CSVHeader:     h.Cfg.CSVHeader,
		CSVColumns:    h.Cfg.CSVColumns,
		// Not the model's interactive timeout: the object's deadline
		// bounds the run.
		Timeout: batchTimeout,
	}
	start := time.Now()
	sum, err := batch.ProcessObject(ctx, cfg, batch.Object{Store: h.RT.Store, InputURL: input, Key: key, OutputPrefix: h.Cfg.OutputPrefix, IfMatch: etag})
	h.RT.Log.Info("object", "input", input, "status", sum.Status, "records", sum.Records, "failed", sum.Failed,
		"bytes_in", sum.BytesIn, "ms", time.Since(start).Milliseconds(), "err", errString(err))
	return sum, err
}

// eventETag returns the If-Match value that pins the object version an
// event announced: every read of the object (each ranged GET) then carries
// it, so an object overwritten before or during the run fails with
// objstore.ErrChanged and commits nothing, rather than mixing two
// versions; the new version's own event then produces its output. S3
// events give the ETag without the quotes of the HTTP header. An event
// without one (a hand-made test event) reads whatever version is there.
func eventETag(etag string) string {
	if etag == "" || strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") {
		return etag
	}
	return `"` + etag + `"`
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
