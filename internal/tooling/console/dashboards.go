package console

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
)

// DashboardView is one dashboard of the templates, drawn from the local system's metrics: the
// widgets a user will see on AWS, with what the local system recorded.
type DashboardView struct {
	Name string
	// From and To bound the graphs (the clock's time); a graph has a point per period.
	From, To time.Time
	Widgets  []cloudwatch.WidgetData
}

// dashboards is GET /api/dashboards: every deployed dashboard, drawn now.
func (s *Server) dashboards(w http.ResponseWriter, r *http.Request) {
	cw := s.cfg.System.CloudWatch()
	bodies := cw.Dashboards()
	now := s.cfg.System.Clock().Now()
	out := []DashboardView{}
	for _, name := range slices.Sorted(maps.Keys(bodies)) {
		d, err := cloudwatch.ParseDashboard(bodies[name])
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": name + ": " + err.Error()})
			return
		}
		span := cw.Span(d)
		out = append(out, DashboardView{Name: name, From: now.Add(-span), To: now, Widgets: cw.Render(d, now, span)})
	}
	writeJSON(w, http.StatusOK, out)
}
