package stack

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// lookup serves a stack config map the way ctx.GetConfig does.
func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// withConfig sets the stack configuration the mocks' context sees.
func withConfig(m map[string]string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) { info.Config = m }
}

func TestParseConfigDefaults(t *testing.T) {
	got, err := ParseConfig("edgeinfer", "dev", lookup(map[string]string{"aws:region": "us-west-2", "edgeinfer:s3Model": "m"}))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig("dev")
	want.Region, want.S3Model = "us-west-2", "m"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	for what, c := range map[string][2]any{
		"targets":    {got.Targets, "aws"},
		"arch":       {got.Arch, "arm64"},
		"urlAuth":    {got.URLAuth, "AWS_IAM"},
		"invokeMode": {got.InvokeMode, "BUFFERED"},
		"trigger":    {got.Trigger.Mode, "direct"},
		"httpZip":    {got.HTTPZip, "../build/httpfn-arm64.zip"},
		"s3Zip":      {got.S3Zip, "../build/s3fn-arm64.zip"},
		"layerZip":   {got.LayerZip, "../build/models-layer.zip"},
		"namePrefix": {got.NamePrefix, "edgeinfer-dev"},
		"apiGateway": {got.APIGateway, false},
		"gpu":        {got.K8s.GPU, false},
	} {
		if c[0] != c[1] {
			t.Errorf("default %s = %v, want %v", what, c[0], c[1])
		}
	}
}

func TestParseConfigValues(t *testing.T) {
	m := map[string]string{
		"aws:region":           "us-west-2",
		"app:region":           "eu-central-1",
		"app:targets":          "both",
		"app:arch":             "amd64",
		"app:httpMemory":       "3008",
		"app:s3Timeout":        "120",
		"app:httpProvisioned":  "3",
		"app:httpReserved":     "30",
		"app:s3Reserved":       "-1",
		"app:createBuckets":    "false",
		"app:modelsBucket":     "shared",
		"app:inputsBucket":     "shared",
		"app:outputsBucket":    "shared",
		"app:inputsPrefix":     "in/",
		"app:outputsPrefix":    "out/",
		"app:inputSuffix":      ".csv.gz",
		"app:triggerMode":      "sqs",
		"app:sqsBatchSize":     "4",
		"app:urlAuth":          "NONE",
		"app:apiGateway":       "true",
		"app:s3Model":          "detector@stable",
		"app:inputFormat":      "csv",
		"app:batchItems":       "32",
		"app:logRetentionDays": "30",
		"app:env":              `{"EDGEINFER_MAX_BATCH":"8"}`,
		"app:image":            "ghcr.io/acme/edgeinfer:1.2.3",
		"app:gpu":              "true",
		"app:gpuCount":         "4",
		"app:zone":             "eu-central-1b",
		"app:replicas":         "3",
		"app:hpaMin":           "3",
		"app:hpaMax":           "9",
	}
	c, err := ParseConfig("app", "prod", lookup(m))
	if err != nil {
		t.Fatal(err)
	}
	for what, v := range map[string][2]any{
		"region":       {c.Region, "eu-central-1"},
		"targets":      {c.Targets, TargetBoth},
		"arch":         {c.Arch, ArchX86},
		"httpZip":      {c.HTTPZip, "../build/httpfn-amd64.zip"},
		"s3Zip":        {c.S3Zip, "../build/s3fn-amd64.zip"},
		"httpMemory":   {c.HTTP.MemoryMB, 3008},
		"s3Timeout":    {c.S3.TimeoutSeconds, 120},
		"httpProv":     {c.HTTP.Provisioned, 3},
		"httpReserved": {c.HTTP.Reserved, 30},
		"s3Reserved":   {c.S3.Reserved, -1},
		"create":       {c.Buckets.Create, false},
		"inputsPrefix": {c.Buckets.InputsPrefix, "in/"},
		"suffix":       {c.Buckets.InputSuffix, ".csv.gz"},
		"trigger":      {c.Trigger.Mode, TriggerSQS},
		"batch":        {c.Trigger.BatchSize, 4},
		"urlAuth":      {c.URLAuth, AuthNone},
		"apiGateway":   {c.APIGateway, true},
		"s3Model":      {c.S3Model, "detector@stable"},
		"inputFormat":  {c.InputFormat, "csv"},
		"batchItems":   {c.BatchItems, 32},
		"retention":    {c.LogRetentionDays, 30},
		"env":          {c.Env["EDGEINFER_MAX_BATCH"], "8"},
		"gpu":          {c.K8s.GPU, true},
		"gpuCount":     {c.K8s.GPUCount, 4},
		"zone":         {c.K8s.Zone, "eu-central-1b"},
		"replicas":     {c.K8s.Replicas, 3},
		"hpaMax":       {c.K8s.HPAMax, 9},
		"namePrefix":   {c.NamePrefix, "edgeinfer-prod"},
	} {
		if v[0] != v[1] {
			t.Errorf("%s = %v, want %v", what, v[0], v[1])
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	base := map[string]string{"p:region": "eu-west-1", "p:s3Model": "m:1"}
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"unknown target", map[string]string{"p:targets": "gcp"}, "targets must be"},
		{"no region", map[string]string{"p:region": ""}, "region is required"},
		{"bad region", map[string]string{"p:region": "Mars"}, "not an AWS region"},
		{"bad arch", map[string]string{"p:arch": "riscv64"}, "arch must be"},
		{"memory not a number", map[string]string{"p:httpMemory": "1GB"}, `p:httpMemory: "1GB" is not an integer`},
		{"memory too small", map[string]string{"p:httpMemory": "64"}, "httpMemory must be 128..10240"},
		{"timeout too long", map[string]string{"p:s3Timeout": "901"}, "s3Timeout must be 1..900"},
		{"reserved zero", map[string]string{"p:httpReserved": "0"}, "throttles every invocation"},
		{"provisioned over reserved", map[string]string{"p:httpProvisioned": "30", "p:httpReserved": "10"}, "httpProvisioned (30) exceeds httpReserved (10)"},
		{"negative provisioned", map[string]string{"p:s3Provisioned": "-2"}, "s3Provisioned must be >= 0"},
		{"bool not a bool", map[string]string{"p:apiGateway": "yes please"}, "is not true or false"},
		{"existing buckets unnamed", map[string]string{"p:createBuckets": "false"}, "modelsBucket is required"},
		{"bad bucket name", map[string]string{"p:modelsBucket": "Has_Upper"}, "not a valid S3 bucket name"},
		{"created buckets collide", map[string]string{"p:modelsBucket": "same-one", "p:inputsBucket": "same-one"}, "must be distinct"},
		{"empty prefix", map[string]string{"p:modelsPrefix": ""}, "must not be empty"},
		{"wildcard prefix", map[string]string{"p:inputsPrefix": "in/*/"}, "must not contain wildcards"},
		{"prefix without slash", map[string]string{"p:outputsPrefix": "out"}, `must end with "/"`},
		{"output loop", map[string]string{
			"p:createBuckets": "false", "p:modelsBucket": "b-b", "p:inputsBucket": "b-b", "p:outputsBucket": "b-b",
			"p:inputsPrefix": "data/", "p:outputsPrefix": "data/results/",
		}, "would re-trigger the S3 function"},
		{"bad trigger", map[string]string{"p:triggerMode": "eventbridge"}, "triggerMode must be"},
		{"sqs batch too big", map[string]string{"p:triggerMode": "sqs", "p:sqsBatchSize": "100"}, "sqsBatchSize must be 1..10"},
		{"bad auth", map[string]string{"p:urlAuth": "COGNITO"}, "urlAuth must be"},
		{"bad retention", map[string]string{"p:logRetentionDays": "10"}, "logRetentionDays must be one of"},
		{"bad topic", map[string]string{"p:alarmTopicArn": "oncall"}, "not an SNS topic ARN"},
		{"env not json", map[string]string{"p:env": "A=B"}, "want a JSON object of strings"},
		{"env overrides managed", map[string]string{"p:env": `{"MODEL_REPOSITORY":"x"}`}, "is set by the stack"},
		{"env reserved by lambda", map[string]string{"p:env": `{"AWS_REGION":"x"}`}, "reserved by Lambda"},
		{"no s3 model", map[string]string{"p:s3Model": ""}, "s3Model \"\" must name the model"},
		{"bad s3 model", map[string]string{"p:s3Model": "m:v2"}, "must name the model"},
		{"bad input format", map[string]string{"p:inputFormat": "parquet"}, "inputFormat must be"},
		{"negative batch items", map[string]string{"p:batchItems": "-4"}, "batchItems must be >= 0"},
		{"env overrides MODEL", map[string]string{"p:env": `{"MODEL":"x"}`}, "is set by the stack"},
		{"bad invoke mode", map[string]string{"p:invokeMode": "STREAM"}, "invokeMode must be"},
		{"bad model source", map[string]string{"p:modelSource": "efs"}, "modelSource must be"},
		{"long name prefix", map[string]string{"p:namePrefix": "a-very-long-name-prefix-beyond-limits"}, "namePrefix"},
		{"k8s without image", map[string]string{"p:targets": "k8s", "p:k8sModels": "s3://m/models/"}, "image \"\" is required"},
		{"k8s latest image", map[string]string{"p:targets": "both", "p:image": "acme/edgeinfer:latest"}, `must not use the "latest" tag`},
		{"k8s untagged image", map[string]string{"p:targets": "both", "p:image": "localhost:5000/edgeinfer"}, "must be pinned"},
		{"k8s only without models", map[string]string{"p:targets": "k8s", "p:image": "a/b:1"}, "k8sModels (the --models URL) is required"},
		{"k8s bad models url", map[string]string{"p:targets": "k8s", "p:image": "a/b:1", "p:k8sModels": "ftp://x/"}, "must be an absolute path or an s3://"},
		{"hpa inverted", map[string]string{"p:targets": "both", "p:image": "a/b:1", "p:hpaMin": "5", "p:hpaMax": "2"}, "hpaMin/hpaMax"},
		{"replicas outside hpa", map[string]string{"p:targets": "both", "p:image": "a/b:1", "p:replicas": "10"}, "replicas 10 must lie in"},
		{"bad quantity", map[string]string{"p:targets": "both", "p:image": "a/b:1", "p:memoryLimit": "2 GB"}, "memoryLimit \"2 GB\" is not a Kubernetes quantity"},
		{"gpu count zero", map[string]string{"p:targets": "both", "p:image": "a/b:1", "p:gpu": "true", "p:gpuCount": "0"}, "gpuCount must be 1..16"},
		{"bad zone", map[string]string{"p:targets": "both", "p:image": "a/b:1", "p:zone": "eu west"}, "is not a label value"},
		{"bad namespace", map[string]string{"p:targets": "both", "p:image": "a/b:1", "p:k8sNamespace": "Edge_Infer"}, "not a DNS label"},
		{"bad service type", map[string]string{"p:targets": "both", "p:image": "a/b:1", "p:serviceType": "Ingress"}, "serviceType must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range base {
				m[k] = v
			}
			for k, v := range tc.set {
				m[k] = v
			}
			_, err := ParseConfig("p", "dev", lookup(m))
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestParseConfigReportsEveryProblem(t *testing.T) {
	_, err := ParseConfig("p", "dev", lookup(map[string]string{
		"p:region": "eu-west-1", "p:s3Model": "m", "p:httpMemory": "1", "p:s3Timeout": "0", "p:urlAuth": "open",
	}))
	for _, want := range []string{"httpMemory", "s3Timeout", "urlAuth"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %s", err, want)
		}
	}
}

func TestBadConfigFailsTheProgram(t *testing.T) {
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		cfg, err := LoadConfig(ctx)
		if err != nil {
			return err
		}
		return Deploy(ctx, cfg)
	}, pulumi.WithMocks("edgeinfer", "dev", rec), withConfig(map[string]string{
		"edgeinfer:region": "eu-west-1", "edgeinfer:s3Model": "m", "edgeinfer:triggerMode": "kinesis",
	}))
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "triggerMode") {
		t.Fatalf("err = %v", err)
	}
	if n := rec.count("aws:"); n != 0 {
		t.Errorf("%d resources registered from a bad config", n)
	}
}

func TestDeployRevalidates(t *testing.T) {
	cfg := awsConfig()
	cfg.HTTP.MemoryMB = 1
	err := pulumi.RunErr(func(ctx *pulumi.Context) error { return Deploy(ctx, cfg) },
		pulumi.WithMocks("edgeinfer", "test", &recorder{}))
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("err = %v, want ErrInvalidConfig", err)
	}
}

func TestLoadConfigThroughPulumi(t *testing.T) {
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		cfg, err := LoadConfig(ctx)
		if err != nil {
			return err
		}
		if cfg.Region != "eu-west-1" || cfg.HTTP.MemoryMB != 512 || cfg.NamePrefix != "edgeinfer-staging" {
			t.Errorf("loaded %+v", cfg)
		}
		return Deploy(ctx, cfg)
	}, pulumi.WithMocks("edgeinfer", "staging", rec), withConfig(map[string]string{
		"aws:region": "eu-west-1", "edgeinfer:s3Model": "m", "edgeinfer:httpMemory": "512",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := num(t, rec.one(t, tFunction, "httpfn").inputs["memorySize"]); got != 512 {
		t.Errorf("memory %d", got)
	}
}

func TestDefaultNamePrefix(t *testing.T) {
	tests := []struct{ name, stack, want string }{
		{"plain", "dev", "edgeinfer-dev"},
		{"folded", "Org/Prod_EU.1", "edgeinfer-org-prod-eu-1"},
		{"cut", "a-really-long-stack-name-for-production", "edgeinfer-a-really-long-stac"},
		{"cut on a dash", "abcdefghijklmnopq-r", "edgeinfer-abcdefghijklmnopq"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := defaultNamePrefix(tc.stack)
			if got != tc.want {
				t.Errorf("defaultNamePrefix(%q) = %q, want %q", tc.stack, got, tc.want)
			}
			if len(got) > MaxNamePrefixLength || !namePrefixRE.MatchString(got) {
				t.Errorf("%q is not a valid prefix", got)
			}
		})
	}
}

func TestCheckArtifacts(t *testing.T) {
	dir := t.TempDir()
	write := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("PK"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := awsConfig()
	c.HTTPZip, c.S3Zip, c.LayerZip = write("httpfn-arm64.zip"), filepath.Join(dir, "s3fn-arm64.zip"), dir
	err := c.CheckArtifacts()
	if !errors.Is(err, ErrMissingArtifact) || !strings.Contains(err.Error(), "s3fn-arm64.zip") || !strings.Contains(err.Error(), "make package") {
		t.Fatalf("missing s3 zip: err = %v", err)
	}
	c.S3Zip = write("s3fn-arm64.zip")
	if err := c.CheckArtifacts(); err != nil {
		t.Fatalf("all present: %v", err)
	}
	c.ModelSource = ModelSourceLayer // LayerZip is a directory
	if err := c.CheckArtifacts(); !errors.Is(err, ErrMissingArtifact) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("layer is a directory: err = %v", err)
	}
	k := k8sConfig()
	k.HTTPZip = filepath.Join(dir, "absent.zip")
	if err := k.CheckArtifacts(); err != nil {
		t.Fatalf("k8s target needs no zips: %v", err)
	}
}

// FuzzParseConfig feeds arbitrary values to every kind of key: the parser
// must never panic, and must either return a config that validates or an
// error wrapping ErrInvalidConfig.
func FuzzParseConfig(f *testing.F) {
	f.Add("both", "512", "true", `{"A":"b"}`, "in/", "acme/edgeinfer:1")
	f.Add("aws", "x", "maybe", "[]", "", "")
	f.Add("k8s", "-1", "false", `{"AWS_X":"1"}`, "*", "img:latest")
	f.Fuzz(func(t *testing.T, targets, number, boolean, env, prefix, image string) {
		m := map[string]string{
			"f:region": "eu-west-1", "f:s3Model": image, "f:targets": targets, "f:httpMemory": number, "f:hpaMin": number,
			"f:gpu": boolean, "f:apiGateway": boolean, "f:env": env, "f:k8sEnv": env,
			"f:inputsPrefix": prefix, "f:image": image, "f:k8sModels": prefix,
		}
		c, err := ParseConfig("f", "fuzz", lookup(m))
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
	})
}
