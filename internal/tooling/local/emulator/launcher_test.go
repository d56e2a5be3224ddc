package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// Under the launcher (the run's moto_server, or the one this test binary starts), every error
// moto answers is its own service's, however many errors of other services it answered before:
// the launcher keeps each service's table of error shapes. The SDK's clients make the calls and
// read the error code; the test also reads the error's type in the body moto sent (the SDK's SQS
// client takes its code from the x-amzn-query-error header instead, so only the body shows a
// type from another service's table).
func TestMotoAnswersEachServicesOwnErrorEveryTime(t *testing.T) {
	cfg := localstate.Config("", localtest.MotoURL(t))
	wire := &lastBody{next: http.DefaultTransport}
	cfg.HTTPClient = &http.Client{Transport: wire, Timeout: 30 * time.Second}
	ctx := context.Background()
	calls := []struct {
		what, want, wantType string
		call                 func() error
	}{
		{"SSM GetParameter", "ParameterNotFound", "ParameterNotFound", func() error {
			_, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/nothing/here")})
			return err
		}},
		{"DynamoDB DescribeTable", "ResourceNotFoundException", "ResourceNotFoundException", func() error {
			_, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("nothing")})
			return err
		}},
		{"SQS GetQueueUrl", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", func() error {
			_, err := sqs.NewFromConfig(cfg).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nothing")})
			return err
		}},
	}
	for round := range 2 {
		for _, c := range calls {
			var apiErr smithy.APIError
			if err := c.call(); !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.want {
				t.Errorf("round %d, %s: %v, want the error %s", round+1, c.what, err, c.want)
			}
			var body struct {
				Type string `json:"__type"`
			}
			if err := json.Unmarshal(wire.body, &body); err != nil || !strings.HasSuffix(body.Type, "#"+c.wantType) && body.Type != c.wantType {
				t.Errorf("round %d, %s: moto answered %s, want an error of type %s", round+1, c.what, wire.body, c.wantType)
			}
		}
	}
}

// lastBody keeps the body of the last response it carried.
type lastBody struct {
	next http.RoundTripper
	body []byte
}

func (l *lastBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	l.body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(l.body))
	return resp, err
}
