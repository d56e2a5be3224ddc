package rolloutguard

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// StackDescriber is the CloudFormation call the guard reads stack statuses with.
type StackDescriber interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

var _ StackDescriber = (*cloudformation.Client)(nil)

// StackStatus reads the status of a stack by name or stack ID; "" when it does not exist
// (DescribeStacks answers a ValidationError "Stack with id X does not exist":
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html).
func StackStatus(ctx context.Context, client StackDescriber, stack string) (string, error) {
	out, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" && strings.Contains(apiErr.ErrorMessage(), "does not exist") {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("DescribeStacks %s: %w", stack, err)
	}
	if len(out.Stacks) != 1 {
		return "", fmt.Errorf("DescribeStacks %s: %d stacks in the answer", stack, len(out.Stacks))
	}
	return string(out.Stacks[0].StackStatus), nil
}

// The stack statuses the guard tells apart
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html, StackStatus;
// what each means: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes).

// RollingBack reports a status in which CloudFormation sends a custom resource an Update only to
// put back its previous properties: a failed update rolling back (UPDATE_ROLLBACK_IN_PROGRESS,
// also after ContinueUpdateRollback), or the cleanup after it, a failed create or import rolling
// back. The rollback's Update carries the old properties as ResourceProperties and nothing else
// marks it (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref.html;
// a rollback that fails leaves UPDATE_ROLLBACK_FAILED:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html#troubleshooting-errors-update-rollback-failed).
func RollingBack(status string) bool {
	return strings.Contains(status, "ROLLBACK") && strings.HasSuffix(status, "_IN_PROGRESS")
}

// Unsettled says why a stack in status must not be deployed beside: it is being created,
// updated, rolled back, reviewed or deleted (any *_IN_PROGRESS: what it provides may change
// under the check, and what it drops goes only in its cleanup phase), or a failed operation left
// its resources matching no template (any *_FAILED, e.g. UPDATE_ROLLBACK_FAILED until
// ContinueUpdateRollback, or an update run with rollback disabled). "" for a stack that does not
// exist or is settled (any *_COMPLETE).
func Unsettled(stack, status string) string {
	switch {
	case strings.HasSuffix(status, "_IN_PROGRESS"):
		return fmt.Sprintf("stack %s is %s: deploy one stack at a time; deploy this one again once it is settled", stack, status)
	case strings.HasSuffix(status, "_FAILED"):
		return fmt.Sprintf("stack %s is %s: its resources may match no template; settle it first (for UPDATE_ROLLBACK_FAILED, continue-update-rollback), then deploy this one again", stack, status)
	}
	return ""
}
