// Package lambdaenv is the wiring the Lambda functions share: settings read
// from the environment, the object store, the model cache adapted to the
// serving core's ModelSource, preloading within Lambda's init window, and
// the per-invocation deadline with its safety margin.
//
// It imports serving, modelcache and objstore, never a function's main
// package. A Runtime is safe for concurrent use.
package lambdaenv
