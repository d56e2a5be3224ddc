package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
)

// alarms is a stack's alarm topic: every alarm of the stack notifies it when it goes into alarm
// and when it recovers, and an operator subscribes to it (AppConfig.AlarmEmail does that).
type alarms struct {
	stack awscdk.Stack
	topic awssns.Topic
}

// newAlarms adds the stack's alarm topic, subscribing email when it is set. CloudWatch cannot
// publish to a topic encrypted with the AWS managed key (its key policy does not admit
// CloudWatch), so the topic has its own key, whose policy names every action it allows.
func newAlarms(stack awscdk.Stack, email string) *alarms {
	account := awsiam.NewAccountRootPrincipal()
	key := awskms.NewKey(stack, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
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
	topic := awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		// No topic name: CloudFormation names it, so parallel stages never collide.
		DisplayName: jsii.String("Wild Rydes alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	if email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
		wrconstructs.AcceptFinding(topic, "Serverless-SNSRedrivePolicy",
			"the operator's email subscription: an alarm notification SNS cannot deliver leaves the alarm's state in CloudWatch, and nothing would read a queue of undelivered alarm emails")
	}
	awscdk.NewCfnOutput(stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Subscribe here to hear of every alarm of this stack"),
		Value:       topic.TopicArn(),
	})
	return &alarms{stack: stack, topic: topic}
}

// add defines an alarm that notifies the topic when it fires and when it clears. A period of 5
// minutes and one evaluation period, unless props say otherwise; no data is not a breach (a
// quiet system emits no error metrics).
func (a *alarms) add(id string, props *awscloudwatch.AlarmProps) awscloudwatch.Alarm {
	if props.EvaluationPeriods == nil {
		props.EvaluationPeriods = jsii.Number(1)
	}
	if props.ComparisonOperator == "" {
		props.ComparisonOperator = awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	}
	if props.TreatMissingData == "" {
		props.TreatMissingData = awscloudwatch.TreatMissingData_NOT_BREACHING
	}
	alarm := awscloudwatch.NewAlarm(a.stack, jsii.String(id), props)
	action := awscloudwatchactions.NewSnsAction(a.topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	return alarm
}

// sumOver5Minutes is how the error and throttle alarms count.
var sumOver5Minutes = &awscloudwatch.MetricOptions{
	Period:    awscdk.Duration_Minutes(jsii.Number(5)),
	Statistic: jsii.String("Sum"),
}
