// Package local runs the whole Wild Rydes system on this machine from the synthesized templates:
// the data services in an AWS emulator (moto), every function as its real Go binary under a local
// Lambda Runtime API, the HTTP API routes on loopback, and SNS to Lambda with Lambda's
// asynchronous retries and dead-letter queue.
package local

import (
	"context"
	"errors"
	"fmt"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

// Options configure a local system.
type Options struct {
	// Root is the repository; the functions are built from its lambdas/ folders.
	Root string
	// Endpoint of an AWS-compatible emulator; empty starts moto_server (AWS_ENDPOINT_URL is the
	// usual way to set it).
	Endpoint string
	// Region the emulator's resources live in; default us-east-1.
	Region string
	// RetryDelays between Lambda's asynchronous attempts. AWS waits about 1 and then 2 minutes;
	// the default here is 1 s and 2 s so a demo shows the whole path.
	RetryDelays []time.Duration
	// Concurrency caps each function's warm processes (a function's reserved concurrency in the
	// template lowers it); default 8.
	Concurrency int
	// StateFile receives the endpoints and names, for the load and dlq commands; empty: none.
	StateFile string
	// Log receives the system's progress lines and the functions' logs.
	Log io.Writer
	// APIPort serves the API riders book rides on, RecordPort the one that records them, and
	// EmulatorPort the moto_server this system starts; 0 picks a free port (the tests do).
	APIPort, RecordPort, EmulatorPort int
	// ConsolePort is the web console's loopback port (0: any free port).
	ConsolePort int
}

// System is a running local Wild Rydes.
type System struct {
	opts     Options
	emu      *emulator
	aws      clients
	fault    *tableFault
	faultSrv *http.Server
	faultURL string
	apiFront *routeFront         // the ride API on Options.APIPort
	recFront *routeFront         // the record API on Options.RecordPort
	roleAPIs map[string]*httpAPI // "ride", "record": the APIs the fronts serve (guarded by mu)
	snsSrv   *http.Server
	snsURL   string
	bridge   *bridge
	builder  *builder
	async    *asyncInvoker
	events   Events
	console  string // the web console's URL, for the state file

	mu        sync.Mutex
	stacks    map[string]*deployed // by stack name
	functions map[string]*function // by ARN
	apis      map[string]*httpAPI  // by API ID
	queues    map[string]string    // queue ARN -> URL
}

// Start brings up the emulator, the fault switch and the SNS bridge. Deploy stacks next.
func Start(ctx context.Context, opts Options) (*System, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.RetryDelays == nil {
		opts.RetryDelays = []time.Duration{time.Second, 2 * time.Second}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Root == "" {
		return nil, errors.New("local: Options.Root (the repository) is required")
	}
	s := &System{opts: opts, stacks: map[string]*deployed{}, functions: map[string]*function{},
		apis: map[string]*httpAPI{}, queues: map[string]string{}}

	var err error
	// The public listeners first, so that a port in use stops the start before anything runs.
	if s.apiFront, err = s.startFront("api", opts.APIPort, "ride"); err != nil {
		return nil, err
	}
	if s.recFront, err = s.startFront("record", opts.RecordPort, "record"); err != nil {
		s.Close()
		return nil, err
	}
	if opts.Endpoint != "" {
		s.emu = &emulator{endpoint: opts.Endpoint}
		if err := s.emu.waitReady(ctx, 10*time.Second); err != nil {
			s.Close()
			return nil, fmt.Errorf("the emulator at %s does not answer: %w", opts.Endpoint, err)
		}
		fmt.Fprintf(opts.Log, "emulator: %s (given)\n", opts.Endpoint)
	} else if s.emu, err = startEmulator(ctx, opts.Log, opts.EmulatorPort); err != nil {
		s.Close()
		return nil, err
	}
	s.aws = newClients(s.emu.endpoint, opts.Region)

	if s.fault, err = newTableFault(s.emu.endpoint); err != nil {
		s.Close()
		return nil, err
	}
	var faultAddr string
	if s.faultSrv, faultAddr, err = serve(s.fault); err != nil {
		s.Close()
		return nil, err
	}
	s.faultURL = "http://" + faultAddr
	s.async = newAsyncInvoker(s)
	if s.bridge, err = newBridge(s); err != nil {
		s.Close()
		return nil, err
	}
	front, err := newSNSFront(s)
	if err != nil {
		s.Close()
		return nil, err
	}
	var snsAddr string
	if s.snsSrv, snsAddr, err = serve(front); err != nil {
		s.Close()
		return nil, err
	}
	s.snsURL = "http://" + snsAddr
	s.builder = &builder{root: opts.Root, dir: binDir(opts.Root), log: opts.Log}
	return s, nil
}

// serve runs h on a free loopback port.
func serve(h http.Handler) (*http.Server, string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("listening on loopback: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv, l.Addr().String(), nil
}

// SetTableUnavailable turns the DynamoDB fault on for d, or off with d <= 0.
func (s *System) SetTableUnavailable(d time.Duration) {
	s.fault.set(d)
	s.events.publish(Event{Kind: "fault", OK: d <= 0, Duration: d})
	if d > 0 {
		fmt.Fprintf(s.opts.Log, "fault: the ride table is unavailable for %s\n", d)
	} else {
		fmt.Fprintln(s.opts.Log, "fault: the ride table is available again")
	}
}

// WaitIdle waits until no asynchronous invocation is queued, running or waiting for a retry.
func (s *System) WaitIdle(ctx context.Context) error { return s.async.waitIdle(ctx) }

// State is what other commands need to reach the running system (the state file's schema).
type State = localstate.State

// StackState is one deployed stack: its outputs and physical IDs.
type StackState = localstate.StackState

// State describes the running system. The APIs, the ride table and the dead-letter queue are
// found by their roles in the model of the deployed templates.
func (s *System) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Region: s.opts.Region, Endpoint: s.emu.endpoint, DynamoDB: s.faultURL, ConsoleUrl: s.console,
		Admin: s.bridge.url + "/_local", Stacks: map[string]StackState{}, Tables: map[string]string{}, Queues: map[string]string{}}
	var names []string
	for name := range s.stacks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d := s.stacks[name]
		st.Stacks[name] = StackState{Outputs: d.outputs, Physical: d.physicalIDs()}
		for id, r := range d.resources {
			switch r.typ {
			case "AWS::DynamoDB::Table":
				st.Tables[id] = r.physical
			case "AWS::SQS::Queue":
				st.Queues[id] = r.attrs["QueueUrl"]
			}
		}
	}
	sys, err := s.deployedModel()
	if err != nil {
		return st
	}
	physical := func(r *model.Resource) *resource {
		if d := s.stacks[r.Stack.Name]; d != nil {
			return d.resources[r.LogicalID]
		}
		return nil
	}
	roles := s.findRoleAPIs(sys)
	if roles["ride"] != nil {
		st.ApiUrl = s.apiFront.url
	}
	if roles["record"] != nil {
		st.RecordApiUrl = s.recFront.url
	}
	if table, dlq, err := sys.RideStore(); err == nil {
		if res := physical(&table.Resource); res != nil {
			st.RideTable = res.physical
		}
		if dlq != nil {
			if res := physical(&dlq.Resource); res != nil {
				st.DeadLetterQueueUrl = res.attrs["QueueUrl"]
			}
		}
	}
	return st
}

func (s *System) writeState() error {
	if s.opts.StateFile == "" {
		return nil
	}
	return s.State().Write(s.opts.StateFile)
}

// Close stops everything this system started: functions, listeners, the emulator if it started
// it. Queued asynchronous events that did not run are reported in the log.
func (s *System) Close() {
	if s.async != nil {
		if n := s.async.stop(); n > 0 {
			fmt.Fprintf(s.opts.Log, "local: %d asynchronous invocations were still pending at shutdown\n", n)
		}
	}
	s.mu.Lock()
	fns := s.functions
	apis := s.apis
	s.functions, s.apis = map[string]*function{}, map[string]*httpAPI{}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, f := range fns {
		wg.Add(1)
		go func(f *function) { defer wg.Done(); _ = f.rt.Close() }(f)
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, a := range apis {
		_ = a.srv.Shutdown(ctx)
	}
	if s.bridge != nil {
		_ = s.bridge.srv.Shutdown(ctx)
	}
	if s.faultSrv != nil {
		_ = s.faultSrv.Shutdown(ctx)
	}
	if s.snsSrv != nil {
		_ = s.snsSrv.Shutdown(ctx)
	}
	for _, f := range []*routeFront{s.apiFront, s.recFront} {
		if f != nil {
			_ = f.srv.Shutdown(ctx)
		}
	}
	if s.emu != nil {
		s.emu.close()
	}
	if s.opts.StateFile != "" {
		_ = os.Remove(s.opts.StateFile)
	}
}
