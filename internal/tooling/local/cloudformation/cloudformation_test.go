package cloudformation_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	sdkcfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/deploy/deploytest"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// stack is a stack of one custom resource, Guard, whose Value property says value.
func stack(t *testing.T, name, value string) string {
	return fmt.Sprintf(`{"Description": "a stack of %s", "Parameters": {"Stage": {"Type": "String", "Default": "test"}},
		"Resources": {"Guard": {"Type": "Custom::Probe", "Properties": {"ServiceToken": %q, "Value": %q}}},
		"Outputs": {"Step": {"Value": %q, "Description": "the step"}}}`, name, deploytest.Function, value, value)
}

func TestTheSDKsCloudFormationClientReadsTheLocalStacks(t *testing.T) {
	fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
		if r.ResourceProperties["Value"] == "2" {
			return deploytest.Answer{Status: "FAILED", Reason: "no"}
		}
		return deploytest.Answer{Status: "SUCCESS"}
	}}
	e, srv := deploytest.Engine(t, fn, 1)
	ctx := context.Background()
	for _, name := range []string{"wild", "ride"} {
		if err := e.Deploy(ctx, deploytest.Stack(t, name, stack(t, name, "1"))); err != nil {
			t.Fatal(err)
		}
	}
	_ = e.Deploy(ctx, deploytest.Stack(t, "ride", stack(t, "ride", "2"))) // fails, rolled back
	client := sdkcfn.NewFromConfig(localstate.Config(localstate.Region, srv.URL), func(o *sdkcfn.Options) { o.RetryMaxAttempts = 1 })

	out, err := client.DescribeStacks(ctx, &sdkcfn.DescribeStacksInput{StackName: aws.String("ride")})
	if err != nil || len(out.Stacks) != 1 {
		t.Fatalf("DescribeStacks ride: %v %+v", err, out)
	}
	st := out.Stacks[0]
	if st.StackStatus != types.StackStatusUpdateRollbackComplete || aws.ToString(st.StackName) != "ride" || aws.ToString(st.Description) != "a stack of ride" ||
		len(st.Outputs) != 1 || aws.ToString(st.Outputs[0].OutputKey) != "Step" || aws.ToString(st.Outputs[0].OutputValue) != "1" ||
		aws.ToString(st.Outputs[0].Description) != "the step" || len(st.Parameters) != 1 || aws.ToString(st.Parameters[0].ParameterValue) != "test" ||
		st.CreationTime == nil || st.LastUpdatedTime == nil || st.LastUpdatedTime.Before(*st.CreationTime) {
		t.Errorf("DescribeStacks ride = %+v", st)
	}

	byID, err := client.DescribeStacks(ctx, &sdkcfn.DescribeStacksInput{StackName: st.StackId})
	if err != nil || len(byID.Stacks) != 1 || aws.ToString(byID.Stacks[0].StackName) != "ride" {
		t.Errorf("DescribeStacks by the stack ID %s: %v", aws.ToString(st.StackId), err)
	}
	all, err := client.DescribeStacks(ctx, &sdkcfn.DescribeStacksInput{})
	if err != nil || len(all.Stacks) != 2 || all.Stacks[0].StackStatus != types.StackStatusUpdateRollbackComplete || all.Stacks[1].StackStatus != types.StackStatusCreateComplete {
		t.Errorf("DescribeStacks of every stack: %v %+v", err, all)
	}

	_, err = client.DescribeStacks(ctx, &sdkcfn.DescribeStacksInput{StackName: aws.String("nope")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationError" || apiErr.ErrorMessage() != "Stack with id nope does not exist" {
		t.Errorf("DescribeStacks of a stack that does not exist: %v, want CloudFormation's ValidationError", err)
	}
	_, err = client.ListStacks(ctx, &sdkcfn.ListStacksInput{})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidAction" {
		t.Errorf("an action the local CloudFormation does not answer: %v, want InvalidAction", err)
	}

	// DeleteStack deletes its resources (the custom resource gets a Delete); the stack is then
	// found by its stack ID only, DELETE_COMPLETE.
	wild, err := client.DescribeStacks(ctx, &sdkcfn.DescribeStacksInput{StackName: aws.String("wild")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteStack(ctx, &sdkcfn.DeleteStackInput{StackName: aws.String("wild")}); err != nil {
		t.Fatalf("DeleteStack: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := client.DescribeStacks(ctx, &sdkcfn.DescribeStacksInput{StackName: aws.String("wild")})
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DescribeStacks wild after DeleteStack: %v, want it gone", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	gone, err := client.DescribeStacks(ctx, &sdkcfn.DescribeStacksInput{StackName: wild.Stacks[0].StackId})
	if err != nil || gone.Stacks[0].StackStatus != types.StackStatusDeleteComplete {
		t.Errorf("DescribeStacks by the deleted stack's ID: %v %+v, want DELETE_COMPLETE", err, gone)
	}
	last := fn.Requests()[len(fn.Requests())-1]
	if last.RequestType != cfn.RequestDelete || last.StackID != aws.ToString(wild.Stacks[0].StackId) || last.StackStatus != "DELETE_IN_PROGRESS" {
		t.Errorf("the last request was %s of %s under %s, want the Delete of wild's guard under DELETE_IN_PROGRESS", last.RequestType, last.StackID, last.StackStatus)
	}
}

func TestContinueUpdateRollbackThroughTheSDKSkipsTheResourcesNamed(t *testing.T) {
	fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
		if r.RequestType == cfn.RequestUpdate {
			return deploytest.Answer{Status: "FAILED", Reason: "stuck"}
		}
		return deploytest.Answer{Status: "SUCCESS"}
	}}
	e, srv := deploytest.Engine(t, fn, 1)
	ctx := context.Background()
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", stack(t, "s", "1"))); err != nil {
		t.Fatal(err)
	}
	_ = e.Deploy(ctx, deploytest.Stack(t, "s", stack(t, "s", "2")))
	client := sdkcfn.NewFromConfig(localstate.Config(localstate.Region, srv.URL), func(o *sdkcfn.Options) { o.RetryMaxAttempts = 1 })
	status := func() types.StackStatus {
		out, err := client.DescribeStacks(ctx, &sdkcfn.DescribeStacksInput{StackName: aws.String("s")})
		if err != nil {
			t.Fatal(err)
		}
		return out.Stacks[0].StackStatus
	}
	if got := status(); got != types.StackStatusUpdateRollbackFailed {
		t.Fatalf("the stack is %s, want %s", got, types.StackStatusUpdateRollbackFailed)
	}
	_, err := client.ContinueUpdateRollback(ctx, &sdkcfn.ContinueUpdateRollbackInput{StackName: aws.String("s"), ResourcesToSkip: []string{"Other"}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationError" {
		t.Errorf("skipping a resource the rollback did not fail on: %v, want a ValidationError", err)
	}
	if _, err := client.ContinueUpdateRollback(ctx, &sdkcfn.ContinueUpdateRollbackInput{StackName: aws.String("s"), ResourcesToSkip: []string{"Guard"}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for status() != types.StackStatusUpdateRollbackComplete {
		if time.Now().After(deadline) {
			t.Fatalf("the stack is %s after ContinueUpdateRollback, want %s", status(), types.StackStatusUpdateRollbackComplete)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAnAnswerToARequestCloudFormationNeverSentIsRefused(t *testing.T) {
	_, srv := deploytest.Engine(t, &deploytest.Functions{}, 1)
	req, _ := http.NewRequest(http.MethodPut, srv.ResponsesURL()+"/made-up", strings.NewReader(`{"Status":"SUCCESS"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("PUT to a request nobody sent: %s, want 404", resp.Status)
	}
}
