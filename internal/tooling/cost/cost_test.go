package cost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

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

// usd is what quantity units cost at price p: the price table's own arithmetic.
func usd(p Price, quantity float64) float64 { return quantity / p.Per * p.USD }

// rate is a us-east-1 list price.
func rate(t *testing.T, key PriceKey) Price {
	t.Helper()
	p, ok := defaultPrices(t).Regions["us-east-1"][key]
	if !ok {
		t.Fatalf("no us-east-1 price %q", key)
	}
	return p
}

// sameUSD says whether two amounts agree well within a cent: a figure derived from the template
// and the price table must come out exactly, not merely round to the same cent.
func sameUSD(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func findLine(r Report, resource, usage string) (Line, bool) {
	for _, l := range r.Lines {
		if l.Resource == resource && l.Usage == usage {
			return l, true
		}
	}
	return Line{}, false
}

func findFunction(r Report, name string) (FunctionUse, bool) {
	for _, f := range r.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return FunctionUse{}, false
}

// wantLine is one billed quantity a report must have, priced at its price-table entry.
type wantLine struct {
	resource, usage string
	price           PriceKey
	quantity        float64
}

func checkLines(t *testing.T, r Report, want []wantLine) {
	t.Helper()
	for _, w := range want {
		l, ok := findLine(r, w.resource, w.usage)
		switch {
		case !ok:
			t.Errorf("no line %s %q in %+v", w.resource, w.usage, r.Lines)
		case l.Price != w.price || l.Quantity != w.quantity:
			t.Errorf("%s %q: %v at %s, want %v at %s", w.resource, w.usage, l.Quantity, l.Price, w.quantity, w.price)
		case !sameUSD(l.MonthlyUSD, usd(rate(t, w.price), w.quantity)):
			t.Errorf("%s %q costs $%f, want $%f", w.resource, w.usage, l.MonthlyUSD, usd(rate(t, w.price), w.quantity))
		}
	}
}

// checkFunctions checks how the named functions are driven; every function not named must get
// no invocations.
func checkFunctions(t *testing.T, r Report, want map[string]FunctionUse) {
	t.Helper()
	for name, w := range want {
		f, ok := findFunction(r, name)
		if !ok {
			t.Errorf("no function %s in %+v", name, r.Functions)
			continue
		}
		if f.Trigger != w.Trigger || f.Invocations != w.Invocations || f.DurationMS != w.DurationMS {
			t.Errorf("%s: %v invocations of %v ms from %q, want %v of %v ms from %q",
				name, f.Invocations, f.DurationMS, f.Trigger, w.Invocations, w.DurationMS, w.Trigger)
		}
	}
	for _, f := range r.Functions {
		if _, named := want[f.Name]; !named && f.Invocations != 0 {
			t.Errorf("%s: %v invocations from %q, want none", f.Name, f.Invocations, f.Trigger)
		}
	}
}

func TestStepZeroMakesASecondRequestPerRideAndPaysForProvisionedCapacity(t *testing.T) {
	r := estimate(t, "step0", nil)
	rides := float64(DefaultProfile().RidesPerMonth)
	hours := defaultPrices(t).HoursPerMonth
	wcu, rcu := provisionedCapacity(t, "step0")

	// RequestRide waits for PutRideRecord over HTTP, so it is billed for both durations.
	checkFunctions(t, r, map[string]FunctionUse{
		"RequestRide":   {Trigger: rideRoute, Invocations: rides, DurationMS: HandoffDurationMS + StoreDurationMS},
		"PutRideRecord": {Trigger: "POST /record", Invocations: rides, DurationMS: StoreDurationMS},
	})
	checkLines(t, r, []wantLine{
		{rideRoute, "requests", HTTPAPIRequests, rides},
		{"POST /record", "requests", HTTPAPIRequests, rides},
		// The template's capacity, around the clock, whatever the traffic.
		{"RideRecordTable", "provisioned " + number(wcu) + " WCU", DynamoDBWCUHours, wcu * hours},
		{"RideRecordTable", "provisioned " + number(rcu) + " RCU", DynamoDBRCUHours, rcu * hours},
	})
	if got, want := r.Service("Amazon API Gateway"), usd(rate(t, HTTPAPIRequests), 2*rides); !sameUSD(got, want) {
		t.Errorf("API Gateway = $%s, want $%s: two requests per ride", money(got), money(want))
	}
	if _, ok := findLine(r, "RideRecordTable", "on-demand writes"); ok {
		t.Errorf("a provisioned table is not billed per write: %+v", r.Lines)
	}
	if got := r.Service("Amazon SNS"); got != 0 {
		t.Errorf("SNS = $%s, want nothing: step 0 has no topic", money(got))
	}
	if r.TotalUSD <= 0 {
		t.Errorf("total = $%s", money(r.TotalUSD))
	}
}

func TestTheFinalStepPublishesEachRideToSNSAndWritesOnDemand(t *testing.T) {
	r := estimate(t, "final", nil)
	rides := float64(DefaultProfile().RidesPerMonth)

	// RequestRide hands the ride to SNS and no longer waits for the write; PutRideRecordHttp
	// stays deployed behind POST /record for the steps in between, and no ride calls it.
	checkFunctions(t, r, map[string]FunctionUse{
		"RequestRide":      {Trigger: rideRoute, Invocations: rides, DurationMS: HandoffDurationMS},
		"PutRideRecordSns": {Trigger: "topic RidesSnsTopic", Invocations: rides, DurationMS: StoreDurationMS},
	})
	want := []wantLine{
		{rideRoute, "requests", HTTPAPIRequests, rides},
		{"RidesSnsTopic", "publishes", SNSPublish, rides},
		{"RidesSnsTopic", "delivery to PutRideRecordSns (Lambda)", SNSDeliveryLambda, rides},
		{"PutRideRecordSns", "requests", LambdaRequests, rides},
		{"RideRecordTable", "on-demand writes", DynamoDBWriteUnits, rides},
	}
	alarms := resourcesOfType(t, "final", "AWS::CloudWatch::Alarm")
	if len(alarms) == 0 {
		t.Errorf("the final step has no CloudWatch alarm; the dead-letter queue's alarm is gone")
	}
	for _, a := range alarms {
		want = append(want, wantLine{a, "alarm", CloudWatchAlarms, 1})
	}
	keys := resourcesOfType(t, "final", "AWS::KMS::Key")
	if len(keys) != 2 {
		t.Errorf("the final step has %d KMS keys, want the two alarm topics' keys", len(keys))
	}
	for _, k := range keys {
		want = append(want, wantLine{k, "customer managed key", KMSKeys, 1})
	}
	checkLines(t, r, want)

	if got, want := r.Service("Amazon API Gateway"), usd(rate(t, HTTPAPIRequests), rides); !sameUSD(got, want) {
		t.Errorf("API Gateway = $%s, want $%s: one request per ride", money(got), money(want))
	}
	for _, l := range r.Lines {
		if l.Resource == "POST /record" || l.Price == DynamoDBWCUHours || l.Price == DynamoDBRCUHours {
			t.Errorf("the final step has no traffic on POST /record and no provisioned capacity, but bills %+v", l)
		}
	}
	if f, ok := findFunction(r, "PutRideRecord"); ok && f.Invocations != 0 {
		t.Errorf("PutRideRecord is invoked %v times in the final step", f.Invocations)
	}
	if mode, _ := rideTable(t, "final").Properties["BillingMode"].(string); mode != "PAY_PER_REQUEST" {
		t.Errorf("the final step's table is %q, want PAY_PER_REQUEST", mode)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("an on-demand table takes the peak; warnings = %q", r.Warnings)
	}
	notes := strings.Join(r.Notes, "\n")
	for _, idle := range []string{"route POST /record", "function PutRideRecordHttp", "function RedriveDeadLetters", "function CheckRollout"} {
		if !strings.Contains(notes, idle) {
			t.Errorf("notes do not list %q as idle:\n%s", idle, notes)
		}
	}
	// The rollout guards are priced: nothing of their own, their reads free.
	if !strings.Contains(notes, "Custom::RolloutGuard (wild-rydes-ride-record-test RolloutGuard, wild-rydes-test RolloutGuard): no charge of its own") ||
		strings.Contains(notes, "does not price: Custom::RolloutGuard") || !strings.Contains(notes, "DescribeStacks") {
		t.Errorf("the notes do not price the rollout guards:\n%s", notes)
	}
}

func TestTheProfileChangesTheBill(t *testing.T) {
	final := estimate(t, "final", nil)
	requestRide, ok := findFunction(final, "RequestRide")
	if !ok {
		t.Fatalf("no RequestRide in %+v", final.Functions)
	}
	wcu, _ := provisionedCapacity(t, "step0")
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
			"RequestRide", fmt.Sprintf("compute (%s, %s MB, 120 ms)", requestRide.Architecture, number(requestRide.MemoryMB)),
			1_000_000 * 0.12 * requestRide.MemoryMB / 1024},
		{"a 1.5 KB ride is two write units", "final",
			func(p *Profile) { p.PayloadBytes = 1500 },
			"RideRecordTable", "on-demand writes", 2_000_000},
		{"ten million rides are ten million publishes", "final",
			func(p *Profile) { p.RidesPerMonth = 10_000_000 },
			"RidesSnsTopic", "publishes", 10_000_000},
		{"a provisioned table costs the same with no rides", "step0",
			func(p *Profile) { p.RidesPerMonth = 0 },
			"RideRecordTable", "provisioned " + number(wcu) + " WCU", wcu * defaultPrices(t).HoursPerMonth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := estimate(t, tt.assembly, tt.change)
			l, ok := findLine(r, tt.resource, tt.usage)
			if !ok {
				t.Fatalf("no line %s %q in %+v", tt.resource, tt.usage, r.Lines)
			}
			if l.Quantity != tt.quantity {
				t.Errorf("quantity = %v, want %v", l.Quantity, tt.quantity)
			}
		})
	}
}

func TestAPeakAboveTheProvisionedWritesWarnsOfThrottling(t *testing.T) {
	wcu, _ := provisionedCapacity(t, "step0")
	// A 300 B ride is one write unit, so the table takes as many rides a second as it has WCU.
	within := estimate(t, "step0", func(p *Profile) { p.PeakRidesPerSecond = wcu })
	if len(within.Warnings) != 0 {
		t.Errorf("%s rides/s fit in %s WCU, but warnings = %q", number(wcu), number(wcu), within.Warnings)
	}
	above := estimate(t, "step0", func(p *Profile) { p.PeakRidesPerSecond = wcu + 1 })
	warnings := strings.Join(above.Warnings, "\n")
	for _, want := range []string{
		fmt.Sprintf("a peak of %s rides/s needs %s WCU but the table has %s", number(wcu+1), number(wcu+1), number(wcu)),
		"RequestRide waits for PutRideRecord, so a throttled write fails the rider's request",
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings do not say %q:\n%s", want, warnings)
		}
	}
	if final := estimate(t, "final", func(p *Profile) { p.PeakRidesPerSecond = 100 * wcu }); len(final.Warnings) != 0 {
		t.Errorf("the final step's on-demand table takes any peak; warnings = %q", final.Warnings)
	}
}

func TestStepZerosOriginalTableIsThrottledAtTheWorkshopsPeak(t *testing.T) {
	// The default profile's peak is the workshop's high load, 10 rides/s; step 0's table has the
	// original's single write unit.
	warnings := strings.Join(estimate(t, "step0", nil).Warnings, "\n")
	if want := "a peak of 10 rides/s needs 10 WCU but the table has 1"; !strings.Contains(warnings, want) {
		t.Errorf("the default estimate of step 0 does not say %q:\n%s", want, warnings)
	}
}

func TestTheFinalStepCostsLessThanStepZero(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Profile)
	}{
		{"a million rides", nil},
		{"ten million rides", func(p *Profile) { p.RidesPerMonth = 10_000_000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare(estimate(t, "step0", tt.change), estimate(t, "final", tt.change))
			if cents(c.SavingUSD) <= 0 || !sameUSD(c.SavingUSD, c.BeforeTotalUSD-c.AfterTotalUSD) {
				t.Errorf("before $%s, after $%s, saving $%s; want a saving", money(c.BeforeTotalUSD), money(c.AfterTotalUSD), money(c.SavingUSD))
			}
		})
	}
}

func TestTheComparisonShowsEachServicesChange(t *testing.T) {
	c := Compare(estimate(t, "step0", nil), estimate(t, "final", nil))
	rides := float64(DefaultProfile().RidesPerMonth)
	hours := defaultPrices(t).HoursPerMonth
	wcu, rcu := provisionedCapacity(t, "step0")
	// Derived from the templates and the price table: one API request fewer and one SNS publish
	// more per ride; the table's capacity-hours become a write unit per ride (storage and
	// point-in-time recovery are the same in both).
	for service, want := range map[string]float64{
		"Amazon API Gateway": -usd(rate(t, HTTPAPIRequests), rides),
		"Amazon SNS":         usd(rate(t, SNSPublish), rides),
		"Amazon DynamoDB": usd(rate(t, DynamoDBWriteUnits), rides) -
			usd(rate(t, DynamoDBWCUHours), wcu*hours) - usd(rate(t, DynamoDBRCUHours), rcu*hours),
	} {
		if got := c.Service(service).DeltaUSD; !sameUSD(got, want) {
			t.Errorf("%s changes by %s, want %s", service, signed(got), signed(want))
		}
	}
	if got := c.Service("AWS Lambda").DeltaUSD; got >= 0 {
		t.Errorf("Lambda changes by %s, want less: RequestRide no longer waits for the write", signed(got))
	}

	var out bytes.Buffer
	if err := c.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"saving: $" + money(c.SavingUSD) + " a month", "Amazon SNS", signed(usd(rate(t, SNSPublish), rides))} {
		if !strings.Contains(text, want) {
			t.Errorf("comparison does not show %q:\n%s", want, text)
		}
	}
	totalRow := []string{"TOTAL", money(c.BeforeTotalUSD), money(c.AfterTotalUSD), signed(c.DeltaUSD)}
	found := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "TOTAL") {
			found = reflect.DeepEqual(strings.Fields(line), totalRow)
		}
	}
	if !found {
		t.Errorf("comparison has no row %q:\n%s", strings.Join(totalRow, " "), text)
	}
}

func TestTheFreeTierReducesTheBill(t *testing.T) {
	prices := defaultPrices(t)
	var httpAllowance float64
	for _, a := range prices.FreeTier {
		if a.Name == "API Gateway HTTP API requests" {
			httpAllowance = a.Quantity
		}
	}
	rides := float64(DefaultProfile().RidesPerMonth)
	tests := []struct {
		assembly        string
		requestsPerRide float64
	}{
		{"step0", 2}, // POST /ride, then POST /record
		{"final", 1},
	}
	for _, tt := range tests {
		t.Run("free tier lowers the "+tt.assembly+" bill", func(t *testing.T) {
			full := estimate(t, tt.assembly, nil)
			free := estimate(t, tt.assembly, func(p *Profile) { p.FreeTier = true })
			if free.TotalUSD >= full.TotalUSD {
				t.Errorf("with free tier $%s, without $%s", money(free.TotalUSD), money(full.TotalUSD))
			}
			api := usd(rate(t, HTTPAPIRequests), math.Max(0, tt.requestsPerRide*rides-httpAllowance))
			if got := free.Service("Amazon API Gateway"); !sameUSD(got, api) {
				t.Errorf("API Gateway = $%s with the free tier, want $%s", money(got), money(api))
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
	t.Run("with the free tier the provisioned table is free and on-demand writes are not", func(t *testing.T) {
		step0 := estimate(t, "step0", func(p *Profile) { p.FreeTier = true })
		final := estimate(t, "final", func(p *Profile) { p.FreeTier = true })
		pitr := func(r Report) float64 {
			l, ok := findLine(r, "RideRecordTable", "point-in-time recovery")
			if !ok {
				t.Fatalf("no point-in-time recovery line in %+v", r.Lines)
			}
			return l.MonthlyUSD
		}
		// The idempotency table, on-demand at every step: its writes and its backups.
		keys := func(r Report) float64 {
			writes, ok := findLine(r, "IdempotencyTable", "on-demand writes")
			backups, ok2 := findLine(r, "IdempotencyTable", "point-in-time recovery")
			if !ok || !ok2 {
				t.Fatalf("no idempotency table writes or backups in %+v", r.Lines)
			}
			return writes.MonthlyUSD + backups.MonthlyUSD
		}
		// Capacity within the free 25 WCU and 25 RCU and storage within 25 GB leave only the
		// continuous backups of the ride table.
		if got, want := step0.Service("Amazon DynamoDB"), pitr(step0)+keys(step0); !sameUSD(got, want) {
			t.Errorf("step 0 DynamoDB = $%s, want $%s (point-in-time recovery and the idempotency table only)", money(got), money(want))
		}
		writes, ok := findLine(final, "RideRecordTable", "on-demand writes")
		if !ok {
			t.Fatalf("no on-demand writes in %+v", final.Lines)
		}
		if got, want := final.Service("Amazon DynamoDB"), writes.MonthlyUSD+pitr(final)+keys(final); !sameUSD(got, want) {
			t.Errorf("final DynamoDB = $%s, want $%s (on-demand writes, point-in-time recovery and the idempotency table)", money(got), money(want))
		}
		if final.Service("Amazon DynamoDB") <= step0.Service("Amazon DynamoDB") {
			t.Errorf("with the free tier the on-demand table ($%s) should cost more than the provisioned one ($%s)",
				money(final.Service("Amazon DynamoDB")), money(step0.Service("Amazon DynamoDB")))
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
	// The GB-seconds of every invoked arm64 function (RequestRide and PutRideRecordSns) ×
	// ($0.0000166667 − $0.0000133334).
	var gbs float64
	for _, f := range a.Functions {
		if f.Architecture != "arm64" {
			t.Errorf("%s is %s; the project's functions are arm64", f.Name, f.Architecture)
		}
		gbs += f.Invocations * f.DurationMS / 1000 * f.MemoryMB / 1024
	}
	if gbs == 0 {
		t.Fatalf("no compute in %+v", a.Functions)
	}
	want := usd(rate(t, LambdaComputeX86), gbs) - usd(rate(t, LambdaComputeARM), gbs)
	if got := x.Service("AWS Lambda") - a.Service("AWS Lambda"); !sameUSD(got, want) {
		t.Errorf("x86_64 costs $%f more, want $%f (%v GB-s)", got, want, gbs)
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
	wcu, _ := provisionedCapacity(t, "step0")
	var out bytes.Buffer
	if err := estimate(t, "step0", nil).WriteText(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"RESOURCE", "SERVICE", "QUANTITY", "UNIT PRICE", "MONTHLY USD",
		"RequestRide", "$0.0000133334 per GB-s", "$0.00065 per WCU-hour", number(wcu*defaultPrices(t).HoursPerMonth) + " WCU-hours",
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

// rideRoute is the route the templates book rides by, as a rider sees it.
const rideRoute = "POST /ride"

// Where the model finds rides lost, the estimate prices them as far as they go and says so.
func TestRidesPublishedToATopicNothingSubscribesToAreWarnedAbout(t *testing.T) {
	final := loadAssembly(t, "final")
	for _, s := range final.Stacks {
		for _, r := range s.Template.ResourcesOfType("AWS::SNS::Subscription") {
			delete(s.Template.Resources, r.LogicalID)
		}
	}
	r, err := Estimate([]*cfn.Assembly{final}, DefaultProfile(), defaultPrices(t))
	if err != nil {
		t.Fatal(err)
	}
	rides := float64(DefaultProfile().RidesPerMonth)
	checkLines(t, r, []wantLine{{"RidesSnsTopic", "publishes", SNSPublish, rides}})
	checkFunctions(t, r, map[string]FunctionUse{
		"RequestRide": {Trigger: rideRoute, Invocations: rides, DurationMS: HandoffDurationMS},
	})
	if _, ok := findLine(r, "RideRecordTable", "on-demand writes"); ok {
		t.Errorf("no ride reaches the table, but its writes are billed: %+v", r.Lines)
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "nothing subscribes") || !strings.Contains(w, "not priced beyond it") {
		t.Errorf("warnings do not say the rides are lost at the topic:\n%s", w)
	}
}

func TestARetrySafeBookingCostsOneWriteAndADayOfStorage(t *testing.T) {
	r := estimate(t, "final", nil)
	rides := float64(DefaultProfile().RidesPerMonth)
	writes, ok := findLine(r, "IdempotencyTable", "on-demand writes")
	if !ok || writes.Quantity != rides {
		t.Fatalf("idempotency table writes %+v (found %v), want one write unit for each of the %g rides", writes, ok, rides)
	}
	stored, ok := findLine(r, "IdempotencyTable", "storage of 24h0m0s of keys (time to live)")
	rideStorage, ok2 := findLine(r, "RideRecordTable", "storage of one month's rides")
	if !ok || !ok2 {
		t.Fatalf("no storage lines for the two tables in %+v", r.Lines)
	}
	// The same number of items, kept a day instead of a month.
	if want := rideStorage.Quantity * 24 / defaultPrices(t).HoursPerMonth; math.Abs(stored.Quantity-want) > want*1e-9 {
		t.Errorf("the keys take %g GB-months, want %g: a day of a month's bookings", stored.Quantity, want)
	}
}

func TestALoadCostsItsRequestsAndTheCapacityForItsDurationOnly(t *testing.T) {
	p := DefaultProfile()
	p.RidesPerMonth = 1800 // the workshop's high load
	r := estimate(t, "step0", func(pr *Profile) { *pr = p })
	hours := defaultPrices(t).HoursPerMonth
	wcu, rcu := provisionedCapacity(t, "step0")
	perUse, capacity := 0.0, 0.0
	for _, l := range r.Lines {
		switch l.Price {
		case DynamoDBWCUHours, DynamoDBRCUHours:
			capacity += l.MonthlyUSD
		case LambdaRequests, LambdaComputeARM, LambdaComputeX86, HTTPAPIRequests, LogsIngestion,
			DynamoDBWriteUnits, DynamoDBReadUnits: // the idempotency table's on-demand writes
			perUse += l.MonthlyUSD
		}
	}
	if capacity == 0 || wcu+rcu == 0 {
		t.Fatalf("step 0's estimate has no provisioned capacity: %+v", r.Lines)
	}
	want := perUse + capacity*(3*time.Minute).Hours()/hours
	if got := r.LoadUSD(3*time.Minute, hours); !sameUSD(got, want) || got >= r.TotalUSD {
		t.Errorf("3 minutes of 1,800 rides cost $%.6f, want $%.6f: the requests, and 3 minutes of the month's capacity", got, want)
	}
}
