package deploy

// X-Ray (AWS::XRay::*).

func init() {
	placeholder("AWS::XRay::ResourcePolicy", "no X-Ray locally: the console's trace follows each ride through the system instead")
}
