package localrt

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
)

// process is one running copy of the function with its own Runtime API listener.
type process struct {
	fn      *Function
	cmd     *exec.Cmd
	srv     *http.Server
	stdout  *lineWriter
	stderr  *lineWriter
	pending chan *invocation // unbuffered: taken by the runtime's GET .../invocation/next

	initDone   chan struct{} // closed when the runtime first asks for an event
	initOnce   sync.Once
	initFailed chan struct{} // closed when the runtime posts init/error
	initErr    answer

	exited  chan struct{} // closed once the process is reaped
	exitErr error

	mu      sync.Mutex
	current *invocation // handed to the runtime, not yet answered
	handed  bool        // the runtime has taken an invocation, so init is over

	started  time.Time     // when the process was started
	initTook time.Duration // until the runtime first asked for an event
	reported bool          // the cold start's Init Duration is reported
}

type invocation struct {
	id      string
	traceID string
	payload []byte
	answer  chan answer // buffered: the runtime answers once
}

// answer is the runtime's response or error post for one invocation.
type answer struct {
	payload      []byte
	failed       bool
	errorType    string
	errorMessage string
}

func (a answer) result(requestID string) Result {
	r := Result{Payload: a.payload, RequestID: requestID}
	if a.failed {
		r.FunctionError = "Unhandled"
		r.ErrorType = a.errorType
		r.ErrorMessage = a.errorMessage
	}
	return r
}

// failure is an answer the runner makes up, as Lambda does for timeouts and crashes.
func failure(errorType, message string) answer {
	doc, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{message, errorType})
	return answer{payload: doc, failed: true, errorType: errorType, errorMessage: message}
}

// spawn starts a process and its Runtime API listener.
func (f *Function) spawn() (*process, error) {
	if f.cfg.Binary == "" {
		return nil, fmt.Errorf("starting %s: Config.Binary is empty", f.cfg.Label)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting %s: listening for its Runtime API: %w", f.cfg.Label, err)
	}
	p := &process{
		fn:         f,
		pending:    make(chan *invocation),
		initDone:   make(chan struct{}),
		initFailed: make(chan struct{}),
		exited:     make(chan struct{}),
	}
	// The Runtime API answers its process alone, never a web page (loopback.Check).
	p.srv = &http.Server{Handler: loopback.Check(p.runtimeAPI()), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln) // Serve returns when wait closes the server.

	prefix := "[" + f.cfg.Label + "] "
	p.stdout = &lineWriter{mu: &f.logMu, out: f.cfg.Log, prefix: prefix}
	p.stderr = &lineWriter{mu: &f.logMu, out: f.cfg.Log, prefix: prefix}
	p.cmd = exec.Command(f.cfg.Binary)
	p.cmd.Env = f.environ(ln.Addr().String())
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = p.stderr
	// Its own process group, so a timeout or Close also stops whatever the function started.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A grandchild holding the output pipes open must not keep Wait from returning.
	p.cmd.WaitDelay = time.Second
	p.mu.Lock() // next reads it, on the Runtime API's goroutine
	p.started = time.Now()
	p.mu.Unlock()
	if err := p.cmd.Start(); err != nil {
		p.srv.Close()
		return nil, fmt.Errorf("starting %s: %w", f.cfg.Label, err)
	}
	f.started.Add(1)

	f.mu.Lock()
	closed := f.closed
	if !closed {
		f.procs[p] = struct{}{}
	}
	f.mu.Unlock()
	go p.wait()
	if closed {
		p.signal(syscall.SIGKILL)
		<-p.exited
		return nil, ErrClosed
	}
	return p, nil
}

// environ is what the Lambda service gives a function: its configured variables, the reserved
// ones, and nothing else of this process's environment but PATH and HOME.
func (f *Function) environ(runtimeAPI string) []string {
	env := map[string]string{}
	for _, k := range []string{"PATH", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	maps.Copy(env, f.cfg.Env)
	maps.Copy(env, map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        f.cfg.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.cfg.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16),
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"_HANDLER":                        "bootstrap", // what constructs.GoLambda deploys
		"TZ":                              "UTC",
	})
	// The template's LoggingConfig, as Lambda hands it to the runtime.
	if f.cfg.LogFormat != "" {
		env["AWS_LAMBDA_LOG_FORMAT"] = f.cfg.LogFormat
	}
	if f.cfg.LogLevel != "" {
		env["AWS_LAMBDA_LOG_LEVEL"] = f.cfg.LogLevel
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// wait reaps the process and cleans up after it.
func (p *process) wait() {
	p.exitErr = p.cmd.Wait()
	// Whatever the function left running in its group goes with it, as with a Lambda sandbox.
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // usually nothing is left.
	p.stdout.flush()
	p.stderr.flush()
	p.srv.Close()
	f := p.fn
	f.mu.Lock()
	delete(f.procs, p)
	f.mu.Unlock()
	close(p.exited)
}

func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// signal sends sig to the process's group, unless the process is already reaped (its ID may then
// be someone else's).
func (p *process) signal(sig syscall.Signal) {
	if !p.hasExited() {
		syscall.Kill(-p.cmd.Process.Pid, sig) // it may have just exited.
	}
}

// errExitedWhileIdle says a warm process ended between invocations; the invocation goes to
// another process, as on Lambda, where only a failed init fails the invocation waiting for it.
var errExitedWhileIdle = errors.New("the process exited between invocations")

// invoke hands one event to the runtime and waits for its answer. reusable reports whether the
// process may take another invocation; if not, the caller must stop it.
func (p *process) invoke(payload []byte) (res Result, reusable bool, err error) {
	f := p.fn
	inv := &invocation{
		id:      uuid.NewString(), // Lambda's request IDs are version 4 UUIDs
		traceID: newTraceID(),
		payload: payload,
		answer:  make(chan answer, 1),
	}
	timer := time.NewTimer(initTimeout)
	defer timer.Stop()
	select {
	case p.pending <- inv:
	case <-p.initFailed:
		return p.initErr.result(inv.id), false, nil
	case <-p.exited:
		p.mu.Lock()
		warm := p.handed
		p.mu.Unlock()
		if warm { // it ended after its last answer, as aws-lambda-go does after a panic
			return Result{}, false, errExitedWhileIdle
		}
		return p.lost(inv)
	case <-timer.C:
		msg := fmt.Sprintf("RequestId: %s Error: Runtime did not ask for an invocation within %.2f seconds", inv.id, initTimeout.Seconds())
		p.log(msg)
		return failure("Runtime.InitTimeout", msg).result(inv.id), false, nil
	case <-f.done:
		return Result{}, false, ErrClosed
	}

	start := time.Now()
	timer.Reset(f.cfg.Timeout)
	defer func() {
		if res.RequestID != "" && err == nil {
			p.report(&res)
		}
	}()
	select {
	case a := <-inv.answer:
		res = a.result(inv.id)
		res.Duration = time.Since(start)
		return res, true, nil
	case <-p.exited:
		res, reusable, err = p.lost(inv)
		res.Duration = time.Since(start)
		return res, reusable, err
	case <-timer.C:
		// Lambda's wording, which its own log stream also gets.
		msg := fmt.Sprintf("%s %s Task timed out after %.2f seconds",
			time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, f.cfg.Timeout.Seconds())
		p.log(msg)
		res = failure("Sandbox.Timedout", msg).result(inv.id)
		res.Duration = f.cfg.Timeout
		return res, false, nil
	case <-f.done:
		return Result{}, false, ErrClosed
	}
}

// lost explains an invocation whose process has exited.
func (p *process) lost(inv *invocation) (Result, bool, error) {
	select {
	case a := <-inv.answer: // answered, then exited (a panic does that)
		return a.result(inv.id), false, nil
	default:
	}
	select {
	case <-p.initFailed:
		return p.initErr.result(inv.id), false, nil
	default:
	}
	select {
	case <-p.fn.done:
		return Result{}, false, ErrClosed
	default:
	}
	status := "exit status 0"
	if p.exitErr != nil {
		status = p.exitErr.Error()
	}
	msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, status)
	p.log(msg)
	return failure("Runtime.ExitError", msg).result(inv.id), false, nil
}

// log writes a line of the runner's own to the function's log, as Lambda writes its platform
// lines into the log stream.
func (p *process) log(line string) {
	f := p.fn
	f.logMu.Lock()
	defer f.logMu.Unlock()
	io.WriteString(f.cfg.Log, "["+f.cfg.Label+"] "+line+"\n") // logs are best effort.
}

// lineWriter prefixes each line of a process's output and writes it whole.
type lineWriter struct {
	mu     *sync.Mutex // shared by all of a function's processes
	out    io.Writer
	prefix string
	buf    []byte
}

// maxLine is where a line without an end is cut, so a process cannot grow buf without bound.
const maxLine = 256 << 10

func (w *lineWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	rest := w.buf
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		w.emit(rest[:i+1])
		rest = rest[i+1:]
	}
	if len(rest) >= maxLine {
		w.emit(append(rest, '\n'))
		rest = nil
	}
	w.buf = append(w.buf[:0], rest...)
	return len(b), nil
}

func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(append(w.buf, '\n'))
		w.buf = w.buf[:0]
	}
}

func (w *lineWriter) emit(line []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.out.Write(append([]byte(w.prefix), line...)) // a log that fails must not stop the function.
}

// newTraceID returns an X-Ray trace header for a root segment that is not sampled.
func newTraceID() string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), randomHex(12), randomHex(8))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
