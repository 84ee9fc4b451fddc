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
// counted along the leading dimension), waits up to batch_delay_ms only while
// more requests are on their way, runs them as one batch and splits the
// outputs back. A run that starts alone on an idle server, with nothing
// queued for its model, uses Config.IntraOpThreads threads (default
// GOMAXPROCS); under load every run uses one, which maximises throughput.
//
// A watchdog checks running batches: one still running StallMargin past its
// deadline (a kernel that does not return) is logged with its model and
// operator, counted in edgeinfer_stalls_total, and makes Ready false until
// it ends, so that load balancers stop sending traffic to a stuck node.
//
// # HTTP API
//
//	GET  /v1/models/{m}[/versions/{v}|/labels/{l}]           model status
//	GET  /v1/models/{m}[/versions/{v}|/labels/{l}]/metadata  signature def
//	POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict   row or columnar
//	GET  /v2/health/live, /v2/health/ready, /v2
//	GET  /v2/models/{m}[/versions/{v}][/ready]
//	POST /v2/models/{m}[/versions/{v}]/infer                 JSON or binary extension
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
// hold it, 413 when one request needs more). Each error names the limit.
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
// Only this package maps errors to HTTP status codes. It never imports
// functions or aws-lambda-go. A Server is safe for concurrent use.
package serving
