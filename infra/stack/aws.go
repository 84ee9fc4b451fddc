package stack

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Contract with the functions and the serving core (repeated here because
// this module imports nothing from the root module; the tests pin them).
const (
	envModelRepository = "MODEL_REPOSITORY"
	envOutputPrefix    = "OUTPUT_PREFIX"
	envModel           = "MODEL"
	envInputFormat     = "INPUT_FORMAT"
	envBatchItems      = "BATCH_ITEMS"
	envInputURLPrefix  = "INPUT_URL_PREFIX"
	lambdaRuntime      = "provided.al2023"
	lambdaHandler      = "bootstrap"
	aliasName          = "live"
	layerModelsPath    = "/opt/models"
	stallMetricName    = "edgeinfer_stalls_total"
	objectCreatedEvent = "s3:ObjectCreated:*"
)

// awsStack is what the AWS target hands to the Kubernetes target and the
// stack outputs.
type awsStack struct {
	// modelRepository is the s3:// URL of the models prefix.
	modelRepository pulumi.StringOutput
}

// bucket is a created or existing bucket.
type bucket struct {
	name pulumi.StringOutput
	arn  pulumi.StringOutput
	// deps holds the resources that must exist before the bucket is used
	// (public access block, encryption), empty for an existing bucket.
	deps []pulumi.Resource
}

// objects is the ARN pattern of every key under prefix in b.
func (b bucket) objects(prefix string) pulumi.StringOutput {
	return pulumi.Sprintf("%s/%s*", b.arn, prefix)
}

// function is one deployed Lambda function and its alias.
type function struct {
	fn       *lambda.Function
	alias    *lambda.Alias
	logGroup *cloudwatch.LogGroup
	policy   *iam.RolePolicy
}

func deployAWS(ctx *pulumi.Context, cfg Config) (*awsStack, error) {
	pargs, _, err := AWSProviderArgs(ctx.GetConfig, cfg.Region, map[string]string{"app": "edgeinfer", "stack": ctx.Stack()})
	if err != nil {
		return nil, err
	}
	prov, err := aws.NewProvider(ctx, "aws", pargs)
	if err != nil {
		return nil, err
	}
	opt := pulumi.Provider(prov)
	part, err := aws.GetPartition(ctx, nil, opt)
	if err != nil {
		return nil, fmt.Errorf("look up partition: %w", err)
	}
	who, err := aws.GetCallerIdentity(ctx, nil, opt)
	if err != nil {
		return nil, fmt.Errorf("look up account: %w", err)
	}
	account := pulumi.String(who.AccountId)

	models, err := makeBucket(ctx, cfg, "models", cfg.Buckets.Models, part.Partition, opt)
	if err != nil {
		return nil, err
	}
	inputs, err := makeBucket(ctx, cfg, "inputs", cfg.Buckets.Inputs, part.Partition, opt)
	if err != nil {
		return nil, err
	}
	outputs, err := makeBucket(ctx, cfg, "outputs", cfg.Buckets.Outputs, part.Partition, opt)
	if err != nil {
		return nil, err
	}

	modelRepo := pulumi.Sprintf("s3://%s/%s", models.name, cfg.Buckets.ModelsPrefix)
	fnModelRepo := modelRepo
	var layers pulumi.StringArray
	if cfg.ModelSource == ModelSourceLayer {
		layer, err := lambda.NewLayerVersion(ctx, "models-layer", &lambda.LayerVersionArgs{
			LayerName:               pulumi.String(cfg.NamePrefix + "-models"),
			Description:             pulumi.String("edgeinfer model repository under " + layerModelsPath),
			Code:                    pulumi.NewFileArchive(cfg.LayerZip),
			CompatibleRuntimes:      pulumi.StringArray{pulumi.String(lambdaRuntime)},
			CompatibleArchitectures: pulumi.StringArray{pulumi.String(cfg.Arch)},
		}, opt)
		if err != nil {
			return nil, err
		}
		layers = pulumi.StringArray{layer.Arn}
		fnModelRepo = pulumi.String(layerModelsPath).ToStringOutput()
	}

	// Model read access, for both functions when models come from S3.
	var modelStmts []stmt
	if cfg.ModelSource == ModelSourceS3 {
		modelStmts = readPrefix("Models", models, cfg.Buckets.ModelsPrefix)
	}

	// The dead-letter queue exists in both trigger modes.
	dlq, err := sqs.NewQueue(ctx, "s3fn-dlq", &sqs.QueueArgs{
		Name:                    pulumi.String(cfg.NamePrefix + "-s3fn-dlq"),
		MessageRetentionSeconds: pulumi.Int(14 * 24 * 3600),
		SqsManagedSseEnabled:    pulumi.Bool(true),
	}, opt)
	if err != nil {
		return nil, err
	}
	var events *sqs.Queue
	if cfg.Trigger.Mode == TriggerSQS {
		redrive := dlq.Arn.ApplyT(func(arn string) (string, error) {
			b, err := json.Marshal(map[string]any{"deadLetterTargetArn": arn, "maxReceiveCount": cfg.Trigger.MaxReceiveCount})
			return string(b), err
		}).(pulumi.StringOutput)
		events, err = sqs.NewQueue(ctx, "s3fn-events", &sqs.QueueArgs{
			Name:                     pulumi.String(cfg.NamePrefix + "-s3fn-events"),
			VisibilityTimeoutSeconds: pulumi.Int(6 * cfg.S3.TimeoutSeconds),
			MessageRetentionSeconds:  pulumi.Int(4 * 24 * 3600),
			RedrivePolicy:            redrive,
			SqsManagedSseEnabled:     pulumi.Bool(true),
		}, opt)
		if err != nil {
			return nil, err
		}
	}

	env := pulumi.StringMap{envModelRepository: fnModelRepo}
	for k, v := range cfg.Env {
		env[k] = pulumi.String(v)
	}
	httpEnv, httpStmts := env, modelStmts
	if cfg.HTTPInputURLs {
		// Inputs by reference: httpfn reads them under the inputs prefix,
		// and only there.
		httpEnv = maps.Clone(env)
		httpEnv[envInputURLPrefix] = pulumi.Sprintf("s3://%s/%s", inputs.name, cfg.Buckets.InputsPrefix)
		httpStmts = append(slices.Clone(modelStmts), readPrefix("Inputs", inputs, cfg.Buckets.InputsPrefix)...)
	}
	httpFn, err := makeFunction(ctx, cfg, "httpfn", cfg.HTTPZip, cfg.HTTP, httpEnv, layers, httpStmts, opt)
	if err != nil {
		return nil, err
	}

	s3Env := pulumi.StringMap{
		envOutputPrefix: pulumi.Sprintf("s3://%s/%s", outputs.name, cfg.Buckets.OutputsPrefix),
		envModel:        pulumi.String(cfg.S3Model),
	}
	if cfg.InputFormat != "" {
		s3Env[envInputFormat] = pulumi.String(cfg.InputFormat)
	}
	if cfg.BatchItems > 0 {
		s3Env[envBatchItems] = pulumi.String(strconv.Itoa(cfg.BatchItems))
	}
	maps.Copy(s3Env, env)
	s3Stmts := slices.Clone(modelStmts)
	s3Stmts = append(s3Stmts, readPrefix("Inputs", inputs, cfg.Buckets.InputsPrefix)...)
	s3Stmts = append(s3Stmts, allow("WriteOutputs",
		[]string{"s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
		outputs.objects(cfg.Buckets.OutputsPrefix)))
	if events != nil {
		s3Stmts = append(s3Stmts, allow("ConsumeEvents",
			[]string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"},
			events.Arn))
	} else {
		s3Stmts = append(s3Stmts, allow("OnFailureToDLQ", []string{"sqs:SendMessage"}, dlq.Arn))
	}
	s3Fn, err := makeFunction(ctx, cfg, "s3fn", cfg.S3Zip, cfg.S3, s3Env, layers, s3Stmts, opt)
	if err != nil {
		return nil, err
	}

	if err := wireTrigger(ctx, cfg, s3Fn, inputs, dlq, events, account, opt); err != nil {
		return nil, err
	}

	url, err := lambda.NewFunctionUrl(ctx, "httpfn-url", &lambda.FunctionUrlArgs{
		FunctionName:      httpFn.fn.Name,
		Qualifier:         httpFn.alias.Name,
		AuthorizationType: pulumi.String(cfg.URLAuth),
		InvokeMode:        pulumi.String(cfg.InvokeMode),
	}, opt)
	if err != nil {
		return nil, err
	}
	if cfg.URLAuth == AuthNone {
		// Only reached when the stack config says urlAuth: NONE.
		if _, err := lambda.NewPermission(ctx, "httpfn-url-public", &lambda.PermissionArgs{
			Action:              pulumi.String("lambda:InvokeFunctionUrl"),
			Function:            httpFn.fn.Name,
			Qualifier:           httpFn.alias.Name,
			Principal:           pulumi.String("*"),
			FunctionUrlAuthType: pulumi.String(AuthNone),
		}, opt); err != nil {
			return nil, err
		}
	}
	ctx.Export("url", url.FunctionUrl)

	if cfg.APIGateway {
		apiURL, err := makeHTTPAPI(ctx, cfg, httpFn, opt)
		if err != nil {
			return nil, err
		}
		ctx.Export("apiUrl", apiURL)
	}

	if err := makeAlarms(ctx, cfg, "httpfn", httpFn, cfg.HTTP, opt); err != nil {
		return nil, err
	}
	if err := makeAlarms(ctx, cfg, "s3fn", s3Fn, cfg.S3, opt); err != nil {
		return nil, err
	}
	if _, err := cloudwatch.NewMetricAlarm(ctx, "s3fn-dlq-not-empty", &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(cfg.NamePrefix + "-s3fn-dlq-not-empty"),
		AlarmDescription:   pulumi.String("S3 events failed every retry and wait in the dead-letter queue"),
		Namespace:          pulumi.String("AWS/SQS"),
		MetricName:         pulumi.String("ApproximateNumberOfMessagesVisible"),
		Dimensions:         pulumi.StringMap{"QueueName": dlq.Name},
		Statistic:          pulumi.String("Maximum"),
		Period:             pulumi.Int(300),
		EvaluationPeriods:  pulumi.Int(1),
		ComparisonOperator: pulumi.String("GreaterThanThreshold"),
		Threshold:          pulumi.Float64(0),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       alarmActions(cfg),
		OkActions:          alarmActions(cfg),
	}, opt); err != nil {
		return nil, err
	}

	ctx.Export("modelsBucket", models.name)
	ctx.Export("inputsBucket", inputs.name)
	ctx.Export("outputsBucket", outputs.name)
	ctx.Export("modelRepository", modelRepo)
	ctx.Export("httpFunctionArn", httpFn.fn.Arn)
	ctx.Export("httpAliasArn", httpFn.alias.Arn)
	ctx.Export("s3FunctionArn", s3Fn.fn.Arn)
	ctx.Export("s3AliasArn", s3Fn.alias.Arn)
	ctx.Export("dlqUrl", dlq.Url)
	if events != nil {
		ctx.Export("eventsQueueUrl", events.Url)
	}
	return &awsStack{modelRepository: modelRepo}, nil
}

// readPrefix grants GetObject under prefix, and ListBucket limited to that
// prefix (so a missing key reads as 404, not 403).
func readPrefix(sid string, b bucket, prefix string) []stmt {
	list := allow("List"+sid, []string{"s3:ListBucket"}, b.arn)
	list.condition = map[string]map[string][]pulumi.StringInput{
		"StringLike": {"s3:prefix": {pulumi.String(prefix + "*")}},
	}
	return []stmt{allow("Read"+sid, []string{"s3:GetObject"}, b.objects(prefix)), list}
}

// makeBucket creates a private, encrypted bucket (versioned for models,
// expiring outputs) or refers to an existing one by name.
func makeBucket(ctx *pulumi.Context, cfg Config, role, name, partition string, opt pulumi.ResourceOption) (bucket, error) {
	if !cfg.Buckets.Create {
		return bucket{
			name: pulumi.String(name).ToStringOutput(),
			arn:  pulumi.Sprintf("arn:%s:s3:::%s", partition, name),
		}, nil
	}
	args := &s3.BucketV2Args{ForceDestroy: pulumi.Bool(cfg.Buckets.ForceDestroy)}
	if name != "" {
		args.Bucket = pulumi.String(name)
	} else {
		args.BucketPrefix = pulumi.String(cfg.NamePrefix + "-" + role + "-")
	}
	b, err := s3.NewBucketV2(ctx, role, args, opt)
	if err != nil {
		return bucket{}, err
	}
	own, err := s3.NewBucketOwnershipControls(ctx, role+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: b.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, opt)
	if err != nil {
		return bucket{}, err
	}
	pab, err := s3.NewBucketPublicAccessBlock(ctx, role+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                b.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, opt)
	if err != nil {
		return bucket{}, err
	}
	sse, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, role+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: b.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
			BucketKeyEnabled: pulumi.Bool(true),
		}},
	}, opt)
	if err != nil {
		return bucket{}, err
	}
	// Deny any request not over TLS. A Deny with Principal "*" is not public
	// access; the public access block above stays fully on.
	tls := stmt{
		sid: "DenyInsecureTransport", effect: "Deny", principal: map[string]any{"AWS": "*"},
		actions:   []string{"s3:*"},
		resources: []pulumi.StringInput{b.Arn, pulumi.Sprintf("%s/*", b.Arn)},
		condition: map[string]map[string][]pulumi.StringInput{"Bool": {"aws:SecureTransport": {pulumi.String("false")}}},
	}
	if _, err := s3.NewBucketPolicy(ctx, role+"-policy", &s3.BucketPolicyArgs{
		Bucket: b.ID(),
		Policy: policyJSON(tls),
	}, opt, pulumi.DependsOn([]pulumi.Resource{pab})); err != nil {
		return bucket{}, err
	}
	deps := []pulumi.Resource{own, pab, sse}

	rules := s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:                             pulumi.String("abort-incomplete-uploads"),
		Status:                         pulumi.String("Enabled"),
		Filter:                         &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
		AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(1)},
	}}
	switch role {
	case "models":
		v, err := s3.NewBucketVersioningV2(ctx, role+"-versioning", &s3.BucketVersioningV2Args{
			Bucket:                  b.ID(),
			VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
		}, opt)
		if err != nil {
			return bucket{}, err
		}
		deps = append(deps, v)
		rules = append(rules, &s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:                          pulumi.String("expire-old-model-versions"),
			Status:                      pulumi.String("Enabled"),
			Filter:                      &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(cfg.Buckets.ModelsPrefix)},
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{NoncurrentDays: pulumi.Int(90), NewerNoncurrentVersions: pulumi.Int(5)},
		})
	case "outputs":
		if d := cfg.Buckets.OutputsExpireDays; d > 0 {
			rules = append(rules, &s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:         pulumi.String("expire-outputs"),
				Status:     pulumi.String("Enabled"),
				Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(cfg.Buckets.OutputsPrefix)},
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(d)},
			})
		}
	}
	lc, err := s3.NewBucketLifecycleConfigurationV2(ctx, role+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: b.ID(),
		Rules:  rules,
	}, opt, pulumi.DependsOn(deps))
	if err != nil {
		return bucket{}, err
	}
	deps = append(deps, lc)
	return bucket{name: b.Bucket, arn: b.Arn, deps: deps}, nil
}

// makeFunction creates the log group, role, policy, function, "live" alias
// and provisioned concurrency for one function.
func makeFunction(ctx *pulumi.Context, cfg Config, short, zip string, fc FunctionConfig,
	env pulumi.StringMap, layers pulumi.StringArray, stmts []stmt, opt pulumi.ResourceOption) (function, error) {
	name := cfg.NamePrefix + "-" + short
	lg, err := cloudwatch.NewLogGroup(ctx, short+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + name),
		RetentionInDays: pulumi.Int(cfg.LogRetentionDays),
	}, opt)
	if err != nil {
		return function{}, err
	}
	role, err := iam.NewRole(ctx, short+"-role", &iam.RoleArgs{
		Name:             pulumi.String(name + "-role"),
		Description:      pulumi.String("edgeinfer " + short + " execution role"),
		AssumeRolePolicy: pulumi.String(lambdaTrustPolicy),
	}, opt)
	if err != nil {
		return function{}, err
	}
	logs := allow("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		lg.Arn, pulumi.Sprintf("%s:*", lg.Arn))
	pol, err := iam.NewRolePolicy(ctx, short+"-policy", &iam.RolePolicyArgs{
		Name:   pulumi.String(name + "-least-privilege"),
		Role:   role.ID(),
		Policy: policyJSON(append([]stmt{logs}, stmts...)...),
	}, opt)
	if err != nil {
		return function{}, err
	}
	args := &lambda.FunctionArgs{
		Name:          pulumi.String(name),
		Description:   pulumi.String("edgeinfer " + short),
		Role:          role.Arn,
		Runtime:       pulumi.String(lambdaRuntime),
		Handler:       pulumi.String(lambdaHandler),
		Architectures: pulumi.StringArray{pulumi.String(cfg.Arch)},
		Code:          pulumi.NewFileArchive(zip),
		MemorySize:    pulumi.Int(fc.MemoryMB),
		Timeout:       pulumi.Int(fc.TimeoutSeconds),
		Publish:       pulumi.Bool(true),
		Environment:   &lambda.FunctionEnvironmentArgs{Variables: env},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("Text"), LogGroup: lg.Name},
		Layers:        layers,
	}
	if fc.Reserved > 0 {
		args.ReservedConcurrentExecutions = pulumi.Int(fc.Reserved)
	}
	fn, err := lambda.NewFunction(ctx, short, args, opt, pulumi.DependsOn([]pulumi.Resource{lg, pol}))
	if err != nil {
		return function{}, err
	}
	alias, err := lambda.NewAlias(ctx, short+"-live", &lambda.AliasArgs{
		Name:            pulumi.String(aliasName),
		Description:     pulumi.String("the version that receives traffic"),
		FunctionName:    fn.Name,
		FunctionVersion: fn.Version,
	}, opt)
	if err != nil {
		return function{}, err
	}
	if fc.Provisioned > 0 {
		if _, err := lambda.NewProvisionedConcurrencyConfig(ctx, short+"-provisioned", &lambda.ProvisionedConcurrencyConfigArgs{
			FunctionName:                    fn.Name,
			Qualifier:                       alias.Name,
			ProvisionedConcurrentExecutions: pulumi.Int(fc.Provisioned),
		}, opt); err != nil {
			return function{}, err
		}
	}
	return function{fn: fn, alias: alias, logGroup: lg, policy: pol}, nil
}

// lambdaTrustPolicy lets the Lambda service assume a function's role.
const lambdaTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// wireTrigger connects object-created events under the inputs prefix to the
// S3 function's alias, directly or through SQS.
func wireTrigger(ctx *pulumi.Context, cfg Config, fn function, inputs bucket, dlq, events *sqs.Queue,
	account pulumi.StringInput, opt pulumi.ResourceOption) error {
	var suffix pulumi.StringPtrInput
	if cfg.Buckets.InputSuffix != "" {
		suffix = pulumi.String(cfg.Buckets.InputSuffix)
	}
	prefix := pulumi.String(cfg.Buckets.InputsPrefix)
	eventsArr := pulumi.StringArray{pulumi.String(objectCreatedEvent)}

	if events == nil {
		perm, err := lambda.NewPermission(ctx, "s3fn-allow-s3", &lambda.PermissionArgs{
			Action:        pulumi.String("lambda:InvokeFunction"),
			Function:      fn.fn.Name,
			Qualifier:     fn.alias.Name,
			Principal:     pulumi.String("s3.amazonaws.com"),
			SourceArn:     inputs.arn,
			SourceAccount: account,
		}, opt)
		if err != nil {
			return err
		}
		if _, err := lambda.NewFunctionEventInvokeConfig(ctx, "s3fn-invoke-config", &lambda.FunctionEventInvokeConfigArgs{
			FunctionName:             fn.fn.Name,
			Qualifier:                fn.alias.Name,
			MaximumRetryAttempts:     pulumi.Int(cfg.Trigger.RetryAttempts),
			MaximumEventAgeInSeconds: pulumi.Int(cfg.Trigger.MaxEventAgeSeconds),
			DestinationConfig: &lambda.FunctionEventInvokeConfigDestinationConfigArgs{
				OnFailure: &lambda.FunctionEventInvokeConfigDestinationConfigOnFailureArgs{Destination: dlq.Arn},
			},
		}, opt, pulumi.DependsOn([]pulumi.Resource{fn.policy})); err != nil {
			return err
		}
		_, err = s3.NewBucketNotification(ctx, "inputs-notification", &s3.BucketNotificationArgs{
			Bucket: inputs.name,
			LambdaFunctions: s3.BucketNotificationLambdaFunctionArray{&s3.BucketNotificationLambdaFunctionArgs{
				Id:                pulumi.String("edgeinfer-s3fn"),
				LambdaFunctionArn: fn.alias.Arn,
				Events:            eventsArr,
				FilterPrefix:      prefix,
				FilterSuffix:      suffix,
			}},
		}, opt, pulumi.DependsOn(append([]pulumi.Resource{perm}, inputs.deps...)))
		return err
	}

	send := stmt{
		sid: "AllowInputsBucket", effect: "Allow", principal: map[string]any{"Service": "s3.amazonaws.com"},
		actions:   []string{"sqs:SendMessage"},
		resources: []pulumi.StringInput{events.Arn},
		condition: map[string]map[string][]pulumi.StringInput{
			"ArnEquals":    {"aws:SourceArn": {inputs.arn}},
			"StringEquals": {"aws:SourceAccount": {account}},
		},
	}
	qp, err := sqs.NewQueuePolicy(ctx, "s3fn-events-policy", &sqs.QueuePolicyArgs{
		QueueUrl: events.Url,
		Policy:   policyJSON(send),
	}, opt)
	if err != nil {
		return err
	}
	if _, err := s3.NewBucketNotification(ctx, "inputs-notification", &s3.BucketNotificationArgs{
		Bucket: inputs.name,
		Queues: s3.BucketNotificationQueueArray{&s3.BucketNotificationQueueArgs{
			Id:           pulumi.String("edgeinfer-s3fn"),
			QueueArn:     events.Arn,
			Events:       eventsArr,
			FilterPrefix: prefix,
			FilterSuffix: suffix,
		}},
	}, opt, pulumi.DependsOn(append([]pulumi.Resource{qp}, inputs.deps...))); err != nil {
		return err
	}
	esm := &lambda.EventSourceMappingArgs{
		EventSourceArn: events.Arn,
		FunctionName:   fn.alias.Arn,
		BatchSize:      pulumi.Int(cfg.Trigger.BatchSize),
		// s3fn answers an SQS event with the messages that failed, so only
		// those are retried (and, after MaxReceiveCount, dead-lettered).
		FunctionResponseTypes: pulumi.StringArray{pulumi.String("ReportBatchItemFailures")},
	}
	if r := cfg.S3.Reserved; r >= 2 {
		// Keep the poller within the reserved concurrency instead of
		// throttling against it.
		esm.ScalingConfig = &lambda.EventSourceMappingScalingConfigArgs{MaximumConcurrency: pulumi.Int(min(r, 1000))}
	}
	_, err = lambda.NewEventSourceMapping(ctx, "s3fn-events-mapping", esm, opt, pulumi.DependsOn([]pulumi.Resource{fn.policy}))
	return err
}

// makeHTTPAPI puts an API Gateway HTTP API (payload format 2.0, $default
// route and stage) in front of the HTTP function's alias.
func makeHTTPAPI(ctx *pulumi.Context, cfg Config, fn function, opt pulumi.ResourceOption) (pulumi.StringOutput, error) {
	api, err := apigatewayv2.NewApi(ctx, "http-api", &apigatewayv2.ApiArgs{
		Name:         pulumi.String(cfg.NamePrefix + "-http"),
		ProtocolType: pulumi.String("HTTP"),
	}, opt)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	integ, err := apigatewayv2.NewIntegration(ctx, "http-api-integration", &apigatewayv2.IntegrationArgs{
		ApiId:                api.ID(),
		IntegrationType:      pulumi.String("AWS_PROXY"),
		IntegrationUri:       fn.alias.Arn,
		PayloadFormatVersion: pulumi.String("2.0"),
		TimeoutMilliseconds:  pulumi.Int(min(30000, cfg.HTTP.TimeoutSeconds*1000)),
	}, opt)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := apigatewayv2.NewRoute(ctx, "http-api-default-route", &apigatewayv2.RouteArgs{
		ApiId:             api.ID(),
		RouteKey:          pulumi.String("$default"),
		Target:            pulumi.Sprintf("integrations/%s", integ.ID()),
		AuthorizationType: pulumi.String(cfg.URLAuth),
	}, opt); err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := apigatewayv2.NewStage(ctx, "http-api-stage", &apigatewayv2.StageArgs{
		ApiId:      api.ID(),
		Name:       pulumi.String("$default"),
		AutoDeploy: pulumi.Bool(true),
	}, opt); err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := lambda.NewPermission(ctx, "httpfn-allow-apigw", &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  fn.fn.Name,
		Qualifier: fn.alias.Name,
		Principal: pulumi.String("apigateway.amazonaws.com"),
		SourceArn: pulumi.Sprintf("%s/*/*", api.ExecutionArn),
	}, opt); err != nil {
		return pulumi.StringOutput{}, err
	}
	return api.ApiEndpoint, nil
}

func alarmActions(cfg Config) pulumi.Array {
	if cfg.AlarmTopicARN == "" {
		return nil
	}
	return pulumi.Array{pulumi.String(cfg.AlarmTopicARN)}
}

// makeAlarms adds alarms on errors, throttles, duration near the timeout
// and stalls. Stalls are counted by a metric filter on the function's log
// group: one matching line (cfg.StallPattern) is one stall.
func makeAlarms(ctx *pulumi.Context, cfg Config, short string, fn function, fc FunctionConfig, opt pulumi.ResourceOption) error {
	name := cfg.NamePrefix + "-" + short
	dims := pulumi.StringMap{"FunctionName": fn.fn.Name}
	alarms := []struct {
		suffix, desc, metric, stat string
		threshold                  float64
	}{
		{"errors", "invocations returned an error", "Errors", "Sum", 0},
		{"throttles", "invocations were throttled (reserved concurrency reached)", "Throttles", "Sum", 0},
		{"duration-near-timeout", fmt.Sprintf("an invocation ran past 80%% of the %ds timeout", fc.TimeoutSeconds),
			"Duration", "Maximum", 0.8 * float64(fc.TimeoutSeconds) * 1000},
	}
	for _, a := range alarms {
		if _, err := cloudwatch.NewMetricAlarm(ctx, short+"-"+a.suffix, &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(name + "-" + a.suffix),
			AlarmDescription:   pulumi.String(name + ": " + a.desc),
			Namespace:          pulumi.String("AWS/Lambda"),
			MetricName:         pulumi.String(a.metric),
			Dimensions:         dims,
			Statistic:          pulumi.String(a.stat),
			Period:             pulumi.Int(300),
			EvaluationPeriods:  pulumi.Int(1),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			Threshold:          pulumi.Float64(a.threshold),
			TreatMissingData:   pulumi.String("notBreaching"),
			AlarmActions:       alarmActions(cfg),
			OkActions:          alarmActions(cfg),
		}, opt); err != nil {
			return err
		}
	}
	ns := "edgeinfer/" + name
	if _, err := cloudwatch.NewLogMetricFilter(ctx, short+"-stalls", &cloudwatch.LogMetricFilterArgs{
		Name:         pulumi.String(name + "-stalls"),
		LogGroupName: fn.logGroup.Name,
		Pattern:      pulumi.String(cfg.StallPattern),
		MetricTransformation: &cloudwatch.LogMetricFilterMetricTransformationArgs{
			Name:         pulumi.String(stallMetricName),
			Namespace:    pulumi.String(ns),
			Value:        pulumi.String("1"),
			DefaultValue: pulumi.String("0"),
			Unit:         pulumi.String("Count"),
		},
	}, opt); err != nil {
		return err
	}
	_, err := cloudwatch.NewMetricAlarm(ctx, short+"-stalls", &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(name + "-stalls"),
		AlarmDescription:   pulumi.String(name + ": the serving core's stall watchdog fired (" + stallMetricName + ")"),
		Namespace:          pulumi.String(ns),
		MetricName:         pulumi.String(stallMetricName),
		Statistic:          pulumi.String("Sum"),
		Period:             pulumi.Int(300),
		EvaluationPeriods:  pulumi.Int(1),
		ComparisonOperator: pulumi.String("GreaterThanThreshold"),
		Threshold:          pulumi.Float64(0),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       alarmActions(cfg),
		OkActions:          alarmActions(cfg),
	}, opt)
	return err
}
