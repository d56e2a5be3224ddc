package rolloutcli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// ContinueUpdateRollback gets a stack out of UPDATE_ROLLBACK_FAILED: CloudFormation's
// ContinueUpdateRollback, skipping the resources named (logical IDs it could not roll back, which
// keep what the failed update made of them), then DescribeStacks until the rollback is over
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-continueupdaterollback.html).
// poll is how often it looks.
func (c *CloudFormation) ContinueUpdateRollback(ctx context.Context, name string, skip []string, poll time.Duration, out io.Writer) error {
	if _, err := c.client.ContinueUpdateRollback(ctx, &cloudformation.ContinueUpdateRollbackInput{StackName: aws.String(name), ResourcesToSkip: skip}); err != nil {
		return fmt.Errorf("ContinueUpdateRollback %s: %w", name, err)
	}
	fmt.Fprintf(out, "%s: continuing the rollback", name)
	if len(skip) > 0 {
		fmt.Fprintf(out, ", skipping %s", strings.Join(skip, ", "))
	}
	fmt.Fprintln(out, " ...")
	for {
		resp, err := c.client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("DescribeStacks %s: %w", name, err)
		}
		st := resp.Stacks[0]
		switch st.StackStatus {
		case types.StackStatusUpdateRollbackComplete:
			fmt.Fprintf(out, "%s is %s: it takes updates again\n", name, st.StackStatus)
			return nil
		case types.StackStatusUpdateRollbackFailed:
			return fmt.Errorf("%s is %s again (%s): fix the cause, or skip the resources named with --skip", name, st.StackStatus, aws.ToString(st.StackStatusReason))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}
