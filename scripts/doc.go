// Package scripts holds CI and end-to-end helpers: starting the local
// S3-compatible server and the AWS Lambda Runtime Interface Emulator for
// tests. Nothing here is linked into a deployable binary.
package scripts
