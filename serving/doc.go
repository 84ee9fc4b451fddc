// Package serving is the core of edgeinfer's request path: Predict with
// admission control, per-model concurrency limits, bounded queues, dynamic
// batching, deadlines and a stall watchdog, plus the HTTP API (TensorFlow
// Serving REST v1 and Open Inference Protocol V2) and Prometheus metrics.
//
// Only this package maps errors to HTTP status codes. It never imports
// functions or aws-lambda-go. A Server is safe for concurrent use.
package serving
