// Package batch is the streaming record pipeline behind object-created
// events: it decodes records from a decompressed input stream (NDJSON with
// V2 "inputs" requests, TF Serving "instances" requests or bare rows; CSV of
// numbers; .npy with a leading batch dimension), runs them in ordered
// micro-batches through a Predictor (*serving.Server), and writes one NDJSON
// line per record (or CSV rows, or a .npz archive of one .npy array per
// output: see OutputFormat). ProcessObject does this from one stored object
// to a zstd-compressed, multipart-uploaded
// <prefix>/<key>.predictions.ndjson.zst (.csv.zst; .npz, whose members are
// deflated) plus <key>.summary.json (counts, the first bad records, model
// and version, timings).
//
// Contract:
//   - A bad record (malformed, wrong shape, refused by the model) is
//     written as an error line and listed in the summary; the object still
//     succeeds. A corrupt stream (bad compression, truncated .npy, read
//     error) or an input the model cannot take fails the object with
//     ErrStream or ErrFormat, and no predictions object is committed.
//   - Output keys and bytes depend only on the input and the model version
//     (fixed for the whole object), never on batch sizes, concurrency or
//     timing: a re-delivered event overwrites with identical bytes. Only the
//     summary's timings differ.
//   - Memory is bounded by the micro-batches in flight (Concurrency + 2,
//     each at most MaxBatchItems items and MaxBatchBytes decoded bytes or
//     one record), the record size limit and the object store's buffers,
//     whatever the object's size.
//     .npy output also needs local disk for its arrays until the end
//     (Config.SpillDir, Config.MaxSpillBytes).
//   - The run stops when ctx ends (callers give it the invocation deadline
//     less a margin) with ErrDeadline and commits nothing. There is no
//     checkpoint: a retry restarts the object from its first byte and,
//     by the point above, writes the same bytes.
//
// It never imports functions. Run and ProcessObject are safe for
// concurrent use on different streams; a Decoder is not.
package batch
