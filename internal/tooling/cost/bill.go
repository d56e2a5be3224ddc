package cost

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// bill turns what each resource does in a month into priced lines, following a ride: API, the
// functions, the topic, the queues, the table, then what costs the same whatever the traffic.
func (e *estimator) bill() {
	p := e.profile
	payload := float64(p.PayloadBytes)

	apiRequests := map[*model.API]float64{}
	var idle []string
	for _, r := range e.routes {
		if r.requests == 0 {
			idle = append(idle, "route "+r.Key)
			continue
		}
		if r.API == nil || r.API.Protocol != "HTTP" {
			proto := ""
			if r.API != nil {
				proto = r.API.Protocol
			}
			e.warn(fmt.Sprintf("%s is on a %s API, which this model does not price.", r.Key, proto))
			continue
		}
		e.add(r.Stack, r.Key, "requests", HTTPAPIRequests, r.requests*units(payload, e.rates[HTTPAPIRequests]))
		apiRequests[r.API] += r.requests
		if r.API.CORS {
			e.note("CORS preflight (OPTIONS) requests that browsers send before a POST are not counted.")
		}
	}
	for _, s := range e.sys.Stacks {
		for _, api := range s.APIs {
			n := apiRequests[api]
			if n == 0 || api.Stage == nil || api.Stage.AccessLogFormat == "" {
				continue
			}
			e.add(s, cmp.Or(api.Name, api.LogicalID)+" access logs", "log ingestion", LogsIngestion, n*float64(len(api.Stage.AccessLogFormat))/bytesPerGB)
			e.note("An API access-log line is taken to be as long as its format string.")
		}
	}

	var traced []string
	functions := append([]*function(nil), e.reached...)
	for _, f := range e.functions {
		if !f.reached {
			functions = append(functions, f)
		}
	}
	for _, f := range functions {
		ms := e.durationMS(f, 0)
		memoryMB, timeoutS := float64(f.MemoryMB), f.Timeout.Seconds()
		trigger := strings.Join(f.triggers, ", ")
		if trigger == "" {
			trigger = "no ride reaches it"
		}
		e.report.Functions = append(e.report.Functions, FunctionUse{
			Stack: f.Stack.Name, Name: f.LogicalID, Invocations: f.invocations, DurationMS: ms,
			MemoryMB: memoryMB, Architecture: f.Architecture, Trigger: trigger,
		})
		if f.Tracing == "Active" && f.invocations > 0 {
			traced = append(traced, f.LogicalID)
		}
		if f.invocations == 0 {
			idle = append(idle, "function "+f.LogicalID)
			continue
		}
		if ms > timeoutS*1000 {
			e.warn(fmt.Sprintf("%s: the average duration %s ms is longer than its timeout of %s s.", f.LogicalID, number(ms), number(timeoutS)))
		}
		compute := LambdaComputeX86
		if f.Architecture == "arm64" {
			compute = LambdaComputeARM
		}
		e.add(f.Stack, f.LogicalID, "requests", LambdaRequests, f.invocations)
		e.add(f.Stack, f.LogicalID, fmt.Sprintf("compute (%s, %s MB, %s ms)", f.Architecture, number(memoryMB), number(ms)),
			compute, f.invocations*ms/1000*memoryMB/1024)
		if p.LogBytesPerInvocation > 0 {
			e.add(f.Stack, f.LogicalID, "log ingestion", LogsIngestion, f.invocations*float64(p.LogBytesPerInvocation)/bytesPerGB)
		}
	}
	if len(e.reached) > 0 {
		e.note(fmt.Sprintf("Lambda: every invocation is billed for the average duration (rounded up to the ms); a function that calls another over HTTP waits for it and is billed for the wait; %s B of logs per invocation. Log storage is not priced.", number(float64(p.LogBytesPerInvocation))))
	}
	if len(traced) > 0 {
		e.note(fmt.Sprintf("X-Ray: %s trace actively; recorded traces (the default rule samples 1 request a second and 5%% of the rest) are not priced.", strings.Join(traced, ", ")))
	}

	for _, t := range e.topics {
		if t.publishes == 0 {
			idle = append(idle, "topic "+t.LogicalID)
			continue
		}
		e.add(t.Stack, t.LogicalID, "publishes", SNSPublish, t.publishes*units(payload, e.rates[SNSPublish]))
		for _, sub := range t.subs {
			switch sub.Protocol {
			case "lambda":
				to := "Lambda"
				if sub.fn != nil {
					to = sub.fn.LogicalID + " (Lambda)"
				}
				e.add(sub.Stack, t.LogicalID, "delivery to "+to, SNSDeliveryLambda, sub.deliveries)
			case "sqs":
				e.add(sub.Stack, t.LogicalID, "delivery to SQS", SNSDeliverySQS, sub.deliveries)
			default:
				e.warn(fmt.Sprintf("%s delivers over %q, which this model does not price.", sub.LogicalID, sub.Protocol))
			}
		}
		if t.Encrypted {
			e.note(fmt.Sprintf("%s is encrypted with a KMS key: the KMS requests that publishing makes are not priced.", t.LogicalID))
		}
	}

	for _, s := range e.sys.Stacks {
		for _, q := range s.Queues {
			if e.sys.IsDeadLetterQueue(q) {
				e.note(fmt.Sprintf("%s is a dead-letter queue: it costs nothing while nothing fails, which this estimate assumes (SQS bills only requests).", q.LogicalID))
			} else {
				e.note(fmt.Sprintf("%s: no traffic is modelled for this queue.", q.LogicalID))
			}
		}
	}

	for _, t := range e.tables {
		e.billTable(t)
	}

	for _, s := range e.sys.Stacks {
		for _, a := range s.Alarms {
			e.add(s, a.LogicalID, "alarm", CloudWatchAlarms, 1)
			if period := a.Period; period > 0 && period < 60 {
				e.warn(fmt.Sprintf("%s is a high-resolution alarm (period %s s), priced here as a standard one.", a.LogicalID, number(period)))
			}
		}
		for _, k := range s.Keys {
			e.add(s, k.LogicalID, "customer managed key", KMSKeys, 1)
			if k.Rotation {
				e.note(fmt.Sprintf("%s rotates yearly; each of its first two rotations adds one key-month a month, priced here as in its first year.", k.LogicalID))
			}
		}
		for _, prm := range s.Parameters {
			if tier := prm.Tier; tier != "" && tier != "Standard" {
				e.warn(fmt.Sprintf("%s is an %s parameter, which this model does not price.", prm.LogicalID, tier))
				continue
			}
			e.add(s, prm.LogicalID, "standard parameter", SSMStandardParameter, 1)
		}
	}

	if len(idle) > 0 {
		e.note("No traffic in this profile (so no cost): " + strings.Join(idle, ", ") + ".")
	}
	var guards []string
	for _, s := range e.sys.Stacks {
		for _, g := range s.Guards {
			guards = append(guards, s.Name+" "+g.LogicalID)
		}
	}
	if len(guards) > 0 {
		e.note(fmt.Sprintf(guardNote, design.GuardResourceType+" ("+strings.Join(guards, ", ")+")"))
	}
	e.note("Not priced: data transfer out to riders, and requests that fail and are retried.")
	if other := e.unpricedTypes(); len(other) > 0 {
		e.note("Resource types the model does not price: " + strings.Join(other, ", ") + ".")
	}
}

// billTable prices a table's capacity (provisioned: by the hour whatever the traffic; on-demand:
// by the write), its storage and its continuous backups.
func (e *estimator) billTable(t *table) {
	p := e.profile
	wruPerWrite := units(float64(p.PayloadBytes), e.rates[DynamoDBWriteUnits])
	mode := t.BillingMode
	switch mode {
	case "PAY_PER_REQUEST":
		if t.writes > 0 {
			e.add(t.Stack, t.LogicalID, "on-demand writes", DynamoDBWriteUnits, t.writes*wruPerWrite)
		}
	case "PROVISIONED":
		wcu, rcu := t.WriteCapacity, t.ReadCapacity
		hours := e.prices.HoursPerMonth
		e.add(t.Stack, t.LogicalID, fmt.Sprintf("provisioned %s WCU", number(wcu)), DynamoDBWCUHours, wcu*hours)
		e.add(t.Stack, t.LogicalID, fmt.Sprintf("provisioned %s RCU", number(rcu)), DynamoDBRCUHours, rcu*hours)
		rides := float64(p.RidesPerMonth)
		if rides > 0 && t.writes > 0 {
			perSecond := p.PeakRidesPerSecond * t.writes / rides * wruPerWrite
			average := t.writes * wruPerWrite / (hours * 3600)
			switch {
			case average > wcu:
				e.warn(fmt.Sprintf("%s: even the average of %s writes/s is more than its %s WCU: writes will be throttled all month.", t.LogicalID, number(average), number(wcu)))
			case perSecond > wcu:
				e.warn(fmt.Sprintf("%s: a peak of %s rides/s needs %s WCU but the table has %s: writes are throttled once burst capacity (up to 5 minutes of unused capacity) runs out. %s",
					t.LogicalID, number(p.PeakRidesPerSecond), number(perSecond), number(wcu), e.throttleEffect(t)))
			}
		}
	default:
		e.warn(fmt.Sprintf("%s: billing mode %q is not priced.", t.LogicalID, mode))
	}
	if t.HasIndexes {
		e.warn(fmt.Sprintf("%s has global secondary indexes; their capacity and writes are not priced.", t.LogicalID))
	}
	if class := t.TableClass; class != "" && class != "STANDARD" {
		e.warn(fmt.Sprintf("%s: table class %s is priced as STANDARD.", t.LogicalID, class))
	}
	if t.writes == 0 {
		return
	}
	gb := t.writes * (float64(p.PayloadBytes) + dynamoItemOverheadBytes) / bytesPerGB
	what := "storage of one month's rides"
	if t.TimeToLive != "" {
		// Its items expire: it holds one window's worth, whatever the month.
		// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
		gb *= design.IdempotencyWindow.Hours() / e.prices.HoursPerMonth
		what = fmt.Sprintf("storage of %s of keys (time to live)", design.IdempotencyWindow)
		e.note(fmt.Sprintf("%s: its items expire after %s (time to live); expired items are deleted for free.", t.LogicalID, design.IdempotencyWindow))
	} else {
		e.note(fmt.Sprintf("DynamoDB: one PutItem per ride of %s write unit(s); storage counts the rides of one month at %s B + 100 B each, and the table grows by that every month (no TTL).",
			number(wruPerWrite), number(float64(p.PayloadBytes))))
	}
	e.add(t.Stack, t.LogicalID, what, DynamoDBStorage, gb)
	if t.PointInTime {
		e.add(t.Stack, t.LogicalID, "point-in-time recovery", DynamoDBPITR, gb)
	}
}

// throttleEffect says what a throttled write does to a ride: fail the rider's request when a
// caller waits for the writer over HTTP, else retries and the dead-letter queue.
func (e *estimator) throttleEffect(t *table) string {
	for _, w := range t.writers {
		for _, f := range e.functions {
			if slices.Contains(f.callees, w) {
				return fmt.Sprintf("%s waits for %s, so a throttled write fails the rider's request (the seed's 502s and 504s).", f.LogicalID, w.LogicalID)
			}
		}
	}
	return "Nobody waits for the write: the function's retries and then its dead-letter queue take the throttled rides."
}

// durationMS is a function's billed average duration: the profile's figure, else its default
// plus the time it waits for the functions it calls over HTTP.
func (e *estimator) durationMS(f *function, depth int) float64 {
	if ms, ok := e.overrideMS(f.LogicalID); ok {
		return math.Ceil(ms)
	}
	ms := DefaultDurationMS(e.sys, f.Function)
	if depth < 10 {
		for _, c := range f.callees {
			ms += e.durationMS(c, depth+1)
		}
	}
	return math.Ceil(ms)
}

func (e *estimator) overrideMS(name string) (float64, bool) {
	for k, ms := range e.profile.DurationsMS {
		if strings.EqualFold(k, name) {
			return ms, true
		}
	}
	return 0, false
}

// pricedTypes are the resource types the model prices or that cost nothing by themselves.
var pricedTypes = map[string]bool{
	"AWS::Lambda::Function": true, "AWS::ApiGatewayV2::Api": true, "AWS::ApiGatewayV2::Route": true,
	"AWS::ApiGatewayV2::Integration": true, "AWS::ApiGatewayV2::Stage": true, "AWS::SNS::Topic": true,
	"AWS::SNS::Subscription": true, "AWS::SQS::Queue": true, "AWS::DynamoDB::Table": true,
	"AWS::CloudWatch::Alarm": true, "AWS::SSM::Parameter": true, "AWS::Logs::LogGroup": true, "AWS::KMS::Key": true,
	// No charge of their own.
	"AWS::IAM::Role": true, "AWS::IAM::Policy": true, "AWS::IAM::ManagedPolicy": true,
	"AWS::Lambda::Permission": true, "AWS::Lambda::EventInvokeConfig": true,
	"AWS::SNS::TopicPolicy": true, "AWS::SQS::QueuePolicy": true, "AWS::CDK::Metadata": true,
	design.GuardResourceType: true, // see guardNote
}

// guardNote says what the rollout guards cost: CloudFormation charges no handler operations for
// the Custom:: namespace (https://aws.amazon.com/cloudformation/pricing/); the guard's function
// runs when a deploy changes its stack, never for a ride; its reads are free: DescribeStacks
// (CloudFormation's API) and SSM GetParameter and GetParameterHistory at standard throughput
// (https://aws.amazon.com/systems-manager/pricing/).
const guardNote = "%s: no charge of its own (CloudFormation charges nothing for Custom:: resources); its function runs once per deploy that changes the stack, not per ride, and reads for free (DescribeStacks, SSM parameters at standard throughput)."

func (e *estimator) unpricedTypes() []string {
	count := map[string]int{}
	for _, s := range e.sys.Stacks {
		for _, r := range s.Resources {
			if !pricedTypes[r.Type] {
				count[r.Type]++
			}
		}
	}
	var out []string
	for typ, n := range count {
		out = append(out, fmt.Sprintf("%s (%d)", typ, n))
	}
	sort.Strings(out)
	return out
}

// add appends a priced line.
func (e *estimator) add(s *model.Stack, resource, usage string, key PriceKey, quantity float64) {
	e.report.Lines = append(e.report.Lines, priced(e.rates, s.Name, resource, usage, key, quantity))
}

func priced(rates map[PriceKey]Price, stack, resource, usage string, key PriceKey, quantity float64) Line {
	pr := rates[key]
	return Line{
		Stack: stack, Resource: resource, Service: pr.Service, Usage: usage,
		Quantity: quantity, Unit: pr.Unit, Price: key, UnitUSD: pr.USD, Per: pr.Per,
		MonthlyUSD: quantity / pr.Per * pr.USD,
	}
}

// freeTierCredits returns one negative line per allowance and price it covers: the allowance
// goes to the listed prices in order, up to what the lines use.
func freeTierCredits(lines []Line, allowances []Allowance, rates map[PriceKey]Price) []Line {
	used := map[PriceKey]float64{}
	for _, l := range lines {
		used[l.Price] += l.Quantity
	}
	var credits []Line
	for _, a := range allowances {
		left := a.Quantity
		for _, key := range a.Prices {
			take := math.Min(left, used[key])
			if take <= 0 {
				continue
			}
			left -= take
			used[key] -= take
			credits = append(credits, priced(rates, "", "free tier", a.Name, key, -take))
		}
	}
	return credits
}

// units is how many billing units one message of size bytes takes (at least one).
func units(bytes float64, p Price) float64 {
	if p.MeteredBytes <= 0 {
		return 1
	}
	return math.Max(1, math.Ceil(bytes/p.MeteredBytes))
}
