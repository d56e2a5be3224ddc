// Command withmoto runs a command (`make test`'s go test) with one moto_server for all the test
// binaries it starts: localtest puts each of their local systems on it, in an AWS account of its
// own (emulator.Front), instead of each test binary starting a moto_server of its own (about 3
// CPU-seconds each with its services loaded). The command starts at once, beside moto_server's
// start; a test binary asks for it where localtest.MotoEnv says and waits until it is up. The
// moto_server stops when the command ends, and withmoto exits with the command's status.
//
//	go run ./internal/tooling/local/localtest/withmoto go test ./...
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: withmoto COMMAND [ARGS...]")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	if m, err := localtest.ServeMoto(); err != nil {
		// Each test binary then starts its own, and says why it cannot if it cannot either.
		fmt.Fprintf(os.Stderr, "withmoto: no shared moto_server (%v); each test binary starts its own\n", err)
	} else {
		defer m.Close()
		cmd.Env = append(cmd.Env, localtest.MotoEnv+"="+m.Addr)
	}
	// Ctrl-C reaches the command from the terminal; withmoto waits for it to end, then stops
	// moto_server (a caught signal, unlike an ignored one, is not inherited by the command).
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		for s := range signals {
			if s == syscall.SIGTERM && cmd.Process != nil {
				_ = cmd.Process.Signal(s)
			}
		}
	}()
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "withmoto:", err)
		return 1
	}
}
