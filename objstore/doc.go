// Package objstore reads and writes blobs named by URL — file:// (and plain
// paths), s3://bucket/key and http(s):// — as streams, with range reads,
// stat, list, retries with backoff, and transparent decompression (zstd,
// gzip, s2/snappy) under explicit size caps.
//
// Errors are portable: callers branch on ErrNotFound, ErrPermission and the
// other sentinels with errors.Is and never import a provider SDK to do so.
//
// It never imports tflite or serving. A Bucket is safe for concurrent use.
package objstore
