package local

import "github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"

// AsyncStats reports the asynchronous invocations so far: what the tests count.
func (s *System) AsyncStats() lambda.AsyncStats { return s.lambda.AsyncStats() }
