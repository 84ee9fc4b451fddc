package stack

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The mocks stand in for the AWS and Kubernetes providers, which cannot run
// here (no cloud account, no cluster). They record every registered
// resource's inputs and answer with plausible outputs (ARNs, IDs, URLs) so
// that resources wired to each other resolve.

const (
	mockAccount   = "123456789012"
	mockRegion    = "eu-west-1"
	mockFnVersion = "7"
)

// registered is one resource as the program registered it.
type registered struct {
	typ, name string
	inputs    map[string]any
	outputs   map[string]any
	// provider is the provider reference ("<urn>::<id>"), "" for the
	// default provider.
	provider string
	// deleteBeforeReplace, replaceOnChanges and propertyDeps are the
	// resource options the engine would plan replacements with.
	deleteBeforeReplace bool
	replaceOnChanges    []string
	propertyDeps        map[string][]string
}

// recorder implements pulumi.MockResourceMonitor. Safe for concurrent use:
// the SDK registers resources from several goroutines.
type recorder struct {
	mu  sync.Mutex
	res []registered // guarded by mu
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	in := args.Inputs.Mappable()
	out := map[string]any{}
	for k, v := range in {
		out[k] = v
	}
	id := args.Name + "-id"
	str := func(k string) string { s, _ := in[k].(string); return s }
	arnOf := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, mockRegion, mockAccount, rest)
	}
	switch args.TypeToken {
	case "aws:s3/bucketV2:BucketV2":
		name := str("bucket")
		if name == "" {
			name = str("bucketPrefix") + "generated"
		}
		id = name
		out["bucket"] = name
		out["arn"] = "arn:aws:s3:::" + name
	case "aws:lambda/function:Function":
		out["arn"] = arnOf("lambda", "function:"+str("name"))
		out["version"] = mockFnVersion
		out["invokeArn"] = "invoke:" + out["arn"].(string)
	case "aws:lambda/alias:Alias":
		// The function name input is the function's name output.
		out["arn"] = arnOf("lambda", "function:"+str("functionName")+":"+str("name"))
		out["invokeArn"] = "invoke:" + out["arn"].(string)
	case "aws:lambda/layerVersion:LayerVersion":
		out["arn"] = arnOf("lambda", "layer:"+str("layerName")+":1")
	case "aws:sqs/queue:Queue":
		out["arn"] = arnOf("sqs", str("name"))
		out["url"] = "https://sqs." + mockRegion + ".amazonaws.com/" + mockAccount + "/" + str("name")
		id = out["url"].(string)
	case "aws:cloudwatch/logGroup:LogGroup":
		out["arn"] = arnOf("logs", "log-group:"+str("name"))
	case "aws:iam/role:Role":
		out["arn"] = "arn:aws:iam::" + mockAccount + ":role/" + str("name")
		id = str("name")
	case "aws:lambda/functionUrl:FunctionUrl":
		out["functionUrl"] = "https://mockurl.lambda-url." + mockRegion + ".on.aws/"
	case "aws:apigatewayv2/api:Api":
		id = "api123"
		out["executionArn"] = arnOf("execute-api", "api123")
		out["apiEndpoint"] = "https://api123.execute-api." + mockRegion + ".amazonaws.com"
	case "aws:apigatewayv2/integration:Integration":
		id = "integ456"
	}
	if strings.HasPrefix(args.TypeToken, "kubernetes:") {
		if md, ok := in["metadata"].(map[string]any); ok {
			if _, named := md["name"]; !named {
				md2 := map[string]any{}
				for k, v := range md {
					md2[k] = v
				}
				md2["name"] = args.Name + "-generated"
				out["metadata"] = md2
			}
		}
	}
	reg := registered{typ: args.TypeToken, name: args.Name, inputs: in, outputs: out, provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		reg.deleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		reg.replaceOnChanges = rpc.GetReplaceOnChanges()
		reg.propertyDeps = map[string][]string{}
		for k, d := range rpc.GetPropertyDependencies() {
			reg.propertyDeps[k] = d.GetUrns()
		}
	}
	r.mu.Lock()
	r.res = append(r.res, reg)
	r.mu.Unlock()
	return id, resource.NewPropertyMapFromMap(out), nil
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "id": "aws", "dnsSuffix": "amazonaws.com"}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": mockAccount, "id": mockAccount, "arn": "arn:aws:iam::" + mockAccount + ":user/test", "userId": "AIDTEST",
		}), nil
	}
	return nil, fmt.Errorf("mock: unexpected call %s", args.Token)
}

// all returns the recorded resources of type typ.
func (r *recorder) all(typ string) []registered {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []registered
	for _, x := range r.res {
		if x.typ == typ {
			out = append(out, x)
		}
	}
	return out
}

// one returns the resource of type typ and logical name, failing the test
// when there is not exactly one.
func (r *recorder) one(t *testing.T, typ, name string) registered {
	t.Helper()
	var found []registered
	for _, x := range r.all(typ) {
		if x.name == name {
			found = append(found, x)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %q, found %d", typ, name, len(found))
	}
	return found[0]
}

// has reports whether a resource of type typ and logical name exists.
func (r *recorder) has(typ, name string) bool {
	for _, x := range r.all(typ) {
		if x.name == name {
			return true
		}
	}
	return false
}

// count returns how many resources have a type starting with prefix.
func (r *recorder) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, x := range r.res {
		if strings.HasPrefix(x.typ, prefix) {
			n++
		}
	}
	return n
}

// deploy builds the whole stack for cfg under the mocks.
func deploy(t *testing.T, cfg Config) *recorder {
	t.Helper()
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		return Deploy(ctx, cfg)
	}, pulumi.WithMocks("edgeinfer", "test", rec))
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	return rec
}

// dig walks nested maps (string keys) and slices (int indices).
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("dig %v: at %q want an object, have %T", path, k, v)
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				t.Fatalf("dig %v: at [%d] want a list longer than %d, have %#v", path, k, k, v)
			}
			v = s[k]
		}
	}
	return v
}

// policyOf decodes an IAM policy JSON input.
func policyOf(t *testing.T, v any) PolicyDocument {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("policy is %T, want a JSON string", v)
	}
	var doc PolicyDocument
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("policy %s: %v", s, err)
	}
	return doc
}

// strs converts a decoded list to []string.
func strs(t *testing.T, v any) []string {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("want a list, have %#v", v)
	}
	out := make([]string, len(l))
	for i, x := range l {
		out[i], _ = x.(string)
	}
	return out
}

// num converts a decoded number to int.
func num(t *testing.T, v any) int {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("want a number, have %#v", v)
	}
	return int(f)
}
