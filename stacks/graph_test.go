package stacks_test

import (
	"fmt"
	"strings"
	"testing"
)

// This file follows a ride through the synthesized templates: from RequestRide's environment,
// through SSM parameter names (the only link between the stacks), to the functions that may
// write the table.

func ref(v any) string {
	s, _ := asMap(v)["Ref"].(string)
	return s
}

func getAtt(v any) (string, string) {
	list, _ := asMap(v)["Fn::GetAtt"].([]any)
	if len(list) != 2 {
		return "", ""
	}
	return fmt.Sprint(list[0]), fmt.Sprint(list[1])
}

// routeTarget finds the route with routeKey and returns its API's and function's logical IDs.
func routeTarget(tpl map[string]any, routeKey string) (api, function string, err error) {
	for _, route := range resources(tpl, "AWS::ApiGatewayV2::Route") {
		p := props(route)
		if p["RouteKey"] != routeKey {
			continue
		}
		api = ref(p["ApiId"])
		join, _ := asMap(p["Target"])["Fn::Join"].([]any)
		if len(join) != 2 {
			return api, "", fmt.Errorf("route %s has target %s", routeKey, jsonString(p["Target"]))
		}
		parts, _ := join[1].([]any)
		integ := resources(tpl, "AWS::ApiGatewayV2::Integration")[ref(parts[len(parts)-1])]
		fn, attr := getAtt(props(integ)["IntegrationUri"])
		if attr != "Arn" {
			return api, "", fmt.Errorf("route %s integrates %s", routeKey, jsonString(props(integ)["IntegrationUri"]))
		}
		return api, fn, nil
	}
	return "", "", fmt.Errorf("no route %q", routeKey)
}

func routeFunction(t *testing.T, tpl map[string]any, routeKey string) string {
	t.Helper()
	_, fn, err := routeTarget(tpl, routeKey)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

func routeAPI(t *testing.T, tpl map[string]any, routeKey string) string {
	t.Helper()
	api, _, err := routeTarget(tpl, routeKey)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// tableWriters is the set of functions whose role may PutItem on the ride table.
func tableWriters(tpl map[string]any) map[string]bool {
	roles := map[string]bool{}
	for _, pol := range resources(tpl, "AWS::IAM::Policy") {
		doc := asMap(props(pol)["PolicyDocument"])
		puts := false
		for _, raw := range doc["Statement"].([]any) {
			st := asMap(raw)
			if st["Effect"] == "Allow" && strings.Contains(jsonString(st["Action"]), `"dynamodb:PutItem"`) &&
				strings.Contains(jsonString(st["Resource"]), `"Fn::GetAtt":["RideRecordTable","Arn"]`) {
				puts = true
			}
		}
		if puts {
			for _, r := range props(pol)["Roles"].([]any) {
				roles[ref(r)] = true
			}
		}
	}
	writers := map[string]bool{}
	for id, fn := range resources(tpl, "AWS::Lambda::Function") {
		role, _ := getAtt(props(fn)["Role"])
		if roles[role] {
			writers[id] = true
		}
	}
	return writers
}

// ssmParameterValue finds the AWS::SSM::Parameter named name in tpl and returns its Value.
func ssmParameterValue(tpl map[string]any, name string) (any, bool) {
	for _, p := range resources(tpl, "AWS::SSM::Parameter") {
		if props(p)["Name"] == name {
			return props(p)["Value"], true
		}
	}
	return nil, false
}

// ssmNameOf returns the SSM name behind a template parameter of an SSM parameter type.
func ssmNameOf(tpl map[string]any, param string) (string, bool) {
	def := asMap(asMap(tpl["Parameters"])[param])
	typ, _ := def["Type"].(string)
	name, _ := def["Default"].(string)
	return name, strings.HasPrefix(typ, "AWS::SSM::Parameter::Value")
}

// rideWriters lists, for the system made of wr (wild-rydes) and rr (ride-record) templates,
// every path by which a ride RequestRide accepted reaches a function that writes the table.
func rideWriters(wr, rr map[string]any) (paths []string, problems []string) {
	fn := resources(wr, "AWS::Lambda::Function")["RequestRide"]
	vars := asMap(asMap(props(fn)["Environment"])["Variables"])
	writers := tableWriters(rr)

	if url, ok := vars["RIDE_RECORD_URL"]; ok {
		name, isSSM := ssmNameOf(wr, ref(url))
		value, found := ssmParameterValue(rr, name)
		switch {
		case !isSSM:
			problems = append(problems, "RIDE_RECORD_URL does not come from SSM: "+jsonString(url))
		case !found:
			problems = append(problems, "RIDE_RECORD_URL reads "+name+", which the ride-record stack does not write")
		default:
			join, _ := asMap(value)["Fn::Join"].([]any)
			parts, _ := join[1].([]any)
			api, attr := getAtt(parts[0])
			path := fmt.Sprint(parts[len(parts)-1])
			routeAPI, target, err := routeTarget(rr, "POST "+path)
			switch {
			case attr != "ApiEndpoint" || err != nil || routeAPI != api:
				problems = append(problems, fmt.Sprintf("%s = %s does not lead to a route (%v)", name, jsonString(value), err))
			case !writers[target]:
				problems = append(problems, "POST "+path+" is served by "+target+", which cannot write the table")
			default:
				paths = append(paths, "HTTP POST "+path+" -> "+target)
			}
		}
	}
	if arn, ok := vars["RIDES_SNS_TOPIC_ARN"]; ok {
		topic := ref(arn)
		var name string
		for _, p := range resources(wr, "AWS::SSM::Parameter") {
			if ref(props(p)["Value"]) == topic {
				name, _ = props(p)["Name"].(string)
			}
		}
		subscribed := false
		for _, sub := range resources(rr, "AWS::SNS::Subscription") {
			subName, isSSM := ssmNameOf(rr, ref(props(sub)["TopicArn"]))
			target, _ := getAtt(props(sub)["Endpoint"])
			if isSSM && name != "" && subName == name && props(sub)["Protocol"] == "lambda" {
				subscribed = true
				if writers[target] {
					paths = append(paths, "SNS "+name+" -> "+target)
				} else {
					problems = append(problems, "the topic's subscriber "+target+" cannot write the table")
				}
			}
		}
		if !subscribed {
			problems = append(problems, fmt.Sprintf("RequestRide publishes to %s (SSM %q), which nothing in the ride-record stack subscribes to", topic, name))
		}
	}
	return paths, problems
}
