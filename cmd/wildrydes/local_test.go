package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A user whose port 4010 is taken by something else is told which flag moves the system.
func TestLocalNamesTheFlagOfAPortInUse(t *testing.T) {
	// GIVEN a cloud assembly (an empty stack: the start stops before deploying) and a taken port
	dir := t.TempDir()
	manifest := `{"version":"48.0.0","artifacts":{"s":{"type":"aws:cloudformation:stack","properties":{"templateFile":"s.template.json"}}}}`
	for name, body := range map[string]string{"manifest.json": manifest, "s.template.json": `{"Resources":{"Q":{"Type":"AWS::SQS::Queue"}}}`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, flag := range []string{"--api-port", "--record-port", "--emulator-port"} {
		t.Run(flag, func(t *testing.T) {
			taken, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer taken.Close()
			port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
			args := []string{"--dir", dir, "--api-port", "0", "--record-port", "0", "--emulator-port", "0", flag, port}

			// WHEN the local system starts on it
			var stdout, stderr bytes.Buffer
			code := execute(context.Background(), append([]string{"local"}, args...), streams{Out: &stdout, Err: &stderr})

			// THEN it stops with one line that names the port and the flag
			want := "local: port " + port + " is in use: choose another with " + flag
			if code != 1 || !strings.Contains(stderr.String(), want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 and %q", code, stderr.String(), want)
			}
		})
	}
}

func TestLocalKeepsAWSsLimitsAndTimingsUnlessToldOtherwise(t *testing.T) {
	o := parseAs[*localOptions](t, "local")
	if o.NoLimits || o.TimeScale != 1 || o.AccountConcurrency != 1000 || o.Concurrency != 0 {
		t.Errorf("by default: no limits %v, time scale %v, account concurrency %d, processes %d; want the limits on, real time, 1,000 and Lambda's own",
			o.NoLimits, o.TimeScale, o.AccountConcurrency, o.Concurrency)
	}
	o = parseAs[*localOptions](t, "local", "--no-limits", "--time-scale", "60", "--account-concurrency", "10")
	if !o.NoLimits || o.TimeScale != 60 || o.AccountConcurrency != 10 {
		t.Errorf("--no-limits --time-scale 60 --account-concurrency 10 parse as %v, %v, %d", o.NoLimits, o.TimeScale, o.AccountConcurrency)
	}
	for _, args := range [][]string{{"--time-scale", "0.5"}, {"--account-concurrency", "0"}, {"--retry-delays", "1s,2s"}} {
		var stderr bytes.Buffer
		if code := execute(context.Background(), append([]string{"local"}, args...), streams{Out: &bytes.Buffer{}, Err: &stderr}); code != exitUsage {
			t.Errorf("local %s: exit %d, want a usage error; stderr %s", strings.Join(args, " "), code, stderr.String())
		}
	}
}
