// Package modelcache keeps loaded models warm: an LRU bounded by bytes (file
// size, packed weights and runner arenas), singleflight loads, pins that keep
// a model in use from being unloaded, TTL and ETag revalidation with atomic
// swaps, and a local content-addressed disk cache.
//
// It never imports serving or functions. A Cache is safe for concurrent use.
package modelcache
