package riderecord

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestSetUpDeadLettersNeedsTheTableAndTheQueue(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"without a table", map[string]string{"DEAD_LETTER_QUEUE_URL": "http://localhost:5000/123456789012/dlq"}},
		{"without a queue", map[string]string{"TABLE_NAME": "rides"}},
		{"without either", map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SetUpDeadLetters(context.Background(), func(k string) string { return tc.env[k] }, io.Discard)
			want := `TABLE_NAME and DEAD_LETTER_QUEUE_URL must both be set (TABLE_NAME="` + tc.env["TABLE_NAME"] +
				`", DEAD_LETTER_QUEUE_URL="` + tc.env["DEAD_LETTER_QUEUE_URL"] + `")`
			if err == nil || err.Error() != want {
				t.Errorf("error = %v, want %s", err, want)
			}
		})
	}
}

func TestSetUpDeadLettersWiresTheTableAndTheQueue(t *testing.T) {
	// No shared AWS files: the set-up must not depend on the machine it runs on.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_REGION", "us-east-1")
	env := map[string]string{"TABLE_NAME": "rides", "DEAD_LETTER_QUEUE_URL": "http://localhost:5000/123456789012/dlq"}
	s, err := SetUpDeadLetters(context.Background(), func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.QueueURL != env["DEAD_LETTER_QUEUE_URL"] || s.SQS == nil {
		t.Errorf("queue %q, client %v; want the dead-letter queue's URL and an SQS client", s.QueueURL, s.SQS)
	}
	if s.Metrics == nil || s.Recorder.Metrics != s.Metrics {
		t.Errorf("metrics %v, the recorder's %v: want one emitter for both", s.Metrics, s.Recorder.Metrics)
	}
	if s.UnstorableURL != "" {
		t.Errorf("unstorable queue %q without UNSTORABLE_QUEUE_URL, want none (today's behaviour)", s.UnstorableURL)
	}
	env["UNSTORABLE_QUEUE_URL"] = "http://localhost:5000/123456789012/unstorable"
	if s, err := SetUpDeadLetters(context.Background(), func(k string) string { return env[k] }, io.Discard); err != nil || s.UnstorableURL != env["UNSTORABLE_QUEUE_URL"] {
		t.Errorf("unstorable queue %q (%v), want UNSTORABLE_QUEUE_URL's", s.UnstorableURL, err)
	}
	store, ok := s.Recorder.Store.(DynamoDBStore)
	if _, isClient := store.Client.(*dynamodb.Client); !ok || !isClient || store.TableName != "rides" {
		t.Errorf("recorder store = %#v, want the rides table through the DynamoDB client", s.Recorder.Store)
	}
}
