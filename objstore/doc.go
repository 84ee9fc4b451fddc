// Package objstore reads and writes blobs named by URL — file:// (and plain
// paths), s3://bucket/key, http(s):// (read-only) and mem://bucket/key (an
// in-memory backend private to its Store, for tests) — as streams, with
// range reads, stat, list, retries with backoff, and transparent
// decompression (zstd, gzip, s2/snappy) under explicit size caps.
//
// A Store is built with New(Options) and routes each URL to a driver behind
// a narrow internal interface; the Store adds retries (exponential backoff
// with full jitter on throttling, 5xx, resets and attempt timeouts), resumes
// truncated or stalled bodies from the offset reached with a range request
// (or reports ErrTruncated: a short body never looks like io.EOF), and reads
// large remote objects as parallel ranged GETs with memory bounded by
// Concurrency × PartSize. Every option's comment gives its default.
//
// Errors are portable: callers branch on ErrNotFound, ErrPermission and the
// other sentinels with errors.Is and never import a provider SDK to do so.
// The conformance suite every backend passes is objstoretest.Run.
//
// It never imports tflite, serving or modelcache. A Store is safe for
// concurrent use; a Reader or Writer is used by one goroutine at a time.
package objstore
