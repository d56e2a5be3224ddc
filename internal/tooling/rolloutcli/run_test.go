package rolloutcli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/stepdiff"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// standInCDK records its arguments and "deploys" by writing the stack's step into the state file
// the stand-in DescribeStacks endpoint answers from. FAIL_ON ("<stack> <step>") makes that deploy
// fail; ALSO is a line someone else writes during the first deploy (a deploy by hand).
const standInCDK = `#!/bin/sh
echo "$@" >> "$CDK_LOG"
step=${5#step=}
name=$6
if [ -n "$FAIL_ON" ] && [ "$name $step" = "$FAIL_ON" ]; then echo "stack $name failed"; exit 1; fi
echo "$name $step" >> "$STACK_STATE"
if [ -n "$ALSO" ] && [ ! -f "$STACK_STATE.also" ]; then echo "$ALSO" >> "$STACK_STATE"; touch "$STACK_STATE.also"; fi
`

// describeStacks answers DescribeStacks from the state file, as CloudFormation would: a stack
// deployed with -c step=K reports its template's step in its Step output.
func describeStacks(t *testing.T, stateFile string) *httptest.Server {
	var mu sync.Mutex
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			http.Error(w, "unsigned request", http.StatusForbidden)
			return
		}
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "DescribeStacks" {
			http.Error(w, "not DescribeStacks", http.StatusBadRequest)
			return
		}
		name := r.Form.Get("StackName")
		b, _ := os.ReadFile(stateFile)
		step := -1
		for _, line := range strings.Split(string(b), "\n") {
			var n string
			var k int
			if _, err := fmt.Sscanf(line, "%s %d", &n, &k); err == nil && n == name {
				step = k
			}
		}
		if step < 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error></ErrorResponse>`, name)
			return
		}
		kind := design.WildRydes
		if strings.HasPrefix(name, string(design.RideRecord)) {
			kind = design.RideRecord
		}
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
<StackName>%s</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><Outputs><member><OutputKey>RideUrl</OutputKey><OutputValue>https://x</OutputValue></member>
<member><OutputKey>Step</OutputKey><OutputValue>%d</OutputValue></member></Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`,
			name, design.Step(step).StackStep(kind))
	}))
}

var (
	analysisOnce sync.Once
	analysis     *rollout.Analysis
	analysisErr  error
)

func setup(t *testing.T, initial string) (opts Options, cdkLog string) {
	t.Helper()
	analysisOnce.Do(func() {
		root, err := synth.Root()
		if err != nil {
			analysisErr = err
			return
		}
		analysis, analysisErr = stepdiff.Analysis(context.Background(), root, "test", io.Discard)
	})
	if analysisErr != nil {
		t.Fatal(analysisErr)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cdk"), []byte(standInCDK), 0o755); err != nil {
		t.Fatal(err)
	}
	state, cdkLog := filepath.Join(dir, "state"), filepath.Join(dir, "cdk.log")
	if err := os.WriteFile(state, []byte(initial), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("CDK_LOG", cdkLog)
	t.Setenv("STACK_STATE", state)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	srv := describeStacks(t, state)
	t.Cleanup(srv.Close)
	cf, err := NewCloudFormation(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cdk, err := exec.LookPath("cdk")
	if err != nil || filepath.Dir(cdk) != dir {
		t.Fatalf("the stand-in cdk is not first on PATH: %s %v", cdk, err)
	}
	out := &bytes.Buffer{}
	// A wait the guard requires is written down, not waited for.
	sleep := func(_ context.Context, d time.Duration) error {
		fmt.Fprintf(out, "[slept %s]\n", d.Round(time.Second))
		return nil
	}
	return Options{Root: dir, Stage: "test", To: design.FinalStep, Yes: true, CDK: cdk, Stacks: cf, Analysis: analysis,
		Stdin: strings.NewReader(""), Stdout: out, Sleep: sleep}, cdkLog
}

func commands(t *testing.T, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			out = append(out, strings.TrimSuffix(l, " --require-approval never"))
		}
	}
	return out
}

func deploy(step int, stack string) string {
	return fmt.Sprintf("deploy -c stage=test -c step=%d %s", step, stack)
}

const (
	wr = "wild-rydes-test"
	rr = "wild-rydes-ride-record-test"
)

func TestRollout(t *testing.T) {
	cases := []struct {
		name, initial string
		to            design.Step
		fail, also    string
		want          []string
		err           string // part of the error, "" for success
	}{
		{name: "a new account is installed step by step, ride-record first", to: design.FinalStep,
			want: []string{deploy(1, rr), deploy(2, wr), deploy(3, rr), deploy(4, wr), deploy(5, rr), deploy(6, rr)}},
		{name: "the synchronous design moves forward one step at a time", initial: wr + " 0\n" + rr + " 0\n", to: design.FinalStep,
			want: []string{deploy(1, rr), deploy(2, wr), deploy(3, rr), deploy(4, wr), deploy(5, rr), deploy(6, rr)}},
		{name: "a rollback to step 0 undoes the steps in reverse order", initial: wr + " 5\n" + rr + " 5\n", to: design.StepSynchronous,
			want: []string{deploy(3, rr), deploy(2, wr), deploy(1, rr), deploy(0, wr), deploy(0, rr)}},
		{name: "a stack deployed by hand during the rollout is reported, not overwritten", to: design.FinalStep, also: rr + " 0",
			want: []string{deploy(1, rr)}, err: "someone deployed by hand"},
		{name: "the rollout stops at the first failing deploy", initial: wr + " 0\n" + rr + " 0\n", to: design.FinalStep, fail: wr + " 2",
			want: []string{deploy(1, rr), deploy(2, wr)}, err: "move 2 failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts, log := setup(t, c.initial)
			t.Setenv("FAIL_ON", c.fail)
			t.Setenv("ALSO", c.also)
			opts.To = c.to
			err := Run(context.Background(), opts)
			switch {
			case c.err == "" && err != nil:
				t.Errorf("rollout failed: %v\n%s", err, opts.Stdout)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("error %v, want one saying %q", err, c.err)
			}
			if got := commands(t, log); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("cdk ran:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
			t.Logf("%v\n%s", err, opts.Stdout)
		})
	}
}

func TestADryRunDeploysNothing(t *testing.T) {
	opts, log := setup(t, "")
	opts.DryRun = true
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got := commands(t, log); len(got) != 0 {
		t.Errorf("a dry run ran cdk: %v", got)
	}
	if out := opts.Stdout.(*bytes.Buffer).String(); !strings.Contains(out, "cdk deploy -c stage=test -c step=6 "+rr) {
		t.Errorf("the plan does not show the last move:\n%s", out)
	}
}

func TestWithoutYesEveryDeployIsAskedFor(t *testing.T) {
	opts, log := setup(t, wr+" 3\n"+rr+" 3\n")
	opts.Yes = false
	opts.Stdin = strings.NewReader("y\nn\n")
	err := Run(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "stopped before move 2") {
		t.Errorf("error %v, want a stop before move 2", err)
	}
	if got := commands(t, log); len(got) != 1 || got[0] != deploy(4, wr) {
		t.Errorf("cdk ran %v, want only the accepted first move", got)
	}
}

func TestThePlanShowsEachMovesOfflineDiff(t *testing.T) {
	opts, log := setup(t, wr+" 3\n"+rr+" 3\n")
	opts.DryRun = true
	root, err := synth.Root()
	if err != nil {
		t.Fatal(err)
	}
	steps, err := synth.Synthesize(context.Background(), synth.Options{Root: root, Stage: "test", Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	opts.Diff = func(ctx context.Context, d rollout.Deploy) (string, error) {
		return stepdiff.MoveDiff(ctx, root, steps, d.Kind, d.From.Of(d.Kind), d.Step)
	}
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	out := opts.Stdout.(*bytes.Buffer).String()
	for _, want := range []string{"RIDES_SNS_TOPIC_ARN", "BillingMode", "RideRecordSubscriberReady"} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan's diffs do not show %s:\n%s", want, out)
		}
	}
	if got := commands(t, log); len(got) != 0 {
		t.Errorf("a dry run ran cdk: %v", got)
	}
}

// No ride dropped by a rollback: ride-record lets PutRideRecordSns go only once the rides
// published before wild-rydes stopped publishing have drained, and the rollout waits for it.
func TestARollbackWaitsForTheRidesPublishedBeforeToDrainBeforeTheSubscriberGoes(t *testing.T) {
	opts, log := setup(t, wr+" 4\n"+rr+" 3\n")
	opts.To = design.StepTopic
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	out := opts.Stdout.(*bytes.Buffer).String()
	t.Log(out)
	want := []string{deploy(2, wr), deploy(1, rr)}
	if got := commands(t, log); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("cdk ran %v, want %v", got, want)
	}
	plan, first, waited, second := strings.Index(out, `allowed 11m20s after move 1: /wild-rydes/test/RideDelivery must have been "http" or absent that long`),
		strings.Index(out, "=== 1/2"), strings.Index(out, "Waiting 11m20s before move 2"), strings.Index(out, "=== 2/2")
	if plan < 0 || !(first < waited && waited < second) || !strings.Contains(out, "[slept 11m20s]") {
		t.Errorf("the plan does not say when move 2 is allowed, or the rollout did not wait for it between the moves (plan %d, move 1 %d, wait %d, move 2 %d)", plan, first, waited, second)
	}
}
