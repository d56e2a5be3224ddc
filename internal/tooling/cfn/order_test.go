package cfn

import (
	"slices"
	"strings"
	"testing"
)

func TestOrderPutsEveryResourceAfterWhatItNeeds(t *testing.T) {
	tests := []struct {
		template string
		// before[a] lists resources that must come before a.
		before map[string][]string
	}{
		{
			template: "cdk.out/wild-rydes-dev.template.json",
			before: map[string][]string{
				"SnsTopicArnParameter9E2F1C44": {"RidesTopic8B3A0D6F"},
				// DependsOn and Ref/GetAtt/Fn::Sub alike.
				"RequestRide6A1D4F21":                                     {"RequestRideServiceRoleDefaultPolicy3C0B7D9A", "RequestRideServiceRoleE1F5A3B2", "RequestRideLogGroup0B7E3D21", "RidesTopic8B3A0D6F"},
				"HttpApiPOSTrideRequestRideIntegration6C1E1F5A":           {"HttpApiF5631D8B", "RequestRide6A1D4F21"},
				"HttpApiPOSTride3B4F6E52":                                 {"HttpApiPOSTrideRequestRideIntegration6C1E1F5A"},
				"HttpApiPOSTrideRequestRideIntegrationPermission0D2C9E61": {"RequestRide6A1D4F21", "HttpApiF5631D8B"},
			},
		},
		{
			template: "cdk.out/wild-rydes-ride-record-dev.template.json",
			before: map[string][]string{
				"PutRideRecordSns8D1F0E3C":                       {"PutRideRecordSnsServiceRoleDefaultPolicyA1B2C3D4", "DeadLetterQueue9F481546", "RidesTable2F8E4C1A"},
				"PutRideRecordSnsRidesTopicSubscription1F2E3D4C": {"PutRideRecordSns8D1F0E3C", "DeadLetterQueuePolicy4AC0B1F2"},
				"PutRideRecordSnsEventInvokeConfig7E6D5C4B":      {"PutRideRecordSns8D1F0E3C"},
				"DeadLettersAlarm6B5A4F3E":                       {"DeadLetterQueue9F481546"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.template, func(t *testing.T) {
			tmpl := loadTemplate(t, tc.template)
			order, err := tmpl.Order()
			if err != nil {
				t.Fatal(err)
			}
			if len(order) != len(tmpl.Resources) {
				t.Fatalf("order has %d resources, template %d: %v", len(order), len(tmpl.Resources), order)
			}
			for after, befores := range tc.before {
				for _, before := range befores {
					if slices.Index(order, before) > slices.Index(order, after) {
						t.Errorf("%s comes before %s, which it needs: %v", after, before, order)
					}
				}
			}
		})
	}
}

func TestOrderIsTheSameEveryTime(t *testing.T) {
	tmpl := loadTemplate(t, "cdk.out/wild-rydes-dev.template.json")
	first, err := tmpl.Order()
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := tmpl.Order()
		if !slices.Equal(first, again) {
			t.Fatalf("order changed:\n%v\n%v", first, again)
		}
	}
	// Among resources ready together the smaller logical ID goes first.
	if first[0] != "CDKMetadata" {
		t.Errorf("first = %s, want CDKMetadata", first[0])
	}
}

func TestOrderFailures(t *testing.T) {
	tests := []struct {
		name, template, want string
	}{
		{
			"a cycle through GetAtt, Fn::Sub and Ref is named in full",
			"cycle.template.json",
			"dependency cycle: QueueA1B2C3D4 -> QueueB5E6F7A8 -> QueueC9D0E1F2 -> QueueA1B2C3D4",
		},
		{
			"a DependsOn on a resource the template lacks is named with its place",
			"unknown-dependency.template.json",
			`Resources.RequestRide6A1D4F21.DependsOn: unknown resource "RequestRideServiceRoleDefaultPolicy3C0B7D9A"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadTemplate(t, tc.template).Order()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Order error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestOrderCatchesAResourceThatNeedsItself(t *testing.T) {
	tmpl, err := ParseTemplate([]byte(`{"Resources": {"Queue": {"Type": "AWS::SQS::Queue",
		"Properties": {"QueueName": {"Fn::Sub": "${Queue.QueueName}"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Order(); err == nil || !strings.Contains(err.Error(), "Queue -> Queue") {
		t.Errorf("Order error = %v, want the cycle Queue -> Queue", err)
	}
}
