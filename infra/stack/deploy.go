package stack

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Deploy validates cfg and registers the resources of the selected targets
// on ctx. With both targets the Kubernetes pods serve the AWS target's
// models prefix unless cfg.K8s.ModelRepository says otherwise.
func Deploy(ctx *pulumi.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	var modelRepo pulumi.StringInput = pulumi.String(cfg.K8s.ModelRepository)
	if cfg.DeployAWS() {
		a, err := deployAWS(ctx, cfg)
		if err != nil {
			return fmt.Errorf("aws target: %w", err)
		}
		modelRepo = a.modelRepository
	}
	if cfg.DeployK8s() {
		if err := deployK8s(ctx, cfg, modelRepo); err != nil {
			return fmt.Errorf("k8s target: %w", err)
		}
	}
	return nil
}

// sortedKeys returns m's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
