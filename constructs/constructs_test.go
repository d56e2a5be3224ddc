package constructs_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// built is one app, synthesized once: a stack of every construct with its defaults (nil props),
// and one with every prop set, both checked by cdk-nag's packs as the stacks are.
type built struct {
	defaults, set map[string]any
	notes         []string // cdk-nag's errors and warnings, as "path: message"
	queue         awssqs.Queue
}

var app = sync.OnceValue(func() *built {
	context := map[string]any{"aws:cdk:bundling-stacks": []string{}}
	a := awscdk.NewApp(&awscdk.AppProps{Context: &context})
	b := &built{}

	defaults := awscdk.NewStack(a, jsii.String("Defaults"), nil)
	wrconstructs.NewGoLambda(defaults, "Sync", &wrconstructs.GoLambdaProps{Entry: "lambdas/request-ride", Invocation: wrconstructs.InvokedSynchronously})
	wrconstructs.NewGoLambda(defaults, "Provider", &wrconstructs.GoLambdaProps{Entry: "lambdas/rollout-guard", Invocation: wrconstructs.InvokedByCloudFormation})
	b.queue = awssqs.NewQueue(defaults, jsii.String("DLQ"), &awssqs.QueueProps{EnforceSSL: jsii.Bool(true)})
	wrconstructs.NewGoLambda(defaults, "Async", &wrconstructs.GoLambdaProps{Entry: "lambdas/put-ride-record-sns", DeadLetterQueue: b.queue, RetryAttempts: 2})
	wrconstructs.NewGoLambda(defaults, "Undeclared", &wrconstructs.GoLambdaProps{Entry: "lambdas/redrive-dead-letters"})
	api := wrconstructs.NewHTTPAPI(defaults, "Api", nil)
	awscdk.NewCfnOutput(defaults, jsii.String("Url"), &awscdk.CfnOutputProps{Value: api.URL("/ride")})
	alarms := wrconstructs.NewAlarmTopic(defaults, "Alarms", nil)
	alarms.AddAlarm("ApiErrors", &awscloudwatch.AlarmProps{Metric: api.API.MetricServerError(nil), Threshold: jsii.Number(1)})

	set := awscdk.NewStack(a, jsii.String("Set"), nil)
	wrconstructs.NewHTTPAPI(set, "Api", &wrconstructs.HTTPAPIProps{ThrottleRate: 10, ThrottleBurst: 20, AccessLogRetention: awslogs.RetentionDays_ONE_WEEK})
	setAlarms := wrconstructs.NewAlarmTopic(set, "Alarms", &wrconstructs.AlarmTopicProps{Email: "ops@example.com"})
	setAlarms.AddAlarm("Breaching", &awscloudwatch.AlarmProps{
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("Test"), MetricName: jsii.String("M")}), Threshold: jsii.Number(5),
		EvaluationPeriods: jsii.Number(3), ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData: awscloudwatch.TreatMissingData_BREACHING,
	})

	for _, st := range []awscdk.Stack{defaults, set} {
		awscdk.Aspects_Of(st).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		awscdk.Aspects_Of(st).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	}
	b.defaults = toMap(assertions.Template_FromStack(defaults, nil))
	b.set = toMap(assertions.Template_FromStack(set, nil))
	// The annotations, as assertions.Annotations reads them, from the assembly just synthesized
	// (Annotations_FromStack would synthesize the app again for each stack).
	dir := *a.Synth(nil).Directory()
	for _, st := range []awscdk.Stack{defaults, set} {
		b.notes = append(b.notes, annotations(dir, *st.ArtifactId(), "aws:cdk:error", "aws:cdk:warning")...)
	}
	return b
})

// annotations lists, as "path: message", the annotations of the given types that the cloud
// assembly in dir records for the stack artifact.
func annotations(dir, artifact string, types ...string) []string {
	var manifest struct {
		Artifacts map[string]struct {
			Metadata               map[string][]map[string]any `json:"metadata"`
			AdditionalMetadataFile string                      `json:"additionalMetadataFile"`
		} `json:"artifacts"`
	}
	readJSON(filepath.Join(dir, "manifest.json"), &manifest)
	art, ok := manifest.Artifacts[artifact]
	if !ok {
		panic(fmt.Sprintf("%s: no artifact %s", dir, artifact))
	}
	metadata := art.Metadata
	if art.AdditionalMetadataFile != "" {
		readJSON(filepath.Join(dir, art.AdditionalMetadataFile), &metadata)
	}
	var out []string
	for path, entries := range metadata {
		for _, e := range entries {
			if slices.Contains(types, fmt.Sprint(e["type"])) {
				out = append(out, fmt.Sprintf("%s: %v", path, e["data"]))
			}
		}
	}
	slices.Sort(out)
	return out
}

func readJSON(path string, v any) {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		panic(fmt.Sprintf("%s: %v", path, err))
	}
}

func toMap(tpl assertions.Template) map[string]any {
	b, err := json.Marshal(tpl.ToJSON())
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// resource is the one resource of typ whose logical ID starts with prefix.
func resource(t *testing.T, tpl map[string]any, typ, prefix string) map[string]any {
	t.Helper()
	var found []map[string]any
	for id, r := range tpl["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ && strings.HasPrefix(id, prefix) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s named %s*, want 1", len(found), typ, prefix)
	}
	return found[0]
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// accepted lists the cdk-nag rules a resource's metadata accepts.
func accepted(r map[string]any) []string {
	var rules []string
	nag, _ := r["Metadata"].(map[string]any)["cdk_nag"].(map[string]any)
	list, _ := nag["rules_to_suppress"].([]any)
	for _, s := range list {
		rules = append(rules, fmt.Sprint(s.(map[string]any)["id"]))
	}
	return rules
}

// notesAbout lists cdk-nag's errors and warnings on the resources under path.
func notesAbout(path string) []string {
	var out []string
	for _, n := range app().notes {
		if strings.HasPrefix(n, path+"/") {
			out = append(out, n)
		}
	}
	return out
}

// A GoLambda accepts, with its reason, exactly the findings its defaults and its invocation cause
// by design, and cdk-nag then finds nothing on it; one that says nothing of how it is invoked and
// has no dead-letter queue is not excused.
func TestGoLambdaAcceptsWhatItsInvocationCauses(t *testing.T) {
	b := app()
	for _, tc := range []struct {
		id        string
		want      []string
		nagErrors bool
	}{
		{"Sync", []string{"AwsSolutions-IAM5", "Serverless-LambdaDLQ"}, false},
		{"Provider", []string{"AwsSolutions-IAM5", "Serverless-LambdaDLQ"}, false},
		{"Async", []string{"AwsSolutions-IAM5", "Serverless-LambdaAsyncFailureDestination"}, false},
		{"Undeclared", []string{"AwsSolutions-IAM5"}, true},
	} {
		fn := resource(t, b.defaults, "AWS::Lambda::Function", tc.id)
		if got := accepted(fn); !slices.Equal(got, tc.want) {
			t.Errorf("%s accepts %v, want %v", tc.id, got, tc.want)
		}
		notes := notesAbout("/Defaults/" + tc.id)
		switch {
		case !tc.nagErrors && len(notes) > 0:
			t.Errorf("cdk-nag still finds on %s: %v", tc.id, notes)
		case tc.nagErrors && !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "Serverless-LambdaDLQ") }):
			t.Errorf("a function invoked asynchronously (the default) without a dead-letter queue is excused: cdk-nag finds %v", notes)
		}
	}
}

func TestGoLambdaRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props func() *wrconstructs.GoLambdaProps
		want  string
	}{
		{"no props", func() *wrconstructs.GoLambdaProps { return nil }, "Entry (the folder under lambdas/) is required"},
		{"no entry", func() *wrconstructs.GoLambdaProps { return &wrconstructs.GoLambdaProps{} }, "Entry (the folder under lambdas/) is required"},
		{"a dead-letter queue on a function invoked synchronously", func() *wrconstructs.GoLambdaProps {
			return &wrconstructs.GoLambdaProps{Entry: "lambdas/request-ride", Invocation: wrconstructs.InvokedSynchronously, DeadLetterQueue: app().queue}
		}, "a DeadLetterQueue only receives asynchronous invocations"},
	} {
		var got string
		func() {
			defer func() { got = fmt.Sprint(recover()) }()
			wrconstructs.NewGoLambda(nil, "Refused", tc.props())
		}()
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: panics with %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestHTTPAPIDefaultsAndProps(t *testing.T) {
	b := app()
	for _, tc := range []struct {
		name              string
		tpl               map[string]any
		rate, burst, days float64
	}{
		{"defaults", b.defaults, 500, 1000, 30},
		{"props", b.set, 10, 20, 7},
	} {
		stage := props(resource(t, tc.tpl, "AWS::ApiGatewayV2::Stage", "ApiDefaultStage"))
		settings, _ := stage["DefaultRouteSettings"].(map[string]any)
		if stage["StageName"] != "$default" || stage["AutoDeploy"] != true || settings["ThrottlingRateLimit"] != tc.rate || settings["ThrottlingBurstLimit"] != tc.burst {
			t.Errorf("%s: stage %s, want $default, deployed automatically, throttled at %v/s with bursts of %v", tc.name, jsonString(stage), tc.rate, tc.burst)
		}
		if format, _ := stage["AccessLogSettings"].(map[string]any)["Format"].(string); !strings.Contains(format, "$context.requestId") || !json.Valid([]byte(format)) {
			t.Errorf("%s: access log format %q, want one JSON line per request", tc.name, format)
		}
		if logs := props(resource(t, tc.tpl, "AWS::Logs::LogGroup", "ApiAccessLogs")); logs["RetentionInDays"] != tc.days {
			t.Errorf("%s: access logs kept %v days, want %v", tc.name, logs["RetentionInDays"], tc.days)
		}
		cors := props(resource(t, tc.tpl, "AWS::ApiGatewayV2::Api", "Api"))["CorsConfiguration"]
		if jsonString(cors) != `{"AllowHeaders":["Content-Type","Authorization","Idempotency-Key"],"AllowMethods":["POST","OPTIONS"],"AllowOrigins":["*"]}` {
			t.Errorf("%s: CORS %s, want POST from every origin, with the Idempotency-Key a rider's retry sends", tc.name, jsonString(cors))
		}
	}
	url := b.defaults["Outputs"].(map[string]any)["Url"].(map[string]any)["Value"]
	if s := jsonString(url); !strings.Contains(s, `"ApiEndpoint"`) || !strings.Contains(s, `"/ride"`) {
		t.Errorf("URL(\"/ride\") = %s, want the API's endpoint joined with /ride", s)
	}
}

func TestAlarmTopicDefaultsAndProps(t *testing.T) {
	b := app()
	for _, tc := range []struct {
		name   string
		tpl    map[string]any
		alarm  string
		want   map[string]any
		emails int
	}{
		{"defaults", b.defaults, "ApiErrors", map[string]any{"EvaluationPeriods": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching"}, 0},
		{"props", b.set, "Breaching", map[string]any{"EvaluationPeriods": 3.0, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "breaching"}, 1},
	} {
		topic := resource(t, tc.tpl, "AWS::SNS::Topic", "Alarms")
		if p := props(topic); p["TopicName"] != nil || p["KmsMasterKeyId"] == nil {
			t.Errorf("%s: topic %s, want no fixed name and a key of its own", tc.name, jsonString(p))
		}
		alarm := props(resource(t, tc.tpl, "AWS::CloudWatch::Alarm", tc.alarm))
		for k, v := range tc.want {
			if alarm[k] != v {
				t.Errorf("%s: alarm %s = %v, want %v", tc.name, k, alarm[k], v)
			}
		}
		for _, actions := range []string{"AlarmActions", "OKActions"} {
			if list, _ := alarm[actions].([]any); len(list) != 1 || !strings.Contains(jsonString(list[0]), `"Ref":"Alarms`) {
				t.Errorf("%s: %s = %s, want the alarm topic", tc.name, actions, jsonString(alarm[actions]))
			}
		}
		emails := 0
		for _, r := range tc.tpl["Resources"].(map[string]any) {
			if r := r.(map[string]any); r["Type"] == "AWS::SNS::Subscription" && props(r)["Protocol"] == "email" {
				emails++
			}
		}
		if emails != tc.emails {
			t.Errorf("%s: %d email subscriptions, want %d", tc.name, emails, tc.emails)
		}
		if _, ok := tc.tpl["Outputs"].(map[string]any)["AlarmsArn"]; !ok {
			t.Errorf("%s: no output AlarmsArn for an operator to subscribe to", tc.name)
		}
		if notes := notesAbout("/" + map[string]string{"defaults": "Defaults", "props": "Set"}[tc.name] + "/Alarms"); len(notes) > 0 {
			t.Errorf("%s: cdk-nag finds on the alarm topic: %v", tc.name, notes)
		}
	}
}
