// Package serving is the core of edgeinfer's request path: Predict with
// admission control, per-model concurrency limits, bounded queues, dynamic
// batching, deadlines and a stall watchdog, plus the HTTP API (TensorFlow
// Serving REST v1 and Open Inference Protocol V2) and Prometheus metrics.
//
// # Request path
//
// Every request gets a deadline: its own (the V2 "timeout" parameter in
// microseconds, a v1 top-level "timeout" in seconds, or the Grpc-Timeout /
// X-Request-Timeout header), else its model's timeout_ms, else
// Config.DefaultTimeout, capped by Config.MaxTimeout. The model is resolved
// and pinned through a ModelSource (CacheSource over modelcache in
// production), the inputs are checked against its signature, and the request
// enters its model version's bounded queue. A full queue refuses at once
// with ErrOverloaded (HTTP 429 with Retry-After); nothing ever waits for a
// queue slot. Each model version has MaxConcurrency workers, each owning its
// Runners. A worker drops a queued request whose deadline has passed without
// running it. For Batchable models with max_batch_size > 1 a worker takes
// every queued request for the same model (up to max_batch_size items,
// counted along the leading dimension), waits for more up to batch_delay_ms
// after the first (whether or not others are in flight, so that open-loop
// traffic batches too; never more than half of a request's remaining time),
// runs them as one batch and splits the outputs back. A run that starts alone on an idle server, with nothing
// queued for its model, uses Config.IntraOpThreads threads (default
// GOMAXPROCS); under load every run uses one, which maximises throughput.
//
// A watchdog checks running batches: one still running StallMargin past its
// deadline (a kernel that does not return) is logged with its model and
// operator, counted in edgeinfer_stalls_total, and makes Ready false until
// it ends, so that load balancers stop sending traffic to a stuck node.
//
// Runs happen on the workers, never on the requester's goroutine: a
// request whose run overruns its deadline inside one operator, or hangs,
// is still answered with its deadline error at the deadline, while the
// worker finishes or stays stuck (and the watchdog reports it). That
// hand-off is the price of the guarantee and is kept cheap: a request's
// job and answer channel are reused, a waiting worker blocks on two plain
// channels (no timer), and the queue wait and run are timed with one
// monotonic clock read each (BenchmarkPredictHop measures it).
//
// # HTTP API
//
//	GET  /v1/models/{m}[/versions/{v}|/labels/{l}]           model status
//	GET  /v1/models/{m}[/versions/{v}|/labels/{l}]/metadata  signature def
//	POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict   row or columnar, or an image
//	POST /v1/models/{m}[/versions/{v}|/labels/{l}]:classify  examples -> labelled scores
//	GET  /v2/health/live, /v2/health/ready, /v2
//	GET  /v2/models/{m}[/versions/{v}][/ready]
//	POST /v2/models/{m}[/versions/{v}]/infer                 JSON, binary extension, or an image
//	POST /v2/repository/index, /v2/repository/models/{m}/load|unload
//	GET  /metrics
//
// Request bodies may be gzip or zstd (Content-Encoding); responses are
// compressed when Accept-Encoding allows. Limits are explicit and checked
// before the memory they guard is spent: an inference request is admitted
// (a place in its model's queue, else 429 with Retry-After) before its
// body is read; a Content-Length over MaxBodyBytes is refused at once
// (413); bodies grow as bytes arrive, decoded under MaxDecodedBytes (413);
// declared shapes are checked against the values present (MaxElements,
// 400); and every buffer, parsed JSON value, tensor and answer is charged
// to the Server's MemoryBudget before it is allocated (429 while others
// hold it, 413 when one request needs more). At most DecodeConcurrency
// requests (GOMAXPROCS-1) parse and decode bodies over 64 KiB at once, so that
// overload cannot take the core that admits and refuses requests; an
// admitted request waits for a place until its deadline, then gets 429.
// Each error names the limit.
// Errors are {"error": "..."} with TensorFlow Serving's mapping: 400
// invalid, 401 unauthorized, 403 forbidden (the admin endpoints unless
// EnableAdmin), 404 not found, 429 overloaded, 499 cancelled, 501
// unimplemented, 503 unavailable, 504 deadline, 500 otherwise. Messages
// are stable and expose nothing of the server: a 500 says "internal
// error", causes from the model source and the engine are logged, not
// sent, and echoed client input is clipped. A handler panic is recovered
// per request (500) and counted as such. Every response carries
// X-Request-Id (the client's, or a fresh one), which every log line of the
// request repeats; inference responses carry Server-Timing (queue, batch
// wait, compute).
//
// # Numbers, images, labels
//
// Quantized (int8, uint8, int16) inputs take real numbers, quantized with
// the input's scale and zero point exactly as TensorFlow Lite's QUANTIZE
// does; outputs can come back dequantized (DEQUANTIZE's arithmetic).
// Model metadata (V1 and V2) gives every tensor's dtype, shape and
// quantization. Defaults differ per protocol so that each protocol's
// clients keep working:
//
//   - V2: an input's datatype says what it holds: FP32 for a quantized
//     input is quantized, INT8 (the model's own type) is taken as is.
//     Outputs keep the model's datatype unless the request asks for
//     "parameters": {"dequantize": true} (or an output's parameters, or
//     ?dequantize=true).
//   - V1 (TensorFlow Serving clients expect floats): JSON numbers for a
//     quantized input are real values and outputs are dequantized; the
//     top-level "quantize": false and "dequantize": false send and receive
//     the raw integers instead.
//
// An input of image shape ([1,H,W,C] or [1,C,H,W], C 1 or 3) also takes an
// encoded image (JPEG, PNG, BMP, GIF, WebP): as a V2 BYTES element (JSON:
// base64 string or {"b64": ...}; binary extension: 4-byte length + bytes),
// as TF Serving's {"b64": ...} instance, or as the whole body of a POST
// with Content-Type image/* to the infer or :predict path. It is decoded
// under MaxImagePixels (413 before decoding when the header declares more),
// MaxBodyBytes and the memory budget (4 bytes per pixel while decoding),
// and preprocessed as package preprocess says (the model's TFLite Model
// Metadata, else defaults; config.json "image" may override). Labels come
// from the metadata's associated files, else a labels.txt beside the
// model (CacheSource). Top-k classes with labels and dequantized scores: V2
// "parameters": {"top_k": k}, an output's "classification": k (the
// classification extension: BYTES "score:index:label"), or ?top_k=k; V1
// "top_k": k (predictions become lists of {"index", "label", "score"}).
// TF Serving's :classify answers {"results": [[[label, score], ...]]} for a
// model with one class output. A plain image POST answers the top 5
// classes unless it asks otherwise. A detector (TFLite_Detection_PostProcess
// outputs) fed an image also answers "detections": [{"label", "class",
// "score", "box": [xmin, ymin, xmax, ymax]}] in the image's pixels (V1: as
// its predictions).
//
// Only this package maps errors to HTTP status codes. It never imports
// functions or aws-lambda-go. A Server is safe for concurrent use.
package serving
