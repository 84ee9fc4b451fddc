package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ErrInvalidConfig is wrapped by every error that [ParseConfig] and
// [Config.Validate] return for a bad stack configuration value.
var ErrInvalidConfig = errors.New("invalid stack config")

// ErrMissingArtifact is wrapped by [Config.CheckArtifacts] when a Lambda zip
// that `make package` or `make layer` should have built is absent.
var ErrMissingArtifact = errors.New("missing build artifact")

// Targets.
const (
	// TargetAWS deploys the serverless target only.
	TargetAWS = "aws"
	// TargetK8s deploys the Kubernetes edge target only.
	TargetK8s = "k8s"
	// TargetBoth deploys both targets.
	TargetBoth = "both"
)

// Trigger modes for the S3 function.
const (
	// TriggerDirect has S3 invoke the function asynchronously; failures go
	// to the dead-letter queue through an on-failure destination.
	TriggerDirect = "direct"
	// TriggerSQS has S3 send events to an SQS queue that the function polls;
	// messages that fail MaxReceiveCount times move to the dead-letter queue.
	TriggerSQS = "sqs"
)

// Model sources for the Lambda functions.
const (
	// ModelSourceS3 serves models from the models bucket and prefix.
	ModelSourceS3 = "s3"
	// ModelSourceLayer serves models baked into the models layer at
	// /opt/models.
	ModelSourceLayer = "layer"
)

// Function URL and API route authorization types.
const (
	// AuthIAM requires SigV4-signed requests (the default).
	AuthIAM = "AWS_IAM"
	// AuthNone makes the endpoint public; only used when configured.
	AuthNone = "NONE"
)

// Lambda architectures, as Lambda names them.
const (
	// ArchARM64 is Graviton (the default).
	ArchARM64 = "arm64"
	// ArchX86 is x86_64.
	ArchX86 = "x86_64"
)

// Limits enforced by [Config.Validate]; each comes from the AWS or
// Kubernetes limit it guards.
const (
	MinMemoryMB         = 128   // Lambda's smallest memory size.
	MaxMemoryMB         = 10240 // Lambda's largest memory size.
	MaxTimeoutSeconds   = 900   // Lambda's longest timeout.
	MaxNamePrefixLength = 28    // keeps "<prefix>-outputs-" within S3's 37-byte bucket prefix limit.
	MaxSQSBatchSize     = 10    // batch size allowed without a batching window.
	MaxReplicas         = 1000  // a sanity bound on replicas and HPA bounds.
)

// logRetentionDays lists the values CloudWatch Logs accepts for retention.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// FunctionConfig sizes one Lambda function.
type FunctionConfig struct {
	// MemoryMB is the function's memory size (MinMemoryMB..MaxMemoryMB).
	MemoryMB int
	// TimeoutSeconds is the invocation timeout (1..MaxTimeoutSeconds).
	TimeoutSeconds int
	// Provisioned is the provisioned concurrency on the "live" alias; 0
	// disables it. It keeps that many execution environments, and so their
	// model caches, warm.
	Provisioned int
	// Reserved is the reserved concurrency, isolating the function from
	// others in the account; -1 leaves it unreserved. 0 is rejected: it
	// would throttle every invocation.
	Reserved int
}

// BucketConfig names the buckets and prefixes.
type BucketConfig struct {
	// Create makes the stack create the buckets (names optional, generated
	// from NamePrefix when empty); false uses existing buckets by name.
	Create bool
	// Models, Inputs and Outputs are bucket names; they may be the same
	// existing bucket when Create is false.
	Models, Inputs, Outputs string
	// ModelsPrefix, InputsPrefix and OutputsPrefix end in "/" and contain no
	// IAM wildcard.
	ModelsPrefix, InputsPrefix, OutputsPrefix string
	// InputSuffix filters the object-created notification (e.g. ".ndjson.zst");
	// empty means every key under InputsPrefix.
	InputSuffix string
	// OutputsExpireDays expires objects under OutputsPrefix; 0 keeps them.
	OutputsExpireDays int
	// ForceDestroy lets `pulumi destroy` delete created buckets that still
	// hold objects.
	ForceDestroy bool
}

// TriggerConfig wires S3 object-created events to the S3 function.
type TriggerConfig struct {
	// Mode is TriggerDirect or TriggerSQS.
	Mode string
	// BatchSize is the SQS batch size (1..MaxSQSBatchSize).
	BatchSize int
	// MaxReceiveCount is how often a message is tried before the
	// dead-letter queue (SQS mode).
	MaxReceiveCount int
	// RetryAttempts is Lambda's async retry count, 0..2 (direct mode).
	RetryAttempts int
	// MaxEventAgeSeconds bounds async event age, 60..21600 (direct mode).
	MaxEventAgeSeconds int
}

// K8sConfig describes the Kubernetes edge target.
type K8sConfig struct {
	// Namespace is created by the stack.
	Namespace string
	// Image is the container image built from the Dockerfile; it must be
	// pinned by tag (not "latest") or digest.
	Image string
	// Replicas is the Deployment's initial replica count; it must lie in
	// [HPAMin, HPAMax].
	Replicas int
	// GPU requests GPUCount "nvidia.com/gpu" and tolerates GPU taints.
	GPU bool
	// GPUCount is the GPUs per pod when GPU is set.
	GPUCount int
	// Zone pins pods to topology.kubernetes.io/zone=Zone (the zone that
	// holds the data); empty means any zone.
	Zone string
	// CPURequest, CPULimit, MemoryRequest and MemoryLimit are Kubernetes
	// quantities.
	CPURequest, CPULimit, MemoryRequest, MemoryLimit string
	// HPAMin, HPAMax and HPACPUPercent configure the autoscaler.
	HPAMin, HPAMax, HPACPUPercent int
	// ModelRepository is the --models URL; empty means the AWS target's
	// models bucket and prefix (an error when the AWS target is off).
	ModelRepository string
	// ServiceType is ClusterIP, NodePort or LoadBalancer.
	ServiceType string
	// ServiceAccount is an existing service account for the pods (for
	// example one bound to an IAM role that can read the models); empty
	// means the namespace default with no token mounted.
	ServiceAccount string
	// Env is extra environment for the container.
	Env map[string]string
}

// Config is the validated stack configuration. Build it with
// [DefaultConfig] or [ParseConfig]; [Deploy] calls [Config.Validate] again.
type Config struct {
	// Targets is TargetAWS, TargetK8s or TargetBoth.
	Targets string
	// NamePrefix prefixes physical names (functions, roles, log groups,
	// queues, generated buckets): lowercase letters, digits and "-".
	NamePrefix string
	// Region is the AWS region.
	Region string
	// Arch is ArchARM64 or ArchX86.
	Arch string
	// HTTP and S3 size the two functions.
	HTTP, S3 FunctionConfig
	// HTTPZip, S3Zip and LayerZip are the artifacts of `make package` and
	// `make layer`, relative to infra/.
	HTTPZip, S3Zip, LayerZip string
	// ModelSource is ModelSourceS3 or ModelSourceLayer.
	ModelSource string
	// Buckets names buckets and prefixes.
	Buckets BucketConfig
	// Trigger wires the S3 function.
	Trigger TriggerConfig
	// URLAuth is the Function URL's (and the HTTP API route's) auth type.
	URLAuth string
	// InvokeMode is the Function URL's invoke mode, BUFFERED (httpfn's
	// adapter answers with one buffered response) or RESPONSE_STREAM.
	InvokeMode string
	// S3Model is the model the S3 function runs (MODEL: "name",
	// "name:3" or "name@label"); required for the aws target.
	S3Model string
	// InputFormat is the S3 function's INPUT_FORMAT (auto, ndjson, csv,
	// npy); empty means auto.
	InputFormat string
	// BatchItems is the S3 function's BATCH_ITEMS; 0 keeps its default.
	BatchItems int
	// APIGateway adds an API Gateway HTTP API in front of the HTTP alias.
	APIGateway bool
	// HTTPInputURLs lets httpfn take its request body by reference, from
	// an object under the inputs bucket and prefix (INPUT_URL_PREFIX and
	// the read grant it needs), for inputs over Lambda's 6 MB payload.
	HTTPInputURLs bool
	// LogRetentionDays is one of the values CloudWatch Logs accepts.
	LogRetentionDays int
	// AlarmTopicARN, when set, receives alarm and OK notifications.
	AlarmTopicARN string
	// StallPattern is the CloudWatch Logs filter pattern that counts one
	// stall per matching log line.
	StallPattern string
	// Env is extra environment for both functions.
	Env map[string]string
	// K8s describes the edge target.
	K8s K8sConfig
}

// DefaultStallPattern is a CloudWatch Logs filter pattern matching the line
// the serving core's stall watchdog logs each time it increments
// edgeinfer_stalls_total ("stalled run: not ready until it ends"). A quoted
// term matches slog's text and JSON handlers alike.
const DefaultStallPattern = `"stalled run"`

// DefaultConfig returns the defaults for a stack named stackName.
func DefaultConfig(stackName string) Config {
	return Config{
		Targets:    TargetAWS,
		NamePrefix: defaultNamePrefix(stackName),
		Arch:       ArchARM64,
		HTTP:       FunctionConfig{MemoryMB: 1024, TimeoutSeconds: 30, Provisioned: 1, Reserved: 20},
		S3:         FunctionConfig{MemoryMB: 2048, TimeoutSeconds: 300, Provisioned: 0, Reserved: 5},
		HTTPZip:    "../build/httpfn-arm64.zip",
		S3Zip:      "../build/s3fn-arm64.zip",
		LayerZip:   "../build/models-layer.zip",
		Buckets: BucketConfig{
			Create:            true,
			ModelsPrefix:      "models/",
			InputsPrefix:      "inputs/",
			OutputsPrefix:     "outputs/",
			OutputsExpireDays: 30,
		},
		ModelSource:      ModelSourceS3,
		Trigger:          TriggerConfig{Mode: TriggerDirect, BatchSize: 1, MaxReceiveCount: 3, RetryAttempts: 2, MaxEventAgeSeconds: 3600},
		URLAuth:          AuthIAM,
		InvokeMode:       "BUFFERED",
		LogRetentionDays: 14,
		StallPattern:     DefaultStallPattern,
		K8s: K8sConfig{
			Namespace:     "edgeinfer",
			Replicas:      2,
			GPUCount:      1,
			CPURequest:    "500m",
			CPULimit:      "2",
			MemoryRequest: "1Gi",
			MemoryLimit:   "2Gi",
			HPAMin:        2,
			HPAMax:        6,
			HPACPUPercent: 70,
			ServiceType:   "ClusterIP",
		},
	}
}

// defaultNamePrefix derives "edgeinfer-<stack>" with the stack name folded
// to what S3, IAM and Lambda names accept, cut to MaxNamePrefixLength.
func defaultNamePrefix(stackName string) string {
	var b strings.Builder
	b.WriteString("edgeinfer-")
	for _, r := range strings.ToLower(stackName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := b.String()
	if len(s) > MaxNamePrefixLength {
		s = s[:MaxNamePrefixLength]
	}
	return strings.TrimRight(s, "-")
}

// GoArch is the Go architecture name of Arch, as used in artifact names.
func (c Config) GoArch() string {
	if c.Arch == ArchX86 {
		return "amd64"
	}
	return "arm64"
}

// DeployAWS reports whether the AWS target is selected.
func (c Config) DeployAWS() bool { return c.Targets == TargetAWS || c.Targets == TargetBoth }

// DeployK8s reports whether the Kubernetes target is selected.
func (c Config) DeployK8s() bool { return c.Targets == TargetK8s || c.Targets == TargetBoth }

// LoadConfig reads the stack configuration of ctx (keys in the project's
// namespace, "aws:region" as the region fallback) and validates it.
func LoadConfig(ctx *pulumi.Context) (Config, error) {
	return ParseConfig(ctx.Project(), ctx.Stack(), ctx.GetConfig)
}

// ParseConfig builds a Config from the defaults for stackName and the
// values get returns for "<project>:<key>" (and "aws:region"), then
// validates it. Every bad value is reported, each wrapping ErrInvalidConfig.
func ParseConfig(project, stackName string, get func(key string) (string, bool)) (Config, error) {
	c := DefaultConfig(stackName)
	p := parser{project: project, get: get}

	p.str("targets", &c.Targets)
	p.str("namePrefix", &c.NamePrefix)
	if v, ok := get("aws:region"); ok {
		c.Region = v
	}
	p.str("region", &c.Region)
	p.str("arch", &c.Arch)
	if c.Arch == "amd64" {
		c.Arch = ArchX86
	}
	p.integer("httpMemory", &c.HTTP.MemoryMB)
	p.integer("httpTimeout", &c.HTTP.TimeoutSeconds)
	p.integer("httpProvisioned", &c.HTTP.Provisioned)
	p.integer("httpReserved", &c.HTTP.Reserved)
	p.integer("s3Memory", &c.S3.MemoryMB)
	p.integer("s3Timeout", &c.S3.TimeoutSeconds)
	p.integer("s3Provisioned", &c.S3.Provisioned)
	p.integer("s3Reserved", &c.S3.Reserved)
	c.HTTPZip = "../build/httpfn-" + c.GoArch() + ".zip"
	c.S3Zip = "../build/s3fn-" + c.GoArch() + ".zip"
	p.str("httpZip", &c.HTTPZip)
	p.str("s3Zip", &c.S3Zip)
	p.str("layerZip", &c.LayerZip)
	p.str("modelSource", &c.ModelSource)

	p.boolean("createBuckets", &c.Buckets.Create)
	p.str("modelsBucket", &c.Buckets.Models)
	p.str("inputsBucket", &c.Buckets.Inputs)
	p.str("outputsBucket", &c.Buckets.Outputs)
	p.str("modelsPrefix", &c.Buckets.ModelsPrefix)
	p.str("inputsPrefix", &c.Buckets.InputsPrefix)
	p.str("outputsPrefix", &c.Buckets.OutputsPrefix)
	p.str("inputSuffix", &c.Buckets.InputSuffix)
	p.integer("outputsExpireDays", &c.Buckets.OutputsExpireDays)
	p.boolean("forceDestroy", &c.Buckets.ForceDestroy)

	p.str("triggerMode", &c.Trigger.Mode)
	p.integer("sqsBatchSize", &c.Trigger.BatchSize)
	p.integer("maxReceiveCount", &c.Trigger.MaxReceiveCount)
	p.integer("retryAttempts", &c.Trigger.RetryAttempts)
	p.integer("maxEventAgeSeconds", &c.Trigger.MaxEventAgeSeconds)

	p.str("urlAuth", &c.URLAuth)
	p.str("invokeMode", &c.InvokeMode)
	p.str("s3Model", &c.S3Model)
	p.str("inputFormat", &c.InputFormat)
	p.integer("batchItems", &c.BatchItems)
	p.boolean("apiGateway", &c.APIGateway)
	p.boolean("httpInputUrls", &c.HTTPInputURLs)
	p.integer("logRetentionDays", &c.LogRetentionDays)
	p.str("alarmTopicArn", &c.AlarmTopicARN)
	p.str("stallPattern", &c.StallPattern)
	p.env("env", &c.Env)

	p.str("k8sNamespace", &c.K8s.Namespace)
	p.str("image", &c.K8s.Image)
	p.integer("replicas", &c.K8s.Replicas)
	p.boolean("gpu", &c.K8s.GPU)
	p.integer("gpuCount", &c.K8s.GPUCount)
	p.str("zone", &c.K8s.Zone)
	p.str("cpuRequest", &c.K8s.CPURequest)
	p.str("cpuLimit", &c.K8s.CPULimit)
	p.str("memoryRequest", &c.K8s.MemoryRequest)
	p.str("memoryLimit", &c.K8s.MemoryLimit)
	p.integer("hpaMin", &c.K8s.HPAMin)
	p.integer("hpaMax", &c.K8s.HPAMax)
	p.integer("hpaCpuPercent", &c.K8s.HPACPUPercent)
	p.str("k8sModels", &c.K8s.ModelRepository)
	p.str("serviceType", &c.K8s.ServiceType)
	p.str("serviceAccount", &c.K8s.ServiceAccount)
	p.env("k8sEnv", &c.K8s.Env)

	if len(p.errs) > 0 {
		return Config{}, errors.Join(p.errs...)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// parser reads typed values; it records errors instead of stopping so that
// one run reports every bad key.
type parser struct {
	project string
	get     func(string) (string, bool)
	errs    []error
}

func (p *parser) key(k string) string { return p.project + ":" + k }

func (p *parser) str(k string, dst *string) {
	if v, ok := p.get(p.key(k)); ok {
		*dst = strings.TrimSpace(v)
	}
}

func (p *parser) integer(k string, dst *int) {
	v, ok := p.get(p.key(k))
	if !ok {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		p.errs = append(p.errs, fmt.Errorf("%w: %s: %q is not an integer", ErrInvalidConfig, p.key(k), v))
		return
	}
	*dst = n
}

func (p *parser) boolean(k string, dst *bool) {
	v, ok := p.get(p.key(k))
	if !ok {
		return
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		p.errs = append(p.errs, fmt.Errorf("%w: %s: %q is not true or false", ErrInvalidConfig, p.key(k), v))
		return
	}
	*dst = b
}

func (p *parser) env(k string, dst *map[string]string) {
	v, ok := p.get(p.key(k))
	if !ok {
		return
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		p.errs = append(p.errs, fmt.Errorf("%w: %s: want a JSON object of strings: %v", ErrInvalidConfig, p.key(k), err))
		return
	}
	*dst = m
}

var (
	namePrefixRE = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]$`)
	bucketRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	envKeyRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	quantityRE   = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$`)
	dnsLabelRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	zoneRE       = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$`)
	modelRefRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(:[1-9][0-9]{0,17}|@[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$`)
	topicARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`)
)

// managedEnv are the variables the stack sets itself; user env may not
// override them.
var managedEnv = []string{envModelRepository, envOutputPrefix, envModel, envInputFormat, envBatchItems}

// Validate checks every field and returns all problems joined, each
// wrapping ErrInvalidConfig; nil means the config is deployable.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}

	switch c.Targets {
	case TargetAWS, TargetK8s, TargetBoth:
	default:
		bad("targets must be %q, %q or %q, got %q", TargetAWS, TargetK8s, TargetBoth, c.Targets)
	}
	if len(c.NamePrefix) > MaxNamePrefixLength || !namePrefixRE.MatchString(c.NamePrefix) {
		bad("namePrefix %q must be 2..%d lowercase letters, digits and '-', starting with a letter", c.NamePrefix, MaxNamePrefixLength)
	}
	if c.DeployAWS() {
		errs = append(errs, c.validateAWS()...)
	}
	if c.DeployK8s() {
		errs = append(errs, c.validateK8s()...)
	}
	return errors.Join(errs...)
}

func (c Config) validateAWS() []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	if c.Region == "" {
		bad("region is required for the aws target (set edgeinfer:region or aws:region)")
	} else if !regionRE.MatchString(c.Region) {
		bad("region %q is not an AWS region name", c.Region)
	}
	if c.Arch != ArchARM64 && c.Arch != ArchX86 {
		bad("arch must be %q or %q (or amd64), got %q", ArchARM64, ArchX86, c.Arch)
	}
	for _, f := range []struct {
		name string
		fc   FunctionConfig
	}{{"http", c.HTTP}, {"s3", c.S3}} {
		if f.fc.MemoryMB < MinMemoryMB || f.fc.MemoryMB > MaxMemoryMB {
			bad("%sMemory must be %d..%d MB, got %d", f.name, MinMemoryMB, MaxMemoryMB, f.fc.MemoryMB)
		}
		if f.fc.TimeoutSeconds < 1 || f.fc.TimeoutSeconds > MaxTimeoutSeconds {
			bad("%sTimeout must be 1..%d seconds, got %d", f.name, MaxTimeoutSeconds, f.fc.TimeoutSeconds)
		}
		if f.fc.Provisioned < 0 {
			bad("%sProvisioned must be >= 0, got %d", f.name, f.fc.Provisioned)
		}
		switch {
		case f.fc.Reserved == 0:
			bad("%sReserved is 0, which throttles every invocation; use -1 for unreserved or a positive limit", f.name)
		case f.fc.Reserved < -1:
			bad("%sReserved must be -1 (unreserved) or positive, got %d", f.name, f.fc.Reserved)
		case f.fc.Reserved > 0 && f.fc.Provisioned > f.fc.Reserved:
			bad("%sProvisioned (%d) exceeds %sReserved (%d)", f.name, f.fc.Provisioned, f.name, f.fc.Reserved)
		}
	}
	if c.HTTPZip == "" || c.S3Zip == "" {
		bad("httpZip and s3Zip must name the zips built by `make package`")
	}
	switch c.ModelSource {
	case ModelSourceS3:
	case ModelSourceLayer:
		if c.LayerZip == "" {
			bad("modelSource %q needs layerZip", ModelSourceLayer)
		}
	default:
		bad("modelSource must be %q or %q, got %q", ModelSourceS3, ModelSourceLayer, c.ModelSource)
	}
	errs = append(errs, c.Buckets.validate()...)

	t := c.Trigger
	switch t.Mode {
	case TriggerDirect:
		if t.RetryAttempts < 0 || t.RetryAttempts > 2 {
			bad("retryAttempts must be 0..2, got %d", t.RetryAttempts)
		}
		if t.MaxEventAgeSeconds < 60 || t.MaxEventAgeSeconds > 21600 {
			bad("maxEventAgeSeconds must be 60..21600, got %d", t.MaxEventAgeSeconds)
		}
	case TriggerSQS:
		if t.BatchSize < 1 || t.BatchSize > MaxSQSBatchSize {
			bad("sqsBatchSize must be 1..%d, got %d", MaxSQSBatchSize, t.BatchSize)
		}
		if t.MaxReceiveCount < 1 || t.MaxReceiveCount > 1000 {
			bad("maxReceiveCount must be 1..1000, got %d", t.MaxReceiveCount)
		}
		// SQS visibility timeout is 6x the function timeout and at most 12h.
		if 6*c.S3.TimeoutSeconds > 43200 {
			bad("s3Timeout %d is too long for SQS (6x timeout must fit 12 hours)", c.S3.TimeoutSeconds)
		}
	default:
		bad("triggerMode must be %q or %q, got %q", TriggerDirect, TriggerSQS, t.Mode)
	}
	if c.URLAuth != AuthIAM && c.URLAuth != AuthNone {
		bad("urlAuth must be %q or %q, got %q", AuthIAM, AuthNone, c.URLAuth)
	}
	if c.InvokeMode != "RESPONSE_STREAM" && c.InvokeMode != "BUFFERED" {
		bad("invokeMode must be BUFFERED or RESPONSE_STREAM, got %q", c.InvokeMode)
	}
	if !modelRefRE.MatchString(c.S3Model) {
		bad("s3Model %q must name the model the S3 function runs: name, name:VERSION or name@LABEL", c.S3Model)
	}
	switch strings.ToLower(c.InputFormat) {
	case "", "auto", "ndjson", "jsonl", "json", "csv", "npy":
	default:
		bad("inputFormat must be auto, ndjson, csv or npy, got %q", c.InputFormat)
	}
	if c.BatchItems < 0 {
		bad("batchItems must be >= 0, got %d", c.BatchItems)
	}
	if !slices.Contains(logRetentionDays, c.LogRetentionDays) {
		bad("logRetentionDays must be one of %v, got %d", logRetentionDays, c.LogRetentionDays)
	}
	if c.AlarmTopicARN != "" && !topicARNRE.MatchString(c.AlarmTopicARN) {
		bad("alarmTopicArn %q is not an SNS topic ARN", c.AlarmTopicARN)
	}
	if strings.TrimSpace(c.StallPattern) == "" {
		bad("stallPattern must not be empty")
	}
	errs = append(errs, validateEnv("env", c.Env, true)...)
	return errs
}

func (b BucketConfig) validate() []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	names := map[string]string{"modelsBucket": b.Models, "inputsBucket": b.Inputs, "outputsBucket": b.Outputs}
	for _, k := range []string{"modelsBucket", "inputsBucket", "outputsBucket"} {
		v := names[k]
		switch {
		case v == "" && !b.Create:
			bad("%s is required when createBuckets is false", k)
		case v != "" && (!bucketRE.MatchString(v) || strings.Contains(v, "..")):
			bad("%s %q is not a valid S3 bucket name", k, v)
		}
	}
	if b.Create {
		seen := map[string]string{}
		for _, k := range []string{"modelsBucket", "inputsBucket", "outputsBucket"} {
			if v := names[k]; v != "" {
				if other, dup := seen[v]; dup {
					bad("%s and %s are both %q; created buckets must be distinct (set createBuckets=false to share an existing bucket)", other, k, v)
				}
				seen[v] = k
			}
		}
	}
	for k, v := range map[string]string{"modelsPrefix": b.ModelsPrefix, "inputsPrefix": b.InputsPrefix, "outputsPrefix": b.OutputsPrefix} {
		if err := validatePrefix(v); err != nil {
			bad("%s %q %v", k, v, err)
		}
	}
	if strings.ContainsAny(b.InputSuffix, "*?") {
		bad("inputSuffix %q must not contain wildcards", b.InputSuffix)
	}
	// Writing outputs where inputs trigger the function would re-invoke it
	// on its own results, forever.
	if sameBucket(b.Inputs, b.Outputs, b.Create) &&
		(strings.HasPrefix(b.OutputsPrefix, b.InputsPrefix) || strings.HasPrefix(b.InputsPrefix, b.OutputsPrefix)) {
		bad("inputsPrefix %q and outputsPrefix %q overlap in one bucket: outputs would re-trigger the S3 function", b.InputsPrefix, b.OutputsPrefix)
	}
	if b.OutputsExpireDays < 0 {
		bad("outputsExpireDays must be >= 0, got %d", b.OutputsExpireDays)
	}
	return errs
}

// sameBucket reports whether two configured buckets are one bucket; created
// buckets without names are always distinct.
func sameBucket(a, b string, create bool) bool {
	if create && (a == "" || b == "") {
		return false
	}
	return a == b
}

func validatePrefix(p string) error {
	switch {
	case p == "":
		return errors.New("must not be empty (a bucket-wide grant is not least privilege)")
	case strings.HasPrefix(p, "/"):
		return errors.New(`must not start with "/"`)
	case !strings.HasSuffix(p, "/"):
		return errors.New(`must end with "/"`)
	case strings.ContainsAny(p, "*?$") || strings.Contains(p, ".."):
		return errors.New("must not contain wildcards, '$' or '..'")
	}
	return nil
}

func validateEnv(key string, env map[string]string, lambda bool) []error {
	var errs []error
	for k := range env {
		switch {
		case !envKeyRE.MatchString(k):
			errs = append(errs, fmt.Errorf("%w: %s: %q is not an environment variable name", ErrInvalidConfig, key, k))
		case slices.Contains(managedEnv, k):
			errs = append(errs, fmt.Errorf("%w: %s: %s is set by the stack", ErrInvalidConfig, key, k))
		case lambda && k == envInputURLPrefix:
			errs = append(errs, fmt.Errorf("%w: %s: %s is set by the stack, with the read grant it needs: set edgeinfer:httpInputUrls true", ErrInvalidConfig, key, k))
		case lambda && strings.HasPrefix(k, "AWS_"):
			errs = append(errs, fmt.Errorf("%w: %s: %s is reserved by Lambda", ErrInvalidConfig, key, k))
		}
	}
	return errs
}

func (c Config) validateK8s() []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	k := c.K8s
	if !dnsLabelRE.MatchString(k.Namespace) {
		bad("k8sNamespace %q is not a DNS label", k.Namespace)
	}
	if err := validateImage(k.Image); err != nil {
		bad("image %q %v", k.Image, err)
	}
	if k.HPAMin < 1 || k.HPAMax < k.HPAMin || k.HPAMax > MaxReplicas {
		bad("hpaMin/hpaMax must satisfy 1 <= hpaMin <= hpaMax <= %d, got %d/%d", MaxReplicas, k.HPAMin, k.HPAMax)
	}
	if k.Replicas < k.HPAMin || k.Replicas > k.HPAMax {
		bad("replicas %d must lie in [hpaMin %d, hpaMax %d]", k.Replicas, k.HPAMin, k.HPAMax)
	}
	if k.HPACPUPercent < 1 || k.HPACPUPercent > 100 {
		bad("hpaCpuPercent must be 1..100, got %d", k.HPACPUPercent)
	}
	if k.GPU && (k.GPUCount < 1 || k.GPUCount > 16) {
		bad("gpuCount must be 1..16 when gpu is true, got %d", k.GPUCount)
	}
	if k.Zone != "" && !zoneRE.MatchString(k.Zone) {
		bad("zone %q is not a label value", k.Zone)
	}
	for name, q := range map[string]string{"cpuRequest": k.CPURequest, "cpuLimit": k.CPULimit, "memoryRequest": k.MemoryRequest, "memoryLimit": k.MemoryLimit} {
		if !quantityRE.MatchString(q) {
			bad("%s %q is not a Kubernetes quantity", name, q)
		}
	}
	if k.ModelRepository == "" && !c.DeployAWS() {
		bad("k8sModels (the --models URL) is required when the aws target is off")
	}
	if m := k.ModelRepository; m != "" && !strings.HasPrefix(m, "/") &&
		!slices.ContainsFunc([]string{"s3://", "file://", "http://", "https://"}, func(s string) bool { return strings.HasPrefix(m, s) }) {
		bad("k8sModels %q must be an absolute path or an s3://, file://, http:// or https:// URL", m)
	}
	switch k.ServiceType {
	case "ClusterIP", "NodePort", "LoadBalancer":
	default:
		bad("serviceType must be ClusterIP, NodePort or LoadBalancer, got %q", k.ServiceType)
	}
	if k.ServiceAccount != "" && !dnsLabelRE.MatchString(k.ServiceAccount) {
		bad("serviceAccount %q is not a valid name", k.ServiceAccount)
	}
	errs = append(errs, validateEnv("k8sEnv", k.Env, false)...)
	return errs
}

// validateImage insists on a pinned image: an untagged or ":latest" image
// lets nodes run different builds (version drift).
func validateImage(img string) error {
	switch {
	case img == "":
		return errors.New("is required for the k8s target (build it with `make image`)")
	case strings.ContainsAny(img, " \t\n"):
		return errors.New("must not contain whitespace")
	case strings.Contains(img, "@sha256:"):
		return nil
	}
	slash := strings.LastIndex(img, "/")
	colon := strings.LastIndex(img, ":")
	if colon <= slash || colon == len(img)-1 {
		return errors.New("must be pinned with a tag or digest")
	}
	if img[colon+1:] == "latest" {
		return errors.New(`must not use the "latest" tag`)
	}
	return nil
}

// CheckArtifacts reports, wrapping ErrMissingArtifact, any Lambda zip the
// AWS target needs that is not on disk. It is separate from Validate so
// tests can build the stack without artifacts; main calls it before Deploy.
func (c Config) CheckArtifacts() error {
	if !c.DeployAWS() {
		return nil
	}
	paths := []string{c.HTTPZip, c.S3Zip}
	if c.ModelSource == ModelSourceLayer {
		paths = append(paths, c.LayerZip)
	}
	var errs []error
	for _, p := range paths {
		st, err := os.Stat(p)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%w: %s: run `make package layer` first: %v", ErrMissingArtifact, p, err))
		case !st.Mode().IsRegular():
			errs = append(errs, fmt.Errorf("%w: %s is not a regular file", ErrMissingArtifact, p))
		}
	}
	return errors.Join(errs...)
}
