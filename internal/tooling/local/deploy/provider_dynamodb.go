package deploy

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The tables (AWS::DynamoDB::Table), in the emulator.

func init() {
	register("AWS::DynamoDB::Table", provider{
		apply: func(ctx context.Context, e *Engine, c change) (*Resource, bool, error) {
			nr := c.nr
			if c.old != nil {
				// Billing mode, point-in-time recovery and the like change in place; the
				// emulator's table stays, and so do the rides in it.
				return keep(nr, c.old), false, nil
			}
			var spec struct {
				KeySchema []struct{ AttributeName, KeyType string }
				Attrs     []struct{ AttributeName, AttributeType string } `json:"AttributeDefinitions"`
				TTL       *struct {
					AttributeName string
					Enabled       bool
				} `json:"TimeToLiveSpecification"`
			}
			b, _ := json.Marshal(c.props)
			if err := json.Unmarshal(b, &spec); err != nil {
				return nil, false, err
			}
			in := &dynamodb.CreateTableInput{TableName: aws.String(physicalName(c.stack, nr.LogicalID, 255)), BillingMode: ddbtypes.BillingModePayPerRequest}
			for _, k := range spec.KeySchema {
				in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType)})
			}
			for _, a := range spec.Attrs {
				in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String(a.AttributeName), AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType)})
			}
			out, err := e.AWS.DynamoDB.CreateTable(ctx, in)
			if err != nil {
				return nil, false, err
			}
			nr.Physical = aws.ToString(in.TableName)
			// Time to live, as CloudFormation sets it after creating the table. The emulator keeps
			// expired items as DynamoDB may for days; readers check the expiry themselves.
			// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
			if spec.TTL != nil && spec.TTL.Enabled {
				if _, err := e.AWS.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: in.TableName,
					TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(spec.TTL.AttributeName), Enabled: aws.Bool(true)}}); err != nil {
					return nil, false, err
				}
			}
			nr.Attrs["Arn"] = aws.ToString(out.TableDescription.TableArn)
			nr.Attrs["StreamArn"] = aws.ToString(out.TableDescription.LatestStreamArn)
			return nr, false, nil
		},
		remove: func(ctx context.Context, e *Engine, r *Resource) error {
			_, err := e.AWS.DynamoDB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(r.Physical)})
			return err
		},
	})
}
