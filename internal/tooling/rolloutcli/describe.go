package rolloutcli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
)

// Stacks reads where a stack is.
type Stacks interface {
	State(ctx context.Context, name string) (rollout.State, error)
}

// cfnClient is the part of the SDK's CloudFormation client the rollout uses.
type cfnClient interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	ContinueUpdateRollback(ctx context.Context, in *cloudformation.ContinueUpdateRollbackInput, optFns ...func(*cloudformation.Options)) (*cloudformation.ContinueUpdateRollbackOutput, error)
}

var _ cfnClient = (*cloudformation.Client)(nil)

// CloudFormation reads a stack's Step output with DescribeStacks, through the SDK's client: on
// AWS, or on the local system's CloudFormation endpoint.
type CloudFormation struct{ client cfnClient }

// LocalCloudFormation is CloudFormation on the running local system that st describes.
func LocalCloudFormation(st localstate.State) *CloudFormation {
	return &CloudFormation{client: cloudformation.NewFromConfig(st.CloudFormationConfig())}
}

// NewCloudFormation uses the default AWS configuration, so AWS_ENDPOINT_URL_CLOUDFORMATION and
// AWS_ENDPOINT_URL point it at another endpoint
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html); endpoint, if set,
// overrides them.
func NewCloudFormation(ctx context.Context, endpoint string) (*CloudFormation, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region: set AWS_REGION or a profile's region")
	}
	client := cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) {
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(30 * time.Second)
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return &CloudFormation{client: client}, nil
}

// State is Absent when CloudFormation has no such stack, else the stack's Step output.
func (c *CloudFormation) State(ctx context.Context, name string) (rollout.State, error) {
	out, err := c.client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	// DescribeStacks of a stack that does not exist is a ValidationError "Stack with id NAME does
	// not exist" (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html).
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" && strings.Contains(apiErr.ErrorMessage(), "does not exist") {
		return rollout.Absent, nil
	}
	if err != nil {
		return 0, fmt.Errorf("DescribeStacks %s: %w", name, err)
	}
	if len(out.Stacks) != 1 {
		return 0, fmt.Errorf("DescribeStacks %s: %d stacks in the answer", name, len(out.Stacks))
	}
	st := out.Stacks[0]
	status := string(st.StackStatus)
	switch {
	case st.StackStatus == types.StackStatusDeleteComplete:
		return rollout.Absent, nil
	case strings.HasSuffix(status, "_IN_PROGRESS"):
		return 0, fmt.Errorf("%s is %s: wait until it finishes", name, status)
	case st.StackStatus == types.StackStatusRollbackComplete || strings.HasSuffix(status, "_FAILED"):
		return 0, fmt.Errorf("%s is %s: CloudFormation cannot update it; delete it (ROLLBACK_COMPLETE) or fix it first", name, status)
	}
	for _, o := range st.Outputs {
		if aws.ToString(o.OutputKey) == design.StepOutput {
			n, err := strconv.Atoi(aws.ToString(o.OutputValue))
			if err != nil || design.Step(n).Validate() != nil {
				return 0, fmt.Errorf("%s: output %s = %q is no step", name, design.StepOutput, aws.ToString(o.OutputValue))
			}
			return rollout.State(n), nil
		}
	}
	return 0, fmt.Errorf("%s has no %s output: it was deployed before the templates said their step; deploy it once by hand at the step it is at (cdk deploy -c step=K %s)", name, design.StepOutput, name)
}
