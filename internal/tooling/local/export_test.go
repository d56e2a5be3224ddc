package local

import "github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"

// AsyncStats reports the asynchronous invocations so far: what the tests count.
func (s *System) AsyncStats() lambda.AsyncStats { return s.lambda.AsyncStats() }

// Listeners are the system's HTTP listeners, by what they are, as URLs: the fronts and every
// deployed API, the SNS front, the DynamoDB and SQS proxies, the admin surface, the CloudFormation
// endpoint, the emulator's front and the functions' way to it. (The console and the functions' Runtime APIs are tested
// in their own packages.)
func (s *System) Listeners() map[string]string {
	out := map[string]string{"ride API front": s.fronts[rideRole], "record API front": s.fronts[recordRole],
		"SNS": s.sns.URL(), "DynamoDB proxy": s.table.URL(), "SQS proxy": s.sqs.URL(), "admin": s.admin.URL(), "CloudFormation": s.cfn.URL,
		"emulator": s.emu.Endpoint, "functions' emulator": s.functions.URL()}
	for _, st := range s.engine.Stacks() {
		for _, r := range st.Resources {
			if r.Type == "AWS::ApiGatewayV2::Api" {
				out["API "+r.LogicalID] = r.Attrs["ApiEndpoint"]
			}
		}
	}
	return out
}
