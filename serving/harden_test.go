package serving

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/tflite"
)

// rawRequest writes head (request line and headers, without the blank
// line) and then body on a new connection to the test server, and reads
// one response, failing after limit.
func rawRequest(t *testing.T, addr, head string, body []byte, limit time.Duration) (*http.Response, []byte, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(limit))
	if _, err := io.WriteString(c, head+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if len(body) > 0 {
		c.Write(body)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response within %v: %v", limit, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b, c
}

// "outputs": [] asks for every output (it used to index past the empty
// list in the handler); the request is answered and counted as a 200.
func TestV2EmptyOutputs(t *testing.T) {
	e := standardEnv(t, Config{})
	body := `{"inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"b","shape":[1,2],"datatype":"FP32","data":[3,4]}],"outputs":[]}`
	code, _, resp := e.do(t, "POST", "/v2/models/pair/infer", []byte(body), nil)
	want := `{"model_name":"pair","model_version":"1","outputs":[{"name":"cat","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"sum","datatype":"FP32","shape":[1,1],"data":[3]}]}`
	if code != 200 || string(resp) != want {
		t.Fatalf("%d %s", code, resp)
	}
	body = `{"parameters":{"binary_data_output":true},"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],"outputs":[]}`
	code, hdr, resp := e.do(t, "POST", "/v2/models/linear/infer", []byte(body), nil)
	if code != 200 || hdr.Get("Inference-Header-Content-Length") == "" || !bytes.HasSuffix(resp, f32bytes(24, -10)) {
		t.Fatalf("binary, all outputs: %d %q", code, resp)
	}
	if v, _ := metricValue(t, e.srv, "edgeinfer_requests_total", map[string]string{"model": "pair", "code": "200"}); v != 1 {
		t.Fatalf("requests_total{pair,200} = %v", v)
	}
}

// panicSpecs is a model whose signature panics when the request path reads
// it: a stand-in for any bug in a handler.
type panicSpecs struct{ Model }

func (panicSpecs) Inputs() []tflite.TensorSpec { panic("secret panic text /srv/internal/path") }

// A handler that panics answers a stable 500 without the panic text, logs
// it with the request ID, counts a 500 (not a 200) and leaves the server
// serving.
func TestHandlerPanicRecovered(t *testing.T) {
	logs := &syncBuffer{}
	e := newEnv(t, Config{Logger: newTestLogger(logs)}, func(s *testSource) {
		s.add("bad", 1, panicSpecs{buildLinear(t, true)}, ModelConfig{})
		s.add("linear", 1, buildLinear(t, true), ModelConfig{})
	})
	code, hdr, body := e.do(t, "POST", "/v1/models/bad:predict", []byte(`{"instances":[[1,2,3]]}`), nil)
	if code != 500 || string(body) != `{"error":"internal error"}` {
		t.Fatalf("%d %s", code, body)
	}
	if id := hdr.Get("X-Request-Id"); !strings.Contains(logs.String(), "request_id="+id) || !strings.Contains(logs.String(), "secret panic text") {
		t.Fatalf("panic not logged with request %s: %s", id, logs)
	}
	if v, _ := metricValue(t, e.srv, "edgeinfer_requests_total", map[string]string{"model": "bad", "code": "500"}); v != 1 {
		t.Fatalf("requests_total{bad,500} = %v", v)
	}
	if v, _ := metricValue(t, e.srv, "edgeinfer_requests_total", map[string]string{"code": "200"}); v != 0 {
		t.Fatalf("requests_total{200} = %v after a panic", v)
	}
	if code, _, _ := e.do(t, "POST", "/v1/models/linear:predict", []byte(`{"instances":[[1,2,3]]}`), nil); code != 200 {
		t.Fatalf("after the panic: %d", code)
	}
}

// Errors from the model source keep their status but not their text: it
// may name paths or storage. Client input echoed in errors and logs is
// clipped.
func TestErrorsExposeNothing(t *testing.T) {
	logs := &syncBuffer{}
	e := newEnv(t, Config{Logger: newTestLogger(logs)}, func(s *testSource) {
		s.add("pair", 1, buildPair(t), ModelConfig{})
	})
	secret := &secretSource{ModelSource: e.src}
	e.srv.cfg.Source = secret
	long := strings.Repeat("n", 200<<10)
	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{name: "not found", method: "GET", path: "/v2/models/nosuch", want: 404},
		{name: "broken source", method: "GET", path: "/v2/models/boom", want: 500},
		{name: "unavailable", method: "POST", path: "/v1/models/gone:predict", body: `{"instances":[1]}`, want: 503},
		{name: "long input name", method: "POST", path: "/v2/models/pair/infer",
			body: `{"inputs":[{"name":"` + long + `","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"b","shape":[1,2],"datatype":"FP32","data":[3,4]}]}`, want: 400},
		{name: "long output name", method: "POST", path: "/v2/models/pair/infer",
			body: `{"inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"b","shape":[1,2],"datatype":"FP32","data":[3,4]}],"outputs":[{"name":"` + long + `"}]}`, want: 400},
		{name: "long datatype", method: "POST", path: "/v2/models/pair/infer",
			body: `{"inputs":[{"name":"a","shape":[1,2],"datatype":"` + long + `","data":[1,2]}]}`, want: 400},
		{name: "long number", method: "POST", path: "/v1/models/pair:predict",
			body: `{"inputs":{"a":[[1` + strings.Repeat("0", 100<<10) + `,2]],"b":[[1,2]]}}`, want: 400},
		{name: "long v1 path", method: "GET", path: "/v1/models/pair/" + long, want: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(logs.String())
			code, _, body := e.do(t, tt.method, tt.path, []byte(tt.body), nil)
			if code != tt.want {
				t.Fatalf("status %d, want %d: %.300s", code, tt.want, body)
			}
			if bytes.Contains(body, []byte("/srv/secret")) || bytes.Contains(body, []byte("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn")) || len(body) > 700 {
				t.Fatalf("response shows too much (%d bytes): %.300s", len(body), body)
			}
			if l := len(logs.String()) - before; l > 4096 {
				t.Fatalf("log grew by %d bytes", l)
			}
		})
	}
	if !strings.Contains(logs.String(), "/srv/secret") {
		t.Fatal("the cause is not in the log")
	}
}

// secretSource fails like a source whose errors name server paths.
type secretSource struct{ ModelSource }

func (s *secretSource) Get(ctx context.Context, ref Ref) (*Loaded, error) {
	switch ref.Model {
	case "nosuch":
		return nil, fmt.Errorf("%w: open /srv/secret/models/nosuch: no such file or directory", ErrNotFound)
	case "gone":
		return nil, fmt.Errorf("%w: checksum of /srv/secret/models/gone/1/model.tflite", ErrUnavailable)
	case "boom":
		return nil, fmt.Errorf("tflite: /srv/secret/models/boom/1/model.tflite: buffer 3 out of range")
	}
	return s.ModelSource.Get(ctx, ref)
}

// The repository (admin) endpoints are off unless enabled, and need their
// own token when auth is on; the Bearer scheme is case-insensitive.
func TestAdminEndpoints(t *testing.T) {
	if _, err := New(Config{Source: newTestSource(), AuthToken: "a", EnableAdmin: true}); err == nil {
		t.Fatal("EnableAdmin with AuthToken and no AdminToken accepted")
	}
	if _, err := New(Config{Source: newTestSource(), AuthToken: "a", AdminToken: "a", EnableAdmin: true}); err == nil {
		t.Fatal("AdminToken equal to AuthToken accepted")
	}
	off := standardEnv(t, Config{})
	for _, p := range []string{"/v2/repository/index", "/v2/repository/models/linear/unload", "/v2/repository/models/linear/load"} {
		if code, _, _ := off.do(t, "POST", p, nil, nil); code != 403 {
			t.Fatalf("admin off: POST %s: %d, want 403", p, code)
		}
	}
	if code, _, _ := off.do(t, "POST", "/v1/models/linear:predict", []byte(`{"instances":[[1,2,3]]}`), nil); code != 200 {
		t.Fatalf("linear was unloaded anonymously: %d", code)
	}
	open := standardEnv(t, Config{EnableAdmin: true})
	if code, _, _ := open.do(t, "POST", "/v2/repository/index", nil, nil); code != 200 {
		t.Fatalf("admin on, no auth: %d", code)
	}
	e := standardEnv(t, Config{EnableAdmin: true, AuthToken: "user", AdminToken: "root"})
	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{name: "admin, no token", method: "POST", path: "/v2/repository/index", want: 401},
		{name: "admin, user token", method: "POST", path: "/v2/repository/models/linear/unload", auth: "Bearer user", want: 401},
		{name: "admin, admin token", method: "POST", path: "/v2/repository/index", auth: "Bearer root", want: 200},
		{name: "admin, lower-case scheme", method: "POST", path: "/v2/repository/index", auth: "bearer root", want: 200},
		{name: "user, admin token", method: "GET", path: "/v2/models/linear", auth: "Bearer root", want: 401},
		{name: "user, upper-case scheme", method: "GET", path: "/v2/models/linear", auth: "BEARER user", want: 200},
		{name: "user, extra spaces", method: "GET", path: "/v2/models/linear", auth: "  Bearer   user ", want: 200},
		{name: "user, empty token", method: "GET", path: "/v2/models/linear", auth: "Bearer ", want: 401},
		{name: "user, other scheme", method: "GET", path: "/v2/models/linear", auth: "Basic user", want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.auth != "" {
				h["Authorization"] = tt.auth
			}
			if code, _, body := e.do(t, tt.method, tt.path, nil, h); code != tt.want {
				t.Fatalf("status %d, want %d: %s", code, tt.want, body)
			}
		})
	}
}

// A version is a plain positive integer: "+1", "01" and the like are not 1.
func TestVersionSyntax(t *testing.T) {
	e := standardEnv(t, Config{})
	for _, v := range []string{"+3", "03", "3.0", "3e0", "0x3", "%203", "-3", "0", "99999999999999999999"} {
		for _, p := range []string{"/v1/models/linear/versions/" + v, "/v2/models/linear/versions/" + v} {
			if code, _, body := e.do(t, "GET", p, nil, nil); code != 400 {
				t.Errorf("GET %s: %d, want 400: %s", p, code, body)
			}
		}
	}
	if code, _, _ := e.do(t, "GET", "/v2/models/linear/versions/3", nil, nil); code != 200 {
		t.Fatalf("version 3: %d", code)
	}
}

// A Content-Length over MaxBodyBytes is refused before the body is sent.
func TestContentLengthRefusedAtOnce(t *testing.T) {
	e := standardEnv(t, Config{MaxBodyBytes: 1 << 20})
	for _, p := range []string{"/v1/models/linear:predict", "/v2/models/linear/infer"} {
		resp, body, _ := rawRequest(t, e.ts.Listener.Addr().String(),
			"POST "+p+" HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824", nil, 5*time.Second)
		if resp.StatusCode != 413 || !bytes.Contains(body, []byte("MaxBodyBytes")) {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}

// Admission comes before the body is read: with the model's places taken,
// a request is refused with 429 and Retry-After while its body has not
// even been sent.
func TestAdmissionBeforeBody(t *testing.T) {
	release := make(chan struct{})
	e := newEnv(t, Config{}, func(s *testSource) {
		s.add("slow", 1, &hookModel{Model: buildLinear(t, true), hook: func(ctx context.Context) error {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		}}, ModelConfig{MaxConcurrency: 1, MaxQueue: 1})
	})
	req := []byte(`{"instances":[[1,2,3]]}`)
	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := e.ts.Client().Post(e.ts.URL+"/v1/models/slow:predict", "application/json", bytes.NewReader(req))
			if err != nil {
				done <- 0
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Logf("%d %s", resp.StatusCode, b)
			}
			done <- resp.StatusCode
		}()
	}
	waitFor(t, 5*time.Second, "two requests admitted", func() bool {
		e.srv.mu.Lock()
		q := e.srv.queues[queueKey{"slow", 1}]
		e.srv.mu.Unlock()
		return q != nil && q.admitted.Load() == 2
	})
	for _, p := range []string{"/v1/models/slow:predict", "/v2/models/slow/infer"} {
		resp, body, _ := rawRequest(t, e.ts.Listener.Addr().String(),
			"POST "+p+" HTTP/1.1\r\nHost: x\r\nContent-Length: 550000", nil, 5*time.Second)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	close(release)
	for range 2 {
		if c := <-done; c != 200 {
			t.Fatalf("admitted request: %d", c)
		}
	}
	if v, _ := metricValue(t, e.srv, "edgeinfer_requests_total", map[string]string{"model": "slow", "code": "429"}); v != 2 {
		t.Fatalf("requests_total{slow,429} = %v", v)
	}
}

// Drain turns readiness off and tells keep-alive clients to close, while
// requests are still answered.
func TestDrain(t *testing.T) {
	e := standardEnv(t, Config{})
	if code, _, _ := e.do(t, "GET", "/v2/health/ready", nil, nil); code != 200 {
		t.Fatalf("ready: %d", code)
	}
	e.srv.Drain()
	if code, _, _ := e.do(t, "GET", "/v2/health/ready", nil, nil); code != 503 {
		t.Fatalf("ready while draining: %d", code)
	}
	resp, body, _ := rawRequest(t, e.ts.Listener.Addr().String(),
		"POST /v1/models/linear:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 23", []byte(`{"instances":[[1,2,3]]}`), 5*time.Second)
	if resp.StatusCode != 200 || !resp.Close || string(body) != `{"predictions":[[24,-10]]}` {
		t.Fatalf("while draining: %d close=%v %s", resp.StatusCode, resp.Close, body)
	}
}

// The http.Server of HTTPServer cuts off clients that send headers or a
// body too slowly, and idle keep-alive connections.
func TestHTTPServerTimeouts(t *testing.T) {
	src := newTestSource()
	src.add("linear", 1, buildLinear(t, true), ModelConfig{})
	srv, err := New(Config{Source: src, Logger: newTestLogger(io.Discard),
		ReadHeaderTimeout: 100 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, IdleTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := srv.HTTPServer("", nil)
	go hs.Serve(ln)
	defer hs.Close()
	addr := ln.Addr().String()
	closedWithin := func(name string, c net.Conn, d time.Duration) {
		t.Helper()
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, c) // until the server closes
		if took := time.Since(start); took > d {
			t.Fatalf("%s: connection held %v, want under %v", name, took, d)
		}
	}
	// Headers that never end.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /v1/models/linear:predict HTTP/1.1\r\nHost: x\r\n")
	closedWithin("slow headers", c, 2*time.Second)
	// A body that trickles.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	io.WriteString(c2, "POST /v1/models/linear:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
	closedWithin("slow body", c2, 2*time.Second)
	// An idle keep-alive connection.
	c3, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	io.WriteString(c3, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c3)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("live: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	start := time.Now()
	c3.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, br)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("idle connection held %v", took)
	}
}

// Classes and detections with non-finite numbers are valid JSON, with the
// numbers as the strings tensors use; finite ones are unchanged.
func TestNonFiniteJSON(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		v    any
		want string
	}{
		{Class{Index: 3, Label: "cat", Score: 0.5}, `{"index":3,"label":"cat","score":0.5}`},
		{Class{Index: 3, Score: nan}, `{"index":3,"score":"NaN"}`},
		{[]Class{{Index: 1, Score: inf}, {Index: 2, Score: -inf}}, `[{"index":1,"score":"Infinity"},{"index":2,"score":"-Infinity"}]`},
		{Detection{Class: 1, Score: 0.25, Box: [4]float64{1, 2, 3, 4}}, `{"class":1,"score":0.25,"box":[1,2,3,4]}`},
		{Detection{Label: "x", Class: 1, Score: nan, Box: [4]float64{math.NaN(), 2, math.Inf(-1), 4}}, `{"label":"x","class":1,"score":"NaN","box":["NaN",2,"-Infinity",4]}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v)
		if err != nil || string(b) != tt.want {
			t.Errorf("%+v: %s %v, want %s", tt.v, b, err, tt.want)
		}
	}
}
