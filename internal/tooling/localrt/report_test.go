package localrt_test

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localrt"
)

// reports are the lines of log that start with prefix and hold kind.
func reports(log *localtest.Log, prefix, kind string) []string {
	var out []string
	for _, line := range strings.Split(log.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "[echofn] "); ok && strings.HasPrefix(rest, prefix) && strings.Contains(rest, kind) {
			out = append(out, rest)
		}
	}
	return out
}

func TestEachInvocationEndsWithLambdasReportLineAndTheColdStartHasItsInitDuration(t *testing.T) {
	var log localtest.Log
	f := start(t, localrt.Config{MemoryMB: 256, MaxConcurrency: 1, Log: &log})
	cold := invoke(t, f, `{"do":"echo","value":1}`)
	warm := invoke(t, f, `{"do":"sleep","ms":30}`)
	lines := reports(&log, "REPORT ", "")
	if len(lines) != 2 {
		t.Fatalf("%d REPORT lines for 2 invocations:\n%s", len(lines), log.String())
	}
	number := `\d+\.\d{2}`
	coldLine := regexp.MustCompile(`^REPORT RequestId: ` + cold.RequestID + `\tDuration: ` + number + ` ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: [1-9]\d* MB\tInit Duration: ` + number + ` ms$`)
	warmLine := regexp.MustCompile(`^REPORT RequestId: ` + warm.RequestID + `\tDuration: (` + number + `) ms\tBilled Duration: (\d+) ms\tMemory Size: 256 MB\tMax Memory Used: [1-9]\d* MB$`)
	if !coldLine.MatchString(lines[0]) {
		t.Errorf("the cold start's report is\n%q, want it to match %s", lines[0], coldLine)
	}
	m := warmLine.FindStringSubmatch(lines[1])
	if m == nil {
		t.Fatalf("the warm invocation's report is\n%q, want it to match %s", lines[1], warmLine)
	}
	if cold.InitDuration <= 0 || warm.InitDuration != 0 {
		t.Errorf("Init Duration %v cold and %v warm, want it on the cold start only", cold.InitDuration, warm.InitDuration)
	}
	duration, _ := strconv.ParseFloat(m[1], 64)
	billed, _ := strconv.ParseFloat(m[2], 64)
	if duration < 30 || billed < math.Floor(duration) || billed > duration+1 {
		t.Errorf("a 30 ms sleep reported Duration %s ms and Billed Duration %s ms, want at least 30 ms billed by the millisecond up", m[1], m[2])
	}
}

func TestWithTheJSONLogFormatTheReportIsAPlatformReportRecord(t *testing.T) {
	var log localtest.Log
	f := start(t, localrt.Config{MemoryMB: 128, LogFormat: "JSON", LogLevel: "INFO", Log: &log})
	if got := string(invoke(t, f, `{"do":"env","name":"AWS_LAMBDA_LOG_FORMAT"}`).Payload); got != `"JSON"` {
		t.Errorf("the function was told AWS_LAMBDA_LOG_FORMAT = %s, want JSON", got)
	}
	failed := invoke(t, f, `{"do":"fail","name":"no unicorn"}`)
	lines := reports(&log, `{"time"`, `"type":"platform.report"`)
	if len(lines) != 2 {
		t.Fatalf("%d platform.report records for 2 invocations:\n%s", len(lines), log.String())
	}
	var rec struct {
		Time   string
		Type   string
		Record struct {
			RequestID string
			Status    string
			ErrorType string
			Metrics   map[string]float64
		}
	}
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Type != "platform.report" || rec.Record.RequestID != failed.RequestID || rec.Record.Status != "error" ||
		rec.Record.ErrorType != "unicornError" || rec.Time == "" {
		t.Errorf("the failed invocation's record is %s", lines[1])
	}
	for _, k := range []string{"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB"} {
		if _, ok := rec.Record.Metrics[k]; !ok {
			t.Errorf("the record's metrics lack %s: %s", k, lines[1])
		}
	}
	if _, ok := rec.Record.Metrics["initDurationMs"]; ok || rec.Record.Metrics["memorySizeMB"] != 128 {
		t.Errorf("a warm invocation's record has an Init Duration, or the wrong memory size: %s", lines[1])
	}
}
