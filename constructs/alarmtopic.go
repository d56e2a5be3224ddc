package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AlarmTopicProps configures an AlarmTopic. Every field has a default.
type AlarmTopicProps struct {
	// Email, when set, is subscribed to the topic; default none (an operator subscribes to the
	// <id>Arn output).
	Email string
}

// AlarmTopic is where a stack's alarms notify, when they go into alarm and when they recover,
// and what an operator subscribes to: an SNS topic that accepts only TLS, named by
// CloudFormation (so parallel stages never collide), encrypted with a key of its own, and the
// stack output <id>Arn giving its ARN.
//
// CloudWatch cannot publish to a topic encrypted with the AWS managed key, whose policy does not
// admit it, so the topic has its own key (<id>Key), whose policy names every action it allows.
// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
//
// Like HTTPAPI, it adds its resources, and its alarms, beside it in scope: their logical IDs
// stay those of the stacks that defined them before this construct did.
type AlarmTopic struct {
	Topic awssns.Topic
	Key   awskms.Key
	// Alarms are the alarms AddAlarm defined, in order: what the stack's dashboard shows.
	Alarms []awscloudwatch.Alarm
	scope  constructs.Construct
}

// NewAlarmTopic defines an AlarmTopic; props may be nil.
func NewAlarmTopic(scope constructs.Construct, id string, props *AlarmTopicProps) *AlarmTopic {
	p := AlarmTopicProps{}
	if props != nil {
		p = *props
	}
	account := awsiam.NewAccountRootPrincipal()
	key := awskms.NewKey(scope, jsii.String(id+"Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the alarm topic; CloudWatch alarms may use it to publish"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
		Policy: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
			// The account administers the key (and so can never lock itself out of it) ...
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AccountAdministersTheKey"),
				Principals: &[]awsiam.IPrincipal{account},
				Actions: jsii.Strings("kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
					"kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:EnableKey", "kms:DisableKey",
					"kms:UpdateKeyDescription", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource",
					"kms:ListGrants", "kms:RevokeGrant", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"),
				Resources: jsii.Strings("*"),
			}),
			// ... nobody but an AWS service acting for a resource gets a grant on it (Control
			// Tower's CT.KMS.PR.3) ...
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("GrantsOnlyForAWSServices"),
				Effect:     awsiam.Effect_DENY,
				Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
				Actions:    jsii.Strings("kms:CreateGrant"),
				Resources:  jsii.Strings("*"),
				Conditions: &map[string]any{"BoolIfExists": map[string]any{
					"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
			}),
			// ... and CloudWatch may encrypt what its alarms publish.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("CloudWatchAlarmsPublish"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
				Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
				Resources:  jsii.Strings("*"),
			}),
		}}),
	})
	topic := awssns.NewTopic(scope, jsii.String(id), &awssns.TopicProps{
		DisplayName: jsii.String("Wild Rydes alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	if p.Email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(p.Email), nil))
		AcceptFinding(topic, "Serverless-SNSRedrivePolicy",
			"the operator's email subscription: an alarm notification SNS cannot deliver leaves the alarm's state in CloudWatch, and nothing would read a queue of undelivered alarm emails")
	}
	awscdk.NewCfnOutput(scope, jsii.String(id+"Arn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Subscribe here to hear of every alarm of this stack"),
		Value:       topic.TopicArn(),
	})
	return &AlarmTopic{Topic: topic, Key: key, scope: scope}
}

// AddAlarm defines an alarm beside the topic that notifies it when it fires and when it clears.
// Unless props say otherwise: one evaluation period, a breach at or above the threshold, and no
// data is not a breach (a quiet system emits no error metrics).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
func (a *AlarmTopic) AddAlarm(id string, props *awscloudwatch.AlarmProps) awscloudwatch.Alarm {
	if props.EvaluationPeriods == nil {
		props.EvaluationPeriods = jsii.Number(1)
	}
	if props.ComparisonOperator == "" {
		props.ComparisonOperator = awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	}
	if props.TreatMissingData == "" {
		props.TreatMissingData = awscloudwatch.TreatMissingData_NOT_BREACHING
	}
	alarm := awscloudwatch.NewAlarm(a.scope, jsii.String(id), props)
	action := awscloudwatchactions.NewSnsAction(a.Topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	a.Alarms = append(a.Alarms, alarm)
	return alarm
}
