package serving

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Decoding is bounded: with every decode place taken, an admitted request
// waits for one only until its deadline and is then refused (429 with
// Retry-After, counted as shed), never held longer; once a place frees, a
// waiting request is decoded and answered.
func TestDecodePlaces(t *testing.T) {
	if got, want := cap(standardEnv(t, Config{}).srv.decoders), max(1, runtime.GOMAXPROCS(0)-1); got != want {
		t.Fatalf("default DecodeConcurrency %d, want %d", got, want)
	}
	e := standardEnv(t, Config{DecodeConcurrency: 1})
	e.srv.decoders <- struct{}{} // the only place, held as a long decode would
	short := map[string]string{"X-Request-Timeout": "200ms", "Content-Type": "application/json"}
	for _, c := range []struct{ path, body string }{
		{"/v1/models/linear:predict", `{"instances":[[1,2,3]]}`},
		{"/v2/models/linear/infer", `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`},
	} {
		start := time.Now()
		code, hdr, body := e.do(t, "POST", c.path, []byte(c.body), short)
		if code != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), "decode place") {
			t.Fatalf("%s with no decode place: %d %s", c.path, code, body)
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Fatalf("%s: refused after %v, before its 200ms deadline", c.path, d)
		}
	}
	if v, _ := metricValue(t, e.srv, "edgeinfer_shed_total", map[string]string{"model": "linear"}); v != 2 {
		t.Fatalf("shed_total{linear} = %v, want 2", v)
	}

	done := make(chan int, 1)
	go func() {
		resp, err := e.ts.Client().Post(e.ts.URL+"/v1/models/linear:predict", "application/json", bytes.NewReader([]byte(`{"instances":[[1,2,3]]}`)))
		if err != nil {
			done <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case c := <-done:
		t.Fatalf("answered %d while no decode place was free", c)
	default:
	}
	<-e.srv.decoders
	if c := <-done; c != 200 {
		t.Fatalf("request that waited for a decode place: %d", c)
	}
}
