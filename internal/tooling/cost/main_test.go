package cost

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestMainCommand(t *testing.T) {
	// The assemblies of today's stacks (assembly_test.go), and one that does not exist.
	step0, final := assemblyDir(t, "step0"), assemblyDir(t, "final")
	missing := filepath.Join(t.TempDir(), "nothing-here")
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string
		stderr     string
		stdoutJSON bool
	}{
		{name: "the examples print the seed's answers", args: []string{"--examples"}, code: 0,
			stdout: []string{"39.08", "14.08", "9.08", "4.08", "1.88", "1.53", "1.78", "Assumptions:"}},
		{name: "the examples print as JSON", args: []string{"--examples", "--json"}, code: 0, stdoutJSON: true},
		{name: "one assembly prints its report", args: []string{"--dir", final}, code: 0,
			stdout: []string{"RequestRide", "PutRideRecordSns", "RidesSnsTopic", "publishes", "on-demand writes", "TOTAL"}},
		{name: "one assembly prints as JSON", args: []string{"--dir", final, "--json"}, code: 0, stdoutJSON: true},
		{name: "compare shows the saving of the final step over step 0",
			args: []string{"--compare-dir", step0, "--dir", final}, code: 0,
			stdout: []string{"before: " + step0, "after:  " + final, "saving: $"}},
		{name: "compare prints as JSON", args: []string{"--compare-dir", step0, "--dir", final, "--json"}, code: 0, stdoutJSON: true},
		{name: "a duration may name a function only one compared step has",
			args: []string{"--compare-dir", step0, "--dir", final, "--duration", "PutRideRecord=40ms", "--duration", "PutRideRecordSns=40ms"}, code: 0,
			stdout: []string{"saving:"}},
		{name: "us-east-2 works", args: []string{"--dir", final, "--region", "us-east-2"}, code: 0, stdout: []string{"us-east-2"}},
		{name: "the free tier is subtracted", args: []string{"--dir", final, "--free-tier"}, code: 0, stdout: []string{"free tier", "with free tier"}},
		{name: "an unknown region is a usage error", args: []string{"--dir", final, "--region", "eu-west-1"}, code: 2,
			stderr: `unknown region "eu-west-1": the price table has us-east-1, us-east-2`},
		{name: "a malformed duration is a usage error", args: []string{"--duration", "RequestRide=fast"}, code: 2, stderr: "neither a duration"},
		{name: "a duration for no function is a usage error", args: []string{"--dir", final, "--duration", "Nope=5ms"}, code: 2,
			stderr: "no function of that name"},
		{name: "an unknown flag is a usage error", args: []string{"--step", "3"}, code: 2, stderr: "flag provided but not defined"},
		{name: "a stray argument is a usage error", args: []string{"cdk.out"}, code: 2, stderr: "unexpected argument"},
		{name: "negative rides are a usage error", args: []string{"--rides", "-1"}, code: 2, stderr: "must not be negative"},
		{name: "a missing assembly says to synthesize", args: []string{"--dir", missing}, code: 1, stderr: "run cdk synth first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if tt.stderr != "" && !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr.String())
			}
			if tt.stdoutJSON && !json.Valid(stdout.Bytes()) {
				t.Errorf("stdout is not JSON:\n%s", stdout.String())
			}
		})
	}
}
