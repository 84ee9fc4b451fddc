package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	autoscalingv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/autoscaling/v2"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Contract with the serving API and the container image.
const (
	healthLivePath  = "/v2/health/live"
	healthReadyPath = "/v2/health/ready"
	metricsPath     = "/metrics"
	servePort       = 8080
	appName         = "edgeinfer"
	gpuResource     = "nvidia.com/gpu"
	zoneLabel       = "topology.kubernetes.io/zone"
	// nonrootUID is the "nonroot" user of the distroless base image.
	nonrootUID = 65532
)

// deployK8s registers the edge target. modelRepo is the --models URL when
// cfg.K8s.ModelRepository is empty (the AWS target's models prefix).
func deployK8s(ctx *pulumi.Context, cfg Config, modelRepo pulumi.StringInput) error {
	k := cfg.K8s
	if k.ModelRepository != "" {
		modelRepo = pulumi.String(k.ModelRepository)
	}
	labels := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(appName), "app.kubernetes.io/instance": pulumi.String(ctx.Stack())}
	selector := &metav1.LabelSelectorArgs{MatchLabels: labels}

	ns, err := corev1.NewNamespace(ctx, "namespace", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(k.Namespace), Labels: labels},
	})
	if err != nil {
		return err
	}
	inNS := pulumi.DependsOn([]pulumi.Resource{ns})
	meta := func(name string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(name), Namespace: pulumi.String(k.Namespace), Labels: labels}
	}

	data := pulumi.StringMap{envModelRepository: modelRepo}
	if cfg.Region != "" {
		data["AWS_REGION"] = pulumi.String(cfg.Region)
	}
	for key, v := range k.Env {
		data[key] = pulumi.String(v)
	}
	// The ConfigMap is auto-named (edgeinfer-config-<random>): a change of
	// its data replaces it, and an auto-named resource is replaced create
	// before delete. The Deployment then only sees a new ConfigMap name in
	// its pod template and the config hash below, so it is updated in place
	// (a rolling update), never replaced; the old ConfigMap is deleted after
	// the rollout. A fixed name would force delete-before-replace, which
	// replaces every resource that depends on it: the Deployment, an outage.
	// The alias keeps the URN of stacks deployed with the fixed name.
	cm, err := corev1.NewConfigMap(ctx, appName+"-config", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Namespace: pulumi.String(k.Namespace), Labels: labels},
		Data:     data,
	}, inNS, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String("config")}}))
	if err != nil {
		return err
	}
	// A changed ConfigMap rolls the pods: its hash is a template annotation.
	hash := data.ToStringMapOutput().ApplyT(func(m map[string]string) string {
		h := sha256.New()
		for _, key := range sortedKeys(m) {
			h.Write([]byte(key + "=" + m[key] + "\n"))
		}
		return hex.EncodeToString(h.Sum(nil))[:16]
	}).(pulumi.StringOutput)

	limits := pulumi.StringMap{"cpu": pulumi.String(k.CPULimit), "memory": pulumi.String(k.MemoryLimit)}
	requests := pulumi.StringMap{"cpu": pulumi.String(k.CPURequest), "memory": pulumi.String(k.MemoryRequest)}
	var tolerations corev1.TolerationArray
	if k.GPU {
		n := pulumi.String(strconv.Itoa(k.GPUCount))
		limits[gpuResource] = n
		requests[gpuResource] = n
		tolerations = corev1.TolerationArray{&corev1.TolerationArgs{
			Key: pulumi.String(gpuResource), Operator: pulumi.String("Exists"), Effect: pulumi.String("NoSchedule"),
		}}
	}
	var affinity *corev1.AffinityArgs
	if k.Zone != "" {
		affinity = &corev1.AffinityArgs{NodeAffinity: &corev1.NodeAffinityArgs{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelectorArgs{
				NodeSelectorTerms: corev1.NodeSelectorTermArray{&corev1.NodeSelectorTermArgs{
					MatchExpressions: corev1.NodeSelectorRequirementArray{&corev1.NodeSelectorRequirementArgs{
						Key: pulumi.String(zoneLabel), Operator: pulumi.String("In"), Values: pulumi.StringArray{pulumi.String(k.Zone)},
					}},
				}},
			},
		}}
	}
	probe := func(path string, period, failures int) *corev1.ProbeArgs {
		return &corev1.ProbeArgs{
			HttpGet:          &corev1.HTTPGetActionArgs{Path: pulumi.String(path), Port: pulumi.String("http")},
			PeriodSeconds:    pulumi.Int(period),
			TimeoutSeconds:   pulumi.Int(2),
			FailureThreshold: pulumi.Int(failures),
		}
	}
	pod := &corev1.PodSpecArgs{
		AutomountServiceAccountToken: pulumi.Bool(k.ServiceAccount != ""),
		SecurityContext: &corev1.PodSecurityContextArgs{
			RunAsNonRoot:   pulumi.Bool(true),
			RunAsUser:      pulumi.Int(nonrootUID),
			RunAsGroup:     pulumi.Int(nonrootUID),
			SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
		},
		TerminationGracePeriodSeconds: pulumi.Int(30),
		Tolerations:                   tolerations,
		Affinity:                      affinity,
		Containers: corev1.ContainerArray{&corev1.ContainerArgs{
			Name:  pulumi.String(appName),
			Image: pulumi.String(k.Image),
			Args: pulumi.StringArray{
				pulumi.String("serve"),
				pulumi.String("--models"), pulumi.String("$(" + envModelRepository + ")"),
				pulumi.String("--addr"), pulumi.String("0.0.0.0:" + strconv.Itoa(servePort)),
			},
			Env: corev1.EnvVarArray{&corev1.EnvVarArgs{
				Name: pulumi.String(envModelRepository),
				ValueFrom: &corev1.EnvVarSourceArgs{ConfigMapKeyRef: &corev1.ConfigMapKeySelectorArgs{
					Name: cm.Metadata.Name(), Key: pulumi.String(envModelRepository),
				}},
			}},
			EnvFrom: corev1.EnvFromSourceArray{&corev1.EnvFromSourceArgs{
				ConfigMapRef: &corev1.ConfigMapEnvSourceArgs{Name: cm.Metadata.Name()},
			}},
			Ports: corev1.ContainerPortArray{&corev1.ContainerPortArgs{
				Name: pulumi.String("http"), ContainerPort: pulumi.Int(servePort), Protocol: pulumi.String("TCP"),
			}},
			// Startup allows model loading up to 2 minutes before liveness
			// takes over; readiness gates traffic on warm models.
			StartupProbe:   probe(healthLivePath, 2, 60),
			LivenessProbe:  probe(healthLivePath, 10, 3),
			ReadinessProbe: probe(healthReadyPath, 5, 2),
			Resources:      &corev1.ResourceRequirementsArgs{Requests: requests, Limits: limits},
			SecurityContext: &corev1.SecurityContextArgs{
				AllowPrivilegeEscalation: pulumi.Bool(false),
				ReadOnlyRootFilesystem:   pulumi.Bool(true),
				Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
			},
			VolumeMounts: corev1.VolumeMountArray{&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")}},
		}},
		Volumes: corev1.VolumeArray{&corev1.VolumeArgs{
			Name:     pulumi.String("tmp"),
			EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("2Gi")},
		}},
	}
	if k.ServiceAccount != "" {
		pod.ServiceAccountName = pulumi.String(k.ServiceAccount)
	}
	dep, err := appsv1.NewDeployment(ctx, "deployment", &appsv1.DeploymentArgs{
		Metadata: meta(appName),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(k.Replicas),
			Selector: selector,
			Strategy: &appsv1.DeploymentStrategyArgs{
				Type: pulumi.String("RollingUpdate"),
				RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{
					MaxUnavailable: pulumi.Int(0), MaxSurge: pulumi.Int(1),
				},
			},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels: labels,
					Annotations: pulumi.StringMap{
						"prometheus.io/scrape":  pulumi.String("true"),
						"prometheus.io/port":    pulumi.String(strconv.Itoa(servePort)),
						"prometheus.io/path":    pulumi.String(metricsPath),
						"edgeinfer/config-hash": hash,
					},
				},
				Spec: pod,
			},
		},
	}, inNS, pulumi.IgnoreChanges([]string{"spec.replicas"})) // the HPA owns replicas after creation
	if err != nil {
		return err
	}
	svc, err := corev1.NewService(ctx, "service", &corev1.ServiceArgs{
		Metadata: meta(appName),
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String(k.ServiceType),
			Selector: labels,
			Ports: corev1.ServicePortArray{&corev1.ServicePortArgs{
				Name: pulumi.String("http"), Port: pulumi.Int(80), TargetPort: pulumi.String("http"), Protocol: pulumi.String("TCP"),
			}},
		},
	}, inNS)
	if err != nil {
		return err
	}
	if _, err := policyv1.NewPodDisruptionBudget(ctx, "pdb", &policyv1.PodDisruptionBudgetArgs{
		Metadata: meta(appName),
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			MaxUnavailable: pulumi.Int(1),
			Selector:       selector,
		},
	}, inNS); err != nil {
		return err
	}
	if _, err := autoscalingv2.NewHorizontalPodAutoscaler(ctx, "hpa", &autoscalingv2.HorizontalPodAutoscalerArgs{
		Metadata: meta(appName),
		Spec: &autoscalingv2.HorizontalPodAutoscalerSpecArgs{
			ScaleTargetRef: &autoscalingv2.CrossVersionObjectReferenceArgs{
				ApiVersion: pulumi.String("apps/v1"), Kind: pulumi.String("Deployment"), Name: dep.Metadata.Name().Elem(),
			},
			MinReplicas: pulumi.Int(k.HPAMin),
			MaxReplicas: pulumi.Int(k.HPAMax),
			Metrics: autoscalingv2.MetricSpecArray{&autoscalingv2.MetricSpecArgs{
				Type: pulumi.String("Resource"),
				Resource: &autoscalingv2.ResourceMetricSourceArgs{
					Name: pulumi.String("cpu"),
					Target: &autoscalingv2.MetricTargetArgs{
						Type: pulumi.String("Utilization"), AverageUtilization: pulumi.Int(k.HPACPUPercent),
					},
				},
			}},
		},
	}, inNS); err != nil {
		return err
	}
	ctx.Export("k8sNamespace", ns.Metadata.Name())
	ctx.Export("k8sService", svc.Metadata.Name())
	ctx.Export("k8sModelRepository", modelRepo)
	return nil
}
