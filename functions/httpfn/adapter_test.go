package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// awsTestdata reads one of aws-lambda-go's events/testdata payloads from
// the module cache.
func awsTestdata(t *testing.T, file string) []byte {
	t.Helper()
	cmd := exec.Command(goTool(), "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "events", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		file string
		raw  string
		want Kind
	}{
		{name: "function URL", file: "lambda-urls-request.json", want: KindFunctionURL},
		{name: "HTTP API", file: "apigw-v2-request-no-authorizer.json", want: KindHTTPAPI},
		{name: "HTTP API IAM", file: "apigw-v2-request-iam.json", want: KindHTTPAPI},
		{name: "HTTP API JWT", file: "apigw-v2-request-jwt-authorizer.json", want: KindHTTPAPI},
		{name: "REST API", file: "apigw-request.json", want: KindRESTAPI},
		{name: "ALB", file: "alb-lambda-target-request-headers-only.json", want: KindALB},
		{name: "ALB multi-value", file: "alb-lambda-target-request-multivalue-headers.json", want: KindALB},
		{name: "S3", file: "s3-event.json", want: KindUnknown},
		{name: "SQS", file: "sqs-event.json", want: KindUnknown},
		{name: "garbage", raw: "{not json", want: KindUnknown},
		{name: "empty object", raw: "{}", want: KindUnknown},
		{name: "payload 2.0 without routeKey", raw: `{"version":"2.0","requestContext":{"http":{"method":"GET"}}}`, want: KindFunctionURL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(tc.raw)
			if tc.file != "" {
				b = awsTestdata(t, tc.file)
			}
			if got := Detect(b); got != tc.want {
				t.Errorf("Detect = %s, want %s", got, tc.want)
			}
		})
	}
}

// echo answers with what it received; it stands in for the serving core
// to check the adapter's translation (the e2e tests run the real one).
type echo struct{ size int }

func (e echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if e.size > 0 {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(make([]byte, e.size))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("Set-Cookie", "a=1")
	w.WriteHeader(http.StatusTeapot)
	json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.Query(), "x": r.Header.Get("X-Test"), "body": string(body)})
}

type echoed struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Query  map[string][]string `json:"query"`
	X      string              `json:"x"`
	Body   string              `json:"body"`
}

func TestAdapter(t *testing.T) {
	a := NewAdapter(echo{})
	ctx := context.Background()
	b64 := base64.StdEncoding.EncodeToString([]byte("bin\x00ary"))
	tests := []struct {
		name    string
		payload string
		want    echoed
	}{
		{name: "HTTP API with stage", payload: `{"version":"2.0","routeKey":"ANY /{p+}","rawPath":"/prod/v1/models/m:predict","rawQueryString":"a=1&a=2",
			"headers":{"x-test":"h"},"requestContext":{"domainName":"x.execute-api.us-east-1.amazonaws.com","stage":"prod","http":{"method":"POST"}},"body":"` + b64 + `","isBase64Encoded":true}`,
			want: echoed{Method: "POST", Path: "/v1/models/m:predict", Query: map[string][]string{"a": {"1", "2"}}, X: "h", Body: "bin\x00ary"}},
		{name: "REST API multi-value", payload: `{"resource":"/{proxy+}","path":"/v2/health/ready","httpMethod":"GET","multiValueQueryStringParameters":{"q":["x y","z"]},
			"multiValueHeaders":{"X-Test":["h1"]},"requestContext":{}}`,
			want: echoed{Method: "GET", Path: "/v2/health/ready", Query: map[string][]string{"q": {"x y", "z"}}, X: "h1"}},
		{name: "ALB encoded query", payload: `{"requestContext":{"elb":{"targetGroupArn":"arn"}},"httpMethod":"PUT","path":"/p","queryStringParameters":{"k":"a%20b"},"headers":{"x-test":"h"},"body":"hi"}`,
			want: echoed{Method: "PUT", Path: "/p", Query: map[string][]string{"k": {"a b"}}, X: "h", Body: "hi"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := a.Invoke(ctx, json.RawMessage(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(out)
			var resp struct {
				StatusCode        int                 `json:"statusCode"`
				StatusDescription string              `json:"statusDescription"`
				Body              string              `json:"body"`
				Cookies           []string            `json:"cookies"`
				MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
			}
			if err := json.Unmarshal(raw, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusTeapot {
				t.Errorf("status %d", resp.StatusCode)
			}
			var got echoed
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
			if got.Method != tc.want.Method || got.Path != tc.want.Path || got.X != tc.want.X || got.Body != tc.want.Body || !sameQuery(got.Query, tc.want.Query) {
				t.Errorf("handler saw %+v, want %+v", got, tc.want)
			}
			switch v := out.(type) {
			case *events.APIGatewayV2HTTPResponse:
				if len(v.Cookies) != 1 || v.Cookies[0] != "a=1" {
					t.Errorf("cookies %v", v.Cookies)
				}
			case *events.ALBTargetGroupResponse:
				if v.StatusDescription != "418 I'm a teapot" {
					t.Errorf("status description %q", v.StatusDescription)
				}
			}
		})
	}
}

func sameQuery(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}

func TestAdapterLimitsAndErrors(t *testing.T) {
	ctx := context.Background()
	ev := `{"version":"2.0","routeKey":"$default","rawPath":"/","requestContext":{"domainName":"x.execute-api","http":{"method":"GET"}}}`
	out, err := NewAdapter(echo{size: MaxBufferedResponse + 1}).Invoke(ctx, json.RawMessage(ev))
	if err != nil {
		t.Fatal(err)
	}
	if r := out.(*events.APIGatewayV2HTTPResponse); r.StatusCode != http.StatusBadGateway || !strings.Contains(r.Body, "larger than") {
		t.Errorf("oversized response: %d %q", r.StatusCode, r.Body)
	}
	out, err = NewAdapter(echo{size: 10}).Invoke(ctx, json.RawMessage(ev))
	if err != nil {
		t.Fatal(err)
	}
	if r := out.(*events.APIGatewayV2HTTPResponse); !r.IsBase64Encoded {
		t.Error("binary response not base64")
	}
	if _, err := NewAdapter(echo{}).Invoke(ctx, json.RawMessage(`{"Records":[]}`)); err != ErrUnknownEvent {
		t.Errorf("unknown event: %v", err)
	}
	bad := `{"version":"2.0","routeKey":"$default","rawPath":"/","requestContext":{"domainName":"x","http":{"method":"GET"}},"body":"!!","isBase64Encoded":true}`
	if _, err := NewAdapter(echo{}).Invoke(ctx, json.RawMessage(bad)); err == nil {
		t.Error("bad base64 body: no error")
	}
}

// goTool returns the go command: $GOROOT/bin/go when the test runs under
// `go test` (which sets GOROOT), else the one on $PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}
