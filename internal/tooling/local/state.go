package local

import (
	"maps"
	"slices"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/deploy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// State is what other commands need to reach the running system (the state file's schema).
type State = localstate.State

// State describes the running system. The APIs, tables, queues, the ride table and the
// dead-letter queue are found in the model of the deployed templates; an error says the model
// could not be made of them.
func (s *System) State() (State, error) {
	stacks := s.engine.Stacks()
	st := State{Region: s.opts.Region, Endpoint: s.emu.Endpoint, DynamoDB: s.table.URL(), SQS: s.sqs.URL(), SNS: s.sns.URL(),
		Admin: s.admin.URL(), AdminToken: s.token, CloudFormation: s.cfn.URL,
		Stacks: map[string]localstate.StackState{}, Tables: map[string]string{}, Queues: map[string]string{}}
	s.mu.Lock()
	st.ConsoleUrl = s.console
	s.mu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(stacks)) {
		st.Stacks[name] = localstate.StackState{Outputs: stacks[name].Outputs, Physical: stacks[name].PhysicalIDs()}
	}
	sys, err := s.engine.Model()
	if err != nil {
		return st, err
	}
	physical := func(r *model.Resource) *deploy.Resource {
		if d := stacks[r.Stack.Name]; d != nil {
			return d.Resources[r.LogicalID]
		}
		return nil
	}
	for _, t := range sys.Tables() {
		if res := physical(&t.Resource); res != nil {
			st.Tables[t.LogicalID] = res.Physical
		}
	}
	for _, stack := range sys.Stacks {
		for _, q := range stack.Queues {
			if res := physical(&q.Resource); res != nil {
				st.Queues[q.LogicalID] = res.Attrs["QueueUrl"]
			}
		}
	}
	roles := roleAPIs(sys, stacks)
	if roles[rideRole] != "" {
		st.ApiUrl = s.fronts[rideRole]
	}
	if roles[recordRole] != "" {
		st.RecordApiUrl = s.fronts[recordRole]
	}
	if table, dlq, err := sys.RideStore(); err == nil {
		if res := physical(&table.Resource); res != nil {
			st.RideTable = res.Physical
		}
		if dlq != nil {
			if res := physical(&dlq.Resource); res != nil {
				st.DeadLetterQueueUrl = res.Attrs["QueueUrl"]
			}
		}
		if q := sys.UnstorableQueue(table); q != nil {
			if res := physical(&q.Resource); res != nil {
				st.UnstorableQueueUrl = res.Attrs["QueueUrl"]
			}
		}
	}
	return st, nil
}

// roleAPIs finds, in the model of the deployed stacks, the API riders book rides on (a route
// invokes a function that hands off rides) and the API that records them (a route invokes a
// function that stores rides): role -> the API's physical ID.
func roleAPIs(sys *model.System, stacks map[string]*deploy.Stack) map[string]string {
	out := map[string]string{}
	for _, r := range sys.Routes() {
		if r.Function == nil || r.API == nil {
			continue
		}
		d := stacks[r.API.Stack.Name]
		if d == nil || d.Resources[r.API.LogicalID] == nil {
			continue
		}
		api := d.Resources[r.API.LogicalID].Physical
		switch {
		case r.Function.HandsOffRides():
			out[rideRole] = api
		case sys.StoredBy(r.Function) != nil:
			out[recordRole] = api
		}
	}
	return out
}

// writeState writes the state file, if any. The caller holds s.published.
func (s *System) writeState() error {
	if s.opts.StateFile == "" {
		return nil
	}
	st, err := s.State()
	if err != nil {
		return err
	}
	return st.Write(s.opts.StateFile)
}
