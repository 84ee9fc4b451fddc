package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/edgeinfer/edgeinfer/infra/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// mocks counts registered resources and answers the two AWS lookups.
type mocks struct {
	mu    sync.Mutex
	types map[string]int // guarded by mu
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	m.types[args.TypeToken]++
	m.mu.Unlock()
	return args.Name + "-id", args.Inputs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "accountId": "123456789012"}), nil
}

// run runs the program's deploy function with cfg as the stack config.
func run(cfg map[string]string) (*mocks, error) {
	m := &mocks{types: map[string]int{}}
	err := pulumi.RunErr(deploy, pulumi.WithMocks("edgeinfer", "dev", m),
		func(info *pulumi.RunInfo) { info.Config = cfg })
	return m, err
}

func TestDeployNeedsTheArtifacts(t *testing.T) {
	dir := t.TempDir()
	cfg := map[string]string{
		"aws:region":        "eu-west-1",
		"edgeinfer:s3Model": "detector",
		"edgeinfer:httpZip": filepath.Join(dir, "httpfn-arm64.zip"),
		"edgeinfer:s3Zip":   filepath.Join(dir, "s3fn-arm64.zip"),
	}
	m, err := run(cfg)
	if !errors.Is(err, stack.ErrMissingArtifact) || !strings.Contains(err.Error(), "make package") {
		t.Fatalf("without zips: err = %v", err)
	}
	if m.types["aws:lambda/function:Function"] != 0 {
		t.Error("functions registered without their zips")
	}

	for _, k := range []string{"edgeinfer:httpZip", "edgeinfer:s3Zip"} {
		if err := os.WriteFile(cfg[k], []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err = run(cfg)
	if err != nil {
		t.Fatalf("with zips: %v", err)
	}
	if n := m.types["aws:lambda/function:Function"]; n != 2 {
		t.Errorf("registered %d functions, want 2", n)
	}
}

func TestDeployRejectsBadConfig(t *testing.T) {
	_, err := run(map[string]string{"aws:region": "eu-west-1", "edgeinfer:s3Model": "m", "edgeinfer:urlAuth": "PUBLIC"})
	if !errors.Is(err, stack.ErrInvalidConfig) || !strings.Contains(err.Error(), "urlAuth") {
		t.Fatalf("err = %v", err)
	}
}
