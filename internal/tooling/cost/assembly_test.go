package cost

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// The tests price what stacks/ synthesizes today: "step0" (the synchronous design: RequestRide
// POSTs every ride to PutRideRecord behind POST /record, a provisioned table) and "final" (the
// SNS design with an on-demand table). Both are synthesized once per run with the pinned CDK CLI
// into the cache the other test packages share (stage "test"), so a warm run synthesizes nothing
// and nothing here keeps a copy of a template.
var (
	synthOnce sync.Once
	synthDirs map[string]string
	synthErr  error
)

// assemblyDir returns the cloud assembly directory of "step0" or "final", synthesizing both on
// first use.
func assemblyDir(t testing.TB, name string) string {
	t.Helper()
	synthOnce.Do(func() {
		steps, err := synth.Synthesize(context.Background(), synth.Options{Stage: "test", Log: os.Stderr})
		if err != nil {
			synthErr = err
			return
		}
		dirs := map[string]string{}
		for _, s := range []struct {
			name string
			step design.Step
		}{{"step0", design.StepSynchronous}, {"final", design.FinalStep}} {
			asm, err := steps.Assembly(s.step)
			if err != nil {
				synthErr = fmt.Errorf("%s (step %d): %w", s.name, s.step, err)
				return
			}
			dirs[s.name] = asm.Dir
		}
		synthDirs = dirs
	})
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	dir, ok := synthDirs[name]
	if !ok {
		t.Fatalf("no assembly %q: the tests synthesize step0 and final", name)
	}
	return dir
}

// loadAssembly loads a fresh copy of an assembly, which the test may change.
func loadAssembly(t testing.TB, name string) *cfn.Assembly {
	t.Helper()
	a, err := cfn.LoadAssembly(assemblyDir(t, name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return a
}

// rideTable returns the template's RideRecordTable, the table every ride is written to.
func rideTable(t testing.TB, name string) cfn.Resource {
	t.Helper()
	for _, s := range loadAssembly(t, name).Stacks {
		if r, ok := s.Template.Resources["RideRecordTable"]; ok && r.Type == "AWS::DynamoDB::Table" {
			return r
		}
	}
	t.Fatalf("%s has no RideRecordTable", name)
	return cfn.Resource{}
}

// provisionedCapacity returns the write and read capacity units the template gives
// RideRecordTable, failing unless the table is provisioned.
func provisionedCapacity(t testing.TB, name string) (wcu, rcu float64) {
	t.Helper()
	r := rideTable(t, name)
	if mode, _ := r.Properties["BillingMode"].(string); mode != "" && mode != "PROVISIONED" {
		t.Fatalf("%s: RideRecordTable is %s, want provisioned", name, mode)
	}
	pt, _ := r.Properties["ProvisionedThroughput"].(map[string]any)
	wcu, okW := cfn.Number(pt["WriteCapacityUnits"])
	rcu, okR := cfn.Number(pt["ReadCapacityUnits"])
	if !okW || !okR || wcu <= 0 || rcu <= 0 {
		t.Fatalf("%s: RideRecordTable's ProvisionedThroughput = %v, want literal positive capacities", name, pt)
	}
	return wcu, rcu
}

// resourcesOfType lists the logical IDs of one resource type across an assembly's stacks.
func resourcesOfType(t testing.TB, name, typ string) []string {
	t.Helper()
	var ids []string
	for _, s := range loadAssembly(t, name).Stacks {
		for _, r := range s.Template.ResourcesOfType(typ) {
			ids = append(ids, r.LogicalID)
		}
	}
	return ids
}
