// Package e2e holds the end-to-end tests of the Lambda functions: each
// function is built as a static bootstrap, run under the real AWS Lambda
// Runtime Interface Emulator (bin/aws-lambda-rie, from `make tools`) on
// 127.0.0.1, and invoked with real event payloads (aws-lambda-go's
// events/testdata, read from the module cache and pointed at our bucket,
// keys and API paths) against a real S3-compatible server (bin/versitygw).
//
// Without the emulator or the S3 server the tests skip, unless
// EDGEINFER_REQUIRE_RIE=1 (CI), where they fail. EDGEINFER_E2E_LARGE_MB
// sets the decompressed size of the large-object test (default 32).
//
// The package has no non-test code.
package e2e
