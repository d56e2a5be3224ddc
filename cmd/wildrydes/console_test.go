package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/console"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
)

// The console's "Deploy the next step" runs the rollout `local --step N` knows: from step 3 to
// step 4 RequestRide stops calling POST /record and only publishes to the topic.
func TestTheConsoleDeploysTheNextStepAndThePathMovesFromHTTPToSNS(t *testing.T) {
	ctx := context.Background()
	env := localtest.Load(t)
	steps, stage := env.Steps, localtest.Stage
	sys := env.Start(t, localtest.Options{Path: []design.Step{design.StepSynchronous, design.StepSharedPutPath, design.StepTopic, design.StepSubscriber}})
	ro := &localRollout{steps: steps, step: design.StepSubscriber, sys: sys, log: io.Discard}
	current, err := steps.Assembly(design.StepSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := serveConsole(sys, current, ro, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if st, err := sys.State(); err != nil || st.ConsoleUrl != url {
		t.Errorf("the state file's ConsoleUrl is %q (%v), want %q", st.ConsoleUrl, err, url)
	}

	req, _ := http.NewRequestWithContext(ctx, "GET", url+"api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := topologies(resp.Body)
	// Step 2 already grants sns:Publish, so the topic edge is there before the switch.
	if top := <-events; !requestRide(top, "HTTP") || !requestRide(top, "publish") {
		t.Fatalf("at step 3 RequestRide should POST to /record, and may publish: %+v", top.Edges)
	}
	deploy, _ := http.NewRequestWithContext(ctx, "POST", url+"api/deploy", strings.NewReader("{}"))
	deploy.Header.Set("Content-Type", "application/json")
	deploy.Header.Set("Authorization", "Bearer "+sys.AdminToken()) // as the console's page sends it
	if r, err := http.DefaultClient.Do(deploy); err != nil || r.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/deploy = %v %v", r, err)
	}
	select {
	case top := <-events:
		if !requestRide(top, "publish") || requestRide(top, "HTTP") {
			t.Errorf("after deploying step 4 RequestRide should publish, not POST: %+v", top.Edges)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("no new topology two minutes after deploying the next step")
	}
	if got := ro.stackSteps(); got[design.StackName(design.WildRydes, stage)] != int(design.StepPublish) {
		t.Errorf("steps after the deploy: %v, want %s at step %d", got, design.StackName(design.WildRydes, stage), design.StepPublish)
	}
}

// requestRide says whether the function a POST /ride route invokes has an edge labelled label.
func requestRide(top console.Topology, label string) bool {
	fns := map[string]bool{}
	names := map[string]string{}
	for _, n := range top.Nodes {
		names[n.ID] = n.Label
	}
	for _, e := range top.Edges {
		if e.Label == "invokes" && names[e.From] == "POST /ride" {
			fns[e.To] = true
		}
	}
	for _, e := range top.Edges {
		if fns[e.From] && e.Label == label {
			return true
		}
	}
	return false
}

// topologies are the topology events of a console's event stream.
func topologies(r io.Reader) <-chan console.Topology {
	ch := make(chan console.Topology, 4)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		topology := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "event: topology":
				topology = true
			case topology && strings.HasPrefix(line, "data: "):
				var t console.Topology
				if json.Unmarshal([]byte(line[6:]), &t) == nil {
					ch <- t
				}
				topology = false
			case strings.HasPrefix(line, "event: "):
				topology = false
			}
		}
	}()
	return ch
}
