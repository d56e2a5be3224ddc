package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/localrt"
)

// accountID is the account the emulator pretends to be (moto's default).
const accountID = "123456789012"

// entryMetadataKey is where constructs.GoLambda records a function's folder (kept equal to
// constructs.EntryMetadataKey; this package does not import the CDK).
const entryMetadataKey = "wildrydes:entry"

// deployed is one stack as the local system created it.
type deployed struct {
	name      string
	resources map[string]*resource // by logical ID
	order     []string
	outputs   map[string]string
}

func (d *deployed) physicalIDs() map[string]string {
	out := map[string]string{}
	for id, r := range d.resources {
		out[id] = r.physical
	}
	return out
}

// resource is one created resource and what removing it needs.
type resource struct {
	logicalID, typ, physical string
	attrs                    map[string]string
	props                    string // resolved properties as JSON: unchanged means nothing to do
	retain                   bool
	apiID, routeKey, integID string // routes and integrations
	subToken                 string // subscriptions
}

// DeployAssembly deploys every stack of the assembly, each once the SSM parameters it reads
// exist: the order the stacks themselves need, whatever the refactor step.
func (s *System) DeployAssembly(ctx context.Context, asm *cfn.Assembly) error {
	var pending []string
	for name := range asm.Stacks {
		pending = append(pending, name)
	}
	sort.Strings(pending)
	var templates []*cfn.Template
	for _, name := range pending {
		templates = append(templates, asm.Stacks[name].Template)
	}
	if err := s.buildFunctions(ctx, templates...); err != nil {
		return err
	}
	for len(pending) > 0 {
		var waiting []string
		progressed := false
		for i, name := range pending {
			missing := s.missingParameters(ctx, asm.Stacks[name].Template)
			if len(missing) > 0 {
				waiting = append(waiting, fmt.Sprintf("%s needs %s", name, strings.Join(missing, ", ")))
				continue
			}
			if err := s.Deploy(ctx, asm.Stacks[name]); err != nil {
				return err
			}
			pending = append(pending[:i], pending[i+1:]...)
			progressed = true
			break
		}
		if !progressed {
			return fmt.Errorf("no stack can be deployed: %s, and no stack writes them", strings.Join(waiting, "; "))
		}
	}
	return nil
}

func (s *System) missingParameters(ctx context.Context, t *cfn.Template) []string {
	var missing []string
	for name, p := range t.Parameters {
		if name == "BootstrapVersion" || !strings.HasPrefix(p.Type, "AWS::SSM::Parameter::Value") || p.Default == nil {
			continue
		}
		if _, err := s.lookupSSM(ctx, *p.Default); err != nil {
			missing = append(missing, *p.Default)
		}
	}
	sort.Strings(missing)
	return missing
}

func (s *System) lookupSSM(ctx context.Context, name string) (string, error) {
	out, err := s.aws.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("SSM parameter %s: %w", name, err)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// Deploy creates or updates one stack as CloudFormation would: resources in dependency order,
// unchanged ones kept, changed ones updated in place (functions swapped without dropping an
// invocation in flight), and what the new template no longer has removed last.
func (s *System) Deploy(ctx context.Context, stack *cfn.Stack) error {
	start := time.Now()
	t := stack.Template
	params, err := cfn.ResolveParameters(t, func(name string) (string, error) { return s.lookupSSM(ctx, name) }, nil)
	if err != nil {
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	}
	order, err := t.Order()
	if err != nil {
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	}
	if err := s.buildFunctions(ctx, t); err != nil {
		return err
	}

	s.mu.Lock()
	prev := s.stacks[stack.Name]
	s.mu.Unlock()
	r := &cfn.Resolver{Region: s.opts.Region, AccountID: accountID, Partition: "aws", URLSuffix: "amazonaws.com",
		StackName: stack.Name, StackID: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/local", s.opts.Region, accountID, stack.Name),
		Params: params, Physical: map[string]string{}, Attrs: map[string]map[string]string{}, Template: t}
	next := &deployed{name: stack.Name, resources: map[string]*resource{}}
	var replaced []*resource
	created, updated := 0, 0
	for _, id := range order {
		res := t.Resources[id]
		if ok, err := t.Included(res, r); err != nil {
			return fmt.Errorf("deploying %s: %w", stack.Name, err)
		} else if !ok {
			continue
		}
		props, err := r.ResolveProperties(res)
		if err != nil {
			return fmt.Errorf("deploying %s: %w", stack.Name, err)
		}
		var old *resource
		if prev != nil {
			if o := prev.resources[id]; o != nil && o.typ == res.Type {
				old = o
			}
		}
		nr, replacedOld, err := s.provision(ctx, stack.Name, res, props, old)
		if err != nil {
			return fmt.Errorf("deploying %s: %s (%s): %w", stack.Name, id, res.Type, err)
		}
		if replacedOld {
			replaced = append(replaced, old)
		}
		switch {
		case old == nil:
			created++
		case old != nr:
			updated++
		}
		next.resources[id] = nr
		next.order = append(next.order, id)
		r.Physical[id] = nr.physical
		r.Attrs[id] = nr.attrs
	}
	if next.outputs, err = t.ResolveOutputs(r); err != nil {
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	}

	// Clean-up, as CloudFormation does after the update: what the new template dropped, newest
	// first, and what an update replaced.
	var gone []*resource
	if prev != nil {
		for i := len(prev.order) - 1; i >= 0; i-- {
			id := prev.order[i]
			if o := prev.resources[id]; next.resources[id] == nil || next.resources[id].typ != o.typ {
				gone = append(gone, o)
			}
		}
	}
	for _, o := range append(replaced, gone...) {
		s.remove(ctx, o)
	}
	s.mu.Lock()
	s.stacks[stack.Name] = next
	s.mu.Unlock()
	fmt.Fprintf(s.opts.Log, "deployed %s: %d created, %d updated, %d removed, in %.1fs\n",
		stack.Name, created, updated, len(gone)+len(replaced), time.Since(start).Seconds())
	return s.writeState()
}

// buildFunctions builds the host binaries of every function in the templates, in one go build.
func (s *System) buildFunctions(ctx context.Context, templates ...*cfn.Template) error {
	var entries []string
	for _, t := range templates {
		for _, r := range t.ResourcesOfType("AWS::Lambda::Function") {
			entry, _ := r.Metadata[entryMetadataKey].(string)
			if entry == "" {
				return fmt.Errorf("function %s has no %q metadata: the local runner runs only functions built by constructs.GoLambda", r.LogicalID, entryMetadataKey)
			}
			entries = append(entries, entry)
		}
	}
	_, err := s.builder.binaries(ctx, entries)
	return err
}

// provision creates res, or updates old into it. It returns whether old was replaced by a new
// physical resource (old then has to be removed once the stack is updated).
func (s *System) provision(ctx context.Context, stack string, res cfn.Resource, props map[string]any, old *resource) (*resource, bool, error) {
	b, _ := json.Marshal(props)
	nr := &resource{logicalID: res.LogicalID, typ: res.Type, props: string(b), attrs: map[string]string{},
		retain: res.DeletionPolicy == "Retain" || res.DeletionPolicy == "RetainExceptOnCreate"}
	if old != nil && old.props == nr.props {
		return old, false, nil
	}
	switch res.Type {
	case "AWS::DynamoDB::Table":
		return s.provisionTable(ctx, stack, nr, props, old)
	case "AWS::SNS::Topic":
		if old != nil {
			return keep(nr, old), false, nil
		}
		name := physicalName(stack, res.LogicalID, 256)
		out, err := s.aws.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
		if err != nil {
			return nil, false, err
		}
		nr.physical = aws.ToString(out.TopicArn)
		nr.attrs["TopicArn"], nr.attrs["TopicName"] = nr.physical, name
		return nr, false, nil
	case "AWS::SQS::Queue":
		return s.provisionQueue(ctx, stack, nr, old)
	case "AWS::SSM::Parameter":
		name, _ := props["Name"].(string)
		value := fmt.Sprint(props["Value"])
		typ, _ := props["Type"].(string)
		if typ == "" {
			typ = "String"
		}
		if _, err := s.aws.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
			Type: ssmtypes.ParameterType(typ), Overwrite: aws.Bool(true)}); err != nil {
			return nil, false, err
		}
		nr.physical = name
		nr.attrs["Type"], nr.attrs["Value"] = typ, value
		return nr, old != nil && old.physical != name, nil
	case "AWS::Lambda::Function":
		return s.provisionFunction(ctx, stack, res, nr, props)
	case "AWS::Lambda::EventInvokeConfig":
		name, _ := props["FunctionName"].(string)
		retries := 2
		if v, ok := number(props["MaximumRetryAttempts"]); ok {
			retries = int(v)
		}
		s.async.setRetries(name, retries)
		nr.physical = name + ":$LATEST"
		return nr, false, nil
	case "AWS::ApiGatewayV2::Api":
		return s.provisionAPI(nr, props, old)
	case "AWS::ApiGatewayV2::Integration":
		apiID, _ := props["ApiId"].(string)
		uri, _ := props["IntegrationUri"].(string)
		api := s.api(apiID)
		if api == nil {
			return nil, false, fmt.Errorf("integration for unknown API %q", apiID)
		}
		nr.physical, nr.apiID = randomID(7), apiID
		if old != nil {
			nr.physical = old.physical
		}
		api.setIntegration(nr.physical, uri)
		return nr, false, nil
	case "AWS::ApiGatewayV2::Route":
		apiID, _ := props["ApiId"].(string)
		key, _ := props["RouteKey"].(string)
		target, _ := props["Target"].(string)
		api := s.api(apiID)
		if api == nil {
			return nil, false, fmt.Errorf("route %s for unknown API %q", key, apiID)
		}
		nr.physical, nr.apiID, nr.routeKey = randomID(7), apiID, key
		nr.integID = strings.TrimPrefix(target, "integrations/")
		if old != nil {
			nr.physical = old.physical
		}
		api.setRoute(key, nr.integID)
		authorization, _ := props["AuthorizationType"].(string)
		api.setAuthorization(key, authorization)
		return nr, false, nil
	case "AWS::ApiGatewayV2::Stage":
		apiID, _ := props["ApiId"].(string)
		if api := s.api(apiID); api != nil {
			settings, _ := props["DefaultRouteSettings"].(map[string]any)
			rate, _ := number(settings["ThrottlingRateLimit"])
			burst, _ := number(settings["ThrottlingBurstLimit"])
			api.setThrottle(rate, burst)
		}
		nr.physical, _ = props["StageName"].(string)
		return nr, false, nil
	case "AWS::SNS::Subscription":
		return s.provisionSubscription(ctx, nr, props, old)
	default:
		// IAM, log groups, permissions, policies, alarms: nothing to run locally. They still get
		// a physical ID and an ARN so that references to them resolve.
		nr.physical = physicalName(stack, res.LogicalID, 128)
		service := strings.ToLower(strings.Split(strings.TrimPrefix(res.Type, "AWS::"), "::")[0])
		nr.attrs["Arn"] = fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, s.opts.Region, accountID, nr.physical)
		return nr, false, nil
	}
}

func keep(nr, old *resource) *resource {
	nr.physical, nr.attrs = old.physical, old.attrs
	return nr
}

func (s *System) provisionTable(ctx context.Context, stack string, nr *resource, props map[string]any, old *resource) (*resource, bool, error) {
	if old != nil {
		// Billing mode, point-in-time recovery and the like change in place; the emulator's
		// table stays, and so do the rides in it.
		return keep(nr, old), false, nil
	}
	var spec struct {
		KeySchema []struct{ AttributeName, KeyType string }
		Attrs     []struct{ AttributeName, AttributeType string } `json:"AttributeDefinitions"`
	}
	b, _ := json.Marshal(props)
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, false, err
	}
	in := &dynamodb.CreateTableInput{TableName: aws.String(physicalName(stack, nr.logicalID, 255)), BillingMode: ddbtypes.BillingModePayPerRequest}
	for _, k := range spec.KeySchema {
		in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType)})
	}
	for _, a := range spec.Attrs {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String(a.AttributeName), AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType)})
	}
	out, err := s.aws.dynamodb.CreateTable(ctx, in)
	if err != nil {
		return nil, false, err
	}
	nr.physical = aws.ToString(in.TableName)
	nr.attrs["Arn"] = aws.ToString(out.TableDescription.TableArn)
	nr.attrs["StreamArn"] = aws.ToString(out.TableDescription.LatestStreamArn)
	return nr, false, nil
}

func (s *System) provisionQueue(ctx context.Context, stack string, nr *resource, old *resource) (*resource, bool, error) {
	if old != nil {
		return keep(nr, old), false, nil
	}
	name := physicalName(stack, nr.logicalID, 80)
	out, err := s.aws.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return nil, false, err
	}
	url := aws.ToString(out.QueueUrl)
	attrs, err := s.aws.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return nil, false, err
	}
	arn := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	nr.physical = url
	nr.attrs["Arn"], nr.attrs["QueueName"], nr.attrs["QueueUrl"] = arn, name, url
	s.mu.Lock()
	s.queues[arn] = url
	s.mu.Unlock()
	return nr, false, nil
}

func (s *System) provisionFunction(ctx context.Context, stack string, res cfn.Resource, nr *resource, props map[string]any) (*resource, bool, error) {
	entry, _ := res.Metadata[entryMetadataKey].(string)
	bins, err := s.builder.binaries(ctx, []string{entry})
	if err != nil {
		return nil, false, err
	}
	name, _ := props["FunctionName"].(string)
	if name == "" {
		name = physicalName(stack, res.LogicalID, 64)
	}
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.opts.Region, accountID, name)
	timeout := 3 * time.Second
	if v, ok := number(props["Timeout"]); ok {
		timeout = time.Duration(v * float64(time.Second))
	}
	memory := 128
	if v, ok := number(props["MemorySize"]); ok {
		memory = int(v)
	}
	concurrency := s.opts.Concurrency
	if v, ok := number(props["ReservedConcurrentExecutions"]); ok && int(v) < concurrency {
		concurrency = int(v)
	}
	env := map[string]string{
		"AWS_REGION": s.opts.Region, "AWS_DEFAULT_REGION": s.opts.Region,
		"AWS_ACCESS_KEY_ID": localAccessKey, "AWS_SECRET_ACCESS_KEY": localSecretKey,
		"AWS_ENDPOINT_URL": s.emu.endpoint, "AWS_ENDPOINT_URL_DYNAMODB": s.faultURL, "AWS_ENDPOINT_URL_SNS": s.snsURL,
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	if e, ok := props["Environment"].(map[string]any); ok {
		vars, _ := e["Variables"].(map[string]any)
		for k, v := range vars {
			env[k] = fmt.Sprint(v)
		}
	}
	var dlqURL string
	if dl, ok := props["DeadLetterConfig"].(map[string]any); ok {
		target, _ := dl["TargetArn"].(string)
		s.mu.Lock()
		dlqURL = s.queues[target]
		s.mu.Unlock()
		if dlqURL == "" {
			return nil, false, fmt.Errorf("dead-letter target %s is not a queue of the local system", target)
		}
	}
	fn := &function{name: name, arn: arn, dlqURL: dlqURL, rt: localrt.New(localrt.Config{
		Name: res.LogicalID, Binary: bins[entry], Env: env, Timeout: timeout, MemoryMB: memory,
		MaxConcurrency: concurrency, Log: s.opts.Log,
	})}
	s.mu.Lock()
	old := s.functions[arn]
	s.functions[arn] = fn
	s.mu.Unlock()
	if old != nil {
		go old.drain()
	}
	nr.physical = name
	nr.attrs["Arn"] = arn
	return nr, false, nil
}

func (s *System) provisionAPI(nr *resource, props map[string]any, old *resource) (*resource, bool, error) {
	if old != nil {
		nr = keep(nr, old)
		if api := s.api(old.physical); api != nil {
			api.setCORS(props["CorsConfiguration"])
		}
		return nr, false, nil
	}
	api, err := newHTTPAPI(s, randomID(10))
	if err != nil {
		return nil, false, err
	}
	api.setCORS(props["CorsConfiguration"])
	s.mu.Lock()
	s.apis[api.id] = api
	s.mu.Unlock()
	nr.physical = api.id
	nr.attrs["ApiId"], nr.attrs["ApiEndpoint"] = api.id, api.url
	return nr, false, nil
}

func (s *System) provisionSubscription(ctx context.Context, nr *resource, props map[string]any, old *resource) (*resource, bool, error) {
	protocol, _ := props["Protocol"].(string)
	topic, _ := props["TopicArn"].(string)
	endpoint, _ := props["Endpoint"].(string)
	if protocol != "lambda" {
		return nil, false, fmt.Errorf("the local runner delivers SNS to Lambda only, not %q", protocol)
	}
	token := randomID(16)
	out, err := s.aws.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"),
		Endpoint: aws.String(s.bridge.url + "/sns/" + token), ReturnSubscriptionArn: true})
	if err != nil {
		return nil, false, fmt.Errorf("subscribing %s to %s: %w", endpoint, topic, err)
	}
	nr.physical, nr.subToken = aws.ToString(out.SubscriptionArn), token
	s.bridge.register(token, topic, endpoint, nr.physical)
	return nr, old != nil, nil
}

// remove deletes what a stack update dropped or replaced.
func (s *System) remove(ctx context.Context, r *resource) {
	if r.retain {
		fmt.Fprintf(s.opts.Log, "retained %s %s (DeletionPolicy Retain)\n", r.typ, r.logicalID)
		return
	}
	var err error
	switch r.typ {
	case "AWS::ApiGatewayV2::Route":
		if api := s.api(r.apiID); api != nil {
			api.deleteRoute(r.routeKey, r.integID)
		}
	case "AWS::ApiGatewayV2::Integration":
		if api := s.api(r.apiID); api != nil {
			api.deleteIntegration(r.physical)
		}
	case "AWS::ApiGatewayV2::Api":
		s.mu.Lock()
		api := s.apis[r.physical]
		delete(s.apis, r.physical)
		s.mu.Unlock()
		if api != nil {
			api.close()
		}
	case "AWS::Lambda::Function":
		s.mu.Lock()
		fn := s.functions[r.attrs["Arn"]]
		delete(s.functions, r.attrs["Arn"])
		s.mu.Unlock()
		if fn != nil {
			go fn.drain()
		}
	case "AWS::SNS::Subscription":
		s.bridge.unregister(r.subToken)
		_, err = s.aws.sns.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(r.physical)})
	case "AWS::SSM::Parameter":
		_, err = s.aws.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(r.physical)})
	case "AWS::SNS::Topic":
		_, err = s.aws.sns.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(r.physical)})
	case "AWS::SQS::Queue":
		_, err = s.aws.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(r.physical)})
	case "AWS::DynamoDB::Table":
		_, err = s.aws.dynamodb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(r.physical)})
	}
	if err != nil {
		fmt.Fprintf(s.opts.Log, "removing %s %s: %v\n", r.typ, r.logicalID, err)
	}
}

func (s *System) api(id string) *httpAPI {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apis[id]
}

func (s *System) function(arn string) *function {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.functions[arn]
}

// physicalName is how CloudFormation names what the template leaves unnamed: stack, logical ID
// and a random suffix, so parallel stages and repeated runs never collide.
func physicalName(stack, logicalID string, limit int) string {
	suffix := "-" + strings.ToUpper(randomID(12))
	name := stack + "-" + logicalID
	if len(name)+len(suffix) > limit {
		name = name[:limit-len(suffix)]
	}
	return name + suffix
}

func randomID(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

// function is a deployed Lambda function.
type function struct {
	name, arn, dlqURL string
	rt                *localrt.Function
}

// drain lets the invocations already running on a replaced function finish, then stops it.
func (f *function) drain() {
	deadline := time.Now().Add(2 * time.Minute)
	for f.rt.Stats().InFlight > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	_ = f.rt.Close()
}

var errNoFunction = errors.New("no such function")
