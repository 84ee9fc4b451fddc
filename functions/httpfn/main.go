// Command httpfn is the HTTP Lambda function: the serving core's API (TF
// Serving REST v1 and Open Inference Protocol V2) behind a Function URL
// (streamed), an API Gateway HTTP API (payload 2.0), a REST API (payload
// 1.0) or an ALB target group, one handler for all, the event source told
// from the payload.
//
// Settings come from the environment (see lambdaenv.FromEnv), plus
// INPUT_URL_PREFIX: when set, a request may carry the header
// X-Edgeinfer-Input-Url naming an object under that prefix (s3://...,
// optionally compressed) whose bytes are the request body, for inputs over
// Lambda's 6 MB payload.
//
// Build: CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/edgeinfer/edgeinfer/functions/internal/lambdaenv"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	s, err := lambdaenv.FromEnv(os.Getenv)
	if err != nil {
		log.Error("bad settings", "err", err)
		os.Exit(1)
	}
	rt, err := lambdaenv.New(context.Background(), s, log)
	if err != nil {
		log.Error("init failed", "err", err)
		os.Exit(1)
	}
	h := &Handler{RT: rt, InputPrefix: os.Getenv("INPUT_URL_PREFIX")}
	a := NewAdapter(h)
	lambda.StartWithOptions(a.Invoke, lambda.WithEnableSIGTERM(rt.Flush))
}
