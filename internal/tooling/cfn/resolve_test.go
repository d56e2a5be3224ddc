package cfn

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON in test %s: %v", s, err)
	}
	return v
}

// conditionsResolver is a local run of testdata/conditions.template.json in stage dev.
func conditionsResolver(t *testing.T) *Resolver {
	return &Resolver{
		Region:    "us-east-1",
		AccountID: "123456789012",
		StackName: "wild-rydes-dev",
		StackID:   "arn:aws:cloudformation:us-east-1:123456789012:stack/wild-rydes-dev/6f1c7d3e",
		Params: map[string]string{
			"Stage":          "dev",
			"AllowedOrigins": "http://localhost:3000,https://wildrydes.example",
			"Subnets":        "subnet-1,subnet-2",
		},
		Physical: map[string]string{
			"RequestRide6A1D4F21": "wild-rydes-dev-RequestRide",
			"DeadLetterQueue":     "http://localhost:5000/123456789012/wild-rydes-dev-DeadLetterQueue",
		},
		Attrs: map[string]map[string]string{
			"RequestRide6A1D4F21": {"Arn": "arn:aws:lambda:us-east-1:123456789012:function:wild-rydes-dev-RequestRide"},
			"DeadLetterQueue": {
				"Arn":       "arn:aws:sqs:us-east-1:123456789012:wild-rydes-dev-DeadLetterQueue",
				"QueueName": "wild-rydes-dev-DeadLetterQueue",
			},
			"Database": {"Endpoint.Address": "db.local"},
		},
		Template: loadTemplate(t, "conditions.template.json"),
	}
}

func TestResolveReplacesEveryIntrinsic(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"Ref to a resource gives its physical ID",
			`{"Ref": "DeadLetterQueue"}`, `"http://localhost:5000/123456789012/wild-rydes-dev-DeadLetterQueue"`},
		{"Ref to a parameter gives its value",
			`{"Ref": "Stage"}`, `"dev"`},
		{"Ref to a comma-delimited list parameter gives a list",
			`{"Ref": "AllowedOrigins"}`, `["http://localhost:3000", "https://wildrydes.example"]`},
		{"Ref to an SSM list parameter gives a list",
			`{"Ref": "Subnets"}`, `["subnet-1", "subnet-2"]`},
		{"Ref to AWS::Region gives the region",
			`{"Ref": "AWS::Region"}`, `"us-east-1"`},
		{"Ref to AWS::AccountId gives the account",
			`{"Ref": "AWS::AccountId"}`, `"123456789012"`},
		{"Ref to AWS::Partition defaults to aws",
			`{"Ref": "AWS::Partition"}`, `"aws"`},
		{"Ref to AWS::URLSuffix defaults to amazonaws.com",
			`{"Ref": "AWS::URLSuffix"}`, `"amazonaws.com"`},
		{"Ref to AWS::StackName gives the stack name",
			`{"Ref": "AWS::StackName"}`, `"wild-rydes-dev"`},
		{"Ref to AWS::StackId gives the stack ID",
			`{"Ref": "AWS::StackId"}`, `"arn:aws:cloudformation:us-east-1:123456789012:stack/wild-rydes-dev/6f1c7d3e"`},
		{"Ref to AWS::NotificationARNs gives an empty list",
			`{"Ref": "AWS::NotificationARNs"}`, `[]`},
		{"Fn::GetAtt as a list gives the attribute",
			`{"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}`, `"arn:aws:sqs:us-east-1:123456789012:wild-rydes-dev-DeadLetterQueue"`},
		{"Fn::GetAtt as a dotted string gives the attribute",
			`{"Fn::GetAtt": "DeadLetterQueue.QueueName"}`, `"wild-rydes-dev-DeadLetterQueue"`},
		{"Fn::GetAtt as a dotted string splits at the first dot only",
			`{"Fn::GetAtt": "Database.Endpoint.Address"}`, `"db.local"`},
		{"Fn::GetAtt takes its attribute name from an intrinsic",
			`{"Fn::GetAtt": ["DeadLetterQueue", {"Fn::Join": ["", ["Queue", "Name"]]}]}`, `"wild-rydes-dev-DeadLetterQueue"`},
		{"Fn::Join joins resolved pieces",
			`{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":execute-api:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":api/*/*/ride"]]}`,
			`"arn:aws:execute-api:us-east-1:123456789012:api/*/*/ride"`},
		{"Fn::Join renders numbers as CloudFormation does",
			`{"Fn::Join": ["-", ["retries", 2]]}`, `"retries-2"`},
		{"Fn::Join over a list parameter joins its elements",
			`{"Fn::Join": [" ", {"Ref": "AllowedOrigins"}]}`, `"http://localhost:3000 https://wildrydes.example"`},
		{"Fn::Join leaves out AWS::NoValue elements",
			`{"Fn::Join": [",", ["a", {"Ref": "AWS::NoValue"}, "b"]]}`, `"a,b"`},
		{"Fn::Sub replaces pseudo parameters",
			`{"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}`, `"cdk-hnb659fds-assets-123456789012-us-east-1"`},
		{"Fn::Sub replaces resources, attributes and parameters",
			`{"Fn::Sub": "${DeadLetterQueue.Arn} of ${RequestRide6A1D4F21} in ${Stage}"}`,
			`"arn:aws:sqs:us-east-1:123456789012:wild-rydes-dev-DeadLetterQueue of wild-rydes-dev-RequestRide in dev"`},
		{"Fn::Sub with variables resolves them and prefers them to resources",
			`{"Fn::Sub": ["${Name}: ${DeadLetterQueue}", {"Name": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}, "DeadLetterQueue": "shadowed"}]}`,
			`"wild-rydes-dev-DeadLetterQueue: shadowed"`},
		{"Fn::Sub keeps ${!Literal} as ${Literal}",
			`{"Fn::Sub": "${!Literal} and ${AWS::Region} and ${! Spaced}"}`, `"${Literal} and us-east-1 and ${ Spaced}"`},
		{"Fn::Sub without variables leaves the text alone",
			`{"Fn::Sub": "plain $text {with} braces"}`, `"plain $text {with} braces"`},
		{"Fn::Select picks an element",
			`{"Fn::Select": [1, ["a", "b", "c"]]}`, `"b"`},
		{"Fn::Select takes its index as a string",
			`{"Fn::Select": ["0", {"Ref": "Subnets"}]}`, `"subnet-1"`},
		{"Fn::Select over Fn::GetAZs gives a zone",
			`{"Fn::Select": [1, {"Fn::GetAZs": ""}]}`, `"us-east-1b"`},
		{"Fn::Split gives a list",
			`{"Fn::Split": [":", {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}]}`,
			`["arn", "aws", "sqs", "us-east-1", "123456789012", "wild-rydes-dev-DeadLetterQueue"]`},
		{"Fn::Select over Fn::Split takes a queue name out of an ARN",
			`{"Fn::Select": [5, {"Fn::Split": [":", {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}]}]}`, `"wild-rydes-dev-DeadLetterQueue"`},
		{"Fn::If takes the true branch when the condition holds",
			`{"Fn::If": ["IsDev", {"Ref": "Stage"}, {"Ref": "NotCreated"}]}`, `"dev"`},
		{"Fn::If takes the false branch without resolving the other",
			`{"Fn::If": ["IsProd", {"Ref": "OnCallTopic4E1B7A3C"}, "none"]}`, `"none"`},
		{"Fn::If that resolves to AWS::NoValue removes the key",
			`{"Keep": 1, "Drop": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]}}`, `{"Keep": 1}`},
		{"AWS::NoValue removes a list element",
			`["a", {"Ref": "AWS::NoValue"}, "b"]`, `["a", "b"]`},
		{"AWS::NoValue alone resolves to null",
			`{"Ref": "AWS::NoValue"}`, `null`},
		{"Fn::Base64 encodes the resolved string",
			`{"Fn::Base64": {"Fn::Sub": "#!/bin/sh\necho ${AWS::Region}"}}`, `"IyEvYmluL3NoCmVjaG8gdXMtZWFzdC0x"`},
		{"Fn::GetAZs of the empty string uses the resolver's region",
			`{"Fn::GetAZs": ""}`, `["us-east-1a", "us-east-1b", "us-east-1c"]`},
		{"Fn::GetAZs of Ref AWS::Region uses the resolver's region",
			`{"Fn::GetAZs": {"Ref": "AWS::Region"}}`, `["us-east-1a", "us-east-1b", "us-east-1c"]`},
		{"Fn::GetAZs of another region names its zones",
			`{"Fn::GetAZs": "eu-west-1"}`, `["eu-west-1a", "eu-west-1b", "eu-west-1c"]`},
		{"Fn::FindInMap looks up with resolved keys",
			`{"Fn::FindInMap": ["StageConfig", {"Ref": "Stage"}, "MemorySize"]}`, `128`},
		{"Fn::FindInMap gives lists whole",
			`{"Fn::FindInMap": ["StageConfig", "dev", "Retries"]}`, `["0", "1"]`},
		{"intrinsics nest to any depth",
			`{"Fn::Join": ["", ["https://", {"Fn::Select": [0, {"Fn::Split": ["/", {"Fn::Sub": ["${Host}/path", {"Host": {"Fn::If": ["IsDevInUsEast1", {"Fn::Join": [".", ["api", {"Ref": "Stage"}]]}, "api"]}}]}]}]}, "/ride"]]}`,
			`"https://api.dev/ride"`},
		{"an IAM statement's Condition key is data, not a condition",
			`{"Effect": "Allow", "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": "DeadLetterQueue"}}}}`,
			`{"Effect": "Allow", "Condition": {"ArnEquals": {"aws:SourceArn": "http://localhost:5000/123456789012/wild-rydes-dev-DeadLetterQueue"}}}`},
		{"plain values pass through",
			`{"Timeout": 10, "Tracing": true, "Nothing": null, "Layers": []}`,
			`{"Timeout": 10, "Tracing": true, "Nothing": null, "Layers": []}`},
	}
	r := conditionsResolver(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Resolve(decodeJSON(t, tc.in))
			if err != nil {
				t.Fatalf("Resolve(%s): %v", tc.in, err)
			}
			if want := decodeJSON(t, tc.want); !reflect.DeepEqual(got, want) {
				t.Errorf("Resolve(%s)\n got %#v\nwant %#v", tc.in, got, want)
			}
		})
	}
}

func TestResolveFailures(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"Ref to a name nobody knows",
			`{"Ref": "Foo"}`, `Ref to unknown resource "Foo"`},
		{"Ref to a resource the runner did not create",
			`{"Ref": "OnCallTopic4E1B7A3C"}`, `Ref to resource "OnCallTopic4E1B7A3C" (AWS::SNS::Topic), which has not been created`},
		{"Ref to an unknown pseudo parameter",
			`{"Ref": "AWS::Regoin"}`, `unknown pseudo parameter "AWS::Regoin"`},
		{"Fn::GetAtt of an attribute the runner did not record lists those it did",
			`{"Fn::GetAtt": ["DeadLetterQueue", "QueueUrl"]}`, `resource "DeadLetterQueue" has no attribute "QueueUrl" (it has Arn, QueueName)`},
		{"Fn::GetAtt of a resource the runner did not create",
			`{"Fn::GetAtt": "OnCallTopic4E1B7A3C.TopicArn"}`, `resource "OnCallTopic4E1B7A3C" (AWS::SNS::Topic) has not been created`},
		{"Fn::GetAtt of an unknown resource",
			`{"Fn::GetAtt": ["Foo", "Arn"]}`, `Fn::GetAtt to unknown resource "Foo"`},
		{"Fn::GetAtt without an attribute",
			`{"Fn::GetAtt": "DeadLetterQueue"}`, `want "LogicalID.Attribute"`},
		{"Fn::Sub of an unknown name",
			`{"Fn::Sub": "arn:${Foo}"}`, `Fn::Sub ${Foo}: Ref to unknown resource "Foo"`},
		{"Fn::Sub of AWS::NoValue",
			`{"Fn::Sub": "x${AWS::NoValue}"}`, `Fn::Sub ${AWS::NoValue}: want a string, got Ref AWS::NoValue`},
		{"Fn::Sub left open",
			`{"Fn::Sub": "arn:${AWS::Region"}`, `unterminated "${"`},
		{"Fn::Select past the end",
			`{"Fn::Select": [3, {"Fn::GetAZs": ""}]}`, `index 3 is outside a list of 3`},
		{"Fn::Select with a bad index",
			`{"Fn::Select": ["first", ["a"]]}`, `index "first" is not a whole number`},
		{"Fn::Join of a string",
			`{"Fn::Join": [",", "a,b"]}`, `Fn::Join: want a list, got a string`},
		{"Fn::Join with a list inside",
			`{"Fn::Join": [",", [["a"]]]}`, `Fn::Join element 0: want a string, got a list`},
		{"Fn::If of an unknown condition",
			`{"Fn::If": ["IsStaging", "a", "b"]}`, `unknown condition "IsStaging"`},
		{"Fn::FindInMap of a missing key",
			`{"Fn::FindInMap": ["StageConfig", "staging", "MemorySize"]}`, `no Mappings.StageConfig.staging.MemorySize`},
		{"Fn::ImportValue is not supported locally",
			`{"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-RidesTableName"}}`,
			`Fn::ImportValue "wild-rydes-dev-RidesTableName": cross-stack exports are not supported`},
		{"a condition function outside Conditions",
			`{"Fn::Equals": ["a", "a"]}`, `Fn::Equals is a condition function`},
		{"an intrinsic this package does not know",
			`{"Fn::Cidr": ["10.0.0.0/16", 2, 8]}`, `unsupported intrinsic function Fn::Cidr`},
		{"Fn::Join with the wrong number of arguments",
			`{"Fn::Join": [","]}`, `Fn::Join: want a list of 2 arguments, got a list`},
	}
	r := conditionsResolver(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Resolve(decodeJSON(t, tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Resolve(%s) = %v, %v; want an error saying %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestResolveNamesThePlaceOfAnError(t *testing.T) {
	tests := []struct {
		name, properties, want string
	}{
		{"a Ref in an environment variable",
			`{"Environment": {"Variables": {"TABLE": "rides", "X": {"Ref": "Foo"}}}}`,
			`Resources.RequestRide.Properties.Environment.Variables.X: Ref to unknown resource "Foo"`},
		{"a GetAtt nested in an intrinsic in a list element",
			`{"Layers": ["a", {"Fn::Join": ["", [{"Fn::GetAtt": ["Layer", "Arn"]}]]}]}`,
			`Resources.RequestRide.Properties.Layers[1]: Fn::Join: Fn::GetAtt to unknown resource "Layer"`},
		{"a Ref inside the branch Fn::If chose",
			`{"Tags": [{"Key": "k", "Value": {"Fn::If": ["IsDev", {"Nested": {"Ref": "Bar"}}, "v"]}}]}`,
			`Resources.RequestRide.Properties.Tags[0].Value: Ref to unknown resource "Bar"`},
		{"a condition of an Fn::If that cannot be evaluated",
			`{"Environment": {"Variables": {"MODE": {"Fn::If": ["LoopA", "a", "b"]}}}}`,
			`Resources.RequestRide.Properties.Environment.Variables.MODE: Fn::If: Conditions.LoopB: condition cycle: LoopA -> LoopB -> LoopA`},
		{"a bad Fn::Sub variable",
			`{"Description": {"Fn::Sub": ["${A}", {"A": {"Ref": "Baz"}}]}}`,
			`Resources.RequestRide.Properties.Description: Fn::Sub variable A: Ref to unknown resource "Baz"`},
	}
	r := conditionsResolver(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Resource{
				LogicalID:  "RequestRide",
				Type:       "AWS::Lambda::Function",
				Properties: decodeJSON(t, tc.properties).(map[string]any),
			}
			_, err := r.ResolveProperties(res)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v\nwant    %s", err, tc.want)
			}
		})
	}
}

func TestResolveNamesPlacesRelativeToTheValue(t *testing.T) {
	_, err := conditionsResolver(t).Resolve(decodeJSON(t, `{"Statement": [{"Resource": {"Ref": "Foo"}}]}`))
	if want := `Statement[0].Resource: Ref to unknown resource "Foo"`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestResolveNeedsTheRegionItIsAskedFor(t *testing.T) {
	r := &Resolver{AccountID: "123456789012"}
	_, err := r.Resolve(decodeJSON(t, `{"Fn::Sub": "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:rides"}`))
	if err == nil || !strings.Contains(err.Error(), "Ref to AWS::Region, but the resolver has no Region") {
		t.Errorf("error = %v", err)
	}
	// Without a template there are no conditions to choose a branch with.
	_, err = r.Resolve(decodeJSON(t, `{"Fn::If": ["IsProd", "a", "b"]}`))
	if err == nil || !strings.Contains(err.Error(), `no Template to evaluate condition "IsProd"`) {
		t.Errorf("error = %v", err)
	}
}

func TestResolveDoesNotChangeTheTemplate(t *testing.T) {
	r := conditionsResolver(t)
	fn := r.Template.Resources["RequestRide6A1D4F21"]
	before, _ := json.Marshal(fn.Properties)
	props, err := r.ResolveProperties(fn)
	if err != nil {
		t.Fatal(err)
	}
	props["Environment"].(map[string]any)["Variables"].(map[string]any)["STAGE"] = "changed"
	after, _ := json.Marshal(fn.Properties)
	if string(before) != string(after) {
		t.Errorf("template changed:\n%s\n%s", before, after)
	}
}

// devRun is what a local run of the two dev stacks in cdk.out created.
func devRun(t *testing.T, template string) *Resolver {
	tmpl := loadTemplate(t, template)
	return &Resolver{
		Region: "us-east-1", AccountID: "123456789012",
		StackName: "wild-rydes-dev", StackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/wild-rydes-dev/1",
		Params: map[string]string{
			"BootstrapVersion": "99",
			"SsmParameterValuewildrydesdevSnsTopicArnC96584B6F00A464EAD1953AFF4B05118Parameter": "arn:aws:sns:us-east-1:123456789012:rides",
		},
		Physical: map[string]string{
			"RidesTopic8B3A0D6F":                             "arn:aws:sns:us-east-1:123456789012:rides",
			"RequestRideServiceRoleE1F5A3B2":                 "wild-rydes-dev-RequestRideServiceRole",
			"RequestRideLogGroup0B7E3D21":                    "/aws/lambda/wild-rydes-dev-RequestRide",
			"RequestRide6A1D4F21":                            "wild-rydes-dev-RequestRide",
			"HttpApiF5631D8B":                                "a1b2c3d4e5",
			"HttpApiPOSTrideRequestRideIntegration6C1E1F5A":  "integ01",
			"RidesTable2F8E4C1A":                             "wild-rydes-dev-RidesTable",
			"DeadLetterQueue9F481546":                        "http://localhost:5000/123456789012/wild-rydes-dev-DeadLetterQueue",
			"PutRideRecordSns8D1F0E3C":                       "wild-rydes-dev-PutRideRecordSns",
			"PutRideRecordSnsServiceRole5C2E7B90":            "wild-rydes-dev-PutRideRecordSnsServiceRole",
			"PutRideRecordSnsRidesTopicSubscription1F2E3D4C": "arn:aws:sns:us-east-1:123456789012:rides:sub1",
		},
		Attrs: map[string]map[string]string{
			"RequestRideServiceRoleE1F5A3B2":      {"Arn": "arn:aws:iam::123456789012:role/wild-rydes-dev-RequestRideServiceRole"},
			"RequestRide6A1D4F21":                 {"Arn": "arn:aws:lambda:us-east-1:123456789012:function:wild-rydes-dev-RequestRide"},
			"RidesTable2F8E4C1A":                  {"Arn": "arn:aws:dynamodb:us-east-1:123456789012:table/wild-rydes-dev-RidesTable"},
			"DeadLetterQueue9F481546":             {"Arn": "arn:aws:sqs:us-east-1:123456789012:wild-rydes-dev-DeadLetterQueue", "QueueName": "wild-rydes-dev-DeadLetterQueue"},
			"PutRideRecordSnsServiceRole5C2E7B90": {"Arn": "arn:aws:iam::123456789012:role/wild-rydes-dev-PutRideRecordSnsServiceRole"},
			"PutRideRecordSns8D1F0E3C":            {"Arn": "arn:aws:lambda:us-east-1:123456789012:function:wild-rydes-dev-PutRideRecordSns"},
		},
		Template: tmpl,
	}
}

func TestResolvePropertiesOfTheSynthesizedStacks(t *testing.T) {
	tests := []struct {
		name, template, resource, want string
	}{
		{"RequestRide gets the topic and loses the unset URL",
			"cdk.out/wild-rydes-dev.template.json", "RequestRide6A1D4F21", `{
				"Architectures": ["arm64"],
				"Code": {"S3Bucket": "cdk-hnb659fds-assets-123456789012-us-east-1", "S3Key": "5f2b1c4e9a7d3e8f6b0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.zip"},
				"Environment": {"Variables": {"RIDES_SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:rides"}},
				"Handler": "bootstrap",
				"LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/aws/lambda/wild-rydes-dev-RequestRide"},
				"MemorySize": 128,
				"Role": "arn:aws:iam::123456789012:role/wild-rydes-dev-RequestRideServiceRole",
				"Runtime": "provided.al2023",
				"Timeout": 10,
				"TracingConfig": {"Mode": "Active"}
			}`},
		{"the route targets its integration",
			"cdk.out/wild-rydes-dev.template.json", "HttpApiPOSTride3B4F6E52",
			`{"ApiId": "a1b2c3d4e5", "AuthorizationType": "NONE", "RouteKey": "POST /ride", "Target": "integrations/integ01"}`},
		{"the SSM parameter holds the topic ARN",
			"cdk.out/wild-rydes-dev.template.json", "SnsTopicArnParameter9E2F1C44",
			`{"Name": "/wild-rydes/dev/SnsTopicArn", "Type": "String", "Value": "arn:aws:sns:us-east-1:123456789012:rides"}`},
		{"the subscription reads the topic from the SSM parameter",
			"cdk.out/wild-rydes-ride-record-dev.template.json", "PutRideRecordSnsRidesTopicSubscription1F2E3D4C", `{
				"Endpoint": "arn:aws:lambda:us-east-1:123456789012:function:wild-rydes-dev-PutRideRecordSns",
				"Protocol": "lambda",
				"RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:wild-rydes-dev-DeadLetterQueue"},
				"TopicArn": "arn:aws:sns:us-east-1:123456789012:rides"
			}`},
		{"the alarm description substitutes variables and keeps the escape",
			"cdk.out/wild-rydes-ride-record-dev.template.json", "DeadLettersAlarm6B5A4F3E", `{
				"AlarmDescription": "Rides in wild-rydes-dev-DeadLetterQueue of stack wild-rydes-dev; ${Re-drive} them with wildrydes dlq",
				"ComparisonOperator": "GreaterThanOrEqualToThreshold",
				"Dimensions": [{"Name": "QueueName", "Value": "wild-rydes-dev-DeadLetterQueue"}],
				"EvaluationPeriods": 1, "MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS",
				"Period": 300, "Statistic": "Maximum", "Threshold": 1
			}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := devRun(t, tc.template)
			got, err := r.ResolveProperties(r.Template.Resources[tc.resource])
			if err != nil {
				t.Fatal(err)
			}
			if want := decodeJSON(t, tc.want); !reflect.DeepEqual(any(got), want) {
				g, _ := json.MarshalIndent(got, "", " ")
				t.Errorf("resolved %s:\n%s", tc.resource, g)
			}
		})
	}
}

func TestEveryResourceOfTheSynthesizedStacksResolvesInOrder(t *testing.T) {
	for _, template := range []string{"cdk.out/wild-rydes-dev.template.json", "cdk.out/wild-rydes-ride-record-dev.template.json"} {
		t.Run(template, func(t *testing.T) {
			r := devRun(t, template)
			order, err := r.Template.Order()
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range order {
				res := r.Template.Resources[id]
				if ok, err := r.Template.Included(res, r); err != nil || !ok {
					continue
				}
				if _, err := r.ResolveProperties(res); err != nil {
					t.Errorf("%s: %v", id, err)
				}
			}
		})
	}
}

func TestConditions(t *testing.T) {
	tests := []struct {
		name, template, condition, region, stage string
		want                                     bool
	}{
		{"CDK metadata is available in us-west-2", "cdk.out/wild-rydes-dev.template.json", "CDKMetadataAvailable", "us-west-2", "dev", true},
		{"CDK metadata is available in a region of the inner Fn::Or", "cdk.out/wild-rydes-dev.template.json", "CDKMetadataAvailable", "eu-west-1", "dev", true},
		{"CDK metadata is not available in ap-south-2", "cdk.out/wild-rydes-dev.template.json", "CDKMetadataAvailable", "ap-south-2", "dev", false},
		{"dev is not prod", "conditions.template.json", "IsProd", "us-east-1", "dev", false},
		{"prod is prod", "conditions.template.json", "IsProd", "us-east-1", "prod", true},
		{"Fn::Not of a Condition", "conditions.template.json", "IsDev", "us-east-1", "dev", true},
		{"Fn::And holds when both hold", "conditions.template.json", "IsDevInUsEast1", "us-east-1", "dev", true},
		{"Fn::And fails when one fails", "conditions.template.json", "IsDevInUsEast1", "eu-west-1", "dev", false},
		{"Fn::Or holds when the second holds", "conditions.template.json", "IsProdOrEuWest1", "eu-west-1", "dev", true},
		{"Fn::Or fails when neither holds", "conditions.template.json", "IsProdOrEuWest1", "us-east-1", "dev", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := loadTemplate(t, tc.template)
			r := &Resolver{Region: tc.region, Params: map[string]string{"Stage": tc.stage}}
			got, err := tmpl.ConditionTrue(tc.condition, r)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s in %s/%s = %v, want %v", tc.condition, tc.region, tc.stage, got, tc.want)
			}
		})
	}
}

func TestConditionFailures(t *testing.T) {
	tmpl := loadTemplate(t, "conditions.template.json")
	r := &Resolver{Region: "us-east-1", Params: map[string]string{"Stage": "dev"}}
	tests := []struct {
		name, condition, want string
	}{
		{"an unknown condition", "IsStaging", `unknown condition "IsStaging"`},
		{"conditions that refer to each other", "LoopA", "condition cycle: LoopA -> LoopB -> LoopA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tmpl.ConditionTrue(tc.condition, r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
	_, err := tmpl.ConditionTrue("IsProd", &Resolver{})
	if want := `Conditions.IsProd: Fn::Equals: Ref to parameter "Stage", which has no value`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestIncludedSkipsResourcesAndOutputsWhoseConditionIsFalse(t *testing.T) {
	tmpl := loadTemplate(t, "conditions.template.json")
	topic := tmpl.Resources["OnCallTopic4E1B7A3C"]
	fn := tmpl.Resources["RequestRide6A1D4F21"]
	for _, stage := range []string{"dev", "prod"} {
		r := conditionsResolver(t)
		r.Params["Stage"] = stage
		r.Physical["OnCallTopic4E1B7A3C"] = "arn:aws:sns:us-east-1:123456789012:on-call"

		if ok, err := tmpl.Included(topic, r); err != nil || ok != (stage == "prod") {
			t.Errorf("stage %s: topic included = %v, %v", stage, ok, err)
		}
		if ok, err := tmpl.Included(fn, r); err != nil || !ok {
			t.Errorf("stage %s: a resource without a condition is always included, got %v, %v", stage, ok, err)
		}
		outputs, err := tmpl.ResolveOutputs(r)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"Stage": stage}
		if stage == "prod" {
			want["OnCallTopicArn"] = "arn:aws:sns:us-east-1:123456789012:on-call"
		}
		if !reflect.DeepEqual(outputs, want) {
			t.Errorf("stage %s: outputs = %v, want %v", stage, outputs, want)
		}
		props, err := r.ResolveProperties(fn)
		if err != nil {
			t.Fatal(err)
		}
		vars := props["Environment"].(map[string]any)["Variables"].(map[string]any)
		if _, has := vars["ON_CALL_TOPIC_ARN"]; has != (stage == "prod") {
			t.Errorf("stage %s: variables = %v", stage, vars)
		}
	}
}

func TestResolveOutputsOfTheSynthesizedStack(t *testing.T) {
	r := devRun(t, "cdk.out/wild-rydes-dev.template.json")
	got, err := r.Template.ResolveOutputs(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/"; got["HttpApiUrl"] != want {
		t.Errorf("HttpApiUrl = %q, want %q", got["HttpApiUrl"], want)
	}
}
