package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/objstore"
)

// putModels uploads the example model repository under models/.
func putModels(t *testing.T, s *s3Server) {
	t.Helper()
	ms, err := examples.Models()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		s.put(t, fmt.Sprintf("models/%s/%d/model.tflite", m.Name, m.Version), m.TFLite, objstore.CodecNone)
		s.put(t, fmt.Sprintf("models/%s/config.json", m.Name), m.ConfigJSON(), objstore.CodecNone)
	}
}

// httpResponse is the part of every buffered HTTP event response we check.
type httpResponse struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func (r httpResponse) header(k string) string {
	for hk, v := range r.Headers {
		if strings.EqualFold(hk, k) {
			return v
		}
	}
	for hk, v := range r.MultiValueHeaders {
		if strings.EqualFold(hk, k) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// body returns the response body, base64 and gzip undone.
func (r httpResponse) body(t *testing.T) []byte {
	t.Helper()
	b := []byte(r.Body)
	if r.IsBase64Encoded {
		var err error
		if b, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
			t.Fatal(err)
		}
	}
	if r.header("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func decodeHTTP(t *testing.T, raw []byte) httpResponse {
	t.Helper()
	var r httpResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response %q: %v", raw, err)
	}
	return r
}

// predictions parses a TF Serving predict response.
func predictions(t *testing.T, body []byte) [][]float64 {
	t.Helper()
	var p struct {
		Predictions [][]float64 `json:"predictions"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("predict response %q: %v", body, err)
	}
	return p.Predictions
}

func TestHTTPFunction(t *testing.T) {
	s := startS3(t)
	putModels(t, s)
	f := startFunction(t, "httpfn", s.env(t,
		"MODEL_REPOSITORY="+s.url("models"),
		"PRELOAD_MODELS=linear",
		"INPUT_URL_PREFIX="+s.url("inputs/"),
		"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
	))

	// y = 2x + 1 elementwise (see internal/examples): expected values are
	// computed by hand.
	httpAPI := func(method, path, body string, headers map[string]any) []byte {
		h := map[string]any{"content-type": "application/json", "host": "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com"}
		for k, v := range headers {
			h[k] = v
		}
		return awsEvent(t, "apigw-v2-request-no-authorizer.json", map[string]any{
			"rawPath": path, "requestContext.http.method": method, "requestContext.http.path": path,
			"headers": h, "body": body,
		})
	}

	t.Run("FunctionURL", func(t *testing.T) {
		ev := awsEvent(t, "lambda-urls-request.json", map[string]any{
			"rawPath": "/v2/models/linear/infer", "rawQueryString": "",
			"requestContext.http.method": "POST", "requestContext.http.path": "/v2/models/linear/infer",
			"headers": map[string]any{"content-type": "application/json"},
			"body":    `{"id":"r1","inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[-1,0,1,4]}]}`,
		})
		raw, el := f.invoke(t, ev)
		// A streamed Function URL response: a JSON prelude, 8 NUL bytes, the body.
		prelude, body, ok := bytes.Cut(raw, make([]byte, 8))
		if !ok {
			t.Fatalf("no streaming prelude in %q", raw)
		}
		var p struct {
			StatusCode int               `json:"statusCode"`
			Headers    map[string]string `json:"headers"`
		}
		if err := json.Unmarshal(prelude, &p); err != nil || p.StatusCode != 200 {
			t.Fatalf("prelude %q: %v", prelude, err)
		}
		var resp struct {
			ID      string `json:"id"`
			Outputs []struct {
				Name string    `json:"name"`
				Data []float64 `json:"data"`
			} `json:"outputs"`
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		if resp.ID != "r1" || len(resp.Outputs) != 1 || resp.Outputs[0].Name != "y" || !slices.Equal(resp.Outputs[0].Data, []float64{-1, 1, 3, 9}) {
			t.Errorf("response %s", body)
		}
		initMS, ok := f.initDuration()
		if !ok {
			t.Error("the function logged no init duration")
		}
		t.Logf("cold start: init %.0f ms (function's own log: store, cache, preload of linear from S3), first invocation %.1f ms wall (process start + init + invoke)", initMS, ms(el))
	})

	t.Run("HTTPAPIv2", func(t *testing.T) {
		raw, _ := f.invoke(t, httpAPI("POST", "/v1/models/linear:predict", `{"instances":[[-1,0,1,4],[0,0,0,0]]}`, nil))
		r := decodeHTTP(t, raw)
		if r.StatusCode != 200 {
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
		if got := predictions(t, r.body(t)); !slices.Equal(got[0], []float64{-1, 1, 3, 9}) || !slices.Equal(got[1], []float64{1, 1, 1, 1}) {
			t.Errorf("predictions %v", got)
		}
	})

	t.Run("RESTAPIv1", func(t *testing.T) {
		ev := awsEvent(t, "apigw-request.json", map[string]any{
			"path": "/v1/models/linear:predict", "httpMethod": "POST", "body": `{"instances":[[0.5,1,2,3]]}`,
			"queryStringParameters": nil, "multiValueQueryStringParameters": nil,
		})
		r := decodeHTTP(t, f.invokeOK(t, ev))
		if r.StatusCode != 200 {
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
		if r.MultiValueHeaders == nil || r.header("Content-Type") != "application/json" {
			t.Errorf("headers %v %v", r.Headers, r.MultiValueHeaders)
		}
		if got := predictions(t, r.body(t)); !slices.Equal(got[0], []float64{2, 3, 5, 7}) {
			t.Errorf("predictions %v", got)
		}
	})

	t.Run("ALB", func(t *testing.T) {
		ev := awsEvent(t, "alb-lambda-target-request-headers-only.json", map[string]any{
			"httpMethod": "POST", "path": "/v1/models/linear:predict",
			"body": base64.StdEncoding.EncodeToString([]byte(`{"instances":[[1,1,1,1]]}`)), "isBase64Encoded": true,
		})
		r := decodeHTTP(t, f.invokeOK(t, ev))
		if r.StatusCode != 200 || r.StatusDescription != "200 OK" {
			t.Fatalf("status %d %q: %s", r.StatusCode, r.StatusDescription, r.Body)
		}
		if got := predictions(t, r.body(t)); !slices.Equal(got[0], []float64{3, 3, 3, 3}) {
			t.Errorf("predictions %v", got)
		}
	})

	t.Run("InputByReference", func(t *testing.T) {
		s.put(t, "inputs/req.json.zst", []byte(`{"instances":[[10,20,30,40]]}`), objstore.CodecZstd)
		r := decodeHTTP(t, f.invokeOK(t, httpAPI("POST", "/v1/models/linear:predict", "", map[string]any{"x-edgeinfer-input-url": s.url("inputs/req.json.zst")})))
		if r.StatusCode != 200 {
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
		if got := predictions(t, r.body(t)); !slices.Equal(got[0], []float64{21, 41, 61, 81}) {
			t.Errorf("predictions %v", got)
		}
		r = decodeHTTP(t, f.invokeOK(t, httpAPI("POST", "/v1/models/linear:predict", "", map[string]any{"x-edgeinfer-input-url": s.url("models/linear/config.json")})))
		if r.StatusCode != 403 {
			t.Errorf("outside INPUT_URL_PREFIX: status %d, want 403", r.StatusCode)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			name, method, path, body string
			want                     int
		}{
			{"unknown model", "GET", "/v1/models/nope", "", 404},
			{"bad input", "POST", "/v1/models/linear:predict", `{"instances":[[1,2]]}`, 400},
			{"ready", "GET", "/v2/health/ready", "", 200},
		} {
			r := decodeHTTP(t, f.invokeOK(t, httpAPI(tc.method, tc.path, tc.body, nil)))
			if r.StatusCode != tc.want {
				t.Errorf("%s: status %d, want %d: %s", tc.name, r.StatusCode, tc.want, r.Body)
			}
		}
	})

	t.Run("WarmLatency", func(t *testing.T) {
		ev := httpAPI("POST", "/v1/models/linear:predict", `{"instances":[[-1,0,1,4]]}`, nil)
		var lat []float64
		for range 30 {
			_, el := f.invoke(t, ev)
			lat = append(lat, ms(el))
		}
		slices.Sort(lat)
		t.Logf("warm invocation through the emulator (HTTP API, linear): p50 %.2f ms, p90 %.2f ms, max %.2f ms over %d", lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)-1], len(lat))
	})
}

// invokeOK is invoke for events whose response we decode ourselves.
func (f *function) invokeOK(t *testing.T, payload []byte) []byte {
	t.Helper()
	b, _ := f.invoke(t, payload)
	return b
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// s3Event is aws-lambda-go's S3 event pointed at our bucket and key.
// s3Event is aws-lambda-go's sample S3 event for key, without its
// sample eTag (which names no object here): the function reads whatever
// version is stored. s3EventETag gives the ETag as S3 does.
func s3Event(t *testing.T, key string) []byte {
	return s3EventETag(t, key, "")
}

// s3EventETag is s3Event carrying the object's ETag (S3 sends it without
// the HTTP header's quotes); "" leaves it out.
func s3EventETag(t *testing.T, key, etag string) []byte {
	var v any
	if etag != "" {
		v = strings.Trim(etag, `"`)
	}
	return awsEvent(t, "s3-event.json", map[string]any{
		"Records.0.s3.bucket.name": bucket, "Records.0.s3.bucket.arn": "arn:aws:s3:::" + bucket,
		"Records.0.s3.object.key": key, "Records.0.s3.object.eTag": v,
	})
}

type summary struct {
	Status    string `json:"status"`
	Error     string `json:"error"`
	Model     string `json:"model"`
	Version   int64  `json:"version"`
	Records   int    `json:"records"`
	Succeeded int    `json:"succeeded"`
	Failed    int    `json:"failed"`
	BytesIn   int64  `json:"bytes_in"`
	Errors    []struct {
		Index int    `json:"index"`
		Line  int    `json:"line"`
		Error string `json:"error"`
	} `json:"errors"`
	Timings struct {
		TotalMS       float64 `json:"total_ms"`
		RecordsPerSec float64 `json:"records_per_sec"`
		MBPerSec      float64 `json:"mb_per_sec"`
	} `json:"timings"`
}

func readSummary(t *testing.T, s *s3Server, key string) summary {
	t.Helper()
	var sum summary
	if err := json.Unmarshal(s.get(t, "out/"+key+".summary.json", false), &sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestS3Function(t *testing.T) {
	s := startS3(t)
	putModels(t, s)
	f := startFunction(t, "s3fn", s.env(t,
		"MODEL_REPOSITORY="+s.url("models"),
		"MODEL=linear",
		"OUTPUT_PREFIX="+s.url("out"),
		"PRELOAD_MODELS=linear",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=600",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
	))
	small := "[0,1,2,3]\n[1,2]\n\n[-1,0,1,4]\n"
	s.put(t, "inputs/small.ndjson.zst", []byte(small), objstore.CodecZstd)
	// Expected output, by hand (y = 2x + 1); line 2 is a bad record.
	want := `{"index":0,"outputs":{"y":[[1,3,5,7]]}}` + "\n" + `{"index":1,"line":2,"error":"` // …message…
	wantTail := "\n" + `{"index":2,"outputs":{"y":[[-1,1,3,9]]}}` + "\n"

	var first []byte
	t.Run("S3Direct", func(t *testing.T) {
		raw, _ := f.invoke(t, s3Event(t, "inputs/small.ndjson.zst"))
		var res struct {
			Summaries []summary `json:"summaries"`
		}
		if err := json.Unmarshal(raw, &res); err != nil || len(res.Summaries) != 1 {
			t.Fatalf("response %s: %v", raw, err)
		}
		sum := res.Summaries[0]
		if sum.Status != "ok" || sum.Records != 3 || sum.Succeeded != 2 || sum.Failed != 1 || sum.Model != "linear" || sum.Version != 1 ||
			len(sum.Errors) != 1 || sum.Errors[0].Line != 2 || sum.BytesIn != int64(len(small)) {
			t.Errorf("summary %+v", sum)
		}
		stored := s.get(t, "out/inputs/small.ndjson.zst.predictions.ndjson.zst", false)
		if objstore.DetectCodec(stored) != objstore.CodecZstd {
			t.Errorf("predictions are not zstd: % x", stored[:min(8, len(stored))])
		}
		out := string(s.get(t, "out/inputs/small.ndjson.zst.predictions.ndjson.zst", true))
		if !strings.HasPrefix(out, want) || !strings.HasSuffix(out, wantTail) || strings.Count(out, "\n") != 3 {
			t.Errorf("predictions:\n%s", out)
		}
		if readSummary(t, s, "inputs/small.ndjson.zst").Records != 3 {
			t.Error("summary object disagrees")
		}
		first = stored
	})

	t.Run("Redelivery", func(t *testing.T) {
		if first == nil {
			t.Skip("S3Direct failed")
		}
		f.invoke(t, s3Event(t, "inputs/small.ndjson.zst"))
		again := s.get(t, "out/inputs/small.ndjson.zst.predictions.ndjson.zst", false)
		if !bytes.Equal(first, again) {
			t.Error("re-delivered event wrote different bytes")
		}
		list, err := s.Store.List(context.Background(), s.url("out/inputs/small"))
		if err != nil || len(list) != 2 {
			t.Errorf("outputs after re-delivery: %d objects (%v), want predictions + summary", len(list), err)
		}
	})

	t.Run("SQSOneFailing", func(t *testing.T) {
		var ev map[string]any
		if err := json.Unmarshal(awsEvent(t, "sqs-event.json", map[string]any{"Records.0.body": string(s3Event(t, "inputs/small.ndjson.zst"))}), &ev); err != nil {
			t.Fatal(err)
		}
		recs := ev["Records"].([]any)
		second := map[string]any{}
		for k, v := range recs[0].(map[string]any) {
			second[k] = v
		}
		second["messageId"] = "MessageID_2"
		second["body"] = string(s3Event(t, "inputs/missing.ndjson"))
		ev["Records"] = append(recs, second)
		payload, _ := json.Marshal(ev)
		raw, _ := f.invoke(t, payload)
		var resp struct {
			BatchItemFailures []struct {
				ItemIdentifier string `json:"itemIdentifier"`
			} `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(raw, &resp); err != nil {
			t.Fatalf("response %s: %v", raw, err)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "MessageID_2" {
			t.Errorf("batch item failures %s, want only MessageID_2", raw)
		}
	})

	t.Run("PinnedETag", func(t *testing.T) {
		// The event's ETag pins the version read: the announced version is
		// processed; once the object is replaced, an event for the old
		// version fails cleanly and commits nothing.
		key := "inputs/pinned.ndjson"
		s.put(t, key, []byte("[0,1,2,3]\n"), objstore.CodecNone)
		attrs, err := s.Store.Stat(context.Background(), s.url(key))
		if err != nil || attrs.ETag == "" {
			t.Fatalf("stat: %+v, %v", attrs, err)
		}
		raw, _ := f.invoke(t, s3EventETag(t, key, attrs.ETag))
		if !bytes.Contains(raw, []byte(`"status":"ok"`)) {
			t.Fatalf("announced version: %s", raw)
		}
		pred := "out/" + key + ".predictions.ndjson.zst"
		if got := string(s.get(t, pred, true)); got != `{"index":0,"outputs":{"y":[[1,3,5,7]]}}`+"\n" {
			t.Fatalf("predictions %q", got)
		}
		s.put(t, key, []byte("[5,5,5,5]\n[6,6,6,6]\n"), objstore.CodecNone)
		raw, _ = f.invoke(t, s3EventETag(t, key, attrs.ETag))
		var fail struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if err := json.Unmarshal(raw, &fail); err != nil || !strings.Contains(fail.ErrorMessage, "changed") {
			t.Errorf("want a function error naming the changed object, got %s", raw)
		}
		if sum := readSummary(t, s, key); sum.Status != "failed" || !strings.Contains(sum.Error, "changed") {
			t.Errorf("summary %+v", sum)
		}
		if got := string(s.get(t, pred, true)); got != `{"index":0,"outputs":{"y":[[1,3,5,7]]}}`+"\n" {
			t.Errorf("predictions after a refused run: %q, want the previous ones unchanged", got)
		}
	})

	t.Run("CorruptObject", func(t *testing.T) {
		// zstd magic, then garbage.
		s.put(t, "inputs/corrupt.ndjson.zst", append([]byte{0x28, 0xb5, 0x2f, 0xfd}, bytes.Repeat([]byte{0xff, 0x13, 0x00}, 500)...), objstore.CodecNone)
		raw, _ := f.invoke(t, s3Event(t, "inputs/corrupt.ndjson.zst"))
		var fail struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if err := json.Unmarshal(raw, &fail); err != nil || !strings.Contains(fail.ErrorMessage, "corrupt") {
			t.Errorf("want a function error naming the corruption, got %s", raw)
		}
		if sum := readSummary(t, s, "inputs/corrupt.ndjson.zst"); sum.Status != "failed" || !strings.Contains(sum.Error, "corrupt") {
			t.Errorf("summary %+v", sum)
		}
		if _, err := s.Store.Stat(context.Background(), s.url("out/inputs/corrupt.ndjson.zst.predictions.ndjson.zst")); err == nil {
			t.Error("a corrupt input left a predictions object")
		}
	})

	t.Run("LargeObject", func(t *testing.T) {
		mb := 32
		if v := os.Getenv("EDGEINFER_E2E_LARGE_MB"); v != "" {
			var err error
			if mb, err = strconv.Atoi(v); err != nil || mb <= 0 {
				t.Fatalf("EDGEINFER_E2E_LARGE_MB=%q", v)
			}
		}
		key := "inputs/large.ndjson.zst"
		n, size, stored := putLarge(t, s, key, int64(mb)<<20)
		// The emulator starts the function on the first invocation: make
		// sure it runs (and has done a small object) before measuring.
		f.invoke(t, s3Event(t, "inputs/small.ndjson.zst"))
		pid := f.bootstrapPID(t)
		before := peakRSS(t, pid)
		raw, el := f.invoke(t, s3Event(t, key))
		after := peakRSS(t, pid)
		var res struct {
			Summaries []summary `json:"summaries"`
		}
		if err := json.Unmarshal(raw, &res); err != nil || len(res.Summaries) != 1 {
			t.Fatalf("response %.500s: %v", raw, err)
		}
		sum := res.Summaries[0]
		if sum.Status != "ok" || sum.Records != n || sum.Failed != 0 || sum.BytesIn != size {
			t.Fatalf("summary %+v, want %d records of %d bytes", sum, n, size)
		}
		t.Logf("large object: %d records, %.1f MiB decoded (%.1f MiB zstd) in %.2f s: %.0f records/s, %.1f MB/s (pipeline %.0f records/s, %.1f MB/s); peak RSS %.1f MiB before, %.1f MiB after",
			n, float64(size)/(1<<20), float64(stored)/(1<<20), el.Seconds(), float64(n)/el.Seconds(), float64(size)/1e6/el.Seconds(),
			sum.Timings.RecordsPerSec, sum.Timings.MBPerSec, float64(before)/(1<<20), float64(after)/(1<<20))
		// Flat memory: the peak stays under a fixed bound whatever the
		// object's size (measured: ~100 MiB at 32 MiB, ~110 at 256 MiB,
		// ~160 at 1 GiB; buffers are about 80 MiB, the rest is GC slack).
		if after > maxRSS {
			t.Errorf("peak RSS %d MiB on a %d MiB object, over the %d MiB bound: memory is not flat", after>>20, mb, maxRSS>>20)
		}
		// Spot-check a record by hand: record 7 is [7.5,-1.25,7,0.125].
		r := openPredictions(t, s, key)
		defer r.Close()
		sc := bufio.NewScanner(r)
		for i := 0; i <= 7 && sc.Scan(); i++ {
			if i == 7 && sc.Text() != `{"index":7,"outputs":{"y":[[16,-1.5,15,1.25]]}}` {
				t.Errorf("record 7: %s", sc.Text())
			}
		}
	})
}

// maxRSS bounds the function's peak resident memory on the large object.
const maxRSS = 256 << 20

func openPredictions(t *testing.T, s *s3Server, key string) io.ReadCloser {
	t.Helper()
	r, err := s.Store.Open(context.Background(), s.url("out/"+key+".predictions.ndjson.zst"), &objstore.ReadOptions{Decompress: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// putLarge streams about size bytes of NDJSON records for linear,
// zstd-compressed, to key. Record i is [i.5,-1.25,i,0.125]. It returns the
// record count, the decoded size and the stored size.
func putLarge(t *testing.T, s *s3Server, key string, size int64) (int, int64, int64) {
	t.Helper()
	w, err := s.Store.Create(context.Background(), s.url(key), &objstore.WriteOptions{Compression: objstore.CodecZstd})
	if err != nil {
		t.Fatal(err)
	}
	var (
		buf   []byte
		n     int
		total int64
	)
	for total < size {
		buf = buf[:0]
		for len(buf) < 1<<20 && total+int64(len(buf)) < size {
			buf = fmt.Appendf(buf, "[%d.5,-1.25,%d,0.125]\n", n, n)
			n++
		}
		if _, err := w.Write(buf); err != nil {
			t.Fatal(err)
		}
		total += int64(len(buf))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	a, err := s.Store.Stat(context.Background(), s.url(key))
	if err != nil {
		t.Fatal(err)
	}
	return n, total, a.Size
}
