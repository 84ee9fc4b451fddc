package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/edgeinfer/edgeinfer"

// forbidden lists, per package prefix (relative to the module), the import
// prefixes its transitive dependencies must not contain.
var forbidden = map[string][]string{
	"tensor":     {module + "/"}, // anything of the project but itself
	"tflite":     {"net/http", "github.com/aws/", module + "/modelcache", module + "/objstore", module + "/serving", module + "/batch", module + "/functions"},
	"objstore":   {module + "/tflite", module + "/serving", module + "/modelcache", module + "/batch", module + "/functions"},
	"modelcache": {module + "/serving", module + "/functions", module + "/batch"},
	"serving":    {module + "/functions", "github.com/aws/aws-lambda-go", module + "/grpcserve", "google.golang.org/grpc"},
	"grpcserve":  {module + "/functions", "github.com/aws/aws-lambda-go"},
	"functions":  {module + "/grpcserve", "google.golang.org/grpc"},
	"batch":      {module + "/functions"},
	"preprocess": {"net/http", module + "/serving", module + "/functions", module + "/modelcache", module + "/objstore"},
}

type pkg struct {
	ImportPath string
	Deps       []string
}

func TestImportDirection(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(out)
	checked := 0
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for prefix, bad := range forbidden {
			if rel != prefix && !strings.HasPrefix(rel, prefix+"/") {
				continue
			}
			checked++
			for _, d := range p.Deps {
				for _, b := range bad {
					if prefix == "tensor" && strings.HasPrefix(d, module+"/tensor") {
						continue
					}
					if strings.HasPrefix(d, b) {
						t.Errorf("%s imports %s (directly or not); DESIGN.md forbids %s here", p.ImportPath, d, b)
					}
				}
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	if checked < 3 {
		t.Fatalf("checked only %d packages; is the module layout as expected?", checked)
	}
}
