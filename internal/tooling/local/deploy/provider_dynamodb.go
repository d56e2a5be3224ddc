package deploy

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/ddbproxy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// The tables (AWS::DynamoDB::Table), in the emulator, with the throughput the template gives
// them enforced by the DynamoDB proxy.

func init() {
	register("AWS::DynamoDB::Table", provider{
		apply: func(ctx context.Context, e *Engine, c change) (*Resource, bool, error) {
			nr := c.nr
			if c.old != nil {
				// Billing mode, point-in-time recovery and the like change in place; the
				// emulator's table stays, and so do the rides in it.
				nr = keep(nr, c.old)
				e.setThroughput(nr, c.props)
				return nr, false, nil
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
			e.setThroughput(nr, c.props)
			return nr, false, nil
		},
		remove: func(ctx context.Context, e *Engine, r *Resource) error {
			e.Tables.RemoveTable(r.Physical)
			_, err := e.AWS.DynamoDB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(r.Physical)})
			return err
		},
	})
}

// setThroughput has the proxy enforce the table's billing mode and capacity, as the model reads
// them from the template. A table switched to on-demand gets on-demand's initial throughput.
func (e *Engine) setThroughput(r *Resource, props map[string]any) {
	if e.Tables == nil {
		return
	}
	mode, read, write := model.TableThroughput(props)
	e.Tables.SetThroughput(r.Physical, r.Attrs["Arn"], ddbproxy.Throughput{OnDemand: mode == "PAY_PER_REQUEST", Read: read, Write: write})
}
