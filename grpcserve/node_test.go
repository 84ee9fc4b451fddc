package grpcserve_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/grpcserve"
	"github.com/edgeinfer/edgeinfer/serving"
)

// nodeClient returns node's path when it and the client's npm packages
// (npm ci --prefix grpcserve/testdata/node) are installed; it skips the
// test otherwise, unless EDGEINFER_REQUIRE_NODE_GRPC=1 (CI).
func nodeClient(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat("testdata/node/node_modules/@grpc/grpc-js/package.json")
	}
	if err != nil {
		if os.Getenv("EDGEINFER_REQUIRE_NODE_GRPC") == "1" {
			t.Fatalf("EDGEINFER_REQUIRE_NODE_GRPC=1 but the Node client is not ready (%v): npm ci --prefix grpcserve/testdata/node", err)
		}
		t.Skipf("Node gRPC client not installed (%v; npm ci --prefix grpcserve/testdata/node); skipping", err)
	}
	return node
}

// TestNodeClient drives both services with @grpc/grpc-js loading our
// .proto files through @grpc/proto-loader: health, V2 metadata, V2 raw
// inference and TF Serving Predict on the example models and the
// conformance MobileNetV2, equal to the REST API's answers byte for byte.
func TestNodeClient(t *testing.T) {
	node := nodeClient(t)
	e := newEnv(t, serving.Config{}, grpcserve.Options{}, func(dir string) { withMobileNet(t, dir, "") })
	type tmeta struct {
		Name     string  `json:"name"`
		Datatype string  `json:"datatype"`
		Shape    []int64 `json:"shape"`
	}
	type meta struct {
		Name     string   `json:"name"`
		Versions []string `json:"versions"`
		Platform string   `json:"platform"`
		Inputs   []tmeta  `json:"inputs"`
		Outputs  []tmeta  `json:"outputs"`
	}
	type tcase struct {
		Model    string `json:"model"`
		Input    string `json:"input"`
		Datatype string `json:"datatype"`
		TFDType  string `json:"tf_dtype"`
		Shape    []int  `json:"shape"`
		Raw      []byte `json:"raw"`
	}
	models := []string{"linear", "tiny_cnn", "mnv2"}
	rest := map[string]meta{}
	var cases []tcase
	for _, m := range models {
		var md meta
		e.restJSON(t, "GET", "/v2/models/"+m, "", &md)
		rest[m] = md
		in := md.Inputs[0]
		c := tcase{Model: m, Input: in.Name, Datatype: in.Datatype}
		n := 1
		for _, d := range in.Shape {
			c.Shape = append(c.Shape, int(max(d, 1)))
			n *= int(max(d, 1))
		}
		switch in.Datatype {
		case "FP32":
			c.TFDType, c.Raw = "DT_FLOAT", make([]byte, 4*n)
		case "INT8":
			c.TFDType, c.Raw = "DT_INT8", pattern(n)
		case "UINT8":
			c.TFDType, c.Raw = "DT_UINT8", pattern(n)
		default:
			t.Fatalf("%s: unexpected input datatype %s", m, in.Datatype)
		}
		cases = append(cases, c)
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "testdata/node/client.mjs", e.grpcAddr)
	cmd.Stdin = bytes.NewReader(in)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, stderr.String())
	}
	var res struct {
		Health string `json:"health"`
		Cases  []struct {
			Model    string            `json:"model"`
			Metadata meta              `json:"metadata"`
			V2Names  []string          `json:"v2_names"`
			V2Raw    [][]byte          `json:"v2_raw"`
			TF       map[string][]byte `json:"tf"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node client output: %v\n%s", err, out)
	}
	if res.Health != "SERVING" || len(res.Cases) != len(cases) {
		t.Fatalf("node client: health %q, %d cases", res.Health, len(res.Cases))
	}
	for i, got := range res.Cases {
		c := cases[i]
		gj, _ := json.Marshal(got.Metadata)
		rj, _ := json.Marshal(rest[c.Model])
		if !bytes.Equal(gj, rj) {
			t.Errorf("%s metadata: node %s, REST %s", c.Model, gj, rj)
		}
		want := e.restBinary(t, c.Model, c.Input, c.Datatype, c.Shape, c.Raw, "")
		var names []string
		for _, o := range rest[c.Model].Outputs {
			names = append(names, o.Name)
		}
		if len(got.V2Raw) != len(want) || len(want) == 0 || !slices.Equal(got.V2Names, names) {
			t.Fatalf("%s: node got %d outputs %v, REST %d %v", c.Model, len(got.V2Raw), got.V2Names, len(want), names)
		}
		for k := range want {
			if !bytes.Equal(got.V2Raw[k], want[k]) {
				t.Errorf("%s V2 output %d: node and REST differ", c.Model, k)
			}
			if tf := got.TF[names[k]]; !bytes.Equal(tf, want[k]) {
				t.Errorf("%s TF Predict output %s: node %d bytes, REST %d, differ", c.Model, names[k], len(tf), len(want[k]))
			}
		}
	}
}
