// Package modelcache keeps loaded models warm: an LRU bounded by bytes (file
// size, packed weights and runner arenas), singleflight loads, pins that keep
// a model in use from being unloaded, TTL and ETag revalidation with atomic
// swaps, and a local content-addressed disk cache.
//
// # Model repository layout
//
// A repository is a directory, or a prefix in object storage
// (s3://bucket/prefix, mem://bucket/prefix), read through objstore:
//
//	<repo>/<model>/config.json                optional, see below
//	<repo>/<model>/<version>/model.tflite     the model; or model.tflite.zst
//	                                          or model.tflite.gz (plain wins)
//
// <model> is 1 to 128 bytes of [A-Za-z0-9_.-] not starting with '.' or '-'.
// <version> is a positive decimal integer without leading zeros. Anything
// else under the root is not served; Repository.Scan reports each such
// entry with the reason and the fix (a misnamed or misplaced model file, a
// version directory that is not a number, a symbolic link, ...), which
// `edgeinfer serve` logs and `edgeinfer check-repo` fails on.
//
// config.json is a JSON object; unknown fields are errors, and every number
// is bounded (see the Max* constants):
//
//	{
//	  "max_batch_size": 8,        // 0 = no batching
//	  "batch_delay_ms": 2,        // needs max_batch_size
//	  "max_concurrency": 4,       // 0 = server default
//	  "max_queue": 64,            // 0 = server default
//	  "timeout_ms": 1000,         // 0 = server default
//	  "warmup_runs": 1,           // runs on zero inputs after each load (Options.Warmup)
//	  "preload": true,
//	  "version_policy": "all",    // "all" (default), "latest", "specific"
//	  "versions": [1, 2],         // only with "specific"
//	  "labels": {"stable": 1},    // labels are always served
//	  "sha256": {"1": "<64 lowercase hex digits of the model.tflite bytes>"},
//	  "inputs":  {"serving_default_x:0": "x"},   // rename: model → public
//	  "outputs": {"StatefulPartitionedCall:0": "y"}
//	}
//
// A Ref names a model as "name" (highest served version), "name:3" or
// "name@stable"; "name@latest" is the same as "name".
//
// # Cache
//
// Cache is generic over what it holds: a LoadFunc turns verified bytes into a
// value and its byte charge. Models (Cache[*tflite.Model]) uses TFLiteLoader
// by default. Get returns a pinned Handle the caller must Release. Loads run
// once per model version whatever the number of waiters, in a goroutine
// bounded by Options.LoadTimeout; a waiter whose ctx ends stops waiting and
// the load goes on. A load that panics (a bug reached through the model's
// bytes) fails that version like any error; the process carries on. A
// failed version is remembered and not loaded again for Options.NegativeTTL,
// doubling with each further failure up to Options.MaxNegativeTTL, unless
// its object changes in the listing; each failure is logged once
// (Options.Logger) and reported by Failures and Stats, not by a new load
// per request. Admission evicts unpinned models, least recently used first, and waits
// for pinned ones to be released, so resident bytes never exceed
// Options.MaxBytes; a model larger than the budget is ErrTooLarge.
// OnUnload runs outside the cache lock.
//
// After Options.TTL a hit starts a background revalidation (the model's
// listing, then a Stat of the object: ETag, size, modification time, and the
// sha256 config.json records). A changed model is loaded beside the old one
// and swapped in; handles taken before keep the old one until released.
// Model bytes are checked against config.json's sha256 and the object
// store's, when either is known: a mismatch is ErrChecksum.
//
// A ref to a model's latest version gets the newest served version that is
// resident or can load: while a newer version loads in the background, or
// after it failed to load, the newest resident older version keeps
// serving. A listing is refreshed when a version it lists is gone, and
// before a version asked for by number is called missing.
//
// A model file is read through objstore with Options.MaxModelBytes as its
// limit: an object stored larger is refused from its Stat before any byte
// is read, and a compressed one is decoded no further than the limit.
// Loads in flight share Options.LoadBudget (default the size limit),
// charged before reading (a plain file its size, a compressed one the
// limit) and waited for in turn, so that concurrent loads of model bombs
// cannot multiply the memory one load may take.
//
// The disk cache (Options.DiskDir, default os.TempDir()/edgeinfer-cache)
// holds model bytes by sha256 with a (URL, ETag) index, bounded by
// Options.DiskMaxBytes, written atomically (temporary file and rename) and
// only once the bytes have loaded (and warmed up); an entry whose bytes do
// not match its hash, or no longer load, is dropped. A new Cache, as on a
// restarted node, reads from it instead of downloading again.
//
// Nothing runs in the background unless a Get or Revalidate started it;
// Close waits for all of it.
//
// It never imports serving or functions. A Cache and a Repository are safe
// for concurrent use.
package modelcache
