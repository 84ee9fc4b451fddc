package stack

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

const (
	tFunction      = "aws:lambda/function:Function"
	tAlias         = "aws:lambda/alias:Alias"
	tProvisioned   = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
	tPermission    = "aws:lambda/permission:Permission"
	tInvokeConfig  = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
	tESM           = "aws:lambda/eventSourceMapping:EventSourceMapping"
	tURL           = "aws:lambda/functionUrl:FunctionUrl"
	tLayer         = "aws:lambda/layerVersion:LayerVersion"
	tBucket        = "aws:s3/bucketV2:BucketV2"
	tPAB           = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tSSE           = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tVersioning    = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	tLifecycle     = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	tBucketPolicy  = "aws:s3/bucketPolicy:BucketPolicy"
	tOwnership     = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	tNotification  = "aws:s3/bucketNotification:BucketNotification"
	tQueue         = "aws:sqs/queue:Queue"
	tQueuePolicy   = "aws:sqs/queuePolicy:QueuePolicy"
	tRole          = "aws:iam/role:Role"
	tRolePolicy    = "aws:iam/rolePolicy:RolePolicy"
	tLogGroup      = "aws:cloudwatch/logGroup:LogGroup"
	tAlarm         = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tMetricFilter  = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
	tAPI           = "aws:apigatewayv2/api:Api"
	tRoute         = "aws:apigatewayv2/route:Route"
	tIntegration   = "aws:apigatewayv2/integration:Integration"
	httpFnName     = "edgeinfer-test-httpfn"
	s3FnName       = "edgeinfer-test-s3fn"
	httpAliasARN   = "arn:aws:lambda:" + mockRegion + ":" + mockAccount + ":function:" + httpFnName + ":live"
	s3AliasARN     = "arn:aws:lambda:" + mockRegion + ":" + mockAccount + ":function:" + s3FnName + ":live"
	dlqARN         = "arn:aws:sqs:" + mockRegion + ":" + mockAccount + ":edgeinfer-test-s3fn-dlq"
	eventsQueueARN = "arn:aws:sqs:" + mockRegion + ":" + mockAccount + ":edgeinfer-test-s3fn-events"
)

// awsConfig is an AWS-only config with named, created buckets.
func awsConfig() Config {
	c := DefaultConfig("test")
	c.Region = mockRegion
	c.Buckets.Models, c.Buckets.Inputs, c.Buckets.Outputs = "acme-models", "acme-inputs", "acme-outputs"
	c.S3Model = "detector:3"
	return c
}

// sharedBucketConfig uses one existing bucket for everything.
func sharedBucketConfig() Config {
	c := awsConfig()
	c.Buckets.Create = false
	c.Buckets.Models, c.Buckets.Inputs, c.Buckets.Outputs = "acme-data", "acme-data", "acme-data"
	c.Buckets.ModelsPrefix, c.Buckets.InputsPrefix, c.Buckets.OutputsPrefix = "edge/models/", "edge/in/", "edge/out/"
	return c
}

func TestBucketsArePrivateEncryptedVersionedAndExpiring(t *testing.T) {
	cfg := awsConfig()
	rec := deploy(t, cfg)

	buckets := rec.all(tBucket)
	if len(buckets) != 3 {
		t.Fatalf("want 3 buckets, got %d", len(buckets))
	}
	for _, b := range buckets {
		name := b.outputs["bucket"].(string)
		if acl, ok := b.inputs["acl"]; ok {
			t.Errorf("bucket %s sets acl %v; ACLs must stay disabled", name, acl)
		}
		if _, ok := b.inputs["policy"]; ok {
			t.Errorf("bucket %s sets an inline policy", name)
		}
		pab := rec.one(t, tPAB, b.name+"-public-access")
		if pab.inputs["bucket"] != name {
			t.Errorf("public access block of %s targets %v", name, pab.inputs["bucket"])
		}
		for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			if pab.inputs[k] != true {
				t.Errorf("bucket %s: %s = %v, want true", name, k, pab.inputs[k])
			}
		}
		own := rec.one(t, tOwnership, b.name+"-ownership")
		if got := dig(t, own.inputs, "rule", "objectOwnership"); got != "BucketOwnerEnforced" {
			t.Errorf("bucket %s ownership %v", name, got)
		}
		sse := rec.one(t, tSSE, b.name+"-encryption")
		if got := dig(t, sse.inputs, "rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm"); got != "AES256" {
			t.Errorf("bucket %s encryption %v", name, got)
		}
		// The only bucket policy statement denies non-TLS access.
		pol := policyOf(t, rec.one(t, tBucketPolicy, b.name+"-policy").inputs["policy"])
		for _, s := range pol.Statement {
			if s.Effect != "Deny" || s.Condition["Bool"]["aws:SecureTransport"][0] != "false" {
				t.Errorf("bucket %s policy has a non-deny statement: %+v", name, s)
			}
		}
		lc := rec.one(t, tLifecycle, b.name+"-lifecycle")
		if lc.inputs["bucket"] != name {
			t.Errorf("lifecycle of %s targets %v", name, lc.inputs["bucket"])
		}
	}
	if v := rec.all(tVersioning); len(v) != 1 || v[0].inputs["bucket"] != "acme-models" ||
		dig(t, v[0].inputs, "versioningConfiguration", "status") != "Enabled" {
		t.Errorf("want versioning enabled on the models bucket only, got %+v", v)
	}
	rules := dig(t, rec.one(t, tLifecycle, "outputs-lifecycle").inputs, "rules").([]any)
	var expire map[string]any
	for _, r := range rules {
		if r.(map[string]any)["id"] == "expire-outputs" {
			expire = r.(map[string]any)
		}
	}
	if expire == nil {
		t.Fatalf("outputs lifecycle has no expire-outputs rule: %v", rules)
	}
	if got := dig(t, expire, "filter", "prefix"); got != "outputs/" {
		t.Errorf("expire-outputs prefix %v", got)
	}
	if got := num(t, dig(t, expire, "expiration", "days")); got != cfg.Buckets.OutputsExpireDays {
		t.Errorf("expire-outputs days %d", got)
	}
}

func TestExistingBucketsAreNotModified(t *testing.T) {
	rec := deploy(t, sharedBucketConfig())
	for _, typ := range []string{tBucket, tPAB, tSSE, tVersioning, tLifecycle, tBucketPolicy, tOwnership} {
		if n := len(rec.all(typ)); n != 0 {
			t.Errorf("existing buckets: %d %s registered, want none", n, typ)
		}
	}
	// The notification is the one change made to an existing bucket.
	if got := rec.one(t, tNotification, "inputs-notification").inputs["bucket"]; got != "acme-data" {
		t.Errorf("notification bucket %v", got)
	}
}

// access flattens a role policy into resource -> sorted actions, and
// checks what must hold for every statement.
func access(t *testing.T, rec *recorder, short string) map[string][]string {
	t.Helper()
	doc := policyOf(t, rec.one(t, tRolePolicy, short+"-policy").inputs["policy"])
	out := map[string][]string{}
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || s.Principal != nil {
			t.Errorf("%s: statement %s: effect %s principal %v", short, s.Sid, s.Effect, s.Principal)
		}
		for _, a := range s.Action {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %q", short, a)
			}
		}
		for _, r := range s.Resource {
			if r == "*" || r == "arn:aws:s3:::*" || strings.HasSuffix(r, ":::*") {
				t.Errorf("%s: unscoped resource %q", short, r)
			}
			if strings.HasPrefix(r, "arn:aws:s3:::") && !strings.Contains(r, "/") {
				// Bucket-level grants must be limited to a prefix.
				if len(s.Condition["StringLike"]["s3:prefix"]) == 0 {
					t.Errorf("%s: bucket-level grant on %s without an s3:prefix condition", short, r)
				}
			}
			out[r] = append(out[r], s.Action...)
			slices.Sort(out[r])
		}
	}
	return out
}

func TestIAMLeastPrivilege(t *testing.T) {
	logs := func(fn string) map[string][]string {
		arn := "arn:aws:logs:" + mockRegion + ":" + mockAccount + ":log-group:/aws/lambda/" + fn
		w := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
		return map[string][]string{arn: w, arn + ":*": w}
	}
	with := func(base map[string][]string, extra map[string][]string) map[string][]string {
		m := maps.Clone(base)
		maps.Copy(m, extra)
		return m
	}
	read := []string{"s3:GetObject"}
	list := []string{"s3:ListBucket"}
	write := []string{"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"}

	layer := awsConfig()
	layer.ModelSource = ModelSourceLayer
	byRef := awsConfig()
	byRef.HTTPInputURLs = true
	sqsCfg := awsConfig()
	sqsCfg.Trigger.Mode = TriggerSQS

	tests := []struct {
		name     string
		cfg      Config
		http, s3 map[string][]string
	}{
		{
			name: "created buckets, models from s3, direct trigger",
			cfg:  awsConfig(),
			http: with(logs(httpFnName), map[string][]string{
				"arn:aws:s3:::acme-models/models/*": read, "arn:aws:s3:::acme-models": list,
			}),
			s3: with(logs(s3FnName), map[string][]string{
				"arn:aws:s3:::acme-models/models/*": read, "arn:aws:s3:::acme-models": list,
				"arn:aws:s3:::acme-inputs/inputs/*": read, "arn:aws:s3:::acme-inputs": list,
				"arn:aws:s3:::acme-outputs/outputs/*": write,
				dlqARN:                                {"sqs:SendMessage"},
			}),
		},
		{
			name: "one shared existing bucket",
			cfg:  sharedBucketConfig(),
			http: with(logs(httpFnName), map[string][]string{
				"arn:aws:s3:::acme-data/edge/models/*": read, "arn:aws:s3:::acme-data": list,
			}),
			s3: with(logs(s3FnName), map[string][]string{
				"arn:aws:s3:::acme-data/edge/models/*": read,
				"arn:aws:s3:::acme-data/edge/in/*":     read,
				"arn:aws:s3:::acme-data":               {"s3:ListBucket", "s3:ListBucket"},
				"arn:aws:s3:::acme-data/edge/out/*":    write,
				dlqARN:                                 {"sqs:SendMessage"},
			}),
		},
		{
			name: "models from the layer: the HTTP function touches no bucket",
			cfg:  layer,
			http: logs(httpFnName),
			s3: with(logs(s3FnName), map[string][]string{
				"arn:aws:s3:::acme-inputs/inputs/*": read, "arn:aws:s3:::acme-inputs": list,
				"arn:aws:s3:::acme-outputs/outputs/*": write,
				dlqARN:                                {"sqs:SendMessage"},
			}),
		},
		{
			name: "inputs by reference: httpfn reads the inputs prefix too",
			cfg:  byRef,
			http: with(logs(httpFnName), map[string][]string{
				"arn:aws:s3:::acme-models/models/*": read, "arn:aws:s3:::acme-models": list,
				"arn:aws:s3:::acme-inputs/inputs/*": read, "arn:aws:s3:::acme-inputs": list,
			}),
			s3: with(logs(s3FnName), map[string][]string{
				"arn:aws:s3:::acme-models/models/*": read, "arn:aws:s3:::acme-models": list,
				"arn:aws:s3:::acme-inputs/inputs/*": read, "arn:aws:s3:::acme-inputs": list,
				"arn:aws:s3:::acme-outputs/outputs/*": write,
				dlqARN:                                {"sqs:SendMessage"},
			}),
		},
		{
			name: "sqs trigger: consume the events queue, not send to the DLQ",
			cfg:  sqsCfg,
			http: with(logs(httpFnName), map[string][]string{
				"arn:aws:s3:::acme-models/models/*": read, "arn:aws:s3:::acme-models": list,
			}),
			s3: with(logs(s3FnName), map[string][]string{
				"arn:aws:s3:::acme-models/models/*": read, "arn:aws:s3:::acme-models": list,
				"arn:aws:s3:::acme-inputs/inputs/*": read, "arn:aws:s3:::acme-inputs": list,
				"arn:aws:s3:::acme-outputs/outputs/*": write,
				eventsQueueARN:                        {"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"},
			}),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := deploy(t, tc.cfg)
			if got := access(t, rec, "httpfn"); !maps.EqualFunc(got, tc.http, slices.Equal) {
				t.Errorf("httpfn access:\n got  %v\n want %v", got, tc.http)
			}
			if got := access(t, rec, "s3fn"); !maps.EqualFunc(got, tc.s3, slices.Equal) {
				t.Errorf("s3fn access:\n got  %v\n want %v", got, tc.s3)
			}
			// The ListBucket grants are limited to the configured prefixes.
			doc := policyOf(t, rec.one(t, tRolePolicy, "s3fn-policy").inputs["policy"])
			var prefixes []string
			for _, s := range doc.Statement {
				prefixes = append(prefixes, s.Condition["StringLike"]["s3:prefix"]...)
			}
			slices.Sort(prefixes)
			var want []string
			if tc.cfg.ModelSource == ModelSourceS3 {
				want = append(want, tc.cfg.Buckets.ModelsPrefix+"*")
			}
			want = append(want, tc.cfg.Buckets.InputsPrefix+"*")
			slices.Sort(want)
			if !slices.Equal(prefixes, want) {
				t.Errorf("s3fn ListBucket prefixes %v, want %v", prefixes, want)
			}
			for _, short := range []string{"httpfn", "s3fn"} {
				role := rec.one(t, tRole, short+"-role")
				var trust map[string]any
				if err := json.Unmarshal([]byte(role.inputs["assumeRolePolicy"].(string)), &trust); err != nil {
					t.Fatal(err)
				}
				if got := dig(t, trust, "Statement", 0, "Principal", "Service"); got != "lambda.amazonaws.com" {
					t.Errorf("%s trust principal %v", short, got)
				}
				if n := len(rec.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")); n != 0 {
					t.Errorf("%d managed policy attachments; want only the inline least-privilege policies", n)
				}
			}
		})
	}
}

func TestLambdaFunctions(t *testing.T) {
	x86 := awsConfig()
	x86.Arch = ArchX86
	x86.HTTPZip, x86.S3Zip = "../build/httpfn-amd64.zip", "../build/s3fn-amd64.zip"
	x86.HTTP.MemoryMB, x86.HTTP.TimeoutSeconds = 3008, 60
	x86.Env = map[string]string{"PRELOAD_MODELS": "detector"}
	x86.InputFormat, x86.BatchItems = "csv", 64
	layer := awsConfig()
	layer.ModelSource = ModelSourceLayer

	tests := []struct {
		name      string
		cfg       Config
		arch      string
		httpZip   string
		modelRepo string
		layer     bool
	}{
		{"defaults: arm64, models from s3", awsConfig(), "arm64", "../build/httpfn-arm64.zip", "s3://acme-models/models/", false},
		{"x86_64, bigger, extra env", x86, "x86_64", "../build/httpfn-amd64.zip", "s3://acme-models/models/", false},
		{"models layer", layer, "arm64", "../build/httpfn-arm64.zip", "/opt/models", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := deploy(t, tc.cfg)
			for _, f := range []struct {
				short, name string
				fc          FunctionConfig
				zip         string
			}{
				{"httpfn", httpFnName, tc.cfg.HTTP, tc.httpZip},
				{"s3fn", s3FnName, tc.cfg.S3, tc.cfg.S3Zip},
			} {
				fn := rec.one(t, tFunction, f.short).inputs
				checks := map[string][2]any{
					"name":       {fn["name"], f.name},
					"runtime":    {fn["runtime"], "provided.al2023"},
					"handler":    {fn["handler"], "bootstrap"},
					"arch":       {strings.Join(strs(t, fn["architectures"]), ","), tc.arch},
					"memory":     {num(t, fn["memorySize"]), f.fc.MemoryMB},
					"timeout":    {num(t, fn["timeout"]), f.fc.TimeoutSeconds},
					"publish":    {fn["publish"], true},
					"log group":  {dig(t, fn, "loggingConfig", "logGroup"), "/aws/lambda/" + f.name},
					"MODEL_REPO": {dig(t, fn, "environment", "variables", "MODEL_REPOSITORY"), tc.modelRepo},
					"role":       {fn["role"], "arn:aws:iam::" + mockAccount + ":role/" + f.name + "-role"},
				}
				for what, c := range checks {
					if c[0] != c[1] {
						t.Errorf("%s %s = %v, want %v", f.short, what, c[0], c[1])
					}
				}
				if !strings.Contains(strings.ToLower(jsonOf(t, fn["code"])), strings.ToLower(f.zip)) {
					t.Errorf("%s code %v does not name %s", f.short, fn["code"], f.zip)
				}
				for k, v := range tc.cfg.Env {
					if got := dig(t, fn, "environment", "variables", k); got != v {
						t.Errorf("%s env %s = %v, want %v", f.short, k, got, v)
					}
				}
				lg := rec.one(t, tLogGroup, f.short+"-logs").inputs
				if lg["name"] != "/aws/lambda/"+f.name || num(t, lg["retentionInDays"]) != tc.cfg.LogRetentionDays {
					t.Errorf("%s log group %v", f.short, lg)
				}
				layers, _ := fn["layers"].([]any)
				if tc.layer != (len(layers) == 1) {
					t.Errorf("%s layers %v, want layer=%v", f.short, layers, tc.layer)
				}
			}
			s3fn := rec.one(t, tFunction, "s3fn").inputs
			if got := dig(t, s3fn, "environment", "variables", "OUTPUT_PREFIX"); got != "s3://acme-outputs/outputs/" {
				t.Errorf("s3fn OUTPUT_PREFIX %v", got)
			}
			if got := dig(t, s3fn, "environment", "variables", "MODEL"); got != tc.cfg.S3Model {
				t.Errorf("s3fn MODEL %v, want %s", got, tc.cfg.S3Model)
			}
			if got, want := dig(t, s3fn, "environment", "variables").(map[string]any)["INPUT_FORMAT"], tc.cfg.InputFormat; want != "" && got != want {
				t.Errorf("s3fn INPUT_FORMAT %v, want %s", got, want)
			}
			if got := dig(t, s3fn, "environment", "variables").(map[string]any)["BATCH_ITEMS"]; (tc.cfg.BatchItems > 0) != (got != nil) {
				t.Errorf("s3fn BATCH_ITEMS %v with batchItems %d", got, tc.cfg.BatchItems)
			}
			httpfn := rec.one(t, tFunction, "httpfn").inputs
			if _, ok := dig(t, httpfn, "environment", "variables").(map[string]any)["OUTPUT_PREFIX"]; ok {
				t.Error("httpfn has OUTPUT_PREFIX; it writes nothing")
			}
			if tc.layer {
				l := rec.one(t, tLayer, "models-layer").inputs
				if got := strs(t, l["compatibleRuntimes"]); !slices.Equal(got, []string{"provided.al2023"}) {
					t.Errorf("layer runtimes %v", got)
				}
				if got := strs(t, l["compatibleArchitectures"]); !slices.Equal(got, []string{tc.arch}) {
					t.Errorf("layer architectures %v", got)
				}
			} else if len(rec.all(tLayer)) != 0 {
				t.Error("layer registered though models come from s3")
			}
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConcurrency(t *testing.T) {
	custom := awsConfig()
	custom.HTTP.Provisioned, custom.HTTP.Reserved = 4, 50
	custom.S3.Provisioned, custom.S3.Reserved = 2, -1

	tests := []struct {
		name string
		cfg  Config
	}{
		{"defaults", awsConfig()},
		{"custom, s3 unreserved", custom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := deploy(t, tc.cfg)
			for short, fc := range map[string]FunctionConfig{"httpfn": tc.cfg.HTTP, "s3fn": tc.cfg.S3} {
				alias := rec.one(t, tAlias, short+"-live").inputs
				if alias["name"] != "live" || alias["functionVersion"] != mockFnVersion {
					t.Errorf("%s alias %v", short, alias)
				}
				fn := rec.one(t, tFunction, short).inputs
				got, set := fn["reservedConcurrentExecutions"]
				switch {
				case fc.Reserved == -1 && set:
					t.Errorf("%s reserved %v, want unreserved", short, got)
				case fc.Reserved > 0 && (!set || num(t, got) != fc.Reserved):
					t.Errorf("%s reserved %v, want %d", short, got, fc.Reserved)
				}
				has := rec.has(tProvisioned, short+"-provisioned")
				if has != (fc.Provisioned > 0) {
					t.Fatalf("%s provisioned config present=%v, want %d", short, has, fc.Provisioned)
				}
				if has {
					pc := rec.one(t, tProvisioned, short+"-provisioned").inputs
					if num(t, pc["provisionedConcurrentExecutions"]) != fc.Provisioned || pc["qualifier"] != "live" {
						t.Errorf("%s provisioned %v", short, pc)
					}
				}
			}
		})
	}
}

func TestTriggerDirect(t *testing.T) {
	cfg := awsConfig()
	cfg.Buckets.InputSuffix = ".ndjson.zst"
	rec := deploy(t, cfg)

	n := rec.one(t, tNotification, "inputs-notification").inputs
	if n["bucket"] != "acme-inputs" {
		t.Errorf("notification bucket %v", n["bucket"])
	}
	if _, ok := n["queues"]; ok {
		t.Error("direct mode has queue notifications")
	}
	lf := dig(t, n, "lambdaFunctions", 0)
	for k, want := range map[string]any{"lambdaFunctionArn": s3AliasARN, "filterPrefix": "inputs/", "filterSuffix": ".ndjson.zst"} {
		if got := dig(t, lf, k); got != want {
			t.Errorf("notification %s = %v, want %v", k, got, want)
		}
	}
	if got := strs(t, dig(t, lf, "events")); !slices.Equal(got, []string{"s3:ObjectCreated:*"}) {
		t.Errorf("events %v", got)
	}
	p := rec.one(t, tPermission, "s3fn-allow-s3").inputs
	for k, want := range map[string]any{
		"principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::acme-inputs", "sourceAccount": mockAccount,
		"qualifier": "live", "function": s3FnName, "action": "lambda:InvokeFunction",
	} {
		if p[k] != want {
			t.Errorf("permission %s = %v, want %v", k, p[k], want)
		}
	}
	ic := rec.one(t, tInvokeConfig, "s3fn-invoke-config").inputs
	if got := dig(t, ic, "destinationConfig", "onFailure", "destination"); got != dlqARN {
		t.Errorf("on-failure destination %v, want the DLQ", got)
	}
	if ic["qualifier"] != "live" || num(t, ic["maximumRetryAttempts"]) != cfg.Trigger.RetryAttempts {
		t.Errorf("invoke config %v", ic)
	}
	if len(rec.all(tESM)) != 0 || rec.has(tQueue, "s3fn-events") {
		t.Error("direct mode registered an SQS event source")
	}
	if !rec.has(tAlarm, "s3fn-dlq-not-empty") {
		t.Error("no alarm on the DLQ")
	}
}

func TestTriggerSQS(t *testing.T) {
	cfg := awsConfig()
	cfg.Trigger.Mode = TriggerSQS
	cfg.Trigger.BatchSize, cfg.Trigger.MaxReceiveCount = 5, 4
	rec := deploy(t, cfg)

	q := rec.one(t, tQueue, "s3fn-events").inputs
	var redrive struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     int    `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(q["redrivePolicy"].(string)), &redrive); err != nil {
		t.Fatal(err)
	}
	if redrive.DeadLetterTargetArn != dlqARN || redrive.MaxReceiveCount != 4 {
		t.Errorf("redrive %+v", redrive)
	}
	if got := num(t, q["visibilityTimeoutSeconds"]); got != 6*cfg.S3.TimeoutSeconds {
		t.Errorf("visibility timeout %d, want 6x the function timeout", got)
	}
	qp := policyOf(t, rec.one(t, tQueuePolicy, "s3fn-events-policy").inputs["policy"])
	if len(qp.Statement) != 1 {
		t.Fatalf("queue policy %+v", qp)
	}
	s := qp.Statement[0]
	if s.Principal["Service"] != "s3.amazonaws.com" || !slices.Equal(s.Action, []string{"sqs:SendMessage"}) ||
		!slices.Equal(s.Resource, []string{eventsQueueARN}) ||
		!slices.Equal(s.Condition["ArnEquals"]["aws:SourceArn"], []string{"arn:aws:s3:::acme-inputs"}) ||
		!slices.Equal(s.Condition["StringEquals"]["aws:SourceAccount"], []string{mockAccount}) {
		t.Errorf("queue policy statement %+v", s)
	}
	n := rec.one(t, tNotification, "inputs-notification").inputs
	if _, ok := n["lambdaFunctions"]; ok {
		t.Error("sqs mode also notifies the function directly")
	}
	if got := dig(t, n, "queues", 0, "queueArn"); got != eventsQueueARN {
		t.Errorf("notification queue %v", got)
	}
	if got := dig(t, n, "queues", 0, "filterPrefix"); got != "inputs/" {
		t.Errorf("notification prefix %v", got)
	}
	m := rec.one(t, tESM, "s3fn-events-mapping").inputs
	if m["eventSourceArn"] != eventsQueueARN || m["functionName"] != s3AliasARN || num(t, m["batchSize"]) != 5 {
		t.Errorf("event source mapping %v", m)
	}
	if got := strs(t, m["functionResponseTypes"]); !slices.Equal(got, []string{"ReportBatchItemFailures"}) {
		t.Errorf("mapping response types %v: s3fn reports failed messages", got)
	}
	if got := num(t, dig(t, m, "scalingConfig", "maximumConcurrency")); got != cfg.S3.Reserved {
		t.Errorf("mapping max concurrency %d, want reserved %d", got, cfg.S3.Reserved)
	}
	if rec.has(tPermission, "s3fn-allow-s3") || len(rec.all(tInvokeConfig)) != 0 {
		t.Error("sqs mode registered direct-invoke wiring")
	}
}

func TestFunctionURLAndAPI(t *testing.T) {
	public := awsConfig()
	public.URLAuth = AuthNone
	api := awsConfig()
	api.APIGateway = true

	tests := []struct {
		name     string
		cfg      Config
		wantAuth string
		api      bool
	}{
		{"default: IAM auth, no API", awsConfig(), "AWS_IAM", false},
		{"configured public", public, "NONE", false},
		{"with HTTP API", api, "AWS_IAM", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := deploy(t, tc.cfg)
			u := rec.one(t, tURL, "httpfn-url").inputs
			if u["authorizationType"] != tc.wantAuth || u["qualifier"] != "live" || u["functionName"] != httpFnName {
				t.Errorf("function url %v", u)
			}
			if u["invokeMode"] != "BUFFERED" {
				t.Errorf("invoke mode %v", u["invokeMode"])
			}
			for _, p := range rec.all(tPermission) {
				if p.inputs["principal"] == "*" && tc.wantAuth != AuthNone {
					t.Errorf("public permission %s registered though urlAuth is %s", p.name, tc.wantAuth)
				}
			}
			if tc.wantAuth == AuthNone {
				p := rec.one(t, tPermission, "httpfn-url-public").inputs
				if p["functionUrlAuthType"] != "NONE" || p["action"] != "lambda:InvokeFunctionUrl" {
					t.Errorf("public url permission %v", p)
				}
			}
			if got := len(rec.all(tAPI)) == 1; got != tc.api {
				t.Fatalf("api present=%v, want %v", got, tc.api)
			}
			if tc.api {
				i := rec.one(t, tIntegration, "http-api-integration").inputs
				if i["integrationUri"] != httpAliasARN || i["payloadFormatVersion"] != "2.0" {
					t.Errorf("integration %v", i)
				}
				r := rec.one(t, tRoute, "http-api-default-route").inputs
				if r["authorizationType"] != "AWS_IAM" || r["target"] != "integrations/integ456" {
					t.Errorf("route %v", r)
				}
				p := rec.one(t, tPermission, "httpfn-allow-apigw").inputs
				if p["principal"] != "apigateway.amazonaws.com" || !strings.HasSuffix(p["sourceArn"].(string), "api123/*/*") {
					t.Errorf("api permission %v", p)
				}
			}
		})
	}
}

func TestAlarms(t *testing.T) {
	cfg := awsConfig()
	cfg.AlarmTopicARN = "arn:aws:sns:" + mockRegion + ":" + mockAccount + ":oncall"
	rec := deploy(t, cfg)
	for short, fc := range map[string]FunctionConfig{"httpfn": cfg.HTTP, "s3fn": cfg.S3} {
		name := cfg.NamePrefix + "-" + short
		for _, metric := range []string{"errors", "throttles", "duration-near-timeout"} {
			a := rec.one(t, tAlarm, short+"-"+metric).inputs
			if dig(t, a, "dimensions", "FunctionName") != name || a["namespace"] != "AWS/Lambda" {
				t.Errorf("%s %s alarm %v", short, metric, a)
			}
			if got := strs(t, a["alarmActions"]); !slices.Equal(got, []string{cfg.AlarmTopicARN}) {
				t.Errorf("%s %s alarm actions %v", short, metric, got)
			}
		}
		d := rec.one(t, tAlarm, short+"-duration-near-timeout").inputs
		if d["threshold"] != 0.8*float64(fc.TimeoutSeconds)*1000 || d["metricName"] != "Duration" {
			t.Errorf("%s duration alarm %v", short, d)
		}
		f := rec.one(t, tMetricFilter, short+"-stalls").inputs
		if f["logGroupName"] != "/aws/lambda/"+name || f["pattern"] != DefaultStallPattern ||
			dig(t, f, "metricTransformation", "name") != "edgeinfer_stalls_total" {
			t.Errorf("%s stall filter %v", short, f)
		}
		s := rec.one(t, tAlarm, short+"-stalls").inputs
		if s["metricName"] != "edgeinfer_stalls_total" || s["namespace"] != dig(t, f, "metricTransformation", "namespace") {
			t.Errorf("%s stall alarm %v does not watch the filter's metric", short, s)
		}
	}
}

func TestAWSOnlyRegistersNoKubernetes(t *testing.T) {
	rec := deploy(t, awsConfig())
	if n := rec.count("kubernetes:"); n != 0 {
		t.Errorf("aws target registered %d kubernetes resources", n)
	}
}

// httpfn's INPUT_URL_PREFIX comes with the grant to read it: set by the
// stack (httpInputUrls) to the inputs prefix, never through env alone.
func TestHTTPInputURLs(t *testing.T) {
	on := awsConfig()
	on.HTTPInputURLs = true
	for _, tc := range []struct {
		cfg  Config
		want any
	}{{awsConfig(), nil}, {on, "s3://acme-inputs/inputs/"}} {
		rec := deploy(t, tc.cfg)
		env := dig(t, rec.one(t, tFunction, "httpfn").inputs, "environment", "variables").(map[string]any)
		if got := env["INPUT_URL_PREFIX"]; got != tc.want {
			t.Errorf("httpInputUrls=%v: INPUT_URL_PREFIX %v, want %v", tc.cfg.HTTPInputURLs, got, tc.want)
		}
		if _, ok := dig(t, rec.one(t, tFunction, "s3fn").inputs, "environment", "variables").(map[string]any)["INPUT_URL_PREFIX"]; ok {
			t.Error("s3fn got INPUT_URL_PREFIX")
		}
	}
	c := awsConfig()
	c.Env = map[string]string{"INPUT_URL_PREFIX": "s3://elsewhere/"}
	if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "httpInputUrls") {
		t.Errorf("INPUT_URL_PREFIX in env: %v", err)
	}
	got, err := ParseConfig("edgeinfer", "dev", func(k string) (string, bool) {
		v, ok := map[string]string{"aws:region": mockRegion, "edgeinfer:s3Model": "tiny_cnn", "edgeinfer:httpInputUrls": "true"}[k]
		return v, ok
	})
	if err != nil || !got.HTTPInputURLs {
		t.Errorf("ParseConfig httpInputUrls: %v %v", got.HTTPInputURLs, err)
	}
}
