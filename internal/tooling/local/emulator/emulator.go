// Package emulator is the AWS-compatible endpoint the local system's data services (DynamoDB,
// SNS, SQS, SSM) run in: a moto_server it starts, or any endpoint the user gave (LocalStack, a
// moto of their own). The moto_server it starts answers only through a front on the emulator's
// port that checks every request as the local system's other listeners do (loopback.Check), and
// runs with its own global CORS off: no web page reads or writes its data, or resets it.
package emulator

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// runningOn is werkzeug's start-up line, " * Running on http://127.0.0.1:PORT".
var runningOn = regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`)

// Emulator is a running emulator.
type Emulator struct {
	// Endpoint is its URL: the front of the moto_server this package started, or the given one.
	Endpoint string
	cmd      *exec.Cmd // nil when the endpoint was given
	done     chan struct{}
	front    *loopback.Server
}

// Given is an emulator someone else runs at endpoint, once it answers.
func Given(ctx context.Context, endpoint string) (*Emulator, error) {
	e := &Emulator{Endpoint: endpoint}
	if err := e.waitReady(ctx, 10*time.Second); err != nil {
		return nil, fmt.Errorf("the emulator at %s does not answer: %w", endpoint, err)
	}
	return e, nil
}

// Start starts moto_server on a free loopback port, its front on port (a free one when port is 0),
// and waits until it answers.
func Start(ctx context.Context, log io.Writer, port int) (*Emulator, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errors.New("moto_server is not on PATH: install it (pip install 'moto[server]') or set AWS_ENDPOINT_URL to an AWS-compatible endpoint such as LocalStack")
	}
	frontL, err := loopback.Listen("emulator", port)
	if err != nil {
		return nil, err
	}
	// Port 0: moto_server binds a free port itself and says which. A port picked here and handed
	// over could be taken meanwhile by another process, whose server would then answer for it.
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", "0")
	// moto answers every origin unless told not to (moto/settings.py, DISABLE_GLOBAL_CORS: any
	// non-empty value; moto/moto_server/werkzeug_app.py applies flask_cors otherwise).
	cmd.Env = append(os.Environ(), "MOTO_DISABLE_GLOBAL_CORS=true")
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		frontL.Close()
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		frontL.Close()
		return nil, fmt.Errorf("starting moto_server: %w", err)
	}
	e := &Emulator{cmd: cmd, done: make(chan struct{})}
	bound := make(chan string, 1)
	go func() {
		// werkzeug's start-up line names the bound port; the rest (one line per request) is read
		// and dropped, so that moto never blocks on a full pipe.
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := runningOn.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case bound <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { _ = cmd.Wait(); close(e.done) }()
	select {
	case e.Endpoint = <-bound:
	case <-e.done:
		frontL.Close()
		return nil, errors.New("moto_server exited while starting")
	case <-ctx.Done():
		frontL.Close()
		e.Close()
		return nil, ctx.Err()
	case <-time.After(30 * time.Second):
		frontL.Close()
		e.Close()
		return nil, errors.New("moto_server did not say its port within 30s")
	}
	moto := e.Endpoint
	if err := e.waitReady(ctx, 30*time.Second); err != nil {
		frontL.Close()
		e.Close()
		return nil, err
	}
	if err := warm(ctx, moto); err != nil {
		frontL.Close()
		e.Close()
		return nil, err
	}
	target, _ := url.Parse(moto)
	e.front = loopback.ServeOn(frontL, httputil.NewSingleHostReverseProxy(target))
	e.Endpoint = e.front.URL
	fmt.Fprintf(log, "emulator: moto_server (pid %d) on %s\n", cmd.Process.Pid, e.Endpoint)
	return e, nil
}

func (e *Emulator) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.Endpoint+"/moto-api/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-e.done: // nil for a given emulator: never ready
			return errors.New("moto_server exited while starting")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("moto_server did not answer on %s within %s", e.Endpoint, limit)
		}
	}
}

// Reset empties the moto_server this package started, as new: every service's resources and data
// are gone (moto's own reset, POST /moto-api/reset), while the services it has loaded stay loaded.
// A system that no longer runs can hand it to the next one, which then starts on an emulator as
// empty as a new one without paying moto's start again.
func (e *Emulator) Reset(ctx context.Context) error {
	if e.cmd == nil {
		return errors.New("emulator: only a moto_server this package started can be reset")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.Endpoint+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("resetting moto_server: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("resetting moto_server: %s", resp.Status)
	}
	return nil
}

// Close stops the moto_server this package started, and its front; a given emulator is left
// running.
func (e *Emulator) Close() {
	if e == nil || e.cmd == nil || e.cmd.Process == nil {
		return
	}
	if e.front != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		e.front.Shutdown(ctx)
		cancel()
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		<-e.done
	}
}

// warm loads, before any system uses it, each service of moto_server the local system calls: moto
// imports a service's code on that service's first request, and SSM's pulls in moto's EC2 and
// botocore's region data, about 1.8 CPU-seconds. Left to the first real call, that cost fell on
// a function's first SSM read (the rollout guard's, within its 5-second call timeout) and, on a
// busy machine, failed a deploy that AWS would have answered in milliseconds.
func warm(ctx context.Context, endpoint string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cfg := localstate.Config(localstate.Region, endpoint)
	for _, call := range []struct {
		service string
		do      func() error
	}{
		{"SSM", func() error {
			_, err := ssm.NewFromConfig(cfg).DescribeParameters(ctx, &ssm.DescribeParametersInput{})
			return err
		}},
		{"DynamoDB", func() error {
			_, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
			return err
		}},
		{"SNS", func() error { _, err := sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{}); return err }},
		{"SQS", func() error { _, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{}); return err }},
	} {
		if err := call.do(); err != nil {
			return fmt.Errorf("moto_server's %s does not answer: %w", call.service, err)
		}
	}
	return nil
}
