package deploy

import (
	"context"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The queues (AWS::SQS::*), in the emulator.

func init() {
	register("AWS::SQS::Queue", provider{
		apply: func(ctx context.Context, e *Engine, c change) (*Resource, bool, error) {
			nr := c.nr
			if c.old != nil {
				return keep(nr, c.old), false, nil
			}
			name := physicalName(c.stack, nr.LogicalID, 80)
			out, err := e.AWS.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
			if err != nil {
				return nil, false, err
			}
			url := aws.ToString(out.QueueUrl)
			attrs, err := e.AWS.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
			if err != nil {
				return nil, false, err
			}
			arn := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
			nr.Physical = url
			nr.Attrs["Arn"], nr.Attrs["QueueName"], nr.Attrs["QueueUrl"] = arn, name, url
			e.mu.Lock()
			e.queues[arn] = url
			e.mu.Unlock()
			return nr, false, nil
		},
		remove: func(ctx context.Context, e *Engine, r *Resource) error {
			_, err := e.AWS.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(r.Physical)})
			return err
		},
	})
	placeholder("AWS::SQS::QueuePolicy", "the local system has one principal: who may send is checked on the templates, not enforced")
}

// QueueURLs are the URLs of the queues the stacks created.
func (e *Engine) QueueURLs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(maps.Values(e.queues))
}
