package local

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The data services, created in the emulator: tables, queues, topics, subscriptions and SSM
// parameters.

func init() {
	register("AWS::DynamoDB::Table", provider{
		apply: func(ctx context.Context, s *System, c change) (*resource, bool, error) {
			return s.provisionTable(ctx, c.stack, c.nr, c.props, c.old)
		},
		remove: func(ctx context.Context, s *System, r *resource) error {
			_, err := s.aws.dynamodb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(r.physical)})
			return err
		},
	})
	register("AWS::SQS::Queue", provider{
		apply: func(ctx context.Context, s *System, c change) (*resource, bool, error) {
			return s.provisionQueue(ctx, c.stack, c.nr, c.old)
		},
		remove: func(ctx context.Context, s *System, r *resource) error {
			_, err := s.aws.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(r.physical)})
			return err
		},
	})
	register("AWS::SNS::Topic", provider{
		apply: func(ctx context.Context, s *System, c change) (*resource, bool, error) {
			nr := c.nr
			if c.old != nil {
				return keep(nr, c.old), false, nil
			}
			name := physicalName(c.stack, c.res.LogicalID, 256)
			out, err := s.aws.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
			if err != nil {
				return nil, false, err
			}
			nr.physical = aws.ToString(out.TopicArn)
			nr.attrs["TopicArn"], nr.attrs["TopicName"] = nr.physical, name
			return nr, false, nil
		},
		remove: func(ctx context.Context, s *System, r *resource) error {
			_, err := s.aws.sns.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(r.physical)})
			return err
		},
	})
	register("AWS::SNS::Subscription", provider{
		apply: func(ctx context.Context, s *System, c change) (*resource, bool, error) {
			return s.provisionSubscription(ctx, c.nr, c.props, c.old)
		},
		remove: func(ctx context.Context, s *System, r *resource) error {
			s.bridge.unregister(r.subToken)
			_, err := s.aws.sns.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(r.physical)})
			return err
		},
	})
	register("AWS::SSM::Parameter", provider{
		apply: func(ctx context.Context, s *System, c change) (*resource, bool, error) {
			nr, props := c.nr, c.props
			name, _ := props["Name"].(string)
			value := fmt.Sprint(props["Value"])
			typ, _ := props["Type"].(string)
			if typ == "" {
				typ = "String"
			}
			if _, err := s.aws.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
				Type: ssmtypes.ParameterType(typ), Overwrite: aws.Bool(true)}); err != nil {
				return nil, false, err
			}
			nr.physical = name
			nr.attrs["Type"], nr.attrs["Value"] = typ, value
			return nr, c.old != nil && c.old.physical != name, nil
		},
		remove: func(ctx context.Context, s *System, r *resource) error {
			_, err := s.aws.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(r.physical)})
			return err
		},
	})
}

func (s *System) provisionTable(ctx context.Context, stack string, nr *resource, props map[string]any, old *resource) (*resource, bool, error) {
	if old != nil {
		// Billing mode, point-in-time recovery and the like change in place; the emulator's
		// table stays, and so do the rides in it.
		return keep(nr, old), false, nil
	}
	var spec struct {
		KeySchema []struct{ AttributeName, KeyType string }
		Attrs     []struct{ AttributeName, AttributeType string } `json:"AttributeDefinitions"`
	}
	b, _ := json.Marshal(props)
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, false, err
	}
	in := &dynamodb.CreateTableInput{TableName: aws.String(physicalName(stack, nr.logicalID, 255)), BillingMode: ddbtypes.BillingModePayPerRequest}
	for _, k := range spec.KeySchema {
		in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType)})
	}
	for _, a := range spec.Attrs {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String(a.AttributeName), AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType)})
	}
	out, err := s.aws.dynamodb.CreateTable(ctx, in)
	if err != nil {
		return nil, false, err
	}
	nr.physical = aws.ToString(in.TableName)
	nr.attrs["Arn"] = aws.ToString(out.TableDescription.TableArn)
	nr.attrs["StreamArn"] = aws.ToString(out.TableDescription.LatestStreamArn)
	return nr, false, nil
}

func (s *System) provisionQueue(ctx context.Context, stack string, nr *resource, old *resource) (*resource, bool, error) {
	if old != nil {
		return keep(nr, old), false, nil
	}
	name := physicalName(stack, nr.logicalID, 80)
	out, err := s.aws.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return nil, false, err
	}
	url := aws.ToString(out.QueueUrl)
	attrs, err := s.aws.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return nil, false, err
	}
	arn := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	nr.physical = url
	nr.attrs["Arn"], nr.attrs["QueueName"], nr.attrs["QueueUrl"] = arn, name, url
	s.mu.Lock()
	s.queues[arn] = url
	s.mu.Unlock()
	return nr, false, nil
}

func (s *System) provisionSubscription(ctx context.Context, nr *resource, props map[string]any, old *resource) (*resource, bool, error) {
	protocol, _ := props["Protocol"].(string)
	topic, _ := props["TopicArn"].(string)
	endpoint, _ := props["Endpoint"].(string)
	if protocol != "lambda" {
		return nil, false, fmt.Errorf("the local runner delivers SNS to Lambda only, not %q", protocol)
	}
	token := randomID(16)
	out, err := s.aws.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"),
		Endpoint: aws.String(s.bridge.url + "/sns/" + token), ReturnSubscriptionArn: true})
	if err != nil {
		return nil, false, fmt.Errorf("subscribing %s to %s: %w", endpoint, topic, err)
	}
	nr.physical, nr.subToken = aws.ToString(out.SubscriptionArn), token
	s.bridge.register(token, topic, endpoint, nr.physical)
	return nr, old != nil, nil
}
