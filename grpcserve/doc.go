// Package grpcserve serves the serving core over gRPC: the Open Inference
// Protocol (KServe V2) inference.GRPCInferenceService, with Triton's model
// repository RPCs, and TensorFlow Serving's tensorflow.serving
// PredictionService and ModelService, beside the standard gRPC health
// service and server reflection.
//
// Every RPC goes through the same serving.Server as the HTTP API: the same
// model resolution, admission control (bounded queues, ErrOverloaded at
// once), dynamic batching, deadlines (the gRPC deadline becomes the
// request's, capped by serving.Config.MaxTimeout), bearer-token auth (the
// "authorization" metadata, scheme case-insensitive; health RPCs and V2
// ServerLive/ServerReady need none, as /v2/health/* over HTTP), the admin
// rules for the repository RPCs (disabled unless Config.EnableAdmin, then
// Config.AdminToken when set), the memory budget, the metrics and the
// public error messages. Errors map to gRPC codes: not found NOT_FOUND,
// bad input INVALID_ARGUMENT, overload RESOURCE_EXHAUSTED with a
// google.rpc.RetryInfo, limits RESOURCE_EXHAUSTED, deadline
// DEADLINE_EXCEEDED, shutting down UNAVAILABLE, no token UNAUTHENTICATED,
// admin disabled PERMISSION_DENIED, everything else INTERNAL with the
// message "internal error" (the cause is logged). A panic in a handler is
// recovered per RPC.
//
// Messages are bounded (Options.MaxRecvMsgSize, MaxSendMsgSize); gRPC
// reads a request message whole before a handler sees it, so the bound on
// memory is MaxRecvMsgSize times MaxConcurrentStreams per connection.
// Tensor contents are checked against their declared shape before any
// tensor is allocated; raw contents are used in place, without a copy.
//
// The generated code lives in grpcserve/pb (make generate). This package
// imports serving; serving and functions never import it. A Server is
// safe for concurrent use.
package grpcserve
