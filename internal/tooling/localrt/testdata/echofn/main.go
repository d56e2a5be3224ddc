// Command echofn is the function the localrt tests run: the event says what it does.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Do    string          `json:"do"`    // echo (default), fail, sleep, exit, env, print, panic, whoami, ignore-sigterm, spawn
	Value json.RawMessage `json:"value"` // echo: returned as is
	Ms    int             `json:"ms"`    // sleep; fail: after that long
	Code  int             `json:"code"`  // exit
	Name  string          `json:"name"`  // env: the variable; fail, print: the text
}

// unicornError is a function error with a type name the tests can look for.
type unicornError struct{ msg string }

func (e *unicornError) Error() string { return e.msg }

// whoami is what the function knows about its invocation.
type whoami struct {
	PID             int
	RequestID       string
	FunctionArn     string
	DeadlineUnixMs  int64
	FunctionName    string
	MemoryLimitInMB int
}

func handle(ctx context.Context, e event) (any, error) {
	switch e.Do {
	case "", "echo":
		return e.Value, nil
	case "fail":
		time.Sleep(time.Duration(e.Ms) * time.Millisecond)
		return nil, &unicornError{e.Name}
	case "sleep":
		time.Sleep(time.Duration(e.Ms) * time.Millisecond) // past the deadline too: the runner must stop it
		return os.Getpid(), nil
	case "exit":
		os.Exit(e.Code)
	case "env":
		v, ok := os.LookupEnv(e.Name)
		if !ok {
			return nil, nil
		}
		return v, nil
	case "print":
		fmt.Println(e.Name)
		fmt.Fprint(os.Stderr, "no newline at the end")
		return nil, nil
	case "panic":
		panic(e.Name)
	case "ignore-sigterm":
		signal.Ignore(syscall.SIGTERM)
		return os.Getpid(), nil
	case "spawn": // a child that outlives the invocation, like a leaked helper process
		cmd := exec.Command("sleep", "30")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return cmd.Process.Pid, nil
	case "whoami":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		return whoami{
			PID:             os.Getpid(),
			RequestID:       lc.AwsRequestID,
			FunctionArn:     lc.InvokedFunctionArn,
			DeadlineUnixMs:  deadline.UnixMilli(),
			FunctionName:    lambdacontext.FunctionName,
			MemoryLimitInMB: lambdacontext.MemoryLimitInMB,
		}, nil
	}
	return nil, fmt.Errorf("unknown action %q", e.Do)
}

func main() {
	// A runtime that cannot start says so on the Runtime API, then exits.
	if msg := os.Getenv("ECHOFN_INIT_ERROR"); msg != "" {
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		req, _ := http.NewRequest(http.MethodPost, url,
			strings.NewReader(fmt.Sprintf(`{"errorMessage":%q,"errorType":"Runtime.ConfigError"}`, msg)))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	}
	// A slow init: the runtime asks for its first event that much later.
	if ms, err := strconv.Atoi(os.Getenv("ECHOFN_INIT_MS")); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	lambda.Start(handle)
}
