package bench

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"io"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/weblib"
)

// The page is one file: uPlot (vendored in weblib) and its drawing code inlined, the report's data
// as JSON in it, so it opens without a network.
var (
	uplotJS  = mustRead("uplot/uPlot.iife.min.js")
	uplotCSS = mustRead("uplot/uPlot.min.css")
	//go:embed static/workshop.js
	workshopJS string
	//go:embed static/workshop.html
	workshopHTML string

	workshopPage = template.Must(template.New("workshop").Parse(workshopHTML))
)

// WriteWorkshopHTML writes the report as a self-contained page: the table, then charts of each
// step's answers by status and latency over time, the rides stored, the dead-letter queue's depth
// and the throttled writes.
func WriteWorkshopHTML(w io.Writer, o Options, steps []WorkshopStep) error {
	data, err := json.Marshal(newWorkshopReport(o, steps)) // escapes <, > and &: safe in a script
	if err != nil {
		return err
	}
	rows := workshopRows(steps)
	return workshopPage.Execute(w, map[string]any{
		"Title": workshopTitle(o), "Head": rows[:2], "Rows": rows[2:],
		"UplotCSS": template.CSS(uplotCSS), "UplotJS": template.JS(uplotJS),
		"Data": template.JS(data), "DrawJS": template.JS(workshopJS),
	})
}

func mustRead(name string) string {
	b, err := weblib.FS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}
