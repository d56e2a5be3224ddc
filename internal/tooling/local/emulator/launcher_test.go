package emulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
)

// Under the launcher (the run's moto_server, or the one this test binary starts), every error moto answers is its own service's, however many errors of
// other services it answered before: the launcher keeps each service's table of error shapes.
func TestMotoAnswersEachServicesOwnErrorEveryTime(t *testing.T) {
	moto := localtest.MotoURL(t)
	calls := []struct{ service, target, body, want string }{
		{"ssm", "AmazonSSM.GetParameter", `{"Name": "/nothing/here"}`, "ParameterNotFound"},
		{"dynamodb", "DynamoDB_20120810.DescribeTable", `{"TableName": "nothing"}`, "ResourceNotFoundException"},
		{"sqs", "AmazonSQS.GetQueueUrl", `{"QueueName": "nothing"}`, "QueueDoesNotExist"},
	}
	for round := range 2 {
		for _, c := range calls {
			req, _ := http.NewRequest(http.MethodPost, moto+"/", strings.NewReader(c.body))
			req.Header.Set("X-Amz-Target", c.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261206/us-east-1/"+c.service+"/aws4_request, SignedHeaders=host, Signature=0")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var answer struct {
				Type string `json:"__type"`
			}
			err = json.NewDecoder(resp.Body).Decode(&answer)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusBadRequest || !strings.HasSuffix(answer.Type, c.want) {
				t.Errorf("round %d, %s: %d %q (%v), want 400 and %s", round+1, c.target, resp.StatusCode, answer.Type, err, c.want)
			}
		}
	}
}
