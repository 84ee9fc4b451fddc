package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"
)

// MaxBufferedResponse is the largest body a buffered (non-streaming) event
// source takes: Lambda's 6 MB response payload, less room for the JSON
// envelope and base64. Larger responses are replaced by a 502 saying so.
const MaxBufferedResponse = 4 << 20

// Kind is the event source of an invocation.
type Kind int

// Event kinds, detected from the payload by Detect.
const (
	KindUnknown     Kind = iota
	KindFunctionURL      // Lambda Function URL (payload 2.0), answered by streaming
	KindHTTPAPI          // API Gateway HTTP API, payload format 2.0
	KindRESTAPI          // API Gateway REST API (payload 1.0)
	KindALB              // Application Load Balancer target group
)

// String returns the kind's name.
func (k Kind) String() string {
	return [...]string{"unknown", "function-url", "http-api", "rest-api", "alb"}[min(int(k), 4)]
}

// Detect tells the event source from the payload's shape: an ALB event
// has requestContext.elb; a payload 2.0 event is a Function URL when its
// domain is *.lambda-url.* (or it has no routeKey), else an HTTP API; one
// with httpMethod is a REST API event.
func Detect(payload []byte) Kind {
	var p struct {
		Version        string `json:"version"`
		RouteKey       string `json:"routeKey"`
		HTTPMethod     string `json:"httpMethod"`
		RequestContext struct {
			ELB        json.RawMessage `json:"elb"`
			HTTP       json.RawMessage `json:"http"`
			DomainName string          `json:"domainName"`
		} `json:"requestContext"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return KindUnknown
	}
	switch {
	case len(p.RequestContext.ELB) > 0:
		return KindALB
	case p.Version == "2.0" && len(p.RequestContext.HTTP) > 0:
		if strings.Contains(p.RequestContext.DomainName, ".lambda-url.") || p.RouteKey == "" {
			return KindFunctionURL
		}
		return KindHTTPAPI
	case p.HTTPMethod != "":
		return KindRESTAPI
	}
	return KindUnknown
}

// ErrUnknownEvent is returned for a payload that is no HTTP event.
var ErrUnknownEvent = errors.New("httpfn: not a Function URL, API Gateway or ALB event")

// Adapter serves one http.Handler to every HTTP event source of Lambda.
type Adapter struct {
	Handler http.Handler
	url     func(context.Context, *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error)
}

// NewAdapter returns an Adapter over h.
func NewAdapter(h http.Handler) *Adapter {
	return &Adapter{Handler: h, url: lambdaurl.Wrap(h)}
}

// Invoke is the Lambda handler: it detects the event source and answers in
// that source's response format. A Function URL gets a streamed response
// (lambdaurl); the others a buffered one.
func (a *Adapter) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	switch Detect(payload) {
	case KindFunctionURL:
		var ev events.LambdaFunctionURLRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("httpfn: function URL event: %w", err)
		}
		return a.url(ctx, &ev)
	case KindHTTPAPI:
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("httpfn: HTTP API event: %w", err)
		}
		return a.httpAPI(ctx, &ev)
	case KindRESTAPI:
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("httpfn: REST API event: %w", err)
		}
		return a.restAPI(ctx, &ev)
	case KindALB:
		var ev events.ALBTargetGroupRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("httpfn: ALB event: %w", err)
		}
		return a.alb(ctx, &ev)
	}
	return nil, ErrUnknownEvent
}

func decodeBody(body string, b64 bool) ([]byte, error) {
	if !b64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("httpfn: body: %w", err)
	}
	return b, nil
}

// recorder buffers a response up to MaxBufferedResponse.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
	over   bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.body.Len()+len(p) > MaxBufferedResponse {
		r.over = true
		return 0, fmt.Errorf("httpfn: response over %d bytes", MaxBufferedResponse)
	}
	return r.body.Write(p)
}

// serve runs the handler on a request built from an event and returns the
// buffered response: status, headers and body (base64 unless it is UTF-8
// text with no Content-Encoding).
func (a *Adapter) serve(ctx context.Context, method, target string, header http.Header, body []byte) (*recorder, string, bool, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, "", false, fmt.Errorf("httpfn: request: %w", err)
	}
	req.Header = header
	req.ContentLength = int64(len(body))
	rec := &recorder{header: http.Header{}}
	a.Handler.ServeHTTP(rec, req)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	if rec.over {
		rec.code = http.StatusBadGateway
		rec.header = http.Header{"Content-Type": {"application/json"}}
		rec.body.Reset()
		fmt.Fprintf(&rec.body, `{"error":"response larger than %d bytes: use the Function URL (streaming) or pass outputs by reference"}`, MaxBufferedResponse)
	}
	out := rec.body.Bytes()
	ct := rec.header.Get("Content-Type")
	text := rec.header.Get("Content-Encoding") == "" && utf8.Valid(out) &&
		(strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || ct == "")
	if text {
		return rec, string(out), false, nil
	}
	return rec, base64.StdEncoding.EncodeToString(out), true, nil
}

func single(h http.Header) map[string]string {
	m := make(map[string]string, len(h))
	for k, v := range h {
		m[k] = strings.Join(v, ",")
	}
	return m
}

func (a *Adapter) httpAPI(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) (*events.APIGatewayV2HTTPResponse, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	path := ev.RawPath
	if st := ev.RequestContext.Stage; st != "" && st != "$default" {
		path = strings.TrimPrefix(path, "/"+st)
	}
	target := "https://" + hostOr(ev.RequestContext.DomainName) + path
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	h := http.Header{}
	for k, v := range ev.Headers {
		h.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		h.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	rec, out, b64, err := a.serve(ctx, ev.RequestContext.HTTP.Method, target, h, body)
	if err != nil {
		return nil, err
	}
	cookies := rec.header.Values("Set-Cookie")
	rec.header.Del("Set-Cookie")
	return &events.APIGatewayV2HTTPResponse{StatusCode: rec.code, Headers: single(rec.header), Body: out, IsBase64Encoded: b64, Cookies: cookies}, nil
}

func hostOr(h string) string {
	if h == "" {
		return "lambda"
	}
	return h
}

// v1Request builds the URL and header of a REST API or ALB event, which
// carry single- or multi-value headers and query parameters.
func v1Request(path string, q map[string]string, mq map[string][]string, hd map[string]string, mh map[string][]string, unescape bool) (string, http.Header) {
	vals := url.Values{}
	if len(mq) > 0 {
		for k, vs := range mq {
			for _, v := range vs {
				vals.Add(unesc(k, unescape), unesc(v, unescape))
			}
		}
	} else {
		for k, v := range q {
			vals.Set(unesc(k, unescape), unesc(v, unescape))
		}
	}
	h := http.Header{}
	if len(mh) > 0 {
		for k, vs := range mh {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
	} else {
		for k, v := range hd {
			h.Set(k, v)
		}
	}
	target := "https://" + hostOr(h.Get("Host")) + path
	if len(vals) > 0 {
		target += "?" + vals.Encode()
	}
	return target, h
}

// unesc undoes the URL encoding ALB leaves in query parameters.
func unesc(s string, do bool) string {
	if !do {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func (a *Adapter) restAPI(ctx context.Context, ev *events.APIGatewayProxyRequest) (*events.APIGatewayProxyResponse, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	target, h := v1Request(ev.Path, ev.QueryStringParameters, ev.MultiValueQueryStringParameters, ev.Headers, ev.MultiValueHeaders, false)
	rec, out, b64, err := a.serve(ctx, ev.HTTPMethod, target, h, body)
	if err != nil {
		return nil, err
	}
	return &events.APIGatewayProxyResponse{StatusCode: rec.code, MultiValueHeaders: rec.header, Body: out, IsBase64Encoded: b64}, nil
}

func (a *Adapter) alb(ctx context.Context, ev *events.ALBTargetGroupRequest) (*events.ALBTargetGroupResponse, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	target, h := v1Request(ev.Path, ev.QueryStringParameters, ev.MultiValueQueryStringParameters, ev.Headers, ev.MultiValueHeaders, true)
	rec, out, b64, err := a.serve(ctx, ev.HTTPMethod, target, h, body)
	if err != nil {
		return nil, err
	}
	resp := &events.ALBTargetGroupResponse{StatusCode: rec.code, StatusDescription: fmt.Sprintf("%d %s", rec.code, http.StatusText(rec.code)), Body: out, IsBase64Encoded: b64}
	// A target group with multi-value headers on sends and expects them.
	if len(ev.MultiValueHeaders) > 0 {
		resp.MultiValueHeaders = rec.header
	} else {
		resp.Headers = single(rec.header)
	}
	return resp, nil
}

var _ io.Writer = (*recorder)(nil)
