package bench

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cost"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// timeline puts the requests (by the second they were sent) and the sampler's readings (one at
// the end of each second) side by side.
func timeline(samples []load.Sample, readings []Second) []Second {
	n := len(readings)
	for _, s := range samples {
		n = max(n, int(s.Sent/time.Second)+1)
	}
	out := make([]Second, n)
	copy(out, readings)
	latencies := make([][]float64, n)
	for _, s := range samples {
		i := int(s.Sent / time.Second)
		if out[i].Codes == nil {
			out[i].Codes = map[int]int{}
		}
		out[i].Codes[s.Code]++
		if s.Code != 0 {
			latencies[i] = append(latencies[i], float64(s.Latency)/float64(time.Millisecond))
		}
	}
	for i, l := range latencies {
		if len(l) == 0 {
			continue
		}
		slices.Sort(l)
		rank := func(p float64) float64 { return round(l[max(0, int(math.Ceil(p/100*float64(len(l))))-1)]) }
		out[i].P50, out[i].P95, out[i].Max = rank(50), rank(95), round(l[len(l)-1])
	}
	// A second the sampler missed (it reads the emulator) carries the reading before it.
	for i := range out {
		if i >= len(readings) && i > 0 {
			out[i].DeadLetters, out[i].Stored, out[i].ThrottledWrites = out[i-1].DeadLetters, out[i-1].Stored, out[i-1].ThrottledWrites
		}
	}
	return out
}

func round(ms float64) float64 { return math.Round(ms*10) / 10 }

// loadCost prices the step's load on AWS: the rides it sent, at its rate, with the average
// duration each function took here, for as long as the load lasted (cost.Report.LoadUSD).
func loadCost(sys *local.System, steps *synth.Steps, step design.Step, o Options, st local.State) (float64, error) {
	asm, err := steps.Assembly(step)
	if err != nil {
		return 0, err
	}
	prices, err := cost.DefaultPrices()
	if err != nil {
		return 0, err
	}
	p := cost.DefaultProfile()
	p.RidesPerMonth = int64(rides(o.Rate, o.Duration))
	p.PeakRidesPerSecond = o.Rate
	p.DurationsMS = measuredDurations(sys, st)
	r, err := cost.Estimate([]*cfn.Assembly{asm}, p, prices)
	if err != nil {
		return 0, fmt.Errorf("pricing step %d: %w", step, err)
	}
	return r.LoadUSD(o.Duration, prices.HoursPerMonth), nil
}

// measuredDurations are the functions' average AWS/Lambda Duration over the run, by logical ID
// (the names a cost profile takes).
func measuredDurations(sys *local.System, st local.State) map[string]float64 {
	logical := map[string]string{} // physical name -> logical ID
	for _, stack := range st.Stacks {
		for id, physical := range stack.Physical {
			logical[physical] = id
		}
	}
	store := sys.Metrics()
	now := store.Now()
	out := map[string]float64{}
	for _, m := range store.Metrics("AWS/Lambda") {
		id := logical[m.Dimensions["FunctionName"]]
		if m.Name != "Duration" || id == "" {
			continue
		}
		stats, err := store.Statistics(cloudwatch.Metric{Namespace: m.Namespace, Name: m.Name, Dimensions: m.Dimensions},
			"Average", now.Add(-24*time.Hour), now.Add(time.Second), 25*time.Hour)
		if err == nil && len(stats) > 0 && stats[0].Value > 0 {
			out[id] = stats[0].Value
		}
	}
	return out
}
