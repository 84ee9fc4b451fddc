package stack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AWSProviderArgs builds the arguments of the stack's explicit AWS
// provider. An explicit provider does not read the aws:* stack config the
// way the default provider does, so every aws:<key> the provider declares
// (profile, assumeRole, assumeRoleWithWebIdentity, sharedConfigFiles,
// skipCredentialsValidation, skipMetadataApiCheck, skipRequestingAccountId,
// allowedAccountIds, endpoints, ...) is read through get and passed on;
// region is the stack's region, and the stack's default tags (app, stack)
// are merged under aws:defaultTags' own. It returns the aws:* keys it
// passed on, sorted. A value that does not parse (a JSON object or list,
// a boolean, an integer) is an error wrapping ErrInvalidConfig.
func AWSProviderArgs(get func(key string) (string, bool), region string, tags map[string]string) (*aws.ProviderArgs, []string, error) {
	args := &aws.ProviderArgs{Region: pulumi.String(region)}
	allTags := maps.Clone(tags)
	var used []string
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: "+format, append([]any{ErrInvalidConfig, key}, a...)...))
	}
	if raw, ok := get("aws:defaultTags"); ok {
		var dt aws.ProviderDefaultTags
		if err := decodeStrict(raw, &dt); err != nil {
			bad("aws:defaultTags", `want {"tags": {"key": "value"}}: %v`, err)
		}
		maps.Copy(allTags, dt.Tags)
		used = append(used, "aws:defaultTags")
	}
	args.DefaultTags = &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(allTags)}

	v := reflect.ValueOf(args).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		// The config key is the field's name with a lower-case first
		// letter (AssumeRole: aws:assumeRole, S3UsePathStyle:
		// aws:s3UsePathStyle), as in the provider's schema.
		name := strings.ToLower(f.Name[:1]) + f.Name[1:]
		if !f.IsExported() || name == "region" || name == "defaultTags" {
			continue
		}
		key := "aws:" + name
		raw, ok := get(key)
		if !ok {
			continue
		}
		val, err := providerValue(f.Type, raw)
		if err != nil {
			bad(key, "%v", err)
			continue
		}
		v.Field(i).Set(reflect.ValueOf(val))
		used = append(used, key)
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	slices.Sort(used)
	return args, used, nil
}

// providerValue parses raw, a stack config value, as the input of type
// typ of aws.ProviderArgs. Objects and lists are JSON, as Pulumi stores
// them.
func providerValue(typ reflect.Type, raw string) (any, error) {
	switch typ {
	case reflect.TypeFor[pulumi.StringPtrInput]():
		return pulumi.StringPtr(raw), nil
	case reflect.TypeFor[pulumi.BoolPtrInput]():
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", raw)
		}
		return pulumi.BoolPtr(b), nil
	case reflect.TypeFor[pulumi.IntPtrInput]():
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", raw)
		}
		return pulumi.IntPtr(n), nil
	case reflect.TypeFor[pulumi.StringArrayInput]():
		var l []string
		if err := decodeStrict(raw, &l); err != nil {
			return nil, fmt.Errorf("want a JSON list of strings: %v", err)
		}
		return pulumi.ToStringArray(l), nil
	case reflect.TypeFor[aws.ProviderAssumeRolePtrInput]():
		var x aws.ProviderAssumeRole
		if err := decodeStrict(raw, &x); err != nil {
			return nil, fmt.Errorf(`want an object such as {"roleArn": "arn:aws:iam::123456789012:role/deploy"}: %v`, err)
		}
		return pulumi.ToOutput(x).(aws.ProviderAssumeRoleOutput).ToProviderAssumeRolePtrOutput(), nil
	case reflect.TypeFor[aws.ProviderAssumeRoleWithWebIdentityPtrInput]():
		var x aws.ProviderAssumeRoleWithWebIdentity
		if err := decodeStrict(raw, &x); err != nil {
			return nil, fmt.Errorf(`want an object such as {"roleArn": "...", "webIdentityTokenFile": "..."}: %v`, err)
		}
		return pulumi.ToOutput(x).(aws.ProviderAssumeRoleWithWebIdentityOutput).ToProviderAssumeRoleWithWebIdentityPtrOutput(), nil
	case reflect.TypeFor[aws.ProviderIgnoreTagsPtrInput]():
		var x aws.ProviderIgnoreTags
		if err := decodeStrict(raw, &x); err != nil {
			return nil, fmt.Errorf(`want an object such as {"keys": ["owner"], "keyPrefixes": ["kubernetes.io/"]}: %v`, err)
		}
		return pulumi.ToOutput(x).(aws.ProviderIgnoreTagsOutput).ToProviderIgnoreTagsPtrOutput(), nil
	case reflect.TypeFor[aws.ProviderEndpointArrayInput]():
		var x []aws.ProviderEndpoint
		if err := decodeStrict(raw, &x); err != nil {
			return nil, fmt.Errorf(`want a list such as [{"s3": "http://127.0.0.1:9000"}]: %v`, err)
		}
		return pulumi.ToOutput(x).(aws.ProviderEndpointArrayOutput), nil
	}
	return nil, fmt.Errorf("this stack cannot pass a value of type %v to the AWS provider", typ)
}

// decodeStrict decodes one JSON value into dst, refusing unknown fields
// (the provider's own names, case-insensitive) and trailing data.
func decodeStrict(raw string, dst any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}
