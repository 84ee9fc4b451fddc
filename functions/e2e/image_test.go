package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/testserver"
	"github.com/edgeinfer/edgeinfer/objstore"
)

// imageFiles reads the corpus classifier and Grace Hopper from
// ../shared in place (skipping without them unless
// EDGEINFER_CONFORMANCE=require).
func imageFiles(t *testing.T) (model, img []byte) {
	t.Helper()
	root := filepath.Join(testserver.RepoRoot(t), "..", "shared")
	m, err1 := os.ReadFile(filepath.Join(root, "realmodels", "coral__tf2_mobilenet_v2_1.0_224_ptq", "model.tflite"))
	i, err2 := os.ReadFile(filepath.Join(root, "media", "grace_hopper.bmp"))
	if err1 != nil || err2 != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("shared data required: %v %v", err1, err2)
		}
		t.Skipf("shared data absent under %s; skipping", root)
	}
	return m, i
}

// TestImageFunctions sends Grace Hopper to the corpus classifier (imagenet
// labels in its metadata) through httpfn's event sources, which deliver
// binary bodies base64-encoded, and through s3fn as an image object. 653
// "military uniform" is stock TensorFlow Lite's top-1 for the tensor our
// preprocessing makes of this image (preprocess.TestTop1AgainstStockTFLite).
func TestImageFunctions(t *testing.T) {
	model, img := imageFiles(t)
	s := startS3(t)
	s.put(t, "models/cls/1/model.tflite", model, objstore.CodecNone)
	b64 := base64.StdEncoding.EncodeToString(img)

	t.Run("httpfn", func(t *testing.T) {
		f := startFunction(t, "httpfn", s.env(t,
			"MODEL_REPOSITORY="+s.url("models"),
			"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		))
		check := func(t *testing.T, body []byte) {
			t.Helper()
			var v1 struct {
				Predictions [][]struct {
					Index int
					Label string
					Score float64
				}
			}
			var v2 struct{ Outputs []struct{ Data []string } }
			switch {
			case json.Unmarshal(body, &v1) == nil && len(v1.Predictions) == 1:
				if c := v1.Predictions[0][0]; c.Index != 653 || c.Label != "military uniform" || c.Score < 0.5 {
					t.Fatalf("top-1 %+v", c)
				}
			case json.Unmarshal(body, &v2) == nil && len(v2.Outputs) == 1:
				if d := v2.Outputs[0].Data; len(d) != 3 || !strings.HasSuffix(d[0], ":653:military uniform") {
					t.Fatalf("classes %q", d)
				}
			default:
				t.Fatalf("response %s", body)
			}
		}
		t.Run("FunctionURL", func(t *testing.T) {
			ev := awsEvent(t, "lambda-urls-request.json", map[string]any{
				"rawPath": "/v2/models/cls/infer", "rawQueryString": "top_k=3",
				"requestContext.http.method": "POST", "requestContext.http.path": "/v2/models/cls/infer",
				"headers": map[string]any{"content-type": "image/bmp"}, "body": b64, "isBase64Encoded": true,
			})
			raw, _ := f.invoke(t, ev)
			prelude, body, ok := bytes.Cut(raw, make([]byte, 8))
			if !ok || !bytes.Contains(prelude, []byte(`"statusCode":200`)) {
				t.Fatalf("response %.300q", raw)
			}
			check(t, body)
		})
		t.Run("HTTPAPIv2", func(t *testing.T) {
			ev := awsEvent(t, "apigw-v2-request-no-authorizer.json", map[string]any{
				"rawPath": "/v2/models/cls/infer", "rawQueryString": "top_k=3", "queryStringParameters": map[string]any{"top_k": "3"},
				"requestContext.http.method": "POST", "requestContext.http.path": "/v2/models/cls/infer",
				"headers": map[string]any{"content-type": "image/bmp"}, "body": b64, "isBase64Encoded": true,
			})
			r := decodeHTTP(t, f.invokeOK(t, ev))
			if r.StatusCode != 200 {
				t.Fatalf("status %d: %s", r.StatusCode, r.Body)
			}
			check(t, r.body(t))
		})
		t.Run("RESTAPIv1", func(t *testing.T) {
			ev := awsEvent(t, "apigw-request.json", map[string]any{
				"path": "/v1/models/cls:predict", "httpMethod": "POST", "body": b64, "isBase64Encoded": true,
				"headers":               map[string]any{"Content-Type": "image/bmp"},
				"multiValueHeaders":     map[string]any{"Content-Type": []any{"image/bmp"}},
				"queryStringParameters": map[string]any{"top_k": "3"}, "multiValueQueryStringParameters": map[string]any{"top_k": []any{"3"}},
			})
			r := decodeHTTP(t, f.invokeOK(t, ev))
			if r.StatusCode != 200 {
				t.Fatalf("status %d: %s", r.StatusCode, r.Body)
			}
			check(t, r.body(t))
		})
		t.Run("ALB", func(t *testing.T) {
			ev := awsEvent(t, "alb-lambda-target-request-headers-only.json", map[string]any{
				"httpMethod": "POST", "path": "/v1/models/cls:predict",
				"headers": map[string]any{"content-type": "application/json"},
				"body":    base64.StdEncoding.EncodeToString([]byte(`{"instances":[{"b64":"` + b64 + `"}],"top_k":3}`)), "isBase64Encoded": true,
			})
			r := decodeHTTP(t, f.invokeOK(t, ev))
			if r.StatusCode != 200 {
				t.Fatalf("status %d: %s", r.StatusCode, r.Body)
			}
			check(t, r.body(t))
		})
	})

	t.Run("s3fn", func(t *testing.T) {
		f := startFunction(t, "s3fn", s.env(t,
			"MODEL_REPOSITORY="+s.url("models"),
			"MODEL=cls",
			"OUTPUT_PREFIX="+s.url("out"),
			"TOP_K=3",
			"AWS_LAMBDA_FUNCTION_TIMEOUT=60",
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
		))
		s.put(t, "inputs/gh.bmp", img, objstore.CodecNone)
		s.put(t, "inputs/broken.jpg", []byte("this is not a JPEG"), objstore.CodecNone)
		var first []byte
		for run := range 2 {
			raw, _ := f.invoke(t, s3Event(t, "inputs/gh.bmp"))
			if !bytes.Contains(raw, []byte(`"status":"ok"`)) {
				t.Fatalf("response %s", raw)
			}
			pred := s.get(t, "out/inputs/gh.bmp.prediction.json", false)
			var res struct {
				Model   string
				Version int64
				Image   struct{ Width, Height int }
				Classes map[string][]struct {
					Index int
					Label string
					Score float64
				}
			}
			if err := json.Unmarshal(pred, &res); err != nil {
				t.Fatalf("prediction %s: %v", pred, err)
			}
			top := res.Classes["Identity"]
			if res.Model != "cls" || res.Version != 1 || len(top) != 3 || top[0].Index != 653 || top[0].Label != "military uniform" || res.Image.Width == 0 {
				t.Fatalf("prediction %s", pred)
			}
			if run == 0 {
				first = pred
			} else if !bytes.Equal(first, pred) {
				t.Fatalf("a re-delivered event wrote different bytes:\n%s\n%s", first, pred)
			}
		}
		if sum := readSummary(t, s, "inputs/gh.bmp"); sum.Status != "ok" || sum.Records != 1 || sum.Succeeded != 1 {
			t.Errorf("summary %+v", sum)
		}
		raw, _ := f.invoke(t, s3Event(t, "inputs/broken.jpg"))
		if !bytes.Contains(raw, []byte(`"failed":1`)) {
			t.Fatalf("broken image: response %s", raw)
		}
		pred := s.get(t, "out/inputs/broken.jpg.prediction.json", false)
		if !bytes.Contains(pred, []byte(`"error":`)) || !bytes.Contains(pred, []byte("JPEG")) {
			t.Fatalf("broken image prediction %s", pred)
		}
		if sum := readSummary(t, s, "inputs/broken.jpg"); sum.Failed != 1 || len(sum.Errors) != 1 {
			t.Errorf("broken image summary %+v", sum)
		}
	})
}
