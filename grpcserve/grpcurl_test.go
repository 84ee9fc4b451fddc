package grpcserve_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/grpcserve"
	"github.com/edgeinfer/edgeinfer/serving"
)

// grpcurlPath finds grpcurl (make tools installs it into bin/): it skips
// the test when absent, unless EDGEINFER_REQUIRE_GRPCURL=1 (CI).
func grpcurlPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	if p, err := filepath.Abs("../bin/grpcurl"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("EDGEINFER_REQUIRE_GRPCURL") == "1" {
		t.Fatal("EDGEINFER_REQUIRE_GRPCURL=1 but grpcurl is not on PATH nor in bin/ (make tools installs it)")
	}
	t.Skip("grpcurl not installed (make tools); skipping the grpcurl client tests")
	return ""
}

// grpcurl runs grpcurl against the server with reflection and returns its
// JSON output decoded into v (when not nil).
func (e *env) grpcurl(t *testing.T, bin, method, data string, v any, extra ...string) string {
	t.Helper()
	args := append([]string{"-plaintext", "-format-error"}, extra...)
	if data != "" {
		args = append(args, "-d", "@")
	}
	args = append(args, e.grpcAddr)
	if method != "" {
		args = append(args, method)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(data)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("grpcurl %s: %v\n%s", method, err, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("grpcurl %s: %v\n%s", method, err, out)
		}
	}
	return string(out)
}

// TestGrpcurl drives both services with grpcurl, a client we did not
// write, through server reflection alone (no .proto files given), on the
// example models and the conformance MobileNetV2: health, metadata and
// inference, answers equal to the REST API's byte for byte.
func TestGrpcurl(t *testing.T) {
	bin := grpcurlPath(t)
	e := newEnv(t, serving.Config{}, grpcserve.Options{}, func(dir string) { withMobileNet(t, dir, "") })

	list := e.grpcurl(t, bin, "list", "", nil)
	for _, svc := range []string{"inference.GRPCInferenceService", "tensorflow.serving.PredictionService", "tensorflow.serving.ModelService", "grpc.health.v1.Health"} {
		if !strings.Contains(list, svc) {
			t.Fatalf("grpcurl list lacks %s:\n%s", svc, list)
		}
	}
	var health struct{ Status string }
	e.grpcurl(t, bin, "grpc.health.v1.Health/Check", "{}", &health)
	if health.Status != "SERVING" {
		t.Fatalf("health: %q", health.Status)
	}
	var live struct{ Live bool }
	e.grpcurl(t, bin, "inference.GRPCInferenceService/ServerLive", "{}", &live)
	if !live.Live {
		t.Fatal("ServerLive: not live")
	}

	type tmeta struct {
		Name, Datatype string
		Shape          []json.Number
	}
	for _, m := range []string{"linear", "tiny_cnn", "mnv2"} {
		var g struct {
			Name            string
			Versions        []string
			Platform        string
			Inputs, Outputs []tmeta
		}
		e.grpcurl(t, bin, "inference.GRPCInferenceService/ModelMetadata", fmt.Sprintf(`{"name":%q}`, m), &g)
		var r struct {
			Name            string
			Versions        []string
			Platform        string
			Inputs, Outputs []tmeta
		}
		e.restJSON(t, "GET", "/v2/models/"+m, "", &r)
		gj, _ := json.Marshal(g)
		rj, _ := json.Marshal(r)
		if !bytes.Equal(gj, rj) {
			t.Fatalf("%s metadata: grpcurl %s, REST %s", m, gj, rj)
		}

		// Raw inference, the whole batch-1 input from a fixed pattern.
		in := r.Inputs[0]
		shape := make([]int, len(in.Shape))
		n := 1
		for i, d := range in.Shape {
			v, _ := d.Int64()
			shape[i] = int(max(v, 1))
			n *= shape[i]
		}
		size := map[string]int{"FP32": 4, "INT8": 1, "UINT8": 1}[in.Datatype]
		if size == 0 {
			t.Fatalf("%s: unexpected input datatype %s", m, in.Datatype)
		}
		raw := pattern(n * size)
		if in.Datatype == "FP32" {
			raw = make([]byte, n*4) // zeros: a finite float32 pattern
		}
		shapeJS, _ := json.Marshal(shape)
		req := fmt.Sprintf(`{"model_name":%q,"inputs":[{"name":%q,"datatype":%q,"shape":%s}],"raw_input_contents":[%q]}`,
			m, in.Name, in.Datatype, shapeJS, base64.StdEncoding.EncodeToString(raw))
		var inf struct {
			ModelName         string
			Outputs           []struct{ Name, Datatype string }
			RawOutputContents [][]byte
		}
		e.grpcurl(t, bin, "inference.GRPCInferenceService/ModelInfer", req, &inf, "-max-msg-sz", "67108864")
		want := e.restBinary(t, m, in.Name, in.Datatype, shape, raw, "")
		if len(inf.RawOutputContents) != len(want) || len(want) == 0 {
			t.Fatalf("%s: %d raw outputs, REST %d", m, len(inf.RawOutputContents), len(want))
		}
		for i := range want {
			if !bytes.Equal(inf.RawOutputContents[i], want[i]) {
				t.Fatalf("%s output %d: grpcurl and REST differ", m, i)
			}
		}

		// TF Serving Predict with tensor_content gives the same bytes.
		dtype := map[string]string{"FP32": "DT_FLOAT", "INT8": "DT_INT8", "UINT8": "DT_UINT8"}[in.Datatype]
		var dims []string
		for _, d := range shape {
			dims = append(dims, fmt.Sprintf(`{"size":%d}`, d))
		}
		preq := fmt.Sprintf(`{"model_spec":{"name":%q},"inputs":{%q:{"dtype":%q,"tensor_shape":{"dim":[%s]},"tensor_content":%q}}}`,
			m, in.Name, dtype, strings.Join(dims, ","), base64.StdEncoding.EncodeToString(raw))
		var pr struct {
			Outputs map[string]struct{ TensorContent []byte }
		}
		e.grpcurl(t, bin, "tensorflow.serving.PredictionService/Predict", preq, &pr, "-max-msg-sz", "67108864")
		for i, o := range r.Outputs {
			if got := pr.Outputs[o.Name].TensorContent; !bytes.Equal(got, want[i]) {
				t.Fatalf("%s Predict output %s: grpcurl and REST differ (%d and %d bytes)", m, o.Name, len(got), len(want[i]))
			}
		}
	}

	// TF Serving metadata: the signature_def Any resolves through
	// reflection.
	out := e.grpcurl(t, bin, "tensorflow.serving.PredictionService/GetModelMetadata",
		`{"model_spec":{"name":"linear"},"metadata_field":["signature_def"]}`, nil)
	if !strings.Contains(out, `"@type": "type.googleapis.com/tensorflow.serving.SignatureDefMap"`) || !strings.Contains(out, `"methodName": "tensorflow/serving/predict"`) {
		t.Fatalf("GetModelMetadata:\n%s", out)
	}
	var st struct {
		ModelVersionStatus []struct{ Version, State string }
	}
	e.grpcurl(t, bin, "tensorflow.serving.ModelService/GetModelStatus", `{"model_spec":{"name":"linear"}}`, &st)
	if len(st.ModelVersionStatus) != 1 || st.ModelVersionStatus[0].State != "AVAILABLE" || st.ModelVersionStatus[0].Version != "1" {
		t.Fatalf("GetModelStatus: %+v", st)
	}
}
