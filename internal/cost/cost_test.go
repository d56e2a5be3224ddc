package cost

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/cfn"
)

// The testdata assemblies are real `cdk synth` output of stacks/ at step 0 (the synchronous
// design) and at the final step (SNS, on-demand table); see testdata/README.md.
func loadAssembly(t *testing.T, name string) *cfn.Assembly {
	t.Helper()
	a, err := cfn.LoadAssembly("testdata/" + name)
	if err != nil {
		t.Fatalf("load testdata/%s: %v", name, err)
	}
	return a
}

func defaultPrices(t *testing.T) Prices {
	t.Helper()
	p, err := DefaultPrices()
	if err != nil {
		t.Fatalf("DefaultPrices: %v", err)
	}
	return p
}

func estimate(t *testing.T, assembly string, change func(*Profile)) Report {
	t.Helper()
	p := DefaultProfile()
	if change != nil {
		change(&p)
	}
	r, err := Estimate([]*cfn.Assembly{loadAssembly(t, assembly)}, p, defaultPrices(t))
	if err != nil {
		t.Fatalf("Estimate %s: %v", assembly, err)
	}
	return r
}

func example(t *testing.T, name string) Example {
	t.Helper()
	all, err := Examples()
	if err != nil {
		t.Fatalf("Examples: %v", err)
	}
	for _, x := range all {
		if x.Name == name {
			return x
		}
	}
	t.Fatalf("no example %q", name)
	return Example{}
}

func TestTheSeedsQuestionsAreAnsweredToTheCent(t *testing.T) {
	tests := []struct {
		name     string
		total    int64
		services map[string]int64
	}{
		{"lambda", 408, map[string]int64{"AWS Lambda": 408}},
		{"lambda-rest-api", 3908, map[string]int64{"Amazon API Gateway": 3500, "AWS Lambda": 408}},
		{"lambda-http-api", 1408, map[string]int64{"Amazon API Gateway": 1000, "AWS Lambda": 408}},
		{"lambda-sns", 908, map[string]int64{"Amazon SNS": 500, "AWS Lambda": 408}},
		{"sns-lambda-dynamodb-autoscaling", 188, map[string]int64{"Amazon SNS": 50, "AWS Lambda": 41, "Amazon DynamoDB": 57, "Amazon CloudWatch": 40}},
		{"sns-lambda-dynamodb-on-demand", 153, map[string]int64{"Amazon SNS": 50, "AWS Lambda": 41, "Amazon DynamoDB": 63}},
		{"sns-sqs-lambda-dynamodb-autoscaling", 178, map[string]int64{"Amazon SNS": 50, "Amazon SQS": 8, "AWS Lambda": 23, "Amazon DynamoDB": 57, "Amazon CloudWatch": 40}},
	}
	for _, tt := range tests {
		t.Run("the "+tt.name+" example costs what docs/COST.md says", func(t *testing.T) {
			x := example(t, tt.name)
			if got := cents(x.Report.TotalUSD); got != tt.total {
				t.Errorf("total = $%s, want $%s", money(x.Report.TotalUSD), money(float64(tt.total)/100))
			}
			if len(x.Report.Services) != len(tt.services) {
				t.Errorf("services = %v, want %v", x.Report.Services, tt.services)
			}
			for service, want := range tt.services {
				if got := cents(x.Report.Service(service)); got != want {
					t.Errorf("%s = $%s, want $%s", service, money(x.Report.Service(service)), money(float64(want)/100))
				}
			}
			if x.Question == "" || len(x.Assumptions) < 3 {
				t.Errorf("an example prints its question and its assumptions; got %q and %d assumptions", x.Question, len(x.Assumptions))
			}
		})
	}
}

func TestLambdaAt100msAnd128MBSplitsIntoRequestsAndCompute(t *testing.T) {
	x := example(t, "lambda")
	want := []struct {
		usage    string
		quantity float64
		cents    int64
	}{
		{"requests", 10_000_000, 200},
		{"compute (x86_64, 128 MB, 100 ms)", 125_000, 208},
	}
	if len(x.Report.Lines) != len(want) {
		t.Fatalf("lines = %+v", x.Report.Lines)
	}
	for i, w := range want {
		l := x.Report.Lines[i]
		if l.Usage != w.usage || l.Quantity != w.quantity || cents(l.MonthlyUSD) != w.cents {
			t.Errorf("line %d = %s %v %s $%s, want %s %v $%s", i, l.Usage, l.Quantity, l.Unit, money(l.MonthlyUSD), w.usage, w.quantity, money(float64(w.cents)/100))
		}
	}
}

func TestTheTemplatesArePricedServiceByService(t *testing.T) {
	tests := []struct {
		name      string
		assembly  string
		total     int64
		services  map[string]int64
		functions map[string]float64 // name -> duration ms, for the invoked ones
		idle      []string
		warning   string
	}{
		{
			name: "step 0: two HTTP routes, RequestRide waits for PutRideRecord, a provisioned 5/5 table", assembly: "step0",
			total: 695,
			services: map[string]int64{
				"Amazon API Gateway": 200, "AWS Lambda": 77, "Amazon CloudWatch": 117,
				"Amazon DynamoDB": 301, "AWS Systems Manager": 0,
			},
			functions: map[string]float64{"RequestRide": 80, "PutRideRecord": 30},
			warning:   "a peak of 10 rides/s needs 10 WCU but the table has 5",
		},
		{
			name: "final step: one HTTP route, SNS to PutRideRecordSns, an on-demand table", assembly: "final",
			total: 411,
			services: map[string]int64{
				"Amazon API Gateway": 100, "AWS Lambda": 67, "Amazon CloudWatch": 115,
				"Amazon SNS": 50, "Amazon DynamoDB": 79, "AWS Systems Manager": 0,
			},
			functions: map[string]float64{"RequestRide": 50, "PutRideRecordSns": 30},
			idle:      []string{"route POST /record", "function PutRideRecordHttp", "function RedriveDeadLetters"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := estimate(t, tt.assembly, nil)
			if got := cents(r.TotalUSD); got != tt.total {
				t.Errorf("total = $%s, want $%s", money(r.TotalUSD), money(float64(tt.total)/100))
			}
			if len(r.Services) != len(tt.services) {
				t.Errorf("services = %+v, want %v", r.Services, tt.services)
			}
			for service, want := range tt.services {
				if got := cents(r.Service(service)); got != want {
					t.Errorf("%s = $%s, want $%s", service, money(r.Service(service)), money(float64(want)/100))
				}
			}
			for _, f := range r.Functions {
				want, invoked := tt.functions[f.Name]
				switch {
				case invoked && (f.Invocations != 1_000_000 || f.DurationMS != want):
					t.Errorf("%s: %v invocations of %v ms, want 1,000,000 of %v ms", f.Name, f.Invocations, f.DurationMS, want)
				case !invoked && f.Invocations != 0:
					t.Errorf("%s: %v invocations, want none", f.Name, f.Invocations)
				}
			}
			notes := strings.Join(r.Notes, "\n")
			for _, idle := range tt.idle {
				if !strings.Contains(notes, idle) {
					t.Errorf("notes do not list %q as idle:\n%s", idle, notes)
				}
			}
			warnings := strings.Join(r.Warnings, "\n")
			if tt.warning == "" && warnings != "" {
				t.Errorf("unexpected warnings:\n%s", warnings)
			}
			if !strings.Contains(warnings, tt.warning) {
				t.Errorf("warnings do not say %q:\n%s", tt.warning, warnings)
			}
		})
	}
}

func TestEachRideIsOneRequestPublishAndWriteOnTheRightResource(t *testing.T) {
	tests := []struct {
		assembly string
		resource string
		usage    string
		quantity float64
	}{
		{"step0", "POST /ride", "requests", 1_000_000},
		{"step0", "POST /record", "requests", 1_000_000},
		{"step0", "RideRecordTable", "provisioned 5 WCU", 5 * 730},
		{"step0", "RideRecordTable", "provisioned 5 RCU", 5 * 730},
		{"final", "POST /ride", "requests", 1_000_000},
		{"final", "RidesSnsTopic", "publishes", 1_000_000},
		{"final", "RidesSnsTopic", "delivery to PutRideRecordSns (Lambda)", 1_000_000},
		{"final", "PutRideRecordSns", "requests", 1_000_000},
		{"final", "RideRecordTable", "on-demand writes", 1_000_000},
		{"final", "DeadLetterQueueAlarm48D9D867", "alarm", 1},
	}
	for _, tt := range tests {
		t.Run(tt.assembly+": "+tt.resource+" "+tt.usage, func(t *testing.T) {
			r := estimate(t, tt.assembly, nil)
			for _, l := range r.Lines {
				if l.Resource == tt.resource && l.Usage == tt.usage {
					if l.Quantity != tt.quantity {
						t.Errorf("quantity = %v, want %v", l.Quantity, tt.quantity)
					}
					return
				}
			}
			t.Errorf("no line %s %q in %+v", tt.resource, tt.usage, r.Lines)
		})
	}
}

func TestTheProfileChangesTheBill(t *testing.T) {
	tests := []struct {
		name     string
		assembly string
		change   func(*Profile)
		resource string
		usage    string
		quantity float64
	}{
		{"a duration override sets RequestRide's compute", "final",
			func(p *Profile) { p.DurationsMS = map[string]float64{"requestride": 120} },
			"RequestRide", "compute (arm64, 256 MB, 120 ms)", 1_000_000 * 0.12 * 0.25},
		{"a 1.5 KB ride is two write units", "final",
			func(p *Profile) { p.PayloadBytes = 1500 },
			"RideRecordTable", "on-demand writes", 2_000_000},
		{"ten million rides are ten million publishes", "final",
			func(p *Profile) { p.RidesPerMonth = 10_000_000 },
			"RidesSnsTopic", "publishes", 10_000_000},
		{"a provisioned table costs the same with no rides", "step0",
			func(p *Profile) { p.RidesPerMonth = 0 },
			"RideRecordTable", "provisioned 5 WCU", 3650},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := estimate(t, tt.assembly, tt.change)
			for _, l := range r.Lines {
				if l.Resource == tt.resource && l.Usage == tt.usage {
					if l.Quantity != tt.quantity {
						t.Errorf("quantity = %v, want %v", l.Quantity, tt.quantity)
					}
					return
				}
			}
			t.Errorf("no line %s %q in %+v", tt.resource, tt.usage, r.Lines)
		})
	}
}

func TestAPeakWithinProvisionedCapacityDoesNotWarn(t *testing.T) {
	r := estimate(t, "step0", func(p *Profile) { p.PeakRidesPerSecond = 4 })
	if len(r.Warnings) != 0 {
		t.Errorf("4 rides/s fit in 5 WCU, but warnings = %q", r.Warnings)
	}
}

func TestComparingStepZeroWithTheFinalStepShowsTheSaving(t *testing.T) {
	tests := []struct {
		name                  string
		change                func(*Profile)
		before, after, saving int64
	}{
		{"a million rides save $2.84 a month", nil, 695, 411, 284},
		{"with the free tier they save $0.38", func(p *Profile) { p.FreeTier = true }, 127, 90, 38},
		{"ten million rides save $3.68", func(p *Profile) { p.RidesPerMonth = 10_000_000 }, 4387, 4019, 368},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare(estimate(t, "step0", tt.change), estimate(t, "final", tt.change))
			if cents(c.BeforeTotalUSD) != tt.before || cents(c.AfterTotalUSD) != tt.after || cents(c.SavingUSD) != tt.saving {
				t.Errorf("before $%s, after $%s, saving $%s; want %d, %d, %d cents",
					money(c.BeforeTotalUSD), money(c.AfterTotalUSD), money(c.SavingUSD), tt.before, tt.after, tt.saving)
			}
		})
	}
}

func TestTheComparisonShowsEachServicesChange(t *testing.T) {
	c := Compare(estimate(t, "step0", nil), estimate(t, "final", nil))
	for service, want := range map[string]int64{
		"Amazon API Gateway": -100, "Amazon DynamoDB": -222, "Amazon SNS": 50, "AWS Lambda": -10,
	} {
		if got := cents(c.Service(service).DeltaUSD); got != want {
			t.Errorf("%s changes by %s, want %s", service, signed(c.Service(service).DeltaUSD), signed(float64(want)/100))
		}
	}
	var out bytes.Buffer
	if err := c.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"saving: $2.84 a month", "Amazon SNS", "+0.50", "TOTAL                      6.95       4.11       -2.84"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("comparison does not show %q:\n%s", want, out.String())
		}
	}
}

func TestTheFreeTierReducesTheBill(t *testing.T) {
	tests := []struct {
		assembly string
		// API Gateway's allowance is one million requests: step 0 makes two per ride.
		api int64
	}{
		{"step0", 100},
		{"final", 0},
	}
	for _, tt := range tests {
		t.Run("free tier lowers the "+tt.assembly+" bill", func(t *testing.T) {
			full := estimate(t, tt.assembly, nil)
			free := estimate(t, tt.assembly, func(p *Profile) { p.FreeTier = true })
			if free.TotalUSD >= full.TotalUSD {
				t.Errorf("with free tier $%s, without $%s", money(free.TotalUSD), money(full.TotalUSD))
			}
			if got := cents(free.Service("Amazon API Gateway")); got != tt.api {
				t.Errorf("API Gateway = $%s with the free tier, want $%s", money(free.Service("Amazon API Gateway")), money(float64(tt.api)/100))
			}
			if got := cents(free.Service("Amazon SNS")); got != 0 {
				t.Errorf("SNS = $%s with the free tier, want 0: a million publishes are free", money(free.Service("Amazon SNS")))
			}
			for _, l := range free.Lines {
				if l.Resource == "free tier" && l.MonthlyUSD >= 0 {
					t.Errorf("free-tier line %+v does not reduce the bill", l)
				}
			}
		})
	}
	t.Run("with the free tier the provisioned 5/5 table is free and on-demand writes are not", func(t *testing.T) {
		step0 := estimate(t, "step0", func(p *Profile) { p.FreeTier = true })
		final := estimate(t, "final", func(p *Profile) { p.FreeTier = true })
		if got := cents(step0.Service("Amazon DynamoDB")); got != 7 {
			t.Errorf("step 0 DynamoDB = $%s, want $0.07 (point-in-time recovery only)", money(step0.Service("Amazon DynamoDB")))
		}
		if got := cents(final.Service("Amazon DynamoDB")); got != 70 {
			t.Errorf("final DynamoDB = $%s, want $0.70", money(final.Service("Amazon DynamoDB")))
		}
	})
}

func TestArm64IsCheaperThanX86(t *testing.T) {
	prices := defaultPrices(t)
	arm := loadAssembly(t, "final")
	x86 := loadAssembly(t, "final")
	for _, s := range x86.Stacks {
		for _, r := range s.Template.ResourcesOfType("AWS::Lambda::Function") {
			r.Properties["Architectures"] = []any{"x86_64"}
		}
	}
	a, err := Estimate([]*cfn.Assembly{arm}, DefaultProfile(), prices)
	if err != nil {
		t.Fatal(err)
	}
	x, err := Estimate([]*cfn.Assembly{x86}, DefaultProfile(), prices)
	if err != nil {
		t.Fatal(err)
	}
	if a.Service("AWS Lambda") >= x.Service("AWS Lambda") {
		t.Errorf("Lambda on arm64 $%s, on x86_64 $%s", money(a.Service("AWS Lambda")), money(x.Service("AWS Lambda")))
	}
	// 20,000 GB-s (RequestRide 12,500 + PutRideRecordSns 7,500) × ($0.0000166667 − $0.0000133334).
	if got, want := x.Service("AWS Lambda")-a.Service("AWS Lambda"), 20_000*(0.0000166667-0.0000133334); cents(got-want) != 0 {
		t.Errorf("x86_64 costs $%f more, want $%f", got, want)
	}
}

func TestRegions(t *testing.T) {
	east1 := estimate(t, "final", nil)
	east2 := estimate(t, "final", func(p *Profile) { p.Region = "us-east-2" })
	if east2.Region != "us-east-2" || cents(east2.TotalUSD) != cents(east1.TotalUSD) {
		t.Errorf("us-east-2: %s $%s; us-east-1 $%s (same list prices)", east2.Region, money(east2.TotalUSD), money(east1.TotalUSD))
	}
	p := DefaultProfile()
	p.Region = "eu-west-1"
	_, err := Estimate([]*cfn.Assembly{loadAssembly(t, "final")}, p, defaultPrices(t))
	if !errors.Is(err, ErrUnknownRegion) || !strings.Contains(err.Error(), "us-east-1, us-east-2") {
		t.Errorf("eu-west-1: err = %v, want ErrUnknownRegion naming the known regions", err)
	}
}

func TestADurationForAFunctionNoTemplateHasIsAnError(t *testing.T) {
	p := DefaultProfile()
	p.DurationsMS = map[string]float64{"PutRideRecordd": 50}
	_, err := Estimate([]*cfn.Assembly{loadAssembly(t, "final")}, p, defaultPrices(t))
	if !errors.Is(err, ErrUnknownFunction) || !strings.Contains(err.Error(), "PutRideRecordSns") {
		t.Errorf("err = %v, want ErrUnknownFunction listing the functions", err)
	}
}

func TestReportsRoundTripThroughJSON(t *testing.T) {
	r := estimate(t, "final", func(p *Profile) {
		p.FreeTier = true
		p.DurationsMS = map[string]float64{"RequestRide": 120}
	})
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, back) {
		t.Errorf("report changed on the way through JSON:\nbefore %+v\nafter  %+v", r, back)
	}

	c := Compare(estimate(t, "step0", nil), r)
	buf.Reset()
	if err := c.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var cBack Comparison
	if err := json.Unmarshal(buf.Bytes(), &cBack); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, cBack) {
		t.Errorf("comparison changed on the way through JSON:\nbefore %+v\nafter  %+v", c, cBack)
	}

	examples, err := Examples()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(examples)
	if err != nil {
		t.Fatal(err)
	}
	var xBack []Example
	if err := json.Unmarshal(data, &xBack); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(examples, xBack) {
		t.Errorf("examples changed on the way through JSON")
	}
}

func TestTheTextReportIsAnAlignedTable(t *testing.T) {
	var out bytes.Buffer
	if err := estimate(t, "step0", nil).WriteText(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"RESOURCE", "SERVICE", "QUANTITY", "UNIT PRICE", "MONTHLY USD",
		"RequestRide", "$0.0000133334 per GB-s", "$0.00065 per WCU-hour", "3,650 WCU-hours",
		"Warnings:", "Notes:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
	// Every row of the line table ends its MONTHLY USD column at the same place.
	var ends []int
	inTable := false
	for _, line := range strings.Split(text, "\n") {
		inTable = inTable || strings.HasPrefix(line, "RESOURCE")
		if inTable {
			ends = append(ends, len(line))
		}
		if strings.HasPrefix(line, "TOTAL") {
			break
		}
	}
	if len(ends) < 3 {
		t.Fatalf("table rows not found:\n%s", text)
	}
	for _, e := range ends[1:] {
		if e != ends[0] {
			t.Errorf("rows end at %v, want one column edge:\n%s", ends, text)
			break
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		name    string
		ms      float64
		wantErr string
	}{
		{in: "RequestRide=120ms", name: "RequestRide", ms: 120},
		{in: "RequestRide=120", name: "RequestRide", ms: 120},
		{in: "PutRideRecordSns=0.5s", name: "PutRideRecordSns", ms: 500},
		{in: "RequestRide", wantErr: "want FUNCTION=DURATION"},
		{in: "=120ms", wantErr: "want FUNCTION=DURATION"},
		{in: "RequestRide=fast", wantErr: "neither a duration"},
		{in: "RequestRide=0ms", wantErr: "from 1 ms to 15 minutes"},
		{in: "RequestRide=16m", wantErr: "from 1 ms to 15 minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			name, ms, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || name != tt.name || ms != tt.ms {
				t.Errorf("= %q, %v, %v; want %q, %v", name, ms, err, tt.name, tt.ms)
			}
		})
	}
}

func TestThePriceTableIsComplete(t *testing.T) {
	p := defaultPrices(t)
	if got := p.RegionNames(); !reflect.DeepEqual(got, []string{"us-east-1", "us-east-2"}) {
		t.Errorf("regions = %v", got)
	}
	for _, region := range p.RegionNames() {
		for _, key := range allKeys {
			pr := p.Regions[region][key]
			if !strings.HasPrefix(pr.Source, "https://aws.amazon.com/") || pr.Checked == "" {
				t.Errorf("%s %s: source %q, checked %q", region, key, pr.Source, pr.Checked)
			}
		}
	}
	names := map[string]bool{}
	for _, a := range p.FreeTier {
		names[a.Name] = true
		if a.Term == "" || a.Source == "" {
			t.Errorf("free tier %q does not say its term and source", a.Name)
		}
	}
	for _, want := range []string{"Lambda requests", "Lambda compute", "API Gateway HTTP API requests", "API Gateway REST API requests",
		"SNS publishes", "SQS requests", "DynamoDB provisioned writes", "DynamoDB provisioned reads", "DynamoDB storage", "CloudWatch Logs"} {
		if !names[want] {
			t.Errorf("free tier lacks %q", want)
		}
	}
}
