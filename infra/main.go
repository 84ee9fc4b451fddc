// Command infra is the edgeinfer Pulumi program: `pulumi up` in this
// directory deploys the stack described by the stack configuration (see
// README.md). All the work is in package stack; main only loads the config,
// checks that the Lambda artifacts exist, and deploys.
package main

import (
	"github.com/edgeinfer/edgeinfer/infra/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(deploy)
}

func deploy(ctx *pulumi.Context) error {
	cfg, err := stack.LoadConfig(ctx)
	if err != nil {
		return err
	}
	if err := cfg.CheckArtifacts(); err != nil {
		return err
	}
	return stack.Deploy(ctx, cfg)
}
