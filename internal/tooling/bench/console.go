package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/console"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// RunConsole loads the final step on one local system three times: without the console, with
// the console serving a connected page (its event stream read as a browser reads it), and
// without it again, so warm-up and drift show apart from what the console costs.
func RunConsole(ctx context.Context, o Options) ([]StepResult, error) {
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	logs := o.SystemLog
	if logs == nil {
		logs = io.Discard
	}
	steps, err := synth.Synthesize(ctx, synth.Options{Root: o.Root, Stage: Stage, Log: progress})
	if err != nil {
		return nil, err
	}
	final, err := steps.Assembly(design.FinalStep)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	sys, err := local.Start(ctx, o.localOptions(logs))
	if err != nil {
		return nil, fmt.Errorf("starting the local system: %w", err)
	}
	defer sys.Close()
	if err := sys.Install(ctx, steps, design.FinalStep, nil); err != nil {
		return nil, err
	}
	startup := time.Since(start)
	st, err := sys.State()
	if err != nil {
		return nil, err
	}
	table := st.RideTable
	loadOnce := func(label string) StepResult {
		res := StepResult{Step: design.FinalStep, Label: label, Startup: startup}
		fmt.Fprintf(progress, "bench: %s: sending %d rides at %g/s\n", label, rides(o.Rate, o.Duration), o.Rate)
		res.Load, res.Err = load.Run(ctx, load.Options{
			URL: st.ApiUrl, Rate: o.Rate, Duration: o.Duration,
			TableName: table, Endpoint: st.Endpoint, Region: st.Region, Settle: o.Settle,
			Progress: progress, ProgressEvery: 5 * time.Second,
		})
		return res
	}
	results := []StepResult{loadOnce("no console")}

	srv, err := console.New(console.Config{System: sys, Assembly: final})
	if err != nil {
		return results, err
	}
	url, stop, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		return results, err
	}
	pageCtx, closePage := context.WithCancel(ctx)
	frames, err := watchPage(pageCtx, url+"api/events")
	if err != nil {
		closePage()
		stop()
		return results, fmt.Errorf("connecting a page to the console: %w", err)
	}
	with := loadOnce("console + 1 page")
	closePage()
	stop()
	with.Label = fmt.Sprintf("console + 1 page (%d frames)", <-frames)
	results = append(results, with, loadOnce("no console again"))
	return results, nil
}

// watchPage reads the console's event stream until ctx ends, as a browser tab does, and then
// says how many frames it got.
func watchPage(ctx context.Context, url string) (<-chan int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	out := make(chan int, 1)
	go func() {
		defer resp.Body.Close()
		n := 0
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if len(sc.Bytes()) == 0 {
				n++
			}
		}
		out <- n
	}()
	return out, nil
}
