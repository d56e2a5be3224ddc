package cfn

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func loadTemplate(t *testing.T, name string) *Template {
	t.Helper()
	tmpl, err := LoadTemplate(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("LoadTemplate(%s): %v", name, err)
	}
	return tmpl
}

func TestLoadTemplateKeepsWhatARunnerNeeds(t *testing.T) {
	tmpl := loadTemplate(t, "cdk.out/wild-rydes-dev.template.json")

	fn := tmpl.Resources["RequestRide6A1D4F21"]
	if fn.LogicalID != "RequestRide6A1D4F21" || fn.Type != "AWS::Lambda::Function" {
		t.Errorf("function = %s of type %s", fn.LogicalID, fn.Type)
	}
	if got := fn.Metadata["wildrydes:entry"]; got != "lambdas/request-ride" {
		t.Errorf("wildrydes:entry = %v, want lambdas/request-ride", got)
	}
	wantDeps := []string{"RequestRideServiceRoleDefaultPolicy3C0B7D9A", "RequestRideServiceRoleE1F5A3B2"}
	if !reflect.DeepEqual(fn.DependsOn, wantDeps) {
		t.Errorf("DependsOn = %v, want %v", fn.DependsOn, wantDeps)
	}
	if got := tmpl.Resources["RequestRideLogGroup0B7E3D21"]; got.DeletionPolicy != "Delete" || got.UpdateReplacePolicy != "Delete" {
		t.Errorf("log group policies = %q/%q, want Delete/Delete", got.DeletionPolicy, got.UpdateReplacePolicy)
	}
	if got := tmpl.Resources["CDKMetadata"].Condition; got != "CDKMetadataAvailable" {
		t.Errorf("CDKMetadata condition = %q", got)
	}
	bv := tmpl.Parameters["BootstrapVersion"]
	if bv.Type != "AWS::SSM::Parameter::Value<String>" || bv.Default == nil || *bv.Default != "/cdk-bootstrap/hnb659fds/version" {
		t.Errorf("BootstrapVersion = %+v", bv)
	}
	if _, ok := tmpl.Conditions["CDKMetadataAvailable"]; !ok {
		t.Error("condition CDKMetadataAvailable is missing")
	}
	if out := tmpl.Outputs["HttpApiUrl"]; out.LogicalID != "HttpApiUrl" || out.Value == nil {
		t.Errorf("output HttpApiUrl = %+v", out)
	}
	if tmpl.Path != filepath.Join("testdata", "cdk.out/wild-rydes-dev.template.json") {
		t.Errorf("Path = %q", tmpl.Path)
	}
}

func TestLoadTemplateReadsDependsOnGivenAsOneID(t *testing.T) {
	tmpl := loadTemplate(t, "unknown-dependency.template.json")
	got := tmpl.Resources["RequestRide6A1D4F21"].DependsOn
	if !reflect.DeepEqual(got, []string{"RequestRideServiceRoleDefaultPolicy3C0B7D9A"}) {
		t.Errorf("DependsOn = %v", got)
	}
}

func TestLoadTemplateFailures(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"a file that is not JSON is refused", `Resources: {}`, "decode JSON"},
		{"a template without resources is refused", `{"Parameters": {}}`, "no Resources section"},
		{"a resource without a type is refused", `{"Resources": {"Queue": {"Properties": {}}}}`, "Resources.Queue: no Type"},
		{"a DependsOn that is not IDs is refused", `{"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "DependsOn": 3}}}`, "Resources.Queue.DependsOn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.template.json")
			writeFile(t, path, tc.body)
			_, err := LoadTemplate(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("LoadTemplate error = %v, want one naming %s and saying %q", err, path, tc.want)
			}
		})
	}
}

func TestParseTemplateReadsTheSameAsLoadTemplate(t *testing.T) {
	path := filepath.Join("testdata", "cdk.out", "wild-rydes-dev.template.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseTemplate(data)
	if err != nil {
		t.Fatalf("ParseTemplate: %v", err)
	}
	if parsed.Path != "" {
		t.Errorf("Path = %q, want none: the template came from memory", parsed.Path)
	}
	loaded := loadTemplate(t, "cdk.out/wild-rydes-dev.template.json")
	loaded.Path = ""
	if !reflect.DeepEqual(parsed, loaded) {
		t.Error("ParseTemplate of the file's bytes differs from LoadTemplate of the file")
	}
	if _, err := ParseTemplate([]byte(`{"Parameters": {}}`)); err == nil || !strings.Contains(err.Error(), "no Resources section") {
		t.Errorf("ParseTemplate of a template without resources: error = %v", err)
	}
}

func TestSSMNameIsTheDefaultOfAnSSMTypedParameter(t *testing.T) {
	def := func(s string) *string { return &s }
	tests := []struct {
		name   string
		param  Parameter
		want   string
		wantOK bool
	}{
		{"an SSM string parameter reads the parameter its Default names",
			Parameter{Type: "AWS::SSM::Parameter::Value<String>", Default: def("/wildrydes/dev/rides-topic-arn")}, "/wildrydes/dev/rides-topic-arn", true},
		{"an SSM list parameter reads the parameter its Default names",
			Parameter{Type: "AWS::SSM::Parameter::Value<List<String>>", Default: def("/wildrydes/dev/subnets")}, "/wildrydes/dev/subnets", true},
		{"a String parameter reads no SSM parameter",
			Parameter{Type: "String", Default: def("/wildrydes/dev/rides-topic-arn")}, "", false},
		{"a plain SSM parameter type (a name, not a value) reads no SSM parameter",
			Parameter{Type: "AWS::SSM::Parameter::Name", Default: def("/wildrydes/dev/rides-topic-arn")}, "", false},
		{"an SSM-typed parameter without a Default names none",
			Parameter{Type: "AWS::SSM::Parameter::Value<String>"}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.param.SSMName()
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("SSMName() = %q, %v; want %q, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}

	bv := loadTemplate(t, "cdk.out/wild-rydes-dev.template.json").Parameters["BootstrapVersion"]
	if got, ok := bv.SSMName(); !ok || got != "/cdk-bootstrap/hnb659fds/version" {
		t.Errorf("BootstrapVersion.SSMName() = %q, %v; want the bootstrap version parameter", got, ok)
	}
}

// CDK's bootstrap version parameter is told from the parameters the stacks read of each other.
func TestCDKBootstrapIsTheParameterCDKAddsForItsVersionCheck(t *testing.T) {
	params := loadTemplate(t, "cdk.out/wild-rydes-ride-record-dev.template.json").Parameters
	var bootstrap, others []string
	for _, name := range sortedKeys(params) {
		if _, ssm := params[name].SSMName(); !ssm {
			continue
		}
		if params[name].CDKBootstrap() {
			bootstrap = append(bootstrap, name)
		} else {
			others = append(others, name)
		}
	}
	if len(bootstrap) != 1 || bootstrap[0] != "BootstrapVersion" || len(others) == 0 {
		t.Errorf("CDK's bootstrap parameters %v, the others %v; want BootstrapVersion alone, and the topic's", bootstrap, others)
	}
	plain := Parameter{Name: "BootstrapVersion", Type: "String", Default: new(string)}
	if plain.CDKBootstrap() {
		t.Error("a plain String parameter named BootstrapVersion is not CDK's: CDK's reads SSM")
	}
}

func TestResourcesOfTypeIsSortedByLogicalID(t *testing.T) {
	tmpl := loadTemplate(t, "cdk.out/wild-rydes-dev.template.json")
	var ids []string
	for _, r := range tmpl.ResourcesOfType("AWS::IAM::Role") {
		ids = append(ids, r.LogicalID)
	}
	if want := []string{"RequestRideServiceRoleE1F5A3B2"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("roles = %v, want %v", ids, want)
	}
	ids = nil
	for _, r := range tmpl.ResourcesOfType("AWS::ApiGatewayV2::Route") {
		ids = append(ids, r.LogicalID)
	}
	if want := []string{"HttpApiPOSTride3B4F6E52"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("routes = %v, want %v", ids, want)
	}
	if got := tmpl.ResourcesOfType("AWS::S3::Bucket"); len(got) != 0 {
		t.Errorf("buckets = %v, want none", got)
	}

	rr := loadTemplate(t, "cdk.out/wild-rydes-ride-record-dev.template.json")
	ids = nil
	for _, r := range rr.ResourcesOfType("AWS::IAM::Policy") {
		ids = append(ids, r.LogicalID)
	}
	if want := []string{"PutRideRecordSnsServiceRoleDefaultPolicyA1B2C3D4"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("policies = %v, want %v", ids, want)
	}
}

func TestLoadAssemblyFindsBothStacksByName(t *testing.T) {
	a, err := LoadAssembly(filepath.Join("testdata", "cdk.out"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Stacks) != 2 {
		t.Fatalf("stacks = %v, want the two Wild Rydes stacks", sortedKeys(a.Stacks))
	}
	main := a.Stacks["wild-rydes-dev"]
	if main == nil || main.ArtifactID != "wild-rydes-dev" || main.DisplayName != "wild-rydes-dev" ||
		main.Environment != "aws://unknown-account/unknown-region" || len(main.Dependencies) != 0 {
		t.Errorf("wild-rydes-dev = %+v", main)
	}
	if _, ok := main.Template.Resources["RequestRide6A1D4F21"]; !ok {
		t.Error("wild-rydes-dev has no RequestRide function")
	}
	rr := a.Stacks["wild-rydes-ride-record-dev"]
	if rr == nil {
		t.Fatalf("stack named by properties.stackName is missing: %v", sortedKeys(a.Stacks))
	}
	if rr.ArtifactID != "RideRecordStack" || rr.TemplateFile != filepath.Join("testdata", "cdk.out", "wild-rydes-ride-record-dev.template.json") {
		t.Errorf("wild-rydes-ride-record-dev = %+v", rr)
	}
	if want := []string{"wild-rydes-dev"}; !reflect.DeepEqual(rr.Dependencies, want) {
		t.Errorf("ride record dependencies = %v, want %v (asset manifests left out)", rr.Dependencies, want)
	}
}

func TestLoadAssemblyReadsStagesNestedAssemblies(t *testing.T) {
	a, err := LoadAssembly(filepath.Join("testdata", "staged"))
	if err != nil {
		t.Fatal(err)
	}
	s := a.Stacks["Prod-wild-rydes"]
	if s == nil || s.DisplayName != "Prod/wild-rydes" || s.Environment != "aws://123456789012/eu-west-1" || s.Template == nil {
		t.Errorf("stacks = %v, want Prod-wild-rydes from assembly-Prod", a.Stacks)
	}
}

func TestLoadAssemblyTellsToSynthFirst(t *testing.T) {
	tests := []struct {
		name, dir, want string
	}{
		{"a missing cdk.out", filepath.Join("testdata", "no-such-cdk.out"), "manifest.json not found"},
		{"an assembly without stacks", filepath.Join("testdata", "empty"), "lists no CloudFormation stacks"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadAssembly(tc.dir)
			if err == nil {
				t.Fatal("LoadAssembly succeeded")
			}
			for _, want := range []string{tc.dir, tc.want, "run cdk synth first"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
