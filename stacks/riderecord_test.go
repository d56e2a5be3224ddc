package stacks_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

func TestRideRecordStack(t *testing.T) {
	s := final(t)
	_, rr := s.cdkTemplates()

	t.Run("the table is keyed by RideId, on-demand, with point-in-time recovery", func(t *testing.T) {
		check(t, "table", func() {
			rr.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
				"KeySchema":                        []any{map[string]any{"AttributeName": "RideId", "KeyType": "HASH"}},
				"AttributeDefinitions":             []any{map[string]any{"AttributeName": "RideId", "AttributeType": "S"}},
				"BillingMode":                      "PAY_PER_REQUEST",
				"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
				"ProvisionedThroughput":            assertions.Match_Absent(),
			})
		})
	})

	t.Run("the table survives deleting the stack and keeps its logical ID", func(t *testing.T) {
		table := resources(s.rrJSON, "AWS::DynamoDB::Table")[stacks.TableLogicalID]
		if table == nil {
			t.Fatalf("no table with logical ID %s", stacks.TableLogicalID)
		}
		if table["DeletionPolicy"] != "Retain" || table["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("DeletionPolicy = %v, UpdateReplacePolicy = %v, want Retain", table["DeletionPolicy"], table["UpdateReplacePolicy"])
		}
	})

	t.Run("POST /record's stage is throttled (500 requests/s, bursts of 1,000) and writes access logs", func(t *testing.T) {
		check(t, "throttling", func() {
			rr.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
				"StageName": "$default",
				"DefaultRouteSettings": assertions.Match_ObjectLike(&map[string]any{
					"ThrottlingRateLimit":  500,
					"ThrottlingBurstLimit": 1000,
				}),
				"AccessLogSettings": assertions.Match_ObjectLike(&map[string]any{"Format": assertions.Match_AnyValue()}),
			})
		})
	})

	t.Run("PutRideRecordHttp serves POST /record", func(t *testing.T) {
		route := routeFunction(t, system(t, s, s), "POST /record")
		if route != "PutRideRecordHttp" {
			t.Errorf("POST /record is served by %q", route)
		}
	})

	t.Run("PutRideRecordSns is subscribed to the topic named in SSM, not through an export", func(t *testing.T) {
		subs := resources(s.rrJSON, "AWS::SNS::Subscription")
		if len(subs) != 1 {
			t.Fatalf("%d subscriptions, want 1", len(subs))
		}
		for _, sub := range subs {
			p := props(sub)
			if p["Protocol"] != "lambda" || jsonString(p["Endpoint"]) != `{"Fn::GetAtt":["PutRideRecordSns","Arn"]}` {
				t.Errorf("subscription %s", jsonString(p))
			}
			param, _ := p["TopicArn"].(map[string]any)["Ref"].(string)
			def := s.rrJSON["Parameters"].(map[string]any)[param].(map[string]any)
			if !strings.HasPrefix(def["Type"].(string), "AWS::SSM::Parameter::Value") || def["Default"] != "/wild-rydes/test/SnsTopicArn" {
				t.Errorf("TopicArn comes from parameter %s = %s, want the SSM parameter /wild-rydes/test/SnsTopicArn", param, jsonString(def))
			}
			if jsonString(p["RedrivePolicy"]) != `{"deadLetterTargetArn":{"Fn::GetAtt":["PutRideRecordSnsDLQ","Arn"]}}` {
				t.Errorf("RedrivePolicy = %s, want the dead-letter queue", jsonString(p["RedrivePolicy"]))
			}
		}
	})

	t.Run("PutRideRecordSns dead-letters with its async retries set explicitly", func(t *testing.T) {
		check(t, "DeadLetterConfig", func() {
			rr.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
				"DeadLetterConfig": map[string]any{"TargetArn": map[string]any{"Fn::GetAtt": []any{"PutRideRecordSnsDLQ", "Arn"}}},
				"Environment": assertions.Match_ObjectLike(&map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
					"DEAD_LETTER_QUEUE_URL": map[string]any{"Ref": "PutRideRecordSnsDLQ"},
				})}),
			})
		})
		check(t, "retries", func() {
			rr.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), map[string]any{
				"FunctionName":         map[string]any{"Ref": "PutRideRecordSns"},
				"MaximumRetryAttempts": 2,
			})
		})
	})

	t.Run("the dead-letter queue is encrypted, TLS-only, and alarmed when it holds any message", func(t *testing.T) {
		check(t, "queue", func() {
			rr.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{"SqsManagedSseEnabled": true})
		})
		check(t, "alarm", func() {
			rr.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"MetricName":         "ApproximateNumberOfMessagesVisible",
				"Namespace":          "AWS/SQS",
				"Threshold":          1,
				"ComparisonOperator": "GreaterThanOrEqualToThreshold",
				"Dimensions":         []any{map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{"PutRideRecordSnsDLQ", "QueueName"}}}},
			})
		})
		if !strings.Contains(jsonString(resources(s.rrJSON, "AWS::SQS::QueuePolicy")), `"aws:SecureTransport":"false"`) {
			t.Error("no queue policy denies access without TLS")
		}
	})

	t.Run("the record URL is in SSM at /wild-rydes-ride-record/<stage>/URL", func(t *testing.T) {
		check(t, "URL parameter", func() {
			rr.HasResourceProperties(jsii.String("AWS::SSM::Parameter"), map[string]any{
				"Name":  "/wild-rydes-ride-record/test/URL",
				"Value": map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::GetAtt": []any{routeAPI(t, system(t, s, s), "POST /record"), "ApiEndpoint"}}, "/record"}}},
			})
		})
	})

	t.Run("the functions may PutItem on the table and nothing else on it", func(t *testing.T) {
		for _, st := range policyStatements(s.rrJSON) {
			for _, a := range st.actions {
				if strings.HasPrefix(a, "dynamodb:") && (a != "dynamodb:PutItem" || st.resource != `{"Fn::GetAtt":["RideRecordTable","Arn"]}`) {
					t.Errorf("%s allows %s on %s", st.policy, a, st.resource)
				}
			}
		}
		writers := tableWriters(t, system(t, s, s))
		for _, fn := range []string{"PutRideRecordHttp", "PutRideRecordSns", "RedriveDeadLetters"} {
			if !writers[fn] {
				t.Errorf("%s may not PutItem on the table", fn)
			}
		}
	})
}

func TestStacksShareNothingThroughCloudFormation(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		for name, tpl := range map[string]map[string]any{"wild-rydes": s.wrJSON, "ride-record": s.rrJSON} {
			text := jsonString(tpl)
			if strings.Contains(text, "Fn::ImportValue") {
				t.Errorf("step %d: %s imports a CloudFormation export", step, name)
			}
			for id, out := range asMap(tpl["Outputs"]) {
				if _, ok := asMap(out)["Export"]; ok {
					t.Errorf("step %d: %s exports output %s", step, name, id)
				}
			}
		}
	}
}

// cdk-nag's packs check every synthesis (stacks.addNagChecks): an unsuppressed finding is an
// error annotation, and a warning (which `cdk synth --strict` fails on) a warning annotation.
func TestNagPacksFindNoUnsuppressedError(t *testing.T) {
	// Every step as the project synthesized it: the annotations the cloud assembly recorded, and
	// each pack's report, which shows the pack did check the stack.
	for _, step := range design.Steps() {
		s := synth(t, step)
		for _, kind := range []design.StackKind{design.WildRydes, design.RideRecord} {
			name := design.StackName(kind, stage)
			for _, m := range assemblyMessages(t, s.dir, name, "aws:cdk:error", "aws:cdk:warning") {
				t.Errorf("step %d %s: %s", step, name, m)
			}
			for _, pack := range []string{"AwsSolutions", "Serverless"} {
				rows := nagReport(t, s.dir, pack, name)
				if len(rows) == 0 {
					t.Errorf("step %d %s: cdk-nag's %s pack reported no rule: it did not check the stack", step, name, pack)
				}
				for _, r := range rows {
					if r.compliance != "Compliant" && r.compliance != "Suppressed" && r.compliance != "N/A" {
						t.Errorf("step %d %s: %s on %s is %s", step, name, r.rule, r.resource, r.compliance)
					}
				}
			}
		}
	}
	// The final step synthesized in this process: the construct objects' own annotations, from
	// the assembly it made (assertions.Annotations_FromStack would synthesize the app again).
	s := inProcess()
	dir := *s.app.Synth(nil).Directory()
	for _, st := range []struct {
		name  string
		stack awscdk.Stack
	}{{"wild-rydes", s.wildRydes}, {"ride-record", s.rideRecord}} {
		for _, e := range assemblyMessages(t, dir, *st.stack.ArtifactId(), "aws:cdk:error") {
			t.Errorf("%s: %s", st.name, e)
		}
		for _, w := range assemblyMessages(t, dir, *st.stack.ArtifactId(), "aws:cdk:warning") {
			t.Errorf("%s: warning (cdk synth --strict fails on it): %s", st.name, w)
		}
	}
}

// assemblyMessages lists the annotations of the given types that the cloud assembly in dir
// recorded for stack: what assertions.Annotations reads from a stack synthesized in process.
func assemblyMessages(t *testing.T, dir, stack string, types ...string) []string {
	t.Helper()
	var manifest struct {
		Artifacts map[string]struct {
			Metadata               map[string][]map[string]any `json:"metadata"`
			AdditionalMetadataFile string                      `json:"additionalMetadataFile"`
		} `json:"artifacts"`
	}
	readJSON(t, filepath.Join(dir, "manifest.json"), &manifest)
	art, ok := manifest.Artifacts[stack]
	if !ok {
		t.Fatalf("%s: no artifact %s", dir, stack)
	}
	metadata := art.Metadata
	if art.AdditionalMetadataFile != "" {
		readJSON(t, filepath.Join(dir, art.AdditionalMetadataFile), &metadata)
	}
	var out []string
	for path, entries := range metadata {
		for _, e := range entries {
			if slices.Contains(types, fmt.Sprint(e["type"])) {
				out = append(out, fmt.Sprintf("%s %s: %v", e["type"], path, e["data"]))
			}
		}
	}
	slices.Sort(out)
	return out
}

// nagRow is one line of a cdk-nag report: a rule's verdict on one resource.
type nagRow struct{ rule, resource, compliance string }

// nagReport reads the report cdk-nag's pack wrote for stack into the cloud assembly dir.
func nagReport(t *testing.T, dir, pack, stack string) []nagRow {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, pack+"-*"+stack+"-NagReport.csv"))
	if len(files) != 1 {
		t.Fatalf("%s: %d %s reports for %s (%v), want 1", dir, len(files), pack, stack, files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("%s: %v", files[0], err)
	}
	var rows []nagRow
	for _, r := range records[1:] {
		rows = append(rows, nagRow{rule: r[0], resource: r[1], compliance: r[2]})
	}
	return rows
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func TestAContextValueGivesTheProvisionedTableAnotherCapacity(t *testing.T) {
	ctx := cdkJSONContext()
	ctx["aws:cdk:bundling-stacks"] = []string{}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	rr := stacks.NewRideRecordStack(app, "capacity", &stacks.RideRecordStackProps{Stage: stage,
		Step: design.StepSynchronous, Capacity: design.TableCapacity{Read: 10, Write: 5}})
	table := props(resources(toMap(assertions.Template_FromStack(rr, nil)), "AWS::DynamoDB::Table")[stacks.TableLogicalID])
	if got := jsonString(table["ProvisionedThroughput"]); got != `{"ReadCapacityUnits":10,"WriteCapacityUnits":5}` {
		t.Errorf("with -c tableCapacity=10/5, ProvisionedThroughput = %s, want 10 read and 5 write units", got)
	}
}
