package cfn

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fakeSSM is a parameter store holding what the main stack wrote.
func fakeSSM(params map[string]string) func(string) (string, error) {
	return func(name string) (string, error) {
		if v, ok := params[name]; ok {
			return v, nil
		}
		return "", fmt.Errorf("ParameterNotFound: %s", name)
	}
}

func TestResolveParameters(t *testing.T) {
	const topicParam = "SsmParameterValuewildrydesdevSnsTopicArnC96584B6F00A464EAD1953AFF4B05118Parameter"
	tests := []struct {
		name      string
		template  string
		ssm       map[string]string
		overrides map[string]string
		want      map[string]string
	}{
		{
			name:     "an SSM parameter is read by its Default name and a missing bootstrap version is 99",
			template: "cdk.out/wild-rydes-ride-record-dev.template.json",
			ssm:      map[string]string{"/wild-rydes/dev/SnsTopicArn": "arn:aws:sns:us-east-1:123456789012:rides"},
			want: map[string]string{
				topicParam:         "arn:aws:sns:us-east-1:123456789012:rides",
				"BootstrapVersion": "99",
			},
		},
		{
			name:     "a bootstrap version that SSM has is used",
			template: "cdk.out/wild-rydes-dev.template.json",
			ssm:      map[string]string{"/cdk-bootstrap/hnb659fds/version": "28"},
			want:     map[string]string{"BootstrapVersion": "28"},
		},
		{
			name:      "an override wins over SSM",
			template:  "cdk.out/wild-rydes-ride-record-dev.template.json",
			overrides: map[string]string{topicParam: "arn:aws:sns:us-east-1:123456789012:other"},
			want: map[string]string{
				topicParam:         "arn:aws:sns:us-east-1:123456789012:other",
				"BootstrapVersion": "99",
			},
		},
		{
			name:     "plain parameters take their Default and SSM list parameters stay comma-separated",
			template: "conditions.template.json",
			ssm:      map[string]string{"/wild-rydes/dev/Subnets": "subnet-1,subnet-2"},
			want: map[string]string{
				"Stage":          "dev",
				"AllowedOrigins": "http://localhost:3000,https://wildrydes.example",
				"Subnets":        "subnet-1,subnet-2",
			},
		},
		{
			name:      "an override wins over a Default",
			template:  "conditions.template.json",
			ssm:       map[string]string{"/wild-rydes/dev/Subnets": "subnet-1"},
			overrides: map[string]string{"Stage": "prod"},
			want: map[string]string{
				"Stage":          "prod",
				"AllowedOrigins": "http://localhost:3000,https://wildrydes.example",
				"Subnets":        "subnet-1",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveParameters(loadTemplate(t, tc.template), fakeSSM(tc.ssm), tc.overrides)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parameters = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResolveParametersFailures(t *testing.T) {
	tests := []struct {
		name      string
		template  string
		lookup    func(string) (string, error)
		overrides map[string]string
		wants     []string
	}{
		{
			name:     "a missing SSM parameter names the template parameter and the SSM name",
			template: "cdk.out/wild-rydes-ride-record-dev.template.json",
			lookup:   fakeSSM(nil),
			wants: []string{
				`parameter "SsmParameterValuewildrydesdevSnsTopicArnC96584B6F00A464EAD1953AFF4B05118Parameter" reads SSM parameter "/wild-rydes/dev/SnsTopicArn": ParameterNotFound: /wild-rydes/dev/SnsTopicArn`,
				"wild-rydes-ride-record-dev.template.json",
			},
		},
		{
			name:     "without an SSM lookup only the bootstrap version can do",
			template: "cdk.out/wild-rydes-ride-record-dev.template.json",
			wants:    []string{`reads SSM parameter "/wild-rydes/dev/SnsTopicArn": no SSM lookup was given`},
		},
		{
			name:      "an override of a parameter the template lacks is a mistake",
			template:  "cdk.out/wild-rydes-dev.template.json",
			lookup:    fakeSSM(nil),
			overrides: map[string]string{"Stgae": "prod"},
			wants:     []string{`override for parameter "Stgae", which the template does not declare`},
		},
		{
			name:     "every missing value is reported at once",
			template: "conditions.template.json",
			lookup: func(string) (string, error) {
				return "", errors.New("AccessDeniedException")
			},
			overrides: map[string]string{"Nope": "x"},
			wants: []string{
				`override for parameter "Nope"`,
				`parameter "Subnets" reads SSM parameter "/wild-rydes/dev/Subnets": AccessDeniedException`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ResolveParameters(loadTemplate(t, tc.template), tc.lookup, tc.overrides)
			if err == nil {
				t.Fatal("ResolveParameters succeeded")
			}
			for _, want := range tc.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not say %q", err, want)
				}
			}
		})
	}
}

func TestResolveParametersWithoutADefault(t *testing.T) {
	tmpl, err := ParseTemplate([]byte(`{"Parameters": {"Stage": {"Type": "String"}},
		"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveParameters(tmpl, nil, nil); err == nil || !strings.Contains(err.Error(), `parameter "Stage" has no Default and no override`) {
		t.Errorf("error = %v", err)
	}
	got, err := ResolveParameters(tmpl, nil, map[string]string{"Stage": "dev"})
	if err != nil || got["Stage"] != "dev" {
		t.Errorf("with an override: %v, %v", got, err)
	}
}
