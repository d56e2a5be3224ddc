package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The SSM parameters (AWS::SSM::Parameter), in the emulator: what one stack tells the other.

func init() {
	register("AWS::SSM::Parameter", provider{
		apply: func(ctx context.Context, e *Engine, c change) (*Resource, bool, error) {
			nr, props := c.nr, c.props
			name, _ := props["Name"].(string)
			value := fmt.Sprint(props["Value"])
			typ, _ := props["Type"].(string)
			if typ == "" {
				typ = "String"
			}
			if _, err := e.AWS.SSM.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
				Type: ssmtypes.ParameterType(typ), Overwrite: aws.Bool(true)}); err != nil {
				return nil, false, err
			}
			nr.Physical = name
			nr.Attrs["Type"], nr.Attrs["Value"] = typ, value
			return nr, c.old != nil && c.old.Physical != name, nil
		},
		remove: func(ctx context.Context, e *Engine, r *Resource) error {
			_, err := e.AWS.SSM.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(r.Physical)})
			return err
		},
	})
}
