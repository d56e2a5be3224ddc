package console

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's Chromium: its headless shell first (Debian's chromium-headless-shell,
// the same Blink without the browser's UI, which chromedp's own image ships:
// github.com/chromedp/docker-headless-shell; about 40 % less CPU for this test than the full
// browser in its headless mode), else the browser. In CI the absence of both fails the test; on
// a workstation the test says how to install it and skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: CI must install it (apt-get install -y chromium-headless-shell)")
	}
	t.Skip("chromium is not installed; to run the browser test: sudo apt-get update && sudo apt-get install -y chromium-headless-shell")
	return ""
}

// artifacts is where a failing browser test leaves its screenshot.
func artifacts(t *testing.T) string {
	dir := os.Getenv("WILDRYDES_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "wildrydes-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var unicornSentence = regexp.MustCompile(`^\S.*, your \S+ unicorn, is on their way\.$`)

func TestInABrowserARiderBooksAUnicornAndWatchesTheRideThroughTheSystem(t *testing.T) {
	path := chromium(t)
	sys := system(t)
	t.Cleanup(func() { sys.SetTableUnavailable(0) }) // the system is shared: leave the table up
	srv, err := New(Config{System: sys, Assembly: final})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1500, 1060))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()

	var mu sync.Mutex
	var errors []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				errors = append(errors, fmt.Sprintf("%s %s (%s:%d)", m.Source, m.Text, m.URL, m.Line))
				mu.Unlock()
			}
		}
	}()
	shot := func(name string) string {
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return "no screenshot: " + err.Error()
		}
		p := filepath.Join(artifacts(t), name)
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			return err.Error()
		}
		return p
	}
	// run does the actions, and on failure saves what the page looked like.
	run := func(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v (screenshot: %s)", what, err, shot(strings.ReplaceAll(t.Name(), "/", "_")+".png"))
		}
	}
	eval := func(t *testing.T, what, js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v (screenshot: %s)", what, err, shot(strings.ReplaceAll(t.Name(), "/", "_")+".png"))
		}
		return v
	}
	until := func(t *testing.T, what, js string, d time.Duration) {
		t.Helper()
		run(t, what, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](js, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(50*time.Millisecond))(ctx, tg)
			return err
		}))
	}
	figure := func(kind, field string) string {
		return fmt.Sprintf(`(document.querySelector('#system [data-kind=%s]')||{dataset:{}}).dataset.%s`, kind, field)
	}
	// The dead-letter queue's alarm, by its label (its logical ID without CDK's hash).
	const dlqAlarm = `(document.querySelector('#system [data-kind=alarm][data-label=DeadLetterQueueAlarm]')||{dataset:{}}).dataset.state`
	items := func(t *testing.T) string {
		return eval(t, "reading the table's figure", `String(`+figure("table", "items")+`)`)
	}
	request := func(t *testing.T) string {
		before := eval(t, "reading the ride ID", `document.getElementById('ride-id').textContent`)
		run(t, "requesting a unicorn", chromedp.Click(chromedp.CSS("#request")))
		until(t, "the page shows a new ride", fmt.Sprintf(`document.getElementById('ride-id').textContent !== %q && !document.getElementById('result').hidden`, before), 10*time.Second)
		return eval(t, "reading the ride ID", `document.getElementById('ride-id').textContent`)
	}

	// The operator subscribes to both stacks' alarm topics, as on AWS: through SNS's API.
	st, err := sys.State()
	if err != nil {
		t.Fatal(err)
	}
	snsClient := sns.NewFromConfig(st.Config(), func(o *sns.Options) { o.BaseEndpoint = aws.String(st.SNS) })
	for _, stack := range st.Stacks {
		if _, err := snsClient.Subscribe(context.Background(), &sns.SubscribeInput{TopicArn: aws.String(stack.Outputs["AlarmTopicArn"]),
			Protocol: aws.String("email"), Endpoint: aws.String("ops@example.com")}); err != nil {
			t.Fatal(err)
		}
	}

	run(t, "opening the console", chromedp.Navigate(url))
	until(t, "the system is drawn with the table's items", figure("table", "items")+` !== undefined`, 15*time.Second)

	t.Run("a click on the map and on Request Unicorn books a ride, stored in the table", func(t *testing.T) {
		lat := eval(t, "reading the latitude", `document.getElementById('lat').value`)
		run(t, "clicking on the map", chromedp.Click(chromedp.CSS("#map")))
		if now := eval(t, "reading the latitude", `document.getElementById('lat').value`); now == lat {
			t.Errorf("clicking on the map left the latitude at %s", lat)
		}
		n := items(t)
		rideID := request(t)
		sentence := eval(t, "reading the answer", `document.getElementById('sentence').textContent`)
		if !unicornSentence.MatchString(sentence) {
			t.Errorf("the page says %q, want \"<Name>, your <Color> unicorn, is on their way.\"", sentence)
		}
		until(t, "the table's figure rises by one", fmt.Sprintf(`%s === "%d"`, figure("table", "items"), atoi(n)+1), 10*time.Second)
		until(t, "the ride's trace shows it stored", fmt.Sprintf(`document.getElementById('trace').dataset.ride === %q && document.getElementById('trace-end').dataset.ended === "table"`, rideID), 10*time.Second)
		trace := eval(t, "reading the trace", `document.getElementById('trace').innerText`)
		for _, hop := range []string{"POST /ride → RequestRide", "publish to", "attempt 1"} {
			if !strings.Contains(trace, hop) {
				t.Errorf("the trace %q has no %q", trace, hop)
			}
		}
	})

	t.Run("the drawing: every box holds its whole name, no name is a hash, no edge runs through a box", func(t *testing.T) {
		if problems := eval(t, "checking the drawing", drawingProblems); problems != "" {
			t.Errorf("the system's drawing:\n%s", problems)
		}
		// The check sees an edge drawn through a box: one across the first function's.
		crossing := eval(t, "checking a crossing edge", `(() => {
		  const g = document.querySelector('#system [data-kind=function]'), m = g.transform.baseVal.consolidate().matrix, r = g.querySelector('rect').getBBox();
		  const e = el("g", { class: "edge", "data-from": "nowhere", "data-to": "nowhere" });
		  e.appendChild(el("path", { d: "M" + (m.e - 20) + " " + (m.f + r.height / 2) + " L" + (m.e + r.width + 20) + " " + (m.f + r.height / 2) }));
		  document.getElementById('system').appendChild(e);
		  const found = `+drawingProblems+`;
		  e.remove();
		  return found;
		})()`)
		if !strings.Contains(crossing, "runs through") {
			t.Errorf("the drawing check did not see an edge drawn through a box: %q", crossing)
		}
		if n := eval(t, "counting the nodes", `String(document.querySelectorAll('#system .node').length)`); atoi(n) < 10 {
			t.Errorf("%s nodes drawn", n)
		}
	})

	t.Run("the dashboards draw the templates' widgets from the local metrics", func(t *testing.T) {
		until(t, "both stacks' dashboards are listed", `document.querySelectorAll('#dashboard-tabs button').length === 2`, 10*time.Second)
		until(t, "the ride pipeline's graph has points", `[...document.querySelectorAll('#dashboard .widget')].some(w => w.dataset.title === "Rides handed off and stored (per minute)" && Number(w.dataset.points) > 0)`, 10*time.Second)
		for _, title := range []string{"Delivery latency, booking to table (ms)", "Function errors", "5xx answers per API", "Alarms"} {
			if found := eval(t, "reading the widgets", fmt.Sprintf(`String([...document.querySelectorAll('#dashboard .widget')].some(w => w.dataset.title === %q))`, title)); found != "true" {
				t.Errorf("the dashboard has no widget %q", title)
			}
		}
		alarms := eval(t, "reading the alarms", `String(document.querySelectorAll('#system [data-kind=alarm]').length) + " " + String([...document.querySelectorAll('#alarm-list li')].filter(li => ["OK","ALARM","INSUFFICIENT_DATA"].includes(li.dataset.state)).length)`)
		if parts := strings.Fields(alarms); len(parts) != 2 || parts[0] != parts[1] || parts[0] == "0" {
			t.Errorf("alarms drawn and listed with a state: %s, want every alarm of the drawing listed with its state", alarms)
		}
	})

	t.Run("with the table down, rides are retried and dead-lettered; a re-drive stores them", func(t *testing.T) {
		n := atoi(items(t))
		run(t, "breaking the table", chromedp.SetValue(chromedp.CSS("#fault-seconds"), "60"), chromedp.Click(chromedp.CSS("#fault-on")))
		until(t, "the page says the table is unavailable", `!document.getElementById('fault-note').hidden`, 5*time.Second)
		var rides []string
		for i := 0; i < 3; i++ {
			rides = append(rides, request(t))
		}
		until(t, "the retries and the dead-letter count rise", fmt.Sprintf(`Number(%s) >= 3 && [...document.querySelectorAll('#system [data-kind=function]')].some(g => Number(g.dataset.retried) >= 6)`, figure("queue", "messages")), 20*time.Second)
		until(t, "the alarm goes off", dlqAlarm+` === "ALARM"`, 5*time.Second)
		until(t, "the alarms panel says so, with the change", `document.querySelector('#alarm-list li[data-alarm=DeadLetterQueueAlarm]').dataset.state === "ALARM" && document.getElementById('alarm-changes').innerText.includes("OK → ALARM")`, 5*time.Second)
		until(t, "the operator's email is in the outbox", `[...document.querySelectorAll('#outbox summary')].some(s => s.textContent.includes("to ops@example.com: ALARM: "))`, 5*time.Second)
		until(t, "the last ride's trace ends in the dead-letter queue", fmt.Sprintf(`document.getElementById('trace').dataset.ride === %q && document.getElementById('trace-end').dataset.ended === "dead-letter queue"`, rides[2]), 10*time.Second)
		run(t, "restoring the table and re-driving", chromedp.Click(chromedp.CSS("#fault-off")), chromedp.Click(chromedp.CSS("#dlq-redrive")))
		until(t, "the queue empties", figure("queue", "messages")+` === "0"`, 15*time.Second)
		until(t, "the table catches up", fmt.Sprintf(`%s === "%d"`, figure("table", "items"), n+3), 10*time.Second)
		until(t, "the alarm is OK again", dlqAlarm+` === "OK"`, 5*time.Second)
		until(t, "the ride's trace says it was re-driven and stored", `document.getElementById('trace-end').dataset.ended === "table" && document.getElementById('trace').innerText.includes("re-driven")`, 5*time.Second)
	})

	t.Run("a bad location shows the API's error", func(t *testing.T) {
		run(t, "asking for a pickup at latitude 95", chromedp.SetValue(chromedp.CSS("#lat"), "95"), chromedp.Click(chromedp.CSS("#request")))
		until(t, "the page shows the API's error", `!document.getElementById('error').hidden`, 10*time.Second)
		if msg := eval(t, "reading the error", `document.getElementById('error').textContent`); !strings.Contains(msg, "400") || !strings.Contains(msg, "Latitude") {
			t.Errorf("the page says %q, want the API's 400 naming Latitude", msg)
		}
	})

	if p := os.Getenv("WILDRYDES_CONSOLE_SCREENSHOT"); p != "" {
		run(t, "setting a pickup back", chromedp.SetValue(chromedp.CSS("#lat"), "42.3525"))
		request(t)
		until(t, "the trace is stored", `document.getElementById('trace-end').dataset.ended === "table"`, 10*time.Second)
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(p, buf, 0o644)
		}
		if err != nil {
			t.Errorf("writing the screenshot to %s: %v", p, err)
		}
	}

	time.Sleep(200 * time.Millisecond) // the last console messages
	mu.Lock()
	defer mu.Unlock()
	for _, e := range errors {
		// The browser itself logs the refused request of the bad location; the page logged nothing.
		if strings.HasPrefix(e, "network ") && strings.Contains(e, "status of 400") {
			continue
		}
		t.Errorf("the browser's console logged an error: %s", e)
	}
}

// drawingProblems lists, one a line, a box too narrow for a line of its text, a name cut or
// hashed, and an edge that runs through a box it does not connect.
const drawingProblems = `(() => {
  const problems = [];
  const nodes = [...document.querySelectorAll('#system .node')];
  const boxes = nodes.map(g => { const r = g.querySelector('rect').getBBox(), m = g.transform.baseVal.consolidate().matrix;
    return {id: g.dataset.node, x: m.e + r.x, y: m.f + r.y, w: r.width, h: r.height}; });
  for (const g of nodes) {
    const w = g.querySelector('rect').getBBox().width;
    for (const t of g.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.x + b.width > w - 2) problems.push(g.dataset.label + ': "' + t.textContent + '" runs out of its box');
    }
    if (/…/.test(g.dataset.label) || /[0-9A-F]{8}$/.test(g.dataset.label)) problems.push('a name cut or hashed: ' + g.dataset.label);
  }
  for (const e of document.querySelectorAll('#system .edge')) {
    for (const p of e.querySelectorAll('path')) {
      const len = p.getTotalLength();
      for (let d = 0; d <= len; d += 2) {
        const pt = p.getPointAtLength(d);
        for (const b of boxes) {
          if (b.id !== e.dataset.from && b.id !== e.dataset.to && pt.x > b.x + 1 && pt.x < b.x + b.w - 1 && pt.y > b.y + 1 && pt.y < b.y + b.h - 1) {
            problems.push('the edge ' + e.dataset.from + ' -> ' + e.dataset.to + ' runs through ' + b.id);
          }
        }
      }
    }
  }
  return [...new Set(problems)].join("\n");
})()`

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}
