package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/functions/internal/lambdaenv"
	"github.com/edgeinfer/edgeinfer/internal/examples"
)

func newHandler(t *testing.T, margin string) *Handler {
	t.Helper()
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	s, err := lambdaenv.FromEnv(func(k string) string {
		return map[string]string{"MODEL_REPOSITORY": dir, "DEADLINE_MARGIN_MS": margin, "PRELOAD_MODELS": "linear"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := lambdaenv.New(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return &Handler{RT: rt, InputPrefix: "file://" + dir + "/inputs/"}
}

// TestHandlerDeadline: an invocation whose deadline is within the safety
// margin is answered 504 at once instead of running into Lambda's kill.
func TestHandlerDeadline(t *testing.T) {
	h := newHandler(t, "1000")
	for _, tc := range []struct {
		name string
		left time.Duration
		want int
	}{
		{name: "inside the margin", left: 500 * time.Millisecond, want: http.StatusGatewayTimeout},
		{name: "time left", left: 10 * time.Second, want: http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.left)
			defer cancel()
			req := httptest.NewRequestWithContext(ctx, "POST", "/v1/models/linear:predict", strings.NewReader(`{"instances":[[1,2,3,4]]}`))
			rec := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			if el := time.Since(start); el > tc.left {
				t.Errorf("answered after %v, past the invocation deadline", el)
			}
		})
	}
}

func TestHandlerInputByReference(t *testing.T) {
	h := newHandler(t, "0")
	for _, tc := range []struct {
		name, url string
		want      int
	}{
		{name: "missing object", url: h.InputPrefix + "nope.json", want: http.StatusNotFound},
		{name: "outside prefix", url: "file:///etc/passwd", want: http.StatusForbidden},
		{name: "dot dot", url: h.InputPrefix + "a/../../linear/config.json", want: http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/v1/models/linear:predict", nil)
			req.Header.Set(InputURLHeader, tc.url)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
		})
	}
}
