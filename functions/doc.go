// Package functions holds the deployable AWS Lambda functions, one main
// package per directory (httpfn, s3fn). Each is wiring only over serving,
// modelcache, objstore and batch, ending in lambda.Start or lambdaurl.Start,
// and builds to a static bootstrap binary with -tags lambda.norpc.
package functions
