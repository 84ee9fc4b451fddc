package stack

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	tNamespace  = "kubernetes:core/v1:Namespace"
	tConfigMap  = "kubernetes:core/v1:ConfigMap"
	tDeployment = "kubernetes:apps/v1:Deployment"
	tService    = "kubernetes:core/v1:Service"
	tPDB        = "kubernetes:policy/v1:PodDisruptionBudget"
	tHPA        = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
)

// k8sConfig is a Kubernetes-only config.
func k8sConfig() Config {
	c := DefaultConfig("test")
	c.Targets = TargetK8s
	c.K8s.Image = "registry.example.com/edgeinfer:v0.1.0"
	c.K8s.ModelRepository = "s3://edge-models/models/"
	return c
}

func TestKubernetesTarget(t *testing.T) {
	gpu := k8sConfig()
	gpu.K8s.GPU, gpu.K8s.GPUCount = true, 2
	zoned := k8sConfig()
	zoned.K8s.Zone = "eu-west-1a"
	both := k8sConfig()
	both.K8s.GPU, both.K8s.Zone = true, "us-east-1b"

	tests := []struct {
		name string
		cfg  Config
	}{
		{"cpu, any zone", k8sConfig()},
		{"gpu", gpu},
		{"zone", zoned},
		{"gpu and zone", both},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.cfg.K8s
			rec := deploy(t, tc.cfg)
			if n := rec.count("aws:"); n != 0 {
				t.Errorf("k8s target registered %d aws resources", n)
			}
			if got := dig(t, rec.one(t, tNamespace, "namespace").inputs, "metadata", "name"); got != "edgeinfer" {
				t.Errorf("namespace %v", got)
			}
			cm := rec.one(t, tConfigMap, "edgeinfer-config").inputs
			if got := dig(t, cm, "data", "MODEL_REPOSITORY"); got != k.ModelRepository {
				t.Errorf("configmap MODEL_REPOSITORY %v", got)
			}

			dep := rec.one(t, tDeployment, "deployment").inputs
			if dig(t, dep, "metadata", "namespace") != "edgeinfer" || num(t, dig(t, dep, "spec", "replicas")) != k.Replicas {
				t.Errorf("deployment metadata/replicas %v", dep)
			}
			pod := dig(t, dep, "spec", "template", "spec")
			c := dig(t, pod, "containers", 0)
			if dig(t, c, "image") != k.Image {
				t.Errorf("image %v", dig(t, c, "image"))
			}
			if got := strings.Join(strs(t, dig(t, c, "args")), " "); got != "serve --models $(MODEL_REPOSITORY) --addr 0.0.0.0:8080" {
				t.Errorf("args %q", got)
			}
			if got := dig(t, c, "env", 0, "valueFrom", "configMapKeyRef", "key"); got != "MODEL_REPOSITORY" {
				t.Errorf("MODEL_REPOSITORY env source %v", got)
			}
			if num(t, dig(t, c, "ports", 0, "containerPort")) != 8080 || dig(t, c, "ports", 0, "name") != "http" {
				t.Errorf("ports %v", dig(t, c, "ports"))
			}
			for probe, path := range map[string]string{"readinessProbe": "/v2/health/ready", "livenessProbe": "/v2/health/live", "startupProbe": "/v2/health/live"} {
				if got := dig(t, c, probe, "httpGet", "path"); got != path {
					t.Errorf("%s path %v, want %s", probe, got, path)
				}
				if got := dig(t, c, probe, "httpGet", "port"); got != "http" {
					t.Errorf("%s port %v", probe, got)
				}
			}
			if got := dig(t, dep, "spec", "template", "metadata", "annotations", "prometheus.io/path"); got != "/metrics" {
				t.Errorf("metrics path annotation %v", got)
			}
			if dig(t, c, "securityContext", "readOnlyRootFilesystem") != true || dig(t, pod, "securityContext", "runAsNonRoot") != true {
				t.Error("container is not locked down")
			}

			limits := dig(t, c, "resources", "limits").(map[string]any)
			requests := dig(t, c, "resources", "requests").(map[string]any)
			if limits["cpu"] != k.CPULimit || limits["memory"] != k.MemoryLimit || requests["cpu"] != k.CPURequest || requests["memory"] != k.MemoryRequest {
				t.Errorf("resources %v / %v", requests, limits)
			}
			gpuLimit, hasGPU := limits["nvidia.com/gpu"]
			tol, hasTol := pod.(map[string]any)["tolerations"]
			if k.GPU {
				if want := strconv.Itoa(k.GPUCount); !hasGPU || gpuLimit != want || requests["nvidia.com/gpu"] != want {
					t.Errorf("gpu limit %v request %v, want %d", gpuLimit, requests["nvidia.com/gpu"], k.GPUCount)
				}
				if !hasTol || dig(t, tol, 0, "key") != "nvidia.com/gpu" || dig(t, tol, 0, "effect") != "NoSchedule" {
					t.Errorf("gpu tolerations %v", tol)
				}
			} else if hasGPU || hasTol {
				t.Errorf("cpu pods carry gpu limit %v / tolerations %v", gpuLimit, tol)
			}
			aff, hasAff := pod.(map[string]any)["affinity"]
			if k.Zone != "" {
				expr := dig(t, aff, "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", 0, "matchExpressions", 0)
				if dig(t, expr, "key") != "topology.kubernetes.io/zone" || dig(t, expr, "operator") != "In" ||
					!slices.Equal(strs(t, dig(t, expr, "values")), []string{k.Zone}) {
					t.Errorf("zone affinity %v", expr)
				}
			} else if hasAff {
				t.Errorf("affinity %v set without a zone", aff)
			}

			labels := dig(t, dep, "spec", "template", "metadata", "labels")
			svc := rec.one(t, tService, "service").inputs
			if jsonOf(t, dig(t, svc, "spec", "selector")) != jsonOf(t, labels) || dig(t, svc, "spec", "ports", 0, "targetPort") != "http" {
				t.Errorf("service %v does not select the pods %v", svc, labels)
			}
			pdb := rec.one(t, tPDB, "pdb").inputs
			if jsonOf(t, dig(t, pdb, "spec", "selector", "matchLabels")) != jsonOf(t, labels) || num(t, dig(t, pdb, "spec", "maxUnavailable")) != 1 {
				t.Errorf("pdb %v", pdb)
			}
			hpa := rec.one(t, tHPA, "hpa").inputs
			if dig(t, hpa, "spec", "scaleTargetRef", "name") != dig(t, dep, "metadata", "name") ||
				num(t, dig(t, hpa, "spec", "minReplicas")) != k.HPAMin || num(t, dig(t, hpa, "spec", "maxReplicas")) != k.HPAMax ||
				num(t, dig(t, hpa, "spec", "metrics", 0, "resource", "target", "averageUtilization")) != k.HPACPUPercent {
				t.Errorf("hpa %v", hpa)
			}
		})
	}
}

func TestBothTargetsShareTheModelsPrefix(t *testing.T) {
	cfg := awsConfig()
	cfg.Targets = TargetBoth
	cfg.K8s.Image = "registry.example.com/edgeinfer@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	rec := deploy(t, cfg)
	if rec.count("aws:lambda/function:") != 2 {
		t.Error("both: the functions are missing")
	}
	cm := rec.one(t, tConfigMap, "edgeinfer-config").inputs
	if got := dig(t, cm, "data", "MODEL_REPOSITORY"); got != "s3://acme-models/models/" {
		t.Errorf("pods serve %v, want the AWS models prefix", got)
	}
	if got := dig(t, cm, "data", "AWS_REGION"); got != mockRegion {
		t.Errorf("pods region %v", got)
	}
}

// sources concatenates the non-test Go files under dir (relative to this
// package); empty when the directory is absent.
func sources(t *testing.T, dir string) string {
	t.Helper()
	var src strings.Builder
	err := filepath.WalkDir(filepath.Join("..", "..", dir), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		src.Write(b)
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return src.String()
}

// TestContractWithFunctions checks that the Lambda functions still read the
// environment variables the stack sets.
func TestContractWithFunctions(t *testing.T) {
	src := sources(t, "functions")
	if src == "" {
		t.Skip("no function sources (infra checked out alone)")
	}
	for _, env := range []string{envModelRepository, envOutputPrefix, envModel, envInputFormat, envBatchItems, envInputURLPrefix} {
		if !strings.Contains(src, `"`+env+`"`) {
			t.Errorf("functions no longer read %s; update the stack's environment", env)
		}
	}
	if !strings.Contains(src, layerModelsPath) {
		t.Errorf("functions no longer default to %s, where the models layer puts the models", layerModelsPath)
	}
}

// TestContractWithServing reads the serving package's source (this module
// may not import it) and checks that the paths and the stall log line the
// stack depends on are still there.
func TestContractWithServing(t *testing.T) {
	src := sources(t, "serving")
	if src == "" {
		t.Skip("no serving sources (infra checked out alone)")
	}
	for _, want := range []string{
		"GET " + healthLivePath, "GET " + healthReadyPath, "GET " + metricsPath,
		`"` + stallMetricName + `"`,
		strings.Trim(DefaultStallPattern, `"`),
	} {
		if !strings.Contains(src, want) {
			t.Errorf("serving no longer contains %q; update the stack's probes, metrics or stall filter", want)
		}
	}
}

// A change of the pods' config (k8sEnv, k8sModels, the region) must roll
// the Deployment in place, never replace it: pulumi-kubernetes replaces a
// ConfigMap on any data change, and a resource replaced delete-before-
// replace (what a fixed metadata.name forces) takes its dependents with it.
// The engine's diff cannot run under mocks, so this checks what it
// decides from: the ConfigMap has no fixed name (replaced create before
// delete) and no delete-before-replace option; the Deployment has none
// either, no replaceOnChanges, and between two configs its replacement
// keys (metadata.name, metadata.namespace and the immutable spec.selector)
// and its metadata are identical and do not depend on the ConfigMap, while
// its pod template changes (the config hash and the new ConfigMap name):
// an in-place update, a rolling update of the pods.
func TestConfigChangeRollsDeploymentInPlace(t *testing.T) {
	a := k8sConfig()
	a.Region = "eu-west-1"
	b := k8sConfig()
	b.Region = "eu-central-1"
	b.K8s.ModelRepository = "s3://edge-models/v2/"
	b.K8s.Env = map[string]string{"LOG_LEVEL": "debug"}
	recA, recB := deploy(t, a), deploy(t, b)

	cmA, cmB := recA.one(t, tConfigMap, "edgeinfer-config"), recB.one(t, tConfigMap, "edgeinfer-config")
	if reflect.DeepEqual(cmA.inputs["data"], cmB.inputs["data"]) {
		t.Fatal("the two configs give the same ConfigMap data; the test proves nothing")
	}
	for _, cm := range []registered{cmA, cmB} {
		if name, fixed := dig(t, cm.inputs, "metadata").(map[string]any)["name"]; fixed {
			t.Errorf("ConfigMap has the fixed name %v: a data change would replace it delete-before-replace, and the Deployment with it", name)
		}
		if cm.deleteBeforeReplace {
			t.Error("ConfigMap is deleteBeforeReplace")
		}
	}
	depA, depB := recA.one(t, tDeployment, "deployment"), recB.one(t, tDeployment, "deployment")
	for _, d := range []registered{depA, depB} {
		if d.deleteBeforeReplace || len(d.replaceOnChanges) > 0 {
			t.Errorf("Deployment options: deleteBeforeReplace %v, replaceOnChanges %v", d.deleteBeforeReplace, d.replaceOnChanges)
		}
		if deps := d.propertyDeps["metadata"]; len(deps) > 0 {
			t.Errorf("Deployment metadata depends on %v", deps)
		}
		cmName := dig(t, d.inputs, "spec", "template", "spec", "containers", 0, "envFrom", 0, "configMapRef", "name")
		if want := dig(t, cmA.outputs, "metadata", "name"); cmName != want {
			t.Errorf("pods read ConfigMap %v, want the generated name %v", cmName, want)
		}
	}
	for _, path := range [][]any{{"metadata"}, {"spec", "selector"}} {
		if x, y := dig(t, depA.inputs, path...), dig(t, depB.inputs, path...); !reflect.DeepEqual(x, y) {
			t.Errorf("Deployment %v changes with the config (%v → %v): that replaces the Deployment", path, x, y)
		}
	}
	hash := []any{"spec", "template", "metadata", "annotations", "edgeinfer/config-hash"}
	if x, y := dig(t, depA.inputs, hash...), dig(t, depB.inputs, hash...); x == y || x == "" {
		t.Errorf("config hash %v → %v: the pods would not roll", x, y)
	}
	if got := dig(t, depA.inputs, "spec", "strategy", "type"); got != "RollingUpdate" {
		t.Errorf("strategy %v", got)
	}
}
