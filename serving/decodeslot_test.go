package serving

import (
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// largeBodies returns V1 and V2 requests for the linear model whose
// bodies are over decodeSlotMin, so that they need a decode place.
func largeBodies() (v1, v2 string) {
	const rows = decodeSlotMin / 4 // "[1,2,3]," and "1,1,1," are over 4 bytes a row
	v1 = strings.Repeat("[1,2,3],", rows)
	v2 = strings.Repeat("1,", 3*rows)
	return `{"instances":[` + v1[:len(v1)-1] + `]}`,
		`{"inputs":[{"name":"x","shape":[` + strconv.Itoa(rows) + `,3],"datatype":"FP32","data":[` + v2[:len(v2)-1] + `]}]}`
}

// Decoding is bounded: with every decode place taken, an admitted request
// with a large body waits for one only until its deadline and is then
// refused (429 with Retry-After, counted as shed), never held longer;
// once a place frees, a waiting request is decoded and answered. Small
// bodies need no place: they are not held up behind a large decode.
func TestDecodePlaces(t *testing.T) {
	if got, want := cap(standardEnv(t, Config{}).srv.decoders), max(1, runtime.GOMAXPROCS(0)-1); got != want {
		t.Fatalf("default DecodeConcurrency %d, want %d", got, want)
	}
	e := standardEnv(t, Config{DecodeConcurrency: 1})
	e.srv.decoders <- struct{}{} // the only place, held as a long decode would
	short := map[string]string{"X-Request-Timeout": "200ms", "Content-Type": "application/json"}
	v1, v2 := largeBodies()
	for _, c := range []struct{ path, body string }{
		{"/v1/models/linear:predict", v1},
		{"/v2/models/linear/infer", v2},
	} {
		start := time.Now()
		code, hdr, body := e.do(t, "POST", c.path, []byte(c.body), short)
		if code != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), "decode place") {
			t.Fatalf("%s with no decode place: %d %.200s", c.path, code, body)
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Fatalf("%s: refused after %v, before its 200ms deadline", c.path, d)
		}
	}
	if v, _ := metricValue(t, e.srv, "edgeinfer_shed_total", map[string]string{"model": "linear"}); v != 2 {
		t.Fatalf("shed_total{linear} = %v, want 2", v)
	}
	for path, body := range map[string]string{
		"/v1/models/linear:predict": `{"instances":[[1,2,3]]}`,
		"/v2/models/linear/infer":   `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`,
	} {
		if code, _, resp := e.do(t, "POST", path, []byte(body), short); code != 200 {
			t.Fatalf("%s, small body, no decode place free: %d %s", path, code, resp)
		}
	}

	done := make(chan int, 1)
	go func() {
		resp, err := e.ts.Client().Post(e.ts.URL+"/v1/models/linear:predict", "application/json", strings.NewReader(v1))
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
	if code, _, resp := e.do(t, "POST", "/v2/models/linear/infer", []byte(v2), nil); code != 200 {
		t.Fatalf("V2, large body, a decode place free: %d %.200s", code, resp)
	}
}
