package localrt

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// report writes the line Lambda writes to the function's log after each invocation, in the
// function's log format
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html): Text,
// the REPORT line; JSON, the platform.report record
// (https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html#platform-report).
// Init Duration is reported on the invocation that started the process, and billed with it: the
// Init phase of an OS-only runtime such as the Go functions' provided.al2023 is billed
// (https://aws.amazon.com/lambda/pricing/). Max Memory Used is the process's peak resident memory.
func (p *process) report(res *Result) {
	p.mu.Lock()
	if !p.reported {
		p.reported = true
		res.InitDuration = p.initTook
	}
	p.mu.Unlock()
	f := p.fn
	ms := func(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }
	billed := int64(math.Ceil(float64(res.Duration+res.InitDuration) / float64(time.Millisecond)))
	used := p.maxMemoryMB()
	status := "success"
	switch {
	case res.ErrorType == "Sandbox.Timedout":
		status = "timeout"
	case res.FunctionError != "":
		status = "error"
	}
	if strings.EqualFold(f.cfg.LogFormat, "JSON") {
		metrics := map[string]any{"durationMs": ms(res.Duration), "billedDurationMs": billed,
			"memorySizeMB": f.cfg.MemoryMB, "maxMemoryUsedMB": used}
		if res.InitDuration > 0 {
			metrics["initDurationMs"] = ms(res.InitDuration)
		}
		record := map[string]any{"requestId": res.RequestID, "metrics": metrics, "status": status}
		if status == "error" {
			record["errorType"] = res.ErrorType
		}
		line, _ := json.Marshal(struct {
			Time   string         `json:"time"`
			Type   string         `json:"type"`
			Record map[string]any `json:"record"`
		}{time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "platform.report", record})
		p.log(string(line))
		return
	}
	line := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		res.RequestID, ms(res.Duration), billed, f.cfg.MemoryMB, used)
	if res.InitDuration > 0 {
		line += fmt.Sprintf("\tInit Duration: %.2f ms", ms(res.InitDuration))
	}
	if status == "timeout" {
		line += "\tStatus: timeout"
	}
	p.log(line)
}

// maxMemoryMB is the process's peak resident memory (VmHWM), in MB as Lambda rounds it up; 0
// where /proc does not tell.
func (p *process) maxMemoryMB() int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return (kb + 1023) / 1024
		}
	}
	return 0
}
