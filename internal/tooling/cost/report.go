package cost

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Line is one billed quantity of one resource: MonthlyUSD = Quantity / Per × UnitUSD.
// Free-tier credits are lines with a negative Quantity.
type Line struct {
	Stack    string `json:"stack,omitempty"`
	Resource string `json:"resource"`
	Service  string `json:"service"`
	// Usage says what is billed: "requests", "compute (arm64, 256 MB)", "log ingestion", ...
	Usage      string   `json:"usage"`
	Quantity   float64  `json:"quantity"`
	Unit       string   `json:"unit"`
	Price      PriceKey `json:"price"`
	UnitUSD    float64  `json:"unit_usd"`
	Per        float64  `json:"per"`
	MonthlyUSD float64  `json:"monthly_usd"`
}

// ServiceTotal is the monthly cost of one AWS service.
type ServiceTotal struct {
	Service    string  `json:"service"`
	MonthlyUSD float64 `json:"monthly_usd"`
}

// FunctionUse is how the model drives one Lambda function.
type FunctionUse struct {
	Stack        string  `json:"stack"`
	Name         string  `json:"name"`
	Invocations  float64 `json:"invocations"`
	DurationMS   float64 `json:"duration_ms"`
	MemoryMB     float64 `json:"memory_mb"`
	Architecture string  `json:"architecture"`
	// Trigger says where the invocations come from: "POST /ride", "topic RidesSnsTopic", or
	// "no ride reaches it" for a function idle under the profile (it may still have a route).
	Trigger string `json:"trigger"`
}

// Report is the monthly cost of one deployment (or one example scenario).
type Report struct {
	Title         string         `json:"title"`
	Region        string         `json:"region"`
	FreeTier      bool           `json:"free_tier"`
	PricesChecked string         `json:"prices_checked"`
	Profile       *Profile       `json:"profile,omitempty"`
	Functions     []FunctionUse  `json:"functions,omitempty"`
	Lines         []Line         `json:"lines"`
	Services      []ServiceTotal `json:"services"`
	TotalUSD      float64        `json:"total_usd"`
	// Warnings are what the deployment would run into with this profile (throttling).
	Warnings []string `json:"warnings,omitempty"`
	// Notes are the assumptions behind the figures and what is left out.
	Notes []string `json:"notes,omitempty"`
}

// Service returns the monthly cost of one service, 0 if the report has none of it.
func (r Report) Service(name string) float64 {
	for _, s := range r.Services {
		if s.Service == name {
			return s.MonthlyUSD
		}
	}
	return 0
}

// total fills Services (in order of first appearance, which follows a ride through the system)
// and TotalUSD from Lines.
func (r *Report) total() {
	r.Services, r.TotalUSD = nil, 0
	index := map[string]int{}
	for _, l := range r.Lines {
		i, ok := index[l.Service]
		if !ok {
			i = len(r.Services)
			index[l.Service] = i
			r.Services = append(r.Services, ServiceTotal{Service: l.Service})
		}
		r.Services[i].MonthlyUSD += l.MonthlyUSD
		r.TotalUSD += l.MonthlyUSD
	}
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report as aligned tables: one line per billed quantity, then the total of
// each service, then warnings and notes.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	free := "no free tier"
	if r.FreeTier {
		free = "with free tier"
	}
	fmt.Fprintf(&b, "%s\n%s, list prices checked %s, %s\n", r.Title, r.Region, r.PricesChecked, free)
	if p := r.Profile; p != nil {
		fmt.Fprintf(&b, "profile: %s rides/month, peak %s rides/s, %s B payload, %s B of logs per invocation\n",
			number(float64(p.RidesPerMonth)), number(p.PeakRidesPerSecond), number(float64(p.PayloadBytes)), number(float64(p.LogBytesPerInvocation)))
	}
	if len(r.Functions) > 0 {
		b.WriteString("\n")
		rows := [][]string{{"FUNCTION", "TRIGGER", "INVOCATIONS", "AVG DURATION", "MEMORY", "ARCH"}}
		for _, f := range r.Functions {
			rows = append(rows, []string{f.Name, f.Trigger, number(f.Invocations), number(f.DurationMS) + " ms", number(f.MemoryMB) + " MB", f.Architecture})
		}
		writeTable(&b, rows, []bool{false, false, true, true, true, false})
	}

	b.WriteString("\n")
	rows := [][]string{{"RESOURCE", "SERVICE", "USAGE", "QUANTITY", "UNIT PRICE", "MONTHLY USD"}}
	for _, l := range r.Lines {
		unit := l.Unit
		if math.Abs(l.Quantity) == 1 {
			unit = singular(unit)
		}
		rows = append(rows, []string{l.Resource, l.Service, l.Usage, number(l.Quantity) + " " + unit, unitPrice(l), money(l.MonthlyUSD)})
	}
	rows = append(rows, []string{"TOTAL", "", "", "", "", money(r.TotalUSD)})
	writeTable(&b, rows, []bool{false, false, false, true, true, true})

	b.WriteString("\n")
	rows = [][]string{{"SERVICE", "MONTHLY USD"}}
	for _, s := range r.Services {
		rows = append(rows, []string{s.Service, money(s.MonthlyUSD)})
	}
	rows = append(rows, []string{"TOTAL", money(r.TotalUSD)})
	writeTable(&b, rows, []bool{false, true})
	b.WriteString("(each figure is rounded to the cent; totals add the unrounded amounts)\n")

	list(&b, "Warnings", r.Warnings)
	list(&b, "Notes", r.Notes)
	_, err := io.WriteString(w, b.String())
	return err
}

// Comparison is the monthly cost of one deployment against another, service by service.
type Comparison struct {
	Before         string         `json:"before"`
	After          string         `json:"after"`
	Services       []ServiceDelta `json:"services"`
	BeforeTotalUSD float64        `json:"before_total_usd"`
	AfterTotalUSD  float64        `json:"after_total_usd"`
	// DeltaUSD is After − Before; SavingUSD is Before − After (negative when After costs more).
	DeltaUSD  float64 `json:"delta_usd"`
	SavingUSD float64 `json:"saving_usd"`
}

// ServiceDelta is one service's monthly cost before and after.
type ServiceDelta struct {
	Service   string  `json:"service"`
	BeforeUSD float64 `json:"before_usd"`
	AfterUSD  float64 `json:"after_usd"`
	DeltaUSD  float64 `json:"delta_usd"`
}

// Compare sets report b (after, e.g. the final refactor step) against report a (before, e.g.
// step 0): the change of every service that appears in either, and the saving.
func Compare(a, b Report) Comparison {
	c := Comparison{Before: a.Title, After: b.Title, BeforeTotalUSD: a.TotalUSD, AfterTotalUSD: b.TotalUSD}
	seen := map[string]bool{}
	for _, list := range [][]ServiceTotal{a.Services, b.Services} {
		for _, s := range list {
			if seen[s.Service] {
				continue
			}
			seen[s.Service] = true
			before, after := a.Service(s.Service), b.Service(s.Service)
			c.Services = append(c.Services, ServiceDelta{Service: s.Service, BeforeUSD: before, AfterUSD: after, DeltaUSD: after - before})
		}
	}
	c.DeltaUSD = b.TotalUSD - a.TotalUSD
	c.SavingUSD = a.TotalUSD - b.TotalUSD
	return c
}

// Service returns the change of one service, zero if neither report has it.
func (c Comparison) Service(name string) ServiceDelta {
	for _, s := range c.Services {
		if s.Service == name {
			return s
		}
	}
	return ServiceDelta{Service: name}
}

// WriteText writes the comparison as an aligned table and a sentence with the saving.
func (c Comparison) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "before: %s\nafter:  %s\n\n", c.Before, c.After)
	rows := [][]string{{"SERVICE", "BEFORE USD", "AFTER USD", "CHANGE USD"}}
	for _, s := range c.Services {
		rows = append(rows, []string{s.Service, money(s.BeforeUSD), money(s.AfterUSD), signed(s.DeltaUSD)})
	}
	rows = append(rows, []string{"TOTAL", money(c.BeforeTotalUSD), money(c.AfterTotalUSD), signed(c.DeltaUSD)})
	writeTable(&b, rows, []bool{false, true, true, true})
	b.WriteString("\n")
	switch saving := cents(c.SavingUSD); {
	case saving > 0:
		fmt.Fprintf(&b, "saving: $%s a month", money(c.SavingUSD))
		if c.BeforeTotalUSD > 0 {
			fmt.Fprintf(&b, " (%.0f%% of before)", 100*c.SavingUSD/c.BeforeTotalUSD)
		}
		b.WriteString("\n")
	case saving < 0:
		fmt.Fprintf(&b, "after costs $%s a month more\n", money(-c.SavingUSD))
	default:
		b.WriteString("no change to the cent\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the comparison as indented JSON.
func (c Comparison) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// cents rounds USD to whole cents, the precision every figure is shown and tested at.
func cents(usd float64) int64 { return int64(math.Round(usd * 100)) }

// money formats USD to the cent, without a sign for zero.
func money(usd float64) string {
	c := cents(usd)
	if c == 0 {
		return "0.00"
	}
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%s.%02d", sign, number(float64(c/100)), c%100)
}

func signed(usd float64) string {
	if cents(usd) > 0 {
		return "+" + money(usd)
	}
	return money(usd)
}

// unitPrice renders a line's price as the pricing pages write it: "$0.20 per 1M requests",
// "$0.0000133334 per GB-s", "$0.00065 per WCU-hour".
func unitPrice(l Line) string {
	usd := strconv.FormatFloat(l.UnitUSD, 'f', -1, 64)
	if i := strings.IndexByte(usd, '.'); i < 0 {
		usd += ".00"
	} else if len(usd)-i-1 < 2 {
		usd += strings.Repeat("0", 2-(len(usd)-i-1))
	}
	switch {
	case l.Per == 1:
		return fmt.Sprintf("$%s per %s", usd, singular(l.Unit))
	case l.Per == 1e6:
		return fmt.Sprintf("$%s per 1M %s", usd, l.Unit)
	default:
		return fmt.Sprintf("$%s per %s %s", usd, number(l.Per), l.Unit)
	}
}

// singular turns the price table's time-based units into one: "WCU-hours" -> "WCU-hour".
func singular(unit string) string {
	if strings.HasSuffix(unit, "hours") || strings.HasSuffix(unit, "months") {
		return strings.TrimSuffix(unit, "s")
	}
	return unit
}

// number formats a quantity with thousands separators: whole numbers without decimals, small
// fractions with four significant decimals.
func number(v float64) string {
	if v < 0 {
		return "-" + number(-v)
	}
	if v != math.Trunc(v) && v < 1000 {
		// Four significant digits: 0.9313 GB, 12.5 ms, 0.00002794 GB.
		scale := math.Pow(10, 3-math.Floor(math.Log10(v)))
		return strconv.FormatFloat(math.Round(v*scale)/scale, 'f', -1, 64)
	}
	digits := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	var out []byte
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, digits[i])
	}
	return string(out)
}

// table writes rows as columns two spaces apart, the header first; right[i] right-aligns column i.
func writeTable(b *strings.Builder, rows [][]string, right []bool) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(cell)))
			if i > 0 {
				line.WriteString("  ")
			}
			if right[i] {
				line.WriteString(pad + cell)
			} else {
				line.WriteString(cell + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteString("\n")
	}
}

func list(b *strings.Builder, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s:\n", title)
	for _, it := range items {
		fmt.Fprintf(b, "  - %s\n", it)
	}
}
