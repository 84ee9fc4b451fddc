// Package batch is the streaming record pipeline behind object-created
// events: it decompresses an input stream, decodes records (NDJSON, CSV,
// .npy with a leading batch dimension), runs them in micro-batches through a
// predictor, and encodes, compresses and uploads the results under a
// deterministic key, with a summary of counts and per-record errors.
//
// Memory stays bounded by the micro-batch size whatever the object size. It
// never imports functions.
package batch
