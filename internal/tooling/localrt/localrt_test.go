package localrt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localrt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// echofn is the test function's binary, built by TestMain.
var echofn string

func TestMain(m *testing.M) { os.Exit(localtest.WithEchoFunction(m, &echofn)) }

// start returns a localrt.Function running echofn, closed when the test ends.
func start(t testing.TB, cfg localrt.Config) *localrt.Function {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "echofn"
	}
	if cfg.Binary == "" {
		cfg.Binary = echofn
	}
	if cfg.Log == nil {
		cfg.Log = t.Output()
	}
	f := localrt.New(cfg)
	t.Cleanup(func() { f.Close() })
	return f
}

// invoke runs one event and fails the test if the runner itself fails.
func invoke(t testing.TB, f *localrt.Function, event string) localrt.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := f.Invoke(ctx, []byte(event))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", event, err)
	}
	return res
}

// whoami asks the function about its process and invocation.
func whoamiOf(t *testing.T, f *localrt.Function) whoami {
	t.Helper()
	res := invoke(t, f, `{"do":"whoami"}`)
	if res.FunctionError != "" {
		t.Fatalf("whoami failed: %s: %s", res.ErrorType, res.ErrorMessage)
	}
	var w whoami
	if err := json.Unmarshal(res.Payload, &w); err != nil {
		t.Fatalf("whoami answered %s: %v", res.Payload, err)
	}
	w.resultRequestID = res.RequestID
	return w
}

type whoami struct {
	PID             int
	RequestID       string
	FunctionArn     string
	DeadlineUnixMs  int64
	FunctionName    string
	MemoryLimitInMB int

	resultRequestID string
}

// gone reports whether a process has ended. A zombie counts: one that is not our child is for
// its new parent to reap.
func gone(pid int) bool {
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		return true
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

// eventually polls cond for up to a second.
func eventually(cond func() bool) bool {
	for range 100 {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// children lists the processes whose parent is this test, from /proc.
func children(t testing.TB) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to count processes: %v", err)
	}
	me := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(me) {
			pids = append(pids, pid)
		}
	}
	return pids
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestInvokeAnswersAsLambdaDoes(t *testing.T) {
	f := start(t, localrt.Config{})
	tests := []struct {
		name  string
		event string
		want  localrt.Result
	}{
		{
			name:  "an echo returns the event's value unchanged",
			event: `{"value":{"RideId":"r-1","Unicorn":{"Name":"Shadowfax","Color":"White"}}}`,
			want:  localrt.Result{Payload: []byte(`{"RideId":"r-1","Unicorn":{"Name":"Shadowfax","Color":"White"}}`)},
		},
		{
			name:  "a returned error is an Unhandled function error with its message and type",
			event: `{"do":"fail","name":"no unicorn near you"}`,
			want: localrt.Result{
				Payload:       []byte(`{"errorMessage":"no unicorn near you","errorType":"unicornError"}`),
				FunctionError: "Unhandled", ErrorType: "unicornError", ErrorMessage: "no unicorn near you",
			},
		},
		{
			name:  "a panic is an Unhandled function error",
			event: `{"do":"panic","name":"the unicorn bolted"}`,
			want:  localrt.Result{FunctionError: "Unhandled", ErrorType: "string", ErrorMessage: "the unicorn bolted"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := invoke(t, f, tt.event)
			if got.FunctionError != tt.want.FunctionError || got.ErrorType != tt.want.ErrorType || got.ErrorMessage != tt.want.ErrorMessage {
				t.Errorf("got FunctionError %q, ErrorType %q, ErrorMessage %q; want %q, %q, %q",
					got.FunctionError, got.ErrorType, got.ErrorMessage, tt.want.FunctionError, tt.want.ErrorType, tt.want.ErrorMessage)
			}
			if tt.want.Payload != nil && !bytes.Equal(got.Payload, tt.want.Payload) {
				t.Errorf("payload = %s, want %s", got.Payload, tt.want.Payload)
			}
			if !uuidPattern.MatchString(got.RequestID) {
				t.Errorf("RequestID %q is not a UUID", got.RequestID)
			}
			if got.Duration <= 0 {
				t.Errorf("Duration = %v, want > 0", got.Duration)
			}
		})
	}
	// A panic ends the process (aws-lambda-go exits after reporting it); the pool recovers.
	if got := invoke(t, f, `{"value":"still there"}`); string(got.Payload) != `"still there"` {
		t.Errorf("after a panic the function answered %s %s", got.Payload, got.ErrorMessage)
	}
}

func TestRuntimeAPITellsTheFunctionAboutItsInvocation(t *testing.T) {
	f := start(t, localrt.Config{Name: "RequestRide", Env: map[string]string{"AWS_REGION": "eu-west-1"}, Timeout: 5 * time.Second, MemoryMB: 256})
	before := time.Now()
	w := whoamiOf(t, f)
	if w.RequestID != w.resultRequestID {
		t.Errorf("the function saw request ID %q, the result says %q", w.RequestID, w.resultRequestID)
	}
	if want := "arn:aws:lambda:eu-west-1:123456789012:function:RequestRide"; w.FunctionArn != want {
		t.Errorf("invoked function ARN = %q, want %q", w.FunctionArn, want)
	}
	deadline := time.UnixMilli(w.DeadlineUnixMs)
	if deadline.Before(before.Add(4*time.Second)) || deadline.After(time.Now().Add(5*time.Second)) {
		t.Errorf("deadline %v is not the 5s timeout from now (%v)", deadline, before)
	}
	if w.FunctionName != "RequestRide" || w.MemoryLimitInMB != 256 {
		t.Errorf("function name %q, memory %d MB; want RequestRide, 256", w.FunctionName, w.MemoryLimitInMB)
	}
}

// As on Lambda, a function's name and ARN are its physical ones, whatever its log lines say.
func TestTheFunctionIsToldTheARNItIsInvokedBy(t *testing.T) {
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:wild-rydes-dev-RequestRide-0A1B2C3D4E5F"
	f := start(t, localrt.Config{Name: "wild-rydes-dev-RequestRide-0A1B2C3D4E5F", ARN: arn, Label: "RequestRide"})
	if w := whoamiOf(t, f); w.FunctionArn != arn || w.FunctionName != "wild-rydes-dev-RequestRide-0A1B2C3D4E5F" {
		t.Errorf("the function was told it is %q (%q), want its physical name and ARN %q", w.FunctionName, w.FunctionArn, arn)
	}
}

func TestTimeoutKillsTheProcessAndTheNextInvocationGetsANewOne(t *testing.T) {
	f := start(t, localrt.Config{Timeout: 300 * time.Millisecond})
	first := whoamiOf(t, f)

	started := time.Now()
	res := invoke(t, f, `{"do":"sleep","ms":5000}`)
	if res.FunctionError != "Unhandled" || res.ErrorType != "Sandbox.Timedout" {
		t.Fatalf("a function sleeping past its timeout gave %q %q %q", res.FunctionError, res.ErrorType, res.ErrorMessage)
	}
	if !strings.Contains(res.ErrorMessage, "Task timed out after 0.30 seconds") || !strings.Contains(res.ErrorMessage, res.RequestID) {
		t.Errorf("timeout message = %q", res.ErrorMessage)
	}
	if elapsed := time.Since(started); elapsed > 2*time.Second {
		t.Errorf("the timed-out invocation took %v to answer", elapsed)
	}
	if !gone(first.PID) {
		t.Errorf("process %d still runs after its invocation timed out", first.PID)
	}

	second := whoamiOf(t, f)
	if second.PID == first.PID {
		t.Errorf("the invocation after a timeout ran on the killed process %d", first.PID)
	}
	if s := f.Stats(); s.ProcessesStarted != 2 || s.Processes != 1 {
		t.Errorf("stats = %+v, want 2 processes started, 1 running", s)
	}
}

func TestTimeoutAlsoStopsWhatTheFunctionStarted(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("no sleep(1) here")
	}
	f := start(t, localrt.Config{Timeout: 300 * time.Millisecond})
	res := invoke(t, f, `{"do":"spawn"}`)
	helper, err := strconv.Atoi(string(res.Payload))
	if err != nil {
		t.Fatalf("spawn answered %s %s", res.Payload, res.ErrorMessage)
	}
	if res := invoke(t, f, `{"do":"sleep","ms":5000}`); res.ErrorType != "Sandbox.Timedout" {
		t.Fatalf("got %q %q, want a timeout", res.ErrorType, res.ErrorMessage)
	}
	if !eventually(func() bool { return gone(helper) }) {
		t.Errorf("process %d, started by the function that timed out, still runs", helper)
	}
}

func TestCrashIsARuntimeExitErrorAndThePoolRecovers(t *testing.T) {
	f := start(t, localrt.Config{})
	first := whoamiOf(t, f)

	res := invoke(t, f, `{"do":"exit","code":3}`)
	if res.FunctionError != "Unhandled" || res.ErrorType != "Runtime.ExitError" ||
		!strings.Contains(res.ErrorMessage, "Runtime exited with error: exit status 3") {
		t.Fatalf("a function calling exit(3) gave %q %q %q", res.FunctionError, res.ErrorType, res.ErrorMessage)
	}
	var doc struct{ ErrorType, ErrorMessage string }
	if err := json.Unmarshal(res.Payload, &doc); err != nil || doc.ErrorType != res.ErrorType || doc.ErrorMessage != res.ErrorMessage {
		t.Errorf("payload %s is not the error document (%v)", res.Payload, err)
	}
	if !gone(first.PID) {
		t.Errorf("crashed process %d was not reaped", first.PID)
	}
	if second := whoamiOf(t, f); second.PID == first.PID {
		t.Errorf("the invocation after a crash ran on the crashed process %d", first.PID)
	}
}

func TestARuntimeThatCannotStartFailsTheInvocation(t *testing.T) {
	falseBin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false(1) here")
	}
	tests := []struct {
		name        string
		cfg         localrt.Config
		wantType    string
		wantMessage string
	}{
		{
			name:        "an init/error post gives its type and message",
			cfg:         localrt.Config{Env: map[string]string{"ECHOFN_INIT_ERROR": "TABLE_NAME is not set"}},
			wantType:    "Runtime.ConfigError",
			wantMessage: "TABLE_NAME is not set",
		},
		{
			name:        "exiting before asking for an invocation is a Runtime.ExitError",
			cfg:         localrt.Config{Binary: falseBin},
			wantType:    "Runtime.ExitError",
			wantMessage: "Runtime exited with error: exit status 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, tt.cfg)
			res := invoke(t, f, `{}`)
			if res.FunctionError != "Unhandled" || res.ErrorType != tt.wantType || !strings.Contains(res.ErrorMessage, tt.wantMessage) {
				t.Errorf("got %q %q %q, want Unhandled %q containing %q", res.FunctionError, res.ErrorType, res.ErrorMessage, tt.wantType, tt.wantMessage)
			}
			if s := f.Stats(); s.Processes != 0 {
				t.Errorf("the failed process was kept: %+v", s)
			}
		})
	}
}

func TestAMissingBinaryIsTheRunnersError(t *testing.T) {
	f := start(t, localrt.Config{Binary: filepath.Join(t.TempDir(), "no-such-function")})
	res, err := f.Invoke(context.Background(), []byte(`{}`))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Invoke = %+v, %v; want an error that the binary does not exist", res, err)
	}
}

func TestConcurrentInvocationsNeverRunMoreThanMaxConcurrencyProcesses(t *testing.T) {
	const callers, limit = 20, 3
	f := start(t, localrt.Config{MaxConcurrency: limit})

	// Watch the process table while the burst runs.
	children(t) // skips here, not in the watcher, if there is no /proc
	stop := make(chan struct{})
	var mostChildren, mostRunning int
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			mostChildren = max(mostChildren, len(children(t)))
			mostRunning = max(mostRunning, f.Stats().Processes)
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()

	var wg sync.WaitGroup
	pids := make(map[int]int)
	var mu sync.Mutex
	for i := range callers {
		wg.Go(func() {
			res, err := f.Invoke(context.Background(), []byte(`{"do":"sleep","ms":50}`))
			if err != nil || res.FunctionError != "" {
				t.Errorf("caller %d: %v %s %s", i, err, res.ErrorType, res.ErrorMessage)
				return
			}
			pid, _ := strconv.Atoi(string(res.Payload))
			mu.Lock()
			pids[pid]++
			mu.Unlock()
		})
	}
	wg.Wait()
	close(stop)
	<-watched

	s := f.Stats()
	if mostChildren > limit || mostRunning > limit || s.ProcessesStarted > limit || len(pids) > limit {
		t.Errorf("with MaxConcurrency %d: up to %d child processes, up to %d running per Stats, %d started, %d distinct PIDs answered",
			limit, mostChildren, mostRunning, s.ProcessesStarted, len(pids))
	}
	if s.Invocations != callers || s.InFlight != 0 {
		t.Errorf("stats after the burst = %+v, want %d invocations, none in flight", s, callers)
	}
	t.Logf("%d invocations on %d processes %v; at most %d children seen", callers, s.ProcessesStarted, pids, mostChildren)
}

func TestTheFunctionSeesItsConfigAndNotThisProcesssEnvironment(t *testing.T) {
	t.Setenv("LOCALRT_PARENT_ONLY", "leaked")
	f := start(t, localrt.Config{MemoryMB: 512, Env: map[string]string{
		"X":                        "from the config",
		"AWS_LAMBDA_FUNCTION_NAME": "spoofed", // reserved: Lambda's value wins
	}})
	tests := []struct {
		variable string
		want     string // "null": not set
	}{
		{"X", `"from the config"`},
		{"LOCALRT_PARENT_ONLY", "null"},
		{"PATH", strconv.Quote(os.Getenv("PATH"))},
		{"TZ", `"UTC"`},
		{"AWS_LAMBDA_FUNCTION_NAME", `"echofn"`},
		{"AWS_LAMBDA_FUNCTION_VERSION", `"$LATEST"`},
		{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", `"512"`},
		{"_HANDLER", `"bootstrap"`},
	}
	for _, tt := range tests {
		t.Run(tt.variable, func(t *testing.T) {
			if got := invoke(t, f, `{"do":"env","name":"`+tt.variable+`"}`); string(got.Payload) != tt.want {
				t.Errorf("%s = %s, want %s", tt.variable, got.Payload, tt.want)
			}
		})
	}
	api := string(invoke(t, f, `{"do":"env","name":"AWS_LAMBDA_RUNTIME_API"}`).Payload)
	if !regexp.MustCompile(`^"127\.0\.0\.1:\d+"$`).MatchString(api) {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %s, want 127.0.0.1:<port>", api)
	}
	stream := string(invoke(t, f, `{"do":"env","name":"AWS_LAMBDA_LOG_STREAM_NAME"}`).Payload)
	if !strings.Contains(stream, "[$LATEST]") {
		t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %s", stream)
	}
}

func TestFunctionOutputIsLoggedLineByLineUnderItsName(t *testing.T) {
	var log localtest.Log // read here while the processes write it
	f := start(t, localrt.Config{Name: "PutRideRecord", Log: &log})
	invoke(t, f, `{"do":"print","name":"{\"level\":\"INFO\",\"msg\":\"ride recorded\"}"}`)
	f.Close() // the unfinished stderr line is written when the process ends

	for _, want := range []string{
		"[PutRideRecord] {\"level\":\"INFO\",\"msg\":\"ride recorded\"}\n",
		"[PutRideRecord] no newline at the end\n",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q; it has:\n%s", want, log.String())
		}
	}
}

func TestWaitingForAFreeProcessEndsWithTheContext(t *testing.T) {
	f := start(t, localrt.Config{MaxConcurrency: 1})
	busy := make(chan struct{})
	go func() {
		defer close(busy)
		f.Invoke(context.Background(), []byte(`{"do":"sleep","ms":1000}`))
	}()
	for f.Stats().InFlight == 0 {
		time.Sleep(time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	started := time.Now()
	_, err := f.Invoke(ctx, []byte(`{}`))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(started) > 500*time.Millisecond {
		t.Errorf("Invoke while the only process is busy = %v after %v, want the context's deadline after 50ms", err, time.Since(started))
	}
	<-busy
}

func TestCloseLeavesNoProcessBehind(t *testing.T) {
	f := start(t, localrt.Config{MaxConcurrency: 3})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { invoke(t, f, `{"do":"sleep","ms":100}`) })
	}
	wg.Wait()
	pids := children(t)
	if len(pids) == 0 {
		t.Fatal("no function process was running before Close")
	}

	// One invocation still running when Close comes.
	inFlight := make(chan error, 1)
	go func() {
		_, err := f.Invoke(context.Background(), []byte(`{"do":"sleep","ms":10000}`))
		inFlight <- err
	}()
	for f.Stats().InFlight == 0 {
		time.Sleep(time.Millisecond)
	}

	started := time.Now()
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("Close took %v for %d processes", time.Since(started), len(pids))
	if err := <-inFlight; !errors.Is(err, localrt.ErrClosed) {
		t.Errorf("the invocation in flight at Close got %v, want ErrClosed", err)
	}
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("process %d still exists after Close", pid)
		}
	}
	if left := children(t); len(left) != 0 {
		t.Errorf("child processes left after Close: %v", left)
	}
	if s := f.Stats(); s.Processes != 0 {
		t.Errorf("Stats after Close = %+v, want no process", s)
	}
	if _, err := f.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, localrt.ErrClosed) {
		t.Errorf("Invoke after Close = %v, want ErrClosed", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

func TestShutdownKillsAProcessThatIgnoresSIGTERMAfterTheGracePeriod(t *testing.T) {
	f := start(t, localrt.Config{})
	res := invoke(t, f, `{"do":"ignore-sigterm"}`)
	pid, err := strconv.Atoi(string(res.Payload))
	if err != nil {
		t.Fatalf("ignore-sigterm answered %s %s", res.Payload, res.ErrorMessage)
	}

	const grace = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	started := time.Now()
	err = f.Shutdown(ctx)
	took := time.Since(started)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the grace period's end reported", err)
	}
	if took < grace || took > grace+time.Second {
		t.Errorf("Shutdown took %v, want the grace period of %v and a little more", took, grace)
	}
	if !gone(pid) {
		t.Errorf("process %d, deaf to SIGTERM, survived Shutdown", pid)
	}
}

func BenchmarkInvokeWarm(b *testing.B) {
	f := start(b, localrt.Config{MaxConcurrency: 1, Log: io.Discard})
	event := []byte(`{"value":{"RideId":"r-1","Unicorn":{"Name":"Shadowfax","Color":"White"}}}`)
	invoke(b, f, string(event)) // start the process
	ctx := context.Background()
	for b.Loop() {
		res, err := f.Invoke(ctx, event)
		if err != nil || res.FunctionError != "" {
			b.Fatalf("Invoke: %v %s", err, res.ErrorMessage)
		}
	}
}

// The Runtime API answers its process alone: a web page that reached its port (a foreign Host,
// another origin) is refused, while the runtime's own calls go on.
func TestTheRuntimeAPIAnswersItsOwnProcessOnly(t *testing.T) {
	f := start(t, localrt.Config{})
	var api string
	if err := json.Unmarshal(invoke(t, f, `{"do":"env","name":"AWS_LAMBDA_RUNTIME_API"}`).Payload, &api); err != nil {
		t.Fatal(err)
	}
	respond := "http://" + api + "/2018-06-01/runtime/invocation/nope/response"
	for _, tc := range []struct {
		name, host, origin string
		status             int
	}{
		{"a foreign Host (DNS rebinding)", "evil.example", "", http.StatusForbidden},
		{"another origin's page", "", "http://evil.example", http.StatusForbidden},
		{"the runtime itself, answering an invocation that is not its own", "", "", http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(http.MethodPost, respond, strings.NewReader(`{}`))
		if tc.host != "" {
			req.Host = tc.host
		}
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: POST %s = %s, want %d", tc.name, respond, resp.Status, tc.status)
		}
	}
	if got := invoke(t, f, `{"do":"env","name":"X"}`); got.FunctionError != "" {
		t.Errorf("the function after the refused calls: %+v", got)
	}
}

// A burst on a cold function: one Init at a time (Inits of 1), and the invocations that wait
// take the process the first one frees rather than each starting one of their own. Without the
// limit, each of the four would start a process.
func TestABurstWaitsForAnInitOrAFreedProcessNotAProcessEach(t *testing.T) {
	const callers = 4
	for _, tc := range []struct {
		name     string
		inits    localrt.Inits
		maxStart int64
	}{
		{"one Init at a time", localrt.NewInits(1), 2},
		{"as many Inits as callers", localrt.NewInits(callers), callers},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, localrt.Config{MaxConcurrency: callers, Inits: tc.inits, Env: map[string]string{"ECHOFN_INIT_MS": "300"}})
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					res, err := f.Invoke(context.Background(), []byte(`{"do":"echo","value":1}`))
					if err != nil || res.FunctionError != "" {
						t.Errorf("caller %d: %v %s", i, err, res.ErrorMessage)
					}
				})
			}
			wg.Wait()
			s := f.Stats()
			if s.Invocations != callers || s.ProcessesStarted > tc.maxStart {
				t.Errorf("%d invocations on %d processes, want %d on at most %d", s.Invocations, s.ProcessesStarted, callers, tc.maxStart)
			}
			if tc.maxStart == callers && s.ProcessesStarted != callers {
				t.Errorf("with an Init for each caller, %d processes started, want %d", s.ProcessesStarted, callers)
			}
		})
	}
}
