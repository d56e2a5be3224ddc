package rolloutguard

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Two deploys at once: each guard refuses while the other stack is unsettled, and checks again
// what CloudFormation resolved when it made the change set.

func TestTheGuardRefusesWhileTheOtherStackIsBeingDeployed(t *testing.T) {
	serial := props(t, `{"OtherStack": "wild-rydes-dev", "Conditions": [{"Parameter": "/wild-rydes/dev/RideDelivery", "AllowedValues": ["http", ""]}]}`)
	for status, refused := range map[string]string{
		"":                                    "", // the other stack does not exist
		"CREATE_COMPLETE":                     "",
		"UPDATE_COMPLETE":                     "",
		"UPDATE_ROLLBACK_COMPLETE":            "",
		"ROLLBACK_COMPLETE":                   "",
		"CREATE_IN_PROGRESS":                  "is CREATE_IN_PROGRESS: deploy one stack at a time",
		"UPDATE_IN_PROGRESS":                  "is UPDATE_IN_PROGRESS",
		"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "is UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
		"UPDATE_ROLLBACK_IN_PROGRESS":         "is UPDATE_ROLLBACK_IN_PROGRESS",
		"REVIEW_IN_PROGRESS":                  "is REVIEW_IN_PROGRESS",
		"DELETE_IN_PROGRESS":                  "is DELETE_IN_PROGRESS",
		"UPDATE_ROLLBACK_FAILED":              "is UPDATE_ROLLBACK_FAILED: its resources may match no template; settle it first (for UPDATE_ROLLBACK_FAILED, continue-update-rollback)",
		"UPDATE_FAILED":                       "is UPDATE_FAILED",
	} {
		name := status
		if name == "" {
			name = "absent"
		}
		t.Run(name, func(t *testing.T) {
			stacks := map[string]string{stackID: "UPDATE_IN_PROGRESS"}
			if status != "" {
				stacks[other] = status
			}
			a := guard(&fakeSSM{params: map[string]string{delivery: "http"}}, stacks).Decide(context.Background(), request(cfn.RequestUpdate, "", serial))
			switch {
			case refused == "" && a.Status != cfn.StatusSuccess:
				t.Errorf("the other stack %s: refused (%s), want the deploy to go on", name, a.Reason)
			case refused != "" && (a.Status != cfn.StatusFailed || !strings.Contains(a.Reason, "stack wild-rydes-dev "+refused)):
				t.Errorf("the other stack %s: %s %q, want FAILED saying %q", name, a.Status, a.Reason, refused)
			}
		})
	}
}

func TestTheParametersTheChangeSetResolvedAreCheckedAgainWhenTheGuardRuns(t *testing.T) {
	const ready = "/wild-rydes-ride-record/dev/SubscriberReady"
	requires := props(t, `{"Requires": {"/wild-rydes-ride-record/dev/SubscriberReady": "PutRideRecordSns"}, "Conditions": []}`)
	for _, c := range []struct {
		name   string
		params map[string]string
		fails  string
	}{
		{"still there", map[string]string{ready: "PutRideRecordSns"}, ""},
		{"removed since the change set was made", nil, "SSM parameter /wild-rydes-ride-record/dev/SubscriberReady, which this stack state requires, no longer exists"},
		{"changed since the change set was made", map[string]string{ready: "Other"}, `is "Other", not "PutRideRecordSns"`},
	} {
		a := guard(&fakeSSM{params: c.params}, nil).Decide(context.Background(), request(cfn.RequestUpdate, "", requires))
		if (c.fails == "") != (a.Status == cfn.StatusSuccess) || !strings.Contains(a.Reason, c.fails) {
			t.Errorf("%s: %s %q, want %q", c.name, a.Status, a.Reason, c.fails)
		}
	}
}

// No ride dropped by a rollback: ride-record lets its subscriber go only once RideDelivery has
// been "http" (or absent) for HeldFor, so that every ride published before has left Lambda's
// asynchronous queue.
func TestLettingTheSubscriberGoWaitsUntilTheRidesPublishedBeforeHaveDrained(t *testing.T) {
	stoppedPublishing := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	drain := props(t, `{"Conditions": [{"Parameter": "/wild-rydes/dev/RideDelivery", "AllowedValues": ["http", ""], "HeldForSeconds": "680"}]}`)
	version := func(n int64, value string, at time.Time) ssmtypes.ParameterHistory {
		return ssmtypes.ParameterHistory{Version: n, Value: aws.String(value), LastModifiedDate: aws.Time(at)}
	}
	published := []ssmtypes.ParameterHistory{ // out of order, as pages may come
		version(3, "http", stoppedPublishing),
		version(1, "http", stoppedPublishing.Add(-time.Hour)),
		version(2, "sns", stoppedPublishing.Add(-50*time.Minute)),
	}
	for _, c := range []struct {
		name    string
		history []ssmtypes.ParameterHistory
		after   time.Duration // of wall time since stoppedPublishing
		scale   float64
		fails   string
	}{
		{"five minutes after wild-rydes stopped publishing", published, 5 * time.Minute, 1,
			`SSM parameter /wild-rydes/dev/RideDelivery was "sns" until 2026-11-22T10:00:00Z; this stack state requires it to have been "http" or absent for 11m20s, so that what it sent before has drained (deploy again in 6m20s)`},
		{"twelve minutes after", published, 12 * time.Minute, 1, ""},
		{"twelve seconds after on a local system 60 times faster", published, 12 * time.Second, 60, ""},
		{"five seconds after on a local system 60 times faster", published, 5 * time.Second, 60, "deploy again in 6.3s"},
		{"a minute after a wild-rydes that never published was created", published[:1], time.Minute, 1, ""},
		{"wild-rydes not deployed", nil, 0, 1, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := &fakeSSM{params: map[string]string{}, history: map[string][]ssmtypes.ParameterHistory{}}
			if c.history != nil {
				client.params[delivery] = "http"
				client.history[delivery] = c.history
			}
			h := guard(client, nil)
			h.Clock = Clock{Now: func() time.Time { return stoppedPublishing.Add(c.after) }, Scale: c.scale}
			a := h.Decide(context.Background(), request(cfn.RequestUpdate, "", drain))
			if (c.fails == "") != (a.Status == cfn.StatusSuccess) || !strings.Contains(a.Reason, c.fails) {
				t.Errorf("%s %q, want %q", a.Status, a.Reason, c.fails)
			}
		})
	}
}
