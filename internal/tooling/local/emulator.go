package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// emulator is the AWS-compatible endpoint the data services run in: a moto_server this package
// started, or any endpoint the user gave (LocalStack, a moto of their own).
type emulator struct {
	endpoint string
	cmd      *exec.Cmd // nil when the endpoint was given
	done     chan struct{}
}

// startEmulator starts moto_server on the loopback port (a free one when port is 0) and waits
// until it answers.
func startEmulator(ctx context.Context, log io.Writer, port int) (*emulator, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errors.New("moto_server is not on PATH: install it (pip install 'moto[server]') or set AWS_ENDPOINT_URL to an AWS-compatible endpoint such as LocalStack")
	}
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	} else if l, err := listenLoopback("emulator", port); err != nil {
		return nil, err // moto_server would only exit, without saying why
	} else {
		l.Close()
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting moto_server: %w", err)
	}
	e := &emulator{endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(e.done) }()
	if err := e.waitReady(ctx, 30*time.Second); err != nil {
		e.close()
		return nil, err
	}
	fmt.Fprintf(log, "emulator: moto_server on %s (pid %d)\n", e.endpoint, cmd.Process.Pid)
	return e, nil
}

func (e *emulator) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.endpoint+"/moto-api/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-e.done:
			return errors.New("moto_server exited while starting")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("moto_server did not answer on %s within %s", e.endpoint, limit)
		}
	}
}

func (e *emulator) close() {
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		<-e.done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// clients are the runner's own AWS clients, all pointed at the emulator.
type clients struct {
	dynamodb *dynamodb.Client
	sns      *sns.Client
	sqs      *sqs.Client
	ssm      *ssm.Client
}

func newClients(endpoint, region string) clients {
	cfg := aws.Config{
		Region:       region,
		Credentials:  localstate.Credentials(),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	}
	return clients{
		dynamodb: dynamodb.NewFromConfig(cfg),
		sns:      sns.NewFromConfig(cfg),
		sqs:      sqs.NewFromConfig(cfg),
		ssm:      ssm.NewFromConfig(cfg),
	}
}
