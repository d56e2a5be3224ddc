package bench

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
)

var workshopOpts = Options{Rate: WorkshopRate, Duration: WorkshopDuration}

// workshopSteps are step 0 failing riders and step 4 dead-lettering rides, as the workshop's load
// leaves them.
func workshopSteps() []WorkshopStep {
	return []WorkshopStep{
		{Step: design.StepSynchronous, Load: load.Result{Sent: 1800, Codes: map[int]int{201: 480, 502: 1320}, RidesAccepted: 480,
			Latency: load.Latencies{Median: 1900 * time.Millisecond, P95: 2600 * time.Millisecond, P99: 2900 * time.Millisecond}},
			StoredAtOnce: 480, ThrottledWrites: 3900, CostUSD: 0.0009,
			Timeline: []Second{{Codes: map[int]int{201: 10}, P50: 4, P95: 9, Max: 12, Stored: 10}}},
		{Step: design.StepPublish, Load: load.Result{Sent: 1800, Codes: map[int]int{201: 1800}, RidesAccepted: 1800},
			StoredAtOnce: 500, StoredAfterRetries: 160, DeadLettered: 1140, ThrottledWrites: 5000, CostUSD: 0.0011,
			Timeline: []Second{{Codes: map[int]int{201: 10}, DeadLetters: 3, ThrottledWrites: 7}}},
	}
}

func TestTheWorkshopTableHasARowPerFigureAndAColumnPerStep(t *testing.T) {
	var out bytes.Buffer
	WriteWorkshopText(&out, workshopOpts, workshopSteps())
	text := out.String()
	for _, row := range []string{
		`step 0\s+step 4`, `synchronous\s+SNS, provisioned`, `requests sent\s+1800\s+1800`,
		`answered 201\s+480\s+1800`, `answered 502\s+1320\s+0`, `latency p95 \(ms\)\s+2600.0`,
		`rides stored at once\s+480\s+500`, `rides stored after retries\s+0\s+160`,
		`rides dead-lettered\s+0\s+1140`, `rides lost\s+0\s+0`, `throttled writes\s+3900\s+5000`,
		`this load on AWS \(USD\)\s+0.0009\s+0.0011`,
		`OK: every accepted ride is in the table or the dead-letter queue`,
	} {
		if !regexp.MustCompile(row).MatchString(text) {
			t.Errorf("the table has no row %q:\n%s", row, text)
		}
	}
	if !strings.HasPrefix(text, "The workshop's high load: POST /ride, 1800 rides at 10/s (3m0s)") {
		t.Errorf("the table does not say what was run:\n%s", text)
	}
}

func TestAStepThatLostARideFailsTheWorkshop(t *testing.T) {
	steps := workshopSteps()
	steps[1].Lost = 2
	var out bytes.Buffer
	WriteWorkshopText(&out, workshopOpts, steps)
	if WorkshopOK(steps) || !strings.Contains(out.String(), "step 4: 2 accepted rides are in neither the table nor the dead-letter queue") {
		t.Errorf("a lost ride passed:\n%s", out.String())
	}
}

func TestAcceptedRidesAreStoredAtOnceAfterRetriesDeadLetteredOrLost(t *testing.T) {
	r := WorkshopStep{Load: load.Result{
		Rides:   []ride.Ride{{RideID: "a"}, {RideID: "b"}, {RideID: "c"}, {RideID: "d"}, {RideID: "e"}},
		Missing: []string{"c", "d"},
	}}
	// a: stored by its first attempt; b: by its third; c: in the queue; d: nowhere; e: stored
	// synchronously (no delivery).
	r.classify(map[string]int{"a": 1, "b": 3}, map[string]bool{"c": true})
	if r.StoredAtOnce != 2 || r.StoredAfterRetries != 1 || r.DeadLettered != 1 || r.Lost != 1 {
		t.Errorf("at once %d, after retries %d, dead-lettered %d, lost %d; want 2, 1, 1, 1",
			r.StoredAtOnce, r.StoredAfterRetries, r.DeadLettered, r.Lost)
	}
}

func TestTheTimelineCountsAnswersByTheSecondTheyWereSent(t *testing.T) {
	samples := []load.Sample{
		{Sent: 100 * time.Millisecond, Latency: 10 * time.Millisecond, Code: 201},
		{Sent: 900 * time.Millisecond, Latency: 30 * time.Millisecond, Code: 201},
		{Sent: 1200 * time.Millisecond, Latency: 2 * time.Second, Code: 502},
		{Sent: 1300 * time.Millisecond, Code: 0},
	}
	got := timeline(samples, []Second{{Stored: 2}, {Stored: 2, DeadLetters: 1}, {Stored: 3}})
	if len(got) != 3 || got[0].Codes[201] != 2 || got[1].Codes[502] != 1 || got[1].Codes[0] != 1 {
		t.Fatalf("timeline %+v", got)
	}
	if got[0].P50 != 10 || got[0].Max != 30 || got[1].P95 != 2000 || got[2].Stored != 3 || got[1].DeadLetters != 1 {
		t.Errorf("timeline %+v: want latencies in ms per second sent, and the sampler's readings", got)
	}
}

func TestTheWorkshopPageDrawsEveryStepAndNeedsNoNetwork(t *testing.T) {
	var page bytes.Buffer
	if err := WriteWorkshopHTML(&page, workshopOpts, workshopSteps()); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	if m := regexp.MustCompile(`(?i)(src|href)\s*=|url\(\s*['"]?https?:|@import`).FindString(html); m != "" {
		t.Errorf("the page loads something (%q): it must open without a network", m)
	}
	if !strings.Contains(html, "uPlot") || !strings.Contains(html, "<td>SNS, provisioned</td>") && !strings.Contains(html, "<th>SNS, provisioned</th>") {
		t.Error("the page lacks uPlot or the table")
	}
	data := regexp.MustCompile(`const report = (.*);</script>`).FindStringSubmatch(html)
	if data == nil {
		t.Fatal("the page carries no report data")
	}
	var rep workshopReport
	if err := json.Unmarshal([]byte(data[1]), &rep); err != nil || len(rep.Steps) != 2 || rep.Steps[1].DeadLettered != 1140 {
		t.Errorf("the page's data %s... does not read back as the report (%v)", data[1][:min(len(data[1]), 200)], err)
	}
}
