// Package cost estimates the monthly AWS bill of the synthesized stacks for a traffic profile,
// and answers the seed's cost questions with the same price table.
package cost

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/cfn"
)

// RideRoute is the route every ride enters by; the profile's rides are its requests.
const RideRoute = "POST /ride"

// The environment variables that tell the model where a function sends each ride
// (docs/ARCHITECTURE.md, "Environment variables the functions read").
const (
	envTopic     = "RIDES_SNS_TOPIC_ARN"
	envRecordURL = "RIDE_RECORD_URL"
	envTable     = "TABLE_NAME"
)

const (
	bytesPerGB = 1 << 30
	// DynamoDB bills each item's size plus 100 bytes of indexing overhead for storage.
	dynamoItemOverheadBytes = 100
	// Lambda's default memory when a template does not set MemorySize.
	defaultMemoryMB = 128
)

// ErrUnknownFunction is returned when a duration is given for a function no template defines.
var ErrUnknownFunction = errors.New("unknown function")

type node struct {
	stack *cfn.Stack
	res   cfn.Resource
}

func (n node) id() string { return n.res.LogicalID }

type function struct {
	node
	memoryMB    float64
	arch        string
	timeoutS    float64
	invocations float64
	triggers    []string
	// callees are the functions this one calls over HTTP and waits for.
	callees []*function
	reached bool
}

type route struct {
	node
	key      string
	api      string
	fn       *function
	requests float64
}

type topic struct {
	node
	publishes float64
	subs      []*subscription
}

type subscription struct {
	node
	protocol   string
	fn         *function
	deliveries float64
}

type table struct {
	node
	writes  float64
	writers []*function
}

// estimator walks the stacks of one deployment: it finds how a ride travels through them, then
// prices what each resource does with it.
type estimator struct {
	profile Profile
	prices  Prices
	rates   map[PriceKey]Price

	stacks    []*cfn.Stack
	functions []*function // in order of stack name, then logical ID
	byNode    map[string]*function
	routes    []*route
	topics    []*topic
	tables    []*table
	reached   []*function // in the order a ride reaches them

	report Report
	seen   map[string]bool // notes and warnings already given
}

// Estimate prices the stacks of the given cloud assemblies (one deployment: both Wild Rydes
// stacks) for a month of the profile's traffic.
func Estimate(assemblies []*cfn.Assembly, profile Profile, prices Prices) (Report, error) {
	if err := profile.validate(); err != nil {
		return Report{}, err
	}
	rates, err := prices.region(profile.Region)
	if err != nil {
		return Report{}, err
	}
	e := &estimator{profile: profile, prices: prices, rates: rates, byNode: map[string]*function{}, seen: map[string]bool{}}
	var dirs []string
	names := map[string]bool{}
	for _, a := range assemblies {
		dirs = append(dirs, a.Dir)
		for _, s := range a.Stacks {
			if names[s.Name] {
				return Report{}, fmt.Errorf("stack %s appears in more than one cloud assembly: estimate one deployment at a time", s.Name)
			}
			names[s.Name] = true
			e.stacks = append(e.stacks, s)
		}
	}
	if len(e.stacks) == 0 {
		return Report{}, errors.New("no stacks to estimate")
	}
	sort.Slice(e.stacks, func(i, j int) bool { return e.stacks[i].Name < e.stacks[j].Name })

	p := profile
	e.report = Report{
		Title:         strings.Join(dirs, " + "),
		Region:        profile.Region,
		FreeTier:      profile.FreeTier,
		PricesChecked: prices.Checked,
		Profile:       &p,
	}
	if err := e.index(); err != nil {
		return Report{}, err
	}
	if err := e.propagate(); err != nil {
		return Report{}, err
	}
	e.bill()
	if profile.FreeTier {
		e.report.Lines = append(e.report.Lines, freeTierCredits(e.report.Lines, prices.FreeTier, rates)...)
		e.note("Free tier: the allowances of prices.json, API Gateway's included, which only an account's first 12 months get; check which free tier your account has.")
	}
	e.report.total()
	return e.report, nil
}

// index finds every function, route, topic, subscription and table.
func (e *estimator) index() error {
	for _, s := range e.stacks {
		for _, r := range s.Template.ResourcesOfType("AWS::Lambda::Function") {
			f := &function{node: node{s, r}, memoryMB: defaultMemoryMB, arch: "x86_64", timeoutS: 3}
			if v, ok := number64(r.Properties["MemorySize"]); ok {
				f.memoryMB = v
			} else if r.Properties["MemorySize"] != nil {
				e.warn(fmt.Sprintf("%s: MemorySize is not a literal number; priced at %d MB.", r.LogicalID, defaultMemoryMB))
			}
			if v, ok := number64(r.Properties["Timeout"]); ok {
				f.timeoutS = v
			}
			if archs, ok := r.Properties["Architectures"].([]any); ok && len(archs) == 1 && archs[0] == "arm64" {
				f.arch = "arm64"
			}
			e.functions = append(e.functions, f)
			e.byNode[s.Name+"/"+r.LogicalID] = f
		}
	}
	for name := range e.profile.DurationsMS {
		if e.functionNamed(name) == nil {
			return fmt.Errorf("%w %q in the durations: the templates define %s", ErrUnknownFunction, name, strings.Join(e.functionNames(), ", "))
		}
	}

	for _, s := range e.stacks {
		for _, r := range s.Template.ResourcesOfType("AWS::ApiGatewayV2::Route") {
			rt := &route{node: node{s, r}}
			rt.key, _ = r.Properties["RouteKey"].(string)
			rt.api, _ = refName(r.Properties["ApiId"])
			for _, name := range refNames(r.Properties["Target"]) {
				integ, ok := s.Template.Resources[name]
				if !ok || integ.Type != "AWS::ApiGatewayV2::Integration" {
					continue
				}
				if fn, ok := refName(integ.Properties["IntegrationUri"]); ok {
					rt.fn = e.byNode[s.Name+"/"+fn]
				}
			}
			e.routes = append(e.routes, rt)
		}
		for _, r := range s.Template.ResourcesOfType("AWS::SNS::Topic") {
			e.topics = append(e.topics, &topic{node: node{s, r}})
		}
		for _, r := range s.Template.ResourcesOfType("AWS::DynamoDB::Table") {
			e.tables = append(e.tables, &table{node: node{s, r}})
		}
	}
	// Subscriptions last: their topic may live in the other stack, found through SSM.
	for _, s := range e.stacks {
		for _, r := range s.Template.ResourcesOfType("AWS::SNS::Subscription") {
			sub := &subscription{node: node{s, r}}
			sub.protocol, _ = r.Properties["Protocol"].(string)
			if name, ok := refName(r.Properties["Endpoint"]); ok && sub.protocol == "lambda" {
				sub.fn = e.byNode[s.Name+"/"+name]
			}
			if _, ok := r.Properties["FilterPolicy"]; ok {
				e.note(fmt.Sprintf("%s has a filter policy; every message is assumed to match it.", r.LogicalID))
			}
			t := e.topicAt(s, r.Properties["TopicArn"])
			if t == nil {
				e.warn(fmt.Sprintf("%s: its topic is not in these stacks, so it gets no messages in this estimate.", r.LogicalID))
				continue
			}
			t.subs = append(t.subs, sub)
		}
	}
	return nil
}

// propagate sends the month's rides in through POST /ride and follows them: a function with
// RIDES_SNS_TOPIC_ARN publishes each to the topic (which invokes each subscriber), one with
// RIDE_RECORD_URL POSTs each to that route (and waits), one with TABLE_NAME writes each.
func (e *estimator) propagate() error {
	type arrival struct {
		fn      *function
		n       float64
		trigger string
	}
	var queue []arrival
	rides := float64(e.profile.RidesPerMonth)
	for _, r := range e.routes {
		if r.key == RideRoute && r.fn != nil {
			r.requests += rides
			queue = append(queue, arrival{r.fn, rides, r.key})
		}
	}
	if len(queue) == 0 {
		e.warn(fmt.Sprintf("No %s route leads to a function: no ride enters these stacks.", RideRoute))
	}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10_000 {
			return errors.New("the functions send rides to each other in a loop; the model cannot price that")
		}
		a := queue[0]
		queue = queue[1:]
		f := a.fn
		if !f.reached {
			f.reached = true
			e.reached = append(e.reached, f)
		}
		f.invocations += a.n
		if !slices.Contains(f.triggers, a.trigger) {
			f.triggers = append(f.triggers, a.trigger)
		}
		env, _ := f.res.Properties["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		if v, ok := vars[envTopic]; ok {
			t := e.topicAt(f.stack, v)
			if t == nil {
				e.warn(fmt.Sprintf("%s publishes to a topic that is not in these stacks: its publishes are not priced.", f.id()))
			} else {
				t.publishes += a.n
				for _, sub := range t.subs {
					sub.deliveries += a.n
					if sub.fn != nil {
						queue = append(queue, arrival{sub.fn, a.n, "topic " + t.id()})
					}
				}
			}
		}
		if v, ok := vars[envRecordURL]; ok {
			routes := e.routesAt(f.stack, v)
			if len(routes) == 0 {
				e.warn(fmt.Sprintf("%s POSTs to a %s that leads to no route in these stacks: those requests are not priced.", f.id(), envRecordURL))
			}
			for _, r := range routes {
				r.requests += a.n
				if r.fn != nil {
					if !slices.Contains(f.callees, r.fn) {
						f.callees = append(f.callees, r.fn)
					}
					queue = append(queue, arrival{r.fn, a.n, r.key})
				}
			}
		}
		if v, ok := vars[envTable]; ok {
			t := e.tableAt(f.stack, v)
			if t == nil {
				e.warn(fmt.Sprintf("%s writes to a table that is not in these stacks: its writes are not priced.", f.id()))
			} else {
				t.writes += a.n
				if !slices.Contains(t.writers, f) {
					t.writers = append(t.writers, f)
				}
			}
		}
	}
	return nil
}

// bill turns what each resource does in a month into priced lines, following a ride: API, the
// functions, the topic, the queues, the table, then what costs the same whatever the traffic.
func (e *estimator) bill() {
	p := e.profile
	payload := float64(p.PayloadBytes)

	apiRequests := map[string]float64{} // stack/api -> requests
	var idle []string
	for _, r := range e.routes {
		if r.requests == 0 {
			idle = append(idle, "route "+r.key)
			continue
		}
		api := r.stack.Template.Resources[r.api]
		if proto, _ := api.Properties["ProtocolType"].(string); proto != "HTTP" {
			e.warn(fmt.Sprintf("%s is on a %s API, which this model does not price.", r.key, proto))
			continue
		}
		e.add(r.stack, r.key, "requests", HTTPAPIRequests, r.requests*units(payload, e.rates[HTTPAPIRequests]))
		apiRequests[r.stack.Name+"/"+r.api] += r.requests
		if _, ok := api.Properties["CorsConfiguration"]; ok {
			e.note("CORS preflight (OPTIONS) requests that browsers send before a POST are not counted.")
		}
	}
	for _, s := range e.stacks {
		for _, st := range s.Template.ResourcesOfType("AWS::ApiGatewayV2::Stage") {
			api, _ := refName(st.Properties["ApiId"])
			n := apiRequests[s.Name+"/"+api]
			logs, _ := st.Properties["AccessLogSettings"].(map[string]any)
			format, _ := logs["Format"].(string)
			if n == 0 || format == "" {
				continue
			}
			name, _ := s.Template.Resources[api].Properties["Name"].(string)
			e.add(s, cmp.Or(name, api)+" access logs", "log ingestion", LogsIngestion, n*float64(len(format))/bytesPerGB)
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
		trigger := strings.Join(f.triggers, ", ")
		if trigger == "" {
			trigger = "no ride reaches it"
		}
		e.report.Functions = append(e.report.Functions, FunctionUse{
			Stack: f.stack.Name, Name: f.id(), Invocations: f.invocations, DurationMS: ms,
			MemoryMB: f.memoryMB, Architecture: f.arch, Trigger: trigger,
		})
		if tc, _ := f.res.Properties["TracingConfig"].(map[string]any); tc["Mode"] == "Active" && f.invocations > 0 {
			traced = append(traced, f.id())
		}
		if f.invocations == 0 {
			idle = append(idle, "function "+f.id())
			continue
		}
		if ms > f.timeoutS*1000 {
			e.warn(fmt.Sprintf("%s: the average duration %s ms is longer than its timeout of %s s.", f.id(), number(ms), number(f.timeoutS)))
		}
		compute := LambdaComputeX86
		if f.arch == "arm64" {
			compute = LambdaComputeARM
		}
		e.add(f.stack, f.id(), "requests", LambdaRequests, f.invocations)
		e.add(f.stack, f.id(), fmt.Sprintf("compute (%s, %s MB, %s ms)", f.arch, number(f.memoryMB), number(ms)),
			compute, f.invocations*ms/1000*f.memoryMB/1024)
		if p.LogBytesPerInvocation > 0 {
			e.add(f.stack, f.id(), "log ingestion", LogsIngestion, f.invocations*float64(p.LogBytesPerInvocation)/bytesPerGB)
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
			idle = append(idle, "topic "+t.id())
			continue
		}
		e.add(t.stack, t.id(), "publishes", SNSPublish, t.publishes*units(payload, e.rates[SNSPublish]))
		for _, sub := range t.subs {
			switch sub.protocol {
			case "lambda":
				to := "Lambda"
				if sub.fn != nil {
					to = sub.fn.id() + " (Lambda)"
				}
				e.add(sub.stack, t.id(), "delivery to "+to, SNSDeliveryLambda, sub.deliveries)
			case "sqs":
				e.add(sub.stack, t.id(), "delivery to SQS", SNSDeliverySQS, sub.deliveries)
			default:
				e.warn(fmt.Sprintf("%s delivers over %q, which this model does not price.", sub.id(), sub.protocol))
			}
		}
		if _, ok := t.res.Properties["KmsMasterKeyId"]; ok {
			e.note(fmt.Sprintf("%s is encrypted with a KMS key: the KMS requests that publishing makes are not priced.", t.id()))
		}
	}

	for _, s := range e.stacks {
		for _, q := range s.Template.ResourcesOfType("AWS::SQS::Queue") {
			if e.isDeadLetterQueue(s, q.LogicalID) {
				e.note(fmt.Sprintf("%s is a dead-letter queue: it costs nothing while nothing fails, which this estimate assumes (SQS bills only requests).", q.LogicalID))
			} else {
				e.note(fmt.Sprintf("%s: no traffic is modelled for this queue.", q.LogicalID))
			}
		}
	}

	for _, t := range e.tables {
		e.billTable(t)
	}

	for _, s := range e.stacks {
		for _, a := range s.Template.ResourcesOfType("AWS::CloudWatch::Alarm") {
			e.add(s, a.LogicalID, "alarm", CloudWatchAlarms, 1)
			if period, ok := number64(a.Properties["Period"]); ok && period < 60 {
				e.warn(fmt.Sprintf("%s is a high-resolution alarm (period %s s), priced here as a standard one.", a.LogicalID, number(period)))
			}
		}
		for _, k := range s.Template.ResourcesOfType("AWS::KMS::Key") {
			e.add(s, k.LogicalID, "customer managed key", KMSKeys, 1)
			if k.Properties["EnableKeyRotation"] == true {
				e.note(fmt.Sprintf("%s rotates yearly; each of its first two rotations adds one key-month a month, priced here as in its first year.", k.LogicalID))
			}
		}
		for _, prm := range s.Template.ResourcesOfType("AWS::SSM::Parameter") {
			if tier, _ := prm.Properties["Tier"].(string); tier != "" && tier != "Standard" {
				e.warn(fmt.Sprintf("%s is an %s parameter, which this model does not price.", prm.LogicalID, tier))
				continue
			}
			e.add(s, prm.LogicalID, "standard parameter", SSMStandardParameter, 1)
		}
	}

	if len(idle) > 0 {
		e.note("No traffic in this profile (so no cost): " + strings.Join(idle, ", ") + ".")
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
	props := t.res.Properties
	wruPerWrite := units(float64(p.PayloadBytes), e.rates[DynamoDBWriteUnits])
	mode, _ := props["BillingMode"].(string)
	if mode == "" {
		mode = "PROVISIONED"
	}
	switch mode {
	case "PAY_PER_REQUEST":
		if t.writes > 0 {
			e.add(t.stack, t.id(), "on-demand writes", DynamoDBWriteUnits, t.writes*wruPerWrite)
		}
	case "PROVISIONED":
		pt, _ := props["ProvisionedThroughput"].(map[string]any)
		wcu, _ := number64(pt["WriteCapacityUnits"])
		rcu, _ := number64(pt["ReadCapacityUnits"])
		hours := e.prices.HoursPerMonth
		e.add(t.stack, t.id(), fmt.Sprintf("provisioned %s WCU", number(wcu)), DynamoDBWCUHours, wcu*hours)
		e.add(t.stack, t.id(), fmt.Sprintf("provisioned %s RCU", number(rcu)), DynamoDBRCUHours, rcu*hours)
		rides := float64(p.RidesPerMonth)
		if rides > 0 && t.writes > 0 {
			perSecond := p.PeakRidesPerSecond * t.writes / rides * wruPerWrite
			average := t.writes * wruPerWrite / (hours * 3600)
			switch {
			case average > wcu:
				e.warn(fmt.Sprintf("%s: even the average of %s writes/s is more than its %s WCU: writes will be throttled all month.", t.id(), number(average), number(wcu)))
			case perSecond > wcu:
				e.warn(fmt.Sprintf("%s: a peak of %s rides/s needs %s WCU but the table has %s: writes are throttled once burst capacity (up to 5 minutes of unused capacity) runs out. %s",
					t.id(), number(p.PeakRidesPerSecond), number(perSecond), number(wcu), e.throttleEffect(t)))
			}
		}
	default:
		e.warn(fmt.Sprintf("%s: billing mode %q is not priced.", t.id(), mode))
	}
	if _, ok := props["GlobalSecondaryIndexes"]; ok {
		e.warn(fmt.Sprintf("%s has global secondary indexes; their capacity and writes are not priced.", t.id()))
	}
	if class, _ := props["TableClass"].(string); class != "" && class != "STANDARD" {
		e.warn(fmt.Sprintf("%s: table class %s is priced as STANDARD.", t.id(), class))
	}
	if t.writes == 0 {
		return
	}
	gb := t.writes * (float64(p.PayloadBytes) + dynamoItemOverheadBytes) / bytesPerGB
	e.add(t.stack, t.id(), "storage of one month's rides", DynamoDBStorage, gb)
	if pitr, _ := props["PointInTimeRecoverySpecification"].(map[string]any); pitr["PointInTimeRecoveryEnabled"] == true {
		e.add(t.stack, t.id(), "point-in-time recovery", DynamoDBPITR, gb)
	}
	e.note(fmt.Sprintf("DynamoDB: one PutItem per ride of %s write unit(s); storage counts the rides of one month at %s B + 100 B each, and the table grows by that every month (no TTL).",
		number(wruPerWrite), number(float64(p.PayloadBytes))))
}

// throttleEffect says what a throttled write does to a ride: fail the rider's request when a
// caller waits for the writer over HTTP, else retries and the dead-letter queue.
func (e *estimator) throttleEffect(t *table) string {
	for _, w := range t.writers {
		for _, f := range e.functions {
			if slices.Contains(f.callees, w) {
				return fmt.Sprintf("%s waits for %s, so a throttled write fails the rider's request (the seed's 502s and 504s).", f.id(), w.id())
			}
		}
	}
	return "Nobody waits for the write: the function's retries and then its dead-letter queue take the throttled rides."
}

// durationMS is a function's billed average duration: the profile's figure, else its default
// plus the time it waits for the functions it calls over HTTP.
func (e *estimator) durationMS(f *function, depth int) float64 {
	if ms, ok := e.overrideMS(f.id()); ok {
		return math.Ceil(ms)
	}
	ms := DefaultDurationMS(f.id())
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

func (e *estimator) functionNamed(name string) *function {
	for _, f := range e.functions {
		if strings.EqualFold(f.id(), name) {
			return f
		}
	}
	return nil
}

func (e *estimator) functionNames() []string {
	var names []string
	for _, f := range e.functions {
		names = append(names, f.id())
	}
	return names
}

// deref follows a reference to a CDK SSM-valued template parameter
// (AWS::SSM::Parameter::Value<String>, default = the parameter's name) to the value that an
// AWS::SSM::Parameter of that name in one of the stacks stores. That is how the two stacks know
// each other's topic and URL.
func (e *estimator) deref(s *cfn.Stack, v any) (*cfn.Stack, any) {
	for range 5 {
		name, ok := refName(v)
		if !ok {
			return s, v
		}
		prm, ok := s.Template.Parameters[name]
		if !ok || prm.Default == nil || !strings.HasPrefix(prm.Type, "AWS::SSM::Parameter::Value") {
			return s, v
		}
		found := false
		for _, other := range e.stacks {
			for _, r := range other.Template.ResourcesOfType("AWS::SSM::Parameter") {
				if r.Properties["Name"] == *prm.Default {
					s, v, found = other, r.Properties["Value"], true
				}
			}
		}
		if !found {
			return s, v
		}
	}
	return s, v
}

func (e *estimator) topicAt(s *cfn.Stack, v any) *topic {
	s, v = e.deref(s, v)
	name, ok := refName(v)
	if !ok {
		return nil
	}
	for _, t := range e.topics {
		if t.stack == s && t.id() == name {
			return t
		}
	}
	return nil
}

func (e *estimator) tableAt(s *cfn.Stack, v any) *table {
	s, v = e.deref(s, v)
	name, ok := refName(v)
	if !ok {
		return nil
	}
	for _, t := range e.tables {
		if t.stack == s && t.id() == name {
			return t
		}
	}
	return nil
}

// routesAt finds the routes a URL leads to. CDK writes an API's URL as
// {"Fn::Join": ["", [<the API's ApiEndpoint or its parts>, "/record"]]}: the API is the one the
// join refers to, the path its last literal part that starts with "/".
func (e *estimator) routesAt(s *cfn.Stack, v any) []*route {
	s, v = e.deref(s, v)
	var api, path string
	if str, ok := v.(string); ok {
		if u, err := url.Parse(str); err == nil {
			path = u.Path
		}
	}
	if join, ok := v.(map[string]any)["Fn::Join"].([]any); ok && len(join) == 2 {
		parts, _ := join[1].([]any)
		for _, part := range parts {
			if name, ok := refName(part); ok && api == "" {
				if r, ok := s.Template.Resources[name]; ok && r.Type == "AWS::ApiGatewayV2::Api" {
					api = name
				}
			}
			if str, ok := part.(string); ok && strings.HasPrefix(str, "/") {
				path = str
			}
		}
	}
	var out []*route
	for _, r := range e.routes {
		if r.stack == s && r.api == api && (r.key == "POST "+path || r.key == "ANY "+path) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		for _, r := range e.routes {
			if r.stack == s && r.api == api && r.key == "$default" {
				out = append(out, r)
			}
		}
	}
	return out
}

// isDeadLetterQueue reports whether a function's DeadLetterConfig or a subscription's
// RedrivePolicy sends failures to queue id.
func (e *estimator) isDeadLetterQueue(s *cfn.Stack, id string) bool {
	for _, r := range s.Template.Resources {
		var target any
		switch r.Type {
		case "AWS::Lambda::Function":
			dlc, _ := r.Properties["DeadLetterConfig"].(map[string]any)
			target = dlc["TargetArn"]
		case "AWS::SNS::Subscription":
			rp, _ := r.Properties["RedrivePolicy"].(map[string]any)
			target = rp["deadLetterTargetArn"]
		case "AWS::SQS::Queue":
			rp, _ := r.Properties["RedrivePolicy"].(map[string]any)
			target = rp["deadLetterTargetArn"]
		}
		if name, ok := refName(target); ok && name == id {
			return true
		}
	}
	return false
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
}

func (e *estimator) unpricedTypes() []string {
	count := map[string]int{}
	for _, s := range e.stacks {
		for _, r := range s.Template.Resources {
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
func (e *estimator) add(s *cfn.Stack, resource, usage string, key PriceKey, quantity float64) {
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

func (e *estimator) note(s string) {
	if !e.seen[s] {
		e.seen[s] = true
		e.report.Notes = append(e.report.Notes, s)
	}
}

func (e *estimator) warn(s string) {
	if !e.seen[s] {
		e.seen[s] = true
		e.report.Warnings = append(e.report.Warnings, s)
	}
}

// refName returns the logical name that {"Ref": X} or {"Fn::GetAtt": [X, attr]} points at.
func refName(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	if name, ok := m["Ref"].(string); ok {
		return name, true
	}
	switch att := m["Fn::GetAtt"].(type) {
	case []any:
		if len(att) == 2 {
			name, ok := att[0].(string)
			return name, ok
		}
	case string:
		name, _, _ := strings.Cut(att, ".")
		return name, name != ""
	}
	return "", false
}

// refNames lists every name referred to anywhere inside v (a route's Target is a Fn::Join
// around the Ref of its integration).
func refNames(v any) []string {
	if name, ok := refName(v); ok {
		return []string{name}
	}
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			out = append(out, refNames(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, refNames(x)...)
		}
	}
	return out
}

// number64 reads a literal number; CloudFormation also accepts numbers written as strings.
func number64(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}
