package rolloutcli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
)

// cloudFormationAnswering is a CloudFormation endpoint that answers every signed DescribeStacks of
// stack "s" with status and body, as CloudFormation's query API does.
func cloudFormationAnswering(t *testing.T, status int, body string) *CloudFormation {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") || !strings.Contains(r.Header.Get("Authorization"), "/cloudformation/aws4_request") {
			http.Error(w, "unsigned request", http.StatusForbidden)
			return
		}
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "DescribeStacks" || r.Form.Get("StackName") != "s" {
			http.Error(w, "not DescribeStacks of s", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	cf, err := NewCloudFormation(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

// stackAnswer is DescribeStacks' answer for stack s in status with outputs (key, value pairs).
func stackAnswer(status string, outputs ...string) string {
	var members strings.Builder
	for i := 0; i+1 < len(outputs); i += 2 {
		fmt.Fprintf(&members, "<member><OutputKey>%s</OutputKey><OutputValue>%s</OutputValue></member>", outputs[i], outputs[i+1])
	}
	return `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
		`<StackName>s</StackName><StackStatus>` + status + `</StackStatus><Outputs>` + members.String() + `</Outputs>` +
		`</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`
}

func TestTheStateOfAStackIsItsStepOutput(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   rollout.State
		err    string // part of the error, "" for none
	}{
		{"a deployed stack is at its Step output", 200, stackAnswer("UPDATE_COMPLETE", "RideUrl", "https://x", "Step", "4"), 4, ""},
		{"a stack CloudFormation does not know is absent", 400,
			`<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id s does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
			rollout.Absent, ""},
		{"a deleted stack is absent", 200, stackAnswer("DELETE_COMPLETE"), rollout.Absent, ""},
		{"a stack being updated is waited for", 200, stackAnswer("UPDATE_IN_PROGRESS", "Step", "3"), 0, "s is UPDATE_IN_PROGRESS: wait until it finishes"},
		{"a stack that failed to create cannot be updated", 200, stackAnswer("ROLLBACK_COMPLETE"), 0, "delete it (ROLLBACK_COMPLETE)"},
		{"a stack without a Step output was deployed before the templates said their step", 200, stackAnswer("CREATE_COMPLETE", "RideUrl", "https://x"), 0, "has no Step output"},
		{"a Step output that is no step", 200, stackAnswer("CREATE_COMPLETE", "Step", "9"), 0, `output Step = "9" is no step`},
		{"another error is reported", 403,
			`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
			0, "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cloudFormationAnswering(t, tt.status, tt.body).State(context.Background(), "s")
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("State: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("State = %v, %v; want an error saying %q", got, err, tt.err)
			case tt.err == "" && got != tt.want:
				t.Errorf("State = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestContinueUpdateRollbackSkipsWhatItIsToldAndWaitsForTheRollbackToEnd(t *testing.T) {
	for _, tc := range []struct {
		name, last string
		err        string // part of the error, "" for none
	}{
		{"a rollback that completes", "UPDATE_ROLLBACK_COMPLETE", ""},
		{"a rollback that fails again", "UPDATE_ROLLBACK_FAILED", "is UPDATE_ROLLBACK_FAILED again (The following resource(s) failed to update: [RolloutGuard].)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var skipped []string
			described := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				w.Header().Set("Content-Type", "text/xml")
				switch r.Form.Get("Action") {
				case "ContinueUpdateRollback":
					for n := 1; r.Form.Has(fmt.Sprintf("ResourcesToSkip.member.%d", n)); n++ {
						skipped = append(skipped, r.Form.Get(fmt.Sprintf("ResourcesToSkip.member.%d", n)))
					}
					fmt.Fprint(w, `<ContinueUpdateRollbackResponse><ContinueUpdateRollbackResult/><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ContinueUpdateRollbackResponse>`)
				case "DescribeStacks":
					described++
					status := "UPDATE_ROLLBACK_IN_PROGRESS"
					if described > 2 {
						status = tc.last
					}
					fmt.Fprint(w, strings.Replace(stackAnswer(status), "</StackStatus>", "</StackStatus><StackStatusReason>The following resource(s) failed to update: [RolloutGuard].</StackStatusReason>", 1))
				}
			}))
			t.Cleanup(srv.Close)
			t.Setenv("AWS_ACCESS_KEY_ID", "test")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
			t.Setenv("AWS_REGION", "us-east-1")
			t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
			cf, err := NewCloudFormation(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			err = cf.ContinueUpdateRollback(context.Background(), "s", []string{"RolloutGuard", "Other"}, time.Millisecond, &out)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("ContinueUpdateRollback: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("ContinueUpdateRollback: %v, want an error saying %q", err, tc.err)
			}
			if strings.Join(skipped, ",") != "RolloutGuard,Other" || described != 3 {
				t.Errorf("skipped %v, described %d times: want both resources skipped and the stack watched until the rollback ended", skipped, described)
			}
		})
	}
}
