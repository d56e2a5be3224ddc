package rolloutcli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
)

// TestRolloutLocalUnderTraffic runs `wildrydes rollout --local` from step 0 to the final state
// while two clients request rides, then attempts the deploys CloudFormation refuses.
func TestRolloutLocalUnderTraffic(t *testing.T) {
	ctx := context.Background()
	env := localtest.Load(t)
	steps := env.Steps
	asms, err := steps.All()
	if err != nil {
		t.Fatal(err)
	}
	stateFile := filepath.Join(t.TempDir(), "state.json")
	// The rollout's safety alone, without AWS's limits: this traffic is over step 0's single
	// write unit once its burst capacity is spent (internal/tooling/local/limits_test.go).
	sys := env.Start(t, localtest.Options{Path: []design.Step{design.StepSynchronous}, StateFile: stateFile, NoLimits: true})
	st, err := sys.State()
	if err != nil {
		t.Fatal(err)
	}
	rideURL := st.ApiUrl + "/ride"
	stacks := LocalCloudFormation(st)

	var mu sync.Mutex
	var accepted []string
	var failures []string
	stop := make(chan struct{})
	var clients sync.WaitGroup
	for range 2 {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				id, status, body := requestRide(rideURL)
				mu.Lock()
				if status == http.StatusCreated {
					accepted = append(accepted, id)
				} else {
					failures = append(failures, body)
				}
				mu.Unlock()
			}
		}()
	}

	// Each deploy starts once the clients have had ridesPerDeploy more rides accepted since the
	// last one began: every move runs under traffic however fast the machine deploys.
	const ridesPerDeploy = 9 // 6 moves: at least 54 rides, over the 50 asserted below
	seen := 0
	deploy := LocalDeploy(stateFile, steps)
	underTraffic := func(ctx context.Context, d rollout.Deploy) error {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			n := len(accepted)
			mu.Unlock()
			if n >= seen+ridesPerDeploy {
				seen = n
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("only %d rides accepted in 30 s before deploying %s at step %d", n-seen, d.Kind, d.Step)
			}
		}
		return deploy(ctx, d)
	}
	var out bytes.Buffer
	err = Run(ctx, Options{Stage: "test", To: design.FinalStep, Yes: true, Stacks: stacks,
		Deploy: underTraffic, Analysis: rollout.New(rollout.FromAssemblies(asms, "test")),
		Stdin: strings.NewReader(""), Stdout: &out})
	time.Sleep(200 * time.Millisecond)
	close(stop)
	clients.Wait()
	if err != nil {
		t.Fatalf("rollout --local: %v\n%s", err, out.String())
	}
	if err := sys.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s\n%d rides accepted during the rollout, %d requests failed", out.String(), len(accepted), len(failures))

	if len(failures) > 0 {
		t.Errorf("%d requests were not answered 201, e.g. %s", len(failures), failures[0])
	}
	if len(accepted) < 50 {
		t.Errorf("only %d rides were accepted during the rollout", len(accepted))
	}
	stored := storedRides(t, sys)
	for _, id := range accepted {
		if stored[id] != 1 {
			t.Errorf("ride %s, accepted, is stored %d times", id, stored[id])
		}
	}

	// Every deploy CloudFormation refuses from here, by the analysis of the templates, fails
	// locally too, naming the same parameter.
	a := rollout.New(rollout.FromAssemblies(asms, "test"))
	final, err := where(ctx, stacks, "test")
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, kind := range rollout.Kinds {
		for _, step := range design.Steps() {
			v, err := a.Evaluate(ctx, rollout.Deploy{From: final, Kind: kind, Step: step})
			if err != nil {
				t.Fatal(err)
			}
			if !v.Refused {
				continue
			}
			refused++
			err = LocalDeploy(stateFile, steps)(ctx, v.Deploy)
			if err == nil || !strings.Contains(err.Error(), v.Parameter) {
				t.Errorf("deploying %s at step %d locally: %v, want the refusal naming %s", kind, step, err, v.Parameter)
			}
		}
	}
	if refused == 0 {
		t.Error("no deploy from the final state is refused: the rollbacks in the wrong order should be")
	}
	t.Logf("%d deploys refused from the final state, each refused locally too", refused)
	at, err := where(ctx, stacks, "test")
	if want := (rollout.Pair{WildRydes: rollout.State(design.FinalStep.StackStep(design.WildRydes)), RideRecord: rollout.State(design.FinalStep)}); err != nil || at != want {
		t.Errorf("after the refused deploys the system is at %v (%v), want %v", at, err, want)
	}
	id, status, body := requestRide(rideURL)
	if status != http.StatusCreated {
		t.Fatalf("after the refused deploys POST /ride = %d %s", status, body)
	}
	deadline := time.Now().Add(3 * time.Second)
	for storedRides(t, sys)[id] != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("ride %s, accepted after the refused deploys, is not in the table", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func requestRide(url string) (id string, status int, body string) {
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`))
	if err != nil {
		return "", 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r struct{ RideId string }
	_ = json.Unmarshal(b, &r)
	return r.RideId, resp.StatusCode, string(b)
}

// storedRides counts the items of the ride table by RideId.
func storedRides(t *testing.T, sys *local.System) map[string]int {
	t.Helper()
	st, err := sys.State()
	if err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(st.Config())
	out := map[string]int{}
	var start map[string]ddbtypes.AttributeValue
	for {
		page, err := ddb.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(st.RideTable), ExclusiveStartKey: start})
		if err != nil {
			t.Fatalf("scanning %s: %v", st.RideTable, err)
		}
		for _, item := range page.Items {
			if v, ok := item["RideId"].(*ddbtypes.AttributeValueMemberS); ok {
				out[v.Value]++
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out
		}
		start = page.LastEvaluatedKey
	}
}
