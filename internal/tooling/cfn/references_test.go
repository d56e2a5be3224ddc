package cfn

import (
	"slices"
	"testing"
)

func TestReferencesIgnoreSubVariablesAndEscapes(t *testing.T) {
	v := map[string]any{"Fn::Sub": []any{
		"${Local} ${!Escaped} ${Topic.TopicName} ${AWS::Region}",
		map[string]any{"Local": map[string]any{"Ref": "Queue"}},
	}}
	got := References(v)
	want := []string{"Queue", "Topic", "AWS::Region"}
	if !slices.Equal(got, want) {
		t.Errorf("References = %v, want %v", got, want)
	}
}

func TestRefIsOnlyADirectReference(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
		ok   bool
	}{
		{"a Ref", map[string]any{"Ref": "Queue"}, "Queue", true},
		{"an attribute as a list", map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}}, "Queue", true},
		{"an attribute as a string", map[string]any{"Fn::GetAtt": "Queue.Arn"}, "Queue", true},
		{"a Sub", map[string]any{"Fn::Sub": "${Queue.Arn}"}, "", false},
		{"a Ref inside a Join", map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Ref": "Queue"}}}}, "", false},
		{"a literal", "arn:aws:sqs:us-east-1:1:q", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := Ref(tt.in); got != tt.want || ok != tt.ok {
				t.Errorf("Ref(%v) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
