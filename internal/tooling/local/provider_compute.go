package local

import (
	"context"
	"fmt"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localrt"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// The functions: each its real Go binary under the local Runtime API, and the asynchronous
// invocation settings of its EventInvokeConfig.

func init() {
	register("AWS::Lambda::Function", provider{
		apply: func(ctx context.Context, s *System, c change) (*resource, bool, error) {
			return s.provisionFunction(ctx, c.stack, c.res, c.nr, c.props)
		},
		remove: func(_ context.Context, s *System, r *resource) error {
			s.mu.Lock()
			fn := s.functions[r.attrs["Arn"]]
			delete(s.functions, r.attrs["Arn"])
			s.mu.Unlock()
			if fn != nil {
				go fn.drain()
			}
			return nil
		},
	})
	register("AWS::Lambda::EventInvokeConfig", provider{
		apply: func(_ context.Context, s *System, c change) (*resource, bool, error) {
			name, _ := c.props["FunctionName"].(string)
			retries := model.DefaultRetryAttempts
			if v, ok := cfn.Number(c.props["MaximumRetryAttempts"]); ok {
				retries = int(v)
			}
			s.async.setRetries(name, retries)
			c.nr.physical = name + ":$LATEST"
			return c.nr, false, nil
		},
	})
}

func (s *System) provisionFunction(ctx context.Context, stack string, res cfn.Resource, nr *resource, props map[string]any) (*resource, bool, error) {
	entry := model.EntryOf(res)
	bins, err := s.builder.binaries(ctx, []string{entry})
	if err != nil {
		return nil, false, err
	}
	name, _ := props["FunctionName"].(string)
	if name == "" {
		name = physicalName(stack, res.LogicalID, 64)
	}
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.opts.Region, localstate.AccountID, name)
	timeout := model.DefaultTimeout
	if v, ok := cfn.Number(props["Timeout"]); ok {
		timeout = time.Duration(v * float64(time.Second))
	}
	memory := model.DefaultMemoryMB
	if v, ok := cfn.Number(props["MemorySize"]); ok {
		memory = int(v)
	}
	concurrency := s.opts.Concurrency
	if v, ok := cfn.Number(props["ReservedConcurrentExecutions"]); ok && int(v) < concurrency {
		concurrency = int(v)
	}
	env := map[string]string{
		"AWS_REGION": s.opts.Region, "AWS_DEFAULT_REGION": s.opts.Region,
		"AWS_ACCESS_KEY_ID": localstate.AccessKeyID, "AWS_SECRET_ACCESS_KEY": localstate.SecretAccessKey,
		"AWS_ENDPOINT_URL": s.emu.endpoint, "AWS_ENDPOINT_URL_DYNAMODB": s.faultURL, "AWS_ENDPOINT_URL_SNS": s.snsURL,
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	if e, ok := props["Environment"].(map[string]any); ok {
		vars, _ := e["Variables"].(map[string]any)
		for k, v := range vars {
			env[k] = fmt.Sprint(v)
		}
	}
	var dlqURL string
	if dl, ok := props["DeadLetterConfig"].(map[string]any); ok {
		target, _ := dl["TargetArn"].(string)
		s.mu.Lock()
		dlqURL = s.queues[target]
		s.mu.Unlock()
		if dlqURL == "" {
			return nil, false, fmt.Errorf("dead-letter target %s is not a queue of the local system", target)
		}
	}
	fn := &function{name: name, arn: arn, dlqURL: dlqURL, rt: localrt.New(localrt.Config{
		Name: res.LogicalID, Binary: bins[entry], Env: env, Timeout: timeout, MemoryMB: memory,
		MaxConcurrency: concurrency, Log: s.opts.Log,
	})}
	s.mu.Lock()
	old := s.functions[arn]
	s.functions[arn] = fn
	s.mu.Unlock()
	if old != nil {
		go old.drain()
	}
	nr.physical = name
	nr.attrs["Arn"] = arn
	return nr, false, nil
}

// function is a deployed Lambda function.
type function struct {
	name, arn, dlqURL string
	rt                *localrt.Function
}

// drain lets the invocations already running on a replaced function finish, then stops it.
func (f *function) drain() {
	deadline := time.Now().Add(2 * time.Minute)
	for f.rt.Stats().InFlight > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	_ = f.rt.Close()
}
