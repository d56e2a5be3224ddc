package cloudwatch

import (
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
)

func TestADashboardIsDrawnFromTheMetricsAsCloudWatchWouldDrawIt(t *testing.T) {
	cw := New(Options{Clock: clock.Real(), Region: "us-east-1", Account: "123456789012"})
	if err := cw.PutAlarm("errors", errorsAlarm()); err != nil {
		t.Fatal(err)
	}
	body := `{"start":"-PT3H","widgets":[
	 {"type":"metric","x":0,"y":2,"width":8,"height":6,"properties":{"title":"Rides","metrics":[
	   ["WildRydes","RidesHandedOff","Stage","test",{"id":"handedOff","label":"handed off","period":60,"stat":"Sum"}],
	   [".","RidesStored",".",".",{"id":"stored","period":60,"stat":"Sum","visible":false}],
	   [{"expression":"FILL(handedOff, 0) - FILL(stored, 0)","label":"not stored","period":60}]]}},
	 {"type":"text","x":0,"y":0,"width":24,"height":2,"properties":{"markdown":"# Wild Rydes"}},
	 {"type":"alarm","x":0,"y":8,"width":24,"height":4,"properties":{"title":"Alarms","alarms":["` + cw.ARN("errors") + `","arn:aws:cloudwatch:us-east-1:123456789012:alarm:gone"]}}]}`
	d, err := ParseDashboard(body)
	if err != nil {
		t.Fatal(err)
	}
	stage := map[string]string{"Stage": "test"}
	cw.Store.PutAt(Metric{Namespace: "WildRydes", Name: "RidesHandedOff", Dimensions: stage}, t0.Add(-90*time.Second), 1, "Count")
	cw.Store.PutAt(Metric{Namespace: "WildRydes", Name: "RidesHandedOff", Dimensions: stage}, t0.Add(-80*time.Second), 1, "Count")
	cw.Store.PutAt(Metric{Namespace: "WildRydes", Name: "RidesStored", Dimensions: stage}, t0.Add(-30*time.Second), 1, "Count")

	widgets := cw.Render(d, t0, 3*time.Minute)
	if len(widgets) != 3 || widgets[0].Type != "text" || widgets[0].Markdown != "# Wild Rydes" || widgets[1].Type != "metric" || widgets[2].Type != "alarm" {
		t.Fatalf("widgets %+v, want the text, the graph and the alarms in the dashboard's order", widgets)
	}
	g := widgets[1]
	if len(g.Times) != 3 || g.Times[2] != t0.Unix() || len(g.Series) != 2 {
		t.Fatalf("graph %+v: want 3 minutes, the current one last, and the 2 visible lines (stored only feeds the expression)", g)
	}
	show := func(vs []*float64) []any {
		var out []any
		for _, v := range vs {
			if v == nil {
				out = append(out, nil)
			} else {
				out = append(out, *v)
			}
		}
		return out
	}
	if got := show(g.Series[0].Values); got[0] != 2.0 || got[1] != nil || got[2] != nil {
		t.Errorf("handed off per minute %v, want [2 nil nil]", got)
	}
	if got := show(g.Series[1].Values); got[0] != 2.0 || got[1] != -1.0 || got[2] != 0.0 {
		t.Errorf("not stored per minute %v, want [2 -1 0]", got)
	}
	a := widgets[2].Alarms
	if len(a) != 2 || a[0].Name != "errors" || a[0].State != StateInsufficientData || a[1].State != "no such alarm" {
		t.Errorf("alarm widget %+v", a)
	}
}
