package model_test

import (
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// A policy statement refers to a resource as CloudFormation reads Fn::Sub: ${X} and ${X.Attr}
// name it, ${!X} is a literal and a variable of the Sub's own map is not the resource.
func TestAStatementRefersToAResourceAsFnSubReadsIt(t *testing.T) {
	tests := []struct {
		name     string
		resource any
		want     bool
	}{
		{"its Ref", map[string]any{"Ref": "Table"}, true},
		{"an attribute", map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}}, true},
		{"${Table.Arn} inside a Sub", map[string]any{"Fn::Sub": "${Table.Arn}/index/*"}, true},
		{"a Ref inside a Sub's variables", map[string]any{"Fn::Sub": []any{"${T}/index/*", map[string]any{"T": map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}}}}}, true},
		{"a Sub variable of the same name", map[string]any{"Fn::Sub": []any{"arn:aws:dynamodb:::table/${Table}", map[string]any{"Table": "other"}}}, false},
		{"an escaped ${!Table}", map[string]any{"Fn::Sub": "arn:aws:dynamodb:::table/${!Table}"}, false},
		{"another resource", map[string]any{"Fn::Sub": "${Queue.Arn}"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := &cfn.Template{Resources: map[string]cfn.Resource{
				"Table": {LogicalID: "Table", Type: "AWS::DynamoDB::Table"},
				"Role": {LogicalID: "Role", Type: "AWS::IAM::Role", Properties: map[string]any{"Policies": []any{map[string]any{
					"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
						"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": tt.resource}}}}}}},
				"Fn": {LogicalID: "Fn", Type: "AWS::Lambda::Function", Properties: map[string]any{"Role": map[string]any{"Fn::GetAtt": []any{"Role", "Arn"}}}},
			}}
			sys, err := model.New(&cfn.Stack{Name: "s", Template: tmpl})
			if err != nil {
				t.Fatal(err)
			}
			table := sys.Tables()[0]
			if got := sys.Function("Fn").Allows(model.PutItem, &table.Resource); got != tt.want {
				t.Errorf("Allows(PutItem, Table) = %v, want %v", got, tt.want)
			}
		})
	}
}
