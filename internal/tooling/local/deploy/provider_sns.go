package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/uuid"

	localsns "github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/sns"
)

// The topics and subscriptions (AWS::SNS::*): topics in the emulator; a Lambda subscription is
// an HTTP subscription of the emulator's to the local SNS bridge, which invokes the function; an
// email subscription is the emulator's, delivered by the local SNS into its outbox.

func init() {
	register("AWS::SNS::Topic", provider{
		apply: func(ctx context.Context, e *Engine, c change) (*Resource, bool, error) {
			nr := c.nr
			if c.old != nil {
				return keep(nr, c.old), false, nil
			}
			name := physicalName(c.stack, c.res.LogicalID, 256)
			out, err := e.AWS.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
			if err != nil {
				return nil, false, err
			}
			nr.Physical = aws.ToString(out.TopicArn)
			nr.Attrs["TopicArn"], nr.Attrs["TopicName"] = nr.Physical, name
			return nr, false, nil
		},
		remove: func(ctx context.Context, e *Engine, r *Resource) error {
			_, err := e.AWS.SNS.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(r.Physical)})
			return err
		},
	})
	register("AWS::SNS::Subscription", provider{
		apply: func(ctx context.Context, e *Engine, c change) (*Resource, bool, error) {
			protocol, _ := c.props["Protocol"].(string)
			topic, _ := c.props["TopicArn"].(string)
			endpoint, _ := c.props["Endpoint"].(string)
			if localsns.IsEmail(protocol) {
				return subscribeEmail(ctx, e, c, topic, protocol, endpoint)
			}
			if protocol != "lambda" {
				return nil, false, fmt.Errorf("the local runner delivers SNS to Lambda and email only, not %q", protocol)
			}
			token := uuid.NewString()
			out, err := e.AWS.SNS.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"),
				Endpoint: aws.String(e.SNS.Endpoint(token)), ReturnSubscriptionArn: true})
			if err != nil {
				return nil, false, fmt.Errorf("subscribing %s to %s: %w", endpoint, topic, err)
			}
			c.nr.Physical, c.nr.token = aws.ToString(out.SubscriptionArn), token
			e.SNS.Subscribe(token, topic, endpoint, c.nr.Physical)
			return c.nr, c.old != nil, nil
		},
		remove: func(ctx context.Context, e *Engine, r *Resource) error {
			e.SNS.Unsubscribe(r.token)
			e.SNS.UnsubscribeEmail(r.Physical)
			_, err := e.AWS.SNS.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(r.Physical)})
			return err
		},
	})
	placeholder("AWS::SNS::TopicPolicy", "the local system has one principal: who may publish is checked on the templates, not enforced")
}

// subscribeEmail subscribes an address (an AlarmTopic's -c alarmEmail) in the emulator and has
// the local SNS deliver the topic's messages to it.
func subscribeEmail(ctx context.Context, e *Engine, c change, topic, protocol, endpoint string) (*Resource, bool, error) {
	out, err := e.AWS.SNS.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String(protocol),
		Endpoint: aws.String(endpoint), ReturnSubscriptionArn: true})
	if err != nil {
		return nil, false, fmt.Errorf("subscribing %s to %s: %w", endpoint, topic, err)
	}
	c.nr.Physical = aws.ToString(out.SubscriptionArn)
	e.SNS.SubscribeEmail(topic, protocol, endpoint, c.nr.Physical)
	return c.nr, c.old != nil, nil
}
