package stack

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// deployWithConfig builds the stack for cfg under the mocks with raw stack
// config (the aws:* keys an explicit provider must pass on).
func deployWithConfig(t *testing.T, cfg Config, raw map[string]string) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		return Deploy(ctx, cfg)
	}, pulumi.WithMocks("edgeinfer", "test", rec), func(info *pulumi.RunInfo) { info.Config = raw })
	return rec, err
}

// The explicit AWS provider passes on the aws:* stack settings users rely
// on (profile, assumeRole, skip*, ...): without them an explicit provider
// silently uses the default credential chain.
func TestAWSProviderPassesStackConfig(t *testing.T) {
	cfg := DefaultConfig("test")
	cfg.Region, cfg.S3Model = mockRegion, "tiny_cnn"
	raw := map[string]string{
		"aws:region":                    mockRegion,
		"aws:profile":                   "deploy",
		"aws:assumeRole":                `{"roleArn": "arn:aws:iam::123456789012:role/deploy", "sessionName": "ci", "externalId": "x1"}`,
		"aws:skipCredentialsValidation": "true",
		"aws:skipMetadataApiCheck":      "true",
		"aws:skipRequestingAccountId":   "true",
		"aws:skipRegionValidation":      "false",
		"aws:sharedConfigFiles":         `["/etc/aws/config"]`,
		"aws:allowedAccountIds":         `["123456789012"]`,
		"aws:maxRetries":                "7",
		"aws:defaultTags":               `{"tags": {"team": "vision", "app": "edge"}}`,
		"aws:ignoreTags":                `{"keyPrefixes": ["kubernetes.io/"]}`,
		"aws:endpoints":                 `[{"s3": "http://127.0.0.1:9000"}]`,
	}
	rec, err := deployWithConfig(t, cfg, raw)
	if err != nil {
		t.Fatal(err)
	}
	p := rec.one(t, "pulumi:providers:aws", "aws").inputs
	want := map[string]any{
		"region":                    mockRegion,
		"profile":                   "deploy",
		"skipCredentialsValidation": true,
		"skipMetadataApiCheck":      true,
		"skipRequestingAccountId":   true,
		"skipRegionValidation":      false,
		"maxRetries":                float64(7),
	}
	for k, w := range want {
		if got := p[k]; !reflect.DeepEqual(got, w) {
			t.Errorf("provider %s = %#v, want %#v", k, got, w)
		}
	}
	if got := dig(t, p, "assumeRole", "roleArn"); got != "arn:aws:iam::123456789012:role/deploy" {
		t.Errorf("assumeRole.roleArn %v", got)
	}
	if got := dig(t, p, "assumeRole", "externalId"); got != "x1" {
		t.Errorf("assumeRole.externalId %v", got)
	}
	if got := strs(t, dig(t, p, "sharedConfigFiles")); !reflect.DeepEqual(got, []string{"/etc/aws/config"}) {
		t.Errorf("sharedConfigFiles %v", got)
	}
	if got := strs(t, dig(t, p, "allowedAccountIds")); !reflect.DeepEqual(got, []string{"123456789012"}) {
		t.Errorf("allowedAccountIds %v", got)
	}
	tags := dig(t, p, "defaultTags", "tags")
	if !reflect.DeepEqual(tags, map[string]any{"app": "edge", "stack": "test", "team": "vision"}) {
		t.Errorf("defaultTags %v", tags)
	}
	if got := strs(t, dig(t, p, "ignoreTags", "keyPrefixes")); !reflect.DeepEqual(got, []string{"kubernetes.io/"}) {
		t.Errorf("ignoreTags %v", got)
	}
	if got := dig(t, p, "endpoints", 0, "s3"); got != "http://127.0.0.1:9000" {
		t.Errorf("endpoints %v", dig(t, p, "endpoints"))
	}
	// Every resource of the aws target goes through that provider.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, r := range rec.res {
		if strings.HasPrefix(r.typ, "aws:") && !strings.Contains(r.provider, "pulumi:providers:aws::aws::") {
			t.Errorf("%s %s uses provider %q", r.typ, r.name, r.provider)
		}
	}
}

func TestAWSProviderArgsErrors(t *testing.T) {
	for _, tc := range []struct{ key, val, want string }{
		{"aws:assumeRole", `{"role_arn": "x"}`, `aws:assumeRole: want an object such as`},
		{"aws:assumeRole", `arn:aws:iam::1:role/x`, `aws:assumeRole: want an object`},
		{"aws:skipMetadataApiCheck", "yes", `aws:skipMetadataApiCheck: "yes" is not true or false`},
		{"aws:maxRetries", "many", `aws:maxRetries: "many" is not an integer`},
		{"aws:sharedCredentialsFiles", "/x", "aws:sharedCredentialsFiles: want a JSON list of strings"},
		{"aws:defaultTags", `{"team": "x"}`, `aws:defaultTags: want {"tags"`},
	} {
		get := func(k string) (string, bool) {
			if k == tc.key {
				return tc.val, true
			}
			return "", false
		}
		_, _, err := AWSProviderArgs(get, mockRegion, nil)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%s: %v, want %q", tc.key, tc.val, err, tc.want)
		}
	}
	_, used, err := AWSProviderArgs(func(k string) (string, bool) {
		return map[string]string{"aws:profile": "p", "aws:region": "ignored", "edgeinfer:x": "y"}[k], k == "aws:profile" || k == "aws:region" || k == "edgeinfer:x"
	}, mockRegion, nil)
	if err != nil || !reflect.DeepEqual(used, []string{"aws:profile"}) {
		t.Errorf("used %v, %v", used, err)
	}
}

// Every key of the AWS provider's schema (pulumi-aws v6 aws:* config) is
// passed on when set.
func TestAWSProviderArgsEveryKey(t *testing.T) {
	values := map[string]string{
		"accessKey": "AKIA", "allowedAccountIds": `["1"]`, "assumeRole": `{}`, "assumeRoleWithWebIdentity": `{}`,
		"customCaBundle": "/ca.pem", "defaultTags": `{"tags": {}}`, "ec2MetadataServiceEndpoint": "http://169.254.169.254",
		"ec2MetadataServiceEndpointMode": "IPv4", "endpoints": `[]`, "forbiddenAccountIds": `["2"]`, "httpProxy": "http://p",
		"httpsProxy": "http://p", "ignoreTags": `{}`, "insecure": "false", "maxRetries": "3", "noProxy": "localhost",
		"profile": "p", "retryMode": "standard", "s3UsEast1RegionalEndpoint": "regional", "s3UsePathStyle": "true",
		"secretKey": "s", "sharedConfigFiles": `["c"]`, "sharedCredentialsFiles": `["c"]`, "skipCredentialsValidation": "true",
		"skipMetadataApiCheck": "true", "skipRegionValidation": "true", "skipRequestingAccountId": "true", "stsRegion": "us-east-1",
		"token": "t", "tokenBucketRateLimiterCapacity": "10", "useDualstackEndpoint": "false", "useFipsEndpoint": "false",
	}
	_, used, err := AWSProviderArgs(func(k string) (string, bool) {
		v, ok := values[strings.TrimPrefix(k, "aws:")]
		return v, ok && strings.HasPrefix(k, "aws:")
	}, mockRegion, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(used) != len(values) {
		t.Errorf("passed on %d keys, want %d: %v", len(used), len(values), used)
	}
}
