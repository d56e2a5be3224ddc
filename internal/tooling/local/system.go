// Package local runs the whole Wild Rydes system on this machine from the synthesized templates:
// the data services in an AWS emulator (moto), every function as its real Go binary under a local
// Lambda Runtime API, the HTTP API routes on loopback, and SNS to Lambda with Lambda's
// asynchronous retries and dead-letter queue. System wires the services of the packages below it
// (emulator, ddbproxy, lambda, sns, apigw, deploy, admin, events) and is what commands and tests
// hold.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/admin"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/apigw"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudformation"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/ddbproxy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/deploy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/emulator"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/events"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/sns"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/sqsproxy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// Options configure a local system.
type Options struct {
	// Root is the repository; the functions are built from its lambdas/ folders.
	Root string
	// Endpoint of an AWS-compatible emulator; empty starts moto_server (AWS_ENDPOINT_URL is the
	// usual way to set it).
	Endpoint string
	// Region the emulator's resources live in; default localstate.Region.
	Region string
	// AccountID is the AWS account the system runs in, default localstate.AccountID: the
	// emulator's, whose ARNs must name the same account (emulator.Front puts systems that share
	// one moto_server in accounts of their own).
	AccountID string
	// TimeScale runs AWS's timings that take minutes (Lambda's asynchronous retry delays, an
	// event's maximum age, CloudWatch's periods and alarm evaluations, a custom resource's
	// ServiceTimeout) this many times faster than on AWS; below 1: their real length.
	TimeScale float64
	// NoLimits turns AWS's limits off: tables take every request whatever their capacity, and
	// Lambda runs every invocation whatever its concurrency.
	NoLimits bool
	// AccountConcurrency is the account's Lambda concurrency (0: Lambda's default, 1,000).
	AccountConcurrency int
	// Concurrency caps each function's processes on this machine (0: as many as Lambda's
	// concurrency allows; with NoLimits, 8, lowered by a function's reserved concurrency).
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

// PortInUseError says a fixed port the local system was asked to listen on is taken.
type PortInUseError = loopback.PortInUseError

// The roles of the fronts: the API riders book rides on, and the one that records them.
const (
	rideRole   = "ride"
	recordRole = "record"
)

// System is a running local Wild Rydes.
type System struct {
	opts       Options
	clock      *clock.Clock
	metrics    *cloudwatch.Store
	cloudwatch *cloudwatch.Service
	sqs        *sqsproxy.Proxy
	stop       context.CancelFunc // the system's own loops (alarm evaluation, queue sampling)
	loops      sync.WaitGroup
	emu        *emulator.Emulator
	// functions is the functions' way to the emulator (SSM), with the parameter store fault.
	functions *emulator.Functions
	events    events.Feed
	table     *ddbproxy.Proxy
	lambda    *lambda.Service
	sns       *sns.Service
	gateway   *apigw.Gateway
	admin     *admin.Server
	cfn       *cloudformation.Server
	engine    *deploy.Engine
	fronts    map[string]string // role -> the front's URL
	token     string            // the admin endpoints' and the console's controls' (the state file's AdminToken)

	published sync.Mutex // the fronts' roles and the state file, made after each deploy

	mu      sync.Mutex
	console string // the web console's URL, for the state file
}

// Start brings up the emulator and the local services. Deploy stacks next.
func Start(ctx context.Context, opts Options) (*System, error) {
	if opts.Region == "" {
		opts.Region = localstate.Region
	}
	if opts.AccountID == "" {
		opts.AccountID = localstate.AccountID
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Root == "" {
		return nil, errors.New("local: Options.Root (the repository) is required")
	}
	// The public listeners first, so that a port in use stops the start before anything runs.
	apiL, err := loopback.Listen("api", opts.APIPort)
	if err != nil {
		return nil, err
	}
	recL, err := loopback.Listen("record", opts.RecordPort)
	if err != nil {
		apiL.Close()
		return nil, err
	}
	s := &System{opts: opts, clock: clock.Scaled(opts.TimeScale), token: localstate.NewToken()}
	s.cloudwatch = cloudwatch.New(cloudwatch.Options{Clock: s.clock, Region: opts.Region, Account: opts.AccountID,
		Log: opts.Log, Topics: topics{s}})
	s.metrics = s.cloudwatch.Store
	if err := s.start(ctx, apiL, recL); err != nil {
		apiL.Close()
		recL.Close()
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *System) start(ctx context.Context, apiL, recL net.Listener) error {
	opts := s.opts
	var err error
	if opts.Endpoint != "" {
		if s.emu, err = emulator.Given(ctx, opts.Endpoint); err != nil {
			return err
		}
		fmt.Fprintf(opts.Log, "emulator: %s (given)\n", opts.Endpoint)
	} else if s.emu, err = emulator.Start(ctx, opts.Log, opts.EmulatorPort); err != nil {
		return err
	}
	clients := deploy.NewClients(localstate.Config(opts.Region, s.emu.Endpoint))
	if s.functions, err = s.emu.ServeFunctions(); err != nil {
		return err
	}
	if s.table, err = ddbproxy.Start(s.emu.Endpoint, ddbproxy.Options{Limits: !opts.NoLimits, Metrics: s.metrics}); err != nil {
		return err
	}
	if s.sqs, err = sqsproxy.Start(s.emu.Endpoint, s.metrics, s.clock); err != nil {
		return err
	}
	viaProxy := sqs.NewFromConfig(localstate.Config(opts.Region, s.sqs.URL()))
	s.lambda = lambda.NewService(lambda.Options{Limits: !opts.NoLimits, AccountConcurrency: opts.AccountConcurrency,
		Concurrency: opts.Concurrency, Clock: s.clock, Metrics: s.metrics, EMF: s.metrics,
		DeadLetters: viaProxy, Events: &s.events, Log: opts.Log})
	if s.sns, err = sns.Start(s.emu.Endpoint, s.lambda, &s.events); err != nil {
		return err
	}
	s.sns.Now = s.clock.Now // emails are dated as the alarms' changes are
	s.gateway = apigw.New(apigw.Options{Region: opts.Region, AccountID: opts.AccountID, Invoker: s.lambda, Events: &s.events, Log: opts.Log, Metrics: s.metrics})
	s.fronts = map[string]string{rideRole: s.gateway.Front(apiL, rideRole), recordRole: s.gateway.Front(recL, recordRole)}
	if s.cfn, err = cloudformation.Listen(); err != nil {
		return err
	}
	s.engine = deploy.New(deploy.Services{Region: opts.Region, AccountID: opts.AccountID, AWS: clients, Tables: s.table, Gateway: s.gateway, Lambda: s.lambda,
		SNS: s.sns, CloudWatch: s.cloudwatch, Builder: lambda.NewBuilder(opts.Root, opts.Log), Log: opts.Log,
		Responses: s.cfn.ResponsesURL(), Clock: s.clock, Changed: s.stacksChanged,
		FunctionEnv: map[string]string{
			"AWS_REGION": opts.Region, "AWS_DEFAULT_REGION": opts.Region,
			"AWS_ACCESS_KEY_ID": localstate.AccessKeyID, "AWS_SECRET_ACCESS_KEY": localstate.SecretAccessKey,
			"AWS_ENDPOINT_URL": s.functions.URL(), "AWS_ENDPOINT_URL_DYNAMODB": s.table.URL(), "AWS_ENDPOINT_URL_SNS": s.sns.URL(),
			"AWS_ENDPOINT_URL_SQS":            s.sqs.URL(),
			"AWS_ENDPOINT_URL_CLOUDFORMATION": s.cfn.URL,
			// How much faster than wall time the AWS durations a function compares with now
			// pass here (only the rollout guard's conditions read it).
			design.EnvLocalTimeScale:    strconv.FormatFloat(s.clock.Scale(), 'g', -1, 64),
			"AWS_EC2_METADATA_DISABLED": "true",
		}})
	s.cfn.Serve(s.engine)
	if s.admin, err = admin.Start(s, opts.Root, s.token); err != nil {
		return err
	}
	s.runLoops()
	return nil
}

// SetTableUnavailable makes the ride table unavailable for d, or available again with d <= 0.
func (s *System) SetTableUnavailable(d time.Duration) {
	st, err := s.State()
	if d > 0 && (err != nil || st.RideTable == "") {
		fmt.Fprintf(s.opts.Log, "fault: no ride table to make unavailable (%v)\n", err)
		return
	}
	s.table.SetUnavailable(st.RideTable, d)
	s.events.Publish(events.Event{Kind: "fault", OK: d <= 0, Duration: d})
	if d > 0 {
		fmt.Fprintf(s.opts.Log, "fault: the ride table is unavailable for %s\n", d)
	} else {
		fmt.Fprintln(s.opts.Log, "fault: the ride table is available again")
	}
}

// SetParameterStoreUnavailable makes every SSM call of the functions fail for d (the deploy
// engine still reads SSM), or succeed again with d <= 0.
func (s *System) SetParameterStoreUnavailable(d time.Duration) {
	s.functions.SetSSMUnavailable(d)
	if d > 0 {
		fmt.Fprintf(s.opts.Log, "fault: the functions' SSM calls fail for %s\n", d)
	} else {
		fmt.Fprintln(s.opts.Log, "fault: the functions' SSM calls succeed again")
	}
}

// TableFault reports until when the table is unavailable (zero: it is available) and how many
// calls the fault has refused so far.
func (s *System) TableFault() (until time.Time, refused int64) { return s.table.Fault() }

// WaitIdle waits until no asynchronous invocation is queued, running or waiting for a retry.
func (s *System) WaitIdle(ctx context.Context) error { return s.lambda.WaitIdle(ctx) }

// Metrics is the system's CloudWatch metrics.
func (s *System) Metrics() *cloudwatch.Store { return s.metrics }

// Events is the system's event feed.
func (s *System) Events() *events.Feed { return &s.events }

// AdminToken is what the admin endpoints and the console's controls require of a caller: new
// for each run, in the state file for the commands.
func (s *System) AdminToken() string { return s.token }

// ConsoleAddr is the loopback address the web console listens on (Options.ConsolePort).
func (s *System) ConsoleAddr() string { return fmt.Sprintf("127.0.0.1:%d", s.opts.ConsolePort) }

// SetConsoleURL records the web console's URL in the state file, for the other commands.
func (s *System) SetConsoleURL(url string) error {
	s.mu.Lock()
	s.console = url
	s.mu.Unlock()
	s.published.Lock()
	defer s.published.Unlock()
	return s.writeState()
}

// Close stops everything this system started: functions, listeners, the emulator if it started
// it. Queued asynchronous events that did not run are reported in the log.
func (s *System) Close() {
	if s.stop != nil {
		s.stop()
		s.loops.Wait()
	}
	if s.lambda != nil {
		if n := s.lambda.Close(); n > 0 {
			fmt.Fprintf(s.opts.Log, "local: %d asynchronous invocations were still pending at shutdown\n", n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.gateway != nil {
		s.gateway.Shutdown(ctx)
	}
	s.admin.Shutdown(ctx)
	s.cfn.Shutdown(ctx)
	s.functions.Shutdown(ctx)
	s.table.Shutdown(ctx)
	s.sns.Shutdown(ctx)
	s.sqs.Shutdown(ctx)
	s.emu.Close()
	if s.opts.StateFile != "" {
		_ = os.Remove(s.opts.StateFile)
	}
}
