// Package stack is the edgeinfer Pulumi program: it turns a validated [Config]
// into AWS resources (S3 buckets, least-privilege IAM roles, two Lambda
// functions with a models layer, aliases with provisioned and reserved
// concurrency, a Function URL, an optional API Gateway HTTP API, the S3
// trigger direct or through SQS with a dead-letter queue, log groups and
// alarms) and into Kubernetes resources for GPU-capable edge nodes near the
// data (Namespace, ConfigMap, Deployment, Service, PodDisruptionBudget and
// HorizontalPodAutoscaler).
//
// The package lives in its own Go module (infra/go.mod) so the Pulumi SDK is
// never linked into a function binary, and it imports nothing from the root
// module: the serving API's paths and the functions' environment variables
// are repeated here as constants and checked by the tests.
//
// [LoadConfig] reads and validates the stack configuration; [Deploy]
// registers the resources. Neither keeps package-level state; a [Config] is a
// plain value, safe to copy and to share between goroutines once built.
package stack
