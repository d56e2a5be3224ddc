// Package emulator is the AWS-compatible endpoint the local system's data services (DynamoDB,
// SNS, SQS, SSM) run in: a moto_server it starts, or any endpoint the user gave (LocalStack, a
// moto of their own). The moto_server it starts answers only through a front on the emulator's
// port that checks every request as the local system's other listeners do (loopback.Check), and
// runs with its own global CORS off: no web page reads or writes its data, or resets it.
package emulator

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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
	// Endpoint is its URL: the front of a moto_server this package started, or the given one.
	Endpoint string
	moto     *Moto // the moto_server it started and stops; nil for a Front or a given one
	front    *loopback.Server
}

// Moto is a moto_server this package started, its services loaded, without a front of its own.
type Moto struct {
	// URL is moto_server's own address.
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Given is an emulator someone else runs at endpoint, once it answers.
func Given(ctx context.Context, endpoint string) (*Emulator, error) {
	if err := waitReady(ctx, endpoint, nil, 10*time.Second); err != nil {
		return nil, fmt.Errorf("the emulator at %s does not answer: %w", endpoint, err)
	}
	return &Emulator{Endpoint: endpoint}, nil
}

// Start starts moto_server on a free loopback port, its front on port (a free one when port is 0),
// and waits until it answers.
func Start(ctx context.Context, log io.Writer, port int) (*Emulator, error) {
	frontL, err := loopback.Listen("emulator", port)
	if err != nil {
		return nil, err
	}
	m, err := StartMoto(ctx)
	if err != nil {
		frontL.Close()
		return nil, err
	}
	e := serveFront(frontL, m.URL, "")
	e.moto = m
	fmt.Fprintf(log, "emulator: moto_server (pid %d) on %s\n", m.cmd.Process.Pid, e.Endpoint)
	return e, nil
}

// Front is an emulator on a free loopback port in front of the moto_server at motoURL, in which
// every request is made in account (the x-moto-account-id header, which moto 5 reads before the
// access key to choose the account, moto/core/responses.py; each account's resources are kept
// apart, as each account's backends are). Systems that share
// one moto_server, each in an account of its own, see only their own resources, as separate AWS
// accounts do; Close stops the front alone.
func Front(motoURL, account string) (*Emulator, error) {
	l, err := loopback.Listen("emulator", 0)
	if err != nil {
		return nil, err
	}
	return serveFront(l, motoURL, account), nil
}

// serveFront serves on l a proxy to moto at motoURL that checks each request as the local
// system's other listeners do and, for an account, makes it in that account.
func serveFront(l net.Listener, motoURL, account string) *Emulator {
	target, _ := url.Parse(motoURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	if account != "" {
		direct := proxy.Director
		proxy.Director = func(r *http.Request) {
			direct(r)
			r.Header.Set("x-moto-account-id", account)
		}
	}
	e := &Emulator{front: loopback.ServeOn(l, proxy)}
	e.Endpoint = e.front.URL
	return e
}

// StartMoto starts moto_server on a free loopback port and waits until it answers, with the
// services the local system uses loaded.
func StartMoto(ctx context.Context) (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errors.New("moto_server is not on PATH: install it (pip install 'moto[server]') or set AWS_ENDPOINT_URL to an AWS-compatible endpoint such as LocalStack")
	}
	// Port 0: moto_server binds a free port itself and says which. A port picked here and handed
	// over could be taken meanwhile by another process, whose server would then answer for it.
	cmd := motoCommand(bin, "-H", "127.0.0.1", "-p", "0")
	// moto answers every origin unless told not to (moto/settings.py, DISABLE_GLOBAL_CORS: any
	// non-empty value; moto/moto_server/werkzeug_app.py applies flask_cors otherwise).
	cmd.Env = append(os.Environ(), "MOTO_DISABLE_GLOBAL_CORS=true")
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting moto_server: %w", err)
	}
	m := &Moto{cmd: cmd, done: make(chan struct{})}
	bound := make(chan string, 1)
	go func() {
		// werkzeug's start-up line names the bound port; the rest (one line per request) is read
		// and dropped, so that moto never blocks on a full pipe.
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if found := runningOn.FindStringSubmatch(sc.Text()); found != nil {
				select {
				case bound <- found[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { _ = cmd.Wait(); close(m.done) }()
	select {
	case m.URL = <-bound:
	case <-m.done:
		return nil, errors.New("moto_server exited while starting")
	case <-ctx.Done():
		m.Close()
		return nil, ctx.Err()
	case <-time.After(30 * time.Second):
		m.Close()
		return nil, errors.New("moto_server did not say its port within 30s")
	}
	if err := waitReady(ctx, m.URL, m.done, 30*time.Second); err != nil {
		m.Close()
		return nil, err
	}
	if err := warm(ctx, m.URL); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// waitReady waits until the emulator at endpoint answers; done, when not nil, closes if its
// process exits meanwhile.
func waitReady(ctx context.Context, endpoint string, done <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/moto-api/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-done: // nil: never
			return errors.New("moto_server exited while starting")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("moto_server did not answer on %s within %s", endpoint, limit)
		}
	}
}

// Close stops the emulator's front and the moto_server it started; a given emulator, and the
// moto_server behind a Front, are left running.
func (e *Emulator) Close() {
	if e == nil {
		return
	}
	if e.front != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		e.front.Shutdown(ctx)
		cancel()
	}
	e.moto.Close()
}

// Close stops the moto_server.
func (m *Moto) Close() {
	if m == nil || m.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		<-m.done
	}
}

// motoLauncher runs moto_server without two per-request costs of moto 5 (see the file).
//
//go:embed moto_server.py
var motoLauncher string

// motoCommand runs the moto_server script bin with args: under motoLauncher, by the Python that
// bin's own first line names (a virtual environment's, pip's, pipx's, a distribution's), or the
// one a pyenv shim stands for; else bin as it is.
func motoCommand(bin string, args ...string) *exec.Cmd {
	if py := pythonOf(bin); py != "" {
		return exec.Command(py, append([]string{"-c", motoLauncher, bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

// pythonOf is the Python interpreter that runs the script bin: the one its "#!" line names, or,
// for a pyenv shim (a shell script that hands its name to pyenv), the one of the script that
// `pyenv which` names; "" when bin is no Python script.
func pythonOf(bin string) string {
	head := readHead(bin)
	if strings.Contains(head, "pyenv\" exec") { // a pyenv shim: pyenv names the script it runs
		out, err := exec.Command("pyenv", "which", filepath.Base(bin)).Output()
		if err != nil {
			return ""
		}
		head = readHead(strings.TrimSpace(string(out)))
	}
	line, _, _ := strings.Cut(head, "\n")
	shebang, ok := strings.CutPrefix(line, "#!")
	fields := strings.Fields(shebang)
	if !ok || len(fields) == 0 {
		return ""
	}
	interp := fields[0]
	if filepath.Base(interp) == "env" && len(fields) > 1 { // #!/usr/bin/env python3
		interp = fields[1]
		if p, err := exec.LookPath(interp); err == nil {
			interp = p
		}
	}
	if !strings.HasPrefix(filepath.Base(interp), "python") {
		return ""
	}
	return interp
}

// readHead is the first KiB of the file at path ("" when it cannot be read).
func readHead(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 1024)
	n, _ := io.ReadFull(f, buf)
	return string(buf[:n])
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
